"""Community activities (Sub-Actions 2, 3, 5, 6) as JSON: a city's register, one activity with its
participants and sessions, and the commands that plan, enrol, record, complete and cancel (their
request models, access and commands are web.areas.activities.requests, shared with the pages).
Partner systems have no access to activities."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field

from domain.programme import SubAction
from projections.activities import (
    ActivityDetail,
    ActivityRegister,
    ActivitySummary,
    SubActionTotals,
)
from web.areas.activities.requests import (
    ActivityPlanRequest,
    ActivityReceipt,
    ActivityToManage,
    ActivityToWorkOn,
    CancellationRequest,
    CityOfActivities,
    CityToPlanIn,
    EnrolmentRequest,
    SessionRequest,
    StaffTrainedRequest,
    ViewableActivity,
    cancel,
    complete,
    count_staff_trained,
    enrol,
    plan,
    record_session,
)
from web.kit.dependencies import Services
from web.kit.principal import ActingPrincipal
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["activities"])


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
    "/activities/{activity_id}/staff-trained", response_model=ActivityReceipt,
    name="api_count_staff_trained",
    summary="Count the different municipal staff a Sub-Action 5 training trained",
)
async def count_activity_staff_trained(
    activity: ActivityToManage, body: StaffTrainedRequest, services: Services,
    actor: ActingPrincipal,
) -> ActivityReceipt:
    return await count_staff_trained(services, activity, body, actor)


@router.post(
    "/activities/{activity_id}/cancellation", response_model=ActivityReceipt,
    name="api_cancel_activity", summary="Cancel an activity, saying why",
)
async def cancel_activity(
    activity: ActivityToManage, body: CancellationRequest, services: Services,
    actor: ActingPrincipal,
) -> ActivityReceipt:
    return await cancel(services, activity, body, actor)
