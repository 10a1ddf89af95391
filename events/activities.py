"""Event contracts of the activities context (see docs/events.md and docs/workflows/activities.md).

Activities belong to a city, not to a case: their CloudEvents subject is the activity id. The
events that concern cases name them (`case_id` on an enrolment, `case_ids` on a session), so
they appear on each case's timeline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.contracts import CASE_CODE_PATTERN, City, EventContract

ActivitySubAction = Literal["2", "3", "5", "6"]
ActivityKind = Literal[
    "civic_engagement_initiative",
    "community_building",
    "neighbourhood_mediation",
    "information_event",
    "staff_training",
    "other",
]


class ActivityPlannedV1(EventContract):
    """A city planned a community activity. The organiser is an organisation or office, never a
    person's name."""

    aggregate: ClassVar[str] = "activity"
    event: ClassVar[str] = "planned"
    version: ClassVar[int] = 1

    activity_id: UUID
    city: City
    sub_action: ActivitySubAction
    kind: ActivityKind
    title: str = Field(min_length=1, max_length=120)
    neighbourhood: str = Field(min_length=1, max_length=80)
    starts_on: date
    ends_on: date
    organiser: str = Field(
        min_length=1, max_length=120, description="An organisation or office, not a person"
    )


class ActivityParticipantEnrolledV1(EventContract):
    """A case of the activity's city was enrolled in it (for Sub-Action 2: an asylum seeker)."""

    aggregate: ClassVar[str] = "activity"
    event: ClassVar[str] = "participant_enrolled"
    version: ClassVar[int] = 1

    activity_id: UUID
    city: City
    sub_action: ActivitySubAction
    kind: ActivityKind
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)


class ActivitySessionHeldV1(EventContract):
    """A session of the activity took place: its date and length, the enrolled participants who
    attended (each is credited its hours) and how many residents, not beneficiaries, took
    part."""

    aggregate: ClassVar[str] = "activity"
    event: ClassVar[str] = "session_held"
    version: ClassVar[int] = 1

    activity_id: UUID
    city: City
    sub_action: ActivitySubAction
    session_number: int = Field(ge=1, description="1 for the activity's first session, ...")
    held_on: date
    hours: Decimal = Field(
        gt=0, le=12, decimal_places=2,
        description="The session's length in hours: a decimal, written as a JSON string such as "
        '"1.50" (readers also accept a number)',
    )
    case_ids: list[UUID] = Field(description="The enrolled participants who attended")
    residents: int = Field(ge=0, description="Participants who are not beneficiaries")


class ActivityCompletedV1(EventContract):
    """The activity was completed, after at least one session."""

    aggregate: ClassVar[str] = "activity"
    event: ClassVar[str] = "completed"
    version: ClassVar[int] = 1

    activity_id: UUID
    city: City
    sub_action: ActivitySubAction
    completed_on: date
    sessions: int = Field(ge=1, description="How many sessions were held")


class ActivityCancelledV1(EventContract):
    """The activity was cancelled, and why. Its sessions held so far still count."""

    aggregate: ClassVar[str] = "activity"
    event: ClassVar[str] = "cancelled"
    version: ClassVar[int] = 1

    activity_id: UUID
    city: City
    sub_action: ActivitySubAction
    reason: str = Field(min_length=1, max_length=500)


class ActivityStaffTrainedCountedV1(EventContract):
    """How many different municipal staff a Sub-Action 5 training trained, counted from its
    attendance sheets (its sessions count people, not who they are). A later count of the same
    activity replaces the earlier one (a correction)."""

    aggregate: ClassVar[str] = "activity"
    event: ClassVar[str] = "staff_trained_counted"
    version: ClassVar[int] = 1

    activity_id: UUID
    city: City
    sub_action: ActivitySubAction
    staff_trained: int = Field(
        ge=1, description="Different people trained: at least the largest session's count, at "
        "most the sessions' counts summed")


ACTIVITY_CONTRACTS: tuple[type[EventContract], ...] = (
    ActivityPlannedV1,
    ActivityParticipantEnrolledV1,
    ActivitySessionHeldV1,
    ActivityCompletedV1,
    ActivityCancelledV1,
    ActivityStaffTrainedCountedV1,
)
