"""The duplicate check with the real parts: the SQLite event store, the vault and the keyed blind
index kept in it (issue 16 item 7; docs/workflows/duplicates.md)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.cases.model import InvalidIntake
from domain.cases.service import CaseService, IntakeReceipt
from domain.identity.keys import KeyKind, identity_keys
from domain.identity.model import (
    CasePerson,
    DifferentPersonsLinked,
    MatchAlreadyDecided,
    MatchStatus,
    PossibleMatch,
    PossibleSamePerson,
    case_person_id_for,
    match_id_for,
)
from domain.identity.service import IdentityService
from domain.programme import FOUNDING_CITIES, City
from domain.record import ProgrammeRecord
from domain.vault import PersonalData, PersonalDataVault
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.person_index import SqlitePersonIndex, open_person_index
from infra.store.vault import VAULT_FILE_NAME, open_vault
from tests.builders import NOW, a_coordinator, a_person, an_intake


@dataclass
class Parts:
    record: ProgrammeRecord
    vault: PersonalDataVault
    cases: CaseService
    identity: IdentityService
    settings: Settings

    def take_in(self, city: City, person: PersonalData, go_on: bool = False,
                **facts: object) -> IntakeReceipt:
        case_id = uuid4()
        return self.identity.take_in(
            case_id, city, person, go_on,
            lambda notes: self.cases.record_intake(case_id, an_intake(city, **facts), person,
                                                   a_coordinator(city), NOW,
                                                   saved_with_case=notes),
            a_coordinator(city), NOW).receipt


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[Parts]:
    settings = Settings(data_dir=tmp_path)
    record, vault = open_record(settings), open_vault(settings)
    index = open_person_index(settings)
    cases = CaseService(record, vault)
    yield Parts(record, vault, cases, IdentityService(record, index, cases, vault), settings)
    index.close()
    vault.close()
    record.close()


def test_the_same_person_typed_otherwise_in_another_city_is_found(parts: Parts) -> None:
    first = parts.take_in(City.FIRENZE, a_person(given_name="Amina", family_name="Tesfaye"))
    again = a_person(given_name="  AMÍNA ", family_name="tes-faye", document_number=None)
    written = parts.record.recorder.max_notification_id()

    with pytest.raises(PossibleSamePerson) as refused:
        parts.take_in(City.MILANO, again)

    (match,) = refused.value.matches
    assert (match.case_id, match.case_code, match.city, match.kinds) == (
        first.case_id, "FI-2021-00001", City.FIRENZE,
        frozenset({KeyKind.NAME_AND_BIRTH_DATE}))
    assert "FI-2021-00001 (firenze)" in refused.value.message
    # Refused before anything was written: no event, no index entry, no identifiers kept.
    assert parts.record.recorder.max_notification_id() == written
    assert [m.case_id for m in parts.identity.possible_matches(again)] == [first.case_id]


def test_a_near_miss_is_not_a_match(parts: Parts) -> None:
    parts.take_in(City.FIRENZE, a_person())
    other_day = a_person(birth_date=date(1990, 5, 18), document_number="YA7654321")
    assert parts.identity.possible_matches(other_day) == []
    receipt = parts.take_in(City.MILANO, other_day)  # no question asked
    assert receipt.case_code == "MI-2021-00001"


def test_the_document_number_alone_matches(parts: Parts) -> None:
    first = parts.take_in(City.FIRENZE, a_person(document_number="YA1234567"))
    someone = a_person(given_name="Aminat", family_name="Tesfay", document_number="ya 1234567")
    (match,) = parts.identity.possible_matches(someone)
    assert (match.case_id, match.kinds) == (first.case_id,
                                            frozenset({KeyKind.DOCUMENT_NUMBER}))


def test_the_tax_code_matches_when_given(parts: Parts) -> None:
    first = parts.take_in(City.BARI, a_person(tax_code="TSFMNA90E57Z315X", document_number=None))
    someone = a_person(given_name="Mina", document_number=None, tax_code="tsfmna90e57z315x")
    (match,) = parts.identity.possible_matches(someone)
    assert (match.case_id, match.kinds) == (first.case_id, frozenset({KeyKind.TAX_CODE}))


def test_going_on_records_the_case_and_notes_the_possible_match(parts: Parts) -> None:
    first = parts.take_in(City.FIRENZE, a_person())
    case_id = uuid4()
    checked = parts.identity.take_in(
        case_id, City.MILANO, a_person(), True,
        lambda notes: parts.cases.record_intake(case_id, an_intake(City.MILANO), a_person(),
                                                a_coordinator(City.MILANO), NOW,
                                                saved_with_case=notes),
        a_coordinator(City.MILANO), NOW)

    assert checked.receipt.case_code == "MI-2021-00001"
    # The note is saved with the case: the answer's position is the last of that one save.
    assert checked.position == checked.receipt.position == (
        parts.record.recorder.max_notification_id())
    noted: object = parts.record.repository.get(match_id_for(case_id, first.case_id))
    assert isinstance(noted, PossibleMatch)
    (event,) = list(parts.record.events.get(noted.id))
    assert isinstance(event, PossibleMatch.Noted)
    assert (event.case_id, event.case_code, event.city, event.other_case_id,
            event.other_case_code, event.other_city, event.matched_on) == (
        case_id, "MI-2021-00001", "milano", first.case_id, "FI-2021-00001", "firenze",
        ["document_number", "name_and_birth_date"])
    assert event.actor == a_coordinator(City.MILANO).as_record()
    assert noted.status == MatchStatus.POSSIBLE


def test_the_notes_of_the_matches_are_saved_with_the_case_or_nothing_is(
        parts: Parts, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator who goes on past a possible match records a case *and* the note that makes
    the coordinators decide on it (docs/workflows/duplicates.md): a case saved without its note
    would hide the possible duplicate. One save holds both; when it fails, neither is recorded
    and the person's identifiers leave the vault, as for any failed intake."""
    first = parts.take_in(City.FIRENZE, a_person())
    written = parts.record.recorder.max_notification_id()
    saves: list[list[object]] = []
    save = parts.record.save

    def save_refusing_notes(*aggregates: object) -> object:
        saves.append(list(aggregates))
        if any(isinstance(aggregate, PossibleMatch) for aggregate in aggregates):
            raise sqlite3.OperationalError("disk I/O error")
        return save(*aggregates)  # type: ignore[arg-type]

    monkeypatch.setattr(parts.record, "save", save_refusing_notes)
    case_id = uuid4()
    with pytest.raises(sqlite3.OperationalError):
        parts.identity.take_in(
            case_id, City.MILANO, a_person(), True,
            lambda notes: parts.cases.record_intake(case_id, an_intake(City.MILANO), a_person(),
                                                    a_coordinator(City.MILANO), NOW,
                                                    saved_with_case=notes),
            a_coordinator(City.MILANO), NOW)

    assert [type(a).__name__ for a in saves[0]].count("PossibleMatch") == 1
    assert any(getattr(a, "id", None) == case_id for a in saves[0])  # the case, same save
    assert parts.record.recorder.max_notification_id() == written
    assert parts.vault.read(case_id) is None
    assert [m.case_id for m in parts.identity.possible_matches(a_person())] == [first.case_id]
    monkeypatch.undo()
    # Sent again, the intake is recorded with its note.
    again = parts.take_in(City.MILANO, a_person(), go_on=True)
    noted: object = parts.record.repository.get(match_id_for(again.case_id, first.case_id))
    assert isinstance(noted, PossibleMatch) and noted.case_code == again.case_code


def _noted_pair(parts: Parts, first_city: City = City.FIRENZE,
                second_city: City = City.MILANO, **person: object) -> tuple[UUID, UUID, UUID]:
    first = parts.take_in(first_city, a_person(**person))
    second = parts.take_in(second_city, a_person(**person), go_on=True)
    return first.case_id, second.case_id, match_id_for(second.case_id, first.case_id)


def test_a_confirmed_match_links_both_cases_to_one_random_person(parts: Parts) -> None:
    first, second, match_id = _noted_pair(parts)
    parts.identity.confirm(match_id, a_coordinator(City.MILANO), NOW)

    person = parts.identity.person_of(first)
    assert person is not None and person.version == 4  # random, not derived from anything
    assert parts.identity.person_of(second) == person
    link: object = parts.record.repository.get(case_person_id_for(first))
    assert isinstance(link, CasePerson)
    assert (link.case_code, link.city) == ("FI-2021-00001", City.FIRENZE)
    match = parts.identity.get(match_id)
    assert (match.status, match.person_id) == (MatchStatus.CONFIRMED, person)
    with pytest.raises(MatchAlreadyDecided):
        parts.identity.rule_out(match_id, a_coordinator(City.MILANO), NOW)

    # A third intake of the same person, confirmed against the first: the same person id.
    third = parts.take_in(City.BARI, a_person(), go_on=True)
    parts.identity.confirm(match_id_for(third.case_id, first), a_coordinator(City.BARI), NOW)
    assert parts.identity.person_of(third.case_id) == person


def test_two_people_already_apart_are_not_merged_by_a_match(parts: Parts) -> None:
    a1, _a2, match_a = _noted_pair(parts, document_number="AA1111111")
    parts.identity.confirm(match_a, a_coordinator(City.MILANO), NOW)
    b1, _b2, match_b = _noted_pair(parts, City.BARI, City.ROMA, given_name="Sara",
                                   document_number="BB2222222")
    parts.identity.confirm(match_b, a_coordinator(City.ROMA), NOW)
    # Someone with A's document number and B's names and birth date: a match with both.
    both = parts.take_in(City.TORINO, a_person(given_name="Sara", document_number="AA1111111"),
                         go_on=True)
    parts.identity.confirm(match_id_for(both.case_id, a1), a_coordinator(City.TORINO), NOW)
    assert parts.identity.person_of(both.case_id) == parts.identity.person_of(a1)
    written = parts.record.recorder.max_notification_id()

    with pytest.raises(DifferentPersonsLinked):
        parts.identity.confirm(match_id_for(both.case_id, b1), a_coordinator(City.TORINO), NOW)

    assert parts.record.recorder.max_notification_id() == written
    assert parts.identity.get(match_id_for(both.case_id, b1)).status == MatchStatus.POSSIBLE


def test_a_ruled_out_match_links_nobody(parts: Parts) -> None:
    first, second, match_id = _noted_pair(parts)
    parts.identity.rule_out(match_id, a_coordinator(City.MILANO), NOW)
    assert parts.identity.get(match_id).status == MatchStatus.RULED_OUT
    assert parts.identity.person_of(first) is None
    assert parts.identity.person_of(second) is None
    with pytest.raises(MatchAlreadyDecided):
        parts.identity.confirm(match_id, a_coordinator(City.MILANO), NOW)


def test_a_failed_intake_leaves_no_index_entry(parts: Parts) -> None:
    with pytest.raises(InvalidIntake):
        # A birth date after the intake date: refused by the cases context, after the check.
        parts.take_in(City.FIRENZE, a_person(birth_date=date(2021, 3, 11)),
                      birth_date=date(2021, 3, 11))
    assert parts.identity.possible_matches(a_person(birth_date=date(2021, 3, 11))) == []


def test_erasure_removes_the_persons_index_entries(parts: Parts) -> None:
    first = parts.take_in(City.FIRENZE, a_person(tax_code="TSFMNA90E57Z315X"))
    parts.cases.erase_personal_data(first.case_id, NOW.date(), "PG/2021/1", a_coordinator(), NOW)
    assert parts.identity.possible_matches(a_person(tax_code="TSFMNA90E57Z315X")) == []
    # No row of the vault names the case any more but its erasure tombstone (vault_erased: the
    # pseudonymous id, kept so that an old row restored from a backup is never read again).
    with sqlite3.connect(parts.settings.data_dir / VAULT_FILE_NAME) as vault:
        tables = [name for (name,) in vault.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")
            if any(column[1] == "case_id"
                   for column in vault.execute(f"PRAGMA table_info({name})"))]
        holding = {table: vault.execute(
            f"SELECT COUNT(*) FROM {table} WHERE case_id IN (?, ?)",
            (first.case_id.bytes, str(first.case_id))).fetchone()[0] for table in tables}
    assert {table: n for table, n in holding.items() if n} == {"vault_erased": 1}
    assert "vault_person_index" in holding


def test_the_index_holds_keyed_hashes_never_the_identifiers(parts: Parts) -> None:
    person = a_person(tax_code="TSFMNA90E57Z315X")
    parts.take_in(City.FIRENZE, person)
    vault_file = (parts.settings.data_dir / VAULT_FILE_NAME).read_bytes()
    for key in identity_keys(person):
        for form in (key.value, key.value.upper(), key.value.split("|")[0]):
            assert form.encode() not in vault_file
    # Under another key the same person's digests are other ones: nothing is found.
    other_key = SqlitePersonIndex(parts.settings.data_dir / VAULT_FILE_NAME, bytes(range(32)))
    try:
        assert other_key.find(identity_keys(person)) == []
    finally:
        other_key.close()


# --- 1,000 invented people across the 19 cities ------------------------------------------------

_SYLLABLES = ("a", "ba", "da", "fa", "ha", "ka", "la", "ma", "na", "ra", "sa", "ta", "ye", "mi",
              "lo", "zu", "ke", "ri", "so", "bu", "de", "ni", "go", "wa", "he", "el")
_ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ü"}


def _invented_people(count: int, rng: random.Random) -> list[PersonalData]:
    people: list[PersonalData] = []
    seen: set[str] = set()
    while len(people) < count:
        given = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).title()
        family = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).title()
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 52))
        person = PersonalData(
            given_name=given, family_name=family, birth_date=born,
            document_number=(f"D{len(people):07d}" if rng.random() < 0.7 else None),
            tax_code=(f"C{len(people):07d}" if rng.random() < 0.2 else None))
        name_key = identity_keys(person)[0].value
        if name_key not in seen:
            seen.add(name_key)
            people.append(person)
    return people


def _typed_otherwise(person: PersonalData, rng: random.Random) -> PersonalData:
    """The same person as another counter types them: case, accents, spacing, hyphens, order;
    the document written with spaces or left out."""
    def retyped(name: str) -> str:
        name = "".join(_ACCENTED.get(c, c) if rng.random() < 0.3 else c for c in name)
        if len(name) > 3 and rng.random() < 0.5:
            name = name[:2] + rng.choice((" ", "-", "'")) + name[2:]
        return rng.choice((name.upper(), name.lower(), f"  {name} "))

    given, family = retyped(person.given_name), retyped(person.family_name)
    if rng.random() < 0.3:
        given, family = family, given
    document = person.document_number
    if document is not None:
        document = rng.choice((None, document.lower(), f"{document[:3]} {document[3:]}"))
    return replace(person, given_name=given, family_name=family, document_number=document)


def test_among_1000_people_every_planted_duplicate_is_found_and_no_false_one(
    tmp_path: Path,
) -> None:
    """At the blind index's level (what the check matches by; taking 1,000 people in through
    the record as well would only add a minute of disk writes): 1,000 invented people indexed
    across the 19 cities, 60 of them looked for again as another city's counter types them,
    every other one with a near name."""
    rng = random.Random(16)
    cities = list(FOUNDING_CITIES)
    people = _invented_people(1000, rng)
    index = SqlitePersonIndex(tmp_path / VAULT_FILE_NAME, bytes(range(32)))
    try:
        case_ids = [uuid4() for _ in people]
        # One transaction (as a re-indexing would): 1,000 fsyncs would only time the disk.
        index.add_many([(case_id, identity_keys(person))
                        for case_id, person in zip(case_ids, people, strict=True)])
        planted = set(rng.sample(range(len(people)), 60))
        found_wrongly = []
        for number, person in enumerate(people):
            if number in planted:
                again = _typed_otherwise(person, rng)
                found = [entry.case_id for entry in index.find(identity_keys(again))]
                assert found == [case_ids[number]], (person, again)
            else:
                near = replace(person, given_name=person.given_name + "x",
                               document_number=None, tax_code=None)
                if index.find(identity_keys(near)):
                    found_wrongly.append(near)
        assert found_wrongly == []
        assert len({cities[n % len(cities)] for n in planted}) > 10  # across the network
    finally:
        index.close()
