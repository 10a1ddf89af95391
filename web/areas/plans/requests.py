"""What the plan pages and the plans API both receive and carry out: the request models and the
commands that start a plan, agree, achieve and drop goals, plan and complete actions, and review
the plan. One route is as strict as the other. The case in the path is reached as every case is
(web.kit.principal: 404 for a case of another city); writing needs RECORD_CASE_WORK in its city.
Partner systems have no access to plans."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from domain.access import Permission
from domain.plans.model import (
    MAX_ACTION_TEXT,
    MAX_GOAL_TEXT,
    MAX_REVIEW_TEXT,
    ActionOwner,
    DropReason,
    GoalArea,
    Plan,
)
from domain.programme import Actor
from projections.case_list import CaseRow
from web.kit.errors import Problem, ResourceNotFound
from web.kit.forms import blank_is_none
from web.kit.i18n import N_, Translator
from web.kit.inputs import Day
from web.kit.principal import case_where
from web.services import WebServices

_NO_FREE_TEXT = "Personal data: kept encrypted in the vault, never in an event"


# Who may read a case's plan: its city's staff and the oversight (the city's work, as its
# pages); partners, who may read some cases under an agreement, have nothing of case work.
PlanToView = Annotated[CaseRow, Depends(case_where(Permission.VIEW_CITY))]


class NoPlan(ResourceNotFound):
    """Raised when the case in the path has no individual plan."""

    code = "no_plan"

    def __init__(self, case_id: str) -> None:
        super().__init__(case_id)
        self.case_id = case_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_("The case has no individual plan yet."))


# --- what is sent -------------------------------------------------------------------------------


class PlanStartRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"started_on": "2021-03-12",
                                         "next_review_on": "2021-06-12"}]},
    )

    started_on: Day = Field(description="From the day the city took the case in charge, to today")
    next_review_on: Day = Field(description="Not before started_on, within the programme")


class GoalRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{
            "area": "work", "text": "Trovare un tirocinio nella ristorazione",
            "agreed_on": "2021-03-12", "target_date": "2021-09-30",
        }]},
    )

    area: GoalArea
    text: str = Field(min_length=1, max_length=MAX_GOAL_TEXT, description=_NO_FREE_TEXT)
    agreed_on: Day = Field(description="From the plan's start to today")
    target_date: Day = Field(description="Not before agreed_on, within the programme")


class AchievementRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    achieved_on: Day = Field(description="From the goal's agreement to today")


class DroppingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dropped_on: Day = Field(description="From the goal's agreement to today")
    reason: DropReason


class ActionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{
            "text": "Iscrizione al centro per l'impiego", "owner": "operator",
            "assignee": "firenze.operatore", "due_on": "2021-04-15",
        }]},
    )

    text: str = Field(min_length=1, max_length=MAX_ACTION_TEXT, description=_NO_FREE_TEXT)
    owner: ActionOwner
    assignee: str | None = Field(
        default=None, max_length=64,
        description="A staff username (firenze.operatore), only when the operator does it",
    )
    due_on: Day = Field(description="Not before the goal was agreed, within the programme")

    _blank_assignee = field_validator("assignee", mode="before")(blank_is_none)


class ActionDoneRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done_on: Day = Field(description="From the goal's agreement to today")


class ReviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True,
        json_schema_extra={"examples": [{
            "text": "Ha iniziato il corso di italiano A2", "reviewed_on": "2021-06-10",
            "next_review_on": "2021-09-10",
        }]},
    )

    text: str = Field(min_length=1, max_length=MAX_REVIEW_TEXT, description=_NO_FREE_TEXT)
    reviewed_on: Day = Field(description="From the last review (or the plan's start) to today")
    next_review_on: Day = Field(description="Not before reviewed_on, within the programme")


class PlanWritten(BaseModel):
    case_id: UUID
    plan_id: UUID
    item_id: UUID | None = Field(
        description="The goal, action or review recorded (none for a plan started)")
    position: int = Field(description="The event's position in the event log")


# --- dates in order, told with the other problems of a form -----------------------------------

# (earlier field, later field): the later one may not be before the earlier one.
_DATE_ORDER: Mapping[str, tuple[str, str]] = {
    "next_review_on": ("started_on", N_("The next review cannot be before the day it is set on.")),
    "target_date": ("agreed_on", N_(
        "The target date cannot be before the day the goal is agreed.")),
}


def dates_out_of_order(
    values: Mapping[str, Any], translator: Translator, *, since: str | None = None
) -> list[Problem]:
    """The form's dates that come before the date they follow, as problems of the later field,
    so that a form shows them together with its other problems (the domain checks again).
    `since` names the field a next review follows in a review form (reviewed_on)."""
    problems = []
    for later, (earlier, message) in _DATE_ORDER.items():
        earlier = since if later == "next_review_on" and since else earlier
        first, second = _day(values.get(earlier)), _day(values.get(later))
        if first is not None and second is not None and second < first:
            problems.append(Problem(field=later, code="invalid_plan_dates",
                                    message=translator.gettext(message)))
    return problems


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# --- the commands, shared with the pages --------------------------------------------------------


async def start_plan(
    services: WebServices, case: CaseRow, request: PlanStartRequest, actor: Actor
) -> PlanWritten:
    receipt = await run_in_threadpool(
        services.plans.start_plan, case.case_id, request.started_on, request.next_review_on,
        actor, services.now())
    return await _written(services, case, None, receipt.position)


async def agree_goal(
    services: WebServices, case: CaseRow, request: GoalRequest, actor: Actor
) -> PlanWritten:
    goal_id = services.new_id()
    position = await run_in_threadpool(
        services.plans.agree_goal, case.case_id, goal_id, request.area, request.text,
        request.agreed_on, request.target_date, actor, services.now())
    return await _written(services, case, goal_id, position)


async def achieve_goal(
    services: WebServices, case: CaseRow, goal_id: UUID, request: AchievementRequest,
    actor: Actor,
) -> PlanWritten:
    position = await run_in_threadpool(
        services.plans.achieve_goal, case.case_id, goal_id, request.achieved_on, actor,
        services.now())
    return await _written(services, case, goal_id, position)


async def drop_goal(
    services: WebServices, case: CaseRow, goal_id: UUID, request: DroppingRequest, actor: Actor,
) -> PlanWritten:
    position = await run_in_threadpool(
        services.plans.drop_goal, case.case_id, goal_id, request.dropped_on, request.reason,
        actor, services.now())
    return await _written(services, case, goal_id, position)


async def plan_action(
    services: WebServices, case: CaseRow, goal_id: UUID, request: ActionRequest, actor: Actor,
) -> PlanWritten:
    action_id = services.new_id()
    position = await run_in_threadpool(
        services.plans.plan_action, case.case_id, goal_id, action_id, request.text,
        request.owner, request.assignee, request.due_on, actor, services.now())
    return await _written(services, case, action_id, position)


async def complete_action(
    services: WebServices, case: CaseRow, action_id: UUID, request: ActionDoneRequest,
    actor: Actor,
) -> PlanWritten:
    position = await run_in_threadpool(
        services.plans.complete_action, case.case_id, action_id, request.done_on, actor,
        services.now())
    return await _written(services, case, action_id, position)


async def review_plan(
    services: WebServices, case: CaseRow, request: ReviewRequest, actor: Actor
) -> PlanWritten:
    review_id = services.new_id()
    position = await run_in_threadpool(
        services.plans.review, case.case_id, review_id, request.text, request.reviewed_on,
        request.next_review_on, actor, services.now())
    return await _written(services, case, review_id, position)


async def _written(
    services: WebServices, case: CaseRow, item_id: UUID | None, position: int
) -> PlanWritten:
    """Wait (up to the read-your-writes timeout) until the read models show the write."""
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return PlanWritten(case_id=case.case_id, plan_id=Plan.id_for(case.case_id),
                       item_id=item_id, position=position)
