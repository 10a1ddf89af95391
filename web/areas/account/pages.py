"""The page where a signed-in person changes their password."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import PasswordChangeRefused, SignInThrottled
from web.areas.account import second_factor
from web.areas.account.password import change_password, own_session
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import explain_domain_error, with_retry_after
from web.kit.i18n import N_
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)
router.include_router(second_factor.router)


@router.get("/account/password", name="password_page")
def password_page(request: Request, pages: PageRenderer, _principal: SignedIn) -> Response:
    own_session(request)
    return _render(request, pages)


@router.post("/account/password", name="change_password")
async def change_password_page(
    request: Request, pages: PageRenderer, services: Services, translator: CurrentTranslator,
    _principal: SignedIn,
) -> Response:
    own_session(request)
    form = await request.form()
    fields = {name: str(form.get(name) or "") for name in
              ("current_password", "new_password", "confirmation")}
    try:
        await change_password(request, services, fields["current_password"],
                              fields["new_password"], fields["confirmation"])
    except SignInThrottled as error:
        return with_retry_after(_render(request, pages, status_code=429,
                                        error=explain_domain_error(error, translator).message),
                                error, services.now())
    except PasswordChangeRefused as error:
        problem = explain_domain_error(error, translator)
        return _render(request, pages, status_code=422, error=problem.message,
                       field=problem.field)
    return _render(request, pages, notice=translator.gettext(N_(
        "Your password is changed. Your other sessions, on other browsers, have ended.")))


def _render(
    request: Request, pages: PageRenderer, *, status_code: int = 200, error: str | None = None,
    field: str | None = None, notice: str | None = None,
) -> HTMLResponse:
    return pages.render(request, "account/password.html",
                        {"error": error, "field": field, "notice": notice},
                        status_code=status_code)
