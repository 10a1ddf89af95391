"""What the budget pages and the finance API both receive and carry out: the amount parser, the
claim named in a path and who may reach it, the request models, and the commands that set
allocations (the ministry), record claims (a city's coordinators) and approve or reject them
(the ministry). A claim of a city the principal may not view is unknown to them (404), as an
unknown one; one they may view but not decide is refused (403). Amounts travel as strings
("1234.50"): JSON numbers lose precision in many clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from domain.access import Permission, Principal, may, require
from domain.finance.model import ClaimDraft, ExpenseCategory, InvalidAmount
from domain.programme import Actor, City, SubAction
from projections.finance import ClaimRow
from web.kit.cities import CityField
from web.kit.commands import carry_out
from web.kit.dependencies import Services
from web.kit.errors import UnknownClaim
from web.kit.inputs import Day
from web.kit.principal import SignedIn, city_where, network_permission
from web.services import WebServices

# Euros as people type them: 1234.50, 1234,5, 1.234,50 (Italian thousands), € 1.234,50.
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]{1,2})?", re.ASCII)
_MAX_AMOUNT_TEXT = 20


def parse_amount(text: str, field: str = "amount") -> Decimal:
    """Euros from what was typed or sent. With a comma, the comma is the decimal mark and dots
    group thousands (as Italians write); without one, a dot is the decimal mark. More than two
    decimals is refused, never rounded: "1.500" is not read as one thousand five hundred."""
    written = text.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    if "," in written:
        written = written.replace(".", "").replace(",", ".")
    if len(written) > _MAX_AMOUNT_TEXT or not _AMOUNT.fullmatch(written):
        raise InvalidAmount("Give the amount in euros, with at most two decimals.",
                            field=field)
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
# The ministry's finance office, who claims the lead and national partners' costs.
PartnerClaimRecorder = Annotated[
    Principal, Depends(network_permission(Permission.RECORD_PARTNER_EXPENDITURE))]
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
    spent_on: Day = Field(description="Within 2019-07-01..2021-12-31, not after today")
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

    city: CityField
    sub_action: SubAction
    amount: str = Field(min_length=1, max_length=_MAX_AMOUNT_TEXT,
                        description=_AMOUNT_DESCRIPTION + "; 0 withdraws the allocation")
    reason: str = Field(min_length=1, max_length=500)


class RejectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


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
