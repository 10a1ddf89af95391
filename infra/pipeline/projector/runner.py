"""The projection runner: keeps every read model up to date from the JetStream stream LGNET.

One durable push consumer (FastStream's JetStream subscriber, durable `lgnet-projector`) feeds
every projection. Its messages go into an in-memory buffer keyed by stream sequence; a single
applier takes the next run of consecutive messages, decodes it once and applies it to every
projection in ONE read-model transaction that also moves every projection's tracking position
(`apply_batch_to_all`, run in a worker thread because the database calls are synchronous), and
only then acknowledges the run's messages. One consumer rather than one per projection: the
transport (nats-py's message and header parsing, FastStream's per-message pipeline) is most of
the projector's cost, and it is paid once per message instead of once per message and projection.
The price is that a projection failing holds the others up too: a failed batch is retried for all.

Each projection keeps its own tracking row (the web waits on the lowest position). The consumer
starts after the lowest one, and each projection skips what its own tracking says it has
applied, so a projection added later, or rebuilt alone, is caught up from the stream while the
others carry on.

Acks are explicit, one per message, not one AckPolicy.ALL ack per batch: the server ignores an
ack-all whose delivery sequence is below that of an earlier ack, which is what the acks of
messages delivered before a redelivered batch, and applied after it, look like (seen with
nats-server 2.15: the ack floor stayed at the retried batch, everything after it pending). Those
messages would wait for their ack wait to expire, and with the pending limit reached the consumer
would stall that long. Explicit acks cost at most a few percent of the projector's time (within
the noise of our measurements).

Order is kept even around failures:
- a batch that fails is rolled back and nak'ed, and nothing after it is applied until its first
  message has been redelivered and the batch applied;
- a message already applied (stream sequence below the next one expected) is acknowledged and
  dropped, so redeliveries and replays change nothing;
- a message missing from the buffer (lost in flight, e.g. across a reconnect, and so only to be
  redelivered after the ack wait) is fetched from the stream before anything after it is applied;
- at start the consumer is recreated after the lowest tracking position the read-model database
  holds, so the database, never the consumer's own state, says where to resume; read models built
  from another history of the stream (a wiped and refilled stream) are refused.

`rebuild` drops and refills read models from the whole stream with an ordered consumer."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import nats
from faststream.nats import NatsBroker
from faststream.nats.subscriber.usecases import PushStreamSubscriber
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError
from tqdm import tqdm

from events.cloudevents import POSITION, from_message
from infra.nats.consumer import (
    SUBJECTS,
    in_order_consumer_config,
    lean_log_context,
    stream_sequence,
    subscribe_in_order,
)
from infra.nats.headers import use_lean_header_parser
from infra.nats.jetstream import quietly, remove_idle_consumer, wait_for_stream
from infra.nats.streams import STREAM_NAME
from projections.activities import ActivityRegisterProjection
from projections.case_list import CaseListProjection
from projections.finance import FinanceProjection
from projections.housing import HousingProjection
from projections.network_overview import NetworkOverviewProjection
from projections.projection import (
    Delivered,
    Projection,
    apply_batch_to_all,
    ensure_created,
    reset,
)
from projections.referrals import ReferralBoardProjection
from projections.storage import ReadModelDatabase, Tracking

log = logging.getLogger(__name__)

STREAM = STREAM_NAME
DEFAULT_DURABLE = "lgnet-projector"
# Before one consumer fed every projection, each had its own: `lgnet-projection-<name>`.
# The projector and `rebuild` delete those if they find them.
LEGACY_DURABLE_PREFIX = "lgnet-projection"

# Measured on 30k events: 200 gives ~15% less throughput than 1000, 4000 no more than 1000 (and a
# failed batch costs more to redo). Measured again with one consumer for both projections (25k
# events): 500, 1000, 2000 and 5000 all within the noise of the machine.
DEFAULT_BATCH_SIZE = 1000
# The server stops delivering to the consumer once this many messages await an ack. It bounds the
# buffer (memory) and must exceed the batch size, or the consumer would stall while a batch is
# being applied.
MAX_ACK_PENDING = 10_000
# A delivery not acknowledged within this time is redelivered (harmless: the buffer keeps one copy
# per stream sequence and applied ones are skipped). Generous, so a slow batch is not resent.
ACK_WAIT_SECONDS = 60.0
# After a failed batch: the first retry is immediate, later ones back off up to the maximum, so a
# database outage or a poison message does not spin.
FIRST_RETRY_DELAY = 0.1
MAX_RETRY_DELAY = 10.0
# How long to wait for a nak'ed message to come back before retrying from the buffer anyway (the
# nak itself can be lost with a dropped connection; the buffer still holds the message).
REDELIVERY_GRACE = 5.0
REBUILD_BATCH_SIZE = 2000
REBUILD_QUEUED_BATCHES = 4


# See tune_gc_for_throughput.
GC_GEN0_THRESHOLD = 50_000


def tune_gc_for_throughput() -> None:
    """Make the cyclic garbage collector cheap for a process that runs the projector: call once,
    after start-up (imports, settings, app construction), before the projector runs.

    Every message allocates a few dozen container objects (nats-py and FastStream per-message
    objects, header dicts, the pydantic model, the envelope, the rows), and up to MAX_ACK_PENDING
    received messages wait in the buffer: with the default threshold (700) a young collection
    runs every ~20 messages and the older ones keep rescanning the buffer and every module-level
    object. `gc.freeze()` moves what start-up created into the permanent generation (never scanned
    again) and a gen-0 threshold of 50,000 makes young collections ~70 times rarer. Measured on
    25k events, SQLite, both projections: the projector's CPU per event fell by ~15% (79 -> 67 us;
    freeze alone: 73 us; a threshold of 100,000 gave no more). Memory: cyclic garbage (rare here:
    reference counting frees the rest at once) lives up to 50,000 allocations longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD)


class ProjectorError(RuntimeError):
    """Raised when the projector or a rebuild cannot start."""


class ProjectorAlreadyRunning(ProjectorError):
    """Raised when another process consumes for these projections (its consumer is bound)."""


class StreamMissing(ProjectorError):
    """Raised by `rebuild` when the stream does not exist (the relay creates it)."""


def default_projections() -> list[Projection]:
    return [
        CaseListProjection(),
        NetworkOverviewProjection(),
        ReferralBoardProjection(),
        HousingProjection(),
        ActivityRegisterProjection(),
        FinanceProjection(),
    ]


def legacy_durable_name(projection: Projection) -> str:
    """The durable consumer a projection had when each had its own (deleted when found)."""
    return f"{LEGACY_DURABLE_PREFIX}-{projection.name}"


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
        the delivery, so the subscription keeps reading while a batch is being applied."""
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
                STREAM, self.next_seq, subject=SUBJECTS, next=True
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


def _consumer_config(durable: str, start_seq: int) -> js_api.ConsumerConfig:
    return in_order_consumer_config(
        durable, start_seq, description="LGNet read-model projections (infra.pipeline.projector)",
        ack_wait=ACK_WAIT_SECONDS, max_ack_pending=MAX_ACK_PENDING,
    )


async def _check_same_history(js: JetStreamContext, name: str, applied: Tracking) -> None:
    """Refuse read models built from another history of the stream (e.g. a wiped and recreated
    stream that the relay refilled): its sequence numbers would point at other events."""
    if applied.stream_seq == 0:
        return
    try:
        stored = await js.get_msg(STREAM, applied.stream_seq)
    except NotFoundError:
        # The stream lost its newest messages (JetStream acks before fsync) and the relay is
        # republishing them: they get the same sequences, so resuming after them is right.
        log.warning(
            "projection %s has applied stream message %d, which the stream does not hold (yet)",
            name, applied.stream_seq,
        )
        return
    position = (stored.headers or {}).get(POSITION)
    if position != str(applied.position):
        raise ProjectorError(
            f"projection {name} was built from another history of stream {STREAM}: its stream "
            f"message {applied.stream_seq} was event {applied.position}, the stream now holds "
            f"event {position} there. Rebuild the read models: lgnet projections rebuild"
        )


async def _remove_idle_consumers(
    js: JetStreamContext, durable: str, projections: Sequence[Projection]
) -> None:
    """Delete the projector's consumer and any left from when each projection had its own,
    unless a running projector is bound to one."""
    for name in (durable, *(legacy_durable_name(projection) for projection in projections)):
        await remove_idle_consumer(
            js, STREAM, name, in_use=ProjectorAlreadyRunning, holder="projector"
        )


class Projector:
    """Runs the projections against the live stream until asked to stop."""

    def __init__(
        self,
        database: ReadModelDatabase,
        projections: Sequence[Projection],
        nats_url: str,
        *,
        durable: str = DEFAULT_DURABLE,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size >= MAX_ACK_PENDING:
            raise ValueError(f"batch_size must be below {MAX_ACK_PENDING}")
        if not projections:
            raise ValueError("no projections to run")
        self.database = database
        self.projections = list(projections)
        self.nats_url = nats_url
        self.durable = durable
        self.batch_size = batch_size

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, create missing tables, project until `stop` is set, then apply what has been
        received, acknowledge it and disconnect."""
        await asyncio.to_thread(self._ensure_tables)
        # One transaction per batch for every projection: one worker thread.
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="projector")
        # apply_types=False: the handler takes the raw delivery, and FastDepends' per-message
        # argument resolution (a thread hop per message for context lookups) would halve the rate.
        # FastStream logs every message ("Received", "Processed"): at DEBUG, so `lgnet run` at INFO
        # does not print two lines per event.
        # Reconnect for ever: the projector outlives NATS restarts (a gap left by messages lost
        # in flight is filled from the stream).
        broker = NatsBroker(
            self.nats_url, logger=log, log_level=logging.DEBUG, apply_types=False,
            graceful_timeout=None, max_reconnect_attempts=-1,
        )
        subscriber: PushStreamSubscriber | None = None
        feed: ProjectionFeed | None = None
        applier: asyncio.Task[None] | None = None
        try:
            await broker.connect()
            use_lean_header_parser(broker.connection)
            js = broker.connection.jetstream()
            if not await wait_for_stream(js, STREAM, stop, waiter="projector"):
                return
            names = [projection.name for projection in self.projections]
            applied = await asyncio.get_running_loop().run_in_executor(
                executor, self.database.trackings, names
            )
            for name, tracking in applied.items():
                await _check_same_history(js, name, tracking)
            await _remove_idle_consumers(js, self.durable, self.projections)
            feed = ProjectionFeed(
                self.database, self.projections, js, executor,
                applied=applied, batch_size=self.batch_size,
            )
            subscriber = self._subscribe(broker, feed)
            await broker.start()
            applier = asyncio.create_task(feed.apply_until_closed(), name="projector-applier")
            stopping = asyncio.create_task(stop.wait())
            # The applier only ends early on a bug; its exception is raised below.
            await asyncio.wait([stopping, applier], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
        finally:
            await _shut_down(broker, subscriber, feed, applier, executor)
        if applier is not None:
            applier.result()

    def _ensure_tables(self) -> None:
        self.database.ensure_tracking_table()
        for projection in self.projections:
            ensure_created(self.database, projection)

    def _subscribe(self, broker: NatsBroker, feed: ProjectionFeed) -> PushStreamSubscriber:
        # The applier acks after the commit and naks on failure.
        subscriber = subscribe_in_order(
            broker, feed.receive, _consumer_config(self.durable, feed.next_seq)
        )
        lean_log_context(subscriber)
        return subscriber


async def _shut_down(
    broker: NatsBroker,
    subscriber: PushStreamSubscriber | None,
    feed: ProjectionFeed | None,
    applier: asyncio.Task[None] | None,
    executor: ThreadPoolExecutor,
) -> None:
    """Stop receiving, let the applier finish what it holds (so its acks go out), disconnect.
    Each step runs even if an earlier one failed: the connection may already be gone."""
    if subscriber is not None:
        try:
            await subscriber.stop()
        except Exception:
            log.warning("projector: stopping the subscription failed", exc_info=True)
    if feed is not None:
        feed.close()
    if applier is not None:
        await asyncio.gather(applier, return_exceptions=True)
    try:
        await broker.stop()  # drains the connection: pending acks are flushed
    except Exception:
        log.warning("projector: closing the NATS connection failed", exc_info=True)
    executor.shutdown(wait=True)


async def rebuild(
    database: ReadModelDatabase,
    projections: Sequence[Projection],
    nats_url: str,
    *,
    progress: bool = True,
    durable: str = DEFAULT_DURABLE,
    batch_size: int = REBUILD_BATCH_SIZE,
) -> int:
    """Drop the projections' tables, re-apply the whole stream and return how many events were
    applied. Tracking ends at the last message the stream held when the rebuild began, so a live
    projector started afterwards carries on from there. Refuses to run while a projector consumes
    (its consumer `durable` is bound). Interrupted, it leaves consistent, partial read models that
    a projector (or another rebuild) completes."""
    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        try:
            state = (await js.stream_info(STREAM)).state
        except NotFoundError:
            raise StreamMissing(f"there is no stream {STREAM} at {nats_url}") from None
        await _remove_idle_consumers(js, durable, projections)
        await asyncio.to_thread(_reset_all, database, projections)
        if state.messages == 0:
            return 0
        with tqdm(
            total=state.messages, unit="ev", desc="Rebuilding read models", disable=not progress
        ) as bar:
            return await _replay(js, database, projections, state.last_seq, batch_size, bar)
    finally:
        await connection.close()


def _reset_all(database: ReadModelDatabase, projections: Sequence[Projection]) -> None:
    database.ensure_tracking_table()
    for projection in projections:
        reset(database, projection)


async def _replay(
    js: JetStreamContext,
    database: ReadModelDatabase,
    projections: Sequence[Projection],
    last_seq: int,
    batch_size: int,
    bar: tqdm,
) -> int:
    # Receiving (event loop) and applying (worker thread) overlap; the bounded queue makes the
    # ordered consumer's flow control slow the server down when the database falls behind.
    batches: asyncio.Queue[list[tuple[int, dict[str, str], bytes]] | None] = asyncio.Queue(
        maxsize=REBUILD_QUEUED_BATCHES
    )
    collecting: list[tuple[int, dict[str, str], bytes]] = []
    finished = False

    async def collect(delivery: Msg) -> None:
        nonlocal collecting, finished
        if finished:
            return
        metadata = delivery.metadata
        stream_seq = metadata.sequence.stream
        if stream_seq > last_seq:
            finished = True  # published after the rebuild began: the live projector's part
        else:
            collecting.append((stream_seq, delivery.headers or {}, delivery.data))
            # num_pending == 0: nothing after this one, even if the stream's last was deleted.
            finished = stream_seq == last_seq or metadata.num_pending == 0
        if finished or len(collecting) >= batch_size:
            batch, collecting = collecting, []
            if batch:
                await batches.put(batch)
            if finished:
                await batches.put(None)

    subscription = await js.subscribe(
        SUBJECTS,
        stream=STREAM,
        cb=collect,
        ordered_consumer=True,
        deliver_policy=js_api.DeliverPolicy.ALL,
    )
    applied = 0
    try:
        while (batch := await batches.get()) is not None:
            await asyncio.to_thread(_apply_to_all, database, projections, batch)
            applied += len(batch)
            bar.update(len(batch))
    finally:
        await subscription.unsubscribe()
    return applied


def _apply_to_all(
    database: ReadModelDatabase,
    projections: Sequence[Projection],
    batch: list[tuple[int, dict[str, str], bytes]],
) -> None:
    # Decoded once, applied to every projection in one transaction with their tracking.
    delivered = [Delivered(seq, from_message(headers, body)) for seq, headers, body in batch]
    apply_batch_to_all(database, projections, delivered)
