"""The home page (what the signed-in person may open: their city, or every city and the
ministry's overview) and each city's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from domain.access import Permission, may
from domain.network import City
from web.kit.dependencies import PageRenderer, Services
from web.kit.principal import CityToView, SignedIn

router = APIRouter(include_in_schema=False)


@router.get("/", name="home")
def home(
    request: Request, pages: PageRenderer, services: Services, principal: SignedIn
) -> HTMLResponse:
    cities = {city.value for city in City if may(principal, Permission.VIEW_CITY, city)}
    case_counts = {f.city: f.cases for f in services.network.overview().cities if f.city in cities}
    return pages.render(request, "home.html", {"case_counts": case_counts})


@router.get("/cities/{city}", name="city_home")
def city_home(
    request: Request, city: CityToView, pages: PageRenderer, services: Services
) -> HTMLResponse:
    figures = next(f for f in services.network.overview().cities if f.city == city.value)
    return pages.render(request, "city.html", {"city": city.value, "figures": figures})
