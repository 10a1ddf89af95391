"""`lgnet backup DIR` and `lgnet restore DIR` (docs/operations.md, "Backups").

A backup is taken online, while the platform runs: the event store (with the audit chain's
links), the vault and the person index, and the accounts, each a consistent copy (SQLite's
backup API; on PostgreSQL one `pg_dump`, a single snapshot of the whole database); the data
dir's own files (NATS credentials and partners, the audit checkpoint key, the signed heads);
and, under `keys/`, the vault's keys. What is derived from the store is not kept: the read models
and JetStream. After `lgnet restore`, the relay publishes the store again into an empty stream
and the projector rebuilds every read model from it.

SQLite: the event store is copied before the vault, because an intake writes the vault before
its events: every case in the copy has its person in the copied vault (a person whose case was
not saved yet is an orphan the vault's sweep removes)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from infra.nats.credentials import EMBEDDED_STORE_DIR_NAME, SERVER_CONFIG_FILE_NAME
from infra.settings import Settings
from infra.store.accounts.storage import ACCOUNTS_FILE_NAME
from infra.store.eventstore import EVENTS_FILE_NAME, postgres_env
from infra.store.vault import VAULT_FILE_NAME

MANIFEST_FILE_NAME = "lgnet-backup.json"
KEYS_DIR_NAME = "keys"
FILES_DIR_NAME = "files"
DATABASE_DUMP_FILE_NAME = "database.dump"
# In this order: the event store before the vault (see the module's docstring).
SQLITE_FILES = (EVENTS_FILE_NAME, ACCOUNTS_FILE_NAME, VAULT_FILE_NAME)
# Derived from the store, rebuilt after a restore; or written afresh at each start.
_NOT_BACKED_UP = frozenset({
    EMBEDDED_STORE_DIR_NAME, "readmodels.sqlite", "replays", SERVER_CONFIG_FILE_NAME,
    *SQLITE_FILES,
})
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(RuntimeError):
    """Raised when a backup cannot be taken or restored; says why, in one sentence."""


@dataclass(frozen=True)
class BackupReport:
    directory: Path
    store: str  # "sqlite" or "postgresql"
    last_position: int | None

    def log_line(self) -> str:
        return (f"Backed up the {self.store} store (up to event {self.last_position or 0}), the "
                f"vault, the accounts and the keys in {self.directory}")


def backup(settings: Settings, target: Path, last_position: int | None) -> BackupReport:
    """Copy everything the platform cannot rebuild into `target` (new, or empty)."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new directory")
    if target.resolve().is_relative_to(settings.data_dir.resolve()):
        raise BackupError(f"{target} is inside the data dir: back up somewhere else")
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)
    if settings.database_url is None:
        for name in SQLITE_FILES:
            source = settings.data_dir / name
            if source.exists():
                _copy_sqlite(source, target / name)
        store = "sqlite"
    else:
        _pg_dump(settings.database_url, target / DATABASE_DUMP_FILE_NAME)
        store = "postgresql"
    _copy_files(settings.data_dir, target / FILES_DIR_NAME, skip=_NOT_BACKED_UP)
    if settings.key_directory.exists():
        _copy_files(settings.key_directory, target / KEYS_DIR_NAME, skip=frozenset())
    (target / MANIFEST_FILE_NAME).write_text(json.dumps({
        "store": store, "last_position": last_position,
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }, indent=2) + "\n")
    return BackupReport(target, store, last_position)


def restore(settings: Settings, source: Path) -> str:
    """Put the backup in `source` back into an empty data dir (and empty database), and its
    keys into the key dir. Returns what was restored, in a sentence."""
    manifest_path = source / MANIFEST_FILE_NAME
    if not manifest_path.is_file():
        raise BackupError(f"{source} is not a backup made by `lgnet backup` (no "
                          f"{MANIFEST_FILE_NAME})")
    manifest = json.loads(manifest_path.read_text())
    expected = "postgresql" if settings.database_url else "sqlite"
    if manifest["store"] != expected:
        raise BackupError(f"the backup holds a {manifest['store']} store and this deployment "
                          f"uses {expected} (LGNET_DATABASE_URL)")
    data_dir = settings.data_dir
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty: restore into an empty data dir")
    if settings.database_url is not None and _has_tables(settings.database_url):
        raise BackupError(f"the database {_libpq_environment(settings.database_url)['PGDATABASE']}"
                          " is not empty: restore into an empty data dir and an empty database")
    _refuse_other_keys(source / KEYS_DIR_NAME, settings.key_directory)
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    if settings.database_url is None:
        for name in SQLITE_FILES:
            if (source / name).exists():
                _copy_sqlite(source / name, data_dir / name)
    else:
        _pg_restore(settings.database_url, source / DATABASE_DUMP_FILE_NAME)
    _copy_files(source / FILES_DIR_NAME, data_dir, skip=frozenset())
    if (source / KEYS_DIR_NAME).exists():
        settings.key_directory.mkdir(parents=True, exist_ok=True)
        settings.key_directory.chmod(0o700)
        _copy_files(source / KEYS_DIR_NAME, settings.key_directory, skip=frozenset())
    return (f"Restored the {manifest['store']} store (up to event "
            f"{manifest['last_position'] or 0}, backed up {manifest['taken_at']}) into "
            f"{data_dir}; the read models and JetStream are rebuilt from it at the next start")


def _has_tables(database_url: str) -> bool:
    import psycopg

    with psycopg.connect(database_url, connect_timeout=10) as connection:
        row = connection.execute("SELECT count(*) FROM information_schema.tables "
                                 "WHERE table_schema = 'public'").fetchone()
    return bool(row and row[0])


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the backup API copies a snapshot, whatever
    is being written meanwhile)."""
    with (sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reading,
          sqlite3.connect(target) as writing):
        reading.backup(writing)
    reading.close()
    writing.close()
    target.chmod(0o600)


def _copy_files(source: Path, target: Path, *, skip: frozenset[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)
    for path in source.iterdir():
        if path.name in skip or path.name.endswith(_SQLITE_SIDE_FILES):
            continue
        if path.is_dir():
            shutil.copytree(path, target / path.name, dirs_exist_ok=True)
        elif path.is_file():
            shutil.copy2(path, target / path.name)


def _refuse_other_keys(backed_up: Path, key_directory: Path) -> None:
    """Never overwrite a key with another one: the data it opens would be lost for good."""
    if not backed_up.exists() or not key_directory.exists():
        return
    for key in backed_up.iterdir():
        present = key_directory / key.name
        if present.is_file() and present.read_bytes() != key.read_bytes():
            raise BackupError(f"{present} exists and differs from the backup's: move it away "
                              "before restoring (it may be the only key to other data)")


def _libpq_environment(database_url: str) -> dict[str, str]:
    env = postgres_env(database_url)
    libpq = {"PGHOST": env["POSTGRES_HOST"], "PGPORT": env["POSTGRES_PORT"],
             "PGUSER": env["POSTGRES_USER"], "PGDATABASE": env["POSTGRES_DBNAME"]}
    if env["POSTGRES_PASSWORD"]:
        libpq["PGPASSWORD"] = env["POSTGRES_PASSWORD"]
    return libpq


def _pg_dump(database_url: str, target: Path) -> None:
    # One snapshot of the whole database (pg_dump runs in a single repeatable-read
    # transaction): the store, the vault and the accounts agree with each other.
    _run_pg(["pg_dump", "--format=custom", "--no-owner", "--file", str(target)], database_url)
    target.chmod(0o600)


def _pg_restore(database_url: str, dump: Path) -> None:
    _run_pg(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
             "--dbname", _libpq_environment(database_url)["PGDATABASE"], str(dump)],
            database_url)


def _run_pg(command: list[str], database_url: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)")
    # The command is pg_dump or pg_restore with our own arguments: no input of anyone else's.
    environment = {**os.environ, **_libpq_environment(database_url)}
    result = subprocess.run(command, env=environment,  # noqa: S603
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:500]}")
