"""The grant's pages (issue 13): the action's budget and statements with the ministry's transfer
form and the claims awaiting its check; a city's statement, claims and the form to claim a cost
with its evidence; one claim with its evidence, its documents and the forms that act on it; and
the statements as CSV, Italian CSV, XLSX and a printable PDF, as of any day.

A refused form is shown again with its errors and what was typed (422); a recorded one leads to
the page that shows it (303)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from domain.access import Permission, Principal, may
from domain.documents.service import may_read_claim_files
from domain.finance.claims import DisallowanceReason, VatTreatment
from domain.finance.grant import (
    CostHeading,
    NationalPartner,
    PaymentKind,
    TransferReason,
    co_beneficiaries,
)
from domain.finance.statements import ACTION, Figures, Statement, co_beneficiary_statement
from domain.programme import Actor, City, SubAction
from web.areas.finance.grant_requests import (
    AdmissionRequest,
    AdmissionToConfirm,
    DraftToSubmit,
    GrantClaimRequest,
    GrantRejectionRequest,
    PaymentRequest,
    SubmittedToCheck,
    TransferRequest,
    ViewableGrantClaim,
    admit,
    confirm,
    draft_claim,
    record_payment,
    reject,
    submit,
    transfer,
)
from web.areas.finance.requests import (
    AllocationSetter,
    CityFinanceToView,
    CityToClaimIn,
    NetworkFinanceViewer,
    PartnerClaimRecorder,
)
from web.areas.finance.statement_files import co_beneficiary_name, statement_pdf, statement_rows
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.document_files import claim_file_prefix, file_name
from web.kit.errors import ResourceNotFound
from web.kit.exports import EXPORT_FORMATS, Column, ExportRequest, UnknownExport, export_format
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.grant_statements import GrantStatements, grant_statements
from web.kit.i18n import DISPLAY_TIMEZONE, Translator
from web.kit.inputs import Day
from web.kit.labels import Labels
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.kit.vocabulary.finance import (
    COST_HEADINGS,
    DISALLOWANCE_REASONS,
    GRANT_CLAIM_STATES,
    PAYMENT_KINDS,
    TRANSFER_REASONS,
    VAT_TREATMENTS,
)
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)
AsOfDay = Annotated[Day | None, Query(description="The statement as at the end of this day")]


def _moment(services: WebServices, day: date | None) -> datetime:
    """The end of `day` in Italy (or now): what a statement as of that day includes."""
    if day is None:
        return services.now()
    end = datetime.combine(day + timedelta(days=1), time(), DISPLAY_TIMEZONE)
    return min(end - timedelta(microseconds=1), services.now())


def _statements(services: WebServices, day: date | None) -> GrantStatements:
    return grant_statements(services.grant_views, services.grants.grant,
                            _moment(services, day),
                            services.programme_terms.terms_in_force().period.ends_on)


def _words(services: WebServices) -> dict[str, Any]:
    period = services.programme_terms.terms_in_force().period
    return {
        "headings": COST_HEADINGS, "heading_codes": [h.value for h in CostHeading],
        "states": GRANT_CLAIM_STATES, "reasons": DISALLOWANCE_REASONS,
        "reason_codes": [r.value for r in DisallowanceReason],
        "vat_treatments": VAT_TREATMENTS, "vat_codes": [v.value for v in VatTreatment],
        "transfer_reasons": TRANSFER_REASONS,
        "transfer_reason_codes": [r.value for r in TransferReason],
        "payment_kinds": PAYMENT_KINDS, "payment_kind_codes": [k.value for k in PaymentKind],
        "sub_actions": [s.value for s in SubAction],
        "eligibility_start": period.starts_on.isoformat(),
        "eligibility_end": period.ends_on.isoformat(),
        "today": services.now().date().isoformat(),
        "formats": EXPORT_FORMATS,
        "co_beneficiary_name": co_beneficiary_name,
    }


# --- the action's budget and statements (the ministry, the auditors) --------------------------


@router.get("/finance/grant", name="grant_finance")
def grant_finance(
    request: Request, pages: PageRenderer, services: Services, viewer: NetworkFinanceViewer,
    as_of: AsOfDay = None,
) -> HTMLResponse:
    return _render_grant(request, pages, services, viewer, as_of, FormState())


def _render_grant(request: Request, pages: Pages, services: WebServices, principal: Principal,
                  day: date | None, transfer_form: FormState,
                  status_code: int = 200) -> HTMLResponse:
    statements = _statements(services, day)
    claims = services.grant_views.claims()
    context = {
        "statements": statements, "as_of": day,
        "awaiting": sorted((c for c in claims if c.awaits_check),
                           key=lambda claim: claim.submitted_at or claim.drafted_at),
        "may_transfer": may(principal, Permission.SET_ALLOCATIONS),
        "co_beneficiaries": co_beneficiaries(services.programme_terms.terms_in_force()),
        "transfer_form": transfer_form,
        "national_partners": [partner.value for partner in NationalPartner], **_words(services),
    }
    return pages.render(request, "finance/grant.html", context, status_code=status_code)


@router.post("/finance/grant/transfers", name="grant_transfer")
async def grant_transfer(
    request: Request, setter: AllocationSetter, pages: PageRenderer, services: Services,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, TransferRequest.model_fields)
    try:
        await form.submit(TransferRequest, lambda body: transfer(services, body, setter.actor),
                          translator)
    except FormRefused as refused:
        return _render_grant(request, pages, services, setter, None, refused.form,
                             status_code=422)
    return see_other(request, "grant_finance")


# --- the ministry's payments to the co-beneficiaries ---------------------------------------------


@router.get("/finance/grant/payments", name="grant_payments")
def grant_payments(
    request: Request, pages: PageRenderer, services: Services, setter: AllocationSetter,
) -> HTMLResponse:
    return _render_payments(request, pages, services, FormState())


def _render_payments(request: Request, pages: Pages, services: WebServices, form: FormState,
                     status_code: int = 200) -> HTMLResponse:
    """Each co-beneficiary with what the grant finances of its budget (the most it may be
    paid), what it was paid, what can still be paid and what is due; then every payment."""
    statements = _statements(services, None)
    known = co_beneficiaries(services.programme_terms.terms_in_force())
    context = {
        "statements": statements,
        "rows": [part for part in statements.parts if part.co_beneficiary in known],
        "payments": services.grant_views.payments(),
        "co_beneficiaries": known, "form": form, **_words(services),
    }
    return pages.render(request, "finance/grant_payments.html", context,
                        status_code=status_code)


@router.post("/finance/grant/payments", name="record_grant_payment")
async def record_grant_payment(
    request: Request, setter: AllocationSetter, pages: PageRenderer, services: Services,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, PaymentRequest.model_fields)
    try:
        await form.submit(PaymentRequest, lambda body: record_payment(services, body,
                                                                      setter.actor),
                          translator)
    except FormRefused as refused:
        return _render_payments(request, pages, services, refused.form, status_code=422)
    return see_other(request, "grant_payments")


@router.get("/finance/grant/statement", name="grant_statement")
def grant_statement(
    request: Request, pages: PageRenderer, services: Services, _viewer: NetworkFinanceViewer,
    of: str = ACTION, as_of: AsOfDay = None,
) -> HTMLResponse:
    statement = _statements(services, as_of).of(of)
    return pages.render(request, "finance/grant_statement.html", {
        "statement": statement, "of": of, "as_of": as_of, "city": None, **_words(services)})


@router.get("/finance/grant/statement/export.{fmt}", name="grant_statement_export")
def grant_statement_export(
    fmt: str, services: Services, _viewer: NetworkFinanceViewer, translator: CurrentTranslator,
    of: str = ACTION, as_of: AsOfDay = None,
) -> Response:
    return _export(services, translator, fmt, of, as_of)


@router.get("/finance/grant/statement.pdf", name="grant_statement_pdf")
def grant_statement_file(
    services: Services, _viewer: NetworkFinanceViewer, translator: CurrentTranslator,
    of: str = ACTION, as_of: AsOfDay = None,
) -> Response:
    return _pdf(services, translator, of, as_of)


# --- a city's statement and claims ---------------------------------------------------------------


@router.get("/cities/{city}/grant", name="city_grant")
def city_grant(
    request: Request, city: CityFinanceToView, pages: PageRenderer, services: Services,
    principal: SignedIn, as_of: AsOfDay = None,
    corrects: Annotated[str | None, Query(max_length=36)] = None,
) -> HTMLResponse:
    """`corrects`: the rejected claim a new one answers (the claim's page links here with it)."""
    form = FormState(values={"corrects": corrects} if corrects else {})
    return _render_city(request, pages, services, principal, city, as_of, form)


def _render_city(request: Request, pages: Pages, services: WebServices, principal: Principal,
                 city: City, day: date | None, claim_form: FormState,
                 status_code: int = 200) -> HTMLResponse:
    context = {"city": city.value, **_co_beneficiary_context(
        services, city.value, day, may(principal, Permission.RECORD_EXPENDITURE, city),
        claim_form)}
    return pages.render(request, "finance/grant_city.html", context, status_code=status_code)


def _co_beneficiary_context(services: WebServices, co_beneficiary: str, day: date | None,
                            may_claim: bool, claim_form: FormState) -> dict[str, Any]:
    """What a co-beneficiary's page shows, a city's or a national partner's alike."""
    return {
        "as_of": day, "statement": _statements(services, day).of(co_beneficiary),
        "claims": services.grant_views.claims(co_beneficiary), "may_claim": may_claim,
        "claim_form": claim_form, **_words(services),
    }


async def _draft_from_form(request: Request, services: WebServices, co_beneficiary: str,
                           actor: Actor, translator: Translator,
                           refused_page: Callable[[FormState], HTMLResponse]) -> Response:
    """Draft a claim from the posted form, then show it; a refused form is shown again by
    `refused_page` with its errors (422), and nothing is recorded."""
    form = await PostedForm.read(request, GrantClaimRequest.model_fields)
    drafted: list[str] = []

    async def command(body: GrantClaimRequest) -> None:
        drafted.append(str(await draft_claim(services, co_beneficiary, body, actor)))

    try:
        await form.submit(GrantClaimRequest, command, translator)
    except FormRefused as refused:
        return refused_page(refused.form)
    return see_other(request, "grant_claim_page", grant_claim_id=drafted[0])


@router.post("/cities/{city}/grant/claims", name="draft_grant_claim")
async def draft_grant_claim(
    request: Request, city: CityToClaimIn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _draft_from_form(
        request, services, city.value, principal.actor, translator,
        lambda form: _render_city(request, pages, services, principal, city, None, form,
                                  status_code=422))


# --- the lead and national partners' statements and claims -------------------------------------


def _partner(partner: str) -> NationalPartner:
    """A national partner named in a path (the lead partner included); any other is unknown."""
    try:
        return NationalPartner(partner)
    except ValueError:
        raise ResourceNotFound(partner) from None


@router.get("/finance/grant/partners/{partner}", name="partner_grant")
def partner_grant(
    request: Request, partner: str, pages: PageRenderer, services: Services,
    viewer: NetworkFinanceViewer, as_of: AsOfDay = None,
    corrects: Annotated[str | None, Query(max_length=36)] = None,
) -> HTMLResponse:
    """A national partner's statement and claims (the oversight's); the ministry's finance
    office drafts its claims here, as a city's coordinators draft theirs."""
    form = FormState(values={"corrects": corrects} if corrects else {})
    return _render_partner(request, pages, services, viewer, _partner(partner), as_of, form)


def _render_partner(request: Request, pages: Pages, services: WebServices,
                    principal: Principal, partner: NationalPartner, day: date | None,
                    claim_form: FormState, status_code: int = 200) -> HTMLResponse:
    context = {"city": None, "partner": partner.value, **_co_beneficiary_context(
        services, partner.value, day, may(principal, Permission.RECORD_PARTNER_EXPENDITURE),
        claim_form)}
    return pages.render(request, "finance/grant_partner.html", context,
                        status_code=status_code)


@router.post("/finance/grant/partners/{partner}/claims", name="draft_partner_grant_claim")
async def draft_partner_grant_claim(
    request: Request, partner: str, pages: PageRenderer, services: Services,
    clerk: PartnerClaimRecorder, translator: CurrentTranslator,
) -> Response:
    chosen = _partner(partner)
    return await _draft_from_form(
        request, services, chosen.value, clerk.actor, translator,
        lambda form: _render_partner(request, pages, services, clerk, chosen, None, form,
                                     status_code=422))


@router.get("/cities/{city}/grant/statement/export.{fmt}", name="city_grant_statement_export")
def city_grant_statement_export(
    fmt: str, city: CityFinanceToView, services: Services, translator: CurrentTranslator,
    as_of: AsOfDay = None,
) -> Response:
    return _export(services, translator, fmt, city.value, as_of)


@router.get("/cities/{city}/grant/statement.pdf", name="city_grant_statement_pdf")
def city_grant_statement_file(
    city: CityFinanceToView, services: Services, translator: CurrentTranslator,
    as_of: AsOfDay = None,
) -> Response:
    return _pdf(services, translator, city.value, as_of)


# --- one claim ------------------------------------------------------------------------------------


@router.get("/grant-claims/{grant_claim_id}", name="grant_claim_page")
def grant_claim_page(
    request: Request, claim: ViewableGrantClaim, pages: PageRenderer, services: Services,
    principal: SignedIn,
) -> HTMLResponse:
    return _render_claim(request, pages, services, principal, claim.claim_id, FormState())


def _render_claim(request: Request, pages: Pages, services: WebServices, principal: Principal,
                  claim_id: Any, form: FormState, status_code: int = 200) -> HTMLResponse:
    claim = services.grant_views.claim(claim_id)
    assert claim is not None
    recorded = services.grants.claim(claim_id)
    city = None if claim.city == "network" else City(claim.city)
    context = {
        "claim": claim,
        # The supplier and the document number are in the record only (never published).
        "evidence": recorded.evidence if recorded else None,
        "documents": [(document, file_name(document, claim_file_prefix(claim_id)))
                      for document in services.document_views.of_owner(claim_id)],
        # A city's coordinators submit its claims; the ministry's finance office a national
        # partner's (the lead partner's included).
        "may_submit": (may(principal, Permission.RECORD_PARTNER_EXPENDITURE) if city is None
                       else may(principal, Permission.RECORD_EXPENDITURE, city)),
        # The files themselves are for whoever may read a claim's files (not an operator):
        # others see what is attached, without a link that would answer 403.
        "may_read_files": may_read_claim_files(principal, city, services.now()),
        "may_check": may(principal, Permission.APPROVE_EXPENDITURE),
        "form": form, **_words(services),
    }
    return pages.render(request, "finance/grant_claim.html", context, status_code=status_code)


async def _act(request: Request, pages: Pages, services: WebServices, principal: Principal,
               translator: Translator, claim_id: Any, form: PostedForm,
               model: type[BaseModel] | None, command: Callable[[Any], Awaitable[int]]) -> Response:
    try:
        await form.submit(model, command, translator)
    except FormRefused as refused:
        return _render_claim(request, pages, services, principal, claim_id, refused.form,
                             status_code=422)
    return see_other(request, "grant_claim_page", grant_claim_id=str(claim_id))


@router.post("/grant-claims/{draft_claim_id}/submission", name="submit_grant_claim")
async def submit_grant_claim(
    request: Request, claim: DraftToSubmit, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _act(request, pages, services, principal, translator, claim.claim_id,
                      PostedForm({}), None, lambda _: submit(services, claim, principal.actor))


@router.post("/grant-claims/{submitted_claim_id}/admission", name="admit_grant_claim")
async def admit_grant_claim(
    request: Request, claim: SubmittedToCheck, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, AdmissionRequest.model_fields)
    return await _act(request, pages, services, principal, translator, claim.claim_id, form,
                      AdmissionRequest, lambda body: admit(services, claim, body,
                                                           principal.actor))


@router.post("/grant-claims/{submitted_claim_id}/rejection", name="reject_grant_claim")
async def reject_grant_claim(
    request: Request, claim: SubmittedToCheck, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, GrantRejectionRequest.model_fields)
    return await _act(request, pages, services, principal, translator, claim.claim_id, form,
                      GrantRejectionRequest, lambda body: reject(services, claim, body,
                                                                 principal.actor))


@router.post("/grant-claims/{awaiting_claim_id}/confirmation", name="confirm_grant_claim")
async def confirm_grant_claim(
    request: Request, claim: AdmissionToConfirm, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _act(request, pages, services, principal, translator, claim.claim_id,
                      PostedForm({}), None, lambda _: confirm(services, claim, principal.actor))


# --- statements as files --------------------------------------------------------------------------


def _chosen(services: WebServices, of: str, day: date | None) -> Statement:
    """The statement of `of`: a co-beneficiary with nothing yet has one of zeros; anything
    else is no statement (404)."""
    statements = _statements(services, day)
    statement = statements.of(of)
    if statement is not None:
        return statement
    if of not in co_beneficiaries(services.programme_terms.terms_in_force()):
        raise UnknownExport(of)
    return co_beneficiary_statement(
        of, Figures({}, {}, {}, {}), services.grants.grant, statements.action.as_of,
        statements.action.position, services.programme_terms.terms_in_force().period.ends_on)


def _export(services: WebServices, translator: Translator, fmt: str, of: str,
            day: date | None) -> Response:
    chosen = export_format(fmt)
    statement = _chosen(services, of, day)
    _ = translator.gettext
    title = f"{_('Financial statement')} – {co_beneficiary_name(of, Labels(translator))}"
    columns = [Column(_("Line")), Column(_("Sub-action")), Column(_("Cost heading")),
               Column(_("Budget"), "money"), Column(_("Admitted"), "money"),
               Column(_("Awaiting the check"), "money"), Column(_("Not admitted"), "money")]
    return ExportRequest(chosen, statement.as_of, statement.position, translator).respond(
        name=f"statement-{of}", title=title, columns=columns,
        rows=statement_rows(statement, translator))


def _pdf(services: WebServices, translator: Translator, of: str, day: date | None) -> Response:
    statement = _chosen(services, of, day)
    content = statement_pdf(statement, translator,
                            co_beneficiary_name(of, Labels(translator)))
    stamp = statement.as_of.astimezone(DISPLAY_TIMEZONE).date().isoformat()
    return Response(content, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="statement-{of}-{stamp}.pdf"',
        "Cache-Control": "no-store"})
