"""Fast-track housing (Sub-Action 4): a city's shelters and waitlist, a shelter's beds, and a
case's path from the waitlist to a bed and out again. Shelters are managed by the city's
coordinators; placements are recorded by its operators and coordinators; the ministry and the
auditors read. Partner systems have no access. Every refusal (422) leaves nothing written."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from projections.case_list import CaseRow
from projections.housing import (
    CityHousing,
    HousingPathRow,
    PlacementRow,
    ShelterRow,
)
from web.areas.housing.requests import (
    BedChange,
    CaseToHouse,
    CaseToHouseView,
    CityToManage,
    ManagedShelter,
    MoveInRequest,
    MoveOutRequest,
    Reason,
    ShelterClosure,
    ShelterRegistration,
    ViewableShelter,
    WaitlistPlace,
    move_in_days,
    ranked_waitlist,
)
from web.kit.commands import carry_out
from web.kit.dependencies import Services
from web.kit.principal import ActingPrincipal, CityToView
from web.kit.request_limits import AccessBeforeBody
from web.kit.terms import PriorityOut

router = APIRouter(route_class=AccessBeforeBody, tags=["housing"])

WAITLIST_ORDER = (
    "As the project card says: holders of international protection first, then vulnerable "
    "cases, then the longest waiting (from the day the case was put on the waitlist, kept when "
    "an offer is declined), as points per factor whose weights the Ministry sets (`priority`; "
    "the weights in force: the programme's terms page); equal totals by waiting time, then by "
    "case code."
)


class ShelterOut(BaseModel):
    shelter_id: UUID
    city: str
    name: str
    kind: str
    address_area: str = Field(description="The neighbourhood or area, never a street address")
    beds: int
    bed_numbers: list[int]
    occupied: int = Field(description="Beds offered or lived in now")
    free: int = Field(description="Beds free now (0 for a closed shelter)")
    closed_on: date | None
    median_days_to_move_in: Decimal | None = Field(
        description="Over everyone who moved in here: the median of the days from intake to "
        "move-in, to a tenth (null before the first move-in)")
    p90_days_to_move_in: Decimal | None = Field(
        description="... and their 90th percentile: 9 people in 10 moved in within it")

    @classmethod
    def of(cls, row: ShelterRow) -> ShelterOut:
        return cls(
            shelter_id=row.shelter_id, city=row.city, name=row.name, kind=row.kind,
            address_area=row.address_area, beds=row.beds, bed_numbers=list(row.bed_numbers),
            occupied=row.occupied, free=row.free, closed_on=row.closed_on,
            median_days_to_move_in=move_in_days(row.days_to_move_in).median,
            p90_days_to_move_in=move_in_days(row.days_to_move_in).p90,
        )


class PlacementOut(BaseModel):
    case_id: UUID
    case_code: str
    shelter_id: UUID
    shelter_name: str
    bed: int
    status: str = Field(description="offered, housed, moved_out or declined")
    offered_on: date
    moved_in_on: date | None
    days_to_move_in: int | None
    moved_out_on: date | None
    outcome: str | None

    @classmethod
    def of(cls, row: PlacementRow) -> PlacementOut:
        return cls(
            case_id=row.case_id, case_code=row.case_code, shelter_id=row.shelter_id,
            shelter_name=row.shelter_name, bed=row.bed, status=row.status,
            offered_on=row.offered_on, moved_in_on=row.moved_in_on,
            days_to_move_in=row.days_to_move_in, moved_out_on=row.moved_out_on,
            outcome=row.outcome,
        )


class ShelterDetail(ShelterOut):
    current: list[PlacementOut] = Field(description="Who holds each bed now, by bed")

    @classmethod
    def of_shelter(cls, row: ShelterRow, current: list[PlacementRow]) -> ShelterDetail:
        return cls(**ShelterOut.of(row).model_dump(),
                   current=[PlacementOut.of(p) for p in current])


class CityHousingOut(BaseModel):
    city: str
    beds: int = Field(description="Beds of the open shelters")
    occupied: int
    free: int
    median_days_to_move_in: Decimal | None = Field(
        description="Over every move-in of the city: the median of the days from intake to "
        "move-in, to a tenth")
    p90_days_to_move_in: Decimal | None = Field(description="... and their 90th percentile")
    moves_in: int = Field(description="How many move-ins these figures are over")
    shelters: list[ShelterOut]

    @classmethod
    def of(cls, housing: CityHousing) -> CityHousingOut:
        return cls(
            city=housing.city, beds=housing.beds, occupied=housing.occupied, free=housing.free,
            median_days_to_move_in=move_in_days(housing.days_to_move_in).median,
            p90_days_to_move_in=move_in_days(housing.days_to_move_in).p90,
            moves_in=housing.housed_so_far,
            shelters=[ShelterOut.of(s) for s in housing.shelters],
        )


class WaitlistEntryOut(BaseModel):
    rank: int
    case_id: UUID
    case_code: str
    vulnerable: bool = Field(description="Special-category data: whether a vulnerability is "
                                         "recorded")
    priority_group: str
    waitlisted_at: datetime
    days_waiting: int
    priority: PriorityOut = Field(description="Why the case has its place: points per factor")

    @classmethod
    def of(cls, place: WaitlistPlace) -> WaitlistEntryOut:
        entry = place.entry
        return cls(
            rank=place.rank, case_id=entry.case_id, case_code=entry.case_code,
            vulnerable=entry.vulnerable, priority_group=entry.priority_group,
            waitlisted_at=entry.waitlisted_at, days_waiting=entry.days_waiting,
            priority=PriorityOut.of(place.priority),
        )


class WaitlistOut(BaseModel):
    city: str
    order: str = Field(description="How the waitlist is ordered")
    entries: list[WaitlistEntryOut]


class HousingPathOut(BaseModel):
    case_id: UUID
    case_code: str
    stage: str = Field(description="none, waitlisted, offered, housed, moved_out or "
                                   "left_waitlist")
    waitlisted_at: datetime | None
    shelter_id: UUID | None
    shelter_name: str | None
    bed: int | None
    offered_on: date | None
    moved_in_on: date | None
    placements: list[PlacementOut] = Field(description="Every bed offered, the latest first")

    @classmethod
    def of(cls, case_id: UUID, case_code: str, path: HousingPathRow | None,
           placements: list[PlacementRow]) -> HousingPathOut:
        return cls(
            case_id=case_id, case_code=case_code, stage=path.stage if path else "none",
            waitlisted_at=path.waitlisted_at if path else None,
            shelter_id=path.shelter_id if path else None,
            shelter_name=path.shelter_name if path else None, bed=path.bed if path else None,
            offered_on=path.offered_on if path else None,
            moved_in_on=path.moved_in_on if path else None,
            placements=[PlacementOut.of(p) for p in placements],
        )


class ShelterRecorded(BaseModel):
    shelter_id: UUID
    position: int = Field(description="The event's position in the event log")
    shelter: ShelterOut | None = Field(description="The shelter as the read model shows it now")


class HousingRecorded(BaseModel):
    position: int = Field(description="The event's position in the event log")
    housing: HousingPathOut


def _shelter_recorded(services: Services, shelter_id: UUID, position: int) -> ShelterRecorded:
    row = services.housing_views.shelter(shelter_id)
    return ShelterRecorded(shelter_id=shelter_id, position=position,
                           shelter=ShelterOut.of(row) if row else None)


def _path_of(services: Services, case_id: UUID, case_code: str) -> HousingPathOut:
    return HousingPathOut.of(case_id, case_code, services.housing_views.housing_path(case_id),
                             services.housing_views.case_placements(case_id))


async def _housing_recorded(services: Services, case: CaseRow, position: int) -> HousingRecorded:
    housing = await run_in_threadpool(_path_of, services, case.case_id, case.case_code)
    return HousingRecorded(position=position, housing=housing)


@router.get("/cities/{city}/shelters", response_model=CityHousingOut,
            name="api_city_shelters", summary="A city's shelters, beds and free beds now")
def city_shelters(city: CityToView, services: Services) -> CityHousingOut:
    return CityHousingOut.of(services.housing_views.city_housing(city.value))


@router.post("/cities/{city}/shelters", response_model=ShelterRecorded,
             status_code=status.HTTP_201_CREATED, name="api_register_shelter",
             summary="Register a shelter, apartment or protected setting")
async def register_shelter(
    city: CityToManage, registration: ShelterRegistration, services: Services,
    actor: ActingPrincipal,
) -> ShelterRecorded:
    shelter_id = services.new_id()
    position = await carry_out(services, lambda: services.housing.register_shelter(
        shelter_id, city, registration.name, registration.kind, registration.address_area,
        registration.beds, actor, services.now()))
    return await run_in_threadpool(_shelter_recorded, services, shelter_id, position)


@router.get("/shelters/{shelter_id}", response_model=ShelterDetail, name="api_get_shelter",
            summary="A shelter, with who holds each bed now")
def get_shelter(shelter: ViewableShelter, services: Services) -> ShelterDetail:
    current = services.housing_views.placements(shelter.shelter_id, current_only=True)
    return ShelterDetail.of_shelter(shelter, current)


@router.post("/shelters/{shelter_id}/beds", response_model=ShelterRecorded,
             name="api_add_beds", summary="Add beds to a shelter")
async def add_beds(
    shelter: ManagedShelter, change: BedChange, services: Services, actor: ActingPrincipal
) -> ShelterRecorded:
    position = await carry_out(services, lambda: services.housing.add_beds(
        shelter.shelter_id, change.count, actor, services.now()))
    return await run_in_threadpool(_shelter_recorded, services, shelter.shelter_id, position)


@router.post("/shelters/{shelter_id}/beds/removal", response_model=ShelterRecorded,
             name="api_remove_beds", summary="Remove free beds from a shelter")
async def remove_beds(
    shelter: ManagedShelter, change: BedChange, services: Services, actor: ActingPrincipal
) -> ShelterRecorded:
    position = await carry_out(services, lambda: services.housing.remove_beds(
        shelter.shelter_id, change.count, actor, services.now()))
    return await run_in_threadpool(_shelter_recorded, services, shelter.shelter_id, position)


@router.post("/shelters/{shelter_id}/closure", response_model=ShelterRecorded,
             name="api_close_shelter", summary="Close an empty shelter")
async def close_shelter(
    shelter: ManagedShelter, closure: ShelterClosure, services: Services,
    actor: ActingPrincipal,
) -> ShelterRecorded:
    position = await carry_out(services, lambda: services.housing.close_shelter(
        shelter.shelter_id, closure.reason, actor, services.now()))
    return await run_in_threadpool(_shelter_recorded, services, shelter.shelter_id, position)


@router.get("/cities/{city}/waitlist", response_model=WaitlistOut, name="api_city_waitlist",
            summary="A city's housing waitlist, in priority order")
def city_waitlist(city: CityToView, services: Services) -> WaitlistOut:
    places = ranked_waitlist(services, city.value, services.now())
    return WaitlistOut(city=city.value, order=WAITLIST_ORDER,
                       entries=[WaitlistEntryOut.of(place) for place in places])


@router.get("/cases/{case_id}/housing", response_model=HousingPathOut,
            name="api_case_housing", summary="A case's path through fast-track housing")
def case_housing(case: CaseToHouseView, services: Services) -> HousingPathOut:
    return _path_of(services, case.case_id, case.case_code)


@router.post("/cases/{case_id}/housing/waitlist", response_model=HousingRecorded,
             name="api_waitlist_case", summary="Put a case on its city's housing waitlist")
async def waitlist_case(
    case: CaseToHouse, services: Services, actor: ActingPrincipal
) -> HousingRecorded:
    position = await carry_out(services, lambda: services.housing.add_to_waitlist(
        case.case_id, actor, services.now()))
    return await _housing_recorded(services, case, position)


@router.post("/cases/{case_id}/housing/offers/{shelter_id}", response_model=HousingRecorded,
             name="api_offer_bed", summary="Offer a waitlisted case a bed of a shelter")
async def offer_bed(
    case: CaseToHouse, shelter: ViewableShelter, services: Services, actor: ActingPrincipal
) -> HousingRecorded:
    """The shelter's lowest-numbered free bed is held for the case. When the last free bed was
    just taken by someone else, the answer is 422 `no_free_bed`, and nothing is written."""
    position = await carry_out(services, lambda: services.housing.offer_bed(
        case.case_id, shelter.shelter_id, actor, services.now()))
    return await _housing_recorded(services, case, position)


@router.post("/cases/{case_id}/housing/decline", response_model=HousingRecorded,
             name="api_decline_offer", summary="Record that the bed offered was declined")
async def decline_offer(
    case: CaseToHouse, decline: Reason, services: Services, actor: ActingPrincipal
) -> HousingRecorded:
    position = await carry_out(services, lambda: services.housing.decline_offer(
        case.case_id, decline.reason, actor, services.now()))
    return await _housing_recorded(services, case, position)


@router.post("/cases/{case_id}/housing/move-in", response_model=HousingRecorded,
             name="api_move_in", summary="Record the move-in into the bed offered")
async def move_in(
    case: CaseToHouse, move: MoveInRequest, services: Services, actor: ActingPrincipal
) -> HousingRecorded:
    position = await carry_out(services, lambda: services.housing.move_in(
        case.case_id, move.moved_in_on, actor, services.now()))
    return await _housing_recorded(services, case, position)


@router.post("/cases/{case_id}/housing/move-out", response_model=HousingRecorded,
             name="api_move_out", summary="Record the move-out, with its outcome")
async def move_out(
    case: CaseToHouse, move: MoveOutRequest, services: Services, actor: ActingPrincipal
) -> HousingRecorded:
    position = await carry_out(services, lambda: services.housing.move_out(
        case.case_id, move.outcome, move.moved_out_on, move.note, actor, services.now()))
    return await _housing_recorded(services, case, position)


@router.post("/cases/{case_id}/housing/waitlist/leave", response_model=HousingRecorded,
             name="api_leave_waitlist", summary="Take a case off the housing waitlist")
async def leave_waitlist(
    case: CaseToHouse, leave: Reason, services: Services, actor: ActingPrincipal
) -> HousingRecorded:
    position = await carry_out(services, lambda: services.housing.leave_waitlist(
        case.case_id, leave.reason, actor, services.now()))
    return await _housing_recorded(services, case, position)
