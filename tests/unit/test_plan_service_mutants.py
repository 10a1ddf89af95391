"""The plan service's own refusals and its care of texts (issue 20): each refusal's `code`,
message and field where the service raises it, the position it returns, a start lost to a rival
writer, and a text kept for a command that is then not recorded discarded from the vault. With
the real record (in memory) and the real SQLite vault; the rival is a second writer
saving in between, as a second operator would.

DOMAIN.md, "Data protection": erasure must work — no text is kept on a person erased."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.cases.service import CaseService
from domain.plans.model import ActionOwner, CaseToPlan, GoalArea, Plan
from domain.plans.service import _SAVE_ATTEMPTS, PlanService
from domain.programme import DomainError
from tests.builders import INTAKE_DATE, a_coordinator, field_refusal
from tests.unit.test_plan_rules import (
    LATER,
    TODAY,
    a_case,
    a_goal,
    a_plan,
    cases,
    plans,
    vault,
)

__all__ = ["cases", "plans", "vault"]  # the fixtures, as fixtures of this module too
ACTOR = a_coordinator()


def test_a_started_plan_returns_its_id_and_the_position_of_its_event(
    cases: CaseService,
    plans: PlanService,
) -> None:
    case_id = a_case(cases)
    receipt = plans.start_plan(case_id, INTAKE_DATE, TODAY, ACTOR, LATER)
    assert receipt.plan_id == Plan.id_for(case_id)
    log = plans.record.notification_log
    (started,) = log.select(receipt.position, 1)
    assert (started.originator_id, started.originator_version) == (Plan.id_for(case_id), 1)
    assert log.select(receipt.position + 1, 1) == []
    goal_position = plans.agree_goal(
        case_id, uuid4(), GoalArea.WORK, "Lavoro", TODAY, TODAY, ACTOR, LATER
    )
    assert goal_position == receipt.position + 1


def test_a_plan_started_twice_is_refused_saying_the_case_has_one(
    cases: CaseService,
    plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    with pytest.raises(DomainError) as again:
        plans.start_plan(case_id, TODAY, TODAY, ACTOR, LATER)
    assert field_refusal(again) == ("plan_already_started", "The case already has a plan.", "case")


class RivalStarts:
    """The cases, as the service reads them, while a rival operator starts the same case's plan
    just after the service looked for one."""

    def __init__(self, cases: CaseService, plans: PlanService) -> None:
        self.cases, self.plans = cases, plans

    def get(self, case_id: UUID) -> CaseToPlan:
        case = self.cases.get(case_id)
        self.plans.record.save(Plan.start(case, INTAKE_DATE, TODAY, ACTOR, LATER))
        return case


def test_a_start_lost_to_a_rival_is_told_the_case_has_a_plan(
    cases: CaseService,
    plans: PlanService,
) -> None:
    case_id = a_case(cases)
    racing = PlanService(plans.record, plans.vault, RivalStarts(cases, plans))
    with pytest.raises(DomainError) as lost:
        racing.start_plan(case_id, TODAY, TODAY, ACTOR, LATER)
    assert field_refusal(lost) == ("plan_already_started", "The case already has a plan.", "case")
    found = plans.find(case_id)
    assert found is not None and found.started_on == INTAKE_DATE


def test_an_unknown_case_is_refused_as_another_city_s_would_be(plans: PlanService) -> None:
    with pytest.raises(DomainError) as unknown:
        plans.start_plan(uuid4(), TODAY, TODAY, ACTOR, LATER)
    assert field_refusal(unknown) == (
        "plan_case_not_workable",
        "No case of your city has this id: plans are kept only for your city's cases.",
        "case",
    )


def test_work_on_a_case_without_a_plan_says_to_start_it(
    cases: CaseService,
    plans: PlanService,
) -> None:
    case_id = a_case(cases)
    with pytest.raises(DomainError) as refused:
        plans.achieve_goal(case_id, uuid4(), TODAY, ACTOR, LATER)
    assert field_refusal(refused) == (
        "plan_not_started",
        "The case has no plan yet: start it first.",
        "case",
    )
    assert plans.find(case_id) is None


def test_a_text_is_refused_when_the_vault_holds_no_key_for_the_person(
    cases: CaseService,
    plans: PlanService,
) -> None:
    """The person's key shredded in the vault (an erasure whose event is not recorded yet):
    nothing is kept, and the plan records nothing."""
    case_id = a_plan(cases, plans)
    plans.vault.erase(case_id)
    with pytest.raises(DomainError) as refused:
        a_goal(plans, case_id)
    assert field_refusal(refused) == (
        "plan_case_not_workable",
        "This person's personal data has been erased: no new text is kept on them.",
        "case",
    )
    found = plans.find(case_id)
    assert found is not None and found.goals == {}


class RivalVault:
    """The real vault, while a rival operator reviews the same plan each time the service keeps
    a text: after the service loaded the plan, before it saves, so `rivals` of its attempts lose
    their race."""

    def __init__(self, plans: PlanService, rivals: int) -> None:
        self.vault, self.rival, self.rivals = plans.vault, plans, rivals

    def store_text(self, case_id: UUID, text_id: UUID, text: str) -> str:
        digest = self.vault.store_text(case_id, text_id, text)
        if self.rivals:
            self.rivals -= 1
            self.rival.review(case_id, uuid4(), "Rival", TODAY, TODAY, ACTOR, LATER)
        return digest

    def discard_text(self, case_id: UUID, text_id: UUID) -> None:
        self.vault.discard_text(case_id, text_id)


def test_a_text_kept_for_a_command_that_lost_every_race_is_discarded(
    cases: CaseService,
    plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    racing = PlanService(
        plans.record,
        RivalVault(plans, _SAVE_ATTEMPTS),  # type: ignore[arg-type]
        cases,
    )
    goal_id = uuid4()
    with pytest.raises(DomainError) as busy:
        racing.agree_goal(case_id, goal_id, GoalArea.WORK, "Lavoro", TODAY, TODAY, ACTOR, LATER)
    assert busy.value.code == "concurrent_changes"
    assert plans.texts(case_id, [goal_id]) == {}
    plan = plans.find(case_id)
    assert plan is not None and plan.goals == {} and len(plan.reviews) == 5


def test_a_command_that_lost_a_race_is_decided_again_and_keeps_its_text(
    cases: CaseService,
    plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    racing = PlanService(
        plans.record,
        RivalVault(plans, _SAVE_ATTEMPTS - 1),  # type: ignore[arg-type]
        cases,
    )
    goal_id = uuid4()
    racing.agree_goal(case_id, goal_id, GoalArea.WORK, "Lavoro", TODAY, TODAY, ACTOR, LATER)
    assert plans.texts(case_id, [goal_id]) == {goal_id: "Lavoro"}
    plan = plans.find(case_id)
    assert plan is not None and list(plan.goals) == [goal_id] and len(plan.reviews) == 4
    assert _SAVE_ATTEMPTS == 5


def test_texts_are_read_back_by_id_and_an_unknown_id_is_left_out(
    cases: CaseService,
    plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id, text="  Trovare lavoro ")
    unknown = UUID(int=1)
    assert plans.texts(case_id, [goal_id, unknown]) == {goal_id: "Trovare lavoro"}
    assert plans.texts(case_id, []) == {}


def test_each_command_reaches_the_plan_with_the_terms_in_force(
    cases: CaseService,
    plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id, agreed_on=date(2021, 3, 12))
    action_id = uuid4()
    plans.plan_action(
        case_id,
        goal_id,
        action_id,
        "Azione",
        ActionOwner.OPERATOR,
        "firenze.operatore",
        date(2021, 12, 31),
        ACTOR,
        LATER,
    )
    plans.complete_action(case_id, action_id, date(2021, 3, 13), ACTOR, LATER)
    with pytest.raises(DomainError) as no_reason:
        plans.drop_goal(case_id, goal_id, date(2021, 3, 14), None, ACTOR, LATER)
    assert field_refusal(no_reason) == (
        "invalid_drop_reason", "Say why the goal is dropped.", "reason")
    plan = plans.find(case_id)
    assert plan is not None
    assert plan.actions[action_id].done_on == date(2021, 3, 13)
    assert plan.actions[action_id].assignee == "firenze.operatore"


def test_a_second_start_is_refused_for_the_plan_before_its_dates_are_read(
    cases: CaseService,
    plans: PlanService,
) -> None:
    """Left by the whole-tree mutation run of 7 December 2026: a second start with valid dates
    is refused the same way when the save conflicts, so only one with wrong dates tells that
    the existing plan is looked up first."""
    case_id = a_plan(cases, plans)
    with pytest.raises(DomainError) as again:
        plans.start_plan(case_id, TODAY, date(2020, 1, 1), ACTOR, LATER)
    assert field_refusal(again) == ("plan_already_started", "The case already has a plan.", "case")
