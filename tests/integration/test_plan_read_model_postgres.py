"""The plans' read model on PostgreSQL, as on SQLite: a plan with a goal, an action done and a
review, kept with the platform on one PostgreSQL database (event store, vault, read models),
read back with its texts from the vault, and its due things offered to the work queue."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from domain.plans.model import ActionOwner, GoalArea
from infra.bootstrap import Follow, build_platform
from infra.settings import Settings
from projections.plans import GOAL_TARGET_PASSED, PLAN_REVIEW_DUE
from tests.builders import NOW, a_coordinator, a_person, an_intake

pytestmark = pytest.mark.postgres

LATER = NOW + timedelta(days=10)
TODAY = date(2021, 3, 20)


def test_a_plan_on_postgresql_reads_back_with_its_texts_and_its_due_things(
    tmp_path: Path, own_postgres_database: str,
) -> None:
    platform = build_platform(Settings(data_dir=tmp_path, database_url=own_postgres_database),
                              follow=Follow.IN_PROCESS)
    try:
        coordinator = a_coordinator()
        case_id = platform.cases.record_intake(uuid4(), an_intake(), a_person(), coordinator,
                                               NOW).case_id
        goal_id, action_id, review_id = uuid4(), uuid4(), uuid4()
        platform.plans.start_plan(case_id, TODAY, TODAY, coordinator, LATER)
        platform.plans.agree_goal(case_id, goal_id, GoalArea.HOUSING, "Casa condivisa", TODAY,
                                  date(2021, 4, 30), coordinator, LATER)
        platform.plans.plan_action(case_id, goal_id, action_id, "Visitare la casa",
                                   ActionOwner.PERSON, None, date(2021, 3, 25), coordinator,
                                   LATER)
        platform.plans.complete_action(case_id, action_id, TODAY, coordinator, LATER)
        position = platform.plans.review(case_id, review_id, "Bene", TODAY, date(2021, 5, 20),
                                         coordinator, LATER)
        assert asyncio.run(platform.wait_for_position(position, 5))

        plan = platform.plan_views.plan(case_id)
        assert plan is not None
        [goal] = plan.goals
        [action] = goal.actions
        assert (goal.area, goal.target_date, action.done_on, plan.next_review_on) == (
            "housing", date(2021, 4, 30), TODAY, date(2021, 5, 20))
        assert platform.plans.texts(case_id, plan.text_ids()) == {
            goal_id: "Casa condivisa", action_id: "Visitare la casa", review_id: "Bene"}
        later = NOW + timedelta(days=90)
        assert [i.kind for i in platform.plan_views.work_items("firenze", later)] == [
            GOAL_TARGET_PASSED, PLAN_REVIEW_DUE]
    finally:
        platform.close()
