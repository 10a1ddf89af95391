"""The case page: the case's facts, eligibility, protection-status history, legal bases and
consents, and history, with the forms to read the person's identifiers and to erase them
(web.areas.cases.pages.personal_data handles what they post), to close, reopen and correct the
case, to record a status decision and a consent given or withdrawn
(web.areas.cases.pages.lifecycle), and links to the work recorded on it; each form shown again,
as refused, by `refused_on_case_page`. The staff of a city that transferred a case away see its
handover instead: the history up to the transfer, nothing newer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.cases.model import MAX_REASON
from domain.cases.rules import AssessingService, CaseOutcome, Vulnerability
from domain.privacy import LEGAL_BASES, ProcessingPurpose
from domain.programme import PROGRAMME_TIMEZONE, City
from projections.case_list import CASE_STATUS_OPEN, CaseRow, Handover
from web.areas.cases.pages.case_summary import case_summary
from web.areas.cases.pages.legal_status import consents_of, status_history
from web.areas.cases.pages.revealed import SHOWN_FOR, reader_of, revealed_identifiers
from web.areas.cases.pages.timeline import texts_of, timeline_of
from web.areas.cases.pages.vulnerabilities import minors_and_vulnerabilities_of
from web.areas.cases.requests.assignment import ASSIGNMENT_FORM, assignment_section
from web.areas.cases.requests.personal_data import (
    NO_STORE,
    PersonalDataView,
    erasure_of,
    reasons_for,
)
from web.kit.case_notes import notes_section
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.forms import FormRefused, FormState
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.person_matches import duplicates_section
from web.kit.plans import shown_plan
from web.kit.principal import CaseOrHandover, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.kit.vocabulary import case_lifecycle as lifecycle_words
from web.kit.vocabulary import households as household_words
from web.kit.vocabulary import vulnerabilities as vulnerability_words
from web.kit.vocabulary.deliveries import delivery_words
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

# The case page's forms, by the name `render_case_page` knows them by.
IDENTIFIERS_FORM = "identifiers"
ERASURE_FORM = "erasure"
CLOSURE_FORM = "closure"
REOPENING_FORM = "reopening"
CORRECTION_FORM = "correction"
STATUS_FORM = "status"
CONSENT_FORM = "consent"
WITHDRAWAL_FORM = "withdrawal"
GUARDIAN_FORM = "guardian"
ASSESSMENT_FORM = "assessment"
DESCRIPTION_FORM = "description"


@router.get("/cases/{case_id}", name="case_page")
def case_page(
    request: Request,
    case: CaseOrHandover,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
    shown: Annotated[str | None, Query(max_length=64, description=(
        "The ticket of a reading of identifiers just made (web.areas.cases.pages.revealed)"
    ))] = None,
) -> HTMLResponse:
    if isinstance(case, Handover):
        return render_handover(request, pages, services, translator, case)
    # Only an erased case needs the record's account of its erasure: no load on every view.
    erasure = erasure_of(services, case.case_id) if case.personal_data_erased_on else None
    if shown and erasure is None:
        read = revealed_identifiers(request.app).shown(
            shown, case.case_id, reader_of(request, principal), services.now())
        if isinstance(read, PersonalDataView):
            response = render_case_page(request, pages, services, principal, translator, case,
                                        read)
            response.headers.update(NO_STORE)
            return response
    return render_case_page(
        request, pages, services, principal, translator, case, PersonalDataView(erasure),
        identifiers_expired=bool(shown) and erasure is None,
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
    identifiers_expired: bool = False,
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
    history = services.case_list.history(case.case_id)
    consents = consents_of(history)
    withdrawable = sorted({c.purpose for c in consents if c.withdrawn_on is None})
    # Sharing with partners is consented to per registered organisation of the city (GDPR art.
    # 6(1)(a)): those consented to now may be withdrawn from, the others (not retired) asked.
    organisations = services.organisation_views.city_organisations(case.city)
    names = {str(o.organisation_id): o.name for o in organisations}
    consented = {c.organisation_id for c in consents
                 if c.organisation_id and c.withdrawn_on is None}
    consentable = [(str(o.organisation_id), o.name) for o in organisations
                   if not o.is_retired and str(o.organisation_id) not in consented]
    partner = ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER
    # What may be asked: the purposes resting on consent not given now; sharing with partners
    # while an organisation is left to consent to.
    askable = [p.value for p in sorted(LEGAL_BASES.resting_on_consent)
               if (p is partner and consentable) or (p is not partner and p not in withdrawable)]
    care = minors_and_vulnerabilities_of(case, history)
    context = {
        "case": case,
        # Where the person stands (cases/_summary.html), and services delivered
        # (cases/_deliveries.html, whose form posts to the deliveries area).
        "summary": case_summary(services, case, translator),
        "deliveries": services.delivery_register.of_case(case.case_id, limit=10),
        "may_record_delivery": is_open and may_work,
        "delivery_form": FormState(values={"delivered_on": today}),
        **delivery_words(translator),
        "care": care,
        # "giugno 2021": the month only, as the record keeps it.
        "adult_from": translator.date(date.fromisoformat(f"{care.adult_from}-01"), "LLLL y")
        if care.adult_from else None,
        "assessable": [(code, text) for code, text in labels.vulnerabilities()
                       if code != Vulnerability.MINOR.value and (
                           code != Vulnerability.UNACCOMPANIED_MINOR.value or care.is_minor)
                       and (code != Vulnerability.OTHER.value or care.other_described)],
        "assessing_services_table": vulnerability_words.ASSESSING_SERVICES,
        "assessing_services": labels.choices(
            vulnerability_words.ASSESSING_SERVICES, AssessingService),
        "guardian_form": shown_again.get(GUARDIAN_FORM) or FormState(
            values={"appointed_on": today}),
        "assessment_form": shown_again.get(ASSESSMENT_FORM) or FormState(
            values={"assessed_on": today}),
        "description_form": shown_again.get(DESCRIPTION_FORM) or FormState(),
        # Free text from the vault: only for the city's staff, who work with the person.
        "other_description": services.cases.other_vulnerability_description(case.case_id)
        if may_work and Vulnerability.OTHER.value in case.vulnerabilities and not erased
        else None,
        "notes": notes_section(services, principal, translator, case),
        "assignment": assignment_section(services, principal, case,
                                         shown_again.get(ASSIGNMENT_FORM)),
        "is_open": is_open,
        "timeline": timeline_of(history, translator, texts_of(services, case.case_id, may_work)),
        "plan": shown_plan(services, principal, case.case_id, now),
        "household": services.household_views.household_of_case(case.case_id),
        "household_relationships": household_words.RELATIONSHIPS,
        "status_history": status_history(history),
        "consents": consents,
        "legal_bases": [(purpose, LEGAL_BASES.of(purpose)) for purpose in ProcessingPurpose],
        "status_form": shown_again.get(STATUS_FORM) or FormState(values={
            "decided_on": today, "protection_status": case.protection_status}),
        "consent_form": shown_again.get(CONSENT_FORM) or FormState(values={"given_on": today}),
        "withdrawal_form": shown_again.get(WITHDRAWAL_FORM) or FormState(
            values={"withdrawn_on": today}),
        "askable_purposes": askable,
        "withdrawable_purposes": withdrawable,
        "organisation_names": names,
        "consentable_organisations": consentable,
        "withdrawable_organisations": [(i, names.get(i, i)) for i in sorted(consented)],
        "may_record_consents": may_work,
        "personal_data": personal_data,
        # A page opened from a reading of identifiers no longer shown (web.areas.cases.pages.
        # revealed): it says so, and offers to read them again.
        "identifiers_expired": identifiers_expired,
        "shown_minutes": SHOWN_FOR // timedelta(minutes=1),
        "reasons": () if erased else labels.access_reasons(
            reasons_for(principal, city, now)),
        "may_erase": not erased and may(principal, Permission.REQUEST_ERASURE, city),
        "identifiers_form": shown_again.get(IDENTIFIERS_FORM) or FormState(),
        "erasure_form": shown_again.get(ERASURE_FORM) or FormState(
            values={"requested_on": today}),
        "may_work": is_open and may_work,
        "case_documents": services.document_views.of_owner(case.case_id) if may_work else (),
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
            "permit_expires_on": case.permit_expires_on.isoformat()
            if case.permit_expires_on else "",
            "citizenship": case.citizenship or "none", "household_size": str(case.household_size),
            "vulnerabilities": list(case.vulnerabilities),
        }),
        **duplicates_section(services, principal, case.case_id),
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
