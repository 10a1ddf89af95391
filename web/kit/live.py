"""Live updates: a server-sent event stream that tells open dashboards when the read models
have moved on, so htmx (its SSE extension) reloads the parts that changed.

`GET /live/stream` (any signed-in person) answers `text/event-stream`. On connect it sends a
`projected` event whose data (and id) is the live read models' position, so a client knows
where it starts, then one each time the position moves. A page listens with `hx-ext="sse"
sse-connect="{{ url_for('live_stream') }}"` and reloads a part with `hx-trigger="sse:projected"`.
A page that says which position its figures show (`?since=<position>`) gets no first event when
nothing has moved since, and so no needless reload; a browser reconnecting says it by itself
(Last-Event-ID). Either way, what moved while a page was not listening is announced at once.

The position is read from the database at most once per POLL_INTERVAL for all the open streams
of the app together. A stream ends when its client goes, when the server stops (uvicorn waits
for open responses before stopping, so the runtime calls `end_live_streams` first), and after
STREAM_LIFETIME in any case: the browser then reconnects by itself, and the reconnection is
authenticated again, so a stream never outlives its session by long. While someone views the
record as of a past moment, the figures do not change: the stream stays open but quiet."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from web.kit.as_of import viewing_as_of
from web.kit.authentication import LIVE_STREAM_PATH
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

PROJECTED_EVENT = "projected"
POLL_INTERVAL = 0.5  # seconds
STREAM_LIFETIME = 600.0  # seconds
# How long a browser waits before reconnecting, once a stream has ended.
RECONNECT_AFTER_MS = 3000


class ProjectedPositions:
    """The live read models' position as every stream of one app sees it, read at most once per
    `interval` however many streams are open; and whether the server is stopping."""

    def __init__(self, read: Callable[[], int], interval: float = POLL_INTERVAL) -> None:
        self._read = read
        self._interval = interval
        # Streams may run on more than one event loop (the tests' clients each have their own),
        # so the shared state is guarded by a thread lock, not by the loop.
        self._lock = threading.Lock()
        self._position = 0
        self._read_at = -math.inf
        self.ended = threading.Event()

    async def current(self) -> int:
        if time.monotonic() - self._read_at < self._interval:
            return self._position
        return await asyncio.to_thread(self._read_unless_fresh)

    def _read_unless_fresh(self) -> int:
        with self._lock:
            if time.monotonic() - self._read_at >= self._interval:
                self._position = self._read()
                self._read_at = time.monotonic()
            return self._position


def projected_positions(app: FastAPI) -> ProjectedPositions:
    positions: ProjectedPositions | None = getattr(app.state, "projected_positions", None)
    if positions is None:
        positions = ProjectedPositions(app.state.services.projected_position)
        app.state.projected_positions = positions
    return positions


def end_live_streams(app: FastAPI) -> None:
    """End every open stream within POLL_INTERVAL, and every one opened from now on at once:
    what the server calls as it stops."""
    projected_positions(app).ended.set()


@router.get(LIVE_STREAM_PATH, name="live_stream", response_class=EventSourceResponse)
async def live_stream(
    request: Request, _principal: SignedIn, since: Annotated[int | None, Query(ge=0)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """`projected` events, each carrying the read models' position, as they move on.

    FastAPI's EventSourceResponse sends the headers proxies need (Cache-Control: no-cache,
    X-Accel-Buffering: no) and a comment every 15 seconds of silence to keep the connection."""
    # The live platform's position, not the Services dependency's: that one may be a replay.
    positions = projected_positions(request.app)
    announces = viewing_as_of(request) is None
    ends_at = time.monotonic() + STREAM_LIFETIME
    announced = _last_event_id(request)
    if announced is None:
        announced = since
    # The reconnection hint goes first, alone: there may be no event to carry it for a while.
    yield ServerSentEvent(comment="live" if announces else "viewing the past",
                          retry=RECONNECT_AFTER_MS)
    while not positions.ended.is_set():
        if announces:
            position = await positions.current()
            # Moved either way: read models rebuilt from the start also change the figures.
            if position != announced:
                yield ServerSentEvent(event=PROJECTED_EVENT, raw_data=str(position),
                                      id=str(position))
                announced = position
        await asyncio.sleep(POLL_INTERVAL)
        if time.monotonic() >= ends_at or await request.is_disconnected():
            return


def _last_event_id(request: Request) -> int | None:
    """The position the browser last heard of, when it reconnects."""
    last = request.headers.get("last-event-id", "")
    return int(last) if last.isascii() and last.isdecimal() and len(last) < 20 else None
