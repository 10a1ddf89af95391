"""The programme's record (domain/record.py, issue 20): dates kept as dates, the classes that
declare a snapshot interval, the position a save returns (its last event's), and a decision
lost to rivals decided again up to its attempts and not one more, then refused as busy.

DOMAIN.md, "Placement": a bed is never given twice; the record keeps that by optimistic
concurrency (a rival's save first makes this one fail, and the command decides again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from domain.programme import DomainError
from domain.record import (
    ConcurrentChanges,
    DateAsISO,
    ProgrammeRecord,
    position_of,
    save_decided,
    snapshotted_every,
)
from tests.builders import NOW


class Dated(Aggregate):
    class Started(Aggregate.Created):
        on: date

    def __init__(self, on: date) -> None:
        self.on = on

    class Moved(Aggregate.Event):
        on: date

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Dated)
            aggregate.on = self.on

    @classmethod
    def start(cls, on: date) -> Dated:
        return cls._create(cls.Started, id=uuid4(), timestamp=NOW, on=on)

    def move(self, on: date) -> None:
        self.trigger_event(self.Moved, timestamp=NOW, on=on)


def test_a_date_is_kept_as_its_iso_text_and_read_back_a_date() -> None:
    transcoding = DateAsISO()
    assert (transcoding.type, transcoding.name) == (date, "date_iso")
    assert transcoding.encode(date(2021, 3, 9)) == "2021-03-09"
    assert transcoding.decode("2021-03-09") == date(2021, 3, 9)
    record = ProgrammeRecord()
    dated = Dated.start(date(2021, 3, 9))
    record.save(dated)
    (stored,) = record.recorder.select_notifications(1, 1)
    assert b'"2021-03-09"' in stored.state
    loaded: Dated = record.repository.get(dated.id)
    assert type(loaded.on) is date and loaded.on == date(2021, 3, 9)
    # The library's own transcodings are still registered beside it: a UUID and a datetime.
    assert record.mapper.transcoder.decode(record.mapper.transcoder.encode(
        {"id": dated.id, "at": NOW})) == {"id": dated.id, "at": NOW}


def test_a_class_declares_its_snapshot_interval_and_stays_itself() -> None:
    class Snapshotted(Aggregate):
        pass

    assert snapshotted_every(7)(Snapshotted) is Snapshotted
    assert ProgrammeRecord.snapshotting_intervals[Snapshotted] == 7
    del ProgrammeRecord.snapshotting_intervals[Snapshotted]


def test_a_save_returns_the_position_of_its_last_event() -> None:
    record = ProgrammeRecord()
    first, second = Dated.start(date(2021, 3, 9)), Dated.start(date(2021, 3, 10))
    second.move(date(2021, 3, 11))
    assert position_of(record.save(first, second)) == 3
    assert record.recorder.max_notification_id() == 3


def rivals(
    record: ProgrammeRecord, dated_id: UUID, losses: int,
) -> tuple[list[int], Callable[[], Sequence[Dated]]]:
    """A decision that moves the aggregate on a day after each rival's: the first `losses`
    decisions each lose to a rival that saved the same aggregate after it was loaded."""
    decided: list[int] = []

    def decide() -> Sequence[Dated]:
        dated: Dated = record.repository.get(dated_id)
        decided.append(dated.version)
        if len(decided) <= losses:
            rival: Dated = record.repository.get(dated_id)
            rival.move(date(2021, 4, len(decided)))
            record.save(rival)
        dated.move(date(2021, 5, 1))
        return [dated]

    return decided, decide


def test_a_decision_lost_to_rivals_is_decided_again_up_to_its_attempts() -> None:
    record = ProgrammeRecord()
    dated = Dated.start(date(2021, 3, 9))
    record.save(dated)
    decided, decide = rivals(record, dated.id, losses=2)
    assert save_decided(record, decide, 3) == 4  # two rivals' events, then this one
    assert decided == [1, 2, 3]  # decided again on what each rival left
    assert record.repository.get(dated.id).on == date(2021, 5, 1)


def test_every_attempt_lost_raises_the_busy_refusal_given_or_concurrent_changes() -> None:
    record = ProgrammeRecord()
    dated = Dated.start(date(2021, 3, 9))
    record.save(dated)
    decided, decide = rivals(record, dated.id, losses=3)
    with pytest.raises(ConcurrentChanges) as busy:
        save_decided(record, decide, 3)
    assert (busy.value.code, busy.value.message, busy.value.params) == (
        "concurrent_changes", "Others changed the same records at the same moment: try again.",
        {"field": None})
    assert decided == [1, 2, 3]  # three attempts, not one more
    assert record.recorder.max_notification_id() == 4  # the rivals' saves only

    class Busy(DomainError):
        code = "busy"

    decided, decide = rivals(record, dated.id, losses=2)
    with pytest.raises(Busy):
        save_decided(record, decide, 2, lambda: Busy("Busy.", field=None))
    assert len(decided) == 2


def test_no_attempt_allowed_is_busy_at_once() -> None:
    record = ProgrammeRecord()

    def decide() -> list[Dated]:
        raise AssertionError("never decided")

    with pytest.raises(ConcurrentChanges):
        save_decided(record, decide, 0)
