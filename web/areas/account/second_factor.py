"""The page where a signed-in person sets up their second factor (issue 18 item 18): the
secret as text and as an otpauth:// URI for an authenticator app; a current code confirms it;
then the ten recovery codes, shown this once. Nothing is stored until the code is right. A
person who has one sees when it was set up and how many recovery codes are left: only an
administrator resets it (`lgnet users reset-second-factor`)."""

from __future__ import annotations

import pyotp
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import SecondFactorRefused
from web.areas.account.password import own_session
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import explain_domain_error
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)
MAX_FIELD_LENGTH = 64
ISSUER = "LGNet"


def _uri(username: str, secret: str) -> str:
    """The otpauth:// address an authenticator app reads (as text: no QR code needed)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


@router.get("/account/second-factor", name="second_factor_page")
async def second_factor_page(
    request: Request, pages: PageRenderer, services: Services, principal: SignedIn
) -> Response:
    own_session(request)
    status = await run_in_threadpool(services.accounts.second_factor, principal.id)
    if status is not None:
        return _render(request, pages, status=status)
    secret = pyotp.random_base32()  # 32 symbols: 160 bits
    return _render(request, pages, secret=secret, uri=_uri(principal.id, secret))


@router.post("/account/second-factor", name="enrol_second_factor")
async def enrol_second_factor(
    request: Request, pages: PageRenderer, services: Services, translator: CurrentTranslator,
    principal: SignedIn,
) -> Response:
    own_session(request)
    form = await request.form()
    secret = str(form.get("secret") or "")[:MAX_FIELD_LENGTH]
    code = str(form.get("code") or "")[:MAX_FIELD_LENGTH]
    try:
        codes = await run_in_threadpool(services.accounts.enrol_second_factor, principal.id,
                                        secret, code)
    except SecondFactorRefused as error:
        problem = explain_domain_error(error, translator)
        status = await run_in_threadpool(services.accounts.second_factor, principal.id)
        if status is not None or problem.field == "secret":
            return _render(request, pages, status=status, error=problem.message,
                           status_code=409 if status is not None else 422)
        # The same secret again: the person may have added it to their app already.
        return _render(request, pages, secret=secret, uri=_uri(principal.id, secret),
                       error=problem.message, status_code=422)
    return _render(request, pages, recovery_codes=codes)


def _render(request: Request, pages: PageRenderer, *, status_code: int = 200,
            **context: object) -> HTMLResponse:
    values = {"status": None, "secret": None, "uri": None, "recovery_codes": None,
              "error": None, **context}
    return pages.render(request, "account/second_factor.html", values,
                        status_code=status_code)
