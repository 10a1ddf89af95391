"""The demo run: every city of the scale planned at the start (its intakes, shelters, activities
and claims), the allocations recorded first, then the calendar run to its end through the areas
of work, each action scheduling what follows from it."""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable

from domain.programme import City, SubAction
from infra.demo.activities import ActivityDesk
from infra.demo.assignment import AssignmentDesk
from infra.demo.cases import CaseDesk
from infra.demo.deliveries import DeliveryDesk
from infra.demo.documents import DocumentDesk
from infra.demo.duplicates import DuplicateDesk
from infra.demo.finance import FinanceDesk, GrantDesk, focus_of
from infra.demo.households import HouseholdDesk
from infra.demo.housing import HousingDesk
from infra.demo.known import KnownCase
from infra.demo.notes import NoteDesk
from infra.demo.plans import PlanDesk
from infra.demo.referrals import ReferralDesk
from infra.demo.scale import DemoScale
from infra.demo.scheduler import DemoReport, DemoServices, Scheduler


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


class _Simulation:
    """The programme's cities at work, action by action in time order, one area of work each
    (`cases`, `referrals`, `housing`, `activities`, `finance`), all on one scheduler."""

    def __init__(self, services: DemoServices, scale: DemoScale, rng: random.Random) -> None:
        self.scale = scale
        self.scheduler = Scheduler(scale, rng)
        self.report = self.scheduler.report
        cases_of: dict[City, list[KnownCase]] = {city: [] for city in scale.cities}
        self.referrals = ReferralDesk(self.scheduler, services, cases_of)
        self.housing = HousingDesk(self.scheduler, services, cases_of)
        self.assignments = AssignmentDesk(self.scheduler, services, cases_of)
        self.cases = CaseDesk(self.scheduler, services, cases_of,
                              referrals=self.referrals, housing=self.housing,
                              assignments=self.assignments)
        self.activities = ActivityDesk(self.scheduler, services, cases_of)
        self.finance = FinanceDesk(self.scheduler, services, cases_of)
        self.grants = GrantDesk(self.scheduler, services, cases_of)
        self.plans = PlanDesk(self.scheduler, services, cases_of)
        self.documents = DocumentDesk(self.scheduler, services, cases_of)
        self.households = HouseholdDesk(self.scheduler, services, cases_of, self.housing)
        self.notes = NoteDesk(self.scheduler, services, cases_of)
        self.deliveries = DeliveryDesk(self.scheduler, services, cases_of)
        self.duplicates = DuplicateDesk(self.scheduler, services, cases_of)

    def run(self, progress: Callable[[int], None] | None) -> None:
        start = self.scheduler.working_time(self.scale.start, 7, 8)
        self.scheduler.at(start, self.finance.set_allocations)
        self.scheduler.at(start, self.grants.adopt_budget)
        for city in self.scale.cities:
            self.plan_city(city)
        self.notes.plan_rounds()
        self.duplicates.plan_duplicates()
        self.scheduler.run(progress)

    def plan_city(self, city: City) -> None:
        intakes = dict(self.scale.intakes)[city]
        for day in self.cases.intake_days(intakes):
            self.scheduler.at(self.scheduler.working_time(day), lambda: self.cases.take_in(city))
        self.housing.plan_shelters(city, intakes)
        self.referrals.plan_organisations(city)
        focus = focus_of(city)
        for sub_action in (SubAction.CIVIC_ENGAGEMENT, SubAction.EMERGENCY_TAKE_IN,
                           SubAction.ADMINISTRATION_EMPOWERMENT, SubAction.COMMUNICATION):
            count = self.scale.share(self.scale.activities_per_sub_action)
            for _ in range(count * (2 if sub_action is focus else 1)):
                self.activities.plan_activity_of(city, sub_action)
        self.finance.plan_claims(city)
        self.grants.plan_claims(city)
        self.plans.plan_city(city)
        self.documents.plan_city(city)
        self.households.plan_rounds(city)
        self.deliveries.plan_rounds(city)
