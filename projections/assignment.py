"""Who holds each case, and who held it when (case assignment: docs/workflows/casework.md).

One row per case (its city, code, holder, whether it is open and when its staff last did
anything on it) and one per holding. A case is held from its intake by whoever recorded it when
city staff did (the intake's `ce-actorid`), until a `case.assigned` event gives it to someone
else; a transfer leaves it with nobody in its new city until someone is assigned there. The
same rule reads histories recorded before assignments existed.

Its work items (the work queue): open cases on which the city's staff recorded nothing for
`inactive_after` (a setting)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from events.assignment import CaseAssignedV1
from events.cloudevents import Envelope, utc_text
from events.contracts import (
    CaseClosedV2,
    CaseIntakeRecordedV2,
    CaseReopenedV2,
    CaseTransferredV1,
)
from projections.projection import WorkItem
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

CITY_ROLES = ("city_operator", "city_coordinator")
CASE_INACTIVE = "case_inactive"
DEFAULT_INACTIVE_AFTER = timedelta(days=30)
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class HolderRow:
    case_id: UUID
    case_code: str
    city: str
    holder: str | None
    since: datetime
    open: bool
    last_activity: datetime


@dataclass(frozen=True)
class HoldingRow:
    """`holder` held the case for `city` from `since` (None: nobody); `assigned_by` None: by
    default, as the intake's recorder (or, with `holder` None, a transfer)."""

    position: int
    city: str
    holder: str | None
    since: datetime
    assigned_by: str | None


def _recorder(envelope: Envelope) -> str | None:
    actor = envelope.actor
    return actor.id if actor.kind == "user" and actor.role in CITY_ROLES else None


def _case_ids(data: Any) -> tuple[str, ...]:
    case_id = getattr(data, "case_id", None)
    if case_id is not None:
        return (str(case_id),)
    return tuple(str(c) for c in getattr(data, "case_ids", ()) or ())


class AssignmentProjection:
    name = "assignment"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_case_holders ("
            " case_id TEXT PRIMARY KEY, case_code TEXT NOT NULL, city TEXT NOT NULL,"
            " holder TEXT, since TEXT NOT NULL, is_open INTEGER NOT NULL,"
            " last_activity TEXT NOT NULL)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_case_holders_city ON rm_case_holders (city, holder)")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_case_holdings ("
            " case_id TEXT NOT NULL, position BIGINT NOT NULL, city TEXT NOT NULL,"
            " holder TEXT, since TEXT NOT NULL, assigned_by TEXT,"
            " PRIMARY KEY (case_id, position))"
        )

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_case_holders")
        tx.execute("DROP TABLE IF EXISTS rm_case_holdings")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        # The new rows are written in one go per table (`insert_new`) rather than two statements
        # an event: a run of intakes is one INSERT of many rows into each table (measured,
        # docs/benchmarks.md, issue 15). The cases' rows wait only until an UPDATE needs them
        # (stream order: an intake and what follows it can be in the same batch); the holdings
        # are never updated, so they wait for the end.
        holders: list[tuple[Any, ...]] = []
        holdings: list[tuple[Any, ...]] = []
        # The latest activity of each case in the batch: one UPDATE a case at the end instead of
        # one an event (a round trip each on PostgreSQL: a quarter of a rebuild's time there).
        # The same rows: nothing else writes last_activity after the intake, it only moves
        # forward, and activity seen before a case's intake is applied before it, as it was.
        activity: dict[str, str] = {}

        def update(sql: str, params: tuple[Any, ...]) -> None:
            if holders:
                tx.insert_new("rm_case_holders", _HOLDER_COLUMN_NAMES, ("case_id",), holders)
                holders.clear()
            tx.execute(sql, params)

        for envelope in envelopes:
            data, time, position = envelope.data, envelope.utc_time, envelope.position
            match data:
                case CaseIntakeRecordedV2():  # v1 messages arrive upcast
                    holder = _recorder(envelope)
                    case_id = str(data.case_id)
                    if case_id in activity:
                        # Activity before this intake in the batch: applied where it was.
                        earlier = activity.pop(case_id)
                        update("UPDATE rm_case_holders SET last_activity = ?"
                               " WHERE case_id = ? AND last_activity < ?",
                               (earlier, case_id, earlier))
                    holders.append((case_id, data.case_code, data.city, holder, time, 1, time))
                    holdings.append((case_id, position, data.city, holder, time, None))
                    # Its own activity is the row's last_activity already: no UPDATE.
                    continue
                case CaseAssignedV1():
                    update("UPDATE rm_case_holders SET holder = ?, since = ?"
                           " WHERE case_id = ?", (data.assignee, time, str(data.case_id)))
                    holdings.append((str(data.case_id), position, data.city, data.assignee,
                                     time, envelope.actor.id))
                case CaseTransferredV1():
                    update("UPDATE rm_case_holders SET holder = NULL, since = ?, city = ?"
                           " WHERE case_id = ?", (time, data.city, str(data.case_id)))
                    holdings.append((str(data.case_id), position, data.city, None, time, None))
                case CaseClosedV2():
                    update("UPDATE rm_case_holders SET is_open = 0 WHERE case_id = ?",
                           (str(data.case_id),))
                case CaseReopenedV2():
                    update("UPDATE rm_case_holders SET is_open = 1 WHERE case_id = ?",
                           (str(data.case_id),))
            # Activity: anything the city's staff recorded on the case (a system job's age
            # update is no work on it).
            if envelope.actor.kind == "user" and envelope.actor.role in CITY_ROLES:
                for case_id in _case_ids(data):
                    if time > activity.get(case_id, ""):
                        activity[case_id] = time
        if holders:
            tx.insert_new("rm_case_holders", _HOLDER_COLUMN_NAMES, ("case_id",), holders)
        if activity:
            tx.executemany("UPDATE rm_case_holders SET last_activity = ?"
                           " WHERE case_id = ? AND last_activity < ?",
                           [(latest, case_id, latest) for case_id, latest in activity.items()])
        if holdings:
            tx.insert_new("rm_case_holdings", _HOLDING_COLUMN_NAMES, ("case_id", "position"),
                          holdings)


_HOLDER_COLUMN_NAMES = ("case_id", "case_code", "city", "holder", "since", "is_open",
                        "last_activity")
_HOLDING_COLUMN_NAMES = ("case_id", "position", "city", "holder", "since", "assigned_by")
_HOLDER_COLUMNS = "case_id, case_code, city, holder, since, is_open, last_activity"


def _holder_row(row: tuple[Any, ...]) -> HolderRow:
    return HolderRow(
        case_id=UUID(row[0]), case_code=row[1], city=row[2], holder=row[3],
        since=datetime.fromisoformat(row[4]), open=bool(row[5]),
        last_activity=datetime.fromisoformat(row[6]),
    )


class AssignmentQueries:
    def __init__(self, database: ReadModelDatabase,
                 inactive_after: timedelta = DEFAULT_INACTIVE_AFTER) -> None:
        self.database = database
        self.inactive_after = inactive_after

    def holder(self, case_id: UUID) -> HolderRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone(f"SELECT {_HOLDER_COLUMNS} FROM rm_case_holders WHERE case_id = ?",
                              (str(case_id),))
        return None if row is None else _holder_row(row)

    def holders(self, case_ids: Iterable[UUID]) -> dict[UUID, str | None]:
        """Who holds each of these cases (those known), by id."""
        wanted = sorted({str(case_id) for case_id in case_ids})
        found: dict[UUID, str | None] = {}
        with self.database.reading() as tx:
            for start in range(0, len(wanted), _IDS_PER_QUERY):
                chunk = wanted[start:start + _IDS_PER_QUERY]
                rows = tx.fetchall(
                    "SELECT case_id, holder FROM rm_case_holders"
                    f" WHERE case_id IN ({', '.join('?' * len(chunk))})", chunk)
                found.update((UUID(r[0]), r[1]) for r in rows)
        return found

    def held_by(self, city: str, holder: str) -> list[UUID]:
        """The cases of `city` that `holder` holds now (open and closed), by case code."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT case_id FROM rm_case_holders WHERE city = ? AND holder = ?"
                " ORDER BY case_code", (city, holder))
        return [UUID(r[0]) for r in rows]

    def history(self, case_id: UUID) -> list[HoldingRow]:
        """Who held the case, from its intake on, in order."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT position, city, holder, since, assigned_by FROM rm_case_holdings"
                " WHERE case_id = ? ORDER BY position", (str(case_id),))
        return [HoldingRow(int(r[0]), r[1], r[2], datetime.fromisoformat(r[3]), r[4])
                for r in rows]

    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        """Open cases of the city with no work recorded for `inactive_after`: due when that
        time has passed since the last."""
        latest = until - self.inactive_after
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT case_id, case_code, last_activity FROM rm_case_holders"
                " WHERE city = ? AND is_open = 1 AND last_activity <= ?"
                " ORDER BY last_activity, case_code", (city, utc_text(latest)))
        return [
            WorkItem(kind=CASE_INACTIVE, city=city,
                     due=datetime.fromisoformat(r[2]) + self.inactive_after,
                     case_id=UUID(r[0]), case_code=r[1], subject_id=UUID(r[0]))
            for r in rows
        ]
