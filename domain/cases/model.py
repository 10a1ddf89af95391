"""The case aggregate (one person taken in by one city) and the city's case register.

A case records, at intake, the person's protection status and reception situation (a person
still in reception may be taken in: eligibility per sub-action says what they may receive), the
information notice they were given and the legal basis of each purpose of processing, and the
consents given for the purposes that rest on consent. After intake, three kinds of change are
kept apart: a new protection status is a dated decision (`change_status`, its own event, so that
eligibility can be computed as of any date); a consent is given or withdrawn per purpose
(`give_consent`, `withdraw_consent`); a fact typed wrong is corrected (`correct_intake`), naming
the event whose value it replaces."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.cases.rules import (
    AGE_SCHEME,
    AgeBand,
    AgeBandChangeReason,
    AgeScheme,
    AssessingService,
    CaseOutcome,
    CorrectableField,
    Eligibility,
    ErasureLegalBasis,
    ReceptionCentreKind,
    ReceptionSituation,
    Sex,
    Vulnerability,
    can_be_granted_on,
    eligibility_for,
    first_day_of,
    month_after,
    month_of,
    priority_group_of,
    reaches_age_on,
)
from domain.privacy import (
    LEGAL_BASES,
    LegalBases,
    OrganisationOfAnotherCity,
    PartnerOrganisation,
    ProcessingPurpose,
)
from domain.programme import (
    CARD_TERMS,
    Actor,
    City,
    DomainError,
    DomainErrors,
    ProtectionStatus,
    SubAction,
    TermsInForce,
    programme_today,
)
from domain.record import snapshotted_every
from domain.vault import TextReference

MAX_HOUSEHOLD_SIZE = 30
MAX_AGE_YEARS = 120
# A protocol number, not a free text: a free text could itself carry personal data.
MAX_REQUEST_REFERENCE = 60
MAX_REASON = 500
_REGISTER_NAMESPACE = UUID("5b0f7f4e-3c55-4c1e-9a55-6f1d2f1b8a01")
_INTAKE_BY_KEY_NAMESPACE = UUID("0c6f2f0e-8a1d-5e27-b3a4-7d51c9e2f6b8")


class CaseError(DomainError):
    """Raised when a command on a case breaks a rule of the programme."""

    code = "case_error"


class InconsistentReceptionHistory(CaseError):
    """Raised when the reception dates or centre do not fit the reception situation."""

    code = "inconsistent_reception_history"


class ReceptionNameOutOfPeriod(CaseError):
    """Raised when a reception centre is named by a name it did not have on the date (SPRAR until
    4 Oct 2018, SIPROIMI from 5 Oct 2018, SAI from 22 Oct 2020)."""

    code = "reception_name_out_of_period"


class InvalidProtectionStatus(CaseError):
    """Raised when a protection status does not fit its permit's expiry, the citizenship, or the
    date it is said to be held or granted on."""

    code = "invalid_protection_status"


class InvalidStatusChange(CaseError):
    """Raised when a status decision changes nothing, or is dated before the status it follows
    or in the future."""

    code = "invalid_status_change"


class InvalidIntake(CaseError):
    """Raised when an intake's facts contradict each other or the programme's dates."""

    code = "invalid_intake"


class ImplausibleBirthDate(CaseError):
    """Raised when the birth date would make the person older than anyone alive."""

    code = "implausible_birth_date"


class PersonalDataAlreadyErased(CaseError):
    """Raised when erasure is requested for a case whose personal data is already erased."""

    code = "personal_data_already_erased"


class InvalidErasureRequest(CaseError):
    """Raised when an erasure request lacks its reference or is dated in the future."""

    code = "invalid_erasure_request"


class ErasureRequestBeforeIntake(InvalidErasureRequest):
    """Raised when an erasure request is dated before the person was taken in: there was no
    data of theirs to erase yet (GDPR art. 17 is a request about data held)."""

    code = "erasure_request_before_intake"


class InformationNoticeMissing(CaseError):
    """Raised when an intake does not record the information notice (GDPR art. 13) given to the
    person, its date and language, or dates it after the intake."""

    code = "information_notice_missing"


class ConsentNotTheBasis(CaseError):
    """Raised when consent is recorded for a purpose that does not rest on consent."""

    code = "consent_not_the_basis"


class InvalidConsentChange(CaseError):
    """Raised when a consent is given twice, withdrawn when not given, or dated impossibly."""

    code = "invalid_consent_change"


class CaseClosed(CaseError):
    """Raised when work is recorded on a closed case, or a closed case is closed again."""

    code = "case_closed"


class CaseNotClosed(CaseError):
    """Raised when an open case is reopened."""

    code = "case_not_closed"


class InvalidClosure(CaseError):
    """Raised when a closure or reopening lacks its reason or has an impossible date."""

    code = "invalid_closure"


class InvalidCorrection(CaseError):
    """Raised when a correction changes nothing, lacks its reason, or sets an invalid value."""

    code = "invalid_correction"


class InvalidTransfer(CaseError):
    """Raised when a case would be transferred to its own city, or on an impossible date."""

    code = "invalid_transfer"


class GuardianNotApplicable(CaseError):
    """Raised when a guardian (tutore) is recorded for a person not recorded as an unaccompanied
    minor (l. 47/2017: the guardian is for the unaccompanied minor)."""

    code = "guardian_not_applicable"


class InvalidGuardianAppointment(CaseError):
    """Raised when a guardian's appointment is dated in the future, or not after the appointment
    it replaces."""

    code = "invalid_guardian_appointment"


class InvalidVulnerabilityAssessment(CaseError):
    """Raised when an assessment is dated in the future, recorded twice, of a category that is
    not assessed (`minor` follows from the age), or of one the person cannot have."""

    code = "invalid_vulnerability_assessment"


class InvalidVulnerabilityDescription(CaseError):
    """Raised when what an "other vulnerability" is, is given for a case without one, or is
    blank or too long."""

    code = "invalid_vulnerability_description"


@dataclass(frozen=True)
class Closure:
    closed_on: date
    outcome: CaseOutcome
    reason: TextReference | None
    """Why, kept in the vault under the person's key; None for a closure recorded before
    issue 16, whose reason is a legacy text of its event."""


@dataclass(frozen=True)
class ReceptionHistory:
    """Where the person stands towards reception on the intake date: the centre they are in,
    are leaving (on the planned exit date) or left (on the date they left), by its kind."""

    situation: ReceptionSituation
    left_on: date | None = None
    centre_kind: ReceptionCentreKind | None = None
    planned_exit_on: date | None = None


@dataclass(frozen=True)
class InformationNotice:
    """The information notice of GDPR art. 13: when it was given, and in which language (an
    ISO 639-1 code, e.g. "it", "en", "ti")."""

    given_on: date
    language: str


@dataclass(frozen=True)
class StatusDecision:
    """One entry of the status history: the status held from `since` (the intake date for the
    status recorded at intake, a decision's date after), and its permit's expiry."""

    since: date
    status: ProtectionStatus
    permit_expires_on: date | None


@dataclass(frozen=True)
class ConsentRecord:
    """A consent to one purpose resting on consent, and its withdrawal if it was withdrawn."""

    purpose: ProcessingPurpose
    given_on: date
    withdrawn_on: date | None = None


@dataclass(frozen=True)
class BandSince:
    """One entry of the age-band history: the band held from `since` (the intake date, then the
    first day of the month an AgeBandChanged counts from)."""

    since: date
    band: AgeBand


@dataclass(frozen=True)
class Assessment:
    """A vulnerability assessed (accertata): when, and by which kind of service."""

    assessed_on: date
    assessed_by: AssessingService


@dataclass(frozen=True)
class Erasure:
    """How a person's identifiers came to be erased: the request, and when it was carried out."""

    requested_on: date
    request_reference: str
    erased_at: datetime


@dataclass(frozen=True)
class IntakeFacts:
    """What a coordinator records at intake, minus the personal identifiers (those go to the
    vault). The birth date is here only to derive the age band; it is never stored in an event.
    `citizenship` is None for a person with none (stateless); `consents` are the purposes resting
    on consent the person agreed to, on the intake date."""

    city: City
    intake_date: date
    protection_status: ProtectionStatus
    permit_expires_on: date | None
    reception: ReceptionHistory
    sex: Sex
    birth_date: date
    citizenship: str | None
    has_identity_document: bool
    household_size: int
    vulnerabilities: frozenset[Vulnerability]
    information_notice: InformationNotice | None
    consents: frozenset[ProcessingPurpose]


def _v1_status(code: str) -> str:
    """A protection status as version 1 coded it, in today's codes: its "other" is any other
    residence permit; its "special_protection" meant "special or humanitarian" and reads as
    special protection (the only one of the two that can still be granted)."""
    return ProtectionStatus.OTHER_RESIDENCE_PERMIT.value if code == "other" else code


def _v1_sex(code: str) -> str:
    """Version 1 offered a third category, "other", which no document states: not stated."""
    return Sex.NOT_STATED.value if code == "other" else code


class Case(Aggregate):
    """A beneficiary's case. Identified by a random UUID and a pseudonymous case code."""

    class IntakeRecorded(Aggregate.Created):
        """The intake. Version 2 (issue 12): a person in reception may be taken in; statuses,
        centre kinds and sex in their new codes; citizenship (None for none) and whether an
        identity document exists; the information notice, the legal basis of each purpose, and
        consents per purpose instead of one consent to every scope."""

        class_version = 2

        case_code: str
        city: str
        intake_date: date
        protection_status: str
        permit_expires_on: date | None
        reception_situation: str
        left_reception_on: date | None
        planned_exit_on: date | None
        reception_centre_kind: str | None
        sex: str
        age_band: str
        citizenship: str | None
        has_identity_document: bool | None
        household_size: int
        vulnerabilities: list[str]
        information_notice_given_on: date | None
        information_notice_language: str | None
        legal_bases: list[dict[str, str]]
        consents: list[dict[str, Any]]
        priority_group: str
        eligibility: list[dict[str, Any]]
        actor: dict[str, str | None]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 as version 2 says it. Version 1 took in only people out of reception,
            and recorded neither the notice, nor the legal bases, nor a document: those read
            as not recorded (None, an empty list). Its consent to each scope becomes a consent
            to the purpose of the same meaning, on the same date."""
            state["protection_status"] = _v1_status(state["protection_status"])
            state["permit_expires_on"] = None
            state["planned_exit_on"] = None
            kind, left_on = state["reception_centre_kind"], state["left_reception_on"]
            if kind == "first_reception":
                state["reception_centre_kind"] = (
                    ReceptionCentreKind.GOVERNMENT_FIRST_RECEPTION.value)
            elif kind == "sai" and left_on is not None:
                # v1's "SAI (formerly SPRAR/SIPROIMI)": the network's name on the day they left.
                state["reception_centre_kind"] = (
                    ReceptionCentreKind.second_line_network_on(left_on).value)
            state["sex"] = _v1_sex(state["sex"])
            state["citizenship"] = state.pop("nationality")
            state["has_identity_document"] = None
            state["information_notice_given_on"] = None
            state["information_notice_language"] = None
            state["legal_bases"] = []
            given_on = state.pop("consent_given_on")
            purposes = {"referral_to_partners": ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER.value}
            state["consents"] = [
                {"purpose": purposes.get(scope, scope), "given_on": given_on}
                for scope in state.pop("consent_scopes")
            ]

    def __init__(
        self,
        case_code: str,
        city: str,
        intake_date: date,
        protection_status: str,
        permit_expires_on: date | None,
        reception_situation: str,
        left_reception_on: date | None,
        planned_exit_on: date | None,
        reception_centre_kind: str | None,
        sex: str,
        age_band: str,
        citizenship: str | None,
        has_identity_document: bool | None,
        household_size: int,
        vulnerabilities: list[str],
        information_notice_given_on: date | None,
        information_notice_language: str | None,
        legal_bases: list[dict[str, str]],
        consents: list[dict[str, Any]],
        priority_group: str,
        eligibility: list[dict[str, Any]],
        actor: dict[str, str | None],
    ) -> None:
        self.case_code = case_code
        self.city = City(city)
        self.intake_date = intake_date
        self.status_history = [StatusDecision(
            intake_date, ProtectionStatus(protection_status), permit_expires_on)]
        self.reception_situation = ReceptionSituation(reception_situation)
        self.left_reception_on = left_reception_on
        self.planned_exit_on = planned_exit_on
        self.reception_centre_kind = (
            ReceptionCentreKind(reception_centre_kind) if reception_centre_kind else None)
        self.sex = Sex(sex)
        self.age_band = AgeBand(age_band)
        self.citizenship = citizenship
        self.has_identity_document = has_identity_document
        self.household_size = household_size
        self.vulnerabilities = [Vulnerability(v) for v in vulnerabilities]
        self.information_notice = (
            InformationNotice(information_notice_given_on, information_notice_language)
            if information_notice_given_on and information_notice_language else None
        )
        # Empty for intakes recorded before version 2, which did not record them.
        self.legal_bases = {
            ProcessingPurpose(b["purpose"]): b["legal_basis"] for b in legal_bases}
        self.consents = {
            ProcessingPurpose(c["purpose"]): ConsentRecord(
                ProcessingPurpose(c["purpose"]), c["given_on"])
            for c in consents
        }
        # Consents to share with a partner that name the organisation (consent.given v2), by
        # the organisation's id. `consents` keeps the consents to a purpose as a whole: a
        # consent to REFERRAL_TO_NAMED_PARTNER there names nobody (given at intake, or before
        # consents named organisations) and covers no registered organisation.
        self.partner_consents: dict[str, ConsentRecord] = {}
        self.priority_group = priority_group
        self.eligibility = eligibility
        self.personal_data_erased = False
        self.erasure: Erasure | None = None
        self.closure: Closure | None = None
        self.former_cities: list[City] = []
        # The day the current city's work on the case began: intake, reopening or transfer.
        # Nothing that follows (a closure, a transfer) can be dated before it.
        self.open_since = intake_date
        # Which event last set each correctable fact (its version): what a correction corrects.
        self.fact_versions: dict[str, int] = {name.value: 1 for name in CorrectableField}
        # Age, guardian and vulnerabilities as they change after intake (issue 12, items 7-8).
        self.age_bands = [BandSince(intake_date, self.age_band)]
        self.adult_from: str | None = None  # the month from which a minor counts as adult
        self.guardian_appointed_on: date | None = None
        self.assessments: dict[Vulnerability, list[Assessment]] = {}
        self.other_vulnerability: TextReference | None = None
        # The dated changes of `vulnerabilities` after intake, so that eligibility as of an
        # earlier day sees the categories held then: a vulnerability an assessment added counts
        # from the assessment's day; the minors' categories end when the person comes of age.
        # Corrections are retroactive (a typing mistake was always a mistake) and clear them.
        self.vulnerability_added_on: dict[Vulnerability, date] = {}
        self.minor_categories_until: tuple[date, frozenset[Vulnerability]] | None = None

    # --- the status history ------------------------------------------------------------------

    @property
    def protection_status(self) -> ProtectionStatus:
        """The status held now: the latest decision's, or the intake's."""
        return self.status_history[-1].status

    @property
    def permit_expires_on(self) -> date | None:
        return self.status_history[-1].permit_expires_on

    def status_on(self, day: date) -> StatusDecision | None:
        """The status held on `day` (None before the intake): decisions count from their date,
        so the figures as of an earlier date still show the status held then."""
        held = None
        for decision in self.status_history:
            if decision.since > day:
                break
            held = decision
        return held

    def vulnerabilities_on(self, day: date) -> frozenset[Vulnerability]:
        """The vulnerability categories held on `day`: today's, without those an assessment
        added after `day`, and with the minors' categories a person held before coming of age."""
        held = {v for v in self.vulnerabilities
                if not (v in self.vulnerability_added_on and self.vulnerability_added_on[v] > day)}
        if self.minor_categories_until is not None:
            adult_from, categories = self.minor_categories_until
            if day < adult_from:
                held |= categories
        return frozenset(held)

    def eligibility_on(self, day: date) -> tuple[Eligibility, ...]:
        """Eligibility per sub-action on `day`, from the status and vulnerabilities held then.
        Before the intake the case does not exist: nothing."""
        held = self.status_on(day)
        if held is None:
            return ()
        return eligibility_for(
            held.status, self.reception_situation, self.vulnerabilities_on(day))

    def is_eligible_for(self, sub_action: SubAction, day: date) -> bool:
        """Whether the person may receive what `sub_action` offers on `day`. The sub-actions
        without a person-level eligibility (1, 5, 6: they enrol no final recipient) ask nothing
        of the person; before the intake the person is eligible for nothing."""
        eligibility = self.eligibility_on(day)
        if not eligibility:
            return False
        return next((e.eligible for e in eligibility if e.sub_action is sub_action), True)

    class StatusChanged(Aggregate.Event):
        """A decision changed the person's protection status (a territorial commission's or a
        court's, a new permit, a permit renewed with a new expiry), from `decided_on`. Not a
        correction: what was recorded before stays true up to that date. Eligibility and
        priority group follow from the new status and are given again."""

        case_code: str
        city: str
        decided_on: date
        protection_status: str
        permit_expires_on: date | None
        priority_group: str
        eligibility: list[dict[str, Any]]
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.status_history.append(StatusDecision(
                self.decided_on, ProtectionStatus(self.protection_status),
                self.permit_expires_on))
            for fact in (CorrectableField.PROTECTION_STATUS, CorrectableField.PERMIT_EXPIRES_ON):
                aggregate.fact_versions[fact.value] = self.originator_version
            aggregate.priority_group = self.priority_group
            aggregate.eligibility = self.eligibility

    def change_status(
        self, decided_on: date, status: ProtectionStatus, permit_expires_on: date | None,
        actor: Actor, now: datetime,
    ) -> None:
        """Record a decision on the person's status, dated from the status it follows (the
        intake or the previous decision) to today. Eligibility is computed again from it."""
        self.require_open()
        latest = self.status_history[-1]
        if not latest.since <= decided_on <= programme_today(now):
            raise InvalidStatusChange(
                "The decision must be dated between the date of the status it follows (the "
                "intake or the previous decision) and today.",
                field="decided_on",
            )
        if not can_be_granted_on(status, decided_on):
            raise InvalidProtectionStatus(
                "This status could not be granted on that date: humanitarian protection was "
                "abolished by d.l. 113/2018 (5 October 2018), which introduced special "
                "protection, the \"casi speciali\" and the permits of art. 19 c.2 d-bis, 20-bis "
                "and 42-bis TUI.",
                field="protection_status",
            )
        if permit_expires_on is not None and permit_expires_on <= decided_on:
            raise InvalidStatusChange(
                "A permit granted by the decision expires after it.", field="permit_expires_on"
            )
        _check_status(status, permit_expires_on, decided_on, self.citizenship)
        if (status, permit_expires_on) == (latest.status, latest.permit_expires_on):
            raise InvalidStatusChange(
                "The decision changes nothing: the person already holds this status with this "
                "expiry.",
                field="protection_status",
            )
        self.trigger_event(
            self.StatusChanged, timestamp=now, case_code=self.case_code, city=self.city.value,
            decided_on=decided_on, protection_status=status.value,
            permit_expires_on=permit_expires_on,
            priority_group=priority_group_of(status).value,
            eligibility=[e.as_record() for e in eligibility_for(
                status, self.reception_situation, frozenset(self.vulnerabilities))],
            actor=actor.as_record(),
        )

    # --- consents ------------------------------------------------------------------------------

    def has_consent_to(self, purpose: ProcessingPurpose) -> bool:
        """Whether the person's consent to `purpose` as a whole is given and not withdrawn. For
        sharing with a partner that is a consent naming no organisation (given at intake, or
        recorded before consents named organisations): it covers the referrals recorded under
        the old free-text partner names, and no registered organisation
        (`has_consent_to_share_with`)."""
        consent = self.consents.get(purpose)
        return consent is not None and consent.withdrawn_on is None

    def has_consent_to_share_with(self, organisation_id: UUID) -> bool:
        """Whether the person consented to their case being shared with this registered
        organisation, and has not withdrawn that consent (GDPR art. 6(1)(a), art. 7(3))."""
        consent = self.partner_consents.get(str(organisation_id))
        return consent is not None and consent.withdrawn_on is None

    @property
    def consented_organisations(self) -> list[UUID]:
        """The organisations the person's consent to share with a partner names now."""
        return [UUID(i) for i, c in self.partner_consents.items() if c.withdrawn_on is None]

    class ConsentGiven(Aggregate.Event):
        """The person consented to one purpose that rests on consent (GDPR art. 6(1)(a)).
        Version 2 (issue 12, item 5): a consent to share with a partner names the registered
        organisations it covers (`organisation_ids`); a version 1 consent named none and reads
        with an empty list: a consent to the purpose as a whole, which covers the referrals
        recorded under the old free-text partner names and no registered organisation."""

        class_version = 2

        case_code: str
        city: str
        purpose: str
        given_on: date
        organisation_ids: list[str]
        actor: dict[str, str | None]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["organisation_ids"] = []

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            purpose = ProcessingPurpose(self.purpose)
            for organisation_id in self.organisation_ids:
                aggregate.partner_consents[organisation_id] = ConsentRecord(purpose,
                                                                            self.given_on)
            if not self.organisation_ids:
                aggregate.consents[purpose] = ConsentRecord(purpose, self.given_on)

    class ConsentWithdrawn(Aggregate.Event):
        """The person withdrew a consent (GDPR art. 7(3)): from that day the purpose has no
        basis, unless another one is recorded where the data is used (a referral). Version 2
        (issue 12, item 5): a withdrawal from sharing with partners names the organisations it
        withdraws from (`organisation_ids`); a version 1 withdrawal named none and reads with an
        empty list: the consent to the purpose as a whole is withdrawn."""

        class_version = 2

        case_code: str
        city: str
        purpose: str
        withdrawn_on: date
        organisation_ids: list[str]
        actor: dict[str, str | None]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["organisation_ids"] = []

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            purpose = ProcessingPurpose(self.purpose)
            for organisation_id in self.organisation_ids:
                given = aggregate.partner_consents[organisation_id]
                aggregate.partner_consents[organisation_id] = replace(
                    given, withdrawn_on=self.withdrawn_on)
            if not self.organisation_ids:
                given = aggregate.consents[purpose]
                aggregate.consents[purpose] = replace(given, withdrawn_on=self.withdrawn_on)

    def give_consent(
        self, purpose: ProcessingPurpose, given_on: date, actor: Actor, now: datetime,
        legal_bases: LegalBases = LEGAL_BASES,
        organisations: Sequence[PartnerOrganisation] = (),
    ) -> None:
        """Record a consent to `purpose`, dated from the intake to today. Consent is asked only
        for a purpose that rests on it: for the others it would be no basis at all. A consent
        to share with a partner names the organisations it covers (checked by
        `privacy.organisations_to_name`: registered by the case's city, not retired), none of
        which the person consents to already; every other purpose names none."""
        if purpose not in legal_bases.resting_on_consent:
            raise ConsentNotTheBasis(
                "This purpose does not rest on consent: the person is not asked for it.",
                field="purpose",
            )
        if purpose is not ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER:
            if organisations:
                raise InvalidConsentChange(
                    "Only a consent to share the case with partners names organisations.",
                    field="organisation_ids")
            self._give_consent_to_purpose(purpose, given_on, actor, now)
            return
        if not organisations:
            raise InvalidConsentChange(
                "Name the partner organisations the person consents to share their case with.",
                field="organisation_ids")
        for organisation in organisations:
            if organisation.city != self.city:
                raise OrganisationOfAnotherCity(
                    f"{organisation.name} is registered by another city.",
                    field="organisation_ids", organisation_name=organisation.name,
                    city=organisation.city.value)
            if self.has_consent_to_share_with(organisation.id):
                raise InvalidConsentChange(
                    f"The person has already consented to sharing with {organisation.name}.",
                    field="organisation_ids", organisation_name=organisation.name)
            withdrawn = self.partner_consents.get(str(organisation.id))
            self._require_consent_date(given_on, withdrawn, now)
        self.trigger_event(
            self.ConsentGiven, timestamp=now, case_code=self.case_code, city=self.city.value,
            purpose=purpose.value, given_on=given_on,
            organisation_ids=[str(o.id) for o in organisations], actor=actor.as_record(),
        )

    def _give_consent_to_purpose(
        self, purpose: ProcessingPurpose, given_on: date, actor: Actor, now: datetime
    ) -> None:
        if self.has_consent_to(purpose):
            raise InvalidConsentChange(
                "The person has already given this consent.", field="purpose")
        self._require_consent_date(given_on, self.consents.get(purpose), now)
        self.trigger_event(
            self.ConsentGiven, timestamp=now, case_code=self.case_code, city=self.city.value,
            purpose=purpose.value, given_on=given_on, organisation_ids=[],
            actor=actor.as_record(),
        )

    def _require_consent_date(
        self, given_on: date, withdrawn: ConsentRecord | None, now: datetime
    ) -> None:
        since = withdrawn.withdrawn_on if withdrawn and withdrawn.withdrawn_on else (
            self.intake_date)
        if not since <= given_on <= programme_today(now):
            raise InvalidConsentChange(
                "A consent is dated between the intake (or its last withdrawal) and today.",
                field="given_on",
            )

    def withdraw_consent(
        self, purpose: ProcessingPurpose, withdrawn_on: date, actor: Actor, now: datetime,
        organisation_ids: Sequence[UUID] = (),
    ) -> None:
        """Record that the person withdrew a consent, dated from when it was given to today.
        Withdrawing is always possible (GDPR art. 7(3)), on a closed case too, and from a
        retired organisation too. A withdrawal from sharing with partners names the
        organisations it withdraws from (each consented to now), or none: then the consent
        to the purpose as a whole (given at intake or before consents named organisations)."""
        if organisation_ids and purpose is not ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER:
            raise InvalidConsentChange(
                "Only a consent to share the case with partners names organisations.",
                field="organisation_ids")
        given = ([self.partner_consents.get(str(i)) for i in dict.fromkeys(organisation_ids)]
                 or [self.consents.get(purpose)])
        for consent in given:
            if consent is None or consent.withdrawn_on is not None:
                raise InvalidConsentChange(
                    "The person has not given this consent: there is nothing to withdraw.",
                    field="organisation_ids" if organisation_ids else "purpose",
                )
            if not consent.given_on <= withdrawn_on <= programme_today(now):
                raise InvalidConsentChange(
                    "A withdrawal is dated between the consent and today.", field="withdrawn_on"
                )
        self.trigger_event(
            self.ConsentWithdrawn, timestamp=now, case_code=self.case_code,
            city=self.city.value, purpose=purpose.value, withdrawn_on=withdrawn_on,
            organisation_ids=[str(i) for i in dict.fromkeys(organisation_ids)],
            actor=actor.as_record(),
        )

    # --- age, guardian, vulnerabilities (issue 12, items 7 and 8) -----------------------------

    @property
    def is_minor(self) -> bool:
        """Under 18 as the record stands: the band recorded at intake, followed by the age job."""
        return self.age_band.is_minor

    @property
    def needs_guardian(self) -> bool:
        """An unaccompanied minor with no guardian (tutore) recorded (l. 47/2017): the work
        queue's flag."""
        return (Vulnerability.UNACCOMPANIED_MINOR in self.vulnerabilities
                and self.guardian_appointed_on is None)

    def age_band_on(self, day: date) -> AgeBand | None:
        """The band held on `day` (None before the intake): a change counts from the first day
        of its month, so the figures as of an earlier date keep the band (and the scheme) they
        showed then."""
        held = None
        for entry in self.age_bands:
            if entry.since > day:
                break
            held = entry.band
        return held

    def is_minor_on(self, day: date) -> bool:
        band = self.age_band_on(day)
        return band is not None and band.is_minor

    def assessment_of(self, vulnerability: Vulnerability) -> Assessment | None:
        """The latest assessment of a vulnerability; None when it is declared only."""
        assessments = self.assessments.get(vulnerability)
        return assessments[-1] if assessments else None

    class AgeBandChanged(Aggregate.Event):
        """The person's age band changed, from the month `from_month` (YYYY-MM): they grew into
        the next band (`birthday`), or the platform's bands changed (`scheme`). Dated to the
        month, never the day, and recorded by a job that runs the same way for everyone, so no
        birth date can be inferred from it more precisely than the month (GDPR art. 5(1)(c))."""

        case_code: str
        city: str
        from_month: str
        age_band: str
        previous_age_band: str
        reason: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            band = AgeBand(self.age_band)
            aggregate.age_band = band
            aggregate.age_bands.append(BandSince(first_day_of(self.from_month), band))

    class CameOfAge(Aggregate.Event):
        """A minor turned 18: counted as an adult from the month `from_month` (YYYY-MM), the
        month after their birthday's, so a minor's protections last to the end of the month they
        come of age, and no day is said. The categories `minor` and `unaccompanied_minor` end;
        `vulnerabilities` are those that remain, and eligibility follows from them."""

        case_code: str
        city: str
        from_month: str
        vulnerabilities: list[str]
        eligibility: list[dict[str, Any]]
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.adult_from = self.from_month
            remaining = [Vulnerability(v) for v in self.vulnerabilities]
            aggregate.minor_categories_until = (
                first_day_of(self.from_month),
                frozenset(aggregate.vulnerabilities) - frozenset(remaining))
            aggregate.vulnerabilities = remaining
            aggregate.eligibility = self.eligibility
            aggregate.fact_versions[CorrectableField.VULNERABILITIES.value] = (
                self.originator_version)

    def follow_age(
        self, birth_date: date, actor: Actor, now: datetime, scheme: AgeScheme = AGE_SCHEME,
    ) -> None:
        """Bring the age band (and minority) up to date from the birth date the vault keeps:
        whole months only, as they stood at the end of the last complete month. Each band the
        person grew into since the one recorded is recorded from the month after the birthday
        that brought it (and the 18th birthday as CameOfAge); a band of another scheme than
        `scheme` is then re-banded from the current month, so the figures before it keep the
        bands of their time. Records nothing when the record is up to date (the job may run any
        number of times)."""
        if birth_date > self.intake_date:
            raise ImplausibleBirthDate(
                "The birth date cannot follow the intake date.", field="birth_date")
        today = programme_today(now)
        end_of_last_month = today.replace(day=1) - timedelta(days=1)
        recorded = self.age_band
        for band in (b for b in _scheme_of(recorded).bands
                     if b.lowest_age > recorded.lowest_age):
            turned = reaches_age_on(birth_date, band.lowest_age)
            if turned > end_of_last_month:
                break
            from_month = month_after(turned)
            if recorded.is_minor and not band.is_minor:
                self._come_of_age(from_month, actor, now)
            self._change_age_band(band, recorded, from_month, AgeBandChangeReason.BIRTHDAY,
                                  actor, now)
            recorded = band
        if not recorded.belongs_to(scheme):
            band = AgeBand.at(birth_date, max(end_of_last_month, self.intake_date), scheme)
            self._change_age_band(band, recorded, month_of(today), AgeBandChangeReason.SCHEME,
                                  actor, now)

    def _come_of_age(self, from_month: str, actor: Actor, now: datetime) -> None:
        remaining = frozenset(self.vulnerabilities) - {
            Vulnerability.MINOR, Vulnerability.UNACCOMPANIED_MINOR}
        self.trigger_event(
            self.CameOfAge, timestamp=now, case_code=self.case_code, city=self.city.value,
            from_month=from_month,
            vulnerabilities=[v.value for v in Vulnerability if v in remaining],
            eligibility=[e.as_record() for e in eligibility_for(
                self.protection_status, self.reception_situation, remaining)],
            actor=actor.as_record(),
        )

    def _change_age_band(
        self, band: AgeBand, previous: AgeBand, from_month: str, reason: AgeBandChangeReason,
        actor: Actor, now: datetime,
    ) -> None:
        self.trigger_event(
            self.AgeBandChanged, timestamp=now, case_code=self.case_code, city=self.city.value,
            from_month=from_month, age_band=band.value, previous_age_band=previous.value,
            reason=reason.value, actor=actor.as_record(),
        )

    class GuardianAppointed(Aggregate.Event):
        """A guardian (tutore) was appointed for the unaccompanied minor (l. 47/2017), on
        `appointed_on`. That and when, never who: the guardian's identity is not recorded."""

        case_code: str
        city: str
        appointed_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.guardian_appointed_on = self.appointed_on

    def appoint_guardian(self, appointed_on: date, actor: Actor, now: datetime) -> None:
        """Record that a guardian was appointed for an unaccompanied minor, on a day up to
        today (before the intake too: the juvenile court may have appointed one earlier). A
        later appointment replaces a guardian, so it is dated after the one recorded."""
        self.require_open()
        if Vulnerability.UNACCOMPANIED_MINOR not in self.vulnerabilities:
            raise GuardianNotApplicable(
                "A guardian is recorded for an unaccompanied minor (l. 47/2017); this person is "
                "not recorded as one.",
                field="case",
            )
        if appointed_on > programme_today(now):
            raise InvalidGuardianAppointment(
                "The appointment cannot be dated in the future.", field="appointed_on")
        if self.guardian_appointed_on is not None and appointed_on <= self.guardian_appointed_on:
            raise InvalidGuardianAppointment(
                "A guardian appointed on or after this date is already recorded: a new "
                "appointment replaces them, and is dated after it.",
                field="appointed_on",
            )
        self.trigger_event(
            self.GuardianAppointed, timestamp=now, case_code=self.case_code,
            city=self.city.value, appointed_on=appointed_on, actor=actor.as_record(),
        )

    class VulnerabilityAssessed(Aggregate.Event):
        """A service assessed (accertato) one vulnerability on `assessed_on`: a vulnerability not
        recorded before is recorded by it, and `vulnerabilities` and eligibility are given again.
        Which kind of service, never which office or professional. The document of the
        assessment, if any, is a medical certificate attached to the case (domain.documents),
        linked to the vulnerability and this assessment's date."""

        case_code: str
        city: str
        vulnerability: str
        assessed_on: date
        assessed_by: str
        vulnerabilities: list[str]
        eligibility: list[dict[str, Any]]
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            vulnerability = Vulnerability(self.vulnerability)
            aggregate.assessments.setdefault(vulnerability, []).append(
                Assessment(self.assessed_on, AssessingService(self.assessed_by)))
            new = [Vulnerability(v) for v in self.vulnerabilities]
            if vulnerability in new and vulnerability not in aggregate.vulnerabilities:
                aggregate.vulnerability_added_on[vulnerability] = self.assessed_on
            if new != aggregate.vulnerabilities:
                aggregate.fact_versions[CorrectableField.VULNERABILITIES.value] = (
                    self.originator_version)
            aggregate.vulnerabilities = new
            aggregate.eligibility = self.eligibility

    def assess_vulnerability(
        self, vulnerability: Vulnerability, assessed_on: date, assessed_by: AssessingService,
        actor: Actor, now: datetime,
    ) -> None:
        """Record that a service assessed a vulnerability (art. 17 c.1 d.lgs. 142/2015 speaks of
        vulnerabilities "accertate"), on a day up to today (before the intake too: a certificate
        may predate it). One not recorded yet is recorded by the assessment; `minor` follows
        from the age and is not assessed; an adult is not an unaccompanied minor; an `other`
        vulnerability is described before it is assessed."""
        self.require_open()
        if vulnerability is Vulnerability.MINOR:
            raise InvalidVulnerabilityAssessment(
                "Minority follows from the birth date, and is not assessed here.",
                field="vulnerability",
            )
        if vulnerability is Vulnerability.UNACCOMPANIED_MINOR and not self.is_minor:
            raise InvalidVulnerabilityAssessment(
                "An adult cannot be recorded as a minor.", field="vulnerability")
        if vulnerability is Vulnerability.OTHER and Vulnerability.OTHER not in (
            self.vulnerabilities
        ):
            raise InvalidVulnerabilityAssessment(
                "Record what the other vulnerability is before its assessment.",
                field="vulnerability",
            )
        if assessed_on > programme_today(now):
            raise InvalidVulnerabilityAssessment(
                "The assessment cannot be dated in the future.", field="assessed_on")
        if Assessment(assessed_on, assessed_by) in self.assessments.get(vulnerability, []):
            raise InvalidVulnerabilityAssessment(
                "This assessment is already recorded.", field="assessed_on")
        after = frozenset(self.vulnerabilities) | {vulnerability}
        self.trigger_event(
            self.VulnerabilityAssessed, timestamp=now, case_code=self.case_code,
            city=self.city.value, vulnerability=vulnerability.value, assessed_on=assessed_on,
            assessed_by=assessed_by.value,
            vulnerabilities=[v.value for v in Vulnerability if v in after],
            eligibility=[e.as_record() for e in eligibility_for(
                self.protection_status, self.reception_situation, after)],
            actor=actor.as_record(),
        )

    class OtherVulnerabilityDescribed(Aggregate.Event):
        """What the person's "other" vulnerability is was written down: the text is in the
        vault, encrypted with the person's key (free text is personal data); the event carries
        its id there and its digest, never the text. A new description replaces the former."""

        case_code: str
        city: str
        description_id: UUID
        description_digest: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.other_vulnerability = TextReference(
                self.description_id, self.description_digest)

    def describe_other_vulnerability(
        self, description: TextReference, actor: Actor, now: datetime
    ) -> None:
        """Record where the description of the person's `other` vulnerability is kept (the
        caller put it in the vault, after `check_describable`)."""
        self.check_describable()
        self.trigger_event(
            self.OtherVulnerabilityDescribed, timestamp=now, case_code=self.case_code,
            city=self.city.value, description_id=description.text_id,
            description_digest=description.digest, actor=actor.as_record(),
        )

    def check_describable(self) -> None:
        """Refuse a description of an `other` vulnerability the person has not, or of a
        person whose data is erased."""
        if Vulnerability.OTHER not in self.vulnerabilities:
            raise InvalidVulnerabilityDescription(
                "The person has no \"other\" vulnerability recorded to describe.",
                field="other_vulnerability",
            )
        if self.personal_data_erased:
            raise PersonalDataAlreadyErased(
                "This person's personal data has been erased: no new text is kept on them.",
                field="case",
            )

    # --- erasure -------------------------------------------------------------------------------

    class PersonalDataErased(Aggregate.Event):
        """The person's identifiers were destroyed in the vault (GDPR art. 17). The event names
        the request and its legal ground, never the data; the case stays, pseudonymous, for the
        statistics. Version 2 added `legal_basis`: events stored before read as not_recorded."""

        class_version = 2

        case_code: str
        city: str
        requested_on: date
        request_reference: str
        legal_basis: str
        actor: dict[str, str | None]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["legal_basis"] = ErasureLegalBasis.NOT_RECORDED.value

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.personal_data_erased = True
            aggregate.erasure = Erasure(self.requested_on, self.request_reference, self.timestamp)

    def erase_personal_data(
        self, requested_on: date, request_reference: str, actor: Actor, now: datetime,
        legal_basis: ErasureLegalBasis = ErasureLegalBasis.NOT_RECORDED,
    ) -> None:
        """Record that the person's identifiers are erased. The caller destroys them in the
        vault first, so a failure here leaves them destroyed, never recorded-but-kept."""
        if self.personal_data_erased:
            raise PersonalDataAlreadyErased(
                "This person's personal data has already been erased.", field="case"
            )
        reference = request_reference.strip()
        if not reference or len(reference) > MAX_REQUEST_REFERENCE:
            raise InvalidErasureRequest(
                "Give the erasure request's reference (its protocol number), up to 60 characters.",
                field="request_reference",
            )
        if requested_on > programme_today(now):
            raise InvalidErasureRequest(
                "The erasure request cannot be dated in the future.", field="requested_on"
            )
        if requested_on < self.intake_date:
            raise ErasureRequestBeforeIntake(
                "The erasure request cannot be dated before the intake.", field="requested_on",
                intake_date=self.intake_date,
            )
        self.trigger_event(
            self.PersonalDataErased,
            timestamp=now,
            case_code=self.case_code,
            city=self.city.value,
            requested_on=requested_on,
            request_reference=reference,
            legal_basis=ErasureLegalBasis(legal_basis).value,
            actor=actor.as_record(),
        )

    # --- closure, reopening, corrections, transfer -------------------------------------------

    class Closed(Aggregate.Event):
        """Version 2 (issue 16): the reason is in the vault, under the person's key; the event
        carries its id and digest. A version 1 reason reads as a legacy text."""

        class_version = 2

        case_code: str
        city: str
        closed_on: date
        outcome: str
        reason_id: UUID | None
        reason_digest: str | None
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _reason_to_legacy(state)

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.closure = Closure(
                self.closed_on, CaseOutcome(self.outcome),
                _text_reference(self.reason_id, self.reason_digest))

    class Reopened(Aggregate.Event):
        """Version 2 (issue 16): the reason is in the vault, under the person's key; the event
        carries its id and digest. A version 1 reason reads as a legacy text."""

        class_version = 2

        case_code: str
        city: str
        reopened_on: date
        reason_id: UUID | None
        reason_digest: str | None
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _reason_to_legacy(state)

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.closure = None
            aggregate.open_since = self.reopened_on

    class IntakeCorrected(Aggregate.Event):
        """Facts typed wrong, corrected. Version 2 (issue 12): the new codes of statuses and
        sex, `citizenship` for version 1's "nationality", and the permit's expiry. Version 3
        (issue 16): the reason is in the vault, under the person's key; the event carries its
        id and digest. A reason of version 1 or 2 reads as a legacy text."""

        class_version = 3

        case_code: str
        city: str
        changes: list[dict[str, Any]]
        reason_id: UUID | None
        reason_digest: str | None
        priority_group: str
        eligibility: list[dict[str, Any]]
        actor: dict[str, str | None]
        legacy_texts: dict[str, str] | None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            _reason_to_legacy(state)

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            recoded = {"protection_status": _v1_status, "sex": _v1_sex}
            changes = []
            for change in state["changes"]:
                name = "citizenship" if change["field"] == "nationality" else change["field"]
                recode = recoded.get(name)
                if recode is not None:
                    change = {**change, "before": recode(change["before"]),
                              "after": recode(change["after"])}
                changes.append({**change, "field": name})
            state["changes"] = changes

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            for change in self.changes:
                aggregate.assign_fact(CorrectableField(change["field"]), change["after"])
                aggregate.fact_versions[change["field"]] = self.originator_version
            aggregate.priority_group = self.priority_group
            aggregate.eligibility = self.eligibility

    class Transferred(Aggregate.Event):
        case_code: str
        city: str
        from_city: str
        referral_id: UUID
        transferred_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.former_cities.append(aggregate.city)
            aggregate.city = City(self.city)
            aggregate.open_since = self.transferred_on

    @property
    def is_closed(self) -> bool:
        return self.closure is not None

    def require_open(self) -> None:
        """Refuse new work on a closed case: it must be reopened first, with a reason."""
        if self.is_closed:
            raise CaseClosed(
                "The case is closed: reopen it, with a reason, before recording new work.",
                field="case",
            )

    def close(
        self, outcome: CaseOutcome, closed_on: date, reason: TextReference | None,
        actor: Actor, now: datetime,
    ) -> None:
        """End the case with its outcome, dated from the day it was (re)opened in this city to
        today, saying why (the reason, `checked_reason`, kept in the vault). A closed case
        takes no new work until it is reopened."""
        self.require_open()
        if not self.open_since <= closed_on <= programme_today(now):
            raise InvalidClosure(
                "The closing date must fall between the day the case was taken in, reopened "
                "or transferred here, and today.",
                field="closed_on",
            )
        self.trigger_event(
            self.Closed, timestamp=now, case_code=self.case_code, city=self.city.value,
            closed_on=closed_on, outcome=outcome.value, **_reason_fields(reason),
            actor=actor.as_record(), legacy_texts=None,
        )

    def reopen(
        self, reopened_on: date, reason: TextReference | None, actor: Actor, now: datetime
    ) -> None:
        """Open a closed case again, dated from its closure to today, saying why (the reason,
        `checked_reason`, kept in the vault)."""
        self.check_reopenable()
        assert self.closure is not None
        if not self.closure.closed_on <= reopened_on <= programme_today(now):
            raise InvalidClosure(
                "The reopening date must fall between the closing date and today.",
                field="reopened_on",
            )
        self.trigger_event(
            self.Reopened, timestamp=now, case_code=self.case_code, city=self.city.value,
            reopened_on=reopened_on, **_reason_fields(reason),
            actor=actor.as_record(), legacy_texts=None,
        )

    def check_reopenable(self) -> None:
        """Refuse a reopening of an open case (before its reason reaches the vault)."""
        if self.closure is None:
            raise CaseNotClosed("The case is open: there is nothing to reopen.", field="case")

    def correct_intake(
        self, corrections: dict[CorrectableField, Any], reason: TextReference | None,
        actor: Actor, now: datetime,
    ) -> None:
        """Replace facts that were typed wrong, saying why. Only values that differ from the
        current ones count; a correction that changes nothing is refused. The status and the
        permit's expiry are those of the latest decision (or of the intake): a new decision is
        `change_status`, not a correction. Works on a closed case too: the record must be right
        whatever the case's state. The reason (`checked_reason`) is kept in the vault."""
        changes: list[dict[str, Any]] = []
        for name in CorrectableField:  # a fixed order, whatever order they were given in
            if name not in corrections:
                continue
            after = _checked_fact(name, corrections[name], self.age_band)
            before = self.fact(name)
            if after != before:
                changes.append({
                    "field": name.value, "before": before, "after": after,
                    "corrects": event_id_of(self.id, self.fact_versions[name.value]),
                })
        if not changes:
            raise InvalidCorrection(
                "The correction changes nothing: give at least one new value.", field="changes"
            )
        corrected = {CorrectableField(c["field"]): c["after"] for c in changes}
        status = ProtectionStatus(
            corrected.get(CorrectableField.PROTECTION_STATUS, self.protection_status.value)
        )
        expiry_text = corrected.get(
            CorrectableField.PERMIT_EXPIRES_ON, self.fact(CorrectableField.PERMIT_EXPIRES_ON))
        citizenship = corrected.get(CorrectableField.CITIZENSHIP, self.citizenship)
        try:
            _check_status(
                status, date.fromisoformat(expiry_text) if expiry_text else None,
                self.status_history[-1].since, citizenship)
        except InvalidProtectionStatus as mismatch:
            raise InvalidCorrection(mismatch.message, **mismatch.params) from None
        vulnerabilities = frozenset(
            Vulnerability(v) for v in corrected.get(
                CorrectableField.VULNERABILITIES, [v.value for v in self.vulnerabilities])
        )
        self.trigger_event(
            self.IntakeCorrected, timestamp=now, case_code=self.case_code,
            city=self.city.value, changes=changes, **_reason_fields(reason),
            priority_group=priority_group_of(status).value,
            eligibility=[e.as_record() for e in eligibility_for(
                status, self.reception_situation, vulnerabilities)],
            actor=actor.as_record(), legacy_texts=None,
        )

    def transfer_to(
        self, city: City, referral_id: UUID, transferred_on: date, actor: Actor, now: datetime
    ) -> None:
        """Move the case to `city` (which accepted a transfer referral): from now on it is
        that city's case."""
        self.require_open()
        if city == self.city:
            raise InvalidTransfer("The case already belongs to this city.", field="to_city")
        if not self.open_since <= transferred_on <= programme_today(now):
            raise InvalidTransfer(
                "The transfer date must fall between the day the case was taken in, reopened "
                "or transferred here, and today.",
                field="transferred_on",
            )
        self.trigger_event(
            self.Transferred, timestamp=now, case_code=self.case_code, city=city.value,
            from_city=self.city.value, referral_id=referral_id, transferred_on=transferred_on,
            actor=actor.as_record(),
        )

    def fact(self, name: CorrectableField) -> Any:
        """A correctable fact as events record it (codes, an ISO date, a sorted list of codes)."""
        match name:
            case CorrectableField.PROTECTION_STATUS:
                return self.protection_status.value
            case CorrectableField.PERMIT_EXPIRES_ON:
                expiry = self.permit_expires_on
                return expiry.isoformat() if expiry else None
            case CorrectableField.SEX:
                return self.sex.value
            case CorrectableField.CITIZENSHIP:
                return self.citizenship
            case CorrectableField.HOUSEHOLD_SIZE:
                return self.household_size
            case CorrectableField.VULNERABILITIES:
                return [v.value for v in self.vulnerabilities]

    def assign_fact(self, name: CorrectableField, value: Any) -> None:
        latest = self.status_history[-1]
        match name:
            case CorrectableField.PROTECTION_STATUS:
                self.status_history[-1] = replace(latest, status=ProtectionStatus(value))
            case CorrectableField.PERMIT_EXPIRES_ON:
                self.status_history[-1] = replace(
                    latest, permit_expires_on=date.fromisoformat(value) if value else None)
            case CorrectableField.SEX:
                self.sex = Sex(value)
            case CorrectableField.CITIZENSHIP:
                self.citizenship = value
            case CorrectableField.HOUSEHOLD_SIZE:
                self.household_size = value
            case CorrectableField.VULNERABILITIES:
                self.vulnerabilities = [Vulnerability(v) for v in value]
                self.vulnerability_added_on.clear()
                self.minor_categories_until = None

    @classmethod
    def take_in(
        cls, case_id: UUID, case_code: str, facts: IntakeFacts, actor: Actor, now: datetime,
        terms: TermsInForce = CARD_TERMS, legal_bases: LegalBases = LEGAL_BASES,
    ) -> Case:
        """Decide an intake: check the programme's rules (`terms`: the period and partner cities
        in force), derive age band, vulnerabilities and eligibility, and record the case with
        the legal basis of each purpose of processing. Raises a CaseError subclass, or a
        TermsError, when a rule is broken."""
        DomainErrors.raise_all(intake_problems(facts, now, terms, legal_bases))
        assert facts.information_notice is not None  # intake_problems refuses an intake without
        age_band = AgeBand.at(facts.birth_date, facts.intake_date)
        vulnerabilities = set(facts.vulnerabilities)
        if age_band.is_minor:
            vulnerabilities.add(Vulnerability.MINOR)
        ordered_vulnerabilities = [v.value for v in Vulnerability if v in vulnerabilities]
        reception = facts.reception
        return cls._create(
            cls.IntakeRecorded,
            id=case_id,
            timestamp=now,
            case_code=case_code,
            city=facts.city.value,
            intake_date=facts.intake_date,
            protection_status=facts.protection_status.value,
            permit_expires_on=facts.permit_expires_on,
            reception_situation=reception.situation.value,
            left_reception_on=reception.left_on,
            planned_exit_on=reception.planned_exit_on,
            reception_centre_kind=reception.centre_kind.value if reception.centre_kind else None,
            sex=facts.sex.value,
            age_band=age_band.value,
            citizenship=facts.citizenship,
            has_identity_document=facts.has_identity_document,
            household_size=facts.household_size,
            vulnerabilities=ordered_vulnerabilities,
            information_notice_given_on=facts.information_notice.given_on,
            information_notice_language=facts.information_notice.language,
            legal_bases=legal_bases.as_record(),
            consents=[
                {"purpose": p.value, "given_on": facts.intake_date}
                for p in ProcessingPurpose if p in facts.consents
            ],
            priority_group=priority_group_of(facts.protection_status).value,
            eligibility=[
                e.as_record()
                for e in eligibility_for(
                    facts.protection_status, reception.situation, frozenset(vulnerabilities))
            ],
            actor=actor.as_record(),
        )

    @property
    def is_vulnerable(self) -> bool:
        return bool(self.vulnerabilities)


def event_id_of(case_id: UUID, version: int) -> str:
    """The CloudEvents id of the case's event at `version` (events.cloudevents.event_id; a test
    checks they agree): how a correction names the event it corrects."""
    return f"{case_id}.{version}"


MAX_VULNERABILITY_DESCRIPTION = 1000


def check_other_vulnerability_description(text: str) -> str:
    """The description of an "other" vulnerability, stripped: 1 to 1,000 characters."""
    description = text.strip()
    if not description or len(description) > MAX_VULNERABILITY_DESCRIPTION:
        raise InvalidVulnerabilityDescription(
            "Say what the other vulnerability is, in up to 1,000 characters.",
            field="other_vulnerability_description",
        )
    return description


def _scheme_of(band: AgeBand) -> AgeScheme:
    """The scheme a band was recorded in ("65+", in both, reads as the current one)."""
    return AGE_SCHEME if band.belongs_to(AGE_SCHEME) else next(
        scheme for scheme in AgeScheme if band.belongs_to(scheme))


def checked_reason(text: str, error: type[CaseError] = InvalidClosure) -> str:
    """A closure's, reopening's or correction's reason, stripped; refused when blank or too
    long. Free text: the service keeps it in the vault, the event its reference."""
    reason = text.strip()
    if not reason or len(reason) > MAX_REASON:
        raise error("Give the reason, in up to 500 characters.", field="reason")
    return reason


def _reason_to_legacy(state: dict[str, Any]) -> None:
    """Move the reason an event stored before free text left events (issue 16) to its
    `legacy_texts`: the event store keeps it as written (the audit chain holds), it is never
    published again, and nothing new is written there."""
    text = state.pop("reason", None)
    state["legacy_texts"] = {"reason": text} if text else None
    state["reason_id"] = state["reason_digest"] = None


def _reason_fields(reason: TextReference | None) -> dict[str, Any]:
    """An event's reason: its id and digest in the vault; None for a person whose data is
    erased (no new text is kept on them)."""
    return {"reason_id": reason.text_id if reason else None,
            "reason_digest": reason.digest if reason else None}


def _text_reference(text_id: UUID | None, digest: str | None) -> TextReference | None:
    return TextReference(text_id, digest) if text_id is not None and digest is not None else None


def _is_country_code(value: object) -> bool:
    # ASCII too: the contract's pattern is [A-Z]{2}, and "ÉÜ" is alphabetic.
    return (isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha()
            and value.isupper())


def _checked_fact(name: CorrectableField, value: Any, age_band: AgeBand) -> Any:
    """The value a correction sets, checked as the intake checks it, in its recorded form."""
    try:
        match name:
            case CorrectableField.PROTECTION_STATUS:
                return ProtectionStatus(value).value
            case CorrectableField.PERMIT_EXPIRES_ON:
                if value is None:
                    return None
                if isinstance(value, str):
                    value = date.fromisoformat(value)
                if not isinstance(value, date) or isinstance(value, datetime):
                    raise ValueError(value)
                return value.isoformat()
            case CorrectableField.SEX:
                return Sex(value).value
            case CorrectableField.CITIZENSHIP:
                if value is not None and not _is_country_code(value):
                    raise ValueError(value)
                return value
            case CorrectableField.HOUSEHOLD_SIZE:
                if isinstance(value, bool) or not isinstance(value, int) or not (
                    1 <= value <= MAX_HOUSEHOLD_SIZE
                ):
                    raise ValueError(value)
                return value
            case CorrectableField.VULNERABILITIES:
                given = {Vulnerability(v) for v in value}
    except (ValueError, TypeError):
        raise InvalidCorrection(
            "The corrected value is not a valid one for this fact.", field=name.value
        ) from None
    if age_band.is_minor:
        given.add(Vulnerability.MINOR)  # the age says so; it is not the coordinator's to drop
    elif given & {Vulnerability.MINOR, Vulnerability.UNACCOMPANIED_MINOR}:
        raise InvalidCorrection("An adult cannot be recorded as a minor.", field=name.value)
    return [v.value for v in Vulnerability if v in given]


def _check_status(
    status: ProtectionStatus, permit_expires_on: date | None, held_on: date,
    citizenship: str | None,
) -> None:
    """A status fits its permit and the person: no permit without one; a humanitarian permit is
    valid only until it expires (d.l. 113/2018 art. 1 c.8: those issued before 5 Oct 2018 stay
    valid until expiry, and are not renewed as such), so it needs its expiry, not passed on the
    day it is said to be held; a stateless person has no citizenship."""
    if not status.has_permit and permit_expires_on is not None:
        raise InvalidProtectionStatus(
            "A person without a valid permit has no permit expiry.", field="permit_expires_on"
        )
    if status is ProtectionStatus.HUMANITARIAN_PROTECTION and (
        permit_expires_on is None or permit_expires_on < held_on
    ):
        raise InvalidProtectionStatus(
            "A humanitarian protection permit is valid only until it expires (d.l. 113/2018 "
            "art. 1 c.8): give its expiry, which cannot have passed.",
            field="permit_expires_on",
        )
    if status is ProtectionStatus.STATELESS and citizenship is not None:
        raise InvalidProtectionStatus(
            "A stateless person has no citizenship.", field="citizenship"
        )


def _check_reception(reception: ReceptionHistory, intake_date: date) -> None:
    """Each situation has exactly its dates: a centre left on a day not after the intake, a
    centre being left on a planned day not before it, a centre the person is in; and the centre
    has the name it had on that day (the day left, or the intake date)."""
    situation = reception.situation
    needs_left_on = situation is ReceptionSituation.LEFT_RECEPTION
    needs_exit_on = situation is ReceptionSituation.LEAVING_RECEPTION
    needs_centre = situation is not ReceptionSituation.NEVER_IN_RECEPTION
    if needs_centre and reception.centre_kind is None:
        raise InconsistentReceptionHistory(
            "Give the kind of reception centre.", field="reception_centre_kind"
        )
    if not needs_centre and reception.centre_kind is not None:
        raise InconsistentReceptionHistory(
            "A person never in reception has no reception centre.",
            field="reception_centre_kind",
        )
    if needs_left_on != (reception.left_on is not None):
        raise InconsistentReceptionHistory(
            "Give the date the person left reception, and only for a person who left it.",
            field="left_reception_on",
        )
    if needs_exit_on != (reception.planned_exit_on is not None):
        raise InconsistentReceptionHistory(
            "Give the planned exit date, and only for a person leaving reception.",
            field="planned_exit_on",
        )
    if reception.left_on is not None and reception.left_on > intake_date:
        raise InconsistentReceptionHistory(
            "The person cannot have left reception after the intake date.",
            field="left_reception_on",
        )
    if reception.planned_exit_on is not None and reception.planned_exit_on < intake_date:
        raise InconsistentReceptionHistory(
            "A person who left before the intake date has left reception: the planned exit "
            "cannot precede the intake.",
            field="planned_exit_on",
        )
    named_on = reception.left_on or intake_date
    if reception.centre_kind is not None and not reception.centre_kind.existed_on(named_on):
        raise ReceptionNameOutOfPeriod(
            "The second-line reception network was called SPRAR until 4 October 2018, SIPROIMI "
            "from 5 October 2018 (d.l. 113/2018) and SAI from 22 October 2020 (d.l. 130/2020): "
            "choose the name it had on that date.",
            field="reception_centre_kind",
            expected=ReceptionCentreKind.second_line_network_on(named_on).value,
        )


def intake_problems(
    facts: IntakeFacts, now: datetime, terms: TermsInForce, legal_bases: LegalBases,
) -> list[DomainError]:
    """Every rule of the programme an intake breaks (none: it may be recorded). The rules that
    can be checked independently of each other are all checked, so that a coordinator sees
    every problem of the form at once; each keeps its code and field."""
    problems = intake_field_problems(
        today=programme_today(now), intake_date=facts.intake_date, birth_date=facts.birth_date,
        household_size=facts.household_size,
        notice_given_on=facts.information_notice.given_on if facts.information_notice else None,
        terms=terms, city=facts.city)
    _collect(problems, _check_reception, facts.reception, facts.intake_date)
    citizenship = facts.citizenship
    if citizenship is not None and not _is_country_code(citizenship):
        problems.append(InvalidIntake(
            "The citizenship must be a two-letter ISO 3166 country code, or none for a "
            "stateless person.",
            field="citizenship",
        ))
    _collect(problems, _check_status, facts.protection_status, facts.permit_expires_on,
             facts.intake_date, citizenship)
    notice = facts.information_notice
    if notice is None:
        problems.append(InformationNoticeMissing(
            "Record the information notice (GDPR art. 13) given to the person: its date and "
            "language.",
            field="information_notice_given_on",
        ))
    elif not (len(notice.language) == 2 and notice.language.isascii()
              and notice.language.isalpha() and notice.language.islower()):
        problems.append(InformationNoticeMissing(
            "The notice's language is a two-letter ISO 639-1 code (e.g. it, en, ar).",
            field="information_notice_language",
        ))
    not_on_consent = facts.consents - legal_bases.resting_on_consent
    if not_on_consent:
        problems.append(ConsentNotTheBasis(
            "Consent is asked only for what rests on it; this purpose rests on another legal "
            "basis.",
            field="consents", purposes=sorted(p.value for p in not_on_consent),
        ))
    adult = (facts.birth_date <= facts.intake_date
             and not AgeBand.at(facts.birth_date, facts.intake_date).is_minor)
    if adult and facts.vulnerabilities & {Vulnerability.UNACCOMPANIED_MINOR, Vulnerability.MINOR}:
        problems.append(InvalidIntake(
            "An adult cannot be recorded as a minor.", field="vulnerabilities"))
    return problems


def intake_field_problems(
    *, today: date, intake_date: date | None, birth_date: date | None,
    household_size: int | None, notice_given_on: date | None,
    terms: TermsInForce | None = None, city: City | None = None,
) -> list[DomainError]:
    """The intake's rules on its dates and household size alone, each checked when its values
    are given: what a form can be told even while other fields are missing or unreadable."""
    problems: list[DomainError] = []
    if intake_date is not None:
        if terms is not None:
            _collect(problems, terms.require_in_period, intake_date, field="intake_date")
        if problems:
            # A date outside the programme (2999, a typo) measures nothing: the other dates
            # are not compared with it.
            intake_date = None
        elif intake_date > today:
            problems.append(InvalidIntake(
                "The intake date cannot be in the future.", field="intake_date"))
        if terms is not None and city is not None and intake_date is not None:
            _collect(problems, terms.require_partner, city, intake_date, field="city")
    if birth_date is not None and intake_date is not None:
        if birth_date > intake_date:
            problems.append(InvalidIntake(
                "The birth date cannot follow the intake date.", field="birth_date"))
        elif intake_date.year - birth_date.year > MAX_AGE_YEARS:
            problems.append(ImplausibleBirthDate(
                "The birth date is more than 120 years before the intake date.",
                field="birth_date"))
    if household_size is not None and not 1 <= household_size <= MAX_HOUSEHOLD_SIZE:
        problems.append(InvalidIntake(
            "The household size must be between 1 and 30.", field="household_size"))
    if notice_given_on is not None and intake_date is not None and (
            notice_given_on > intake_date):
        problems.append(InformationNoticeMissing(
            "The information notice is given when the data is collected (GDPR art. 13(1)): "
            "not after the intake date.",
            field="information_notice_given_on",
        ))
    return problems


def _collect(problems: list[DomainError], check: Callable[..., None], *args: Any,
             **kwargs: Any) -> None:
    """Run one independent check, adding its refusal (if any) to `problems`."""
    try:
        check(*args, **kwargs)
    except DomainError as problem:
        problems.append(problem)


class IntakeByKey(Aggregate):
    """Which case an intake sent with an idempotency key recorded: saved in the same transaction
    as the case, so a retry of the same command finds its case even when the process died
    between the save and the answer (issue 17: a client's retry must never make a second case).
    Its id is derived from the key as the web layer gives it (`command_key`: a digest of the
    sender, the key and the city, never the key itself); its one event carries the case's id
    only. Internal bookkeeping: never published (docs/events.md)."""

    class Recorded(Aggregate.Created):
        case_id: UUID

    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id

    @staticmethod
    def id_for(command_key: str) -> UUID:
        return uuid5(_INTAKE_BY_KEY_NAMESPACE, f"intake-by-key/{command_key}")

    @classmethod
    def record(cls, command_key: str, case_id: UUID, now: datetime) -> IntakeByKey:
        return cls._create(cls.Recorded, id=cls.id_for(command_key), timestamp=now,
                           case_id=case_id)


# A register issues one number per case: a snapshot every 100 numbers keeps loading it cheap.
@snapshotted_every(100)
class CaseRegister(Aggregate):
    """Issues a city's case numbers for one year, so that case codes are unique and gapless.
    Internal bookkeeping: its events are not published (see docs/events.md)."""

    class Opened(Aggregate.Created):
        city: str
        year: int

    class NumberIssued(Aggregate.Event):
        number: int

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CaseRegister)
            aggregate.last_number = self.number

    def __init__(self, city: str, year: int) -> None:
        self.city = City(city)
        self.year = year
        self.last_number = 0

    @staticmethod
    def id_for(city: City, year: int) -> UUID:
        return uuid5(_REGISTER_NAMESPACE, f"case-register/{city.value}/{year}")

    @classmethod
    def open(cls, city: City, year: int, now: datetime) -> CaseRegister:
        return cls._create(
            cls.Opened, id=cls.id_for(city, year), timestamp=now, city=city.value, year=year
        )

    def issue_code(self, now: datetime, province_code: str) -> str:
        """The next case code, `<province code>-<year>-<number>`; the province code is the
        city's in the terms in force (`TermsInForce.province_code`)."""
        self.trigger_event(self.NumberIssued, timestamp=now, number=self.last_number + 1)
        return f"{province_code}-{self.year}-{self.last_number:05d}"
