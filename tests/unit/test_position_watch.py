"""The shared watch that read-your-writes waits on (infra/position_watch.py): one reading of the
position serves every waiter, each is woken once its position is reached, and one whose position
does not come in time gets False without holding up the others."""

from __future__ import annotations

import asyncio
import threading

from infra.position_watch import PositionWatch


class Position:
    """A projection position that the test moves, counting how often it is read."""

    def __init__(self) -> None:
        self.value = 0
        self.reads = 0
        self._lock = threading.Lock()

    def read(self) -> int:
        with self._lock:
            self.reads += 1
            return self.value


async def test_many_waiters_share_each_reading_and_wake_when_their_position_comes() -> None:
    position = Position()
    watch = PositionWatch(position.read, interval=0.01)
    waiting = [asyncio.create_task(watch.wait(p, timeout=5)) for p in [3] * 20 + [5] * 20]
    await asyncio.sleep(0.1)
    assert not any(task.done() for task in waiting)
    # One reading per interval for all 40 waiters, not 40 readings.
    assert position.reads <= 0.1 / 0.01 + 2

    position.value = 3
    await asyncio.sleep(0.1)
    assert all(task.done() and task.result() for task in waiting[:20])
    assert not any(task.done() for task in waiting[20:])

    position.value = 5
    assert await asyncio.gather(*waiting[20:]) == [True] * 20


async def test_a_position_not_reached_in_time_is_false_and_the_watch_stops() -> None:
    position = Position()
    watch = PositionWatch(position.read, interval=0.01)
    assert await watch.wait(1, timeout=0.05) is False
    poller = watch._loops[asyncio.get_running_loop()].poller
    assert poller is not None
    async with asyncio.timeout(2):
        await poller  # ends: nobody waits any more
    reads = position.reads
    await asyncio.sleep(0.05)
    assert position.reads == reads


async def test_a_position_already_reached_is_true_at_once() -> None:
    position = Position()
    position.value = 7
    watch = PositionWatch(position.read, interval=10)
    async with asyncio.timeout(1):
        assert await watch.wait(7, timeout=5) is True
        assert await watch.wait(2, timeout=5) is True
