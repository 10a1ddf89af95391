"""The simulated calendar: actions queued by their moment and run in time order, each service
command at the calendar's next moment (so the times of the events increase along the log), a
refusal counted rather than raised; and `Area`, what every area of work shares of it."""

from __future__ import annotations

import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from uuid import UUID

from domain.activities.service import ActivityService
from domain.cases.service import CaseService
from domain.deliveries.service import DeliveryService
from domain.documents.service import DocumentService
from domain.finance.grant_service import GrantService
from domain.finance.service import FinanceService
from domain.households.service import HouseholdService
from domain.housing.service import HousingService
from domain.identity.service import IdentityService
from domain.notes.service import NoteService
from domain.organisations.service import OrganisationService
from domain.plans.service import PlanService
from domain.programme import City, DomainError
from domain.referrals.service import ReferralService
from infra.demo.known import KnownCase
from infra.demo.scale import DemoScale, simulated_days

# The end of the working day the simulation stops at, in UTC (19:00 in Rome in winter).
_DAY_END = time(18)


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
    grants: GrantService
    """The grant's budget and claims (issue 13)."""
    plans: PlanService
    documents: DocumentService
    households: HouseholdService
    notes: NoteService
    deliveries: DeliveryService
    identity: IdentityService
    organisations: OrganisationService


Action = Callable[[], None]


class Scheduler:
    """The calendar of one demo run, with its random source: everything drawn comes from `rng`,
    in the order the actions run."""

    def __init__(self, scale: DemoScale, rng: random.Random) -> None:
        self.scale = scale
        self.rng = rng
        self.report = DemoReport()
        self.queue: list[tuple[datetime, int, Action]] = []
        self.sequence = itertools.count()
        self.clock = datetime.combine(scale.start, time(7), tzinfo=UTC)
        self.horizon = datetime.combine(scale.end, _DAY_END, tzinfo=UTC)

    def new_id(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def at(self, when: datetime, action: Action) -> None:
        if when <= self.horizon:
            heapq.heappush(self.queue, (when, next(self.sequence), action))

    def now(self, rng: random.Random | None = None) -> datetime:
        """The moment of the next command: never before the previous one's, so the log's times
        increase. `rng`: an area's own random source, to draw the step from instead."""
        moment = self.clock
        self.clock += timedelta(seconds=(rng or self.rng).randint(20, 240))
        return moment

    def attempt(
        self, kind: str, command: Callable[[datetime], object],
        rng: random.Random | None = None,
    ) -> bool:
        """Call one service command at the next moment; a refusal is counted, not raised.
        `rng`: as for `now`."""
        now = self.now(rng)
        try:
            command(now)
        except DomainError as error:
            self.report.refused.append(
                f"{now:%Y-%m-%d %H:%M} {kind}: {type(error).__name__}: {error.message}")
            return False
        self.report.accepted[kind] += 1
        return True

    def working_time(self, day: date, earliest: int = 8, latest: int = 17,
                     rng: random.Random | None = None) -> datetime:
        """A moment of the working day (UTC hours), at a whole minute."""
        minutes = (rng or self.rng).randint(earliest * 60, latest * 60 - 1)
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
        """Run the queued actions in time order, and those they queue, until none is left."""
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


class Area:
    """One area of the programme's work. Its actions read what the simulation knows, call the
    application services at the scheduler's next moment and schedule what follows; every area
    shares the one scheduler (one calendar, one random source) and the cases known, by city."""

    def __init__(
        self, scheduler: Scheduler, services: DemoServices, cases_of: dict[City, list[KnownCase]]
    ) -> None:
        self.scheduler = scheduler
        self.services = services
        self.cases_of = cases_of
        # The scheduler's tools at hand, as `self.at(...)`, `self.rng`, ...
        self.scale = scheduler.scale
        self.rng = scheduler.rng
        self.report = scheduler.report
        self.new_id = scheduler.new_id
        self.at = scheduler.at
        self.attempt = scheduler.attempt
        self.working_time = scheduler.working_time
        self.later = scheduler.later

    @property
    def clock(self) -> datetime:
        return self.scheduler.clock
