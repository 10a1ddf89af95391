"""Duplicate persons across the 19 cities: what the intake's check finds, what a coordinator
decides about it, and the pseudonymous person id that a confirmed match gives the cases.

- `PossibleMatch`: a new case whose person's keys matched an existing case's at intake, recorded
  when the operator chose to go on with a new case ("possible same person"). A coordinator of
  the new case's city confirms it (the person is in front of them; the other city is asked by
  phone or mail, never shown more than its case code) or rules it out.
- `CasePerson`: which person a case is about, once a match is confirmed: a random id (uuid4,
  never derived from identifiers, so it cannot be recomputed from a name) shared by every case
  confirmed to be the same person. A case with no `CasePerson` is a person of its own: network
  figures count `person_id` or else the case itself (projections.person_links).

No identifier is in any of these events: case ids and codes (pseudonymous already), cities, the
kinds of identifiers that matched, the actor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.identity.keys import IdentityKey, KeyKind
from domain.programme import Actor, City, DomainError

_MATCH_NAMESPACE = UUID("6a0f3c8e-51d4-4e7a-9b0c-2f18d7c4e9a1")
_CASE_PERSON_NAMESPACE = UUID("0d5b7e2a-8c61-4f3b-a4e9-71c2b8f05d36")


class IdentityError(DomainError):
    """Raised when a decision on a possible duplicate breaks a rule."""

    code = "identity_error"


class PossibleSamePerson(IdentityError):
    """Raised at intake when the person's keys match cases already taken in, and the operator
    has not said to go on with a new case all the same. `matches` names them (code and city,
    nothing else of another city's case)."""

    code = "possible_same_person"

    def __init__(self, matches: Sequence[MatchFound]) -> None:
        codes = ", ".join(f"{m.case_code} ({m.city.value})" for m in matches)
        super().__init__(
            f"This person may already be case {codes}: go on with a new case only if it is "
            "someone else, or ask that city for a transfer.", cases=codes)
        self.matches = tuple(matches)


class NothingToSearchBy(IdentityError):
    """Raised when a search by identifiers gives no complete key: names with birth date, a
    document number or a tax code."""

    code = "nothing_to_search_by"


class MatchAlreadyDecided(IdentityError):
    """Raised when a possible match already confirmed or ruled out is decided again."""

    code = "match_already_decided"


class DifferentPersonsLinked(IdentityError):
    """Raised when a match would join two cases already confirmed as two different people:
    linking them would merge two people's histories, which needs both cities to look first."""

    code = "different_persons_linked"


@dataclass(frozen=True)
class IndexedCase:
    """A case the blind index knows a key of: its id, and which kinds of keys matched."""

    case_id: UUID
    kinds: frozenset[KeyKind]


@dataclass(frozen=True)
class MatchFound:
    """A possible match as an intake page may show it: the case code and city, and which kinds
    of identifiers matched. Nothing else of another city's case."""

    case_id: UUID
    case_code: str
    city: City
    kinds: frozenset[KeyKind]


class PersonIndex(Protocol):
    """The keyed blind index of persons taken in (infra.store.person_index): keyed hashes of
    `IdentityKey`s by case. It lives in the vault's store; erasing a person there removes their
    entries too."""

    def add(self, case_id: UUID, keys: Sequence[IdentityKey]) -> None:
        """Index a case's person under these keys."""

    def find(self, keys: Sequence[IdentityKey]) -> list[IndexedCase]:
        """The cases indexed under any of these keys."""

    def remove(self, case_id: UUID) -> int:
        """Remove a case's entries; how many were removed."""

    def close(self) -> None: ...


class MatchStatus:
    POSSIBLE = "possible"
    CONFIRMED = "confirmed"
    RULED_OUT = "ruled_out"


def match_id_for(case_id: UUID, other_case_id: UUID) -> UUID:
    return uuid5(_MATCH_NAMESPACE, f"{case_id}/{other_case_id}")


def case_person_id_for(case_id: UUID) -> UUID:
    return uuid5(_CASE_PERSON_NAMESPACE, str(case_id))


class PossibleMatch(Aggregate):
    """A new case that may be the same person as an older one."""

    class Noted(Aggregate.Created):
        case_id: UUID
        case_code: str
        city: str
        other_case_id: UUID
        other_case_code: str
        other_city: str
        matched_on: list[str]
        actor: dict[str, str | None]

    def __init__(
        self, case_id: UUID, case_code: str, city: str, other_case_id: UUID,
        other_case_code: str, other_city: str, matched_on: list[str],
        actor: dict[str, str | None],
    ) -> None:
        self.case_id = case_id
        self.case_code = case_code
        self.city = City(city)
        self.other_case_id = other_case_id
        self.other_case_code = other_case_code
        self.other_city = City(other_city)
        self.matched_on = tuple(KeyKind(kind) for kind in matched_on)
        self.status = MatchStatus.POSSIBLE
        self.person_id: UUID | None = None

    @classmethod
    def note(
        cls, case_id: UUID, case_code: str, city: City, found: MatchFound, actor: Actor,
        now: datetime,
    ) -> PossibleMatch:
        return cls._create(
            cls.Noted, id=match_id_for(case_id, found.case_id), timestamp=now,
            case_id=case_id, case_code=case_code, city=city.value,
            other_case_id=found.case_id, other_case_code=found.case_code,
            other_city=found.city.value, matched_on=sorted(k.value for k in found.kinds),
            actor=actor.as_record(),
        )

    class Confirmed(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        other_case_id: UUID
        other_case_code: str
        person_id: UUID
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, PossibleMatch)
            aggregate.status = MatchStatus.CONFIRMED
            aggregate.person_id = self.person_id

    class RuledOut(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        other_case_id: UUID
        other_case_code: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, PossibleMatch)
            aggregate.status = MatchStatus.RULED_OUT

    def _require_possible(self) -> None:
        if self.status != MatchStatus.POSSIBLE:
            raise MatchAlreadyDecided(
                f"This possible match was already {self.status.replace('_', ' ')}.",
                status=self.status)

    def confirm(self, person_id: UUID, actor: Actor, now: datetime) -> None:
        self._require_possible()
        self.trigger_event(
            self.Confirmed, timestamp=now, case_id=self.case_id, case_code=self.case_code,
            city=self.city.value, other_case_id=self.other_case_id,
            other_case_code=self.other_case_code, person_id=person_id,
            actor=actor.as_record())

    def rule_out(self, actor: Actor, now: datetime) -> None:
        self._require_possible()
        self.trigger_event(
            self.RuledOut, timestamp=now, case_id=self.case_id, case_code=self.case_code,
            city=self.city.value, other_case_id=self.other_case_id,
            other_case_code=self.other_case_code, actor=actor.as_record())


class CasePerson(Aggregate):
    """The pseudonymous person a case is about, from the first confirmed match on. Its id is
    derived from the case id (one per case); the person id it holds is random."""

    class Linked(Aggregate.Created):
        case_id: UUID
        case_code: str
        city: str
        person_id: UUID
        linked_with_case_id: UUID
        linked_with_case_code: str
        actor: dict[str, str | None]

    def __init__(
        self, case_id: UUID, case_code: str, city: str, person_id: UUID,
        linked_with_case_id: UUID, linked_with_case_code: str, actor: dict[str, str | None],
    ) -> None:
        self.case_id = case_id
        self.case_code = case_code
        self.city = City(city)
        self.person_id = person_id

    @classmethod
    def link(
        cls, case_id: UUID, case_code: str, city: City, person_id: UUID, with_case_id: UUID,
        with_case_code: str, actor: Actor, now: datetime,
    ) -> CasePerson:
        return cls._create(
            cls.Linked, id=case_person_id_for(case_id), timestamp=now, case_id=case_id,
            case_code=case_code, city=city.value, person_id=person_id,
            linked_with_case_id=with_case_id, linked_with_case_code=with_case_code,
            actor=actor.as_record())
