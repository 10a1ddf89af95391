"""What the referral pages and the referrals API both receive and carry out: the referral named
in a path and who may see and act on it, the request bodies and the board's filters, and the
commands that refer a case and record an answer, a completion or a withdrawal. One route is as
strict as the other.

Who may do what: the referring city's staff request, record a service's or partner's answer,
complete and withdraw; the coordinators of the city a transfer goes to accept or decline it,
and see it (not the case) until they accept. A referral of a city the principal may not see is
unknown to them (404). Partner systems have no access to referrals."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.access import Permission, Principal, may, require
from domain.cases.service import CaseNotFound
from domain.privacy import LegalBasis
from domain.programme import Actor, City, Priority
from domain.referrals.rules import (
    CityService,
    DeclineReason,
    Destination,
    DestinationKind,
    Urgency,
    in_referral_priority_order,
)
from domain.referrals.service import ReferralNotFound
from domain.vault import CaseText
from projections.case_list import CaseRow
from projections.indicators.arithmetic import durations
from projections.indicators.figures import HOURS, Durations
from projections.referrals import BoardFilters, ReferralBoard, ReferralRow, ResponseTimes
from web.kit.cities import CityField
from web.kit.commands import carry_out
from web.kit.dependencies import Services
from web.kit.errors import UnknownCase, UnknownReferral
from web.kit.forms import blank_is_none
from web.kit.principal import SignedIn, case_where
from web.services import WebServices

# --- the board in the card's priority order ----------------------------------------------------

INTERNATIONAL_PROTECTION_GROUP = "international_protection"


@dataclass(frozen=True)
class _Pending:
    """A pending referral with its case's priority facts as they are now."""

    row: ReferralRow
    international_protection: bool
    vulnerable: bool

    @property
    def case_code(self) -> str:
        return self.row.case_code

    @property
    def requested_at(self) -> datetime:
        return self.row.requested_at


def prioritised_board(
    services: WebServices, board: ReferralBoard
) -> tuple[ReferralBoard, dict[UUID, Priority]]:
    """The board with each deadline group (overdue, due soon, the rest) in the card's priority
    order (domain.referrals.rules.in_referral_priority_order: protection, vulnerability, waiting
    since the request, with the Ministry's weights in force), and each pending referral's
    priority, factor by factor, by referral id."""
    cases = services.case_list.cases(r.case_id for r in board.pending)
    weights = services.programme_terms.terms_in_force().priority_weights
    priorities: dict[UUID, Priority] = {}

    def ordered(rows: tuple[ReferralRow, ...]) -> tuple[ReferralRow, ...]:
        pending = []
        for row in rows:
            case = cases.get(row.case_id)
            pending.append(_Pending(
                row, case is not None and case.priority_group == INTERNATIONAL_PROTECTION_GROUP,
                case is not None and case.is_vulnerable))
        ranked = in_referral_priority_order(pending, weights, board.now)
        priorities.update((entry.row.referral_id, priority) for entry, priority in ranked)
        return tuple(entry.row for entry, _priority in ranked)

    return replace(board, overdue=ordered(board.overdue), due_soon=ordered(board.due_soon),
                   waiting=ordered(board.waiting)), priorities


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


def may_read_texts(principal: Principal, row: ReferralRow) -> bool:
    """The referral's free texts (note, outcome, reasons) are personal data, kept in the vault
    under the person's key: shown to the staff who work on it (the referring city's, and for a
    transfer the target city's coordinators), not to read-only roles."""
    return may_answer(principal, row) or may_follow_up(principal, row)


def referral_texts(
    services: WebServices, principal: Principal, row: ReferralRow
) -> dict[str, CaseText]:
    """The referral's free texts by name (see ReferralService.texts), or none for a reader who
    may not see them. Blocking (the vault): call it from a thread in async code."""
    if not may_read_texts(principal, row):
        return {}
    try:
        return services.referrals.texts(row.referral_id)
    except (ReferralNotFound, CaseNotFound):
        return {}  # the board is ahead of the record (a restore): nothing to show


def transfer_notes(
    services: WebServices, principal: Principal, rows: tuple[ReferralRow, ...]
) -> dict[UUID, CaseText]:
    """The notes of the incoming transfers the board lists, for the coordinators who answer
    them."""
    notes = {}
    for row in rows:
        note = referral_texts(services, principal, row).get("note")
        if note is not None:
            notes[row.referral_id] = note
    return notes


def require_to_answer(principal: Principal, row: ReferralRow) -> None:
    if row.is_transfer and row.to_city:
        require(principal, Permission.DECIDE_TRANSFER, City(row.to_city))
    else:
        require(principal, Permission.RECORD_CASE_WORK, City(row.city))


def require_to_follow_up(principal: Principal, row: ReferralRow) -> None:
    require(principal, Permission.RECORD_CASE_WORK, City(row.city))


def referral_to_answer(referral: ViewableReferral, principal: SignedIn) -> ReferralRow:
    """The referral, once `principal` may accept or decline it: checked as a dependency, so
    that a forbidden caller is refused (403) before its body is even validated."""
    require_to_answer(principal, referral)
    return referral


def referral_to_follow_up(referral: ViewableReferral, principal: SignedIn) -> ReferralRow:
    """The referral, once `principal` may complete or withdraw it (before the body's checks)."""
    require_to_follow_up(principal, referral)
    return referral


ReferralToAnswer = Annotated[ReferralRow, Depends(referral_to_answer)]
ReferralToFollowUp = Annotated[ReferralRow, Depends(referral_to_follow_up)]


# --- what is posted -----------------------------------------------------------------------------



class ReferralRequest(BaseModel):
    """Where to refer the case, how urgently, and, for a partner without the person's consent,
    on which other legal basis."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [
            {"destination_kind": "city_service", "service": "health", "urgency": "immediate",
             "note": "Needs a prenatal check"},
            {"destination_kind": "partner",
             "organisation_id": "6f1c2a4e-8b3d-5e7f-9a1b-2c3d4e5f6a7b",
             "other_legal_basis": "vital_interests"},
            {"destination_kind": "transfer", "to_city": "firenze",
             "note": "Family reunification"},
        ]
    })

    destination_kind: DestinationKind
    service: CityService | None = Field(default=None, description="For a city service")
    organisation_id: UUID | None = Field(
        default=None, description="For a partner: a registered organisation of the case's city, "
        "not retired (GET /api/v1/cities/{city}/organisations). Until issue 12 a partner was "
        "named by a free-text `partner_name`, which is no longer accepted"
    )
    to_city: CityField | None = Field(
        default=None, description="For a transfer: another city of the network"
    )
    urgency: Urgency | None = Field(default=None, description=(
        "immediate, within_72_hours (urgent) or ordinary; the answer is due after the Ministry's "
        "answer time for it (the programme's terms; until it decides: 24 hours, 72 hours, 15 "
        "days). Without it, within_72_hours for a vulnerable person and ordinary otherwise"
    ))
    note: str | None = Field(default=None, description="Up to 500 characters; never a name")
    other_legal_basis: LegalBasis | None = Field(default=None, description=(
        "A partner referral without the person's consent to it: the other legal basis it rests "
        "on (vital_interests, legal_obligation, public_task; coordinators only; recorded with "
        "the event)"
    ))

    _blanks = field_validator(
        "service", "organisation_id", "to_city", "urgency", "note", "other_legal_basis",
        mode="before",
    )(blank_is_none)

    def destination(self) -> Destination:
        return Destination(
            self.destination_kind, service=self.service, organisation_id=self.organisation_id,
            to_city=self.to_city,
        )


class Decline(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"reason": "no_capacity"},
                     {"reason": "other", "note": "The course starts in June"}]
    })

    reason: DeclineReason
    note: str | None = Field(default=None, description="Required when the reason is `other`")

    _blanks = field_validator("note", mode="before")(blank_is_none)


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome_note: str | None = Field(default=None, description="What came of it, optional")

    _blanks = field_validator("outcome_note", mode="before")(blank_is_none)


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"reason": "The person found a job"}]
    })

    # Its presence and length are the domain's rules (so the refusal is the domain's words).
    reason: str = Field(description="Why the referral is withdrawn, up to 500 characters")


class BoardQuery(BaseModel):
    destination_kind: DestinationKind | None = None
    urgency: Urgency | None = None

    _blanks = field_validator("destination_kind", "urgency", mode="before")(blank_is_none)

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
                actor, services.now(), other_legal_basis=wanted.other_legal_basis,
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


_SECONDS_IN_AN_HOUR = 3600


def answer_times(times: ResponseTimes) -> Durations:
    """How fast a city's referrals were answered, as every page and the dashboards say it: the
    median and the 90th percentile, in hours to a tenth (issue 14 item 14: one statistic,
    never a mean beside a median)."""
    return durations(times.seconds, HOURS, _SECONDS_IN_AN_HOUR)
