"""A case's individual plan as a page shows it (the case page's plan section and the plan's own
page): the read model's plan, with its texts turned into words from the vault for the staff of
the case's city, and nothing of them for anyone else (the ministry and the auditors see the
goals' areas, statuses and dates, never what was written about the person)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from domain.access import Permission, Principal, may
from domain.programme import PROGRAMME_TIMEZONE, City
from projections.plans import GoalRow, PlanView
from web.kit.vocabulary.plans import GOAL_AREAS, GOAL_STATUSES
from web.services import WebServices


@dataclass(frozen=True)
class ShownPlan:
    plan: PlanView
    today: date
    may_read_texts: bool
    texts: Mapping[UUID, str] = field(default_factory=dict)
    # The words of the codes a plan shows, for the templates (labels.label(table, code)).
    area_labels: ClassVar[Mapping[str, str]] = GOAL_AREAS
    status_labels: ClassVar[Mapping[str, str]] = GOAL_STATUSES

    def text(self, text_id: UUID) -> str | None:
        """The text's words; None for a reader who may not read them, or once erased."""
        return self.texts.get(text_id)

    @property
    def review_due(self) -> bool:
        return self.plan.next_review_on <= self.today

    def target_passed(self, goal: GoalRow) -> bool:
        return goal.is_open and goal.target_date < self.today

    @property
    def open_goals(self) -> int:
        return sum(1 for goal in self.plan.goals if goal.is_open)


def may_read_plan_texts(principal: Principal, city: City) -> bool:
    """The plan's texts are the person's data: read by the staff who work on the city's cases."""
    return may(principal, Permission.RECORD_CASE_WORK, city)


def shown_plan(
    services: WebServices, principal: Principal, case_id: UUID, now: datetime
) -> ShownPlan | None:
    """The case's plan, None when it has none. Blocking (the read model, the vault)."""
    plan = services.plan_views.plan(case_id)
    if plan is None:
        return None
    readable = may_read_plan_texts(principal, City(plan.city))
    texts = services.plans.texts(case_id, plan.text_ids()) if readable else {}
    return ShownPlan(plan, now.astimezone(PROGRAMME_TIMEZONE).date(), readable, texts)
