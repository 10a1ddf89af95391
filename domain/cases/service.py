"""Application service for cases: what a coordinator can do, as calls that return plain data."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import MutableAggregateProtocol
from eventsourcing.persistence import IntegrityError

from domain.cases.model import (
    Case,
    CaseError,
    CaseRegister,
    IntakeByKey,
    IntakeFacts,
    InvalidCorrection,
    InvalidIntake,
    InvalidVulnerabilityDescription,
    check_other_vulnerability_description,
    checked_reason,
    intake_problems,
)
from domain.cases.rules import (
    AssessingService,
    CaseOutcome,
    CorrectableField,
    ErasureLegalBasis,
    Vulnerability,
)
from domain.privacy import (
    LEGAL_BASES,
    FindOrganisation,
    LegalBases,
    PartnerOrganisation,
    ProcessingPurpose,
    organisations_to_name,
)
from domain.programme import (
    Actor,
    CardTermsSource,
    DomainError,
    DomainErrors,
    ProtectionStatus,
    TermsInForce,
    TermsSource,
)
from domain.record import ConcurrentChanges, ProgrammeRecord, position_of
from domain.vault import (
    AccessReason,
    IdentifierAccess,
    PersonalData,
    PersonalDataVault,
    TextReference,
)

# Each lost race means another intake of the same city and year was saved: with N writers at once
# a number is drawn at worst N - 1 times. Generous, so that a busy machine never turns a race
# into a refusal (8 did, once, with 4 writers on 2 loaded cores).
_SAVE_ATTEMPTS = 32


@dataclass(frozen=True)
class IntakeReceipt:
    case_id: UUID
    case_code: str
    position: int


# What an intake saves besides the case and its register, decided on the case about to be
# saved (the assignment context's AssignmentAtIntake: the coordinator's choice of who holds it).
# Raises its own refusal before anything is written.
IntakeCompanion = Callable[
    [Case, Actor, datetime, str | None], Sequence[MutableAggregateProtocol[UUID]]]

# What one intake saves besides, given the number of its case: the notes of the possible matches
# its operator went on with (domain.identity's IdentityService.take_in). Called anew for each
# attempt at saving: a save that fails has taken the events of the aggregates it was given.
SavedWithCase = Callable[[str], Sequence[MutableAggregateProtocol[UUID]]]


# Named moments of a command where a fault-injection run may stop the process (infra.faults):
# between the vault and the record, and between the record and the vault's confirmation.
INTAKE_VAULT_WRITTEN = "intake.vault_written"
INTAKE_SAVED = "intake.saved"
Checkpoint = Callable[[str], None]


def _no_checkpoint(_name: str) -> None:
    return None


@dataclass(frozen=True)
class UnfinishedIntakes:
    """What the sweep of pending persons did: counts only (a log line must name nobody)."""

    kept: int
    """Pending persons whose case was saved (the confirmation was lost): now confirmed."""
    shredded: int
    """Pending persons whose case was never saved: erased from the vault."""


@dataclass(frozen=True)
class _Saved:
    case_code: str
    position: int


class _GoAlone:
    """The outcome of an intake whose batch could not be saved as one."""


_GO_ALONE = _GoAlone()


@dataclass(eq=False)
class _IntakeToSave:
    """An intake decided and checked, its person in the vault, waiting for its batch."""

    case_id: UUID
    facts: IntakeFacts
    actor: Actor
    now: datetime
    terms: TermsInForce
    reference: TextReference | None
    assignee: str | None
    command_key: str | None
    saved_with_case: SavedWithCase | None
    outcome: _Saved | _GoAlone | BaseException | None = None


class _IntakeBatches:
    """Group commit of the intakes numbered by one register: who arrives while a batch of them is
    being saved waits, and the first of the waiters then saves every waiting one at once (one
    transaction, one fsync). Concurrent intakes of one city all change its register, so saved
    one by one they would only conflict and retry; saved together they cost one save."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[UUID, threading.Lock] = {}
        self._waiting: dict[UUID, list[_IntakeToSave]] = {}

    def save(
        self,
        register_id: UUID,
        intake: _IntakeToSave,
        save_together: Callable[[Sequence[_IntakeToSave]], None],
    ) -> _Saved | _GoAlone | BaseException:
        with self._guard:
            lock = self._locks.setdefault(register_id, threading.Lock())
            self._waiting.setdefault(register_id, []).append(intake)
        with lock:
            if intake.outcome is None:  # no batch took it yet: this one saves the waiting ones
                with self._guard:
                    batch = self._waiting.pop(register_id)
                try:
                    save_together(batch)
                except BaseException as error:
                    for waiting in batch:  # every one of the batch is told
                        if waiting.outcome is None:
                            waiting.outcome = error
                    if not isinstance(error, Exception):
                        raise
        assert intake.outcome is not None
        return intake.outcome


class CaseNotFound(LookupError):
    """Raised when no case has the given id."""


class AgeFollowed(StrEnum):
    """What the age job did with one case."""

    UPDATED = "updated"
    UP_TO_DATE = "up_to_date"
    ERASED = "erased"
    """The person's data is erased: there is no birth date to follow, and none is sought."""


class CaseService:
    def __init__(
        self, record: ProgrammeRecord, vault: PersonalDataVault,
        terms: TermsSource | None = None, legal_bases: LegalBases = LEGAL_BASES,
        intake_companion: IntakeCompanion | None = None,
        new_id: Callable[[], UUID] = uuid4,
        organisations: FindOrganisation | None = None,
        checkpoint: Checkpoint = _no_checkpoint,
    ) -> None:
        self.record = record
        self.checkpoint = checkpoint
        # Where the registered partner organisations a consent names are found (the
        # organisations context's service, passed in by the composition root).
        self.organisations = organisations
        # Names the free texts kept in the vault (random: a text id says nothing of the text).
        self.new_id = new_id
        self.intake_companion = intake_companion
        self.vault = vault
        # The programme's terms (period, partner cities): the card's unless a source is given.
        self.terms = terms or CardTermsSource()
        self.legal_bases = legal_bases
        self._intake_batches = _IntakeBatches()

    def record_intake(
        self,
        case_id: UUID,
        facts: IntakeFacts,
        personal_data: PersonalData,
        actor: Actor,
        now: datetime,
        other_vulnerability_description: str | None = None,
        new_id: Callable[[], UUID] | None = None,
        assignee: str | None = None,
        command_key: str | None = None,
        saved_with_case: SavedWithCase | None = None,
    ) -> IntakeReceipt:
        """Take a person in: identifiers to the vault, the case and its number to the record.
        The rules are checked before anything is written. Two intakes racing for the same
        number conflict on the register; the loser draws the next number and retries. An
        `other` vulnerability is recorded with what it is (free text: to the vault, under the
        person's key; `new_id` names it there). `assignee`: who holds the case, when not its
        recorder (the intake companion checks and records it in the same save). `command_key`:
        the command's idempotency key as the web layer derives it (web.kit.idempotency's
        command_key): the case is saved with a note of it (IntakeByKey), and when that note is
        already there the intake was recorded before, by the same command sent again: its receipt
        is returned and nothing is written. `saved_with_case`: what is saved with the case, in
        its transaction, given its number (the notes of the possible matches)."""
        problems: list[DomainError] = []
        if not facts.has_identity_document and personal_data.document_number:
            problems.append(InvalidIntake(
                "A document number is given for a person recorded as having no identity "
                "document.",
                field="document_number",
            ))
        description = None
        try:
            description = _other_description(facts, other_vulnerability_description)
        except CaseError as problem:
            problems.append(problem)
        terms = self.terms.terms_in_force()
        # Every problem at once (the form shows them all), before anything is decided.
        DomainErrors.raise_all(
            [*problems, *intake_problems(facts, now, terms, self.legal_bases)])
        register, case = self._decide_intake(case_id, facts, actor, now, terms)
        companions = self._companions(case, actor, now, assignee)  # refusals before any write
        recorded_before = self.intake_by_key(command_key)
        if recorded_before is not None:
            return recorded_before
        self.vault.store(case_id, personal_data)
        try:
            reference = None
            if description is not None:
                assert new_id is not None, "an intake with a description needs new_id"
                text_id = new_id()
                reference = TextReference(
                    text_id, self.vault.store_text(case_id, text_id, description))
            self.checkpoint(INTAKE_VAULT_WRITTEN)
            # Intakes numbered by the same register at the same moment are saved together
            # (one transaction, one fsync), each on the register as the one before left it.
            outcome = self._intake_batches.save(
                CaseRegister.id_for(facts.city, facts.intake_date.year),
                _IntakeToSave(case_id, facts, actor, now, terms, reference, assignee,
                              command_key, saved_with_case),
                self._save_together)
            if isinstance(outcome, BaseException):
                raise outcome
            if isinstance(outcome, _Saved):
                case_code, position = outcome.case_code, outcome.position
            else:
                # Its batch lost a race (another process numbered a case first, or the same
                # command was in it twice): alone, as every intake was saved before batches.
                for _attempt in range(_SAVE_ATTEMPTS):
                    register, case = self._decide_intake(case_id, facts, actor, now, terms)
                    if reference is not None:
                        case.describe_other_vulnerability(reference, actor, now)
                    companions = [*self._companions(case, actor, now, assignee),
                                  *_saved_with(saved_with_case, case)]
                    # Made anew at each attempt: a save that fails has taken its events.
                    by_key = _note_of(command_key, case_id, now)
                    try:
                        # The note first: the answer waits for the views to reach the last
                        # event saved, and the note, never published, is no event the views
                        # would reach.
                        recordings = self.record.save(*by_key, register, case, *companions)
                    except IntegrityError:
                        # This very case may be saved already: the store's driver sends a save
                        # again when its connection broke, and the first one may have been
                        # committed before its answer was lost.
                        saved = self._receipt_if_saved(case_id)
                        if saved is not None:
                            case_code, position = saved.case_code, saved.position
                            break
                        # The same command, sent again while this one was under way, may have
                        # saved its case first: then this one records nothing.
                        recorded_before = self.intake_by_key(command_key)
                        if recorded_before is not None:
                            break
                        continue
                    case_code, position = case.case_code, position_of(recordings)
                    break
                else:
                    # Every attempt lost its race for the register: a refusal to try again (the
                    # person is erased below), not a server error.
                    raise ConcurrentChanges(
                        "Others were taking people in for the same city at the same moment: "
                        "nothing was saved. Try again.", field=None)
        except Exception as failure:
            # A failed save does not always say whether it was committed (the connection lost
            # during the commit: PostgreSQL stopped then), so the record decides. Saved after
            # all, the intake is answered as recorded. Not saved, the identifiers must not
            # outlive it. The record unreadable too, the person stays pending, and the sweep
            # settles them by the record later, as after a crash (which skips this).
            try:
                saved = self._receipt_if_saved(case_id)
            except Exception:
                raise failure from None
            if saved is None:
                self.vault.erase(case_id)
                raise
            case_code, position = saved.case_code, saved.position
        if recorded_before is not None:
            self.vault.erase(case_id)  # this attempt's person: its case was never saved
            return recorded_before
        self.checkpoint(INTAKE_SAVED)
        # The case is saved: its answer must say so whatever happens to the confirmation. A
        # person left pending is confirmed by the sweep, which finds their case saved.
        with suppress(Exception):
            self.vault.confirm(case_id)
        return IntakeReceipt(case_id, case_code, position)

    def settle_unfinished_intakes(self, now: datetime, grace: timedelta) -> UnfinishedIntakes:
        """Decide every person the vault still holds as pending since before `now - grace`:
        kept if their case is in the record, shredded (erased) if not. `grace` must exceed the
        longest an intake takes between the vault and the record, or an intake still under
        way could lose its person."""
        kept = shredded = 0
        for case_id in self.vault.pending(now - grace):
            try:
                self.record.repository.get(case_id)
            except AggregateNotFoundError:
                self.vault.erase(case_id)
                shredded += 1
            else:
                self.vault.confirm(case_id)
                kept += 1
        return UnfinishedIntakes(kept, shredded)

    def _save_together(self, batch: Sequence[_IntakeToSave]) -> None:
        """Decide the intakes of `batch` (all numbered by one register) in turn, each on the
        register as the one before left it, and save them in one transaction. One refused is
        left out, with its refusal as its outcome, and the register as it was before it (the
        numbers stay gapless). Should the save conflict (another process numbered a case first,
        or one command is in the batch twice), each is told to go alone."""
        first = batch[0]
        register = self._register(first.facts, first.now)
        decided: list[tuple[_IntakeToSave, Case, Sequence[MutableAggregateProtocol[UUID]]]] = []
        for intake in batch:
            trial = deepcopy(register)
            try:
                case = self._decide_on(trial, intake)
                companions: Sequence[MutableAggregateProtocol[UUID]] = [
                    *self._companions(case, intake.actor, intake.now, intake.assignee),
                    *_saved_with(intake.saved_with_case, case)]
            except Exception as refusal:  # its own outcome, not the batch's
                intake.outcome = refusal
                continue
            register = trial
            decided.append((intake, case, companions))
        if not decided:
            return
        try:
            # The notes first, as an intake alone saves them.
            recordings = self.record.save(
                *(
                    note
                    for intake, _, _ in decided
                    for note in _note_of(intake.command_key, intake.case_id, intake.now)
                ),
                register,
                *(
                    aggregate
                    for _, case, companions in decided
                    for aggregate in (case, *companions)
                ),
            )
        except IntegrityError:
            for intake, _, _ in decided:
                intake.outcome = _GO_ALONE
            return
        for intake, case, companions in decided:
            ids = {case.id, *(companion.id for companion in companions)}
            intake.outcome = _Saved(
                case.case_code,
                max(
                    recording.notification.id
                    for recording in recordings
                    if recording.domain_event.originator_id in ids
                ),
            )

    def _decide_on(self, register: CaseRegister, intake: _IntakeToSave) -> Case:
        """The case of `intake`, numbered by `register` (which issues its number)."""
        case = self._take_in_on(register, intake.case_id, intake.facts, intake.actor,
                                intake.now, intake.terms)
        if intake.reference is not None:
            case.describe_other_vulnerability(intake.reference, intake.actor, intake.now)
        return case

    def _companions(
        self, case: Case, actor: Actor, now: datetime, assignee: str | None
    ) -> Sequence[MutableAggregateProtocol[UUID]]:
        if self.intake_companion is None:
            if assignee is not None:
                raise ValueError("An assignee at intake needs the intake companion")
            return ()
        return self.intake_companion(case, actor, now, assignee)

    def _decide_intake(
        self, case_id: UUID, facts: IntakeFacts, actor: Actor, now: datetime,
        terms: TermsInForce,
    ) -> tuple[CaseRegister, Case]:
        register = self._register(facts, now)
        return register, self._take_in_on(register, case_id, facts, actor, now, terms)

    def _take_in_on(
        self, register: CaseRegister, case_id: UUID, facts: IntakeFacts, actor: Actor,
        now: datetime, terms: TermsInForce,
    ) -> Case:
        # A city that was never a partner has no province code to number its cases with.
        if not terms.is_known(facts.city):
            terms.require_partner(facts.city, facts.intake_date, field="city")
        case_code = register.issue_code(now, terms.province_code(facts.city))
        return Case.take_in(case_id, case_code, facts, actor, now, terms, self.legal_bases)

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
        now: datetime, *, new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """Close a case with its outcome; returns the event's position. The reason goes to the
        vault, under the person's key (`new_id` names it there: the service's own by default)."""
        text = checked_reason(reason)
        case = self.get(case_id)
        case.require_open()  # before anything reaches the vault
        return self._save_with_reason(
            case, text,
            lambda kept: case.close(outcome, closed_on, kept, actor, now), new_id)

    def reopen(
        self, case_id: UUID, reopened_on: date, reason: str, actor: Actor, now: datetime, *,
        new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """Reopen a closed case; the reason goes to the vault, as a closure's."""
        text = checked_reason(reason)
        case = self.get(case_id)
        case.check_reopenable()
        return self._save_with_reason(
            case, text,
            lambda kept: case.reopen(reopened_on, kept, actor, now), new_id)

    def correct_intake(
        self, case_id: UUID, corrections: dict[CorrectableField, Any], reason: str,
        actor: Actor, now: datetime, *, new_id: Callable[[], UUID] | None = None,
    ) -> int:
        """Record a correction of intake facts (a new event; the intake stays as it was). The
        reason goes to the vault, as a closure's."""
        text = checked_reason(reason, InvalidCorrection)
        case = self.get(case_id)
        return self._save_with_reason(
            case, text,
            lambda kept: case.correct_intake(corrections, kept, actor, now), new_id)

    def _save_with_reason(
        self, case: Case, text: str, decide: Callable[[TextReference | None], None],
        new_id: Callable[[], UUID] | None,
    ) -> int:
        """Keep the reason in the vault under the person's key, then decide and save with its
        reference; when nothing is saved (a refusal, a lost race), the text is discarded. A
        person whose data is erased gets no new text: the closure (reopening, correction) is
        recorded, its reason is not kept anywhere."""
        text_id = (new_id or self.new_id)()
        try:
            kept: TextReference | None = TextReference(
                text_id, self.vault.store_text(case.id, text_id, text))
        except LookupError:
            kept = None
        try:
            decide(kept)
            return position_of(self.record.save(case))
        except BaseException:
            if kept is not None:
                self.vault.discard_text(case.id, text_id)
            raise

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
        now: datetime, organisation_ids: Sequence[UUID] = (),
    ) -> int:
        """Record a consent; one to share with partners names the registered organisations of
        the case's city it covers (none retired)."""
        case = self.get(case_id)
        organisations = organisations_to_name(
            organisation_ids, case.city, self._find_organisation, field="organisation_ids")
        case.give_consent(purpose, given_on, actor, now, self.legal_bases, organisations)
        return position_of(self.record.save(case))

    def withdraw_consent(
        self, case_id: UUID, purpose: ProcessingPurpose, withdrawn_on: date, actor: Actor,
        now: datetime, organisation_ids: Sequence[UUID] = (),
    ) -> int:
        """Record a withdrawal; from sharing with partners, per organisation (or, naming none,
        the consent to the purpose as a whole that named nobody)."""
        case = self.get(case_id)
        case.withdraw_consent(purpose, withdrawn_on, actor, now, organisation_ids)
        return position_of(self.record.save(case))

    def _find_organisation(self, organisation_id: UUID) -> PartnerOrganisation:
        if self.organisations is None:
            raise LookupError(organisation_id)
        return self.organisations(organisation_id)

    def follow_age(self, case_id: UUID, actor: Actor, now: datetime) -> AgeFollowed:
        """Bring one case's age band and minority up to date from the birth date in the vault
        (Case.follow_age). A case whose personal data is erased is left as it is."""
        for _attempt in range(_SAVE_ATTEMPTS):
            case = self.get(case_id)
            person = None if case.personal_data_erased else self.vault.read(case_id)
            if person is None:
                return AgeFollowed.ERASED
            case.follow_age(person.birth_date, actor, now)
            if not case.pending_events:
                return AgeFollowed.UP_TO_DATE
            try:
                self.record.save(case)
            except IntegrityError:
                continue  # a coordinator saved the case meanwhile: decide again on it
            return AgeFollowed.UPDATED
        raise IntegrityError(f"Case {case_id} kept changing while its age was followed")

    def appoint_guardian(
        self, case_id: UUID, appointed_on: date, actor: Actor, now: datetime
    ) -> int:
        """Record that a guardian (tutore) was appointed for an unaccompanied minor."""
        case = self.get(case_id)
        case.appoint_guardian(appointed_on, actor, now)
        return position_of(self.record.save(case))

    def assess_vulnerability(
        self, case_id: UUID, vulnerability: Vulnerability, assessed_on: date,
        assessed_by: AssessingService, actor: Actor, now: datetime,
    ) -> int:
        """Record that a service assessed (accertato) one of the person's vulnerabilities."""
        case = self.get(case_id)
        case.assess_vulnerability(vulnerability, assessed_on, assessed_by, actor, now)
        return position_of(self.record.save(case))

    def describe_other_vulnerability(
        self, case_id: UUID, text_id: UUID, description: str, actor: Actor, now: datetime
    ) -> int:
        """Say what the person's `other` vulnerability is: the text to the vault, under the
        person's key, the event with its id and digest. Nothing is kept if it is refused."""
        description = check_other_vulnerability_description(description)
        case = self.get(case_id)
        case.check_describable()  # before anything reaches the vault
        try:
            digest = self.vault.store_text(case_id, text_id, description)
        except LookupError:
            raise InvalidVulnerabilityDescription(
                "This person's personal data has been erased: no new text is kept on them.",
                field="case",
            ) from None
        try:
            case.describe_other_vulnerability(TextReference(text_id, digest), actor, now)
            return position_of(self.record.save(case))
        except BaseException:
            self.vault.discard_text(case_id, text_id)
            raise

    def other_vulnerability_description(self, case_id: UUID) -> str | None:
        """The latest description of the person's `other` vulnerability; None when there is
        none, or it was erased. Whether the reader may see it is the access policy's call."""
        case = self.get(case_id)
        if case.other_vulnerability is None:
            return None
        return self.vault.read_text(case_id, case.other_vulnerability.text_id)

    def case_text(self, case_id: UUID, text_id: UUID) -> str | None:
        """A free text kept on the person in the vault (a referral's note, a move-out note...,
        whose events carry only its id and digest); None when unknown or erased. Whether the
        reader may see it is the access policy's call."""
        return self.vault.read_text(case_id, text_id)

    def intake_by_key(self, command_key: str | None) -> IntakeReceipt | None:
        """The receipt of the intake recorded with `command_key`, or None when there is none
        (or no key). Its position is the record's end, which covers the case (the case's own
        position is not kept; a reader waiting for the end may wait for a later event, or be
        told the views are delayed when the end is an event never published)."""
        if command_key is None:
            return None
        try:
            noted: object = self.record.repository.get(IntakeByKey.id_for(command_key))
        except AggregateNotFoundError:
            return None
        assert isinstance(noted, IntakeByKey)
        return self._receipt(self.get(noted.case_id))

    def _receipt_if_saved(self, case_id: UUID) -> IntakeReceipt | None:
        """The receipt of the case `case_id` if the record holds it, else None."""
        try:
            return self._receipt(self.get(case_id))
        except CaseNotFound:
            return None

    def _receipt(self, case: Case) -> IntakeReceipt:
        """The receipt of a case read from the record. Its position is the record's end, which
        covers the case (the case's own position is not kept)."""
        return IntakeReceipt(case.id, case.case_code,
                             self.record.recorder.max_notification_id() or 0)

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


def _note_of(command_key: str | None, case_id: UUID, now: datetime) -> tuple[IntakeByKey, ...]:
    """The note of the command that records the intake of `case_id` (none without a key)."""
    return () if command_key is None else (IntakeByKey.record(command_key, case_id, now),)


def _saved_with(
    saved_with_case: SavedWithCase | None, case: Case,
) -> Sequence[MutableAggregateProtocol[UUID]]:
    """What `saved_with_case` saves with `case` (nothing without it)."""
    return () if saved_with_case is None else saved_with_case(case.case_code)


def _other_description(facts: IntakeFacts, description: str | None) -> str | None:
    """An intake's description of its `other` vulnerability, checked: given exactly when the
    vulnerability is."""
    has_other = Vulnerability.OTHER in facts.vulnerabilities
    if description is not None and not description.strip() and not has_other:
        return None
    if description is None or not description.strip():
        if has_other:
            raise InvalidVulnerabilityDescription(
                "Say what the other vulnerability is, in up to 1,000 characters.",
                field="other_vulnerability_description",
            )
        return None
    if not has_other:
        raise InvalidVulnerabilityDescription(
            "A description is given, but no \"other\" vulnerability is recorded.",
            field="other_vulnerability_description",
        )
    return check_other_vulnerability_description(description)
