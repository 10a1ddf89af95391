"""Budget and expenditure: a city's allocations and claims, the network's figures, and the
commands that set allocations (the ministry), record claims (a city's coordinators) and approve
or reject them (the ministry).

The request models, the amount parser and the dependencies that find a claim and check access
are shared with the pages (web.areas.finance.pages). A claim of a city the principal may not view is
unknown to them (404), as an unknown one; one they may view but not decide is refused (403).
Amounts travel as strings ("1234.50"): JSON numbers lose precision in many clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from domain.access import Permission, Principal, may, require
from domain.cases.rules import SubAction
from domain.finance.model import ClaimDraft, ExpenseCategory, InvalidAmount
from domain.network import Actor, City
from events.finance import Euros
from projections.finance import BudgetLine, CityFinance, ClaimRow, NetworkFinance
from web.kit.commands import carry_out
from web.kit.dependencies import Services
from web.kit.errors import ResourceNotFound
from web.kit.i18n import N_, Translator
from web.kit.principal import SignedIn, city_where, network_permission
from web.services import WebServices

router = APIRouter(tags=["finance"])

# Euros as people type them: 1234.50, 1234,5, 1.234,50 (Italian thousands), € 1.234,50.
_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")
_MAX_AMOUNT_TEXT = 20


class UnknownClaim(ResourceNotFound):
    """Raised when no claim the principal may see has the id in the path."""

    code = "unknown_claim"

    def __init__(self, claim_id: str) -> None:
        super().__init__(claim_id)
        self.claim_id = claim_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_('There is no claim "%(claim_id)s".'),
                                  claim_id=self.claim_id)


def parse_amount(text: str) -> Decimal:
    """Euros from what was typed or sent. With a comma, the comma is the decimal mark and dots
    group thousands (as Italians write); without one, a dot is the decimal mark. More than two
    decimals is refused, never rounded: "1.500" is not read as one thousand five hundred."""
    written = text.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    if "," in written:
        written = written.replace(".", "").replace(",", ".")
    if len(written) > _MAX_AMOUNT_TEXT or not _AMOUNT.match(written):
        raise InvalidAmount("Give the amount in euros, with at most two decimals.",
                            field="amount")
    return Decimal(written)


# --- finding a claim, and who may reach it ------------------------------------------------------


def claim_id_in_path(
    claim_id: Annotated[
        str, Path(description="The claim's id", json_schema_extra={"format": "uuid"})
    ],
) -> UUID:
    """One that is not even a UUID names no claim: 404, not 422."""
    try:
        return UUID(claim_id)
    except ValueError:
        raise UnknownClaim(claim_id) from None


def viewable_claim(
    claim_id: Annotated[UUID, Depends(claim_id_in_path)], principal: SignedIn,
    services: Services,
) -> ClaimRow:
    claim = services.finance_views.claim(claim_id)
    # As for a city's activities: whoever may not see the city's cases learns nothing of its
    # claims, not even that one exists; whoever may see them but not the city's figures (a
    # partner) is refused.
    if claim is None or not may(principal, Permission.VIEW_CASE, City(claim.city)):
        raise UnknownClaim(str(claim_id))
    require(principal, Permission.VIEW_CITY, City(claim.city))
    return claim


def claim_where(permission: Permission) -> Callable[[ClaimRow, Principal], ClaimRow]:
    def permitted_claim(
        claim: Annotated[ClaimRow, Depends(viewable_claim)], principal: SignedIn
    ) -> ClaimRow:
        require(principal, permission, City(claim.city))
        return claim

    return permitted_claim


CityFinanceToView = Annotated[City, Depends(city_where(Permission.VIEW_CITY))]
CityToClaimIn = Annotated[City, Depends(city_where(Permission.RECORD_EXPENDITURE))]
NetworkFinanceViewer = Annotated[
    Principal, Depends(network_permission(Permission.VIEW_NETWORK_OVERVIEW))
]
AllocationSetter = Annotated[Principal, Depends(network_permission(Permission.SET_ALLOCATIONS))]
ClaimToDecide = Annotated[ClaimRow, Depends(claim_where(Permission.APPROVE_EXPENDITURE))]


# --- what is sent -------------------------------------------------------------------------------

_AMOUNT_DESCRIPTION = (
    'Euros as a string, with at most two decimals: "1234.50" (or "1.234,50"). A string, because '
    "JSON numbers lose precision in many clients"
)


class ClaimRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{
            "sub_action": "4", "category": "housing_costs", "amount": "1234.50",
            "spent_on": "2021-03-15", "document_reference": "PG/2021/0042",
        }]},
    )

    sub_action: SubAction = Field(description="A sub-action the city has an allocation for")
    category: ExpenseCategory
    amount: str = Field(min_length=1, max_length=_MAX_AMOUNT_TEXT,
                        description=_AMOUNT_DESCRIPTION)
    spent_on: date = Field(description="Within 2019-07-01..2021-12-31, not after today")
    document_reference: str = Field(
        min_length=1, max_length=60,
        description="The supporting document's reference (a protocol number), not personal data",
    )

    def draft(self, city: City) -> ClaimDraft:
        return ClaimDraft(
            city=city, sub_action=self.sub_action, category=self.category,
            amount=parse_amount(self.amount), spent_on=self.spent_on,
            document_reference=self.document_reference,
        )


class AllocationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{
            "city": "firenze", "sub_action": "4", "amount": "346000.00",
            "reason": "Decreto di riparto",
        }]},
    )

    city: City
    sub_action: SubAction
    amount: str = Field(min_length=1, max_length=_MAX_AMOUNT_TEXT,
                        description=_AMOUNT_DESCRIPTION + "; 0 withdraws the allocation")
    reason: str = Field(min_length=1, max_length=500)


class RejectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


# --- what is answered ---------------------------------------------------------------------------


class BudgetLineOut(BaseModel):
    sub_action: str | None = Field(description="null: every sub-action together")
    allocated: Euros
    claimed: Euros = Field(description="Pending and approved claims")
    approved: Euros
    pending: Euros
    rejected: Euros
    remaining: Euros = Field(description="Allocated less claimed")

    @classmethod
    def of(cls, line: BudgetLine) -> BudgetLineOut:
        return cls.model_validate({
            "sub_action": line.sub_action, "allocated": line.allocated,
            "claimed": line.claimed, "approved": line.approved, "pending": line.pending,
            "rejected": line.rejected, "remaining": line.remaining,
        })


class ClaimOut(BaseModel):
    claim_id: UUID
    city: str
    sub_action: str
    category: str
    amount: Euros
    spent_on: date
    document_reference: str
    status: str = Field(description="pending, approved or rejected")
    recorded_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None

    @classmethod
    def of(cls, claim: ClaimRow) -> ClaimOut:
        return cls.model_validate({
            "claim_id": claim.claim_id, "city": claim.city, "sub_action": claim.sub_action,
            "category": claim.category, "amount": claim.amount, "spent_on": claim.spent_on,
            "document_reference": claim.document_reference, "status": claim.status,
            "recorded_at": claim.recorded_at, "decided_at": claim.decided_at,
            "rejection_reason": claim.rejection_reason,
        })


class CityFinanceOut(BaseModel):
    city: str
    lines: list[BudgetLineOut]
    total: BudgetLineOut
    claims: list[ClaimOut]

    @classmethod
    def of(cls, finance: CityFinance) -> CityFinanceOut:
        return cls(
            city=finance.city, lines=[BudgetLineOut.of(line) for line in finance.lines],
            total=BudgetLineOut.of(finance.total),
            claims=[ClaimOut.of(claim) for claim in finance.claims],
        )


class CityTotalsOut(BaseModel):
    city: str
    lines: list[BudgetLineOut]
    total: BudgetLineOut


class NetworkFinanceOut(BaseModel):
    cities: list[CityTotalsOut]
    by_sub_action: list[BudgetLineOut] = Field(description="Each the sum of the cities' lines")
    total: BudgetLineOut = Field(description="The sum of the cities' totals")
    pending_claims: list[ClaimOut] = Field(description="Every city's, the oldest first")

    @classmethod
    def of(cls, network: NetworkFinance) -> NetworkFinanceOut:
        return cls(
            cities=[
                CityTotalsOut(city=city.city, lines=[BudgetLineOut.of(x) for x in city.lines],
                              total=BudgetLineOut.of(city.total))
                for city in network.cities
            ],
            by_sub_action=[BudgetLineOut.of(line) for line in network.by_sub_action()],
            total=BudgetLineOut.of(network.total),
            pending_claims=[ClaimOut.of(claim) for claim in network.pending_claims()],
        )


class ClaimReceipt(BaseModel):
    claim_id: UUID
    position: int = Field(description="The event's position in the event log")


class AllocationReceipt(BaseModel):
    city: str
    sub_action: str
    position: int = Field(description="The event's position in the event log")


# --- the commands, shared with the pages --------------------------------------------------------


async def record_claim(
    services: WebServices, city: City, request: ClaimRequest, actor: Actor
) -> ClaimReceipt:
    draft = request.draft(city)
    claim_id = services.new_id()
    position = await carry_out(services, lambda: services.finance.record_claim(
        claim_id, draft, actor, services.now()))
    return ClaimReceipt(claim_id=claim_id, position=position)


async def set_allocation(
    services: WebServices, request: AllocationRequest, actor: Actor
) -> AllocationReceipt:
    amount = parse_amount(request.amount)
    position = await carry_out(services, lambda: services.finance.set_allocation(
        request.city, request.sub_action, amount, request.reason, actor, services.now()))
    return AllocationReceipt(city=request.city.value, sub_action=request.sub_action.value,
                             position=position)


async def approve(services: WebServices, claim: ClaimRow, actor: Actor) -> ClaimReceipt:
    position = await carry_out(services, lambda: services.finance.approve_claim(
        City(claim.city), claim.claim_id, actor, services.now()))
    return ClaimReceipt(claim_id=claim.claim_id, position=position)


async def reject(
    services: WebServices, claim: ClaimRow, request: RejectionRequest, actor: Actor
) -> ClaimReceipt:
    position = await carry_out(services, lambda: services.finance.reject_claim(
        City(claim.city), claim.claim_id, request.reason, actor, services.now()))
    return ClaimReceipt(claim_id=claim.claim_id, position=position)


# --- the routes ---------------------------------------------------------------------------------


@router.get(
    "/cities/{city}/finance", response_model=CityFinanceOut, name="api_city_finance",
    summary="A city's allocations, claims and what remains, per sub-action",
)
def city_finance(city: CityFinanceToView, services: Services) -> CityFinanceOut:
    return CityFinanceOut.of(services.finance_views.city(city.value))


@router.post(
    "/cities/{city}/finance/claims", status_code=status.HTTP_201_CREATED,
    response_model=ClaimReceipt, name="api_record_claim",
    summary="Claim a cost against the city's allocation for a sub-action",
)
async def record_expenditure_claim(
    city: CityToClaimIn, body: ClaimRequest, services: Services, principal: SignedIn,
    request: Request, response: Response,
) -> ClaimReceipt:
    receipt = await record_claim(services, city, body, principal.actor)
    response.headers["Location"] = str(request.app.url_path_for("api_city_finance",
                                                                 city=city.value))
    return receipt


@router.get(
    "/finance", response_model=NetworkFinanceOut, name="api_network_finance",
    summary="Every city's figures per sub-action, the network's totals, the pending claims",
)
def network_finance(viewer: NetworkFinanceViewer, services: Services) -> NetworkFinanceOut:
    return NetworkFinanceOut.of(services.finance_views.network())


@router.post(
    "/finance/allocations", response_model=AllocationReceipt, name="api_set_allocation",
    summary="Set or revise a city's allocation for a sub-action (the ministry)",
)
async def set_city_allocation(
    setter: AllocationSetter, body: AllocationRequest, services: Services
) -> AllocationReceipt:
    return await set_allocation(services, body, setter.actor)


@router.post(
    "/finance/claims/{claim_id}/approval", response_model=ClaimReceipt,
    name="api_approve_claim", summary="Approve a pending claim (the ministry)",
)
async def approve_claim(
    claim: ClaimToDecide, services: Services, principal: SignedIn
) -> ClaimReceipt:
    return await approve(services, claim, principal.actor)


@router.post(
    "/finance/claims/{claim_id}/rejection", response_model=ClaimReceipt,
    name="api_reject_claim", summary="Reject a pending claim, saying why (the ministry)",
)
async def reject_claim(
    claim: ClaimToDecide, body: RejectionRequest, services: Services, principal: SignedIn
) -> ClaimReceipt:
    return await reject(services, claim, body, principal.actor)
