"""Households: people who live together, each a case of the same city, linked with their
relationship to the head of household. Figures by household size, and housing offers made to a
whole household, come from these links rather than from the size typed at intake (which stays
on the case as the declared value).

Two aggregates, so that each rule is guarded by one version number:
- `Household` knows its members now (and when each joined), its head, and the date each member
  left. Members join and leave by dated events, so the household as of any date is a replay.
- `Membership`, one per case (its id derives from the case's), knows the household the case is
  in now, if any: joining saves the household and the membership together, so two households
  racing for the same case conflict on the membership's version and one of them loses. A case
  belongs to at most one household at a time.
Nothing in these events identifies a person or is typed freely: case ids and codes, dates and
codes only.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.programme import Actor, City, DomainError, programme_today

# The largest household the intake accepts (domain.cases.model.MAX_HOUSEHOLD_SIZE): the same
# bound for the links.
MAX_MEMBERS = 30
_MEMBERSHIP_NAMESPACE = UUID("5b0e7c8e-2f4a-4d61-9a3e-7c1d2b9f4e60")


class HouseholdError(DomainError):
    """Raised when a command on a household breaks a rule of the programme."""

    code = "household_error"


class CaseOfAnotherCity(HouseholdError):
    """Raised when a case would join a household of another city."""

    code = "household_of_another_city"


class AlreadyInAHousehold(HouseholdError):
    """Raised when a case that is a member of a household would form or join another."""

    code = "already_in_a_household"


class NotAMember(HouseholdError):
    """Raised when a case that is not a member of the household would leave it or head it."""

    code = "not_a_household_member"


class HouseholdEnded(HouseholdError):
    """Raised when someone would join a household whose last member has left."""

    code = "household_ended"


class HouseholdFull(HouseholdError):
    """Raised when a household of MAX_MEMBERS members would take one more."""

    code = "household_full"


class HeadMustStay(HouseholdError):
    """Raised when the head of a household with other members would leave it: another member
    is made head first."""

    code = "head_must_stay"


class InvalidHouseholdDate(HouseholdError):
    """Raised when a join, departure or change of head is dated in the future, before the
    household was formed, before the member joined, or before the case left its last
    household."""

    code = "invalid_household_date"


class InvalidRelationship(HouseholdError):
    """Raised when a member other than the head is given the relationship "head", or the
    former head is given one."""

    code = "invalid_relationship"


class Relationship(StrEnum):
    """A member's relationship to the head of household."""

    HEAD = "head"
    SPOUSE_PARTNER = "spouse_partner"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER_RELATIVE = "other_relative"
    OTHER = "other"


class DepartureReason(StrEnum):
    """Why a member left the household (a code: reasons are never typed freely)."""

    MOVED_AWAY = "moved_away"
    FORMED_OWN_HOUSEHOLD = "formed_own_household"
    CASE_TRANSFERRED = "case_transferred"
    DECEASED = "deceased"
    RECORDED_IN_ERROR = "recorded_in_error"
    OTHER = "other"


def _require_not_future(on: date, now: datetime, field: str) -> None:
    if on > programme_today(now):
        raise InvalidHouseholdDate("The date cannot be in the future.", field=field)


class Household(Aggregate):
    """The people who live together, as cases of one city: each member with their relationship
    to the head and the day they joined."""

    class Formed(Aggregate.Created):
        city: str
        formed_on: date
        actor: dict[str, str | None]

    def __init__(self, city: str, formed_on: date, actor: dict[str, str | None]) -> None:
        self.city = City(city)
        self.formed_on = formed_on
        # case id (as text: snapshots are JSON) -> relationship code, for the members now
        self.members: dict[str, str] = {}
        self.joined: dict[str, date] = {}
        self.head: UUID | None = None
        self.ended_on: date | None = None

    @classmethod
    def form(
        cls, household_id: UUID, head: Membership, head_code: str, city: City, formed_on: date,
        actor: Actor, now: datetime,
    ) -> Household:
        """A new household, with `head` as its first member and head; dated `formed_on`."""
        _require_not_future(formed_on, now, "formed_on")
        head.require_free(formed_on)
        household = cls._create(cls.Formed, id=household_id, timestamp=now, city=city.value,
                                formed_on=formed_on, actor=actor.as_record())
        household.add(head, head_code, city, Relationship.HEAD, formed_on, actor, now)
        return household

    class MemberJoined(Aggregate.Event):
        city: str
        case_id: UUID
        case_code: str
        relationship: str
        joined_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Household)
            aggregate.members[str(self.case_id)] = self.relationship
            aggregate.joined[str(self.case_id)] = self.joined_on
            if self.relationship == Relationship.HEAD:
                aggregate.head = self.case_id

    class MemberLeft(Aggregate.Event):
        city: str
        case_id: UUID
        case_code: str
        left_on: date
        reason: str
        members_left: int
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Household)
            aggregate.members.pop(str(self.case_id), None)
            aggregate.joined.pop(str(self.case_id), None)
            if aggregate.head == self.case_id:
                aggregate.head = None
            if not aggregate.members:
                aggregate.ended_on = self.left_on

    class HeadChanged(Aggregate.Event):
        city: str
        case_id: UUID
        case_code: str
        previous_head_case_id: UUID
        previous_head_relationship: str
        changed_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Household)
            aggregate.members[str(self.previous_head_case_id)] = self.previous_head_relationship
            aggregate.members[str(self.case_id)] = Relationship.HEAD.value
            aggregate.head = self.case_id

    @property
    def member_ids(self) -> list[UUID]:
        return [UUID(case_id) for case_id in self.members]

    @property
    def is_ended(self) -> bool:
        return self.ended_on is not None

    def relationship_of(self, case_id: UUID) -> Relationship | None:
        code = self.members.get(str(case_id))
        return Relationship(code) if code is not None else None

    def add(
        self, member: Membership, case_code: str, city: City, relationship: Relationship,
        joined_on: date, actor: Actor, now: datetime,
    ) -> None:
        """Let the case of `member` join, with its relationship to the head, on `joined_on`
        (not in the future, not before the household was formed, not before the case left its
        last household)."""
        if self.is_ended:
            raise HouseholdEnded("Every member has left this household.", field="household")
        if City(city) != City(self.city):
            raise CaseOfAnotherCity("The case belongs to another city than the household.",
                                    field="case")
        if len(self.members) >= MAX_MEMBERS:
            raise HouseholdFull("A household has at most 30 members.", field="household",
                                max_members=MAX_MEMBERS)
        if (relationship is Relationship.HEAD) != (self.head is None):
            raise InvalidRelationship(
                "A household has one head: the other members are related to them.",
                field="relationship")
        _require_not_future(joined_on, now, "joined_on")
        if joined_on < self.formed_on:
            raise InvalidHouseholdDate("A member cannot join before the household was formed.",
                                       field="joined_on", formed_on=self.formed_on)
        member.require_free(joined_on)
        self.trigger_event(
            self.MemberJoined, timestamp=now, city=str(self.city), case_id=member.case_id,
            case_code=case_code, relationship=relationship.value, joined_on=joined_on,
            actor=actor.as_record())
        member.join(self.id, now)

    def remove(
        self, member: Membership, case_code: str, reason: DepartureReason, left_on: date,
        actor: Actor, now: datetime,
    ) -> None:
        """Record that the case of `member` left on `left_on`. The head leaves only as the
        last member (then the household ends): another member is made head first."""
        key = str(member.case_id)
        if key not in self.members:
            raise NotAMember("The case is not a member of this household.", field="case")
        if self.head == member.case_id and len(self.members) > 1:
            raise HeadMustStay(
                "The head leaves the household last: make another member head first.",
                field="case")
        _require_not_future(left_on, now, "left_on")
        if left_on < self.joined[key]:
            raise InvalidHouseholdDate("A member cannot leave before joining.", field="left_on",
                                       joined_on=self.joined[key])
        self.trigger_event(
            self.MemberLeft, timestamp=now, city=str(self.city), case_id=member.case_id,
            case_code=case_code, left_on=left_on, reason=reason.value,
            members_left=len(self.members) - 1, actor=actor.as_record())
        member.leave(self.id, left_on, now)

    def change_head(
        self, new_head: UUID, case_code: str, previous_head_relationship: Relationship,
        changed_on: date, actor: Actor, now: datetime,
    ) -> None:
        """Make a member head, saying how the former head is related to the new one. The other
        members keep the relationship recorded for them."""
        if str(new_head) not in self.members:
            raise NotAMember("The case is not a member of this household.", field="case")
        if self.head is None or self.head == new_head:
            raise InvalidRelationship("The case is already the head of this household.",
                                      field="case")
        if previous_head_relationship is Relationship.HEAD:
            raise InvalidRelationship("A household has one head: say how the former head is "
                                      "related to the new one.", field="relationship")
        _require_not_future(changed_on, now, "changed_on")
        if changed_on < self.joined[str(new_head)]:
            raise InvalidHouseholdDate("A member cannot become head before joining.",
                                       field="changed_on", joined_on=self.joined[str(new_head)])
        self.trigger_event(
            self.HeadChanged, timestamp=now, city=str(self.city), case_id=new_head,
            case_code=case_code, previous_head_case_id=self.head,
            previous_head_relationship=previous_head_relationship.value, changed_on=changed_on,
            actor=actor.as_record())


class Membership(Aggregate):
    """Which household one case is in now (internal: the household's events say it publicly).
    Its version is what two joins of the same case conflict on."""

    class Started(Aggregate.Created):
        case_id: UUID

    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.household_id: UUID | None = None
        self.last_left_on: date | None = None

    @staticmethod
    def id_for(case_id: UUID) -> UUID:
        return uuid5(_MEMBERSHIP_NAMESPACE, f"household-membership/{case_id}")

    @classmethod
    def start(cls, case_id: UUID, now: datetime) -> Membership:
        return cls._create(cls.Started, id=cls.id_for(case_id), timestamp=now, case_id=case_id)

    class Joined(Aggregate.Event):
        household_id: UUID

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Membership)
            aggregate.household_id = self.household_id

    class Left(Aggregate.Event):
        household_id: UUID
        left_on: date

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Membership)
            aggregate.household_id = None
            aggregate.last_left_on = self.left_on

    def require_free(self, joined_on: date) -> None:
        """A case is in at most one household at a time: it joins another only after leaving
        the last, and not before the day it left."""
        if self.household_id is not None:
            raise AlreadyInAHousehold("The case is already a member of a household.",
                                      field="case")
        if self.last_left_on is not None and joined_on < self.last_left_on:
            raise InvalidHouseholdDate(
                "The case cannot join a household before the day it left the last one.",
                field="joined_on", left_on=self.last_left_on)

    def join(self, household_id: UUID, now: datetime) -> None:
        self.trigger_event(self.Joined, timestamp=now, household_id=household_id)

    def leave(self, household_id: UUID, left_on: date, now: datetime) -> None:
        self.trigger_event(self.Left, timestamp=now, household_id=household_id, left_on=left_on)
