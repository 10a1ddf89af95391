"""The indicators' arithmetic: breakdowns, percentiles as a spreadsheet's PERCENTILE.INC, rounding
half up, and the programme's months."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from projections.indicators.figures import PROGRAMME_START_MONTH, Breakdown, Count, Durations

_TENTH = Decimal("0.1")
_HUNDREDTH = Decimal("0.01")


def largest_first(counts: Counter[str]) -> list[Count]:
    return [Count(key, count) for key, count in
            sorted(counts.items(), key=lambda item: (-item[1], item[0])) if count]


def breakdown(dimension: str, counts: Counter[str], total: int | None = None) -> Breakdown:
    shown = largest_first(counts)
    return Breakdown(dimension, sum(c.count for c in shown) if total is None else total,
                     tuple(shown))


def durations(values: Iterable[int], unit: str, per_unit: int) -> Durations:
    """Median and 90th percentile as PERCENTILE.INC, then in `unit` (`per_unit` of the values
    make one) to a tenth. Over whole numbers `statistics.quantiles` interpolates exactly: a
    sum of integers divided by 2 or by 10, whose float prints as that exact decimal."""
    data = sorted(values)
    if not data:
        return Durations(0, None, None, unit)
    if len(data) == 1:
        median = p90 = Decimal(data[0])
    else:
        median = Decimal(repr(statistics.quantiles(data, n=2, method="inclusive")[0]))
        p90 = Decimal(repr(statistics.quantiles(data, n=10, method="inclusive")[8]))
    return Durations(len(data), _tenths(median / per_unit), _tenths(p90 / per_unit), unit)


def _tenths(value: Decimal) -> Decimal:
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP)


def rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def month_of(day: str) -> date:
    return date(int(day[:4]), int(day[5:7]), 1)


def latest_month(months: Iterable[str]) -> date | None:
    keys = [key for key in months if key]
    return month_of(max(keys)) if keys else None


def months_until(last: date | None) -> list[date]:
    """Every month from the programme's start to `last` (none when `last` is None)."""
    if last is None:
        return []
    months, month = [], PROGRAMME_START_MONTH
    while month <= last:
        months.append(month)
        month = month_end(month) + timedelta(days=1)
    return months


def month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)
