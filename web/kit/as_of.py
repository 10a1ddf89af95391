"""Viewing the record as of a past moment, for those who audit it (auditors, the ministry).

Every page carries a small date-and-time picker for them (templates/macros/as_of.html); it asks
`GET /as-of?moment=...&next=...`, which remembers the moment in the `as_of` cookie and goes back
to the page. While the cookie is set, the `Services` dependency (web.kit.dependencies) hands their
requests services whose read models are replayed up to that moment (infra.replay), every page
says so in a banner, and nothing can be changed: an unsafe request is refused (409) with a way
back to the present, `GET /as-of` without a moment, which clears the cookie. Everyone else's
requests ignore the cookie.

A moment is read in Europe/Rome when it names no zone. A date alone means the end of that day
(the record as it stood on that date), or now when the date is today. Moments before the
programme started, or in the future, are refused with a message saying so."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from domain.access import Permission, Principal, may, require
from domain.programme import PROGRAMME_START, PROGRAMME_TIMEZONE
from web.kit.errors import ErrorBody, NotSignedIn, Problem
from web.kit.i18n import N_, Translator, translator_of
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages, path_of_this_site

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

AS_OF_COOKIE = "as_of"
_MAX_MOMENT_LENGTH = 40
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Routes that still work while viewing the past: they change nothing of the record.
_ALLOWED_WHILE_VIEWING_THE_PAST = frozenset({"sign_out"})


class InvalidMoment(ValueError):
    """Raised when a moment to view the record at is unreadable, in the future or before the
    programme started."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text

    def explain(self, translator: Translator) -> str:
        if self.code == "moment_in_future":
            return translator.gettext(N_(
                "The record cannot be viewed as of a moment in the future: choose a date and "
                "time up to now."))
        if self.code == "moment_before_programme":
            return translator.gettext(
                N_("The programme started on %(programme_start)s: choose a date and time from "
                   "then on."),
                programme_start=translator.date(PROGRAMME_START, "long"))
        return translator.gettext(N_(
            "Enter a date (such as 2020-06-30) or a date and time (such as 2020-06-30T12:00)."))


class ViewingThePast(Exception):
    """Raised when an unsafe request comes while its sender views the record as of a past
    moment: nothing can be changed from there."""

    code = "viewing_the_past"

    def __init__(self, moment: datetime) -> None:
        super().__init__(f"viewing the record as of {moment.isoformat()}")
        self.moment = moment

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_("You are viewing the record as it was on %(moment)s: nothing can be changed "
               "from there. Go back to now to make changes."),
            moment=translator.datetime(self.moment, "medium"))


def moment_of(text: str, now: datetime) -> datetime:
    """The moment `text` names (a date, or a date and time, ISO 8601, Europe/Rome unless it says
    otherwise), in UTC; raises InvalidMoment."""
    text = text.strip()
    if not text or len(text) > _MAX_MOMENT_LENGTH:
        raise InvalidMoment("invalid_moment", text)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        if day > now.astimezone(PROGRAMME_TIMEZONE).date():
            raise InvalidMoment("moment_in_future", text)
        end_of_day = datetime.combine(day + timedelta(days=1), time(), PROGRAMME_TIMEZONE)
        moment = min(end_of_day - timedelta(microseconds=1), now)
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidMoment("invalid_moment", text) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=PROGRAMME_TIMEZONE)
        if moment > now:
            raise InvalidMoment("moment_in_future", text)
    if moment < datetime.combine(PROGRAMME_START, time(), PROGRAMME_TIMEZONE):
        raise InvalidMoment("moment_before_programme", text)
    return moment.astimezone(now.tzinfo)


def viewing_as_of(request: Request) -> datetime | None:
    """The moment the request's sender views the record at, if they may and have chosen one.
    A cookie that names no moment in the programme up to now has been refused before any route
    ran (CheckAsOfCookie): here it is as if there were none."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None or not may(principal, Permission.VIEW_AUDIT_LOG):
        return None
    stored = request.cookies.get(AS_OF_COOKIE)
    if not stored:
        return None
    try:
        return _stored_moment(stored, request.app.state.services.now())
    except InvalidMoment:
        return None


def _stored_moment(stored: str, now: datetime) -> datetime:
    """The moment an `as_of` cookie holds, as the picker wrote it (ISO 8601 with its zone,
    between the programme's start and now); raises InvalidMoment for anything else."""
    if len(stored) > _MAX_MOMENT_LENGTH:
        raise InvalidMoment("invalid_moment", stored[:_MAX_MOMENT_LENGTH])
    try:
        moment = datetime.fromisoformat(stored)
    except ValueError:
        raise InvalidMoment("invalid_moment", stored) from None
    if moment.tzinfo is None:
        raise InvalidMoment("invalid_moment", stored)
    if moment > now:
        raise InvalidMoment("moment_in_future", stored)
    if moment < datetime.combine(PROGRAMME_START, time(), PROGRAMME_TIMEZONE):
        raise InvalidMoment("moment_before_programme", stored)
    return moment


class CheckAsOfCookie:
    """ASGI middleware, run once the principal is known (inside web.kit.authentication): an
    `as_of` cookie of someone who may view the past that names no moment of the programme up to
    now (year 9999, say, or something we never wrote) is refused, 422 with the reason, and
    cleared, before any route reads it; the next request is in the present."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        stored = request.cookies.get(AS_OF_COOKIE)
        principal: Principal | None = getattr(request.state, "principal", None)
        if not stored or principal is None or not may(principal, Permission.VIEW_AUDIT_LOG):
            await self.app(scope, receive, send)
            return
        try:
            _stored_moment(stored, request.app.state.services.now())
        except InvalidMoment as error:
            translator = translator_of(request)
            response = _answer(request, 422, Problem(
                field=AS_OF_COOKIE, code=error.code,
                message=error.explain(translator)), translator)
            response.delete_cookie(AS_OF_COOKIE, path="/", httponly=True, samesite="lax")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def refuse_changes_while_viewing_the_past(request: Request) -> None:
    """What the Services dependency calls before handing out services as of the past."""
    moment = viewing_as_of(request)
    if moment is None or request.method in _SAFE_METHODS:
        return
    route = request.scope.get("route")
    if getattr(route, "name", None) in _ALLOWED_WHILE_VIEWING_THE_PAST:
        return
    raise ViewingThePast(moment)


def moment_input_value(moment: datetime) -> str:
    """The moment as the picker's datetime-local field shows it (Europe/Rome, to the second)."""
    return moment.astimezone(PROGRAMME_TIMEZONE).replace(tzinfo=None, microsecond=0).isoformat()


def _auditor(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise NotSignedIn()
    require(principal, Permission.VIEW_AUDIT_LOG)
    return principal


Auditor = Annotated[Principal, Depends(_auditor)]


@router.get("/as-of", name="as_of_picker")
def choose_moment(
    request: Request,
    _principal: Auditor,
    moment: Annotated[str | None, Query(max_length=_MAX_MOMENT_LENGTH)] = None,
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    """View the record as of `moment` from now on (no moment: back to now), then go back to
    `next`."""
    back_to = _safe_next(request, next_path)
    if not moment or not moment.strip():
        response = RedirectResponse(back_to, status_code=303)
        response.delete_cookie(AS_OF_COOKIE, path="/", httponly=True, samesite="lax")
        return response
    services = request.app.state.services
    try:
        chosen = moment_of(moment, services.now())
    except InvalidMoment as error:
        translator = translator_of(request)
        return _answer(request, 422, Problem(field="moment", code=error.code,
                                             message=error.explain(translator)), translator)
    response = RedirectResponse(back_to, status_code=303)
    response.set_cookie(
        AS_OF_COOKIE, chosen.isoformat(), httponly=True, samesite="lax",
        secure=request.url.scheme == "https" or services.secure_cookies, path="/",
    )
    return response


def _safe_next(request: Request, next_path: str | None) -> str:
    """A page of this site, not this route again."""
    return path_of_this_site(request, next_path,
                             refused=lambda path: path == request.url.path)


async def _refuse(request: Request, error: Exception) -> Response:
    assert isinstance(error, ViewingThePast)
    translator = translator_of(request)
    return _answer(request, 409, Problem(field=None, code=error.code,
                                         message=error.explain(translator)), translator)


def _answer(request: Request, status_code: int, problem: Problem,
            translator: Translator) -> Response:
    if request.url.path.startswith("/api/"):
        body = ErrorBody(message=problem.message, problems=[problem])
        return JSONResponse(body.model_dump(), status_code=status_code)
    pages: Pages = request.app.state.pages
    return pages.render(request, "error.html", {
        "status_code": status_code, "message": problem.message, "problems": [problem],
    }, status_code=status_code)


def install(app: FastAPI) -> None:
    """Refusals of changes while viewing the past, and what the picker's template needs."""
    app.add_exception_handler(ViewingThePast, _refuse)
    pages: Pages = app.state.pages
    pages.environment.globals["viewing_as_of"] = viewing_as_of
    pages.environment.globals["moment_input_value"] = moment_input_value
