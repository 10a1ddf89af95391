"""The referrals pages: a city's board (overdue, due soon, awaiting, answered lately, and the
transfers other cities ask it to take; filtered through htmx, which swaps only the board), the
form that refers a case (htmx swaps the destination's fields when its kind changes), and a
referral's page with the forms its state and the principal allow.

A refused form comes back 422 with the messages next to its fields and nothing written; a
recorded one leads (303) to the referral's page, which already shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.cases.service import CaseNotFound
from domain.programme import City, Priority, PriorityFactor
from domain.referrals.rules import DestinationKind, Urgency, default_urgency
from projections.case_list import CaseRow
from projections.referrals import ReferralRow
from web.areas.referrals.requests import (
    Answer,
    BoardQuery,
    CaseToRefer,
    Completion,
    Decline,
    ReferralRequest,
    ViewableReferral,
    Withdrawal,
    answer_times,
    may_answer,
    may_follow_up,
    prioritised_board,
    record,
    refer,
    referral_texts,
    require_to_answer,
    require_to_follow_up,
    transfer_notes,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import UnknownCase
from web.kit.exports import Column, start_export
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.principal import CityToView, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages, is_htmx_fragment_request
from web.kit.terms import terms_shown
from web.kit.vocabulary import referrals as referral_words
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

BOARD_BLOCK = "referral_board"
DESTINATION_BLOCK = "destination_fields"

# --- the board ---------------------------------------------------------------------------------


@router.get("/cities/{city}/referrals", name="referral_board")
def referral_board(
    request: Request,
    city: CityToView,
    query: Annotated[BoardQuery, Query()],
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
) -> HTMLResponse:
    now = services.now()
    board, priorities = prioritised_board(
        services, services.referral_board.board(city.value, now, query.filters()))
    times = services.referral_board.response_times(city.value)
    context = {
        "words": referral_words,
        "city": city.value,
        "query": query,
        "now": now,
        "board": board,
        "priorities": priorities,
        "transfer_notes": transfer_notes(services, principal, board.incoming_transfers),
        "programme": terms_shown(services),
        "times": times,
        "answer_statistic": answer_times(times),
    }
    if is_htmx_fragment_request(request):
        return pages.render(request, "referrals/board.html", context, block=BOARD_BLOCK)
    return pages.render(request, "referrals/board.html", context)


@router.get("/cities/{city}/referrals/export.{fmt}", name="referral_board_export")
def referral_board_export(
    fmt: str,
    city: CityToView,
    query: Annotated[BoardQuery, Query()],
    services: Services,
    translator: CurrentTranslator,
    principal: SignedIn,
) -> Response:
    """The board's referrals as one table, each row saying in which part of the board it is."""
    export = start_export(services, fmt, translator=translator)
    board, priorities = prioritised_board(
        services, services.referral_board.board(city.value, services.now(), query.filters()))
    labels = Labels(translator)
    _ = translator.gettext
    sections = (
        (_("Overdue"), board.overdue), (_("Due within 24 hours"), board.due_soon),
        (_("Other referrals awaiting an answer"), board.waiting),
        (_("Transfers other cities ask us to take"), board.incoming_transfers),
        (_("Answered lately"), board.recently_answered),
    )
    notes = transfer_notes(services, principal, board.incoming_transfers)
    rows = [
        [section, r.case_code, labels.city(r.city), _destination(r, labels, translator),
         labels.label(referral_words.URGENCIES, r.urgency), r.requested_at, r.due_at,
         _deadline_or_status(r, board.now, labels, translator),
         *_priority_cells(priorities.get(r.referral_id)),
         notes[r.referral_id].text if r.referral_id in notes else ""]
        for section, part in sections for r in part
    ]
    return export.respond(
        name=f"referrals-{city.value}",
        title=f"{_('Referrals')} – {labels.city(city.value)}",
        columns=[Column(_("Part of the board")), Column(_("Case code")),
                 Column(_("Referring city")), Column(_("Referred to")), Column(_("Urgency")),
                 Column(_("Requested on"), "datetime"), Column(_("Answer due by"), "datetime"),
                 Column(_("Status")), Column(_("Priority"), "int"),
                 *(Column(labels.priority_factor(factor), "int") for factor in PriorityFactor),
                 Column(_("Note"))],
        rows=rows,
        filters=[
            (_("Referred to"), labels.label(referral_words.DESTINATION_KINDS,
                                            query.destination_kind.value)
             if query.destination_kind else None),
            (_("Urgency"), labels.label(referral_words.URGENCIES, query.urgency.value)
             if query.urgency else None),
        ],
    )


def _priority_cells(priority: Priority | None) -> list[int | None]:
    """The priority's total and its points per factor; blanks for a referral not pending."""
    if priority is None:
        return [None] * (1 + len(PriorityFactor))
    return [priority.total, *(factor.points for factor in priority.factors)]


def _destination(referral: ReferralRow, labels: Labels, translator: Translator) -> str:
    """As the board shows it (templates/referrals/macros.html `destination`)."""
    if referral.destination_kind == "city_service":
        return labels.label(referral_words.CITY_SERVICES, referral.service or "")
    if referral.destination_kind == "partner":
        return referral.partner_name or ""
    return translator.gettext("Transfer to %(city)s", city=labels.city(referral.to_city or ""))


def _deadline_or_status(
    referral: ReferralRow, now: datetime, labels: Labels, translator: Translator
) -> str:
    """As the board's badge (templates/referrals/macros.html `deadline_badge`)."""
    match referral.deadline(now):
        case "overdue":
            return translator.gettext("Overdue")
        case "due_soon":
            return translator.gettext("Due within 24 hours")
        case "on_time":
            return translator.gettext("Awaiting an answer")
    return labels.label(referral_words.REFERRAL_STATUSES, referral.status)


# --- referring a case --------------------------------------------------------------------------


@router.get("/cases/{case_id}/referrals/new", name="new_referral_form")
def new_referral_form(
    request: Request,
    case: CaseToRefer,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    destination_kind: Annotated[DestinationKind, Query()] = DestinationKind.CITY_SERVICE,
) -> HTMLResponse:
    """The form; an htmx request for another destination kind gets its fields only."""
    form = FormState(values={"destination_kind": destination_kind.value})
    block = DESTINATION_BLOCK if is_htmx_fragment_request(request) else None
    return _render_form(request, pages, services, principal, case, form, block=block)


@router.post("/cases/{case_id}/referrals", name="request_referral")
async def request_referral(
    request: Request,
    case: CaseToRefer,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, ReferralRequest.model_fields)
    try:
        # Blanks kept: the request body takes them itself (JSON clients send them too).
        referral_id, _position = await form.submit(
            ReferralRequest, lambda wanted: refer(services, case, wanted, principal.actor),
            translator, keep_blanks=True)
    except FormRefused as refused:
        return await run_in_threadpool(
            _render_form, request, pages, services, principal, case, refused.form,
            status_code=422)
    return see_other(request, "referral_page", referral_id=str(referral_id))


def _render_form(
    request: Request,
    pages: Pages,
    services: WebServices,
    principal: Principal,
    case: CaseRow,
    form: FormState,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Blocking (the record, for the consent given): call it from a thread in async code."""
    try:
        consented = set(services.cases.get(case.case_id).consented_organisations)
    except CaseNotFound:
        raise UnknownCase(str(case.case_id)) from None
    city = City(case.city)
    # The city's registered organisations a case may be referred to (none retired), and those
    # the person consented to share their case with (GDPR art. 6(1)(a)).
    organisations = services.organisation_views.city_organisations(
        case.city, include_retired=False)
    context = {
        "words": referral_words,
        "case": case,
        "form": form,
        "kinds": list(DestinationKind),
        "urgencies": list(Urgency),
        "default_urgency": default_urgency(case.is_vulnerable).value,
        "programme": terms_shown(services),
        "organisations": [(str(o.organisation_id), o.name) for o in organisations],
        "consented_organisations": [o.name for o in organisations
                                    if o.organisation_id in consented],
        "may_name_other_basis": may(principal, Permission.SHARE_ON_OTHER_LEGAL_BASIS, city),
        "other_legal_bases": referral_words.OTHER_LEGAL_BASES,
    }
    return pages.render(request, "referrals/new.html", context, block=block,
                        status_code=status_code)


# --- one referral ------------------------------------------------------------------------------


@router.get("/referrals/{referral_id}", name="referral_page")
def referral_page(
    request: Request,
    referral: ViewableReferral,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
) -> HTMLResponse:
    return render_referral_page(request, pages, services, principal, referral)


_ANSWER_BODIES: dict[str, type[BaseModel] | None] = {
    "accept": None, "decline": Decline, "complete": Completion, "withdraw": Withdrawal,
}


async def _answer(
    answer: Answer,
    request: Request,
    referral: ReferralRow,
    pages: Pages,
    services: WebServices,
    principal: Principal,
    translator: Translator,
) -> Response:
    # Who may answer or follow up is checked before the form is read (403, not a 422 that
    # would explain the form to someone who may not use it).
    if answer in ("accept", "decline"):
        require_to_answer(principal, referral)
    else:
        require_to_follow_up(principal, referral)
    body_model = _ANSWER_BODIES[answer]
    form = await PostedForm.read(request, body_model.model_fields if body_model else ())
    try:
        await form.submit(
            body_model, lambda body: record(services, referral, principal, answer, body),
            translator, keep_blanks=True)
    except FormRefused as refused:
        return await run_in_threadpool(
            render_referral_page, request, pages, services, principal, referral,
            forms={answer: refused.form}, status_code=422)
    return see_other(request, "referral_page", referral_id=str(referral.referral_id))


@router.post("/referrals/{referral_id}/acceptance", name="accept_referral")
async def accept_referral(
    request: Request, referral: ViewableReferral, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer("accept", request, referral, pages, services, principal, translator)


@router.post("/referrals/{referral_id}/decline", name="decline_referral")
async def decline_referral(
    request: Request, referral: ViewableReferral, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer("decline", request, referral, pages, services, principal, translator)


@router.post("/referrals/{referral_id}/completion", name="complete_referral")
async def complete_referral(
    request: Request, referral: ViewableReferral, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer("complete", request, referral, pages, services, principal, translator)


@router.post("/referrals/{referral_id}/withdrawal", name="withdraw_referral")
async def withdraw_referral(
    request: Request, referral: ViewableReferral, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer("withdraw", request, referral, pages, services, principal, translator)


def render_referral_page(
    request: Request,
    pages: Pages,
    services: WebServices,
    principal: Principal,
    referral: ReferralRow,
    *,
    forms: dict[str, FormState] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The referral, and the forms to act on it that its state and the principal allow.
    Blocking (the read models): call it from a thread in async code."""
    now = services.now()
    case = services.case_list.get_case(referral.case_id)
    # The target city of a transfer sees the case only once it is theirs.
    case_link = case is not None and may(principal, Permission.VIEW_CASE, City(case.city))
    answerable = referral.is_pending and may_answer(principal, referral)
    open_ = referral.status in ("requested", "accepted")
    follow_up = open_ and may_follow_up(principal, referral)
    forms = forms or {}
    context = {
        "words": referral_words,
        "referral": referral,
        "now": now,
        "deadline": referral.deadline(now),
        "case_link": case_link,
        "may_accept": answerable,
        "may_decline": answerable,
        "may_complete": follow_up and not referral.is_transfer,
        "may_withdraw": follow_up and not (referral.is_transfer and referral.status == "accepted"),
        "awaits_target_coordinator": referral.is_pending and referral.is_transfer
        and not answerable,
        "forms": {name: forms.get(name, FormState()) for name in _ANSWER_BODIES},
        "texts": referral_texts(services, principal, referral),
    }
    return pages.render(request, "referrals/detail.html", context, status_code=status_code)
