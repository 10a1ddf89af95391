"""A demo data set: a plausible, invented run of the whole programme (intakes, referrals and their
answers, shelters and placements, community activities, expenditure claims, closures), made
through the same application services a coordinator and the ministry use, so every rule of the
domain is applied to it. Every person is fictitious: names are drawn from syllables, not from any
register; organisations are described, not named.

Deterministic for a seed: ids come from `random.Random(seed)` and times from the simulated
calendar, never from uuid4 or the clock, so the same seed writes the same events. The simulation
runs in time order (a queue of actions, each at its moment in the simulated calendar), so the
times of the events it writes increase along the log, as a real programme's would.

A command the domain refuses would be a bug of this generator (it asks only what its own view of
the programme allows): refusals are counted and reported, never hidden."""

from __future__ import annotations

import heapq
import itertools
import random
import time as clock
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from functools import cache
from pathlib import Path
from typing import Protocol
from uuid import UUID

from domain.activities.model import PROGRAMME_END, ActivityKind, ActivityPlan
from domain.activities.service import ActivityService
from domain.cases.model import (
    PROGRAMME_START,
    Consent,
    IntakeFacts,
    ReceptionHistory,
    programme_today,
)
from domain.cases.rules import (
    AgeBand,
    CaseOutcome,
    ConsentScope,
    ProtectionStatus,
    ReceptionCentreKind,
    ReceptionSituation,
    Sex,
    SubAction,
    Vulnerability,
)
from domain.cases.service import CaseService
from domain.finance.model import ClaimDraft, ExpenseCategory
from domain.finance.service import FinanceService
from domain.housing.model import MoveOutOutcome, ShelterKind
from domain.housing.service import HousingService
from domain.network import Actor, ActorKind, City, DomainError, Role
from domain.referrals.rules import CityService, DeclineReason, Destination, Urgency
from domain.referrals.service import ReferralService
from domain.vault import PersonalData
from infra.finance_allocations import ALLOCATIONS_LOADER, read_allocations

# The demo's allocations, recorded first: labelled demo values, not the programme's.
DEMO_ALLOCATIONS_FILE = Path(__file__).parent / "finance_allocations.demo.toml"
# Countries of origin frequent among people outside reception in Italy in 2019-2021.
NATIONALITIES = (
    "NG", "GN", "CI", "ML", "GM", "SN", "BD", "PK", "AF", "ER", "SO", "SD", "TN", "EG", "MA", "IQ",
    "UA", "CM",
)
PROTECTION_WEIGHTS = {
    ProtectionStatus.REFUGEE: 25,
    ProtectionStatus.SUBSIDIARY_PROTECTION: 20,
    ProtectionStatus.SPECIAL_PROTECTION: 20,
    ProtectionStatus.ASYLUM_SEEKER: 30,
    ProtectionStatus.OTHER: 5,
}
_SYLLABLES = ("ka", "mo", "ri", "sa", "na", "te", "lu", "bi", "do", "fa", "ye", "zu", "ol", "am")

# Intakes over the whole programme at full scale: the big cities several hundred, the small
# ones about a hundred (invented figures, in proportion to the cities' sizes).
FULL_INTAKES: dict[City, int] = {
    City.ROMA: 620, City.MILANO: 560, City.NAPOLI: 480, City.TORINO: 440, City.PALERMO: 330,
    City.BOLOGNA: 300, City.FIRENZE: 300, City.GENOVA: 260, City.BARI: 240, City.CATANIA: 240,
    City.TARANTO: 130, City.TRIESTE: 130, City.CASERTA: 120, City.LATINA: 120,
    City.AGRIGENTO: 110, City.PERUGIA: 110, City.SASSARI: 100, City.BOLZANO: 100,
    City.POTENZA: 90,
}
# The first national lockdown: no community activity met, and few people were taken in.
LOCKDOWN = (date(2020, 3, 9), date(2020, 5, 18))
# Florence chose Sub-Action 4 (fast-track housing) as its main area: more shelters and beds.
HOUSING_FOCUS_CITY = City.FIRENZE
# The end of the working day the simulation stops at, in UTC (19:00 in Rome in winter).
_DAY_END = time(18)


@dataclass(frozen=True)
class DemoScale:
    """How much programme to invent: which cities, over which dates, with how many intakes each,
    and how many community activities and expenditure claims per city and sub-action (over the
    whole programme: a shorter period gets its share, at least one)."""

    name: str
    intakes: tuple[tuple[City, int], ...]
    start: date = PROGRAMME_START
    end: date = PROGRAMME_END
    activities_per_sub_action: int = 4
    claims_per_sub_action: int = 10
    # Days between two sessions of an activity (Sub-Action 6's events are further apart).
    session_every_days: int = 7

    @property
    def cities(self) -> tuple[City, ...]:
        return tuple(city for city, _count in self.intakes)

    def share(self, count: int) -> int:
        """`count` (a whole programme's worth) for this scale's period, at least one."""
        full = (PROGRAMME_END - PROGRAMME_START).days
        return max(1, round(count * (self.end - self.start).days / full))


def _scaled_intakes(total: int) -> tuple[tuple[City, int], ...]:
    full_total = sum(FULL_INTAKES.values())
    return tuple((city, max(6, round(count * total / full_total)))
                 for city, count in sorted(FULL_INTAKES.items()))


SCALES: dict[str, DemoScale] = {
    # The first start of `make run`: every city and every kind of work, a few of each.
    "small": DemoScale("small", _scaled_intakes(260), activities_per_sub_action=1,
                       claims_per_sub_action=1, session_every_days=21),
    "full": DemoScale("full", tuple(sorted(FULL_INTAKES.items()))),
}


@dataclass
class DemoReport:
    """What a demo run did: commands accepted per kind, and every refusal (none expected)."""

    accepted: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def commands(self) -> int:
        return sum(self.accepted.values()) + len(self.refused)


class DemoServices(Protocol):
    """The application services the demo calls: what a user's requests call (the platform)."""

    cases: CaseService
    referrals: ReferralService
    housing: HousingService
    activities: ActivityService
    finance: FinanceService


def operator(city: City) -> Actor:
    """The city's (invented) operator: named as the demo users are, so their work is theirs."""
    return Actor(ActorKind.USER, f"{city.value}.operatore", Role.CITY_OPERATOR, city)


def coordinator(city: City) -> Actor:
    return Actor(ActorKind.USER, f"{city.value}.coordinatore", Role.CITY_COORDINATOR, city)


MINISTRY = Actor(ActorKind.USER, "ministero", Role.MINISTRY)


def demo_actor(city: City) -> Actor:
    """Who records the demo's intakes in `city`."""
    return operator(city)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def demo_intake(
    rng: random.Random, city: City, intake_date: date
) -> tuple[IntakeFacts, PersonalData]:
    """An invented person taken in by `city` on `intake_date`, and their identifiers."""
    status = rng.choices(list(PROTECTION_WEIGHTS), weights=list(PROTECTION_WEIGHTS.values()))[0]
    age_years = rng.choice([16, 17, 19, 22, 24, 27, 30, 33, 38, 45, 52, 67])
    birth_date = intake_date - timedelta(days=age_years * 365 + rng.randint(0, 300))
    never = rng.random() < 0.3
    reception = (
        ReceptionHistory(ReceptionSituation.NEVER_IN_RECEPTION)
        if never
        else ReceptionHistory(
            ReceptionSituation.LEFT_RECEPTION,
            left_on=intake_date - timedelta(days=rng.randint(3, 400)),
            centre_kind=rng.choice(list(ReceptionCentreKind)),
        )
    )
    household_size = rng.choices([1, 2, 3, 4, 5], weights=[55, 15, 12, 10, 8])[0]
    sex = rng.choices([Sex.MALE, Sex.FEMALE, Sex.OTHER], weights=[70, 29, 1])[0]
    vulnerabilities: set[Vulnerability] = set()
    if age_years < 18 and rng.random() < 0.6:
        vulnerabilities.add(Vulnerability.UNACCOMPANIED_MINOR)
    if age_years >= 65:
        vulnerabilities.add(Vulnerability.ELDERLY)
    adult_categories = [v for v in Vulnerability
                        if _may_apply(v, sex, age_years, household_size)]
    while rng.random() < 0.35:
        vulnerabilities.add(rng.choice(adult_categories))
    scopes = {ConsentScope.CASE_MANAGEMENT, ConsentScope.STATISTICS}
    if rng.random() < 0.7:
        scopes.add(ConsentScope.REFERRAL_TO_PARTNERS)
    facts = IntakeFacts(
        city=city,
        intake_date=intake_date,
        protection_status=status,
        reception=reception,
        sex=sex,
        birth_date=birth_date,
        nationality=rng.choice(NATIONALITIES),
        household_size=household_size,
        vulnerabilities=frozenset(vulnerabilities),
        consent=Consent(given_on=intake_date, scopes=frozenset(scopes)),
    )
    person = PersonalData(
        given_name=_name(rng),
        family_name=_name(rng),
        birth_date=birth_date,
        document_number=f"DEMO{rng.randint(100000, 999999)}",
        phone=f"+39 3{rng.randint(10, 99)} {rng.randint(1000000, 9999999)}",
    )
    return facts, person


def _may_apply(vulnerability: Vulnerability, sex: Sex, age_years: int, household_size: int
               ) -> bool:
    """Whether a category drawn at random fits the person (age categories are set from the
    age, never drawn)."""
    match vulnerability:
        case Vulnerability.MINOR | Vulnerability.UNACCOMPANIED_MINOR | Vulnerability.ELDERLY:
            return False
        case Vulnerability.PREGNANCY:
            return sex is Sex.FEMALE and age_years < 50
        case Vulnerability.FEMALE_GENITAL_MUTILATION:
            return sex is Sex.FEMALE
        case Vulnerability.SINGLE_PARENT_WITH_MINORS:
            return household_size > 1
        case _:
            return True


def load_demo(
    services: DemoServices,
    scale: DemoScale,
    *,
    seed: int = 2019,
    progress: Callable[[int], None] | None = None,
) -> DemoReport:
    """Record the demo allocations (labelled demo values), then simulate the programme at
    `scale`, day by day. `progress` is told each simulated day as it passes (its number, from
    1); there are `simulated_days(scale)` of them. Returns what was done and refused."""
    started = clock.perf_counter()
    simulation = _Simulation(services, scale, random.Random(seed))
    simulation.run(progress)
    simulation.report.seconds = clock.perf_counter() - started
    return simulation.report


def simulated_days(scale: DemoScale) -> int:
    return (scale.end - scale.start).days + 1


# --- what the simulation knows of the programme ----------------------------------------------


@dataclass(eq=False)
class _Case:
    id: UUID
    code: str
    city: City
    status: ProtectionStatus
    vulnerable: bool
    partner_consent: bool
    closed_on: date | None = None
    housing: str = "none"  # waitlisted, offered, housed; "none" when out of housing
    waitlisted_at: datetime | None = None
    declined_an_offer: bool = False
    shelter: _Shelter | None = None
    moved_out_autonomous: bool = False
    referrals_waiting: list[str] = field(default_factory=list)  # destination keys
    referrals_open: int = 0  # requested or accepted, not yet finished
    transfer_waiting: bool = False

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def is_busy(self) -> bool:
        """Work under way that a closure or a transfer would cut short."""
        return (self.housing != "none" or self.transfer_waiting
                or bool(self.referrals_waiting))

    @property
    def international_protection(self) -> bool:
        return self.status.is_international_protection


@dataclass(eq=False)
class _Shelter:
    id: UUID
    city: City
    name: str
    free: int


@dataclass(eq=False)
class _Referral:
    id: UUID
    case: _Case
    city: City
    key: str
    transfer_to: City | None
    status: str = "requested"


@dataclass(eq=False)
class _Activity:
    id: UUID
    city: City
    sub_action: SubAction
    enrolled: list[_Case] = field(default_factory=list)
    sessions: int = 0
    ended: bool = False


@dataclass(eq=False)
class _Claim:
    id: UUID
    city: City
    sub_action: SubAction
    category: ExpenseCategory
    amount: Decimal
    resubmission: bool = False


_Action = Callable[[], None]


class _Simulation:
    """The programme's cities at work, action by action in time order. Each action reads what
    the simulation knows (the `_Case`, `_Shelter`, ... mirrors), calls one or more services,
    and schedules what follows from it."""

    def __init__(self, services: DemoServices, scale: DemoScale, rng: random.Random) -> None:
        self.services = services
        self.scale = scale
        self.rng = rng
        self.report = DemoReport()
        self.queue: list[tuple[datetime, int, _Action]] = []
        self.sequence = itertools.count()
        self.clock = datetime.combine(scale.start, time(7), tzinfo=UTC)
        self.horizon = datetime.combine(scale.end, _DAY_END, tzinfo=UTC)
        self.cases_of: dict[City, list[_Case]] = {city: [] for city in scale.cities}
        self.waitlist: dict[City, list[_Case]] = {city: [] for city in scale.cities}
        self.shelters: dict[City, list[_Shelter]] = {city: [] for city in scale.cities}
        self.housing_round_due: set[City] = set()

    # --- the machinery ---------------------------------------------------------------------

    def new_id(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def at(self, when: datetime, action: _Action) -> None:
        if when <= self.horizon:
            heapq.heappush(self.queue, (when, next(self.sequence), action))

    def now(self) -> datetime:
        """The moment of the next command: never before the previous one's, so the log's times
        increase."""
        moment = self.clock
        self.clock += timedelta(seconds=self.rng.randint(20, 240))
        return moment

    def attempt(self, kind: str, command: Callable[[datetime], object]) -> bool:
        """Call one service command at the next moment; a refusal is counted, not raised."""
        now = self.now()
        try:
            command(now)
        except DomainError as error:
            self.report.refused.append(
                f"{now:%Y-%m-%d %H:%M} {kind}: {type(error).__name__}: {error.message}")
            return False
        self.report.accepted[kind] += 1
        return True

    def working_time(self, day: date, earliest: int = 8, latest: int = 17) -> datetime:
        """A moment of the working day (UTC hours), at a whole minute."""
        minutes = self.rng.randint(earliest * 60, latest * 60 - 1)
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=UTC)

    def later(self, moment: datetime, hours: float) -> datetime:
        """`hours` after `moment`, or the next working morning if that falls in the night."""
        then = moment + timedelta(minutes=round(hours * 60))
        if then.hour < 8:
            return self.working_time(then.date(), 8, 9)
        if then.hour >= 17:
            return self.working_time(then.date() + timedelta(days=1), 8, 9)
        return then

    def run(self, progress: Callable[[int], None] | None) -> None:
        start = self.working_time(self.scale.start, 7, 8)
        self.at(start, self.set_allocations)
        for city in self.scale.cities:
            self.plan_city(city)
        day_number = 1
        while self.queue:
            when, _sequence, action = heapq.heappop(self.queue)
            self.clock = max(self.clock, when)
            reached = (when.date() - self.scale.start).days + 1
            if progress is not None:
                while day_number < reached:
                    day_number += 1
                    progress(day_number)
            action()
        if progress is not None:
            for number in range(day_number + 1, simulated_days(self.scale) + 1):
                progress(number)

    # --- the plan made at the start --------------------------------------------------------

    def set_allocations(self) -> None:
        """The demo allocations file's figures for the scale's cities, set by the ministry's
        loader at the start (as `lgnet finance load-allocations` does)."""
        allocations = read_allocations(DEMO_ALLOCATIONS_FILE)
        for allocation in allocations.allocations:
            if allocation.city in self.scale.cities:
                self.attempt("allocation", lambda now, allocation=allocation:
                             self.services.finance.set_allocation(
                                 allocation.city, allocation.sub_action, allocation.amount,
                                 allocations.reason, ALLOCATIONS_LOADER, now))

    def plan_city(self, city: City) -> None:
        intakes = dict(self.scale.intakes)[city]
        for day in self.intake_days(intakes):
            self.at(self.working_time(day), lambda: self.take_in(city))
        self.plan_shelters(city, intakes)
        focus = _focus_of(city)
        for sub_action in (SubAction.CIVIC_ENGAGEMENT, SubAction.EMERGENCY_TAKE_IN,
                           SubAction.ADMINISTRATION_EMPOWERMENT, SubAction.COMMUNICATION):
            count = self.scale.share(self.scale.activities_per_sub_action)
            for _ in range(count * (2 if sub_action is focus else 1)):
                self.plan_activity_of(city, sub_action)
        self.plan_claims(city)

    def intake_days(self, count: int) -> list[date]:
        days = [self.scale.start + timedelta(days=n)
                for n in range((self.scale.end - self.scale.start).days + 1)]
        return sorted(self.rng.choices(days, weights=[_intake_weight(d) for d in days], k=count))

    # --- intakes and cases -----------------------------------------------------------------

    def take_in(self, city: City) -> None:
        today = self.clock.date()
        facts, person = demo_intake(self.rng, city, today)
        case_id = self.new_id()
        receipts = []

        def record(now: datetime) -> None:
            receipts.append(self.services.cases.record_intake(
                case_id, facts, person, operator(city), now))

        if not self.attempt("intake", record):
            return
        case = _Case(
            id=case_id, code=receipts[0].case_code, city=city, status=facts.protection_status,
            vulnerable=bool(facts.vulnerabilities) or _minor(facts),
            partner_consent=ConsentScope.REFERRAL_TO_PARTNERS in facts.consent.scopes,
        )
        self.cases_of[city].append(case)
        self.plan_case(case)

    def plan_case(self, case: _Case) -> None:
        """What will happen to a case just taken in: its referrals, perhaps the housing
        waitlist, perhaps a transfer, and in time its closure."""
        rng = self.rng
        start = self.clock
        for _ in range(rng.choices([0, 1, 2, 3], weights=[25, 35, 28, 12])[0]):
            self.at(self.later(start, rng.uniform(0.5, 24 * 45)), lambda: self.refer(case))
        wants_housing = 0.25 + 0.2 * case.vulnerable + 0.15 * case.international_protection
        if case.city is HOUSING_FOCUS_CITY:
            wants_housing += 0.15
        if rng.random() < wants_housing:
            self.at(self.later(start, rng.uniform(1, 24 * 10)), lambda: self.add_to_waitlist(case))
        if rng.random() < 0.03 and len(self.scale.cities) > 1:
            target = rng.choice([c for c in self.scale.cities if c is not case.city])
            self.at(self.later(start, rng.uniform(24 * 20, 24 * 120)),
                    lambda: self.request_transfer(case, target))
        if rng.random() < 0.65:
            self.at(self.working_time(start.date() + timedelta(days=rng.randint(60, 420))),
                    lambda: self.close(case, attempts=6))

    def close(self, case: _Case, attempts: int) -> None:
        if not case.is_open:
            return
        if case.is_busy:
            if attempts > 1:
                self.at(self.working_time(self.clock.date() + timedelta(days=30)),
                        lambda: self.close(case, attempts - 1))
            return
        rng = self.rng
        if case.moved_out_autonomous and rng.random() < 0.8:
            outcome = CaseOutcome.AUTONOMY
        else:
            outcome = rng.choices(list(_CLOSURE_REASONS),
                                  weights=[w for w, _r in _CLOSURE_REASONS.values()])[0]
        reason = rng.choice(_CLOSURE_REASONS[outcome][1])
        city = case.city

        def close(now: datetime) -> None:
            self.services.cases.close(case.id, outcome, programme_today(now), reason,
                                      operator(city), now)

        if not self.attempt("closure", close):
            return
        case.closed_on = self.clock.date()
        if rng.random() < 0.05:
            self.at(self.working_time(self.clock.date() + timedelta(days=rng.randint(20, 150))),
                    lambda: self.reopen(case))

    def reopen(self, case: _Case) -> None:
        city = case.city
        reason = self.rng.choice(_REOPENING_REASONS)

        def reopen(now: datetime) -> None:
            self.services.cases.reopen(case.id, programme_today(now), reason, coordinator(city),
                                       now)

        if not self.attempt("reopening", reopen):
            return
        case.closed_on = None
        if self.rng.random() < 0.5:
            self.at(self.later(self.clock, self.rng.uniform(24, 24 * 10)),
                    lambda: self.refer(case))
        self.at(self.working_time(self.clock.date() + timedelta(days=self.rng.randint(30, 200))),
                lambda: self.close(case, attempts=4))

    # --- referrals -------------------------------------------------------------------------

    def refer(self, case: _Case) -> None:
        if not case.is_open or case.transfer_waiting:
            return
        rng = self.rng
        if case.partner_consent and rng.random() < 0.25:
            destination = Destination.partner(rng.choice(_PARTNERS))
        else:
            services = list(CityService)
            destination = Destination.city_service(
                rng.choices(services, weights=[_SERVICE_WEIGHTS[s] for s in services])[0])
        if destination.key in case.referrals_waiting:
            return  # already waiting for that one: the coordinator would not ask twice
        if case.vulnerable and rng.random() < 0.3:
            urgency: Urgency | None = Urgency.IMMEDIATE
        elif not case.vulnerable and rng.random() < 0.1:
            urgency = Urgency.WITHIN_72_HOURS
        else:
            urgency = None  # the default: 72 hours for a vulnerable person, else 15 days
        note = rng.choice(_REFERRAL_NOTES) if rng.random() < 0.3 else None
        referral = _Referral(self.new_id(), case, case.city, destination.key, None)
        city = case.city

        def request(now: datetime) -> None:
            self.services.referrals.request(referral.id, case.id, destination, urgency, note,
                                            operator(city), now)

        if not self.attempt("referral", request):
            return
        case.referrals_waiting.append(referral.key)
        case.referrals_open += 1
        effective = urgency or (Urgency.WITHIN_72_HOURS if case.vulnerable else Urgency.ORDINARY)
        hours = _ANSWER_HOURS[effective]
        self.at(self.later(self.clock, rng.uniform(*hours)), lambda: self.answer(referral))

    def answer(self, referral: _Referral) -> None:
        if referral.status != "requested" or referral.case.city is not referral.city:
            return
        rng = self.rng
        case, city = referral.case, referral.city
        choice = rng.choices(["accept", "decline", "complete", "withdraw"],
                             weights=[72, 16, 7, 5])[0]
        referrals = self.services.referrals
        if choice == "accept":
            done = self.attempt("referral_accepted", lambda now: referrals.accept(
                referral.id, operator(city), now))
        elif choice == "decline":
            reason = rng.choices(list(_DECLINE_WEIGHTS), weights=list(_DECLINE_WEIGHTS.values()))[0]
            note = rng.choice(_DECLINE_NOTES) if reason is DeclineReason.OTHER else None
            done = self.attempt("referral_declined", lambda now: referrals.decline(
                referral.id, reason, note, operator(city), now))
        elif choice == "complete":
            outcome = rng.choice(_COMPLETION_NOTES)
            done = self.attempt("referral_completed", lambda now: referrals.complete(
                referral.id, outcome, operator(city), now))
        else:
            reason = rng.choice(_WITHDRAWAL_REASONS)
            done = self.attempt("referral_withdrawn", lambda now: referrals.withdraw(
                referral.id, reason, operator(city), now))
        if not done:
            return
        case.referrals_waiting.remove(referral.key)
        if choice != "accept":
            referral.status = "finished"
            case.referrals_open -= 1
            return
        referral.status = "accepted"
        follow_up = rng.choices(["complete", "withdraw", None], weights=[80, 10, 10])[0]
        if follow_up is not None:
            self.at(self.later(self.clock, rng.uniform(24 * 3, 24 * 60)),
                    lambda: self.finish(referral, follow_up))

    def finish(self, referral: _Referral, how: str) -> None:
        if referral.status != "accepted" or referral.case.city is not referral.city:
            return
        city = referral.city
        referrals = self.services.referrals
        if how == "complete":
            outcome = self.rng.choice(_COMPLETION_NOTES) if self.rng.random() < 0.6 else None
            done = self.attempt("referral_completed", lambda now: referrals.complete(
                referral.id, outcome, operator(city), now))
        else:
            reason = self.rng.choice(_WITHDRAWAL_REASONS)
            done = self.attempt("referral_withdrawn", lambda now: referrals.withdraw(
                referral.id, reason, operator(city), now))
        if done:
            referral.status = "finished"
            referral.case.referrals_open -= 1

    def request_transfer(self, case: _Case, target: City) -> None:
        """Ask another city to take the case over: only for an open case with nothing under
        way here (an answer due after the move would concern a case this city no longer has)."""
        if not case.is_open or case.is_busy or case.referrals_open or target is case.city:
            return
        city = case.city
        referral = _Referral(self.new_id(), case, city, f"transfer:{target}", target)
        note = self.rng.choice(_TRANSFER_NOTES)

        def request(now: datetime) -> None:
            self.services.referrals.request(
                referral.id, case.id, Destination.transfer(target), Urgency.ORDINARY, note,
                operator(city), now)

        if not self.attempt("transfer", request):
            return
        case.transfer_waiting = True
        self.at(self.later(self.clock, self.rng.uniform(24, 24 * 12)),
                lambda: self.answer_transfer(referral))

    def answer_transfer(self, referral: _Referral) -> None:
        case, target = referral.case, referral.transfer_to
        assert target is not None
        referrals = self.services.referrals
        if self.rng.random() < 0.8:
            if not self.attempt("transfer_accepted", lambda now: referrals.accept(
                    referral.id, coordinator(target), now)):
                return
            self.cases_of[case.city].remove(case)
            case.city = target
            self.cases_of[target].append(case)
        else:
            reason = self.rng.choice([DeclineReason.NO_CAPACITY, DeclineReason.NOT_ELIGIBLE])
            if not self.attempt("transfer_declined", lambda now: referrals.decline(
                    referral.id, reason, None, coordinator(target), now)):
                return
        case.transfer_waiting = False

    # --- housing ---------------------------------------------------------------------------

    def plan_shelters(self, city: City, intakes: int) -> None:
        rng = self.rng
        # About four in ten of the people taken in ask for a bed, and stay about five months:
        # enough beds for most of them, with a waitlist in the big cities.
        days = (self.scale.end - self.scale.start).days + 1
        beds_needed = max(6, round(intakes * 0.4 * 150 / days))
        if city is HOUSING_FOCUS_CITY:
            beds_needed = round(beds_needed * 2.5)
        count = min(6 if city is HOUSING_FOCUS_CITY else 4, max(1, beds_needed // 12))
        for number in range(count):
            beds = max(6, min(40, round(beds_needed / count) + rng.randint(-3, 3)))
            kind = ShelterKind.PROTECTED_SETTING if number == 2 else rng.choice(
                [ShelterKind.TEMPORARY_SHELTER, ShelterKind.APARTMENT])
            opens_on = self.scale.start + timedelta(days=rng.randint(0, 20) + 45 * number)
            if opens_on > self.scale.end:
                opens_on = self.scale.start
            area = rng.choice(_AREAS)
            name = f"{_SHELTER_NAMES[kind]} {city.display_name} {number + 1}"
            self.at(self.working_time(opens_on, 8, 10),
                    lambda city=city, name=name, kind=kind, area=area, beds=beds:
                    self.register_shelter(city, name, kind, area, beds))

    def register_shelter(self, city: City, name: str, kind: ShelterKind, area: str,
                         beds: int) -> None:
        shelter = _Shelter(self.new_id(), city, name, beds)
        if not self.attempt("shelter", lambda now: self.services.housing.register_shelter(
                shelter.id, city, name, kind, area, beds, coordinator(city), now)):
            return
        self.shelters[city].append(shelter)
        self.housing_round_soon(city)
        if self.rng.random() < 0.25:
            added = self.rng.randint(2, 6)
            self.at(self.working_time(self.clock.date() + timedelta(days=self.rng.randint(
                120, 400))), lambda: self.add_beds(shelter, added))

    def add_beds(self, shelter: _Shelter, count: int) -> None:
        if self.attempt("beds_added", lambda now: self.services.housing.add_beds(
                shelter.id, count, coordinator(shelter.city), now)):
            shelter.free += count
            self.housing_round_soon(shelter.city)

    def add_to_waitlist(self, case: _Case) -> None:
        if not case.is_open or case.transfer_waiting or case.housing != "none":
            return
        if not self.attempt("waitlisted", lambda now: self.services.housing.add_to_waitlist(
                case.id, operator(case.city), now)):
            return
        case.housing = "waitlisted"
        case.waitlisted_at = self.clock
        self.waitlist[case.city].append(case)
        self.housing_round_soon(case.city)
        if self.rng.random() < 0.1:
            self.at(self.working_time(self.clock.date() + timedelta(days=self.rng.randint(
                14, 90))), lambda: self.leave_waitlist(case))

    def leave_waitlist(self, case: _Case) -> None:
        if case.housing != "waitlisted":
            return
        reason = self.rng.choice(_LEFT_WAITLIST_REASONS)
        if self.attempt("left_waitlist", lambda now: self.services.housing.leave_waitlist(
                case.id, reason, operator(case.city), now)):
            case.housing = "none"
            self.waitlist[case.city].remove(case)

    def housing_round_soon(self, city: City) -> None:
        """The city's housing office looks at the waitlist and its free beds the next morning."""
        if city in self.housing_round_due:
            return
        self.housing_round_due.add(city)
        self.at(self.working_time(self.clock.date() + timedelta(days=1), 8, 9),
                lambda: self.housing_round(city))

    def housing_round(self, city: City) -> None:
        """Offer every free bed, in the waitlist's order: vulnerable people first, then holders
        of international protection, then the longest waiting (as the waitlist page ranks)."""
        self.housing_round_due.discard(city)
        waiting = sorted(
            (case for case in self.waitlist[city] if case.is_open and not case.transfer_waiting),
            key=lambda case: (not case.vulnerable, not case.international_protection,
                              case.waitlisted_at, case.code),
        )
        shelters = sorted(self.shelters[city], key=lambda shelter: shelter.name)
        for case in waiting:
            shelter = next((s for s in shelters if s.free > 0), None)
            if shelter is None:
                return
            self.offer(case, shelter)

    def offer(self, case: _Case, shelter: _Shelter) -> None:
        if not self.attempt("bed_offered", lambda now: self.services.housing.offer_bed(
                case.id, shelter.id, operator(case.city), now)):
            return
        shelter.free -= 1
        case.housing = "offered"
        case.shelter = shelter
        self.waitlist[case.city].remove(case)
        rng = self.rng
        if not case.declined_an_offer and rng.random() < 0.1:
            self.at(self.later(self.clock, rng.uniform(4, 24 * 3)), lambda: self.decline(case))
        else:
            self.at(self.working_time(self.clock.date() + timedelta(days=rng.randint(0, 4)), 9),
                    lambda: self.move_in(case))

    def decline(self, case: _Case) -> None:
        shelter = case.shelter
        assert shelter is not None
        reason = self.rng.choice(_OFFER_DECLINED_REASONS)
        if not self.attempt("offer_declined", lambda now: self.services.housing.decline_offer(
                case.id, reason, operator(case.city), now)):
            return
        shelter.free += 1
        case.housing, case.shelter, case.declined_an_offer = "waitlisted", None, True
        self.waitlist[case.city].append(case)  # its place is kept: it counts from waitlisted_at
        self.housing_round_soon(case.city)

    def move_in(self, case: _Case) -> None:
        if case.housing != "offered":
            return
        if not self.attempt("moved_in", lambda now: self.services.housing.move_in(
                case.id, programme_today(now), operator(case.city), now)):
            return
        case.housing = "housed"
        weeks = self.rng.randint(3, 40)
        self.at(self.working_time(self.clock.date() + timedelta(weeks=weeks)),
                lambda: self.move_out(case))

    def move_out(self, case: _Case) -> None:
        shelter = case.shelter
        assert shelter is not None
        rng = self.rng
        outcome = rng.choices(list(_MOVE_OUT_WEIGHTS), weights=list(_MOVE_OUT_WEIGHTS.values()))[0]
        note = rng.choice(_MOVE_OUT_NOTES[outcome]) if outcome in _MOVE_OUT_NOTES else ""
        if not self.attempt("moved_out", lambda now: self.services.housing.move_out(
                case.id, outcome, programme_today(now), note, operator(case.city), now)):
            return
        shelter.free += 1
        case.housing, case.shelter = "none", None
        case.moved_out_autonomous = outcome is MoveOutOutcome.AUTONOMOUS_HOUSING
        self.housing_round_soon(shelter.city)

    # --- community activities --------------------------------------------------------------

    def plan_activity_of(self, city: City, sub_action: SubAction) -> None:
        rng = self.rng
        scale = self.scale
        span = (scale.end - scale.start).days
        length = rng.randint(*_ACTIVITY_WEEKS[sub_action]) * 7
        starts_on = scale.start + timedelta(days=rng.randint(min(7, span), max(7, span - 14)))
        ends_on = min(starts_on + timedelta(days=length), PROGRAMME_END)
        planned_on = max(scale.start, starts_on - timedelta(days=rng.randint(7, 30)))
        if LOCKDOWN[0] <= planned_on <= LOCKDOWN[1]:
            # Planned before the lockdown began, for a start it then made impossible.
            planned_on = max(scale.start, LOCKDOWN[0] - timedelta(days=rng.randint(1, 20)))
        kind, titles = _ACTIVITIES[sub_action]
        plan = ActivityPlan(
            city=city, sub_action=sub_action, kind=kind, title=rng.choice(titles),
            neighbourhood=rng.choice(_AREAS), starts_on=starts_on, ends_on=ends_on,
            organiser=rng.choice(_ORGANISERS[sub_action]).format(city=city.display_name),
        )
        self.at(self.working_time(planned_on), lambda: self.plan_activity(plan))

    def plan_activity(self, plan: ActivityPlan) -> None:
        activity = _Activity(self.new_id(), plan.city, plan.sub_action)
        if not self.attempt("activity", lambda now: self.services.activities.plan_activity(
                activity.id, plan, coordinator(plan.city), now)):
            return
        rng = self.rng
        # Sessions pause during the lockdown; an activity that was to start in it is cancelled.
        starts_in_lockdown = LOCKDOWN[0] <= plan.starts_on <= LOCKDOWN[1]
        if starts_in_lockdown or rng.random() < 0.05:
            reason = (_LOCKDOWN_CANCELLATION if starts_in_lockdown
                      else rng.choice(_CANCELLATION_REASONS))
            # Called off a few days before it was to start (or the lockdown began).
            before = LOCKDOWN[0] if starts_in_lockdown else plan.starts_on
            cancel_on = max(self.clock.date() + timedelta(days=1),
                            before - timedelta(days=rng.randint(0, 3)))
            self.at(self.working_time(cancel_on), lambda: self.cancel_activity(activity, reason))
        if plan.sub_action in (SubAction.CIVIC_ENGAGEMENT, SubAction.EMERGENCY_TAKE_IN):
            enrol_until = min(plan.starts_on + timedelta(days=14), plan.ends_on)
            for _ in range(rng.randint(3, 12)):
                day = self.clock.date() + timedelta(
                    days=rng.randint(0, max(0, (enrol_until - self.clock.date()).days)))
                self.at(self.working_time(day), lambda: self.enrol(activity))
        every = self.scale.session_every_days
        if plan.sub_action is SubAction.COMMUNICATION:
            every *= rng.randint(2, 5)
        day = plan.starts_on
        while day <= plan.ends_on:
            self.at(self.working_time(day, 16, 18), lambda held_on=day: self.session(
                activity, held_on))
            day += timedelta(days=every)
        self.at(self.working_time(plan.ends_on + timedelta(days=rng.randint(1, 10))),
                lambda: self.complete_activity(activity))

    def enrol(self, activity: _Activity) -> None:
        if activity.ended:
            return
        candidates = [
            case for case in self.cases_of[activity.city][-80:]
            if case.is_open and not case.transfer_waiting and case not in activity.enrolled
            and (activity.sub_action is not SubAction.CIVIC_ENGAGEMENT
                 or case.status is ProtectionStatus.ASYLUM_SEEKER)
        ]
        if not candidates:
            return
        case = self.rng.choice(candidates)
        if self.attempt("enrolment", lambda now: self.services.activities.enrol(
                activity.id, case.id, operator(activity.city), now)):
            activity.enrolled.append(case)

    def session(self, activity: _Activity, held_on: date) -> None:
        if activity.ended or LOCKDOWN[0] <= held_on <= LOCKDOWN[1]:
            return
        rng = self.rng
        attended = frozenset(case.id for case in activity.enrolled
                             if case.is_open and case.city is activity.city and rng.random() < 0.8)
        low, high = _RESIDENTS[activity.sub_action]
        residents = rng.randint(low, high)
        if not attended:
            residents = max(1, residents)
        hours = Decimal(rng.choice(_SESSION_HOURS[activity.sub_action]))
        if self.attempt("session", lambda now: self.services.activities.record_session(
                activity.id, held_on, hours, attended, residents, operator(activity.city), now)):
            activity.sessions += 1

    def complete_activity(self, activity: _Activity) -> None:
        if activity.ended:
            return
        if activity.sessions == 0:
            self.cancel_activity(activity, "Nessun incontro si è potuto tenere.")
            return
        if self.attempt("activity_completed", lambda now: self.services.activities.complete(
                activity.id, coordinator(activity.city), now)):
            activity.ended = True

    def cancel_activity(self, activity: _Activity, reason: str) -> None:
        if activity.ended:
            return
        if self.attempt("activity_cancelled", lambda now: self.services.activities.cancel(
                activity.id, reason, coordinator(activity.city), now)):
            activity.ended = True

    # --- expenditure -----------------------------------------------------------------------

    def plan_claims(self, city: City) -> None:
        """Each sub-action's claims over the period, adding up to most (never more) of its
        allocation: the demo allocations file is the budget."""
        rng = self.rng
        scale = self.scale
        share_of_programme = Decimal((scale.end - scale.start).days) / Decimal(
            (PROGRAMME_END - PROGRAMME_START).days)
        first = max(scale.start + timedelta(days=20), PROGRAMME_START + timedelta(days=60))
        if first > scale.end:
            first = scale.end
        span = (scale.end - first).days
        for sub_action, allocated in _demo_allocations()[city].items():
            count = scale.share(scale.claims_per_sub_action)
            target = allocated * share_of_programme * Decimal(rng.randint(70, 95)) / 100
            weights = [rng.randint(50, 150) for _ in range(count)]
            total_weight = sum(weights)
            for weight in weights:
                amount = (target * weight / total_weight).quantize(
                    Decimal("0.01"), rounding=ROUND_DOWN)
                if amount <= 0:
                    continue
                category = rng.choice(_CATEGORIES[sub_action])
                claim = _Claim(self.new_id(), city, sub_action, category, amount)
                day = first + timedelta(days=rng.randint(0, span))
                self.at(self.working_time(day), lambda claim=claim: self.record_claim(claim))

    def record_claim(self, claim: _Claim) -> None:
        today = self.clock.date()
        spent_on = max(PROGRAMME_START, self.scale.start,
                       today - timedelta(days=self.rng.randint(5, 60)))
        number = self.report.accepted["claim"] + 1
        draft = ClaimDraft(
            city=claim.city, sub_action=claim.sub_action, category=claim.category,
            amount=claim.amount, spent_on=spent_on,
            document_reference=f"DEMO/{claim.city.code_prefix}/{today.year}/{number:05d}",
        )
        if not self.attempt("claim", lambda now: self.services.finance.record_claim(
                claim.id, draft, coordinator(claim.city), now)):
            return
        if self.rng.random() < 0.93:
            self.at(self.working_time(today + timedelta(days=self.rng.randint(10, 45))),
                    lambda: self.check_claim(claim))

    def check_claim(self, claim: _Claim) -> None:
        finance = self.services.finance
        rng = self.rng
        if claim.resubmission or rng.random() < 0.9:
            self.attempt("claim_approved", lambda now: finance.approve_claim(
                claim.city, claim.id, MINISTRY, now))
            return
        reason = rng.choice(_CLAIM_REJECTIONS)
        if not self.attempt("claim_rejected", lambda now: finance.reject_claim(
                claim.city, claim.id, reason, MINISTRY, now)):
            return
        if rng.random() < 0.6:
            again = _Claim(self.new_id(), claim.city, claim.sub_action, claim.category,
                           claim.amount, resubmission=True)
            self.at(self.working_time(self.clock.date() + timedelta(days=rng.randint(5, 25))),
                    lambda: self.record_claim(again))


# --- the calendar --------------------------------------------------------------------------


def _intake_weight(day: date) -> float:
    """How busy intake desks are on `day`: a slow start while the cities set up, few intakes
    during the lockdown, fewer in August and on Sundays."""
    months = (day.year - PROGRAMME_START.year) * 12 + day.month - PROGRAMME_START.month
    weight = min(1.0, 0.3 + 0.15 * months)
    if LOCKDOWN[0] <= day <= LOCKDOWN[1]:
        weight *= 0.3
    if day.month == 8:
        weight *= 0.7
    if day.weekday() == 6:
        weight *= 0.1
    return weight


def _minor(facts: IntakeFacts) -> bool:
    return AgeBand.at(facts.birth_date, facts.intake_date) is AgeBand.UNDER_18


@cache
def _demo_allocations() -> dict[City, dict[SubAction, Decimal]]:
    allocations: dict[City, dict[SubAction, Decimal]] = {}
    for allocation in read_allocations(DEMO_ALLOCATIONS_FILE).allocations:
        allocations.setdefault(allocation.city, {})[allocation.sub_action] = allocation.amount
    return allocations


def _focus_of(city: City) -> SubAction:
    """The sub-action a city chose as its main area: the one with its largest allocation."""
    by_sub_action = _demo_allocations()[city]
    return max(by_sub_action, key=lambda sub_action: by_sub_action[sub_action])


# --- the words people write ------------------------------------------------------------------
# In Italian, as the cities' staff would write them. Organisations are described, never named.

_PARTNERS = (
    "Ambulatorio medico solidale",
    "Sportello legale per persone migranti",
    "Associazione di volontariato per la mediazione culturale",
    "Cooperativa sociale per l'inserimento lavorativo",
    "Centro antiviolenza cittadino",
    "Consultorio familiare",
    "Scuola di italiano per stranieri",
    "Rete di ospitalità in famiglia",
)
_SERVICE_WEIGHTS = {
    CityService.HEALTH: 20, CityService.LEGAL_AID: 18, CityService.EMPLOYMENT: 16,
    CityService.HOUSING: 10, CityService.PSYCHOLOGICAL_SUPPORT: 8, CityService.MEDIATION: 8,
    CityService.EDUCATION: 8, CityService.SOCIAL_SERVICES: 10, CityService.OTHER: 2,
}
# Hours before an answer, by urgency: most within the due time, a few late.
_ANSWER_HOURS = {
    Urgency.IMMEDIATE: (1.0, 30.0),
    Urgency.WITHIN_72_HOURS: (3.0, 96.0),
    Urgency.ORDINARY: (12.0, 24.0 * 20),
}
_DECLINE_WEIGHTS = {
    DeclineReason.NO_CAPACITY: 35, DeclineReason.NOT_ELIGIBLE: 20,
    DeclineReason.PERSON_DECLINED: 20, DeclineReason.UNREACHABLE: 15,
    DeclineReason.DUPLICATE: 3, DeclineReason.OTHER: 7,
}
_REFERRAL_NOTES = (
    "Persona senza dimora da alcune settimane.",
    "Necessita di un interprete.",
    "Documenti di soggiorno in scadenza.",
    "Segnalata dall'unità di strada.",
    "Richiesta di orientamento al lavoro.",
)
_DECLINE_NOTES = (
    "Servizio sospeso per riorganizzazione.",
    "La richiesta va rivolta a un altro ufficio.",
)
_COMPLETION_NOTES = (
    "Presa in carico conclusa.",
    "Percorso completato con esito positivo.",
    "Visita effettuata, terapia avviata.",
    "Pratica depositata.",
    "Tirocinio avviato.",
)
_WITHDRAWAL_REASONS = (
    "La persona non si è presentata agli appuntamenti.",
    "Bisogno risolto per altra via.",
    "La persona ha lasciato la città.",
)
_TRANSFER_NOTES = (
    "La persona ha un familiare nella città di destinazione.",
    "Offerta di lavoro nella città di destinazione.",
    "Posto in un progetto di accoglienza della città di destinazione.",
)
_CLOSURE_REASONS: dict[CaseOutcome, tuple[int, tuple[str, ...]]] = {
    CaseOutcome.AUTONOMY: (30, ("Lavoro stabile e alloggio in affitto.",
                                "Autonomia abitativa e lavorativa raggiunta.")),
    CaseOutcome.OTHER_PROGRAMME: (25, ("Inserita nella rete SAI.",
                                       "Presa in carico da un progetto regionale.")),
    CaseOutcome.MOVED_AWAY: (15, ("Trasferita in un'altra regione.",
                                  "Ricongiungimento familiare all'estero.")),
    CaseOutcome.LOST_CONTACT: (22, ("Nessun contatto da oltre tre mesi.",)),
    CaseOutcome.OTHER: (8, ("Rimpatrio volontario assistito.",)),
}
_REOPENING_REASONS = (
    "Nuova richiesta di assistenza.",
    "Perdita del lavoro e dell'alloggio.",
    "La persona è tornata in città.",
)
_SHELTER_NAMES = {
    ShelterKind.TEMPORARY_SHELTER: "Accoglienza temporanea",
    ShelterKind.APARTMENT: "Appartamento di transizione",
    ShelterKind.PROTECTED_SETTING: "Struttura protetta",
}
_AREAS = (
    "Centro storico", "Zona nord", "Zona sud", "Zona est", "Zona ovest", "Quartiere stazione",
    "Periferia nord-est", "Periferia sud-ovest",
)
_OFFER_DECLINED_REASONS = (
    "Struttura troppo lontana dal luogo di lavoro.",
    "La persona ha trovato ospitalità presso conoscenti.",
    "Il posto non è adatto al nucleo familiare.",
)
_LEFT_WAITLIST_REASONS = (
    "Ha trovato un alloggio in autonomia.",
    "Accolta da un altro progetto.",
    "Non più interessata.",
)
_MOVE_OUT_WEIGHTS = {
    MoveOutOutcome.AUTONOMOUS_HOUSING: 40, MoveOutOutcome.OTHER_RECEPTION_PROGRAMME: 25,
    MoveOutOutcome.FAMILY_REUNIFICATION: 8, MoveOutOutcome.LEFT_WITHOUT_NOTICE: 15,
    MoveOutOutcome.REMOVED_FOR_RULE_BREACH: 4, MoveOutOutcome.OTHER: 8,
}
_MOVE_OUT_NOTES = {
    MoveOutOutcome.AUTONOMOUS_HOUSING: ("Contratto di affitto firmato.",),
    MoveOutOutcome.OTHER: ("Ricoverata in una struttura sanitaria.",
                           "Ospitata da una famiglia della rete di accoglienza."),
}
_ACTIVITY_WEEKS = {
    SubAction.CIVIC_ENGAGEMENT: (6, 16),
    SubAction.EMERGENCY_TAKE_IN: (4, 20),
    SubAction.ADMINISTRATION_EMPOWERMENT: (2, 8),
    SubAction.COMMUNICATION: (4, 12),
}
_ACTIVITIES: dict[SubAction, tuple[ActivityKind, tuple[str, ...]]] = {
    SubAction.CIVIC_ENGAGEMENT: (ActivityKind.CIVIC_ENGAGEMENT_INITIATIVE, (
        "Cura condivisa del giardino di quartiere",
        "Volontariato nella biblioteca civica",
        "Manutenzione dei parchi gioco",
        "Ciclofficina di quartiere",
        "Sostegno alla distribuzione alimentare",
    )),
    SubAction.EMERGENCY_TAKE_IN: (ActivityKind.COMMUNITY_BUILDING, (
        "Sportello mobile di ascolto",
        "Unità di strada multidisciplinare",
        "Tavolo di comunità del quartiere",
        "Accompagnamento ai servizi sanitari",
    )),
    SubAction.ADMINISTRATION_EMPOWERMENT: (ActivityKind.STAFF_TRAINING, (
        "Formazione: protezione internazionale e servizi comunali",
        "Coaching per gli sportelli anagrafe",
        "Formazione: vulnerabilità e presa in carico",
    )),
    SubAction.COMMUNICATION: (ActivityKind.INFORMATION_EVENT, (
        "Incontro informativo su diritti e servizi",
        "Giornata mondiale del rifugiato",
        "Campagna informativa multilingue",
    )),
}
_ORGANISERS = {
    SubAction.CIVIC_ENGAGEMENT: ("Comune di {city}, servizi sociali",
                                 "Cooperativa sociale incaricata dal Comune di {city}"),
    SubAction.EMERGENCY_TAKE_IN: ("Comune di {city}, servizi sociali",
                                  "Équipe multidisciplinare del Comune di {city}"),
    SubAction.ADMINISTRATION_EMPOWERMENT: ("Fondazione Cittalia", "ANCI"),
    SubAction.COMMUNICATION: ("ANCI Comunicare", "Comune di {city}, ufficio comunicazione"),
}
_RESIDENTS = {
    SubAction.CIVIC_ENGAGEMENT: (0, 25),
    SubAction.EMERGENCY_TAKE_IN: (0, 15),
    SubAction.ADMINISTRATION_EMPOWERMENT: (8, 30),
    SubAction.COMMUNICATION: (20, 250),
}
_SESSION_HOURS = {
    SubAction.CIVIC_ENGAGEMENT: ("2.00", "2.50", "3.00", "4.00"),
    SubAction.EMERGENCY_TAKE_IN: ("1.50", "2.00", "3.00"),
    SubAction.ADMINISTRATION_EMPOWERMENT: ("3.00", "4.00", "6.00"),
    SubAction.COMMUNICATION: ("2.00", "3.00", "5.00"),
}
_LOCKDOWN_CANCELLATION = "Annullata per le misure di contenimento dell'epidemia."
_CANCELLATION_REASONS = (
    "Sede non più disponibile.",
    "Adesioni insufficienti.",
)
_CATEGORIES = {
    SubAction.COORDINATION: (ExpenseCategory.STAFF, ExpenseCategory.TRAVEL),
    SubAction.CIVIC_ENGAGEMENT: (ExpenseCategory.SERVICES, ExpenseCategory.GOODS),
    SubAction.EMERGENCY_TAKE_IN: (ExpenseCategory.STAFF, ExpenseCategory.SERVICES),
    SubAction.FAST_TRACK_HOUSING: (ExpenseCategory.HOUSING_COSTS, ExpenseCategory.SERVICES),
    SubAction.ADMINISTRATION_EMPOWERMENT: (ExpenseCategory.STAFF, ExpenseCategory.TRAVEL,
                                           ExpenseCategory.SERVICES),
    SubAction.COMMUNICATION: (ExpenseCategory.SERVICES, ExpenseCategory.GOODS),
}
_CLAIM_REJECTIONS = (
    "Documentazione di spesa incompleta: manca la quietanza.",
    "Spesa non ammissibile per la sotto-azione indicata.",
    "Giustificativo illeggibile: ripresentare.",
)
