"""One shared watcher of the projections' position for every request that waits to read its own
write (read-your-writes), instead of each request polling the read models on its own.

With 32 requests waiting at once, each polling every few milliseconds (one query per projection,
in a thread each), the polls took more of the web process than the requests' own work (issue
15 target 4, docs/benchmarks.md). Here one task per event loop reads the slowest projection's
position (one query) while anyone waits, and wakes every waiter whose position it has reached;
it stops when nobody waits."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

POLL_INTERVAL = 0.005


@dataclass
class _Waiters:
    """The waiters of one event loop: (position, ticket, future) in a heap, lowest first."""

    heap: list[tuple[int, int, asyncio.Future[None]]] = field(default_factory=list)
    poller: asyncio.Task[None] | None = None


class PositionWatch:
    """`wait(position, timeout)`: True once `read_position()` (blocking; run in a thread)
    reaches `position`, False after `timeout` seconds."""

    def __init__(self, read_position: Callable[[], int], interval: float = POLL_INTERVAL) -> None:
        self._read_position = read_position
        self._interval = interval
        self._tickets = itertools.count()
        # Per event loop: a future belongs to its loop (tests run several loops in turn).
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Waiters] = (
            weakref.WeakKeyDictionary()
        )

    async def wait(self, position: int, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        waiters = self._loops.get(loop)
        if waiters is None:
            waiters = self._loops[loop] = _Waiters()
        arrived: asyncio.Future[None] = loop.create_future()
        heapq.heappush(waiters.heap, (position, next(self._tickets), arrived))
        if waiters.poller is None or waiters.poller.done():
            waiters.poller = loop.create_task(self._poll(waiters), name="position-watch")
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(arrived)
            return True
        except TimeoutError:
            return False
        finally:
            # A waiter that gave up is dropped by the poller when its position comes (or when
            # the heap empties of live ones): cancelling marks it.
            arrived.cancel()

    async def _poll(self, waiters: _Waiters) -> None:
        heap = waiters.heap
        while heap:
            try:
                reached = await asyncio.to_thread(self._read_position)
            except Exception:
                # The read models unreachable for a moment: the waiters time out on their own.
                reached = -1
            while heap and (heap[0][0] <= reached or heap[0][2].done()):
                _, _, arrived = heapq.heappop(heap)
                if not arrived.done():
                    arrived.set_result(None)
            if heap:
                await asyncio.sleep(self._interval)
