"""The projector against a real nats-server: events published to stream LGNET as the relay
publishes them (CloudEvents headers, `Nats-Msg-Id: lgnet:<position>`) reach both read models, in
order, exactly once, through failures, redeliveries, replays, restarts and rebuilds."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import subprocess
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import api as js_api

import infra.pipeline.projector.rebuild as rebuild_module
import infra.pipeline.projector.runner as projector_module
from events.cloudevents import Envelope, from_message, to_headers
from events.contracts import FOUNDING_CITIES as CITIES
from events.contracts import CaseIntakeRecordedV2
from infra.nats import streams
from infra.nats.server import EmbeddedNats, find_nats_server, free_port, port_is_taken
from infra.nats.streams import MSG_ID, STREAM_NAME, ensure_stream, msg_id_for, read_stream
from infra.pipeline.projector.rebuild import StreamMissing, rebuild
from infra.pipeline.projector.runner import (
    DEFAULT_DURABLE,
    Projector,
    ProjectorAlreadyRunning,
    ProjectorError,
    legacy_durable_name,
)
from infra.runtime import projector_part
from projections.case_list import CaseFilters, CaseListQueries
from projections.network_overview import NetworkOverviewQueries
from projections.projection import Delivered, Projection, apply_batch
from projections.registry import default_projections
from projections.storage.read_models import ReadModelDatabase, SqliteReadModels, Tracking
from projections.storage.transaction import Transaction
from tests.unit.test_projections import RecordsOrder, an_envelope, an_intake_recorded

pytestmark = pytest.mark.nats

PROTECTION_STATUSES = ("refugee", "asylum_seeker", "subsidiary_protection", "other")
VULNERABILITY_SETS: tuple[list[str], ...] = ([], ["disability"], [], ["minor", "pregnancy"])


def varied_intakes(first: int, count: int, cities: Sequence[str] = CITIES[:6]) -> list[Envelope]:
    """Intakes numbered from `first` (their event-store position too), spread over `cities`, with
    varied protection statuses, vulnerabilities and dates."""
    envelopes = []
    for number in range(first, first + count):
        intake = an_intake_recorded(
            number,
            cities[number % len(cities)],
            protection_status=PROTECTION_STATUSES[number % 4],
            vulnerabilities=VULNERABILITY_SETS[number % len(VULNERABILITY_SETS)],
            intake_date=date(2021, 1, 1) + timedelta(days=number % 17),
        )
        envelopes.append(an_envelope(intake, position=number))
    return envelopes


async def publish(nats_url: str, envelopes: Iterable[Envelope]) -> None:
    """Publish as the relay does: stream LGNET, subject lgnet.<city>.case.intake_recorded."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        await ensure_stream(js)
        for envelope in envelopes:
            assert isinstance(envelope.data, CaseIntakeRecordedV2)
            await js.publish(
                envelope.data.subject(envelope.data.city),
                envelope.data.model_dump_json().encode(),
                headers={**to_headers(envelope), MSG_ID: msg_id_for(envelope.position)},
            )
    finally:
        await connection.close()


@asynccontextmanager
async def projecting(
    database: ReadModelDatabase, projections: Sequence[Projection], nats_url: str, **options: Any
) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(Projector(database, projections, nats_url, **options).run(stop))
    try:
        yield task
    finally:
        stop.set()
        async with asyncio.timeout(20):
            await task


async def until_applied(
    database: ReadModelDatabase, projections: Sequence[Projection], stream_seq: int,
    projector: asyncio.Task[None], timeout: float = 20,
) -> None:
    deadline = time.monotonic() + timeout
    while any(database.tracking(p.name).stream_seq < stream_seq for p in projections):
        if projector.done():
            projector.result()  # raises what stopped it
            raise AssertionError("the projector stopped")
        assert time.monotonic() < deadline, f"not applied up to {stream_seq} in {timeout}s"
        await asyncio.sleep(0.02)


async def until_acknowledged(
    nats_url: str, stream_seq: int, timeout: float = 5, durable: str = DEFAULT_DURABLE
) -> None:
    """Until the projector's consumer has every message up to `stream_seq` acknowledged."""
    connection = await nats.connect(nats_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            info = await connection.jetstream().consumer_info(STREAM_NAME, durable)
            if (info.ack_floor.stream_seq, info.num_ack_pending) == (stream_seq, 0):
                break
            assert time.monotonic() < deadline, f"{durable} left unacknowledged: {info}"
            await asyncio.sleep(0.05)
    finally:
        await connection.close()


async def consumer_names(nats_url: str) -> set[str]:
    connection = await nats.connect(nats_url)
    try:
        return {info.name for info in await connection.jetstream().consumers_info(STREAM_NAME)}
    finally:
        await connection.close()


READ_MODEL_TABLES = ("rm_cases", "rm_case_history", "rm_network_cities", "rm_network_protection")


def contents(database: ReadModelDatabase, *extra_tables: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the read models and of the tracking table, sorted."""
    with database.reading() as tx:
        return {
            table: sorted(tx.fetchall(f"SELECT * FROM {table}"))
            for table in (*READ_MODEL_TABLES, *extra_tables, "rm_tracking")
        }


@dataclass
class FailsOnceAt:
    """Wraps a projection so that applying the event at `position` raises the first time."""

    inner: Projection
    position: int
    attempts: int = 0
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.inner.name

    def create_tables(self, tx: Transaction) -> None:
        self.inner.create_tables(tx)

    def drop_tables(self, tx: Transaction) -> None:
        self.inner.drop_tables(tx)

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, [envelope])

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        if any(envelope.position == self.position for envelope in envelopes):
            self.attempts += 1
            if self.attempts == 1:
                raise RuntimeError(f"failing once, at event {self.position}")
        self.inner.apply_all(tx, envelopes)


@dataclass
class SlowAt:
    """Wraps a projection so that applying the event at `position` takes `seconds` (once)."""

    inner: Projection
    position: int
    seconds: float
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.inner.name

    def create_tables(self, tx: Transaction) -> None:
        self.inner.create_tables(tx)

    def drop_tables(self, tx: Transaction) -> None:
        self.inner.drop_tables(tx)

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, [envelope])

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        if self.seconds and any(envelope.position == self.position for envelope in envelopes):
            time.sleep(self.seconds)
            self.seconds = 0
        self.inner.apply_all(tx, envelopes)


@pytest.fixture
def read_models(tmp_path: Path) -> Iterable[SqliteReadModels]:
    database = SqliteReadModels(tmp_path / "readmodels.sqlite")
    yield database
    database.close()


@pytest.fixture
def other_read_models(tmp_path: Path) -> Iterable[SqliteReadModels]:
    database = SqliteReadModels(tmp_path / "other-readmodels.sqlite")
    yield database
    database.close()


def newest_first(envelopes: Iterable[Envelope]) -> list[str]:
    intakes = [e.data for e in envelopes if isinstance(e.data, CaseIntakeRecordedV2)]
    intakes.sort(key=lambda i: (i.intake_date, i.case_code), reverse=True)
    return [i.case_code for i in intakes]


async def test_published_events_appear_in_both_read_models(
    nats_server: EmbeddedNats, read_models: SqliteReadModels
) -> None:
    events = varied_intakes(1, 120)
    await publish(nats_server.url, events)
    projections = default_projections()
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 120, projector)

    cases = CaseListQueries(read_models)
    city = "bari"
    in_city = [e for e in events if e.data.city == city]  # type: ignore[attr-defined]
    page = cases.list_cases(city, page_size=500)
    assert [r.case_code for r in page.rows] == newest_first(in_city)

    def expected(keep: Any) -> list[str]:
        return newest_first(e for e in in_city if keep(e.data))

    def listed(**filters: str) -> list[str]:
        return [r.case_code for r in cases.list_cases(city, CaseFilters(**filters), 1, 500).rows]

    assert listed(status="open") == newest_first(in_city)
    assert listed(vulnerability="disability") == expected(
        lambda d: "disability" in d.vulnerabilities
    )
    assert listed(vulnerability="none") == expected(lambda d: not d.vulnerabilities)
    assert listed(protection_status="asylum_seeker") == expected(
        lambda d: d.protection_status == "asylum_seeker"
    )
    # v1's "other" is read as another residence permit (events.upcasting).
    assert listed(vulnerability="any", protection_status="other_residence_permit") == expected(
        lambda d: d.vulnerabilities and d.protection_status == "other_residence_permit"
    )
    pages = [cases.list_cases(city, page=n, page_size=7) for n in range(1, 4)]
    assert [r.case_code for p in pages for r in p.rows] == newest_first(in_city)
    assert (pages[0].total, pages[0].pages) == (20, 3)

    overview = NetworkOverviewQueries(read_models).overview()
    assert [c.city for c in overview.cities] == list(CITIES)
    for figures in overview.cities:
        mine = [e.data for e in events if e.data.city == figures.city]  # type: ignore[attr-defined]
        assert figures.cases == len(mine)
        assert figures.vulnerable_cases == len([d for d in mine if d.vulnerabilities])  # type: ignore[attr-defined]
    assert sum(1 for c in overview.cities if c.cases == 0) == 13
    assert overview.by_protection_status() == {
        "other_residence_permit" if status == "other" else status: 30
        for status in PROTECTION_STATUSES}
    assert read_models.tracking("case_list") == Tracking(stream_seq=120, position=120)


async def test_a_failed_apply_is_redelivered_and_applied_in_order(
    nats_server: EmbeddedNats, read_models: SqliteReadModels,
    other_read_models: SqliteReadModels,
) -> None:
    # A pause at event 150 makes sure that, when event 200 fails, the events after it up to 250
    # have been delivered already (and then acked after the redelivered ones); more arrive later.
    failing_case_list = FailsOnceAt(SlowAt(default_projections()[0], 150, 0.3), position=200)
    failing_order = RecordsOrder(fail_once_at=200)
    failing: list[Projection] = [
        failing_case_list, SlowAt(failing_order, 150, 0.3), *default_projections()[1:]
    ]
    never_failing: list[Projection] = [*default_projections(), RecordsOrder()]
    await publish(nats_server.url, varied_intakes(1, 250))
    async with (
        projecting(read_models, failing, nats_server.url, batch_size=40) as projector,
        projecting(other_read_models, never_failing, nats_server.url, batch_size=40,
                   durable="reference") as reference,
    ):
        await publish(nats_server.url, varied_intakes(251, 50))
        await until_applied(read_models, failing, 300, projector)
        await until_applied(other_read_models, never_failing, 300, reference)
        # Everything is acknowledged, not left to be redelivered after the ack wait.
        await until_acknowledged(nats_server.url, 300)

    # One transaction for every projection: the batch holding event 200 failed in the case list,
    # then (redelivered) in the order recorder, and was applied at the third attempt.
    assert failing_case_list.attempts == 3 and failing_order.attempts_at_failure == 2
    assert RecordsOrder.applied(read_models) == list(range(1, 301))
    assert contents(read_models, "rm_test_apply_order") == contents(
        other_read_models, "rm_test_apply_order"
    )


async def test_replaying_the_stream_into_the_same_read_models_changes_nothing(
    nats_server: EmbeddedNats, read_models: SqliteReadModels
) -> None:
    await publish(nats_server.url, varied_intakes(1, 80))
    projections = default_projections()
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 80, projector)
    projected = contents(read_models)

    # Every message again, from the start of the stream, as a consumer that lost its state would
    # receive them.
    connection = await nats.connect(nats_server.url)
    try:
        messages = await read_stream(connection.jetstream())
    finally:
        await connection.close()
    replay = [
        Delivered(m.metadata.sequence.stream, from_message(m.headers or {}, m.data))
        for m in messages
    ]
    for start in range(0, len(replay), 30):
        for projection in projections:
            apply_batch(read_models, projection, replay[start : start + 30])

    assert len(replay) == 80
    assert contents(read_models) == projected
    assert NetworkOverviewQueries(read_models).overview().total_cases == 80


async def test_redeliveries_after_an_expired_ack_wait_change_nothing(
    nats_server: EmbeddedNats, read_models: SqliteReadModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch slower than the ack wait: JetStream redelivers it and everything after it.
    monkeypatch.setattr(projector_module, "ACK_WAIT_SECONDS", 0.3)
    slow = [SlowAt(p, position=25, seconds=0.9) for p in default_projections()]
    await publish(nats_server.url, varied_intakes(1, 60))
    async with projecting(read_models, slow, nats_server.url, batch_size=10) as projector:
        await until_applied(read_models, slow, 60, projector)
        await until_acknowledged(nats_server.url, 60)

    connection = await nats.connect(nats_server.url)
    try:
        info = await connection.jetstream().consumer_info(STREAM_NAME, DEFAULT_DURABLE)
    finally:
        await connection.close()
    assert info.delivered.consumer_seq > 60, "expected redeliveries"
    assert NetworkOverviewQueries(read_models).overview().total_cases == 60
    assert CaseListQueries(read_models).list_cases("bari").total == 10
    assert read_models.tracking("network_overview") == Tracking(60, 60)


async def test_a_restarted_projector_carries_on_where_its_tracking_says(
    nats_server: EmbeddedNats, read_models: SqliteReadModels
) -> None:
    projections = default_projections()
    await publish(nats_server.url, varied_intakes(1, 40))
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 40, projector)
    await publish(nats_server.url, varied_intakes(41, 30))
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 70, projector)

    assert NetworkOverviewQueries(read_models).overview().total_cases == 70
    assert read_models.tracking("network_overview") == Tracking(70, 70)


async def test_one_consumer_feeds_every_projection_and_old_per_projection_ones_go(
    nats_server: EmbeddedNats, read_models: SqliteReadModels
) -> None:
    projections = default_projections()
    await publish(nats_server.url, varied_intakes(1, 30))
    # Consumers left by a projector of the time when each projection had its own.
    connection = await nats.connect(nats_server.url)
    try:
        for projection in projections:
            await connection.jetstream().add_consumer(STREAM_NAME, js_api.ConsumerConfig(
                durable_name=legacy_durable_name(projection),
                deliver_subject=f"old.{projection.name}",
                ack_policy=js_api.AckPolicy.EXPLICIT,
            ))
    finally:
        await connection.close()
    assert len(await consumer_names(nats_server.url)) == len(projections)

    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 30, projector)
        assert await consumer_names(nats_server.url) == {DEFAULT_DURABLE}
        await until_acknowledged(nats_server.url, 30)


async def test_a_projection_added_later_is_caught_up_while_the_others_carry_on(
    nats_server: EmbeddedNats, read_models: SqliteReadModels,
    other_read_models: SqliteReadModels,
) -> None:
    await publish(nats_server.url, varied_intakes(1, 60))
    async with projecting(read_models, default_projections(), nats_server.url) as projector:
        await until_applied(read_models, default_projections(), 60, projector)

    # Restarted with one more projection: the consumer starts from the lowest tracking (0), the
    # projections that have applied 1-60 skip them.
    with_new_one: list[Projection] = [*default_projections(), RecordsOrder()]
    await publish(nats_server.url, varied_intakes(61, 20))
    async with projecting(read_models, with_new_one, nats_server.url) as projector:
        await until_applied(read_models, with_new_one, 80, projector)
    async with projecting(other_read_models, with_new_one, nats_server.url,
                          durable="reference") as reference:
        await until_applied(other_read_models, with_new_one, 80, reference)

    assert RecordsOrder.applied(read_models) == list(range(1, 81))
    assert NetworkOverviewQueries(read_models).overview().total_cases == 80
    assert contents(read_models, "rm_test_apply_order") == contents(
        other_read_models, "rm_test_apply_order"
    )


async def test_stopping_acknowledges_everything_applied(
    nats_server: EmbeddedNats, read_models: SqliteReadModels
) -> None:
    projections = default_projections()
    await publish(nats_server.url, varied_intakes(1, 50))
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 50, projector)

    await until_acknowledged(nats_server.url, 50, timeout=0)
    connection = await nats.connect(nats_server.url)
    try:
        info = await connection.jetstream().consumer_info(STREAM_NAME, DEFAULT_DURABLE)
        assert not info.push_bound
    finally:
        await connection.close()


async def test_the_projector_carries_on_after_the_nats_server_restarts(
    nats_server: EmbeddedNats, read_models: SqliteReadModels
) -> None:
    projections = default_projections()
    await publish(nats_server.url, varied_intakes(1, 30))
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 30, projector)
        nats_server.stop()
        nats_server.start()  # same port and store: the stream and the consumers are still there
        await publish(nats_server.url, varied_intakes(31, 30))
        await until_applied(read_models, projections, 60, projector)

    assert NetworkOverviewQueries(read_models).overview().total_cases == 60


async def test_the_projector_part_starts_again_after_a_failure_instead_of_ending(
    tmp_path: Path, read_models: SqliteReadModels
) -> None:
    """In a cluster, a JetStream request of the projector's start (reading the stream, creating
    its consumer) can fail while a killed node's groups elect new leaders; nothing restarts the
    process, so the part (infra.runtime.projector_part) must start the projector again: here
    the server answers no JetStream request at first (started without JetStream), then is
    replaced by one with JetStream on the same port, and the events published there are
    applied."""
    port = free_port()
    no_jetstream = subprocess.Popen(
        [find_nats_server(), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = EmbeddedNats(store_dir=tmp_path / "jetstream", port=port)
    projections = default_projections()
    stop = asyncio.Event()
    part: asyncio.Task[None] | None = None
    try:
        while not port_is_taken(port):
            await asyncio.sleep(0.02)
        part = asyncio.create_task(
            projector_part(Projector(read_models, projections, server.url))(stop))
        await asyncio.sleep(1.5)  # several starts failed meanwhile: no JetStream answers
        assert not part.done(), part.exception()
        no_jetstream.terminate()
        no_jetstream.wait(10)
        server.start()
        await publish(server.url, varied_intakes(1, 10))
        await until_applied(read_models, projections, 10, part, timeout=30)
    finally:
        stop.set()
        if part is not None:
            async with asyncio.timeout(20):
                await part
        no_jetstream.kill()
        no_jetstream.wait()
        server.stop()
    assert NetworkOverviewQueries(read_models).overview().total_cases == 10


async def test_a_message_deleted_from_the_stream_is_skipped(
    nats_server: EmbeddedNats, read_models: SqliteReadModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streams, "DENY_REMOVAL", False)  # a stream from before issue 19
    await publish(nats_server.url, varied_intakes(1, 10))
    connection = await nats.connect(nats_server.url)
    try:
        await connection.jetstream().delete_msg(STREAM_NAME, 4)
    finally:
        await connection.close()
    projections = default_projections()
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 10, projector)

    assert NetworkOverviewQueries(read_models).overview().total_cases == 9


async def test_the_projector_waits_for_the_relay_to_create_the_stream(
    nats_server: EmbeddedNats, read_models: SqliteReadModels
) -> None:
    projections = default_projections()
    async with projecting(read_models, projections, nats_server.url) as projector:
        await asyncio.sleep(0.4)
        assert not projector.done()
        await publish(nats_server.url, varied_intakes(1, 5))
        await until_applied(read_models, projections, 5, projector)


async def test_a_second_projector_for_the_same_projections_is_refused(
    nats_server: EmbeddedNats, read_models: SqliteReadModels,
    other_read_models: SqliteReadModels,
) -> None:
    await publish(nats_server.url, varied_intakes(1, 5))
    projections = default_projections()
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 5, projector)
        second = Projector(other_read_models, projections, nats_server.url)
        with pytest.raises(ProjectorAlreadyRunning):
            async with asyncio.timeout(10):
                await second.run(asyncio.Event())
        with pytest.raises(ProjectorAlreadyRunning):
            await rebuild(other_read_models, projections, nats_server.url, progress=False)
        assert not projector.done()


async def test_read_models_from_another_history_of_the_stream_are_refused(
    nats_server: EmbeddedNats, read_models: SqliteReadModels
) -> None:
    projections = default_projections()
    await publish(nats_server.url, varied_intakes(1, 10))
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 10, projector)
    # The stream is wiped and refilled with other events: its message 10 is another event now.
    connection = await nats.connect(nats_server.url)
    try:
        await connection.jetstream().delete_stream(STREAM_NAME)
    finally:
        await connection.close()
    await publish(nats_server.url, varied_intakes(101, 10))

    with pytest.raises(ProjectorError, match="another history"):
        await Projector(read_models, projections, nats_server.url).run(asyncio.Event())
    assert read_models.tracking("case_list") == Tracking(10, 10)


async def test_a_rebuild_is_refused_while_another_reads_the_stream_and_changes_nothing(
    nats_server: EmbeddedNats, read_models: SqliteReadModels,
) -> None:
    """Two rebuilds at once would both drop and fill the same read models (seen: every tracking
    at the stream's end, 2,193 cases of 33,927). Another rebuild's consumer on the stream (one
    running, or one that died less than its inactive threshold ago) refuses a rebuild before it
    drops anything; once it is gone, the rebuild runs."""
    projections = default_projections()
    await publish(nats_server.url, varied_intakes(1, 30))
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 30, projector)
    live = contents(read_models)
    connection = await nats.connect(nats_server.url)
    js = connection.jetstream()
    try:
        other = f"{rebuild_module.REBUILD_CONSUMER_PREFIX}other"
        await js.add_consumer(STREAM_NAME, js_api.ConsumerConfig(
            name=other, ack_policy=js_api.AckPolicy.NONE, mem_storage=True))

        with pytest.raises(rebuild_module.RebuildAlreadyRunning,
                           match=f"another rebuild is running \\(its consumer {other} "):
            await rebuild(read_models, projections, nats_server.url, progress=False)
        assert contents(read_models) == live
        # Its own consumer is gone with it: the other rebuild is not refused in turn.
        assert await consumer_names(nats_server.url) == {DEFAULT_DURABLE, other}

        await js.delete_consumer(STREAM_NAME, other)
        assert await rebuild(read_models, projections, nats_server.url, progress=False) == 30
        assert contents(read_models) == live
    finally:
        await connection.close()


async def test_rebuild_needs_the_stream(
    nats_server: EmbeddedNats, read_models: SqliteReadModels
) -> None:
    with pytest.raises(StreamMissing):
        await rebuild(read_models, default_projections(), nats_server.url, progress=False)


@pytest.mark.parametrize("processes", [1, 2])
async def test_rebuild_gives_the_same_read_models_as_the_live_projector(
    nats_server: EmbeddedNats, read_models: SqliteReadModels,
    other_read_models: SqliteReadModels, processes: int,
) -> None:
    projections = default_projections()
    await publish(nats_server.url, varied_intakes(1, 150))
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 150, projector)
    live = contents(read_models)

    # Into the live projector's own database (stale rows must go) and into an empty one; in
    # batches of 40, so that the last is not a whole one.
    assert await rebuild(read_models, projections, nats_server.url, progress=False,
                         processes=processes, batch_size=40) == 150
    assert await rebuild(other_read_models, projections, nats_server.url, progress=False,
                         processes=processes, batch_size=40) == 150
    assert contents(read_models) == live
    assert contents(other_read_models) == live
    assert other_read_models.tracking("case_list") == Tracking(stream_seq=150, position=150)

    # A projector started after a rebuild carries on from the rebuilt tracking.
    await publish(nats_server.url, varied_intakes(151, 20))
    async with projecting(other_read_models, projections, nats_server.url) as projector:
        await until_applied(other_read_models, projections, 170, projector)
    assert NetworkOverviewQueries(other_read_models).overview().total_cases == 170


@pytest.mark.publishes_off_contract
@pytest.mark.parametrize(
    ("processes", "refusal"),
    [
        (1, "'ce-type'"),
        (2, "the rebuild's applying process failed: KeyError: 'ce-type'"),
    ],
)
async def test_a_rebuild_that_meets_a_malformed_message_fails_and_keeps_the_batches_before_it(
    nats_server: EmbeddedNats, read_models: SqliteReadModels, processes: int, refusal: str,
) -> None:
    """A message the projections cannot read (here: no CloudEvents headers) stops the rebuild
    with the reason, in one process or two; the batches before it are applied with their
    tracking, the one holding it is not (all or nothing), so a projector can complete them."""
    await publish(nats_server.url, varied_intakes(1, 100))
    connection = await nats.connect(nats_server.url)
    try:
        await connection.jetstream().publish("lgnet.roma.case.intake_recorded", b"{}")
    finally:
        await connection.close()
    await publish(nats_server.url, varied_intakes(101, 20))

    with pytest.raises((KeyError, ProjectorError), match=re.escape(refusal)):
        await rebuild(read_models, default_projections(), nats_server.url, progress=False,
                      processes=processes, batch_size=40)
    assert read_models.tracking("case_list") == Tracking(stream_seq=80, position=80)
    assert NetworkOverviewQueries(read_models).overview().total_cases == 80


async def _rebuild_watched(
    database: SqliteReadModels, nats_url: str, monkeypatch: pytest.MonkeyPatch,
    batch_size: int, seconds_per_batch: float, meddle: Any = None,
) -> tuple[int, list[int]]:
    """A rebuild whose applying takes `seconds_per_batch` a batch, watched from another
    connection: returns the events applied and, sampled while it ran, how far the rebuild's
    consumer had delivered beyond what was applied. `meddle(js, consumer_name)` is called once
    when the first batch has been applied."""
    applied = [0]
    original = rebuild_module._apply_to_all

    def slow_apply(*arguments: Any) -> None:
        time.sleep(seconds_per_batch)
        original(*arguments)
        applied[0] += len(arguments[2])

    monkeypatch.setattr(rebuild_module, "_apply_to_all", slow_apply)
    ahead: list[int] = []
    connection = await nats.connect(nats_url)
    js = connection.jetstream()
    rebuilding = asyncio.create_task(
        rebuild(database, default_projections(), nats_url, progress=False, batch_size=batch_size))
    meddled = meddle is None
    try:
        while not rebuilding.done():
            consumers = [info for info in await js.consumers_info(STREAM_NAME)
                         if info.name != DEFAULT_DURABLE]
            for info in consumers:
                if info.delivered is not None:
                    ahead.append(info.delivered.stream_seq - applied[0])
            if not meddled and applied[0] and consumers:
                await meddle(js, consumers[0].name)
                meddled = True
            await asyncio.sleep(0.02)
        return await rebuilding, ahead
    finally:
        rebuilding.cancel()
        await connection.close()


async def test_the_rebuild_receives_no_more_than_a_few_batches_ahead_of_applying(
    nats_server: EmbeddedNats, read_models: SqliteReadModels, other_read_models: SqliteReadModels,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 15: at 1,000,001 events the server ran 480,000 messages ahead of a rebuild that
    applied slower than it received (1.5 GB of memory). The server now sends what is asked for:
    at most the batches waiting to be applied, those asked for, and the one being collected."""
    await publish(nats_server.url, varied_intakes(1, 1_200))
    projections = default_projections()
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 1_200, projector)

    applied, ahead = await _rebuild_watched(other_read_models, nats_server.url, monkeypatch,
                                            batch_size=50, seconds_per_batch=0.05)

    assert applied == 1_200
    bound = (rebuild_module.REBUILD_QUEUED_BATCHES + rebuild_module.PULL_WINDOW + 2) * 50
    assert ahead and max(ahead) <= bound, (max(ahead), bound)
    assert contents(other_read_models) == contents(read_models)
    # Its consumer is gone with it.
    assert await consumer_names(nats_server.url) <= {DEFAULT_DURABLE}


async def test_a_two_process_rebuild_interrupted_leaves_no_process_and_consistent_read_models(
    nats_server: EmbeddedNats, read_models: SqliteReadModels, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The receiving process failing (here: after handing over two batches) ends the applying
    one, whose open transaction rolls back: each projection's rows match its tracking."""
    await publish(nats_server.url, varied_intakes(1, 200))
    original = rebuild_module._InASecondProcess.apply
    handed: list[int] = []

    async def fails_at_the_third(self: Any, batch: Any) -> None:
        if len(handed) == 2:
            raise RuntimeError("receiving failed")
        handed.append(len(batch))
        await original(self, batch)

    monkeypatch.setattr(rebuild_module._InASecondProcess, "apply", fails_at_the_third)

    with pytest.raises(RuntimeError, match="receiving failed"):
        await rebuild(read_models, default_projections(), nats_server.url, progress=False,
                      processes=2, batch_size=40)
    assert handed == [40, 40]
    assert multiprocessing.active_children() == []
    applied = read_models.tracking("case_list").stream_seq
    assert applied in (0, 40, 80)
    assert NetworkOverviewQueries(read_models).overview().total_cases == applied


async def test_a_rebuild_s_transactions_are_made_of_whole_pulls(
    nats_server: EmbeddedNats, read_models: SqliteReadModels, other_read_models: SqliteReadModels,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Messages are asked for PULL_SIZE at a time (two requests of 25,000 outstanding were more
    than nats-server lets a client have pending), and applied in transactions of at least
    `batch_size` events, whole pulls, the last one what is left."""
    await publish(nats_server.url, varied_intakes(1, 130))
    projections = default_projections()
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 130, projector)
    monkeypatch.setattr(rebuild_module, "PULL_SIZE", 20)
    transactions: list[list[int]] = []
    original = rebuild_module._apply_to_all

    def recorded(database: Any, projections: Any, batch: Any) -> None:
        transactions.append([seq for seq, _, _ in batch])
        original(database, projections, batch)

    monkeypatch.setattr(rebuild_module, "_apply_to_all", recorded)

    assert await rebuild(other_read_models, projections, nats_server.url, progress=False,
                         batch_size=50) == 130
    assert transactions == [list(range(1, 61)), list(range(61, 121)), list(range(121, 131))]
    assert contents(other_read_models) == contents(read_models)


async def test_a_rebuild_whose_consumer_is_lost_starts_a_new_one_after_the_last_received(
    nats_server: EmbeddedNats, read_models: SqliteReadModels, other_read_models: SqliteReadModels,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server of a cluster going away can take the rebuild's consumer (in memory) with it: the
    rebuild carries on from a new consumer after the last message it received, each event
    applied once."""
    await publish(nats_server.url, varied_intakes(1, 600))
    projections = default_projections()
    async with projecting(read_models, projections, nats_server.url) as projector:
        await until_applied(read_models, projections, 600, projector)
    monkeypatch.setattr(rebuild_module, "PULL_STALL_SECONDS", 1.0)

    async def delete(js: Any, name: str) -> None:
        await js.delete_consumer(STREAM_NAME, name)

    applied, _ = await _rebuild_watched(other_read_models, nats_server.url, monkeypatch,
                                        batch_size=50, seconds_per_batch=0.05, meddle=delete)

    assert applied == 600
    assert contents(other_read_models) == contents(read_models)
    assert other_read_models.tracking("case_list") == Tracking(stream_seq=600, position=600)
