"""Application service for cases: what a coordinator can do, as calls that return plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.cases.model import Case, CaseRegister, IntakeFacts
from domain.network import Actor
from domain.record import ProgrammeRecord, position_of
from domain.vault import PersonalData, PersonalDataVault

_SAVE_ATTEMPTS = 8


@dataclass(frozen=True)
class IntakeReceipt:
    case_id: UUID
    case_code: str
    position: int


class CaseNotFound(LookupError):
    """Raised when no case has the given id."""


class CaseService:
    def __init__(self, record: ProgrammeRecord, vault: PersonalDataVault) -> None:
        self.record = record
        self.vault = vault

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
        register, case = self._decide_intake(case_id, facts, actor, now)
        self.vault.store(case_id, personal_data)
        try:
            for _attempt in range(_SAVE_ATTEMPTS):
                try:
                    recordings = self.record.save(register, case)
                except IntegrityError:
                    register, case = self._decide_intake(case_id, facts, actor, now)
                    continue
                return IntakeReceipt(case_id, case.case_code, position_of(recordings))
            raise IntegrityError("Could not allocate a case number: too many concurrent intakes")
        except BaseException:
            # Nothing was recorded: the identifiers must not outlive the failed intake.
            self.vault.erase(case_id)
            raise

    def _decide_intake(
        self, case_id: UUID, facts: IntakeFacts, actor: Actor, now: datetime
    ) -> tuple[CaseRegister, Case]:
        register = self._register(facts, now)
        case_code = register.issue_code(now)
        return register, Case.take_in(case_id, case_code, facts, actor, now)

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
