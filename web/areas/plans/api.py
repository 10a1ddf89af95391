"""A case's individual plan as JSON, and the commands that start it, agree, achieve and drop its
goals, plan and complete actions and review it (their request models and commands are
web.areas.plans.requests, shared with the pages). The texts (a goal's words, an action's
description, what a review found) are given to the staff of the case's city only; for anyone
else who may view the case they are null. Partner systems have no access to plans."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from web.areas.plans.requests import (
    AchievementRequest,
    ActionDoneRequest,
    ActionRequest,
    DroppingRequest,
    GoalRequest,
    NoPlan,
    PlanStartRequest,
    PlanToView,
    PlanWritten,
    ReviewRequest,
    achieve_goal,
    agree_goal,
    complete_action,
    drop_goal,
    plan_action,
    review_plan,
    start_plan,
)
from web.kit.dependencies import Services
from web.kit.plans import ShownPlan, shown_plan
from web.kit.principal import ActingPrincipal, CaseToWorkOn, SignedIn
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["plans"])

_TEXT = "The words, for the staff of the case's city; null for anyone else, or once erased"


class ActionOut(BaseModel):
    action_id: UUID
    owner: str = Field(description="person, operator, partner_organisation or public_service")
    assignee: str | None = Field(description="A staff username")
    due_on: date
    done_on: date | None
    text: str | None = Field(description=_TEXT)


class GoalOut(BaseModel):
    goal_id: UUID
    area: str
    status: str = Field(description="open, achieved or dropped")
    agreed_on: date
    target_date: date
    closed_on: date | None = Field(description="When it was achieved or dropped")
    drop_reason: str | None
    text: str | None = Field(description=_TEXT)
    actions: list[ActionOut]


class ReviewOut(BaseModel):
    review_id: UUID
    reviewed_on: date
    next_review_on: date
    text: str | None = Field(description=_TEXT)


class PlanOut(BaseModel):
    plan_id: UUID
    case_id: UUID
    case_code: str
    city: str
    started_on: date
    next_review_on: date
    goals: list[GoalOut]
    reviews: list[ReviewOut] = Field(description="The latest first")

    @classmethod
    def of(cls, shown: ShownPlan) -> PlanOut:
        plan = shown.plan
        return cls(
            plan_id=plan.plan_id, case_id=plan.case_id, case_code=plan.case_code,
            city=plan.city, started_on=plan.started_on, next_review_on=plan.next_review_on,
            goals=[
                GoalOut(
                    goal_id=goal.goal_id, area=goal.area, status=goal.status,
                    agreed_on=goal.agreed_on, target_date=goal.target_date,
                    closed_on=goal.closed_on, drop_reason=goal.drop_reason,
                    text=shown.text(goal.text_id),
                    actions=[
                        ActionOut(action_id=a.action_id, owner=a.owner, assignee=a.assignee,
                                  due_on=a.due_on, done_on=a.done_on, text=shown.text(a.text_id))
                        for a in goal.actions
                    ],
                )
                for goal in plan.goals
            ],
            reviews=[
                ReviewOut(review_id=r.review_id, reviewed_on=r.reviewed_on,
                          next_review_on=r.next_review_on, text=shown.text(r.text_id))
                for r in plan.reviews
            ],
        )


@router.get("/cases/{case_id}/plan", name="api_get_plan", response_model=PlanOut)
async def get_plan(
    case: PlanToView, services: Services, principal: SignedIn,
) -> PlanOut:
    """The case's plan; 404 when it has none."""
    shown = await run_in_threadpool(
        shown_plan, services, principal, case.case_id, services.now())
    if shown is None:
        raise NoPlan(str(case.case_id))
    return PlanOut.of(shown)


@router.post("/cases/{case_id}/plan", name="api_start_plan", status_code=status.HTTP_201_CREATED)
async def api_start_plan(
    body: PlanStartRequest, case: CaseToWorkOn, services: Services, actor: ActingPrincipal,
) -> PlanWritten:
    return await start_plan(services, case, body, actor)


@router.post("/cases/{case_id}/plan/goals", name="api_agree_plan_goal",
             status_code=status.HTTP_201_CREATED)
async def api_agree_goal(
    body: GoalRequest, case: CaseToWorkOn, services: Services, actor: ActingPrincipal,
) -> PlanWritten:
    return await agree_goal(services, case, body, actor)


@router.post("/cases/{case_id}/plan/goals/{goal_id}/achievement", name="api_achieve_plan_goal")
async def api_achieve_goal(
    goal_id: UUID, body: AchievementRequest, case: CaseToWorkOn, services: Services,
    actor: ActingPrincipal,
) -> PlanWritten:
    return await achieve_goal(services, case, goal_id, body, actor)


@router.post("/cases/{case_id}/plan/goals/{goal_id}/dropping", name="api_drop_plan_goal")
async def api_drop_goal(
    goal_id: UUID, body: DroppingRequest, case: CaseToWorkOn, services: Services,
    actor: ActingPrincipal,
) -> PlanWritten:
    return await drop_goal(services, case, goal_id, body, actor)


@router.post("/cases/{case_id}/plan/goals/{goal_id}/actions", name="api_plan_goal_action",
             status_code=status.HTTP_201_CREATED)
async def api_plan_action(
    goal_id: UUID, body: ActionRequest, case: CaseToWorkOn, services: Services,
    actor: ActingPrincipal,
) -> PlanWritten:
    return await plan_action(services, case, goal_id, body, actor)


@router.post("/cases/{case_id}/plan/actions/{action_id}/done", name="api_complete_plan_action")
async def api_complete_action(
    action_id: UUID, body: ActionDoneRequest, case: CaseToWorkOn, services: Services,
    actor: ActingPrincipal,
) -> PlanWritten:
    return await complete_action(services, case, action_id, body, actor)


@router.post("/cases/{case_id}/plan/reviews", name="api_review_plan",
             status_code=status.HTTP_201_CREATED)
async def api_review_plan(
    body: ReviewRequest, case: CaseToWorkOn, services: Services, actor: ActingPrincipal,
) -> PlanWritten:
    return await review_plan(services, case, body, actor)
