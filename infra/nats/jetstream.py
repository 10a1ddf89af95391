"""What the relay, the projector and the partner feed do alike with JetStream, written once: the
servers of a URL, retry pauses, waiting that a stop request cuts short, acknowledging without
caring whether the ack arrives, reading the outcome of a pipelined publish, waiting for the
stream to exist, and removing a durable consumer nobody is bound to.

Waiting is done with `asyncio.timeout`, never `asyncio.wait_for`: on Python 3.11, wait_for can
swallow a cancellation that comes as the awaited event is set, and the part would never stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import NotFoundError

log = logging.getLogger(__name__)

# How often a part started before the relay looks for the stream the relay creates.
STREAM_POLL_INTERVAL = 0.25
# Pipelined publishes between two turns of the event loop: publish_async does not yield, so the
# loop turns now and then to flush the socket, take the acks in and let the other tasks run.
PUBLISHES_BETWEEN_YIELDS = 500
_FIRST_RETRY_PAUSE = 0.1
_LONGEST_RETRY_PAUSE = 5.0


def server_list(url: str) -> list[str]:
    """The servers of a NATS URL (comma-separated for a cluster's seeds)."""
    return [server.strip() for server in url.split(",") if server.strip()]


# A NATS client a person waits for (a check, a CLI command) tries once, for this long: never
# nats-py's default of 60 attempts two seconds apart.
PERSON_WAITS_CONNECT_TIMEOUT = 2.0


def person_waits_nats_options() -> dict[str, Any]:
    """nats-py options for a connection someone waits on: two attempts 0.1 s apart, a short
    timeout, no reconnecting, and no traceback printed for each failed attempt (the caller
    says what failed, in one line). nats-py's max_reconnect_attempts=0 would mean for ever."""
    return {"connect_timeout": PERSON_WAITS_CONNECT_TIMEOUT, "allow_reconnect": False,
            "max_reconnect_attempts": 1, "reconnect_time_wait": 0.1, "error_cb": _unreported}


async def _unreported(error: Exception) -> None:
    """The attempt's error is raised by connect() itself: nothing to print here."""


def retry_pause(failures: int) -> float:
    """The pause before the next attempt after `failures` failures in a row: 0.1 s, doubling
    each time, up to 5 s."""
    return min(_LONGEST_RETRY_PAUSE, _FIRST_RETRY_PAUSE * 2.0 ** (failures - 1))


async def wait_at_most(event: asyncio.Event, seconds: float) -> None:
    """Return when `event` is set, or after `seconds` (a sleep that a stop request cuts short)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


async def quietly(acknowledgement: Awaitable[object]) -> None:
    """Send an ack or nak; if it is lost (connection gone) JetStream redelivers, which is
    harmless: every consumer here drops what it has handled already."""
    try:
        await acknowledgement
    except nats.errors.Error as error:
        log.debug("acknowledgement not sent: %s", error)


def batch_publisher(connection: NatsClient, batch_size: int) -> JetStreamContext:
    """A JetStream context with room for a whole batch of pipelined publishes in flight, plus
    the tail of the previous batch."""
    return connection.jetstream(publish_async_max_pending=max(4000, 2 * batch_size))


def outcome(ack: asyncio.Future[PubAck]) -> PubAck | BaseException:
    """What became of a pipelined publish whose ack is done: the ack, or the error (a cancelled
    ack, one given up on, is a CancelledError). Reading it also marks the error as retrieved."""
    if ack.cancelled():
        return asyncio.CancelledError()
    error = ack.exception()
    return error if error is not None else ack.result()


async def wait_for_stream(
    js: JetStreamContext,
    stream: str,
    stop: asyncio.Event,
    *,
    waiter: str,
    give_up: bool = False,
) -> bool:
    """Whether `stream` exists, waiting for it until `stop` is set: the relay creates stream
    LGNET, and at first start the other parts may be up before it. With `give_up`, a missing
    stream is answered at once (False) instead of waited for."""
    announced = False
    while not stop.is_set():
        try:
            await js.stream_info(stream)
            return True
        except NotFoundError:
            if give_up:
                return False
            if not announced:
                log.info("%s: waiting for the stream %s to be created", waiter, stream)
                announced = True
        await wait_at_most(stop, STREAM_POLL_INTERVAL)
    return False


async def remove_idle_consumer(
    js: JetStreamContext,
    stream: str,
    durable: str,
    *,
    in_use: type[Exception],
    holder: str,
) -> None:
    """Delete the durable consumer, so that it is created afresh where the caller resumes,
    unless a running process is bound to it: then raise `in_use`, naming the `holder` (one
    in-order consumer per durable is the point)."""
    try:
        info = await js.consumer_info(stream, durable)
    except NotFoundError:
        return
    if info.push_bound:
        raise in_use(
            f"the consumer {durable} on stream {stream} is in use: another {holder} is running"
        )
    await js.delete_consumer(stream, durable)
