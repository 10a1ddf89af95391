"""Signing in and out. A successful sign-in starts a new session (any session the browser
had is ended: a session token fixed before sign-in is worth nothing after it) and leads back to
the page that asked for it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import SecondFactorNeeded, SecondFactorRefused, SignInRefused, SignInThrottled
from web.kit.as_of import AS_OF_COOKIE
from web.kit.authentication import (
    pending_sign_in_cookie_name,
    secure_cookies_for,
    session_cookie_name,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import CsrfRejected, explain_domain_error, sign_in_url, with_retry_after
from web.kit.i18n import N_
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import path_of_this_site
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

MAX_USERNAME_LENGTH = 64
MAX_PASSWORD_LENGTH = 1024
# Why someone arrives at the sign-in page, as the `notice` parameter names it.
NOTICES = {
    "session_ended": N_("Your session has ended: sign in again to continue."),
    "signed_out": N_("You have signed out."),
    "second_factor_expired": N_(
        "The sign-in has expired: enter the username and password again."),
}
MAX_CODE_LENGTH = 32
# How long the browser keeps a pending sign-in's cookie (the store keeps it 5 minutes too).
PENDING_SIGN_IN_SECONDS = 5 * 60


@router.get("/sign-in", name="sign_in_page")
def sign_in_page(
    request: Request,
    pages: PageRenderer,
    translator: CurrentTranslator,
    next_path: Annotated[str | None, Query(alias="next")] = None,
    notice: str | None = None,
) -> Response:
    if getattr(request.state, "session", None) is not None:
        return RedirectResponse(_safe_next(request, next_path), status_code=303)
    message = NOTICES.get(notice or "")
    return _render(request, pages, next_path=next_path,
                   notice=translator.gettext(message) if message else None)


@router.post("/sign-in", name="sign_in")
async def sign_in(
    request: Request, pages: PageRenderer, services: Services, translator: CurrentTranslator
) -> Response:
    _refuse_cross_site_posts(request)
    form = await request.form()
    username = str(form.get("username") or "").strip().lower()
    password = str(form.get("password") or "")
    next_path = str(form.get("next") or "") or None
    if not username or not password:
        return _render(request, pages, next_path=next_path, username=username, status_code=422,
                       error=translator.gettext(N_("Enter your username and your password.")))
    try:
        if len(username) > MAX_USERNAME_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
            raise SignInRefused("Username or password too long to be right")
        client = request.client.host if request.client else None
        session = await run_in_threadpool(services.accounts.sign_in, username, password, client)
    except SignInThrottled as error:
        return with_retry_after(
            _render(request, pages, next_path=next_path, username=username, status_code=429,
                    error=explain_domain_error(error, translator).message),
            error, services.now())
    except SignInRefused as error:
        return _render(request, pages, next_path=next_path, username=username, status_code=401,
                       error=explain_domain_error(error, translator).message)
    except SecondFactorNeeded as needed:
        # No session yet: the pending sign-in's ticket waits in a cookie of its own.
        code_page = str(request.app.url_path_for("sign_in_code_page"))
        response = RedirectResponse(
            f"{code_page}?{urlencode({'next': next_path})}" if next_path else code_page,
            status_code=303)
        response.set_cookie(pending_sign_in_cookie_name(request), str(needed.params["ticket"]),
                            max_age=PENDING_SIGN_IN_SECONDS, httponly=True, samesite="lax",
                            secure=secure_cookies_for(request), path="/")
        return response
    return await _signed_in(request, services, session.token, next_path)


@router.get("/sign-in/code", name="sign_in_code_page")
def sign_in_code_page(
    request: Request, pages: PageRenderer,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    if not request.cookies.get(pending_sign_in_cookie_name(request)):
        return RedirectResponse(sign_in_url(request, next_path=next_path), status_code=303)
    return _render_code(request, pages, next_path=next_path)


@router.post("/sign-in/code", name="sign_in_code")
async def sign_in_code(
    request: Request, pages: PageRenderer, services: Services, translator: CurrentTranslator
) -> Response:
    """The second step of an enrolled person's sign-in: a code of their authenticator app (or
    a recovery code) opens the session."""
    _refuse_cross_site_posts(request)
    form = await request.form()
    code = str(form.get("code") or "").strip()
    next_path = str(form.get("next") or "") or None
    ticket = request.cookies.get(pending_sign_in_cookie_name(request))
    if not ticket:
        return RedirectResponse(sign_in_url(request, next_path=next_path,
                                            notice="second_factor_expired"), status_code=303)
    if not code:
        return _render_code(request, pages, next_path=next_path, status_code=422,
                            error=translator.gettext(N_("Enter the code.")))
    try:
        if len(code) > MAX_CODE_LENGTH:
            raise SecondFactorRefused("Code too long to be right", field="code")
        client = request.client.host if request.client else None
        session = await run_in_threadpool(services.accounts.complete_sign_in, ticket, code,
                                          client)
    except SignInThrottled as error:
        return with_retry_after(
            _render_code(request, pages, next_path=next_path, status_code=429,
                         error=explain_domain_error(error, translator).message),
            error, services.now())
    except SecondFactorRefused as error:
        if error.params.get("field") == "ticket":
            response = RedirectResponse(sign_in_url(request, next_path=next_path,
                                                    notice="second_factor_expired"),
                                        status_code=303)
            _forget_pending_sign_in(request, response)
            return response
        return _render_code(request, pages, next_path=next_path, status_code=401,
                            error=explain_domain_error(error, translator).message)
    return await _signed_in(request, services, session.token, next_path)


async def _signed_in(
    request: Request, services: WebServices, token: str, next_path: str | None
) -> Response:
    await _end_previous_session(request, services)
    response = RedirectResponse(_safe_next(request, next_path), status_code=303)
    _forget_pending_sign_in(request, response)
    _forget_the_moment_viewed(response)
    response.set_cookie(
        session_cookie_name(request),
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies_for(request),
        path="/",
    )
    return response


@router.post("/sign-out", name="sign_out")
async def sign_out(request: Request, services: Services, _principal: SignedIn) -> Response:
    await _end_previous_session(request, services)
    response = RedirectResponse(sign_in_url(request, notice="signed_out"), status_code=303)
    response.delete_cookie(session_cookie_name(request), path="/", httponly=True, samesite="lax",
                           secure=secure_cookies_for(request))
    _forget_the_moment_viewed(response)
    return response


def _forget_pending_sign_in(request: Request, response: Response) -> None:
    if request.cookies.get(pending_sign_in_cookie_name(request)):
        response.delete_cookie(pending_sign_in_cookie_name(request), path="/", httponly=True,
                               samesite="lax", secure=secure_cookies_for(request))


def _forget_the_moment_viewed(response: Response) -> None:
    """A past moment chosen in one session (web.kit.as_of) is not the next one's: whoever signs
    in next on this browser starts from the record as it is now."""
    response.delete_cookie(AS_OF_COOKIE, path="/", httponly=True, samesite="lax")


async def _end_previous_session(request: Request, services: WebServices) -> None:
    token = request.cookies.get(session_cookie_name(request))
    if token:
        await run_in_threadpool(services.accounts.sign_out, token)


def _refuse_cross_site_posts(request: Request) -> None:
    """Signing in has no session yet, hence no CSRF token: what stops another site from signing
    a browser in to an account of its choosing is that browsers say where a post comes from.
    Sec-Fetch-Site is the browser's own verdict; Origin, compared with Host, serves browsers too
    old to send it (a proxy in front must pass the Host on). `Origin: null` is what a sandboxed
    frame, a data: page or a cross-origin redirect sends: a post from nowhere we know, refused."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        if fetch_site not in ("same-origin", "none"):
            raise CsrfRejected()
        return
    origin = request.headers.get("origin")
    if origin and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host")):
        raise CsrfRejected()


def _safe_next(request: Request, next_path: str | None) -> str:
    """Where to go after signing in: a page of this site, not the sign-in pages again."""
    return path_of_this_site(request, next_path,
                             refused=lambda path: path.startswith("/sign-"))


def _render(
    request: Request,
    pages: PageRenderer,
    *,
    next_path: str | None,
    username: str = "",
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "next": next_path or "",
        "username": username,
        "notice": notice,
        "error": error,
    }
    return pages.render(request, "sign_in.html", context, status_code=status_code)


def _render_code(
    request: Request, pages: PageRenderer, *, next_path: str | None, error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return pages.render(request, "sign_in_code.html", {"next": next_path or "", "error": error},
                        status_code=status_code)
