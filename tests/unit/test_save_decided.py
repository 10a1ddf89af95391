"""Commands that lose every race to concurrent saves are refused with a domain error (a 4xx a
coordinator can read), never left to escape as a storage error (a 500)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate

from domain.record import ConcurrentChanges, ProgrammeRecord, save_decided


class Note(Aggregate):
    @classmethod
    def numbered(cls, note_id: UUID) -> Note:
        return cls._create(cls.Created, id=note_id)


@pytest.fixture
def record(tmp_path: Path) -> ProgrammeRecord:
    return ProgrammeRecord(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                "SQLITE_DBNAME": str(tmp_path / "events.sqlite")})


def test_a_command_that_always_loses_its_race_is_refused_after_its_attempts(
    record: ProgrammeRecord,
) -> None:
    note_id = uuid4()
    record.save(Note.numbered(note_id))  # a rival got there first, every time
    decided = []

    def decide() -> list[Aggregate]:
        decided.append(1)
        return [Note.numbered(note_id)]  # version 1 again: conflicts with the saved one

    with pytest.raises(ConcurrentChanges):
        save_decided(record, decide, attempts=3)
    assert len(decided) == 3


def test_a_command_that_wins_at_the_second_attempt_returns_its_position(
    record: ProgrammeRecord,
) -> None:
    note_id = uuid4()
    record.save(Note.numbered(note_id))
    attempts = []

    def decide() -> list[Aggregate]:
        attempts.append(1)
        if len(attempts) == 1:
            return [Note.numbered(note_id)]  # stale: loses
        note: object = record.repository.get(note_id)
        assert isinstance(note, Note)
        note.trigger_event(Aggregate.Event)
        return [note]

    assert save_decided(record, decide, attempts=3) == record.recorder.max_notification_id()
    assert len(attempts) == 2
