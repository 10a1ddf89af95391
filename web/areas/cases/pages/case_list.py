"""A city's case list: filtered through htmx (which swaps only the table), paginated, and
exported; besides the filter form's own filters, the ones a dashboard's drill-down link sets,
shown as chips that can be removed. A filter that does not parse is shown next to the filters,
and the list shows nothing until it is put right."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from domain.cases.rules import AgeBand
from domain.programme import City
from projections.case_list import CasePage, CaseRow
from web.areas.cases.requests.assignment import held_cases_only
from web.areas.cases.requests.filters import (
    CHIP_FILTERS,
    DEFAULT_PAGE_SIZE,
    FILTER_NAMES,
    CaseListQuery,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import explain_validation_errors
from web.kit.exports import MAX_EXPORT_ROWS, Column, start_export
from web.kit.i18n import N_, Translator
from web.kit.labels import AGE_BANDS, Labels
from web.kit.principal import CityToList, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import is_htmx_fragment_request, path_with_query
from web.kit.vocabulary import case_lifecycle as lifecycle_words
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

CASE_TABLE_BLOCK = "case_table"


_PAGE_LINKS_AROUND_CURRENT = 2


@router.get("/cities/{city}/cases", name="case_list")
def case_list(
    request: Request,
    city: CityToList,
    pages: PageRenderer,
    services: Services,
    translator: CurrentTranslator,
    principal: SignedIn,
    created: Annotated[str | None, Query(description="The case just recorded")] = None,
) -> HTMLResponse:
    # The filters are read here rather than by FastAPI, so that a wrong one (a drill-down link
    # edited by hand, say) is shown on the list, next to the filters, rather than on an error
    # page: the list shows nothing until it is put right.
    typed = {name: request.query_params.get(name, "") for name in (*FILTER_NAMES, "holder")}
    context: dict[str, Any] = {"city": city.value, "typed": typed, "errors": {}}
    try:
        query = CaseListQuery.model_validate(dict(request.query_params))
    except ValidationError as invalid:
        context["errors"] = {
            problem.field or "": problem.message
            for problem in explain_validation_errors(invalid.errors(), translator)
        }
        query = None
    if query is None:
        page = CasePage((), 0, 1, DEFAULT_PAGE_SIZE)
    else:
        page = services.case_list.list_cases(
            city.value, query.filters(), page=query.page, page_size=query.page_size,
            case_ids=held_cases_only(services, principal, city, query),
        )
    context.update({
        "page": page,
        "page_numbers": _page_numbers(page.page, page.pages),
        "page_url": lambda number: path_with_query(request, page=number, created=None),
        "chips": _filter_chips(request, typed, Labels(translator), translator),
        "age_bands": Labels(translator).choices(AGE_BANDS, AgeBand),
    })
    status_code = 422 if context["errors"] else 200
    if is_htmx_fragment_request(request):
        return pages.render(request, "cases/list.html", context, block=CASE_TABLE_BLOCK,
                            status_code=status_code)
    context["created"] = _just_created(services, city, created)
    return pages.render(request, "cases/list.html", context, status_code=status_code)


@router.get("/cities/{city}/cases/export.{fmt}", name="case_list_export")
def case_list_export(
    fmt: str,
    city: CityToList,
    query: Annotated[CaseListQuery, Query()],
    services: Services,
    translator: CurrentTranslator,
) -> Response:
    """Every case the filters select (not only the page shown), up to MAX_EXPORT_ROWS (the
    title says when there were more), with the facts the list shows and those its filters
    narrow by."""
    export = start_export(services, fmt, translator=translator)
    found = services.case_list.list_cases(city.value, query.filters(), page=1,
                                          page_size=MAX_EXPORT_ROWS)
    labels, _ = Labels(translator), translator.gettext
    title = f"{_('Cases')} – {labels.city(city.value)}"
    if found.total > len(found.rows):
        title = _("%(title)s (the first %(shown)s of %(total)s cases)", title=title,
                  shown=translator.number(len(found.rows)), total=translator.number(found.total))
    return export.respond(
        name=f"cases-{city.value}",
        title=title,
        columns=[Column(_("Case code")), Column(_("Intake date"), "date"),
                 Column(_("Protection status")), Column(_("Sex")), Column(_("Age")),
                 Column(_("Citizenship")), Column(_("Vulnerability")),
                 Column(_("Household size"), "int"), Column(_("Status")),
                 Column(_("Closed on"), "date"), Column(_("Closure outcome"))],
        rows=[[case.case_code, case.intake_date, labels.protection_status(case.protection_status),
               labels.sex(case.sex), labels.age_band(case.age_band),
               case.citizenship or translator.citizenship(None),
               "; ".join(labels.vulnerability(v) for v in case.vulnerabilities),
               case.household_size, labels.case_status(case.status), case.closed_on,
               labels.label(lifecycle_words.CASE_OUTCOMES, case.outcome) if case.outcome else ""]
              for case in found.rows],
        filters=_filters_in_words(query, translator, labels),
    )


def _filters_in_words(
    query: CaseListQuery, translator: Translator, labels: Labels
) -> list[tuple[str, str | None]]:
    """The list's filters as its form and chips name them (templates/cases/list.html)."""
    _ = translator.gettext
    vulnerability = {"any": _("Any vulnerable category"),
                     "none": _("No vulnerable category")}.get(query.vulnerability or "")
    return [
        (_("Case status"), labels.case_status(query.status) if query.status else None),
        (_("Vulnerability"), vulnerability or (
            labels.vulnerability(query.vulnerability) if query.vulnerability else None)),
        (_("Protection status"),
         labels.protection_status(query.protection_status) if query.protection_status else None),
        (_("Sex"), labels.sex(query.sex) if query.sex else None),
        (_("Age"), labels.age_band(query.age_band) if query.age_band else None),
        (_("Citizenship"),
         translator.citizenship(query.citizenship) if query.citizenship else None),
        (_("Closure outcome"), labels.label(lifecycle_words.CASE_OUTCOMES, query.outcome)
         if query.outcome else None),
        (_("Intake month"), _month_in_words(query.intake_month, translator)
         if query.intake_month else None),
        (_("Guardian"), _("Unaccompanied minors without a guardian")
         if query.guardian == "missing" else None),
        (_("Eligible for sub-action"),
         f"{query.eligible_for} – {labels.sub_action(query.eligible_for)}"
         if query.eligible_for else None),
    ]


@dataclass(frozen=True)
class FilterChip:
    """A filter a drill-down link set that the form has no field for, with the way to drop it."""

    name: str
    label: str
    remove_url: str


def _filter_chips(
    request: Request, typed: dict[str, str], labels: Labels, translator: Translator
) -> list[FilterChip]:
    describe = {
        "intake_month": lambda value: translator.gettext(
            N_("Taken in: %(month)s"), month=_month_in_words(value, translator)),
        "eligible_for": lambda value: translator.gettext(
            N_("Eligible for Sub-Action %(number)s – %(name)s"), number=value,
            name=labels.sub_action(value)),
        "outcome": lambda value: translator.gettext(
            N_("Closed with outcome: %(outcome)s"),
            outcome=labels.label(lifecycle_words.CASE_OUTCOMES, value)),
    }
    return [
        FilterChip(name, describe[name](typed[name]),
                   path_with_query(request, **{name: None}, page=None, created=None))
        for name in CHIP_FILTERS if typed[name]
    ]


def _month_in_words(month: str, translator: Translator) -> str:
    """"marzo 2021" for 2021-03; a month not written so, as it is (the list says what is
    wrong with it)."""
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        return month
    return translator.date(first, "LLLL y")


def _just_created(services: WebServices, city: City, created: str | None) -> CaseRow | str | None:
    """The case just recorded, from the read model; its id alone while the model lags. Only a
    case of this list's city: the parameter must not become a way to read another city's."""
    if not created:
        return None
    try:
        case_id = UUID(created)
    except ValueError:
        return None
    row = services.case_list.get_case(case_id)
    if row is None:
        return str(case_id)
    return row if row.city == city.value else None


def _page_numbers(current: int, last: int) -> list[int | None]:
    """Page numbers to link: the first, the last, and those near the current one; None marks a
    gap."""
    wanted = {1, last, *range(current - _PAGE_LINKS_AROUND_CURRENT,
                              current + _PAGE_LINKS_AROUND_CURRENT + 1)}
    numbers: list[int | None] = []
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if numbers and numbers[-1] is not None and number - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers
