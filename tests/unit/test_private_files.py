"""The data dir and the keys are their owner's only (issue 18, items 4 and 15): a data dir left
open is made private at start and says what it changed; a key file others can read, and an
audit key pair whose public half was changed, refuse to load."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from infra.audit.checkpoints import (
    PRIVATE_KEY_FILE_NAME,
    PUBLIC_KEY_FILE_NAME,
    CheckpointKeyError,
    load_or_create_signing_key,
)
from infra.private_files import KeyFileExposed, make_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_open_data_dir_is_made_private_except_its_keys(tmp_path: Path) -> None:
    data = tmp_path / "var"
    (data / "nats" / "jetstream").mkdir(parents=True)
    files = [data / "events.sqlite", data / "accounts.sqlite-wal", data / "nats" / "server.log"]
    for path in files:
        path.write_bytes(b"x")
        path.chmod(0o644)
    private = data / "readmodels.sqlite"
    private.write_bytes(b"x")
    private.chmod(0o600)
    key = data / "blind-index.key"
    key.write_bytes(b"k" * 32)
    key.chmod(0o644)
    for directory in (data, data / "nats", data / "nats" / "jetstream"):
        directory.chmod(0o755)

    tightened = make_private(data, keys=[key])

    assert [mode(path) for path in files] == [0o600] * 3
    assert [mode(d) for d in (data, data / "nats", data / "nats" / "jetstream")] == [0o700] * 3
    assert len(tightened.changed) == 6 and private not in dict(tightened.changed)
    assert mode(key) == 0o644 and tightened.keys_left == [key]  # for its loader to refuse
    report = tightened.report(data)
    assert report is not None and report.startswith(f"Made {data} private: 6 paths")
    assert make_private(data, keys=[key]).report(data) is None  # a second start: nothing to say


def test_an_audit_key_others_can_read_is_not_loaded(tmp_path: Path) -> None:
    load_or_create_signing_key(tmp_path)
    (tmp_path / PRIVATE_KEY_FILE_NAME).chmod(0o644)
    with pytest.raises(KeyFileExposed, match="chmod 600"):
        load_or_create_signing_key(tmp_path)


def test_a_private_key_that_no_longer_matches_the_pinned_public_key_is_refused(
    tmp_path: Path,
) -> None:
    original = load_or_create_signing_key(tmp_path)
    public = (tmp_path / PUBLIC_KEY_FILE_NAME).read_text()
    assert mode(tmp_path / PUBLIC_KEY_FILE_NAME) == 0o600
    other = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    (tmp_path / PRIVATE_KEY_FILE_NAME).write_bytes(other)  # keeps its mode 0600
    with pytest.raises(CheckpointKeyError, match="does not match the public key"):
        load_or_create_signing_key(tmp_path)
    assert (tmp_path / PUBLIC_KEY_FILE_NAME).read_text() == public  # never rewritten
    assert original.public_pem == public


@pytest.mark.process
def test_files_written_by_a_real_lgnet_process_are_private(tmp_path: Path) -> None:
    """The umask is the process's: a command started from a shell with umask 022 still writes
    its files 0600 and directories 0700 (here a user added to a new data dir: the accounts
    store, the event store the CLI opens to check the city, and their companions)."""
    lgnet = Path(sys.executable).parent / "lgnet"
    added = subprocess.run(
        ["sh", "-c", f'umask 022 && exec "{lgnet}" users add probe.user --role ministry '
                     "--generate-password"],
        env={**os.environ, "LGNET_DATA_DIR": str(tmp_path / "var"),
             "LGNET_KEY_DIR": str(tmp_path / "keys")}, capture_output=True, text=True,
        timeout=120)
    assert added.returncode == 0, added.stdout + added.stderr
    written = [tmp_path / "var", *(tmp_path / "var").rglob("*")]
    assert len(written) >= 2
    assert {path.name: mode(path) for path in written} == {
        path.name: 0o700 if path.is_dir() else 0o600 for path in written}
