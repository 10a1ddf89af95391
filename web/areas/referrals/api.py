"""Referrals as JSON: refer a case to a service of its city, to an external partner or to another
city (a transfer), record the answer, the completion or the withdrawal, and read a city's board.
The request bodies, the checks of who may do what and the commands are
web.areas.referrals.requests, shared with the pages. Partner systems have no access to
referrals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from domain.access import Principal
from domain.programme import Priority
from domain.vault import CaseText
from projections.referrals import ReferralBoard, ReferralRow, ResponseTimes
from web.areas.referrals.requests import (
    Answer,
    BoardQuery,
    CaseToRefer,
    Completion,
    Decline,
    ReferralRequest,
    ReferralToAnswer,
    ReferralToFollowUp,
    ViewableReferral,
    Withdrawal,
    answer_times,
    prioritised_board,
    record,
    refer,
    referral_texts,
)
from web.kit.dependencies import Services
from web.kit.principal import ActingPrincipal, CityToView, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.terms import PriorityOut
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, tags=["referrals"])


# --- what is answered ---------------------------------------------------------------------------


class ReferralOut(BaseModel):
    referral_id: UUID
    case_id: UUID
    case_code: str
    city: str = Field(description="The referring city")
    destination_kind: str
    service: str | None
    partner_name: str | None = Field(description=(
        "For a partner: the registered organisation's name; for a referral recorded before "
        "organisations were registered (organisation_id null), the name as it was typed"))
    organisation_id: UUID | None = Field(default=None, description=(
        "For a partner: the registered organisation (GET /api/v1/cities/{city}/organisations)"))
    to_city: str | None = Field(description="For a transfer: the city asked to take the case")
    urgency: str
    due_at: datetime = Field(description="When the answer is due")
    deadline: Literal["overdue", "due_soon", "on_time"] | None = Field(
        description="While the answer is awaited: overdue, due within 24 hours, or on time"
    )
    note: str | None = Field(description=(
        "Free text, personal data: kept in the vault under the person's key (never in an "
        "event), and given only to the staff who work on the referral, on the referral's own "
        "endpoints (null on the board)"))
    legal_basis: str = Field(description=(
        "What the sharing rests on (GDPR art. 6(1)): public_task, consent, vital_interests, "
        "legal_obligation; not_recorded for a referral on a coordinator's override recorded "
        "before the legal basis was asked for"))
    consent_override_reason: str | None = Field(
        description="Only for such an override: the coordinator's reason")
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
    priority: PriorityOut | None = Field(
        default=None, description="On the board, while the answer is awaited: the card's "
        "priority of the person (protection, vulnerability, waiting since the request), the "
        "order within each part of the board")

    @classmethod
    def of(
        cls, row: ReferralRow, now: datetime, priority: Priority | None = None,
        texts: Mapping[str, CaseText] | None = None,
    ) -> ReferralOut:
        def text(name: str) -> str | None:
            found = (texts or {}).get(name)
            return found.text if found else None

        return cls(
            referral_id=row.referral_id, case_id=row.case_id, case_code=row.case_code,
            city=row.city, destination_kind=row.destination_kind, service=row.service,
            partner_name=row.partner_name, organisation_id=row.organisation_id,
            to_city=row.to_city, urgency=row.urgency,
            due_at=row.due_at, deadline=row.deadline(now),  # type: ignore[arg-type]
            note=text("note"), legal_basis=row.legal_basis,
            consent_override_reason=text("consent_override_reason"), status=row.status,
            requested_at=row.requested_at, answered_at=row.answered_at,
            response_seconds=row.response_seconds, answered_in_time=row.answered_in_time,
            decline_reason=row.decline_reason, decline_note=text("decline_note"),
            finished_at=row.finished_at, outcome_note=text("outcome_note"),
            withdrawal_reason=text("withdrawal_reason"),
            priority=PriorityOut.of(priority) if priority else None,
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
    median_hours: Decimal | None = Field(
        description="The median time to answer, in hours to a tenth (as the dashboards)")
    p90_hours: Decimal | None = Field(
        description="The 90th percentile of the time to answer (PERCENTILE.INC), in hours "
                    "to a tenth: 9 answers in 10 came within it")
    longest_seconds: int | None

    @classmethod
    def of(cls, times: ResponseTimes) -> ResponseTimesOut:
        statistic = answer_times(times)
        return cls(answered=times.answered, answered_in_time=times.answered_in_time,
                   median_hours=statistic.median, p90_hours=statistic.p90,
                   longest_seconds=times.longest_seconds)


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
    def of(
        cls, board: ReferralBoard, times: ResponseTimes, priorities: dict[UUID, Priority]
    ) -> ReferralBoardOut:
        def out(rows: tuple[ReferralRow, ...]) -> list[ReferralOut]:
            return [ReferralOut.of(row, board.now, priorities.get(row.referral_id))
                    for row in rows]

        return cls(
            city=board.city, at=board.now, overdue=out(board.overdue),
            due_soon=out(board.due_soon), waiting=out(board.waiting),
            recently_answered=out(board.recently_answered),
            incoming_transfers=out(board.incoming_transfers),
            response_times=ResponseTimesOut.of(times),
        )


def _recorded(
    services: WebServices, principal: Principal, referral_id: UUID, position: int
) -> ReferralRecorded:
    row = services.referral_board.referral(referral_id)
    shown = row if row is not None and row.last_position >= position else None
    return ReferralRecorded(
        referral_id=referral_id, position=position,
        referral=ReferralOut.of(
            shown, services.now(), texts=referral_texts(services, principal, shown),
        ) if shown else None,
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
    principal: SignedIn,
    request: Request,
    response: Response,
) -> ReferralRecorded:
    """Refused (422, nothing written) when the case is closed, the destination is incomplete
    or is the case's own city, the case already awaits an answer from that destination, or a
    partner referral lacks both the person's consent and another legal basis named by a
    coordinator."""
    referral_id, position = await refer(services, case, wanted, actor)
    response.headers["Location"] = str(
        request.app.url_path_for("api_get_referral", referral_id=str(referral_id))
    )
    return await run_in_threadpool(_recorded, services, principal, referral_id, position)


@router.get(
    "/cities/{city}/referrals", response_model=ReferralBoardOut, name="api_referral_board",
    summary="A city's referrals: overdue, due soon, awaiting, answered, incoming transfers",
)
def referral_board(
    city: CityToView, query: Annotated[BoardQuery, Query()], services: Services
) -> ReferralBoardOut:
    board, priorities = prioritised_board(
        services, services.referral_board.board(city.value, services.now(), query.filters()))
    return ReferralBoardOut.of(
        board, services.referral_board.response_times(city.value), priorities)


@router.get(
    "/referrals/{referral_id}", response_model=ReferralOut, name="api_get_referral",
    summary="One referral",
)
def get_referral(
    referral: ViewableReferral, services: Services, principal: SignedIn
) -> ReferralOut:
    return ReferralOut.of(
        referral, services.now(), texts=referral_texts(services, principal, referral))


async def _answered(
    services: WebServices, row: ReferralRow, principal: Principal, answer: Answer,
    body: Decline | Completion | Withdrawal | None = None,
) -> ReferralRecorded:
    position = await record(services, row, principal, answer, body)
    return await run_in_threadpool(_recorded, services, principal, row.referral_id, position)


@router.post(
    "/referrals/{referral_id}/acceptance", response_model=ReferralRecorded,
    name="api_accept_referral", summary="Record that the destination accepted",
)
async def accept_referral(
    referral: ReferralToAnswer, services: Services, principal: SignedIn
) -> ReferralRecorded:
    """A transfer is accepted by a coordinator of the city it goes to: the case becomes that
    city's at once."""
    return await _answered(services, referral, principal, "accept")


@router.post(
    "/referrals/{referral_id}/decline", response_model=ReferralRecorded,
    name="api_decline_referral", summary="Record that the destination declined, and why",
)
async def decline_referral(
    referral: ReferralToAnswer, decline: Decline, services: Services, principal: SignedIn
) -> ReferralRecorded:
    return await _answered(services, referral, principal, "decline", decline)


@router.post(
    "/referrals/{referral_id}/completion", response_model=ReferralRecorded,
    name="api_complete_referral", summary="Record that the referral was carried out",
)
async def complete_referral(
    referral: ReferralToFollowUp, services: Services, principal: SignedIn,
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
    referral: ReferralToFollowUp, withdrawal: Withdrawal, services: Services, principal: SignedIn
) -> ReferralRecorded:
    return await _answered(services, referral, principal, "withdraw", withdrawal)
