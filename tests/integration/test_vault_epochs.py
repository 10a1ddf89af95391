"""The vault's master-key epochs (issue 18, item 14): the key id in every wrapped key's header
and in its associated data, `lgnet vault rotate` re-wrapping the live keys under a new master
key, an old epoch's key destroyed, after which a backup made before the rotation opens nothing
(the erasure guarantee for backups, docs/operations.md). Rows written by earlier versions (no
header: epoch 0) still read. On a real SQLite file through the real `lgnet` commands, and on
PostgreSQL."""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import stat
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from typer.testing import CliRunner

from infra.cli.main import app
from infra.private_files import KeyFileExposed
from infra.settings import Settings
from infra.store.vault import (
    VAULT_FILE_NAME,
    FixedMasterKeys,
    MasterKeyDestroyed,
    MasterKeyFiles,
    PostgresVault,
    SqliteVault,
    VaultCipher,
    VaultError,
    WrongMasterKey,
    epoch_of,
    open_vault,
)
from tests.builders import a_person

LEGACY_KEY_LABEL = b"lgnet-vault/data-key/"  # what earlier versions bound a wrapped key to


def lgnet(data_dir: Path, *arguments: str) -> str:
    result = CliRunner().invoke(app, list(arguments), env={"LGNET_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    return result.output


def wrapped_key_of(path: Path, case_id: UUID) -> bytes:
    with sqlite3.connect(path) as connection:
        (wrapped,) = connection.execute(
            "SELECT wrapped_key FROM vault_people WHERE case_id = ?", (case_id.bytes,)).fetchone()
    connection.close()
    return bytes(wrapped)


def set_wrapped_key(path: Path, case_id: UUID, wrapped: bytes) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE vault_people SET wrapped_key = ? WHERE case_id = ?",
                           (wrapped, case_id.bytes))
    connection.close()


def test_rotation_re_wraps_every_key_and_a_destroyed_epoch_opens_no_backup(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    settings = Settings(data_dir=data_dir)
    kept, erased = uuid4(), uuid4()
    vault = open_vault(settings)
    vault.store(kept, a_person(given_name="Kept"))
    vault.store(erased, a_person(given_name="Erased"))
    text_id = uuid4()
    vault.store_text(kept, text_id, "A note about Kept")
    vault.close()
    # The master key is outside the data dir (item 15), epoch 0 in its header.
    assert settings.vault_key_path == tmp_path / "var-keys" / "vault-master.key"
    assert epoch_of(wrapped_key_of(data_dir / VAULT_FILE_NAME, kept)) == 0
    backup = tmp_path / "backup.sqlite"
    shutil.copy(data_dir / VAULT_FILE_NAME, backup)

    # The current epoch's key cannot go: nothing else opens the rows.
    refused = CliRunner().invoke(app, ["vault", "destroy-key", "--epoch", "0"],
                                 env={"LGNET_DATA_DIR": str(data_dir)})
    assert refused.exit_code != 0 and "current" in refused.output

    output = lgnet(data_dir, "vault", "rotate")
    assert "epoch 1 is current: 2 persons' keys and 0 claim files' keys re-wrapped" in output
    assert "epoch 0: 0 live keys wrapped, key present" in output
    new_key = tmp_path / "var-keys" / "vault-master.key.e1"
    assert len(new_key.read_bytes()) == 32 and stat.S_IMODE(new_key.stat().st_mode) == 0o600
    assert epoch_of(wrapped_key_of(data_dir / VAULT_FILE_NAME, kept)) == 1

    vault = open_vault(settings)
    assert vault.read(kept) == a_person(given_name="Kept")
    assert vault.read_text(kept, text_id) == "A note about Kept"  # texts need no re-wrapping
    assert vault.erase(erased)
    vault.close()
    # Until the old key goes, the backup still opens the erased person: the gap that backup
    # retention bounds.
    restored = SqliteVault(backup, MasterKeyFiles(settings.vault_key_path))
    assert restored.read(erased) == a_person(given_name="Erased")
    restored.close()

    output = lgnet(data_dir, "vault", "destroy-key", "--epoch", "0")
    assert f"Destroyed {settings.vault_key_path}" in output
    assert not settings.vault_key_path.exists()
    listed = lgnet(data_dir, "vault", "epochs")
    assert "epoch 1: 1 live keys wrapped, key present" in listed and "epoch 0" not in listed

    # The live vault reads as before; the backup made before the rotation gives back nobody.
    vault = open_vault(settings)
    assert vault.read(kept) == a_person(given_name="Kept")
    assert vault.read(erased) is None
    vault.close()
    restored = SqliteVault(backup, MasterKeyFiles(settings.vault_key_path))
    for case_id in (kept, erased):
        with pytest.raises(MasterKeyDestroyed):
            restored.read(case_id)
    restored.close()


def test_a_row_written_before_epochs_still_reads_and_rotation_gives_it_a_header(
    tmp_path: Path,
) -> None:
    master = secrets.token_bytes(32)
    path = tmp_path / "vault.sqlite"
    vault = SqliteVault(path, master)
    case_id = uuid4()
    vault.store(case_id, a_person())
    # The row as an earlier version wrote it: nonce and wrapped key, no header, bound to the
    # case under the bare label.
    data_key = VaultCipher(master).data_key(case_id, wrapped_key_of(path, case_id))
    nonce = secrets.token_bytes(12)
    legacy = nonce + AESGCM(master).encrypt(nonce, data_key, LEGACY_KEY_LABEL + case_id.bytes)
    set_wrapped_key(path, case_id, legacy)
    assert len(legacy) == 60 and epoch_of(legacy) == 0
    assert vault.read(case_id) == a_person()

    rotation = vault.rotate()
    assert (rotation.epoch, rotation.persons, rotation.erased_again) == (1, 1, 0)
    rewrapped = wrapped_key_of(path, case_id)
    assert rewrapped[:5] == b"E\x00\x00\x00\x01" and len(rewrapped) == 65
    assert vault.read(case_id) == a_person()
    assert vault.epochs_in_use() == {1: 1}
    vault.close()


def test_the_epoch_in_the_header_is_bound_in_the_associated_data(tmp_path: Path) -> None:
    keys = FixedMasterKeys({0: secrets.token_bytes(32)})
    path = tmp_path / "vault.sqlite"
    vault = SqliteVault(path, keys)
    case_id = uuid4()
    vault.store(case_id, a_person())
    vault.rotate()
    wrapped = wrapped_key_of(path, case_id)
    # Epoch 1's key material relabelled as epoch 0's: the header is authenticated.
    keys.keys[0] = keys.keys[1]
    set_wrapped_key(path, case_id, b"E\x00\x00\x00\x00" + wrapped[5:])
    with pytest.raises(WrongMasterKey):
        vault.read(case_id)
    set_wrapped_key(path, case_id, b"Z" + wrapped[1:])
    with pytest.raises(VaultError):
        vault.read(case_id)
    vault.close()


def test_a_master_key_others_can_read_is_not_loaded(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    open_vault(settings).close()
    settings.vault_key_path.chmod(0o640)
    with pytest.raises(KeyFileExposed, match="chmod 600"):
        open_vault(settings)
    settings.vault_key_path.chmod(0o600)
    open_vault(settings).close()


def test_a_master_key_made_in_the_data_dir_by_an_earlier_version_stays_in_use(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    legacy = data_dir / "vault-master.key"
    legacy.write_bytes(secrets.token_bytes(32))
    legacy.chmod(0o600)
    settings = Settings(data_dir=data_dir)
    assert settings.vault_key_path == legacy
    assert Settings(data_dir=tmp_path / "new").vault_key_path == tmp_path / "new-keys" / (
        "vault-master.key")


@pytest.mark.postgres
def test_on_postgresql_rotation_re_wraps_and_the_old_epoch_can_go(
    own_postgres_database: str,
) -> None:
    keys = FixedMasterKeys({0: secrets.token_bytes(32)})
    vault = PostgresVault(own_postgres_database, keys)
    kept, erased = uuid4(), uuid4()
    vault.store(kept, a_person(given_name="Kept"))
    vault.store(erased, a_person(given_name="Erased"))
    vault.store_claim_file(uuid4(), uuid4(), b"an invoice")
    vault.erase(erased)
    with pytest.raises(VaultError, match="current"):
        vault.destroy_epoch(0)
    rotation = vault.rotate()
    assert (rotation.epoch, rotation.persons, rotation.claim_files) == (1, 1, 1)
    assert vault.epochs_in_use() == {1: 2}
    vault.destroy_epoch(0)
    assert 0 not in keys.keys
    assert vault.read(kept) == a_person(given_name="Kept")
    vault.close()
