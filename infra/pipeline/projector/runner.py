"""The projector's run: connect, check that the read models were built from this stream's
history, recreate the consumer after the lowest tracking position, feed every projection until
asked to stop, then apply and acknowledge what was received and disconnect. Also the platform's
set of projections (`default_projections`) and the GC tuning for a process that projects."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from faststream.nats import NatsBroker
from faststream.nats.subscriber.usecases import PushStreamSubscriber
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError

from events.cloudevents import POSITION
from infra.nats.consumer import in_order_consumer_config, lean_log_context, subscribe_in_order
from infra.nats.headers import use_lean_header_parser
from infra.nats.jetstream import remove_idle_consumer, server_list, wait_for_stream
from infra.nats.streams import STREAM_NAME
from infra.pipeline.projector.feed import DEFAULT_BATCH_SIZE, ProjectionFeed
from projections.projection import Projection, ensure_created
from projections.storage.read_models import ReadModelDatabase, Tracking

log = logging.getLogger(__name__)

DEFAULT_DURABLE = "lgnet-projector"
# Before one consumer fed every projection, each had its own: `lgnet-projection-<name>`.
# The projector and `rebuild` delete those if they find them.
LEGACY_DURABLE_PREFIX = "lgnet-projection"

# The server stops delivering to the consumer once this many messages await an ack. It bounds the
# buffer (memory) and must exceed the batch size, or the consumer would stall while a batch is
# being applied.
MAX_ACK_PENDING = 10_000
# A delivery not acknowledged within this time is redelivered (harmless: the buffer keeps one copy
# per stream sequence and applied ones are skipped). Generous, so a slow batch is not resent.
ACK_WAIT_SECONDS = 60.0


# See tune_gc_for_throughput.
GC_GEN0_THRESHOLD = 50_000


def tune_gc_for_throughput() -> None:
    """Make the cyclic garbage collector cheap for a process that runs the projector (or the
    relay, whose batches in flight are as many live objects): call once, after start-up
    (imports, settings, app construction), before the projector runs.

    Every message allocates a few dozen container objects (nats-py and FastStream per-message
    objects, header dicts, the pydantic model, the envelope, the rows), and up to MAX_ACK_PENDING
    received messages wait in the buffer: with the default threshold (700) young collections run
    every few dozen messages and the older ones keep rescanning the buffer and every module-level
    object. `gc.freeze()` moves what start-up created into the permanent generation (never scanned
    again) and a gen-0 threshold of 50,000 makes young collections far rarer (the CPU saved per
    event: docs/benchmarks.md). Memory: cyclic garbage (rare here: reference counting frees the
    rest at once) lives up to 50,000 allocations longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD)


class ProjectorError(RuntimeError):
    """Raised when the projector or a rebuild cannot start."""


class ProjectorAlreadyRunning(ProjectorError):
    """Raised when another process consumes for these projections (its consumer is bound)."""


def legacy_durable_name(projection: Projection) -> str:
    """The durable consumer a projection had when each had its own (deleted when found)."""
    return f"{LEGACY_DURABLE_PREFIX}-{projection.name}"


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
        stored = await js.get_msg(STREAM_NAME, applied.stream_seq)
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
            f"projection {name} was built from another history of stream {STREAM_NAME}: its stream "
            f"message {applied.stream_seq} was event {applied.position}, the stream now holds "
            f"event {position} there. Rebuild the read models: lgnet projections rebuild"
        )


async def remove_idle_consumers(
    js: JetStreamContext, durable: str, projections: Sequence[Projection]
) -> None:
    """Delete the projector's consumer and any left from when each projection had its own,
    unless a running projector is bound to one."""
    for name in (durable, *(legacy_durable_name(projection) for projection in projections)):
        await remove_idle_consumer(
            js, STREAM_NAME, name, in_use=ProjectorAlreadyRunning, holder="projector"
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
        # The running feed (its count of ignored foreign deliveries is looked at by tests).
        self.feed: ProjectionFeed | None = None

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
        # A cluster's seeds as a list: FastStream does not split a comma-separated URL.
        broker = NatsBroker(
            server_list(self.nats_url), logger=log, log_level=logging.DEBUG, apply_types=False,
            graceful_timeout=None, max_reconnect_attempts=-1,
        )
        subscriber: PushStreamSubscriber | None = None
        feed: ProjectionFeed | None = None
        applier: asyncio.Task[None] | None = None
        try:
            await broker.connect()
            use_lean_header_parser(broker.connection)
            js = broker.connection.jetstream()
            if not await wait_for_stream(js, STREAM_NAME, stop, waiter="projector"):
                return
            names = [projection.name for projection in self.projections]
            applied = await asyncio.get_running_loop().run_in_executor(
                executor, self.database.trackings, names
            )
            for name, tracking in applied.items():
                await _check_same_history(js, name, tracking)
            await remove_idle_consumers(js, self.durable, self.projections)
            feed = ProjectionFeed(
                self.database, self.projections, js, executor,
                applied=applied, durable=self.durable, batch_size=self.batch_size,
            )
            self.feed = feed
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


