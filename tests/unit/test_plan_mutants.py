"""The individual plan at its edges, on the aggregate alone (issue 20): every refusal's class,
`code`, message and parameters where the rule is broken, each limit at the limit and one past it,
each date at its earliest day, the day before, today and tomorrow, and every event a command
records field by field. A mutation run (docs/testing.md, "Other domain modules") showed the
messages, the limits and most event fields were never checked.

DOMAIN.md, "Italian terms": "progetto individualizzato" (individual plan); "Data protection":
free text may hold special-category data, so the plan keeps only a text's id and digest."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid5

import pytest

from domain.cases.model import Case
from domain.cases.rules import CaseOutcome
from domain.plans.model import (
    _PLAN_NAMESPACE,
    MAX_ACTION_TEXT,
    MAX_GOAL_TEXT,
    MAX_REVIEW_TEXT,
    STAFF_USERNAME,
    Action,
    ActionOwner,
    DropReason,
    Goal,
    GoalArea,
    GoalStatus,
    KeptText,
    Plan,
    PlanError,
    Review,
)
from domain.programme import CARD_TERMS, Actor, ActorKind, City, Role
from tests.builders import NOW, a_coordinator, a_reason, recorded, refusal
from tests.unit.test_activity_rules import a_case
from tests.unit.test_programme_terms import EXTENDED

ACTOR = a_coordinator()
TODAY = date(2021, 3, 20)
AT = datetime(2021, 3, 20, 9, 0, tzinfo=UTC)  # 10:00 on the 20th in Italy
GOAL_ID, ACTION_ID, REVIEW_ID = UUID(int=0x60A1), UUID(int=0xAC7), UUID(int=0x5E1)


class Keeper:
    """The caller's keeper of texts: what it was asked to keep, each kept under a new id."""

    def __init__(self) -> None:
        self.kept: list[str] = []

    def __call__(self, text: str) -> KeptText:
        self.kept.append(text)
        return KeptText(UUID(int=len(self.kept)), f"{len(self.kept)}" * 64)


def started(case: Case | None = None) -> tuple[Plan, Case]:
    """A plan started on the intake day (10 March 2021), its first review due on 10 June."""
    case = case or a_case()
    plan = Plan.start(case, date(2021, 3, 10), date(2021, 6, 10), ACTOR, AT)
    plan.collect_events()
    return plan, case


def with_goal(agreed_on: date = date(2021, 3, 12)) -> tuple[Plan, Case]:
    plan, case = started()
    plan.agree_goal(
        case, GOAL_ID, GoalArea.WORK, "Lavoro", agreed_on, date(2021, 9, 30), Keeper(), ACTOR, AT
    )
    plan.collect_events()
    return plan, case


def test_the_limits_are_those_of_the_rules() -> None:
    assert (MAX_GOAL_TEXT, MAX_ACTION_TEXT, MAX_REVIEW_TEXT) == (500, 300, 2000)
    assert PlanError.code == "plan_error"


def test_a_plan_s_id_is_derived_from_its_case_s() -> None:
    case_id = UUID(int=42)
    assert Plan.id_for(case_id) == uuid5(_PLAN_NAMESPACE, str(case_id))
    assert _PLAN_NAMESPACE == UUID("4f8e2b0c-6a1d-4c3e-9b7f-2d5a8c1e0f63")


def test_a_started_plan_records_its_case_and_dates_and_holds_nothing_yet() -> None:
    case = a_case(number=3)
    plan = Plan.start(case, date(2021, 3, 10), date(2021, 3, 10), ACTOR, AT)

    assert plan.id == Plan.id_for(case.id)
    assert recorded(plan) == [
        (
            "Started",
            {
                "timestamp": AT,
                "case_id": case.id,
                "case_code": "FI-2021-00003",
                "city": "firenze",
                "started_on": date(2021, 3, 10),
                "next_review_on": date(2021, 3, 10),
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert (plan.case_id, plan.case_code, plan.started_on, plan.next_review_on) == (
        case.id,
        "FI-2021-00003",
        date(2021, 3, 10),
        date(2021, 3, 10),
    )
    assert plan.city == City.FIRENZE and isinstance(plan.city, City)
    assert (plan.goals, plan.actions, plan.reviews, plan.text_ids()) == ({}, {}, [], [])
    assert plan.last_reviewed_on == date(2021, 3, 10)


def test_a_plan_starts_from_the_case_s_opening_to_today_in_italy() -> None:
    case = a_case()
    assert refusal(lambda: Plan.start(case, date(2021, 3, 9), date(2021, 6, 1), ACTOR, AT)) == (
        "invalid_plan_dates",
        "The date cannot be before 2021-03-10.",
        {"field": "started_on", "earliest": date(2021, 3, 10)},
    )
    assert refusal(lambda: Plan.start(case, date(2021, 3, 21), date(2021, 6, 1), ACTOR, AT)) == (
        "invalid_plan_dates",
        "The date cannot be in the future.",
        {"field": "started_on"},
    )
    late = datetime(2021, 3, 20, 23, 30, tzinfo=UTC)  # already the 21st in Italy
    assert Plan.start(case, date(2021, 3, 21), date(2021, 6, 1), ACTOR, late).started_on == date(
        2021, 3, 21
    )
    assert Plan.start(case, TODAY, TODAY, ACTOR, AT).next_review_on == TODAY


def test_the_first_review_is_not_before_the_start_and_within_the_period() -> None:
    case = a_case()
    assert refusal(lambda: Plan.start(case, TODAY, date(2021, 3, 19), ACTOR, AT)) == (
        "invalid_plan_dates",
        "The date cannot be before 2021-03-20.",
        {"field": "next_review_on", "earliest": TODAY},
    )
    code, _, params = refusal(lambda: Plan.start(case, TODAY, date(2022, 1, 1), ACTOR, AT))
    assert (code, params["field"]) == ("outside_programme_period", "next_review_on")
    assert Plan.start(case, TODAY, date(2021, 12, 31), ACTOR, AT).next_review_on == date(
        2021, 12, 31
    )
    assert Plan.start(case, TODAY, date(2022, 1, 1), ACTOR, AT, EXTENDED).next_review_on == date(
        2022, 1, 1
    )


def test_a_start_after_the_period_is_refused_on_its_field() -> None:
    case = a_case()
    at = datetime(2022, 1, 1, 9, 0, tzinfo=UTC)
    code, _, params = refusal(
        lambda: Plan.start(case, date(2022, 1, 1), date(2022, 1, 1), ACTOR, at)
    )
    assert (code, params["field"]) == ("outside_programme_period", "started_on")
    plan = Plan.start(case, date(2022, 1, 1), date(2022, 1, 1), ACTOR, at, EXTENDED)
    assert plan.started_on == date(2022, 1, 1)


def test_plan_work_is_refused_for_another_city_a_closed_case_or_an_erased_person() -> None:
    assert refusal(lambda: started(a_case(City.MILANO))) == (
        "plan_case_not_workable",
        "No case of your city has this id: plans are kept only for your city's cases.",
        {"field": "case"},
    )
    closed = a_case(number=2)
    closed.close(CaseOutcome.AUTONOMY, date(2021, 3, 10), a_reason(), ACTOR, NOW)
    assert refusal(lambda: started(closed)) == (
        "plan_case_not_workable",
        "The case is closed: reopen it, with a reason, before working on its plan.",
        {"field": "case"},
    )
    erased = a_case(number=3)
    erased.erase_personal_data(date(2021, 3, 10), "PG-2021-7", ACTOR, NOW)
    assert refusal(lambda: started(erased)) == (
        "plan_case_not_workable",
        "This person's personal data has been erased: no new text is kept on them.",
        {"field": "case"},
    )


def test_the_ministry_without_a_city_may_work_on_any_city_s_plan() -> None:
    ministry = Actor(ActorKind.USER, "ministero", Role.MINISTRY)
    case = a_case(City.MILANO)
    assert Plan.start(case, date(2021, 3, 10), TODAY, ministry, AT).city == City.MILANO


def test_a_goal_agreed_records_its_facts_and_keeps_its_words_only() -> None:
    plan, case = started()
    keeper = Keeper()

    plan.agree_goal(
        case,
        GOAL_ID,
        GoalArea.HOUSING,
        "  Trovare casa  ",
        date(2021, 3, 10),
        date(2021, 3, 10),
        keeper,
        ACTOR,
        AT,
    )

    assert keeper.kept == ["Trovare casa"]
    assert recorded(plan) == [
        (
            "GoalAgreed",
            {
                "timestamp": AT,
                "case_id": case.id,
                "case_code": case.case_code,
                "city": "firenze",
                "goal_id": GOAL_ID,
                "area": "housing",
                "agreed_on": date(2021, 3, 10),
                "target_date": date(2021, 3, 10),
                "text_id": UUID(int=1),
                "text_digest": "1" * 64,
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert plan.goals == {
        GOAL_ID: Goal(
            GOAL_ID,
            GoalArea.HOUSING,
            date(2021, 3, 10),
            date(2021, 3, 10),
            KeptText(UUID(int=1), "1" * 64),
        )
    }
    assert plan.goals[GOAL_ID].status is GoalStatus.OPEN
    assert plan.text_ids() == [UUID(int=1)]


@pytest.mark.parametrize(("command", "limit"), [("goal", 500), ("action", 300), ("review", 2000)])
def test_each_text_is_kept_at_its_limit_and_refused_one_past_or_empty(
    command: str, limit: int
) -> None:
    def run(text: Any, keeper: Keeper) -> None:
        plan, case = with_goal()
        if command == "goal":
            plan.agree_goal(case, UUID(int=9), GoalArea.WORK, text, TODAY, TODAY, keeper, ACTOR, AT)
        elif command == "action":
            plan.plan_action(
                case, GOAL_ID, ACTION_ID, text, ActionOwner.PERSON, None, TODAY, keeper, ACTOR, AT
            )
        else:
            plan.review(case, REVIEW_ID, text, TODAY, TODAY, keeper, ACTOR, AT)

    keeper = Keeper()
    run(" " + "t" * limit + " ", keeper)
    assert keeper.kept == ["t" * limit]
    for text in ("t" * (limit + 1), "   ", None):
        refused = Keeper()
        assert refusal(
            lambda text=text, refused=refused: run(  # type: ignore[misc]
                text, refused
            )
        ) == (
            "invalid_plan_text",
            f"Write the text, in up to {limit} characters.",
            {"field": "text", "max_length": limit},
        )
        assert refused.kept == []


def test_a_goal_is_agreed_from_the_plan_s_start_to_today_its_target_not_before() -> None:
    plan, case = started()

    def agree(agreed_on: date, target_date: date, terms: Any = CARD_TERMS) -> None:
        plan.agree_goal(
            case,
            GOAL_ID,
            GoalArea.WORK,
            "Lavoro",
            agreed_on,
            target_date,
            Keeper(),
            ACTOR,
            AT,
            terms,
        )

    assert refusal(lambda: agree(date(2021, 3, 9), date(2021, 4, 1))) == (
        "invalid_plan_dates",
        "The date cannot be before 2021-03-10.",
        {"field": "agreed_on", "earliest": date(2021, 3, 10)},
    )
    assert refusal(lambda: agree(date(2021, 3, 21), date(2021, 4, 1)))[2] == {"field": "agreed_on"}
    assert refusal(lambda: agree(TODAY, date(2021, 3, 19))) == (
        "invalid_plan_dates",
        "The date cannot be before 2021-03-20.",
        {"field": "target_date", "earliest": TODAY},
    )
    code, _, params = refusal(lambda: agree(TODAY, date(2022, 1, 1)))
    assert (code, params["field"]) == ("outside_programme_period", "target_date")
    assert plan.collect_events() == []
    agree(TODAY, date(2022, 1, 1), EXTENDED)
    assert plan.goals[GOAL_ID].target_date == date(2022, 1, 1)


def test_a_goal_achieved_records_the_day_and_closes_the_goal() -> None:
    plan, case = with_goal(agreed_on=date(2021, 3, 12))
    assert refusal(lambda: plan.achieve_goal(case, GOAL_ID, date(2021, 3, 11), ACTOR, AT)) == (
        "invalid_plan_dates",
        "The date cannot be before 2021-03-12.",
        {"field": "achieved_on", "earliest": date(2021, 3, 12)},
    )
    assert refusal(lambda: plan.achieve_goal(case, GOAL_ID, date(2021, 3, 21), ACTOR, AT))[2] == {
        "field": "achieved_on"
    }

    plan.achieve_goal(case, GOAL_ID, date(2021, 3, 12), ACTOR, AT)

    assert recorded(plan) == [
        (
            "GoalAchieved",
            {
                "timestamp": AT,
                "case_id": case.id,
                "case_code": case.case_code,
                "city": "firenze",
                "goal_id": GOAL_ID,
                "achieved_on": date(2021, 3, 12),
                "actor": ACTOR.as_record(),
            },
        )
    ]
    goal = plan.goals[GOAL_ID]
    assert (goal.status, goal.closed_on, goal.drop_reason) == (
        GoalStatus.ACHIEVED,
        date(2021, 3, 12),
        None,
    )
    closed = (
        "goal_not_open",
        "The goal is already achieved or dropped: nothing more is recorded on it.",
        {"field": "goal"},
    )
    assert refusal(lambda: plan.achieve_goal(case, GOAL_ID, TODAY, ACTOR, AT)) == closed
    assert (
        refusal(lambda: plan.drop_goal(case, GOAL_ID, TODAY, DropReason.REPLACED, ACTOR, AT))
        == closed
    )
    assert (
        refusal(
            lambda: plan.plan_action(
                case,
                GOAL_ID,
                ACTION_ID,
                "Fare",
                ActionOwner.PERSON,
                None,
                TODAY,
                Keeper(),
                ACTOR,
                AT,
            )
        )
        == closed
    )


def test_a_goal_dropped_records_its_reason_code_and_the_day() -> None:
    plan, case = with_goal(agreed_on=date(2021, 3, 12))
    assert refusal(lambda: plan.drop_goal(case, GOAL_ID, TODAY, None, ACTOR, AT)) == (
        "invalid_drop_reason",
        "Say why the goal is dropped.",
        {"field": "reason"},
    )
    assert refusal(
        lambda: plan.drop_goal(case, GOAL_ID, date(2021, 3, 11), DropReason.NOT_FEASIBLE, ACTOR, AT)
    )[2] == {"field": "dropped_on", "earliest": date(2021, 3, 12)}

    plan.drop_goal(case, GOAL_ID, date(2021, 3, 12), DropReason.PERSON_UNREACHABLE, ACTOR, AT)

    assert recorded(plan) == [
        (
            "GoalDropped",
            {
                "timestamp": AT,
                "case_id": case.id,
                "case_code": case.case_code,
                "city": "firenze",
                "goal_id": GOAL_ID,
                "dropped_on": date(2021, 3, 12),
                "reason": "person_unreachable",
                "actor": ACTOR.as_record(),
            },
        )
    ]
    goal = plan.goals[GOAL_ID]
    assert (goal.status, goal.closed_on, goal.drop_reason) == (
        GoalStatus.DROPPED,
        date(2021, 3, 12),
        DropReason.PERSON_UNREACHABLE,
    )


def test_an_unknown_goal_or_action_is_refused_with_its_field() -> None:
    plan, case = with_goal()
    other = UUID(int=0xBAD)
    unknown_goal = ("unknown_goal", "The plan has no such goal.", {"field": "goal"})
    assert refusal(lambda: plan.achieve_goal(case, other, TODAY, ACTOR, AT)) == unknown_goal
    assert refusal(lambda: plan.drop_goal(case, other, TODAY, None, ACTOR, AT)) == unknown_goal
    assert refusal(lambda: plan.complete_action(case, other, TODAY, ACTOR, AT)) == (
        "unknown_action",
        "The plan has no such action.",
        {"field": "action"},
    )


def test_an_action_planned_records_who_and_by_when_and_keeps_its_words_only() -> None:
    plan, case = with_goal(agreed_on=date(2021, 3, 12))
    keeper = Keeper()

    plan.plan_action(
        case,
        GOAL_ID,
        ACTION_ID,
        " Iscrizione al centro per l'impiego ",
        ActionOwner.OPERATOR,
        "  firenze.operatore ",
        date(2021, 3, 12),
        keeper,
        ACTOR,
        AT,
    )

    assert keeper.kept == ["Iscrizione al centro per l'impiego"]
    assert recorded(plan) == [
        (
            "ActionPlanned",
            {
                "timestamp": AT,
                "case_id": case.id,
                "case_code": case.case_code,
                "city": "firenze",
                "goal_id": GOAL_ID,
                "action_id": ACTION_ID,
                "owner": "operator",
                "assignee": "firenze.operatore",
                "due_on": date(2021, 3, 12),
                "text_id": UUID(int=1),
                "text_digest": "1" * 64,
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert plan.actions == {
        ACTION_ID: Action(
            ACTION_ID,
            GOAL_ID,
            ActionOwner.OPERATOR,
            "firenze.operatore",
            date(2021, 3, 12),
            KeptText(UUID(int=1), "1" * 64),
        )
    }
    assert plan.actions[ACTION_ID].done_on is None


@pytest.mark.parametrize("assignee", [None, "", "   "])
def test_an_action_without_an_assignee_records_none(assignee: str | None) -> None:
    plan, case = with_goal()
    plan.plan_action(
        case,
        GOAL_ID,
        ACTION_ID,
        "Fare",
        ActionOwner.PARTNER_ORGANISATION,
        assignee,
        TODAY,
        Keeper(),
        ACTOR,
        AT,
    )
    assert plan.actions[ACTION_ID].assignee is None


@pytest.mark.parametrize(
    ("owner", "assignee"),
    [
        (ActionOwner.PERSON, "firenze.operatore"),
        (ActionOwner.PUBLIC_SERVICE, "firenze.operatore"),
        (ActionOwner.OPERATOR, "Mario Rossi"),
        (ActionOwner.OPERATOR, "Firenze.operatore"),
        (ActionOwner.OPERATOR, ".operatore"),
        (ActionOwner.OPERATOR, "a" * 65),
    ],
)
def test_an_assignee_is_only_an_operator_s_username(owner: ActionOwner, assignee: str) -> None:
    plan, case = with_goal()
    keeper = Keeper()
    assert refusal(
        lambda: plan.plan_action(
            case, GOAL_ID, ACTION_ID, "Fare", owner, assignee, TODAY, keeper, ACTOR, AT
        )
    ) == (
        "invalid_assignee",
        "Name an assignee only for an action the operator carries out, by their username "
        "(firenze.operatore).",
        {"field": "assignee"},
    )
    assert keeper.kept == []


@pytest.mark.parametrize("assignee", ["a", "a" * 64, "0.x-y_z"])
def test_a_username_of_1_to_64_characters_is_an_assignee(assignee: str) -> None:
    assert STAFF_USERNAME.fullmatch(assignee)
    plan, case = with_goal()
    plan.plan_action(
        case, GOAL_ID, ACTION_ID, "Fare", ActionOwner.OPERATOR, assignee, TODAY, Keeper(), ACTOR, AT
    )
    assert plan.actions[ACTION_ID].assignee == assignee


def test_an_action_is_due_not_before_its_goal_and_within_the_period() -> None:
    plan, case = with_goal(agreed_on=date(2021, 3, 12))

    def action(due_on: date, terms: Any = CARD_TERMS) -> None:
        plan.plan_action(
            case,
            GOAL_ID,
            ACTION_ID,
            "Fare",
            ActionOwner.PERSON,
            None,
            due_on,
            Keeper(),
            ACTOR,
            AT,
            terms,
        )

    assert refusal(lambda: action(date(2021, 3, 11))) == (
        "invalid_plan_dates",
        "The date cannot be before 2021-03-12.",
        {"field": "due_on", "earliest": date(2021, 3, 12)},
    )
    code, _, params = refusal(lambda: action(date(2022, 1, 1)))
    assert (code, params["field"]) == ("outside_programme_period", "due_on")
    action(date(2022, 1, 1), EXTENDED)  # a due day may be after today
    assert plan.actions[ACTION_ID].due_on == date(2022, 1, 1)


def test_an_action_done_records_the_day_once() -> None:
    plan, case = with_goal(agreed_on=date(2021, 3, 12))
    plan.plan_action(
        case, GOAL_ID, ACTION_ID, "Fare", ActionOwner.PERSON, None, TODAY, Keeper(), ACTOR, AT
    )
    plan.collect_events()
    assert refusal(lambda: plan.complete_action(case, ACTION_ID, date(2021, 3, 11), ACTOR, AT)) == (
        "invalid_plan_dates",
        "The date cannot be before 2021-03-12.",
        {"field": "done_on", "earliest": date(2021, 3, 12)},
    )
    assert refusal(lambda: plan.complete_action(case, ACTION_ID, date(2021, 3, 21), ACTOR, AT))[
        2
    ] == {"field": "done_on"}

    plan.complete_action(case, ACTION_ID, date(2021, 3, 12), ACTOR, AT)

    assert recorded(plan) == [
        (
            "ActionDone",
            {
                "timestamp": AT,
                "case_id": case.id,
                "case_code": case.case_code,
                "city": "firenze",
                "goal_id": GOAL_ID,
                "action_id": ACTION_ID,
                "done_on": date(2021, 3, 12),
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert plan.actions[ACTION_ID].done_on == date(2021, 3, 12)
    assert refusal(lambda: plan.complete_action(case, ACTION_ID, TODAY, ACTOR, AT)) == (
        "action_already_done",
        "The action is already recorded as done.",
        {"field": "action"},
    )


def test_a_review_records_its_days_keeps_its_words_and_moves_the_next_review() -> None:
    plan, case = started()
    keeper = Keeper()

    plan.review(
        case,
        REVIEW_ID,
        " Nessun cambiamento ",
        date(2021, 3, 10),
        date(2021, 3, 10),
        keeper,
        ACTOR,
        AT,
    )

    assert keeper.kept == ["Nessun cambiamento"]
    assert recorded(plan) == [
        (
            "Reviewed",
            {
                "timestamp": AT,
                "case_id": case.id,
                "case_code": case.case_code,
                "city": "firenze",
                "review_id": REVIEW_ID,
                "reviewed_on": date(2021, 3, 10),
                "next_review_on": date(2021, 3, 10),
                "text_id": UUID(int=1),
                "text_digest": "1" * 64,
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert plan.reviews == [
        Review(REVIEW_ID, date(2021, 3, 10), date(2021, 3, 10), KeptText(UUID(int=1), "1" * 64))
    ]
    assert (plan.next_review_on, plan.last_reviewed_on) == (date(2021, 3, 10), date(2021, 3, 10))


def test_a_review_follows_the_last_and_sets_the_next_not_before_itself() -> None:
    plan, case = started()
    plan.review(case, REVIEW_ID, "Prima", date(2021, 3, 15), date(2021, 4, 15), Keeper(), ACTOR, AT)

    def review(reviewed_on: date, next_review_on: date) -> None:
        plan.review(case, UUID(int=2), "Seconda", reviewed_on, next_review_on, Keeper(), ACTOR, AT)

    assert refusal(lambda: review(date(2021, 3, 14), date(2021, 4, 15))) == (
        "invalid_plan_dates",
        "The date cannot be before 2021-03-15.",
        {"field": "reviewed_on", "earliest": date(2021, 3, 15)},
    )
    assert refusal(lambda: review(date(2021, 3, 21), date(2021, 4, 15)))[2] == {
        "field": "reviewed_on"
    }
    assert refusal(lambda: review(TODAY, date(2021, 3, 19))) == (
        "invalid_plan_dates",
        "The date cannot be before 2021-03-20.",
        {"field": "next_review_on", "earliest": TODAY},
    )
    review(date(2021, 3, 15), date(2021, 5, 1))
    assert plan.last_reviewed_on == date(2021, 3, 15)
    assert plan.next_review_on == date(2021, 5, 1)
    assert [r.review_id for r in plan.reviews] == [REVIEW_ID, UUID(int=2)]


def test_the_plan_s_texts_are_its_goals_then_actions_then_reviews() -> None:
    plan, case = started()
    keeper = Keeper()
    plan.agree_goal(case, GOAL_ID, GoalArea.LEGAL, "Goal", TODAY, TODAY, keeper, ACTOR, AT)
    plan.review(case, REVIEW_ID, "Review", TODAY, TODAY, keeper, ACTOR, AT)
    plan.plan_action(
        case, GOAL_ID, ACTION_ID, "Action", ActionOwner.PERSON, None, TODAY, keeper, ACTOR, AT
    )
    assert plan.text_ids() == [UUID(int=1), UUID(int=3), UUID(int=2)]


def test_a_city_moved_by_a_transfer_is_taken_from_each_later_event() -> None:
    """Goals, actions and reviews carry the case's city as it is when recorded: a case
    transferred to Milano goes on with Milano's city in the plan's later events."""
    plan, case = started()
    milano = a_case(City.MILANO, number=7)
    milano_staff = a_coordinator(City.MILANO)
    plan.agree_goal(
        milano, GOAL_ID, GoalArea.WORK, "Lavoro", TODAY, TODAY, Keeper(), milano_staff, AT
    )
    assert plan.city == City.MILANO and isinstance(plan.city, City)
    plan.city = City.FIRENZE
    plan.plan_action(
        milano,
        GOAL_ID,
        ACTION_ID,
        "Fare",
        ActionOwner.PERSON,
        None,
        TODAY,
        Keeper(),
        milano_staff,
        AT,
    )
    assert plan.city == City.MILANO and isinstance(plan.city, City)
    plan.city = City.FIRENZE
    plan.review(milano, REVIEW_ID, "Rivista", TODAY, TODAY, Keeper(), milano_staff, AT)
    assert plan.city == City.MILANO and isinstance(plan.city, City)
    assert case.city == City.FIRENZE
