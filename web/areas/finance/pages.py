"""Budget and expenditure pages: a city's figures per sub-action with its claims and the form to
claim a cost (its coordinators), and the ministry's page: every city's figures with the
network's totals, the pending claims with their approve and reject forms, and the form to set an
allocation. A refused form is shown again with its errors and what was typed (422); a recorded
one leads back to the page, which already shows it (303)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from domain.access import Permission, Principal, may
from domain.finance.model import ExpenseCategory
from domain.programme import City, SubAction
from projections.finance import BudgetLine, ClaimRow
from web.areas.finance.requests import (
    AllocationRequest,
    AllocationSetter,
    CityFinanceToView,
    CityToClaimIn,
    ClaimReceipt,
    ClaimRequest,
    ClaimToDecide,
    NetworkFinanceViewer,
    RejectionRequest,
    approve,
    record_claim,
    reject,
    set_allocation,
)
from web.kit.cities import known_cities
from web.kit.confirmation import ask_to_confirm, confirmed
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.exports import Column, start_export
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.kit.vocabulary.finance import CLAIM_STATUSES, EXPENSE_CATEGORIES
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


def _words(services: WebServices) -> dict[str, Any]:
    # The eligibility window is the programme's period in force (the Ministry may extend it).
    period = services.programme_terms.terms_in_force().period
    return {
        "categories": EXPENSE_CATEGORIES,
        "statuses": CLAIM_STATUSES,
        "sub_actions": [s.value for s in SubAction],
        "expense_categories": [c.value for c in ExpenseCategory],
        "eligibility_start": period.starts_on.isoformat(),
        "eligibility_end": period.ends_on.isoformat(),
    }


# --- a city's budget ----------------------------------------------------------------------------


@router.get("/cities/{city}/finance", name="city_finance")
def city_finance(
    request: Request, city: CityFinanceToView, pages: PageRenderer, services: Services,
    principal: SignedIn,
) -> HTMLResponse:
    return _render_city(request, pages, services, principal, city, FormState())


CITY_FINANCE_TABLES = ("lines", "claims")


@router.get("/cities/{city}/finance/{table}/export.{fmt}", name="city_finance_export")
def city_finance_export(
    table: str, fmt: str, city: CityFinanceToView, services: Services,
    translator: CurrentTranslator,
) -> Response:
    """The city's figures per sub-action with its total, or its claims (`table`: one of
    CITY_FINANCE_TABLES)."""
    export = start_export(services, fmt, table, CITY_FINANCE_TABLES, translator=translator)
    labels, _ = Labels(translator), translator.gettext
    finance = services.finance_views.city(city.value)
    where = labels.city(city.value)
    if table == "lines":
        return export.respond(
            name=f"budget-{city.value}",
            title=f"{_('Allocations and claims per sub-action')} – {where}",
            columns=_budget_columns(_("Sub-action"), translator),
            rows=[[labels.numbered_sub_action(line.sub_action or ""),
                   *_budget_figures(line)] for line in finance.lines]
            + ([[_("City total"), *_budget_figures(finance.total)]] if finance.lines else []),
        )
    return export.respond(
        name=f"claims-{city.value}",
        title=f"{_('Expenditure claims')} – {where}",
        columns=[Column(_("Date of the cost"), "date"), Column(_("Sub-action")),
                 Column(_("Category")), Column(_("Supporting document")),
                 Column(_("Amount"), "money"), Column(_("Status")),
                 Column(_("Reason for rejecting"))],
        rows=[[claim.spent_on, claim.sub_action, labels.label(EXPENSE_CATEGORIES, claim.category),
               claim.document_reference, claim.amount,
               labels.label(CLAIM_STATUSES, claim.status), claim.rejection_reason or ""]
              for claim in finance.claims],
    )


def _budget_columns(first: str, translator: Translator) -> list[Column]:
    _ = translator.gettext
    return [Column(first), Column(_("Allocated"), "money"), Column(_("Claimed"), "money"),
            Column(_("Approved"), "money"), Column(_("Remaining"), "money")]


def _budget_figures(line: BudgetLine) -> list[Decimal]:
    return [line.allocated, line.claimed, line.approved, line.remaining]



@router.post("/cities/{city}/finance/claims", name="record_claim")
async def record_expenditure_claim(
    request: Request, city: CityToClaimIn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, ClaimRequest.model_fields)
    try:
        await form.submit(ClaimRequest, lambda claim: record_claim(
            services, city, claim, principal.actor), translator)
    except FormRefused as refused:
        return _render_city(request, pages, services, principal, city, refused.form,
                            status_code=422)
    return see_other(request, "city_finance", city=city.value)


def _render_city(
    request: Request, pages: Pages, services: WebServices, principal: Principal, city: City,
    claim_form: FormState, status_code: int = 200,
) -> HTMLResponse:
    context = {
        "city": city.value,
        "finance": services.finance_views.city(city.value),
        "claim_form": claim_form,
        "may_claim": may(principal, Permission.RECORD_EXPENDITURE, city),
        "today": services.now().date().isoformat(),
        **_words(services),
    }
    return pages.render(request, "finance/city.html", context, status_code=status_code)


# --- the ministry's page ------------------------------------------------------------------------


@dataclass(frozen=True)
class MinistryForms:
    """The ministry page's forms as shown again, the refused one with its errors; a refused
    decision names its claim."""

    allocation: FormState = field(default_factory=FormState)
    decision: FormState = field(default_factory=FormState)
    decided_claim: UUID | None = None


@router.get("/ministry/finance", name="ministry_finance")
def ministry_finance(
    request: Request, pages: PageRenderer, services: Services, viewer: NetworkFinanceViewer,
) -> HTMLResponse:
    return _render_ministry(request, pages, services, viewer, MinistryForms())


MINISTRY_FINANCE_TABLES = ("cities", "sub-actions", "cities-by-sub-action", "pending")


@router.get("/ministry/finance/{table}/export.{fmt}", name="ministry_finance_export")
def ministry_finance_export(
    table: str, fmt: str, services: Services, _viewer: NetworkFinanceViewer,
    translator: CurrentTranslator,
) -> Response:
    """The network's figures per city, per sub-action, per city and sub-action, or the claims
    awaiting the ministry's check (`table`: one of MINISTRY_FINANCE_TABLES)."""
    export = start_export(services, fmt, table, MINISTRY_FINANCE_TABLES, translator=translator)
    labels, _ = Labels(translator), translator.gettext
    network = services.finance_views.network()
    if table == "cities":
        return export.respond(
            name="budget-cities", title=_("Allocations and claims per city"),
            columns=_budget_columns(_("City"), translator),
            rows=[[labels.city(city.city), *_budget_figures(city.total)]
                  for city in network.cities]
            + [[_("Network total"), *_budget_figures(network.total)]])
    if table == "sub-actions":
        return export.respond(
            name="budget-sub-actions", title=_("Allocations and claims per sub-action"),
            columns=_budget_columns(_("Sub-action"), translator),
            rows=[[labels.numbered_sub_action(line.sub_action or ""),
                   *_budget_figures(line)] for line in network.by_sub_action()])
    if table == "cities-by-sub-action":
        return export.respond(
            name="budget-cities-by-sub-action", title=_("Each city, sub-action by sub-action"),
            columns=[Column(_("City")), *_budget_columns(_("Sub-action"), translator)],
            rows=[[labels.city(city.city),
                   labels.numbered_sub_action(code),
                   *_budget_figures(city.line(code))]
                  for city in network.cities for code in SubAction])
    return export.respond(
        name="claims-pending", title=_("Claims awaiting the ministry's check"),
        columns=_claim_columns(translator),
        rows=[_claim_cells(claim, labels) for claim in network.pending_claims()])


def _claim_columns(translator: Translator) -> list[Column]:
    _ = translator.gettext
    return [Column(_("City")), Column(_("Sub-action")), Column(_("Category")),
            Column(_("Date of the cost"), "date"), Column(_("Supporting document")),
            Column(_("Amount"), "money")]


def _claim_cells(claim: ClaimRow, labels: Labels) -> list[object]:
    return [labels.city(claim.city), claim.sub_action,
            labels.label(EXPENSE_CATEGORIES, claim.category), claim.spent_on,
            claim.document_reference, claim.amount]


@router.post("/ministry/finance/allocations", name="set_allocation")
async def set_city_allocation(
    request: Request, setter: AllocationSetter, pages: PageRenderer, services: Services,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, AllocationRequest.model_fields)
    try:
        await form.submit(AllocationRequest, lambda allocation: set_allocation(
            services, allocation, setter.actor), translator)
    except FormRefused as refused:
        return _render_ministry(request, pages, services, setter,
                                MinistryForms(allocation=refused.form), status_code=422)
    return see_other(request, "ministry_finance")


@router.post("/ministry/finance/claims/{claim_id}/approval", name="approve_claim")
async def approve_claim(
    request: Request, claim: ClaimToDecide, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    if not await confirmed(request):
        # An approval cannot be undone: the page asks first (works without JavaScript).
        _ = translator.gettext
        labels = Labels(translator)
        return ask_to_confirm(
            request, pages, question=_("Approve this claim?"),
            consequence=_("An approved claim counts as spent against the city's allocation, "
                          "and the approval cannot be undone."),
            facts=[(_("City"), labels.city(claim.city)),
                   (_("Sub-action"), labels.sub_action(claim.sub_action)),
                   (_("Spent on"), translator.date(claim.spent_on)),
                   (_("Document reference"), claim.document_reference),
                   (_("Amount"), translator.money(claim.amount))],
            button=_("Approve the claim"), back=str(request.app.url_path_for("ministry_finance")))
    return await _decide(request, pages, services, principal, translator, claim.claim_id,
                         PostedForm({}), None, lambda _nothing: approve(
                             services, claim, principal.actor))


@router.post("/ministry/finance/claims/{claim_id}/rejection", name="reject_claim")
async def reject_claim(
    request: Request, claim: ClaimToDecide, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, RejectionRequest.model_fields)
    return await _decide(request, pages, services, principal, translator, claim.claim_id,
                         form, RejectionRequest, lambda rejection: reject(
                             services, claim, rejection, principal.actor))


async def _decide(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, claim_id: UUID, form: PostedForm, model: type[BaseModel] | None,
    command: Callable[[Any], Awaitable[ClaimReceipt]],
) -> Response:
    try:
        await form.submit(model, command, translator)
    except FormRefused as refused:
        forms = MinistryForms(decision=refused.form, decided_claim=claim_id)
        return _render_ministry(request, pages, services, principal, forms, status_code=422)
    return see_other(request, "ministry_finance")


def _render_ministry(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    forms: MinistryForms, status_code: int = 200,
) -> HTMLResponse:
    context = {
        "network": services.finance_views.network(),
        "forms": forms,
        "may_decide": may(principal, Permission.APPROVE_EXPENDITURE),
        "may_allocate": may(principal, Permission.SET_ALLOCATIONS),
        "cities": known_cities(services),
        **_words(services),
    }
    return pages.render(request, "finance/ministry.html", context, status_code=status_code)
