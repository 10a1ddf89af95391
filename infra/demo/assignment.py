"""Coordinators sharing out their city's cases: most cases stay with the operator who took the
person in (no event: the intake names its recorder); now and then a coordinator gives one to
themselves some days later, and sometimes back to the operator afterwards. The demo's staff are
the cities' demo personas (`<city>.operatore`, `<city>.coordinatore`), as its intakes are."""

from __future__ import annotations

from uuid import UUID

from domain.assignment.service import AssignmentService
from domain.programme import City
from infra.demo.known import KnownCase
from infra.demo.people import coordinator, operator
from infra.demo.scheduler import Area, DemoServices, Scheduler

# Of the cases taken in, the share a coordinator reassigns, and of those the share given back.
REASSIGNED = 0.2
GIVEN_BACK = 0.3


class DemoStaff:
    """The CityStaff port of the demo: each city's demo operator and coordinator."""

    def is_city_staff(self, username: str, city: City) -> bool:
        return username in (operator(city).id, coordinator(city).id)


class AssignmentDesk(Area):
    def __init__(self, scheduler: Scheduler, services: DemoServices,
                 cases_of: dict[City, list[KnownCase]]) -> None:
        super().__init__(scheduler, services, cases_of)
        self.assignments = AssignmentService(services.cases.record, services.cases, DemoStaff())
        self.holders: dict[UUID, tuple[City, str]] = {}

    def plan(self, case: KnownCase) -> None:
        """Called at intake (the operator holds the case): perhaps a reassignment later."""
        self.holders[case.id] = (case.city, operator(case.city).id)
        if self.rng.random() >= REASSIGNED:
            return
        start = self.clock
        self.at(self.later(start, self.rng.uniform(24, 24 * 30)),
                lambda: self.reassign(case, to_coordinator=True))
        if self.rng.random() < GIVEN_BACK:
            self.at(self.later(start, self.rng.uniform(24 * 31, 24 * 90)),
                    lambda: self.reassign(case, to_coordinator=False))

    def reassign(self, case: KnownCase, *, to_coordinator: bool) -> None:
        if not case.is_open or case.transfer_waiting:
            return
        city = case.city
        assignee = coordinator(city).id if to_coordinator else operator(city).id
        held_in, holder = self.holders.get(case.id, (city, operator(city).id))
        if held_in == city and holder == assignee:
            return
        if self.attempt("assignment", lambda now: self.assignments.assign(
                case.id, assignee, coordinator(city), now)):
            self.holders[case.id] = (city, assignee)
