"""The donor's indicators (projections/donor_indicators.py) on SQLite, as the mutation pass of
issue 20 holds it (docs/testing.md, "Projections pass, part 3"): the module has no tables of its
own, so each test writes the rows of the read models it reads (the case list, the person index,
the placements, the activity register: their own `create_tables`) and checks each counted person
and activity field by field, each figure beside the list it is counted from, each rule at its
edge (an age band under 18 and the first over it; a session attended and none; a move-in the
same day with a shorter wait), the city scope against the network's, and the orders.

Rules encoded (/work/shared/design/DOMAIN.md; the project card,
/work/shared/seed/lgnetea-project-card.txt; docs/workflows/reporting.md, "Indicators for the
donor"):
- people reached are counted once however many cities took them in (a confirmed match makes
  their cases one person), once in each city that holds one of their cases now;
- "Vulnerable categories (d.lgs. 142/2015, art. 17 c.1) are considered in every sub-action:
  minors; ..." (DOMAIN.md, "Who is served"): a minor counts as vulnerable, and a person who came
  of age since their intake was a minor reached; women are counted apart;
- people housed (Sub-Action 4, fast-track housing): the first move-in, and the days from the
  intake to it;
- Sub-Action 2 (civic engagement) counts the people who attended at least one session, and the
  residents counted; Sub-Action 5 the municipal staff trained (as counted, or at least the
  largest session); Sub-Action 6 the communication events held and the people they reached."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from events.contracts import CaseCameOfAgeV1
from projections.activities import ActivityRegisterProjection
from projections.case_list import CaseListProjection
from projections.donor_indicators import (
    CIVIC,
    EVENTS,
    HOUSED,
    MINORS,
    PEOPLE,
    TRAINING,
    VULNERABLE,
    WOMEN,
    ActivityCounted,
    DonorIndicatorQueries,
    DonorReport,
    PersonCounted,
    _earlier,
)
from projections.housing import HousingProjection
from projections.indicators.figures import DAYS, Durations
from projections.person_links import PersonLinksProjection
from projections.registry import PROJECTION_NAMES
from projections.storage.read_models import SqliteReadModels
from projections.storage.transaction import Transaction
from tests.read_models import read_models_fixture

ALICE, BRUNO = UUID(int=7001), UUID(int=7002)


database = read_models_fixture(
    CaseListProjection, PersonLinksProjection, HousingProjection, ActivityRegisterProjection)


def case_id(number: int) -> str:
    return str(UUID(int=number))


def code(number: int, city: str = "firenze") -> str:
    return f"{city[:2].upper()}-2021-{number:05d}"


def a_case(tx: Transaction, number: int, city: str = "firenze", *, sex: str = "male",
           age_band: str = "25-34", vulnerabilities: str = "", person: UUID | None = None,
           case_code: str | None = None) -> None:
    """A case of the case list, and its line in the person index (linked to `person`)."""
    case_code = case_code or code(number, city)
    tx.execute(
        "INSERT INTO rm_cases (case_id, case_code, city, status, intake_date, protection_status,"
        " reception_situation, sex, age_band, household_size, vulnerabilities, priority_group,"
        " eligibility, opened_at, last_position, consents) VALUES"
        " (?, ?, ?, 'open', '2021-03-01', 'refugee', 'left_reception', ?, ?, 1, ?, 'other',"
        " '[]', '2021-03-01T09:00:00+00:00', 1, '')",
        (case_id(number), case_code, city, sex, age_band, vulnerabilities))
    tx.execute("INSERT INTO rm_person_cases (case_id, case_code, city, person_id)"
               " VALUES (?, ?, ?, ?)",
               (case_id(number), case_code, city, None if person is None else str(person)))


def history(tx: Transaction, number: int, kind: str, position: int = 5) -> None:
    tx.execute(
        "INSERT INTO rm_case_history (case_id, position, time, type, actor_kind, actor_id,"
        " actor_role, data) VALUES (?, ?, '2021-05-01T00:00:00+00:00', ?, 'system', 'ages',"
        " 'system', '{}')", (case_id(number), position, kind))


def a_placement(tx: Transaction, number: int, city: str, moved_in_on: str | None,
                days: int | None, offered_position: int, case_code: str | None = None) -> None:
    tx.execute(
        "INSERT INTO rm_placements (case_id, offered_position, case_code, city, shelter_id,"
        " shelter_name, bed, offered_on, status, moved_in_on, days_to_move_in) VALUES"
        " (?, ?, ?, ?, 'shelter', 'Casa', 1, '2021-03-05', 'moved_in', ?, ?)",
        (case_id(number), offered_position, case_code or code(number, city), city,
         moved_in_on, days))


def an_activity(tx: Transaction, number: int, city: str, sub_action: str, *,
                starts_on: str = "2021-04-01", residents: int = 0, kind: str = "workshop",
                status: str = "completed", title: str | None = None) -> None:
    tx.execute(
        "INSERT INTO rm_activities (activity_id, city, sub_action, kind, title, neighbourhood,"
        " starts_on, ends_on, organiser, status, planned_at, sessions, participants, residents,"
        " hours, last_position) VALUES (?, ?, ?, ?, ?, 'Centro', ?, '2021-12-31', 'Comune', ?,"
        " '2021-03-01T09:00:00+00:00', 0, 0, ?, '0.00', 1)",
        (case_id(number), city, sub_action, kind, title or f"Activity {number}", starts_on,
         status, residents))


def a_participant(tx: Transaction, activity: int, number: int, sessions: int, hours: str,
                  case_code: str | None = None) -> None:
    tx.execute(
        "INSERT INTO rm_activity_participants (activity_id, case_id, case_code, enrolled_at,"
        " position, sessions_attended, hours) VALUES (?, ?, ?, '2021-04-01', 1, ?, ?)",
        (case_id(activity), case_id(number), case_code or code(number), sessions, hours))


def a_session(tx: Transaction, activity: int, number: int, hours: str, residents: int) -> None:
    tx.execute(
        "INSERT INTO rm_activity_sessions (activity_id, session_number, held_on, hours,"
        " residents, attended, position) VALUES (?, ?, '2021-04-02', ?, ?, '', 1)",
        (case_id(activity), number, hours, residents))


def trained(tx: Transaction, activity: int, staff: int) -> None:
    tx.execute("INSERT INTO rm_activity_staff_trained (activity_id, staff_trained, position)"
               " VALUES (?, ?, 1)", (case_id(activity), staff))


def report(database: SqliteReadModels, city: str | None) -> DonorReport:
    return DonorIndicatorQueries(database).report(city)


def codes(people: tuple[PersonCounted, ...]) -> list[tuple[str, ...]]:
    return [person.case_codes for person in people]


# People reached ----------------------------------------------------------------------------------


def test_a_person_taken_in_by_two_cities_counts_once_in_the_network_and_once_in_each(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        a_case(tx, 1, "firenze", person=ALICE)
        a_case(tx, 2, "roma", person=ALICE)
        a_case(tx, 3, "firenze")  # never linked: a person of their own
        a_case(tx, 4, "roma", person=BRUNO)
        # A case with no line in the person index at all is a person of its own too.
        tx.execute("DELETE FROM rm_person_cases WHERE case_id = ?", (case_id(3),))

    network, firenze, roma = (report(database, None), report(database, "firenze"),
                              report(database, "roma"))

    assert network.people == (
        PersonCounted(case_codes=("FI-2021-00001", "RO-2021-00002"),
                      cities=("firenze", "roma")),
        PersonCounted(case_codes=("FI-2021-00003",), cities=("firenze",)),
        PersonCounted(case_codes=("RO-2021-00004",), cities=("roma",)),
    )
    assert (network.city, network.reached) == (None, 3)
    assert firenze.city == "firenze"
    assert codes(firenze.people) == [("FI-2021-00001",), ("FI-2021-00003",)]
    assert codes(roma.people) == [("RO-2021-00002",), ("RO-2021-00004",)]
    assert report(database, "milano").people == ()
    person = network.people[0]
    assert (person.moved_in_on, person.days_to_housing, person.activities, person.hours) == (
        None, None, 0, Decimal("0.00"))
    assert str(person.hours) == "0.00"
    assert person.first_case_code == "FI-2021-00001"


def test_people_are_listed_in_the_order_of_their_first_case_code(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        a_case(tx, 1, "roma")
        a_case(tx, 2, "firenze", person=ALICE)
        a_case(tx, 3, "milano", person=ALICE)
        a_case(tx, 4, "bologna")

    assert codes(report(database, None).people) == [
        ("BO-2021-00004",), ("FI-2021-00002", "MI-2021-00003"), ("RO-2021-00001",)]


@pytest.mark.parametrize(("age_band", "minor"), [
    ("0-13", True), ("14-17", True), ("0-17", True), ("18-24", False), ("18-34", False),
])
def test_a_minor_is_under_18_by_the_age_band_and_counts_as_vulnerable(
    database: SqliteReadModels, age_band: str, minor: bool,
) -> None:
    """Minors are a vulnerable category (d.lgs. 142/2015, art. 17 c.1; DOMAIN.md)."""
    with database.transaction() as tx:
        a_case(tx, 1, age_band=age_band)

    counted = report(database, None)

    assert counted.people == (PersonCounted(case_codes=("FI-2021-00001",), cities=("firenze",),
                                            vulnerable=minor, minor=minor),)
    assert (counted.minors, counted.vulnerable, counted.women) == (int(minor), int(minor), 0)


def test_a_person_come_of_age_since_intake_was_a_minor_reached(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        a_case(tx, 1, age_band="18-34")
        history(tx, 1, CaseCameOfAgeV1.ce_type())
        history(tx, 1, CaseCameOfAgeV1.ce_type(), position=6)  # counted once
        a_case(tx, 2, age_band="18-34")
        history(tx, 2, "it.lgnet.case.age_band_changed.v1")

    people = report(database, None).people

    assert [(p.case_codes, p.minor, p.vulnerable) for p in people] == [
        (("FI-2021-00001",), True, True), (("FI-2021-00002",), False, False)]


@pytest.mark.parametrize(("vulnerabilities", "vulnerable"), [
    ("", False), (",", False), (",,", False), (",disability,", True),
    (",torture_or_serious_violence,disability,", True),
])
def test_vulnerable_when_a_vulnerability_is_recorded(
    database: SqliteReadModels, vulnerabilities: str, vulnerable: bool,
) -> None:
    with database.transaction() as tx:
        a_case(tx, 1, vulnerabilities=vulnerabilities)

    assert report(database, None).people[0].vulnerable is vulnerable
    assert report(database, None).people[0].minor is False


def test_women_by_the_recorded_sex(database: SqliteReadModels) -> None:
    with database.transaction() as tx:
        a_case(tx, 1, sex="female")
        a_case(tx, 2, sex="male")
        a_case(tx, 3, sex="other")

    people = report(database, None)

    assert [p.woman for p in people.people] == [True, False, False]
    assert people.women == 1
    assert codes(people.people_in(WOMEN)) == [("FI-2021-00001",)]


def test_a_person_is_vulnerable_minor_or_a_woman_when_any_of_their_cases_says_so(
    database: SqliteReadModels,
) -> None:
    """Whichever of their cases is read first: the one that says so, or the other."""
    with database.transaction() as tx:
        a_case(tx, 1, "firenze", sex="female", age_band="14-17", person=ALICE)
        a_case(tx, 2, "firenze", person=ALICE)
        a_case(tx, 3, "firenze", person=BRUNO)
        a_case(tx, 4, "firenze", sex="female", age_band="0-13", person=BRUNO)
        a_case(tx, 5, "firenze", vulnerabilities=",disability,", person=UUID(int=7003))
        a_case(tx, 6, "firenze", person=UUID(int=7003))
        a_case(tx, 7, "firenze", person=UUID(int=7004))
        a_case(tx, 8, "firenze", vulnerabilities=",disability,", person=UUID(int=7004))

    people = report(database, "firenze").people

    assert [(p.vulnerable, p.minor, p.woman) for p in people] == [
        (True, True, True), (True, True, True), (True, False, False), (True, False, False)]


def test_each_list_and_its_figure(database: SqliteReadModels) -> None:
    with database.transaction() as tx:
        a_case(tx, 1, sex="female")
        a_case(tx, 2, age_band="0-17")
        a_case(tx, 3, vulnerabilities=",disability,")
        a_case(tx, 4)
        a_placement(tx, 4, "firenze", "2021-03-10", 9, 1)
        an_activity(tx, 50, "firenze", "2")
        a_participant(tx, 50, 3, 1, "2.00")

    counted = report(database, "firenze")

    assert (counted.reached, counted.vulnerable, counted.minors, counted.women) == (4, 2, 1, 1)
    assert codes(counted.people_in(PEOPLE)) == [(code(n),) for n in (1, 2, 3, 4)]
    assert codes(counted.people_in(VULNERABLE)) == [(code(2),), (code(3),)]
    assert codes(counted.people_in(MINORS)) == [(code(2),)]
    assert codes(counted.people_in(WOMEN)) == [(code(1),)]
    assert counted.people_in(HOUSED) == counted.housed
    assert codes(counted.people_in(HOUSED)) == [(code(4),)]
    assert counted.people_in(CIVIC) == counted.civic_engagement
    assert codes(counted.people_in(CIVIC)) == [(code(3),)]
    assert counted.people_in("anything else") == counted.people


# People housed -----------------------------------------------------------------------------------


def test_people_housed_the_first_move_in_and_the_days_it_took(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        a_case(tx, 1, "firenze", person=ALICE)
        a_case(tx, 2, "roma", person=ALICE)
        a_case(tx, 3, "firenze")
        a_case(tx, 4, "firenze")
        # Alice: housed in Rome first, then in Florence.
        a_placement(tx, 1, "firenze", "2021-05-10", 40, 10)
        a_placement(tx, 2, "roma", "2021-04-02", 12, 11)
        # Case 3: offered, never moved in; then housed.
        a_placement(tx, 3, "firenze", None, None, 12)
        a_placement(tx, 3, "firenze", "2021-03-20", 5, 13)
        # Case 4: offered only.
        a_placement(tx, 4, "firenze", None, None, 14)

    network, firenze = report(database, None), report(database, "firenze")

    assert network.housed == (
        PersonCounted(case_codes=("FI-2021-00001", "RO-2021-00002"),
                      cities=("firenze", "roma"), moved_in_on=date(2021, 4, 2), days_to_housing=12),
        PersonCounted(case_codes=("FI-2021-00003",), cities=("firenze",),
                      moved_in_on=date(2021, 3, 20), days_to_housing=5),
    )
    assert network.days_to_housing == Durations(2, Decimal("8.5"), Decimal("11.3"), DAYS)
    # In Florence only its own shelters' move-ins count.
    assert [(p.case_codes, p.days_to_housing) for p in firenze.housed] == [
        (("FI-2021-00001",), 40), (("FI-2021-00003",), 5)]
    assert firenze.days_to_housing == Durations(2, Decimal("22.5"), Decimal("36.5"), DAYS)
    assert report(database, "milano").days_to_housing == Durations(0, None, None, DAYS)


def test_the_same_day_the_shorter_wait_counts_and_no_wait_known_counts_first(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        a_case(tx, 1, person=ALICE)
        a_case(tx, 2, person=ALICE)
        a_placement(tx, 1, "firenze", "2021-04-02", 9, 1)
        a_placement(tx, 2, "firenze", "2021-04-02", 3, 2)
        a_case(tx, 3, person=BRUNO)
        a_case(tx, 4, person=BRUNO)
        a_placement(tx, 3, "firenze", "2021-04-02", 3, 3)
        a_placement(tx, 4, "firenze", "2021-04-02", 9, 4)
        # A move-in whose wait is unknown (no intake date) is the first that day.
        a_case(tx, 5, person=UUID(int=7003))
        a_case(tx, 6, person=UUID(int=7003))
        a_placement(tx, 5, "firenze", "2021-04-02", 0, 5)
        a_placement(tx, 6, "firenze", "2021-04-02", None, 6)

    housed = report(database, None)

    assert [p.days_to_housing for p in housed.housed] == [3, 3, None]
    # Only known waits make the durations.
    assert housed.days_to_housing == Durations(2, Decimal("3.0"), Decimal("3.0"), DAYS)


def test_earlier_compares_the_day_then_the_wait_an_unknown_wait_first() -> None:
    assert _earlier(("2021-04-01", 9), ("2021-04-02", 0))
    assert not _earlier(("2021-04-02", 0), ("2021-04-01", 9))
    assert _earlier(("2021-04-02", 2), ("2021-04-02", 3))
    assert not _earlier(("2021-04-02", 3), ("2021-04-02", 3))
    assert _earlier(("2021-04-02", None), ("2021-04-02", 0))
    assert not _earlier(("2021-04-02", 0), ("2021-04-02", None))
    assert not _earlier(("2021-04-02", None), ("2021-04-02", None))
    # An unknown wait reads as -1 exactly: not before a wait of -1, not after one of -2.
    assert not _earlier(("2021-04-02", None), ("2021-04-02", -1))
    assert not _earlier(("2021-04-02", -1), ("2021-04-02", None))
    assert _earlier(("2021-04-02", -2), ("2021-04-02", None))
    assert _earlier(("2021-04-02", None), ("2021-04-02", -0))


# Civic engagement (Sub-Action 2) -----------------------------------------------------------------


def test_civic_engagement_counts_who_attended_a_session_once_with_their_hours(
    database: SqliteReadModels,
) -> None:
    """Sub-Action 2 is for asylum seekers (DOMAIN.md): a person counts once, with the activities
    they attended and their hours summed; enrolled and never attending is not taking part."""
    with database.transaction() as tx:
        a_case(tx, 1, "firenze", person=ALICE)
        a_case(tx, 2, "roma", person=ALICE)
        a_case(tx, 3, "firenze")
        a_case(tx, 4, "firenze")
        an_activity(tx, 50, "firenze", "2", residents=7)
        an_activity(tx, 51, "roma", "2", residents=5)
        an_activity(tx, 52, "firenze", "3", residents=100)  # another sub-action
        a_participant(tx, 50, 1, 2, "1.50")
        a_participant(tx, 51, 2, 1, "2.25", case_code=code(2, "roma"))
        a_participant(tx, 50, 3, 1, "0.75")
        a_participant(tx, 51, 3, 3, "3.00")
        a_participant(tx, 50, 4, 0, "0.00")  # enrolled, attended nothing
        a_participant(tx, 52, 4, 4, "8.00")

    network, firenze = report(database, None), report(database, "firenze")

    assert network.civic_engagement == (
        PersonCounted(case_codes=("FI-2021-00001", "RO-2021-00002"),
                      cities=("firenze", "roma"), activities=2, hours=Decimal("3.75")),
        PersonCounted(case_codes=("FI-2021-00003",), cities=("firenze", "roma"),
                      activities=2, hours=Decimal("3.75")),
    )
    assert str(network.civic_engagement[0].hours) == "3.75"
    assert firenze.civic_engagement == (
        PersonCounted(case_codes=("FI-2021-00001",), cities=("firenze",), activities=1,
                      hours=Decimal("1.50")),
        PersonCounted(case_codes=("FI-2021-00003",), cities=("firenze",), activities=1,
                      hours=Decimal("0.75")),
    )
    assert (network.civic_residents, firenze.civic_residents) == (12, 7)
    assert report(database, "milano").civic_residents == 0
    assert report(database, "milano").civic_engagement == ()


# Staff trained (Sub-Action 5) and communication (Sub-Action 6) ----------------------------------


def test_staff_trained_as_counted_or_at_least_the_largest_session(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        an_activity(tx, 60, "firenze", "5", starts_on="2021-05-01", kind="training",
                    title="GDPR", status="in_progress")
        a_session(tx, 60, 1, "2.50", 8)
        a_session(tx, 60, 2, "1.25", 11)
        a_session(tx, 60, 3, "3.00", 6)
        an_activity(tx, 61, "firenze", "5", starts_on="2021-04-01", kind="coaching",
                    title="Accoglienza")
        a_session(tx, 61, 1, "4.00", 9)
        trained(tx, 61, 14)
        an_activity(tx, 62, "roma", "5", starts_on="2021-03-01")
        a_session(tx, 62, 1, "1.00", 3)
        trained(tx, 62, 0)
        an_activity(tx, 63, "firenze", "5")  # planned: no session held
        trained(tx, 63, 30)
        an_activity(tx, 64, "firenze", "6")
        a_session(tx, 64, 1, "1.00", 50)

    firenze, network = report(database, "firenze"), report(database, None)

    assert firenze.trainings == (
        ActivityCounted(activity_id=UUID(int=61), city="firenze", kind="coaching",
                        title="Accoglienza", status="completed", sessions=1,
                        hours=Decimal("4.00"), attendances=9, largest_session=9, counted=14),
        ActivityCounted(activity_id=UUID(int=60), city="firenze", kind="training",
                        title="GDPR", status="in_progress", sessions=3,
                        hours=Decimal("6.75"), attendances=25, largest_session=11,
                        counted=None),
    )
    assert [a.trained for a in firenze.trainings] == [14, 11]
    assert (firenze.staff_trained, firenze.staff_attendances) == (25, 34)
    assert [a.activity_id.int for a in network.trainings] == [62, 61, 60]
    assert network.trainings[0].trained == 0  # counted as none: not the largest session
    assert (network.staff_trained, network.staff_attendances) == (25, 37)
    assert network.activities_in(TRAINING) == network.trainings
    assert report(database, "milano").trainings == ()
    assert (report(database, "milano").staff_trained,
            report(database, "milano").staff_attendances) == (0, 0)


def test_communication_events_and_the_people_they_reached(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        an_activity(tx, 70, "firenze", "6", starts_on="2021-06-01", kind="public_event")
        a_session(tx, 70, 1, "2.00", 120)
        a_session(tx, 70, 2, "0.50", 30)
        an_activity(tx, 71, "firenze", "6", starts_on="2021-06-01", kind="campaign")
        a_session(tx, 71, 1, "0.00", 0)
        an_activity(tx, 72, "roma", "6", starts_on="2021-01-01")
        a_session(tx, 72, 1, "1.00", 40)
        an_activity(tx, 73, "firenze", "5")
        a_session(tx, 73, 1, "1.00", 10)

    firenze, network = report(database, "firenze"), report(database, None)

    assert [(a.activity_id.int, a.sessions, a.attendances, a.largest_session, str(a.hours))
            for a in firenze.communication] == [(70, 2, 150, 120, "2.50"), (71, 1, 0, 0, "0.00")]
    assert firenze.communication[1].hours == Decimal("0.00")
    assert (firenze.communication_events, firenze.communication_reach) == (3, 150)
    assert (network.communication_events, network.communication_reach) == (4, 190)
    assert [a.activity_id.int for a in network.communication] == [72, 70, 71]
    assert network.activities_in(EVENTS) == network.communication
    assert network.activities_in("anything else") == network.communication


# The report --------------------------------------------------------------------------------------


def test_the_report_of_empty_read_models(database: SqliteReadModels) -> None:
    assert report(database, None) == DonorReport(
        city=None, position=0, people=(), housed=(), civic_engagement=(), trainings=(),
        communication=(), civic_residents=0, days_to_housing=Durations(0, None, None, DAYS))


def test_the_report_is_at_the_slowest_projections_position(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        tx.executemany("INSERT INTO rm_tracking (projection, stream_seq, position)"
                       " VALUES (?, ?, ?)",
                       [(name, 100 + n, 200 + n) for n, name in enumerate(PROJECTION_NAMES)])

    assert report(database, "firenze").position == 200
    assert report(database, None).position == 200


def test_person_counted_defaults() -> None:
    person = PersonCounted(case_codes=("B", "A"), cities=())
    assert (person.vulnerable, person.minor, person.woman, person.moved_in_on,
            person.days_to_housing, person.activities, person.hours) == (
        False, False, False, None, None, 0, Decimal("0.00"))
    assert person.first_case_code == "B"
    assert ActivityCounted(UUID(int=1), "firenze", "k", "t", "s", 1, Decimal(1), 5, 5).trained == 5
