"""The plan service passes the terms in force on to every dated decision (issue 20): a mutation
run (docs/testing.md, "Services pass") found that achieving a goal and completing an action were
decided under the card's period whether or not the ministry had extended it.

DOMAIN.md, "Programme terms": the ministry may extend the programme's period; work dated in the
extension is then within the programme."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from domain.cases.service import CaseService
from domain.plans.model import ActionOwner, DropReason, Plan
from domain.plans.service import PlanService
from domain.programme import CARD_TERMS, DomainError, ProgrammePeriod, TermsInForce
from infra.store.vault import SqliteVault
from tests.builders import a_coordinator
from tests.unit.test_plan_rules import a_case, a_goal, a_plan, cases, vault

__all__ = ["cases", "vault"]  # the fixtures, as fixtures of this module too
EXTENDED = replace(CARD_TERMS, period=ProgrammePeriod(CARD_TERMS.period.starts_on,
                                                       date(2022, 6, 30)))
IN_THE_EXTENSION = date(2022, 1, 14)
NOW_2022 = datetime(2022, 1, 20, 9, tzinfo=UTC)


class Extended:
    def terms_in_force(self) -> TermsInForce:
        return EXTENDED


def test_a_goal_achieved_and_an_action_done_in_the_extension_count_once_it_is_decided(
    cases: CaseService,
    vault: SqliteVault,
) -> None:
    card = PlanService(cases.record, vault, cases)
    extended = PlanService(cases.record, vault, cases, Extended())
    case_id = a_plan(cases, card)
    goal_id = a_goal(card, case_id)
    action_id = uuid4()
    card.plan_action(case_id, goal_id, action_id, "Iscrizione al centro per l'impiego",
                     ActionOwner.PERSON, None, date(2021, 3, 31), a_coordinator(),
                     datetime(2021, 3, 20, 9, tzinfo=UTC))
    def complete(plans: PlanService) -> int:
        return plans.complete_action(case_id, action_id, IN_THE_EXTENSION, a_coordinator(),
                                     NOW_2022)

    def achieve(plans: PlanService) -> int:
        return plans.achieve_goal(case_id, goal_id, IN_THE_EXTENSION, a_coordinator(), NOW_2022)

    for command in (complete, achieve):
        with pytest.raises(DomainError) as refused:
            command(card)
        assert refused.value.code == "outside_programme_period"
        assert command(extended) == cases.record.recorder.max_notification_id()


def test_a_goal_dropped_and_an_action_due_in_the_extension_count_once_it_is_decided(
    cases: CaseService,
    vault: SqliteVault,
) -> None:
    card = PlanService(cases.record, vault, cases)
    extended = PlanService(cases.record, vault, cases, Extended())
    case_id = a_plan(cases, card)
    goal_id = a_goal(card, case_id)
    action_id = uuid4()

    def plan_action(plans: PlanService) -> int:
        return plans.plan_action(case_id, goal_id, action_id, "Corso di italiano",
                                 ActionOwner.PERSON, None, IN_THE_EXTENSION, a_coordinator(),
                                 NOW_2022)

    def drop(plans: PlanService) -> int:
        return plans.drop_goal(case_id, goal_id, IN_THE_EXTENSION, DropReason.NO_LONGER_NEEDED,
                               a_coordinator(), NOW_2022)

    for command in (plan_action, drop):
        with pytest.raises(DomainError) as refused:
            command(card)
        assert refused.value.code == "outside_programme_period"
        assert command(extended) == cases.record.recorder.max_notification_id()
    (planned,) = [event for event in cases.record.events.get(Plan.id_for(case_id))
                  if isinstance(event, Plan.ActionPlanned)]
    assert planned.timestamp == NOW_2022


def test_a_plan_and_a_review_reviewed_next_in_the_extension_count_once_it_is_decided(
    cases: CaseService,
    vault: SqliteVault,
) -> None:
    card = PlanService(cases.record, vault, cases)
    extended = PlanService(cases.record, vault, cases, Extended())
    case_id = a_case(cases)
    started_at = datetime(2021, 12, 20, 9, tzinfo=UTC)
    with pytest.raises(DomainError) as refused:
        card.start_plan(case_id, date(2021, 12, 20), IN_THE_EXTENSION, a_coordinator(),
                        started_at)
    assert refused.value.code == "outside_programme_period"
    extended.start_plan(case_id, date(2021, 12, 20), IN_THE_EXTENSION, a_coordinator(),
                        started_at)

    def review(plans: PlanService) -> int:
        return plans.review(case_id, uuid4(), "Andamento regolare", date(2022, 1, 14),
                            date(2022, 3, 1), a_coordinator(), NOW_2022)

    with pytest.raises(DomainError) as later:
        review(card)
    assert later.value.code == "outside_programme_period"
    assert review(extended) == cases.record.recorder.max_notification_id()


class BlindFind(PlanService):
    """The service, when its look for a plan misses one a rival has just saved: the save then
    conflicts on the plan's id."""

    def find(self, case_id: UUID) -> None:
        return None


def test_a_start_that_conflicts_on_saving_is_told_the_case_has_a_plan(
    cases: CaseService,
    vault: SqliteVault,
) -> None:
    case_id = a_plan(cases, PlanService(cases.record, vault, cases))
    with pytest.raises(DomainError) as refused:
        BlindFind(cases.record, vault, cases).start_plan(
            case_id, date(2021, 3, 10), date(2021, 6, 10), a_coordinator(), NOW_2022)
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "plan_already_started", "The case already has a plan.", {"field": "case"})
    assert refused.value.__suppress_context__
