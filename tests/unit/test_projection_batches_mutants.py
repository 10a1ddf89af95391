"""Applying batches to projections (projections/projection.py), as the mutation pass of issue 20
holds it (docs/testing.md, "Projections pass, part 3"): each projection gets exactly the events
newer than its own tracking (a batch starting at, before or after it; a projection already past
the batch skipped without stopping the others), the tracking moves to the batch's last stream
sequence and event position, an empty batch moves nothing, and a rebuild's batch runs in the
database's bulk transaction while the projector's does not. The projection is a stand-in that
records what it is given; the read models' own tests are in test_projection_*_mutants.py."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest

from events.cloudevents import Actor, Envelope, event_id, source_for
from events.contracts import CaseReopenedV2
from projections.projection import (
    Delivered,
    apply_batch,
    apply_batch_to_all,
    ensure_created,
    reset,
)
from projections.storage.read_models import SqliteReadModels, Tracking
from projections.storage.transaction import Transaction

T0 = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)
ACTOR = Actor(kind="user", id="coordinator-7", role="city_coordinator", city="firenze")


class Recording:
    """A projection that writes each event's position to its table (so a rollback shows)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(f"CREATE TABLE IF NOT EXISTS rm_{self.name} (position BIGINT NOT NULL)")

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute(f"DROP TABLE IF EXISTS rm_{self.name}")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, [envelope])

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            tx.execute(f"INSERT INTO rm_{self.name} (position) VALUES (?)", (envelope.position,))


class Watched(SqliteReadModels):
    """Remembers which kind of transaction each write ran in."""

    def __init__(self, path: Path) -> None:
        self.opened: list[str] = []
        super().__init__(path)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        self.opened.append("transaction")
        with super().transaction() as tx:
            yield tx

    @contextmanager
    def bulk_transaction(self) -> Iterator[Transaction]:
        self.opened.append("bulk")
        with super().bulk_transaction() as tx:
            yield tx


PROJECTIONS = ("alpha", "beta", "gamma")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Watched]:
    db = Watched(tmp_path / "readmodels.sqlite")
    for name in PROJECTIONS:
        ensure_created(db, Recording(name))
    db.opened.clear()
    yield db
    db.close()


def delivered(*seqs: int) -> list[Delivered]:
    """Stream sequence n carries the event at position 10 * n."""
    return [Delivered(n, Envelope(
        id=event_id("case", n), source=source_for("firenze"), type=CaseReopenedV2.ce_type(),
        subject="FI-2021-00001", time=T0, position=10 * n, actor=ACTOR,
        data=CaseReopenedV2(case_id=UUID(int=1), case_code="FI-2021-00001", city="firenze",
                            reopened_on=T0.date(), reason_id=None, reason_digest=None)))
        for n in seqs]


def applied(database: SqliteReadModels, name: str) -> list[int]:
    with database.reading() as tx:
        rows = tx.fetchall(f"SELECT position FROM rm_{name} ORDER BY rowid")
    return [int(row[0]) for row in rows]


def test_a_batch_moves_the_tracking_to_its_last_event(database: Watched) -> None:
    assert apply_batch(database, Recording("alpha"), delivered(1, 2, 3)) == Tracking(3, 30)

    assert applied(database, "alpha") == [10, 20, 30]
    assert database.tracking("alpha") == Tracking(3, 30)
    assert database.tracking("beta") == Tracking(0, 0)


def test_each_projection_gets_what_is_newer_than_its_own_tracking(database: Watched) -> None:
    apply_batch(database, Recording("alpha"), delivered(1, 2, 3, 4, 5))  # past the batch
    apply_batch(database, Recording("gamma"), delivered(1, 2))

    trackings = apply_batch_to_all(
        database, [Recording(name) for name in PROJECTIONS], delivered(2, 3, 4))

    assert trackings == {"alpha": Tracking(5, 50), "beta": Tracking(4, 40),
                         "gamma": Tracking(4, 40)}
    assert applied(database, "alpha") == [10, 20, 30, 40, 50]
    assert applied(database, "beta") == [20, 30, 40]
    assert applied(database, "gamma") == [10, 20, 30, 40]
    assert database.trackings(list(PROJECTIONS)) == trackings


def test_a_batch_starting_just_after_the_tracking(database: Watched) -> None:
    apply_batch(database, Recording("alpha"), delivered(1, 2))

    assert apply_batch(database, Recording("alpha"), delivered(3)) == Tracking(3, 30)
    assert apply_batch(database, Recording("alpha"), delivered(4, 5)) == Tracking(5, 50)

    assert applied(database, "alpha") == [10, 20, 30, 40, 50]


def test_a_redelivery_of_the_last_event_applied_changes_nothing(database: Watched) -> None:
    apply_batch(database, Recording("alpha"), delivered(1, 2))

    assert apply_batch(database, Recording("alpha"), delivered(2)) == Tracking(2, 20)
    assert apply_batch(database, Recording("alpha"), delivered(1, 2)) == Tracking(2, 20)
    assert apply_batch(database, Recording("alpha"), delivered(2, 3)) == Tracking(3, 30)

    assert applied(database, "alpha") == [10, 20, 30]


def test_an_empty_batch_moves_nothing(database: Watched) -> None:
    apply_batch(database, Recording("alpha"), delivered(1))

    assert apply_batch_to_all(database, [Recording("alpha"), Recording("beta")], []) == {
        "alpha": Tracking(1, 10), "beta": Tracking(0, 0)}
    assert applied(database, "beta") == []


def test_only_a_rebuild_s_batch_runs_in_the_bulk_transaction(database: Watched) -> None:
    apply_batch_to_all(database, [Recording("alpha")], delivered(1))
    assert database.opened == ["transaction"]

    apply_batch_to_all(database, [Recording("alpha")], delivered(2), bulk=True)
    assert database.opened == ["transaction", "bulk"]

    apply_batch(database, Recording("beta"), delivered(1))
    assert database.opened == ["transaction", "bulk", "transaction"]
    assert applied(database, "alpha") == [10, 20]


def test_a_reset_empties_one_projection_and_its_tracking(database: Watched) -> None:
    apply_batch_to_all(database, [Recording("alpha"), Recording("beta")], delivered(1, 2))

    reset(database, Recording("alpha"))

    assert applied(database, "alpha") == []
    assert database.tracking("alpha") == Tracking(0, 0)
    assert applied(database, "beta") == [10, 20]
    assert database.tracking("beta") == Tracking(2, 20)
    apply_batch(database, Recording("alpha"), delivered(1))
    assert applied(database, "alpha") == [10]
