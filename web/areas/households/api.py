"""Households: a case's household (members now and before, with their relationship to the head,
and the beds offered to it together), the commands that form, join, leave and head it, the
household offer of beds, and the figures by household size. City staff record; the ministry and
the auditors read; partners have no access. Every refusal (422) leaves nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from projections.case_list import CaseRow
from projections.households import HouseholdView, MemberRow
from projections.indicators.figures import Breakdown
from projections.indicators.households import HouseholdSizes
from web.areas.households.requests import (
    CaseHouseholdView,
    CaseHouseholdWork,
    DepartureRequest,
    HeadRequest,
    HouseholdFormation,
    JoinRequest,
    ShelterForHousehold,
    form_household,
    join_household,
    leave_household,
    make_head,
    offer_beds,
)
from web.kit.commands import carry_out
from web.kit.dependencies import Services
from web.kit.principal import ActingPrincipal, CityToView, NetworkViewer
from web.kit.request_limits import AccessBeforeBody
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, tags=["households"])


class MemberOut(BaseModel):
    case_id: UUID
    case_code: str
    relationship: str = Field(description="To the head of household; `head` for the head")
    joined_on: date
    left_on: date | None
    departure_reason: str | None

    @classmethod
    def of(cls, row: MemberRow) -> MemberOut:
        return cls(case_id=row.case_id, case_code=row.case_code, relationship=row.relationship,
                   joined_on=row.joined_on, left_on=row.left_on,
                   departure_reason=row.departure_reason)


class HouseholdOfferOut(BaseModel):
    shelter_id: UUID
    bed_numbers: list[int]
    offered_on: date


class HouseholdOut(BaseModel):
    household_id: UUID
    city: str
    formed_on: date
    ended_on: date | None = Field(description="When the last member left; None while it lives")
    size: int = Field(description="Members now")
    members: list[MemberOut] = Field(description="Members now, the head first")
    former_members: list[MemberOut]
    offers: list[HouseholdOfferOut] = Field(description="Beds offered to the whole household")

    @classmethod
    def of(cls, view: HouseholdView) -> HouseholdOut:
        return cls(
            household_id=view.household_id, city=view.city, formed_on=view.formed_on,
            ended_on=view.ended_on, size=view.size,
            members=[MemberOut.of(m) for m in view.members],
            former_members=[MemberOut.of(m) for m in view.former_members],
            offers=[HouseholdOfferOut(shelter_id=o.shelter_id, bed_numbers=list(o.bed_numbers),
                                      offered_on=o.offered_on) for o in view.offers],
        )


class CaseHouseholdOut(BaseModel):
    case_id: UUID
    case_code: str
    declared_household_size: int = Field(
        description="The size typed at intake (or corrected since): a declared value, kept as "
        "it was; the figures count the household's members instead")
    household: HouseholdOut | None = Field(
        description="The household the case is a member of now; None: it counts as a household "
        "of one")
    position: int | None = Field(default=None, description="The event log position of the write "
                                 "this answers, if any")


def _case_household(services: WebServices, case: CaseRow,
                    position: int | None = None) -> CaseHouseholdOut:
    view = services.household_views.household_of_case(case.case_id)
    return CaseHouseholdOut(case_id=case.case_id, case_code=case.case_code,
                            declared_household_size=case.household_size,
                            household=HouseholdOut.of(view) if view else None,
                            position=position)


@router.get("/cases/{case_id}/household", response_model=CaseHouseholdOut,
            name="api_case_household", summary="The household a case is a member of now")
def case_household(case: CaseHouseholdView, services: Services) -> CaseHouseholdOut:
    return _case_household(services, case)


async def _recorded(
    services: WebServices, case: CaseRow, command: Callable[[], int]
) -> CaseHouseholdOut:
    position = await carry_out(services, command)
    return await run_in_threadpool(_case_household, services, case, position)


@router.post("/cases/{case_id}/household", response_model=CaseHouseholdOut,
             name="api_form_household", status_code=201,
             summary="Form a household with the case as its head")
async def api_form_household(
    case: CaseHouseholdWork, formation: HouseholdFormation, services: Services,
    actor: ActingPrincipal,
) -> CaseHouseholdOut:
    return await _recorded(services, case,
                           lambda: form_household(services, case, formation, actor))


@router.post("/cases/{case_id}/household/join", response_model=CaseHouseholdOut,
             name="api_join_household",
             summary="The case joins the household of another case of its city")
async def api_join_household(
    case: CaseHouseholdWork, joining: JoinRequest, services: Services, actor: ActingPrincipal,
) -> CaseHouseholdOut:
    """A case is in at most one household at a time: a case already in one is refused (422
    `already_in_a_household`)."""
    return await _recorded(services, case, lambda: join_household(services, case, joining, actor))


@router.post("/cases/{case_id}/household/departure", response_model=CaseHouseholdOut,
             name="api_leave_household", summary="The case leaves its household")
async def api_leave_household(
    case: CaseHouseholdWork, departure: DepartureRequest, services: Services,
    actor: ActingPrincipal,
) -> CaseHouseholdOut:
    return await _recorded(services, case,
                           lambda: leave_household(services, case, departure, actor))


@router.post("/cases/{case_id}/household/head", response_model=CaseHouseholdOut,
             name="api_make_household_head", summary="The case becomes head of its household")
async def api_make_head(
    case: CaseHouseholdWork, change: HeadRequest, services: Services, actor: ActingPrincipal,
) -> CaseHouseholdOut:
    return await _recorded(services, case, lambda: make_head(services, case, change, actor))


@router.post("/cases/{case_id}/household/offers/{shelter_id}", response_model=CaseHouseholdOut,
             name="api_offer_household_beds",
             summary="Offer the case's whole household beds of one shelter, all or none")
async def api_offer_household_beds(
    case: CaseHouseholdWork, shelter: ShelterForHousehold, services: Services,
    actor: ActingPrincipal,
) -> CaseHouseholdOut:
    """One bed per member, in this shelter. Every member must be waiting on the waitlist. With
    fewer free beds than members the answer is 422 `not_enough_free_beds` and nothing is
    reserved; so too when a rival offer took the beds a moment before."""
    return await _recorded(services, case, lambda: offer_beds(services, case, shelter, actor))


# --- figures ------------------------------------------------------------------------------------


class SizeCountOut(BaseModel):
    size: str = Field(description='"1" to "5", or "6+"')
    count: int


class HouseholdSizesOut(BaseModel):
    city: str | None = Field(description="None: the network")
    position: int
    people_by_household_size: list[SizeCountOut] = Field(
        description="Cases (open and closed) by the size of the household they are in now")
    households_by_size: list[SizeCountOut] = Field(
        description="Households by their members now; a case in no household is one of one")
    in_a_household: int
    without_household: int = Field(description="Cases in no household: counted as households "
                                   "of one")

    @classmethod
    def of(cls, sizes: HouseholdSizes) -> HouseholdSizesOut:
        def counts(breakdown: Breakdown) -> list[SizeCountOut]:
            return [SizeCountOut(size=c.key, count=c.count) for c in breakdown.counts]

        return cls(city=sizes.city, position=sizes.position,
                   people_by_household_size=counts(sizes.people),
                   households_by_size=counts(sizes.households),
                   in_a_household=sizes.in_a_household,
                   without_household=sizes.without_household)


@router.get("/cities/{city}/household-sizes", response_model=HouseholdSizesOut,
            name="api_city_household_sizes",
            summary="A city's figures by household size, from the household links")
def city_household_sizes(city: CityToView, services: Services) -> HouseholdSizesOut:
    return HouseholdSizesOut.of(services.household_sizes.household_sizes(city.value))


@router.get("/household-sizes", response_model=HouseholdSizesOut,
            name="api_network_household_sizes",
            summary="The network's figures by household size, from the household links")
def network_household_sizes(viewer: NetworkViewer, services: Services) -> HouseholdSizesOut:
    return HouseholdSizesOut.of(services.household_sizes.household_sizes(None))
