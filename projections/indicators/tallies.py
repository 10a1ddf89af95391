"""What the read models hold, by city: the raw figures (counts, and the records percentiles and
series are taken over) read with a handful of GROUP BY queries over every city at once, in
portable SQL (on PostgreSQL dates are ISO texts too, hence `substr` for months).

The queries are grouped by the read model they read (`_GROUPS`), so that what was read of one
can be kept until its projection changes it (`rm_changes`): at 10x programme scale the queries
take a few hundred milliseconds on PostgreSQL, and an event changes one or two of the six read
models (issue 15)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from projections.activities import ActivityRegisterProjection
from projections.case_list import CaseListProjection
from projections.deliveries import DeliveryProjection
from projections.finance import ZERO
from projections.housing import HousingProjection
from projections.indicators.figures import CITY_SERVICE
from projections.kept import KeptReading
from projections.person_links import PersonLinksProjection
from projections.referrals import ReferralBoardProjection
from projections.registry import PROJECTION_NAMES
from projections.storage.read_models import changes_in, trackings_in
from projections.storage.transaction import Transaction

# What the read models are built by: the position they all reached is the slowest one's.
TRACKED_PROJECTIONS = PROJECTION_NAMES


def position_in(tx: Transaction) -> int:
    trackings = trackings_in(tx, TRACKED_PROJECTIONS)
    return min(tracking.position for tracking in trackings.values())


class Placement(NamedTuple):
    status: str
    offered_on: str
    moved_in_on: str | None
    moved_out_on: str | None
    days_to_move_in: int | None
    outcome: str | None


class BedChange(NamedTuple):
    effective_on: str
    position: int
    shelter_id: str
    beds: int


@dataclass
class CityTallies:
    """One city's raw figures: counts, to be summed over cities, and the records percentiles
    and series are taken over."""

    cases: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    """By dimension ("vulnerabilities": the stored delimited text; "month": YYYY-MM)."""
    people: int = 0
    """The people the city's cases are about: cases linked by a confirmed person id count once
    (projections.person_links)."""
    referrals: list[tuple[str, str, int, int]] = field(default_factory=list)
    """(destination key, status, referrals, answered in time)."""
    response_seconds: list[int] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    open_beds: int = 0
    bed_changes: list[BedChange] = field(default_factory=list)
    activities: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    """(sub-action, status, activities, sessions, residents)."""
    participants: Counter[str] = field(default_factory=Counter)
    """Distinct cases enrolled, by sub-action."""
    participants_overall: int = 0
    """Distinct cases enrolled in any of the city's activities."""
    hours: dict[str, Decimal] = field(default_factory=dict)
    """Participants' hours, by sub-action."""
    delivered: dict[tuple[str, str, str], tuple[int, Decimal]] = field(default_factory=dict)
    """(sub-action, kind, unit) -> (deliveries, quantity), voided ones aside."""
    served: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Distinct cases served, by (sub-action, kind)."""
    served_overall: int = 0
    """Distinct cases served by any of the city's deliveries."""


@dataclass
class Tallies:
    position: int
    cities: dict[str, CityTallies]
    people: int = 0
    """The people of the cities read, each once: a person taken in by two cities is one person
    of the network (not the sum of the cities')."""

    def of(self, city: str) -> CityTallies:
        return self.cities.get(city) or CityTallies()

    def network(self) -> list[CityTallies]:
        return list(self.cities.values())

    @classmethod
    def read(cls, tx: Transaction, city: str | None, kept: KeptGroups | None = None) -> Tallies:
        """Every raw figure of one city, or of all: in one snapshot on SQLite; on PostgreSQL
        (each statement seeing what was committed before it) at or after `position`, read
        first so that the live stream reloads a page whose figures are ahead of it.

        `kept`: what was read before of each read model, for the same city, read again only if
        its projection has changed it since (`rm_changes`): an event of a case leaves the
        deliveries', activities', referrals' and housing's figures as they were."""
        position = position_in(tx)
        changes = changes_in(tx) if kept is not None else {}
        readings: list[GroupReading] = []
        for group in _GROUPS:
            def read_group(group: _Group = group) -> GroupReading:
                cities: dict[str, CityTallies] = defaultdict(CityTallies)
                people = group.read(tx, cities, city)
                return GroupReading(dict(cities), people or 0)
            if kept is None:
                readings.append(read_group())
            else:
                readings.append(kept.setdefault(group.projection, KeptReading()).get(
                    changes.get(group.projection), read_group))
        cities: dict[str, CityTallies] = defaultdict(CityTallies)
        for group, reading in zip(_GROUPS, readings, strict=True):
            for city_, tallies in reading.cities.items():
                for name in group.fields:
                    setattr(cities[city_], name, getattr(tallies, name))
        people = sum(reading.people for reading in readings)
        return cls(position=position, cities=dict(cities), people=people)


@dataclass(frozen=True)
class GroupReading:
    """What one read model's queries found: the fields of each city's tallies they fill (the
    others left empty), and the network's people (the person links' only)."""

    cities: dict[str, CityTallies]
    people: int


# What was read of each read model, by its projection's name: kept for one city (or the
# network) by `IndicatorQueries`.
KeptGroups = dict[str, KeptReading[GroupReading]]


def _read_referrals(tx: Transaction, cities: dict[str, CityTallies],
                    city: str | None) -> None:
    where, params = ("WHERE city = ?", [city]) if city else ("", [])
    also = "AND city = ?" if city else ""
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


def _read_housing(tx: Transaction, cities: dict[str, CityTallies], city: str | None) -> None:
    where, params = ("WHERE city = ?", [city]) if city else ("", [])
    also = "AND city = ?" if city else ""
    for row in tx.fetchall(
        "SELECT city, status, offered_on, moved_in_on, moved_out_on, days_to_move_in, outcome"
        f" FROM rm_placements {where}", params,
    ):
        cities[row[0]].placements.append(Placement(
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
            BedChange(effective_on, int(change_position), shelter_id, int(beds)))


# A case is about its confirmed person, or else about a person of its own.
_PERSON = "COALESCE(person_id, case_id)"


def _read_people(tx: Transaction, cities: dict[str, CityTallies], city: str | None) -> int:
    where, params = ("WHERE city = ?", [city]) if city else ("", [])
    for city_, count in tx.fetchall(
        f"SELECT city, COUNT(DISTINCT {_PERSON}) FROM rm_person_cases {where} GROUP BY city",
        params,
    ):
        cities[city_].people = int(count)
    row = tx.fetchone(f"SELECT COUNT(DISTINCT {_PERSON}) FROM rm_person_cases {where}", params)
    return int(row[0]) if row is not None else 0


# The key a referral's destination is counted under: its service, or "partner", or "transfer".
_DESTINATION_KEY = (
    f"CASE WHEN destination_kind = '{CITY_SERVICE}' THEN service ELSE destination_kind END"
)
# The case dimensions few values each: counted with one GROUP BY over them all (a sort of the
# cases is most of a GROUP BY's cost, so one sort instead of six); the others one by one.
_CASE_PROFILE = ("status", "protection_status", "sex", "age_band", "outcome")
_CASE_GROUPS = {
    "vulnerabilities": "vulnerabilities",
    # None (no citizenship) is a key of its own, filtered on as "none" (case_list).
    "citizenship": "COALESCE(citizenship, 'none')",
    "month": "substr(intake_date, 1, 7)",
}


def _read_cases(tx: Transaction, cities: dict[str, CityTallies], city: str | None) -> None:
    where, params = ("WHERE city = ?", [city]) if city else ("", [])
    profile = ", ".join(_CASE_PROFILE)
    for city_, *values, count in tx.fetchall(
        f"SELECT city, {profile}, COUNT(*) FROM rm_cases {where} GROUP BY city, {profile}",
        params,
    ):
        cases = cities[city_].cases
        for dimension, value in zip(_CASE_PROFILE, values, strict=True):
            if value is not None:  # the outcome of an open case
                cases[dimension][value] += int(count)
    selects = [
        f"SELECT '{dimension}', city, {column}, COUNT(*) FROM rm_cases {where}"
        f" GROUP BY city, {column}"
        for dimension, column in _CASE_GROUPS.items()
    ]
    for dimension, city_, key, count in tx.fetchall(
        " UNION ALL ".join(selects), params * len(selects)
    ):
        cities[city_].cases[dimension][key] += int(count)


def _read_activities(tx: Transaction, cities: dict[str, CityTallies], city: str | None) -> None:
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


def _read_deliveries(tx: Transaction, cities: dict[str, CityTallies], city: str | None) -> None:
    where = "WHERE voided_reason IS NULL" + (" AND city = ?" if city else "")
    params = [city] if city else []
    # Quantities are decimal texts: summed here as Decimal, the equal ones counted by the database.
    for city_, sub_action, kind, unit, quantity, count in tx.fetchall(
        "SELECT city, sub_action, kind, unit, quantity, COUNT(*) FROM rm_deliveries"
        f" {where} GROUP BY city, sub_action, kind, unit, quantity", params,
    ):
        delivered = cities[city_].delivered
        deliveries, total = delivered.get((sub_action, kind, unit), (0, Decimal(0)))
        delivered[(sub_action, kind, unit)] = (
            deliveries + int(count), total + Decimal(str(quantity)) * int(count))
    for city_, sub_action, kind, count in tx.fetchall(
        "SELECT city, sub_action, kind, COUNT(DISTINCT case_id) FROM rm_deliveries"
        f" {where} GROUP BY city, sub_action, kind", params,
    ):
        cities[city_].served[(sub_action, kind)] = int(count)
    for city_, count in tx.fetchall(
        f"SELECT city, COUNT(DISTINCT case_id) FROM rm_deliveries {where} GROUP BY city", params,
    ):
        cities[city_].served_overall = int(count)


class _Group(NamedTuple):
    """The queries over one projection's read model, and the fields of a city's tallies they
    fill (no two groups fill the same field)."""

    projection: str
    fields: tuple[str, ...]
    read: Callable[[Transaction, dict[str, CityTallies], str | None], int | None]


_GROUPS = (
    _Group(CaseListProjection.name, ("cases",), _read_cases),
    _Group(ReferralBoardProjection.name, ("referrals", "response_seconds"), _read_referrals),
    _Group(HousingProjection.name, ("placements", "open_beds", "bed_changes"), _read_housing),
    _Group(ActivityRegisterProjection.name,
           ("activities", "participants", "participants_overall", "hours"), _read_activities),
    _Group(DeliveryProjection.name, ("delivered", "served", "served_overall"), _read_deliveries),
    _Group(PersonLinksProjection.name, ("people",), _read_people),
)
