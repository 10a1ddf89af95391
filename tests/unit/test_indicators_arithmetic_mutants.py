"""The indicators' arithmetic (projections/indicators/arithmetic.py), as the mutation pass of
issue 20 holds it (docs/testing.md, "Projections pass, part 3"): breakdowns largest first with
ties by key, percentiles as a spreadsheet's PERCENTILE.INC, rounding half up (not to even), and
the programme's months. Every expected figure is worked out in the comments.

Rules encoded: the programme's months start 2019-07 (/work/shared/design/DOMAIN.md, "The
programme": the period 2019-07-01 to 2021-12-31); PERCENTILE.INC and half-up rounding are the
indicators' stated rules (projections/indicators/__init__.py: "so an auditor can reproduce them
from an export")."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from projections.indicators.arithmetic import (
    breakdown,
    durations,
    largest_first,
    latest_month,
    month_end,
    month_of,
    months_until,
    rate,
)
from projections.indicators.figures import Breakdown, Count, Durations

D = Decimal


def test_largest_first_with_ties_by_key_and_no_zero_counts() -> None:
    counts = Counter({"b": 2, "a": 2, "c": 5, "d": 0, "e": 1})

    assert largest_first(counts) == [Count("c", 5), Count("a", 2), Count("b", 2), Count("e", 1)]


def test_a_breakdown_totals_its_counts_unless_given_a_total() -> None:
    counts = Counter({"minor": 3, "disabled": 2})

    assert breakdown("vulnerability", counts) == Breakdown(
        "vulnerability", 5, (Count("minor", 3), Count("disabled", 2)))
    # Two categories of one case: the total given is the cases, not the sum.
    assert breakdown("vulnerability", counts, total=4) == Breakdown(
        "vulnerability", 4, (Count("minor", 3), Count("disabled", 2)))
    assert breakdown("sex", Counter(), total=0) == Breakdown("sex", 0, ())


def test_no_values_have_no_median() -> None:
    assert durations([], "hours", 3600) == Durations(0, None, None, "hours")


def test_one_value_is_its_own_median_and_90th() -> None:
    # 9000 s / 3600 = 2.5 h.
    assert durations([9000], "hours", 3600) == Durations(1, D("2.5"), D("2.5"), "hours")


def test_two_values_interpolate() -> None:
    # Ranks 0 and 1: the median at 0.5: 1 + 0.5 * 2 = 2.0; the 90th at 0.9: 1 + 0.9 * 2 = 2.8.
    assert durations([3, 1], "days", 1) == Durations(2, D("2.0"), D("2.8"), "days")


def test_percentiles_are_percentile_inc_over_the_sorted_values() -> None:
    # 10, 20, 40, 80 (given unsorted): the median at rank 1.5: 20 + 0.5 * 20 = 30; the 90th at
    # rank 3 * 0.9 = 2.7: 40 + 0.7 * 40 = 68. PERCENTILE.EXC would rank the 90th 4.5 of 4.
    assert durations([80, 10, 40, 20], "days", 1) == Durations(4, D("30.0"), D("68.0"), "days")
    # Eleven values 0, 10, ..., 100: the median is 50, the 90th rank 9: 90; per unit 10.
    assert durations(range(0, 101, 10), "days", 10) == Durations(11, D("5.0"), D("9.0"), "days")


def test_durations_round_half_up_to_a_tenth() -> None:
    # 1 / 4 = 0.25: half up 0.3 (half to even would give 0.2); 3 / 4 = 0.75 -> 0.8.
    assert durations([1], "days", 4) == Durations(1, D("0.3"), D("0.3"), "days")
    assert durations([3], "days", 4).median == D("0.8")
    # 1 and 2: the median 1.5 / 10 = 0.15 -> 0.2; the 90th 1.9 / 10 = 0.19 -> 0.2.
    assert durations([1, 2], "days", 10) == Durations(2, D("0.2"), D("0.2"), "days")
    assert str(durations([7200], "hours", 3600).median) == "2.0"


def test_a_rate_is_none_without_a_whole_and_rounds_half_up() -> None:
    assert rate(0, 0) is None
    assert rate(3, 0) is None
    # 1 / 8 = 0.125 -> 0.13 half up (half to even: 0.12).
    assert rate(1, 8) == D("0.13")
    assert rate(2, 3) == D("0.67")
    assert str(rate(0, 5)) == "0.00"
    assert str(rate(5, 5)) == "1.00"


def test_the_month_of_a_day() -> None:
    assert month_of("2021-12-31") == date(2021, 12, 1)
    assert month_of("2019-07-01T10:00:00") == date(2019, 7, 1)


def test_the_latest_month_ignores_empty_keys() -> None:
    assert latest_month(["2020-02", "", "2021-11", "2019-07"]) == date(2021, 11, 1)
    assert latest_month(["", ""]) is None
    assert latest_month([]) is None


def test_months_from_the_programme_start_up_to_the_last_one_included() -> None:
    assert months_until(None) == []
    # Before the programme's start: none.
    assert months_until(date(2019, 6, 1)) == []
    assert months_until(date(2019, 7, 1)) == [date(2019, 7, 1)]
    assert months_until(date(2020, 2, 1)) == [
        date(2019, 7, 1), date(2019, 8, 1), date(2019, 9, 1), date(2019, 10, 1),
        date(2019, 11, 1), date(2019, 12, 1), date(2020, 1, 1), date(2020, 2, 1)]
    # The programme's period to 2021-12: 30 months (6 in 2019, 12 + 12).
    assert len(months_until(date(2021, 12, 1))) == 30


def test_the_last_day_of_a_month() -> None:
    assert month_end(date(2019, 12, 1)) == date(2019, 12, 31)
    assert month_end(date(2020, 2, 1)) == date(2020, 2, 29)
    assert month_end(date(2021, 2, 1)) == date(2021, 2, 28)
    assert month_end(date(2019, 11, 1)) == date(2019, 11, 30)
    assert month_end(date(2019, 7, 1)) == date(2019, 7, 31)
