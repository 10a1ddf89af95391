"""The relay's batches read ahead (infra/pipeline/relay.py `_ReadAhead`): taken in order, each
only if it was read from where the relay stands; otherwise every batch ahead is dropped (the
relay resumed from elsewhere, and batches chained on from a dropped one are wrong too)."""

from __future__ import annotations

import asyncio
import gc

from infra.pipeline.outbox_reader import ReadBatch
from infra.pipeline.relay import _ReadAhead


def a_batch(start: int) -> ReadBatch:
    batch = ReadBatch()
    batch.start = start
    return batch


async def read(batch: ReadBatch | None) -> ReadBatch | None:
    await asyncio.sleep(0)
    return batch


async def test_batches_are_taken_in_order_while_each_starts_where_the_relay_stands() -> None:
    ahead = _ReadAhead()
    first, second = a_batch(11), a_batch(21)
    ahead.read(read(first))
    ahead.read(read(second))
    ahead.read(None)  # nothing asked (read in threads): nothing kept
    assert len(ahead) == 2

    assert await ahead.take(11) is first
    assert len(ahead) == 1
    assert await ahead.take(21) is second
    assert len(ahead) == 0
    assert await ahead.take(31) is None


async def test_a_batch_read_from_elsewhere_drops_every_batch_ahead() -> None:
    ahead = _ReadAhead()
    ahead.read(read(a_batch(11)))
    ahead.read(read(a_batch(21)))

    assert await ahead.take(15) is None  # the relay resumed at 15
    assert len(ahead) == 0


async def test_a_batch_the_reading_process_failed_to_read_drops_the_rest() -> None:
    ahead = _ReadAhead()
    ahead.read(read(None))
    ahead.read(read(a_batch(21)))

    assert await ahead.take(11) is None
    assert len(ahead) == 0


async def test_a_dropped_batch_that_failed_is_not_reported_as_unretrieved() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))

    async def failing() -> ReadBatch | None:
        raise OSError("the reading process died")

    ahead = _ReadAhead()
    ahead.read(read(a_batch(11)))
    ahead.read(failing())
    assert await ahead.take(12) is None
    await asyncio.sleep(0.01)
    gc.collect()
    assert reported == []
