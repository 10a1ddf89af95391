"""Event contracts of the referrals context (see docs/events.md and
docs/workflows/referrals.md). Every referral event is published on the referring city's
subject (`lgnet.<referring city>.referral.*`), with the case code as its CloudEvents subject;
a transfer names the city it goes to in `to_city`."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from events.contracts import (
    CASE_CODE_PATTERN,
    TEXT_DIGEST_PATTERN,
    City,
    EventContract,
    LegalBasis,
)

DestinationKind = Literal["city_service", "partner", "transfer"]
CityService = Literal[
    "health", "legal_aid", "employment", "housing", "psychological_support", "mediation",
    "education", "social_services", "other",
]
Urgency = Literal["immediate", "within_72_hours", "ordinary"]
DeclineReason = Literal[
    "no_capacity", "not_eligible", "person_declined", "unreachable", "duplicate", "other"
]
ConsentBasis = Literal["consent", "override"]
ReferralLegalBasis = LegalBasis | Literal["not_recorded"]


class _ReferralEvent(EventContract):
    aggregate: ClassVar[str] = "referral"
    version: ClassVar[int] = 1

    referral_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City = Field(description="The referring city")


class ReferralRequestedV1(_ReferralEvent):
    """A city referred a case to one of its services, to an external partner, or to another
    city (a transfer). The answer is due by `due_at`, set by the urgency and the answer times in
    force when it was requested."""

    event: ClassVar[str] = "requested"

    destination_kind: DestinationKind
    service: CityService | None = Field(description="For a city service: which one")
    partner_name: str | None = Field(
        max_length=120, description="For a partner: the organisation's name"
    )
    to_city: City | None = Field(description="For a transfer: the city asked to take the case")
    urgency: Urgency = Field(
        description="The level: immediate, urgent (its code `within_72_hours` is the name it had "
        "when 72 hours was fixed) or ordinary. How long each allows is the ministry's decision "
        "(programme.answer_times_set): `due_at` is the deadline")
    due_at: AwareDatetime = Field(
        description="When the answer is due: the request's time plus the answer time in force "
        "for the urgency")
    note: str | None = Field(max_length=500)
    consent_basis: ConsentBasis = Field(
        description="`override`: a partner referral without the person's consent, on a "
        "coordinator's decision whose reason is `consent_override_reason`"
    )
    consent_override_reason: str | None = Field(max_length=500)


class ReferralRequestedV2(_ReferralEvent):
    """A city referred a case to one of its services, to an external partner, or to another
    city (a transfer), on the legal basis recorded. The answer is due by `due_at`, set by the
    urgency. v2 (issue 12): `legal_basis` replaces `consent_basis`; the former "override of
    consent" is now sharing on another legal basis, which is recorded. A v1 referral reads as
    v2 by `from_v1`."""

    event: ClassVar[str] = "requested"
    version: ClassVar[int] = 2

    destination_kind: DestinationKind
    service: CityService | None = Field(description="For a city service: which one")
    partner_name: str | None = Field(
        max_length=120, description="For a partner: the organisation's name"
    )
    to_city: City | None = Field(description="For a transfer: the city asked to take the case")
    urgency: Urgency
    due_at: AwareDatetime = Field(description="When the answer is due")
    note: str | None = Field(max_length=500)
    legal_basis: ReferralLegalBasis = Field(
        description="What the sharing rests on (GDPR art. 6(1)): public_task for the city's "
        "services and transfers; consent for a partner the person agreed to; or another basis "
        "a coordinator named. not_recorded: a v1 referral on a coordinator's override"
    )
    consent_override_reason: str | None = Field(
        max_length=500,
        description="Only in v1 referrals on an override: the coordinator's reason. Never set "
        "since v2",
    )

    @classmethod
    def from_v1(cls, v1: ReferralRequestedV1) -> ReferralRequestedV2:
        return cls(
            **v1.model_dump(exclude={"consent_basis"}),
            legal_basis="consent" if v1.consent_basis == "consent" else "not_recorded",
        )


_LEGACY = (
    " Absent (null) in a message upcast from the version before, whose text, if any, was in "
    "the event itself: it stays in that message and in the event store, and is not carried on."
)


class ReferralRequestedV3(_ReferralEvent):
    """A city referred a case to one of its services, to an external partner, or to another
    city (a transfer), on the legal basis recorded. v3 (issue 16): no free text in events. The
    note is kept in the vault, encrypted with the person's key (so their erasure shreds it):
    the event carries its id there and its digest. A v2 referral reads as v3 by `from_v2`."""

    event: ClassVar[str] = "requested"
    version: ClassVar[int] = 3

    destination_kind: DestinationKind
    service: CityService | None = Field(description="For a city service: which one")
    partner_name: str | None = Field(
        max_length=120,
        description="For a partner: the organisation's name (an organisation, not a person)",
    )
    to_city: City | None = Field(description="For a transfer: the city asked to take the case")
    urgency: Urgency
    due_at: AwareDatetime = Field(description="When the answer is due")
    note_id: UUID | None = Field(description="The note's id in the vault; null: no note." + _LEGACY)
    note_digest: str | None = Field(
        pattern=TEXT_DIGEST_PATTERN, description="The note's digest (keyed with the person's key)")
    legal_basis: ReferralLegalBasis = Field(
        description="What the sharing rests on (GDPR art. 6(1)): public_task for the city's "
        "services and transfers; consent for a partner the person agreed to; or another basis "
        "a coordinator named. not_recorded: a v1 referral on a coordinator's override"
    )

    @classmethod
    def from_v2(cls, v2: ReferralRequestedV2) -> ReferralRequestedV3:
        return cls(
            **v2.model_dump(exclude={"note", "consent_override_reason"}),
            note_id=None, note_digest=None,
        )


class ReferralRequestedV4(_ReferralEvent):
    """A city referred a case to one of its services, to a registered partner organisation, or
    to another city (a transfer), on the legal basis recorded. v4 (issue 12, item 5): a partner
    is an organisation the referring city registered (organisation.registered), named by
    `organisation_id`; the free-text `partner_name` is never written since. A v3 referral reads
    as v4 by `from_v3`, with no organisation id and its partner name as typed."""

    event: ClassVar[str] = "requested"
    version: ClassVar[int] = 4

    destination_kind: DestinationKind
    service: CityService | None = Field(description="For a city service: which one")
    organisation_id: UUID | None = Field(
        description="For a partner: the registered organisation (of the referring city). Null "
        "in a referral upcast from v3, which named its partner by `partner_name`")
    partner_name: str | None = Field(
        max_length=120,
        description="Only in referrals upcast from v3: the partner's name as it was typed. "
        "Never set since v4")
    to_city: City | None = Field(description="For a transfer: the city asked to take the case")
    urgency: Urgency
    due_at: AwareDatetime = Field(description="When the answer is due")
    note_id: UUID | None = Field(description="The note's id in the vault; null: no note." + _LEGACY)
    note_digest: str | None = Field(
        pattern=TEXT_DIGEST_PATTERN, description="The note's digest (keyed with the person's key)")
    legal_basis: ReferralLegalBasis = Field(
        description="What the sharing rests on (GDPR art. 6(1)): public_task for the city's "
        "services and transfers; consent for a partner organisation the person consented to "
        "(case.consent_given v2 naming it); or another basis a coordinator named. "
        "not_recorded: a v1 referral on a coordinator's override"
    )

    @classmethod
    def from_v3(cls, v3: ReferralRequestedV3) -> ReferralRequestedV4:
        return cls(**v3.model_dump(), organisation_id=None)


class ReferralAcceptedV1(_ReferralEvent):
    """The destination accepted the referral (the answer's time is the event's time). For a
    transfer, the target city accepted: a `case.transferred` event follows at once."""

    event: ClassVar[str] = "accepted"

    to_city: City | None = Field(description="For a transfer: the city that accepted it")


class ReferralDeclinedV1(_ReferralEvent):
    """The destination declined the referral, for a reason from the list."""

    event: ClassVar[str] = "declined"

    to_city: City | None = Field(description="For a transfer: the city that declined it")
    reason: DeclineReason
    note: str | None = Field(max_length=500, description="Required when the reason is `other`")


class ReferralDeclinedV2(_ReferralEvent):
    """The destination declined the referral, for a reason from the list. v2 (issue 16): the
    note (required when the reason is `other`) is in the vault; the event carries its id and
    digest."""

    event: ClassVar[str] = "declined"
    version: ClassVar[int] = 2

    to_city: City | None = Field(description="For a transfer: the city that declined it")
    reason: DeclineReason
    note_id: UUID | None = Field(description="The note's id in the vault; null: no note." + _LEGACY)
    note_digest: str | None = Field(pattern=TEXT_DIGEST_PATTERN)

    @classmethod
    def from_v1(cls, v1: ReferralDeclinedV1) -> ReferralDeclinedV2:
        return cls(**v1.model_dump(exclude={"note"}), note_id=None, note_digest=None)


class ReferralCompletedV1(_ReferralEvent):
    """The destination did what the referral asked."""

    event: ClassVar[str] = "completed"

    outcome_note: str | None = Field(max_length=500)


class ReferralCompletedV2(_ReferralEvent):
    """The destination did what the referral asked. v2 (issue 16): the outcome, if written, is
    in the vault; the event carries its id and digest."""

    event: ClassVar[str] = "completed"
    version: ClassVar[int] = 2

    outcome_note_id: UUID | None = Field(
        description="The outcome's id in the vault; null: none written." + _LEGACY)
    outcome_note_digest: str | None = Field(pattern=TEXT_DIGEST_PATTERN)

    @classmethod
    def from_v1(cls, v1: ReferralCompletedV1) -> ReferralCompletedV2:
        return cls(**v1.model_dump(exclude={"outcome_note"}), outcome_note_id=None,
                   outcome_note_digest=None)


class ReferralWithdrawnV1(_ReferralEvent):
    """The referring city withdrew the referral."""

    event: ClassVar[str] = "withdrawn"

    reason: str = Field(min_length=1, max_length=500)


class ReferralWithdrawnV2(_ReferralEvent):
    """The referring city withdrew the referral. v2 (issue 16): the reason, always written, is
    in the vault; the event carries its id and digest."""

    event: ClassVar[str] = "withdrawn"
    version: ClassVar[int] = 2

    reason_id: UUID | None = Field(
        description="The reason's id in the vault; set on every v2 withdrawal." + _LEGACY)
    reason_digest: str | None = Field(pattern=TEXT_DIGEST_PATTERN)

    @classmethod
    def from_v1(cls, v1: ReferralWithdrawnV1) -> ReferralWithdrawnV2:
        return cls(**v1.model_dump(exclude={"reason"}), reason_id=None, reason_digest=None)


REFERRAL_CONTRACTS: tuple[type[EventContract], ...] = (
    ReferralRequestedV1,
    ReferralRequestedV2,
    ReferralRequestedV3,
    ReferralRequestedV4,
    ReferralAcceptedV1,
    ReferralDeclinedV1,
    ReferralDeclinedV2,
    ReferralCompletedV1,
    ReferralCompletedV2,
    ReferralWithdrawnV1,
    ReferralWithdrawnV2,
)
