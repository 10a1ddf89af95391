"""Whether the stores take writes (issue 17, item 5): `lgnet check` writes a row into a scratch
table of each store and deletes it, in one committed transaction, so that a read-only store (a
PostgreSQL standby or a database set read-only, a SQLite file on a read-only mount) or a full
disk is found when the platform starts, not at the first intake. Reading alone would not tell.

The scratch table (`lgnet_write_check`) holds nothing between checks. On PostgreSQL a second
table (`lgnet_write_room`) is made and filled in a transaction rolled back at once, so that a
full tablespace, which still takes a row where there is room in a page, is found too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from infra.settings import Settings
from infra.store.accounts.storage import ACCOUNTS_FILE_NAME
from infra.store.eventstore import EVENTS_FILE_NAME
from infra.store.vault import VAULT_FILE_NAME

READ_MODELS_FILE_NAME = "readmodels.sqlite"
_SQLITE_STORES = (
    ("event store", EVENTS_FILE_NAME), ("vault", VAULT_FILE_NAME),
    ("accounts", ACCOUNTS_FILE_NAME), ("read models", READ_MODELS_FILE_NAME),
)
_TIMEOUT_SECONDS = 5
_STATEMENTS = (
    "CREATE TABLE IF NOT EXISTS lgnet_write_check (checked_at TEXT NOT NULL)",
    "INSERT INTO lgnet_write_check (checked_at) VALUES ('now')",
    "DELETE FROM lgnet_write_check",
)


def unwritable_stores(settings: Settings) -> list[str]:
    """One line per store that refused the write (none: every store takes writes)."""
    if settings.database_url is not None:
        # Event store, vault, accounts and read models share the one database.
        problem = _postgres_write(settings.database_url)
        return [] if problem is None else [f"PostgreSQL does not take writes: {problem}"]
    lines = []
    for name, file_name in _SQLITE_STORES:
        path = settings.data_dir / file_name
        if not path.exists():
            continue  # created at the first start; the data dir's own check is the start's
        problem = _sqlite_write(path)
        if problem is not None:
            lines.append(f"The {name} ({path}) does not take writes: {problem}")
    return lines


def _postgres_write(url: str) -> str | None:
    try:
        with psycopg.connect(url, connect_timeout=_TIMEOUT_SECONDS) as connection:
            connection.execute(f"SET LOCAL statement_timeout = '{_TIMEOUT_SECONDS}s'")
            for statement in _STATEMENTS:
                connection.execute(statement)
            # A full disk refuses only what must grow (the scratch row fits in the page its
            # predecessor left): a table of its own, undone at once, needs a new page.
            with connection.transaction(force_rollback=True):
                connection.execute("CREATE TABLE lgnet_write_room (checked_at TEXT NOT NULL)")
                connection.execute("INSERT INTO lgnet_write_room (checked_at) VALUES ('now')")
    except psycopg.Error as error:
        return _said(error)
    return None


def _sqlite_write(path: Path) -> str | None:
    try:
        connection = sqlite3.connect(path, timeout=_TIMEOUT_SECONDS, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            for statement in _STATEMENTS:
                connection.execute(statement)
            connection.execute("COMMIT")
        finally:
            connection.close()
    except sqlite3.Error as error:
        return _said(error)
    return None


def _said(error: Exception) -> str:
    # The kind and the first line of the driver's message: no statement, no parameter.
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
