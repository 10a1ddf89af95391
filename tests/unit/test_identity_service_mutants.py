"""The duplicate-person service at its edges (issue 20): a search by identifiers logged case by
case before it answers, the matches kept to MAX_MATCHES (at the limit and one past), in case-code
order, without the case excluded, another city's (when a city is given), an erased person's or a
case the record does not hold; the position an intake returns with and without matches; a
confirmation's person id; and each refusal's code and message. With the real record (in memory),
vault and blind index (SQLite).

DOMAIN.md, "Data protection": every reading of a person's identifiers is logged (GDPR art. 5(2),
accountability); a search tells who a case is about, so each case found is such a reading."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.cases.service import CaseService
from domain.identity.keys import KeyKind, keys_of
from domain.identity.model import (
    CasePerson,
    IdentityError,
    PersonIndex,
    PossibleMatch,
    case_person_id_for,
    match_id_for,
)
from domain.identity.service import MAX_MATCHES, IdentityService, MatchNotFound
from domain.programme import Actor, ActorKind, City, DomainError, Role
from domain.record import ProgrammeRecord
from domain.vault import AccessReason, IdentifierAccess, PersonalData
from infra.settings import Settings
from infra.store.person_index import open_person_index
from infra.store.vault import open_vault
from tests.builders import NOW, a_coordinator, a_person, an_intake

MINISTRY = Actor(ActorKind.USER, "ministero", Role.MINISTRY)
DOCUMENT = "YA1234567"


@dataclass
class AccessLog:
    accesses: list[IdentifierAccess] = field(default_factory=list)

    def record_access(self, access: IdentifierAccess) -> None:
        self.accesses.append(access)


@dataclass
class Parts:
    record: ProgrammeRecord
    cases: CaseService
    index: PersonIndex
    log: AccessLog
    identity: IdentityService

    def take_in(self, city: City, person: PersonalData | None = None,
                case_id: UUID | None = None) -> UUID:
        """A case taken in without the duplicate check (as an import would)."""
        return self.cases.record_intake(case_id or uuid4(), an_intake(city),
                                        person or a_person(), a_coordinator(city),
                                        NOW).case_id

    def checked_intake(self, city: City, go_on: bool = True) -> Any:
        case_id = uuid4()
        return self.identity.take_in(
            case_id, city, a_person(), go_on,
            lambda notes: self.cases.record_intake(case_id, an_intake(city), a_person(),
                                                   a_coordinator(city), NOW,
                                                   saved_with_case=notes),
            a_coordinator(city), NOW)


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    settings = Settings(data_dir=tmp_path)
    record, vault, index = ProgrammeRecord(), open_vault(settings), open_person_index(settings)
    cases = CaseService(record, vault)
    log = AccessLog()
    yield Parts(record, cases, index, log, IdentityService(record, index, cases, log))
    index.close()
    vault.close()


def search_keys() -> tuple[Any, ...]:
    return keys_of(None, None, None, document_number=DOCUMENT)


def test_a_search_logs_each_case_found_as_a_reading_of_its_identifiers(parts: Parts) -> None:
    firenze = parts.take_in(City.FIRENZE)
    parts.take_in(City.MILANO)  # the same person in another city: not this city's search
    parts.take_in(City.FIRENZE, a_person(document_number="ZZ0000000", given_name="Sara"))
    actor = a_coordinator(City.FIRENZE, id="firenze.anna")
    found = parts.identity.search(City.FIRENZE, search_keys(), AccessReason.CONTACT_PERSON,
                                  actor, NOW)
    assert [(m.case_id, m.case_code, m.city, m.kinds) for m in found] == [
        (firenze, "FI-2021-00001", City.FIRENZE, frozenset({KeyKind.DOCUMENT_NUMBER}))]
    assert parts.log.accesses == [IdentifierAccess(
        at=NOW, actor_id="firenze.anna", actor_role="city_coordinator", actor_city="firenze",
        case_id=firenze, case_code="FI-2021-00001", reason=AccessReason.CONTACT_PERSON)]


def test_a_search_by_someone_of_no_city_logs_no_city(parts: Parts) -> None:
    case_id = parts.take_in(City.MILANO)
    parts.identity.search(City.MILANO, search_keys(), AccessReason.LEGAL_OBLIGATION, MINISTRY,
                          NOW)
    (access,) = parts.log.accesses
    assert (access.actor_id, access.actor_role, access.actor_city, access.case_id,
            access.reason) == ("ministero", "ministry", None, case_id,
                               AccessReason.LEGAL_OBLIGATION)


def test_a_search_without_a_key_is_refused_and_logs_nothing(parts: Parts) -> None:
    with pytest.raises(DomainError) as refused:
        parts.identity.search(City.FIRENZE, (), AccessReason.CONTACT_PERSON, MINISTRY, NOW)
    assert (refused.value.code, refused.value.message) == (
        "nothing_to_search_by",
        "Give the names with the birth date, a document number or a tax code.")
    assert parts.log.accesses == []


@pytest.mark.parametrize("cases", [MAX_MATCHES, MAX_MATCHES + 1])
def test_at_most_ten_matches_in_case_code_order(parts: Parts, cases: int) -> None:
    """A key shared by more cases than MAX_MATCHES is a placeholder more than a person: the
    first ten found are enough to make the operator look."""
    assert MAX_MATCHES == 10
    taken = [parts.take_in(City.FIRENZE) for _ in range(cases)]
    found = parts.identity.possible_matches(a_person())
    assert len(found) == MAX_MATCHES
    codes = [m.case_code for m in found]
    assert codes == sorted(codes) and len(set(codes)) == MAX_MATCHES
    assert {m.case_id for m in found} <= set(taken)
    searched = parts.identity.search(City.FIRENZE, search_keys(), AccessReason.CONTACT_PERSON,
                                     MINISTRY, NOW)
    assert len(searched) == len(parts.log.accesses) == MAX_MATCHES


def test_the_matches_leave_out_the_case_excluded_another_city_s_and_an_erased_person(
    parts: Parts,
) -> None:
    # The index lists cases by id: the erased one first, then Firenze's, then Milano's, so a
    # case left out comes before one found (the search goes on past it, it does not stop).
    erased, firenze, milano = (parts.take_in(City.BARI, case_id=UUID(int=1)),
                               parts.take_in(City.FIRENZE, case_id=UUID(int=2)),
                               parts.take_in(City.MILANO, case_id=UUID(int=3)))
    parts.cases.erase_personal_data(erased, NOW.date(), "PG/2021/1", a_coordinator(City.BARI),
                                    NOW)
    every = parts.identity.possible_matches(a_person())
    assert [(m.case_code, m.city) for m in every] == [
        ("FI-2021-00001", City.FIRENZE), ("MI-2021-00001", City.MILANO)]
    assert [m.case_id for m in parts.identity.possible_matches(a_person(), City.MILANO)] == [
        milano]
    assert [m.case_id for m in parts.identity.possible_matches(a_person(), exclude=milano)] == [
        firenze]


class Forgetful:
    """The cases, once one indexed case is no longer in the record (its intake failed and is
    being undone)."""

    def __init__(self, cases: CaseService, forgotten: UUID) -> None:
        self.cases, self.forgotten = cases, forgotten

    def get(self, case_id: UUID) -> Any:
        if case_id == self.forgotten:
            raise LookupError(case_id)
        return self.cases.get(case_id)


def test_a_case_indexed_but_not_in_the_record_is_no_match_and_the_others_still_are(
    parts: Parts,
) -> None:
    taken = [parts.take_in(city) for city in (City.FIRENZE, City.MILANO, City.BARI)]
    for gone in taken:  # whichever the index finds first, the others are still found
        identity = IdentityService(parts.record, parts.index, Forgetful(parts.cases, gone),
                                   parts.log)
        found = {m.case_id for m in identity.possible_matches(a_person())}
        assert found == set(taken) - {gone}


def test_an_intake_returns_the_position_of_its_save_the_notes_of_its_matches_included(
    parts: Parts,
) -> None:
    alone = parts.checked_intake(City.FIRENZE, go_on=False)
    assert (alone.matches, alone.position) == ((), alone.receipt.position)
    assert alone.position == parts.record.recorder.max_notification_id()
    with pytest.raises(DomainError) as refused:
        parts.checked_intake(City.MILANO, go_on=False)
    assert refused.value.code == "possible_same_person"
    again = parts.checked_intake(City.MILANO)
    assert [m.case_code for m in again.matches] == ["FI-2021-00001"]
    # The case and the note of its match are one save; the answer waits for the last of it.
    assert again.position == again.receipt.position == (
        parts.record.recorder.max_notification_id())
    # What the first intake (a new register too) wrote, and the note.
    assert again.position - alone.position == alone.position + 1


def test_a_confirmation_uses_the_person_id_given_else_the_one_found_else_the_service_s(
    parts: Parts,
) -> None:
    first = parts.checked_intake(City.FIRENZE).receipt.case_id
    second = parts.checked_intake(City.MILANO).receipt.case_id
    third = parts.checked_intake(City.BARI).receipt.case_id
    chosen, default = UUID(int=1), UUID(int=2)
    identity = IdentityService(parts.record, parts.index, parts.cases, parts.log,
                               new_person_id=lambda: default)
    position = identity.confirm(match_id_for(second, first), a_coordinator(City.MILANO), NOW,
                                new_person_id=lambda: chosen)
    assert position == parts.record.recorder.max_notification_id()
    assert (identity.person_of(first), identity.person_of(second)) == (chosen, chosen)
    # The first case has a person already: the third is linked to it, nothing new is drawn.
    identity.confirm(match_id_for(third, first), a_coordinator(City.BARI), NOW)
    assert identity.person_of(third) == chosen
    # Neither case of this match has a person yet: the service's own source names one.
    someone_else = a_person(given_name="Nadia", document_number="CC3333333")
    fourth = parts.take_in(City.ROMA, someone_else)
    fifth_id = uuid4()
    identity.take_in(
        fifth_id, City.TORINO, someone_else, True,
        lambda notes: parts.cases.record_intake(fifth_id, an_intake(City.TORINO), someone_else,
                                                a_coordinator(City.TORINO), NOW,
                                                saved_with_case=notes),
        a_coordinator(City.TORINO), NOW)
    identity.confirm(match_id_for(fifth_id, fourth), a_coordinator(City.TORINO), NOW)
    assert (identity.person_of(fourth), identity.person_of(fifth_id)) == (default, default)


def test_a_ruled_out_match_returns_its_position_and_links_nobody(parts: Parts) -> None:
    first = parts.checked_intake(City.FIRENZE).receipt.case_id
    second = parts.checked_intake(City.MILANO).receipt.case_id
    position = parts.identity.rule_out(match_id_for(second, first), a_coordinator(City.MILANO),
                                       NOW)
    assert position == parts.record.recorder.max_notification_id()
    assert parts.identity.person_of(second) is None


def test_a_match_of_two_people_apart_is_refused_naming_both_cases(parts: Parts) -> None:
    a = parts.take_in(City.FIRENZE, a_person(document_number="AA1111111", given_name="Sara"))
    b = parts.take_in(City.MILANO, a_person(document_number="BB2222222", given_name="Lia"))
    both = parts.take_in(City.BARI, a_person(document_number="AA1111111", given_name="Lia"))
    parts.record.save(CasePerson.link(a, "FI-2021-00001", City.FIRENZE, UUID(int=1), a,
                                      "FI-2021-00001", MINISTRY, NOW))
    parts.record.save(CasePerson.link(both, "BA-2021-00001", City.BARI, UUID(int=1), a,
                                      "FI-2021-00001", MINISTRY, NOW))
    parts.record.save(CasePerson.link(b, "MI-2021-00001", City.MILANO, UUID(int=2), b,
                                      "MI-2021-00001", MINISTRY, NOW))
    matches = parts.identity.possible_matches(
        a_person(document_number="BB2222222", given_name="Lia"), exclude=b)
    assert [m.case_id for m in matches] == [both]
    (found,) = [m for m in parts.identity.possible_matches(
        a_person(document_number="BB2222222", given_name="Lia")) if m.case_id == b]
    parts.record.save(PossibleMatch.note(both, "BA-2021-00001", City.BARI, found,
                                         a_coordinator(City.BARI), NOW))
    written = parts.record.recorder.max_notification_id()
    with pytest.raises(DomainError) as refused:
        parts.identity.confirm(match_id_for(both, b), a_coordinator(City.BARI), NOW)
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "different_persons_linked",
        "These two cases are already linked to two different people.",
        {"case_code": "BA-2021-00001", "other_case_code": "MI-2021-00001"})
    assert parts.record.recorder.max_notification_id() == written


def test_an_unknown_match_or_another_aggregate_s_id_is_no_match(parts: Parts) -> None:
    unknown = uuid4()
    with pytest.raises(MatchNotFound) as not_found:
        parts.identity.get(unknown)
    assert not_found.value.args == (unknown,)
    assert not_found.value.__suppress_context__
    case_id = parts.take_in(City.FIRENZE)
    with pytest.raises(MatchNotFound) as not_a_match:
        parts.identity.get(case_id)
    assert not_a_match.value.args == (case_id,)
    assert parts.identity.person_of(case_id) is None


class Vanished:
    """The cases, once the other case of a match is no longer in the record."""

    def __init__(self, cases: CaseService, gone: UUID) -> None:
        self.cases, self.gone = cases, gone

    def get(self, case_id: UUID) -> Any:
        if case_id == self.gone:
            raise LookupError(case_id)
        return self.cases.get(case_id)


def test_a_match_whose_other_case_is_gone_is_refused(parts: Parts) -> None:
    first = parts.checked_intake(City.FIRENZE)
    second = parts.checked_intake(City.MILANO)
    identity = IdentityService(parts.record, parts.index,
                               Vanished(parts.cases, first.receipt.case_id), parts.log)
    with pytest.raises(IdentityError) as refused:
        identity.confirm(match_id_for(second.receipt.case_id, first.receipt.case_id),
                         a_coordinator(City.MILANO), NOW)
    assert (refused.value.code, refused.value.message) == (
        "identity_error", "The other case is not in the record.")
    assert refused.value.__suppress_context__


def fields_of(parts: Parts, aggregate_id: UUID) -> list[tuple[str, dict[str, Any]]]:
    return [(type(event).__name__,
             {name: value for name, value in vars(event).items()
              if name not in ("originator_id", "originator_version", "originator_topic")})
            for event in parts.record.events.get(aggregate_id)]


def test_a_confirmation_records_the_match_and_both_links_field_by_field(parts: Parts) -> None:
    """What a confirmation stores (the match confirmed, each case linked to the person and to
    the other case) names both cases by id and code, and the moment of the decision."""
    first = parts.checked_intake(City.FIRENZE).receipt
    second = parts.checked_intake(City.MILANO).receipt
    person = UUID(int=7)
    coordinator = a_coordinator(City.MILANO)
    decided_at = NOW + timedelta(days=2)
    match_id = match_id_for(second.case_id, first.case_id)
    parts.identity.confirm(match_id, coordinator, decided_at, new_person_id=lambda: person)
    confirmed = fields_of(parts, match_id)[-1]
    assert confirmed == ("Confirmed", {
        "timestamp": decided_at, "case_id": second.case_id, "case_code": "MI-2021-00001",
        "city": "milano", "other_case_id": first.case_id, "other_case_code": "FI-2021-00001",
        "person_id": person, "actor": coordinator.as_record()})
    assert fields_of(parts, case_person_id_for(second.case_id)) == [("Linked", {
        "timestamp": decided_at, "case_id": second.case_id, "case_code": "MI-2021-00001",
        "city": "milano", "person_id": person, "linked_with_case_id": first.case_id,
        "linked_with_case_code": "FI-2021-00001", "actor": coordinator.as_record()})]
    assert fields_of(parts, case_person_id_for(first.case_id)) == [("Linked", {
        "timestamp": decided_at, "case_id": first.case_id, "case_code": "FI-2021-00001",
        "city": "firenze", "person_id": person, "linked_with_case_id": second.case_id,
        "linked_with_case_code": "MI-2021-00001", "actor": coordinator.as_record()})]


def test_a_ruled_out_match_records_both_cases_and_the_moment(parts: Parts) -> None:
    first = parts.checked_intake(City.FIRENZE).receipt
    second = parts.checked_intake(City.MILANO).receipt
    coordinator = a_coordinator(City.MILANO)
    decided_at = NOW + timedelta(days=2)
    match_id = match_id_for(second.case_id, first.case_id)
    parts.identity.rule_out(match_id, coordinator, decided_at)
    assert fields_of(parts, match_id)[-1] == ("RuledOut", {
        "timestamp": decided_at, "case_id": second.case_id, "case_code": "MI-2021-00001",
        "city": "milano", "other_case_id": first.case_id, "other_case_code": "FI-2021-00001",
        "actor": coordinator.as_record()})


def test_a_match_noted_at_intake_records_the_intake_s_moment(parts: Parts) -> None:
    first = parts.checked_intake(City.FIRENZE).receipt
    case_id = uuid4()
    at = NOW + timedelta(hours=3)
    parts.identity.take_in(
        case_id, City.MILANO, a_person(), True,
        lambda notes: parts.cases.record_intake(case_id, an_intake(City.MILANO), a_person(),
                                                a_coordinator(City.MILANO), at,
                                                saved_with_case=notes),
        a_coordinator(City.MILANO), at)
    ((name, noted),) = fields_of(parts, match_id_for(case_id, first.case_id))
    assert (name, noted["timestamp"], noted["case_id"], noted["other_case_id"]) == (
        "Noted", at, case_id, first.case_id)
