"""Application service of case assignment: assign (or reassign) a case to a member of its
city's staff, decide the assignment an intake records, and say who held a case when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import MutableAggregateProtocol

from domain.assignment.model import (
    CaseAssignment,
    CaseToAssign,
    CityStaff,
    Holding,
    default_holder,
)
from domain.programme import Actor, City
from domain.record import ProgrammeRecord, save_decided

_SAVE_ATTEMPTS = 4


class CasesToAssign(Protocol):
    """Where the service finds cases (the cases context's CaseService)."""

    def get(self, case_id: UUID) -> CaseToAssign:
        """The case; raises a LookupError (the cases context's) when there is none."""
        ...


class AssignmentAtIntake:
    """What an intake saves besides the case (CaseService's intake companion): nothing when the
    recorder keeps the case (the intake event names its recorder: the default holder), or the
    assignment to the person the coordinator chose, in the same save as the intake."""

    def __init__(self, staff: CityStaff) -> None:
        self.staff = staff

    def __call__(self, case: CaseToAssign, actor: Actor, now: datetime,
                 assignee: str | None) -> Sequence[MutableAggregateProtocol[UUID]]:
        recorder = default_holder(actor.kind.value, actor.id, actor.role.value)
        if assignee is None or assignee == recorder:
            return ()
        assignment = CaseAssignment.open(case.id, case.city, recorder, now, now)
        assignment.assign(case, assignee, self.staff, actor, now)
        return (assignment,)


class AssignmentService:
    def __init__(self, record: ProgrammeRecord, cases: CasesToAssign, staff: CityStaff) -> None:
        self.record = record
        self.cases = cases
        self.staff = staff

    def assign(self, case_id: UUID, assignee: str, actor: Actor, now: datetime) -> int:
        """Assign the case to `assignee` (its city's coordinator does: the access policy
        decides before this is called); returns the event's position. Refused for a closed
        case, for someone who is not staff of the case's city, and for its current holder."""

        def decide() -> Sequence[MutableAggregateProtocol[UUID]]:
            case = self.cases.get(case_id)
            case.require_open()
            assignment = self._assignment(case_id, now)
            assignment.assign(case, assignee, self.staff, actor, now)
            return (assignment,)

        return save_decided(self.record, decide, _SAVE_ATTEMPTS)

    def history(self, case_id: UUID) -> list[Holding]:
        """Who held the case, from the intake on, in order."""
        return list(self._assignment(case_id).holdings)

    def holding_on(self, case_id: UUID, moment: datetime) -> Holding | None:
        """Who held the case at `moment`, and for which city (None: before its intake)."""
        return self._assignment(case_id).holding_on(moment)

    def _assignment(self, case_id: UUID, now: datetime | None = None) -> CaseAssignment:
        """The case's assignments; `now`: when a new one would be saved (what reads them only
        gives none)."""
        try:
            found: object = self.record.repository.get(CaseAssignment.id_for(case_id))
        except AggregateNotFoundError:
            return self._as_the_intake_left_it(case_id, now)
        assert isinstance(found, CaseAssignment)
        return found

    def _as_the_intake_left_it(self, case_id: UUID, now: datetime | None) -> CaseAssignment:
        """A case nobody assigned yet: held by its intake's recorder (the intake event's actor:
        histories recorded before assignments existed read the same)."""
        intake: Any = next(iter(self.record.events.get(case_id, lte=1)), None)
        if intake is None:
            raise LookupError(case_id)
        actor: dict[str, str | None] = intake.actor
        city = str(intake.city)
        recorder = default_holder(str(actor.get("kind")), str(actor.get("id")),
                                  str(actor.get("role")))
        return CaseAssignment.open(case_id, City(city), recorder, intake.timestamp,
                                   now or intake.timestamp)

