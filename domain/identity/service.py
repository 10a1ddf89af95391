"""Application service for duplicate persons: the check an intake runs before saving, the
noting of a possible match the operator went on with, and a coordinator's decision on it.

Who may call what is settled by the caller against domain.access: the check and the noting run
inside an intake (RECORD_INTAKE); confirming or ruling out a match is LINK_SAME_PERSON, held by
the coordinators of the city of the case on which the match was noted (the newer case: its city
has the person in front of it, and asks the other city by the usual channels)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.identity.keys import IdentityKey, identity_keys
from domain.identity.model import (
    CasePerson,
    DifferentPersonsLinked,
    IdentityError,
    MatchFound,
    NothingToSearchBy,
    PersonIndex,
    PossibleMatch,
    PossibleSamePerson,
    case_person_id_for,
)
from domain.programme import Actor, City
from domain.record import ProgrammeRecord, save_decided
from domain.vault import AccessReason, IdentifierAccess, PersonalData

_SAVE_ATTEMPTS = 5
# The most possible matches an intake reports and notes. More cases than this sharing a key are
# no longer a person found but a key shared by many (a placeholder document number, say): the
# first ones found are enough to make the operator look.
MAX_MATCHES = 10


class MatchNotFound(LookupError):
    """Raised when no possible match has the given id."""


class CaseToMatch(Protocol):
    """What the check needs of a case (the cases context's Case is one)."""

    @property
    def case_code(self) -> str: ...

    @property
    def city(self) -> City: ...

    @property
    def personal_data_erased(self) -> bool: ...


class CasesToMatch(Protocol):
    def get(self, case_id: UUID) -> CaseToMatch:
        """The case; a LookupError when there is none."""
        ...


class AccessLog(Protocol):
    """Where readings of identifiers are logged (the vault's access log)."""

    def record_access(self, access: IdentifierAccess) -> None: ...


class Receipt(Protocol):
    @property
    def case_id(self) -> UUID: ...

    @property
    def case_code(self) -> str: ...

    @property
    def position(self) -> int: ...


_R = TypeVar("_R", bound=Receipt)

# The notes of the possible matches an intake went on with, for the case numbered `case_code`.
NotesOfMatches = Callable[[str], Sequence[PossibleMatch]]


@dataclass(frozen=True)
class CheckedIntake(Generic[_R]):
    """An intake recorded after the check: its receipt, the possible matches it went on with
    (noted on the new case), and the log position of the last event written."""

    receipt: _R
    matches: tuple[MatchFound, ...]
    position: int


class IdentityService:
    def __init__(
        self, record: ProgrammeRecord, index: PersonIndex, cases: CasesToMatch,
        access_log: AccessLog, new_person_id: Callable[[], UUID] = uuid4,
    ) -> None:
        self.record = record
        self.index = index
        self.cases = cases
        self.access_log = access_log
        # Random, never derived from identifiers: a person id cannot be recomputed from a name.
        self.new_person_id = new_person_id

    def possible_matches(
        self, person: PersonalData, city: City | None = None, exclude: UUID | None = None,
    ) -> list[MatchFound]:
        """The cases (in `city` only, when given) whose person has any key in common with
        `person`: by case code. Cases whose person was erased are not indexed any more."""
        return self._cases_keyed(identity_keys(person), city, exclude)

    def search(
        self, city: City, keys: tuple[IdentityKey, ...], reason: AccessReason, actor: Actor,
        now: datetime,
    ) -> list[MatchFound]:
        """The city's cases whose person has any of these keys (domain.identity.keys.keys_of):
        a search by identifiers, which tells who a case is about, so each case found is logged
        as a reading of its identifiers, for `reason`, before it is returned. Whether `actor`
        may search (their own city's staff) is the access policy's call."""
        if not keys:
            raise NothingToSearchBy(
                "Give the names with the birth date, a document number or a tax code.")
        found = self._cases_keyed(keys, city, None)
        for match in found:
            self.access_log.record_access(IdentifierAccess(
                at=now, actor_id=actor.id, actor_role=actor.role.value,
                actor_city=actor.city.value if actor.city else None,
                case_id=match.case_id, case_code=match.case_code, reason=reason))
        return found

    def _cases_keyed(
        self, keys: tuple[IdentityKey, ...], city: City | None, exclude: UUID | None,
    ) -> list[MatchFound]:
        found = []
        for indexed in self.index.find(keys):
            if indexed.case_id == exclude:
                continue
            try:
                case = self.cases.get(indexed.case_id)
            except LookupError:
                continue  # indexed by an intake that failed and is being undone
            if case.personal_data_erased or (city is not None and case.city != city):
                continue
            found.append(MatchFound(indexed.case_id, case.case_code, case.city, indexed.kinds))
            if len(found) == MAX_MATCHES:
                break
        return sorted(found, key=lambda match: match.case_code)

    def take_in(
        self, case_id: UUID, city: City, person: PersonalData, go_on_if_matched: bool,
        record_intake: Callable[[NotesOfMatches], _R], actor: Actor, now: datetime,
    ) -> CheckedIntake[_R]:
        """Look for the person among the cases of every city; refuse (PossibleSamePerson, nothing
        written) when found unless `go_on_if_matched`; else record the intake with
        `record_intake` (whose vault indexes the person with their identifiers, in the same
        transaction, and erases both if the intake then fails). `record_intake` is given the
        notes of the matches, to be saved in the case's own transaction (CaseService.record_intake's
        `saved_with_case`): a case recorded without the notes of the matches its operator went on
        with would hide the possible duplicate from the coordinators who decide on it."""
        matches = self.possible_matches(person)
        if matches and not go_on_if_matched:
            raise PossibleSamePerson(matches)

        def notes(case_code: str) -> list[PossibleMatch]:
            # Made anew at each call: a save that fails has taken the events of the ones before.
            return [PossibleMatch.note(case_id, case_code, city, match, actor, now)
                    for match in matches]

        receipt = record_intake(notes)
        return CheckedIntake(receipt, tuple(matches), receipt.position)

    def confirm(
        self, match_id: UUID, actor: Actor, now: datetime,
        new_person_id: Callable[[], UUID] | None = None,
    ) -> int:
        """The two cases are the same person: both get one person id (the one either already
        has, else a new random one, from `new_person_id` when given: the demo's reproducible
        source). Refused when they already are two different people."""

        def decide() -> list[PossibleMatch | CasePerson]:
            match = self.get(match_id)
            match._require_possible()
            mine, theirs = self._person_of(match.case_id), self._person_of(match.other_case_id)
            if mine is not None and theirs is not None and mine.person_id != theirs.person_id:
                raise DifferentPersonsLinked(
                    "These two cases are already linked to two different people.",
                    case_code=match.case_code, other_case_code=match.other_case_code)
            existing = mine or theirs
            person_id = existing.person_id if existing is not None else (
                new_person_id or self.new_person_id)()
            match.confirm(person_id, actor, now)
            saved: list[PossibleMatch | CasePerson] = [match]
            if mine is None:
                saved.append(CasePerson.link(
                    match.case_id, match.case_code, match.city, person_id,
                    match.other_case_id, match.other_case_code, actor, now))
            if theirs is None:
                other = self._case(match.other_case_id)
                saved.append(CasePerson.link(
                    match.other_case_id, other.case_code, other.city, person_id,
                    match.case_id, match.case_code, actor, now))
            return saved

        return save_decided(self.record, decide, _SAVE_ATTEMPTS)

    def rule_out(self, match_id: UUID, actor: Actor, now: datetime) -> int:
        """Not the same person: the match stays in the record as ruled out."""

        def decide() -> list[PossibleMatch]:
            match = self.get(match_id)
            match.rule_out(actor, now)
            return [match]

        return save_decided(self.record, decide, _SAVE_ATTEMPTS)

    def get(self, match_id: UUID) -> PossibleMatch:
        try:
            match: object = self.record.repository.get(match_id)
        except AggregateNotFoundError:
            raise MatchNotFound(match_id) from None
        if not isinstance(match, PossibleMatch):
            raise MatchNotFound(match_id)
        return match

    def person_of(self, case_id: UUID) -> UUID | None:
        """The pseudonymous person id of a case, once a match on it was confirmed."""
        linked = self._person_of(case_id)
        return None if linked is None else linked.person_id

    def _person_of(self, case_id: UUID) -> CasePerson | None:
        try:
            linked: object = self.record.repository.get(case_person_id_for(case_id))
        except AggregateNotFoundError:
            return None
        return linked if isinstance(linked, CasePerson) else None

    def _case(self, case_id: UUID) -> CaseToMatch:
        try:
            return self.cases.get(case_id)
        except LookupError:
            raise IdentityError("The other case is not in the record.") from None

