"""The outbox relay against a real nats-server and a real SQLite event store: every public event
reaches stream LGNET exactly once and in log order, whatever is killed on the way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from uuid import uuid4

import nats
import nats.errors
import nats.js.errors
import pytest
from nats.js import JetStreamContext
from nats.js.api import StorageType

from domain.cases.model import Case, CaseRegister
from domain.cases.rules import Vulnerability
from domain.programme import CARD_TERMS, FOUNDING_CITIES, ProtectionStatus
from domain.record import ProgrammeRecord
from infra.nats.server import EmbeddedNats, free_port, port_is_taken
from infra.nats.streams import DUPLICATE_WINDOW_SECONDS, STREAM_NAME, ensure_stream, read_stream
from infra.pipeline.relay import Relay, RelayError
from infra.publishing.messages import PUBLIC_TOPICS
from infra.settings import Settings
from infra.store.eventstore import open_record
from tests.builders import NOW, a_coordinator, an_intake
from tests.conftest import headers_of

pytestmark = pytest.mark.nats

ROOT = Path(__file__).resolve().parents[2]
CITIES = list(FOUNDING_CITIES)
STATUSES = list(ProtectionStatus)


def save_intakes(record: ProgrammeRecord, count: int, *, per_save: int = 250) -> None:
    """`count` intakes, saved `per_save` at a time, each save with a case register event too,
    so the log interleaves public events with internal ones the relay must skip."""
    first = (record.recorder.max_notification_id() or 0) + 1
    for offset in range(0, count, per_save):
        cases = []
        for index in range(offset, min(count, offset + per_save)):
            city = CITIES[index % len(CITIES)]
            status = STATUSES[index % len(STATUSES)]
            facts = an_intake(
                city,
                protection_status=status,
                permit_expires_on=date(2023, 3, 1) if status.has_permit else None,
                citizenship=None if status is ProtectionStatus.STATELESS else "ER",
                vulnerabilities=frozenset({Vulnerability.DISABILITY}) if index % 3 else frozenset(),
            )
            code = f"{CARD_TERMS.province_code(city)}-2021-{(first + index) % 100_000:05d}"
            cases.append(Case.take_in(uuid4(), code, facts, a_coordinator(city), NOW))
        register = CaseRegister.open(CITIES[offset % len(CITIES)], 1900 + first + offset, NOW)
        record.save(register, *cases)


def public_positions(record: ProgrammeRecord) -> list[int]:
    """The notification ids of the public events, in log order: what the stream must mirror."""
    notifications = record.recorder.select_notifications(1, 10**9, topics=PUBLIC_TOPICS)
    return [notification.id for notification in notifications]


async def assert_stream_mirrors_log(js: JetStreamContext, record: ProgrammeRecord) -> None:
    messages = await read_stream(js)
    expected = public_positions(record)
    positions = [int(headers_of(message)["ce-lgnetposition"]) for message in messages]
    assert len(positions) == len(expected), "some events are missing or duplicated"
    assert positions == expected
    assert [headers_of(m)["Nats-Msg-Id"] for m in messages] == [f"lgnet:{p}" for p in expected]
    # Each stored message names its predecessor's sequence, the first 0: the chain has no gap.
    # By sequence only: an expected msg id stops a cluster's catching-up replica (relay.py).
    chain = [headers_of(m).get("Nats-Expected-Last-Sequence") for m in messages]
    assert chain == [str(seq) for seq in range(len(expected))]
    assert not any("Nats-Expected-Last-Msg-Id" in headers_of(m) for m in messages)
    assert [m.metadata.sequence.stream for m in messages] == list(range(1, len(expected) + 1))


async def stream_count(js: JetStreamContext) -> int:
    """How many messages the stream holds (0 before the relay has created it)."""
    try:
        return (await js.stream_info(STREAM_NAME)).state.messages
    except nats.js.errors.NotFoundError:
        return 0


async def wait_for_stream_count(js: JetStreamContext, count: int, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while True:
            try:
                if await stream_count(js) >= count:
                    return
            except nats.errors.TimeoutError:
                pass  # a request lost with a crashed server: ask again
            await asyncio.sleep(0.02)


@pytest.fixture
def record(tmp_path: Path) -> Iterator[ProgrammeRecord]:
    record = open_record(Settings(data_dir=tmp_path / "data"))
    yield record
    record.close()


@pytest.fixture
async def js(nats_server: EmbeddedNats) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(nats_server.url, max_reconnect_attempts=-1,
                                    reconnect_time_wait=0.1)
    yield connection.jetstream(timeout=1)
    await connection.close()


async def test_publishes_every_public_event_once_in_log_order(
    record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    save_intakes(record, 2500)
    relay = Relay(record, nats_server.url)

    assert await relay.publish_pending() == 2500
    await assert_stream_mirrors_log(js, record)
    # Nothing left: a second pass publishes nothing, not even duplicates.
    assert await relay.publish_pending() == 0
    save_intakes(record, 10)
    assert await relay.publish_pending() == 10
    await assert_stream_mirrors_log(js, record)


async def test_run_follows_new_events_until_stopped(
    record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(Relay(record, nats_server.url).run(stop))
    for expected in (3, 8):
        await asyncio.to_thread(save_intakes, record, expected - await stream_count(js))
        await wait_for_stream_count(js, expected, timeout=5)
    stop.set()
    async with asyncio.timeout(5):
        await running
    await assert_stream_mirrors_log(js, record)


RELAY_PROCESS = """
import asyncio, sys
from pathlib import Path
from infra.store.eventstore import open_record
from infra.pipeline.relay import Relay
from infra.settings import Settings
record = open_record(Settings(data_dir=Path(sys.argv[1])))
asyncio.run(Relay(record, sys.argv[2], batch_size=100).run(asyncio.Event()))
"""


async def test_a_relay_killed_mid_run_resumes_without_loss_or_duplicate(
    tmp_path: Path, record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    total = 6000
    save_intakes(record, total)
    process = subprocess.Popen(
        [sys.executable, "-c", RELAY_PROCESS, str(tmp_path / "data"), nats_server.url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        await wait_for_stream_count(js, 1000)
    finally:
        process.send_signal(signal.SIGKILL)  # no clean-up of any kind: a crash
        process.wait()
    published_before_the_crash = await stream_count(js)
    assert published_before_the_crash < total, "the relay finished before it could be killed"

    assert await Relay(record, nats_server.url).publish_pending() == (
        total - published_before_the_crash
    )
    await assert_stream_mirrors_log(js, record)


async def test_a_relay_cancelled_mid_batch_resumes_without_loss_or_duplicate(
    record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    save_intakes(record, 5000)
    running = asyncio.create_task(
        Relay(record, nats_server.url, batch_size=500).run(asyncio.Event())
    )
    await wait_for_stream_count(js, 700)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert await stream_count(js) < 5000

    stop = asyncio.Event()
    restarted = asyncio.create_task(Relay(record, nats_server.url).run(stop))
    await wait_for_stream_count(js, 5000)
    stop.set()
    await restarted
    await assert_stream_mirrors_log(js, record)


async def test_a_nats_crash_that_loses_acknowledged_messages_is_healed(
    tmp_path: Path,
    record: ProgrammeRecord,
    nats_server: EmbeddedNats,
    js: JetStreamContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    total = 3000
    save_intakes(record, total)
    stop = asyncio.Event()
    running = asyncio.create_task(Relay(record, nats_server.url).run(stop))
    await wait_for_stream_count(js, total)

    nats_server.kill()
    # SIGKILL alone keeps what nats-server wrote to the page cache; a machine crash would lose
    # the tail it had acknowledged but not yet synced (it syncs every 2 minutes). Cut the tail of
    # the last message block the way such a crash would.
    (block,) = sorted(nats_server.store_dir.glob(f"**/{STREAM_NAME}/msgs/*.blk"))[-1:]
    with block.open("r+b") as file:
        file.truncate(block.stat().st_size * 6 // 10)
    caplog.set_level(logging.INFO, logger="infra.pipeline.relay")
    nats_server.start()  # same port, same store dir

    # The running relay reconnects, finds the stream's tail gone and republishes it.
    await wait_for_stream_count(js, total)
    resumed_after = [
        int(record_.getMessage().split()[3])  # "Resuming after position N (...)"
        for record_ in caplog.records
        if record_.msg.startswith("Resuming after position")
    ]
    assert resumed_after and resumed_after[0] < public_positions(record)[-1], (
        "the crash lost nothing: the test did not exercise the healing"
    )
    save_intakes(record, 20)
    await wait_for_stream_count(js, total + 20)
    stop.set()
    await running
    await assert_stream_mirrors_log(js, record)


async def test_a_nats_server_that_lost_its_whole_store_gets_the_stream_back(
    record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    save_intakes(record, 500)
    stop = asyncio.Event()
    running = asyncio.create_task(Relay(record, nats_server.url).run(stop))
    await wait_for_stream_count(js, 500)

    nats_server.kill()
    shutil.rmtree(nats_server.store_dir)
    nats_server.start()

    await wait_for_stream_count(js, 500)
    stop.set()
    await running
    await assert_stream_mirrors_log(js, record)


async def test_two_relays_on_one_log_still_publish_each_event_once(
    record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    save_intakes(record, 3000)
    first = Relay(record, nats_server.url, batch_size=300)
    second = Relay(record, nats_server.url, batch_size=700)
    stored = await asyncio.gather(first.publish_pending(), second.publish_pending())
    assert sum(stored) == 3000
    await assert_stream_mirrors_log(js, record)


async def test_refuses_a_stream_ahead_of_the_event_store(
    tmp_path: Path, record: ProgrammeRecord, nats_server: EmbeddedNats
) -> None:
    save_intakes(record, 5)
    await Relay(record, nats_server.url).publish_pending()
    other_store = open_record(Settings(data_dir=tmp_path / "restored-from-an-old-backup"))
    try:
        save_intakes(other_store, 2)
        with pytest.raises(RelayError, match="another"):
            await Relay(other_store, nats_server.url).publish_pending()
    finally:
        other_store.close()


async def test_run_keeps_retrying_while_nats_is_down(
    record: ProgrammeRecord, nats_server: EmbeddedNats, js: JetStreamContext
) -> None:
    save_intakes(record, 5)
    nats_server.stop()
    stop = asyncio.Event()
    running = asyncio.create_task(Relay(record, nats_server.url).run(stop))
    await asyncio.sleep(0.5)  # connection refused, a few times
    assert not running.done()
    nats_server.start()
    await wait_for_stream_count(js, 5)
    stop.set()
    await running
    await assert_stream_mirrors_log(js, record)


async def test_the_stream_is_created_and_brought_back_to_its_settings(
    js: JetStreamContext,
) -> None:
    created = await ensure_stream(js)
    assert created.config.subjects == ["lgnet.>"]
    assert created.config.storage == StorageType.FILE
    assert not created.config.max_age
    assert created.config.duplicate_window == DUPLICATE_WINDOW_SECONDS

    await js.update_stream(created.config.evolve(duplicate_window=5.0, max_age=3600.0))
    corrected = await ensure_stream(js)
    assert corrected.config.duplicate_window == DUPLICATE_WINDOW_SECONDS
    assert not corrected.config.max_age
    assert corrected.config.num_replicas == 1


def an_older_nats_server() -> str | None:
    """A nats-server before 2.11 installed on the machine (Debian's), if any."""
    for candidate in ("/usr/sbin/nats-server", "/usr/bin/nats-server"):
        if not Path(candidate).exists():
            continue
        version = subprocess.run(
            [candidate, "--version"], capture_output=True, text=True, check=False
        ).stdout
        digits = version.rsplit("v", 1)[-1].strip().split(".")
        if len(digits) >= 2 and (int(digits[0]), int(digits[1])) < (2, 11):
            return candidate
    return None


@contextlib.contextmanager
def running(binary: str, store_dir: Path, port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not port_is_taken(port):
            assert time.monotonic() < deadline and process.poll() is None, "no nats-server"
            time.sleep(0.02)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait()


async def test_an_older_nats_that_forgot_the_last_msg_id_after_a_restart_is_resumed(
    tmp_path: Path, record: ProgrammeRecord
) -> None:
    """nats-server before 2.11 recovers a stream's last msg id after a restart only if that
    message is younger than the duplicate window. The relay chains by sequence, which a restart
    never forgets: it gets going again, and every message follows its predecessor."""
    binary = an_older_nats_server()
    if binary is None:
        pytest.skip("no nats-server older than 2.11 on this machine")
    store_dir, port = tmp_path / "old-nats", free_port()
    window = 0.5
    save_intakes(record, 20)
    with running(binary, store_dir, port) as url:
        assert await Relay(record, url, duplicate_window=window).publish_pending() == 20
    await asyncio.sleep(window + 0.3)
    save_intakes(record, 5)
    with running(binary, store_dir, port) as url:
        assert await Relay(record, url, duplicate_window=window).publish_pending() == 5
        connection = await nats.connect(url)
        try:
            await assert_stream_mirrors_log(connection.jetstream(), record)
        finally:
            await connection.close()
