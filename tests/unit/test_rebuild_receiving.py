"""How the rebuild hands received batches to its applying loop (infra.pipeline.projector.rebuild):
a message nats-py dropped, or a receiver that stopped before the stream's end, fails the rebuild
instead of leaving read models with holes or waiting for ever (issue 15: a 1,000,000-event
rebuild lost its last messages to nats-py's slow-consumer limit and hung)."""

from __future__ import annotations

import asyncio

import pytest
from nats.aio.msg import Msg
from nats.errors import SlowConsumerError

from infra.pipeline.projector.rebuild import (
    _buffered,
    _consumer_lost,
    _is_status,
    _next_batch,
    _status,
)
from infra.pipeline.projector.runner import ProjectorError

Batch = list[tuple[int, dict[str, str], bytes]]


async def test_a_batch_waiting_is_handed_over_and_the_end_is_none() -> None:
    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    receiving = asyncio.create_task(asyncio.sleep(60))
    await batches.put([(1, {}, b"{}")])
    await batches.put(None)
    try:
        assert await _next_batch(batches, receiving, []) == [(1, {}, b"{}")]
        assert await _next_batch(batches, receiving, []) is None
    finally:
        receiving.cancel()


async def test_a_dropped_message_fails_the_rebuild_even_with_batches_waiting() -> None:
    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    await batches.put([(1, {}, b"{}")])
    receiving = asyncio.create_task(asyncio.sleep(60))
    dropped: list[Exception] = [SlowConsumerError(subject="lgnet.x", reply="", sid=1,
                                                         sub=None)]  # type: ignore[arg-type]
    try:
        with pytest.raises(ProjectorError, match="lost messages"):
            await _next_batch(batches, receiving, dropped)
    finally:
        receiving.cancel()


async def test_a_receiver_that_ends_before_the_last_batch_fails_the_rebuild() -> None:
    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    receiving = asyncio.create_task(asyncio.sleep(0))
    with pytest.raises(ProjectorError, match="stopped receiving"):
        await _next_batch(batches, receiving, [])


async def test_a_receiver_that_failed_passes_its_error_on() -> None:
    async def fails() -> None:
        raise ValueError("malformed reply subject")

    batches: asyncio.Queue[Batch | None] = asyncio.Queue()
    receiving = asyncio.create_task(fails())
    with pytest.raises(ValueError, match="malformed"):
        await _next_batch(batches, receiving, [])


class _Subscription:
    """What `_buffered` reads of a nats-py subscription: its queue and the bytes it holds."""

    def __init__(self, bodies: list[bytes]) -> None:
        self._pending_queue: asyncio.Queue[Msg] = asyncio.Queue()
        for body in bodies:
            self._pending_queue.put_nowait(Msg(None, data=body))  # type: ignore[arg-type]
        self._pending_size = sum(map(len, bodies))


async def test_buffered_messages_are_taken_up_to_the_limit_and_counted_out() -> None:
    subscription = _Subscription([b"a", b"bb", b"ccc"])
    taken = _buffered(subscription, 2)  # type: ignore[arg-type]
    assert [m.data for m in taken] == [b"a", b"bb"]
    assert subscription._pending_size == 3  # the bytes still held, as nats-py counts them
    assert [m.data for m in _buffered(subscription, 10)] == [b"ccc"]  # type: ignore[arg-type]
    assert subscription._pending_size == 0
    assert _buffered(subscription, 10) == []  # type: ignore[arg-type]


def _status_message(status: str, description: str | None = None) -> Msg:
    headers = {"Status": status} | ({"Description": description} if description else {})
    return Msg(None, data=b"", headers=headers)  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "description", "lost"), [
    ("503", None, True),  # no responders: nobody serves the consumer's subject any more
    ("409", "Consumer Deleted", True),
    ("409", "Leadership Change", True),
    ("409", "Exceeded MaxRequestBatch of 100", False),  # a refusal: the rebuild fails instead
    ("408", "Request Timeout", False),
    ("404", "No Messages", False),
])
def test_a_pull_request_s_status_tells_when_the_consumer_is_lost(
    status: str, description: str | None, lost: bool,
) -> None:
    message = _status_message(status, description)
    assert _is_status(message)
    assert _status(message) == f"{status} {description or ''}".strip()
    assert _consumer_lost(_status(message)) is lost


def test_a_message_with_data_or_without_a_status_is_no_status() -> None:
    assert not _is_status(Msg(None, data=b"{}", headers={"Status": "100"}))  # type: ignore[arg-type]
    assert not _is_status(Msg(None, data=b"", headers={"ce-id": "x"}))  # type: ignore[arg-type]
    assert not _is_status(Msg(None, data=b""))  # type: ignore[arg-type]
