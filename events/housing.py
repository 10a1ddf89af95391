"""Event contracts of the housing context (see docs/events.md and docs/workflows/housing.md).

Two aggregates publish: `shelter` (a city's shelters and their beds; CloudEvents subject: the
shelter's id) and `placement` (a case's path through fast-track housing: waitlist, bed offer,
move-in, move-out; CloudEvents subject: the case code). Which bed is held by whom is told by the
placement events alone: the shelter's own bed bookkeeping is internal and never published.
A shelter is located by its area only, never by a street address (protected settings)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from events.contracts import (
    CASE_CODE_PATTERN,
    TEXT_DIGEST_PATTERN,
    City,
    EventContract,
    PriorityGroup,
)

ShelterKind = Literal["temporary_shelter", "apartment", "protected_setting"]
ShelterClosureReason = Literal[
    "agreement_ended", "premises_unfit", "merged", "funding_ended", "other",
]
MoveOutOutcome = Literal[
    "autonomous_housing", "other_reception_programme", "family_reunification",
    "left_without_notice", "removed_for_rule_breach", "other",
]


class ShelterRegisteredV1(EventContract):
    """A city registered a shelter, apartment or protected setting with its beds, numbered
    1..beds."""

    aggregate: ClassVar[str] = "shelter"
    event: ClassVar[str] = "registered"
    version: ClassVar[int] = 1

    shelter_id: UUID
    city: City
    name: str = Field(min_length=1, max_length=120)
    kind: ShelterKind
    address_area: str = Field(
        min_length=1, max_length=120,
        description="The neighbourhood or area; never a street address",
    )
    beds: int = Field(ge=1, le=500)


class ShelterBedsAddedV1(EventContract):
    """Beds were added to a shelter."""

    aggregate: ClassVar[str] = "shelter"
    event: ClassVar[str] = "beds_added"
    version: ClassVar[int] = 1

    shelter_id: UUID
    city: City
    added: int = Field(ge=1)
    bed_numbers: list[int] = Field(description="The numbers of the new beds")
    beds: int = Field(ge=1, description="The shelter's beds after the change")


class ShelterBedsRemovedV1(EventContract):
    """Free beds were removed from a shelter (a bed offered or occupied is never removed)."""

    aggregate: ClassVar[str] = "shelter"
    event: ClassVar[str] = "beds_removed"
    version: ClassVar[int] = 1

    shelter_id: UUID
    city: City
    removed: int = Field(ge=1)
    bed_numbers: list[int] = Field(description="The numbers of the beds removed")
    beds: int = Field(ge=1, description="The shelter's beds after the change")


class ShelterClosedV1(EventContract):
    """An empty shelter was closed: it takes nobody any more."""

    aggregate: ClassVar[str] = "shelter"
    event: ClassVar[str] = "closed"
    version: ClassVar[int] = 1

    shelter_id: UUID
    city: City
    closed_on: date
    reason: str = Field(min_length=1, max_length=500)


class ShelterClosedV2(EventContract):
    """An empty shelter was closed: it takes nobody any more. v2: the reason is a code from a
    fixed list, never free text (the v1 reason was the text a coordinator typed)."""

    aggregate: ClassVar[str] = "shelter"
    event: ClassVar[str] = "closed"
    version: ClassVar[int] = 2

    shelter_id: UUID
    city: City
    closed_on: date
    reason: ShelterClosureReason | None = Field(description=(
        "Why the shelter closed: `agreement_ended` (the agreement with the managing body "
        "ended), `premises_unfit`, `merged` (into another shelter), `funding_ended`, `other`. "
        "Null in a message upcast from v1, whose reason was a text in the event itself: it "
        "stays in that message and in the event store, and is not carried on (no code is "
        "guessed from it)."
    ))

    @classmethod
    def from_v1(cls, v1: ShelterClosedV1) -> ShelterClosedV2:
        return cls(**v1.model_dump(exclude={"reason"}), reason=None)


class PlacementWaitlistedV1(EventContract):
    """A case was put on its city's housing waitlist. The waitlist's order follows from these
    fields, as the card sets it: holders of international protection first, then vulnerable
    cases, then the longest waiting, with the points the ministry sets for each
    (programme.priority_weights_set)."""

    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "waitlisted"
    version: ClassVar[int] = 1

    housing_path_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    waitlisted_at: AwareDatetime
    vulnerable: bool = Field(
        description="Special-category data (whether any vulnerability is recorded): internal "
        "subjects only"
    )
    priority_group: PriorityGroup
    intake_date: date


class PlacementBedOfferedV1(EventContract):
    """A bed of a shelter was offered to a waitlisted case, and is held for it."""

    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "bed_offered"
    version: ClassVar[int] = 1

    housing_path_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    shelter_id: UUID
    shelter_name: str = Field(min_length=1, max_length=120)
    address_area: str = Field(min_length=1, max_length=120)
    bed: int = Field(ge=1)
    offered_on: date


class PlacementOfferDeclinedV1(EventContract):
    """The bed offered was declined: it is free again, and the case is back on the waitlist
    with the waiting time it had."""

    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "offer_declined"
    version: ClassVar[int] = 1

    housing_path_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    shelter_id: UUID
    bed: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=500)


_LEGACY = (
    " Null in a message upcast from v1, whose text was in the event itself: it stays in that "
    "message and in the event store, and is not carried on."
)


class PlacementOfferDeclinedV2(EventContract):
    """The bed offered was declined: it is free again, and the case is back on the waitlist
    with the waiting time it had. v2 (issue 16): the reason is free text, kept in the vault
    encrypted with the person's key; the event carries its id and digest."""

    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "offer_declined"
    version: ClassVar[int] = 2

    housing_path_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    shelter_id: UUID
    bed: int = Field(ge=1)
    reason_id: UUID | None = Field(description="The reason's id in the vault." + _LEGACY)
    reason_digest: str | None = Field(pattern=TEXT_DIGEST_PATTERN)

    @classmethod
    def from_v1(cls, v1: PlacementOfferDeclinedV1) -> PlacementOfferDeclinedV2:
        return cls(**v1.model_dump(exclude={"reason"}), reason_id=None, reason_digest=None)


class PlacementMovedInV1(EventContract):
    """The person moved into the bed offered."""

    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "moved_in"
    version: ClassVar[int] = 1

    housing_path_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    shelter_id: UUID
    bed: int = Field(ge=1)
    moved_in_on: date
    intake_date: date = Field(description="The case's intake: days to move-in are counted from it")


class PlacementMovedOutV1(EventContract):
    """The person left the bed, with the outcome; the bed is free again."""

    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "moved_out"
    version: ClassVar[int] = 1

    housing_path_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    shelter_id: UUID
    bed: int = Field(ge=1)
    moved_out_on: date
    outcome: MoveOutOutcome
    note: str = Field(max_length=500, description="Required when the outcome is `other`")


class PlacementMovedOutV2(EventContract):
    """The person left the bed, with the outcome; the bed is free again. v2 (issue 16): the
    note (required when the outcome is `other`) is kept in the vault encrypted with the
    person's key; the event carries its id and digest."""

    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "moved_out"
    version: ClassVar[int] = 2

    housing_path_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    shelter_id: UUID
    bed: int = Field(ge=1)
    moved_out_on: date
    outcome: MoveOutOutcome
    note_id: UUID | None = Field(description="The note's id in the vault; null: no note." + _LEGACY)
    note_digest: str | None = Field(pattern=TEXT_DIGEST_PATTERN)

    @classmethod
    def from_v1(cls, v1: PlacementMovedOutV1) -> PlacementMovedOutV2:
        return cls(**v1.model_dump(exclude={"note"}), note_id=None, note_digest=None)


class PlacementLeftWaitlistV1(EventContract):
    """A case left the waitlist without a bed (housing found elsewhere, no longer needed...)."""

    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "left_waitlist"
    version: ClassVar[int] = 1

    housing_path_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    reason: str = Field(min_length=1, max_length=500)


class PlacementLeftWaitlistV2(EventContract):
    """A case left the waitlist without a bed (housing found elsewhere, no longer needed...).
    v2 (issue 16): the reason is kept in the vault encrypted with the person's key; the event
    carries its id and digest."""

    aggregate: ClassVar[str] = "placement"
    event: ClassVar[str] = "left_waitlist"
    version: ClassVar[int] = 2

    housing_path_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    reason_id: UUID | None = Field(description="The reason's id in the vault." + _LEGACY)
    reason_digest: str | None = Field(pattern=TEXT_DIGEST_PATTERN)

    @classmethod
    def from_v1(cls, v1: PlacementLeftWaitlistV1) -> PlacementLeftWaitlistV2:
        return cls(**v1.model_dump(exclude={"reason"}), reason_id=None, reason_digest=None)


HOUSING_CONTRACTS: tuple[type[EventContract], ...] = (
    ShelterRegisteredV1,
    ShelterBedsAddedV1,
    ShelterBedsRemovedV1,
    ShelterClosedV1,
    ShelterClosedV2,
    PlacementWaitlistedV1,
    PlacementBedOfferedV1,
    PlacementOfferDeclinedV1,
    PlacementOfferDeclinedV2,
    PlacementMovedInV1,
    PlacementMovedOutV1,
    PlacementMovedOutV2,
    PlacementLeftWaitlistV1,
    PlacementLeftWaitlistV2,
)
