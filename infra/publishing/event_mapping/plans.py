"""The individual plans' public events. A plan is its case's: the CloudEvents subject is the case
code, so each event is on the case's timeline."""

from __future__ import annotations

from domain.plans.model import Plan
from events.plans import (
    PlanActionDoneV1,
    PlanActionPlannedV1,
    PlanGoalAchievedV1,
    PlanGoalAgreedV1,
    PlanGoalDroppedV1,
    PlanReviewedV1,
    PlanStartedV1,
)
from infra.publishing.event_mapping import PublicEvent

PLAN_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(Plan.Started, PlanStartedV1, id_field="plan_id"),
    PublicEvent(Plan.GoalAgreed, PlanGoalAgreedV1, id_field="plan_id"),
    PublicEvent(Plan.GoalAchieved, PlanGoalAchievedV1, id_field="plan_id"),
    PublicEvent(Plan.GoalDropped, PlanGoalDroppedV1, id_field="plan_id"),
    PublicEvent(Plan.ActionPlanned, PlanActionPlannedV1, id_field="plan_id"),
    PublicEvent(Plan.ActionDone, PlanActionDoneV1, id_field="plan_id"),
    PublicEvent(Plan.Reviewed, PlanReviewedV1, id_field="plan_id"),
)
