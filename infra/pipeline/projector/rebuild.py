"""Rebuilding read models: drop the projections' tables and re-apply the whole stream LGNET
through an ordered consumer, receiving and applying side by side.

With `processes=2` (`lgnet projections rebuild --processes 2`) the projections are split into two
groups of about equal cost, and a second process (spawned, so nothing of this one is shared)
replays the stream for the second group while this one replays it for the first: both cores
work. Each process receives and decodes every message (the transport is the part that cannot be
split), applies its group in transactions of `batch_size` events with that group's tracking, and
stops at the same last message, the stream's last when the rebuild began. Each projection's rows
and tracking move together, as with one process, so an interrupted rebuild still leaves
consistent read models that a projector completes (it starts after the lowest tracking)."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

import nats
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

REBUILD_BATCH_SIZE = 10_000  # 2,000: ~8% more CPU an event on SQLite (more commits)
REBUILD_QUEUED_BATCHES = 4
_CHECK_SECONDS = 1.0  # how often the applying loop looks for dropped messages while it waits

# The relative cost of applying each read model (py-spy, a rebuild of copies of the demo, issue
# 15): what the split into two groups balances. A projection not named here counts as 2.
APPLY_COST: dict[str, int] = {
    "assignment": 71, "case_list": 52, "referral_board": 31, "finance": 28, "person_links": 26,
    "plans": 22, "documents": 17, "case_notes": 15, "housing": 12, "deliveries": 10,
    "network_overview": 7, "activity_register": 6, "households": 6, "organisations": 1,
}
_UNKNOWN_COST = 2


class StreamMissing(ProjectorError):
    """Raised by `rebuild` when the stream does not exist (the relay creates it)."""


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
    (its consumer `durable` is bound). Interrupted, it leaves consistent, partial read models that
    a projector (or another rebuild) completes. `processes=2`: two groups of projections, the
    second replayed by a process of its own (module docstring); only for the platform's own
    projections (`default_projections`) on a database the second process can open too."""
    groups = _split(projections, processes, database)
    dropped: list[Exception] = []
    connection = await _connect(nats_url, dropped)
    try:
        js = connection.jetstream()
        try:
            state = (await js.stream_info(STREAM_NAME)).state
        except NotFoundError:
            raise StreamMissing(f"there is no stream {STREAM_NAME} at {nats_url}") from None
        await remove_idle_consumers(js, durable, projections)
        await asyncio.to_thread(_reset_all, database, projections)
        if state.messages == 0:
            return 0
        with tqdm(
            total=state.messages, unit="ev", desc="Rebuilding read models", disable=not progress
        ) as bar:
            if len(groups) == 1:
                return await _replay(js, database, projections, state.last_seq, batch_size, bar,
                                     dropped)
            return await _replay_beside_a_second_process(
                js, database, groups, nats_url, state.last_seq, batch_size, bar, dropped
            )
    finally:
        await connection.close()


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


def _split(
    projections: Sequence[Projection], processes: int, database: ReadModelDatabase
) -> list[list[Projection]]:
    """The projections in `processes` groups (1 or 2) of about equal cost (APPLY_COST); one
    group when a second process could not open the same projections and database."""
    if processes not in (1, 2):
        raise ValueError("a rebuild runs in one process or two")
    # The second process builds its projections from the registry by name: only the
    # registry's own can be split.
    registry = {projection.name: type(projection) for projection in default_projections()}
    if (processes == 1 or len(projections) < 2
            or not all(registry.get(p.name) is type(p) for p in projections)
            or _address(database) is None):
        return [list(projections)]
    groups: list[list[Projection]] = [[], []]
    costs = [0, 0]
    for projection in sorted(projections, key=lambda p: -APPLY_COST.get(p.name, _UNKNOWN_COST)):
        lighter = costs.index(min(costs))
        groups[lighter].append(projection)
        costs[lighter] += APPLY_COST.get(projection.name, _UNKNOWN_COST)
    # In the order given (the registry's), within each group.
    order = {p.name: i for i, p in enumerate(projections)}
    return [sorted(group, key=lambda p: order[p.name]) for group in groups]


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


async def _replay_beside_a_second_process(
    js: JetStreamContext,
    database: ReadModelDatabase,
    groups: list[list[Projection]],
    nats_url: str,
    last_seq: int,
    batch_size: int,
    bar: tqdm,
    dropped: list[Exception],
) -> int:
    address = _address(database)
    assert address is not None  # _split made two groups only then
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    second = context.Process(
        target=_second_process,
        args=(sending, address, [p.name for p in groups[1]], nats_url, last_seq, batch_size),
        name="lgnet-rebuild-2", daemon=True,
    )
    second.start()
    sending.close()
    try:
        applied = await _replay(js, database, groups[0], last_seq, batch_size, bar, dropped)
        outcome, value = await asyncio.to_thread(_outcome, receiving)
        second.join()
        if outcome != "applied":
            raise ProjectorError(f"the rebuild's second process failed: {value}")
        if value != applied:
            raise ProjectorError(
                f"the rebuild's second process applied {value} events, the first {applied}")
        return applied
    finally:
        receiving.close()
        if second.is_alive():
            second.terminate()
            second.join()


def _outcome(receiving: Connection) -> tuple[str, object]:
    try:
        result: tuple[str, object] = receiving.recv()
    except EOFError:
        return ("failed", "it ended without a word")
    return result


def _second_process(
    sending: Connection,
    address: tuple[str, str],
    names: list[str],
    nats_url: str,
    last_seq: int,
    batch_size: int,
) -> None:
    """The second group's replay, in a process of its own (spawned)."""
    tune_gc_for_throughput()
    try:
        applied = asyncio.run(_replay_group(address, names, nats_url, last_seq, batch_size))
    except BaseException as error:
        sending.send(("failed", f"{type(error).__name__}: {error}"))
        raise
    sending.send(("applied", applied))


async def _replay_group(
    address: tuple[str, str], names: list[str], nats_url: str, last_seq: int, batch_size: int
) -> int:
    database = _open(address)
    projections = [p for p in default_projections() if p.name in names]
    dropped: list[Exception] = []
    connection = await _connect(nats_url, dropped)
    try:
        with tqdm(disable=True) as bar:
            return await _replay(connection.jetstream(), database, projections, last_seq,
                                 batch_size, bar, dropped)
    finally:
        await connection.close()
        database.close()


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
    dropped: list[Exception],
) -> int:
    # Receiving (event loop) and applying (worker thread) overlap. The messages are taken from
    # the subscription by iterating, not by a callback: nats-py (2.16) answers the server's flow
    # control as soon as a callback subscription has *received* the messages before it, so
    # with a callback that waits for the database the server sends the whole stream at once,
    # the client's buffer grows past its limit (256 MB of bodies) and nats-py drops messages
    # (a slow consumer), silently, without the ordered consumer noticing: measured, 1,001,001
    # messages, 1.6 GB of memory, the last 8,373 never applied and the rebuild waiting for
    # ever. Iterated, flow control answers once the messages are taken, and the bounded queue
    # of batches holds the server back.
    batches: asyncio.Queue[list[tuple[int, dict[str, str], bytes]] | None] = asyncio.Queue(
        maxsize=REBUILD_QUEUED_BATCHES
    )
    subscription = await js.subscribe(
        SUBJECTS,
        stream=STREAM_NAME,
        ordered_consumer=True,
        deliver_policy=js_api.DeliverPolicy.ALL,
    )

    async def receive() -> None:
        collecting: list[tuple[int, dict[str, str], bytes]] = []
        messages = subscription.messages
        while not dropped:  # (else the applying loop says so)
            # The iterator costs a task per message: what is buffered behind the first is taken
            # at once.
            for delivery in [await anext(messages), *_buffered(subscription, batch_size)]:
                stream_seq, num_pending = _sequence_and_pending(delivery)
                if stream_seq > last_seq:
                    finished = True  # published after the rebuild began: the live projector's
                else:
                    collecting.append((stream_seq, delivery.headers or {}, delivery.data))
                    # num_pending == 0: nothing after this one, even if the stream's last was
                    # deleted.
                    finished = stream_seq == last_seq or num_pending == 0
                if finished or len(collecting) >= batch_size:
                    batch, collecting = collecting, []
                    if batch:
                        await batches.put(batch)
                    if finished:
                        await batches.put(None)
                        return

    receiving = asyncio.create_task(receive())
    applied = 0
    # One applying thread throughout: one database connection, whose page cache (enlarged by
    # the bulk transaction on SQLite) every batch reuses.
    applier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lgnet-rebuild-apply")
    loop = asyncio.get_running_loop()
    try:
        while (batch := await _next_batch(batches, receiving, dropped)) is not None:
            await loop.run_in_executor(applier, _apply_to_all, database, projections, batch)
            applied += len(batch)
            bar.update(len(batch))
        _refuse_if_dropped(dropped)
    finally:
        receiving.cancel()
        applier.shutdown(wait=True)
        await subscription.unsubscribe()
    return applied


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
    batches: asyncio.Queue[list[tuple[int, dict[str, str], bytes]] | None],
    receiving: asyncio.Task[None],
    dropped: list[Exception],
) -> list[tuple[int, dict[str, str], bytes]] | None:
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
    batch: list[tuple[int, dict[str, str], bytes]],
) -> None:
    # Decoded once, applied to every projection in one transaction with their tracking.
    delivered = [Delivered(seq, from_message(headers, body)) for seq, headers, body in batch]
    apply_batch_to_all(database, projections, delivered, bulk=True)
