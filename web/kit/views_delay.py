"""When the read models cannot catch up (NATS down, the projector behind), a command is still
saved and answered at once; the answer says the views are delayed instead of making the person
wait: the header `LGNet-Views-Delayed: true` on that answer (and `views_delayed` in the API's
bodies that have it), and a banner on the pages while it lasts ("le viste sono in ritardo")."""

from __future__ import annotations

from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

VIEWS_DELAYED_HEADER = "LGNet-Views-Delayed"

# One flag per request, set by a read-your-writes wait that gave up. A list, not a bool: the
# middleware's context is copied into the tasks the request runs in, the list is shared.
_WAIT_GAVE_UP: ContextVar[list[bool] | None] = ContextVar("views_wait_gave_up", default=None)


def note_wait(reached: bool) -> None:
    """Record how a read-your-writes wait of the current request ended."""
    flag = _WAIT_GAVE_UP.get()
    if flag is not None and not reached:
        flag[0] = True


def views_delayed_in_this_request() -> bool:
    """Whether a read-your-writes wait of the current request gave up."""
    flag = _WAIT_GAVE_UP.get()
    return flag is not None and flag[0]


class MarkDelayedViews:
    """Adds the VIEWS_DELAYED_HEADER to the answer of a request whose wait gave up."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        flag = [False]
        token = _WAIT_GAVE_UP.set(flag)

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and flag[0]:
                headers = [*message.get("headers", []),
                           (VIEWS_DELAYED_HEADER.lower().encode(), b"true")]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_marked)
        finally:
            _WAIT_GAVE_UP.reset(token)
