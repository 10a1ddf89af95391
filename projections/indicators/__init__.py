"""The programme's indicators, per city and for the network, as the read models hold them: cases
taken in and who they are, referrals and how fast they were answered, placements and occupancy,
community activities, expenditure. Computed from the read models of the other projections (no
tables of their own, apart from the housing projection's bed-count history), so the same queries
over read models replayed up to a past moment (infra.replay) give the indicators as of then.

Every figure carries the key the web layer turns into a drill-down link: the same filter narrows
the list of cases, referrals, placements or activities behind it.

Percentiles (median, 90th) are interpolated between the closest ranks, as a spreadsheet's
PERCENTILE.INC does (`statistics.quantiles(..., method="inclusive")`), so an auditor can
reproduce them from an export. A case counts for the city that owns it now (a transferred case
counts where it went, as on the network overview); a referral for the city that requested it, a
placement for the city of its shelter.

Rounding (half up, after the percentile is taken over exact values): hours and days to one
decimal, the occupancy rate to two decimals; money is never rounded.

Every figure is read with a handful of GROUP BY queries over all the cities at once (the
network's dashboard needs them all), in portable SQL: the read models also live in PostgreSQL,
where dates are ISO texts too (hence `substr` for months). The budget is read as the finance
pages read it (projections.finance), in the same transaction."""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from projections.activities import (
    ACTIVITY_STATUS_CANCELLED,
    ACTIVITY_STATUS_COMPLETED,
)
from projections.case_list import CASE_STATUS_CLOSED, CASE_STATUS_OPEN
from projections.finance import (
    CLAIM_APPROVED,
    CLAIM_PENDING,
    SUB_ACTIONS,
    ZERO,
    BudgetLine,
    CityFinance,
    ClaimRow,
    NetworkFinance,
    city_finance_in,
    network_finance_in,
)
from projections.housing import HOUSED, MOVED_OUT, HousingQueries, PlacementRow
from projections.referrals import ReferralBoardQueries, ReferralRow
from projections.registry import PROJECTION_NAMES
from projections.storage.read_models import ReadModelDatabase, trackings_in
from projections.storage.transaction import Transaction

# How many nationalities are named one by one; the rest are summed under OTHER_NATIONALITIES.
TOP_NATIONALITIES = 10
OTHER_NATIONALITIES = "other"
# Dimensions of the case figures (the case list's filters of the same name narrow to them).
CASE_DIMENSIONS = ("status", "protection_status", "sex", "age_band", "nationality",
                   "vulnerability", "outcome")
# Month series start with the programme (its expenditure-eligibility window opens 2019-07-01).
PROGRAMME_START_MONTH = date(2019, 7, 1)
# The sub-actions community activities belong to (the domain refuses the others).
ACTIVITY_SUB_ACTIONS = ("2", "3", "5", "6")
# Referral destinations other than a city service, keyed by their kind.
PARTNER_DESTINATION = "partner"
TRANSFER_DESTINATION = "transfer"
CITY_SERVICE = "city_service"
# What the read models are built by: the position they all reached is the slowest one's.
TRACKED_PROJECTIONS = PROJECTION_NAMES
HOURS = "hours"
DAYS = "days"
_TENTH = Decimal("0.1")
_HUNDREDTH = Decimal("0.01")
_SECONDS_IN_AN_HOUR = 3600


@dataclass(frozen=True)
class Count:
    """One figure of a breakdown: `key` is the value filtered on (a protection status, a sex,
    an age band, a nationality code, a vulnerability category, a referral destination...)."""

    key: str
    count: int


@dataclass(frozen=True)
class Breakdown:
    """A figure split by one dimension, the largest first (ties by key)."""

    dimension: str
    total: int
    counts: tuple[Count, ...]

    def count_of(self, key: str) -> int:
        return next((c.count for c in self.counts if c.key == key), 0)


@dataclass(frozen=True)
class MonthValue:
    month: date
    """The first day of the month."""
    value: int


@dataclass(frozen=True)
class Durations:
    """How long something took, over the `count` times it happened; None when it never did."""

    count: int
    median: Decimal | None
    p90: Decimal | None
    unit: str
    """"hours" or "days"."""


@dataclass(frozen=True)
class CaseIndicators:
    taken_in: int
    """Every case the city owns (open and closed)."""
    open: int
    closed: int
    vulnerable: int
    """Cases with at least one vulnerability category."""
    by_protection_status: Breakdown
    by_sex: Breakdown
    by_age_band: Breakdown
    by_nationality: Breakdown
    """The TOP_NATIONALITIES largest, then OTHER_NATIONALITIES for the rest (if any)."""
    by_vulnerability: Breakdown
    """A case with two categories counts in both; `total` is the number of vulnerable cases."""
    by_outcome: Breakdown
    """Closed cases by closure outcome."""
    intakes_per_month: tuple[MonthValue, ...]
    """Intakes by intake date, every month from the programme's start (2019-07) to the last
    month with an intake, months without intakes included (value 0)."""


@dataclass(frozen=True)
class ReferralIndicators:
    requested: int
    by_destination: Breakdown
    """Keys: a city service (health, legal_aid, ...), "partner" or "transfer"."""
    by_outcome: Breakdown
    """Keys: the referral statuses (requested, accepted, declined, completed, withdrawn)."""
    response_time: Durations
    """Hours from request to answer (accepted or declined), over the answered referrals."""
    answered_in_time: int
    """Answered at or before their due time."""


@dataclass(frozen=True)
class HousingIndicators:
    placements: int
    """Bed offers made (each a placement, whatever came of it)."""
    moved_in: int
    """Placements that reached move-in."""
    housed_now: int
    beds: int
    """Beds in the open shelters."""
    occupancy_rate: Decimal | None
    """housed_now / beds, in [0, 1], two decimals; None without beds."""
    days_to_move_in: Durations
    """Days from intake to move-in, over the placements that reached move-in."""
    exits_by_outcome: Breakdown
    occupancy_per_month: tuple[tuple[date, int, int], ...]
    """(month, people housed on the month's last day, beds on that day), the same months as
    `CaseIndicators.intakes_per_month` span, or up to the month of the last offer, move-in or
    move-out if later."""


@dataclass(frozen=True)
class ActivityLine:
    """One sub-action's community activities (or, with `sub_action` None, all of them)."""

    sub_action: str | None
    activities: int
    completed: int
    cancelled: int
    sessions: int
    participants: int
    """Beneficiaries enrolled (cases)."""
    residents: int
    """Resident (non-beneficiary) participants, summed over the sessions."""
    hours: Decimal
    """Hours of attendance, summed over the participants."""


@dataclass(frozen=True)
class ActivityIndicators:
    lines: tuple[ActivityLine, ...]
    """Sub-actions 2, 3, 5 and 6, each even without activities."""
    total: ActivityLine


@dataclass(frozen=True)
class ExpenditureIndicators:
    lines: tuple[BudgetLine, ...]
    """Every sub-action (1-6), each even without figures."""
    total: BudgetLine
    claimed_per_month: tuple[tuple[date, Decimal], ...]
    """(month, claimed (pending + approved) up to the month's end, cumulative), by spending
    date, from 2019-07 to the last month with a claim."""


@dataclass(frozen=True)
class Indicators:
    """Every indicator of one city, or of the network (`city` None: the cities' figures summed,
    percentiles computed over the network's records)."""

    city: str | None
    position: int
    """The event position the read models reflect (the slowest projection's)."""
    cases: CaseIndicators
    referrals: ReferralIndicators
    housing: HousingIndicators
    activities: ActivityIndicators
    expenditure: ExpenditureIndicators


@dataclass(frozen=True)
class CityRow:
    """One city's headline figures on the ministry's dashboard (one sortable row)."""

    city: str
    taken_in: int
    open: int
    vulnerable: int
    referrals: int
    median_response_hours: Decimal | None
    housed_now: int
    beds: int
    occupancy_rate: Decimal | None
    activities: int
    participants: int
    hours: Decimal
    allocated: Decimal
    claimed: Decimal
    approved: Decimal


@dataclass(frozen=True)
class NetworkDashboard:
    position: int
    cities: tuple[CityRow, ...]
    """All 19 cities, in alphabetical order of slug (the page sorts them)."""
    network: Indicators


class IndicatorQueries:
    """The indicators of one city or of the network are kept with the position they were read
    at, and read again only once the read models have moved past it: a live dashboard reloads
    each of its sections whenever an event is projected, and every open dashboard's sections
    then share one reading (a few dozen milliseconds at programme scale) instead of one each."""

    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database
        # Replaced whole, never changed in place: threads share them without a lock.
        self._kept: dict[str | None, Indicators] = {}
        self._kept_dashboard: NetworkDashboard | None = None

    def position(self) -> int:
        """The event position every projection has reached in these read models."""
        with self.database.reading() as tx:
            return _position(tx)

    def indicators(self, city: str | None) -> Indicators:
        """One city's indicators, or the network's (None)."""
        kept = self._kept.get(city)
        if kept is not None and kept.position == self.position():
            return kept
        read = self._read_indicators(city)
        self._kept = {**self._kept, city: read}
        return read

    def _read_indicators(self, city: str | None) -> Indicators:
        # The budget in the same read as the rest: the position stated is the figures' own.
        with self.database.reading() as tx:
            tallies = _Tallies.read(tx, city)
            expenditure = (_network_expenditure(network_finance_in(tx)) if city is None
                           else _city_expenditure(city_finance_in(tx, city)))
        scope = tallies.network() if city is None else [tallies.of(city)]
        return _indicators(city, tallies.position, scope, expenditure)

    def network_dashboard(self) -> NetworkDashboard:
        kept = self._kept_dashboard
        if kept is not None and kept.position == self.position():
            return kept
        self._kept_dashboard = self._read_network_dashboard()
        return self._kept_dashboard

    def _read_network_dashboard(self) -> NetworkDashboard:
        with self.database.reading() as tx:
            tallies = _Tallies.read(tx, None)
            network_finance = network_finance_in(tx)
        rows = tuple(
            _city_row(city_finance.city, tallies.of(city_finance.city), city_finance.total)
            for city_finance in sorted(network_finance.cities, key=lambda c: c.city)
        )
        network = _indicators(None, tallies.position, tallies.network(),
                              _network_expenditure(network_finance))
        return NetworkDashboard(position=tallies.position, cities=rows, network=network)

    # What a figure's drill-down link lists (cases: the case list, with the CaseFilters of the
    # same names; activities: the activity register; expenditure: the finance page).

    def referrals(
        self, city: str, destination: str | None = None, status: str | None = None
    ) -> list[ReferralRow]:
        """The city's referrals (requested there), the latest first, narrowed to a destination
        key of `ReferralIndicators.by_destination` and/or a status."""
        queries = ReferralBoardQueries(self.database)
        if destination in (PARTNER_DESTINATION, TRANSFER_DESTINATION):
            return queries.requested_in(city, destination_kind=destination, status=status)
        if destination is not None:
            return queries.requested_in(city, destination_kind=CITY_SERVICE,
                                        service=destination, status=status)
        return queries.requested_in(city, status=status)

    def placements(
        self, city: str, outcome: str | None = None, moved_in: bool | None = None
    ) -> list[PlacementRow]:
        """The city's placements, the latest offer first, narrowed to an exit outcome
        (`HousingIndicators.exits_by_outcome` keys) and/or to those that reached move-in."""
        return HousingQueries(self.database).city_placements(city, outcome, moved_in)


def _position(tx: Transaction) -> int:
    trackings = trackings_in(tx, TRACKED_PROJECTIONS)
    return min(tracking.position for tracking in trackings.values())


# --- what the read models hold, by city ---------------------------------------------------------


class _Placement(NamedTuple):
    status: str
    offered_on: str
    moved_in_on: str | None
    moved_out_on: str | None
    days_to_move_in: int | None
    outcome: str | None


class _BedChange(NamedTuple):
    effective_on: str
    position: int
    shelter_id: str
    beds: int


@dataclass
class _CityTallies:
    """One city's raw figures: counts, to be summed over cities, and the records percentiles
    and series are taken over."""

    cases: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    """By dimension ("vulnerabilities": the stored delimited text; "month": YYYY-MM)."""
    referrals: list[tuple[str, str, int, int]] = field(default_factory=list)
    """(destination key, status, referrals, answered in time)."""
    response_seconds: list[int] = field(default_factory=list)
    placements: list[_Placement] = field(default_factory=list)
    open_beds: int = 0
    bed_changes: list[_BedChange] = field(default_factory=list)
    activities: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    """(sub-action, status, activities, sessions, residents)."""
    participants: Counter[str] = field(default_factory=Counter)
    """Distinct cases enrolled, by sub-action."""
    participants_overall: int = 0
    """Distinct cases enrolled in any of the city's activities."""
    hours: dict[str, Decimal] = field(default_factory=dict)
    """Participants' hours, by sub-action."""


@dataclass
class _Tallies:
    position: int
    cities: dict[str, _CityTallies]

    def of(self, city: str) -> _CityTallies:
        return self.cities.get(city) or _CityTallies()

    def network(self) -> list[_CityTallies]:
        return list(self.cities.values())

    @classmethod
    def read(cls, tx: Transaction, city: str | None) -> _Tallies:
        """Every raw figure of one city, or of all: in one snapshot on SQLite; on PostgreSQL
        (each statement seeing what was committed before it) at or after `position`, read
        first so that the live stream reloads a page whose figures are ahead of it."""
        position = _position(tx)
        cities: dict[str, _CityTallies] = defaultdict(_CityTallies)
        where, params = ("WHERE city = ?", [city]) if city else ("", [])
        also = "AND city = ?" if city else ""
        _read_cases(tx, cities, where, params)
        for city_, destination, status, count, in_time in tx.fetchall(
            f"SELECT city, {_DESTINATION_KEY}, status, COUNT(*),"
            " SUM(CASE WHEN answered_at <= due_at THEN 1 ELSE 0 END)"
            f" FROM rm_referrals {where} GROUP BY city, {_DESTINATION_KEY}, status", params,
        ):
            cities[city_].referrals.append((destination, status, int(count), int(in_time)))
        for city_, seconds in tx.fetchall(
            f"SELECT city, response_seconds FROM rm_referrals WHERE response_seconds IS NOT NULL"
            f" {also}", params,
        ):
            cities[city_].response_seconds.append(int(seconds))
        for row in tx.fetchall(
            "SELECT city, status, offered_on, moved_in_on, moved_out_on, days_to_move_in, outcome"
            f" FROM rm_placements {where}", params,
        ):
            cities[row[0]].placements.append(_Placement(
                status=row[1], offered_on=row[2], moved_in_on=row[3], moved_out_on=row[4],
                days_to_move_in=None if row[5] is None else int(row[5]), outcome=row[6],
            ))
        for city_, numbers in tx.fetchall(
            f"SELECT city, bed_numbers FROM rm_shelters WHERE closed_on IS NULL {also}", params,
        ):
            cities[city_].open_beds += sum(1 for number in numbers.split(",") if number)
        for city_, effective_on, change_position, shelter_id, beds in tx.fetchall(
            "SELECT city, effective_on, position, shelter_id, beds FROM rm_shelter_bed_counts"
            f" {where}", params,
        ):
            cities[city_].bed_changes.append(
                _BedChange(effective_on, int(change_position), shelter_id, int(beds)))
        _read_activities(tx, cities, city)
        return cls(position=position, cities=dict(cities))


# The key a referral's destination is counted under: its service, or "partner", or "transfer".
_DESTINATION_KEY = (
    f"CASE WHEN destination_kind = '{CITY_SERVICE}' THEN service ELSE destination_kind END"
)
# The case dimensions few values each: counted with one GROUP BY over them all (a sort of the
# cases is most of a GROUP BY's cost, so one sort instead of six); the others one by one.
_CASE_PROFILE = ("status", "protection_status", "sex", "age_band", "outcome")
_CASE_GROUPS = {
    "vulnerabilities": "vulnerabilities",
    "nationality": "nationality",
    "month": "substr(intake_date, 1, 7)",
}


def _read_cases(tx: Transaction, cities: dict[str, _CityTallies], where: str,
                params: list[Any]) -> None:
    profile = ", ".join(_CASE_PROFILE)
    for city, *values, count in tx.fetchall(
        f"SELECT city, {profile}, COUNT(*) FROM rm_cases {where} GROUP BY city, {profile}",
        params,
    ):
        cases = cities[city].cases
        for dimension, value in zip(_CASE_PROFILE, values, strict=True):
            if value is not None:  # the outcome of an open case
                cases[dimension][value] += int(count)
    selects = [
        f"SELECT '{dimension}', city, {column}, COUNT(*) FROM rm_cases {where}"
        f" GROUP BY city, {column}"
        for dimension, column in _CASE_GROUPS.items()
    ]
    for dimension, city, key, count in tx.fetchall(
        " UNION ALL ".join(selects), params * len(selects)
    ):
        cities[city].cases[dimension][key] += int(count)


def _read_activities(tx: Transaction, cities: dict[str, _CityTallies], city: str | None) -> None:
    where, params = ("WHERE a.city = ?", [city]) if city else ("", [])
    joined = ("FROM rm_activity_participants p"
              " JOIN rm_activities a ON a.activity_id = p.activity_id")
    for city_, sub_action, status, count, sessions, residents in tx.fetchall(
        "SELECT a.city, a.sub_action, a.status, COUNT(*), SUM(a.sessions), SUM(a.residents)"
        f" FROM rm_activities a {where} GROUP BY a.city, a.sub_action, a.status", params,
    ):
        cities[city_].activities.append(
            (sub_action, status, int(count), int(sessions), int(residents)))
    for city_, sub_action, count in tx.fetchall(
        f"SELECT a.city, a.sub_action, COUNT(DISTINCT p.case_id) {joined} {where}"
        " GROUP BY a.city, a.sub_action", params,
    ):
        cities[city_].participants[sub_action] = int(count)
    for city_, count in tx.fetchall(
        f"SELECT a.city, COUNT(DISTINCT p.case_id) {joined} {where} GROUP BY a.city", params,
    ):
        cities[city_].participants_overall = int(count)
    # Hours are decimal texts: summed here as Decimal, the equal ones counted by the database.
    for city_, sub_action, hours, count in tx.fetchall(
        f"SELECT a.city, a.sub_action, p.hours, COUNT(*) {joined} {where}"
        " GROUP BY a.city, a.sub_action, p.hours", params,
    ):
        tallies = cities[city_]
        tallies.hours[sub_action] = (
            tallies.hours.get(sub_action, ZERO) + Decimal(str(hours)) * int(count))


# --- the indicators, from the tallies of one city or of every city ------------------------------


def _indicators(
    city: str | None, position: int, scope: Sequence[_CityTallies],
    expenditure: ExpenditureIndicators,
) -> Indicators:
    cases = _case_indicators(scope)
    last_intake_month = cases.intakes_per_month[-1].month if cases.intakes_per_month else None
    return Indicators(
        city=city,
        position=position,
        cases=cases,
        referrals=_referral_indicators(scope),
        housing=_housing_indicators(scope, last_intake_month),
        activities=_activity_indicators(scope),
        expenditure=expenditure,
    )


def _case_indicators(scope: Sequence[_CityTallies]) -> CaseIndicators:
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
    nationalities = summed("nationality")
    top = _largest_first(nationalities)
    shown, rest = top[:TOP_NATIONALITIES], top[TOP_NATIONALITIES:]
    if rest:
        shown.append(Count(OTHER_NATIONALITIES, sum(c.count for c in rest)))
    months = summed("month")
    return CaseIndicators(
        taken_in=taken_in,
        open=statuses[CASE_STATUS_OPEN],
        closed=statuses[CASE_STATUS_CLOSED],
        vulnerable=vulnerable,
        by_protection_status=_breakdown("protection_status", summed("protection_status")),
        by_sex=_breakdown("sex", summed("sex")),
        by_age_band=_breakdown("age_band", summed("age_band")),
        by_nationality=Breakdown("nationality", taken_in, tuple(shown)),
        by_vulnerability=_breakdown("vulnerability", vulnerabilities, total=vulnerable),
        by_outcome=_breakdown("outcome", summed("outcome")),
        intakes_per_month=tuple(
            MonthValue(month, months[month.isoformat()[:7]])
            for month in _months_until(_latest_month(months))
        ),
    )


def _referral_indicators(scope: Sequence[_CityTallies]) -> ReferralIndicators:
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
        by_destination=_breakdown("destination", destinations),
        by_outcome=_breakdown("status", statuses),
        response_time=_durations(seconds, HOURS, _SECONDS_IN_AN_HOUR),
        answered_in_time=in_time,
    )


def _housing_indicators(
    scope: Sequence[_CityTallies], last_intake_month: date | None
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
        occupancy_rate=_rate(housed_now, beds),
        days_to_move_in=_durations(
            [p.days_to_move_in for p in placements if p.days_to_move_in is not None],
            DAYS, 1),
        exits_by_outcome=_breakdown("outcome", exits),
        occupancy_per_month=_occupancy_per_month(
            placements, [c for tallies in scope for c in tallies.bed_changes],
            last_intake_month),
    )


def _occupancy_per_month(
    placements: Sequence[_Placement], bed_changes: Sequence[_BedChange],
    last_intake_month: date | None,
) -> tuple[tuple[date, int, int], ...]:
    placement_days = [day for p in placements
                      for day in (p.offered_on, p.moved_in_on, p.moved_out_on) if day]
    last_placement_month = (_month_of(max(placement_days)) if placement_days else None)
    last = max((m for m in (last_intake_month, last_placement_month) if m), default=None)
    # Housed on a day: moved in by then, and not moved out by then (whoever moves out leaves
    # the bed that day). A move-out never precedes its move-in, so the counts subtract.
    moved_in = sorted(p.moved_in_on for p in placements if p.moved_in_on)
    moved_out = sorted(p.moved_out_on for p in placements if p.moved_in_on and p.moved_out_on)
    changes = sorted(bed_changes, key=lambda c: (c.effective_on, c.position))
    beds_of: dict[str, int] = {}
    applied = 0
    series = []
    for month in _months_until(last):
        day = _month_end(month).isoformat()
        while applied < len(changes) and changes[applied].effective_on <= day:
            beds_of[changes[applied].shelter_id] = changes[applied].beds
            applied += 1
        housed = bisect_right(moved_in, day) - bisect_right(moved_out, day)
        series.append((month, housed, sum(beds_of.values())))
    return tuple(series)


def _activity_indicators(scope: Sequence[_CityTallies]) -> ActivityIndicators:
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


def _city_expenditure(budget: CityFinance) -> ExpenditureIndicators:
    return _expenditure(tuple(budget.line(s) for s in SUB_ACTIONS), budget.total, budget.claims)


def _network_expenditure(network: NetworkFinance) -> ExpenditureIndicators:
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
    for month in _months_until(_latest_month(by_month)):
        claimed += by_month.get(month.isoformat()[:7], ZERO)
        claimed_per_month.append((month, claimed))
    return ExpenditureIndicators(lines=tuple(lines), total=total,
                                 claimed_per_month=tuple(claimed_per_month))


def _city_row(city: str, tallies: _CityTallies, budget: BudgetLine) -> CityRow:
    """The figures of `_indicators` that the dashboard's row shows, and only those: nineteen
    rows need no month series."""
    scope = [tallies]
    statuses = tallies.cases.get("status", Counter())
    housed_now = sum(1 for p in tallies.placements if p.status == HOUSED)
    activities = _activity_indicators(scope).total
    return CityRow(
        city=city,
        taken_in=sum(statuses.values()),
        open=statuses[CASE_STATUS_OPEN],
        vulnerable=sum(count for delimited, count in tallies.cases["vulnerabilities"].items()
                       if delimited),
        referrals=sum(count for _destination, _status, count, _in_time in tallies.referrals),
        median_response_hours=_durations(
            tallies.response_seconds, HOURS, _SECONDS_IN_AN_HOUR).median,
        housed_now=housed_now,
        beds=tallies.open_beds,
        occupancy_rate=_rate(housed_now, tallies.open_beds),
        activities=activities.activities,
        participants=activities.participants,
        hours=activities.hours,
        allocated=budget.allocated,
        claimed=budget.claimed,
        approved=budget.approved,
    )


# --- arithmetic ---------------------------------------------------------------------------------


def _largest_first(counts: Counter[str]) -> list[Count]:
    return [Count(key, count) for key, count in
            sorted(counts.items(), key=lambda item: (-item[1], item[0])) if count]


def _breakdown(dimension: str, counts: Counter[str], total: int | None = None) -> Breakdown:
    shown = _largest_first(counts)
    return Breakdown(dimension, sum(c.count for c in shown) if total is None else total,
                     tuple(shown))


def _durations(values: Iterable[int], unit: str, per_unit: int) -> Durations:
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


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def _month_of(day: str) -> date:
    return date(int(day[:4]), int(day[5:7]), 1)


def _latest_month(months: Iterable[str]) -> date | None:
    keys = [key for key in months if key]
    return _month_of(max(keys)) if keys else None


def _months_until(last: date | None) -> list[date]:
    """Every month from the programme's start to `last` (none when `last` is None)."""
    if last is None:
        return []
    months, month = [], PROGRAMME_START_MONTH
    while month <= last:
        months.append(month)
        month = _month_end(month) + timedelta(days=1)
    return months


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)

