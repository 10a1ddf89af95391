"""The assignment read model (projections/assignment.py) on SQLite, as the mutation pass of issue 20
holds it (docs/testing.md, "Projections pass, part 3"): each case's holder row field by field
after every event that changes it, its holdings entry by entry, the staff's activity (city staff
only, the latest only, a case named among several), events in one batch or one by one giving the
same rows, the queries' orders, the work items at their due moment and one microsecond before,
redeliveries changing nothing.

Rules encoded (/work/shared/design/DOMAIN.md, "Who uses it": city coordinators and operators, one
city each, record and follow their own cases; "Closure": a case ends, it can be reopened): a case
is held by the city staff member who recorded its intake until it is assigned, a transfer leaves
it with nobody in its new city, only the city's staff's work keeps a case active, and a closed
case is no work item."""

from __future__ import annotations

import time as clock
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID

import pytest

from events.activities import ActivitySessionHeldV1
from events.assignment import CaseAssignedV1
from events.cloudevents import Actor, Envelope, utc_text
from events.contracts import CaseIntakeRecordedV2, EventContract
from projections.assignment import (
    CASE_INACTIVE,
    AssignmentProjection,
    AssignmentQueries,
    HolderRow,
    HoldingRow,
)
from projections.projection import Delivered, WorkItem, apply_batch, ensure_created, reset
from projections.storage.read_models import SqliteReadModels
from tests.case_events import case, closed, code, reopened, transferred
from tests.read_models import an_envelope, read_models_fixture
from tests.unit.test_projection_case_list_mutants import a_plain_intake

T0 = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)
OPERATOR = Actor(kind="user", id="firenze.op", role="city_operator", city="firenze")
COORDINATOR = Actor(kind="user", id="firenze.coord", role="city_coordinator", city="firenze")
MILANO = Actor(kind="user", id="milano.coord", role="city_coordinator", city="milano")
MINISTRY = Actor(kind="user", id="min.officer", role="ministry_officer", city=None)
SYSTEM = Actor(kind="system", id="scheduler", role="system", city=None)
# A system job that says it has a city role: still not the city's staff (its kind decides).
SYSTEM_AS_CITY = Actor(kind="system", id="job", role="city_operator", city="firenze")


database = read_models_fixture(AssignmentProjection)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def intake(number: int = 1, city: str = "firenze") -> CaseIntakeRecordedV2:
    return a_plain_intake(number, city)


def assigned(number: int, assignee: str, city: str = "firenze") -> CaseAssignedV1:
    return CaseAssignedV1(case_id=case(number), case_code=code(number), city=city,
                          assignee=assignee, previous_assignee=None)


def session(*numbers: int) -> ActivitySessionHeldV1:
    return ActivitySessionHeldV1(
        activity_id=UUID(int=800), city="firenze", sub_action="5", session_number=1,
        held_on=date(2021, 3, 11), hours=Decimal("2.00"), case_ids=[case(n) for n in numbers],
        residents=0)


def envelope(data: EventContract, position: int, when: datetime = T0,
             actor: Actor = COORDINATOR) -> Envelope:
    return an_envelope(data, position, time=when, actor=actor)


def project(database: SqliteReadModels, *envelopes: Envelope, first: int = 1) -> None:
    apply_batch(database, AssignmentProjection(),
                [Delivered(n, e) for n, e in enumerate(envelopes, start=first)])


def row_of(database: SqliteReadModels, number: int = 1) -> HolderRow:
    row = AssignmentQueries(database).holder(case(number))
    assert row is not None
    return row


def test_an_intake_by_a_city_operator_is_held_by_that_operator(
    database: SqliteReadModels,
) -> None:
    project(database, envelope(intake(1), 7, at(0), OPERATOR))
    assert row_of(database) == HolderRow(
        case_id=case(1), case_code="FI-2021-00001", city="firenze", holder="firenze.op",
        since=T0, open=True, last_activity=T0)
    assert AssignmentQueries(database).history(case(1)) == [
        HoldingRow(position=7, city="firenze", holder="firenze.op", since=T0, assigned_by=None)]


@pytest.mark.parametrize("actor", [SYSTEM, MINISTRY, SYSTEM_AS_CITY])
def test_an_intake_recorded_by_anyone_but_city_staff_is_held_by_nobody(
    database: SqliteReadModels, actor: Actor,
) -> None:
    project(database, envelope(intake(1), 1, at(0), actor))
    row = row_of(database)
    assert (row.holder, row.since, row.last_activity) == (None, T0, T0)
    assert AssignmentQueries(database).history(case(1)) == [
        HoldingRow(1, "firenze", None, T0, None)]


def test_each_event_changes_the_row_as_it_should(database: SqliteReadModels) -> None:
    queries = AssignmentQueries(database)
    project(database, envelope(intake(1), 1, at(0), OPERATOR))

    project(database, envelope(assigned(1, "firenze.anna"), 2, at(1)), first=2)
    assert row_of(database) == HolderRow(case(1), "FI-2021-00001", "firenze", "firenze.anna",
                                         at(1), True, at(1))

    project(database, envelope(closed(1), 3, at(2)), first=3)
    assert row_of(database) == HolderRow(case(1), "FI-2021-00001", "firenze", "firenze.anna",
                                         at(1), False, at(2))

    project(database, envelope(reopened(1), 4, at(3)), first=4)
    assert row_of(database) == HolderRow(case(1), "FI-2021-00001", "firenze", "firenze.anna",
                                         at(1), True, at(3))

    project(database, envelope(transferred(1), 5, at(4)), first=5)
    assert row_of(database) == HolderRow(case(1), "FI-2021-00001", "milano", None, at(4), True,
                                         at(4))

    project(database, envelope(assigned(1, "milano.bea", "milano"), 6, at(5), MILANO), first=6)
    assert row_of(database) == HolderRow(case(1), "FI-2021-00001", "milano", "milano.bea",
                                         at(5), True, at(5))
    assert queries.history(case(1)) == [
        HoldingRow(1, "firenze", "firenze.op", at(0), None),
        HoldingRow(2, "firenze", "firenze.anna", at(1), "firenze.coord"),
        HoldingRow(5, "milano", None, at(4), None),
        HoldingRow(6, "milano", "milano.bea", at(5), "milano.coord"),
    ]
    # Re-delivered: nothing changes.
    project(database, envelope(closed(1), 3, at(9)), envelope(assigned(1, "x.y"), 4, at(9)),
            first=3)
    assert row_of(database) == HolderRow(case(1), "FI-2021-00001", "milano", "milano.bea",
                                         at(5), True, at(5))
    assert len(queries.history(case(1))) == 4


def test_one_batch_gives_the_rows_of_one_event_at_a_time(tmp_path: Path) -> None:
    events = [envelope(intake(1), 1, at(0), OPERATOR), envelope(intake(2), 2, at(0), OPERATOR),
              envelope(assigned(1, "firenze.anna"), 3, at(1)),
              envelope(session(1, 2), 4, at(2)),
              envelope(closed(2), 5, at(3)), envelope(transferred(1), 6, at(4)),
              envelope(reopened(2), 7, at(5), SYSTEM)]
    results = []
    for name, batches in (("one", [events]), ("each", [[e] for e in events])):
        db = SqliteReadModels(tmp_path / f"{name}.sqlite")
        ensure_created(db, AssignmentProjection())
        for batch in batches:
            apply_batch(db, AssignmentProjection(),
                        [Delivered(e.position, e) for e in batch])
        queries = AssignmentQueries(db)
        results.append(([queries.holder(case(n)) for n in (1, 2)],
                        [queries.history(case(n)) for n in (1, 2)]))
        db.close()
    assert results[0] == results[1]
    holders, histories = results[0]
    assert holders == [
        HolderRow(case(1), "FI-2021-00001", "milano", None, at(4), True, at(4)),
        HolderRow(case(2), "FI-2021-00002", "firenze", "firenze.op", at(0), True, at(3)),
    ]
    assert histories[1] == [HoldingRow(2, "firenze", "firenze.op", at(0), None)]


def test_only_the_city_staffs_work_keeps_a_case_active(database: SqliteReadModels) -> None:
    project(database, envelope(intake(1), 1, at(0)))
    project(database, envelope(session(1), 2, at(5), SYSTEM),
            envelope(session(1), 3, at(6), MINISTRY),
            envelope(session(1), 4, at(7), SYSTEM_AS_CITY), first=2)
    assert row_of(database).last_activity == at(0)
    project(database, envelope(session(1), 5, at(8), OPERATOR), first=5)
    assert row_of(database).last_activity == at(8)


def test_the_latest_work_counts_whatever_the_order_it_arrives_in(
    database: SqliteReadModels,
) -> None:
    project(database, envelope(intake(1), 1, at(0)), envelope(intake(2), 2, at(0)))
    # Later first, then earlier, in one batch; then earlier again in another.
    project(database, envelope(session(1, 2), 3, at(10)), envelope(session(1), 4, at(5)),
            first=3)
    assert row_of(database, 1).last_activity == at(10)
    assert row_of(database, 2).last_activity == at(10)
    project(database, envelope(session(2), 5, at(7)), first=5)
    assert row_of(database, 2).last_activity == at(10)


def test_work_before_a_cases_intake_in_the_batch_is_applied_where_it_was(
    database: SqliteReadModels,
) -> None:
    # Case 1 unknown before the batch: the work before its intake finds no row, as it would one
    # event at a time, and is not applied after the intake.
    project(database, envelope(session(1), 1, at(5)), envelope(intake(1), 2, at(0)))
    assert row_of(database, 1).last_activity == at(0)
    # Case 2 known: work, then its intake delivered again under another position; the work is
    # applied, the repeated intake changes nothing.
    project(database, envelope(intake(2), 3, at(0)), first=3)
    project(database, envelope(session(2), 4, at(6)), envelope(intake(2), 5, at(1), SYSTEM),
            first=4)
    assert row_of(database, 2) == HolderRow(case(2), "FI-2021-00002", "firenze",
                                            "firenze.coord", at(0), True, at(6))
    assert AssignmentQueries(database).history(case(2)) == [
        HoldingRow(3, "firenze", "firenze.coord", at(0), None),
        HoldingRow(5, "firenze", None, at(1), None)]


def test_an_event_naming_no_case_changes_nothing(database: SqliteReadModels) -> None:
    project(database, envelope(intake(1), 1, at(0)))
    # Not an event contract: a body with a city and nothing else.
    nameless = replace(envelope(intake(1), 2, at(5)),
                       data=SimpleNamespace(city="firenze"))  # type: ignore[arg-type]
    project(database, nameless, first=2)
    assert row_of(database).last_activity == at(0)


def test_instants_are_stored_in_utc_whatever_the_zones(
    database: SqliteReadModels, monkeypatch: pytest.MonkeyPatch,
) -> None:
    rome = timezone(timedelta(hours=1))
    assert utc_text(datetime(2021, 3, 10, 10, 30, tzinfo=rome)) == (
        "2021-03-10T09:30:00.000000+00:00")
    monkeypatch.setenv("TZ", "Europe/Rome")
    clock.tzset()
    try:
        assert utc_text(T0) == "2021-03-10T09:30:00.000000+00:00"
    finally:
        monkeypatch.undo()
        clock.tzset()
    project(database, envelope(intake(1), 1, datetime(2021, 3, 10, 10, 30, tzinfo=rome)))
    with database.reading() as tx:
        assert tx.fetchone("SELECT since, last_activity FROM rm_case_holders") == (
            "2021-03-10T09:30:00.000000+00:00", "2021-03-10T09:30:00.000000+00:00")


def test_holders_of_many_cases_in_chunks(database: SqliteReadModels) -> None:
    project(database, envelope(intake(5), 1, at(0), OPERATOR),
            envelope(intake(1100), 2, at(0), SYSTEM),
            envelope(intake(1150), 3, at(0), OPERATOR), envelope(intake(1), 4, at(0)))
    queries = AssignmentQueries(database)
    assert queries.holder(case(6)) is None
    assert queries.holders([]) == {}
    wanted = [case(n) for n in range(1, 1201)] + [case(5)]
    # The first of the first chunk, and cases of the third.
    assert queries.holders(wanted) == {case(1): "firenze.coord", case(5): "firenze.op",
                                       case(1100): None, case(1150): "firenze.op"}
    assert queries.holders([case(1150)]) == {case(1150): "firenze.op"}


def test_cases_held_by_someone_in_a_city_by_case_code(database: SqliteReadModels) -> None:
    project(database, envelope(intake(3), 1, at(0), OPERATOR),
            envelope(intake(1), 2, at(0), OPERATOR), envelope(intake(2), 3, at(0), COORDINATOR),
            envelope(intake(4), 4, at(0), OPERATOR), envelope(closed(4), 5, at(1)),
            envelope(transferred(3), 6, at(2)))
    queries = AssignmentQueries(database)
    assert queries.held_by("firenze", "firenze.op") == [case(1), case(4)]  # closed ones too
    assert queries.held_by("firenze", "firenze.coord") == [case(2)]
    assert queries.held_by("milano", "firenze.op") == []
    assert queries.history(case(9)) == []


def test_work_items_are_due_when_inactive_for_the_set_time_and_not_a_moment_before(
    database: SqliteReadModels,
) -> None:
    project(database, envelope(intake(2), 1, at(0)), envelope(intake(1), 2, at(0)),
            envelope(intake(3), 3, at(-1)), envelope(intake(4), 4, at(-2)),
            envelope(closed(4), 5, at(-3), SYSTEM),
            envelope(intake(5, "milano"), 6, at(-5), MILANO))
    queries = AssignmentQueries(database)  # the default: 30 days
    due = T0 + timedelta(days=30)
    assert queries.work_items("firenze", due) == [
        WorkItem(kind=CASE_INACTIVE, city="firenze", due=due - timedelta(hours=1),
                 case_id=case(3), case_code="FI-2021-00003", subject_id=case(3)),
        WorkItem(kind="case_inactive", city="firenze", due=due, case_id=case(1),
                 case_code="FI-2021-00001", subject_id=case(1)),
        WorkItem(kind="case_inactive", city="firenze", due=due, case_id=case(2),
                 case_code="FI-2021-00002", subject_id=case(2)),
    ]
    assert [i.case_id for i in queries.work_items("firenze", due - timedelta(microseconds=1))
            ] == [case(3)]
    assert queries.work_items("firenze", due - timedelta(hours=1, microseconds=1)) == []
    short = AssignmentQueries(database, inactive_after=timedelta(days=2))
    assert [i.due for i in short.work_items("firenze", T0 + timedelta(days=2))] == [
        T0 + timedelta(days=2, hours=-1), T0 + timedelta(days=2), T0 + timedelta(days=2)]
    # Reopened: an item again.
    project(database, envelope(reopened(4), 7, at(-1.5), SYSTEM), first=7)
    assert [i.case_id for i in queries.work_items("firenze", due)] == [
        case(4), case(3), case(1), case(2)]


def test_a_reset_empties_the_model(database: SqliteReadModels) -> None:
    project(database, envelope(intake(1), 1, at(0)))
    reset(database, AssignmentProjection())
    assert AssignmentQueries(database).holder(case(1)) is None
    assert AssignmentQueries(database).history(case(1)) == []


def test_one_event_applied_alone_is_applied(database: SqliteReadModels) -> None:
    with database.transaction() as tx:
        AssignmentProjection().apply(tx, envelope(intake(1), 1, at(0), OPERATOR))
    with database.transaction() as tx:
        AssignmentProjection().apply(tx, envelope(assigned(1, "firenze.anna"), 2, at(1)))
    assert row_of(database) == HolderRow(case(1), "FI-2021-00001", "firenze", "firenze.anna",
                                         at(1), True, at(1))
