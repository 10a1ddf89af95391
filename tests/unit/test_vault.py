"""The personal-data vault on a real SQLite file: encryption per person, crypto-shredding, the
master key and its file, concurrent use."""

from __future__ import annotations

import secrets
import sqlite3
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from infra.settings import Settings
from infra.store.vault import (
    MasterKeyFileError,
    SqliteVault,
    VaultCipher,
    VaultError,
    WrongMasterKey,
    load_or_create_master_key,
    open_vault,
)
from tests.builders import a_person

MASTER_KEY = bytes(range(32))


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[SqliteVault]:
    vault = SqliteVault(tmp_path / "vault.sqlite", MASTER_KEY)
    yield vault
    vault.close()


def stored_row(path: Path, case_id: UUID) -> tuple[bytes, bytes]:
    with sqlite3.connect(path) as connection:
        row: tuple[bytes, bytes] | None = connection.execute(
            "SELECT wrapped_key, ciphertext FROM vault_people WHERE case_id = ?", (case_id.bytes,)
        ).fetchone()
    assert row is not None
    return row


def test_what_is_stored_is_read_back(vault: SqliteVault) -> None:
    case_id = uuid4()
    person = a_person(given_name="Ngozi Àdébáyọ̀", email=None)
    vault.store(case_id, person)
    assert vault.read(case_id) == person


def test_an_unknown_case_reads_as_none(vault: SqliteVault) -> None:
    assert vault.read(uuid4()) is None


def test_the_file_holds_neither_identifiers_nor_plain_keys(vault: SqliteVault) -> None:
    vault.store(uuid4(), a_person(family_name="Quortlemaine", document_number="ZX9081726"))
    content = vault.path.read_bytes()
    assert b"Quortlemaine" not in content
    assert b"ZX9081726" not in content


def test_each_person_has_a_key_of_their_own(vault: SqliteVault) -> None:
    first, second = uuid4(), uuid4()
    same_person = a_person()
    vault.store(first, same_person)
    vault.store(second, same_person)
    first_key, first_ciphertext = stored_row(vault.path, first)
    second_key, second_ciphertext = stored_row(vault.path, second)
    assert first_key != second_key
    assert first_ciphertext != second_ciphertext
    # Each data key opens only its own person's record.
    with pytest.raises(VaultError):
        VaultCipher(MASTER_KEY).open(first, first_key, second_ciphertext)


def test_a_ciphertext_moved_to_another_case_does_not_decrypt(vault: SqliteVault) -> None:
    victim, other = uuid4(), uuid4()
    vault.store(victim, a_person())
    wrapped_key, ciphertext = stored_row(vault.path, victim)
    with pytest.raises(VaultError):  # the case id is authenticated with both
        VaultCipher(MASTER_KEY).open(other, wrapped_key, ciphertext)


def test_erasing_destroys_the_key_and_the_data(vault: SqliteVault) -> None:
    case_id, kept = uuid4(), uuid4()
    vault.store(case_id, a_person())
    vault.store(kept, a_person(given_name="Kept"))
    wrapped_key, ciphertext = stored_row(vault.path, case_id)

    assert vault.erase(case_id) is True
    assert vault.read(case_id) is None
    assert vault.read(kept) == a_person(given_name="Kept")
    assert vault.erase(case_id) is False
    # secure_delete: the bytes are overwritten, not just unlinked from the b-tree.
    files = b"".join(path.read_bytes() for path in vault.path.parent.glob("vault.sqlite*"))
    assert wrapped_key not in files
    assert ciphertext not in files


def test_storing_again_replaces_the_key(vault: SqliteVault) -> None:
    case_id = uuid4()
    vault.store(case_id, a_person())
    old_key, _ = stored_row(vault.path, case_id)
    vault.store(case_id, a_person(phone="+39 333 111 2222"))
    new_key, _ = stored_row(vault.path, case_id)
    assert new_key != old_key
    assert vault.read(case_id) == a_person(phone="+39 333 111 2222")


def test_the_wrong_master_key_is_refused_when_opening(tmp_path: Path) -> None:
    path = tmp_path / "vault.sqlite"
    SqliteVault(path, MASTER_KEY).close()
    with pytest.raises(WrongMasterKey):
        SqliteVault(path, secrets.token_bytes(32))


def test_a_record_wrapped_by_another_master_key_fails_cleanly(vault: SqliteVault) -> None:
    case_id = uuid4()
    vault.store(case_id, a_person())
    wrapped_key, ciphertext = stored_row(vault.path, case_id)
    with pytest.raises(WrongMasterKey):
        VaultCipher(secrets.token_bytes(32)).open(case_id, wrapped_key, ciphertext)


def test_the_master_key_file_is_created_private_once_and_then_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    case_id = uuid4()
    first = open_vault(settings)
    first.store(case_id, a_person())
    first.close()

    key_file = settings.vault_key_path
    assert len(key_file.read_bytes()) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = open_vault(settings)
    assert again.read(case_id) == a_person()
    again.close()


def test_a_damaged_master_key_file_is_reported(tmp_path: Path) -> None:
    key_file = tmp_path / "vault-master.key"
    key_file.write_bytes(b"too short")
    with pytest.raises(MasterKeyFileError):
        load_or_create_master_key(key_file)


def test_many_threads_store_read_and_erase_at_once(vault: SqliteVault) -> None:
    def one_person(index: int) -> bool:
        case_id = uuid4()
        person = a_person(given_name=f"Person {index}")
        vault.store(case_id, person)
        read_back = vault.read(case_id)
        erased = vault.erase(case_id) if index % 2 else False
        return read_back == person and (vault.read(case_id) is None) == bool(index % 2) and (
            erased == bool(index % 2)
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(one_person, range(200)))
    assert all(outcomes)
    with sqlite3.connect(vault.path) as connection:
        (remaining,) = connection.execute("SELECT count(*) FROM vault_people").fetchone()
    assert remaining == 100


# --- files: a case's under the person's key, a claim's under a key of its own ---------------

A_SCAN = b"%PDF-1.4\n% Quortlemaine residence permit scan\n%%EOF\n"


def test_a_case_file_is_kept_encrypted_read_back_and_shredded_with_the_person(
    vault: SqliteVault,
) -> None:
    case_id, file_id = uuid4(), uuid4()
    vault.store(case_id, a_person())
    vault.store_file(case_id, file_id, A_SCAN)

    assert vault.read_file(case_id, file_id) == A_SCAN
    assert b"Quortlemaine" not in vault.path.read_bytes()
    with sqlite3.connect(vault.path) as connection:
        (ciphertext,) = connection.execute(
            "SELECT ciphertext FROM vault_files WHERE file_id = ?", (file_id.bytes,)).fetchone()
    assert vault.erase(case_id) is True
    assert vault.read_file(case_id, file_id) is None
    assert bytes(ciphertext)[12:40] not in vault.path.read_bytes()


def test_no_file_is_kept_on_an_unknown_or_erased_person(vault: SqliteVault) -> None:
    case_id = uuid4()
    with pytest.raises(LookupError):
        vault.store_file(case_id, uuid4(), A_SCAN)
    vault.store(case_id, a_person())
    vault.erase(case_id)
    with pytest.raises(LookupError):
        vault.store_file(case_id, uuid4(), A_SCAN)


def test_a_discarded_file_is_gone_and_a_file_moved_to_another_case_does_not_open(
    vault: SqliteVault,
) -> None:
    owner, other, file_id = uuid4(), uuid4(), uuid4()
    vault.store(owner, a_person())
    vault.store(other, a_person())
    vault.store_file(owner, file_id, A_SCAN)
    with sqlite3.connect(vault.path) as connection:
        connection.execute("UPDATE vault_files SET case_id = ? WHERE file_id = ?",
                           (other.bytes, file_id.bytes))
    with pytest.raises(VaultError):
        vault.read_file(other, file_id)
    vault.discard_file(other, file_id)
    assert vault.read_file(other, file_id) is None


def test_a_claim_file_has_a_key_of_its_own_and_no_erasure_touches_it(vault: SqliteVault) -> None:
    claim_id, first, second, case_id = uuid4(), uuid4(), uuid4(), uuid4()
    vault.store_claim_file(claim_id, first, A_SCAN)
    vault.store_claim_file(claim_id, second, A_SCAN)
    vault.store(case_id, a_person())

    vault.erase(case_id)

    assert vault.read_claim_file(claim_id, first) == A_SCAN
    assert vault.read_claim_file(uuid4(), first) is None
    with sqlite3.connect(vault.path) as connection:
        keys = {row[0] for row in connection.execute(
            "SELECT wrapped_key FROM vault_claim_files WHERE claim_id = ?", (claim_id.bytes,))}
    assert len(keys) == 2
    vault.discard_claim_file(claim_id, second)
    assert vault.read_claim_file(claim_id, second) is None
