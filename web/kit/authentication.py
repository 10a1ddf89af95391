"""Who is asking: every request is authenticated here, before any route (or body parsing) runs.

- Pages, and the API when called from a page, are used through a session: a random token in
  the `lgnet_session` cookie (HTTP-only, SameSite=Lax, Secure over https or when the settings
  say so). Every unsafe request of a session must carry the session's CSRF token, in the
  `X-CSRF-Token` header (htmx sends it, from `hx-headers` on <body>) or in a form's
  `csrf_token` field.
- Partner systems call /api/ with `Authorization: Bearer <token>`; no cookie, so no CSRF.

The principal found (or None) is put on `request.state` for the routes, which decide what it
may do (web.kit.principal). Only the public routes (`PUBLIC_ROUTES` and the static files) answer
without one; anything else, an unknown path included, first asks to sign in, so that nobody
learns anything about the platform without credentials.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.access import PartnerTokenExpired, Principal
from web.kit.errors import (
    CsrfRejected,
    NotSignedIn,
    RequestTooLarge,
    SecondFactorEnrolmentRequired,
    refuse,
)
from web.services import AccountsPort, SignedInSession, WebServices

SESSION_COOKIE = "lgnet_session"
# Where cookies are Secure: a browser keeps a __Host- cookie only if it came over https from
# this very host, for path / and no domain, so neither a sibling subdomain nor a plain-http page
# can plant a session of its choosing.
HOST_SESSION_COOKIE = "__Host-" + SESSION_COOKIE
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
API_PATH_PREFIX = "/api/"
# Routes anyone may use: signing in, liveness, readiness and the published contracts (OpenAPI,
# event schemas, the AsyncAPI document and its page) that partners read before they have a token.
# None has path parameters, so each is one path. The static files (under STATIC_PATH_PREFIX)
# are public too.
PUBLIC_ROUTES = frozenset({
    "sign_in_page", "sign_in", "health", "openapi", "event_schemas_page", "api_event_schemas",
    "event_docs_page", "event_asyncapi_json", "event_asyncapi_yaml", "audit_public_key",
    "api_partner_event_schemas",
    "sign_in_code_page", "sign_in_code",
    "health_live", "health_ready",
})
# What a session that must set up its second factor first may reach (and the public routes).
ENROLMENT_ROUTES = frozenset({"second_factor_page", "enrol_second_factor", "sign_out"})
# The pending sign-in's cookie: the password was right, the second factor's code is awaited.
PENDING_SIGN_IN_COOKIE = "lgnet_pending_sign_in"
STATIC_PATH_PREFIX = "/static/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The intake form is a few kilobytes: a form body beyond this is not one of ours.
MAX_FORM_BYTES = 256 * 1024
# A form that uploads a file (multipart) may be as large as the largest file accepted
# (services.documents.rules.max_bytes) and this much more for its other fields and framing.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Identity:
    """What a request's credentials showed: a principal, the session it came with (None for a
    partner token), or why there is no principal."""

    principal: Principal | None = None
    session: SignedInSession | None = None
    refusal: NotSignedIn | None = None


def public_paths_of(app: Any) -> frozenset[str]:
    """The path of each public route in `app` (a FastAPI app with its routers included)."""
    return frozenset(str(app.url_path_for(name)) for name in PUBLIC_ROUTES)


# What a page asks for by itself, with nobody at the keyboard: the live dashboards' event stream
# (EventSource cannot add a header, so it goes by its path: web.kit.live) and the sections it
# makes reload (marked with this header). An unattended dashboard must not keep its session
# from idling out: its figures include special-category data.
LIVE_STREAM_PATH = "/live/stream"
MADE_BY_THE_PAGE_HEADER = "X-LGNet-Made-By-The-Page"


def is_made_by_the_page(request: Request) -> bool:
    return (request.url.path == LIVE_STREAM_PATH
            or request.headers.get(MADE_BY_THE_PAGE_HEADER) is not None)


def secure_cookies_for(request: Request) -> bool:
    """Whether this response's cookies are Secure: over https, or when the platform says so
    (LGNET_SECURE_COOKIES; on by default outside `make run`)."""
    return request.url.scheme == "https" or bool(request.app.state.services.secure_cookies)


def session_cookie_name(request: Request) -> str:
    """The session cookie's name: with the __Host- prefix wherever cookies are Secure."""
    return HOST_SESSION_COOKIE if secure_cookies_for(request) else SESSION_COOKIE


def pending_sign_in_cookie_name(request: Request) -> str:
    return ("__Host-" if secure_cookies_for(request) else "") + PENDING_SIGN_IN_COOKIE


def identify(request: Request, accounts: AccountsPort) -> Identity:
    """Blocking (database lookups): run it in a thread."""
    authorization = request.headers.get("authorization")
    if authorization is not None and request.url.path.startswith(API_PATH_PREFIX):
        scheme, _, token = authorization.partition(" ")
        try:
            partner = accounts.partner(token.strip()) if scheme.lower() == "bearer" else None
        except PartnerTokenExpired as expired:
            expired_at = expired.params.get("expired_at")
            return Identity(refusal=NotSignedIn(
                invalid_token=True,
                token_expired_at=expired_at if isinstance(expired_at, datetime) else None))
        if partner is None:
            return Identity(refusal=NotSignedIn(invalid_token=True))
        return Identity(principal=partner)
    session_token = request.cookies.get(session_cookie_name(request))
    if not session_token:
        return Identity(refusal=NotSignedIn(
            second_factor_pending=bool(request.cookies.get(pending_sign_in_cookie_name(request)))))
    session = accounts.session(session_token, activity=not is_made_by_the_page(request))
    if session is None:
        return Identity(refusal=NotSignedIn(session_ended=True))
    return Identity(principal=session.principal, session=session)


class Authentication:
    """ASGI middleware: identifies the principal, refuses requests without one to anything but
    the public paths, and checks the CSRF token of every unsafe request made with a session.
    The paths are those of PUBLIC_ROUTES, as the app maps them (see `public_paths_of`)."""

    def __init__(self, app: ASGIApp, *, public_paths: frozenset[str]) -> None:
        self.app = app
        self.public_paths = public_paths
        self.enrolment_paths: frozenset[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Static files need nobody's identity: looking it up would cost a database read (and a
        # session's activity write) for every stylesheet and icon of every page.
        if scope["type"] != "http" or scope["path"].startswith(STATIC_PATH_PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        services: WebServices = request.app.state.services
        identity = await run_in_threadpool(identify, request, services.accounts)
        request.state.principal = identity.principal
        request.state.session = identity.session
        refusal: Exception | None = None
        if request.url.path in self.public_paths:
            pass
        elif identity.refusal is not None:
            refusal = identity.refusal
        elif (identity.session is not None and identity.session.must_enrol_second_factor
              and request.url.path not in self._enrolment_paths(request)):
            refusal = SecondFactorEnrolmentRequired()
        elif identity.session is not None and scope["method"] not in SAFE_METHODS:
            try:
                receive = await _check_csrf(
                    scope, receive, identity.session.csrf_token,
                    upload_limit=services.documents.rules.max_bytes + MULTIPART_OVERHEAD_BYTES)
            except (CsrfRejected, RequestTooLarge) as error:
                refusal = error
        if refusal is not None:
            response = await refuse(request, refusal)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _enrolment_paths(self, request: Request) -> frozenset[str]:
        if self.enrolment_paths is None:
            self.enrolment_paths = frozenset(
                str(request.app.url_path_for(name)) for name in ENROLMENT_ROUTES)
        return self.enrolment_paths


async def _check_csrf(
    scope: Scope, receive: Receive, expected: str, *, upload_limit: int = MAX_FORM_BYTES
) -> Receive:
    """Raise CsrfRejected unless the request carries `expected`, in the header or in a form
    field; returns what the app must receive the body from (replayed, if it was read here). A
    multipart form (a file's upload) may be up to `upload_limit` bytes, any other form
    MAX_FORM_BYTES."""
    headers = Headers(scope=scope)
    sent = headers.get(CSRF_HEADER)
    content_type = headers.get("content-type", "")
    if sent is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        body = await _read_body(
            receive, upload_limit if content_type.startswith("multipart/form-data")
            else MAX_FORM_BYTES)
        try:
            form = await Request(scope, _replay(body, receive)).form()
        except (HTTPException, MultiPartException):
            raise CsrfRejected() from None  # a form that does not parse carries no token
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
        receive = _replay(body, receive)
    if sent is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRejected()
    return receive


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives `body` once, then whatever comes next (the disconnect)."""
    delivered = False

    async def replaying() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replaying


# For the other middlewares that read a body before the app does (web.kit.idempotency).
read_body = _read_body
replaying = _replay
