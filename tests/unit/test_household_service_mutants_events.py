"""What the households service's leave and change of head store, field by field (issue 20): a
mutation run (docs/testing.md, "Services pass") found the case code the service passes on to
`MemberLeft` and `HeadChanged` unchecked. Over the real in-memory record and the cases context's
service."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.cases.service import CaseService
from domain.households.model import DepartureReason, Membership, Relationship
from domain.households.service import HouseholdNotFound, HouseholdService
from tests.builders import NOW, a_coordinator
from tests.unit.test_plan_rules import a_case, cases, vault

__all__ = ["cases", "vault"]  # the fixtures, as fixtures of this module too
ACTOR = a_coordinator()
FORMED_ON = date(2021, 3, 10)
LATER = NOW + timedelta(days=2)


def last_event(households: HouseholdService, household_id: UUID) -> tuple[str, dict[str, Any]]:
    event = list(households.record.events.get(household_id))[-1]
    return type(event).__name__, {
        name: value for name, value in vars(event).items()
        if name not in ("originator_id", "originator_version", "originator_topic")}


def test_a_change_of_head_and_a_leave_name_the_case_by_its_code(cases: CaseService) -> None:
    households = HouseholdService(cases.record, cases)
    head, child = a_case(cases), a_case(cases)
    child_code = cases.get(child).case_code
    household_id = uuid4()
    households.form_household(household_id, head, FORMED_ON, ACTOR, NOW)
    households.join_household(household_id, child, Relationship.CHILD, FORMED_ON, ACTOR, NOW)

    households.make_head(child, Relationship.PARENT, LATER.date(), ACTOR, LATER)
    assert last_event(households, household_id) == ("HeadChanged", {
        "timestamp": LATER, "city": "firenze", "case_id": child, "case_code": child_code,
        "previous_head_case_id": head, "previous_head_relationship": "parent",
        "changed_on": LATER.date(), "actor": ACTOR.as_record()})

    households.leave_household(head, DepartureReason.MOVED_AWAY, LATER.date(), ACTOR, LATER)
    name, fields = last_event(households, household_id)
    assert (name, fields["case_id"], fields["case_code"], fields["left_on"],
            fields["reason"], fields["timestamp"]) == (
        "MemberLeft", head, cases.get(head).case_code, LATER.date(), "moved_away", LATER)


def test_a_case_s_membership_starts_at_the_moment_it_first_joins(cases: CaseService) -> None:
    households = HouseholdService(cases.record, cases)
    head, child = a_case(cases), a_case(cases)
    household_id = uuid4()
    households.form_household(household_id, head, FORMED_ON, ACTOR, NOW)
    households.join_household(household_id, child, Relationship.CHILD, FORMED_ON, ACTOR, LATER)
    events: list[Any] = list(households.record.events.get(Membership.id_for(child)))
    assert [(type(event).__name__, event.timestamp) for event in events] == [
        ("Started", LATER), ("Joined", LATER)]
    founding: list[Any] = list(households.record.events.get(Membership.id_for(head)))
    assert [(type(event).__name__, event.timestamp) for event in founding] == [
        ("Started", NOW), ("Joined", NOW)]


# --- left by the whole-tree mutation run of 7 December 2026 ----------------------------------


def test_forming_and_joining_name_each_member_by_its_code(cases: CaseService) -> None:
    households = HouseholdService(cases.record, cases)
    head, child = a_case(cases), a_case(cases)
    household_id = uuid4()
    households.form_household(household_id, head, FORMED_ON, ACTOR, NOW)
    assert last_event(households, household_id) == ("MemberJoined", {
        "timestamp": NOW, "city": "firenze", "case_id": head,
        "case_code": cases.get(head).case_code, "relationship": "head",
        "joined_on": FORMED_ON, "actor": ACTOR.as_record()})
    households.join_household(household_id, child, Relationship.CHILD, FORMED_ON, ACTOR, NOW)
    name, fields = last_event(households, household_id)
    assert (name, fields["case_id"], fields["case_code"]) == (
        "MemberJoined", child, cases.get(child).case_code)


def test_a_case_that_left_a_household_forms_another_from_the_day_it_left(
    cases: CaseService,
) -> None:
    households = HouseholdService(cases.record, cases)
    head, child = a_case(cases), a_case(cases)
    first = uuid4()
    households.form_household(first, head, FORMED_ON, ACTOR, NOW)
    households.join_household(first, child, Relationship.CHILD, FORMED_ON, ACTOR, NOW)
    households.leave_household(child, DepartureReason.MOVED_AWAY, LATER.date(), ACTOR, LATER)
    second = uuid4()
    households.form_household(second, child, LATER.date(), ACTOR, LATER)
    assert households.household_id_of(child) == second


def test_a_household_not_found_names_the_id_asked_for(cases: CaseService) -> None:
    households = HouseholdService(cases.record, cases)
    unknown = UUID(int=0x404)
    with pytest.raises(HouseholdNotFound) as never_recorded:
        households.get(unknown)
    assert never_recorded.value.args == (unknown,)
    case_id = a_case(cases)
    households.form_household(uuid4(), case_id, FORMED_ON, ACTOR, NOW)
    with pytest.raises(HouseholdNotFound) as not_a_household:
        households.get(Membership.id_for(case_id))
    assert not_a_household.value.args == (Membership.id_for(case_id),)
