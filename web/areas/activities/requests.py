"""What the activity pages and the activities API both receive and carry out: the activity named
in a path and who may reach it, the request models, and the commands that plan, enrol, record,
complete and cancel. One route is as strict as the other. An activity of a city whose cases the
principal may not see is unknown to them (404); one they may see but not act on is refused
(403). Partner systems have no access to activities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may, require
from domain.activities.model import ActivityKind, ActivityPlan, NotACaseOfTheCity
from domain.programme import Actor, City, SubAction
from projections.activities import ActivityDetail
from projections.case_list import CaseFilters
from web.kit.dependencies import Services
from web.kit.errors import UnknownActivity
from web.kit.inputs import AsciiDecimal, Day
from web.kit.principal import SignedIn, city_where
from web.services import WebServices

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
    starts_on: Day = Field(description="Within the programme: 2019-07-01 to 2021-12-31")
    ends_on: Day = Field(description="On or after starts_on, by 2021-12-31")
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

    held_on: Day = Field(description="Within the activity's dates, not after today")
    hours: AsciiDecimal = Field(
        description="More than 0, at most 12, at most two decimals; a string or a number"
    )
    attended: list[UUID] = Field(
        default_factory=list, description="The ids of the enrolled cases who attended"
    )
    residents: int = Field(default=0, ge=0, description="Participants who are not beneficiaries")


class CancellationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


class StaffTrainedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"staff_trained": 18}]})

    staff_trained: int = Field(
        ge=1, le=10_000,
        description="Sub-Action 5: the different municipal staff the training trained, from its "
        "attendance sheets; at least the largest session's count, at most the sessions' counts "
        "summed")


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


async def count_staff_trained(
    services: WebServices, activity: ActivityDetail, request: StaffTrainedRequest, actor: Actor
) -> ActivityReceipt:
    position = await run_in_threadpool(
        services.activities.count_staff_trained, activity.summary.activity_id,
        request.staff_trained, actor, services.now(),
    )
    return await _written(services, activity.summary.activity_id, position)


async def _written(services: WebServices, activity_id: UUID, position: int) -> ActivityReceipt:
    """Wait (up to the read-your-writes timeout) until the register shows the write."""
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return ActivityReceipt(activity_id=activity_id, position=position)
