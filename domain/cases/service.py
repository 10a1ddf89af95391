"""Application service for cases: what a coordinator can do, as calls that return plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.cases.model import Case, CaseRegister, IntakeFacts, InvalidIntake
from domain.cases.rules import CaseOutcome, CorrectableField, ErasureLegalBasis
from domain.privacy import LEGAL_BASES, LegalBases, ProcessingPurpose
from domain.programme import Actor, CardTermsSource, ProtectionStatus, TermsInForce, TermsSource
from domain.record import ProgrammeRecord, position_of
from domain.vault import AccessReason, IdentifierAccess, PersonalData, PersonalDataVault

# Each lost race means another intake of the same city and year was saved: with N writers at once
# a number is drawn at worst N - 1 times. Generous, so that a busy machine never turns a race
# into a refusal (8 did, once, with 4 writers on 2 loaded cores).
_SAVE_ATTEMPTS = 32


@dataclass(frozen=True)
class IntakeReceipt:
    case_id: UUID
    case_code: str
    position: int


class CaseNotFound(LookupError):
    """Raised when no case has the given id."""


class CaseService:
    def __init__(
        self, record: ProgrammeRecord, vault: PersonalDataVault,
        terms: TermsSource | None = None, legal_bases: LegalBases = LEGAL_BASES,
    ) -> None:
        self.record = record
        self.vault = vault
        # The programme's terms (period, partner cities): the card's unless a source is given.
        self.terms = terms or CardTermsSource()
        self.legal_bases = legal_bases

    def record_intake(
        self,
        case_id: UUID,
        facts: IntakeFacts,
        personal_data: PersonalData,
        actor: Actor,
        now: datetime,
    ) -> IntakeReceipt:
        """Take a person in: identifiers to the vault, the case and its number to the record.
        The rules are checked before anything is written. Two intakes racing for the same
        number conflict on the register; the loser draws the next number and retries."""
        if not facts.has_identity_document and personal_data.document_number:
            raise InvalidIntake(
                "A document number is given for a person recorded as having no identity "
                "document.",
                field="document_number",
            )
        terms = self.terms.terms_in_force()
        register, case = self._decide_intake(case_id, facts, actor, now, terms)
        self.vault.store(case_id, personal_data)
        try:
            for _attempt in range(_SAVE_ATTEMPTS):
                try:
                    recordings = self.record.save(register, case)
                except IntegrityError:
                    register, case = self._decide_intake(case_id, facts, actor, now, terms)
                    continue
                return IntakeReceipt(case_id, case.case_code, position_of(recordings))
            raise IntegrityError("Could not allocate a case number: too many concurrent intakes")
        except BaseException:
            # Nothing was recorded: the identifiers must not outlive the failed intake.
            self.vault.erase(case_id)
            raise

    def _decide_intake(
        self, case_id: UUID, facts: IntakeFacts, actor: Actor, now: datetime,
        terms: TermsInForce,
    ) -> tuple[CaseRegister, Case]:
        register = self._register(facts, now)
        case_code = register.issue_code(now)
        return register, Case.take_in(
            case_id, case_code, facts, actor, now, terms, self.legal_bases)

    def reveal_identifiers(
        self, case_id: UUID, reason: AccessReason, actor: Actor, now: datetime
    ) -> PersonalData | None:
        """The person's identifiers, logged before they are returned. Whether `actor` may see
        them is decided by the access policy before this is called. None once erased."""
        case = self.get(case_id)
        self.vault.record_access(
            IdentifierAccess(
                at=now, actor_id=actor.id, actor_role=actor.role.value,
                actor_city=actor.city.value if actor.city else None,
                case_id=case_id, case_code=case.case_code, reason=reason,
            )
        )
        return self.vault.read(case_id)

    def erase_personal_data(
        self,
        case_id: UUID,
        requested_on: date,
        request_reference: str,
        actor: Actor,
        now: datetime,
        legal_basis: ErasureLegalBasis = ErasureLegalBasis.NOT_RECORDED,
    ) -> int:
        """Crypto-shred the person's identifiers and record it; returns the event's position.
        The case itself stays for the statistics under its pseudonymous code."""
        case = self.get(case_id)
        case.erase_personal_data(  # checks first
            requested_on, request_reference, actor, now, legal_basis)
        self.vault.erase(case_id)
        return position_of(self.record.save(case))

    def close(
        self, case_id: UUID, outcome: CaseOutcome, closed_on: date, reason: str, actor: Actor,
        now: datetime,
    ) -> int:
        """Close a case with its outcome; returns the event's position."""
        case = self.get(case_id)
        case.close(outcome, closed_on, reason, actor, now)
        return position_of(self.record.save(case))

    def reopen(
        self, case_id: UUID, reopened_on: date, reason: str, actor: Actor, now: datetime
    ) -> int:
        case = self.get(case_id)
        case.reopen(reopened_on, reason, actor, now)
        return position_of(self.record.save(case))

    def correct_intake(
        self, case_id: UUID, corrections: dict[CorrectableField, Any], reason: str,
        actor: Actor, now: datetime,
    ) -> int:
        """Record a correction of intake facts (a new event; the intake stays as it was)."""
        case = self.get(case_id)
        case.correct_intake(corrections, reason, actor, now)
        return position_of(self.record.save(case))

    def change_status(
        self, case_id: UUID, decided_on: date, status: ProtectionStatus,
        permit_expires_on: date | None, actor: Actor, now: datetime,
    ) -> int:
        """Record a decision on the person's protection status (a new event, from its date)."""
        case = self.get(case_id)
        case.change_status(decided_on, status, permit_expires_on, actor, now)
        return position_of(self.record.save(case))

    def give_consent(
        self, case_id: UUID, purpose: ProcessingPurpose, given_on: date, actor: Actor,
        now: datetime,
    ) -> int:
        case = self.get(case_id)
        case.give_consent(purpose, given_on, actor, now, self.legal_bases)
        return position_of(self.record.save(case))

    def withdraw_consent(
        self, case_id: UUID, purpose: ProcessingPurpose, withdrawn_on: date, actor: Actor,
        now: datetime,
    ) -> int:
        case = self.get(case_id)
        case.withdraw_consent(purpose, withdrawn_on, actor, now)
        return position_of(self.record.save(case))

    def get(self, case_id: UUID) -> Case:
        try:
            case: object = self.record.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(case_id) from None
        if not isinstance(case, Case):
            raise CaseNotFound(case_id)
        return case

    def _register(self, facts: IntakeFacts, now: datetime) -> CaseRegister:
        year = facts.intake_date.year
        try:
            register: object = self.record.repository.get(
                CaseRegister.id_for(facts.city, year)
            )
        except AggregateNotFoundError:
            return CaseRegister.open(facts.city, year, now)
        assert isinstance(register, CaseRegister)
        return register
