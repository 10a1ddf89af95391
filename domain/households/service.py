"""Application service of the households context: form a household around its head, let cases
join and leave it, change its head. Every command returns the position of what it saved.

A join saves the household and the case's membership together: a rival that changed either
first makes the save fail, and the command decides again on what it then finds (a case that
meanwhile joined another household is refused, never in two)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.households.model import (
    DepartureReason,
    Household,
    HouseholdError,
    Membership,
    NotAMember,
    Relationship,
)
from domain.programme import Actor, City
from domain.record import ProgrammeRecord, save_decided

_SAVE_ATTEMPTS = 16


class HouseholdNotFound(LookupError):
    """Raised when no household has the given id."""


class NotInAHousehold(HouseholdError):
    """Raised when a command needs the case's household and the case is in none."""

    code = "not_in_a_household"


class NoHouseholdWithMember(HouseholdError):
    """Raised when a case would join the household of a case code that is no member of a
    household of its city."""

    code = "no_household_with_member"


class CaseToLink(Protocol):
    """What households need of a case (the cases context's Case is one)."""

    @property
    def case_code(self) -> str: ...

    @property
    def city(self) -> City: ...

    def require_open(self) -> None:
        """Refuse (the cases context's own error) when the case is closed."""


class CasesToLink(Protocol):
    def get(self, case_id: UUID) -> CaseToLink:
        """The case with this id; raises a LookupError (the cases context's) when none."""
        ...


@dataclass(frozen=True)
class HouseholdMembers:
    """A household's members now, as other contexts (housing) need them."""

    household_id: UUID
    city: City
    case_ids: tuple[UUID, ...]


class HouseholdService:
    def __init__(self, record: ProgrammeRecord, cases: CasesToLink) -> None:
        self.record = record
        self.cases = cases

    def form_household(
        self, household_id: UUID, head_case_id: UUID, formed_on: date, actor: Actor,
        now: datetime,
    ) -> int:
        """A new household of the case's city with the (open) case as its head."""

        def decide() -> list[Aggregate]:
            case = self._open_case(head_case_id)
            membership = self._membership(head_case_id, now)
            household = Household.form(household_id, membership, case.case_code,
                                       City(case.city), formed_on, actor, now)
            return [household, membership]

        return self._decide_and_save(decide)

    def join_household(
        self, household_id: UUID, case_id: UUID, relationship: Relationship, joined_on: date,
        actor: Actor, now: datetime,
    ) -> int:
        """The (open) case joins the household, with its relationship to the head."""

        def decide() -> list[Aggregate]:
            case = self._open_case(case_id)
            household = self.get(household_id)
            membership = self._membership(case_id, now)
            household.add(membership, case.case_code, City(case.city), relationship, joined_on,
                          actor, now)
            return [household, membership]

        return self._decide_and_save(decide)

    def leave_household(
        self, case_id: UUID, reason: DepartureReason, left_on: date, actor: Actor,
        now: datetime,
    ) -> int:
        """The case leaves the household it is in (recorded on a closed case too: whoever left
        must be seen to have left)."""

        def decide() -> list[Aggregate]:
            case = self.cases.get(case_id)
            membership = self._membership(case_id, now)
            household = self._household_of(membership)
            household.remove(membership, case.case_code, reason, left_on, actor, now)
            return [household, membership]

        return self._decide_and_save(decide)

    def make_head(
        self, case_id: UUID, previous_head_relationship: Relationship, changed_on: date,
        actor: Actor, now: datetime,
    ) -> int:
        """The case becomes head of the household it is in; the former head's relationship to
        it is given."""

        def decide() -> list[Aggregate]:
            case = self._open_case(case_id)
            household = self._household_of(self._membership(case_id, now))
            household.change_head(case_id, case.case_code, previous_head_relationship,
                                  changed_on, actor, now)
            return [household]

        return self._decide_and_save(decide)

    # --- reading ------------------------------------------------------------------------------

    def get(self, household_id: UUID) -> Household:
        try:
            household: object = self.record.repository.get(household_id)
        except AggregateNotFoundError:
            raise HouseholdNotFound(household_id) from None
        if not isinstance(household, Household):
            raise HouseholdNotFound(household_id)
        return household

    def household_id_of(self, case_id: UUID) -> UUID | None:
        """The household the case is in now; None when it is in none."""
        try:
            membership: object = self.record.repository.get(Membership.id_for(case_id))
        except AggregateNotFoundError:
            return None
        return membership.household_id if isinstance(membership, Membership) else None

    def members_of(self, household_id: UUID) -> HouseholdMembers:
        """The household's members now (for a household offer of beds)."""
        household = self.get(household_id)
        return HouseholdMembers(household.id, City(household.city),
                                tuple(household.member_ids))

    # --- the machinery ------------------------------------------------------------------------

    def _open_case(self, case_id: UUID) -> CaseToLink:
        case = self.cases.get(case_id)
        case.require_open()
        return case

    def _membership(self, case_id: UUID, now: datetime) -> Membership:
        try:
            membership: object = self.record.repository.get(Membership.id_for(case_id))
        except AggregateNotFoundError:
            return Membership.start(case_id, now)
        assert isinstance(membership, Membership)
        return membership

    def _household_of(self, membership: Membership) -> Household:
        if membership.household_id is None:
            raise NotInAHousehold("The case is not a member of any household.", field="case")
        household = self.get(membership.household_id)
        if str(membership.case_id) not in household.members:
            raise NotAMember("The case is not a member of this household.", field="case")
        return household

    def _decide_and_save(self, decide: Callable[[], list[Aggregate]]) -> int:
        return save_decided(self.record, decide, _SAVE_ATTEMPTS)
