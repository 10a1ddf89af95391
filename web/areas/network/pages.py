"""The network at a glance, as pages: the home page (what the signed-in person may open: their
city, or every city and the ministry's overview), each city's page, and the ministry's overview
of the network (every city's cases, the people they are about, vulnerable cases and cases by
protection status, and the network's totals), with the same table as a download."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from domain.access import Permission, may
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.exports import Column, start_export
from web.kit.labels import Labels
from web.kit.principal import CityToView, NetworkViewer, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.terms import terms_shown
from web.kit.work_queue import queue_context

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.get("/", name="home")
def home(
    request: Request, pages: PageRenderer, services: Services, principal: SignedIn
) -> HTMLResponse:
    known = services.programme_terms.terms_in_force().known_cities
    cities = {city.value for city in known if may(principal, Permission.VIEW_CITY, city)}
    case_counts = {f.city: f.cases for f in services.network.overview().cities if f.city in cities}
    return pages.render(request, "home.html", {"case_counts": case_counts,
                                               "programme": terms_shown(services),
                                               **queue_context(request, services, principal)})


@router.get("/cities/{city}", name="city_home")
def city_home(
    request: Request, city: CityToView, pages: PageRenderer, services: Services
) -> HTMLResponse:
    figures = next(f for f in services.network.overview().cities if f.city == city.value)
    return pages.render(request, "city.html", {"city": city.value, "figures": figures})


@router.get("/ministry", name="ministry_overview")
def ministry_overview(
    request: Request, pages: PageRenderer, services: Services, _viewer: NetworkViewer
) -> HTMLResponse:
    overview = services.network.overview()
    return pages.render(request, "ministry/overview.html", {
        "overview": overview, "people": services.person_links.people()})


@router.get("/ministry/export.{fmt}", name="ministry_overview_export")
def ministry_overview_export(
    fmt: str, services: Services, _viewer: NetworkViewer, translator: CurrentTranslator,
) -> Response:
    export = start_export(services, fmt, translator=translator)
    overview = services.network.overview()
    labels, _ = Labels(translator), translator.gettext
    statuses = labels.protection_statuses()
    totals_by_status = overview.by_protection_status()
    people = services.person_links.people()  # each person once (projections.person_links)
    return export.respond(
        name="network-overview",
        title=_("Cases per city"),
        columns=[Column(_("City")), Column(_("Cases"), "int"), Column(_("People"), "int"),
                 Column(_("Vulnerable cases"), "int"),
                 *(Column(label, "int") for _status, label in statuses)],
        rows=[[labels.city(figures.city), figures.cases,
               people.people_by_city.get(figures.city, 0), figures.vulnerable_cases,
               *(figures.by_protection_status.get(status, 0) for status, _label in statuses)]
              for figures in sorted(overview.cities, key=lambda figures: figures.city)]
        + [[_("Network total"), overview.total_cases, people.people,
            overview.total_vulnerable_cases,
            *(totals_by_status.get(status, 0) for status, _label in statuses)]],
    )
