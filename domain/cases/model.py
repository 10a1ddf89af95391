"""The case aggregate (one beneficiary taken in by one city) and the city's case register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.cases.rules import (
    AgeBand,
    CaseOutcome,
    CorrectableField,
    ErasureLegalBasis,
    ReceptionCentreKind,
    ReceptionSituation,
    Sex,
    Vulnerability,
    eligibility_for,
    priority_group_of,
)
from domain.programme import (
    CARD_TERMS,
    Actor,
    City,
    ConsentScope,
    DomainError,
    ProtectionStatus,
    TermsInForce,
    programme_today,
)
from domain.record import snapshotted_every

MAX_HOUSEHOLD_SIZE = 30
MAX_AGE_YEARS = 120
# A protocol number, not a free text: a free text could itself carry personal data.
MAX_REQUEST_REFERENCE = 60
MAX_REASON = 500
_REGISTER_NAMESPACE = UUID("5b0f7f4e-3c55-4c1e-9a55-6f1d2f1b8a01")


class CaseError(DomainError):
    """Raised when a command on a case breaks a rule of the programme."""

    code = "case_error"


class StillInReception(CaseError):
    """Raised when the person is still in the reception system, outside the target group."""

    code = "still_in_reception"


class InconsistentReceptionHistory(CaseError):
    """Raised when the reception dates or centre do not fit the reception situation."""

    code = "inconsistent_reception_history"


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


class ConsentMissing(CaseError):
    """Raised when no consent to case management has been recorded."""

    code = "consent_missing"


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


@dataclass(frozen=True)
class Closure:
    closed_on: date
    outcome: CaseOutcome
    reason: str


@dataclass(frozen=True)
class ReceptionHistory:
    situation: ReceptionSituation
    left_on: date | None = None
    centre_kind: ReceptionCentreKind | None = None


@dataclass(frozen=True)
class Consent:
    given_on: date
    scopes: frozenset[ConsentScope]


@dataclass(frozen=True)
class Erasure:
    """How a person's identifiers came to be erased: the request, and when it was carried out."""

    requested_on: date
    request_reference: str
    erased_at: datetime


@dataclass(frozen=True)
class IntakeFacts:
    """What a coordinator records at intake, minus the personal identifiers (those go to the
    vault). The birth date is here only to derive the age band; it is never stored in an event."""

    city: City
    intake_date: date
    protection_status: ProtectionStatus
    reception: ReceptionHistory
    sex: Sex
    birth_date: date
    nationality: str
    household_size: int
    vulnerabilities: frozenset[Vulnerability]
    consent: Consent


class Case(Aggregate):
    """A beneficiary's case. Identified by a random UUID and a pseudonymous case code."""

    class IntakeRecorded(Aggregate.Created):
        case_code: str
        city: str
        intake_date: date
        protection_status: str
        reception_situation: str
        left_reception_on: date | None
        reception_centre_kind: str | None
        sex: str
        age_band: str
        nationality: str
        household_size: int
        vulnerabilities: list[str]
        consent_given_on: date
        consent_scopes: list[str]
        priority_group: str
        eligibility: list[dict[str, Any]]
        actor: dict[str, str | None]

    def __init__(
        self,
        case_code: str,
        city: str,
        intake_date: date,
        protection_status: str,
        reception_situation: str,
        left_reception_on: date | None,
        reception_centre_kind: str | None,
        sex: str,
        age_band: str,
        nationality: str,
        household_size: int,
        vulnerabilities: list[str],
        consent_given_on: date,
        consent_scopes: list[str],
        priority_group: str,
        eligibility: list[dict[str, Any]],
        actor: dict[str, str | None],
    ) -> None:
        self.case_code = case_code
        self.city = City(city)
        self.intake_date = intake_date
        self.protection_status = ProtectionStatus(protection_status)
        self.reception_situation = ReceptionSituation(reception_situation)
        self.left_reception_on = left_reception_on
        self.reception_centre_kind = reception_centre_kind
        self.sex = Sex(sex)
        self.age_band = AgeBand(age_band)
        self.nationality = nationality
        self.household_size = household_size
        self.vulnerabilities = [Vulnerability(v) for v in vulnerabilities]
        self.consent_given_on = consent_given_on
        self.consent_scopes = [ConsentScope(s) for s in consent_scopes]
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
        case_code: str
        city: str
        closed_on: date
        outcome: str
        reason: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.closure = Closure(self.closed_on, CaseOutcome(self.outcome), self.reason)

    class Reopened(Aggregate.Event):
        case_code: str
        city: str
        reopened_on: date
        reason: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Case)
            aggregate.closure = None
            aggregate.open_since = self.reopened_on

    class IntakeCorrected(Aggregate.Event):
        case_code: str
        city: str
        changes: list[dict[str, Any]]
        reason: str
        priority_group: str
        eligibility: list[dict[str, Any]]
        actor: dict[str, str | None]

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
        self, outcome: CaseOutcome, closed_on: date, reason: str, actor: Actor, now: datetime
    ) -> None:
        """End the case with its outcome, dated from the day it was (re)opened in this city to
        today, saying why. A closed case takes no new work until it is reopened."""
        self.require_open()
        reason = _reason(reason)
        if not self.open_since <= closed_on <= programme_today(now):
            raise InvalidClosure(
                "The closing date must fall between the day the case was taken in, reopened "
                "or transferred here, and today.",
                field="closed_on",
            )
        self.trigger_event(
            self.Closed, timestamp=now, case_code=self.case_code, city=self.city.value,
            closed_on=closed_on, outcome=outcome.value, reason=reason, actor=actor.as_record(),
        )

    def reopen(self, reopened_on: date, reason: str, actor: Actor, now: datetime) -> None:
        """Open a closed case again, dated from its closure to today, saying why."""
        if self.closure is None:
            raise CaseNotClosed("The case is open: there is nothing to reopen.", field="case")
        reason = _reason(reason)
        if not self.closure.closed_on <= reopened_on <= programme_today(now):
            raise InvalidClosure(
                "The reopening date must fall between the closing date and today.",
                field="reopened_on",
            )
        self.trigger_event(
            self.Reopened, timestamp=now, case_code=self.case_code, city=self.city.value,
            reopened_on=reopened_on, reason=reason, actor=actor.as_record(),
        )

    def correct_intake(
        self, corrections: dict[CorrectableField, Any], reason: str, actor: Actor,
        now: datetime,
    ) -> None:
        """Replace facts recorded at intake, saying why. Only values that differ from the
        current ones count; a correction that changes nothing is refused. Works on a closed case
        too: the record must be right whatever the case's state."""
        reason = _reason(reason, InvalidCorrection)
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
        vulnerabilities = frozenset(
            Vulnerability(v) for v in corrected.get(
                CorrectableField.VULNERABILITIES, [v.value for v in self.vulnerabilities])
        )
        self.trigger_event(
            self.IntakeCorrected, timestamp=now, case_code=self.case_code,
            city=self.city.value, changes=changes, reason=reason,
            priority_group=priority_group_of(status).value,
            eligibility=[e.as_record() for e in eligibility_for(status, vulnerabilities)],
            actor=actor.as_record(),
        )

    def transfer_to(
        self, city: City, referral_id: UUID, transferred_on: date, actor: Actor, now: datetime
    ) -> None:
        """Move the case to `city` (which accepted a transfer referral): from now on it is
        that city's case."""
        self.require_open()
        if city is self.city:
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
        """A correctable fact as events record it (codes, a sorted list of codes)."""
        match name:
            case CorrectableField.PROTECTION_STATUS:
                return self.protection_status.value
            case CorrectableField.SEX:
                return self.sex.value
            case CorrectableField.NATIONALITY:
                return self.nationality
            case CorrectableField.HOUSEHOLD_SIZE:
                return self.household_size
            case CorrectableField.VULNERABILITIES:
                return [v.value for v in self.vulnerabilities]

    def assign_fact(self, name: CorrectableField, value: Any) -> None:
        match name:
            case CorrectableField.PROTECTION_STATUS:
                self.protection_status = ProtectionStatus(value)
            case CorrectableField.SEX:
                self.sex = Sex(value)
            case CorrectableField.NATIONALITY:
                self.nationality = value
            case CorrectableField.HOUSEHOLD_SIZE:
                self.household_size = value
            case CorrectableField.VULNERABILITIES:
                self.vulnerabilities = [Vulnerability(v) for v in value]

    @classmethod
    def take_in(
        cls, case_id: UUID, case_code: str, facts: IntakeFacts, actor: Actor, now: datetime,
        terms: TermsInForce = CARD_TERMS,
    ) -> Case:
        """Decide an intake: check the programme's rules (`terms`: the period and partner cities
        in force), derive age band, vulnerabilities and eligibility, and record the case.
        Raises a CaseError subclass, or a TermsError, when a rule is broken."""
        _check_intake(facts, now, terms)
        age_band = AgeBand.at(facts.birth_date, facts.intake_date)
        vulnerabilities = set(facts.vulnerabilities)
        if age_band is AgeBand.UNDER_18:
            vulnerabilities.add(Vulnerability.MINOR)
        elif Vulnerability.UNACCOMPANIED_MINOR in vulnerabilities or (
            Vulnerability.MINOR in vulnerabilities
        ):
            raise InvalidIntake(
                "An adult cannot be recorded as a minor.", field="vulnerabilities"
            )
        ordered_vulnerabilities = [v.value for v in Vulnerability if v in vulnerabilities]
        return cls._create(
            cls.IntakeRecorded,
            id=case_id,
            timestamp=now,
            case_code=case_code,
            city=facts.city.value,
            intake_date=facts.intake_date,
            protection_status=facts.protection_status.value,
            reception_situation=facts.reception.situation.value,
            left_reception_on=facts.reception.left_on,
            reception_centre_kind=(
                facts.reception.centre_kind.value if facts.reception.centre_kind else None
            ),
            sex=facts.sex.value,
            age_band=age_band.value,
            nationality=facts.nationality,
            household_size=facts.household_size,
            vulnerabilities=ordered_vulnerabilities,
            consent_given_on=facts.consent.given_on,
            consent_scopes=sorted(s.value for s in facts.consent.scopes),
            priority_group=priority_group_of(facts.protection_status).value,
            eligibility=[
                e.as_record()
                for e in eligibility_for(facts.protection_status, frozenset(vulnerabilities))
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


def _reason(text: str, error: type[CaseError] = InvalidClosure) -> str:
    reason = text.strip()
    if not reason or len(reason) > MAX_REASON:
        raise error("Give the reason, in up to 500 characters.", field="reason")
    return reason


def _checked_fact(name: CorrectableField, value: Any, age_band: AgeBand) -> Any:
    """The value a correction sets, checked as the intake checks it, in its recorded form."""
    try:
        match name:
            case CorrectableField.PROTECTION_STATUS:
                return ProtectionStatus(value).value
            case CorrectableField.SEX:
                return Sex(value).value
            case CorrectableField.NATIONALITY:
                # ASCII too: the contract's pattern is [A-Z]{2}, and "ÉÜ" is alphabetic.
                if not (isinstance(value, str) and len(value) == 2 and value.isascii()
                        and value.isalpha() and value.isupper()):
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
    minor = age_band is AgeBand.UNDER_18
    if minor:
        given.add(Vulnerability.MINOR)  # the age says so; it is not the coordinator's to drop
    elif given & {Vulnerability.MINOR, Vulnerability.UNACCOMPANIED_MINOR}:
        raise InvalidCorrection("An adult cannot be recorded as a minor.", field=name.value)
    return [v.value for v in Vulnerability if v in given]


def _check_intake(facts: IntakeFacts, now: datetime, terms: TermsInForce) -> None:
    today = programme_today(now)
    reception = facts.reception
    if reception.situation is ReceptionSituation.IN_RECEPTION:
        raise StillInReception(
            "The person is still in the reception system: the programme serves people who have "
            "left it or were never in it.",
            field="reception_situation",
        )
    if reception.situation is ReceptionSituation.LEFT_RECEPTION:
        if reception.left_on is None or reception.centre_kind is None:
            raise InconsistentReceptionHistory(
                "Give the date the person left reception and the kind of centre.",
                field="left_reception_on",
            )
        if reception.left_on > facts.intake_date:
            raise InconsistentReceptionHistory(
                "The person cannot have left reception after the intake date.",
                field="left_reception_on",
            )
    elif reception.left_on is not None or reception.centre_kind is not None:
        raise InconsistentReceptionHistory(
            "A person never in reception has no date or centre of leaving.",
            field="left_reception_on",
        )
    terms.require_in_period(facts.intake_date, field="intake_date")
    if facts.intake_date > today:
        raise InvalidIntake("The intake date cannot be in the future.", field="intake_date")
    terms.require_partner(facts.city, facts.intake_date, field="city")
    if facts.birth_date > facts.intake_date:
        raise InvalidIntake("The birth date cannot follow the intake date.", field="birth_date")
    if facts.intake_date.year - facts.birth_date.year > MAX_AGE_YEARS:
        raise ImplausibleBirthDate(
            "The birth date is more than 120 years before the intake date.", field="birth_date"
        )
    if not 1 <= facts.household_size <= MAX_HOUSEHOLD_SIZE:
        raise InvalidIntake(
            "The household size must be between 1 and 30.", field="household_size"
        )
    if len(facts.nationality) != 2 or not facts.nationality.isalpha() or (
        not facts.nationality.isupper()
    ):
        raise InvalidIntake(
            "The nationality must be a two-letter ISO 3166 country code.", field="nationality"
        )
    if ConsentScope.CASE_MANAGEMENT not in facts.consent.scopes:
        raise ConsentMissing(
            "Consent to the processing of data for case management is required.",
            field="consent_scopes",
        )
    if facts.consent.given_on > today:
        raise InvalidIntake("Consent cannot be dated in the future.", field="consent_given_on")


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

    def issue_code(self, now: datetime) -> str:
        self.trigger_event(self.NumberIssued, timestamp=now, number=self.last_number + 1)
        # City(): loaded from a snapshot the city is plain text (JSON knows no enums).
        return f"{City(self.city).code_prefix}-{self.year}-{self.last_number:05d}"
