"""The indicators for the donor (issue 13 item 6; docs/workflows/reporting.md, "Indicators for the
donor"), computed by hand: five cases in Florence and Milan recorded through the real services
on known dates in 2021, one person among them taken in by both cities (a confirmed match), a
minor who comes of age, placements, civic engagement, training of municipal staff and
communication events. Every figure is checked against the arithmetic in the comments, per
city, for the network and as of a past moment; the pages show the same figures and their
downloads hold them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from domain.activities.model import ActivityKind, ActivityPlan
from domain.cases.model import InformationNotice, ReceptionHistory
from domain.cases.rules import ReceptionCentreKind, ReceptionSituation, Sex, Vulnerability
from domain.housing.model import MoveOutOutcome, ShelterKind
from domain.identity.model import match_id_for
from domain.programme import Actor, ActorKind, City, ProtectionStatus, Role, SubAction
from domain.vault import PersonalData
from infra.ages import AGE_JOB_ACTOR
from infra.bootstrap import Platform
from projections.donor_indicators import DonorIndicatorQueries, DonorReport
from projections.indicators.figures import Durations
from tests.builders import a_person, an_intake
from tests.web.conftest import Clients, follower_of, platform_for_tests
from web.app import create_app

MILAN = Actor(ActorKind.USER, "milano.coordinator", Role.CITY_COORDINATOR, City.MILANO)
FLORENCE = Actor(ActorKind.USER, "firenze.coordinator", Role.CITY_COORDINATOR, City.FIRENZE)
# After the January intakes and move-ins, before anything of February.
LATE_JANUARY = datetime(2021, 1, 25, tzinfo=UTC)


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@contextmanager
def the_scenario(directory: Path) -> Iterator[Platform]:
    """A platform in `directory` holding the scenario, its read models caught up."""
    with platform_for_tests(directory) as built:
        record_the_scenario(built)
        follower_of(built).catch_up()
        yield built


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with the_scenario(tmp_path_factory.mktemp("donor")) as built:
        yield built


def take_in(platform: Platform, city: City, day: str, sex: Sex, born: str,
            status: ProtectionStatus, person: PersonalData,
            *vulnerabilities: Vulnerability) -> UUID:
    case_id = uuid4()
    intake_date = date.fromisoformat(day)
    facts = replace(
        an_intake(city), intake_date=intake_date, sex=sex, birth_date=date.fromisoformat(born),
        protection_status=status, vulnerabilities=frozenset(vulnerabilities),
        reception=ReceptionHistory(ReceptionSituation.LEFT_RECEPTION, date(2020, 12, 1),
                                   ReceptionCentreKind.CAS),
        information_notice=InformationNotice(intake_date, "it"),
    )
    actor = MILAN if city == City.MILANO else FLORENCE
    platform.identity.take_in(
        case_id, city, person, True,
        lambda notes: platform.cases.record_intake(case_id, facts, person, actor, at(day),
                                                   saved_with_case=notes),
        actor, at(day))
    return case_id


def someone(name: str, born: str) -> PersonalData:
    return a_person(given_name=name, family_name=f"{name}son", birth_date=date.fromisoformat(born),
                    document_number=f"DOC-{name}", phone=None, email=None)


def house(platform: Platform, case_id: UUID, shelter: UUID, actor: Actor, offered: str,
          moved_in: str) -> None:
    platform.housing.add_to_waitlist(case_id, actor, at(offered, 8))
    platform.housing.offer_bed(case_id, shelter, actor, at(offered))
    platform.housing.move_in(case_id, date.fromisoformat(moved_in), actor, at(moved_in))


def plan(platform: Platform, city: City, sub_action: SubAction, kind: ActivityKind,
         title: str, actor: Actor) -> UUID:
    activity_id = uuid4()
    platform.activities.plan_activity(activity_id, ActivityPlan(
        city, sub_action, kind, title, "Centro", date(2021, 2, 1), date(2021, 6, 30),
        "Comune"), actor, at("2021-02-01"))
    return activity_id


def session(platform: Platform, activity_id: UUID, day: str, hours: str,
            attended: frozenset[UUID], residents: int, actor: Actor) -> None:
    platform.activities.record_session(activity_id, date.fromisoformat(day), Decimal(hours),
                                       attended, residents, actor, at(day, 18))


def record_the_scenario(platform: Platform) -> None:
    # People and cases (P is one person, taken in by Florence, then by Milan):
    #   F1 Florence 2021-01-10 P  female adult refugee        no vulnerability
    #   F2 Florence 2021-01-15 Q  male, 17 (born 2003-01-20), asylum seeker: of age from Feb
    #   M2 Milan    2021-01-12 R  male, 16 (born 2004-06-01), asylum seeker
    #   M1 Milan    2021-01-20 P  female adult refugee        pregnancy
    #   M3 Milan    2021-02-01 S  male adult asylum seeker    no vulnerability
    p, q = someone("Amina", "1990-05-17"), someone("Yonas", "2003-01-20")
    r, s = someone("Dawit", "2004-06-01"), someone("Samuel", "1985-02-02")
    f1 = take_in(platform, City.FIRENZE, "2021-01-10", Sex.FEMALE, "1990-05-17",
                 ProtectionStatus.REFUGEE, p)
    f2 = take_in(platform, City.FIRENZE, "2021-01-15", Sex.MALE, "2003-01-20",
                 ProtectionStatus.ASYLUM_SEEKER, q)
    m2 = take_in(platform, City.MILANO, "2021-01-12", Sex.MALE, "2004-06-01",
                 ProtectionStatus.ASYLUM_SEEKER, r)
    m1 = take_in(platform, City.MILANO, "2021-01-20", Sex.FEMALE, "1990-05-17",
                 ProtectionStatus.REFUGEE, p, Vulnerability.PREGNANCY)
    # Milan's coordinator confirms that M1's person is F1's.
    platform.identity.confirm(match_id_for(m1, f1), MILAN, at("2021-01-21"))
    # Housing: F1 in on 01-20 (10 days after intake), F2 on 01-16 (1 day), M2 on 01-15
    # (3 days); in February M1 (P again) on 02-01 (12 days after M1's intake).
    florence_shelter, milan_shelter = uuid4(), uuid4()
    platform.housing.register_shelter(florence_shelter, City.FIRENZE, "Casa Arno",
                                      ShelterKind.TEMPORARY_SHELTER, "Novoli", 3, FLORENCE,
                                      at("2021-01-05"))
    platform.housing.register_shelter(milan_shelter, City.MILANO, "Casa Aurora",
                                      ShelterKind.TEMPORARY_SHELTER, "Niguarda", 3, MILAN,
                                      at("2021-01-05"))
    house(platform, f2, florence_shelter, FLORENCE, "2021-01-15", "2021-01-16")
    house(platform, m2, milan_shelter, MILAN, "2021-01-13", "2021-01-15")
    house(platform, f1, florence_shelter, FLORENCE, "2021-01-18", "2021-01-20")

    # --- February on: after LATE_JANUARY ---
    platform.housing.move_out(f1, MoveOutOutcome.AUTONOMOUS_HOUSING, date(2021, 1, 30), "",
                              FLORENCE, at("2021-01-30"))
    house(platform, m1, milan_shelter, MILAN, "2021-01-31", "2021-02-01")
    m3 = take_in(platform, City.MILANO, "2021-02-01", Sex.MALE, "1985-02-02",
                 ProtectionStatus.ASYLUM_SEEKER, s)
    # F2 comes of age (18 on 2021-01-20: an adult from February).
    platform.cases.follow_age(f2, AGE_JOB_ACTOR, at("2021-02-01"))
    # Civic engagement (Sub-Action 2): in Milan M3 attends one session (2.5 h, 7 residents);
    # M2 is enrolled but attends none. In Florence F2 attends two sessions of 1.5 h (4
    # residents at the first, none at the second).
    milan_civic = plan(platform, City.MILANO, SubAction.CIVIC_ENGAGEMENT,
                       ActivityKind.CIVIC_ENGAGEMENT_INITIATIVE, "Orti condivisi", MILAN)
    platform.activities.enrol(milan_civic, m3, MILAN, at("2021-02-02"))
    platform.activities.enrol(milan_civic, m2, MILAN, at("2021-02-02"))
    session(platform, milan_civic, "2021-02-10", "2.5", frozenset({m3}), 7, MILAN)
    florence_civic = plan(platform, City.FIRENZE, SubAction.CIVIC_ENGAGEMENT,
                          ActivityKind.CIVIC_ENGAGEMENT_INITIATIVE, "Quartiere aperto",
                          FLORENCE)
    platform.activities.enrol(florence_civic, f2, FLORENCE, at("2021-02-02"))
    session(platform, florence_civic, "2021-02-11", "1.5", frozenset({f2}), 4, FLORENCE)
    session(platform, florence_civic, "2021-02-18", "1.5", frozenset({f2}), 0, FLORENCE)
    # Training of municipal staff (Sub-Action 5): Milan's course counts 12, 15 and 10 staff
    # at sessions of 3, 3 and 2 hours, then is completed; another Milan course holds no
    # session; Florence's counts 8 at one session of 4 hours.
    course = plan(platform, City.MILANO, SubAction.ADMINISTRATION_EMPOWERMENT,
                  ActivityKind.STAFF_TRAINING, "Accoglienza e diritti", MILAN)
    for day, hours, staff in (("2021-02-03", "3", 12), ("2021-02-10", "3", 15),
                              ("2021-02-17", "2", 10)):
        session(platform, course, day, hours, frozenset(), staff, MILAN)
    platform.activities.complete(course, MILAN, at("2021-02-20"))
    # Its coordinator counts 18 different people on the attendance sheets (15 <= 18 <= 37).
    platform.activities.count_staff_trained(course, 18, MILAN, at("2021-02-21"))
    plan(platform, City.MILANO, SubAction.ADMINISTRATION_EMPOWERMENT,
         ActivityKind.STAFF_TRAINING, "Corso mai tenuto", MILAN)
    florence_course = plan(platform, City.FIRENZE, SubAction.ADMINISTRATION_EMPOWERMENT,
                           ActivityKind.STAFF_TRAINING, "Sportello unico", FLORENCE)
    session(platform, florence_course, "2021-02-05", "4", frozenset(), 8, FLORENCE)
    # Communication (Sub-Action 6): Milan's campaign holds two public events, 120 and 80
    # people counted.
    campaign = plan(platform, City.MILANO, SubAction.COMMUNICATION,
                    ActivityKind.INFORMATION_EVENT, "Settimana dell'accoglienza", MILAN)
    session(platform, campaign, "2021-02-06", "2", frozenset(), 120, MILAN)
    session(platform, campaign, "2021-02-13", "3", frozenset(), 80, MILAN)


@pytest.fixture(scope="module")
def reports(platform: Platform) -> dict[str | None, DonorReport]:
    queries = DonorIndicatorQueries(platform.read_models)
    return {city: queries.report(city) for city in ("milano", "firenze", None)}


def codes(report: DonorReport, records: str) -> list[tuple[str, ...]]:
    return [person.case_codes for person in report.people_in(records)]


def test_the_same_person_in_two_cities_counts_once_in_the_network_and_once_in_each(
    reports: dict[str | None, DonorReport],
) -> None:
    milan, florence, network = reports["milano"], reports["firenze"], reports[None]
    # Milan: P (MI M1), R (M2), S (M3); Florence: P (F1), Q (F2); the network: P, Q, R, S.
    assert (milan.reached, florence.reached, network.reached) == (3, 2, 4)
    assert milan.reached + florence.reached == 5 != network.reached
    # The person's row holds both codes in the network, the city's own in each city.
    assert codes(network, "people") == [
        ("FI-2021-00001", "MI-2021-00002"), ("FI-2021-00002",), ("MI-2021-00001",),
        ("MI-2021-00003",)]
    assert codes(milan, "people") == [("MI-2021-00001",), ("MI-2021-00002",),
                                      ("MI-2021-00003",)]
    assert network.people[0].cities == ("firenze", "milano")


def test_vulnerable_minors_and_women_are_counted_by_their_definitions(
    reports: dict[str | None, DonorReport],
) -> None:
    milan, florence, network = reports["milano"], reports["firenze"], reports[None]
    # Vulnerable: P by M1's pregnancy (not by F1, which has no category), R a minor, Q a minor
    # when taken in (of age since February: minors stay counted, and vulnerable with them).
    assert (milan.vulnerable, florence.vulnerable, network.vulnerable) == (2, 1, 3)
    assert codes(florence, "vulnerable") == [("FI-2021-00002",)]
    assert codes(network, "vulnerable") == [
        ("FI-2021-00001", "MI-2021-00002"), ("FI-2021-00002",), ("MI-2021-00001",)]
    # Minors: R (16) and Q (17 at intake, come of age).
    assert (milan.minors, florence.minors, network.minors) == (1, 1, 2)
    assert codes(network, "minors") == [("FI-2021-00002",), ("MI-2021-00001",)]
    # Women: P, once in the network though two of her cases say so.
    assert (milan.women, florence.women, network.women) == (1, 1, 1)
    assert codes(network, "women") == [("FI-2021-00001", "MI-2021-00002")]


def test_people_housed_and_the_days_it_took(reports: dict[str | None, DonorReport]) -> None:
    milan, florence, network = reports["milano"], reports["firenze"], reports[None]
    # Milan: R after 3 days, P (M1) after 12: median 7.5; 90th 3 + 0.9 * 9 = 11.1.
    assert [(p.case_codes, p.days_to_housing) for p in milan.housed] == [
        (("MI-2021-00001",), 3), (("MI-2021-00002",), 12)]
    assert milan.days_to_housing == Durations(2, Decimal("7.5"), Decimal("11.1"), "days")
    # Florence: Q after 1 day, P (F1) after 10: median 5.5; 90th 1 + 0.9 * 9 = 9.1.
    assert florence.days_to_housing == Durations(2, Decimal("5.5"), Decimal("9.1"), "days")
    # The network: P once, by her first move-in (F1, 01-20, 10 days), Q 1, R 3: median 3;
    # 90th at rank 1.8: 3 + 0.8 * 7 = 8.6.
    assert len(network.housed) == 3
    first = network.housed[0]
    assert (first.case_codes, first.moved_in_on, first.days_to_housing) == (
        ("FI-2021-00001", "MI-2021-00002"), date(2021, 1, 20), 10)
    assert network.days_to_housing == Durations(3, Decimal("3.0"), Decimal("8.6"), "days")


def test_civic_engagement_counts_who_attended(reports: dict[str | None, DonorReport]) -> None:
    milan, florence, network = reports["milano"], reports["firenze"], reports[None]
    # Milan: S attended (R enrolled, never came); Florence: Q, two sessions of 1.5 h.
    assert [(p.case_codes, p.activities, p.hours) for p in milan.civic_engagement] == [
        (("MI-2021-00003",), 1, Decimal("2.50"))]
    assert [(p.case_codes, p.hours) for p in florence.civic_engagement] == [
        (("FI-2021-00002",), Decimal("3.00"))]
    assert len(network.civic_engagement) == 2
    assert (milan.civic_residents, florence.civic_residents, network.civic_residents) == (
        7, 4, 11)


def test_staff_trained_and_communication_events(
    reports: dict[str | None, DonorReport],
) -> None:
    milan, florence, network = reports["milano"], reports["firenze"], reports[None]
    # Milan's course: 18 people as counted (its largest session 15), 12 + 15 + 10 = 37
    # attendances, 3 sessions, 8 hours; the course never held counts nowhere. Florence's is
    # not counted: at least its one session's 8.
    [course] = milan.trainings
    assert (course.title, course.sessions, course.hours, course.attendances,
            course.largest_session, course.counted, course.status) == (
        "Accoglienza e diritti", 3, Decimal("8.00"), 37, 15, 18, "completed")
    assert (milan.staff_trained, milan.staff_attendances) == (18, 37)
    [florence_course] = florence.trainings
    assert (florence_course.counted, florence_course.trained) == (None, 8)
    assert (florence.staff_trained, florence.staff_attendances) == (8, 8)
    assert (len(network.trainings), network.staff_trained, network.staff_attendances) == (
        2, 26, 45)
    # Two public events of one campaign: 120 + 80 people.
    assert (milan.communication_events, milan.communication_reach) == (2, 200)
    assert (florence.communication_events, florence.communication_reach) == (0, 0)
    assert (network.communication_events, network.communication_reach) == (2, 200)


def test_the_report_as_of_a_past_moment(platform: Platform,
                                        reports: dict[str | None, DonorReport]) -> None:
    past = DonorIndicatorQueries(platform.as_of(LATE_JANUARY).indicators.database)
    network, milan = past.report(None), past.report("milano")
    # By 01-25: F1, F2, M2, M1 (P twice): 3 people; housed F1 (10), F2 (1), M2 (3).
    assert (network.reached, network.vulnerable, network.minors, network.women) == (3, 3, 2, 1)
    assert network.days_to_housing == Durations(3, Decimal("3.0"), Decimal("8.6"), "days")
    assert (milan.reached, len(milan.housed)) == (2, 1)
    assert (network.staff_trained, network.communication_events,
            len(network.civic_engagement)) == (0, 0, 0)
    assert network.position < reports[None].position


# --- the pages, their access and their downloads ---------------------------------------------


@pytest.fixture(scope="module")
def clients(platform: Platform) -> Iterator[Clients]:
    made = Clients(create_app(platform), platform)
    yield made
    made.close()


def figures_on(page: str) -> dict[str, str]:
    """The report's rows as the page shows them: row key -> the figure's data-value."""
    found: dict[str, str] = {}
    for chunk in page.split('<tr data-key="')[1:]:
        key = chunk[:chunk.index('"')]
        values = chunk.split('data-value="')
        found[key] = values[-1][:values[-1].index('"')]
    return found


def rows_on(page: str) -> list[tuple[str, ...]]:
    """A list's rows as the page shows them: the first cell's text, then each cell's value."""
    found = []
    for chunk in page.split('<tr data-key="')[1:]:
        row = chunk[:chunk.index("</tr>")]
        first = row[row.index('<th scope="row">') + len('<th scope="row">'):row.index("</th>")]
        values = [part[:part.index('"')] for part in row.split('data-value="')[1:]]
        found.append((first.strip(), *values))
    return found


def test_the_pages_show_the_figures_and_open_the_records_behind_them(
    clients: Clients,
) -> None:
    ministry = clients.ministry()
    page = ministry.get("/ministry/donor-report")
    assert page.status_code == 200
    figures = figures_on(page.text)
    assert (figures["people_reached"], figures["vulnerable"], figures["minors"],
            figures["women"], figures["people_housed"]) == ("4", "3", "2", "1", "3")
    assert (figures["days_to_housing_median"], figures["days_to_housing_p90"]) == (
        "3.0", "8.6")
    assert (figures["staff_trained"], figures["communication_reach"]) == ("26", "200")
    assert 'href="/ministry/donor-report/people" data-count="4"' in page.text
    people = ministry.get("/ministry/donor-report/people")
    assert people.status_code == 200
    assert 'data-count="4"' in people.text
    assert "FI-2021-00001, MI-2021-00002" in people.text
    assert "Amina" not in people.text  # codes, never who the person is
    milan = clients.coordinator("milano").get("/cities/milano/donor-report")
    assert figures_on(milan.text)["people_reached"] == "3"
    assert clients.coordinator("milano").get("/cities/firenze/donor-report").status_code == 403
    assert clients.coordinator("milano").get("/ministry/donor-report").status_code == 403
    assert ministry.get("/ministry/donor-report/nobody").status_code == 404
    training = clients.auditor().get("/cities/milano/donor-report/staff_training")
    assert training.status_code == 200 and "Accoglienza e diritti" in training.text
    assert "Corso mai tenuto" not in training.text


def test_the_downloads_hold_what_the_pages_show(clients: Clients, platform: Platform) -> None:
    ministry = clients.ministry()
    position = str(DonorIndicatorQueries(platform.read_models).report(None).position)
    plain = ministry.get("/ministry/donor-report/export.csv?lang=en")
    assert plain.status_code == 200
    lines = list(csv.reader(io.StringIO(plain.content.decode("utf-8-sig"))))
    assert lines[2] == ["Event position", position]
    rows = {line[0]: line[2] for line in lines[5:]}
    assert rows["People reached, each counted once"] == "4"
    assert rows["Days from intake to housing: 90th percentile"] == "8.6"
    italian = ministry.get("/ministry/donor-report/export.csv-it?lang=it")
    text = italian.content.decode("utf-8-sig")
    assert "Giorni dalla presa in carico all'alloggio: 90° percentile;4;8,6" in text
    workbook = load_workbook(io.BytesIO(ministry.get(
        "/ministry/donor-report/people/export.xlsx").content))
    sheet = workbook.worksheets[0]
    listed = [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert listed == rows_on(ministry.get("/ministry/donor-report/people").text)
    assert [row[0] for row in listed] == [
        "FI-2021-00001, MI-2021-00002", "FI-2021-00002", "MI-2021-00001", "MI-2021-00003"]
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True)}
    assert str(about["Posizione nel registro degli eventi"]) == position


def test_the_report_as_of_a_past_moment_on_the_page(clients: Clients) -> None:
    auditor: TestClient = clients.auditor()
    chosen = auditor.get("/as-of", params={"moment": "2021-01-24",
                                           "next": "/ministry/donor-report"})
    assert chosen.status_code == 200
    try:
        figures = figures_on(chosen.text)
        assert (figures["people_reached"], figures["people_housed"]) == ("3", "3")
        csv_past = auditor.get("/ministry/donor-report/export.csv?lang=en")
        assert "2021-01-24T23:59:59" in csv_past.content.decode("utf-8-sig")
    finally:
        auditor.get("/as-of", params={"next": "/"})


def test_a_coordinator_counts_the_staff_a_training_trained_on_its_page(
    clients: Clients, platform: Platform,
) -> None:
    coordinator = clients.coordinator("firenze")
    [course] = DonorIndicatorQueries(platform.read_models).report("firenze").trainings
    page = f"/activities/{course.activity_id}"
    shown = coordinator.get(page)
    assert 'id="staff-trained"' in shown.text
    # One session counted 8: 7 is fewer than were in the room, 9 more than attended.
    for refused in ("7", "9"):
        answer = coordinator.post(f"{page}/staff-trained", data={
            "staff_trained": refused, "csrf_token": coordinator.headers["X-CSRF-Token"]})
        assert answer.status_code == 422
        assert "(8)" in answer.text  # the least and the most the sessions allow
    # The operators see the count but may not record it; the API answers as the page.
    assert clients.operator("firenze").post(
        f"/api/v1/activities/{course.activity_id}/staff-trained",
        json={"staff_trained": 8}).status_code == 403
    answer = coordinator.post(f"/api/v1/activities/{course.activity_id}/staff-trained",
                              json={"staff_trained": 8})
    assert answer.status_code == 200, answer.text
    assert 'id="figure-staff-trained">8<' in coordinator.get(page).text
    report = DonorIndicatorQueries(platform.read_models).report("firenze")
    assert (report.trainings[0].counted, report.staff_trained) == (8, 8)
