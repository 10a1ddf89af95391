"""Partners resume where they left off (docs/partners.md, "Resuming and replaying"), against a real
nats-server started with the configuration `lgnet run` generates, as the demo partner
(demo-firenze: Firenze, every partner kind), through its one permitted consumer name."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from domain.record import ProgrammeRecord
from infra.nats.auth import DEMO_PARTNER
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

NAME = DEMO_PARTNER.consumer_name  # the only consumer name demo-firenze may create
FIRENZE = "partner.firenze.>"
# Short, so that an event fetched but never acknowledged comes again within the test.
ACK_WAIT = 1.0


async def durable(
    partner: Client, config: ConsumerConfig, subject: str = FIRENZE
) -> JetStreamContext.PullSubscription:
    """The partner's durable pull consumer: created with `config` the first time, bound to (and
    resumed) afterwards, as docs/partners.md shows."""
    return await partner.js.pull_subscribe(
        subject, durable=NAME, stream=PARTNER_STREAM_NAME,
        config=config.evolve(ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT),
    )


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


async def test_a_durable_consumer_from_a_sequence_resumes_after_a_disconnect_losing_nothing(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    first = await add_events(record, secured, 12)  # partner stream sequences 1..12
    partner = await as_partner(connect, secured)
    consumer = await durable(partner, ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=4,
    ))
    handled = await take(consumer, 2)
    in_hand = await take(consumer, 1, ack=False)  # fetched, then the connection drops
    await partner.connection.close()

    later = await add_events(record, secured, 6)  # while the partner is away
    partner = await as_partner(connect, secured)
    consumer = await durable(partner, ConsumerConfig(  # the same call: it binds, not resets
        deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=4,
    ))
    await asyncio.sleep(ACK_WAIT)  # until the unacknowledged one is due again
    rest = await take(consumer, 10)

    # From sequence 4 (Firenze's intakes are 1, 4, 7, 10 ...): every one once, in order. The
    # one in hand when the connection dropped comes again, marked as a redelivery.
    assert codes_of(handled + rest) == first[1:] + later
    assert codes_of(rest)[0] == codes_of(in_hand)[0]
    assert rest[0].metadata.num_delivered == 2
    assert all(message.metadata.num_delivered == 1 for message in rest[1:])
    info = await partner.js.consumer_info(PARTNER_STREAM_NAME, NAME)
    assert info.num_pending == 0 and info.num_ack_pending == 0
    assert partner.permission_errors() == []


async def test_a_durable_consumer_from_a_time_gets_what_was_stored_since_then(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    await add_events(record, secured, 6)
    await asyncio.sleep(0.05)
    since = datetime.now(UTC)  # the partner stream's clock: when the copies were stored
    await asyncio.sleep(0.05)
    after = await add_events(record, secured, 6)
    partner = await as_partner(connect, secured)
    consumer = await durable(partner, ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since,
    ))
    handled = await take(consumer, 1)
    await partner.connection.close()

    latest = await add_events(record, secured, 3)
    partner = await as_partner(connect, secured)
    consumer = await durable(partner, ConsumerConfig(
        deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since,
    ))
    handled += await take(consumer, 10)

    assert codes_of(handled) == after + latest
    assert all(message.metadata.num_delivered == 1 for message in handled)
    assert partner.permission_errors() == []


async def test_a_partner_replays_its_citys_subjects_from_the_beginning(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    everything = await add_events(record, secured, 15)
    partner = await as_partner(connect, secured)
    consumer = await durable(partner, ConsumerConfig(deliver_policy=DeliverPolicy.NEW))
    more = await add_events(record, secured, 3)
    assert codes_of(await take(consumer, 10)) == more

    # Start over: delete the consumer and create it again from the first message.
    await partner.js.delete_consumer(PARTNER_STREAM_NAME, NAME)
    consumer = await durable(partner, ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
    replayed = await take(consumer, 100)

    assert codes_of(replayed) == everything + more
    assert {message.subject.split(".")[1] for message in replayed} == {"firenze"}
    sequences = [message.metadata.sequence.stream for message in replayed]
    assert sequences == sorted(sequences)
    assert partner.permission_errors() == []
