"""What every request meets before any route reads it (issue 18 item 7, issue 14 item 13):

- `BodyLimit`: a request body larger than the route accepts is refused, 413 with a message,
  before anything parses it: at once when its Content-Length says so, else as soon as the bytes
  read pass the limit. The limit is `max_body_bytes` (1 MB by default: the largest form or JSON
  body of the platform is a few kilobytes), and for the routes that upload a document
  (`UPLOAD_ROUTES`) the largest file accepted plus its form's other fields.
- `HeadAsGet`: HEAD is answered wherever GET is (uptime monitors use it): the request runs as
  the GET it stands for, access checks included, and the answer goes without its body.

Authentication (web.kit.authentication) runs inside the limit, before any body is read: a
request without credentials is refused without reading its body, and a partner's token is
checked before its body is; a partner's unsafe request is refused then (`ReadOnlyPartners`:
partners only read), its body unread. A signed-in user's body is read only once the route's
own dependencies (the access checks: role, city, case) have passed (`AccessBeforeBody`, the
route class of every router), so a user the route refuses never has their body read, parsed
or validated (the access matrix sends a bad body from each forbidden principal and expects 403,
and a body that is not even JSON gets the same refusal)."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import solve_dependencies
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.access import AccessDenied, Principal
from domain.programme import Role
from web.kit.errors import BodyTooLarge, refuse

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# The routes whose body is a document's upload (multipart): they take the largest file the
# documents' rules accept, and this much more for the form's other fields and framing.
UPLOAD_ROUTES = frozenset({
    "attach_case_document", "api_attach_case_document",
    "attach_claim_document", "api_attach_claim_document",
})
UPLOAD_OVERHEAD_BYTES = 64 * 1024
_BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimit:
    """ASGI middleware refusing bodies beyond the route's limit (413), before they are parsed.
    `upload_limit` gives the limit of the upload routes (it may change with the settings)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 upload_limit: Callable[[Scope], int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.upload_limit = upload_limit
        self._upload_paths: tuple[re.Pattern[str], ...] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self._limit_of(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def noting_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, noting_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(scope, receive, send, limit)

    def _limit_of(self, scope: Scope) -> int:
        if self.upload_limit is None:
            return self.max_body_bytes
        if self._upload_paths is None:
            self._upload_paths = upload_paths(scope["app"])
        if any(path.fullmatch(scope["path"]) for path in self._upload_paths):
            return max(self.max_body_bytes, self.upload_limit(scope) + UPLOAD_OVERHEAD_BYTES)
        return self.max_body_bytes


def upload_paths(app: Any) -> tuple[re.Pattern[str], ...]:
    """The paths of the app's UPLOAD_ROUTES, as patterns (routers included in routers too)."""
    return tuple(
        compile_path(route.path)[0] for route in iter_route_contexts(app.routes)
        if route.name in UPLOAD_ROUTES and route.path
    )


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = await refuse(Request(scope, receive), BodyTooLarge(limit))
    # The rest of the body is not read: the connection cannot carry another request.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


class AccessBeforeBody(APIRoute):
    """The route class of every router of the platform. FastAPI reads and parses a route's body
    before it solves the route's dependencies; for a route that takes a body, this one first
    solves the route's own dependencies without it, so that a refusal (403, 404) comes before any
    byte of the body is read. They run again with the body, as FastAPI does: they are reads (who
    asks, which city, which case) and cheap."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler
        checks = Dependant(dependencies=list(self.dependant.dependencies), path=self.path_format)
        overrides = self.dependency_overrides_provider

        async def checked_before_body(request: Request) -> Response:
            if request.method not in _BODILESS_METHODS:
                # Errors of the query or path parameters are the full handler's to report.
                await solve_dependencies(
                    request=request, dependant=checks, dependency_overrides_provider=overrides,
                    async_exit_stack=request.scope["fastapi_inner_astack"],
                    embed_body_fields=False)
            return await handler(request)

        return checked_before_body


class ReadOnlyPartners:
    """ASGI middleware, run once the principal is known (inside web.kit.authentication): a
    partner system's token reads and never writes (domain.access gives partners no permission to
    record anything), so its unsafe requests are refused, 403, before their body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS_METHODS:
            await self.app(scope, receive, send)
            return
        principal: Principal | None = (scope.get("state") or {}).get("principal")
        if principal is not None and principal.role is Role.PARTNER:
            refusal = AccessDenied("A partner system's token only reads")
            response = await refuse(Request(scope, receive), refusal)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class HeadAsGet:
    """ASGI middleware answering HEAD as GET, without the body (RFC 9110, 9.3.2)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def without_body(message: Message) -> None:
            nonlocal finished
            if finished:
                return  # a stream goes on until it notices the client has gone
            if message["type"] == "http.response.body":
                finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        scope["method"] = "GET"
        await self.app(scope, receive, without_body)
