"""The ministry's overview of the network: every city's cases, vulnerable cases and cases by
protection status, and the network's totals."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.dependencies import PageRenderer, Services
from web.principal import NetworkViewer

router = APIRouter(include_in_schema=False)


@router.get("/ministry", name="ministry_overview")
def ministry_overview(
    request: Request, pages: PageRenderer, services: Services, _viewer: NetworkViewer
) -> HTMLResponse:
    overview = services.network.overview()
    return pages.render(request, "ministry/overview.html", {"overview": overview})
