"""The indicators, from the tallies of one city or of every city: counts summed over the cities,
percentiles taken over the records of them all."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from projections.activities import ACTIVITY_STATUS_CANCELLED, ACTIVITY_STATUS_COMPLETED
from projections.case_list import CASE_STATUS_CLOSED, CASE_STATUS_OPEN
from projections.deliveries import CASH_UNIT
from projections.finance import (
    CLAIM_APPROVED,
    CLAIM_PENDING,
    SUB_ACTIONS,
    ZERO,
    BudgetLine,
    CityFinance,
    ClaimRow,
    NetworkFinance,
)
from projections.housing import HOUSED, MOVED_OUT
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
from projections.indicators.figures import (
    ACTIVITY_SUB_ACTIONS,
    DAYS,
    HOURS,
    OTHER_CITIZENSHIPS,
    TOP_CITIZENSHIPS,
    ActivityIndicators,
    ActivityLine,
    Breakdown,
    CaseIndicators,
    CityRow,
    Count,
    DeliveryIndicators,
    DeliveryLine,
    ExpenditureIndicators,
    HousingIndicators,
    Indicators,
    MonthValue,
    ReferralIndicators,
)
from projections.indicators.tallies import BedChange, CityTallies, Placement

_SECONDS_IN_AN_HOUR = 3600


def indicators_from(
    city: str | None, position: int, scope: Sequence[CityTallies],
    expenditure: ExpenditureIndicators, people: int,
) -> Indicators:
    """`people`: the scope's people, each once (Tallies.people: not a sum over cities)."""
    cases = _case_indicators(scope, people)
    last_intake_month = cases.intakes_per_month[-1].month if cases.intakes_per_month else None
    return Indicators(
        city=city,
        position=position,
        cases=cases,
        referrals=_referral_indicators(scope),
        housing=_housing_indicators(scope, last_intake_month),
        activities=_activity_indicators(scope),
        expenditure=expenditure,
        deliveries=_delivery_indicators(scope),
    )


def _case_indicators(scope: Sequence[CityTallies], people: int) -> CaseIndicators:
    def summed(dimension: str) -> Counter[str]:
        total: Counter[str] = Counter()
        for tallies in scope:
            total.update(tallies.cases.get(dimension, {}))
        return total

    statuses = summed("status")
    taken_in = sum(statuses.values())
    vulnerabilities: Counter[str] = Counter()
    vulnerable = 0
    for delimited, count in summed("vulnerabilities").items():
        categories = [category for category in delimited.split(",") if category]
        if categories:
            vulnerable += count
            vulnerabilities.update({category: count for category in categories})
    citizenships = summed("citizenship")
    top = largest_first(citizenships)
    shown, rest = top[:TOP_CITIZENSHIPS], top[TOP_CITIZENSHIPS:]
    if rest:
        shown.append(Count(OTHER_CITIZENSHIPS, sum(c.count for c in rest)))
    months = summed("month")
    return CaseIndicators(
        taken_in=taken_in,
        people=people,
        open=statuses[CASE_STATUS_OPEN],
        closed=statuses[CASE_STATUS_CLOSED],
        vulnerable=vulnerable,
        by_protection_status=breakdown("protection_status", summed("protection_status")),
        by_sex=breakdown("sex", summed("sex")),
        by_age_band=breakdown("age_band", summed("age_band")),
        by_citizenship=Breakdown("citizenship", taken_in, tuple(shown)),
        by_vulnerability=breakdown("vulnerability", vulnerabilities, total=vulnerable),
        by_outcome=breakdown("outcome", summed("outcome")),
        intakes_per_month=tuple(
            MonthValue(month, months[month.isoformat()[:7]])
            for month in months_until(latest_month(months))
        ),
    )


def _referral_indicators(scope: Sequence[CityTallies]) -> ReferralIndicators:
    destinations: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    in_time = 0
    for tallies in scope:
        for destination, status, count, answered_in_time in tallies.referrals:
            destinations[destination] += count
            statuses[status] += count
            in_time += answered_in_time
    seconds = [s for tallies in scope for s in tallies.response_seconds]
    return ReferralIndicators(
        requested=sum(statuses.values()),
        by_destination=breakdown("destination", destinations),
        by_outcome=breakdown("status", statuses),
        response_time=durations(seconds, HOURS, _SECONDS_IN_AN_HOUR),
        answered_in_time=in_time,
    )


def _housing_indicators(
    scope: Sequence[CityTallies], last_intake_month: date | None
) -> HousingIndicators:
    placements = [p for tallies in scope for p in tallies.placements]
    housed_now = sum(1 for p in placements if p.status == HOUSED)
    beds = sum(tallies.open_beds for tallies in scope)
    exits = Counter(p.outcome for p in placements if p.status == MOVED_OUT and p.outcome)
    return HousingIndicators(
        placements=len(placements),
        moved_in=sum(1 for p in placements if p.moved_in_on is not None),
        housed_now=housed_now,
        beds=beds,
        occupancy_rate=rate(housed_now, beds),
        days_to_move_in=durations(
            [p.days_to_move_in for p in placements if p.days_to_move_in is not None],
            DAYS, 1),
        exits_by_outcome=breakdown("outcome", exits),
        occupancy_per_month=_occupancy_per_month(
            placements, [c for tallies in scope for c in tallies.bed_changes],
            last_intake_month),
    )


def _occupancy_per_month(
    placements: Sequence[Placement], bed_changes: Sequence[BedChange],
    last_intake_month: date | None,
) -> tuple[tuple[date, int, int], ...]:
    placement_days = [day for p in placements
                      for day in (p.offered_on, p.moved_in_on, p.moved_out_on) if day]
    last_placement_month = (month_of(max(placement_days)) if placement_days else None)
    last = max((m for m in (last_intake_month, last_placement_month) if m), default=None)
    # Housed on a day: moved in by then, and not moved out by then (whoever moves out leaves
    # the bed that day). A move-out never precedes its move-in, so the counts subtract.
    moved_in = sorted(p.moved_in_on for p in placements if p.moved_in_on)
    moved_out = sorted(p.moved_out_on for p in placements if p.moved_in_on and p.moved_out_on)
    changes = sorted(bed_changes, key=lambda c: (c.effective_on, c.position))
    beds_of: dict[str, int] = {}
    applied = 0
    series = []
    for month in months_until(last):
        day = month_end(month).isoformat()
        while applied < len(changes) and changes[applied].effective_on <= day:
            beds_of[changes[applied].shelter_id] = changes[applied].beds
            applied += 1
        housed = bisect_right(moved_in, day) - bisect_right(moved_out, day)
        series.append((month, housed, sum(beds_of.values())))
    return tuple(series)


def _activity_indicators(scope: Sequence[CityTallies]) -> ActivityIndicators:
    def line(sub_action: str | None) -> ActivityLine:
        chosen = [a for tallies in scope for a in tallies.activities
                  if sub_action in (None, a[0])]

        def of_status(status: str) -> int:
            return sum(a[2] for a in chosen if a[1] == status)

        if sub_action is None:
            participants = sum(tallies.participants_overall for tallies in scope)
        else:
            participants = sum(tallies.participants[sub_action] for tallies in scope)
        return ActivityLine(
            sub_action=sub_action,
            activities=sum(a[2] for a in chosen),
            completed=of_status(ACTIVITY_STATUS_COMPLETED),
            cancelled=of_status(ACTIVITY_STATUS_CANCELLED),
            sessions=sum(a[3] for a in chosen),
            participants=participants,
            residents=sum(a[4] for a in chosen),
            hours=sum((hours for tallies in scope for s, hours in tallies.hours.items()
                       if sub_action in (None, s)), ZERO),
        )

    return ActivityIndicators(
        lines=tuple(line(s) for s in ACTIVITY_SUB_ACTIONS), total=line(None))


def city_expenditure(budget: CityFinance) -> ExpenditureIndicators:
    return _expenditure(tuple(budget.line(s) for s in SUB_ACTIONS), budget.total, budget.claims)


def network_expenditure(network: NetworkFinance) -> ExpenditureIndicators:
    return _expenditure(network.by_sub_action(), network.total,
                        [claim for city in network.cities for claim in city.claims])


def _expenditure(lines: Sequence[BudgetLine], total: BudgetLine,
                 claims: Iterable[ClaimRow]) -> ExpenditureIndicators:
    by_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for claim in claims:
        if claim.status in (CLAIM_PENDING, CLAIM_APPROVED):
            by_month[claim.spent_on.isoformat()[:7]] += claim.amount
    claimed_per_month: list[tuple[date, Decimal]] = []
    claimed = ZERO
    for month in months_until(latest_month(by_month)):
        claimed += by_month.get(month.isoformat()[:7], ZERO)
        claimed_per_month.append((month, claimed))
    return ExpenditureIndicators(lines=tuple(lines), total=total,
                                 claimed_per_month=tuple(claimed_per_month))


def city_row(city: str, tallies: CityTallies, budget: BudgetLine) -> CityRow:
    """The figures of `indicators_from` that the dashboard's row shows, and only those: nineteen
    rows need no month series."""
    scope = [tallies]
    statuses = tallies.cases.get("status", Counter())
    housed_now = sum(1 for p in tallies.placements if p.status == HOUSED)
    activities = _activity_indicators(scope).total
    return CityRow(
        city=city,
        taken_in=sum(statuses.values()),
        open=statuses[CASE_STATUS_OPEN],
        # .get: the tallies may be kept and shared between threads, and are never changed.
        vulnerable=sum(count for delimited, count
                       in tallies.cases.get("vulnerabilities", {}).items() if delimited),
        referrals=sum(count for _destination, _status, count, _in_time in tallies.referrals),
        median_response_hours=durations(
            tallies.response_seconds, HOURS, _SECONDS_IN_AN_HOUR).median,
        housed_now=housed_now,
        beds=tallies.open_beds,
        occupancy_rate=rate(housed_now, tallies.open_beds),
        activities=activities.activities,
        participants=activities.participants,
        hours=activities.hours,
        allocated=budget.allocated,
        claimed=budget.claimed,
        approved=budget.approved,
    )


def _delivery_indicators(scope: Sequence[CityTallies]) -> DeliveryIndicators:
    summed: dict[tuple[str, str, str], tuple[int, Decimal]] = {}
    for tallies in scope:
        for key, (deliveries, quantity) in tallies.delivered.items():
            before = summed.get(key, (0, Decimal(0)))
            summed[key] = (before[0] + deliveries, before[1] + quantity)
    lines = tuple(
        DeliveryLine(sub_action=sub_action, kind=kind, unit=unit, deliveries=deliveries,
                     people=sum(t.served.get((sub_action, kind), 0) for t in scope),
                     quantity=quantity)
        for (sub_action, kind, unit), (deliveries, quantity) in sorted(summed.items())
    )
    return DeliveryIndicators(
        lines=lines,
        deliveries=sum(line.deliveries for line in lines),
        people=sum(t.served_overall for t in scope),
        cash=sum((line.quantity for line in lines if line.unit == CASH_UNIT), Decimal("0.00")),
    )
