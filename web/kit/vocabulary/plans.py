"""The words of the individual plans (progetto individualizzato): the areas of a goal, its
statuses and the reasons for dropping one, who carries out an action, the plan's events and
refusals, and what the case's timeline says of each event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from domain.plans.model import ActionOwner, DropReason, GoalArea, GoalStatus
from events.plans import (
    PlanActionDoneV1,
    PlanActionPlannedV1,
    PlanGoalAchievedV1,
    PlanGoalAgreedV1,
    PlanGoalDroppedV1,
    PlanReviewedV1,
    PlanStartedV1,
)
from web.kit.i18n import N_, Translator

GOAL_AREAS: Mapping[str, str] = {
    GoalArea.HOUSING: N_("Housing"),
    GoalArea.WORK: N_("Work and training"),
    GoalArea.HEALTH: N_("Health"),
    GoalArea.LEGAL: N_("Legal matters"),
    GoalArea.LANGUAGE: N_("Italian language"),
    GoalArea.DOCUMENTS: N_("Documents and residence"),
    GoalArea.SOCIAL_TIES: N_("Social ties"),
}

GOAL_STATUSES: Mapping[str, str] = {
    GoalStatus.OPEN: N_("Goal open"),
    GoalStatus.ACHIEVED: N_("Goal achieved"),
    GoalStatus.DROPPED: N_("Goal dropped"),
}

DROP_REASONS: Mapping[str, str] = {
    DropReason.PERSON_DECLINED: N_("The person no longer wants it"),
    DropReason.NO_LONGER_NEEDED: N_("No longer needed"),
    DropReason.NOT_FEASIBLE: N_("Not feasible"),
    DropReason.REPLACED: N_("Replaced by another goal"),
    DropReason.PERSON_UNREACHABLE: N_("The person cannot be reached"),
    DropReason.CASE_TRANSFERRED: N_("The case moved to another city"),
}

ACTION_OWNERS: Mapping[str, str] = {
    ActionOwner.PERSON: N_("The person"),
    ActionOwner.OPERATOR: N_("The operator"),
    ActionOwner.PARTNER_ORGANISATION: N_("A partner organisation"),
    ActionOwner.PUBLIC_SERVICE: N_("A public service"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    GoalArea: GOAL_AREAS,
    GoalStatus: GOAL_STATUSES,
    DropReason: DROP_REASONS,
    ActionOwner: ACTION_OWNERS,
}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {
    PlanStartedV1.ce_type(): N_("Individual plan started"),
    PlanGoalAgreedV1.ce_type(): N_("Goal agreed"),
    PlanGoalAchievedV1.ce_type(): N_("Goal achieved"),
    PlanGoalDroppedV1.ce_type(): N_("Goal dropped"),
    PlanActionPlannedV1.ce_type(): N_("Action planned"),
    PlanActionDoneV1.ce_type(): N_("Action done"),
    PlanReviewedV1.ce_type(): N_("Plan reviewed"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("plan_error", None): N_("The plan's details are not valid."),
    ("plan_case_not_workable", None): N_(
        "The plan cannot be changed: the case is not one of your city's, it is closed (reopen "
        "it first, with a reason), or the person's personal data has been erased."
    ),
    ("plan_already_started", None): N_("The case already has an individual plan."),
    ("plan_not_started", None): N_(
        "The case has no individual plan yet: start it first, with the date of its first "
        "review."
    ),
    ("invalid_plan_dates", None): N_(
        "The date is not valid: it cannot be before %(earliest)s."
    ),
    ("invalid_plan_dates", "started_on"): N_(
        "The plan starts from the day the city took the case in charge, up to today."
    ),
    ("invalid_plan_dates", "agreed_on"): N_(
        "A goal is agreed from the day the plan started, up to today."
    ),
    ("invalid_plan_dates", "target_date"): N_(
        "The target date cannot be before the day the goal is agreed."
    ),
    ("invalid_plan_dates", "achieved_on"): N_(
        "A goal is achieved from the day it was agreed, up to today."
    ),
    ("invalid_plan_dates", "dropped_on"): N_(
        "A goal is dropped from the day it was agreed, up to today."
    ),
    ("invalid_plan_dates", "due_on"): N_(
        "An action cannot be due before the day its goal was agreed."
    ),
    ("invalid_plan_dates", "done_on"): N_(
        "An action is done from the day its goal was agreed, up to today."
    ),
    ("invalid_plan_dates", "reviewed_on"): N_(
        "A review is dated from the previous review (or the plan's start), up to today."
    ),
    ("invalid_plan_dates", "next_review_on"): N_(
        "The next review cannot be before the day it is set on."
    ),
    ("invalid_plan_text", None): N_("Write the text, in up to %(max_length)s characters."),
    ("invalid_drop_reason", None): N_("Say why the goal is dropped."),
    ("unknown_goal", None): N_("The plan has no such goal."),
    ("goal_not_open", None): N_(
        "The goal is already achieved or dropped: nothing more is recorded on it, and no "
        "action is added under it."
    ),
    ("unknown_action", None): N_("The plan has no such action."),
    ("action_already_done", None): N_("The action is already recorded as done."),
    ("invalid_assignee", None): N_(
        "Name an assignee only for an action the operator carries out, by their username "
        "(such as firenze.operatore)."
    ),
}


def plan_details(data: dict[str, Any], translator: Translator, _labels: object = None) -> list[str]:
    """What a plan's event recorded, for the case's timeline: codes and dates, never the texts
    (they are in the vault; the plan page shows them to the city's staff). Called as the
    timeline calls each area's (with its labels, which this one needs not)."""
    _ = translator.gettext

    def day(name: str) -> str:
        return translator.date(date.fromisoformat(str(data[name])))

    def label(table: Mapping[str, str], code: object) -> str:
        message = table.get(str(code))
        return str(code) if message is None else _(message)

    if "area" in data:
        return [label(GOAL_AREAS, data["area"]),
                _(N_("Target date: %(date)s."), date=day("target_date"))]
    if "reason" in data:
        return [label(DROP_REASONS, data["reason"])]
    if "owner" in data:
        return [label(ACTION_OWNERS, data["owner"]),
                _(N_("Due by %(date)s."), date=day("due_on"))]
    if "next_review_on" in data:
        return [_(N_("Next review: %(date)s."), date=day("next_review_on"))]
    return []
