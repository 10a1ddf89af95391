"""Who works on a case: the operator (or coordinator) of the case's city who holds it, and who
held it when.

A case is held, from its intake, by whoever recorded the intake (the intake event names its
recorder), unless the coordinator chose someone else at intake; a coordinator reassigns it
later. Each assignment is an event (`CaseAssignment.Assigned`), so who held the case on any
date is replayed from the record. Only staff of the case's city (its operators and
coordinators, as the accounts know them: the `CityStaff` port) may hold it. A transfer hands
the case to another city: nobody there holds it until someone is assigned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.access import CITY_ROLES
from domain.programme import Actor, ActorKind, City, DomainError, Role

_NAMESPACE = UUID("0c6e4f55-4a8e-4c1b-9d3e-2b7f1d8a6c10")


class AssignmentError(DomainError):
    code = "assignment_error"


class AssigneeNotCityStaff(AssignmentError):
    """Raised when the chosen person is not an operator or coordinator of the case's city (or
    their account is disabled)."""

    code = "assignee_not_city_staff"


class AlreadyHeld(AssignmentError):
    """Raised when the case is assigned to the person who already holds it."""

    code = "assignment_already_held"


class CityStaff(Protocol):
    """Who works for a city (the accounts' users: infra.store.accounts): the port through
    which the domain learns it, since it cannot read the accounts itself."""

    def is_city_staff(self, username: str, city: City) -> bool:
        """True when `username` is an enabled operator or coordinator of `city`."""
        ...


class CaseToAssign(Protocol):
    """A case as assignment needs it (the cases context's Case is one)."""

    @property
    def id(self) -> UUID: ...

    @property
    def case_code(self) -> str: ...

    @property
    def city(self) -> City: ...

    def require_open(self) -> None:
        """Raise (the cases context's own error) when the case is closed."""


@dataclass(frozen=True)
class Holding:
    """`assignee` held the case in `city` from `since` (until the next holding). `assigned_by`
    None: by default, as the intake's recorder."""

    assignee: str | None
    city: City
    since: datetime
    assigned_by: str | None


def default_holder(actor_kind: str, actor_id: str, actor_role: str) -> str | None:
    """Who holds a case from its intake, by default: the person who recorded the intake, when
    city staff did (a system process, such as an import, holds no case)."""
    if actor_kind != ActorKind.USER.value or Role(actor_role) not in CITY_ROLES:
        return None
    return actor_id


class CaseAssignment(Aggregate):
    """A case's assignments. Created (internally) with the default holder from the intake; each
    assignment after it is a published event."""

    class Opened(Aggregate.Created):
        case_id: UUID
        city: str
        recorded_by: str | None
        recorded_at: datetime

    class Assigned(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        assignee: str
        previous_assignee: str | None
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CaseAssignment)
            aggregate.holdings.append(Holding(
                self.assignee, City(self.city), self.timestamp, self.actor["id"]))

    def __init__(self, case_id: UUID, city: str, recorded_by: str | None,
                 recorded_at: datetime) -> None:
        self.case_id = case_id
        self.holdings: list[Holding] = [Holding(recorded_by, City(city), recorded_at, None)]

    @staticmethod
    def id_for(case_id: UUID) -> UUID:
        return uuid5(_NAMESPACE, f"case-assignment/{case_id}")

    @classmethod
    def open(cls, case_id: UUID, city: City, recorded_by: str | None, recorded_at: datetime,
             now: datetime) -> CaseAssignment:
        """The case's assignments as the intake left them: held by `recorded_by` (the default
        holder) from `recorded_at`. Recorded `now` (with the first assignment)."""
        return cls._create(cls.Opened, id=cls.id_for(case_id), timestamp=now,
                           case_id=case_id, city=city.value, recorded_by=recorded_by,
                           recorded_at=recorded_at)

    def holder(self, city: City) -> str | None:
        """Who holds the case now that it is `city`'s (None: nobody, e.g. after a transfer)."""
        latest = self.holdings[-1]
        return latest.assignee if latest.city == city else None

    def holding_on(self, moment: datetime) -> Holding | None:
        """The holding in force at `moment` (None: before the intake). Its `city` says for which
        city: after a transfer, the case's new city has no holder until someone is assigned."""
        held = [h for h in self.holdings if h.since <= moment]
        return held[-1] if held else None

    def assign(self, case: CaseToAssign, assignee: str, staff: CityStaff, actor: Actor,
               now: datetime) -> None:
        """Give the case to `assignee`, who must be an operator or coordinator of the case's
        city."""
        if not staff.is_city_staff(assignee, case.city):
            raise AssigneeNotCityStaff(
                "Only an operator or coordinator of the case's city can be assigned the case.",
                field="assignee", assignee=assignee, city=case.city.value,
            )
        previous = self.holder(case.city)
        if previous == assignee:
            raise AlreadyHeld("The case is already assigned to this person.", field="assignee",
                              assignee=assignee)
        self.trigger_event(
            self.Assigned, timestamp=now, case_id=case.id, case_code=case.case_code,
            city=case.city.value, assignee=assignee, previous_assignee=previous,
            actor=actor.as_record(),
        )
