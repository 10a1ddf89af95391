"""Outages answered honestly (issue 17, items 2 and 5): when a store (SQLite, PostgreSQL) or the
message bus (NATS) cannot be reached, is read-only or has no room left, a request gets 503 with
Retry-After, as the API's JSON error body under /api/ or as the error page elsewhere; never a
plain-text 500, never a reset connection.

What counts as an outage the services say (WebServices.is_outage: infra.outages knows the
drivers); a mistake in code is not one, and stays a server error, for the log and the developers.

The middleware answers only when the response has not started: a stream (the dashboards' live
updates) that fails midway can only be cut."""

from __future__ import annotations

import html
import logging

from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.kit.errors import JSON_PATHS, ErrorBody, Problem
from web.kit.i18n import N_, translator_of
from web.services import WebServices

log = logging.getLogger("lgnet.web")

RETRY_AFTER_SECONDS = 5
OUTAGE_CODE = "service_unavailable"
OUTAGE_MESSAGE = N_(
    "The platform cannot reach its storage or its message bus right now (or the storage is full "
    "or read-only). Try again in a few seconds: a command sent again with the same "
    "Idempotency-Key is never recorded twice.")

def outage_answer(request: Request) -> Response:
    """503 with Retry-After: the API's error body under /api/, the error page elsewhere."""
    response = answer_problem(request, 503, OUTAGE_CODE,
                              translator_of(request).gettext(OUTAGE_MESSAGE))
    response.headers.update({"Retry-After": str(RETRY_AFTER_SECONDS),
                             "Cache-Control": "no-store"})
    return response


def answer_problem(request: Request, status_code: int, code: str, message: str) -> Response:
    """One problem, answered outside the routes (a middleware's): the API's error body under
    /api/, the error page elsewhere, or a bare page when that cannot be rendered (its layout
    may need the store that is out)."""
    if request.url.path.startswith(JSON_PATHS):
        body = ErrorBody(message=message,
                         problems=[Problem(field=None, code=code, message=message)])
        return JSONResponse(body.model_dump(), status_code=status_code)
    try:
        response: Response = request.app.state.pages.render(
            request, "error.html",
            {"status_code": status_code, "message": message, "problems": []},
            status_code=status_code)
    except Exception:
        log.warning("The error page could not be rendered", exc_info=True)
        response = HTMLResponse(
            f"<!doctype html><title>{status_code}</title><h1>{status_code}</h1>"
            f"<p>{html.escape(message)}</p>", status_code=status_code)
    return response


class AnswerOutages:
    """ASGI middleware: an outage raised by anything inside (routes, and the middlewares within,
    authentication's session lookup among them) becomes `outage_answer`, after a second try
    for a read (GET, HEAD)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        # A read is tried once more: the pools have dropped the connection that failed, and a
        # store that was only restarting answers the second time.
        attempts = 2 if scope["method"] in _READS else 1
        for attempt in range(1, attempts + 1):
            try:
                await self.app(scope, receive if attempt == 1 else _no_body, sending)
                return
            except Exception as error:
                if started or not _services_of(scope).is_outage(error):
                    raise
                # The kind of error only: its text could quote a statement's parameters.
                if attempt < attempts:
                    log.info("Outage on %s %s (%s): trying once more", scope["method"],
                             scope["path"], type(error).__name__)
                    continue
                log.warning("Outage answered 503 on %s %s: %s", scope["method"], scope["path"],
                            type(error).__name__)
                await outage_answer(Request(scope))(scope, receive, send)


_READS = frozenset({"GET", "HEAD"})


async def _no_body() -> Message:
    """What a read's second try receives: its (empty) body again."""
    return {"type": "http.request", "body": b"", "more_body": False}


def _services_of(scope: Scope) -> WebServices:
    services: WebServices = scope["app"].state.services
    return services
