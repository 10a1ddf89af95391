"""Issue 18 item 1, replayed against a real nats-server started as `lgnet run` starts it: the
read-only observer aims a consumer of its own, headers only, at the inbox the projector (or the
partner feed) receives on. Before the fix the projector filed the empty copy, failed to decode
it and held everything back until its own copy came again after the 60 s ack wait; the feed
crashed and restarted. Now: the observer cannot read the platform consumers' info (so cannot
learn their inboxes) nor publish to them, and a delivery from any other consumer is ignored and
counted, so both parts go on at once."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RawStreamMsg
from nats.js.errors import NotFoundError

from domain.record import ProgrammeRecord
from infra.nats.auth import OBSERVER_USER, PLATFORM_INBOX_PREFIX
from infra.nats.credentials import platform_nats_url
from infra.nats.streams import STREAM_NAME
from infra.pipeline.partner_feed.feed import DEFAULT_DURABLE as FEED_DURABLE
from infra.pipeline.projector.runner import DEFAULT_DURABLE as PROJECTOR_DURABLE
from infra.pipeline.projector.runner import Projector
from projections.storage.read_models import SqliteReadModels
from tests.integration import test_partner_access as access
from tests.integration.test_partner_access import (
    Client,
    Connect,
    SecuredNats,
    a_feed,
    partner_stream_messages,
    public_positions,
    publish_to_lgnet,
    refused,
    save_vulnerable_intakes,
)
from tests.unit.test_projections import RecordsOrder

secured, connect, record = access.secured, access.connect, access.record

pytestmark = pytest.mark.nats


async def observer_of(secured: SecuredNats, connect: Connect) -> Client:
    return await connect(secured.url_for(OBSERVER_USER), inbox_prefix=f"_INBOX_{OBSERVER_USER}")


async def aim_at_inbox_of(
    durable: str, secured: SecuredNats, connect: Connect, observer: Client
) -> None:
    """The attack: the observer may not read the consumer's info any more, so the test learns
    the inbox as the platform, as the observer once could; then the observer aims its own
    consumer there, headers only, from the first message."""
    assert await refused(observer, observer.js.consumer_info(STREAM_NAME, durable)) == (
        f"$JS.API.CONSUMER.INFO.{STREAM_NAME}.{durable}".lower()
    )
    assert await refused(observer, observer.js.consumers_info(STREAM_NAME)) == (
        f"$JS.API.CONSUMER.LIST.{STREAM_NAME}".lower()
    )
    platform = await connect(platform_nats_url(secured.settings))
    info = await platform.connection.jetstream().consumer_info(STREAM_NAME, durable)
    inbox = info.config.deliver_subject
    assert inbox is not None and inbox.startswith(f"{PLATFORM_INBOX_PREFIX}.{durable}.")
    # The observer may not publish onto it...
    await observer.connection.publish(inbox, b"{}", reply="$JS.ACK.LGNET.x.1.1.1.1.0")
    await observer.connection.flush()
    async with asyncio.timeout(2):
        while f'nats: permissions violation for publish to "{inbox.lower()}"' not in (
            observer.permission_errors()
        ):
            await asyncio.sleep(0.02)
    # ...but its consumer may deliver there: subject permissions do not check a delivery.
    await observer.js.add_consumer(STREAM_NAME, ConsumerConfig(
        name=OBSERVER_USER, durable_name=OBSERVER_USER, deliver_subject=inbox,
        headers_only=True, deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE,
        filter_subject="lgnet.>",
    ))


async def test_the_observer_cannot_stall_the_projector(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect, tmp_path: Path
) -> None:
    database = SqliteReadModels(tmp_path / "readmodels.sqlite")
    projection = RecordsOrder()
    runner = Projector(database, [projection], platform_nats_url(secured.settings))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        save_vulnerable_intakes(record, 3)
        assert await publish_to_lgnet(record, secured) == 3
        await until_applied(database, 3, task)
        observer = await observer_of(secured, connect)
        await aim_at_inbox_of(PROJECTOR_DURABLE, secured, connect, observer)

        save_vulnerable_intakes(record, 6)
        assert await publish_to_lgnet(record, secured) == 6
        started = time.monotonic()
        await until_applied(database, 9, task)

        # Applied at once (not after the 60 s ack wait), each event once, in order.
        assert time.monotonic() - started < 5
        assert RecordsOrder.applied(database) == public_positions(record)
        assert len(public_positions(record)) == 9
        assert runner.feed is not None and runner.feed.foreign.count >= 9
    finally:
        stop.set()
        async with asyncio.timeout(20):
            await task
        database.close()


async def until_applied(
    database: SqliteReadModels, stream_seq: int, projector: asyncio.Task[None]
) -> None:
    async with asyncio.timeout(10):
        while database.tracking(RecordsOrder.name).stream_seq < stream_seq:
            if projector.done():
                projector.result()
            await asyncio.sleep(0.02)


async def copied_so_far(secured: SecuredNats, connect: Connect) -> list[RawStreamMsg]:
    try:
        return await partner_stream_messages(secured, connect)
    except NotFoundError:
        return []  # the feed has not made the stream yet


async def test_the_observer_cannot_crash_the_partner_feed(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    save_vulnerable_intakes(record, 3)
    assert await publish_to_lgnet(record, secured) == 3
    feed = a_feed(secured)
    stop = asyncio.Event()
    task = asyncio.create_task(feed.run(stop))
    try:
        async with asyncio.timeout(10):
            while len(await copied_so_far(secured, connect)) < 3:
                await asyncio.sleep(0.05)
        observer = await observer_of(secured, connect)
        await aim_at_inbox_of(FEED_DURABLE, secured, connect, observer)

        save_vulnerable_intakes(record, 6)
        assert await publish_to_lgnet(record, secured) == 6
        async with asyncio.timeout(5):
            while len(copies := await partner_stream_messages(secured, connect)) < 9:
                await asyncio.sleep(0.05)

        # Every copy whole (no headers-only copy slipped in), once, in order.
        assert [json.loads(copy.data or b"")["case_code"] for copy in copies] == [
            (copy.headers or {})["ce-subject"] for copy in copies]
        assert len({(copy.headers or {})["Nats-Msg-Id"] for copy in copies}) == 9
        assert feed.foreign.count >= 9
        assert not task.done()
    finally:
        stop.set()
        async with asyncio.timeout(20):
            await task
