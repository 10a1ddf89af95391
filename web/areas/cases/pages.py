"""A city's case list (filtered through htmx, which swaps only the table) and the case page,
with the forms to read the person's identifiers and to erase them
(web.areas.cases.personal_data_pages handles what they post), to close, reopen and correct the
case (web.areas.cases.lifecycle_pages), and links to the work recorded on it. The staff of a city
that transferred a case away see its handover instead: the history up to the transfer, nothing
newer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.cases.model import MAX_REASON, PROGRAMME_TIMEZONE
from domain.cases.rules import AgeBand, CaseOutcome
from domain.network import City
from projections.case_list import CASE_STATUS_OPEN, CasePage, CaseRow, Handover
from web.areas.cases.filters import CHIP_FILTERS, DEFAULT_PAGE_SIZE, FILTER_NAMES, CaseListQuery
from web.areas.cases.personal_data import PersonalDataView, erasure_of, reasons_for
from web.areas.cases.timeline import timeline_of
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import explain_validation_errors
from web.kit.exports import MAX_EXPORT_ROWS, Column, start_export
from web.kit.forms import FormRefused, FormState
from web.kit.i18n import N_, Translator
from web.kit.labels import AGE_BANDS, Labels
from web.kit.principal import CaseOrHandover, CityToList, SignedIn
from web.kit.templating import Pages, is_htmx_fragment_request, path_with_query
from web.kit.vocabulary import case_lifecycle as lifecycle_words
from web.services import WebServices

router = APIRouter(include_in_schema=False)

CASE_TABLE_BLOCK = "case_table"
# The case page's forms, by the name `render_case_page` knows them by.
IDENTIFIERS_FORM = "identifiers"
ERASURE_FORM = "erasure"
CLOSURE_FORM = "closure"
REOPENING_FORM = "reopening"
CORRECTION_FORM = "correction"
_PAGE_LINKS_AROUND_CURRENT = 2


@router.get("/cities/{city}/cases", name="case_list")
def case_list(
    request: Request,
    city: CityToList,
    pages: PageRenderer,
    services: Services,
    translator: CurrentTranslator,
    created: Annotated[str | None, Query(description="The case just recorded")] = None,
) -> HTMLResponse:
    # The filters are read here rather than by FastAPI, so that a wrong one (a drill-down link
    # edited by hand, say) is shown on the list, next to the filters, rather than on an error
    # page: the list shows nothing until it is put right.
    typed = {name: request.query_params.get(name, "") for name in FILTER_NAMES}
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
            city.value, query.filters(), page=query.page, page_size=query.page_size
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
    export = start_export(services, fmt)
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
                 Column(_("Nationality")), Column(_("Vulnerability")),
                 Column(_("Household size"), "int"), Column(_("Status")),
                 Column(_("Closed on"), "date"), Column(_("Closure outcome"))],
        rows=[[case.case_code, case.intake_date, labels.protection_status(case.protection_status),
               labels.sex(case.sex), labels.age_band(case.age_band), case.nationality,
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
        (_("Nationality"), translator.country(query.nationality) if query.nationality else None),
        (_("Closure outcome"), labels.label(lifecycle_words.CASE_OUTCOMES, query.outcome)
         if query.outcome else None),
        (_("Intake month"), _month_in_words(query.intake_month, translator)
         if query.intake_month else None),
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


@router.get("/cases/{case_id}", name="case_page")
def case_page(
    request: Request,
    case: CaseOrHandover,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> HTMLResponse:
    if isinstance(case, Handover):
        return render_handover(request, pages, services, translator, case)
    # Only an erased case needs the record's account of its erasure: no load on every view.
    erasure = erasure_of(services, case.case_id) if case.personal_data_erased_on else None
    return render_case_page(
        request, pages, services, principal, translator, case, PersonalDataView(erasure)
    )


def render_case_page(
    request: Request,
    pages: Pages,
    services: WebServices,
    principal: Principal,
    translator: Translator,
    case: CaseRow,
    personal_data: PersonalDataView,
    *,
    shown_again: Mapping[str, FormState] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The case page; with the person's identifiers when `personal_data` holds them, the forms
    to read or erase them, to close, reopen or correct the case, and the links to work on it,
    each for whoever may use it. `shown_again` holds a form shown again, by its name
    (IDENTIFIERS_FORM, ...). Blocking (the read models): call it from a thread in async code."""
    city = City(case.city)
    now = services.now()
    erased = personal_data.erasure is not None
    today = now.astimezone(PROGRAMME_TIMEZONE).date().isoformat()
    labels = Labels(translator)
    is_open = case.status == CASE_STATUS_OPEN
    may_work = may(principal, Permission.RECORD_CASE_WORK, city, at=now)
    may_correct = may(principal, Permission.CORRECT_CASE_RECORD, city, at=now)
    shown_again = shown_again or {}
    context = {
        "case": case,
        "is_open": is_open,
        "timeline": timeline_of(services.case_list.history(case.case_id), translator),
        "personal_data": personal_data,
        "reasons": () if erased else labels.access_reasons(
            reasons_for(principal, city, now)),
        "may_erase": not erased and may(principal, Permission.REQUEST_ERASURE, city),
        "identifiers_form": shown_again.get(IDENTIFIERS_FORM) or FormState(),
        "erasure_form": shown_again.get(ERASURE_FORM) or FormState(
            values={"requested_on": today}),
        "may_work": is_open and may_work,
        "may_close": is_open and may_work,
        "may_reopen": not is_open and may_correct,
        "may_correct": may_correct,
        "outcome_label": labels.label(lifecycle_words.CASE_OUTCOMES, case.outcome)
        if case.outcome else None,
        "outcomes": labels.choices(lifecycle_words.CASE_OUTCOMES, CaseOutcome),
        "max_reason": MAX_REASON,
        "closure_form": shown_again.get(CLOSURE_FORM) or FormState(values={"closed_on": today}),
        "reopening_form": shown_again.get(REOPENING_FORM) or FormState(
            values={"reopened_on": today}),
        "correction_form": shown_again.get(CORRECTION_FORM) or FormState(values={
            "protection_status": case.protection_status, "sex": case.sex,
            "nationality": case.nationality, "household_size": str(case.household_size),
            "vulnerabilities": list(case.vulnerabilities),
        }),
    }
    return pages.render(request, "cases/detail.html", context, status_code=status_code)


async def refused_on_case_page(
    request: Request,
    pages: Pages,
    services: WebServices,
    principal: Principal,
    translator: Translator,
    case: CaseRow,
    form_name: str,
    refused: FormRefused,
) -> HTMLResponse:
    """The case page again, 422, with the form `form_name` as it was refused (nothing was
    written): how each of the case page's forms answers a refusal."""
    erasure = await run_in_threadpool(erasure_of, services, case.case_id)
    return await run_in_threadpool(
        render_case_page, request, pages, services, principal, translator, case,
        PersonalDataView(erasure), shown_again={form_name: refused.form}, status_code=422,
    )


def render_handover(
    request: Request, pages: Pages, services: WebServices, translator: Translator,
    handover: Handover,
) -> HTMLResponse:
    """What the staff of the city that transferred a case away still see: the case code, where
    it went and when, and its timeline up to the transfer. No facts as they are now, no
    identifiers, no forms: the case is another city's."""
    history = services.case_list.history(handover.case_id, until_position=handover.until_position)
    context = {"handover": handover, "timeline": timeline_of(history, translator)}
    return pages.render(request, "cases/handover.html", context)
