"""Application service for community activities: each command loads the activity (and the case
it concerns), lets the aggregate decide, saves, and returns the event's log position. Who may
call which command (planning, completing and cancelling: MANAGE_FACILITIES; enrolling and
recording sessions: RECORD_CASE_WORK) is checked by the caller against domain.access."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.activities.model import Activity, ActivityPlan, CaseToEnrol, NotACaseOfTheCity
from domain.programme import Actor, CardTermsSource, TermsSource
from domain.record import ProgrammeRecord, position_of, save_decided

# Two people recording on one activity at once: the later save conflicts, and its command is
# decided again on the activity as the earlier one left it.
_SAVE_ATTEMPTS = 5


class ActivityNotFound(LookupError):
    """Raised when no activity has the given id."""


class CasesToEnrol(Protocol):
    """Where the service finds the case to enrol: the cases context's CaseService, which the
    composition root passes in."""

    def get(self, case_id: UUID) -> CaseToEnrol:
        """The case with this id; raises a LookupError when there is none."""
        ...


class ActivityService:
    def __init__(
        self, record: ProgrammeRecord, cases: CasesToEnrol, terms: TermsSource | None = None
    ) -> None:
        self.record = record
        self.cases = cases
        # The programme's terms (period, partner cities): the card's unless a source is given.
        self.terms = terms or CardTermsSource()

    def plan_activity(
        self, activity_id: UUID, plan: ActivityPlan, actor: Actor, now: datetime
    ) -> int:
        activity = Activity.plan(activity_id, plan, actor, now, self.terms.terms_in_force())
        return position_of(self.record.save(activity))

    def enrol(self, activity_id: UUID, case_id: UUID, actor: Actor, now: datetime) -> int:
        return self._decide(
            activity_id, lambda activity: activity.enrol(self._case(case_id), actor, now)
        )

    def record_session(
        self, activity_id: UUID, held_on: date, hours: Decimal, attended: frozenset[UUID],
        residents: int, actor: Actor, now: datetime,
    ) -> int:
        return self._decide(activity_id, lambda activity: activity.record_session(
            held_on, hours, attended, residents, actor, now))

    def complete(self, activity_id: UUID, actor: Actor, now: datetime) -> int:
        return self._decide(activity_id, lambda activity: activity.complete(actor, now))

    def count_staff_trained(self, activity_id: UUID, staff_trained: int, actor: Actor,
                            now: datetime) -> int:
        return self._decide(activity_id, lambda activity: activity.count_staff_trained(
            staff_trained, actor, now))

    def cancel(self, activity_id: UUID, reason: str, actor: Actor, now: datetime) -> int:
        return self._decide(activity_id, lambda activity: activity.cancel(reason, actor, now))

    def _decide(self, activity_id: UUID, command: Callable[[Activity], None]) -> int:
        """Load, decide, save; on a concurrent save, again on the newer activity."""

        def decide() -> list[Activity]:
            activity = self.get(activity_id)
            command(activity)
            return [activity]

        return save_decided(self.record, decide, _SAVE_ATTEMPTS)

    def get(self, activity_id: UUID) -> Activity:
        try:
            activity: object = self.record.repository.get(activity_id)
        except AggregateNotFoundError:
            raise ActivityNotFound(activity_id) from None
        if not isinstance(activity, Activity):
            raise ActivityNotFound(activity_id)
        return activity

    def _case(self, case_id: UUID) -> CaseToEnrol:
        """The case to enrol. An unknown one is refused as a case of another city is: the
        refusal must not tell which ids exist elsewhere."""
        try:
            return self.cases.get(case_id)
        except LookupError:
            raise NotACaseOfTheCity(
                "No case of the activity's city has this id or code.", field="case"
            ) from None
