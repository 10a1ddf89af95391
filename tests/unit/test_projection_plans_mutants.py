"""The individual plans (projections/plans.py) on SQLite, as the mutation pass of issue 20 holds
them (docs/testing.md, "Projections pass, part 3"): each plan read back field by field after
every event that changes it (goals in the order agreed with their actions, reviews the latest
first, the stored positions), the case's transfer, closure, reopening and erasure, the work
queue's lines at their due moment and one microsecond before, in their order, redeliveries
changing nothing, and a reset emptying the model.

Rules encoded (/work/shared/design/DOMAIN.md, "The work the platform records" and "Closure"): a
closed case's plan asks nothing of the staff until the case is reopened; a case transferred to
another city is that city's to follow. A date-only deadline falls due at the end of its day on
Italian clocks (the projection's `end_of`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from events.cloudevents import Actor, Envelope
from events.contracts import (
    CaseClosedV2,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    CaseReopenedV2,
    CaseTransferredV1,
    EventContract,
)
from events.plans import (
    PlanActionDoneV1,
    PlanActionPlannedV1,
    PlanGoalAchievedV1,
    PlanGoalAgreedV1,
    PlanGoalDroppedV1,
    PlanReviewedV1,
    PlanStartedV1,
)
from projections.plans import (
    GOAL_TARGET_PASSED,
    PLAN_REVIEW_DUE,
    ActionRow,
    GoalRow,
    PlanQueries,
    PlansProjection,
    PlanView,
    ReviewRow,
    _day,
    end_of,
)
from projections.projection import WorkItem, apply_batch, reset
from projections.storage.read_models import SqliteReadModels
from tests.read_models import Feed, an_envelope, feed_fixture, read_models_fixture

T0 = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)
OPERATOR = Actor(kind="user", id="firenze.op", role="operator", city="firenze")
CASE, OTHER = UUID(int=1), UUID(int=2)
PLAN, OTHER_PLAN = UUID(int=11), UUID(int=12)
GOAL_1, GOAL_2, GOAL_3 = UUID(int=21), UUID(int=22), UUID(int=23)
ACTION_1, ACTION_2, ACTION_3 = UUID(int=31), UUID(int=32), UUID(int=33)
DIGEST = "a" * 64


def code(case: UUID, city: str = "firenze") -> str:
    return f"{city[:2].upper()}-2021-{case.int:05d}"


def envelope_of(data: EventContract, position: int) -> Envelope:
    """Each event recorded one hour after the one before it."""
    return an_envelope(data, position, time=T0 + timedelta(hours=position), actor=OPERATOR)


database = read_models_fixture(PlansProjection)


feed = feed_fixture(PlansProjection, envelope_of)


def common(case: UUID = CASE, city: str = "firenze") -> dict[str, Any]:
    plan = PLAN if case == CASE else OTHER_PLAN
    return {"plan_id": plan, "case_id": case, "case_code": code(case), "city": city}


def started(case: UUID = CASE, on: date = date(2021, 3, 1),
            next_review: date = date(2021, 6, 1), city: str = "firenze") -> PlanStartedV1:
    return PlanStartedV1(**common(case, city), started_on=on, next_review_on=next_review)


def goal(goal_id: UUID, target: date, case: UUID = CASE, area: str = "housing",
         text: int = 0) -> PlanGoalAgreedV1:
    return PlanGoalAgreedV1(**common(case), goal_id=goal_id, area=area,  # type: ignore[arg-type]
                            agreed_on=date(2021, 3, 2), target_date=target,
                            text_id=UUID(int=text or goal_id.int + 1000), text_digest=DIGEST)


def action(action_id: UUID, goal_id: UUID, due: date = date(2021, 4, 15),
           owner: str = "operator", assignee: str | None = "firenze.op") -> PlanActionPlannedV1:
    return PlanActionPlannedV1(**common(), goal_id=goal_id, action_id=action_id, owner=owner,  # type: ignore[arg-type]
                               assignee=assignee, due_on=due,
                               text_id=UUID(int=action_id.int + 1000), text_digest=DIGEST)


def reviewed(review: int, on: date, next_review: date, case: UUID = CASE) -> PlanReviewedV1:
    return PlanReviewedV1(**common(case), review_id=UUID(int=review), reviewed_on=on,
                          next_review_on=next_review, text_id=UUID(int=review + 1000),
                          text_digest=DIGEST)


def plan_of(database: SqliteReadModels, case: UUID = CASE) -> PlanView:
    found = PlanQueries(database).plan(case)
    assert found is not None
    return found


def stored(database: SqliteReadModels, sql: str) -> list[tuple[Any, ...]]:
    with database.reading() as tx:
        return list(tx.fetchall(sql))


def the_goal(goal_id: UUID = GOAL_1, target: date = date(2021, 5, 31),
             **changes: Any) -> GoalRow:
    fields: dict[str, Any] = {
        "goal_id": goal_id, "area": "housing", "agreed_on": date(2021, 3, 2),
        "target_date": target, "text_id": UUID(int=goal_id.int + 1000), "status": "open",
        "closed_on": None, "drop_reason": None, "actions": (),
    }
    return GoalRow(**fields | changes)


def the_action(action_id: UUID, goal_id: UUID, **changes: Any) -> ActionRow:
    fields: dict[str, Any] = {
        "action_id": action_id, "goal_id": goal_id, "owner": "operator",
        "assignee": "firenze.op", "due_on": date(2021, 4, 15),
        "text_id": UUID(int=action_id.int + 1000), "done_on": None,
    }
    return ActionRow(**fields | changes)


def test_a_started_plan_reads_back_field_by_field(database: SqliteReadModels, feed: Feed) -> None:
    feed(started())

    assert plan_of(database) == PlanView(
        plan_id=PLAN, case_id=CASE, case_code="FI-2021-00001", city="firenze",
        started_on=date(2021, 3, 1), next_review_on=date(2021, 6, 1), goals=(), reviews=())
    assert plan_of(database).text_ids() == []
    assert PlanQueries(database).plan(OTHER) is None
    assert stored(database, "SELECT case_id, plan_id, case_open, erased, last_position"
                            " FROM rm_plans") == [(str(CASE), str(PLAN), 1, 0, 1)]


def test_goals_in_the_order_agreed_each_with_its_own_actions_in_the_order_planned(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(started(), started(OTHER))
    feed(goal(GOAL_2, date(2021, 9, 30), area="work"), goal(GOAL_1, date(2021, 5, 31)))
    feed(action(ACTION_2, GOAL_1, owner="person", assignee=None),
         action(ACTION_1, GOAL_2, due=date(2021, 7, 1)),
         action(ACTION_3, GOAL_1))
    feed(goal(GOAL_3, date(2021, 5, 1), case=OTHER))

    plan = plan_of(database)
    assert plan.goals == (
        the_goal(GOAL_2, date(2021, 9, 30), area="work",
                 actions=(the_action(ACTION_1, GOAL_2, due_on=date(2021, 7, 1)),)),
        the_goal(GOAL_1, actions=(
            the_action(ACTION_2, GOAL_1, owner="person", assignee=None),
            the_action(ACTION_3, GOAL_1))),
    )
    assert plan.goals[0].is_open is True
    assert plan.text_ids() == [UUID(int=1022), UUID(int=1021), UUID(int=1031),
                               UUID(int=1032), UUID(int=1033)]
    assert plan.goal(GOAL_1) == plan.goals[1]
    assert plan.goal(GOAL_3) is None
    assert plan.action(ACTION_3) == plan.goals[1].actions[1]
    assert plan.action(ACTION_1) == plan.goals[0].actions[0]
    assert plan.action(UUID(int=99)) is None
    assert plan_of(database, OTHER).goals == (the_goal(GOAL_3, date(2021, 5, 1)),)
    assert stored(database, "SELECT goal_id, case_id, position FROM rm_plan_goals"
                            " ORDER BY position") == [
        (str(GOAL_2), str(CASE), 3), (str(GOAL_1), str(CASE), 4), (str(GOAL_3), str(OTHER), 8)]
    assert stored(database, "SELECT action_id, case_id, position FROM rm_plan_actions"
                            " ORDER BY position") == [
        (str(ACTION_2), str(CASE), 5), (str(ACTION_1), str(CASE), 6),
        (str(ACTION_3), str(CASE), 7)]


def test_achieved_and_dropped_goals_and_done_actions(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(started(), goal(GOAL_1, date(2021, 5, 31)), goal(GOAL_2, date(2021, 9, 30)),
         action(ACTION_1, GOAL_1))
    feed(PlanGoalAchievedV1(**common(), goal_id=GOAL_1, achieved_on=date(2021, 5, 20)),
         PlanGoalDroppedV1(**common(), goal_id=GOAL_2, dropped_on=date(2021, 5, 21),
                           reason="not_feasible"),
         PlanActionDoneV1(**common(), goal_id=GOAL_1, action_id=ACTION_1,
                          done_on=date(2021, 5, 19)))

    plan = plan_of(database)
    assert plan.goals == (
        the_goal(status="achieved", closed_on=date(2021, 5, 20), actions=(
            the_action(ACTION_1, GOAL_1, done_on=date(2021, 5, 19)),)),
        the_goal(GOAL_2, date(2021, 9, 30), status="dropped", closed_on=date(2021, 5, 21),
                 drop_reason="not_feasible"),
    )
    assert plan.goals[0].is_open is False
    assert plan.goals[1].is_open is False
    assert plan.next_review_on == date(2021, 6, 1)


def test_reviews_the_latest_first_and_each_moves_the_next_review(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(started(), started(OTHER))
    feed(reviewed(41, date(2021, 6, 1), date(2021, 9, 1)))
    assert plan_of(database).next_review_on == date(2021, 9, 1)
    feed(reviewed(42, date(2021, 9, 1), date(2021, 12, 1)))

    plan = plan_of(database)
    assert plan.reviews == (
        ReviewRow(UUID(int=42), date(2021, 9, 1), date(2021, 12, 1), UUID(int=1042)),
        ReviewRow(UUID(int=41), date(2021, 6, 1), date(2021, 9, 1), UUID(int=1041)),
    )
    assert plan.next_review_on == date(2021, 12, 1)
    assert plan.started_on == date(2021, 3, 1)
    assert plan.text_ids() == [UUID(int=1042), UUID(int=1041)]
    assert plan_of(database, OTHER).next_review_on == date(2021, 6, 1)
    assert plan_of(database, OTHER).reviews == ()
    assert stored(database, "SELECT case_id, last_position FROM rm_plans ORDER BY case_id") == [
        (str(CASE), 4), (str(OTHER), 2)]
    assert stored(database, "SELECT review_id, case_id, position FROM rm_plan_reviews"
                            " ORDER BY position") == [
        (str(UUID(int=41)), str(CASE), 3), (str(UUID(int=42)), str(CASE), 4)]


def test_a_redelivered_batch_and_a_repeated_start_change_nothing(
    database: SqliteReadModels, feed: Feed
) -> None:
    batch = feed(started(), goal(GOAL_1, date(2021, 5, 31)), action(ACTION_1, GOAL_1),
                 reviewed(41, date(2021, 6, 1), date(2021, 9, 1)))
    before = plan_of(database)

    apply_batch(database, PlansProjection(), batch)
    apply_batch(database, PlansProjection(), batch[2:])
    feed(started(on=date(2021, 4, 1), next_review=date(2021, 7, 1), city="milano"))

    assert plan_of(database) == before
    assert before.city == "firenze"
    assert before.next_review_on == date(2021, 9, 1)
    assert len(before.reviews) == 1
    assert len(before.goals[0].actions) == 1


def closing(case: UUID = CASE) -> CaseClosedV2:
    return CaseClosedV2(case_id=case, case_code=code(case), city="firenze",
                        closed_on=date(2021, 5, 2), outcome="autonomy", reason_id=None,
                        reason_digest=None)


def reopening(case: UUID = CASE) -> CaseReopenedV2:
    return CaseReopenedV2(case_id=case, case_code=code(case), city="firenze",
                          reopened_on=date(2021, 6, 1), reason_id=None, reason_digest=None)


def transfer(case: UUID = CASE, to_city: str = "milano") -> CaseTransferredV1:
    return CaseTransferredV1(case_id=case, case_code=code(case), city=to_city,
                             from_city="firenze", referral_id=UUID(int=500),
                             transferred_on=date(2021, 4, 1))


def items(database: SqliteReadModels, city: str, until: datetime) -> list[WorkItem]:
    return PlanQueries(database).work_items(city, until)


def test_the_end_of_a_day_is_midnight_after_it_on_italian_clocks() -> None:
    assert end_of(date(2021, 6, 1)) == datetime(2021, 6, 1, 22, 0, tzinfo=UTC)  # summer time
    assert end_of(date(2021, 1, 31)) == datetime(2021, 1, 31, 23, 0, tzinfo=UTC)
    assert end_of(date(2021, 12, 31)) == datetime(2021, 12, 31, 23, 0, tzinfo=UTC)
    assert _day(None) is None
    assert _day("") is None
    assert _day("2021-02-28") == date(2021, 2, 28)


def test_a_review_is_due_at_the_end_of_its_day_and_not_a_microsecond_before(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(started(next_review=date(2021, 6, 1)))
    due = datetime(2021, 6, 1, 22, 0, tzinfo=UTC)

    assert items(database, "firenze", due - timedelta(microseconds=1)) == []
    expected = WorkItem(PLAN_REVIEW_DUE, "firenze", due, CASE, "FI-2021-00001", PLAN)
    assert items(database, "firenze", due) == [expected]
    assert items(database, "firenze", due + timedelta(days=30)) == [expected]
    assert items(database, "milano", due + timedelta(days=30)) == []


def test_a_goals_target_is_passed_from_the_day_after_it_and_not_a_microsecond_before(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(started(next_review=date(2022, 1, 1)), goal(GOAL_1, date(2021, 5, 31)))
    due = datetime(2021, 5, 31, 22, 0, tzinfo=UTC)

    assert items(database, "firenze", due - timedelta(microseconds=1)) == []
    assert items(database, "firenze", due) == [
        WorkItem(GOAL_TARGET_PASSED, "firenze", due, CASE, "FI-2021-00001", GOAL_1)]


def test_achieved_and_dropped_goals_are_not_due(database: SqliteReadModels, feed: Feed) -> None:
    feed(started(next_review=date(2022, 1, 1)), goal(GOAL_1, date(2021, 5, 31)),
         goal(GOAL_2, date(2021, 5, 31)), goal(GOAL_3, date(2021, 5, 31)))
    feed(PlanGoalAchievedV1(**common(), goal_id=GOAL_1, achieved_on=date(2021, 5, 20)),
         PlanGoalDroppedV1(**common(), goal_id=GOAL_2, dropped_on=date(2021, 5, 21),
                           reason="replaced"))

    assert [i.subject_id for i in items(database, "firenze", datetime(2021, 12, 1,
                                                                       tzinfo=UTC))] == [GOAL_3]


def test_the_work_items_are_in_due_order_reviews_first_then_by_case_code(
    database: SqliteReadModels, feed: Feed
) -> None:
    third = UUID(int=3)
    feed(started(OTHER, next_review=date(2021, 6, 1)),
         PlanStartedV1(plan_id=UUID(int=13), case_id=third, case_code=code(third),
                       city="firenze", started_on=date(2021, 3, 1),
                       next_review_on=date(2021, 6, 1)),
         started(CASE, next_review=date(2021, 6, 1)))
    feed(goal(GOAL_1, date(2021, 6, 1)), goal(GOAL_2, date(2021, 5, 10), case=OTHER),
         goal(GOAL_3, date(2021, 6, 1), case=OTHER))

    found = items(database, "firenze", datetime(2021, 7, 1, tzinfo=UTC))
    assert [(i.kind, i.case_code, i.subject_id, i.due) for i in found] == [
        (GOAL_TARGET_PASSED, "FI-2021-00002", GOAL_2, datetime(2021, 5, 10, 22, tzinfo=UTC)),
        (PLAN_REVIEW_DUE, "FI-2021-00001", PLAN, datetime(2021, 6, 1, 22, tzinfo=UTC)),
        (PLAN_REVIEW_DUE, "FI-2021-00002", OTHER_PLAN, datetime(2021, 6, 1, 22, tzinfo=UTC)),
        (PLAN_REVIEW_DUE, "FI-2021-00003", UUID(int=13), datetime(2021, 6, 1, 22,
                                                                    tzinfo=UTC)),
        (GOAL_TARGET_PASSED, "FI-2021-00001", GOAL_1, datetime(2021, 6, 1, 22, tzinfo=UTC)),
        (GOAL_TARGET_PASSED, "FI-2021-00002", GOAL_3, datetime(2021, 6, 1, 22, tzinfo=UTC)),
    ]
    assert all(i.case_id == UUID(int=int(str(i.case_code)[-5:])) for i in found)
    assert all(i.city == "firenze" for i in found)


def test_a_closed_case_asks_nothing_until_reopened(database: SqliteReadModels, feed: Feed) -> None:
    feed(started(next_review=date(2021, 6, 1)), goal(GOAL_1, date(2021, 5, 31)),
         started(OTHER, next_review=date(2021, 6, 1)))
    late = datetime(2021, 7, 1, tzinfo=UTC)
    feed(closing())

    assert [(i.kind, i.case_id) for i in items(database, "firenze", late)] == [
        (PLAN_REVIEW_DUE, OTHER)]
    assert plan_of(database).goals == (the_goal(),)
    feed(reopening())
    assert [(i.kind, i.case_id) for i in items(database, "firenze", late)] == [
        (GOAL_TARGET_PASSED, CASE), (PLAN_REVIEW_DUE, CASE), (PLAN_REVIEW_DUE, OTHER)]
    assert stored(database, "SELECT case_open FROM rm_plans ORDER BY case_id") == [(1,), (1,)]


@pytest.mark.parametrize("version", [1, 2])
def test_an_erased_case_asks_nothing_and_keeps_its_plan(
    database: SqliteReadModels, feed: Feed, version: int
) -> None:
    feed(started(next_review=date(2021, 6, 1)), goal(GOAL_1, date(2021, 5, 31)),
         started(OTHER, next_review=date(2021, 6, 1)))
    fields: dict[str, Any] = {"case_id": CASE, "case_code": code(CASE), "city": "firenze",
                              "requested_on": date(2021, 4, 2),
                              "request_reference": "PG/2021/0012345"}
    feed(CasePersonalDataErasedV1(**fields) if version == 1
         else CasePersonalDataErasedV2(**fields, legal_basis="art17_1b"))

    assert [(i.kind, i.case_id) for i in items(database, "firenze",
                                               datetime(2021, 7, 1, tzinfo=UTC))] == [
        (PLAN_REVIEW_DUE, OTHER)]
    assert stored(database, "SELECT erased FROM rm_plans ORDER BY case_id") == [(1,), (0,)]
    assert plan_of(database).goals == (the_goal(),)


def test_a_transferred_case_is_the_new_citys_to_follow(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(started(next_review=date(2021, 6, 1)), goal(GOAL_1, date(2021, 5, 31)),
         started(OTHER, next_review=date(2021, 6, 1)))
    feed(transfer())
    late = datetime(2021, 7, 1, tzinfo=UTC)

    assert plan_of(database).city == "milano"
    assert plan_of(database, OTHER).city == "firenze"
    assert [(i.kind, i.case_id) for i in items(database, "firenze", late)] == [
        (PLAN_REVIEW_DUE, OTHER)]
    assert [(i.kind, i.city, i.case_id) for i in items(database, "milano", late)] == [
        (GOAL_TARGET_PASSED, "milano", CASE), (PLAN_REVIEW_DUE, "milano", CASE)]


def test_case_events_of_a_case_without_a_plan_change_no_plan(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(started(next_review=date(2021, 6, 1)))
    feed(closing(OTHER), transfer(OTHER))

    assert plan_of(database).city == "firenze"
    assert PlanQueries(database).plan(OTHER) is None
    assert len(items(database, "firenze", datetime(2021, 7, 1, tzinfo=UTC))) == 1


def test_a_reset_empties_every_plan_table(database: SqliteReadModels, feed: Feed) -> None:
    feed(started(), goal(GOAL_1, date(2021, 5, 31)), action(ACTION_1, GOAL_1),
         reviewed(41, date(2021, 6, 1), date(2021, 9, 1)))

    reset(database, PlansProjection())

    for table in ("rm_plans", "rm_plan_goals", "rm_plan_actions", "rm_plan_reviews"):
        assert stored(database, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    assert PlanQueries(database).plan(CASE) is None


def test_one_event_applied_on_its_own_is_applied_as_in_a_batch(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        PlansProjection().apply(tx, envelope_of(started(), 7))

    assert plan_of(database).next_review_on == date(2021, 6, 1)
    assert stored(database, "SELECT case_id, last_position FROM rm_plans") == [(str(CASE), 7)]
