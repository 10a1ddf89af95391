"""Versioned event contracts. Each is a frozen pydantic model whose JSON Schema is published;
its CloudEvents type is ``it.lgnet.<aggregate>.<event>.v<version>``. A new version of an event
is a new class; old ones stay so old events remain readable (see docs/events.md)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

CE_TYPE_PREFIX = "it.lgnet"
# A pseudonymous case code: the city's prefix, the year, the number (FI-2021-00042).
CASE_CODE_PATTERN = r"^[A-Z]{2}-\d{4}-\d{5}$"
SUBJECT_ROOT = "lgnet"

ProtectionStatus = Literal[
    "refugee", "subsidiary_protection", "special_protection", "asylum_seeker", "other"
]
ReceptionSituation = Literal["left_reception", "never_in_reception"]
ReceptionCentreKind = Literal["first_reception", "cas", "sai", "other"]
Sex = Literal["female", "male", "other"]
AgeBand = Literal["0-17", "18-24", "25-34", "35-49", "50-64", "65+"]
Vulnerability = Literal[
    "minor",
    "unaccompanied_minor",
    "disability",
    "elderly",
    "pregnancy",
    "single_parent_with_minors",
    "trafficking_victim",
    "serious_illness",
    "mental_disorder",
    "torture_or_serious_violence",
    "female_genital_mutilation",
]
ConsentScope = Literal["case_management", "referral_to_partners", "statistics"]
PersonSubAction = Literal["2", "3", "4"]
PriorityGroup = Literal["international_protection", "other_outside_reception"]
City = Literal[
    "agrigento", "bari", "bologna", "bolzano", "caserta", "catania", "firenze", "genova",
    "latina", "milano", "napoli", "palermo", "perugia", "potenza", "roma", "sassari",
    "taranto", "torino", "trieste",
]


class EventContract(BaseModel):
    """Base of every published event body (the CloudEvent's `data`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    aggregate: ClassVar[str]
    event: ClassVar[str]
    version: ClassVar[int]

    @classmethod
    def ce_type(cls) -> str:
        return f"{CE_TYPE_PREFIX}.{cls.aggregate}.{cls.event}.v{cls.version}"

    @classmethod
    def subject(cls, city: str) -> str:
        """The NATS subject: ``lgnet.<city>.<aggregate>.<event>``. The version is not in the
        subject, so a consumer of a kind of event keeps its filter across versions."""
        return f"{SUBJECT_ROOT}.{city}.{cls.aggregate}.{cls.event}"


class Eligibility(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sub_action: PersonSubAction
    eligible: bool
    reason: str = Field(description="A reason code, explained in docs/domain.md")


class CaseIntakeRecordedV1(EventContract):
    """A city took a person into the programme. Carries no personal identifier: the person is
    known only by the pseudonymous case code; name, birth date and documents are in the vault."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "intake_recorded"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    intake_date: date
    protection_status: ProtectionStatus
    reception_situation: ReceptionSituation
    left_reception_on: date | None
    reception_centre_kind: ReceptionCentreKind | None
    sex: Sex
    age_band: AgeBand
    nationality: str = Field(pattern=r"^[A-Z]{2}$")
    household_size: int = Field(ge=1, le=30)
    vulnerabilities: list[Vulnerability] = Field(
        description="Special-category data: only on internal subjects, never to partners"
    )
    consent_given_on: date
    consent_scopes: list[ConsentScope]
    priority_group: PriorityGroup
    eligibility: list[Eligibility]


class CasePersonalDataErasedV1(EventContract):
    """The person's identifiers were destroyed in the vault at their request (GDPR art. 17).
    The case stays, under its pseudonymous code, in every statistic."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "personal_data_erased"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    requested_on: date
    request_reference: str = Field(
        min_length=1, max_length=60, description="The erasure request's protocol number"
    )


ErasureLegalBasis = Literal[
    "art17_1a", "art17_1b", "art17_1c", "art17_1d", "art17_1e", "art17_1f", "not_recorded"
]


class CasePersonalDataErasedV2(EventContract):
    """The person's identifiers were destroyed in the vault at their request (GDPR art. 17),
    on the ground the city accepted. The case stays, under its pseudonymous code, in every
    statistic. v2 adds `legal_basis` (a new required field: a breaking change, see the
    versioning policy in docs/events.md); a v1 event reads as v2 with `not_recorded`."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "personal_data_erased"
    version: ClassVar[int] = 2

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    requested_on: date
    request_reference: str = Field(
        min_length=1, max_length=60, description="The erasure request's protocol number"
    )
    legal_basis: ErasureLegalBasis = Field(
        description="The ground of GDPR art. 17(1) the erasure was granted on, by its letter: "
        "art17_1a no longer necessary, art17_1b consent withdrawn, art17_1c objection, "
        "art17_1d unlawful processing, art17_1e legal obligation, art17_1f child's consent "
        "to an information society service; not_recorded for erasures recorded before v2"
    )

    @classmethod
    def from_v1(cls, v1: CasePersonalDataErasedV1) -> CasePersonalDataErasedV2:
        return cls(**v1.model_dump(), legal_basis="not_recorded")


CaseOutcome = Literal[
    "autonomy", "other_programme", "moved_away", "lost_contact", "deceased", "other"
]
CorrectableField = Literal[
    "protection_status", "sex", "nationality", "household_size", "vulnerabilities"
]


class CaseClosedV1(EventContract):
    """A city closed a case, with the outcome and why. Nothing is deleted: the case can be
    reopened, and every figure keeps it."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "closed"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    closed_on: date
    outcome: CaseOutcome
    reason: str = Field(min_length=1, max_length=500)


class CaseReopenedV1(EventContract):
    """A closed case was opened again, and why."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "reopened"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    reopened_on: date
    reason: str = Field(min_length=1, max_length=500)


class FieldChange(BaseModel):
    """One corrected fact: its value before and after. Lists are vulnerability codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: CorrectableField
    before: str | int | list[str]
    after: str | int | list[str]
    corrects: str = Field(
        description="The CloudEvents id of the event whose value this replaces: the intake, or "
        "an earlier correction of the same fact"
    )


class CaseIntakeCorrectedV1(EventContract):
    """Facts recorded at intake were wrong; this says which, what they were, what they are, and
    why. The intake event itself is never changed; each change names the event it corrects.
    Eligibility and priority group follow from the corrected facts and are given again."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "intake_corrected"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    changes: list[FieldChange] = Field(
        min_length=1,
        description="Vulnerability changes are special-category data: internal subjects only",
    )
    reason: str = Field(min_length=1, max_length=500)
    priority_group: PriorityGroup
    eligibility: list[Eligibility]


class CaseTransferredV1(EventContract):
    """A case moved to another city, which accepted a transfer referral. From this event on the
    case is the new city's; the old city keeps the history up to here and sees nothing newer.
    Published on the new city's subject."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "transferred"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City = Field(description="The city the case now belongs to")
    from_city: City
    referral_id: UUID
    transferred_on: date


CASE_CONTRACTS: tuple[type[EventContract], ...] = (
    CaseIntakeRecordedV1,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    CaseClosedV1,
    CaseReopenedV1,
    CaseIntakeCorrectedV1,
    CaseTransferredV1,
)
