"""Rebuilding read models: drop the projections' tables and re-apply the whole stream LGNET
through a pull consumer of the rebuild's own, receiving and applying side by side; the server
sends only the few batches asked for ahead of applying, so memory stays bounded whatever the
stream's length.

With `processes=2` (`lgnet projections rebuild --processes 2`, the command's default) the batches
are decoded and applied in a second process (spawned, so nothing of this one is shared) while
this one receives them: both cores work, receiving (nats-py's per-message work, about a quarter
of a rebuild's CPU) no longer waits for the applying under one GIL. The second process applies
each batch with the tracking of every projection, in one transaction, as one process does, so an
interrupted rebuild still leaves consistent read models that a projector completes (it starts
after the lowest tracking). (Splitting the projections into two groups, one a process, was
tried before: each process received and decoded every message, and on SQLite they queued for
one writer; it was slower than one process, docs/benchmarks.md.)"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from uuid import uuid4

import nats
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import SlowConsumerError
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError
from tqdm import tqdm

from events.cloudevents import from_message
from infra.nats.consumer import SUBJECTS
from infra.nats.headers import use_lean_header_parser
from infra.nats.jetstream import person_waits_nats_options, server_list
from infra.nats.streams import STREAM_NAME
from infra.pipeline.projector.runner import (
    DEFAULT_DURABLE,
    ProjectorError,
    remove_idle_consumers,
    tune_gc_for_throughput,
)
from projections.projection import Delivered, Projection, apply_batch_to_all, reset
from projections.registry import default_projections
from projections.storage.read_models import (
    PostgresReadModels,
    ReadModelDatabase,
    SqliteReadModels,
)

# Events applied in one transaction: fewer commits, and pages of the read models' indexes (keyed
# by random ids) written once for more events (2,000: ~8% more CPU an event on SQLite than
# 10,000; 30,000: docs/benchmarks.md, ninth pass).
REBUILD_BATCH_SIZE = 30_000
# Messages asked for at a time. Two requests of 25,000 messages were more than nats-server's
# 64 MB of pending output per client, and it cut the connection: the transactions' size is
# made of several pulls instead.
PULL_SIZE = 10_000
REBUILD_QUEUED_BATCHES = 4  # pulls received and waiting to be applied, at most
PULL_WINDOW = 2  # pulls asked for and not received yet, at most
PULL_STALL_SECONDS = 15.0  # nothing received for this long, while asked for: start anew
PULL_CONSUMER_INACTIVE_SECONDS = 120.0
REBUILD_CONSUMER_PREFIX = "lgnet-rebuild-"  # each rebuild's own consumer's name begins so
PULL_RESTARTS = 5  # new consumers in a row after the same message before the rebuild gives up
_CHECK_SECONDS = 1.0  # how often the applying loop looks for dropped messages while it waits

class StreamMissing(ProjectorError):
    """Raised by `rebuild` when the stream does not exist (the relay creates it)."""


class RebuildAlreadyRunning(ProjectorError):
    """Raised by `rebuild` when another rebuild reads the stream: two at once would both drop
    and fill the same read models."""


async def rebuild(
    database: ReadModelDatabase,
    projections: Sequence[Projection],
    nats_url: str,
    *,
    progress: bool = True,
    durable: str = DEFAULT_DURABLE,
    batch_size: int = REBUILD_BATCH_SIZE,
    processes: int = 1,
) -> int:
    """Drop the projections' tables, re-apply the whole stream and return how many events were
    applied. Tracking ends at the last message the stream held when the rebuild began, so a live
    projector started afterwards carries on from there. Refuses to run while a projector consumes
    (its consumer `durable` is bound) or another rebuild reads the stream. Interrupted, it leaves
    consistent, partial read models that a projector (or another rebuild) completes.
    `processes=2`: decoded and applied in a second process (module docstring); only for the
    platform's own projections (`default_projections`) on a database another process can open
    too, else in this one."""
    if processes not in (1, 2):
        raise ValueError("a rebuild runs in one process or two")
    address = _address(database) if processes == 2 else None
    names = _registry_names(projections) if address is not None else None
    dropped: list[Exception] = []
    connection = await _connect(nats_url, dropped)
    try:
        js = connection.jetstream()
        try:
            state = (await js.stream_info(STREAM_NAME)).state
        except NotFoundError:
            raise StreamMissing(f"there is no stream {STREAM_NAME} at {nats_url}") from None
        puller = _Puller(connection, js, min(batch_size, PULL_SIZE))
        # This rebuild's consumer first, then a look for another rebuild's: of two started
        # together each sees the other's and both refuse, so two never drop and fill the same
        # read models at once (which left them silently incomplete, docs/benchmarks.md).
        await puller.start(after=None)
        try:
            await _refuse_if_another_rebuild(js, puller.consumer)
            await remove_idle_consumers(js, durable, projections)
            await asyncio.to_thread(_reset_all, database, projections)
            if state.messages == 0:
                return 0
            with tqdm(total=state.messages, unit="ev", desc="Rebuilding read models",
                      disable=not progress) as bar:
                if address is None or names is None:
                    with _InThisProcess(database, projections) as applier_here:
                        return await _replay(puller, applier_here.apply, state.last_seq,
                                             batch_size, bar, dropped)
                with _InASecondProcess(address, names) as applier:
                    sent = await _replay(puller, applier.apply, state.last_seq, batch_size,
                                         bar, dropped)
                    return await applier.finish(sent)
        finally:
            await puller.close()
    finally:
        await connection.close()


async def _refuse_if_another_rebuild(js: JetStreamContext, mine: str | None) -> None:
    others = [info.name for info in await js.consumers_info(STREAM_NAME)
              if info.name.startswith(REBUILD_CONSUMER_PREFIX) and info.name != mine]
    if others:
        raise RebuildAlreadyRunning(
            f"another rebuild is running (its consumer {others[0]} reads stream {STREAM_NAME}): "
            "run one at a time. A rebuild that died leaves its consumer for up to "
            f"{PULL_CONSUMER_INACTIVE_SECONDS:.0f} s.")


async def _connect(nats_url: str, dropped: list[Exception]) -> NatsClient:
    """A connection whose dropped messages (nats-py's slow consumer) go to `dropped`: a
    rebuild that lost any must fail, not leave read models with holes."""

    async def on_error(error: Exception) -> None:
        if isinstance(error, SlowConsumerError):
            dropped.append(error)

    options = person_waits_nats_options() | {"error_cb": on_error}
    connection = await nats.connect(server_list(nats_url),  # a cluster's seeds too
                                    **options)
    # The projector's header parser: a rebuild receives as many messages.
    use_lean_header_parser(connection)
    return connection


def _registry_names(projections: Sequence[Projection]) -> list[str] | None:
    """The projections' names when each is the registry's own (the second process builds its
    projections from the registry by name), else None."""
    registry = {projection.name: type(projection) for projection in default_projections()}
    if not all(registry.get(p.name) is type(p) for p in projections):
        return None
    return [projection.name for projection in projections]


def _address(database: ReadModelDatabase) -> tuple[str, str] | None:
    """How another process opens `database`: ("sqlite", path) or ("postgres", url)."""
    if isinstance(database, SqliteReadModels):
        return ("sqlite", str(database.path))
    if isinstance(database, PostgresReadModels):
        return ("postgres", database.url)
    return None


def _open(address: tuple[str, str]) -> ReadModelDatabase:
    kind, where = address
    return SqliteReadModels(Path(where)) if kind == "sqlite" else PostgresReadModels(where)


Batch = list[tuple[int, dict[str, str], bytes]]  # (stream sequence, headers, body), in order
ApplyBatch = Callable[[Batch], Awaitable[None]]


class _InThisProcess:
    """Batches decoded and applied in one thread of this process throughout: one database
    connection, whose page cache (enlarged by the bulk transaction on SQLite) every batch
    reuses."""

    def __init__(self, database: ReadModelDatabase, projections: Sequence[Projection]) -> None:
        self.database = database
        self.projections = projections
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lgnet-rebuild-apply")

    def __enter__(self) -> _InThisProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.thread.shutdown(wait=True)

    async def apply(self, batch: Batch) -> None:
        await asyncio.get_running_loop().run_in_executor(
            self.thread, _apply_to_all, self.database, self.projections, batch)


class _InASecondProcess:
    """Batches sent (pickled) over a pipe to a spawned process that decodes and applies them in
    order, as `_InThisProcess` does. Sending a batch returns once the pipe has taken it, i.e.
    once the process has started reading it, having applied the one before: at most one batch
    is applied while the next is on its way, so memory stays bounded. The process answers once,
    at the end: how many events it applied, or why it failed."""

    def __init__(self, address: tuple[str, str], names: list[str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, there = context.Pipe(duplex=True)
        self.process = context.Process(target=_applying_process, args=(there, address, names),
                                       name="lgnet-rebuild-apply", daemon=True)
        self.process.start()
        there.close()
        # Pickling and writing a batch (~12 MB) in a thread: the event loop goes on receiving.
        self.sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lgnet-rebuild-send")

    def __enter__(self) -> _InASecondProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process.is_alive():  # failed or interrupted here: its open batch rolls back
            self.process.terminate()
        self.process.join()
        self.sender.shutdown(wait=True)  # a batch being sent fails, the process being gone
        self.pipe.close()

    async def apply(self, batch: Batch) -> None:
        await self._send(batch)

    async def finish(self, sent: int) -> int:
        """Tell the process the stream is done; what it applied, which must be all `sent`."""
        await self._send(None)
        outcome, value = await asyncio.to_thread(_outcome, self.pipe)
        await asyncio.to_thread(self.process.join)
        if outcome != "applied":
            raise ProjectorError(f"the rebuild's applying process failed: {value}")
        if value != sent:
            raise ProjectorError(
                f"the rebuild's applying process applied {value} events of {sent} sent")
        return sent

    async def _send(self, batch: Batch | None) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self.sender, self.pipe.send, batch)
        except OSError:  # the pipe's other end closed: the process ended, and said why
            _, why = _outcome(self.pipe)
            raise ProjectorError(f"the rebuild's applying process failed: {why}") from None


def _outcome(pipe: Connection) -> tuple[str, object]:
    try:
        result: tuple[str, object] = pipe.recv()
    except (EOFError, OSError):
        return ("failed", "it ended without a word")
    return result


def _applying_process(pipe: Connection, address: tuple[str, str], names: list[str]) -> None:
    """The second process of a rebuild: applies the batches it is sent until it is sent None."""
    tune_gc_for_throughput()
    database = _open(address)
    projections = [p for p in default_projections() if p.name in names]
    applied = 0
    try:
        while (batch := pipe.recv()) is not None:
            _apply_to_all(database, projections, batch)
            applied += len(batch)
    except BaseException as error:
        pipe.send(("failed", f"{type(error).__name__}: {error}"))
        raise
    finally:
        database.close()
    pipe.send(("applied", applied))


def _reset_all(database: ReadModelDatabase, projections: Sequence[Projection]) -> None:
    database.ensure_tracking_table()
    for projection in projections:
        reset(database, projection)


async def _replay(
    puller: _Puller,
    apply: ApplyBatch,
    last_seq: int,
    batch_size: int,
    bar: tqdm,
    dropped: list[Exception],
) -> int:
    # Receiving (event loop) and applying (worker thread or process) overlap, and the server
    # sends only what was asked for: a pull consumer of the rebuild's own, asked for a pull more
    # each time a pull is handed to the applying loop. At most PULL_WINDOW pulls are on their
    # way, REBUILD_QUEUED_BATCHES wait to be applied and one batch is applied, whatever the
    # stream's length. (An ordered push consumer, used before, let the server run ahead: at
    # 1,000,001 events it was 480,000 messages ahead, 1.5 GB of memory, and nats-py drops
    # messages past its buffer's limit.)
    pull_size = puller.batch_size
    batches: asyncio.Queue[Batch | None] = asyncio.Queue(
        maxsize=REBUILD_QUEUED_BATCHES
    )

    async def receive() -> None:
        collecting: Batch = []
        while not dropped:  # (else the applying loop says so)
            for delivery in await puller.take():
                stream_seq, num_pending = _sequence_and_pending(delivery)
                puller.received(stream_seq)
                if stream_seq > last_seq:
                    finished = True  # published after the rebuild began: the live projector's
                else:
                    collecting.append((stream_seq, delivery.headers or {}, delivery.data))
                    # num_pending == 0: nothing after this one, even if the stream's last was
                    # deleted.
                    finished = stream_seq == last_seq or num_pending == 0
                if finished or len(collecting) >= pull_size:
                    pulled, collecting = collecting, []
                    if pulled:
                        await batches.put(pulled)  # waits while the applying loop is behind
                    if finished:
                        await batches.put(None)
                        return
                    await puller.ask(len(pulled))

    receiving = asyncio.create_task(receive())
    applied = 0
    batch: Batch = []  # pulls, until a batch's worth

    async def apply_batch() -> None:
        nonlocal applied, batch
        await apply(batch)
        applied += len(batch)
        bar.update(len(batch))
        batch = []

    try:
        while (pulled := await _next_batch(batches, receiving, dropped)) is not None:
            batch.extend(pulled)
            if len(batch) >= batch_size:
                await apply_batch()
        _refuse_if_dropped(dropped)
        if batch:
            await apply_batch()
    finally:
        receiving.cancel()
    return applied


class _Puller:
    """The stream's messages in order, from an ephemeral pull consumer (no acks: a rebuild keeps
    its position in its tracking rows), `batch_size` messages asked for at a time. Should the
    messages asked for stop coming (a request or the consumer lost when a server of a cluster
    went away), it starts a new consumer after the last message received, on a new inbox, so
    nothing sent to the old one is taken."""

    def __init__(self, connection: NatsClient, js: JetStreamContext, batch_size: int) -> None:
        self.js = js
        self.connection = connection
        self.batch_size = batch_size
        self.consumer: str | None = None
        self.subscription: Subscription | None = None
        self.outstanding = 0  # asked for and not received yet
        self.last_received: int | None = None
        self.restarts = 0  # new consumers in a row with nothing received in between
        self.restarted_after: int | None = None

    async def start(self, after: int | None) -> None:
        """A new consumer from the message after `after` (the stream's first when None), and a
        first window of requests. Fails after PULL_RESTARTS new consumers in a row that gave
        nothing."""
        if self.consumer is not None:
            self.restarts = 0 if after != self.restarted_after else self.restarts + 1
            self.restarted_after = after
            if self.restarts >= PULL_RESTARTS:
                raise ProjectorError(
                    f"the rebuild's consumer was lost {PULL_RESTARTS} times in a row after "
                    f"message {after}")
        await self._drop_consumer()
        self.consumer = f"{REBUILD_CONSUMER_PREFIX}{uuid4().hex[:12]}"
        await self.js.add_consumer(STREAM_NAME, js_api.ConsumerConfig(
            name=self.consumer,
            ack_policy=js_api.AckPolicy.NONE,
            filter_subject=SUBJECTS,
            mem_storage=True,
            # Removed by the server if this process dies without deleting it.
            inactive_threshold=PULL_CONSUMER_INACTIVE_SECONDS,
            **({"deliver_policy": js_api.DeliverPolicy.ALL} if after is None else
               {"deliver_policy": js_api.DeliverPolicy.BY_START_SEQUENCE,
                "opt_start_seq": after + 1}),
        ))
        self.subscription = await self.connection.subscribe(self.connection.new_inbox())
        self.outstanding = 0
        await self.ask(PULL_WINDOW * self.batch_size)

    async def ask(self, count: int) -> None:
        assert self.subscription is not None and self.consumer is not None
        await self.connection.publish(
            # `js` is the connection's default JetStream context: the default API prefix.
            f"{js_api.DEFAULT_PREFIX}.CONSUMER.MSG.NEXT.{STREAM_NAME}.{self.consumer}",
            json.dumps({"batch": count}).encode(), reply=self.subscription.subject)
        self.outstanding += count

    def received(self, stream_seq: int) -> None:
        self.outstanding -= 1
        self.last_received = stream_seq

    async def take(self) -> list[Msg]:
        """The next messages received: the first awaited, the others already there. Status
        messages are left out (a request's end); one that tells of an error fails the rebuild."""
        while True:
            assert self.subscription is not None
            try:
                first = await self.subscription.next_msg(timeout=PULL_STALL_SECONDS)
            except nats.errors.TimeoutError:
                # Asked for and not coming: the request or the consumer was lost.
                await self.start(after=self.last_received)
                continue
            taken = [first, *_buffered(self.subscription, self.batch_size)]
            statuses = [_status(message) for message in taken if _is_status(message)]
            data = [message for message in taken if not _is_status(message)]
            if any(_consumer_lost(status) for status in statuses):
                # Gone with a server of the cluster, say: what was received is kept.
                await self.start(after=_last_sequence(data, self.last_received))
                if data:
                    return data
                continue
            refused = [status for status in statuses if status[:3] not in ("404", "408")]
            if refused:
                raise ProjectorError(f"the rebuild's consumer answered {refused[0]}")
            if data:
                return data

    async def close(self) -> None:
        if self.subscription is not None:
            with suppress(Exception):
                await self.subscription.unsubscribe()
        await self._drop_consumer()

    async def _drop_consumer(self) -> None:
        if self.consumer is not None and not self.connection.is_closed:
            with suppress(Exception):  # the server removes it after its inactive threshold
                await self.js.delete_consumer(STREAM_NAME, self.consumer)
        self.consumer = None
        if self.subscription is not None:
            with suppress(Exception):
                await self.subscription.unsubscribe()
            self.subscription = None


def _status(message: Msg) -> str:
    headers = message.headers or {}
    return f"{headers.get('Status', '')} {headers.get('Description', '')}".strip()


def _last_sequence(messages: list[Msg], before: int | None) -> int | None:
    """The stream sequence of the last of `messages`, else `before`."""
    return _sequence_and_pending(messages[-1])[0] if messages else before


def _consumer_lost(status: str) -> bool:
    """A pull request's status saying the consumer is not there any more: 503 (no responders:
    nobody serves its subject), 409 Consumer Deleted, 409 Leadership Change."""
    return status.startswith("503") or (
        status.startswith("409") and ("Deleted" in status or "Leadership" in status))


def _is_status(message: Msg) -> bool:
    """A status message of a pull request (no data, a Status header, no reply subject)."""
    return not message.data and "Status" in (message.headers or {})


def _buffered(subscription: Subscription, most: int) -> list[Msg]:
    """Up to `most` messages the subscription holds already, taken as its iterator takes them
    (so flow control counts them as delivered), without awaiting. Reaches into nats-py (2.16):
    if its queue is not where it was, nothing is taken here and the iterator takes each."""
    queue: asyncio.Queue[Msg] | None = getattr(subscription, "_pending_queue", None)
    if queue is None or not hasattr(subscription, "_pending_size"):
        return []
    taken: list[Msg] = []
    while len(taken) < most:
        try:
            message = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        queue.task_done()
        subscription._pending_size -= len(message.data)
        taken.append(message)
    return taken


async def _next_batch(
    batches: asyncio.Queue[Batch | None],
    receiving: asyncio.Task[None],
    dropped: list[Exception],
) -> Batch | None:
    """The next batch; raises when messages were dropped, or receiving failed or ended early."""
    getting = asyncio.ensure_future(batches.get())
    while True:
        done, _ = await asyncio.wait({getting, receiving}, timeout=_CHECK_SECONDS,
                                     return_when=asyncio.FIRST_COMPLETED)
        _refuse_if_dropped(dropped)
        if getting in done:
            return getting.result()
        if receiving in done:
            getting.cancel()
            receiving.result()  # its error, if any
            raise ProjectorError("the rebuild stopped receiving before the stream's end")


def _refuse_if_dropped(dropped: list[Exception]) -> None:
    if dropped:
        raise ProjectorError(
            f"the rebuild lost messages on the way ({dropped[0]}): the read models are "
            "incomplete; run the rebuild again")


def _sequence_and_pending(delivery: Msg) -> tuple[int, int]:
    """The message's stream sequence and the messages pending after it, read from its reply
    subject as `delivery.metadata` reads them, without building the metadata object (one per
    message: a few percent of a rebuild's CPU). Subjects of either form: $JS.ACK.<stream>.
    <consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>, or with a domain and an
    account hash after ACK (and perhaps a token at the end)."""
    tokens = (delivery.reply or "").split(".")
    if tokens[:2] == ["$JS", "ACK"]:
        if len(tokens) == 9:
            return int(tokens[5]), int(tokens[8])
        if len(tokens) >= 11:
            return int(tokens[7]), int(tokens[10])
    metadata = delivery.metadata  # raises NotJSMessageError, as before
    return metadata.sequence.stream, metadata.num_pending


def _apply_to_all(
    database: ReadModelDatabase,
    projections: Sequence[Projection],
    batch: Batch,
) -> None:
    # Decoded once, applied to every projection in one transaction with their tracking.
    delivered = [Delivered(seq, from_message(headers, body)) for seq, headers, body in batch]
    apply_batch_to_all(database, projections, delivered, bulk=True)
