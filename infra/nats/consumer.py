"""The in-order consumer that the projector and the partner feed read stream LGNET with: one
FastStream JetStream durable push consumer per part, started at a given stream sequence,
acknowledged explicitly message by message, never giving a message up; and the shortcuts that
make each delivery cheap (the handler takes the raw nats-py message, no decoding).

Acknowledging is the handler's business (AckPolicy.MANUAL): FastStream's default would
terminate a message whose handling failed, and it would be lost for good."""

from __future__ import annotations

import logging
import secrets
import warnings
from collections.abc import Awaitable, Callable

from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker
from faststream.nats.message import NatsMessage
from faststream.nats.subscriber.usecases import PushStreamSubscriber
from nats.aio.msg import Msg
from nats.js import api as js_api

from infra.nats.auth import PLATFORM_INBOX_PREFIX
from infra.nats.streams import STREAM_NAME, STREAM_SUBJECTS

log = logging.getLogger(__name__)

# All of the stream: then deliveries are consecutive stream sequences, less deleted messages.
SUBJECTS = STREAM_SUBJECTS[0]


def in_order_consumer_config(
    durable: str,
    start_seq: int,
    *,
    description: str,
    ack_wait: float,
    max_ack_pending: int,
) -> js_api.ConsumerConfig:
    """A durable consumer on all of stream LGNET from `start_seq`, acknowledged explicitly. It
    delivers to a fresh, unguessable inbox under the platform's prefix, which no other user may
    publish or subscribe to (infra/nats/auth.py)."""
    return js_api.ConsumerConfig(
        durable_name=durable,
        description=description,
        deliver_subject=f"{PLATFORM_INBOX_PREFIX}.{durable}.{secrets.token_hex(16)}",
        deliver_policy=js_api.DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start_seq,
        ack_policy=js_api.AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        max_ack_pending=max_ack_pending,
        # Never give a message up: a read model or the partners' stream would miss it for good.
        max_deliver=-1,
        filter_subject=SUBJECTS,
    )


def subscribe_in_order(
    broker: NatsBroker,
    handler: Callable[[Msg], Awaitable[None]],
    config: js_api.ConsumerConfig,
) -> PushStreamSubscriber:
    """Subscribe `handler` to stream LGNET through the durable consumer `config` describes. The
    handler receives each delivery as the raw nats-py message (its ack handle and headers)."""
    durable = config.durable_name
    with warnings.catch_warnings():
        # FastStream warns that a durable push consumer cannot be shared by several instances.
        # That is the point: one in-order consumer.
        warnings.filterwarnings("ignore", "The JetStream Push consumer", RuntimeWarning)
        subscriber = broker.subscriber(
            SUBJECTS,
            stream=JStream(STREAM_NAME, declare=False),
            durable=durable,
            config=config,
            ack_policy=AckPolicy.MANUAL,
            parser=lean_parse,
            decoder=raw_delivery,
            title=f"{durable}:consume",
            include_in_schema=False,
        )
    subscriber(handler)
    return subscriber


def stream_sequence(delivery: Msg) -> int:
    """The delivery's stream sequence, read from its ack subject: `$JS.ACK.<stream>.<consumer>.
    <delivered>.<stream seq>.<consumer seq>.<time>.<pending>`, or with `<domain>.<account hash>.`
    after `$JS.ACK.` (the newer form). `Msg.metadata` parses the same subject but also builds a
    datetime and three objects per message, which the projector would pay for every message."""
    tokens = (delivery.reply or "").split(".")
    if len(tokens) == 9:
        return int(tokens[5])
    return int(delivery.metadata.sequence.stream)


def from_own_consumer(delivery: Msg, durable: str, stream: str = STREAM_NAME) -> bool:
    """Whether the delivery comes from the consumer `durable` on `stream`, read from its reply
    subject (`$JS.ACK.<stream>.<consumer>....`, or with `<domain>.<account hash>.` after
    `$JS.ACK.`). Anything else is not to be filed: another user's consumer may deliver onto our
    inbox (issue 18 item 1: the observer's `observer` consumer aimed at the projector's inbox
    with headers only), and its copies would displace or precede ours."""
    tokens = (delivery.reply or "").split(".")
    if len(tokens) < 9 or tokens[0] != "$JS" or tokens[1] != "ACK":
        return False
    at = 2 if len(tokens) == 9 else 4
    return tokens[at] == stream and tokens[at + 1] == durable


class ForeignDeliveries:
    """Counts deliveries a consumer ignored because they came from another consumer, logging
    the first and then every thousandth (an attack must not fill the log)."""

    def __init__(self, who: str) -> None:
        self.who = who
        self.count = 0

    def ignore(self, delivery: Msg) -> None:
        self.count += 1
        if self.count == 1 or self.count % 1000 == 0:
            log.warning(
                "%s: ignored %d delivery(ies) from another consumer (reply subject %r): someone "
                "aims a consumer at our inbox", self.who, self.count, delivery.reply,
            )


async def lean_parse(delivery: Msg) -> NatsMessage:
    # FastStream's default parser matches the subject against a pattern and makes a uuid4 for
    # every message; we need neither, and they are a noticeable part of the consumer's time.
    headers = delivery.headers or {}
    message_id = headers.get("ce-id") or delivery.reply
    return NatsMessage(
        raw_message=delivery,
        body=delivery.data,
        headers=headers,
        correlation_id=message_id,
        message_id=message_id,
    )


async def raw_delivery(message: NatsMessage) -> Msg:
    # The handler needs the raw delivery (ack handle, stream sequence), not a decoded body.
    return message.raw_message


def lean_log_context(subscriber: PushStreamSubscriber) -> None:
    """FastStream builds a log context for every message, resolving the subscriber's subject
    template anew each time (a few per cent of the transport): build the same context from what
    is resolved once."""
    fixed = subscriber.get_log_context(None)

    def log_context(message: object) -> dict[str, str]:
        return {**fixed, "message_id": getattr(message, "message_id", "")}

    subscriber.get_log_context = log_context  # type: ignore[method-assign]
