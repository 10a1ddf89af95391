"""Days from intake to move-in are said as the referral answer times and the dashboards say
durations (issue 14 item 14: "use one statistic (median, with p90) everywhere, named")."""

from __future__ import annotations

from decimal import Decimal

from web.areas.housing.requests import move_in_days


def test_move_in_days_are_a_median_and_a_90th_percentile_never_a_mean() -> None:
    days = move_in_days([1, 2, 10])  # mean 4.3: said nowhere
    assert (days.count, days.median, days.p90, days.unit) == (3, Decimal("2.0"),
                                                               Decimal("8.4"), "days")


def test_one_move_in_is_its_own_median_and_none_has_no_figure() -> None:
    assert (move_in_days([7]).median, move_in_days([7]).p90) == (Decimal("7.0"), Decimal("7.0"))
    assert (move_in_days([]).median, move_in_days([]).p90, move_in_days([]).count) == (
        None, None, 0)
