"""The consumer baselines of `make bench`: how fast a FastStream subscriber of each kind reads
stream LGNET when its handler does no work but decode each body and acknowledge it. The projector
is measured against the kind it uses (issue 15 target 1); the others are the figures behind the
choice of kind (docs/benchmarks.md). Each returns messages per second for `count` messages."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from nats.aio.msg import Msg

from infra.nats.consumer import (
    SUBJECTS,
    in_order_consumer_config,
    lean_log_context,
    lean_parse,
    raw_delivery,
    subscribe_in_order,
)
from infra.nats.headers import use_lean_header_parser
from infra.nats.streams import STREAM_NAME
from infra.pipeline.projector.runner import ACK_WAIT_SECONDS, MAX_ACK_PENDING

_log = logging.getLogger("lgnet.bench")


def _broker(url: str) -> NatsBroker:
    # As the projector makes its broker: no per-message argument resolution, quiet logging.
    return NatsBroker(url, logger=_log, log_level=logging.DEBUG, apply_types=False,
                      graceful_timeout=None)


async def _timed(broker: NatsBroker, done: asyncio.Event) -> float:
    await broker.connect()
    use_lean_header_parser(broker.connection)
    started = time.perf_counter()
    await broker.start()
    await done.wait()
    elapsed = time.perf_counter() - started
    await broker.stop()
    return elapsed


async def faststream_push_decode_ack(url: str, count: int, durable: str = "bench-push") -> float:
    """The projector's own transport (infra.nats.consumer.subscribe_in_order: durable push
    consumer, explicit ack per message, the lean parser, header parser and log context), with
    a handler that decodes the JSON body and acks: the ceiling the projector is held against."""
    broker = _broker(url)
    done = asyncio.Event()
    received = 0

    async def handle(delivery: Msg) -> None:
        nonlocal received
        orjson.loads(delivery.data)
        await delivery.ack()
        received += 1
        if received == count:
            done.set()

    config = in_order_consumer_config(durable, 1, description="bench", ack_wait=ACK_WAIT_SECONDS,
                                      max_ack_pending=MAX_ACK_PENDING)
    lean_log_context(subscribe_in_order(broker, handle, config))
    elapsed = await _timed(broker, done)
    await _delete_consumer(url, durable)
    return count / elapsed


async def faststream_ordered_decode(url: str, count: int) -> float:
    """A FastStream ordered consumer (ephemeral, flow-controlled, no acks), decoding each body."""
    broker = _broker(url)
    done = asyncio.Event()
    received = 0

    async def handle(delivery: Msg) -> None:
        nonlocal received
        orjson.loads(delivery.data)
        received += 1
        if received == count:
            done.set()

    subscriber = broker.subscriber(
        SUBJECTS, stream=JStream(STREAM_NAME, declare=False), ordered_consumer=True,
        ack_policy=AckPolicy.MANUAL, parser=lean_parse, decoder=raw_delivery,
        include_in_schema=False,
    )
    subscriber(handle)
    lean_log_context(subscriber)
    return count / await _timed(broker, done)


async def faststream_pull_batch_decode_ack(url: str, count: int, batch_size: int = 1000,
                                           durable: str = "bench-pull") -> float:
    """A FastStream pull subscriber taking batches of `batch_size`, decoding and acking each."""
    broker = _broker(url)
    done = asyncio.Event()
    received = 0

    async def handle(deliveries: list[Msg]) -> None:
        nonlocal received
        for delivery in deliveries:
            orjson.loads(delivery.data)
            await delivery.ack()
        received += len(deliveries)
        if received >= count:
            done.set()

    async def raw_batch(message: Any) -> list[Msg]:
        return list(message.raw_message)

    subscriber = broker.subscriber(
        SUBJECTS, stream=JStream(STREAM_NAME, declare=False), durable=durable,
        pull_sub=PullSub(batch_size=batch_size, timeout=0.5, batch=True),
        ack_policy=AckPolicy.MANUAL, decoder=raw_batch, include_in_schema=False,
    )
    subscriber(handle)
    elapsed = await _timed(broker, done)
    await _delete_consumer(url, durable)
    return count / elapsed


async def _delete_consumer(url: str, durable: str) -> None:
    import nats

    connection = await nats.connect(url)
    try:
        await connection.jetstream().delete_consumer(STREAM_NAME, durable)
    finally:
        await connection.close()
