"""`lgnet identity reindex` (issue 16 item 7, the cases taken in before the blind index and a
rotation of its key; docs/operations.md): the vault's persons indexed again, nothing else."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from typer.testing import CliRunner

from domain.cases.service import CaseService
from domain.identity.keys import identity_keys
from domain.identity.service import IdentityService
from domain.programme import City
from domain.vault import PersonalData
from infra.cli.identity import identity_app
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.person_index import PostgresPersonIndex, SqlitePersonIndex, open_person_index
from infra.store.vault import (
    VAULT_FILE_NAME,
    PostgresVault,
    SqliteVault,
    load_or_create_master_key,
)
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.integration.test_postgres_core import MASTER_KEY, database_url  # noqa: F401

AMINA = a_person(tax_code="TSFMNA90E57Z315X")
YOHANNES = a_person(given_name="Yohannes", family_name="Bekele", document_number="EP9876543")
SARA = a_person(given_name="Sara", family_name="Haile", document_number="EP1111111")


@dataclass
class Taken:
    amina: UUID
    yohannes: UUID
    sara: UUID  # erased


def _rows(settings: Settings) -> set[tuple[bytes, str, bytes]]:
    with sqlite3.connect(settings.data_dir / VAULT_FILE_NAME) as connection:
        return set(connection.execute("SELECT digest, kind, case_id FROM vault_person_index"))


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("LGNET_DATA_DIR", str(tmp_path))
    return Settings(data_dir=tmp_path)


@pytest.fixture
def taken(settings: Settings) -> Iterator[Taken]:
    """Three persons taken in as the code before the blind index did (a vault with no index key
    writes no entry), one of them erased since."""
    record = open_record(settings)
    vault = SqliteVault(settings.data_dir / VAULT_FILE_NAME,
                        load_or_create_master_key(settings.vault_key_path))
    try:
        cases = CaseService(record, vault)

        def take_in(city: City, person: PersonalData) -> UUID:
            return cases.record_intake(uuid4(), an_intake(city), person, a_coordinator(city),
                                       NOW).case_id

        taken = Taken(take_in(City.FIRENZE, AMINA), take_in(City.BARI, YOHANNES),
                      take_in(City.MILANO, SARA))
        cases.erase_personal_data(taken.sara, NOW.date(), "PG/2021/7", a_coordinator(City.MILANO),
                                  NOW)
    finally:
        vault.close()
        record.close()
    yield taken


def _found(settings: Settings, person: PersonalData) -> list[UUID]:
    record, index = open_record(settings), open_person_index(settings)
    vault = SqliteVault(settings.data_dir / VAULT_FILE_NAME,
                        load_or_create_master_key(settings.vault_key_path))
    try:
        identity = IdentityService(record, index, CaseService(record, vault), vault)
        return [match.case_id for match in identity.possible_matches(person)]
    finally:
        vault.close()
        index.close()
        record.close()


def _reindex(*args: str) -> str:
    result = CliRunner().invoke(identity_app, ["reindex", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_reindex_indexes_the_persons_taken_in_before_the_index_and_none_erased(
    settings: Settings, taken: Taken,
) -> None:
    assert _rows(settings) == set()
    assert _found(settings, AMINA) == []  # the duplicate check misses them: nothing indexed
    # A stale entry of the erased person (say, a crash between its two deletes) goes too.
    index = SqlitePersonIndex(settings.data_dir / VAULT_FILE_NAME,
                              load_or_create_master_key(settings.blind_index_key_path))
    index.add(taken.sara, identity_keys(SARA))
    index.close()

    output = _reindex()

    assert ("Person index: 2 persons in the vault (0 with no complete identifier to index), "
            "5 entries, 5 added, 2 removed") in output
    # Counts only: no identifier and no case in what it prints.
    for text in ("Amina", "Tesfaye", "TSFMNA", "EP98", "Yohannes", str(taken.amina),
                 str(taken.yohannes), str(taken.sara)):
        assert text not in output
    assert _found(settings, AMINA) == [taken.amina]
    assert _found(settings, a_person(given_name="YOHANNES", family_name="bekele",
                                     document_number=None)) == [taken.yohannes]
    assert _found(settings, SARA) == []
    rows = _rows(settings)
    assert {case_id for _digest, _kind, case_id in rows} == {taken.amina.bytes,
                                                              taken.yohannes.bytes}
    assert sorted(kind for _d, kind, case_id in rows if case_id == taken.amina.bytes) == [
        "document_number", "name_and_birth_date", "tax_code"]

    again = _reindex()

    assert "5 entries, 0 added, 0 removed" in again
    assert _rows(settings) == rows


def test_reindex_with_a_new_key_replaces_the_key_and_every_entry(
    settings: Settings, taken: Taken,
) -> None:
    _reindex()
    before, old_key = _rows(settings), settings.blind_index_key_path.read_bytes()

    output = _reindex("--rotate-key")

    assert "5 entries, 5 added, 5 removed (under a new key)" in output
    new_key = settings.blind_index_key_path.read_bytes()
    assert len(new_key) == 32 and new_key != old_key
    assert settings.blind_index_key_path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in settings.data_dir.iterdir() if p.name.endswith(".new")] == []
    assert _rows(settings).isdisjoint(before)
    assert _found(settings, AMINA) == [taken.amina]  # under the new key, from the file
    under_old = SqlitePersonIndex(settings.data_dir / VAULT_FILE_NAME, old_key)
    try:
        assert under_old.find(identity_keys(AMINA)) == []
    finally:
        under_old.close()


@pytest.mark.postgres
def test_the_postgres_vault_reindexes_its_persons_alike(
    database_url: str,  # noqa: F811
) -> None:
    index_key = bytes(range(200, 232))
    old = PostgresVault(database_url, MASTER_KEY)  # as before the index: no entry written
    try:
        amina, sara = uuid4(), uuid4()
        old.store(amina, AMINA)
        old.confirm(amina)  # as the intake does once the case is saved
        old.store(sara, SARA)
        old.erase(sara)
    finally:
        old.close()
    vault = PostgresVault(database_url, MASTER_KEY, index_key=index_key)
    index = PostgresPersonIndex(database_url, index_key)
    try:
        index.add(sara, identity_keys(SARA))  # a stale entry of the erased person
        assert index.find(identity_keys(AMINA)) == []

        first = vault.reindex()

        assert (first.persons, first.entries, first.added, first.removed) == (1, 3, 3, 2)
        assert [found.case_id for found in index.find(identity_keys(AMINA))] == [amina]
        assert index.find(identity_keys(SARA)) == []
        again = vault.reindex()
        assert (again.added, again.removed, again.entries) == (0, 0, first.entries)
    finally:
        index.close()
        vault.close()
