"""Whether a command's answer comes after the views show its write (issue 17, item 2). A command
waits, at most the read-your-writes timeout, for the read models to apply what it saved; the
answer is the same either way (201: it is saved), and its `Views-Caught-Up` header says which:
`true` when what reads the record next (its Location, a list) shows it, `false` when the views
lag (the projector is behind, a store went out while waiting) and will show it shortly.

The services note each wait's outcome here (WebServices.wait_for_position); a request that
waited several times has caught up only if every wait did."""

from __future__ import annotations

from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

VIEWS_CAUGHT_UP_HEADER = "Views-Caught-Up"

_caught_up: ContextVar[bool | None] = ContextVar("views_caught_up", default=None)


def note_views_caught_up(caught_up: bool) -> None:
    """Called after each wait for the views, in the request's context."""
    previous = _caught_up.get()
    _caught_up.set(caught_up if previous is None else previous and caught_up)


class SayWhetherViewsCaughtUp:
    """ASGI middleware: the header on the answer of every request that waited for the views."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _caught_up.set(None)

        async def saying(message: Message) -> None:
            # Read here, in the context the route ran in (the answer is sent from it).
            caught_up = _caught_up.get()
            if message["type"] == "http.response.start" and caught_up is not None:
                MutableHeaders(scope=message)[VIEWS_CAUGHT_UP_HEADER] = (
                    "true" if caught_up else "false")
            await send(message)

        try:
            await self.app(scope, receive, saying)
        finally:
            _caught_up.reset(token)
