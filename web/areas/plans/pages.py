"""A case's individual plan page: the plan's goals with their actions, its reviews, and the forms
to start the plan, agree a goal, achieve or drop it, plan an action under it and mark one done,
and review the plan. The goals', actions' and reviews' words are shown to the staff of the
case's city only (web.kit.plans). A refused form is shown again with all its problems and what
was typed (422); a recorded one leads back to the page, which already shows it (303)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.plans.model import (
    MAX_ACTION_TEXT,
    MAX_GOAL_TEXT,
    MAX_REVIEW_TEXT,
    ActionOwner,
    DropReason,
    GoalArea,
)
from domain.programme import PROGRAMME_TIMEZONE, City
from projections.case_list import CASE_STATUS_OPEN, CaseRow
from web.areas.plans.requests import (
    AchievementRequest,
    ActionDoneRequest,
    ActionRequest,
    DroppingRequest,
    GoalRequest,
    PlanStartRequest,
    PlanToView,
    ReviewRequest,
    achieve_goal,
    agree_goal,
    complete_action,
    dates_out_of_order,
    drop_goal,
    plan_action,
    review_plan,
    start_plan,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import Problem
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.plans import shown_plan
from web.kit.principal import ActingPrincipal, CaseToWorkOn, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.kit.vocabulary.plans import ACTION_OWNERS, DROP_REASONS, GOAL_AREAS, GOAL_STATUSES
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

# The page's forms, by name; those of one goal or action carry its id after the name.
START_FORM = "start"
GOAL_FORM = "goal"
REVIEW_FORM = "review"
ACHIEVEMENT_FORM = "achievement"
DROPPING_FORM = "dropping"
ACTION_FORM = "action"
DONE_FORM = "done"


@router.get("/cases/{case_id}/plan", name="plan_page")
def plan_page(
    request: Request,
    case: PlanToView,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> HTMLResponse:
    return _render(request, pages, services, principal, translator, case, {})


@router.post("/cases/{case_id}/plan", name="start_plan")
async def start_plan_page(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, actor: ActingPrincipal, translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, PlanStartRequest.model_fields)
    return await _submit(
        request, pages, services, principal, translator, case, START_FORM, form,
        PlanStartRequest, lambda body: start_plan(services, case, body, actor),
        also=dates_out_of_order(form.values, translator))


@router.post("/cases/{case_id}/plan/goals", name="agree_plan_goal")
async def agree_goal_page(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, actor: ActingPrincipal, translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, GoalRequest.model_fields)
    return await _submit(
        request, pages, services, principal, translator, case, GOAL_FORM, form, GoalRequest,
        lambda body: agree_goal(services, case, body, actor),
        also=dates_out_of_order(form.values, translator))


@router.post("/cases/{case_id}/plan/goals/{goal_id}/achievement", name="achieve_plan_goal")
async def achieve_goal_page(
    request: Request, case: CaseToWorkOn, goal_id: UUID, pages: PageRenderer,
    services: Services, principal: SignedIn, actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, AchievementRequest.model_fields)
    return await _submit(
        request, pages, services, principal, translator, case, f"{ACHIEVEMENT_FORM}-{goal_id}",
        form, AchievementRequest, lambda body: achieve_goal(services, case, goal_id, body, actor))


@router.post("/cases/{case_id}/plan/goals/{goal_id}/dropping", name="drop_plan_goal")
async def drop_goal_page(
    request: Request, case: CaseToWorkOn, goal_id: UUID, pages: PageRenderer,
    services: Services, principal: SignedIn, actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, DroppingRequest.model_fields)
    return await _submit(
        request, pages, services, principal, translator, case, f"{DROPPING_FORM}-{goal_id}",
        form, DroppingRequest, lambda body: drop_goal(services, case, goal_id, body, actor))


@router.post("/cases/{case_id}/plan/goals/{goal_id}/actions", name="plan_goal_action")
async def plan_action_page(
    request: Request, case: CaseToWorkOn, goal_id: UUID, pages: PageRenderer,
    services: Services, principal: SignedIn, actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, ActionRequest.model_fields)
    return await _submit(
        request, pages, services, principal, translator, case, f"{ACTION_FORM}-{goal_id}",
        form, ActionRequest, lambda body: plan_action(services, case, goal_id, body, actor))


@router.post("/cases/{case_id}/plan/actions/{action_id}/done", name="complete_plan_action")
async def complete_action_page(
    request: Request, case: CaseToWorkOn, action_id: UUID, pages: PageRenderer,
    services: Services, principal: SignedIn, actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, ActionDoneRequest.model_fields)
    return await _submit(
        request, pages, services, principal, translator, case, f"{DONE_FORM}-{action_id}",
        form, ActionDoneRequest,
        lambda body: complete_action(services, case, action_id, body, actor))


@router.post("/cases/{case_id}/plan/reviews", name="review_plan")
async def review_plan_page(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, actor: ActingPrincipal, translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, ReviewRequest.model_fields)
    return await _submit(
        request, pages, services, principal, translator, case, REVIEW_FORM, form,
        ReviewRequest, lambda body: review_plan(services, case, body, actor),
        also=dates_out_of_order(form.values, translator, since="reviewed_on"))


async def _submit(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, case: CaseRow, form_name: str, form: PostedForm,
    model: type[BaseModel], command: Callable[[Any], Awaitable[object]],
    also: Sequence[Problem] = (),
) -> Response:
    """Submit one of the page's forms: back to the plan once written, or the page again with
    the refused form's problems, all of them (nothing written)."""
    try:
        await form.submit(model, command, translator, also=also)
    except FormRefused as refused:
        return await run_in_threadpool(
            _render, request, pages, services, principal, translator, case,
            {form_name: refused.form}, 422)
    return see_other(request, "plan_page", case_id=str(case.case_id))


def _render(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, case: CaseRow, shown_again: Mapping[str, FormState],
    status_code: int = 200,
) -> HTMLResponse:
    now = services.now()
    city = City(case.city)
    today = now.astimezone(PROGRAMME_TIMEZONE).date().isoformat()
    labels = Labels(translator)
    context = {
        "case": case,
        "plan": shown_plan(services, principal, case.case_id, now),
        "may_work": case.status == CASE_STATUS_OPEN
        and case.personal_data_erased_on is None
        and may(principal, Permission.RECORD_CASE_WORK, city, at=now),
        "forms": shown_again,
        "today": today,
        "defaults": {
            START_FORM: FormState(values={"started_on": today}),
            GOAL_FORM: FormState(values={"agreed_on": today}),
            REVIEW_FORM: FormState(values={"reviewed_on": today}),
            ACHIEVEMENT_FORM: FormState(values={"achieved_on": today}),
            DROPPING_FORM: FormState(values={"dropped_on": today}),
            ACTION_FORM: FormState(),
            DONE_FORM: FormState(values={"done_on": today}),
        },
        "goal_areas": labels.choices(GOAL_AREAS, GoalArea),
        "drop_reasons": labels.choices(DROP_REASONS, DropReason),
        "action_owners": labels.choices(ACTION_OWNERS, ActionOwner),
        "goal_areas_table": GOAL_AREAS,
        "goal_statuses_table": GOAL_STATUSES,
        "drop_reasons_table": DROP_REASONS,
        "action_owners_table": ACTION_OWNERS,
        "max_goal_text": MAX_GOAL_TEXT,
        "max_action_text": MAX_ACTION_TEXT,
        "max_review_text": MAX_REVIEW_TEXT,
    }
    return pages.render(request, "plans/page.html", context, status_code=status_code)
