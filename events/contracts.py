"""Versioned event contracts. Each is a frozen pydantic model whose JSON Schema is published;
its CloudEvents type is ``it.lgnet.<aggregate>.<event>.v<version>``. A new version of an event
is a new class; old ones stay so old events remain readable (see docs/events.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

CE_TYPE_PREFIX = "it.lgnet"
# A pseudonymous case code: the city's prefix, the year, the number (FI-2021-00042).
CASE_CODE_PATTERN = r"^[A-Z]{2}-\d{4}-\d{5}$"
SUBJECT_ROOT = "lgnet"

# Version 1's code lists (it.lgnet.case.intake_recorded.v1, intake_corrected.v1).
ProtectionStatusV1 = Literal[
    "refugee", "subsidiary_protection", "special_protection", "asylum_seeker", "other"
]
ReceptionSituationV1 = Literal["left_reception", "never_in_reception"]
ReceptionCentreKindV1 = Literal["first_reception", "cas", "sai", "other"]
SexV1 = Literal["female", "male", "other"]
ConsentScopeV1 = Literal["case_management", "referral_to_partners", "statistics"]

ProtectionStatus = Literal[
    "refugee", "subsidiary_protection", "asylum_seeker", "appellant",
    "humanitarian_protection", "special_cases", "special_protection",
    "permit_art_18", "permit_art_18_bis", "permit_art_19_c2_d_bis", "permit_art_20_bis",
    "permit_art_22_c12_quater", "permit_art_42_bis",
    "stateless", "no_valid_permit", "other_residence_permit",
]
ReceptionSituation = Literal[
    "in_reception", "leaving_reception", "left_reception", "never_in_reception"
]
ReceptionCentreKind = Literal[
    "sprar", "siproimi", "sai", "cas", "government_first_reception", "hotspot", "other"
]
Sex = Literal["female", "male", "not_stated"]
ProcessingPurpose = Literal[
    "case_management", "statistics", "referral_to_named_partner", "photographs"
]
LegalBasis = Literal["public_task", "consent", "vital_interests", "legal_obligation"]
AgeBandV1 = Literal["0-17", "18-24", "25-34", "35-49", "50-64", "65+"]
AgeBand = Literal[
    "0-13", "14-17", "18-34", "35-64", "65+",
    "0-17", "18-24", "25-34", "35-49", "50-64",
]
"""Eurostat's age classes (since issue 12), then the bands before them, which events recorded
earlier carry. Each code names its own bracket ("65+" is in both)."""
AgeBandChangeReason = Literal["birthday", "scheme"]
AssessingService = Literal[
    "health_service", "social_service", "territorial_commission", "anti_trafficking_programme",
    "other",
]
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
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
    "other",
]
PersonSubAction = Literal["2", "3", "4"]
PriorityGroup = Literal["international_protection", "other_outside_reception"]
# A city by its slug (lowercase words joined by "-"). Not a closed list: the ministry admits
# new partner cities (`programme.city_joined`, which gives the new city's name and province
# code), so a contract names no enumeration a partner's code would have to be regenerated for.
CITY_SLUG_PATTERN = "^[a-z]+(-[a-z]+)*$"
City = Annotated[str, Field(pattern=CITY_SLUG_PATTERN, min_length=2, max_length=40)]
# The project card's 19 partner cities, partners from the programme's start: the read models
# show a row for each even before its first event; a city admitted later, from its first event.
FOUNDING_CITIES: tuple[str, ...] = (
    "agrigento", "bari", "bologna", "bolzano", "caserta", "catania", "firenze", "genova",
    "latina", "milano", "napoli", "palermo", "perugia", "potenza", "roma", "sassari",
    "taranto", "torino", "trieste",
)


# The JSON Schema draft the contracts' schemas follow (pydantic writes 2020-12: `$defs`), declared
# as `$schema` in every schema served (events.catalogue.json_schemas, partner_json_schemas).
JSON_SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"


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
    protection_status: ProtectionStatusV1
    reception_situation: ReceptionSituationV1
    left_reception_on: date | None
    reception_centre_kind: ReceptionCentreKindV1 | None
    sex: SexV1
    age_band: AgeBandV1
    nationality: str = Field(pattern=r"^[A-Z]{2}$")
    household_size: int = Field(ge=1, le=30)
    vulnerabilities: list[Vulnerability] = Field(
        description="Special-category data: only on internal subjects, never to partners"
    )
    consent_given_on: date
    consent_scopes: list[ConsentScopeV1]
    priority_group: PriorityGroup
    eligibility: list[Eligibility]


# The days the law renamed the second-line reception network (d.l. 113/2018, d.l. 130/2020);
# the domain's rules say the same (domain/cases/rules.py), contracts stand alone.
SIPROIMI_FROM = date(2018, 10, 5)
SAI_FROM = date(2020, 10, 22)


def _v1_status(code: str) -> str:
    return "other_residence_permit" if code == "other" else code


def _v1_sex(code: str) -> str:
    return "not_stated" if code == "other" else code


class PurposeLegalBasis(BaseModel):
    """The legal basis one purpose of processing rested on at intake."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    purpose: ProcessingPurpose
    legal_basis: LegalBasis


class PurposeConsent(BaseModel):
    """A consent given to one purpose that rests on consent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    purpose: ProcessingPurpose
    given_on: date


class CaseIntakeRecordedV2(EventContract):
    """A city took a person into the programme. Carries no personal identifier: the person is
    known only by the pseudonymous case code; name, birth date and documents are in the vault.

    v2 (issue 12; a breaking change, docs/events.md): a person still in reception or leaving it
    may be taken in (`in_reception`, `leaving_reception` with `planned_exit_on`); the protection
    statuses of the period, with the permit's expiry; reception centres by the name they had on
    the date (SPRAR, SIPROIMI, SAI, CAS, government first reception, hotspot); sex as documents
    state it or `not_stated`; `citizenship` (null: none, stateless) for `nationality`, and
    whether an identity document exists; the information notice (GDPR art. 13), the legal basis
    of each purpose, and consents per purpose instead of `consent_scopes`. A v1 event reads as
    v2 by `from_v1`."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "intake_recorded"
    version: ClassVar[int] = 2

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    intake_date: date
    protection_status: ProtectionStatus = Field(
        description="The status held on the intake date; later decisions are case.status_changed"
    )
    permit_expires_on: date | None = Field(description="The residence permit's expiry, if known")
    reception_situation: ReceptionSituation
    left_reception_on: date | None = Field(description="For left_reception")
    planned_exit_on: date | None = Field(description="For leaving_reception")
    reception_centre_kind: ReceptionCentreKind | None = Field(
        description="The centre the person is in, is leaving or left, by its name on the day "
        "left (or on the intake date); null for never_in_reception"
    )
    sex: Sex
    age_band: AgeBand = Field(
        description="The age band on the intake date: Eurostat's classes since issue 12, the "
        "bands before them in intakes recorded earlier; later changes are case.age_band_changed"
    )
    citizenship: str | None = Field(
        pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2; null for a person with none"
    )
    has_identity_document: bool | None = Field(
        description="Whether the person has any identity document (null: not recorded, v1)"
    )
    household_size: int = Field(ge=1, le=30)
    vulnerabilities: list[Vulnerability] = Field(
        description="Special-category data: only on internal subjects, never to partners"
    )
    information_notice_given_on: date | None = Field(
        description="When the information notice (GDPR art. 13) was given; null only for "
        "intakes recorded before v2"
    )
    information_notice_language: str | None = Field(
        pattern=r"^[a-z]{2}$", description="ISO 639-1 code of the notice's language"
    )
    legal_bases: list[PurposeLegalBasis] = Field(
        description="The legal basis of each purpose of processing; empty for v1 intakes"
    )
    consents: list[PurposeConsent] = Field(
        description="Consents given at intake, per purpose; later ones are "
        "case.consent_given / case.consent_withdrawn"
    )
    priority_group: PriorityGroup
    eligibility: list[Eligibility]

    @classmethod
    def from_v1(cls, v1: CaseIntakeRecordedV1) -> CaseIntakeRecordedV2:
        """v1 in v2's terms: its "other" status is another residence permit, its
        "special_protection" (which meant "special or humanitarian") special protection; its
        "sai" centre (meaning "SAI, formerly SPRAR/SIPROIMI") the network's name on the day the
        person left, its "first_reception" a government first-reception centre; its "other" sex
        not stated; its consent to each scope a consent to the purpose of the same meaning.
        Notice, legal bases and document were not recorded."""
        values: dict[str, Any] = v1.model_dump(
            exclude={"nationality", "consent_given_on", "consent_scopes"})
        kind, left_on = v1.reception_centre_kind, v1.left_reception_on
        if kind == "first_reception":
            values["reception_centre_kind"] = "government_first_reception"
        elif kind == "sai" and left_on is not None:
            values["reception_centre_kind"] = (
                "sprar" if left_on < SIPROIMI_FROM else "siproimi" if left_on < SAI_FROM
                else "sai")
        purposes = {"referral_to_partners": "referral_to_named_partner"}
        return cls(
            **values | {
                "protection_status": _v1_status(v1.protection_status),
                "sex": _v1_sex(v1.sex),
            },
            permit_expires_on=None,
            planned_exit_on=None,
            citizenship=v1.nationality,
            has_identity_document=None,
            information_notice_given_on=None,
            information_notice_language=None,
            legal_bases=[],
            consents=[
                PurposeConsent(purpose=purposes.get(scope, scope),  # type: ignore[arg-type]
                               given_on=v1.consent_given_on)
                for scope in v1.consent_scopes
            ],
        )


class CaseStatusChangedV1(EventContract):
    """A decision changed the person's protection status (a territorial commission's or a
    court's, a new or renewed permit), from `decided_on`. Not a correction: the status recorded
    before stays true up to that date, so figures as of an earlier date still show it.
    Eligibility and priority group follow from the new status and are given again."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "status_changed"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    decided_on: date
    protection_status: ProtectionStatus
    permit_expires_on: date | None
    priority_group: PriorityGroup
    eligibility: list[Eligibility]


class CaseConsentGivenV1(EventContract):
    """The person consented to one purpose that rests on consent (GDPR art. 6(1)(a))."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "consent_given"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    purpose: ProcessingPurpose
    given_on: date


class CaseConsentGivenV2(EventContract):
    """The person consented to one purpose that rests on consent (GDPR art. 6(1)(a)). v2 (issue
    12, item 5): a consent to share the case with partners names the registered organisations it
    covers (`organisation_ids`, organisations of the case's city). A v1 consent named none and
    reads with an empty list (`from_v1`): a consent to the purpose as a whole, which covers the
    referrals recorded under the old free-text partner names and no registered organisation."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "consent_given"
    version: ClassVar[int] = 2

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    purpose: ProcessingPurpose
    given_on: date
    organisation_ids: list[UUID] = Field(
        description="For referral_to_named_partner: the organisations (organisation.registered) "
        "the consent covers. Empty: a consent to the purpose as a whole (every other purpose; "
        "and, for sharing with partners, one given at intake or before v2, which covers no "
        "registered organisation)")

    @classmethod
    def from_v1(cls, v1: CaseConsentGivenV1) -> CaseConsentGivenV2:
        return cls(**v1.model_dump(), organisation_ids=[])


class CaseConsentWithdrawnV1(EventContract):
    """The person withdrew a consent (GDPR art. 7(3)); from that day the purpose has no basis
    unless another one is recorded where the data is used."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "consent_withdrawn"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    purpose: ProcessingPurpose
    withdrawn_on: date


class CaseConsentWithdrawnV2(EventContract):
    """The person withdrew a consent (GDPR art. 7(3)); from that day the purpose has no basis
    unless another one is recorded where the data is used. v2 (issue 12, item 5): a withdrawal
    from sharing with partners names the organisations it withdraws from; empty (and every v1
    withdrawal, `from_v1`): the consent to the purpose as a whole."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "consent_withdrawn"
    version: ClassVar[int] = 2

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    purpose: ProcessingPurpose
    withdrawn_on: date
    organisation_ids: list[UUID] = Field(
        description="The organisations the consent to share with partners is withdrawn from; "
        "empty: the consent to the purpose as a whole")

    @classmethod
    def from_v1(cls, v1: CaseConsentWithdrawnV1) -> CaseConsentWithdrawnV2:
        return cls(**v1.model_dump(), organisation_ids=[])


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
CorrectableFieldV1 = Literal[
    "protection_status", "sex", "nationality", "household_size", "vulnerabilities"
]
CorrectableField = Literal[
    "protection_status", "permit_expires_on", "sex", "citizenship", "household_size",
    "vulnerabilities",
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


class FieldChangeV1(BaseModel):
    """One corrected fact: its value before and after. Lists are vulnerability codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: CorrectableFieldV1
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
    changes: list[FieldChangeV1] = Field(
        min_length=1,
        description="Vulnerability changes are special-category data: internal subjects only",
    )
    reason: str = Field(min_length=1, max_length=500)
    priority_group: PriorityGroup
    eligibility: list[Eligibility]


class FieldChange(BaseModel):
    """One corrected fact: its value before and after. Lists are vulnerability codes; the
    permit's expiry is an ISO date; null is no value (no expiry, no citizenship)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: CorrectableField
    before: str | int | list[str] | None
    after: str | int | list[str] | None
    corrects: str = Field(
        description="The CloudEvents id of the event whose value this replaces: the intake, a "
        "status decision, or an earlier correction of the same fact"
    )


class CaseIntakeCorrectedV2(EventContract):
    """Facts typed wrong; this says which, what they were, what they are, and why. The event
    that recorded them is never changed; each change names the event it corrects (for the
    status and the permit's expiry, the latest decision, or the intake). A new status is not a
    correction: it is case.status_changed. Eligibility and priority group follow from the
    corrected facts and are given again. v2: the new code lists, `citizenship` for
    `nationality`, the permit's expiry; v1 reads as v2 by `from_v1`."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "intake_corrected"
    version: ClassVar[int] = 2

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

    @classmethod
    def from_v1(cls, v1: CaseIntakeCorrectedV1) -> CaseIntakeCorrectedV2:
        recoded = {"protection_status": _v1_status, "sex": _v1_sex}
        changes = []
        for change in v1.changes:
            name = "citizenship" if change.field == "nationality" else change.field
            before, after = change.before, change.after
            recode = recoded.get(name)
            if recode is not None and isinstance(before, str) and isinstance(after, str):
                before, after = recode(before), recode(after)
            changes.append(FieldChange(
                field=name, before=before, after=after,
                corrects=change.corrects))
        return cls(**v1.model_dump(exclude={"changes"}), changes=changes)


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


class CaseAgeBandChangedV1(EventContract):
    """The person's age band changed, from the month `from_month`: they grew into the next band
    (`birthday`: from the month after the birthday's), or the platform's bands changed
    (`scheme`: from the month the job re-banded the case; the figures before it keep the bands
    of their time). Recorded by a system job that runs alike for everyone; no field, and not
    `ce-time`, says more than the month (GDPR art. 5(1)(c))."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "age_band_changed"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    from_month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM, never a day")
    age_band: AgeBand
    previous_age_band: AgeBand
    reason: AgeBandChangeReason


class CaseCameOfAgeV1(EventContract):
    """A minor turned 18: an adult from `from_month` (the month after their birthday's, so a
    minor's protections last to the end of that month). The categories `minor` and
    `unaccompanied_minor` end; `vulnerabilities` are those that remain, and eligibility follows
    from them."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "came_of_age"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    from_month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM, never a day")
    vulnerabilities: list[Vulnerability] = Field(
        description="Special-category data: only on internal subjects, never to partners"
    )
    eligibility: list[Eligibility]


class CaseGuardianAppointedV1(EventContract):
    """A guardian (tutore) was appointed for the unaccompanied minor (l. 47/2017): that and
    when, never who."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "guardian_appointed"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    appointed_on: date


class CaseVulnerabilityAssessedV1(EventContract):
    """A service assessed (accertato, art. 17 c.1 d.lgs. 142/2015) one of the person's
    vulnerabilities on `assessed_on`; `assessed_by` is the kind of service, never which. A
    vulnerability not recorded before is recorded by it: `vulnerabilities` and eligibility are
    given again. A vulnerability without an assessment is declared."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "vulnerability_assessed"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    vulnerability: Vulnerability = Field(description="Special-category data: internal only")
    assessed_on: date
    assessed_by: AssessingService
    vulnerabilities: list[Vulnerability] = Field(
        description="Special-category data: only on internal subjects, never to partners"
    )
    eligibility: list[Eligibility]


TEXT_DIGEST_PATTERN = r"^[0-9a-f]{64}$"
"""A free text's digest in the vault: an HMAC-SHA256 under a key derived from the person's own
key. It lets whoever reads the text from the vault check it is the one the event recorded (and
puts the text under the audit hash chain), but it cannot be checked against guessed texts by
anyone without the person's key, nor by anyone at all once the person is erased."""


class CaseOtherVulnerabilityDescribedV1(EventContract):
    """What the person's `other` vulnerability is was written down. The text is personal data,
    kept encrypted in the vault with the person's key (shredded by erasure): the event carries
    only its id there and its digest (an HMAC under the person's key, so it cannot be checked
    against guessed texts)."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "other_vulnerability_described"
    version: ClassVar[int] = 1

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    description_id: UUID
    description_digest: str = Field(pattern=TEXT_DIGEST_PATTERN)


_REASON_ID = (
    "The reason's id in the vault, where it is kept encrypted with the person's key (so their "
    "erasure shreds it). Null in a message upcast from the version before, whose reason was in "
    "the event itself (it stays in that message and in the event store, and is not carried "
    "on), and when the person's data was already erased (no new text is kept on them)."
)
_REASON_DIGEST = "The reason's digest (keyed with the person's key); null with its id."


class CaseClosedV2(EventContract):
    """A city closed a case, with the outcome and why. Nothing is deleted: the case can be
    reopened, and every figure keeps it. v2 (issue 16): the reason is free text, kept in the
    vault; the event carries its id and digest. A v1 message reads as v2 by `from_v1`."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "closed"
    version: ClassVar[int] = 2

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    closed_on: date
    outcome: CaseOutcome
    reason_id: UUID | None = Field(description=_REASON_ID)
    reason_digest: str | None = Field(pattern=TEXT_DIGEST_PATTERN, description=_REASON_DIGEST)

    @classmethod
    def from_v1(cls, v1: CaseClosedV1) -> CaseClosedV2:
        return cls(**v1.model_dump(exclude={"reason"}), reason_id=None, reason_digest=None)


class CaseReopenedV2(EventContract):
    """A closed case was opened again, and why. v2 (issue 16): the reason is free text, kept
    in the vault; the event carries its id and digest. A v1 message reads as v2 by `from_v1`."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "reopened"
    version: ClassVar[int] = 2

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    reopened_on: date
    reason_id: UUID | None = Field(description=_REASON_ID)
    reason_digest: str | None = Field(pattern=TEXT_DIGEST_PATTERN, description=_REASON_DIGEST)

    @classmethod
    def from_v1(cls, v1: CaseReopenedV1) -> CaseReopenedV2:
        return cls(**v1.model_dump(exclude={"reason"}), reason_id=None, reason_digest=None)


class CaseIntakeCorrectedV3(EventContract):
    """Facts typed wrong; this says which, what they were, what they are, and why (as v2).
    v3 (issue 16): the reason is free text, kept in the vault; the event carries its id and
    digest. A v2 message reads as v3 by `from_v2` (and a v1 through v2)."""

    aggregate: ClassVar[str] = "case"
    event: ClassVar[str] = "intake_corrected"
    version: ClassVar[int] = 3

    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    changes: list[FieldChange] = Field(
        min_length=1,
        description="Vulnerability changes are special-category data: internal subjects only",
    )
    reason_id: UUID | None = Field(description=_REASON_ID)
    reason_digest: str | None = Field(pattern=TEXT_DIGEST_PATTERN, description=_REASON_DIGEST)
    priority_group: PriorityGroup
    eligibility: list[Eligibility]

    @classmethod
    def from_v2(cls, v2: CaseIntakeCorrectedV2) -> CaseIntakeCorrectedV3:
        return cls(**v2.model_dump(exclude={"reason"}), reason_id=None, reason_digest=None)


CASE_CONTRACTS: tuple[type[EventContract], ...] = (
    CaseIntakeRecordedV1,
    CaseIntakeRecordedV2,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    CaseClosedV1,
    CaseClosedV2,
    CaseReopenedV1,
    CaseReopenedV2,
    CaseIntakeCorrectedV1,
    CaseIntakeCorrectedV2,
    CaseIntakeCorrectedV3,
    CaseTransferredV1,
    CaseStatusChangedV1,
    CaseConsentGivenV1,
    CaseConsentWithdrawnV1,
    CaseConsentGivenV2,
    CaseConsentWithdrawnV2,
    CaseAgeBandChangedV1,
    CaseCameOfAgeV1,
    CaseGuardianAppointedV1,
    CaseVulnerabilityAssessedV1,
    CaseOtherVulnerabilityDescribedV1,
)
