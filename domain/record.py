"""The programme's record: one event-sourced application whose notification log is the single,
ordered sequence of every domain event (the outbox the relay publishes from).

It knows no context: the contexts save their aggregates into it, and declare on the aggregate
classes whose history grows long enough to need snapshots (`snapshotted_every`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoding

from domain.programme import DomainError

_A = TypeVar("_A", bound=Aggregate)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ProgrammeRecord(Application[UUID]):
    """Where every aggregate of every context is saved. Persistence (SQLite or PostgreSQL) comes
    from the environment the composition root passes in."""

    name = "lgnet"
    # Filled by `snapshotted_every` as the aggregate classes are defined. The snapshot store is
    # on from the start: a record may be opened before those classes are imported, and none of
    # their instances can be saved before its class (hence its declaration) exists.
    is_snapshotting_enabled = True
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


def snapshotted_every(interval: int) -> Callable[[type[_A]], type[_A]]:
    """Declare, on an aggregate class, that the record snapshots its aggregates every `interval`
    events, so that loading one replays its latest snapshot and the events after it. The context
    that owns the aggregate knows how fast its history grows, so the context says it."""

    def declare(aggregate_class: type[_A]) -> type[_A]:
        ProgrammeRecord.snapshotting_intervals[aggregate_class] = interval
        return aggregate_class

    return declare


def position_of(recordings: list[Recording[UUID]]) -> int:
    """The notification-log position of the last event saved: what a reader waits for."""
    return recordings[-1].notification.id


class ConcurrentChanges(DomainError):
    """Raised when what a command needs kept changing under it: every attempt lost its race."""

    code = "concurrent_changes"


def save_decided(
    record: ProgrammeRecord,
    decide: Callable[[], Sequence[MutableOrImmutableAggregate[UUID]]],
    attempts: int,
    busy: Callable[[], DomainError] | None = None,
) -> int:
    """Save what `decide` returns (it loads afresh and applies the rules, raising a refusal
    before anything is saved). When a rival saved one of the same aggregates first (optimistic
    concurrency: IntegrityError, nothing written), decide again on the newer state, up to
    `attempts` times; then raise `busy()` (by default ConcurrentChanges). Returns the position
    of the last event saved."""
    for _attempt in range(attempts):
        aggregates = decide()
        try:
            return position_of(record.save(*aggregates))
        except IntegrityError:
            continue
    raise (busy or _busy)()


def _busy() -> DomainError:
    return ConcurrentChanges(
        "Others changed the same records at the same moment: try again.", field=None)
