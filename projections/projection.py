"""What every projection is, and how a batch of published events is applied to projections: in
stream order, each projection skipping what its tracking position says is done, in one
transaction with the tracking positions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from events.cloudevents import Envelope
from projections.storage.read_models import (
    ReadModelDatabase,
    Tracking,
    advance_trackings,
    note_changes,
    trackings_in,
)
from projections.storage.transaction import Transaction


@dataclass(frozen=True, slots=True)
class Delivered:
    """A published event with its JetStream stream sequence (the projection's order key)."""

    stream_seq: int
    envelope: Envelope


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One thing a city's staff must act on (a line of the work queue), as a read model knows it.
    The read models that have due things each offer them through `WorkItemSource`; the work
    queue gathers them, joins them with who holds each case and sorts them by `due`."""

    kind: str  # a code ("referral_answer_due", "follow_up_due"...): the web names and links it
    city: str  # the city code whose staff act on it
    due: datetime  # timezone-aware; a date-only deadline is the end of that day in Italy
    case_id: UUID | None  # the case it concerns, if any
    case_code: str | None
    subject_id: UUID | None  # what it is about: the referral, note, goal, document...


class WorkItemSource(Protocol):
    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        """The city's open items due by `until`, at that moment included (overdue ones too)."""
        ...


class Projection(Protocol):
    name: str

    def create_tables(self, tx: Transaction) -> None: ...

    def drop_tables(self, tx: Transaction) -> None: ...

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        """Apply one event; the same as `apply_all(tx, [envelope])`."""
        ...

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        """Apply events in order, leaving the read model as `apply` of each in turn would: the
        batch form, so a projection writes a batch with a few statements instead of a few per
        event. Never called twice with the same event (the tracking position sees to that)."""
        ...


def apply_batch(
    database: ReadModelDatabase, projection: Projection, batch: Sequence[Delivered]
) -> Tracking:
    """Apply to one projection the events newer than its tracking position; all or nothing.
    Returns the new tracking."""
    return apply_batch_to_all(database, (projection,), batch)[projection.name]


def apply_batch_to_all(
    database: ReadModelDatabase, projections: Sequence[Projection], batch: Sequence[Delivered],
    *, bulk: bool = False,
) -> dict[str, Tracking]:
    """Apply a batch (in ascending stream order) to every projection in ONE transaction that also
    moves every projection's tracking: each projection gets the events newer than its own
    tracking position, so one behind the others catches up and redeliveries or replays change
    nothing. All or nothing. Returns the tracking of each projection after the batch. `bulk`:
    in the database's transaction for many events (`ReadModelDatabase.bulk_transaction`)."""
    with (database.bulk_transaction() if bulk else database.transaction()) as tx:
        trackings = trackings_in(tx, [projection.name for projection in projections])
        if not batch:
            return trackings
        last = batch[-1]
        moved: dict[str, Tracking] = {}
        changed: dict[str, int] = {}
        for projection in projections:
            applied = trackings[projection.name].stream_seq
            if last.stream_seq <= applied:
                continue  # all of it redelivered or replayed: applied already
            start = 0
            if batch[0].stream_seq <= applied:
                start = next(i for i, d in enumerate(batch) if d.stream_seq > applied)
            watched = WritesWatched(tx)
            projection.apply_all(watched, [delivered.envelope for delivered in batch[start:]])
            moved[projection.name] = Tracking(last.stream_seq, last.envelope.position)
            if watched.wrote:
                changed[projection.name] = last.envelope.position
        advance_trackings(tx, moved)
        note_changes(tx, changed)
    trackings.update(moved)
    return trackings


class WritesWatched:
    """A transaction that notes whether a projection wrote through it: any statement but a query,
    unless it reports that it changed no row (an UPDATE matching none, an INSERT ... DO NOTHING
    of a row already there; pipelined, PostgreSQL reports -1: counted as a write). A projection
    that ignores a batch's events writes nothing, and readers keep what they read of its read
    model (`rm_changes`)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self.wrote = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        changed = self._tx.execute(sql, params)
        self.wrote = self.wrote or changed != 0
        return changed

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.wrote = self.wrote or len(rows) > 0
        self._tx.executemany(sql, rows)

    def insert_new(self, table: str, columns: Sequence[str], key: Sequence[str],
                   rows: Sequence[Sequence[Any]]) -> None:
        self.wrote = self.wrote or len(rows) > 0
        self._tx.insert_new(table, columns, key, rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._tx.fetchall(sql, params)

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self._tx.fetchone(sql, params)


def reset(database: ReadModelDatabase, projection: Projection) -> None:
    """Drop the projection's tables and tracking, and create them empty (before a rebuild)."""
    with database.transaction() as tx:
        projection.drop_tables(tx)
        tx.execute("DELETE FROM rm_tracking WHERE projection = ?", (projection.name,))
        tx.execute("DELETE FROM rm_changes WHERE projection = ?", (projection.name,))
        projection.create_tables(tx)


def ensure_created(database: ReadModelDatabase, projection: Projection) -> None:
    with database.transaction() as tx:
        projection.create_tables(tx)
