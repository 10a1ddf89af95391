"""The indicators computed from the tallies (projections/indicators/calculation.py), as the
mutation pass of issue 20 holds them (docs/testing.md, "Projections pass, part 3"): two cities'
raw figures, written out by hand, and every indicator worked out in the comments from them (never
the code's output copied back): counts summed over the cities, percentiles over the records of
both, the month series from the programme's start, the dashboard's row of one city, the
expenditure's cumulative claims. No database: the tallies are what `Tallies.read` would return.

Rules encoded (/work/shared/design/DOMAIN.md): the programme's period opens 2019-07-01 ("The
programme": the month series start there); the ministry sees "the whole network at a glance, city
by city, sub-action by sub-action" ("Who uses it"); expenditure is "costs claimed by a city
against its allocation per sub-action ... checked by the ministry" (a rejected claim is no longer
claimed); response times matter ("Referral"). The arithmetic (PERCENTILE.INC, half up, a case
counting where it is owned now) is the module's stated rule (projections/indicators/__init__.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from projections.finance import BudgetLine, CityFinance, ClaimRow, NetworkFinance
from projections.indicators.calculation import (
    city_expenditure,
    city_row,
    indicators_from,
    network_expenditure,
)
from projections.indicators.figures import (
    ActivityLine,
    Breakdown,
    CityRow,
    Count,
    DeliveryLine,
    Durations,
    ExpenditureIndicators,
    Indicators,
    MonthValue,
)
from projections.indicators.tallies import BedChange, CityTallies, Placement

D = Decimal
ZERO_LINE_FIELDS = (D("0.00"),) * 5


def cases_of(**dimensions: dict[str, int]) -> defaultdict[str, Counter[str]]:
    cases: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for dimension, counts in dimensions.items():
        cases[dimension] = Counter(counts)
    return cases


def milano() -> CityTallies:
    return CityTallies(
        cases=cases_of(
            status={"open": 3, "closed": 2},
            protection_status={"refugee": 3, "subsidiary_protection": 2},
            sex={"female": 2, "male": 3},
            age_band={"18-25": 4, "0-17": 1},
            outcome={"autonomy": 2},
            # Stored delimited (",a,b,"; "" for none), as projections.case_list writes it.
            vulnerabilities={"": 2, ",minor,": 1, ",minor,disabled,": 2},
            citizenship={"AF": 3, "none": 2},
            month={"2019-08": 2, "2019-12": 3},
        ),
        people=4,
        referrals=[("health", "accepted", 2, 1), ("partner", "declined", 1, 1),
                   ("health", "requested", 1, 0)],
        response_seconds=[9000, 3600, 5400],
        placements=[
            # Moved in on the last day of August: housed at the end of August.
            Placement("housed", "2019-08-10", "2019-08-31", None, 5, None),
            # Moved out on the last day of September: not housed at the end of September.
            Placement("moved_out", "2019-08-01", "2019-08-05", "2019-09-30", 2,
                      "autonomous_housing"),
            Placement("offered", "2019-11-03", None, None, None, None),
        ],
        open_beds=3,
        bed_changes=[
            # Two changes of shelter A on one day: the later position holds (3 beds).
            BedChange("2019-08-01", 12, "A", 3),
            BedChange("2019-08-01", 10, "A", 2),
            # Effective on the last day of September: counts for September.
            BedChange("2019-09-30", 5, "A", 4),
        ],
        activities=[("2", "completed", 2, 5, 10), ("2", "cancelled", 1, 0, 0),
                    ("3", "planned", 1, 2, 4)],
        participants=Counter({"2": 4, "3": 2}),
        participants_overall=5,
        hours={"2": D("12.5"), "3": D("4")},
        delivered={("3", "meal", "meals"): (4, D("6")), ("4", "cash", "eur"): (2, D("150.50"))},
        served=Counter({("3", "meal"): 2, ("4", "cash"): 1}),
        served_overall=3,
    )


def napoli() -> CityTallies:
    return CityTallies(
        cases=cases_of(
            status={"open": 1, "closed": 1},
            protection_status={"refugee": 1, "applicant": 1},
            sex={"female": 1, "male": 1},
            age_band={"18-25": 2},
            outcome={"left": 1},
            vulnerabilities={"": 1, ",pregnant,": 1},
            citizenship={"AF": 1, "NG": 1},
            month={"2019-12": 2},
        ),
        people=2,
        referrals=[("health", "accepted", 1, 0), ("transfer", "completed", 2, 2)],
        response_seconds=[36000],
        placements=[
            Placement("moved_out", "2019-09-01", "2019-09-02", "2019-10-15", 7,
                      "autonomous_housing"),
            Placement("moved_out", "2019-07-20", "2019-07-25", "2019-08-20", 3,
                      "other_programme"),
        ],
        open_beds=1,
        bed_changes=[BedChange("2019-10-01", 20, "B", 2), BedChange("2019-07-15", 3, "B", 1)],
        activities=[("2", "completed", 1, 3, 6), ("6", "completed", 1, 1, 20)],
        participants=Counter({"2": 3}),
        participants_overall=3,
        hours={"2": D("6.25")},
        delivered={("3", "meal", "meals"): (1, D("2")), ("2", "ticket", "tickets"): (3, D("3"))},
        served=Counter({("3", "meal"): 1, ("2", "ticket"): 2}),
        served_overall=2,
    )


def claim(number: int, city: str, status: str, amount: str, spent_on: date) -> ClaimRow:
    at = datetime(2020, 1, 1, tzinfo=UTC)
    return ClaimRow(UUID(int=number), city, "4", "services", D(amount), spent_on,
                    f"PG/{number}", status, at, "someone", None, None, None)


def milano_finance() -> CityFinance:
    return CityFinance(
        city="milano",
        lines=(BudgetLine("3", D("1000.00"), D("200.00"), D("200.00"), D("0.00"), D("0.00")),
               BudgetLine("4", D("500.00"), D("100.00"), D("0.00"), D("100.00"), D("50.00"))),
        claims=(
            # A rejected claim is not claimed, and its later month does not lengthen the series.
            claim(3, "milano", "rejected", "50.00", date(2020, 1, 20)),
            claim(2, "milano", "pending", "100.00", date(2019, 10, 1)),
            claim(1, "milano", "approved", "200.00", date(2019, 8, 15)),
        ),
    )


def napoli_finance() -> CityFinance:
    return CityFinance(
        city="napoli",
        lines=(BudgetLine("4", D("300.00"), D("75.25"), D("75.25"), D("0.00"), D("0.00")),),
        claims=(claim(4, "napoli", "approved", "75.25", date(2019, 8, 31)),),
    )


def months(*pairs: tuple[int, int]) -> tuple[date, ...]:
    return tuple(date(year, month, 1) for year, month in pairs)


JULY_TO_DECEMBER_2019 = months(*((2019, m) for m in range(7, 13)))


def network_indicators() -> Indicators:
    budget = network_expenditure(NetworkFinance((milano_finance(), napoli_finance())))
    return indicators_from(None, 42, [milano(), napoli()], budget, people=5)


def test_the_network_cases_are_the_sum_of_the_cities() -> None:
    indicators = network_indicators()
    cases = indicators.cases

    assert (indicators.city, indicators.position) == (None, 42)
    # 3 + 2 open and closed in Milan, 1 + 1 in Naples; people as given (not summed).
    assert (cases.taken_in, cases.people, cases.open, cases.closed) == (7, 5, 4, 3)
    # Vulnerable: Milan 1 + 2 (the "" ones are not), Naples 1. Milan's two with two categories
    # count in both; the breakdown's total stays the 4 vulnerable cases.
    assert cases.vulnerable == 4
    assert cases.by_vulnerability == Breakdown(
        "vulnerability", 4, (Count("minor", 3), Count("disabled", 2), Count("pregnant", 1)))
    assert cases.by_protection_status == Breakdown(
        "protection_status", 7, (Count("refugee", 4), Count("subsidiary_protection", 2),
                                 Count("applicant", 1)))
    assert cases.by_sex == Breakdown("sex", 7, (Count("male", 4), Count("female", 3)))
    assert cases.by_age_band == Breakdown("age_band", 7, (Count("18-25", 6), Count("0-17", 1)))
    assert cases.by_citizenship == Breakdown(
        "citizenship", 7, (Count("AF", 4), Count("none", 2), Count("NG", 1)))
    assert cases.by_outcome == Breakdown("outcome", 3, (Count("autonomy", 2), Count("left", 1)))
    # From 2019-07 to the last intake month, 2019-12; the empty months are 0.
    assert cases.intakes_per_month == tuple(
        MonthValue(month, value)
        for month, value in zip(JULY_TO_DECEMBER_2019, (0, 2, 0, 0, 0, 5), strict=True))


def test_the_network_referrals_and_their_response_times() -> None:
    referrals = network_indicators().referrals

    assert referrals.requested == 7
    assert referrals.by_destination == Breakdown(
        "destination", 7, (Count("health", 4), Count("transfer", 2), Count("partner", 1)))
    assert referrals.by_outcome == Breakdown(
        "status", 7, (Count("accepted", 3), Count("completed", 2), Count("declined", 1),
                      Count("requested", 1)))
    assert referrals.answered_in_time == 1 + 1 + 0 + 0 + 2
    # Seconds of both cities: 3600, 5400, 9000, 36000. PERCENTILE.INC: the median at rank
    # 1.5 (from 0): 5400 + 0.5 * 3600 = 7200 s = 2.0 h; the 90th at rank 2.7:
    # 9000 + 0.7 * 27000 = 27900 s = 7.75 h, half up 7.8.
    assert referrals.response_time == Durations(4, D("2.0"), D("7.8"), "hours")


def test_the_network_housing_figures_and_the_occupancy_series() -> None:
    housing = network_indicators().housing

    assert (housing.placements, housing.moved_in, housing.housed_now, housing.beds) == (5, 4, 1, 4)
    assert housing.occupancy_rate == D("0.25")
    # Days to move in 5, 2, 7, 3 -> 2, 3, 5, 7: median at 1.5: 3 + 0.5 * 2 = 4.0; 90th at 2.7:
    # 5 + 0.7 * 2 = 6.4.
    assert housing.days_to_move_in == Durations(4, D("4.0"), D("6.4"), "days")
    assert housing.exits_by_outcome == Breakdown(
        "outcome", 3, (Count("autonomous_housing", 2), Count("other_programme", 1)))
    # Moved in 07-25, 08-05, 08-31, 09-02; moved out 08-20, 09-30, 10-15 (a move on the
    # month's last day counts that day). Beds: B 1 from 07-15, 2 from 10-01; A 3 from 08-01
    # (position 12 after 10), 4 from 09-30. Up to December (the last intake month).
    assert housing.occupancy_per_month == (
        (date(2019, 7, 1), 1, 1),
        (date(2019, 8, 1), 3 - 1, 3 + 1),
        (date(2019, 9, 1), 4 - 2, 4 + 1),
        (date(2019, 10, 1), 4 - 3, 4 + 2),
        (date(2019, 11, 1), 1, 6),
        (date(2019, 12, 1), 1, 6),
    )


def test_the_network_activities_by_sub_action_and_in_total() -> None:
    activities = network_indicators().activities

    assert activities.lines == (
        ActivityLine("2", activities=4, completed=3, cancelled=1, sessions=8, participants=7,
                     residents=16, hours=D("18.75")),
        ActivityLine("3", activities=1, completed=0, cancelled=0, sessions=2, participants=2,
                     residents=4, hours=D("4")),
        ActivityLine("5", 0, 0, 0, 0, 0, 0, D("0.00")),
        ActivityLine("6", activities=1, completed=1, cancelled=0, sessions=1, participants=0,
                     residents=20, hours=D("0.00")),
    )
    # Participants overall: 5 + 3 (each city's distinct cases), not the sum of the lines.
    assert activities.total == ActivityLine(
        None, activities=6, completed=4, cancelled=1, sessions=11, participants=8,
        residents=40, hours=D("22.75"))
    # No hours: two decimals, as money and hours print.
    assert [str(line.hours) for line in activities.lines[2:]] == ["0.00", "0.00"]


def test_the_network_deliveries_summed_by_sub_action_and_kind() -> None:
    deliveries = network_indicators().deliveries

    assert deliveries.lines == (
        DeliveryLine("2", "ticket", "tickets", deliveries=3, people=2, quantity=D("3")),
        # Milan 4 deliveries of 6 meals, Naples 1 of 2.
        DeliveryLine("3", "meal", "meals", deliveries=4 + 1, people=3, quantity=D("8")),
        DeliveryLine("4", "cash", "eur", deliveries=2, people=1, quantity=D("150.50")),
    )
    assert (deliveries.deliveries, deliveries.people) == (10, 5)
    assert str(deliveries.cash) == "150.50"


def test_the_network_expenditure_is_the_cities_lines_and_claims() -> None:
    expenditure = network_indicators().expenditure

    zero = D("0.00")
    assert expenditure.lines == (
        BudgetLine("1", *ZERO_LINE_FIELDS),
        BudgetLine("2", *ZERO_LINE_FIELDS),
        BudgetLine("3", D("1000.00"), D("200.00"), D("200.00"), zero, zero),
        BudgetLine("4", D("800.00"), D("175.25"), D("75.25"), D("100.00"), D("50.00")),
        BudgetLine("5", *ZERO_LINE_FIELDS),
        BudgetLine("6", *ZERO_LINE_FIELDS),
    )
    assert expenditure.total == BudgetLine(None, D("1800.00"), D("375.25"), D("275.25"),
                                           D("100.00"), D("50.00"))
    # August: 200.00 + 75.25 (spent on its last day); October: 100.00 pending; the rejected
    # January claim neither counts nor lengthens the series.
    assert [(month, str(value)) for month, value in expenditure.claimed_per_month] == [
        (date(2019, 7, 1), "0.00"), (date(2019, 8, 1), "275.25"),
        (date(2019, 9, 1), "275.25"), (date(2019, 10, 1), "375.25")]


def test_one_city_expenditure_has_every_sub_action_line() -> None:
    expenditure = city_expenditure(milano_finance())

    assert expenditure == ExpenditureIndicators(
        lines=(BudgetLine("1", *ZERO_LINE_FIELDS), BudgetLine("2", *ZERO_LINE_FIELDS),
               *milano_finance().lines,
               BudgetLine("5", *ZERO_LINE_FIELDS), BudgetLine("6", *ZERO_LINE_FIELDS)),
        total=BudgetLine(None, D("1500.00"), D("300.00"), D("200.00"), D("100.00"), D("50.00")),
        claimed_per_month=((date(2019, 7, 1), D("0.00")), (date(2019, 8, 1), D("200.00")),
                           (date(2019, 9, 1), D("200.00")), (date(2019, 10, 1), D("300.00"))),
    )


def test_one_city_indicators_are_its_own_tallies() -> None:
    indicators = indicators_from("napoli", 7, [napoli()], city_expenditure(napoli_finance()),
                                 people=2)

    assert (indicators.city, indicators.position) == ("napoli", 7)
    assert (indicators.cases.taken_in, indicators.cases.vulnerable) == (2, 1)
    assert indicators.referrals.response_time == Durations(1, D("10.0"), D("10.0"), "hours")
    assert indicators.housing.occupancy_rate == D("0.00")
    assert indicators.housing.housed_now == 0


def test_more_than_ten_citizenships_sum_the_rest_under_other() -> None:
    # Twelve citizenships with 12, 11, ..., 1 cases: the ten largest named, 2 + 1 as "other".
    codes = [f"C{n:02d}" for n in range(12, 0, -1)]
    tallies = CityTallies(cases=cases_of(status={"open": 78},
                                         citizenship=dict(zip(codes, range(12, 0, -1),
                                                              strict=True))))

    cases = indicators_from("bari", 1, [tallies], city_expenditure(
        CityFinance("bari", (), ())), people=78).cases

    assert cases.by_citizenship == Breakdown(
        "citizenship", 78,
        (*(Count(code, count) for code, count in zip(codes[:10], range(12, 2, -1),
                                                      strict=True)),
         Count("other", 3)))


def test_exactly_ten_citizenships_have_no_other() -> None:
    codes = [f"C{n:02d}" for n in range(10, 0, -1)]
    tallies = CityTallies(cases=cases_of(citizenship=dict(zip(codes, range(10, 0, -1),
                                                              strict=True))))

    cases = indicators_from("bari", 1, [tallies], city_expenditure(
        CityFinance("bari", (), ())), people=0).cases

    assert [c.key for c in cases.by_citizenship.counts] == codes


def test_a_placement_after_the_last_intake_lengthens_the_occupancy_series() -> None:
    tallies = CityTallies(
        cases=cases_of(status={"open": 1}, month={"2019-07": 1}),
        placements=[Placement("housed", "2019-08-02", "2019-09-01", None, 30, None)],
        open_beds=2,
    )

    indicators = indicators_from("bari", 1, [tallies], city_expenditure(
        CityFinance("bari", (), ())), people=1)

    assert indicators.cases.intakes_per_month == (MonthValue(date(2019, 7, 1), 1),)
    # Up to September, the month of the move-in; no bed change recorded: 0 beds in the series.
    assert indicators.housing.occupancy_per_month == (
        (date(2019, 7, 1), 0, 0), (date(2019, 8, 1), 0, 0), (date(2019, 9, 1), 1, 0))
    assert indicators.housing.occupancy_rate == D("0.50")


def test_a_move_out_without_an_outcome_is_no_exit_by_outcome() -> None:
    tallies = CityTallies(placements=[
        Placement("moved_out", "2019-08-02", "2019-08-03", "2019-09-01", 1, None),
        Placement("housed", "2019-08-02", "2019-08-03", None, 1, "autonomous_housing"),
    ])

    housing = indicators_from("bari", 1, [tallies], city_expenditure(
        CityFinance("bari", (), ())), people=0).housing

    assert housing.exits_by_outcome == Breakdown("outcome", 0, ())
    # Moved out on 09-01: housed at the end of August, of the two only the one still housed
    # at the end of September.
    assert housing.occupancy_per_month == (
        (date(2019, 7, 1), 0, 0), (date(2019, 8, 1), 2, 0), (date(2019, 9, 1), 1, 0))


def test_nothing_recorded_gives_zeros_and_no_series() -> None:
    indicators = indicators_from(None, 0, [], network_expenditure(NetworkFinance(())), people=0)

    assert indicators.cases.intakes_per_month == ()
    assert indicators.cases.by_citizenship == Breakdown("citizenship", 0, ())
    assert indicators.housing.occupancy_per_month == ()
    assert indicators.housing.occupancy_rate is None
    assert indicators.referrals.response_time == Durations(0, None, None, "hours")
    assert indicators.expenditure.claimed_per_month == ()
    assert str(indicators.activities.total.hours) == "0.00"
    assert str(indicators.deliveries.cash) == "0.00"
    assert indicators.deliveries.lines == ()


def test_the_dashboard_row_of_one_city() -> None:
    row = city_row("milano", milano(), milano_finance().total)

    assert row == CityRow(
        city="milano", taken_in=5, open=3,
        # ",minor," 1 + ",minor,disabled," 2; the 2 with "" are not vulnerable.
        vulnerable=3,
        referrals=2 + 1 + 1,
        # 3600, 5400, 9000: the median 5400 s = 1.5 h.
        median_response_hours=D("1.5"),
        housed_now=1, beds=3,
        # 1 / 3 = 0.333..., two decimals.
        occupancy_rate=D("0.33"),
        activities=4, participants=5, hours=D("16.5"),
        allocated=D("1500.00"), claimed=D("300.00"), approved=D("200.00"),
    )


def test_the_dashboard_row_of_a_city_with_nothing_recorded() -> None:
    row = city_row("bari", CityTallies(), CityFinance("bari", (), ()).total)

    assert row == CityRow("bari", 0, 0, 0, 0, None, 0, 0, None, 0, 0, D("0.00"), D("0.00"),
                          D("0.00"), D("0.00"))
    assert str(row.hours) == "0.00"
