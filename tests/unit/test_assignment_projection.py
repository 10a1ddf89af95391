"""The assignment read model from published events alone: a case is held by whoever recorded its
intake (when city staff did) until a `case.assigned` says otherwise, so histories recorded
before assignments existed (here, an intake stored as v1 and upcast) read the same; a transfer
leaves it with nobody in its new city; its staff's work keeps it active, a system job's does
not."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

from events.assignment import CaseAssignedV1
from events.cloudevents import Actor, Envelope
from events.contracts import CaseAgeBandChangedV1, CaseTransferredV1, EventContract
from projections.assignment import AssignmentProjection, AssignmentQueries
from projections.projection import Delivered, apply_batch
from projections.storage.read_models import SqliteReadModels
from tests.read_models import read_models_fixture
from tests.unit.test_projections import EVENT_TIME, an_envelope, an_intake_recorded

CASE = UUID(int=1)
COORDINATOR = Actor(kind="user", id="firenze.coord", role="city_coordinator", city="firenze")
SYSTEM = Actor(kind="system", id="age-job", role="system", city=None)


database = read_models_fixture(AssignmentProjection)


def _later(envelope: Envelope, data: EventContract, position: int, hours: int, actor: Actor
           ) -> Envelope:
    return replace(envelope, data=data, position=position, actor=actor,
                   time=EVENT_TIME + timedelta(hours=hours), type="x")


def test_an_old_intake_is_held_by_its_recorder_then_by_whom_it_is_assigned_to(
    database: SqliteReadModels,
) -> None:
    intake = an_envelope(an_intake_recorded(1), 1)  # v1, upcast: recorded by coordinator-1
    assigned = _later(intake, CaseAssignedV1(
        case_id=CASE, case_code="FI-2021-00001", city="firenze", assignee="firenze.anna",
        previous_assignee="coordinator-1"), 2, 24, COORDINATOR)
    aged = _later(intake, CaseAgeBandChangedV1(
        case_id=CASE, case_code="FI-2021-00001", city="firenze", from_month="2021-05",
        age_band="35-64", previous_age_band="18-34", reason="birthday"), 3, 48, SYSTEM)
    moved = _later(intake, CaseTransferredV1(
        case_id=CASE, case_code="FI-2021-00001", city="milano", from_city="firenze",
        referral_id=UUID(int=9), transferred_on=EVENT_TIME.date()), 4, 72, COORDINATOR)
    queries = AssignmentQueries(database)

    apply_batch(database, AssignmentProjection(), [Delivered(1, intake)])
    row = queries.holder(CASE)
    assert row is not None and (row.holder, row.since) == ("coordinator-1", EVENT_TIME)

    apply_batch(database, AssignmentProjection(), [Delivered(2, assigned), Delivered(3, aged)])
    row = queries.holder(CASE)
    assert row is not None and row.holder == "firenze.anna"
    assert row.last_activity == EVENT_TIME + timedelta(hours=24)  # not the age job's
    assert queries.held_by("firenze", "firenze.anna") == [CASE]

    apply_batch(database, AssignmentProjection(), [Delivered(4, moved)])
    assert [(h.city, h.holder, h.assigned_by) for h in queries.history(CASE)] == [
        ("firenze", "coordinator-1", None), ("firenze", "firenze.anna", "firenze.coord"),
        ("milano", None, None)]
    assert queries.held_by("firenze", "firenze.anna") == []
    row = queries.holder(CASE)
    assert row is not None and (row.city, row.holder) == ("milano", None)


def test_a_case_inactive_for_the_set_days_is_due_then_and_not_a_moment_before(
    database: SqliteReadModels,
) -> None:
    apply_batch(database, AssignmentProjection(),
                [Delivered(1, an_envelope(an_intake_recorded(1), 1))])
    queries = AssignmentQueries(database, inactive_after=timedelta(days=10))
    due = EVENT_TIME + timedelta(days=10)
    assert [i.due for i in queries.work_items("firenze", due)] == [due]
    assert queries.work_items("firenze", due - timedelta(microseconds=1)) == []
    assert queries.work_items("milano", due + timedelta(days=100)) == []
