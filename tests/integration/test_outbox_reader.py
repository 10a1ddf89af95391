"""The relay's reading process (infra/pipeline/outbox_reader.py): batches read in a process of
its own are the same messages, with the same canonical content, as batches read in the relay's
process, and a relay reading that way still publishes every event once, in order, on an intact
audit chain."""

from __future__ import annotations

import asyncio
import multiprocessing.connection
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from domain.record import ProgrammeRecord
from events.audit_chain import GENESIS_HASH, ChainedMessage, chain_from, verify_chain
from infra.nats.server import EmbeddedNats
from infra.nats.streams import read_stream
from infra.pipeline.outbox_reader import (
    BatchReader,
    ChainState,
    ReadBatch,
    chain_hashes,
    read_outgoing,
)
from infra.pipeline.relay import Relay
from infra.settings import Settings
from infra.store.eventstore import open_record
from tests.conftest import headers_of
from tests.integration.test_relay import (
    assert_stream_mirrors_log,
    save_intakes,
    wait_for_stream_count,
)

pytestmark = pytest.mark.nats


@pytest.fixture
def record(tmp_path: Path) -> Iterator[ProgrammeRecord]:
    record = open_record(Settings(data_dir=tmp_path / "data"))
    yield record
    record.close()


@pytest.fixture
async def js(nats_server: EmbeddedNats) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(nats_server.url)
    yield connection.jetstream(timeout=2)
    await connection.close()


async def test_a_batch_read_in_the_process_equals_one_read_here(record: ProgrammeRecord) -> None:
    save_intakes(record, 300)
    reader = BatchReader(record, 120)
    try:
        assert await reader.warm_up(), "the reading process did not start"
        for start in (1, 150):
            in_process = await reader.read(start, catching_up=True)
            here = read_outgoing(record, start, 120)
            assert len(in_process) == len(here) == 120
            for (position, message, canonical), (position_here, message_here, canonical_here) \
                    in zip(in_process, here, strict=True):
                assert position == position_here
                assert message.subject == message_here.subject
                assert message.headers == message_here.headers
                assert list(message.headers) == list(message_here.headers)  # same order
                assert message.body == message_here.body
                assert canonical == canonical_here
    finally:
        reader.close()


async def test_a_batch_chained_in_the_process_has_the_hashes_the_relay_would_compute(
    record: ProgrammeRecord,
) -> None:
    """Told where the audit chain stands before the batch, the reading process hashes it: the
    same hashes, link by link, as chaining each canonical form here; without, it hashes none."""
    save_intakes(record, 30)
    reader = BatchReader(record, 10)
    try:
        assert await reader.warm_up(), "the reading process did not start"
        here = read_outgoing(record, 12, 10)
        state = (7, chain_from(here[0][2], 7, GENESIS_HASH))  # any state the chain can be in
        chained = await reader.read(12, catching_up=True, chained_from=state)
        assert chained.chained_from == state
        assert chained.hashes is not None and len(chained.hashes) == 10
        expected, chain_hash = [], state[1]
        for seq, (_position, _message, canonical) in enumerate(here, start=8):
            chain_hash = chain_from(canonical, seq, chain_hash)
            expected.append(chain_hash)
        assert chained.hashes == expected == chain_hashes(here, state)
        unchained = await reader.read(12, catching_up=True)
        assert unchained.chained_from is None and unchained.hashes is None
        # Read in a thread (not catching up): never chained, whatever the caller says.
        assert (await reader.read(12, catching_up=False, chained_from=state)).hashes is None
    finally:
        reader.close()


async def test_the_following_batch_is_the_one_after_the_last_asked_for_chained_on_from_it(
    record: ProgrammeRecord,
) -> None:
    """read_following reads on from where the last batch asked of the process ended: the next
    positions, hashed from the chain's state after that batch (not hashed if it was not); asked
    at the end of the log, it reads what was saved since."""
    save_intakes(record, 30)
    reader = BatchReader(record, 10)
    try:
        assert await reader.warm_up(), "the reading process did not start"
        here = read_outgoing(record, 1, 30)
        state = (7, chain_from(here[0][2], 7, GENESIS_HASH))
        first = reader.read_ahead(1, state)
        following = reader.read_following()
        assert first is not None and following is not None
        first_batch, next_batch = await first, await following
        assert first_batch is not None and next_batch is not None
        assert [position for position, _, _ in first_batch] == [p for p, _, _ in here[:10]]
        assert [position for position, _, _ in next_batch] == [p for p, _, _ in here[10:20]]
        assert next_batch.start == here[9][0] + 1
        assert first_batch.hashes is not None
        after_first = (7 + 10, first_batch.hashes[-1])
        assert next_batch.chained_from == after_first
        assert next_batch.hashes == chain_hashes(here[10:20], after_first)
        assert [m.body for _, m, _ in next_batch] == [m.body for _, m, _ in here[10:20]]

        # Not chained: the one after it is not either.
        unchained = await reader.read(here[19][0] + 1, catching_up=True)
        assert len(unchained) == 10
        after_unchained = reader.read_following()
        assert after_unchained is not None
        end = await after_unchained
        assert end is not None and list(end) == [] and end.hashes is None
        assert end.start == here[29][0] + 1
        # At the end of the log: what is saved since is read from there.
        save_intakes(record, 3)
        again = reader.read_following()
        assert again is not None
        more = await again
        assert more is not None and more.start == end.start
        assert [position for position, _, _ in more] == [
            position for position, _, _ in read_outgoing(record, end.start, 10)]
        assert len(more) == 3
    finally:
        reader.close()


async def test_nothing_is_read_ahead_in_threads(record: ProgrammeRecord) -> None:
    """Without the reading process, read_ahead and read_following ask nothing (the relay then
    reads the next batch in a thread, one ahead)."""
    save_intakes(record, 30)
    reader = BatchReader(record, 10, use_process=False)
    assert reader.read_ahead(1, (0, GENESIS_HASH)) is None
    assert reader.read_following() is None
    assert reader._pool is None
    reader.close()


async def test_a_batch_not_caught_up_is_read_here(record: ProgrammeRecord) -> None:
    """Below a backlog worth a process, or not catching up, no process is started."""
    save_intakes(record, 30)
    reader = BatchReader(record, 10)
    assert len(await reader.read(1, catching_up=False)) == 10
    assert len(await reader.read(12, catching_up=True)) == 10
    assert reader._pool is None
    reader.close()


async def test_a_relay_reading_in_the_process_publishes_each_event_once_on_an_intact_chain(
    record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    save_intakes(record, 900)
    relay = Relay(record, nats_server.url, batch_size=200)
    assert await relay.reader.warm_up()
    # Which batches were read how: the first in a thread (the relay does not know yet that it
    # is catching up), then each by the process, two ahead of the one published, none twice.
    asked: list[str] = []
    read, read_ahead, read_following = (relay.reader.read, relay.reader.read_ahead,
                                        relay.reader.read_following)

    async def reading(start: int, **options: Any) -> ReadBatch:
        asked.append("read")
        return await read(start, **options)

    def reading_ahead(start: int, chained_from: ChainState) -> Any:
        asked.append("ahead")
        return read_ahead(start, chained_from)

    def reading_following() -> Any:
        asked.append("following")
        return read_following()

    relay.reader.read = reading  # type: ignore[method-assign]
    relay.reader.read_ahead = reading_ahead  # type: ignore[method-assign]
    relay.reader.read_following = reading_following  # type: ignore[method-assign]

    assert await relay.publish_pending() == 900

    # 900 events, batches of 200: five, the last short; the one after it read ahead, empty.
    assert asked == ["read", "ahead", "following", "following", "following", "following"]

    await assert_stream_mirrors_log(js, record)
    messages = await read_stream(js)
    report = verify_chain([ChainedMessage(headers_of(m), m.data) for m in messages])
    assert report.ok, report.problem
    assert report.verified == 900
    assert [link.chain_hash for link in relay.chain_store.links()] == [
        headers_of(m)["ce-lgnethash"] for m in messages
    ]


def _ended_within(sentinel: int, seconds: float) -> bool:
    """Whether the process whose sentinel this is ended within `seconds` (without reaping it)."""
    return bool(multiprocessing.connection.wait([sentinel], seconds))


async def test_a_relay_stopped_with_its_reading_process_up_stops_it(
    record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    save_intakes(record, 400)
    relay = Relay(record, nats_server.url, batch_size=100)
    assert await relay.reader.warm_up()
    pool = relay.reader._pool
    assert pool is not None
    workers = list(pool._processes.values())
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    await wait_for_stream_count(js, 400)
    stop.set()
    async with asyncio.timeout(10):
        await running
    for worker in workers:
        # It ends once it finishes the batch it may be reading: seconds; a process that never
        # stops fails here. Its end is seen by its sentinel (a pipe the process holds until it
        # exits), not by join() and is_alive(): the executor's own thread joins the same
        # process, and when its waitpid reaps it first, ours fails with ECHILD and is_alive()
        # says True until that thread, waiting for the GIL, stores the exit code (the failure
        # "alive after stop" seen once under a loaded `make test`, the process long gone).
        ended = await asyncio.to_thread(_ended_within, worker.sentinel, 30)
        assert ended, f"the reading process {worker.pid} is still running 30 s after stop"
    await assert_stream_mirrors_log(js, record)
