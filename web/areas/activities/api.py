"""Community activities (Sub-Actions 2, 3, 5, 6): a city's register, one activity with its
participants and sessions, and the commands that plan, enrol, record, complete and cancel.

The request models and the dependencies that find an activity and check access are shared with
the pages (web.areas.activities.pages): one route is as strict as the other. An activity of a city
whose cases the principal may not see is unknown to them (404); one they may see but not act on
is refused (403). Partner systems have no access to activities."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may, require
from domain.activities.model import ActivityKind, ActivityPlan, NotACaseOfTheCity
from domain.cases.rules import SubAction
from domain.network import Actor, City
from projections.activities import (
    ActivityDetail,
    ActivityRegister,
    ActivitySummary,
    SubActionTotals,
)
from projections.case_list import CaseFilters
from web.kit.dependencies import Services
from web.kit.errors import UnknownActivity
from web.kit.principal import ActingPrincipal, SignedIn, city_where
from web.services import WebServices

router = APIRouter(tags=["activities"])

# A city's whole case list is read to find a case by its code: more than any city has.
_CASES_SEARCHED = 100_000


# --- finding an activity, and who may reach it ------------------------------------------------


def activity_id_in_path(
    activity_id: Annotated[
        str, Path(description="The activity's id", json_schema_extra={"format": "uuid"})
    ],
) -> UUID:
    """One that is not even a UUID names no activity: 404, not 422."""
    try:
        return UUID(activity_id)
    except ValueError:
        raise UnknownActivity(activity_id) from None


PathActivityId = Annotated[UUID, Depends(activity_id_in_path)]


def viewable_activity(
    activity_id: PathActivityId, principal: SignedIn, services: Services
) -> ActivityDetail:
    detail = services.activity_register.activity(activity_id)
    # Whoever may not see the city's cases learns nothing of its activities, not even that one
    # exists; whoever may see them but not the city's register is refused.
    if detail is None or not may(principal, Permission.VIEW_CASE, City(detail.city)):
        raise UnknownActivity(str(activity_id))
    require(principal, Permission.VIEW_CITY, City(detail.city))
    return detail


ViewableActivity = Annotated[ActivityDetail, Depends(viewable_activity)]


def activity_where(
    permission: Permission,
) -> Callable[[ActivityDetail, Principal], ActivityDetail]:
    """A dependency: the activity in the path, once the principal may `permission` in its city."""

    def permitted_activity(activity: ViewableActivity, principal: SignedIn) -> ActivityDetail:
        require(principal, permission, City(activity.city))
        return activity

    return permitted_activity


CityOfActivities = Annotated[City, Depends(city_where(Permission.VIEW_CITY))]
CityToPlanIn = Annotated[City, Depends(city_where(Permission.MANAGE_FACILITIES))]
ActivityToWorkOn = Annotated[
    ActivityDetail, Depends(activity_where(Permission.RECORD_CASE_WORK))
]
ActivityToManage = Annotated[
    ActivityDetail, Depends(activity_where(Permission.MANAGE_FACILITIES))
]


# --- what is sent -------------------------------------------------------------------------------


class ActivityPlanRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{
            "sub_action": "2", "kind": "civic_engagement_initiative",
            "title": "Cura del giardino di quartiere", "neighbourhood": "Quarto Oggiaro",
            "starts_on": "2021-03-01", "ends_on": "2021-06-30",
            "organiser": "Ufficio Cittadinanza Attiva",
        }]},
    )

    sub_action: SubAction = Field(description="2, 3, 5 or 6")
    kind: ActivityKind
    title: str = Field(min_length=1, max_length=120)
    neighbourhood: str = Field(min_length=1, max_length=80)
    starts_on: date = Field(description="Within the programme: 2019-07-01 to 2021-12-31")
    ends_on: date = Field(description="On or after starts_on, by 2021-12-31")
    organiser: str = Field(
        min_length=1, max_length=120,
        description="The organising organisation or office; never a person's name",
    )

    def plan(self, city: City) -> ActivityPlan:
        return ActivityPlan(
            city=city, sub_action=self.sub_action, kind=self.kind, title=self.title,
            neighbourhood=self.neighbourhood, starts_on=self.starts_on, ends_on=self.ends_on,
            organiser=self.organiser,
        )


class EnrolmentRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{"case_code": "MI-2021-00042"}]},
    )

    case_id: UUID | None = Field(default=None, description="The case's id; or give case_code")
    case_code: str | None = Field(
        default=None, max_length=20, description="The case's code; or give case_id"
    )


class SessionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "held_on": "2021-03-15", "hours": "2.5", "attended": [], "residents": 12,
        }]},
    )

    held_on: date = Field(description="Within the activity's dates, not after today")
    hours: Decimal = Field(
        description="More than 0, at most 12, at most two decimals; a string or a number"
    )
    attended: list[UUID] = Field(
        default_factory=list, description="The ids of the enrolled cases who attended"
    )
    residents: int = Field(default=0, ge=0, description="Participants who are not beneficiaries")


class CancellationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


# --- what is answered -------------------------------------------------------------------------


class ActivityOut(BaseModel):
    activity_id: UUID
    city: str
    sub_action: str
    kind: str
    title: str
    neighbourhood: str
    starts_on: date
    ends_on: date
    organiser: str
    status: str = Field(description="planned, completed or cancelled")
    sessions: int
    participants: int = Field(description="Enrolled cases")
    residents: int = Field(description="Resident attendances: each session's count, summed")
    hours: Decimal = Field(description="The sessions' hours, summed (a decimal string)")
    completed_on: date | None
    cancellation_reason: str | None

    @classmethod
    def of(cls, summary: ActivitySummary) -> ActivityOut:
        return cls(
            activity_id=summary.activity_id, city=summary.city, sub_action=summary.sub_action,
            kind=summary.kind, title=summary.title, neighbourhood=summary.neighbourhood,
            starts_on=summary.starts_on, ends_on=summary.ends_on, organiser=summary.organiser,
            status=summary.status, sessions=summary.sessions,
            participants=summary.participants, residents=summary.residents,
            hours=summary.hours, completed_on=summary.completed_on,
            cancellation_reason=summary.cancellation_reason,
        )


class TotalsOut(BaseModel):
    sub_action: str | None = Field(description="null: every sub-action together")
    activities: int
    beneficiaries: int = Field(description="Distinct cases enrolled")
    residents: int
    hours: Decimal
    participant_hours: Decimal = Field(description="Each enrolled participant's hours, summed")

    @classmethod
    def of(cls, totals: SubActionTotals) -> TotalsOut:
        return cls(**totals.__dict__)


class ActivityRegisterOut(BaseModel):
    city: str
    sub_action: str | None
    items: list[ActivityOut]
    totals: list[TotalsOut]

    @classmethod
    def of(cls, register: ActivityRegister) -> ActivityRegisterOut:
        return cls(
            city=register.city, sub_action=register.sub_action,
            items=[ActivityOut.of(a) for a in register.activities],
            totals=[TotalsOut.of(t) for t in register.totals],
        )


class ParticipantOut(BaseModel):
    case_id: UUID
    case_code: str
    enrolled_at: datetime
    sessions_attended: int
    hours: Decimal


class SessionOut(BaseModel):
    session_number: int
    held_on: date
    hours: Decimal
    residents: int
    attended: list[UUID]


class ActivityDetailOut(ActivityOut):
    participant_list: list[ParticipantOut]
    session_list: list[SessionOut]

    @classmethod
    def of_detail(cls, detail: ActivityDetail) -> ActivityDetailOut:
        return cls(
            **ActivityOut.of(detail.summary).model_dump(),
            participant_list=[ParticipantOut(**p.__dict__) for p in detail.participants],
            session_list=[
                SessionOut(session_number=s.session_number, held_on=s.held_on, hours=s.hours,
                           residents=s.residents, attended=list(s.attended))
                for s in detail.sessions
            ],
        )


class ActivityReceipt(BaseModel):
    activity_id: UUID
    position: int = Field(description="The event's position in the event log")


# --- the commands, shared with the pages --------------------------------------------------------


async def plan(
    services: WebServices, city: City, request: ActivityPlanRequest, actor: Actor
) -> ActivityReceipt:
    activity_id = services.new_id()
    position = await run_in_threadpool(
        services.activities.plan_activity, activity_id, request.plan(city), actor,
        services.now(),
    )
    return await _written(services, activity_id, position)


async def enrol(
    services: WebServices, activity: ActivityDetail, request: EnrolmentRequest, actor: Actor
) -> ActivityReceipt:
    case_id = request.case_id
    if case_id is None:
        if not request.case_code:
            raise RequestValidationError([{
                "type": "missing", "loc": ("body", "case_code"), "msg": "case_code or case_id",
                "input": None,
            }])
        case_id = await run_in_threadpool(
            case_with_code, services, City(activity.city), request.case_code
        )
    position = await run_in_threadpool(
        services.activities.enrol, activity.summary.activity_id, case_id, actor, services.now()
    )
    return await _written(services, activity.summary.activity_id, position)


def case_with_code(services: WebServices, city: City, case_code: str) -> UUID:
    code = case_code.strip().upper()
    page = services.case_list.list_cases(city.value, CaseFilters(), page_size=_CASES_SEARCHED)
    for row in page.rows:
        if row.case_code == code:
            return row.case_id
    raise NotACaseOfTheCity("No case of the activity's city has this code.", field="case_code")


async def record_session(
    services: WebServices, activity: ActivityDetail, request: SessionRequest, actor: Actor
) -> ActivityReceipt:
    position = await run_in_threadpool(
        services.activities.record_session, activity.summary.activity_id, request.held_on,
        request.hours, frozenset(request.attended), request.residents, actor, services.now(),
    )
    return await _written(services, activity.summary.activity_id, position)


async def complete(
    services: WebServices, activity: ActivityDetail, actor: Actor
) -> ActivityReceipt:
    position = await run_in_threadpool(
        services.activities.complete, activity.summary.activity_id, actor, services.now()
    )
    return await _written(services, activity.summary.activity_id, position)


async def cancel(
    services: WebServices, activity: ActivityDetail, request: CancellationRequest, actor: Actor
) -> ActivityReceipt:
    position = await run_in_threadpool(
        services.activities.cancel, activity.summary.activity_id, request.reason, actor,
        services.now(),
    )
    return await _written(services, activity.summary.activity_id, position)


async def _written(services: WebServices, activity_id: UUID, position: int) -> ActivityReceipt:
    """Wait (up to the read-your-writes timeout) until the register shows the write."""
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return ActivityReceipt(activity_id=activity_id, position=position)


# --- the routes ---------------------------------------------------------------------------------


@router.get(
    "/cities/{city}/activities", response_model=ActivityRegisterOut,
    name="api_activity_register", summary="A city's community activities, with totals",
)
def activity_register(
    city: CityOfActivities,
    services: Services,
    sub_action: Annotated[
        SubAction | None, Query(description="Only the activities of this sub-action")
    ] = None,
) -> ActivityRegisterOut:
    return ActivityRegisterOut.of(services.activity_register.register(
        city.value, sub_action.value if sub_action else None))


@router.post(
    "/cities/{city}/activities", status_code=status.HTTP_201_CREATED,
    response_model=ActivityReceipt, name="api_plan_activity", summary="Plan an activity",
    responses={201: {"description": "Planned; Location names the new activity"}},
)
async def plan_activity(
    city: CityToPlanIn, body: ActivityPlanRequest, services: Services, actor: ActingPrincipal,
    request: Request, response: Response,
) -> ActivityReceipt:
    receipt = await plan(services, city, body, actor)
    response.headers["Location"] = str(
        request.app.url_path_for("api_get_activity", activity_id=str(receipt.activity_id))
    )
    return receipt


@router.get(
    "/activities/{activity_id}", response_model=ActivityDetailOut, name="api_get_activity",
    summary="One activity, with its participants and sessions",
)
def get_activity(activity: ViewableActivity) -> ActivityDetailOut:
    return ActivityDetailOut.of_detail(activity)


@router.post(
    "/activities/{activity_id}/participants", status_code=status.HTTP_201_CREATED,
    response_model=ActivityReceipt, name="api_enrol_participant",
    summary="Enrol a case (Sub-Action 2: asylum seekers only)",
)
async def enrol_participant(
    activity: ActivityToWorkOn, body: EnrolmentRequest, services: Services,
    actor: ActingPrincipal,
) -> ActivityReceipt:
    return await enrol(services, activity, body, actor)


@router.post(
    "/activities/{activity_id}/sessions", status_code=status.HTTP_201_CREATED,
    response_model=ActivityReceipt, name="api_record_session", summary="Record a session",
)
async def record_activity_session(
    activity: ActivityToWorkOn, body: SessionRequest, services: Services,
    actor: ActingPrincipal,
) -> ActivityReceipt:
    return await record_session(services, activity, body, actor)


@router.post(
    "/activities/{activity_id}/completion", response_model=ActivityReceipt,
    name="api_complete_activity", summary="Complete an activity (after a session at least)",
)
async def complete_activity(
    activity: ActivityToManage, services: Services, actor: ActingPrincipal
) -> ActivityReceipt:
    return await complete(services, activity, actor)


@router.post(
    "/activities/{activity_id}/cancellation", response_model=ActivityReceipt,
    name="api_cancel_activity", summary="Cancel an activity, saying why",
)
async def cancel_activity(
    activity: ActivityToManage, body: CancellationRequest, services: Services,
    actor: ActingPrincipal,
) -> ActivityReceipt:
    return await cancel(services, activity, body, actor)


def without_blanks(values: dict[str, Any]) -> dict[str, Any]:
    """A form's empty input is a missing value, not an empty string."""
    return {field: value for field, value in values.items() if not (
        isinstance(value, str) and not value.strip()
    )}
