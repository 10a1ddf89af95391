"""The action's output and result indicators for its final report to the donor (the EU fund):
people reached, each counted once across the cities, and of them the vulnerable, the minors and
the women; people housed and how many days it took; people who took part in civic engagement;
municipal staff trained (Sub-Action 5); communication events and the people they reached
(Sub-Action 6). Definitions in docs/workflows/reporting.md ("Indicators for the donor").

Read from the other projections' read models (no tables of its own), like projections.indicators:
the same queries over read models replayed up to a past moment give the report as of then.
Every figure is computed from the records its drill-down lists (`DonorReport.records`), so a
figure and its list never disagree: a person figure counts people (rows of people, each with the
case codes that are theirs in the scope), an activity figure is summed over activities.

A person is the pseudonymous person id a coordinator's confirmed match gave their cases
(projections.person_links), or else the case alone. A person counts in a city when one of their
cases is the city's now (a transferred case counts where it went), and once in the network
however many cities took them in; their attributes are read from their cases in the scope:
vulnerable, minor or a woman when any of those cases says so."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from events.contracts import CaseCameOfAgeV1
from projections.indicators.arithmetic import durations
from projections.indicators.figures import DAYS, Durations
from projections.indicators.tallies import position_in
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

# The age bands whose every age is under 18 (events.contracts.AgeBand: both schemes' codes).
MINOR_AGE_BANDS = ("0-13", "14-17", "0-17")
FEMALE = "female"
CIVIC_ENGAGEMENT = "2"
STAFF_TRAINING = "5"
COMMUNICATION = "6"
# The drill-down lists, by the indicator they stand behind.
PEOPLE = "people"
VULNERABLE = "vulnerable"
MINORS = "minors"
WOMEN = "women"
HOUSED = "housed"
CIVIC = "civic_engagement"
TRAINING = "staff_training"
EVENTS = "communication"
PERSON_LISTS = (PEOPLE, VULNERABLE, MINORS, WOMEN, HOUSED, CIVIC)
ACTIVITY_LISTS = (TRAINING, EVENTS)
RECORD_LISTS = (*PERSON_LISTS, *ACTIVITY_LISTS)
_ZERO_HOURS = Decimal("0.00")
# The lists of some of the people reached: those whose PersonCounted has the flag.
_PERSON_FLAGS = {VULNERABLE: "vulnerable", MINORS: "minor", WOMEN: "woman"}


@dataclass(frozen=True)
class PersonCounted:
    """One person behind a figure: the codes of their cases in the scope, never who they are."""

    case_codes: tuple[str, ...]
    cities: tuple[str, ...]
    vulnerable: bool = False
    minor: bool = False
    woman: bool = False
    moved_in_on: date | None = None
    """Housed: the first move-in in the scope."""
    days_to_housing: int | None = None
    """Housed: days from the intake of the case placed to that first move-in."""
    activities: int = 0
    """Civic engagement: the activities of Sub-Action 2 whose sessions they attended."""
    hours: Decimal = _ZERO_HOURS
    """Civic engagement: the hours they attended, summed."""

    @property
    def first_case_code(self) -> str:
        return self.case_codes[0]


@dataclass(frozen=True)
class ActivityCounted:
    """One Sub-Action 5 or 6 activity with at least one session held."""

    activity_id: UUID
    city: str
    kind: str
    title: str
    status: str
    sessions: int
    hours: Decimal
    """The sessions' hours, summed."""
    attendances: int
    """The people counted at its sessions, summed."""
    largest_session: int
    """The most people counted at one of its sessions: at least that many different people
    took part."""
    counted: int | None = None
    """Sub-Action 5: the different staff trained, counted by the coordinator from the
    attendance sheets (activity.staff_trained_counted); None until counted."""

    @property
    def trained(self) -> int:
        """The staff a Sub-Action 5 activity trained: as counted, or else at least its largest
        session's count."""
        return self.largest_session if self.counted is None else self.counted


@dataclass(frozen=True)
class DonorReport:
    """The donor's indicators of one city, or of the network (`city` None)."""

    city: str | None
    position: int
    """The event position the read models reflect (the slowest projection's)."""
    people: tuple[PersonCounted, ...]
    housed: tuple[PersonCounted, ...]
    civic_engagement: tuple[PersonCounted, ...]
    trainings: tuple[ActivityCounted, ...]
    communication: tuple[ActivityCounted, ...]
    civic_residents: int = 0
    """Residents (not final recipients) counted at Sub-Action 2 sessions, summed."""
    days_to_housing: Durations = field(default=Durations(0, None, None, DAYS))

    @property
    def reached(self) -> int:
        return len(self.people)

    @property
    def vulnerable(self) -> int:
        return len(self.people_in(VULNERABLE))

    @property
    def minors(self) -> int:
        return len(self.people_in(MINORS))

    @property
    def women(self) -> int:
        return len(self.people_in(WOMEN))

    @property
    def staff_trained(self) -> int:
        return sum(activity.trained for activity in self.trainings)

    @property
    def staff_attendances(self) -> int:
        return sum(activity.attendances for activity in self.trainings)

    @property
    def communication_events(self) -> int:
        return sum(activity.sessions for activity in self.communication)

    @property
    def communication_reach(self) -> int:
        return sum(activity.attendances for activity in self.communication)

    def people_in(self, records: str) -> tuple[PersonCounted, ...]:
        """The people one of PERSON_LISTS counts."""
        if records in _PERSON_FLAGS:
            flag = _PERSON_FLAGS[records]
            return tuple(person for person in self.people if getattr(person, flag))
        if records == HOUSED:
            return self.housed
        if records == CIVIC:
            return self.civic_engagement
        return self.people

    def activities_in(self, records: str) -> tuple[ActivityCounted, ...]:
        """The activities one of ACTIVITY_LISTS counts."""
        return self.trainings if records == TRAINING else self.communication


class _Person:
    """A person's cases in the scope, gathered row by row."""

    def __init__(self) -> None:
        self.case_codes: set[str] = set()
        self.cities: set[str] = set()
        self.vulnerable = self.minor = self.woman = False
        self.first_move_in: tuple[str, int | None] | None = None
        self.activities: set[str] = set()
        self.hours = _ZERO_HOURS

    def counted(self) -> PersonCounted:
        moved_in = self.first_move_in
        return PersonCounted(
            case_codes=tuple(sorted(self.case_codes)), cities=tuple(sorted(self.cities)),
            vulnerable=self.vulnerable, minor=self.minor, woman=self.woman,
            moved_in_on=date.fromisoformat(moved_in[0]) if moved_in else None,
            days_to_housing=moved_in[1] if moved_in else None,
            activities=len(self.activities), hours=self.hours,
        )


def _listed(people: dict[str, _Person]) -> tuple[PersonCounted, ...]:
    """In the order of their first case code: the same list every time."""
    return tuple(sorted((person.counted() for person in people.values()),
                        key=lambda p: p.first_case_code))


# A case is about its confirmed person, or else about a person of its own.
_PERSON_OF_CASE = ("LEFT JOIN rm_person_cases pc ON pc.case_id = {case}")
_PERSON = "COALESCE(pc.person_id, {case})"


def _person_join(case_column: str) -> tuple[str, str]:
    return (_PERSON_OF_CASE.format(case=case_column), _PERSON.format(case=case_column))


class DonorIndicatorQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def report(self, city: str | None) -> DonorReport:
        """One city's figures, or the network's (None), read in one transaction."""
        with self.database.reading() as tx:
            position = position_in(tx)
            people = _people_reached(tx, city)
            housed = _people_housed(tx, city)
            civic = _civic_participants(tx, city)
            civic_residents = _residents_counted(tx, city, CIVIC_ENGAGEMENT)
            trainings = _activities_held(tx, city, STAFF_TRAINING)
            communication = _activities_held(tx, city, COMMUNICATION)
        return DonorReport(
            city=city, position=position, people=people, housed=housed,
            civic_engagement=civic, trainings=trainings, communication=communication,
            civic_residents=civic_residents,
            days_to_housing=durations(
                [p.days_to_housing for p in housed if p.days_to_housing is not None], DAYS, 1),
        )


def _scope(column: str, city: str | None) -> tuple[str, list[Any]]:
    return (f" AND {column} = ?", [city]) if city else ("", [])


def _people_reached(tx: Transaction, city: str | None) -> tuple[PersonCounted, ...]:
    join, person = _person_join("c.case_id")
    where, params = _scope("c.city", city)
    came_of_age = {str(row[0]) for row in tx.fetchall(
        "SELECT DISTINCT case_id FROM rm_case_history WHERE type = ?",
        (CaseCameOfAgeV1.ce_type(),))}
    people: dict[str, _Person] = defaultdict(_Person)
    for case_id, case_code, case_city, sex, age_band, vulnerabilities, person_id in tx.fetchall(
        f"SELECT c.case_id, c.case_code, c.city, c.sex, c.age_band, c.vulnerabilities, {person}"
        f" FROM rm_cases c {join} WHERE 1 = 1{where}", params,
    ):
        gathered = people[str(person_id)]
        gathered.case_codes.add(str(case_code))
        gathered.cities.add(str(case_city))
        # Minors reached: under 18 now, or come of age since their intake (they were minors).
        minor = age_band in MINOR_AGE_BANDS or str(case_id) in came_of_age
        gathered.minor |= minor
        # Minors are a vulnerable category (art. 17 d.lgs. 142/2015) even once grown up.
        gathered.vulnerable |= minor or bool(str(vulnerabilities).strip(","))
        gathered.woman |= sex == FEMALE
    return _listed(people)


def _people_housed(tx: Transaction, city: str | None) -> tuple[PersonCounted, ...]:
    join, person = _person_join("p.case_id")
    where, params = _scope("p.city", city)
    people: dict[str, _Person] = defaultdict(_Person)
    for case_code, shelter_city, moved_in_on, days, person_id in tx.fetchall(
        f"SELECT p.case_code, p.city, p.moved_in_on, p.days_to_move_in, {person}"
        f" FROM rm_placements p {join} WHERE p.moved_in_on IS NOT NULL{where}", params,
    ):
        gathered = people[str(person_id)]
        gathered.case_codes.add(str(case_code))
        gathered.cities.add(str(shelter_city))
        move_in = (str(moved_in_on), None if days is None else int(days))
        # The first move-in counts (the same day: the shorter wait).
        if gathered.first_move_in is None or _earlier(move_in, gathered.first_move_in):
            gathered.first_move_in = move_in
    return _listed(people)


def _earlier(one: tuple[str, int | None], other: tuple[str, int | None]) -> bool:
    return (one[0], -1 if one[1] is None else one[1]) < (
        other[0], -1 if other[1] is None else other[1])


def _civic_participants(tx: Transaction, city: str | None) -> tuple[PersonCounted, ...]:
    join, person = _person_join("p.case_id")
    where, params = _scope("a.city", city)
    people: dict[str, _Person] = defaultdict(_Person)
    for activity_id, case_code, activity_city, hours, person_id in tx.fetchall(
        f"SELECT p.activity_id, p.case_code, a.city, p.hours, {person}"
        " FROM rm_activity_participants p JOIN rm_activities a ON a.activity_id = p.activity_id"
        f" {join} WHERE a.sub_action = ? AND p.sessions_attended > 0{where}",
        [CIVIC_ENGAGEMENT, *params],
    ):
        gathered = people[str(person_id)]
        gathered.case_codes.add(str(case_code))
        gathered.cities.add(str(activity_city))
        gathered.activities.add(str(activity_id))
        gathered.hours += Decimal(str(hours))
    return _listed(people)


def _residents_counted(tx: Transaction, city: str | None, sub_action: str) -> int:
    where, params = _scope("city", city)
    row = tx.fetchone(
        f"SELECT SUM(residents) FROM rm_activities WHERE sub_action = ?{where}",
        [sub_action, *params])
    return int(row[0]) if row is not None and row[0] is not None else 0


def _activities_held(tx: Transaction, city: str | None,
                     sub_action: str) -> tuple[ActivityCounted, ...]:
    where, params = _scope("a.city", city)
    sessions: dict[str, list[tuple[Decimal, int]]] = defaultdict(list)
    for activity_id, hours, residents in tx.fetchall(
        "SELECT s.activity_id, s.hours, s.residents FROM rm_activity_sessions s"
        " JOIN rm_activities a ON a.activity_id = s.activity_id"
        f" WHERE a.sub_action = ?{where}", [sub_action, *params],
    ):
        sessions[str(activity_id)].append((Decimal(str(hours)), int(residents)))
    activities = []
    for activity_id, activity_city, kind, title, status, starts_on, counted in tx.fetchall(
        "SELECT a.activity_id, a.city, a.kind, a.title, a.status, a.starts_on, t.staff_trained"
        " FROM rm_activities a"
        " LEFT JOIN rm_activity_staff_trained t ON t.activity_id = a.activity_id"
        f" WHERE a.sub_action = ?{where}", [sub_action, *params],
    ):
        held = sessions.get(str(activity_id))
        if not held:
            continue  # planned, or cancelled before any session: nobody was reached
        activities.append((str(starts_on), str(activity_id), ActivityCounted(
            activity_id=UUID(str(activity_id)), city=str(activity_city), kind=str(kind),
            title=str(title), status=str(status), sessions=len(held),
            hours=_summed(hours for hours, _residents in held),
            attendances=sum(residents for _hours, residents in held),
            largest_session=max(residents for _hours, residents in held),
            counted=None if counted is None else int(counted),
        )))
    return tuple(activity for _start, _id, activity in sorted(activities))


def _summed(values: Iterable[Decimal]) -> Decimal:
    return sum(values, _ZERO_HOURS)
