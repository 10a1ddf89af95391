"""Rebuilding read models: drop the projections' tables and re-apply the whole stream LGNET
through an ordered consumer, receiving and applying side by side."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError
from tqdm import tqdm

from events.cloudevents import from_message
from infra.nats.consumer import SUBJECTS
from infra.nats.jetstream import person_waits_nats_options, server_list
from infra.nats.streams import STREAM_NAME
from infra.pipeline.projector.runner import DEFAULT_DURABLE, ProjectorError, remove_idle_consumers
from projections.projection import Delivered, Projection, apply_batch_to_all, reset
from projections.storage.read_models import ReadModelDatabase

REBUILD_BATCH_SIZE = 2000
REBUILD_QUEUED_BATCHES = 4


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
) -> int:
    """Drop the projections' tables, re-apply the whole stream and return how many events were
    applied. Tracking ends at the last message the stream held when the rebuild began, so a live
    projector started afterwards carries on from there. Refuses to run while a projector consumes
    (its consumer `durable` is bound). Interrupted, it leaves consistent, partial read models that
    a projector (or another rebuild) completes."""
    connection = await nats.connect(server_list(nats_url),  # a cluster's seeds too
                                    **person_waits_nats_options())
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
        stream=STREAM_NAME,
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
