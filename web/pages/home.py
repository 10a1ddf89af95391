"""The home page (pick a city or the ministry) and each city's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.dependencies import PageRenderer, PathCity, Services

router = APIRouter(include_in_schema=False)


@router.get("/", name="home")
def home(request: Request, pages: PageRenderer, services: Services) -> HTMLResponse:
    overview = services.network.overview()
    return pages.render(
        request, "home.html", {"case_counts": {f.city: f.cases for f in overview.cities}}
    )


@router.get("/cities/{city}", name="city_home")
def city_home(
    request: Request, city: PathCity, pages: PageRenderer, services: Services
) -> HTMLResponse:
    figures = next(f for f in services.network.overview().cities if f.city == city.value)
    return pages.render(request, "city.html", {"city": city.value, "figures": figures})
