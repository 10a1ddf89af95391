"""The referrals board: one row per referral, from which each city sees what awaits an answer
(overdue, due soon, the rest), what it was answered lately, the transfers other cities ask it to
take, and the response times the programme's indicators count.

Whether a referral is overdue or due soon depends on when one looks: the queries take `now`
and never read the clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from events.cloudevents import Envelope, utc_text
from events.organisations import OrganisationRegisteredV1
from events.referrals import (
    ReferralAcceptedV1,
    ReferralCompletedV2,
    ReferralDeclinedV2,
    ReferralRequestedV4,
    ReferralWithdrawnV2,
)
from projections.projection import WorkItem
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

STATUS_REQUESTED = "requested"
STATUS_ACCEPTED = "accepted"
STATUS_DECLINED = "declined"
STATUS_COMPLETED = "completed"
STATUS_WITHDRAWN = "withdrawn"
# "Due soon": the answer is due within this time from now.
DUE_SOON_WITHIN = timedelta(hours=24)
RECENTLY_ANSWERED_SHOWN = 20

# The work queue's kinds of item (projections.projection.WorkItem).
REFERRAL_ANSWER_DUE = "referral_answer_due"
TRANSFER_AWAITING_ACCEPTANCE = "transfer_awaiting_acceptance"

OVERDUE = "overdue"
DUE_SOON = "due_soon"
ON_TIME = "on_time"


@dataclass(frozen=True)
class ReferralRow:
    referral_id: UUID
    case_id: UUID
    case_code: str
    city: str
    destination_kind: str
    service: str | None
    partner_name: str | None
    """For a partner: the registered organisation's name, or (organisation_id None) the name
    typed before organisations were registered."""
    to_city: str | None
    urgency: str
    due_at: datetime
    legal_basis: str
    """What the sharing rests on (GDPR art. 6(1)); not_recorded for a v1 override."""
    status: str
    requested_at: datetime
    requested_by_role: str
    answered_at: datetime | None
    response_seconds: int | None
    decline_reason: str | None
    finished_at: datetime | None
    last_position: int
    organisation_id: UUID | None = None
    """For a partner referral since v4: the registered organisation (its name is in the
    organisations read model). None for a legacy partner, named by `partner_name`."""
    # The free texts (note, outcome, reasons) are not here: events carry only their references
    # in the vault (issue 16); the pages read them through the referrals service.

    @property
    def is_pending(self) -> bool:
        return self.status == STATUS_REQUESTED

    @property
    def is_transfer(self) -> bool:
        return self.destination_kind == "transfer"

    def deadline(self, now: datetime) -> str | None:
        """OVERDUE, DUE_SOON or ON_TIME while the answer is awaited; None once answered."""
        if not self.is_pending:
            return None
        if self.due_at <= now:
            return OVERDUE
        return DUE_SOON if self.due_at <= now + DUE_SOON_WITHIN else ON_TIME

    @property
    def answered_in_time(self) -> bool | None:
        if self.answered_at is None:
            return None
        return self.answered_at <= self.due_at


@dataclass(frozen=True)
class BoardFilters:
    destination_kind: str | None = None
    urgency: str | None = None


@dataclass(frozen=True)
class ReferralBoard:
    """A city's referrals as seen at `now`."""

    city: str
    now: datetime
    overdue: tuple[ReferralRow, ...]
    due_soon: tuple[ReferralRow, ...]
    waiting: tuple[ReferralRow, ...]
    recently_answered: tuple[ReferralRow, ...]
    incoming_transfers: tuple[ReferralRow, ...]

    @property
    def pending(self) -> tuple[ReferralRow, ...]:
        """Every referral awaiting its answer, the earliest due first."""
        return (*self.overdue, *self.due_soon, *self.waiting)


@dataclass(frozen=True)
class ResponseTimes:
    """How fast a city's referrals were answered: the programme's rapid-response indicator."""

    city: str
    answered: int
    answered_in_time: int
    longest_seconds: int | None
    seconds: tuple[int, ...] = ()
    """Every answer's time, in seconds, shortest first: what the median and the 90th
    percentile (the one statistic pages show, as the dashboards do) are taken from."""


_COLUMNS = (
    "referral_id", "case_id", "case_code", "city", "destination_kind", "service",
    "partner_name", "to_city", "urgency", "due_at", "legal_basis",
    "status", "requested_at", "requested_by_role", "answered_at",
    "response_seconds", "decline_reason", "finished_at", "last_position",
    "organisation_id",
)
# A registered organisation's name comes from its registration (kept here, beside the board:
# the referral's event carries the id only); a partner named before the registry keeps the
# free-text name its event carried.
_SELECT = (
    "SELECT " + ", ".join(
        "COALESCE(o.partner_organisation_name, rm_referrals.partner_name)"
        if column == "partner_name" else f"rm_referrals.{column}" for column in _COLUMNS)
    + " FROM rm_referrals LEFT JOIN rm_referral_organisations o"
    " ON o.partner_organisation_id = rm_referrals.organisation_id"
)


class ReferralBoardProjection:
    name = "referral_board"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_referrals ("
            " referral_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, case_code TEXT NOT NULL,"
            " city TEXT NOT NULL, destination_kind TEXT NOT NULL, service TEXT,"
            " partner_name TEXT, to_city TEXT, urgency TEXT NOT NULL, due_at TEXT NOT NULL,"
            " legal_basis TEXT NOT NULL,"
            " status TEXT NOT NULL, requested_at TEXT NOT NULL,"
            " requested_by_role TEXT NOT NULL, answered_at TEXT, response_seconds BIGINT,"
            " decline_reason TEXT, finished_at TEXT, last_position BIGINT NOT NULL,"
            " organisation_id TEXT)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_referrals_city ON rm_referrals (city, status, due_at)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_referrals_to_city"
            " ON rm_referrals (to_city, status, due_at)"
        )
        tx.execute("CREATE INDEX IF NOT EXISTS rm_referrals_case ON rm_referrals (case_id)")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_referral_organisations ("
            " partner_organisation_id TEXT PRIMARY KEY, partner_organisation_name TEXT NOT NULL)"
        )

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_referrals")
        tx.execute("DROP TABLE IF EXISTS rm_referral_organisations")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        # Requests are inserted in runs (one statement for many); a run is written before any
        # answer that follows it, which may answer a referral of that run.
        requested: list[tuple[Any, ...]] = []
        for envelope in envelopes:
            data, time, position = envelope.data, envelope.utc_time, envelope.position
            if isinstance(data, ReferralRequestedV4):  # v1 to v3 messages arrive upcast
                requested.append((
                    str(data.referral_id), str(data.case_id), data.case_code, data.city,
                    data.destination_kind, data.service, data.partner_name, data.to_city,
                    data.urgency, utc_text(data.due_at), data.legal_basis,
                    STATUS_REQUESTED, time, envelope.actor.role,
                    None, None, None, None, position,
                    str(data.organisation_id) if data.organisation_id else None,
                ))
                continue
            if requested:
                tx.insert_new("rm_referrals", _COLUMNS, ("referral_id",), requested)
                requested = []
            match data:
                case ReferralAcceptedV1():
                    _answer(tx, data.referral_id, STATUS_ACCEPTED, envelope, position)
                case ReferralDeclinedV2():
                    _answer(tx, data.referral_id, STATUS_DECLINED, envelope, position)
                    tx.execute(
                        "UPDATE rm_referrals SET decline_reason = ? WHERE referral_id = ?",
                        (data.reason, str(data.referral_id)),
                    )
                case ReferralCompletedV2():
                    tx.execute(
                        "UPDATE rm_referrals SET status = ?, finished_at = ?,"
                        " last_position = ? WHERE referral_id = ?",
                        (STATUS_COMPLETED, time, position, str(data.referral_id)),
                    )
                case ReferralWithdrawnV2():
                    tx.execute(
                        "UPDATE rm_referrals SET status = ?, finished_at = ?,"
                        " last_position = ? WHERE referral_id = ?",
                        (STATUS_WITHDRAWN, time, position, str(data.referral_id)),
                    )
                case OrganisationRegisteredV1():
                    tx.execute(
                        "INSERT INTO rm_referral_organisations (partner_organisation_id,"
                        " partner_organisation_name) VALUES (?, ?)"
                        " ON CONFLICT (partner_organisation_id) DO NOTHING",
                        (str(data.organisation_id), data.name),
                    )
        if requested:
            tx.insert_new("rm_referrals", _COLUMNS, ("referral_id",), requested)


def _answer(
    tx: Transaction, referral_id: UUID, status: str, envelope: Envelope, position: int
) -> None:
    """Record the answer and how long it took since the request (the indicator)."""
    row = tx.fetchone(
        "SELECT requested_at FROM rm_referrals WHERE referral_id = ?", (str(referral_id),)
    )
    seconds = None
    if row is not None:
        elapsed = envelope.time - datetime.fromisoformat(row[0])
        seconds = int(elapsed.total_seconds())
    tx.execute(
        "UPDATE rm_referrals SET status = ?, answered_at = ?, response_seconds = ?,"
        " last_position = ? WHERE referral_id = ?",
        (status, envelope.utc_time, seconds, position, str(referral_id)),
    )


class ReferralBoardQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def board(
        self, city: str, now: datetime, filters: BoardFilters | None = None
    ) -> ReferralBoard:
        filters = filters or BoardFilters()
        where, params = ["city = ?", "status = ?"], [city, STATUS_REQUESTED]
        if filters.destination_kind:
            where.append("destination_kind = ?")
            params.append(filters.destination_kind)
        if filters.urgency:
            where.append("urgency = ?")
            params.append(filters.urgency)
        answered_where = " AND ".join(["city = ?", "status <> ?", *where[2:]])
        with self.database.reading() as tx:
            pending = tx.fetchall(
                f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY due_at, case_code", params
            )
            answered = tx.fetchall(
                f"{_SELECT} WHERE {answered_where}"
                " ORDER BY COALESCE(finished_at, answered_at) DESC LIMIT ?",
                [*params, RECENTLY_ANSWERED_SHOWN],
            )
            incoming = tx.fetchall(
                f"{_SELECT} WHERE to_city = ? AND status = ? ORDER BY due_at, case_code",
                (city, STATUS_REQUESTED),
            )
        rows = [_row(r) for r in pending]
        return ReferralBoard(
            city=city,
            now=now,
            overdue=tuple(r for r in rows if r.deadline(now) == OVERDUE),
            due_soon=tuple(r for r in rows if r.deadline(now) == DUE_SOON),
            waiting=tuple(r for r in rows if r.deadline(now) == ON_TIME),
            recently_answered=tuple(_row(r) for r in answered),
            incoming_transfers=tuple(_row(r) for r in incoming),
        )

    def referral(self, referral_id: UUID) -> ReferralRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone(f"{_SELECT} WHERE referral_id = ?", (str(referral_id),))
        return None if row is None else _row(row)

    def of_case(self, case_id: UUID) -> list[ReferralRow]:
        """Every referral of the case, the latest first."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"{_SELECT} WHERE case_id = ? ORDER BY requested_at DESC", (str(case_id),)
            )
        return [_row(r) for r in rows]

    def requested_in(
        self, city: str, *, destination_kind: str | None = None, service: str | None = None,
        status: str | None = None,
    ) -> list[ReferralRow]:
        """The referrals requested in the city, the latest first, narrowed to a destination
        kind, a city service and/or a status."""
        where, params = ["city = ?"], [city]
        for column, value in (("destination_kind", destination_kind), ("service", service),
                              ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY requested_at DESC, referral_id",
                params,
            )
        return [_row(r) for r in rows]

    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        """The work queue's items: the city's referrals (to its services and to partners)
        awaiting an answer due by `until`, and the transfers other cities ask it to take,
        awaiting its acceptance by `until`; each due at its answer deadline (`due_at`, from the
        answer times in force when it was requested). Overdue ones included."""
        with self.database.reading() as tx:
            answers = tx.fetchall(
                "SELECT referral_id, case_id, case_code, due_at FROM rm_referrals"
                " WHERE city = ? AND status = ? AND destination_kind <> ? AND due_at <= ?",
                (city, STATUS_REQUESTED, "transfer", utc_text(until)))
            transfers = tx.fetchall(
                "SELECT referral_id, case_id, case_code, due_at FROM rm_referrals"
                " WHERE to_city = ? AND status = ? AND due_at <= ?",
                (city, STATUS_REQUESTED, utc_text(until)))
        return [
            WorkItem(kind=kind, city=city, due=datetime.fromisoformat(r[3]),
                     case_id=UUID(r[1]) if kind == REFERRAL_ANSWER_DUE else None,
                     case_code=r[2], subject_id=UUID(r[0]))
            for kind, rows in ((REFERRAL_ANSWER_DUE, answers),
                               (TRANSFER_AWAITING_ACCEPTANCE, transfers))
            for r in rows
        ]

    def response_times(self, city: str) -> ResponseTimes:
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT response_seconds, answered_at <= due_at FROM rm_referrals"
                " WHERE city = ? AND response_seconds IS NOT NULL",
                (city,),
            )
        seconds = [int(r[0]) for r in rows]
        return ResponseTimes(
            city=city,
            answered=len(rows),
            answered_in_time=sum(1 for r in rows if r[1]),
            longest_seconds=max(seconds) if seconds else None,
            seconds=tuple(sorted(seconds)),
        )


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _row(row: tuple[Any, ...]) -> ReferralRow:
    values = dict(zip(_COLUMNS, row, strict=True))
    return ReferralRow(
        referral_id=UUID(values["referral_id"]),
        case_id=UUID(values["case_id"]),
        case_code=values["case_code"],
        city=values["city"],
        destination_kind=values["destination_kind"],
        service=values["service"],
        partner_name=values["partner_name"],
        to_city=values["to_city"],
        urgency=values["urgency"],
        due_at=datetime.fromisoformat(values["due_at"]),
        legal_basis=values["legal_basis"],
        status=values["status"],
        requested_at=datetime.fromisoformat(values["requested_at"]),
        requested_by_role=values["requested_by_role"],
        answered_at=_when(values["answered_at"]),
        response_seconds=None if values["response_seconds"] is None
        else int(values["response_seconds"]),
        decline_reason=values["decline_reason"],
        finished_at=_when(values["finished_at"]),
        last_position=int(values["last_position"]),
        organisation_id=UUID(values["organisation_id"]) if values["organisation_id"] else None,
    )
