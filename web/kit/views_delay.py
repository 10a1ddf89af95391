"""When the read models cannot catch up (NATS down, the projector behind), a command is still
saved and answered at once; the answer says the views are delayed instead of making the person
wait: the header `LGNet-Views-Delayed: true` on that answer (and `views_delayed` in the body of
every API command's JSON answer: DelayedViewsInBody), and a banner on the pages while it lasts
("le viste sono in ritardo")."""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

from fastapi import FastAPI
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


VIEWS_DELAYED_FIELD = "views_delayed"
_COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VIEWS_DELAYED_DESCRIPTION = (
    "True when the read models could not catch up with this command before the answer (NATS "
    "down, the projector behind): the command is saved, but what it changed (its Location, the "
    "lists) may not show for a while. The same as the header LGNet-Views-Delayed: true.")


class DelayedViewsInBody:
    """Every API command's successful JSON answer (an object) carries `views_delayed`, as the
    header says it: so a client that reads bodies only learns it too. Runs inside
    MarkDelayedViews (whose flag it reads) and inside the idempotency middleware, so that a
    replay answers the body kept the first time, field included. An answer that already has
    the field (the intake's) keeps its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in _COMMAND_METHODS
                or not scope["path"].startswith("/api/")):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def collecting(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if _is_json_success(message):
                    start = message
                    return
                await send(message)
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await _send_with_field(start, b"".join(chunks), send)
            else:
                await send(message)

        await self.app(scope, receive, collecting)


def _is_json_success(start: Message) -> bool:
    if not 200 <= start["status"] < 300:
        return False
    headers: dict[bytes, bytes] = dict(start.get("headers", []))
    return headers.get(b"content-type", b"").startswith(b"application/json")


async def _send_with_field(start: Message, body: bytes, send: Send) -> None:
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and VIEWS_DELAYED_FIELD not in answer:
        answer[VIEWS_DELAYED_FIELD] = views_delayed_in_this_request()
        body = json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
        headers = [(name, value) for name, value in start.get("headers", [])
                   if name != b"content-length"]
        start = {**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def document_views_delayed(app: FastAPI) -> None:
    """Say in the OpenAPI schema that every API command's successful JSON answer carries
    `views_delayed` (each 2xx schema becomes `allOf` itself and the field)."""
    build = app.openapi
    done: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if not done or done[0] is not schema:
            _add_views_delayed(schema)
            done[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_views_delayed(schema: dict[str, Any]) -> None:
    field = {"type": "object", "required": [VIEWS_DELAYED_FIELD], "properties": {
        VIEWS_DELAYED_FIELD: {"type": "boolean", "description": _VIEWS_DELAYED_DESCRIPTION}}}
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method.upper() not in _COMMAND_METHODS:
                continue
            for status_code, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/json")
                if not str(status_code).startswith("2") or content is None:
                    continue
                own = content.get("schema")
                content["schema"] = {"allOf": [own, field]} if own else field
