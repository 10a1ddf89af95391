"""The programme's indicators, computed by hand: five cases in Milan and Naples recorded through
the real services on known dates in 2021, with referrals answered after known hours, two
shelters, placements, activities and claims. Every figure is checked against the arithmetic in
the comments (never against the code's own output), live and as of a past moment, and the
network's figures against the sum of the cities'."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.activities.model import ActivityKind, ActivityPlan
from domain.cases.model import InformationNotice, ReceptionHistory
from domain.cases.rules import (
    AgeBand,
    CaseOutcome,
    ReceptionCentreKind,
    ReceptionSituation,
    Sex,
    Vulnerability,
)
from domain.deliveries.model import DeliveryKind, DeliveryOrder, VoidReason
from domain.finance.model import ClaimDraft, ExpenseCategory
from domain.housing.model import MoveOutOutcome, ShelterClosureReason, ShelterKind
from domain.organisations.model import OrganisationKind
from domain.privacy import ProcessingPurpose
from domain.programme import (
    FOUNDING_CITIES,
    Actor,
    ActorKind,
    City,
    ProtectionStatus,
    Role,
    SubAction,
)
from domain.referrals.rules import CityService, DeclineReason, Destination, Urgency
from infra.bootstrap import Platform
from projections.indicators import IndicatorQueries
from projections.indicators.figures import (
    Count,
    DeliveryIndicators,
    DeliveryLine,
    Durations,
    Indicators,
    MonthValue,
)
from projections.indicators.tallies import TRACKED_PROJECTIONS
from projections.registry import default_projections
from projections.storage.read_models import SqliteReadModels
from tests.builders import a_person, an_intake
from tests.web.conftest import follower_of, platform_for_tests

MILAN = Actor(ActorKind.USER, "milano.coordinator", Role.CITY_COORDINATOR, City.MILANO)
NAPLES = Actor(ActorKind.USER, "napoli.coordinator", Role.CITY_COORDINATOR, City.NAPOLI)
MINISTRY = Actor(ActorKind.USER, "ministry", Role.MINISTRY, None)
# Between the January events and the February ones (see the scenario).
END_OF_JANUARY = datetime(2021, 2, 1, tzinfo=UTC)
# After everything.
END_OF_2021 = datetime(2021, 12, 31, tzinfo=UTC)
FIRST_MONTH = date(2019, 7, 1)


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The web tests' platform (tests/web/conftest.py), once for the module: the scenario is
    recorded once and only read."""
    with the_scenario(tmp_path_factory.mktemp("indicators")) as built:
        yield built


@contextmanager
def the_scenario(directory: Path) -> Iterator[Platform]:
    """A platform in `directory` holding the scenario, its read models caught up."""
    with platform_for_tests(directory) as built:
        record_the_scenario(built)
        follower_of(built).catch_up()
        yield built


def take_in(platform: Platform, city: City, day: str, sex: Sex, born: str,
            nationality: str, status: ProtectionStatus,
            *vulnerabilities: Vulnerability) -> UUID:
    case_id = uuid4()
    intake_date = date.fromisoformat(day)
    facts = replace(
        an_intake(city), intake_date=intake_date, sex=sex, birth_date=date.fromisoformat(born),
        citizenship=nationality, protection_status=status,
        vulnerabilities=frozenset(vulnerabilities),
        reception=ReceptionHistory(ReceptionSituation.LEFT_RECEPTION, date(2020, 12, 1),
                                   ReceptionCentreKind.CAS),
        information_notice=InformationNotice(intake_date, "it"),
        consents=frozenset({ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER}),
    )
    actor = MILAN if city == City.MILANO else NAPLES
    platform.cases.record_intake(case_id, facts, a_person(), actor, at(day))
    return case_id


def refer(platform: Platform, case_id: UUID, destination: Destination, actor: Actor,
          requested: datetime, answer: str | None, after_hours: int = 0,
          urgency: Urgency | None = None) -> None:
    referral_id = uuid4()
    platform.referrals.request(referral_id, case_id, destination, urgency, None, actor,
                               requested)
    answered = requested + timedelta(hours=after_hours)
    if answer == "accept":
        platform.referrals.accept(referral_id, actor, answered)
    elif answer == "decline":
        platform.referrals.decline(referral_id, DeclineReason.NO_CAPACITY, None, actor, answered)


def record_the_scenario(platform: Platform) -> None:
    # Cases (age band, Eurostat's classes, from the birth date at intake):
    #   M1 Milan 2021-01-10 female 30y 18-34 ER refugee               pregnancy
    #   M2 Milan 2021-01-20 male   21y 18-34 SO asylum seeker          -         closed 03-01
    #   M3 Milan 2021-02-05 male   40y 35-64 ER subsidiary protection  torture + mental disorder
    #   N1 Naples 2021-01-15 female 25y 18-34 NG refugee               -
    #   N2 Naples 2021-03-01 male  51y 35-64 NG asylum seeker          serious illness
    m1 = take_in(platform, City.MILANO, "2021-01-10", Sex.FEMALE, "1990-06-01", "ER",
                 ProtectionStatus.REFUGEE, Vulnerability.PREGNANCY)
    m2 = take_in(platform, City.MILANO, "2021-01-20", Sex.MALE, "2000-01-01", "SO",
                 ProtectionStatus.ASYLUM_SEEKER)
    n1 = take_in(platform, City.NAPOLI, "2021-01-15", Sex.FEMALE, "1995-06-01", "NG",
                 ProtectionStatus.REFUGEE)
    health = Destination.city_service(CityService.HEALTH)
    legal_aid = Destination.city_service(CityService.LEGAL_AID)
    # Referrals: Milan answers after 2 h (M1 health), 30 h (M2 partner, declined) and, in
    # February, 10 h (M3 legal aid); M1's legal aid is never answered. Naples answers after
    # 100 h a referral due within 24 h (late). All Milan's answers are in time (72 h for the
    # vulnerable, 15 days for the others).
    refer(platform, m1, health, MILAN, at("2021-01-11"), "accept", 2)
    refer(platform, m1, legal_aid, MILAN, at("2021-01-12"), None)
    caritas, _position = platform.organisations.register(
        City.MILANO, "Caritas Ambrosiana", OrganisationKind.NGO, MILAN, at("2021-01-04"))
    platform.cases.give_consent(m2, ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER,
                                date(2021, 1, 20), MILAN, at("2021-01-21", 8),
                                organisation_ids=[caritas])
    refer(platform, m2, Destination.partner(caritas), MILAN, at("2021-01-21"), "decline", 30)
    refer(platform, n1, health, NAPLES, at("2021-01-16"), "accept", 100, Urgency.IMMEDIATE)
    # Shelters: Milan's 3 beds from 2021-01-05 (4 from 2021-02-10), Naples's 2 from 01-02,
    # and Naples's 3 from 01-03, 2 of them removed at 00:30 on 02-01 in Rome (still 01-31 in
    # UTC), the shelter closed in March.
    milan_shelter, naples_shelter, naples_closed = uuid4(), uuid4(), uuid4()
    platform.housing.register_shelter(milan_shelter, City.MILANO, "Casa Aurora",
                                      ShelterKind.TEMPORARY_SHELTER, "Niguarda", 3, MILAN,
                                      at("2021-01-05"))
    platform.housing.register_shelter(naples_shelter, City.NAPOLI, "Casa Vesuvio",
                                      ShelterKind.APARTMENT, "Sanità", 2, NAPLES,
                                      at("2021-01-02"))
    platform.housing.register_shelter(naples_closed, City.NAPOLI, "Casa Partenope",
                                      ShelterKind.APARTMENT, "Chiaia", 3, NAPLES,
                                      at("2021-01-03"))
    platform.housing.remove_beds(naples_closed, 2, NAPLES,
                                 datetime(2021, 1, 31, 23, 30, tzinfo=UTC))
    # Placements: M1 in on 01-22 (12 days after intake), out on 02-15 to autonomous housing;
    # M2 offered on 01-25 and declined; N1 in on 01-20 (5 days); M3 in on 02-08 (3 days).
    for case_id, actor, day in ((m1, MILAN, "2021-01-19"), (m2, MILAN, "2021-01-24"),
                                (n1, NAPLES, "2021-01-17")):
        platform.housing.add_to_waitlist(case_id, actor, at(day))
    platform.housing.offer_bed(m1, milan_shelter, MILAN, at("2021-01-20"))
    platform.housing.move_in(m1, date(2021, 1, 22), MILAN, at("2021-01-22"))
    platform.housing.offer_bed(n1, naples_shelter, NAPLES, at("2021-01-18"))
    platform.housing.move_in(n1, date(2021, 1, 20), NAPLES, at("2021-01-20"))
    platform.housing.offer_bed(m2, milan_shelter, MILAN, at("2021-01-25"))
    platform.housing.decline_offer(m2, "Too far from work", MILAN, at("2021-01-26"))
    # Services delivered: meals and cash support to M1 in Milan, meals to N1 in Naples (one
    # more voided): the figures of tests/web/test_delivery_pages.py, here for PostgreSQL.
    for delivery, case_id, actor, order in (
        (uuid4(), m1, MILAN, DeliveryOrder(SubAction.EMERGENCY_TAKE_IN, DeliveryKind.MEALS,
                                           Decimal(14), date(2021, 1, 26))),
        (uuid4(), m1, MILAN, DeliveryOrder(SubAction.FAST_TRACK_HOUSING,
                                           DeliveryKind.CASH_SUPPORT, Decimal("150.50"),
                                           date(2021, 1, 26))),
        (uuid4(), n1, NAPLES, DeliveryOrder(SubAction.EMERGENCY_TAKE_IN, DeliveryKind.MEALS,
                                            Decimal(7), date(2021, 1, 26))),
    ):
        platform.deliveries.record_delivery(delivery, case_id, order, actor, at("2021-01-26"))
    voided = uuid4()
    platform.deliveries.record_delivery(voided, n1, DeliveryOrder(
        SubAction.EMERGENCY_TAKE_IN, DeliveryKind.CLOTHING, Decimal(3), date(2021, 1, 26)),
        NAPLES, at("2021-01-26"))
    platform.deliveries.void(voided, VoidReason.DUPLICATE, NAPLES, at("2021-01-27"))
    # Budget: Milan's allocations on 01-05; a claim of 1,200.00 (SA3, spent 01-20) approved
    # on 01-25.
    platform.finance.set_allocation(City.MILANO, SubAction.COORDINATION, Decimal("10000.00"),
                                    "Decreto di riparto", MINISTRY, at("2021-01-05"))
    platform.finance.set_allocation(City.MILANO, SubAction.EMERGENCY_TAKE_IN,
                                    Decimal("5000.00"), "Decreto di riparto", MINISTRY,
                                    at("2021-01-05"))
    approved, pending, rejected = uuid4(), uuid4(), uuid4()
    platform.finance.record_claim(approved, ClaimDraft(
        City.MILANO, SubAction.EMERGENCY_TAKE_IN, ExpenseCategory.STAFF, Decimal("1200.00"),
        date(2021, 1, 20), "PG/2021/0001"), MILAN, at("2021-01-21"))
    platform.finance.approve_claim(City.MILANO, approved, MINISTRY, at("2021-01-25"))

    # --- February and March: after END_OF_JANUARY ---
    m3 = take_in(platform, City.MILANO, "2021-02-05", Sex.MALE, "1980-03-01", "ER",
                 ProtectionStatus.SUBSIDIARY_PROTECTION,
                 Vulnerability.TORTURE_OR_SERIOUS_VIOLENCE, Vulnerability.MENTAL_DISORDER)
    refer(platform, m3, legal_aid, MILAN, at("2021-02-06"), "accept", 10)
    platform.housing.add_beds(milan_shelter, 1, MILAN, at("2021-02-10"))
    platform.housing.add_to_waitlist(m3, MILAN, at("2021-02-05", 10))
    platform.housing.offer_bed(m3, milan_shelter, MILAN, at("2021-02-06"))
    platform.housing.move_in(m3, date(2021, 2, 8), MILAN, at("2021-02-08"))
    platform.housing.move_out(m1, MoveOutOutcome.AUTONOMOUS_HOUSING, date(2021, 2, 15), "",
                              MILAN, at("2021-02-15"))
    # Activities in Milan: SA2 (asylum seekers only) with M2, one session of 2.5 h and 7
    # residents; SA3 with M1 and M3, a session of 1.5 h (both) and one of 2 h (M1 only, 4
    # residents), then completed.
    civic, take_in_activity = uuid4(), uuid4()
    platform.activities.plan_activity(civic, ActivityPlan(
        City.MILANO, SubAction.CIVIC_ENGAGEMENT, ActivityKind.CIVIC_ENGAGEMENT_INITIATIVE,
        "Orti condivisi", "Niguarda", date(2021, 2, 1), date(2021, 3, 31), "Comune"),
        MILAN, at("2021-02-01"))
    platform.activities.plan_activity(take_in_activity, ActivityPlan(
        City.MILANO, SubAction.EMERGENCY_TAKE_IN, ActivityKind.COMMUNITY_BUILDING,
        "Sportello", "Niguarda", date(2021, 2, 1), date(2021, 3, 31), "Comune"),
        MILAN, at("2021-02-01"))
    platform.activities.enrol(civic, m2, MILAN, at("2021-02-09"))
    platform.activities.enrol(take_in_activity, m1, MILAN, at("2021-02-09"))
    platform.activities.enrol(take_in_activity, m3, MILAN, at("2021-02-09"))
    platform.activities.record_session(civic, date(2021, 2, 10), Decimal("2.5"),
                                       frozenset({m2}), 7, MILAN, at("2021-02-10", 18))
    platform.activities.record_session(take_in_activity, date(2021, 2, 12), Decimal("1.5"),
                                       frozenset({m1, m3}), 0, MILAN, at("2021-02-12", 18))
    platform.activities.record_session(take_in_activity, date(2021, 2, 19), Decimal("2"),
                                       frozenset({m1}), 4, MILAN, at("2021-02-19", 18))
    platform.activities.complete(take_in_activity, MILAN, at("2021-02-20"))
    # Claims: 300.50 (SA1, spent 02-03) pending; 99.99 (SA3, spent 02-10) rejected.
    platform.finance.record_claim(pending, ClaimDraft(
        City.MILANO, SubAction.COORDINATION, ExpenseCategory.SERVICES, Decimal("300.50"),
        date(2021, 2, 3), "PG/2021/0002"), MILAN, at("2021-02-04"))
    platform.finance.record_claim(rejected, ClaimDraft(
        City.MILANO, SubAction.EMERGENCY_TAKE_IN, ExpenseCategory.GOODS, Decimal("99.99"),
        date(2021, 2, 10), "PG/2021/0003"), MILAN, at("2021-02-11"))
    platform.finance.reject_claim(City.MILANO, rejected, "Receipt missing", MINISTRY,
                                  at("2021-02-12"))
    platform.housing.close_shelter(naples_closed, ShelterClosureReason.AGREEMENT_ENDED, NAPLES,
                                  at("2021-03-10"))
    platform.cases.close(m2, CaseOutcome.MOVED_AWAY, date(2021, 3, 1), "Moved to Lyon", MILAN,
                         at("2021-03-01", 10))
    take_in(platform, City.NAPOLI, "2021-03-01", Sex.MALE, "1970-01-01", "NG",
            ProtectionStatus.ASYLUM_SEEKER, Vulnerability.SERIOUS_ILLNESS)


def months(last: date) -> list[date]:
    """Every month from 2019-07 to `last`."""
    found, month = [], FIRST_MONTH
    while month <= last:
        found.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return found


def counts(*pairs: tuple[str, int]) -> tuple[Count, ...]:
    return tuple(Count(key, count) for key, count in pairs)


@pytest.fixture(scope="module")
def milan(platform: Platform) -> Indicators:
    return platform.indicators.indicators("milano")


def test_milan_cases_are_counted_by_every_dimension(milan: Indicators) -> None:
    cases = milan.cases
    assert (cases.taken_in, cases.open, cases.closed, cases.vulnerable) == (3, 2, 1, 2)
    assert cases.by_sex.counts == counts(("male", 2), ("female", 1))
    assert cases.by_age_band.counts == counts(
        (AgeBand.FROM_18_TO_34, 2), (AgeBand.FROM_35_TO_64, 1))
    assert cases.by_citizenship.counts == counts(("ER", 2), ("SO", 1))
    assert cases.by_protection_status.counts == counts(
        ("asylum_seeker", 1), ("refugee", 1), ("subsidiary_protection", 1))
    # M3 counts in both of its categories; the total counts vulnerable cases (M1, M3).
    assert cases.by_vulnerability.counts == counts(
        ("mental_disorder", 1), ("pregnancy", 1), ("torture_or_serious_violence", 1))
    assert cases.by_vulnerability.total == 2
    assert cases.by_outcome.counts == counts(("moved_away", 1))
    # 2019-07 .. 2021-02: 20 months, two intakes in January, one in February.
    series = cases.intakes_per_month
    assert [m.month for m in series] == months(date(2021, 2, 1))
    assert series[-2:] == (MonthValue(date(2021, 1, 1), 2), MonthValue(date(2021, 2, 1), 1))
    assert sum(m.value for m in series) == 3


def test_milan_referrals_and_their_response_times(milan: Indicators) -> None:
    referrals = milan.referrals
    assert referrals.requested == 4
    assert referrals.by_destination.counts == counts(("legal_aid", 2), ("health", 1),
                                                     ("partner", 1))
    assert referrals.by_outcome.counts == counts(("accepted", 2), ("declined", 1),
                                                 ("requested", 1))
    # Answers after 2, 10 and 30 hours: the median is 10; PERCENTILE.INC(0.9) is at rank
    # 0.9 * (3 - 1) = 1.8, so 10 + 0.8 * (30 - 10) = 26.
    assert referrals.response_time == Durations(3, Decimal("10.0"), Decimal("26.0"), "hours")
    assert referrals.answered_in_time == 3


def test_milan_housing_occupancy_now_and_month_by_month(milan: Indicators) -> None:
    housing = milan.housing
    assert (housing.placements, housing.moved_in, housing.housed_now, housing.beds) == (
        3, 2, 1, 4)
    assert housing.occupancy_rate == Decimal("0.25")  # 1 of 4 beds
    # 12 and 3 days: the median 7.5; PERCENTILE.INC(0.9): 3 + 0.9 * (12 - 3) = 11.1.
    assert housing.days_to_move_in == Durations(2, Decimal("7.5"), Decimal("11.1"), "days")
    assert housing.exits_by_outcome.counts == counts(("autonomous_housing", 1))
    # On 2021-01-31 M1 lives in one of 3 beds; on 02-28 M3 in one of 4 (M1 left on 02-15).
    series = housing.occupancy_per_month
    assert [month for month, _housed, _beds in series] == months(date(2021, 2, 1))
    assert series[-3:] == ((date(2020, 12, 1), 0, 0), (date(2021, 1, 1), 1, 3),
                           (date(2021, 2, 1), 1, 4))


def test_milan_activities_by_sub_action(milan: Indicators) -> None:
    lines = {line.sub_action: line for line in milan.activities.lines}
    assert list(lines) == ["2", "3", "5", "6"]
    civic, take_in_line = lines["2"], lines["3"]
    assert (civic.activities, civic.completed, civic.sessions, civic.participants,
            civic.residents, civic.hours) == (1, 0, 1, 1, 7, Decimal("2.5"))
    # M1 attended 1.5 + 2 hours, M3 1.5: 5 hours.
    assert (take_in_line.activities, take_in_line.completed, take_in_line.sessions,
            take_in_line.participants, take_in_line.residents, take_in_line.hours) == (
        1, 1, 2, 2, 4, Decimal("5.0"))
    assert (lines["5"].activities, lines["6"].hours) == (0, Decimal("0"))
    total = milan.activities.total
    assert (total.activities, total.completed, total.cancelled, total.sessions,
            total.participants, total.residents, total.hours) == (
        2, 1, 0, 3, 3, 11, Decimal("7.5"))


def test_milan_expenditure_by_sub_action_and_claimed_month_by_month(milan: Indicators) -> None:
    expenditure = milan.expenditure
    assert [line.sub_action for line in expenditure.lines] == ["1", "2", "3", "4", "5", "6"]
    coordination, take_in_line = expenditure.lines[0], expenditure.lines[2]
    assert (coordination.allocated, coordination.claimed, coordination.pending) == (
        Decimal("10000.00"), Decimal("300.50"), Decimal("300.50"))
    assert (take_in_line.claimed, take_in_line.approved, take_in_line.rejected) == (
        Decimal("1200.00"), Decimal("1200.00"), Decimal("99.99"))
    assert (expenditure.total.allocated, expenditure.total.claimed,
            expenditure.total.approved) == (Decimal("15000.00"), Decimal("1500.50"),
                                            Decimal("1200.00"))
    # Cumulative, by spending date; the rejected claim is not claimed.
    series = expenditure.claimed_per_month
    assert [month for month, _claimed in series] == months(date(2021, 2, 1))
    assert series[-3:] == ((date(2020, 12, 1), Decimal("0")), (date(2021, 1, 1),
                           Decimal("1200.00")), (date(2021, 2, 1), Decimal("1500.50")))


def test_services_delivered_per_sub_action_and_kind_voided_ones_aside(
    platform: Platform, milan: Indicators
) -> None:
    assert milan.deliveries == DeliveryIndicators(
        lines=(DeliveryLine("3", "meals", "meals", 1, 1, Decimal(14)),
               DeliveryLine("4", "cash_support", "eur", 1, 1, Decimal("150.50"))),
        deliveries=2, people=1, cash=Decimal("150.50"))
    network = platform.indicators.network_dashboard().network.deliveries
    assert [(line.kind, line.deliveries, line.people, line.quantity)
            for line in network.lines] == [("meals", 2, 2, Decimal(21)),
                                           ("cash_support", 1, 1, Decimal("150.50"))]
    assert (network.deliveries, network.people, network.cash) == (3, 2, Decimal("150.50"))


def test_the_network_sums_the_cities_and_takes_percentiles_over_all_records(
    platform: Platform, milan: Indicators
) -> None:
    dashboard = platform.indicators.network_dashboard()
    network = dashboard.network
    rows = {row.city: row for row in dashboard.cities}
    assert [row.city for row in dashboard.cities] == sorted(city.value for city in FOUNDING_CITIES)
    naples = rows["napoli"]
    assert (naples.taken_in, naples.open, naples.vulnerable, naples.referrals) == (2, 2, 1, 1)
    # One answer, after 100 hours: the median and the 90th percentile are that.
    assert naples.median_response_hours == Decimal("100.0")
    assert (naples.housed_now, naples.beds, naples.occupancy_rate) == (1, 2, Decimal("0.50"))
    assert rows["milano"].median_response_hours == Decimal("10.0")
    assert (rows["milano"].activities, rows["milano"].participants, rows["milano"].hours,
            rows["milano"].claimed) == (2, 3, Decimal("7.5"), Decimal("1500.50"))
    assert rows["roma"].taken_in == 0 and rows["roma"].median_response_hours is None

    assert network.city is None
    assert network.cases.taken_in == sum(row.taken_in for row in rows.values()) == 5
    assert network.cases.vulnerable == sum(row.vulnerable for row in rows.values()) == 3
    assert network.referrals.requested == sum(row.referrals for row in rows.values()) == 5
    assert network.housing.housed_now == sum(row.housed_now for row in rows.values()) == 2
    assert network.housing.beds == sum(row.beds for row in rows.values()) == 6
    assert network.expenditure.total.claimed == sum(row.claimed for row in rows.values())
    assert network.cases.by_citizenship.counts == counts(("ER", 2), ("NG", 2), ("SO", 1))
    # Answers after 2, 10, 30, 100 hours: median (10 + 30) / 2 = 20; 90th at rank 2.7:
    # 30 + 0.7 * (100 - 30) = 79.
    assert network.referrals.response_time == Durations(4, Decimal("20.0"), Decimal("79.0"),
                                                        "hours")
    assert network.referrals.answered_in_time == 3
    # 3, 5 and 12 days: median 5; 90th at rank 1.8: 5 + 0.8 * (12 - 5) = 10.6.
    assert network.housing.days_to_move_in == Durations(3, Decimal("5.0"), Decimal("10.6"),
                                                        "days")
    assert network.housing.occupancy_rate == Decimal("0.33")  # 2 of 6
    # Naples's March intake stretches the network's series to 2021-03; on 01-31 M1 and N1
    # are housed in 3 + 2 + 3 beds, on 02-28 M3 and N1 in 4 + 2 + 1, on 03-31 in 4 + 2 (the
    # closed shelter's beds are gone, as they are from the beds now).
    assert network.cases.intakes_per_month[-1] == MonthValue(date(2021, 3, 1), 1)
    assert network.housing.occupancy_per_month[-3:] == (
        (date(2021, 1, 1), 2, 8), (date(2021, 2, 1), 2, 7), (date(2021, 3, 1), 2, 6))
    assert network.activities.total == milan.activities.total
    assert platform.indicators.indicators(None) == network
    assert dashboard.position == network.position == platform.indicators.position() > 0


def test_the_indicators_as_of_a_past_moment_count_only_what_had_happened(
    platform: Platform, milan: Indicators
) -> None:
    then = platform.as_of(END_OF_JANUARY).indicators.indicators("milano")
    # By 2021-02-01: M1 and M2 only, both open.
    assert (then.cases.taken_in, then.cases.open, then.cases.closed, then.cases.vulnerable) == (
        2, 2, 0, 1)
    assert then.cases.by_outcome.counts == ()
    # Three referrals, two answered (after 2 and 30 hours): median 16, 90th 2 + 0.9 * 28.
    assert then.referrals.requested == 3
    assert then.referrals.response_time == Durations(2, Decimal("16.0"), Decimal("27.2"),
                                                     "hours")
    # M1 housed in one of 3 beds (M2's offer was declined): 1 / 3 = 0.33.
    assert (then.housing.placements, then.housing.moved_in, then.housing.housed_now,
            then.housing.beds, then.housing.occupancy_rate) == (2, 1, 1, 3, Decimal("0.33"))
    assert then.housing.days_to_move_in == Durations(1, Decimal("12.0"), Decimal("12.0"),
                                                     "days")
    assert then.housing.exits_by_outcome.counts == ()
    assert then.activities.total.activities == 0
    assert then.expenditure.total.claimed == Decimal("1200.00")
    assert then.expenditure.claimed_per_month[-1] == (date(2021, 1, 1), Decimal("1200.00"))
    assert then.position < milan.position

    later = platform.as_of(END_OF_2021).indicators.indicators("milano")
    assert replace(later, position=milan.position) == milan


def test_the_position_is_the_slowest_projection_s(platform: Platform) -> None:
    positions = {name: platform.read_models.tracking(name).position
                 for name in TRACKED_PROJECTIONS}
    assert set(TRACKED_PROJECTIONS) == {p.name for p in default_projections()}
    assert platform.indicators.position() == min(positions.values())
    assert isinstance(platform.read_models, SqliteReadModels)
    nothing_projected = SqliteReadModels(platform.read_models.path.parent / "empty.sqlite")
    try:
        assert IndicatorQueries(nothing_projected).position() == 0
    finally:
        nothing_projected.close()


def test_the_drill_down_lists_are_the_figures_records(platform: Platform) -> None:
    indicators = platform.indicators
    assert [r.service for r in indicators.referrals("milano", destination="legal_aid")] == [
        "legal_aid", "legal_aid"]
    assert [r.partner_name for r in indicators.referrals("milano", destination="partner")] == [
        "Caritas Ambrosiana"]
    assert [r.status for r in indicators.referrals("milano", status="accepted")] == [
        "accepted", "accepted"]
    assert indicators.referrals("milano", destination="transfer") == []
    assert len(indicators.referrals("milano")) == 4
    exits = indicators.placements("milano", outcome="autonomous_housing")
    assert [(p.moved_in_on, p.moved_out_on) for p in exits] == [
        (date(2021, 1, 22), date(2021, 2, 15))]
    assert [p.status for p in indicators.placements("milano", moved_in=False)] == ["declined"]
    # The latest offer first.
    assert [p.offered_on for p in indicators.placements("milano", moved_in=True)] == [
        date(2021, 2, 6), date(2021, 1, 20)]
