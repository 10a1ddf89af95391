"""The activity register: each city's community activities by sub-action, with their sessions,
participants and hours, and the totals per sub-action.

Hours are decimals: stored as TEXT and summed in Python as Decimal, never as floats (a float sum
of 0.1-hour steps drifts, and the figures go into reports to the EU)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from events.activities import (
    ActivityCancelledV1,
    ActivityCompletedV1,
    ActivityParticipantEnrolledV1,
    ActivityPlannedV1,
    ActivitySessionHeldV1,
    ActivityStaffTrainedCountedV1,
)
from events.cloudevents import Envelope
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

ACTIVITY_STATUS_PLANNED = "planned"
ACTIVITY_STATUS_COMPLETED = "completed"
ACTIVITY_STATUS_CANCELLED = "cancelled"
ZERO_HOURS = Decimal("0.00")


@dataclass(frozen=True)
class ActivitySummary:
    activity_id: UUID
    city: str
    sub_action: str
    kind: str
    title: str
    neighbourhood: str
    starts_on: date
    ends_on: date
    organiser: str
    status: str
    planned_at: datetime
    sessions: int
    participants: int
    residents: int
    """Resident attendances: the residents counted at each session, summed."""
    hours: Decimal
    """The sessions' hours, summed."""
    completed_on: date | None
    cancellation_reason: str | None

    @property
    def is_open(self) -> bool:
        return self.status == ACTIVITY_STATUS_PLANNED


@dataclass(frozen=True)
class ParticipantRow:
    case_id: UUID
    case_code: str
    enrolled_at: datetime
    sessions_attended: int
    hours: Decimal


@dataclass(frozen=True)
class SessionRow:
    session_number: int
    held_on: date
    hours: Decimal
    residents: int
    attended: tuple[UUID, ...]


@dataclass(frozen=True)
class ActivityDetail:
    summary: ActivitySummary
    participants: tuple[ParticipantRow, ...]
    sessions: tuple[SessionRow, ...]
    staff_trained: int | None = None
    """Sub-Action 5: the different staff trained, as last counted from the attendance sheets;
    None until counted."""

    @property
    def city(self) -> str:
        return self.summary.city

    def is_enrolled(self, case_id: UUID) -> bool:
        return any(p.case_id == case_id for p in self.participants)


@dataclass(frozen=True)
class SubActionTotals:
    sub_action: str | None
    """None for every sub-action together."""
    activities: int
    beneficiaries: int
    """Distinct cases enrolled (a case in two activities counts once)."""
    residents: int
    hours: Decimal
    participant_hours: Decimal
    """The hours each enrolled participant attended, summed over them."""


@dataclass(frozen=True)
class ActivityRegister:
    city: str
    sub_action: str | None
    activities: tuple[ActivitySummary, ...]
    totals: tuple[SubActionTotals, ...]
    """One per sub-action with activities, in order, then the overall totals."""


_SUMMARY_COLUMNS = (
    "activity_id, city, sub_action, kind, title, neighbourhood, starts_on, ends_on, organiser,"
    " status, planned_at, sessions, participants, residents, hours, completed_on,"
    " cancellation_reason"
)


class ActivityRegisterProjection:
    name = "activity_register"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_activities ("
            " activity_id TEXT PRIMARY KEY, city TEXT NOT NULL, sub_action TEXT NOT NULL,"
            " kind TEXT NOT NULL, title TEXT NOT NULL, neighbourhood TEXT NOT NULL,"
            " starts_on TEXT NOT NULL, ends_on TEXT NOT NULL, organiser TEXT NOT NULL,"
            " status TEXT NOT NULL, planned_at TEXT NOT NULL, sessions INTEGER NOT NULL,"
            " participants INTEGER NOT NULL, residents INTEGER NOT NULL, hours TEXT NOT NULL,"
            " completed_on TEXT, cancellation_reason TEXT, last_position BIGINT NOT NULL)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_activities_city"
            " ON rm_activities (city, sub_action, starts_on)"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_activity_participants ("
            " activity_id TEXT NOT NULL, case_id TEXT NOT NULL, case_code TEXT NOT NULL,"
            " enrolled_at TEXT NOT NULL, position BIGINT NOT NULL,"
            " sessions_attended INTEGER NOT NULL, hours TEXT NOT NULL,"
            " PRIMARY KEY (activity_id, case_id))"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_activity_sessions ("
            " activity_id TEXT NOT NULL, session_number INTEGER NOT NULL,"
            " held_on TEXT NOT NULL, hours TEXT NOT NULL, residents INTEGER NOT NULL,"
            " attended TEXT NOT NULL, position BIGINT NOT NULL,"
            " PRIMARY KEY (activity_id, session_number))"
        )

        # Its own table (not a column of rm_activities): read models built before it existed
        # gain it by CREATE TABLE IF NOT EXISTS, and no count was recorded before it.
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_activity_staff_trained ("
            " activity_id TEXT PRIMARY KEY, staff_trained INTEGER NOT NULL,"
            " position BIGINT NOT NULL)"
        )

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_activity_staff_trained")
        tx.execute("DROP TABLE IF EXISTS rm_activities")
        tx.execute("DROP TABLE IF EXISTS rm_activity_participants")
        tx.execute("DROP TABLE IF EXISTS rm_activity_sessions")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        # Activity events are few next to intakes: one event at a time, in stream order, is
        # plenty; a session reads the hours it adds to.
        for envelope in envelopes:
            data, position = envelope.data, envelope.position
            match data:
                case ActivityPlannedV1():
                    tx.execute(
                        "INSERT INTO rm_activities (activity_id, city, sub_action, kind, title,"
                        " neighbourhood, starts_on, ends_on, organiser, status, planned_at,"
                        " sessions, participants, residents, hours, completed_on,"
                        " cancellation_reason, last_position)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, NULL, NULL, ?)"
                        " ON CONFLICT (activity_id) DO NOTHING",
                        (str(data.activity_id), data.city, data.sub_action, data.kind,
                         data.title, data.neighbourhood, data.starts_on.isoformat(),
                         data.ends_on.isoformat(), data.organiser, ACTIVITY_STATUS_PLANNED,
                         envelope.time.isoformat(), str(ZERO_HOURS), position),
                    )
                case ActivityParticipantEnrolledV1():
                    tx.execute(
                        "INSERT INTO rm_activity_participants (activity_id, case_id, case_code,"
                        " enrolled_at, position, sessions_attended, hours)"
                        " VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (activity_id, case_id)"
                        " DO NOTHING",
                        (str(data.activity_id), str(data.case_id), data.case_code,
                         envelope.time.isoformat(), position, str(ZERO_HOURS)),
                    )
                    tx.execute(
                        "UPDATE rm_activities SET participants = participants + 1,"
                        " last_position = ? WHERE activity_id = ?",
                        (position, str(data.activity_id)),
                    )
                case ActivitySessionHeldV1():
                    self._apply_session(tx, data, position)
                case ActivityCompletedV1():
                    tx.execute(
                        "UPDATE rm_activities SET status = ?, completed_on = ?,"
                        " last_position = ? WHERE activity_id = ?",
                        (ACTIVITY_STATUS_COMPLETED, data.completed_on.isoformat(), position,
                         str(data.activity_id)),
                    )
                case ActivityCancelledV1():
                    tx.execute(
                        "UPDATE rm_activities SET status = ?, cancellation_reason = ?,"
                        " last_position = ? WHERE activity_id = ?",
                        (ACTIVITY_STATUS_CANCELLED, data.reason, position,
                         str(data.activity_id)),
                    )

                case ActivityStaffTrainedCountedV1():
                    # A later count replaces the earlier (a correction), in stream order.
                    tx.execute(
                        "INSERT INTO rm_activity_staff_trained (activity_id, staff_trained,"
                        " position) VALUES (?, ?, ?) ON CONFLICT (activity_id) DO UPDATE SET"
                        " staff_trained = excluded.staff_trained, position = excluded.position",
                        (str(data.activity_id), data.staff_trained, position),
                    )

    @staticmethod
    def _apply_session(tx: Transaction, data: ActivitySessionHeldV1, position: int) -> None:
        activity_id = str(data.activity_id)
        tx.execute(
            "INSERT INTO rm_activity_sessions (activity_id, session_number, held_on, hours,"
            " residents, attended, position) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (activity_id, session_number) DO NOTHING",
            (activity_id, data.session_number, data.held_on.isoformat(), str(data.hours),
             data.residents, ",".join(str(c) for c in data.case_ids), position),
        )
        row = tx.fetchone("SELECT hours FROM rm_activities WHERE activity_id = ?",
                          (activity_id,))
        total = Decimal(row[0]) + data.hours if row else data.hours
        tx.execute(
            "UPDATE rm_activities SET sessions = sessions + 1, residents = residents + ?,"
            " hours = ?, last_position = ? WHERE activity_id = ?",
            (data.residents, str(total), position, activity_id),
        )
        attended = {str(case_id) for case_id in data.case_ids}
        if not attended:
            return
        rows = tx.fetchall(
            "SELECT case_id, hours FROM rm_activity_participants WHERE activity_id = ?",
            (activity_id,),
        )
        tx.executemany(
            "UPDATE rm_activity_participants SET sessions_attended = sessions_attended + 1,"
            " hours = ? WHERE activity_id = ? AND case_id = ?",
            [(str(Decimal(hours) + data.hours), activity_id, case_id)
             for case_id, hours in rows if case_id in attended],
        )


class ActivityRegisterQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def register(self, city: str, sub_action: str | None = None) -> ActivityRegister:
        """The city's activities (of one sub-action, when given), the latest start first, with
        the totals of each sub-action shown and of them all."""
        where, params = "a.city = ?", [city]
        if sub_action:
            where += " AND a.sub_action = ?"
            params.append(sub_action)
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {_SUMMARY_COLUMNS} FROM rm_activities a WHERE {where}"
                " ORDER BY a.starts_on DESC, a.title",
                params,
            )
            enrolments = tx.fetchall(
                "SELECT a.sub_action, p.case_id, p.hours FROM rm_activity_participants p"
                " JOIN rm_activities a ON a.activity_id = p.activity_id"
                f" WHERE {where}",
                params,
            )
        activities = tuple(_summary(row) for row in rows)
        return ActivityRegister(city, sub_action or None, activities,
                                _totals(activities, enrolments))

    def of_case(self, case_id: UUID) -> list[ActivitySummary]:
        """The activities the case is enrolled in, the latest start first."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {', '.join('a.' + c.strip() for c in _SUMMARY_COLUMNS.split(','))}"
                " FROM rm_activities a JOIN rm_activity_participants p"
                " ON p.activity_id = a.activity_id WHERE p.case_id = ?"
                " ORDER BY a.starts_on DESC, a.title",
                (str(case_id),),
            )
        return [_summary(row) for row in rows]

    def activity(self, activity_id: UUID) -> ActivityDetail | None:
        with self.database.reading() as tx:
            row = tx.fetchone(
                f"SELECT {_SUMMARY_COLUMNS} FROM rm_activities WHERE activity_id = ?",
                (str(activity_id),),
            )
            if row is None:
                return None
            participants = tx.fetchall(
                "SELECT case_id, case_code, enrolled_at, sessions_attended, hours"
                " FROM rm_activity_participants WHERE activity_id = ? ORDER BY position",
                (str(activity_id),),
            )
            sessions = tx.fetchall(
                "SELECT session_number, held_on, hours, residents, attended"
                " FROM rm_activity_sessions WHERE activity_id = ? ORDER BY session_number",
                (str(activity_id),),
            )
            counted = tx.fetchone(
                "SELECT staff_trained FROM rm_activity_staff_trained WHERE activity_id = ?",
                (str(activity_id),),
            )
        return ActivityDetail(
            summary=_summary(row),
            participants=tuple(
                ParticipantRow(UUID(p[0]), p[1], datetime.fromisoformat(p[2]), int(p[3]),
                               Decimal(p[4]))
                for p in participants
            ),
            sessions=tuple(
                SessionRow(int(s[0]), date.fromisoformat(s[1]), Decimal(s[2]), int(s[3]),
                           tuple(UUID(c) for c in s[4].split(",") if c))
                for s in sessions
            ),
            staff_trained=int(counted[0]) if counted is not None else None,
        )


def _summary(row: tuple[Any, ...]) -> ActivitySummary:
    return ActivitySummary(
        activity_id=UUID(row[0]), city=row[1], sub_action=row[2], kind=row[3], title=row[4],
        neighbourhood=row[5], starts_on=date.fromisoformat(row[6]),
        ends_on=date.fromisoformat(row[7]), organiser=row[8], status=row[9],
        planned_at=datetime.fromisoformat(row[10]), sessions=int(row[11]),
        participants=int(row[12]), residents=int(row[13]), hours=Decimal(row[14]),
        completed_on=date.fromisoformat(row[15]) if row[15] else None,
        cancellation_reason=row[16],
    )


def _totals(
    activities: Sequence[ActivitySummary], enrolments: Sequence[tuple[Any, ...]]
) -> tuple[SubActionTotals, ...]:
    def totals_of(sub_action: str | None) -> SubActionTotals:
        chosen = [a for a in activities if sub_action in (None, a.sub_action)]
        enrolled = [e for e in enrolments if sub_action in (None, e[0])]
        return SubActionTotals(
            sub_action=sub_action,
            activities=len(chosen),
            beneficiaries=len({e[1] for e in enrolled}),
            residents=sum(a.residents for a in chosen),
            hours=sum((a.hours for a in chosen), ZERO_HOURS),
            participant_hours=sum((Decimal(e[2]) for e in enrolled), ZERO_HOURS),
        )

    sub_actions = sorted({a.sub_action for a in activities})
    return (*(totals_of(s) for s in sub_actions), totals_of(None))
