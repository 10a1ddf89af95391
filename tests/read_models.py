"""Read models on SQLite for the projections' tests: a fresh database holding a projection's
tables, an event as the projector receives it (its envelope), and events applied in batches.

Shared by the tests of every projection (the mutation pass of issue 20 among them): what a test
varies (the projection, the time, the actor, the first stream position) is a keyword; the rest
is what a projection never reads (the envelope's id, source, subject), fixed here once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from events.cloudevents import NETWORK, Actor, Envelope, event_id, source_for
from events.contracts import EventContract
from projections.projection import Delivered, Projection, apply_batch, ensure_created
from projections.storage.read_models import SqliteReadModels


@contextmanager
def read_models_with(tmp_path: Path, *projections: Projection) -> Iterator[SqliteReadModels]:
    """For a test's own fixture (function scope, so no test sees another's rows): a new SQLite
    read-model database with `projections`' tables created, closed when the block ends."""
    database = SqliteReadModels(tmp_path / "readmodels.sqlite")
    try:
        for projection in projections:
            ensure_created(database, projection)
        yield database
    finally:
        database.close()


def read_models_fixture(*projections: Callable[[], Projection]) -> Any:
    """A test module's `database` fixture, in one line: `database = read_models_fixture(
    DocumentsProjection)` gives each test that asks for `database` read models of its own, the
    projections' tables created (a test that writes more first opens `read_models_with`)."""

    @pytest.fixture(name="database")
    def database(tmp_path: Path) -> Iterator[SqliteReadModels]:
        with read_models_with(tmp_path, *(make() for make in projections)) as read_models:
            yield read_models

    return database


def an_envelope(data: EventContract, position: int, *, time: datetime, actor: Actor) -> Envelope:
    """`data` published at stream position `position`, recorded at `time` by `actor`: the only
    parts of an envelope a projection reads besides the event. Its id names the case (or the
    city) and the position, its source the event's city, its subject the case's code (or the
    city), its type the contract's (the only one of them a projection reads: the case list's
    history keeps it)."""
    city = str(getattr(data, "city", None) or NETWORK)
    return Envelope(id=event_id(str(getattr(data, "case_id", city)), position),
                    source=source_for(city), type=data.ce_type(),
                    subject=str(getattr(data, "case_code", city)), time=time,
                    position=position, actor=actor, data=data)


def apply_in_one_batch(database: SqliteReadModels, projection: Projection,
                       events: Iterable[EventContract], *, time: datetime, actor: Actor,
                       first: int = 1) -> list[Delivered]:
    """`events` applied to `projection` in one batch, at consecutive stream positions from
    `first`, all recorded at `time` by `actor`; the batch is returned, to deliver it again."""
    batch = [Delivered(n, an_envelope(event, n, time=time, actor=actor))
             for n, event in enumerate(events, start=first)]
    apply_batch(database, projection, batch)
    return batch


EnvelopeOf = Callable[[EventContract, int], Envelope]


class Feed:
    """Events applied to one projection one batch at a time, each at the next stream position,
    as the projector applies a stream: an event is put in its envelope by `envelope_of`; an
    (event, time) pair is recorded at that time instead; an envelope given ready goes as it is.
    `delivered` keeps every batch applied, in order, to deliver it again."""

    def __init__(self, database: SqliteReadModels, projection: Projection,
                 envelope_of: EnvelopeOf) -> None:
        self.database = database
        self.projection = projection
        self.envelope_of = envelope_of
        self.sequence = 0
        self.delivered: list[Delivered] = []

    def __call__(self, *events: EventContract | tuple[EventContract, datetime] | Envelope
                 ) -> list[Delivered]:
        batch = []
        for event in events:
            self.sequence += 1
            batch.append(Delivered(self.sequence, self._envelope(event)))
        apply_batch(self.database, self.projection, batch)
        self.delivered += batch
        return batch

    def _envelope(self, event: EventContract | tuple[EventContract, datetime] | Envelope
                  ) -> Envelope:
        if isinstance(event, Envelope):
            return event
        if isinstance(event, tuple):
            data, time = event
            return replace(self.envelope_of(data, self.sequence), time=time)
        return self.envelope_of(event, self.sequence)

    def again(self, batch: list[Delivered]) -> None:
        """`batch` delivered once more at its own stream positions (a redelivery after a lost
        acknowledgement)."""
        apply_batch(self.database, self.projection, batch)


def feed_fixture(projection: Callable[[], Projection], envelope_of: EnvelopeOf) -> Any:
    """A test module's `feed` fixture, in one line: `feed = feed_fixture(PlansProjection,
    envelope_of)` gives each test a `Feed` of a new `projection` over its own `database`."""

    @pytest.fixture(name="feed")
    def feed(database: SqliteReadModels) -> Feed:
        return Feed(database, projection(), envelope_of)

    return feed
