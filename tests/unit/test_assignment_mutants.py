"""Who holds a case (domain/assignment/model.py, issue 20): the default holder from the intake,
the assignments field by field, who held the case at a moment (at the moment itself and just
before), after a transfer nobody of the new city, and each refusal with its code, message and
parameters.

DOMAIN.md, "Who uses it": city coordinators and operators, one city each, record and follow
their own cases; only staff of the case's city may hold one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4, uuid5

import pytest

from domain.assignment.model import CaseAssignment, Holding, default_holder
from domain.programme import Actor, ActorKind, City, DomainError, Role
from tests.builders import NOW, CityStaffList, a_coordinator, recorded

MILAN = a_coordinator(City.MILANO, id="milano-coordinator")
LATER = NOW + timedelta(hours=2)


@dataclass(frozen=True)
class Case:
    id: UUID
    case_code: str
    city: City

    def require_open(self) -> None:
        return None


STAFF = CityStaffList({"anna": City.MILANO, "bruno": City.MILANO, "carla": City.FIRENZE})


def test_the_intake_s_recorder_holds_the_case_when_city_staff_recorded_it() -> None:
    assert default_holder("user", "anna", "city_operator") == "anna"
    assert default_holder("user", "anna", "city_coordinator") == "anna"
    for kind, role in (("system", "city_operator"), ("user", "ministry"),
                       ("user", "auditor"), ("system", "system")):
        assert default_holder(kind, "someone", role) is None


def opened(case_id: UUID, recorded_by: str | None = "anna") -> CaseAssignment:
    assignment = CaseAssignment.open(case_id, City.MILANO, recorded_by, NOW, LATER)
    return assignment


def test_a_case_s_assignments_open_with_the_default_holder_from_the_intake() -> None:
    case_id = uuid4()
    assignment = opened(case_id)
    assert assignment.id == CaseAssignment.id_for(case_id) == uuid5(
        UUID("0c6e4f55-4a8e-4c1b-9d3e-2b7f1d8a6c10"), f"case-assignment/{case_id}")
    assert recorded(assignment) == [("Opened", {
        "timestamp": LATER, "case_id": case_id, "city": "milano", "recorded_by": "anna",
        "recorded_at": NOW})]
    assert assignment.case_id == case_id
    assert assignment.holdings == [Holding("anna", City.MILANO, NOW, None)]
    assert assignment.holder(City.MILANO) == "anna"
    assert assignment.holder(City.FIRENZE) is None
    assert opened(uuid4(), None).holder(City.MILANO) is None


def test_an_assignment_is_recorded_field_by_field_and_held_from_its_moment() -> None:
    case = Case(uuid4(), "MI-2021-00001", City.MILANO)
    assignment = opened(case.id)
    assignment.collect_events()
    assignment.assign(case, "bruno", STAFF, MILAN, LATER)
    assert recorded(assignment) == [("Assigned", {
        "timestamp": LATER, "case_id": case.id, "case_code": "MI-2021-00001", "city": "milano",
        "assignee": "bruno", "previous_assignee": "anna", "actor": MILAN.as_record()})]
    assert assignment.holder(City.MILANO) == "bruno"
    assert assignment.holdings[-1] == Holding("bruno", City.MILANO, LATER, "milano-coordinator")
    # Who held it when: the intake's recorder up to the assignment, then the assignee.
    assert assignment.holding_on(NOW - timedelta(seconds=1)) is None
    assert assignment.holding_on(NOW) == Holding("anna", City.MILANO, NOW, None)
    assert assignment.holding_on(LATER - timedelta(seconds=1)).assignee == "anna"  # type: ignore[union-attr]
    assert assignment.holding_on(LATER).assignee == "bruno"  # type: ignore[union-attr]
    assert assignment.holding_on(LATER + timedelta(days=9)).assignee == "bruno"  # type: ignore[union-attr]


def test_after_a_transfer_nobody_of_the_new_city_holds_the_case_until_assigned() -> None:
    case = Case(uuid4(), "MI-2021-00001", City.MILANO)
    assignment = opened(case.id)
    transferred = Case(case.id, "MI-2021-00001", City.FIRENZE)
    assert assignment.holder(City.FIRENZE) is None
    florence = a_coordinator(City.FIRENZE, id="firenze-coordinator")
    assignment.collect_events()
    assignment.assign(transferred, "carla", STAFF, florence, LATER)
    assert recorded(assignment)[0][1]["previous_assignee"] is None
    assert (assignment.holder(City.FIRENZE), assignment.holder(City.MILANO)) == ("carla", None)
    assert assignment.holding_on(LATER).city == City.FIRENZE  # type: ignore[union-attr]


def test_only_the_city_s_staff_may_hold_a_case_and_not_twice_in_a_row() -> None:
    case = Case(uuid4(), "MI-2021-00001", City.MILANO)
    assignment = opened(case.id)
    assignment.collect_events()
    with pytest.raises(DomainError) as refused:
        assignment.assign(case, "carla", STAFF, MILAN, LATER)
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "assignee_not_city_staff",
        "Only an operator or coordinator of the case's city can be assigned the case.",
        {"field": "assignee", "assignee": "carla", "city": "milano"})
    with pytest.raises(DomainError) as refused:
        assignment.assign(case, "anna", STAFF, MILAN, LATER)
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "assignment_already_held", "The case is already assigned to this person.",
        {"field": "assignee", "assignee": "anna"})
    assert recorded(assignment) == []
    system = Actor(ActorKind.SYSTEM, "import", Role.SYSTEM)
    assignment.assign(case, "bruno", STAFF, system, LATER)
    assert assignment.holdings[-1].assigned_by == "import"
