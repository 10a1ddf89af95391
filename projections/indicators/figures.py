"""What the indicators are: the figures of one city or of the network, as the web layer shows
them and the API serves them, and the keys their drill-down links filter on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from projections.finance import BudgetLine

# How many citizenships are named one by one; the rest are summed under OTHER_CITIZENSHIPS.
TOP_CITIZENSHIPS = 10
OTHER_CITIZENSHIPS = "other"
# Dimensions of the case figures (the case list's filters of the same name narrow to them).
CASE_DIMENSIONS = ("status", "protection_status", "sex", "age_band", "citizenship",
                   "vulnerability", "outcome")
# Month series start with the programme (its expenditure-eligibility window opens 2019-07-01).
PROGRAMME_START_MONTH = date(2019, 7, 1)
# The sub-actions community activities belong to (the domain refuses the others).
ACTIVITY_SUB_ACTIONS = ("2", "3", "5", "6")
# Referral destinations other than a city service, keyed by their kind.
PARTNER_DESTINATION = "partner"
TRANSFER_DESTINATION = "transfer"
CITY_SERVICE = "city_service"
HOURS = "hours"
DAYS = "days"


@dataclass(frozen=True)
class Count:
    """One figure of a breakdown: `key` is the value filtered on (a protection status, a sex,
    an age band, a citizenship code ("none": no citizenship), a vulnerability category, a
    referral destination...)."""

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
    people: int
    """The people those cases are about: cases linked by a confirmed person id (duplicate
    persons across cities, projections.person_links) count once. The network's is not the sum
    of the cities': a person taken in by two cities is one person of each, and one of the
    network."""
    open: int
    closed: int
    vulnerable: int
    """Cases with at least one vulnerability category."""
    by_protection_status: Breakdown
    by_sex: Breakdown
    by_age_band: Breakdown
    by_citizenship: Breakdown
    """The TOP_CITIZENSHIPS largest, then OTHER_CITIZENSHIPS for the rest (if any)."""
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
class DeliveryLine:
    """The services of one kind delivered under one sub-action (voided deliveries aside)."""

    sub_action: str
    kind: str
    unit: str
    """meals, items, tickets, hours or eur (cash support)."""
    deliveries: int
    people: int
    """Distinct cases served (the network's figure: the sum of the cities')."""
    quantity: Decimal
    """Summed, in `unit`."""


@dataclass(frozen=True)
class DeliveryIndicators:
    lines: tuple[DeliveryLine, ...]
    """Each sub-action and kind with deliveries, by sub-action then kind."""
    deliveries: int
    people: int
    """Distinct cases served by any delivery (the network's: the sum of the cities')."""
    cash: Decimal
    """Cash support, in euros."""


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
    deliveries: DeliveryIndicators
    """Services delivered to people (Sub-Actions 2, 3 and 4)."""


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
