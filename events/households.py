"""Event contracts of the households context (see docs/events.md and docs/workflows/households.md).

A household is no case's: its CloudEvents subject is the household's id. The events that concern
a member name it (`case_id`, `case_code`), so they appear on that case's timeline. They carry
codes, dates and pseudonymous case codes only: no name, no free text. A household offer of beds
is the shelter's event (subject: the shelter's id); each member's own `placement.bed_offered`
says which bed is theirs.

Partners get none of these: who lives with whom is family life (GDPR art. 9 data can be read
from it, and it is no part of what a partner's agreement covers); partners see each member's
placement events as before."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.contracts import CASE_CODE_PATTERN, City, EventContract

Relationship = Literal[
    "head", "spouse_partner", "child", "parent", "sibling", "other_relative", "other"
]
"""A member's relationship to the head of household."""
DepartureReason = Literal[
    "moved_away", "formed_own_household", "case_transferred", "deceased", "recorded_in_error",
    "other",
]


class HouseholdFormedV1(EventContract):
    """A city recorded a household (its head joins it by the next event)."""

    aggregate: ClassVar[str] = "household"
    event: ClassVar[str] = "formed"
    version: ClassVar[int] = 1

    household_id: UUID
    city: City
    formed_on: date


class HouseholdMemberJoinedV1(EventContract):
    """A case of the household's city joined it, with its relationship to the head ("head" for
    the head), from `joined_on`. A case is in at most one household at a time."""

    aggregate: ClassVar[str] = "household"
    event: ClassVar[str] = "member_joined"
    version: ClassVar[int] = 1

    household_id: UUID
    city: City
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    relationship: Relationship
    joined_on: date


class HouseholdMemberLeftV1(EventContract):
    """A member left the household on `left_on`, for a reason given as a code. When no member
    is left, the household has ended."""

    aggregate: ClassVar[str] = "household"
    event: ClassVar[str] = "member_left"
    version: ClassVar[int] = 1

    household_id: UUID
    city: City
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    left_on: date
    reason: DepartureReason
    members_left: int = Field(ge=0, description="Members of the household after this one left")


class HouseholdHeadChangedV1(EventContract):
    """A member became the head of household; the former head stays a member, related to the
    new head as `previous_head_relationship`. Other members keep their recorded relationship."""

    aggregate: ClassVar[str] = "household"
    event: ClassVar[str] = "head_changed"
    version: ClassVar[int] = 1

    household_id: UUID
    city: City
    case_id: UUID = Field(description="The new head")
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    previous_head_case_id: UUID
    previous_head_relationship: Relationship
    changed_on: date


class ShelterHouseholdBedsOfferedV1(EventContract):
    """Beds of a shelter were offered together to every member of a household, one each, all
    or none."""

    aggregate: ClassVar[str] = "shelter"
    event: ClassVar[str] = "household_beds_offered"
    version: ClassVar[int] = 1

    shelter_id: UUID
    city: City
    household_id: UUID
    bed_numbers: list[int] = Field(min_length=1, description="The beds held, one per member")
    offered_on: date


HOUSEHOLD_CONTRACTS: tuple[type[EventContract], ...] = (
    HouseholdFormedV1,
    HouseholdMemberJoinedV1,
    HouseholdMemberLeftV1,
    HouseholdHeadChangedV1,
    ShelterHouseholdBedsOfferedV1,
)
