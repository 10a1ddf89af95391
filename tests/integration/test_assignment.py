"""Case assignment (issue 16, item 1) against a real SQLite event store and vault: only staff of
the case's city hold a case; the intake's recorder holds it unless the coordinator chose someone
else (in the same save); reassignments are kept, so who held the case is known as of any moment;
a refusal records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.assignment.model import (
    AlreadyHeld,
    AssigneeNotCityStaff,
    CaseAssignment,
    Holding,
)
from domain.assignment.service import AssignmentAtIntake, AssignmentService
from domain.cases.model import CaseClosed
from domain.cases.rules import CaseOutcome
from domain.cases.service import CaseService
from domain.programme import Actor, ActorKind, City, Role
from domain.record import ProgrammeRecord
from infra.publishing.messages import to_message
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import open_vault
from tests.builders import NOW, CityStaffList, a_coordinator, a_person, an_intake

OPERATOR = Actor(ActorKind.USER, "firenze.anna", Role.CITY_OPERATOR, City.FIRENZE)
COORDINATOR = a_coordinator(id="firenze.coord")


STAFF = CityStaffList({"firenze.anna": City.FIRENZE, "firenze.bruno": City.FIRENZE,
                   "firenze.coord": City.FIRENZE, "milano.carla": City.MILANO})


@dataclass
class Services:
    record: ProgrammeRecord
    cases: CaseService
    assignments: AssignmentService


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path)
    record = open_record(settings)
    cases = CaseService(record, open_vault(settings), intake_companion=AssignmentAtIntake(STAFF))
    yield Services(record, cases, AssignmentService(record, cases, STAFF))
    record.close()


def _take_in(services: Services, actor: Actor = OPERATOR, assignee: str | None = None) -> UUID:
    case_id = uuid4()
    services.cases.record_intake(case_id, an_intake(), a_person(), actor, NOW, assignee=assignee)
    return case_id


def _events(record: ProgrammeRecord) -> list[str]:
    return [n.topic.rsplit(":", 1)[1] for n in record.recorder.select_notifications(1, 1000)]


def test_a_new_intake_is_held_by_whoever_recorded_it_with_no_event_of_its_own(
    services: Services,
) -> None:
    case_id = _take_in(services)
    assert services.assignments.history(case_id) == [
        Holding("firenze.anna", City.FIRENZE, NOW, None)]
    # The intake event names its recorder: no assignment event is needed for the default.
    assert "Case.IntakeRecorded" in _events(services.record)
    assert not any("Assign" in e for e in _events(services.record))


def test_the_coordinator_chooses_who_holds_it_at_intake_in_the_same_save(
    services: Services,
) -> None:
    case_id = _take_in(services, COORDINATOR, assignee="firenze.bruno")
    assert services.assignments.history(case_id) == [
        Holding("firenze.coord", City.FIRENZE, NOW, None),
        Holding("firenze.bruno", City.FIRENZE, NOW, "firenze.coord"),
    ]
    notifications = services.record.recorder.select_notifications(1, 100)
    assigned = [n for n in notifications if n.topic.endswith("CaseAssignment.Assigned")]
    intake = [n for n in notifications if n.topic.endswith("Case.IntakeRecorded")]
    assert len(assigned) == 1 and len(intake) == 1
    message = to_message(assigned[0], services.record.mapper)
    assert message.subject == "lgnet.firenze.case.assigned"
    data = message.envelope.data.model_dump()
    assert data == {"case_id": case_id, "case_code": "FI-2021-00001", "city": "firenze",
                    "assignee": "firenze.bruno", "previous_assignee": "firenze.coord"}
    assert message.envelope.actor.id == "firenze.coord"


def test_an_intake_assigned_to_someone_not_of_the_city_is_refused_and_nothing_is_kept(
    services: Services,
) -> None:
    with pytest.raises(AssigneeNotCityStaff):
        _take_in(services, COORDINATOR, assignee="milano.carla")
    assert services.record.recorder.max_notification_id() in (None, 0)


def test_reassignment_is_kept_and_replayable_as_of_any_moment(services: Services) -> None:
    case_id = _take_in(services)
    later, latest = NOW + timedelta(days=3), NOW + timedelta(days=9)
    services.assignments.assign(case_id, "firenze.bruno", COORDINATOR, later)
    services.assignments.assign(case_id, "firenze.coord", COORDINATOR, latest)
    assert [h.assignee for h in services.assignments.history(case_id)] == [
        "firenze.anna", "firenze.bruno", "firenze.coord"]
    held = services.assignments.holding_on
    assert held(case_id, NOW - timedelta(seconds=1)) is None
    assert held(case_id, NOW).assignee == "firenze.anna"  # type: ignore[union-attr]
    assert held(case_id, later - timedelta(microseconds=1)).assignee == "firenze.anna"  # type: ignore[union-attr]
    assert held(case_id, later).assignee == "firenze.bruno"  # type: ignore[union-attr]
    assert held(case_id, latest).assignee == "firenze.coord"  # type: ignore[union-attr]


@pytest.mark.parametrize("assignee", ["milano.carla", "somebody.unknown"])
def test_only_staff_of_the_cases_city_may_hold_it(services: Services, assignee: str) -> None:
    """Issue 16: a case is assigned only to an operator (or coordinator) of its city."""
    case_id = _take_in(services)
    before = services.record.recorder.max_notification_id()
    with pytest.raises(AssigneeNotCityStaff):
        services.assignments.assign(case_id, assignee, COORDINATOR, NOW + timedelta(hours=1))
    assert services.record.recorder.max_notification_id() == before
    assert [h.assignee for h in services.assignments.history(case_id)] == ["firenze.anna"]


def test_assigning_the_case_to_its_holder_or_a_closed_case_is_refused(
    services: Services,
) -> None:
    case_id = _take_in(services)
    with pytest.raises(AlreadyHeld):
        services.assignments.assign(case_id, "firenze.anna", COORDINATOR, NOW)
    services.cases.close(case_id, CaseOutcome.OTHER, NOW.date(), "Moved away", COORDINATOR, NOW)
    with pytest.raises(CaseClosed):
        services.assignments.assign(case_id, "firenze.bruno", COORDINATOR, NOW)


def test_a_case_taken_in_by_a_system_process_is_held_by_nobody(services: Services) -> None:
    system = Actor(ActorKind.SYSTEM, "import", Role.SYSTEM, None)
    case_id = _take_in(services, system)
    assert services.assignments.history(case_id) == [Holding(None, City.FIRENZE, NOW, None)]
    assert CaseAssignment.id_for(case_id) != case_id
