"""Idempotent commands (issue 17, item 2): a command sent with an `Idempotency-Key` header (the
API; docs/partners.md) or an `idempotency_key` form field (every form of the pages carries a
fresh one) is carried out once per key and sender; sent again with the same key, within 24
hours, it gets the first answer back, marked `Idempotent-Replayed: true`, and nothing is
recorded twice. A client whose connection was reset after the save, or a person who pressed the
button twice, therefore never makes a second case.

- The same key with a different request (another method, path or query) is refused (422): a
  key names one command. The body is not compared: the middleware never reads a body the route
  has not let in (access before body, issue 18), so a key must not be reused for another body.
- While the first request with a key is still being carried out, the second is answered 409
  with Retry-After.
- What is kept (web.services' accounts: infra.store.accounts.idempotency): the status, the
  Location and content type, and the body only when it is the API's JSON and the route did not
  mark it `no-store` (an answer with identifiers, which never leave the vault for another store).
  A page's answer is kept without its body: the retry is sent where the first answer sent the
  browser (its Location), or, for an htmx request, the page is reloaded to show what is saved.
- A server error (5xx, an outage's 503 included) keeps nothing: the key is free again, for the
  retry the error asks for. Nor does a refusal that asks to be sent again later (Retry-After:
  others' changes won every attempt, `concurrent_changes`; a throttled try). A command saved
  before a failure answers 201 all the same (infra.bootstrap's followers), so that answer is the
  one kept.
- A process killed between the save and its answer leaves the key claimed without an answer;
  after `ABANDONED_AFTER` (infra.store.accounts.idempotency) a retry carries the command out
  again. An intake then finds the case it saved: the case was saved with a note of the command's
  key (`command_key`, domain.cases.model.IntakeByKey), so the retry answers with that case and
  records nothing. (The vault's sweep settles what such a kill leaves of an intake's person.)
  Other commands refuse their second run by their own rules (a second referral to the same
  service, a second placement of a placed person)."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any, cast

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.idempotency import ClaimOutcome, IdempotencyStore, KeptAnswer
from web.kit.authentication import CSRF_HEADER, read_body, replaying
from web.kit.i18n import N_, translator_of
from web.kit.outages import answer_problem
from web.services import WebServices

log = logging.getLogger("lgnet.web")

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_FIELD = "idempotency_key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Visible ASCII, as the header's draft (IETF httpapi-idempotency-key-header) and partners' UUIDs.
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
_COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEPT_HEADERS = ("location", "content-type", "hx-redirect", "hx-location", "hx-refresh",
                 "views-caught-up")
_MAX_KEPT_BODY = 64 * 1024
_UNBOUNDED = 2**62

KEY_REFUSED = N_(
    "The Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, for instance).")
KEY_REUSED = N_(
    "This Idempotency-Key was already used for a different request: use a new key for each "
    "command.")
KEY_IN_USE = N_(
    "The same command, with the same Idempotency-Key, is still being carried out: wait a moment "
    "and send it again to get its answer.")


_SENT_WITH_KEY = "idempotency_key_sent"
"""Where the request's scope keeps the sender and the key of a command being carried out."""


def command_key(request: Request, *what: str) -> str | None:
    """A digest naming this command for the domain (a note saved with what it records), the same
    for every retry of it: the sender, the key and `what` (the city, say) hashed, never the key
    itself. None when the command was sent without a key."""
    sent = request.scope.get("state", {}).get(_SENT_WITH_KEY)
    if sent is None:
        return None
    return hashlib.sha256("\n".join((*sent, *what)).encode()).hexdigest()


class IdempotentCommands:
    """ASGI middleware, inside authentication (it needs the sender) and the CSRF check (which
    has already read a plain form's body, and replays it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get("state", {}).get("principal")
        if scope["type"] != "http" or scope["method"] not in _COMMAND_METHODS or principal is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(IDEMPOTENCY_HEADER)
        if key is None and _body_already_read(headers):
            # A plain form post: the CSRF check read its body already (its token is there), so
            # the key is looked for there too. Any other body is read by the route alone, after
            # its access checks (web.kit.request_limits.AccessBeforeBody): htmx sends a form's
            # key in the header (static/js/idempotency.js).
            body = await read_body(receive, _UNBOUNDED)
            receive = replaying(body, receive)
            form = await Request(scope, replaying(body, receive)).form()
            field = form.get(IDEMPOTENCY_FIELD)
            key = field if isinstance(field, str) and field else None
        if key is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if not _KEY_PATTERN.match(key):
            await _refusal(request, 422, "idempotency_key_refused", KEY_REFUSED)(
                scope, receive, send)
            return
        store = cast(IdempotencyStore, request.app.state.services.accounts)
        owner = f"{principal.role}:{principal.id}"
        fingerprint = _fingerprint(scope)
        claim = await run_in_threadpool(store.claim_idempotency_key, owner, key, fingerprint)
        match claim.outcome:
            case ClaimOutcome.ANSWERED:
                assert claim.answer is not None
                await _replay(claim.answer, request)(scope, receive, send)
                return
            case ClaimOutcome.IN_PROGRESS:
                refusal = _refusal(request, 409, "idempotency_key_in_use", KEY_IN_USE)
                refusal.headers["Retry-After"] = "1"
                await refusal(scope, receive, send)
                return
            case ClaimOutcome.OTHER_REQUEST:
                await _refusal(request, 422, "idempotency_key_reused", KEY_REUSED)(
                    scope, receive, send)
                return
        await self._carry_out(scope, receive, send, store, owner, key)

    async def _carry_out(self, scope: Scope, receive: Receive, send: Send,
                         store: IdempotencyStore, owner: str, key: str) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        scope.setdefault("state", {})[_SENT_WITH_KEY] = (owner, key)

        async def recording(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                # A copy: the middlewares outside add their headers to the message itself.
                start = {**message, "headers": list(message.get("headers", []))}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, recording)
        except BaseException:
            await run_in_threadpool(store.release_idempotency_key, owner, key)
            raise
        answer = _kept(start, b"".join(chunks), scope)
        try:
            if answer is None:
                await run_in_threadpool(store.release_idempotency_key, owner, key)
            else:
                await run_in_threadpool(store.keep_answer, owner, key, answer)
        except Exception as error:
            # The answer is already sent: an outage of the accounts' store now (a full disk,
            # a read-only store) can only be logged. The key stays claimed without an answer,
            # as after a kill (ABANDONED_AFTER above).
            services: WebServices = scope["app"].state.services
            if not services.is_outage(error):
                raise
            log.warning("The answer to %s %s was sent but not kept under its Idempotency-Key "
                        "(%s): the store is out", scope["method"], scope["path"],
                        type(error).__name__)


def _kept(start: Message | None, body: bytes, scope: Scope) -> KeptAnswer | None:
    """What is kept of an answer, or None when the key must be free again."""
    if start is None or start["status"] >= 500:
        return None
    headers = MutableHeaders(raw=list(start.get("headers", [])))
    if "no-store" in headers.get("cache-control", ""):
        return None  # identifiers: never copied out of the vault
    if "retry-after" in headers:
        return None  # an answer that asks to be sent again later: the retry is carried out
    kept_headers = {name: headers[name] for name in _KEPT_HEADERS if name in headers}
    is_json = headers.get("content-type", "").startswith("application/json")
    if is_json and len(body) <= _MAX_KEPT_BODY:
        return KeptAnswer(start["status"], kept_headers, body.decode())
    if start["status"] >= 400 or scope["path"].startswith("/api/"):
        return None  # a page's refusal: nothing was written, the form may be sent again
    return KeptAnswer(start["status"], kept_headers, None)


def _replay(answer: KeptAnswer, request: Request) -> Response:
    headers = dict(answer.headers)
    headers[REPLAYED_HEADER] = "true"
    if answer.body is not None:
        return Response(answer.body, status_code=answer.status, headers=headers)
    if "location" in headers or any(name.startswith("hx-") for name in headers):
        headers.pop("content-type", None)
        return Response(status_code=answer.status, headers=headers)
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=200, headers={REPLAYED_HEADER: "true", "HX-Refresh": "true"})
    return Response(status_code=303, headers={
        REPLAYED_HEADER: "true", "Location": str(request.app.url_path_for("home"))})


def _refusal(request: Request, status_code: int, code: str, message: str) -> Response:
    return answer_problem(request, status_code, code, translator_of(request).gettext(message))


def _fingerprint(scope: Scope) -> str:
    """The request a key names: method, path and query. Not the body, which is read only by
    the route, after its access checks."""
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(),
                 scope.get("query_string", b"")):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _body_already_read(headers: Headers) -> bool:
    return CSRF_HEADER not in headers and headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data"))


def document_idempotency_keys(app: FastAPI) -> None:
    """Say in the OpenAPI schema that every command of the API takes an Idempotency-Key, and
    that any operation may answer 503 (web.kit.outages) when a store or the bus is out."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue
            for method, operation in operations.items():
                operation.setdefault("responses", {}).setdefault("503", _OUTAGE_RESPONSE)
                if method.upper() in _COMMAND_METHODS:
                    operation.setdefault("parameters", []).append(_KEY_PARAMETER)
                    operation["responses"].setdefault("409", _IN_USE_RESPONSE)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_KEY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": (
        "A key of the client's choosing (a new UUID per command). The command is carried out "
        "once per key: sent again with the same key within 24 hours, it gets the first answer "
        "back, with `Idempotent-Replayed: true`, and nothing is recorded twice. The same key "
        "with another method, path or query is refused (422). See docs/partners.md."),
}
_IN_USE_RESPONSE = {
    "description": "The same command with the same Idempotency-Key is still being carried out: "
                   "send it again after Retry-After seconds",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}
_OUTAGE_RESPONSE = {
    "description": "A store or the message bus is unavailable, full or read-only: nothing was "
                   "recorded unless the same Idempotency-Key later answers 201; send again "
                   "after Retry-After seconds",
    "headers": {"Retry-After": {"schema": {"type": "integer"},
                                "description": "Seconds to wait before sending again"}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
}
