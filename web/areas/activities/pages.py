"""A city's activity register (filtered by sub-action through htmx, which swaps only the table
and its totals, with the form to plan an activity) and an activity's page (participants and
their hours, sessions, and the forms to enrol a case by its code, record a session, complete or
cancel). A refused form is shown again with its errors and what was typed (422); a recorded one
leads back to the page, which already shows it (303)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from domain.access import Permission, Principal, may
from domain.activities.model import (
    ACTIVITY_SUB_ACTIONS,
    SUB_ACTIONS_WITHOUT_ENROLMENT,
    ActivityKind,
)
from domain.programme import City, ProtectionStatus, SubAction
from projections.activities import ActivityDetail
from projections.case_list import CASE_STATUS_OPEN, CaseFilters, CaseRow
from web.areas.activities.requests import (
    ActivityPlanRequest,
    ActivityToManage,
    ActivityToWorkOn,
    CancellationRequest,
    CityOfActivities,
    CityToPlanIn,
    EnrolmentRequest,
    SessionRequest,
    StaffTrainedRequest,
    ViewableActivity,
    cancel,
    complete,
    count_staff_trained,
    enrol,
    plan,
    record_session,
)
from web.kit.confirmation import ask_to_confirm, confirmed
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.exports import Column, start_export
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.principal import ActingPrincipal, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages, is_htmx_fragment_request
from web.kit.vocabulary.activities import ACTIVITY_KINDS, ACTIVITY_STATUSES, hours_in_words
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

ACTIVITY_TABLE_BLOCK = "activity_table"
# The enrolment form suggests the city's open cases; more than this is typed, not picked.
_SUGGESTED_CASES = 2_000
# The domain blames the case where the enrolment form asks for its code.
_CASE_CODE = {"case": "case_code", "case_id": "case_code"}


def _words(translator: Translator) -> dict[str, Any]:
    return {
        "kinds": ACTIVITY_KINDS,
        "statuses": ACTIVITY_STATUSES,
        "hours": lambda value: hours_in_words(value, translator),
    }


# --- the register -------------------------------------------------------------------------------


@router.get("/cities/{city}/activities", name="activity_register")
def activity_register(
    request: Request,
    city: CityOfActivities,
    pages: PageRenderer,
    services: Services,
    translator: CurrentTranslator,
    sub_action: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    return _render_register(request, pages, services, translator, city, sub_action, FormState())


REGISTER_TABLES = ("totals", "activities")


@router.get("/cities/{city}/activities/{table}/export.{fmt}", name="activity_register_export")
def activity_register_export(
    table: str,
    fmt: str,
    city: CityOfActivities,
    services: Services,
    translator: CurrentTranslator,
    sub_action: Annotated[str | None, Query()] = None,
) -> Response:
    """The register's totals per sub-action, or its activities (`table`: one of
    REGISTER_TABLES), for the sub-action chosen on the page."""
    export = start_export(services, fmt, table, REGISTER_TABLES, translator=translator)
    chosen = _known_sub_action(sub_action)
    register = services.activity_register.register(city.value, chosen)
    labels, _ = Labels(translator), translator.gettext
    filters = [(_("Sub-action"), labels.numbered_sub_action(chosen))] if chosen else []
    where = labels.city(city.value)
    if table == "totals":
        return export.respond(
            name=f"activity-totals-{city.value}",
            title=f"{_('Totals per sub-action')} – {where}",
            columns=[Column(_("Sub-action")), Column(_("Activities"), "int"),
                     Column(_("Beneficiaries enrolled"), "int"),
                     Column(_("Resident attendances"), "int"),
                     Column(_("Hours of sessions"), "decimal"),
                     Column(_("Hours attended by beneficiaries"), "decimal")],
            rows=[[_("All shown") if t.sub_action is None
                   else _("Sub-Action %(number)s", number=t.sub_action),
                   t.activities, t.beneficiaries, t.residents, t.hours, t.participant_hours]
                  for t in register.totals],
            filters=filters,
        )
    return export.respond(
        name=f"activities-{city.value}",
        title=f"{_('Community activities')} – {where}",
        columns=[Column(_("Title of the activity")), Column(_("Kind of activity")),
                 Column(_("Sub-action")), Column(_("Neighbourhood where it takes place")),
                 Column(_("First day of the activity"), "date"),
                 Column(_("Last day of the activity"), "date"), Column(_("Status")),
                 Column(_("Sessions held"), "int"), Column(_("Beneficiaries enrolled"), "int"),
                 Column(_("Resident attendances"), "int"),
                 Column(_("Hours of sessions"), "decimal")],
        rows=[[a.title, labels.label(ACTIVITY_KINDS, a.kind), a.sub_action, a.neighbourhood,
               a.starts_on, a.ends_on, labels.label(ACTIVITY_STATUSES, a.status), a.sessions,
               a.participants, a.residents, a.hours] for a in register.activities],
        filters=filters,
    )


def _known_sub_action(sub_action: str | None) -> str | None:
    """An unknown sub-action in the query shows them all rather than failing the page."""
    return sub_action if sub_action in {s.value for s in ACTIVITY_SUB_ACTIONS} else None



@router.post("/cities/{city}/activities", name="plan_activity")
async def plan_activity(
    request: Request,
    city: CityToPlanIn,
    pages: PageRenderer,
    services: Services,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, ActivityPlanRequest.model_fields)
    try:
        receipt = await form.submit(
            ActivityPlanRequest, lambda body: plan(services, city, body, actor), translator)
    except FormRefused as refused:
        return _render_register(request, pages, services, translator, city, None,
                                refused.form, status_code=422)
    return see_other(request, "activity_page", activity_id=str(receipt.activity_id))


def _render_register(
    request: Request, pages: Pages, services: WebServices, translator: Translator, city: City,
    sub_action: str | None, plan_form: FormState, status_code: int = 200,
) -> HTMLResponse:
    chosen = _known_sub_action(sub_action)
    register = services.activity_register.register(city.value, chosen)
    context = {
        "city": city.value,
        "register": register,
        "sub_actions": [s.value for s in ACTIVITY_SUB_ACTIONS],
        "activity_kinds": [k.value for k in ActivityKind],
        "plan_form": plan_form,
        **_words(translator),
    }
    if is_htmx_fragment_request(request):
        return pages.render(request, "activities/register.html", context,
                            block=ACTIVITY_TABLE_BLOCK)
    return pages.render(request, "activities/register.html", context, status_code=status_code)


# --- one activity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityForms:
    """The activity page's forms as they are shown again, the refused one with its errors."""

    enrolment: FormState = field(default_factory=FormState)
    session: FormState = field(default_factory=FormState)
    completion: FormState = field(default_factory=FormState)
    cancellation: FormState = field(default_factory=FormState)
    staff_trained: FormState = field(default_factory=FormState)


@router.get("/activities/{activity_id}", name="activity_page")
def activity_page(
    request: Request,
    activity: ViewableActivity,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> HTMLResponse:
    return _render_activity(request, pages, services, principal, translator, activity,
                            ActivityForms())


ACTIVITY_TABLES = ("participants", "sessions")


@router.get("/activities/{activity_id}/{table}/export.{fmt}", name="activity_page_export")
def activity_page_export(
    table: str,
    fmt: str,
    activity: ViewableActivity,
    services: Services,
    translator: CurrentTranslator,
) -> Response:
    """The activity's participants and their hours, or its sessions (`table`: one of
    ACTIVITY_TABLES)."""
    export = start_export(services, fmt, table, ACTIVITY_TABLES, translator=translator)
    _ = translator.gettext
    summary = activity.summary
    if table == "participants":
        return export.respond(
            name=f"participants-{summary.activity_id}",
            title=f"{_('Participants and hours')} – {summary.title}",
            columns=[Column(_("Case code")), Column(_("Date of enrolment"), "datetime"),
                     Column(_("Sessions attended"), "int"),
                     Column(_("Hours attended"), "decimal")],
            rows=[[p.case_code, p.enrolled_at, p.sessions_attended, p.hours]
                  for p in activity.participants],
        )
    codes = {p.case_id: p.case_code for p in activity.participants}
    return export.respond(
        name=f"sessions-{summary.activity_id}",
        title=f"{_('Sessions held')} – {summary.title}",
        columns=[Column(_("Session number"), "int"), Column(_("Date of the session"), "date"),
                 Column(_("Length in hours"), "decimal"), Column(_("Beneficiaries present")),
                 Column(_("Residents present"), "int")],
        rows=[[session.session_number, session.held_on, session.hours,
               ", ".join(codes.get(case_id, str(case_id)) for case_id in session.attended),
               session.residents] for session in activity.sessions],
    )


@router.post("/activities/{activity_id}/participants", name="enrol_participant")
async def enrol_participant(
    request: Request,
    activity: ActivityToWorkOn,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, ("case_code",))
    return await _command(
        request, pages, services, principal, translator, activity, form, EnrolmentRequest,
        lambda body: enrol(services, activity, body, actor),
        lambda state: ActivityForms(enrolment=state))


@router.post("/activities/{activity_id}/sessions", name="record_session")
async def record_activity_session(
    request: Request,
    activity: ActivityToWorkOn,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    posted = await PostedForm.read(request, SessionRequest.model_fields, lists=("attended",))
    form = PostedForm({
        **posted.values,
        "hours": posted.values.get("hours", "").replace(",", "."),  # 1,5 as Italians write it
        "residents": posted.values.get("residents") or "0",
    }, posted.fields)
    return await _command(
        request, pages, services, principal, translator, activity, form, SessionRequest,
        lambda body: record_session(services, activity, body, actor),
        lambda state: ActivityForms(session=state))


@router.post("/activities/{activity_id}/completion", name="complete_activity")
async def complete_activity(
    request: Request,
    activity: ActivityToManage,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    if not await confirmed(request):
        # Nothing can be recorded on an ended activity: the page asks first (no JavaScript).
        _ = translator.gettext
        summary = activity.summary
        return ask_to_confirm(
            request, pages, question=_("Mark the activity as ended?"),
            consequence=_("Once ended, nothing more can be recorded on the activity: no "
                          "participant, no session. It cannot be undone."),
            facts=[(_("Activity"), summary.title),
                   (_("Sessions held"), translator.number(summary.sessions)),
                   (_("Participants"), translator.number(summary.participants))],
            button=_("Mark the activity completed"),
            back=str(request.app.url_path_for("activity_page",
                                              activity_id=str(summary.activity_id))))
    return await _command(
        request, pages, services, principal, translator, activity, PostedForm({}), None,
        lambda _nothing: complete(services, activity, actor),
        lambda state: ActivityForms(completion=state))


@router.post("/activities/{activity_id}/staff-trained", name="count_staff_trained")
async def count_activity_staff_trained(
    request: Request,
    activity: ActivityToManage,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, StaffTrainedRequest.model_fields)
    return await _command(
        request, pages, services, principal, translator, activity, form, StaffTrainedRequest,
        lambda body: count_staff_trained(services, activity, body, actor),
        lambda state: ActivityForms(staff_trained=state))


@router.post("/activities/{activity_id}/cancellation", name="cancel_activity")
async def cancel_activity(
    request: Request,
    activity: ActivityToManage,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, CancellationRequest.model_fields)
    return await _command(
        request, pages, services, principal, translator, activity, form, CancellationRequest,
        lambda body: cancel(services, activity, body, actor),
        lambda state: ActivityForms(cancellation=state))


async def _command(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, activity: ActivityDetail, form: PostedForm,
    model: type[BaseModel] | None, command: Callable[[Any], Awaitable[object]],
    forms: Callable[[FormState], ActivityForms],
) -> Response:
    """Submit one of the page's forms: back to the page once written, or the page again with
    the refused form's errors (nothing written)."""
    try:
        await form.submit(model, command, translator, aliases=_CASE_CODE)
    except FormRefused as refused:
        # The page shows the activity as it is now, not as it was before the refused command.
        current = services.activity_register.activity(activity.summary.activity_id) or activity
        return _render_activity(request, pages, services, principal, translator, current,
                                forms(refused.form), status_code=422)
    return see_other(request, "activity_page", activity_id=str(activity.summary.activity_id))


def _render_activity(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, activity: ActivityDetail, forms: ActivityForms,
    status_code: int = 200,
) -> HTMLResponse:
    city = City(activity.city)
    summary = activity.summary
    sub_action = SubAction(summary.sub_action)
    takes_enrolments = sub_action not in SUB_ACTIONS_WITHOUT_ENROLMENT
    may_work = summary.is_open and may(principal, Permission.RECORD_CASE_WORK, city)
    context = {
        "activity": activity,
        "summary": summary,
        "forms": forms,
        "takes_enrolments": takes_enrolments,
        "may_work": may_work,
        "may_manage": summary.is_open and may(principal, Permission.MANAGE_FACILITIES, city),
        # Sub-Action 5: the staff trained are counted once sessions are held, completed or not.
        "may_count_staff": sub_action is SubAction.ADMINISTRATION_EMPOWERMENT
        and summary.sessions > 0 and summary.status != "cancelled"
        and may(principal, Permission.MANAGE_FACILITIES, city),
        "is_staff_training": sub_action is SubAction.ADMINISTRATION_EMPOWERMENT,
        "suggested_cases": _suggested_cases(services, activity, sub_action)
        if may_work and takes_enrolments else [],
        "is_civic_engagement": sub_action is SubAction.CIVIC_ENGAGEMENT,
        "today": services.now().date().isoformat(),
        **_words(translator),
    }
    return pages.render(request, "activities/detail.html", context, status_code=status_code)


def _suggested_cases(
    services: WebServices, activity: ActivityDetail, sub_action: SubAction
) -> list[CaseRow]:
    """The city's open cases not yet enrolled; for civic engagement, only asylum seekers."""
    filters = CaseFilters(
        status=CASE_STATUS_OPEN,
        protection_status=ProtectionStatus.ASYLUM_SEEKER.value
        if sub_action is SubAction.CIVIC_ENGAGEMENT else None,
    )
    page = services.case_list.list_cases(activity.city, filters, page_size=_SUGGESTED_CASES)
    return [row for row in page.rows if not activity.is_enrolled(row.case_id)]
