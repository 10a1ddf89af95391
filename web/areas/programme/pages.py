"""The programme's terms as a page, for everyone signed in: the period, the partner cities, the
referral answer times and the priority weights in force (as of the viewed moment, on as-of
pages), with every decision of the Ministry that set them. The Ministry records decisions with
`lgnet programme ...` (docs/operations.md): this page only reads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.kit.dependencies import PageRenderer, Services
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.terms import terms_shown

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.get("/programme", name="programme_terms")
def programme_terms(
    request: Request, pages: PageRenderer, services: Services, _principal: SignedIn
) -> HTMLResponse:
    shown = terms_shown(services)
    cities = [(city.value, shown.terms.is_partner(city, shown.today),
               shown.terms.memberships.get(city, ())) for city in shown.terms.known_cities]
    return pages.render(request, "programme/terms.html", {"shown": shown, "cities": cities})
