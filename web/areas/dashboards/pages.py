"""The dashboards: the ministry's (19 cities side by side, sortable, drill-down to a city) and
each city's, with the programme's indicators by sub-action, charts, drill-down lists and
exports.

Every figure a city's dashboard shows links to the records behind it, where the viewer may open
them: a case figure to the city's case list with the filters that give exactly that many cases,
a referral figure to the list of those referrals (`indicator_referrals`), a housing figure to
the list of those placements (`indicator_placements`), an activity figure to the activity
register, an expenditure figure to the city's budget page (web.areas.dashboards.links,
.drilldowns). The pages read the indicators once (projections.indicators), shaped into figures
and tables by web.areas.dashboards.dashboard (and .cities for the ministry's table of cities):
the page, its htmx fragments, its exports and the API all show the same numbers.

Live: while the record is viewed as it is now, each section of a dashboard reloads itself
(htmx, `?part=<section>` with the HX-Request header) when the live stream (web.kit.live)
says the read models moved on. Viewing the past, nothing moves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain.access import Principal
from domain.programme import City
from web.areas.dashboards.cities import CITY_COLUMNS, cities_table
from web.areas.dashboards.dashboard import Dashboard
from web.areas.dashboards.drilldowns import PlacementsAsked, ReferralsAsked, records_behind
from web.areas.dashboards.figures import DashboardView, file_name
from web.areas.dashboards.grant_figures import grant_tables
from web.areas.dashboards.links import DrillDown
from web.areas.dashboards.parameters import Parameter, UnknownChoice, choice, refuse_choice
from web.areas.dashboards.vocabulary import CASE_BREAKDOWNS
from web.kit.as_of import viewing_as_of
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.exports import UnknownExport, export_format, export_response
from web.kit.grant_statements import co_beneficiary_statement_of, grant_statements
from web.kit.i18n import Translator
from web.kit.principal import CityToView, NetworkViewer, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import is_htmx_fragment_request, path_with_query
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

# The sections of a dashboard that reload by themselves (`?part=`), in the order shown.
CITY_PARTS = ("headline", "cases", "referrals", "housing", "activities", "expenditure",
              "deliveries")
MINISTRY_PARTS = (*CITY_PARTS, "cities")
# The tables of a dashboard, each downloadable (`/dashboard/<table>/export.<fmt>`).
CASE_TABLES = tuple(CASE_BREAKDOWNS)
CITY_TABLES = (
    *CASE_TABLES, "intakes", "referral_destinations", "referral_outcomes", "referral_figures",
    "housing_figures", "exits", "occupancy", "activities", "expenditure", "deliveries",
    # The grant's model (issue 13): absorption per heading, claims awaiting the check.
    "grant_headings", "grant_awaiting",
)
MINISTRY_TABLES = ("cities", *CITY_TABLES, "grant_co_beneficiaries")
SORT_ORDERS = ("asc", "desc")


# --- the pages ----------------------------------------------------------------------------------


def live_stream_url(request: Request, since: int) -> str:
    """The live stream, told which position the page's figures show: it announces nothing until
    the read models move past it (so a page just loaded does not reload its sections)."""
    return f"{request.app.url_path_for('live_stream')}?{urlencode({'since': since})}"


def _dashboard_context(request: Request, services: WebServices, view: DashboardView,
                       parts: Sequence[str], **extra: Any) -> dict[str, Any]:
    as_of_moment = viewing_as_of(request)
    return {
        "view": view,
        "as_of_moment": as_of_moment,
        "now": services.now(),
        # Viewing the past, nothing moves: no stream to follow.
        "live": as_of_moment is None,
        "live_url": live_stream_url(request, view.position),
        "part_url": {part: path_with_query(request, part=part) for part in parts},
        **extra,
    }


def _city_view(request: Request, services: WebServices, principal: Principal, city: City,
               translator: Translator) -> DashboardView:
    indicators = services.indicators.indicators(city.value)
    view = Dashboard(indicators, DrillDown(request, principal, city.value), translator).view()
    return _with_grant(view, services, city.value, translator)


def _with_grant(view: DashboardView, services: WebServices, city: str | None,
                translator: Translator) -> DashboardView:
    """The view with the expenditure section's tables of the grant's model (issue 13): on a
    city's dashboard, from the city's own statement (read without the other co-beneficiaries'
    claims, issue 15)."""
    ends_on = services.programme_terms.terms_in_force().period.ends_on
    now, views = services.now(), services.grant_views
    if city is None:
        claims = views.claims(as_of=now)
        statements = grant_statements(views, services.grants.grant, now, ends_on, claims)
        # The claims as they are now: the same ones unless one changed after `now` was read.
        if views.claims_changed_after(now):
            claims = views.claims(None)
        tables = grant_tables(statements, statements.action, claims, now, translator)
    else:
        statement = co_beneficiary_statement_of(views, services.grants.grant, now, ends_on, city)
        tables = grant_tables(None, statement, views.claims(city), now, translator)
    return DashboardView(position=view.position, figures=view.figures,
                         tables={**view.tables, **tables}, charts=view.charts)


@router.get("/cities/{city}/dashboard", name="city_dashboard")
def city_dashboard(
    request: Request, city: CityToView, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator, part: Parameter = None,
) -> HTMLResponse:
    try:
        section = choice("part", part, CITY_PARTS)
    except UnknownChoice as refused:
        return refuse_choice(request, pages, translator, refused)
    view = _city_view(request, services, principal, city, translator)
    context = _dashboard_context(request, services, view, CITY_PARTS, city=city.value,
                                 export_route="city_dashboard_export",
                                 export_params={"city": city.value})
    if section is not None and is_htmx_fragment_request(request):
        return pages.render(request, "dashboards/layout.html", context, block=f"part_{section}")
    return pages.render(request, "dashboards/city.html", context)


def _city_columns(sort: str | None, order: str | None) -> tuple[str, str]:
    """The column the table of cities is sorted by, and the direction; raises UnknownChoice."""
    return (choice("sort", sort, CITY_COLUMNS) or "city",
            choice("order", order, SORT_ORDERS) or "asc")


@router.get("/ministry/dashboard", name="ministry_dashboard")
def ministry_dashboard(
    request: Request, pages: PageRenderer, services: Services, viewer: NetworkViewer,
    translator: CurrentTranslator, part: Parameter = None, sort: Parameter = None,
    order: Parameter = None,
) -> HTMLResponse:
    try:
        section = choice("part", part, MINISTRY_PARTS)
        column, direction = _city_columns(sort, order)
    except UnknownChoice as refused:
        return refuse_choice(request, pages, translator, refused)
    view = _ministry_view(request, services, viewer, translator, column, direction)
    context = _dashboard_context(request, services, view, MINISTRY_PARTS, city=None,
                                 export_route="ministry_dashboard_export", export_params={},
                                 sort_query=urlencode({"sort": column, "order": direction}))
    if section is not None and is_htmx_fragment_request(request):
        # The table of cities is the ministry page's own block; the others, the layout's.
        template = "dashboards/ministry.html" if section == "cities" else "dashboards/layout.html"
        return pages.render(request, template, context, block=f"part_{section}")
    return pages.render(request, "dashboards/ministry.html", context)


def _ministry_view(request: Request, services: WebServices, principal: Principal,
                   translator: Translator, column: str, order: str) -> DashboardView:
    dashboard = services.indicators.network_dashboard()
    cities_path = str(request.app.url_path_for("ministry_dashboard"))

    def sorted_by(key: str) -> str:
        return f"{cities_path}?{urlencode({'sort': key, 'order': 'desc'})}#part-cities"

    network = Dashboard(dashboard.network, DrillDown(request, principal, None), translator,
                        network_links=sorted_by)
    view = network.view()
    table = cities_table(dashboard, network, request, principal, column, order)
    return _with_grant(
        DashboardView(position=dashboard.position, figures=view.figures,
                      tables={"cities": table, **view.tables}, charts=view.charts),
        services, None, translator)


# --- drill-down: the records behind a figure ----------------------------------------------------


@router.get("/cities/{city}/dashboard/referrals", name="indicator_referrals")
def indicator_referrals(
    request: Request, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator, filters: ReferralsAsked,
) -> Response:
    return records_behind(request, pages, services, translator, city, "referrals", filters)


@router.get("/cities/{city}/dashboard/referrals/export.{fmt}",
            name="indicator_referrals_export")
def indicator_referrals_export(
    request: Request, fmt: str, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator, filters: ReferralsAsked,
) -> Response:
    return records_behind(request, pages, services, translator, city, "referrals", filters, fmt)


@router.get("/cities/{city}/dashboard/placements", name="indicator_placements")
def indicator_placements(
    request: Request, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator, filters: PlacementsAsked,
) -> Response:
    return records_behind(request, pages, services, translator, city, "placements", filters)


@router.get("/cities/{city}/dashboard/placements/export.{fmt}",
            name="indicator_placements_export")
def indicator_placements_export(
    request: Request, fmt: str, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator, filters: PlacementsAsked,
) -> Response:
    return records_behind(request, pages, services, translator, city, "placements", filters,
                          fmt)


# --- exports of the dashboards' tables (after the drill-downs': their paths are more specific) --


@router.get("/cities/{city}/dashboard/{table}/export.{fmt}",
            name="city_dashboard_export")
def city_dashboard_export(
    request: Request, table: str, fmt: str, city: CityToView, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    chosen = export_format(fmt)
    if table not in CITY_TABLES:
        raise UnknownExport(table)
    view = _city_view(request, services, principal, city, translator)
    return export_response(view.tables[table].export(
        file_name(table, city.value), services), chosen, translator)


@router.get("/ministry/dashboard/{table}/export.{fmt}",
            name="ministry_dashboard_export")
def ministry_dashboard_export(
    request: Request, table: str, fmt: str, services: Services,
    viewer: NetworkViewer, pages: PageRenderer, translator: CurrentTranslator,
    sort: Parameter = None, order: Parameter = None,
) -> Response:
    chosen = export_format(fmt)
    if table not in MINISTRY_TABLES:
        raise UnknownExport(table)
    try:
        column, direction = _city_columns(sort, order)
    except UnknownChoice as refused:
        return refuse_choice(request, pages, translator, refused)
    view = _ministry_view(request, services, viewer, translator, column, direction)
    return export_response(view.tables[table].export(
        file_name(table, "network"), services), chosen, translator)
