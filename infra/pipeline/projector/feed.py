"""The runner's side of the projector's consumer: each delivery is filed in a buffer keyed by
stream sequence, and one applier applies the buffer in stream order, batch by batch, to every
projection in one transaction, acknowledging a batch only once it is committed (see the package's
docstring for how order is kept around failures)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from events.cloudevents import from_message
from infra.nats.consumer import SUBJECTS, ForeignDeliveries, from_own_consumer, stream_sequence
from infra.nats.jetstream import quietly
from infra.nats.streams import STREAM_NAME
from projections.projection import Delivered, Projection, apply_batch_to_all
from projections.storage.read_models import ReadModelDatabase, Tracking

log = logging.getLogger(__name__)

# Large enough that the per-transaction cost is spread thin, small enough that a failed batch is
# cheap to redo (measured: docs/benchmarks.md).
DEFAULT_BATCH_SIZE = 1000
# After a failed batch: the first retry is immediate, later ones back off up to the maximum, so a
# database outage or a poison message does not spin.
FIRST_RETRY_DELAY = 0.1
MAX_RETRY_DELAY = 10.0
# How long to wait for a nak'ed message to come back before retrying from the buffer anyway (the
# nak itself can be lost with a dropped connection; the buffer still holds the message).
REDELIVERY_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class _Stored:
    """A buffered message with nothing to acknowledge: read from the stream, or already nak'ed.
    A buffered delivery is the nats-py `Msg` itself (no copy per message)."""

    headers: dict[str, str] | None
    data: bytes


class ProjectionFeed:
    """The runner's side of the consumer: `receive` files each delivery in a buffer;
    `apply_until_closed` applies the buffer in stream order, batch by batch, to every projection."""

    def __init__(
        self,
        database: ReadModelDatabase,
        projections: Sequence[Projection],
        js: JetStreamContext,
        executor: ThreadPoolExecutor,
        *,
        applied: Mapping[str, Tracking],
        durable: str,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if not projections:
            raise ValueError("a feed needs at least one projection")
        self.database = database
        self.projections = list(projections)
        self.js = js
        self.executor = executor
        self.trackings = {p.name: applied.get(p.name, Tracking(0, 0)) for p in self.projections}
        self.batch_size = batch_size
        self.durable = durable
        self.foreign = ForeignDeliveries(str(self))
        # Every stream sequence below this one is applied to every projection (or absent from the
        # stream); the projections further on skip what they have applied already.
        self.next_seq = min(t.stream_seq for t in self.trackings.values()) + 1
        self.buffer: dict[int, Msg | _Stored] = {}
        self.work = asyncio.Event()
        self.closed = False
        self.consecutive_failures = 0
        # After a failure: nothing is applied until this sequence is redelivered or the hold ends.
        self.held_for_redelivery_of: int | None = None
        self.hold_ends_at = 0.0

    async def receive(self, delivery: Msg) -> None:
        """The subscriber's handler. Never raises and never waits on the database: it only files
        the delivery, so the subscription keeps reading while a batch is being applied. A
        delivery from another consumer than ours is ignored and counted."""
        if not from_own_consumer(delivery, self.durable):
            self.foreign.ignore(delivery)
            return
        stream_seq = stream_sequence(delivery)
        if stream_seq < self.next_seq:
            # Applied already: a redelivery (after a nak or an expired ack wait) or a replay.
            log.debug("%s: message %d is applied already; acknowledged again", self, stream_seq)
            await quietly(delivery.ack())
            return
        # A redelivery replaces the earlier copy, so the freshest ack handle is the one used.
        self.buffer[stream_seq] = delivery
        if stream_seq == self.held_for_redelivery_of:
            self.held_for_redelivery_of = None
        self.work.set()

    def close(self) -> None:
        """Stop after applying what can be applied now (called once the subscription stopped)."""
        self.closed = True
        self.work.set()

    async def apply_until_closed(self) -> None:
        while True:
            batch = await self._next_batch()
            if batch:
                await self._apply(batch)
            elif self.closed:
                return
            else:
                await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        hold = self._hold_remaining()
        if hold is None:
            await self.work.wait()
        else:
            # Until the hold ends at the latest: then retry from the buffer.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(hold):
                    await self.work.wait()
        self.work.clear()

    def _hold_remaining(self) -> float | None:
        if self.held_for_redelivery_of is None:
            return None
        remaining = self.hold_ends_at - time.monotonic()
        if remaining <= 0:
            self.held_for_redelivery_of = None
            return None
        return remaining

    async def _next_batch(self) -> list[Msg | _Stored]:
        """The longest run of consecutive buffered messages from `next_seq`, up to the batch size;
        empty when nothing may be applied now."""
        if not self.buffer or self._hold_remaining() is not None:
            return []
        if self.next_seq not in self.buffer:
            # Deliveries arrive in stream order, so a later message in the buffer means the next
            # one was lost in flight or deleted from the stream: find out which before going on.
            if not await self._fill_gap():
                return []
        batch: list[Msg | _Stored] = []
        buffer, seq, limit = self.buffer, self.next_seq, self.batch_size
        while len(batch) < limit and (item := buffer.get(seq)) is not None:
            batch.append(item)
            seq += 1
        return batch

    async def _fill_gap(self) -> bool:
        lowest_buffered = min(self.buffer)
        try:
            stored = await self.js.get_msg(
                STREAM_NAME, self.next_seq, subject=SUBJECTS, next=True
            )
        except NotFoundError:
            stored = None
        except (NatsError, TimeoutError) as error:
            log.warning("%s: cannot read the stream to fill a gap (%s); retrying", self, error)
            self._hold(self.next_seq, MAX_RETRY_DELAY)
            return False
        if stored is None or stored.seq is None or stored.seq >= lowest_buffered:
            # Nothing the consumer should have delivered lies in between: deleted from the stream.
            self.next_seq = lowest_buffered
        else:
            log.warning("%s: message %d was not delivered: read from the stream", self, stored.seq)
            self.buffer[stored.seq] = _Stored(stored.headers, stored.data or b"")
            self.next_seq = stored.seq
        return True

    async def _apply(self, batch: list[Msg | _Stored]) -> None:
        first = self.next_seq
        loop = asyncio.get_running_loop()
        try:
            self.trackings = await loop.run_in_executor(
                self.executor, self._apply_in_transaction, first, batch
            )
        except Exception:
            await self._hold_back(first, batch)
            return
        self.consecutive_failures = 0
        self.next_seq = first + len(batch)
        # The buffer may hold a fresher handle than the batch (a redelivery during the apply).
        pop = self.buffer.pop
        handles = [
            item if isinstance(fresh := pop(seq), _Stored) else fresh
            for seq, item in enumerate(batch, start=first)
        ]
        try:
            for delivery in handles:
                if not isinstance(delivery, _Stored):
                    await delivery.ack()
        except NatsError as error:
            # Lost acks mean redeliveries, which are acknowledged and dropped as applied.
            log.debug("%s: acknowledgements not sent: %s", self, error)

    def _apply_in_transaction(
        self, first: int, batch: list[Msg | _Stored]
    ) -> dict[str, Tracking]:
        # Runs in a worker thread: decoding (pydantic validation) and the SQL hold the CPU, and
        # here they do not hold up the subscription's reading. Each message is decoded once, for
        # every projection.
        delivered = [
            Delivered(seq, from_message(item.headers or {}, item.data))
            for seq, item in enumerate(batch, start=first)
        ]
        return apply_batch_to_all(self.database, self.projections, delivered)

    async def _hold_back(self, first: int, batch: list[Msg | _Stored]) -> None:
        """The batch was rolled back: nak it and apply nothing more until it comes back."""
        self.consecutive_failures += 1
        delay = 0.0
        if self.consecutive_failures > 1:
            delay = min(FIRST_RETRY_DELAY * 2 ** (self.consecutive_failures - 2), MAX_RETRY_DELAY)
        log.warning(
            "%s: events %d..%d could not be applied (attempt %d); rolled back, asking for them "
            "again in %.1fs",
            self, first, first + len(batch) - 1, self.consecutive_failures, delay,
            exc_info=True,
        )
        # Every ack handle of the batch is nak'ed: those applied in the failed attempt, and the
        # fresher ones that redeliveries filed in the buffer while it ran (left un-nak'ed, they
        # would wait out the whole ack wait before coming back).
        handles: list[Msg] = []
        first_comes_back = False
        for seq, item in enumerate(batch, start=first):
            fresh = self.buffer.get(seq)
            for handle in (item, None if fresh is item else fresh):
                if handle is not None and not isinstance(handle, _Stored):
                    handles.append(handle)
                    first_comes_back |= seq == first
        # Hold and forget the handles before the naks go out: a redelivery can arrive while they
        # are being sent, and it must find the hold to release and keep its fresh handle.
        grace = REDELIVERY_GRACE if first_comes_back else 0.0
        self._hold(first, delay + grace)
        for seq, item in enumerate(batch, start=first):
            self.buffer[seq] = _Stored(item.headers, item.data)
        for delivery in handles:
            await quietly(delivery.nak(delay=delay or None))

    def _hold(self, stream_seq: int, seconds: float) -> None:
        self.held_for_redelivery_of = stream_seq
        self.hold_ends_at = time.monotonic() + seconds

    def __str__(self) -> str:
        return f"projector ({', '.join(p.name for p in self.projections)})"
