"""One session of the partner feed: one connection to each account, from the partner stream's
tail until stopped, interrupted, or (for publish_pending) caught up with LGNET. Deliveries are
filed in a buffer keyed by stream sequence; the next run of consecutive sequences is copied,
pipelined, each copy chained to its predecessor; a source message is acknowledged only once its
copy is stored. Anything unexpected ends the session: the next one resumes from the tail."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import nats
import nats.errors
import nats.js.errors
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import PubAck

from events.cloudevents import POSITION
from events.partner import partner_message
from infra.nats.auth import PartnerAccess
from infra.nats.consumer import (
    ForeignDeliveries,
    from_own_consumer,
    in_order_consumer_config,
    stream_sequence,
    subscribe_in_order,
)
from infra.nats.jetstream import (
    PUBLISHES_BETWEEN_YIELDS,
    batch_publisher,
    outcome,
    quietly,
    remove_idle_consumer,
    wait_at_most,
    wait_for_stream,
)
from infra.nats.partner_consumers import ensure_partner_consumers
from infra.nats.streams import (
    EXPECTED_LAST_SEQUENCE,
    MSG_ID,
    PARTNER_STREAM_NAME,
    STREAM_NAME,
    ensure_partner_stream,
    msg_id_for,
    stream_last_seq,
    stream_tail,
)
from infra.pipeline.partner_feed.chain import HeadSigner, PartnerChains
from infra.pipeline.partner_feed.positions import lgnet_start_after, message_at_or_after

log = logging.getLogger(__name__)

# The server stops delivering once this many messages await an ack: it bounds the buffer, and
# must exceed the batch size so delivery goes on while a batch is being published.
MAX_ACK_PENDING = 10_000
# Generous: a source message is acked only after its copy is stored, and a redelivery is harmless.
ACK_WAIT_SECONDS = 60.0


class PartnerFeedError(RuntimeError):
    """Raised when the feed cannot go on without someone looking at the streams."""


class PartnerFeedAlreadyRunning(PartnerFeedError):
    """Raised when another feed consumes with the same durable consumer."""


class SessionInterrupted(Exception):
    """The session must end and the next one resume from the partner stream's tail."""


class FeedOptions(Protocol):
    """What a session needs to know of its feed (infra.pipeline.partner_feed.feed.PartnerFeed)."""

    source_servers: list[str]
    partner_servers: list[str]
    durable: str
    batch_size: int
    ack_timeout: float
    replicas: int | None
    duplicate_window: float
    partners: Sequence[PartnerAccess] | None
    foreign: ForeignDeliveries
    signer: HeadSigner | None


@dataclass(slots=True)
class _Received:
    """A LGNET message waiting to be copied. `delivery` is its ack handle; None when it was read
    from the stream directly (a hole in the deliveries), so there is nothing to ack."""

    stream_seq: int
    headers: dict[str, str]
    body: bytes
    delivery: Msg | None


class Session:
    """One connection's worth of copying: from the partner stream's tail until stopped,
    interrupted, or (for publish_pending) caught up with LGNET."""

    def __init__(
        self, feed: FeedOptions, stop: asyncio.Event, *, until_caught_up: bool = False
    ) -> None:
        self.feed = feed
        self.stop = stop
        self.until_caught_up = until_caught_up
        self.stored = 0
        self.buffer: dict[int, _Received] = {}
        self.next_seq = 1
        self.work = asyncio.Event()
        self.interrupted = asyncio.Event()
        self.interruption: str | None = None
        self.connection_lost = False
        # Publish responses of the batch in flight: acks, and refusals (see _on_partner_error).
        self.responses = 0
        self.response_arrived = asyncio.Event()
        # Where the partner stream ends: the last position copied, and the stream's last
        # sequence, which the next copy is made to follow (Nats-Expected-Last-Sequence).
        self.last_position = 0
        self.last_seq = 0
        self.chains: PartnerChains | None = None

    # --- connection callbacks -----------------------------------------------------------------

    def _interrupt(self, reason: str) -> None:
        if self.interruption is None:
            self.interruption = reason
        self.interrupted.set()
        self.work.set()

    async def _on_source_error(self, error: Exception) -> None:
        if isinstance(error, nats.errors.SlowConsumerError):
            # The client dropped deliveries: the buffer may have holes the worker would look
            # up one by one. Cheaper and simpler to start again from the tail.
            self._interrupt(f"slow consumer: {error}")
            return
        log.warning("Partner feed (LGNET side): %s: %s", type(error).__name__, error)

    async def _on_partner_error(self, error: Exception) -> None:
        if isinstance(error, nats.js.errors.APIError):
            # nats-py 2.16 (nats-io/nats.py#985): a refused publish_async reports here and its
            # ack future is never resolved. Count it as the response it is.
            self._interrupt(f"{PARTNER_STREAM_NAME} refused a copy: {error}")
            self._count_response()
            return
        log.warning("Partner feed (partner side): %s: %s", type(error).__name__, error)

    async def _on_disconnected(self) -> None:
        # Deliveries or acks may have been lost in flight; the partner stream may have lost
        # its unsynced tail. Resume from what the stream holds.
        self.connection_lost = True
        self._interrupt("disconnected from NATS")
        self.response_arrived.set()

    def _count_response(self, _ack: object = None) -> None:
        self.responses += 1
        self.response_arrived.set()

    # --- the session --------------------------------------------------------------------------

    async def run(self) -> None:
        feed = self.feed
        source = NatsBroker(
            feed.source_servers, logger=log, log_level=logging.DEBUG, apply_types=False,
            graceful_timeout=None, name="lgnet-partner-feed-source", connect_timeout=2,
            # No reconnecting: a session ends with its connection, and the next one starts
            # afresh from the partner stream's tail. (With max_reconnect_attempts=0 instead,
            # nats-py retries a refused first connection, bad credentials included, for ever.)
            allow_reconnect=False, error_cb=self._on_source_error,
            disconnected_cb=self._on_disconnected,
        )
        partner: NatsClient | None = None
        subscriber: Any = None
        try:
            await source.connect()
            source_js = source.connection.jetstream()
            if not await wait_for_stream(
                source_js, STREAM_NAME, self.stop, waiter="Partner feed",
                give_up=self.until_caught_up,
            ):
                return
            partner = await nats.connect(
                servers=feed.partner_servers, name="lgnet-partner-feed", connect_timeout=2,
                allow_reconnect=False, error_cb=self._on_partner_error,
                disconnected_cb=self._on_disconnected,
            )
            partner_js = batch_publisher(partner, feed.batch_size)
            await ensure_partner_stream(
                partner_js, replicas=feed.replicas, duplicate_window=feed.duplicate_window
            )
            if feed.partners is not None:
                await ensure_partner_consumers(partner_js, feed.partners)
            self.chains = PartnerChains(partner_js, feed.signer)
            tail = await stream_tail(partner_js, PARTNER_STREAM_NAME)
            if tail is not None:
                self.last_position, self.last_seq = tail.position, tail.stream_seq
            else:
                self.last_seq = await stream_last_seq(partner_js, PARTNER_STREAM_NAME)
            self.next_seq = await lgnet_start_after(source_js, self.last_position)
            caught_up_at = (await source_js.stream_info(STREAM_NAME)).state.last_seq
            if self.until_caught_up and self.next_seq > caught_up_at:
                return
            log.info("Partner feed resuming after position %d (LGNET sequence %d)",
                     self.last_position, self.next_seq)
            await remove_idle_consumer(
                source_js, STREAM_NAME, feed.durable,
                in_use=PartnerFeedAlreadyRunning, holder="partner feed",
            )
            subscriber = self._subscribe(source, feed.durable)
            await source.start()
            await self._copy(source_js, partner_js,
                             caught_up_at if self.until_caught_up else None)
        finally:
            await self._shut_down(source, subscriber, partner)

    def _subscribe(self, broker: NatsBroker, durable: str) -> Any:
        # Each source message is acked once its copy is stored.
        config = in_order_consumer_config(
            durable, self.next_seq,
            description="LGNet partner feed: LGNET -> LGNET_PARTNER (infra.pipeline.partner_feed)",
            ack_wait=ACK_WAIT_SECONDS, max_ack_pending=MAX_ACK_PENDING,
        )
        return subscribe_in_order(broker, self._receive, config)

    async def _receive(self, delivery: Msg) -> None:
        """The subscriber's handler: only files the delivery, so delivery goes on while a batch
        is being published. Never raises. A delivery from another consumer than ours is ignored
        and counted."""
        if not from_own_consumer(delivery, self.feed.durable):
            self.feed.foreign.ignore(delivery)
            return
        stream_seq = stream_sequence(delivery)
        if stream_seq < self.next_seq:
            await quietly(delivery.ack())  # copied already: a redelivery
            return
        self.buffer[stream_seq] = _Received(
            stream_seq, delivery.headers or {}, delivery.data, delivery
        )
        self.work.set()

    async def _copy(
        self, source_js: JetStreamContext, partner_js: JetStreamContext, until_seq: int | None
    ) -> None:
        while until_seq is None or self.next_seq <= until_seq:
            if self.interrupted.is_set():
                raise SessionInterrupted(self.interruption)
            run = self._take_run()
            if not run:
                if self.buffer:
                    await self._fill_hole(source_js)
                    continue
                if self.stop.is_set():
                    return
                await self._wait_for_deliveries(until_seq is not None)
                continue
            await self._publish(partner_js, run)
            for item in run:
                if item.delivery is not None:
                    await quietly(item.delivery.ack())
            self.next_seq = run[-1].stream_seq + 1
            await self._drop_stale()

    async def _wait_for_deliveries(self, catching_up: bool) -> None:
        self.work.clear()
        stopping = asyncio.ensure_future(self.stop.wait())
        working = asyncio.ensure_future(self.work.wait())
        try:
            done, _pending = await asyncio.wait(
                {stopping, working},
                # Catching up (publish_pending), the messages are known to exist: a consumer
                # that delivers nothing for this long is broken, start again.
                timeout=max(self.feed.ack_timeout, 2.0) if catching_up else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            stopping.cancel()
            working.cancel()
        if not done:
            self._interrupt("LGNET delivered nothing while messages were due")

    async def _drop_stale(self) -> None:
        """A message redelivered while its run was being published was filed again: ack it."""
        if self.buffer and min(self.buffer) < self.next_seq:
            for seq in [seq for seq in self.buffer if seq < self.next_seq]:
                item = self.buffer.pop(seq)
                if item.delivery is not None:
                    await quietly(item.delivery.ack())

    def _take_run(self) -> list[_Received]:
        run: list[_Received] = []
        seq = self.next_seq
        while len(run) < self.feed.batch_size and seq in self.buffer:
            run.append(self.buffer.pop(seq))
            seq += 1
        return run

    async def _fill_hole(self, source_js: JetStreamContext) -> None:
        """The buffer holds later messages but not the next one: it was deleted from LGNET, or
        its delivery was lost (then it is redelivered only after the ack wait). Deliveries come
        in stream order, so it is not on its way: read LGNET directly."""
        first_buffered = min(self.buffer)
        message = await message_at_or_after(source_js, self.next_seq)
        if message.seq < first_buffered:
            log.info("Partner feed: LGNET message %d was not delivered; read it directly",
                     message.seq)
            self.buffer[message.seq] = _Received(
                message.seq, dict(message.headers or {}), message.data or b"", None
            )
        self.next_seq = min(message.seq, first_buffered)

    async def _publish(self, partner_js: JetStreamContext, run: list[_Received]) -> None:
        """Pipeline the copies of a run, then collect their acks in order. Raises
        SessionInterrupted unless every copy was stored (or found stored already)."""
        copies: list[tuple[int, str, Any]] = []
        for item in run:
            position = int(item.headers[POSITION])
            if position <= self.last_position:
                continue  # copied already (LGNET refilled after a loss, or a replay)
            copy = partner_message(item.headers, item.body)
            if copy is not None:
                copies.append((position, msg_id_for(position), copy))
        if not copies:
            return
        assert self.chains is not None
        linked = await self.chains.link([copy for _position, _msg_id, copy in copies])
        copies = [(position, msg_id, copy) for (position, msg_id, _), copy
                  in zip(copies, linked, strict=True)]
        acks: list[asyncio.Future[PubAck]] = []
        self.responses = 0
        expected_last_seq = self.last_seq
        try:
            for _position, msg_id, copy in copies:
                headers = {**copy.headers, MSG_ID: msg_id,
                           EXPECTED_LAST_SEQUENCE: str(expected_last_seq)}
                ack = await partner_js.publish_async(copy.subject, copy.body, headers=headers)
                ack.add_done_callback(self._count_response)
                acks.append(ack)
                expected_last_seq += 1
                if len(acks) % PUBLISHES_BETWEEN_YIELDS == 0:
                    await asyncio.sleep(0)
                    if self.interrupted.is_set():
                        break  # the session ends with this batch: send no more
        except nats.errors.Error as error:
            self._interrupt(f"publishing failed: {error}")
        await self._await_acks(acks)
        failed = False
        for (position, _msg_id, _copy), ack in zip(copies, acks, strict=False):
            result = outcome(ack)
            if isinstance(result, BaseException):
                if not failed:
                    self._interrupt(f"no ack for position {position}: {result!r}")
                failed = True
                continue
            # Copies after a refused one can still be stored: another feed may have stored the
            # refused one's twin, and they chain onto it. Count them all.
            if not result.duplicate:
                self.stored += 1
            if not failed:
                self.last_position, self.last_seq = position, result.seq
        if len(acks) < len(copies):
            self._interrupt(self.interruption or "publishing stopped early")
        if self.interrupted.is_set():
            raise SessionInterrupted(self.interruption)

    async def _await_acks(self, acks: list[asyncio.Future[PubAck]]) -> None:
        """Wait until every copy got its response (stored, duplicate or refused), the connection
        is lost, or the ack timeout passes; then cancel the acks still outstanding (which frees
        their slots). Waiting past a refusal matters: copies after a refused one can still be
        stored (chained onto another feed's twin of the refused one) and must be counted."""
        if not acks:
            return
        deadline = time.monotonic() + self.feed.ack_timeout
        while self.responses < len(acks) and not self.connection_lost:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self.response_arrived.clear()
            await wait_at_most(self.response_arrived, remaining)
        outstanding = [ack for ack in acks if not ack.done()]
        for ack in outstanding:
            ack.cancel()
        if self.responses < len(acks) and not self.interrupted.is_set():
            self._interrupt(f"{len(acks) - self.responses} of {len(acks)} copies unanswered "
                            f"after {self.feed.ack_timeout} s")

    async def _shut_down(
        self, source: NatsBroker, subscriber: Any, partner: NatsClient | None
    ) -> None:
        """Stop receiving and disconnect; each step runs even if an earlier one failed."""
        if subscriber is not None:
            try:
                await subscriber.stop()
            except Exception:
                log.debug("partner feed: stopping the subscription failed", exc_info=True)
        try:
            await source.stop()  # drains: the acks sent are flushed
        except Exception:
            log.debug("partner feed: closing the LGNET connection failed", exc_info=True)
        if partner is not None and not partner.is_closed:
            with contextlib.suppress(Exception):
                await partner.close()
