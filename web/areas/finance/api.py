"""Budget and expenditure as JSON: a city's allocations and claims, the network's figures, and
the commands that set allocations (the ministry), record claims (a city's coordinators) and
approve or reject them (the ministry). The request models, the checks of who may reach a claim
and the commands are web.areas.finance.requests, shared with the pages."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, Field

from events.finance import Euros
from projections.finance import CityFinance, ClaimRow, NetworkFinance
from web.areas.finance.requests import (
    AllocationReceipt,
    AllocationRequest,
    AllocationSetter,
    CityFinanceToView,
    CityToClaimIn,
    ClaimReceipt,
    ClaimRequest,
    ClaimToDecide,
    NetworkFinanceViewer,
    RejectionRequest,
    approve,
    record_claim,
    reject,
    set_allocation,
)
from web.kit.budget import BudgetLineOut
from web.kit.dependencies import Services
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["finance"])


# --- what is answered ---------------------------------------------------------------------------


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
