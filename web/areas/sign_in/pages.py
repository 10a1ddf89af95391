"""Signing in and out. A successful sign-in starts a new session (any session the browser
had is ended: a session token fixed before sign-in is worth nothing after it) and leads back to
the page that asked for it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import SignInRefused, SignInThrottled
from web.kit.as_of import AS_OF_COOKIE
from web.kit.authentication import secure_cookies_for, session_cookie_name
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import CsrfRejected, explain_domain_error, sign_in_url
from web.kit.i18n import N_
from web.kit.principal import SignedIn
from web.kit.templating import path_of_this_site
from web.kit.throttling import with_retry_after
from web.services import WebServices

router = APIRouter(include_in_schema=False)

MAX_USERNAME_LENGTH = 64
MAX_PASSWORD_LENGTH = 1024
# Why someone arrives at the sign-in page, as the `notice` parameter names it.
NOTICES = {
    "session_ended": N_("Your session has ended: sign in again to continue."),
    "signed_out": N_("You have signed out."),
}


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
    await _end_previous_session(request, services)
    response = RedirectResponse(_safe_next(request, next_path), status_code=303)
    _forget_the_moment_viewed(response)
    response.set_cookie(
        session_cookie_name(request),
        session.token,
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
