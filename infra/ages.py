"""The age job: a system process that keeps every case's age band and minority in step with the
calendar (issue 12, item 7), from the birth dates only the vault keeps.

Once a day (`lgnet run` runs it at start and then daily; `lgnet cases age` runs it once, for the
compose stack's cron) it walks every case taken in, reads the person's birth date from the vault
and lets the case record what changed (Case.follow_age): `case.age_band_changed` and
`case.came_of_age`, dated to the month. It records nothing for a case already up to date, so it
may run any number of times. A case whose personal data is erased has no birth date any more: it
is skipped, and only counted. Its log line carries counts, never a case.

Why the events reveal no day: they are dated to the month (the month after the birthday's), and
the job records a birthday only once its month has ended, in the same run as every other
birthday of that month; so neither a field nor the moment of recording (`ce-time`) says more
than the month (GDPR art. 5(1)(c), data minimisation)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.cases.model import Case
from domain.cases.service import AgeFollowed, CaseService
from domain.programme import Actor, ActorKind, Role
from domain.record import ProgrammeRecord
from infra.periodic import run_every

log = logging.getLogger("lgnet.ages")

AGE_JOB_ACTOR = Actor(kind=ActorKind.SYSTEM, id="lgnet-age-job", role=Role.SYSTEM)
"""Who records what the calendar changed: no user, and no city (it works for every city)."""
EVERY = timedelta(days=1)
_PAGE = 1_000
_INTAKE_TOPIC = get_topic(Case.IntakeRecorded)


@dataclass(frozen=True)
class AgeRun:
    """What one run did, in counts only."""

    updated: int
    up_to_date: int
    erased: int

    @property
    def cases(self) -> int:
        return self.updated + self.up_to_date + self.erased

    def log_line(self) -> str:
        return (f"Age job: {self.cases} cases, {self.updated} updated, {self.up_to_date} up to "
                f"date, {self.erased} skipped (personal data erased)")


def case_ids(record: ProgrammeRecord) -> Iterator[UUID]:
    """Every case taken in, in the order of their intakes."""
    start = None
    while True:
        page = record.recorder.select_notifications(
            start, _PAGE, topics=[_INTAKE_TOPIC], inclusive_of_start=False)
        for notification in page:
            yield UUID(str(notification.originator_id))
        if len(page) < _PAGE:
            return
        start = page[-1].id


def follow_ages(record: ProgrammeRecord, cases: CaseService, now: datetime) -> AgeRun:
    """One run over every case; logs its counts."""
    counts: Counter[AgeFollowed] = Counter(
        cases.follow_age(case_id, AGE_JOB_ACTOR, now) for case_id in case_ids(record))
    run = AgeRun(counts[AgeFollowed.UPDATED], counts[AgeFollowed.UP_TO_DATE],
                 counts[AgeFollowed.ERASED])
    log.info(run.log_line())
    return run


async def run_age_job(
    record: ProgrammeRecord, cases: CaseService, clock: Callable[[], datetime],
    stop: asyncio.Event, every: timedelta = EVERY,
) -> None:
    """Run at start, then every `every` until `stop`. A failed run is logged and the next one
    tried: ages can wait a day."""
    await run_every(lambda: follow_ages(record, cases, clock()), every, stop, "The age job")
