"""The report of indicators for the donor (issue 13 item 6): the network's, for the ministry and
the auditors, and each city's, for its own staff too, as the dashboards' access rules say
(`CityToView`, `NetworkViewer`); as of a past moment through the same as-of mechanism (the
services handed to the request carry the replayed read models). Each figure leads to the records
behind it (people by their case codes, never by who they are; activities by their title), and
the report and every list download as CSV, Italian CSV and XLSX, stamped with the moment and
the event position (web.kit.exports)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from projections.donor_indicators import RECORD_LISTS, DonorIndicatorQueries, DonorReport
from web.areas.dashboards.donor_tables import records_table, report_table
from web.kit.as_of import viewing_as_of
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import ResourceNotFound
from web.kit.exports import export_format, export_response
from web.kit.i18n import N_, Translator
from web.kit.labels import Labels
from web.kit.principal import CityToView, NetworkViewer
from web.kit.request_limits import AccessBeforeBody
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

NETWORK = "network"


class UnknownIndicatorRecords(ResourceNotFound):
    """Raised when a path names records behind no indicator of the report."""

    code = "unknown_indicator_records"

    def __init__(self, records: str) -> None:
        super().__init__(records)

    def explain(self, translator: Translator) -> str:
        return translator.gettext(
            N_("There is no such list: the records behind the indicators are %(lists)s."),
            lists=", ".join(RECORD_LISTS))


def donor_report(services: WebServices, city: str | None) -> DonorReport:
    """Read from the services' read models: those replayed up to the moment an auditor or the
    ministry views the record at, when they chose one."""
    return DonorIndicatorQueries(services.indicators.database).report(city)


def _file_name(what: str, where: str) -> str:
    return f"donor-indicators-{where}-{what.replace('_', '-')}"


def _records_href(request: Request, city: str | None) -> Callable[[str], str]:
    if city is None:
        return lambda records: str(request.app.url_path_for("network_donor_records",
                                                            records=records))
    return lambda records: str(request.app.url_path_for("city_donor_records", city=city,
                                                        records=records))


def _report_page(request: Request, pages: PageRenderer, services: WebServices,
                 translator: Translator, city: str | None) -> HTMLResponse:
    report = donor_report(services, city)
    table = report_table(report, translator, _records_href(request, city))
    context: dict[str, Any] = {
        "city": city, "report": report, "table": table,
        "as_of_moment": viewing_as_of(request), "now": services.now(),
        "export_route": "network_donor_report_export" if city is None
        else "city_donor_report_export",
        "export_params": {} if city is None else {"city": city},
    }
    return pages.render(request, "donor_report/report.html", context)


def _report_export(request: Request, fmt: str, services: WebServices, translator: Translator,
                   city: str | None) -> Response:
    chosen = export_format(fmt)
    report = donor_report(services, city)
    table = report_table(report, translator, _records_href(request, city))
    return export_response(table.export(_file_name("report", city or NETWORK), services),
                           chosen, translator)


def _records(request: Request, pages: PageRenderer, services: WebServices,
             translator: Translator, city: str | None, records: str,
             fmt: str | None = None) -> Response:
    chosen = None if fmt is None else export_format(fmt)
    if records not in RECORD_LISTS:
        raise UnknownIndicatorRecords(records)
    report = donor_report(services, city)
    table = records_table(report, records, translator, Labels(translator), request)
    if chosen is not None:
        return export_response(table.export(_file_name(records, city or NETWORK), services),
                               chosen, translator)
    return pages.render(request, "donor_report/records.html", {
        "city": city, "table": table, "position": report.position,
        "as_of_moment": viewing_as_of(request), "now": services.now(),
        "export_route": "network_donor_records_export" if city is None
        else "city_donor_records_export",
        "export_params": {"records": records} if city is None
        else {"city": city, "records": records},
    })


# The exports before the lists: `export.csv` is no list's name, and is matched first.


@router.get("/ministry/donor-report", name="network_donor_report")
def network_donor_report(
    request: Request, pages: PageRenderer, services: Services, _viewer: NetworkViewer,
    translator: CurrentTranslator,
) -> HTMLResponse:
    return _report_page(request, pages, services, translator, None)


@router.get("/ministry/donor-report/export.{fmt}", name="network_donor_report_export")
def network_donor_report_export(
    request: Request, fmt: str, services: Services, _viewer: NetworkViewer,
    translator: CurrentTranslator,
) -> Response:
    return _report_export(request, fmt, services, translator, None)


@router.get("/ministry/donor-report/{records}", name="network_donor_records")
def network_donor_records(
    request: Request, records: str, pages: PageRenderer, services: Services,
    _viewer: NetworkViewer, translator: CurrentTranslator,
) -> Response:
    return _records(request, pages, services, translator, None, records)


@router.get("/ministry/donor-report/{records}/export.{fmt}",
            name="network_donor_records_export")
def network_donor_records_export(
    request: Request, records: str, fmt: str, pages: PageRenderer, services: Services,
    _viewer: NetworkViewer, translator: CurrentTranslator,
) -> Response:
    return _records(request, pages, services, translator, None, records, fmt)


@router.get("/cities/{city}/donor-report", name="city_donor_report")
def city_donor_report(
    request: Request, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator,
) -> HTMLResponse:
    return _report_page(request, pages, services, translator, city.value)


@router.get("/cities/{city}/donor-report/export.{fmt}", name="city_donor_report_export")
def city_donor_report_export(
    request: Request, fmt: str, city: CityToView, services: Services,
    translator: CurrentTranslator,
) -> Response:
    return _report_export(request, fmt, services, translator, city.value)


@router.get("/cities/{city}/donor-report/{records}", name="city_donor_records")
def city_donor_records(
    request: Request, records: str, city: CityToView, pages: PageRenderer, services: Services,
    translator: CurrentTranslator,
) -> Response:
    return _records(request, pages, services, translator, city.value, records)


@router.get("/cities/{city}/donor-report/{records}/export.{fmt}",
            name="city_donor_records_export")
def city_donor_records_export(
    request: Request, records: str, fmt: str, city: CityToView, pages: PageRenderer,
    services: Services, translator: CurrentTranslator,
) -> Response:
    return _records(request, pages, services, translator, city.value, records, fmt)
