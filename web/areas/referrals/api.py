"""Referrals: refer a case to a service of its city, to an external partner or to another city
(a transfer), record the answer, the completion or the withdrawal, and read a city's board.

Who may do what: the referring city's staff request, record a service's or partner's answer,
complete and withdraw; the coordinators of the city a transfer goes to accept or decline it,
and see it (not the case) until they accept. A referral of a city the principal may not see is
unknown to them (404). Partner systems have no access to referrals.

The same request bodies and checks serve the pages (web.areas.referrals.pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may, require
from domain.cases.service import CaseNotFound
from domain.network import Actor, City
from domain.referrals.rules import (
    CityService,
    DeclineReason,
    Destination,
    DestinationKind,
    Urgency,
)
from domain.referrals.service import ReferralNotFound
from projections.case_list import CaseRow
from projections.referrals import BoardFilters, ReferralBoard, ReferralRow, ResponseTimes
from web.kit.commands import carry_out
from web.kit.dependencies import Services
from web.kit.errors import UnknownCase, UnknownReferral
from web.kit.principal import ActingPrincipal, CityToView, SignedIn, case_where
from web.services import WebServices

router = APIRouter(tags=["referrals"])


# --- who may see and act ------------------------------------------------------------------------


def referral_id_in_path(
    referral_id: Annotated[
        str, Path(description="The referral's id", json_schema_extra={"format": "uuid"})
    ],
) -> UUID:
    try:
        return UUID(referral_id)
    except ValueError:
        raise UnknownReferral(referral_id) from None


def viewable_referral(
    referral_id: Annotated[UUID, Depends(referral_id_in_path)],
    principal: SignedIn,
    services: Services,
) -> ReferralRow:
    """The referral, for whoever may see the referring city's cases or, for a transfer, the
    target city's; 404 for anyone else, as for an unknown one. Partners: 403."""
    row = services.referral_board.referral(referral_id)
    if row is None:
        raise UnknownReferral(str(referral_id))
    cities = [City(row.city)] + ([City(row.to_city)] if row.is_transfer and row.to_city else [])
    visible = [city for city in cities if may(principal, Permission.VIEW_CASE, city)]
    if not visible:
        raise UnknownReferral(str(referral_id))
    require(principal, Permission.VIEW_CITY, visible[-1])
    return row


ViewableReferral = Annotated[ReferralRow, Depends(viewable_referral)]
CaseToRefer = Annotated[CaseRow, Depends(case_where(Permission.RECORD_CASE_WORK))]


def may_answer(principal: Principal, row: ReferralRow) -> bool:
    """Accept or decline: the target city's coordinators for a transfer, the referring city's
    staff (recording the service's or partner's answer) otherwise."""
    if row.is_transfer and row.to_city:
        return may(principal, Permission.DECIDE_TRANSFER, City(row.to_city))
    return may(principal, Permission.RECORD_CASE_WORK, City(row.city))


def may_follow_up(principal: Principal, row: ReferralRow) -> bool:
    """Complete or withdraw: the referring city's staff."""
    return may(principal, Permission.RECORD_CASE_WORK, City(row.city))


def require_to_answer(principal: Principal, row: ReferralRow) -> None:
    if row.is_transfer and row.to_city:
        require(principal, Permission.DECIDE_TRANSFER, City(row.to_city))
    else:
        require(principal, Permission.RECORD_CASE_WORK, City(row.city))


def require_to_follow_up(principal: Principal, row: ReferralRow) -> None:
    require(principal, Permission.RECORD_CASE_WORK, City(row.city))


# --- what is posted -----------------------------------------------------------------------------


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class ReferralRequest(BaseModel):
    """Where to refer the case, how urgently, and on what consent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [
            {"destination_kind": "city_service", "service": "health", "urgency": "immediate",
             "note": "Needs a prenatal check"},
            {"destination_kind": "partner", "partner_name": "Caritas Ambrosiana",
             "consent_override_reason": "Risk of harm: no shelter tonight"},
            {"destination_kind": "transfer", "to_city": "firenze",
             "note": "Family reunification"},
        ]
    })

    destination_kind: DestinationKind
    service: CityService | None = Field(default=None, description="For a city service")
    partner_name: str | None = Field(
        default=None, description="For a partner: the organisation's name, 1 to 120 characters"
    )
    to_city: City | None = Field(
        default=None, description="For a transfer: another city of the network"
    )
    urgency: Urgency | None = Field(default=None, description=(
        "immediate: answer due in 24 hours; within_72_hours; ordinary: 15 days. Without it, "
        "within_72_hours for a vulnerable person and ordinary otherwise"
    ))
    note: str | None = Field(default=None, description="Up to 500 characters; never a name")
    consent_override_reason: str | None = Field(default=None, description=(
        "A partner referral without the person's consent to referral to partners: the "
        "coordinator's reason for overriding it (coordinators only; recorded with the event)"
    ))

    _blanks = field_validator(
        "service", "partner_name", "to_city", "urgency", "note", "consent_override_reason",
        mode="before",
    )(_blank_is_none)

    def destination(self) -> Destination:
        return Destination(
            self.destination_kind, service=self.service, partner_name=self.partner_name,
            to_city=self.to_city,
        )


class Decline(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"reason": "no_capacity"},
                     {"reason": "other", "note": "The course starts in June"}]
    })

    reason: DeclineReason
    note: str | None = Field(default=None, description="Required when the reason is `other`")

    _blanks = field_validator("note", mode="before")(_blank_is_none)


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome_note: str | None = Field(default=None, description="What came of it, optional")

    _blanks = field_validator("outcome_note", mode="before")(_blank_is_none)


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"reason": "The person found a job"}]
    })

    # Its presence and length are the domain's rules (so the refusal is the domain's words).
    reason: str = Field(description="Why the referral is withdrawn, up to 500 characters")


class BoardQuery(BaseModel):
    destination_kind: DestinationKind | None = None
    urgency: Urgency | None = None

    _blanks = field_validator("destination_kind", "urgency", mode="before")(_blank_is_none)

    def filters(self) -> BoardFilters:
        return BoardFilters(
            destination_kind=self.destination_kind.value if self.destination_kind else None,
            urgency=self.urgency.value if self.urgency else None,
        )


# --- carrying it out (pages and API alike) ------------------------------------------------------


async def refer(
    services: WebServices, case: CaseRow, wanted: ReferralRequest, actor: Actor
) -> tuple[UUID, int]:
    """Record the referral and wait (at most the read-your-writes timeout) for the board to
    show it. The domain refuses (DomainError) before anything is written."""
    referral_id = services.new_id()

    def command() -> int:
        try:
            return services.referrals.request(
                referral_id, case.case_id, wanted.destination(), wanted.urgency, wanted.note,
                actor, services.now(), consent_override_reason=wanted.consent_override_reason,
            )
        except CaseNotFound:
            raise UnknownCase(str(case.case_id)) from None

    position = await carry_out(services, command)
    return referral_id, position


Answer = Literal["accept", "decline", "complete", "withdraw"]


async def record(
    services: WebServices, row: ReferralRow, principal: Principal, answer: Answer,
    body: Decline | Completion | Withdrawal | None = None,
) -> int:
    """Record an answer, a completion or a withdrawal, once `principal` may; wait for the board
    to show it. Returns the last event's position."""
    if answer in ("accept", "decline"):
        require_to_answer(principal, row)
    else:
        require_to_follow_up(principal, row)
    actor = principal.actor
    referrals = services.referrals

    def command() -> int:
        now = services.now()
        try:
            match answer, body:
                case "accept", _:
                    return referrals.accept(row.referral_id, actor, now)
                case "decline", Decline():
                    return referrals.decline(row.referral_id, body.reason, body.note, actor, now)
                case "complete", Completion() | None:
                    note = body.outcome_note if body else None
                    return referrals.complete(row.referral_id, note, actor, now)
                case "withdraw", Withdrawal():
                    return referrals.withdraw(row.referral_id, body.reason, actor, now)
        except (ReferralNotFound, CaseNotFound):
            raise UnknownReferral(str(row.referral_id)) from None
        raise TypeError(f"{answer} takes another body than {type(body).__name__}")

    position = await carry_out(services, command)
    return position


# --- what is answered ---------------------------------------------------------------------------


class ReferralOut(BaseModel):
    referral_id: UUID
    case_id: UUID
    case_code: str
    city: str = Field(description="The referring city")
    destination_kind: str
    service: str | None
    partner_name: str | None
    to_city: str | None = Field(description="For a transfer: the city asked to take the case")
    urgency: str
    due_at: datetime = Field(description="When the answer is due")
    deadline: Literal["overdue", "due_soon", "on_time"] | None = Field(
        description="While the answer is awaited: overdue, due within 24 hours, or on time"
    )
    note: str | None
    consent_basis: str = Field(description="consent, or override (a coordinator's decision)")
    consent_override_reason: str | None
    status: str = Field(description="requested, accepted, declined, completed or withdrawn")
    requested_at: datetime
    answered_at: datetime | None
    response_seconds: int | None = Field(description="From the request to the answer")
    answered_in_time: bool | None
    decline_reason: str | None
    decline_note: str | None
    finished_at: datetime | None = Field(description="When it was completed or withdrawn")
    outcome_note: str | None
    withdrawal_reason: str | None

    @classmethod
    def of(cls, row: ReferralRow, now: datetime) -> ReferralOut:
        return cls(
            referral_id=row.referral_id, case_id=row.case_id, case_code=row.case_code,
            city=row.city, destination_kind=row.destination_kind, service=row.service,
            partner_name=row.partner_name, to_city=row.to_city, urgency=row.urgency,
            due_at=row.due_at, deadline=row.deadline(now),  # type: ignore[arg-type]
            note=row.note, consent_basis=row.consent_basis,
            consent_override_reason=row.consent_override_reason, status=row.status,
            requested_at=row.requested_at, answered_at=row.answered_at,
            response_seconds=row.response_seconds, answered_in_time=row.answered_in_time,
            decline_reason=row.decline_reason, decline_note=row.decline_note,
            finished_at=row.finished_at, outcome_note=row.outcome_note,
            withdrawal_reason=row.withdrawal_reason,
        )


class ReferralRecorded(BaseModel):
    referral_id: UUID
    position: int = Field(description="The last event's position in the event log")
    referral: ReferralOut | None = Field(
        description="The referral as the board shows it now; null while the board lags"
    )


class ResponseTimesOut(BaseModel):
    answered: int
    answered_in_time: int
    average_seconds: int | None
    longest_seconds: int | None
    average_seconds_by_urgency: dict[str, int]

    @classmethod
    def of(cls, times: ResponseTimes) -> ResponseTimesOut:
        return cls(answered=times.answered, answered_in_time=times.answered_in_time,
                   average_seconds=times.average_seconds, longest_seconds=times.longest_seconds,
                   average_seconds_by_urgency=times.by_urgency)


class ReferralBoardOut(BaseModel):
    city: str
    at: datetime = Field(description="The time `deadline` and the lists are judged at")
    overdue: list[ReferralOut]
    due_soon: list[ReferralOut] = Field(description="Due within the next 24 hours")
    waiting: list[ReferralOut] = Field(description="The other referrals awaiting an answer")
    recently_answered: list[ReferralOut]
    incoming_transfers: list[ReferralOut] = Field(
        description="Other cities' requests that this city take a case over"
    )
    response_times: ResponseTimesOut

    @classmethod
    def of(cls, board: ReferralBoard, times: ResponseTimes) -> ReferralBoardOut:
        def out(rows: tuple[ReferralRow, ...]) -> list[ReferralOut]:
            return [ReferralOut.of(row, board.now) for row in rows]

        return cls(
            city=board.city, at=board.now, overdue=out(board.overdue),
            due_soon=out(board.due_soon), waiting=out(board.waiting),
            recently_answered=out(board.recently_answered),
            incoming_transfers=out(board.incoming_transfers),
            response_times=ResponseTimesOut.of(times),
        )


def _recorded(services: WebServices, referral_id: UUID, position: int) -> ReferralRecorded:
    row = services.referral_board.referral(referral_id)
    shown = row if row is not None and row.last_position >= position else None
    return ReferralRecorded(
        referral_id=referral_id, position=position,
        referral=ReferralOut.of(shown, services.now()) if shown else None,
    )


# --- routes ------------------------------------------------------------------------------------


@router.post(
    "/cases/{case_id}/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralRecorded,
    name="api_request_referral",
    summary="Refer a case",
    responses={201: {"description": "Recorded; Location names the new referral"}},
)
async def request_referral(
    case: CaseToRefer,
    wanted: ReferralRequest,
    services: Services,
    actor: ActingPrincipal,
    request: Request,
    response: Response,
) -> ReferralRecorded:
    """Refused (422, nothing written) when the case is closed, the destination is incomplete
    or is the case's own city, the case already awaits an answer from that destination, or a
    partner referral lacks the person's consent and a coordinator's reasoned override."""
    referral_id, position = await refer(services, case, wanted, actor)
    response.headers["Location"] = str(
        request.app.url_path_for("api_get_referral", referral_id=str(referral_id))
    )
    return await run_in_threadpool(_recorded, services, referral_id, position)


@router.get(
    "/cities/{city}/referrals", response_model=ReferralBoardOut, name="api_referral_board",
    summary="A city's referrals: overdue, due soon, awaiting, answered, incoming transfers",
)
def referral_board(
    city: CityToView, query: Annotated[BoardQuery, Query()], services: Services
) -> ReferralBoardOut:
    board = services.referral_board.board(city.value, services.now(), query.filters())
    return ReferralBoardOut.of(board, services.referral_board.response_times(city.value))


@router.get(
    "/referrals/{referral_id}", response_model=ReferralOut, name="api_get_referral",
    summary="One referral",
)
def get_referral(referral: ViewableReferral, services: Services) -> ReferralOut:
    return ReferralOut.of(referral, services.now())


async def _answered(
    services: WebServices, row: ReferralRow, principal: Principal, answer: Answer,
    body: Decline | Completion | Withdrawal | None = None,
) -> ReferralRecorded:
    position = await record(services, row, principal, answer, body)
    return await run_in_threadpool(_recorded, services, row.referral_id, position)


@router.post(
    "/referrals/{referral_id}/acceptance", response_model=ReferralRecorded,
    name="api_accept_referral", summary="Record that the destination accepted",
)
async def accept_referral(
    referral: ViewableReferral, services: Services, principal: SignedIn
) -> ReferralRecorded:
    """A transfer is accepted by a coordinator of the city it goes to: the case becomes that
    city's at once."""
    return await _answered(services, referral, principal, "accept")


@router.post(
    "/referrals/{referral_id}/decline", response_model=ReferralRecorded,
    name="api_decline_referral", summary="Record that the destination declined, and why",
)
async def decline_referral(
    referral: ViewableReferral, decline: Decline, services: Services, principal: SignedIn
) -> ReferralRecorded:
    return await _answered(services, referral, principal, "decline", decline)


@router.post(
    "/referrals/{referral_id}/completion", response_model=ReferralRecorded,
    name="api_complete_referral", summary="Record that the referral was carried out",
)
async def complete_referral(
    referral: ViewableReferral, services: Services, principal: SignedIn,
    completion: Completion | None = None,
) -> ReferralRecorded:
    """A referral still awaiting its answer is accepted and completed at once. A transfer is
    never completed."""
    return await _answered(services, referral, principal, "complete", completion)


@router.post(
    "/referrals/{referral_id}/withdrawal", response_model=ReferralRecorded,
    name="api_withdraw_referral", summary="Withdraw a referral, saying why",
)
async def withdraw_referral(
    referral: ViewableReferral, withdrawal: Withdrawal, services: Services, principal: SignedIn
) -> ReferralRecorded:
    return await _answered(services, referral, principal, "withdraw", withdrawal)
