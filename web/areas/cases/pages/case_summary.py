"""Where the person stands: the summary that opens the case page (`cases/_summary.html`) and its
print view (`cases/print.html`, the "Stampa scheda" action).

The summary is one object, `CaseSummary`, assembled from the read models by the section
builders listed in `SUMMARY_SECTIONS`, each a function of the same `SummarySources` giving one
`SummarySection` (a title and its lines, each line a sentence with an optional link, date and
warning). A capability adds its part of the summary with one function and one line in that list
(assigned operator, plan goals, next follow-up, household and documents expiring came that way).

The print view is the summary with the case's facts and history, without forms, buttons or
navigation. It shows the person's identifiers only when the user reads them for a reason with
the same POST that reads them on the case page (logged first, answered `no-store`); a GET never
shows them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.housing.priority import in_waitlist_order
from domain.programme import PROGRAMME_TIMEZONE
from projections.activities import ACTIVITY_STATUS_PLANNED
from projections.case_list import PERMIT_RENEWAL_NOTICE, CaseRow
from projections.housing import HOUSED, OFFERED, WAITLISTED
from projections.referrals import OVERDUE, STATUS_ACCEPTED, STATUS_REQUESTED
from web.areas.cases.pages.revealed import (
    SHOWN_FOR,
    SHOWN_PARAMETER,
    reader_of,
    revealed_identifiers,
)
from web.areas.cases.pages.timeline import timeline_of
from web.areas.cases.requests.personal_data import (
    NO_STORE,
    IdentifiersRequest,
    PersonalDataView,
    erasure_of,
    reveal,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.forms import FormRefused, PostedForm, see_other
from web.kit.i18n import N_, Translator
from web.kit.labels import Labels
from web.kit.principal import CaseWithIdentifiers, SignedIn, ViewableCase
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.kit.vocabulary.activities import ACTIVITY_KINDS
from web.kit.vocabulary.deliveries import DELIVERY_KINDS, quantity_in_words
from web.kit.vocabulary.households import RELATIONSHIPS
from web.kit.vocabulary.plans import GOAL_AREAS, GOAL_STATUSES
from web.kit.vocabulary.referrals import CITY_SERVICES, DESTINATION_KINDS
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

# The deliveries the summary lists (the case's deliveries page lists them all).
RECENT_DELIVERIES = 5


@dataclass(frozen=True)
class SummaryLine:
    text: str
    href: str | None = None
    when: str | None = None
    """A date or deadline in words, shown beside the text."""
    warning: bool = False
    """Something to act on: an overdue answer, a permit about to expire (flagged from the work
    queue's renewal notice, PERMIT_RENEWAL_NOTICE)."""
    staff_only: bool = False
    """`href` is a page only the city's staff open (the case's files): to anyone else the line
    is plain text, not a link to a refusal."""


@dataclass(frozen=True)
class SummarySection:
    key: str
    """The section's id on the page (`summary-<key>`)."""
    title: str
    lines: list[SummaryLine] = field(default_factory=list)
    empty: str = ""
    """What is said when there are no lines."""


@dataclass(frozen=True)
class SummarySources:
    """What every section builder reads: the case, the read models, the moment, the words."""

    case: CaseRow
    services: WebServices
    translator: Translator
    now: datetime

    @property
    def labels(self) -> Labels:
        return Labels(self.translator)

    @property
    def today(self) -> date:
        return self.now.astimezone(PROGRAMME_TIMEZONE).date()

    def gettext(self, message: str, **params: object) -> str:
        return self.translator.gettext(message, **params)


@dataclass(frozen=True)
class CaseSummary:
    case: CaseRow
    sections: list[SummarySection]


def status_and_eligibility(sources: SummarySources) -> SummarySection:
    case, labels, t = sources.case, sources.labels, sources.translator
    status = labels.protection_status(case.protection_status)
    lines = [SummaryLine(status)]
    if case.permit_expires_on:
        expired = case.permit_expires_on < sources.today
        lines = [SummaryLine(
            t.gettext(N_("%(status)s – permit expired on %(date)s") if expired
                      else N_("%(status)s – permit expiring on %(date)s"),
                      status=status, date=t.date(case.permit_expires_on)),
            warning=case.permit_expires_on <= sources.today + PERMIT_RENEWAL_NOTICE)]
    for entry in case.eligibility:
        sub_action = labels.numbered_sub_action(str(entry["sub_action"]))
        lines.append(SummaryLine(
            t.gettext(N_("Eligible: %(sub_action)s"), sub_action=sub_action) if entry["eligible"]
            else t.gettext(N_("Not eligible: %(sub_action)s"), sub_action=sub_action)))
    return SummarySection("status", t.gettext(N_("Status and eligibility")), lines)


def housing_now(sources: SummarySources) -> SummarySection:
    case, t = sources.case, sources.translator
    title = t.gettext(N_("Housing now"))
    path = sources.services.housing_views.housing_path(case.case_id)
    href = f"/cases/{case.case_id}/housing"
    nothing = t.gettext(N_("Not on the waitlist, not housed."))
    if path is None:
        return SummarySection("housing", title, empty=nothing)
    if path.stage == HOUSED and path.shelter_name:
        line = SummaryLine(t.gettext(N_("Housed in %(shelter)s, bed %(bed)s"),
                                     shelter=path.shelter_name, bed=path.bed), href=href,
                           when=t.date(path.moved_in_on) if path.moved_in_on else None)
    elif path.stage == OFFERED and path.shelter_name:
        line = SummaryLine(t.gettext(
            N_("Bed %(bed)s offered in %(shelter)s, awaiting an answer"),
            shelter=path.shelter_name, bed=path.bed), href=href,
                           when=t.date(path.offered_on) if path.offered_on else None)
    elif path.stage == WAITLISTED:
        line = SummaryLine(_waitlist_place(sources), href=href)
    else:
        return SummarySection("housing", title, empty=nothing)
    return SummarySection("housing", title, [line])


def _waitlist_place(sources: SummarySources) -> str:
    services, case, t = sources.services, sources.case, sources.translator
    waiting = services.housing_views.waitlist(case.city, sources.now)
    weights = services.programme_terms.terms_in_force().priority_weights
    ranked = [entry.case_id for entry, _ in in_waitlist_order(waiting, weights, sources.now)]
    if case.case_id not in ranked:
        return t.gettext(N_("On the waitlist"))
    return t.gettext(N_("On the waitlist: place %(place)s of %(count)s"),
                     place=ranked.index(case.case_id) + 1, count=len(ranked))


def open_referrals(sources: SummarySources) -> SummarySection:
    t, labels = sources.translator, sources.labels
    lines = []
    for referral in sources.services.referral_board.of_case(sources.case.case_id):
        if referral.status not in (STATUS_REQUESTED, STATUS_ACCEPTED):
            continue
        where = (labels.label(CITY_SERVICES, referral.service) if referral.service
                 else labels.city(referral.to_city) if referral.to_city
                 else labels.label(DESTINATION_KINDS, referral.destination_kind))
        when: str | None
        if referral.status == STATUS_REQUESTED:
            text = t.gettext(N_("%(destination)s: answer awaited by %(due)s"),
                             destination=where, due=t.datetime(referral.due_at, "short"))
            when = None
        else:
            text = t.gettext(N_("%(destination)s: accepted"), destination=where)
            when = t.datetime(referral.answered_at, "short") if referral.answered_at else None
        lines.append(SummaryLine(
            text, href=f"/referrals/{referral.referral_id}", when=when,
            warning=referral.deadline(sources.now) == OVERDUE))
    return SummarySection("referrals", t.gettext(N_("Open referrals")), lines,
                          empty=t.gettext(N_("No open referral.")))


def current_activities(sources: SummarySources) -> SummarySection:
    t, labels = sources.translator, sources.labels
    lines = [
        SummaryLine(f"{activity.title} ({labels.label(ACTIVITY_KINDS, activity.kind)})",
                    href=f"/activities/{activity.activity_id}",
                    when=f"{t.date(activity.starts_on)} – {t.date(activity.ends_on)}")
        for activity in sources.services.activity_register.of_case(sources.case.case_id)
        if activity.status == ACTIVITY_STATUS_PLANNED
    ]
    return SummarySection("activities", t.gettext(N_("Current activities")), lines,
                          empty=t.gettext(N_("Enrolled in no activity under way.")))


def services_delivered(sources: SummarySources) -> SummarySection:
    t, labels = sources.translator, sources.labels
    delivered = [d for d in sources.services.delivery_register.of_case(sources.case.case_id)
                 if not d.is_voided]
    lines = [
        SummaryLine(
            t.gettext(N_("%(kind)s: %(quantity)s (Sub-Action %(sub_action)s)"),
                      kind=labels.label(DELIVERY_KINDS, d.kind),
                      quantity=quantity_in_words(d.quantity, d.unit, t),
                      sub_action=d.sub_action),
            when=t.date(d.delivered_on))
        for d in delivered[:RECENT_DELIVERIES]
    ]
    return SummarySection("deliveries", t.gettext(N_("Services delivered recently")), lines,
                          empty=t.gettext(N_("No service delivered yet.")))


def assigned_operator(sources: SummarySources) -> SummarySection:
    t = sources.translator
    held = sources.services.assignment_views.holder(sources.case.case_id)
    title = t.gettext(N_("Assigned operator"))
    if held is None or held.holder is None:
        return SummarySection("assignment", title,
                              empty=t.gettext(N_("Nobody in the city holds the case yet.")))
    since = held.since.astimezone(PROGRAMME_TIMEZONE).date()
    return SummarySection("assignment", title, [SummaryLine(
        held.holder, when=t.gettext(N_("since %(date)s"), date=t.date(since)))])


def plan_goals(sources: SummarySources) -> SummarySection:
    """The goals by area and status, with their target dates: never their words (free text,
    for the staff on the plan's page; the summary is also printed and seen by oversight)."""
    t, labels, case = sources.translator, sources.labels, sources.case
    title = t.gettext(N_("Individual plan"))
    plan = sources.services.plan_views.plan(case.case_id)
    if plan is None:
        return SummarySection("plan", title, empty=t.gettext(N_("No individual plan yet.")))
    href = f"/cases/{case.case_id}/plan"
    lines = [SummaryLine(
        t.gettext(N_("%(area)s: %(status)s"), area=labels.label(GOAL_AREAS, goal.area),
                  status=labels.label(GOAL_STATUSES, goal.status)),
        href=href, when=t.date(goal.target_date),
        warning=goal.is_open and goal.target_date < sources.today)
        for goal in plan.goals]
    lines.append(SummaryLine(t.gettext(N_("Next review of the plan")), href=href,
                             when=t.date(plan.next_review_on),
                             warning=plan.next_review_on <= sources.today))
    return SummarySection("plan", title, lines)


def next_follow_up(sources: SummarySources) -> SummarySection:
    t = sources.translator
    title = t.gettext(N_("Next follow-up"))
    due = sources.services.notes_views.next_follow_up(sources.case.case_id)
    if due is None:
        return SummarySection("follow-up", title, empty=t.gettext(N_("No follow-up planned.")))
    return SummarySection("follow-up", title, [SummaryLine(
        t.gettext(N_("Follow-up with the person")), href="#notes", when=t.date(due),
        warning=due <= sources.today)])


def household(sources: SummarySources) -> SummarySection:
    t, labels, case = sources.translator, sources.labels, sources.case
    title = t.gettext(N_("Household"))
    found = sources.services.household_views.household_of_case(case.case_id)
    if found is None:
        return SummarySection("household", title, empty=t.gettext(
            N_("Not linked to a household: counted as a household of one.")))
    lines = [SummaryLine(
        t.gettext(N_("%(code)s – %(relationship)s"), code=member.case_code,
                  relationship=labels.label(RELATIONSHIPS, member.relationship)),
        href=f"/cases/{member.case_id}")
        for member in found.members if member.case_id != case.case_id]
    return SummarySection("household", title, lines, empty=t.gettext(
        N_("The household has no other member now.")))


def documents_expiring(sources: SummarySources) -> SummarySection:
    """The latest document of each kind that expires, with its expiry; flagged as the work
    queue flags it (within the warning days, or expired)."""
    t, labels, case = sources.translator, sources.labels, sources.case
    title = t.gettext(N_("Documents with an expiry"))
    latest: dict[str, date] = {}
    for document in sources.services.document_views.of_owner(case.case_id):
        if document.expires_on is not None:
            latest[document.kind] = max(latest.get(document.kind, document.expires_on),
                                        document.expires_on)
    warning_days = timedelta(days=sources.services.document_views.warning_days)
    lines = [SummaryLine(labels.document_kind(kind), href=f"/cases/{case.case_id}/documents",
                         staff_only=True,
                         when=t.gettext(N_("expires on %(date)s"), date=t.date(expires_on)),
                         warning=expires_on <= sources.today + warning_days)
             for kind, expires_on in sorted(latest.items(), key=lambda item: item[1])]
    return SummarySection("documents", title, lines,
                          empty=t.gettext(N_("No document with an expiry.")))


# The summary's sections, in the order the page shows them.
SUMMARY_SECTIONS: tuple[Callable[[SummarySources], SummarySection], ...] = (
    assigned_operator,
    status_and_eligibility,
    housing_now,
    open_referrals,
    plan_goals,
    next_follow_up,
    current_activities,
    services_delivered,
    household,
    documents_expiring,
)


def case_summary(services: WebServices, case: CaseRow, translator: Translator) -> CaseSummary:
    """The case's summary, as the read models hold it now (or as of the viewed moment).
    Blocking (the read models): call it from a thread in async code."""
    sources = SummarySources(case, services, translator, services.now())
    return CaseSummary(case, [section(sources) for section in SUMMARY_SECTIONS])


# --- the print view ----------------------------------------------------------------------------


@router.get("/cases/{case_id}/summary", name="case_summary_print")
def case_summary_print(
    request: Request,
    case: ViewableCase,
    pages: PageRenderer,
    services: Services,
    translator: CurrentTranslator,
    principal: SignedIn,
    shown: Annotated[str | None, Query(max_length=64, description=(
        "The ticket of a reading of identifiers just made (web.areas.cases.pages.revealed)"
    ))] = None,
) -> HTMLResponse:
    """The case's summary to print (or save as PDF): without identifiers, unless `shown` names
    a reading of them just made (by the POST below) by this session, for a short while."""
    if shown and not case.personal_data_erased_on:
        read = revealed_identifiers(request.app).shown(
            shown, case.case_id, reader_of(request, principal), services.now())
        if isinstance(read, PersonalDataView):
            response = render_print(request, pages, services, translator, case, read)
            response.headers.update(NO_STORE)
            return response
    return render_print(request, pages, services, translator, case, PersonalDataView(),
                        identifiers_expired=bool(shown))


@router.post("/cases/{case_id}/summary", name="case_summary_print_with_identifiers")
async def case_summary_print_with_identifiers(
    request: Request,
    case: CaseWithIdentifiers,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> Response:
    """The same, with the identifiers read (and logged) for the reason given, as the case
    page's "Show identifiers" reads them: 303 to the print view, which shows them."""
    form = await PostedForm.read(request, IdentifiersRequest.model_fields)
    try:
        personal_data = await form.submit(
            IdentifiersRequest, lambda wanted: reveal(services, case, wanted.reason, principal),
            translator)
    except FormRefused:
        return await run_in_threadpool(
            render_print, request, pages, services, translator, case, PersonalDataView(),
            422)
    query = {}
    if personal_data.identifiers is not None:
        query[SHOWN_PARAMETER] = revealed_identifiers(request.app).hold(
            case.case_id, reader_of(request, principal), personal_data, services.now())
    response = see_other(request, "case_summary_print", query, case_id=str(case.case_id))
    response.headers.update(NO_STORE)
    return response


def render_print(
    request: Request, pages: Pages, services: WebServices, translator: Translator,
    case: CaseRow, personal_data: PersonalDataView, status_code: int = 200,
    identifiers_expired: bool = False,
) -> HTMLResponse:
    erasure = personal_data.erasure or (
        erasure_of(services, case.case_id) if case.personal_data_erased_on else None)
    context = {
        "case": case,
        "summary": case_summary(services, case, translator),
        "personal_data": PersonalDataView(erasure, personal_data.identifiers,
                                          personal_data.reason),
        "timeline": timeline_of(services.case_list.history(case.case_id), translator),
        "printed_at": services.now(),
        "identifiers_expired": identifiers_expired,
        "shown_minutes": SHOWN_FOR // timedelta(minutes=1),
    }
    return pages.render(request, "cases/print.html", context, status_code=status_code)

