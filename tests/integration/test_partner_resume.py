"""Partners resume where they left off (docs/partners.md, "Resuming and replaying"), against a real
nats-server started with the configuration `lgnet run` generates, as the demo partner
(demo-firenze: Firenze, every partner kind), through the one consumer the platform made for it:
it binds and resumes; a replay from a sequence or a time is made by the platform
(`lgnet nats partner-replay`, infra.nats.partner_consumers.replay_partner_consumer)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from domain.record import ProgrammeRecord
from infra.nats.auth import DEMO_PARTNER
from infra.nats.credentials import partner_feed_nats_url
from infra.nats.partner_consumers import partner_consumer_config, replay_partner_consumer
from infra.nats.streams import PARTNER_STREAM_NAME
from tests.conftest import headers_of
from tests.integration import test_partner_access as access
from tests.integration.test_partner_access import (
    Client,
    Connect,
    SecuredNats,
    add_events,
    as_partner,
)

# The secured server, its clients and an event store, as the partner access tests have them.
secured, connect, record = access.secured, access.connect, access.record

pytestmark = pytest.mark.nats

NAME = DEMO_PARTNER.consumer_name  # the consumer the platform made for demo-firenze
# Short, so that an event fetched but never acknowledged comes again within the test (an
# operator's setting of the consumer; the platform makes it with 30 s).
ACK_WAIT = 1.0


async def platform_js(secured: SecuredNats, connect: Connect) -> JetStreamContext:
    """The partners' account as the platform (the feed user): it makes the consumers."""
    return (await connect(partner_feed_nats_url(secured.settings))).connection.jetstream()


async def bound(partner: Client) -> JetStreamContext.PullSubscription:
    """The partner's durable pull consumer, bound to (and resumed), as docs/partners.md shows."""
    return await partner.js.pull_subscribe_bind(NAME, stream=PARTNER_STREAM_NAME)


async def take(
    consumer: JetStreamContext.PullSubscription, count: int, *, ack: bool = True
) -> list[Msg]:
    messages = await consumer.fetch(count, timeout=2)
    if ack:
        for message in messages:
            await message.ack_sync()  # confirmed by the server: a disconnect cannot lose it
    return messages


def codes_of(messages: list[Msg]) -> list[str]:
    return [headers_of(message)["ce-subject"] for message in messages]


async def test_a_partner_resumes_after_a_disconnect_losing_nothing(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    first = await add_events(record, secured, 12)  # Firenze: partner sequences 1, 4, 7, 10
    platform = await platform_js(secured, connect)
    await platform.add_consumer(PARTNER_STREAM_NAME, partner_consumer_config(DEMO_PARTNER).evolve(
        ack_wait=ACK_WAIT))
    partner = await as_partner(connect, secured)
    consumer = await bound(partner)
    handled = await take(consumer, 2)
    in_hand = await take(consumer, 1, ack=False)  # fetched, then the connection drops
    await partner.connection.close()

    later = await add_events(record, secured, 6)  # while the partner is away
    partner = await as_partner(connect, secured)
    consumer = await bound(partner)
    await asyncio.sleep(ACK_WAIT)  # until the unacknowledged one is due again
    rest = await take(consumer, 10)

    # Every one once, in order. The one in hand when the connection dropped comes again,
    # marked as a redelivery.
    assert codes_of(handled + rest) == first + later
    assert codes_of(rest)[0] == codes_of(in_hand)[0]
    assert rest[0].metadata.num_delivered == 2
    assert all(message.metadata.num_delivered == 1 for message in rest[1:])
    info = await partner.js.consumer_info(PARTNER_STREAM_NAME, NAME)
    assert info.num_pending == 0 and info.num_ack_pending == 0
    assert partner.permission_errors() == []


async def test_the_platform_replays_a_partners_feed_from_a_sequence(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    first = await add_events(record, secured, 12)
    partner = await as_partner(connect, secured)
    assert codes_of(await take(await bound(partner), 10)) == first
    await replay_partner_consumer(await platform_js(secured, connect), DEMO_PARTNER,
                                  start_seq=4)
    partner = await as_partner(connect, secured)
    assert codes_of(await take(await bound(partner), 10)) == first[1:]
    assert partner.permission_errors() == []


async def test_the_platform_replays_a_partners_feed_from_a_time(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    await add_events(record, secured, 6)
    await asyncio.sleep(0.05)
    since = datetime.now(UTC)  # the partner stream's clock: when the copies were stored
    await asyncio.sleep(0.05)
    after = await add_events(record, secured, 6)
    await replay_partner_consumer(await platform_js(secured, connect), DEMO_PARTNER,
                                  start_time=since)
    partner = await as_partner(connect, secured)
    handled = await take(await bound(partner), 1)
    await partner.connection.close()

    latest = await add_events(record, secured, 3)
    partner = await as_partner(connect, secured)
    handled += await take(await bound(partner), 10)

    assert codes_of(handled) == after + latest
    assert all(message.metadata.num_delivered == 1 for message in handled)
    assert partner.permission_errors() == []
    # The feed's next session keeps the replayed consumer: its filters are the agreement's.
    await access.a_feed(secured).publish_pending()
    info = await partner.js.consumer_info(PARTNER_STREAM_NAME, NAME)
    assert info.config.opt_start_time is not None


async def test_the_platform_replays_a_partners_feed_from_the_beginning(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    everything = await add_events(record, secured, 15)
    partner = await as_partner(connect, secured)
    assert codes_of(await take(await bound(partner), 100)) == everything
    more = await add_events(record, secured, 3)

    await replay_partner_consumer(await platform_js(secured, connect), DEMO_PARTNER)
    partner = await as_partner(connect, secured)
    replayed = await take(await bound(partner), 100)

    assert codes_of(replayed) == everything + more
    assert {message.subject.split(".")[1] for message in replayed} == {"firenze"}
    sequences = [message.metadata.sequence.stream for message in replayed]
    assert sequences == sorted(sequences)
    assert partner.permission_errors() == []
