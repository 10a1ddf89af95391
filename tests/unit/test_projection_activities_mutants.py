"""The activity register (projections/activities.py) on SQLite, as the mutation pass of issue 20
holds it (docs/testing.md, "Projections pass, part 3"): each activity's row field by field after
every event that changes it (and `last_position`), the participants and sessions of an activity
in their order, the staff-trained count replaced by a later one, the register's filter, order
and totals per sub-action (zeros printed as `0.00`), the activities of a case, events delivered
again changing nothing, and a reset emptying the model.

Rules encoded (/work/shared/design/DOMAIN.md, "The work the platform records", community
activity): an activity is planned, held in sessions attended by enrolled beneficiaries and
counted residents, with hours; hours are decimals (never floats) and a beneficiary enrolled in
two activities counts once among a sub-action's beneficiaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from events.activities import (
    ActivityCancelledV1,
    ActivityCompletedV1,
    ActivityParticipantEnrolledV1,
    ActivityPlannedV1,
    ActivitySessionHeldV1,
    ActivityStaffTrainedCountedV1,
)
from events.cloudevents import Actor, Envelope
from events.contracts import EventContract
from projections.activities import (
    ActivityDetail,
    ActivityRegisterProjection,
    ActivityRegisterQueries,
    ActivitySummary,
    ParticipantRow,
    SessionRow,
    SubActionTotals,
)
from projections.projection import reset
from projections.storage.read_models import SqliteReadModels
from tests.read_models import Feed, an_envelope, feed_fixture, read_models_fixture

T0 = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)
COORDINATOR = Actor(kind="user", id="milano.coord", role="city_coordinator", city="milano")
ORTI = UUID(int=1)
CASE_A, CASE_B, CASE_C = UUID(int=101), UUID(int=102), UUID(int=103)


def envelope_of(data: EventContract, position: int) -> Envelope:
    """Each event recorded one hour after the one before it."""
    return an_envelope(data, position, time=T0 + timedelta(hours=position), actor=COORDINATOR)


database = read_models_fixture(ActivityRegisterProjection)


feed = feed_fixture(ActivityRegisterProjection, envelope_of)


def planned(activity: UUID = ORTI, city: str = "milano", sub_action: str = "2",
            **overrides: Any) -> ActivityPlannedV1:
    fields: dict[str, Any] = {
        "activity_id": activity, "city": city, "sub_action": sub_action,
        "kind": "civic_engagement_initiative", "title": "Orti condivisi",
        "neighbourhood": "Quarto Oggiaro", "starts_on": date(2021, 3, 1),
        "ends_on": date(2021, 6, 30), "organiser": "Ufficio Cittadinanza Attiva",
    }
    return ActivityPlannedV1(**fields | overrides)


def enrolled(case: UUID, activity: UUID = ORTI, sub_action: str = "2",
             city: str = "milano") -> ActivityParticipantEnrolledV1:
    return ActivityParticipantEnrolledV1(
        activity_id=activity, city=city, sub_action=sub_action,  # type: ignore[arg-type]
        kind="civic_engagement_initiative", case_id=case,
        case_code=f"MI-2021-{case.int:05d}")


def session(number: int, hours: str, cases: tuple[UUID, ...] = (), residents: int = 0,
            activity: UUID = ORTI, sub_action: str = "2") -> ActivitySessionHeldV1:
    return ActivitySessionHeldV1(
        activity_id=activity, city="milano", sub_action=sub_action,  # type: ignore[arg-type]
        session_number=number, held_on=date(2021, 3, number), hours=Decimal(hours),
        case_ids=list(cases), residents=residents)


def detail(database: SqliteReadModels, activity: UUID = ORTI) -> ActivityDetail:
    found = ActivityRegisterQueries(database).activity(activity)
    assert found is not None
    return found


def last_position(database: SqliteReadModels, activity: UUID = ORTI) -> int:
    with database.reading() as tx:
        row = tx.fetchone("SELECT last_position FROM rm_activities WHERE activity_id = ?",
                          (str(activity),))
    assert row is not None
    return int(row[0])


def the_planned_summary(**changes: Any) -> ActivitySummary:
    summary = ActivitySummary(
        activity_id=ORTI, city="milano", sub_action="2", kind="civic_engagement_initiative",
        title="Orti condivisi", neighbourhood="Quarto Oggiaro", starts_on=date(2021, 3, 1),
        ends_on=date(2021, 6, 30), organiser="Ufficio Cittadinanza Attiva", status="planned",
        planned_at=T0 + timedelta(hours=1), sessions=0, participants=0, residents=0,
        hours=Decimal("0.00"), completed_on=None, cancellation_reason=None)
    return ActivitySummary(**summary.__dict__ | changes)


def test_a_planned_activity_reads_back_field_by_field_open_and_empty(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned())

    found = detail(database)
    assert found.summary == the_planned_summary()
    assert str(found.summary.hours) == "0.00"
    assert found.summary.planned_at.tzinfo is not None
    assert found.summary.is_open is True
    assert found.city == "milano"
    assert found.participants == ()
    assert found.sessions == ()
    assert found.staff_trained is None
    assert found.is_enrolled(CASE_A) is False
    assert last_position(database) == 1
    assert ActivityRegisterQueries(database).activity(UUID(int=2)) is None


def test_enrolments_count_the_participants_in_the_order_enrolled(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned())
    feed(enrolled(CASE_B))
    assert detail(database).summary.participants == 1
    assert last_position(database) == 2
    feed(enrolled(CASE_A))

    found = detail(database)
    assert found.summary == the_planned_summary(participants=2)
    assert last_position(database) == 3
    assert found.participants == (
        ParticipantRow(CASE_B, "MI-2021-00102", T0 + timedelta(hours=2), 0, Decimal("0.00")),
        ParticipantRow(CASE_A, "MI-2021-00101", T0 + timedelta(hours=3), 0, Decimal("0.00")),
    )
    assert [str(p.hours) for p in found.participants] == ["0.00", "0.00"]
    assert found.is_enrolled(CASE_A) is True
    assert found.is_enrolled(CASE_C) is False


def test_sessions_add_their_hours_residents_and_attendance_as_decimals(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned(), enrolled(CASE_A), enrolled(CASE_B), enrolled(CASE_C))
    feed(session(1, "1.50", (CASE_A, CASE_B), residents=4))

    found = detail(database)
    assert found.summary == the_planned_summary(participants=3, sessions=1, residents=4,
                                                hours=Decimal("1.50"))
    assert last_position(database) == 5
    by_case = {p.case_id: p for p in found.participants}
    assert (by_case[CASE_A].sessions_attended, by_case[CASE_A].hours) == (1, Decimal("1.50"))
    assert (by_case[CASE_B].sessions_attended, by_case[CASE_B].hours) == (1, Decimal("1.50"))
    assert (by_case[CASE_C].sessions_attended, str(by_case[CASE_C].hours)) == (0, "0.00")

    # Ten sessions of 0.10 hours: a float sum would not make exactly 1.00.
    for number in range(2, 12):
        feed(session(number, "0.10", (CASE_A,), residents=1))
    found = detail(database)
    assert found.summary.sessions == 11
    assert found.summary.residents == 14
    assert str(found.summary.hours) == "2.50"
    by_case = {p.case_id: p for p in found.participants}
    assert (by_case[CASE_A].sessions_attended, str(by_case[CASE_A].hours)) == (11, "2.50")
    assert (by_case[CASE_B].sessions_attended, str(by_case[CASE_B].hours)) == (1, "1.50")
    assert (by_case[CASE_C].sessions_attended, str(by_case[CASE_C].hours)) == (0, "0.00")
    assert last_position(database) == 15
    assert found.sessions[0] == SessionRow(1, date(2021, 3, 1), Decimal("1.50"), 4,
                                           (CASE_A, CASE_B))
    assert found.sessions[1] == SessionRow(2, date(2021, 3, 2), Decimal("0.10"), 1, (CASE_A,))
    assert [s.session_number for s in found.sessions] == list(range(1, 12))


def test_a_session_nobody_enrolled_attended_counts_its_hours_and_residents_only(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned(), enrolled(CASE_A))
    feed(session(1, "2.00", (), residents=7))

    found = detail(database)
    assert found.summary == the_planned_summary(participants=1, sessions=1, residents=7,
                                                hours=Decimal("2.00"))
    assert last_position(database) == 3
    assert found.sessions == (SessionRow(1, date(2021, 3, 1), Decimal("2.00"), 7, ()),)
    assert (found.participants[0].sessions_attended, str(found.participants[0].hours)) == (
        0, "0.00")


def test_sessions_are_listed_by_number_whatever_order_they_arrive_in(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned(), enrolled(CASE_A))
    feed(session(3, "1.00", (CASE_A,)))
    feed(session(1, "2.00", (CASE_A,)))
    feed(session(2, "0.50"))

    found = detail(database)
    assert [s.session_number for s in found.sessions] == [1, 2, 3]
    assert [s.hours for s in found.sessions] == [Decimal("2.00"), Decimal("0.50"),
                                                 Decimal("1.00")]
    assert found.summary.hours == Decimal("3.50")


def test_a_session_of_an_activity_never_planned_is_kept_and_changes_no_activity(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned())
    feed(session(1, "1.25", (CASE_A,), activity=UUID(int=9)))

    assert detail(database).summary == the_planned_summary()
    assert last_position(database) == 1
    assert ActivityRegisterQueries(database).activity(UUID(int=9)) is None
    with database.reading() as tx:
        rows = tx.fetchall("SELECT activity_id, session_number, hours, attended, position"
                           " FROM rm_activity_sessions")
    assert rows == [(str(UUID(int=9)), 1, "1.25", str(CASE_A), 2)]


def test_completion_sets_status_and_day_and_keeps_the_rest(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned(), enrolled(CASE_A), session(1, "1.00", (CASE_A,), residents=2))
    feed(ActivityCompletedV1(activity_id=ORTI, city="milano", sub_action="2",
                             completed_on=date(2021, 6, 30), sessions=1))

    found = detail(database)
    assert found.summary == the_planned_summary(
        status="completed", completed_on=date(2021, 6, 30), participants=1, sessions=1,
        residents=2, hours=Decimal("1.00"))
    assert found.summary.is_open is False
    assert last_position(database) == 4


def test_cancellation_sets_status_and_reason_and_keeps_the_rest(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned(), enrolled(CASE_A))
    feed(ActivityCancelledV1(activity_id=ORTI, city="milano", sub_action="2",
                             reason="Sede non disponibile"))

    found = detail(database)
    assert found.summary == the_planned_summary(
        status="cancelled", cancellation_reason="Sede non disponibile", participants=1)
    assert found.summary.is_open is False
    assert last_position(database) == 3


def counted(staff: int, activity: UUID = ORTI) -> ActivityStaffTrainedCountedV1:
    return ActivityStaffTrainedCountedV1(activity_id=activity, city="milano", sub_action="5",
                                         staff_trained=staff)


def test_a_later_staff_count_replaces_the_earlier_one_and_only_for_its_activity(
    database: SqliteReadModels, feed: Feed
) -> None:
    other = UUID(int=2)
    feed(planned(sub_action="5", kind="staff_training"),
         planned(other, sub_action="5", kind="staff_training", title="Formazione"))
    feed(counted(12))
    assert detail(database).staff_trained == 12
    assert detail(database, other).staff_trained is None
    feed(counted(9))
    feed(counted(4, other))

    assert detail(database).staff_trained == 9
    assert detail(database, other).staff_trained == 4
    with database.reading() as tx:
        rows = tx.fetchall("SELECT activity_id, staff_trained, position"
                           " FROM rm_activity_staff_trained ORDER BY position")
    assert rows == [(str(ORTI), 9, 4), (str(other), 4, 5)]


def test_events_delivered_again_change_nothing(database: SqliteReadModels, feed: Feed) -> None:
    first = feed(planned(), enrolled(CASE_A))
    second = feed(session(1, "1.00", (CASE_A,), residents=3), counted(2))
    before = detail(database)

    feed.again(first)
    feed.again(first + second)

    assert detail(database) == before
    assert before.summary == the_planned_summary(participants=1, sessions=1, residents=3,
                                                 hours=Decimal("1.00"))
    assert last_position(database) == 3


def test_a_replanned_activity_keeps_its_first_plan_and_figures(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned(), enrolled(CASE_A), session(1, "1.00", (CASE_A,), residents=3))
    feed(planned(title="Altro titolo", city="torino"))

    found = detail(database)
    assert found.summary == the_planned_summary(participants=1, sessions=1, residents=3,
                                                hours=Decimal("1.00"))
    assert last_position(database) == 3


def test_a_session_delivered_again_keeps_its_first_row(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned())
    feed(session(1, "1.00", residents=3))
    feed(session(1, "2.00", (CASE_A,), residents=5))

    assert detail(database).sessions == (SessionRow(1, date(2021, 3, 1), Decimal("1.00"), 3,
                                                    ()),)


def register_of(database: SqliteReadModels, city: str = "milano",
                sub_action: str | None = None) -> Any:
    return ActivityRegisterQueries(database).register(city, sub_action)


def test_the_register_lists_the_latest_start_first_then_by_title_and_totals_each_sub_action(
    database: SqliteReadModels, feed: Feed
) -> None:
    orti, murales, corso, torino = UUID(int=1), UUID(int=2), UUID(int=3), UUID(int=4)
    feed(planned(orti, title="Orti condivisi", starts_on=date(2021, 3, 1)),
         planned(murales, title="Murales", starts_on=date(2021, 3, 1)),
         planned(corso, sub_action="5", kind="staff_training", title="Corso",
                 starts_on=date(2021, 4, 1)),
         planned(torino, city="torino", title="Altrove"))
    feed(enrolled(CASE_A, orti), enrolled(CASE_B, orti), enrolled(CASE_A, murales),
         enrolled(CASE_C, corso, sub_action="5"), enrolled(CASE_B, torino, city="torino"))
    feed(session(1, "1.50", (CASE_A, CASE_B), residents=4, activity=orti),
         session(1, "0.25", (CASE_A,), residents=1, activity=murales),
         session(1, "3.00", (CASE_C,), residents=0, activity=corso, sub_action="5"),
         session(2, "1.00", (), residents=2, activity=corso, sub_action="5"),
         session(1, "9.00", (CASE_B,), residents=9, activity=torino))

    register = register_of(database)
    assert register.city == "milano"
    assert register.sub_action is None
    assert [a.activity_id for a in register.activities] == [corso, murales, orti]
    assert register.totals == (
        SubActionTotals(sub_action="2", activities=2, beneficiaries=2, residents=5,
                        hours=Decimal("1.75"), participant_hours=Decimal("3.25")),
        SubActionTotals(sub_action="5", activities=1, beneficiaries=1, residents=2,
                        hours=Decimal("4.00"), participant_hours=Decimal("3.00")),
        SubActionTotals(sub_action=None, activities=3, beneficiaries=3, residents=7,
                        hours=Decimal("5.75"), participant_hours=Decimal("6.25")),
    )

    only_2 = register_of(database, sub_action="2")
    assert only_2.sub_action == "2"
    assert [a.activity_id for a in only_2.activities] == [murales, orti]
    assert only_2.totals == (
        SubActionTotals(sub_action="2", activities=2, beneficiaries=2, residents=5,
                        hours=Decimal("1.75"), participant_hours=Decimal("3.25")),
        SubActionTotals(sub_action=None, activities=2, beneficiaries=2, residents=5,
                        hours=Decimal("1.75"), participant_hours=Decimal("3.25")),
    )
    assert register_of(database, sub_action="").sub_action is None
    assert len(register_of(database, sub_action="").activities) == 3

    torino_register = register_of(database, "torino")
    assert [a.activity_id for a in torino_register.activities] == [torino]
    assert torino_register.totals[-1] == SubActionTotals(
        sub_action=None, activities=1, beneficiaries=1, residents=9, hours=Decimal("9.00"),
        participant_hours=Decimal("9.00"))


def test_the_register_sorts_sub_actions_and_titles_as_text(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned(UUID(int=1), sub_action="6", kind="information_event", title="b"),
         planned(UUID(int=2), sub_action="3", kind="community_building", title="a"),
         planned(UUID(int=3), sub_action="5", kind="staff_training", title="c"))

    register = register_of(database)
    assert [a.title for a in register.activities] == ["a", "b", "c"]
    assert [t.sub_action for t in register.totals] == ["3", "5", "6", None]


def test_an_empty_register_totals_zero_in_two_decimals(database: SqliteReadModels) -> None:
    register = register_of(database)

    assert register.activities == ()
    assert register.totals == (SubActionTotals(None, 0, 0, 0, Decimal("0.00"),
                                               Decimal("0.00")),)
    assert str(register.totals[0].hours) == "0.00"
    assert str(register.totals[0].participant_hours) == "0.00"


def test_an_activity_without_sessions_totals_its_participant_hours_as_zero(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(planned(), enrolled(CASE_A))

    (totals_2, overall) = register_of(database).totals
    assert str(totals_2.participant_hours) == "0.00"
    assert str(overall.hours) == "0.00"
    assert overall.beneficiaries == 1


def test_a_cases_activities_are_those_it_is_enrolled_in_latest_start_first_then_by_title(
    database: SqliteReadModels, feed: Feed
) -> None:
    first, second, third, other = UUID(int=1), UUID(int=2), UUID(int=3), UUID(int=4)
    feed(planned(first, title="Zeta", starts_on=date(2021, 3, 1)),
         planned(second, title="Beta", starts_on=date(2021, 5, 1)),
         planned(third, title="Alfa", starts_on=date(2021, 3, 1)),
         planned(other, title="Nessuno", starts_on=date(2021, 9, 1)))
    feed(enrolled(CASE_A, first), enrolled(CASE_A, second), enrolled(CASE_A, third),
         enrolled(CASE_B, other))
    feed(session(1, "1.00", (CASE_A,), residents=2, activity=first))
    feed(ActivityCompletedV1(activity_id=first, city="milano", sub_action="2",
                             completed_on=date(2021, 6, 30), sessions=1))

    found = ActivityRegisterQueries(database).of_case(CASE_A)
    assert [a.activity_id for a in found] == [second, third, first]
    assert found[2] == the_planned_summary(
        activity_id=first, title="Zeta", participants=1, sessions=1, residents=2,
        hours=Decimal("1.00"), status="completed", completed_on=date(2021, 6, 30))
    assert ActivityRegisterQueries(database).of_case(CASE_C) == []


def test_a_reset_empties_every_activity_table(database: SqliteReadModels, feed: Feed) -> None:
    feed(planned(), enrolled(CASE_A), session(1, "1.00", (CASE_A,)), counted(3))

    reset(database, ActivityRegisterProjection())

    with database.reading() as tx:
        for table in ("rm_activities", "rm_activity_participants", "rm_activity_sessions",
                      "rm_activity_staff_trained"):
            assert tx.fetchone(f"SELECT COUNT(*) FROM {table}") == (0,), table
    assert ActivityRegisterQueries(database).activity(ORTI) is None


def test_one_event_applied_on_its_own_is_applied_as_in_a_batch(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        ActivityRegisterProjection().apply(tx, envelope_of(planned(), 1))

    assert detail(database).summary == the_planned_summary()
    assert last_position(database) == 1
