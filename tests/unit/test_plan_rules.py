"""Issue 16 item 3: the individual plan (progetto individualizzato) of a case. Goals agreed with
the person, actions under them, periodic reviews; every free text kept only in the vault, under
the person's key (ARCHITECTURE firm point 5), the events carrying its id and digest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from domain.amendments.service import ProgrammeTermsService
from domain.cases.rules import CaseOutcome
from domain.cases.service import CaseService
from domain.plans.model import ActionOwner, DropReason, GoalArea, GoalStatus, Plan
from domain.plans.service import PlanService
from domain.programme import Actor, ActorKind, City, DomainError, Role
from domain.record import ProgrammeRecord
from infra.store.vault import SqliteVault
from tests.builders import INTAKE_DATE, NOW, a_coordinator, a_person, an_intake

LATER = NOW + timedelta(days=10)  # 20 March 2021, in Italy too
TODAY = date(2021, 3, 20)
GOAL_TEXT = "Trovare un lavoro stabile come aiuto cuoca presso la trattoria di Quortlemaine"


def refused_with(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, object]:
    return error.value.code, error.value.params.get("field")


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[SqliteVault]:
    vault = SqliteVault(tmp_path / "vault.sqlite", bytes(range(32)))
    yield vault
    vault.close()


@pytest.fixture
def cases(vault: SqliteVault) -> CaseService:
    return CaseService(ProgrammeRecord(), vault)


@pytest.fixture
def plans(cases: CaseService, vault: SqliteVault) -> PlanService:
    return PlanService(cases.record, vault, cases)


def a_case(cases: CaseService, city: City = City.FIRENZE) -> UUID:
    return cases.record_intake(uuid4(), an_intake(city), a_person(), a_coordinator(city),
                               NOW).case_id


def a_plan(cases: CaseService, plans: PlanService) -> UUID:
    case_id = a_case(cases)
    plans.start_plan(case_id, INTAKE_DATE, date(2021, 6, 10), a_coordinator(), LATER)
    return case_id


def a_goal(plans: PlanService, case_id: UUID, **overrides: object) -> UUID:
    goal_id = uuid4()
    arguments: dict[str, object] = {
        "area": GoalArea.WORK, "text": GOAL_TEXT, "agreed_on": date(2021, 3, 12),
        "target_date": date(2021, 9, 30), **overrides}
    plans.agree_goal(case_id, goal_id, actor=a_coordinator(), now=LATER,
                     **arguments)  # type: ignore[arg-type]
    return goal_id


def plan_events(plans: PlanService, case_id: UUID) -> list[object]:
    return list(plans.record.events.get(Plan.id_for(case_id)))


# --- starting --------------------------------------------------------------------------------


def test_a_plan_is_started_once_per_case_and_its_event_says_when_and_the_first_review(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_case(cases)
    receipt = plans.start_plan(case_id, INTAKE_DATE, date(2021, 6, 10), a_coordinator(), LATER)

    [started] = plan_events(plans, case_id)
    assert isinstance(started, Plan.Started)
    assert receipt.plan_id == Plan.id_for(case_id) == started.originator_id
    assert (started.case_id, started.case_code, started.city) == (case_id, "FI-2021-00001",
                                                                  "firenze")
    assert (started.started_on, started.next_review_on) == (INTAKE_DATE, date(2021, 6, 10))
    assert started.actor["id"] == "coordinator-1"
    with pytest.raises(DomainError) as again:
        plans.start_plan(case_id, TODAY, date(2021, 6, 10), a_coordinator(), LATER)
    assert refused_with(again) == ("plan_already_started", "case")
    assert len(plan_events(plans, case_id)) == 1


def test_a_plan_starts_from_the_intake_to_today_and_its_first_review_not_before(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_case(cases)
    for started_on, next_review_on, field in (
        (INTAKE_DATE - timedelta(days=1), date(2021, 6, 1), "started_on"),
        (TODAY + timedelta(days=1), date(2021, 6, 1), "started_on"),
        (date(2021, 3, 15), date(2021, 3, 14), "next_review_on"),
    ):
        with pytest.raises(DomainError) as refused:
            plans.start_plan(case_id, started_on, next_review_on, a_coordinator(), LATER)
        assert refused_with(refused) == ("invalid_plan_dates", field)
    assert plans.find(case_id) is None
    # At the limits: started today, the first review the same day.
    plans.start_plan(case_id, TODAY, TODAY, a_coordinator(), LATER)


def test_dates_stay_within_the_programme_s_period(cases: CaseService, plans: PlanService) -> None:
    """The project card's period, 1 July 2019 to 31 December 2021 (ProgrammeTerms, as
    amended): no target or review falls after it."""
    case_id = a_plan(cases, plans)
    with pytest.raises(DomainError) as refused:
        a_goal(plans, case_id, target_date=date(2022, 1, 1))
    assert refused_with(refused) == ("outside_programme_period", "target_date")
    a_goal(plans, case_id, target_date=date(2021, 12, 31))
    with pytest.raises(DomainError) as review:
        plans.review(case_id, uuid4(), "Rivisto", TODAY, date(2022, 1, 1), a_coordinator(),
                     LATER)
    assert refused_with(review) == ("outside_programme_period", "next_review_on")


# --- the case must be workable ----------------------------------------------------------------


def test_no_plan_for_another_city_s_case_a_closed_one_or_an_erased_one(
    cases: CaseService, plans: PlanService,
) -> None:
    foreign = a_case(cases)
    with pytest.raises(DomainError) as elsewhere:
        plans.start_plan(foreign, TODAY, TODAY, a_coordinator(City.MILANO), LATER)
    assert refused_with(elsewhere) == ("plan_case_not_workable", "case")
    with pytest.raises(DomainError) as unknown:
        plans.start_plan(uuid4(), TODAY, TODAY, a_coordinator(), LATER)
    assert refused_with(unknown) == ("plan_case_not_workable", "case")

    closed = a_plan(cases, plans)
    cases.close(closed, CaseOutcome.AUTONOMY, TODAY, "Autonomia raggiunta", a_coordinator(),
                LATER)
    with pytest.raises(DomainError) as after_closure:
        a_goal(plans, closed)
    assert refused_with(after_closure) == ("plan_case_not_workable", "case")

    erased = a_plan(cases, plans)
    cases.erase_personal_data(erased, TODAY, "PG-2021-7", a_coordinator(), LATER)
    with pytest.raises(DomainError) as after_erasure:
        a_goal(plans, erased)
    assert refused_with(after_erasure) == ("plan_case_not_workable", "case")
    assert len(plan_events(plans, closed)) == len(plan_events(plans, erased)) == 1


def test_goals_actions_and_reviews_need_a_started_plan(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_case(cases)
    with pytest.raises(DomainError) as refused:
        a_goal(plans, case_id)
    assert refused_with(refused) == ("plan_not_started", "case")


# --- goals -------------------------------------------------------------------------------------


def test_a_goal_s_words_are_kept_in_the_vault_and_the_event_has_only_their_id_and_digest(
    cases: CaseService, plans: PlanService, tmp_path: Path,
) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id, text=f"  {GOAL_TEXT}  ")

    _started, agreed = plan_events(plans, case_id)
    assert isinstance(agreed, Plan.GoalAgreed)
    assert (agreed.goal_id, agreed.area, agreed.agreed_on, agreed.target_date) == (
        goal_id, "work", date(2021, 3, 12), date(2021, 9, 30))
    assert agreed.text_id == goal_id
    assert re.fullmatch(r"[0-9a-f]{64}", agreed.text_digest)
    assert "Quortlemaine" not in repr(agreed.__dict__)
    assert b"Quortlemaine" not in (tmp_path / "vault.sqlite").read_bytes()
    assert plans.texts(case_id, [goal_id]) == {goal_id: GOAL_TEXT}


def test_a_target_date_may_be_the_day_the_goal_is_agreed_not_the_day_before(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    refused_id = uuid4()
    with pytest.raises(DomainError) as refused:
        plans.agree_goal(case_id, refused_id, GoalArea.HOUSING, "Casa", date(2021, 3, 12),
                         date(2021, 3, 11), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_plan_dates", "target_date")
    assert plans.texts(case_id, [refused_id]) == {}  # nothing kept for a refused goal
    a_goal(plans, case_id, agreed_on=date(2021, 3, 12), target_date=date(2021, 3, 12))


def test_a_goal_is_agreed_from_the_plan_s_start_to_today(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    for agreed_on in (INTAKE_DATE - timedelta(days=1), TODAY + timedelta(days=1)):
        with pytest.raises(DomainError) as refused:
            a_goal(plans, case_id, agreed_on=agreed_on)
        assert refused_with(refused) == ("invalid_plan_dates", "agreed_on")


@pytest.mark.parametrize("text", ["", "   ", "x" * 501])
def test_a_goal_has_words_of_up_to_500_characters(
    cases: CaseService, plans: PlanService, text: str,
) -> None:
    case_id = a_plan(cases, plans)
    with pytest.raises(DomainError) as refused:
        a_goal(plans, case_id, text=text)
    assert refused_with(refused) == ("invalid_plan_text", "text")


def test_a_goal_of_500_characters_is_kept(cases: CaseService, plans: PlanService) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id, text="x" * 500)
    assert plans.texts(case_id, [goal_id]) == {goal_id: "x" * 500}


def test_a_goal_moves_from_open_to_achieved_once_and_is_then_closed_to_changes(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id)
    plans.achieve_goal(case_id, goal_id, TODAY, a_coordinator(), LATER)

    achieved = plan_events(plans, case_id)[-1]
    assert isinstance(achieved, Plan.GoalAchieved)
    assert (achieved.goal_id, achieved.achieved_on) == (goal_id, TODAY)
    plan = plans.find(case_id)
    assert plan is not None and plan.goals[goal_id].status is GoalStatus.ACHIEVED
    with pytest.raises(DomainError) as achieved_again:
        plans.achieve_goal(case_id, goal_id, TODAY, a_coordinator(), LATER)
    assert refused_with(achieved_again) == ("goal_not_open", "goal")
    with pytest.raises(DomainError) as dropped_after:
        plans.drop_goal(case_id, goal_id, TODAY, DropReason.NOT_FEASIBLE, a_coordinator(), LATER)
    assert refused_with(dropped_after) == ("goal_not_open", "goal")


def test_a_goal_is_achieved_not_before_it_was_agreed(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id, agreed_on=date(2021, 3, 15))
    with pytest.raises(DomainError) as refused:
        plans.achieve_goal(case_id, goal_id, date(2021, 3, 14), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_plan_dates", "achieved_on")
    plans.achieve_goal(case_id, goal_id, date(2021, 3, 15), a_coordinator(), LATER)


def test_a_dropped_goal_says_why_with_a_code(cases: CaseService, plans: PlanService) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id)
    with pytest.raises(DomainError) as without_reason:
        plans.drop_goal(case_id, goal_id, TODAY, None, a_coordinator(), LATER)
    assert refused_with(without_reason) == ("invalid_drop_reason", "reason")

    plans.drop_goal(case_id, goal_id, TODAY, DropReason.PERSON_DECLINED, a_coordinator(), LATER)
    dropped = plan_events(plans, case_id)[-1]
    assert isinstance(dropped, Plan.GoalDropped)
    assert (dropped.goal_id, dropped.dropped_on, dropped.reason) == (
        goal_id, TODAY, "person_declined")


def test_an_unknown_goal_is_refused(cases: CaseService, plans: PlanService) -> None:
    case_id = a_plan(cases, plans)
    with pytest.raises(DomainError) as refused:
        plans.achieve_goal(case_id, uuid4(), TODAY, a_coordinator(), LATER)
    assert refused_with(refused) == ("unknown_goal", "goal")


# --- actions -----------------------------------------------------------------------------------


def test_an_action_under_an_open_goal_says_who_and_by_when_and_keeps_its_words_in_the_vault(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id)
    action_id = uuid4()
    plans.plan_action(case_id, goal_id, action_id, "Iscrizione al centro per l'impiego",
                      ActionOwner.OPERATOR, "firenze.operatore", date(2021, 3, 31),
                      a_coordinator(), LATER)

    planned = plan_events(plans, case_id)[-1]
    assert isinstance(planned, Plan.ActionPlanned)
    assert (planned.goal_id, planned.action_id, planned.owner, planned.assignee,
            planned.due_on, planned.text_id) == (
        goal_id, action_id, "operator", "firenze.operatore", date(2021, 3, 31), action_id)
    assert "impiego" not in repr(planned.__dict__)
    assert plans.texts(case_id, [action_id]) == {
        action_id: "Iscrizione al centro per l'impiego"}

    plans.complete_action(case_id, action_id, TODAY, a_coordinator(), LATER)
    done = plan_events(plans, case_id)[-1]
    assert isinstance(done, Plan.ActionDone)
    assert (done.action_id, done.goal_id, done.done_on) == (action_id, goal_id, TODAY)
    with pytest.raises(DomainError) as again:
        plans.complete_action(case_id, action_id, TODAY, a_coordinator(), LATER)
    assert refused_with(again) == ("action_already_done", "action")


def test_actions_only_under_an_open_goal_and_nothing_is_kept_when_refused(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id)
    plans.drop_goal(case_id, goal_id, TODAY, DropReason.NOT_FEASIBLE, a_coordinator(), LATER)
    action_id = uuid4()
    with pytest.raises(DomainError) as refused:
        plans.plan_action(case_id, goal_id, action_id, "Telefonare", ActionOwner.PERSON, None,
                          TODAY, a_coordinator(), LATER)
    assert refused_with(refused) == ("goal_not_open", "goal")
    assert plans.texts(case_id, [action_id]) == {}


def test_an_action_is_due_not_before_its_goal_was_agreed(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id, agreed_on=date(2021, 3, 12))
    with pytest.raises(DomainError) as refused:
        plans.plan_action(case_id, goal_id, uuid4(), "Telefonare", ActionOwner.PERSON, None,
                          date(2021, 3, 11), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_plan_dates", "due_on")
    plans.plan_action(case_id, goal_id, uuid4(), "Telefonare", ActionOwner.PERSON, None,
                      date(2021, 3, 12), a_coordinator(), LATER)


@pytest.mark.parametrize(("owner", "assignee"), [
    (ActionOwner.PERSON, "firenze.operatore"),
    (ActionOwner.OPERATOR, "Amina Tesfaye"),
    (ActionOwner.OPERATOR, "x" * 65),
])
def test_an_assignee_is_a_staff_username_and_only_for_the_operator_s_actions(
    cases: CaseService, plans: PlanService, owner: ActionOwner, assignee: str,
) -> None:
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id)
    with pytest.raises(DomainError) as refused:
        plans.plan_action(case_id, goal_id, uuid4(), "Telefonare", owner, assignee, TODAY,
                          a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_assignee", "assignee")


# --- reviews -----------------------------------------------------------------------------------


def test_a_review_keeps_what_changed_in_the_vault_and_moves_the_next_review(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    review_id = uuid4()
    plans.review(case_id, review_id, "Ha trovato un tirocinio", TODAY, date(2021, 5, 20),
                 a_coordinator(), LATER)

    reviewed = plan_events(plans, case_id)[-1]
    assert isinstance(reviewed, Plan.Reviewed)
    assert (reviewed.review_id, reviewed.reviewed_on, reviewed.next_review_on,
            reviewed.text_id) == (review_id, TODAY, date(2021, 5, 20), review_id)
    assert "tirocinio" not in repr(reviewed.__dict__)
    plan = plans.find(case_id)
    assert plan is not None and plan.next_review_on == date(2021, 5, 20)
    assert plans.texts(case_id, [review_id]) == {review_id: "Ha trovato un tirocinio"}


def test_a_review_follows_the_last_one_and_sets_the_next_not_before_itself(
    cases: CaseService, plans: PlanService,
) -> None:
    case_id = a_plan(cases, plans)
    plans.review(case_id, uuid4(), "Prima", date(2021, 3, 15), date(2021, 3, 15),
                 a_coordinator(), LATER)  # at the limit: the next review the same day
    for reviewed_on, next_review_on, field in (
        (date(2021, 3, 14), date(2021, 4, 1), "reviewed_on"),
        (date(2021, 3, 16), date(2021, 3, 15), "next_review_on"),
    ):
        with pytest.raises(DomainError) as refused:
            plans.review(case_id, uuid4(), "Seconda", reviewed_on, next_review_on,
                         a_coordinator(), LATER)
        assert refused_with(refused) == ("invalid_plan_dates", field)


# --- erasure -----------------------------------------------------------------------------------


def test_erasure_shreds_the_plan_s_texts_with_the_person(
    cases: CaseService, plans: PlanService,
) -> None:
    """GDPR art. 17: erasing the person's key erases every text kept under it."""
    case_id = a_plan(cases, plans)
    goal_id = a_goal(plans, case_id)
    review_id = uuid4()
    plans.review(case_id, review_id, "Rivisto", TODAY, TODAY, a_coordinator(), LATER)
    plan = plans.find(case_id)
    assert plan is not None and set(plan.text_ids()) == {goal_id, review_id}

    cases.erase_personal_data(case_id, TODAY, "PG-2021-7", a_coordinator(), LATER)

    assert plans.texts(case_id, plan.text_ids()) == {}
    assert all(plans.vault.read_text(case_id, text_id) is None for text_id in plan.text_ids())


def test_two_plans_started_at_once_for_one_case_conflict_and_one_survives(
    cases: CaseService, plans: PlanService,
) -> None:
    """The plan's id derives from the case's: two starts decided on the same state (two
    operators at once) write to the same aggregate, and the record refuses the second."""
    case_id = a_case(cases)
    case = cases.get(case_id)
    first = Plan.start(case, INTAKE_DATE, TODAY, a_coordinator(), LATER)
    second = Plan.start(case, TODAY, TODAY, a_coordinator(), LATER)
    plans.record.save(first)
    with pytest.raises(IntegrityError):
        plans.record.save(second)
    found = plans.find(case_id)
    assert found is not None and found.started_on == INTAKE_DATE


def test_an_extension_of_the_programme_s_period_lets_targets_fall_in_it(
    vault: SqliteVault,
) -> None:
    """The period is the terms in force (domain/amendments): once the Ministry extends it to
    30 June 2022, a target in 2022 is within it, and one after the new end is not."""
    record = ProgrammeRecord()
    terms = ProgrammeTermsService(record)
    cases = CaseService(record, vault, terms)
    plans = PlanService(record, vault, cases, terms)
    case_id = a_plan(cases, plans)
    ministry = Actor(ActorKind.USER, "ministero", Role.MINISTRY)
    terms.extend_period(date(2022, 6, 30), date(2021, 11, 12), "DM 123/2021", ministry,
                        datetime(2021, 11, 15, 10, tzinfo=UTC))

    a_goal(plans, case_id, target_date=date(2022, 6, 30))
    with pytest.raises(DomainError) as refused:
        a_goal(plans, case_id, target_date=date(2022, 7, 1))
    assert refused_with(refused) == ("outside_programme_period", "target_date")
