"""The case assignment service's own answers (issue 20): what an intake saves besides the case,
the position an assignment returns, every stored event field by field, who held a case when (the
intake's recorder by default, read from the intake event), its refusals, and an assignment
decided again after a rival saved first. Over the real in-memory record and the cases context's
service.

DOMAIN.md, "Roles": a case is held by an operator or coordinator of its city; the coordinator
assigns it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.assignment.model import CaseAssignment, Holding
from domain.assignment.service import AssignmentAtIntake, AssignmentService
from domain.cases.rules import CaseOutcome
from domain.cases.service import CaseService
from domain.programme import Actor, ActorKind, City, DomainError, Role
from domain.record import ProgrammeRecord
from infra.store.vault import SqliteVault
from tests.builders import (
    NOW,
    CityStaffList,
    a_coordinator,
    a_person,
    an_intake,
    last_position,
    stored,
)
from tests.unit.test_plan_rules import vault

__all__ = ["vault"]  # the fixture, as a fixture of this module too
OPERATOR = Actor(ActorKind.USER, "firenze.anna", Role.CITY_OPERATOR, City.FIRENZE)
COORDINATOR = a_coordinator(id="firenze.coord")
IMPORT = Actor(ActorKind.SYSTEM, "import", Role.SYSTEM, None)
LATER = NOW + timedelta(days=3)


STAFF = CityStaffList({"firenze.anna": City.FIRENZE, "firenze.bruno": City.FIRENZE,
                   "firenze.coord": City.FIRENZE, "milano.carla": City.MILANO})


@pytest.fixture
def cases(vault: SqliteVault) -> CaseService:
    return CaseService(ProgrammeRecord(), vault, intake_companion=AssignmentAtIntake(STAFF))


@pytest.fixture
def assignments(cases: CaseService) -> AssignmentService:
    return AssignmentService(cases.record, cases, STAFF)


def take_in(cases: CaseService, actor: Actor = OPERATOR, assignee: str | None = None) -> UUID:
    case_id = uuid4()
    cases.record_intake(case_id, an_intake(), a_person(), actor, NOW, assignee=assignee)
    return case_id


def assignment_events(record: ProgrammeRecord, case_id: UUID) -> list[tuple[str, dict[str, Any]]]:
    """The case's assignment as saved: an aggregate of its own, named after the case."""
    return stored(record, CaseAssignment.id_for(case_id))


def test_the_intake_saves_nothing_more_when_its_recorder_keeps_the_case(
    cases: CaseService,
) -> None:
    companion = AssignmentAtIntake(STAFF)
    case = cases.get(take_in(cases))
    assert companion(case, OPERATOR, NOW, None) == ()
    assert companion(case, OPERATOR, NOW, "firenze.anna") == ()
    assert assignment_events(cases.record, case.id) == []


def test_an_intake_given_to_another_opens_the_assignments_and_assigns_in_one_save(
    cases: CaseService,
    assignments: AssignmentService,
) -> None:
    case_id = take_in(cases, COORDINATOR, assignee="firenze.anna")
    code = cases.get(case_id).case_code
    assert assignment_events(cases.record, case_id) == [
        ("Opened", {"case_id": case_id, "city": "firenze", "recorded_by": "firenze.coord",
                    "recorded_at": NOW, "timestamp": NOW}),
        ("Assigned", {"case_id": case_id, "case_code": code, "city": "firenze",
                      "assignee": "firenze.anna", "previous_assignee": "firenze.coord",
                      "actor": COORDINATOR.as_record(), "timestamp": NOW}),
    ]
    assert assignments.history(case_id) == [
        Holding("firenze.coord", City.FIRENZE, NOW, None),
        Holding("firenze.anna", City.FIRENZE, NOW, "firenze.coord"),
    ]


def test_a_case_never_assigned_is_held_by_its_intake_s_recorder_from_the_intake(
    cases: CaseService,
    assignments: AssignmentService,
) -> None:
    by_operator, by_import = take_in(cases), take_in(cases, IMPORT)
    assert assignments.history(by_operator) == [
        Holding("firenze.anna", City.FIRENZE, NOW, None)]
    assert assignments.history(by_import) == [Holding(None, City.FIRENZE, NOW, None)]
    assert assignments.holding_on(by_operator, NOW - timedelta(seconds=1)) is None
    assert assignments.holding_on(by_operator, NOW) == Holding(
        "firenze.anna", City.FIRENZE, NOW, None)
    unknown = uuid4()
    with pytest.raises(LookupError) as not_found:
        assignments.history(unknown)
    assert not_found.value.args == (unknown,)


def test_an_assignment_returns_its_position_and_opens_the_assignments_as_the_intake_left_them(
    cases: CaseService,
    assignments: AssignmentService,
) -> None:
    case_id = take_in(cases)
    code = cases.get(case_id).case_code
    position = assignments.assign(case_id, "firenze.bruno", COORDINATOR, LATER)
    assert position == last_position(cases.record)
    assert assignment_events(cases.record, case_id) == [
        ("Opened", {"case_id": case_id, "city": "firenze", "recorded_by": "firenze.anna",
                    "recorded_at": NOW, "timestamp": LATER}),
        ("Assigned", {"case_id": case_id, "case_code": code, "city": "firenze",
                      "assignee": "firenze.bruno", "previous_assignee": "firenze.anna",
                      "actor": COORDINATOR.as_record(), "timestamp": LATER}),
    ]
    again = assignments.assign(case_id, "firenze.anna", COORDINATOR, LATER + timedelta(days=1))
    assert again == position + 1 == last_position(cases.record)
    assert [h.assignee for h in assignments.history(case_id)] == [
        "firenze.anna", "firenze.bruno", "firenze.anna"]
    assert assignments.holding_on(case_id, LATER).assignee == "firenze.bruno"  # type: ignore[union-attr]


def test_an_assignment_is_refused_for_a_closed_case_a_stranger_or_its_holder(
    cases: CaseService,
    assignments: AssignmentService,
) -> None:
    case_id = take_in(cases)
    for assignee, code in (("milano.carla", "assignee_not_city_staff"),
                           ("firenze.anna", "assignment_already_held")):
        with pytest.raises(DomainError) as refused:
            assignments.assign(case_id, assignee, COORDINATOR, LATER)
        assert (refused.value.code, refused.value.params.get("field")) == (code, "assignee")
    cases.close(case_id, CaseOutcome.AUTONOMY, date(2021, 3, 11), "Autonoma", COORDINATOR,
                NOW + timedelta(days=1))
    written = last_position(cases.record)
    with pytest.raises(DomainError) as closed:
        assignments.assign(case_id, "firenze.bruno", COORDINATOR, LATER)
    assert closed.value.code == "case_closed"
    assert last_position(cases.record) == written
    assert assignment_events(cases.record, case_id) == []
    with pytest.raises(LookupError):
        assignments.assign(uuid4(), "firenze.bruno", COORDINATOR, LATER)


class RivalAssigns:
    """The cases as the service reads them, while a colleague assigns the same case the first
    time the service reads it: the service's save loses, and it decides again."""

    def __init__(self, cases: CaseService) -> None:
        self.cases, self.raced = cases, False

    def get(self, case_id: UUID) -> Any:
        case = self.cases.get(case_id)
        if not self.raced:
            self.raced = True
            AssignmentService(self.cases.record, self.cases, STAFF).assign(
                case_id, "firenze.coord", COORDINATOR, LATER)
        return case


def test_an_assignment_lost_to_a_rival_is_decided_again_on_what_the_rival_left(
    cases: CaseService,
) -> None:
    case_id = take_in(cases)
    racing = AssignmentService(cases.record, RivalAssigns(cases), STAFF)
    racing.assign(case_id, "firenze.bruno", COORDINATOR, LATER)
    assigned = [fields for name, fields in assignment_events(cases.record, case_id)
                if name == "Assigned"]
    assert [(a["assignee"], a["previous_assignee"]) for a in assigned] == [
        ("firenze.coord", "firenze.anna"), ("firenze.bruno", "firenze.coord")]
