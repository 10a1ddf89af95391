"""Where the accounts are kept: their tables (acc_*), in a SQLite file of their own or in the
platform's PostgreSQL database, through the storage kit (projections.storage); and how values are
written into them."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from projections.storage.postgres import PostgresPool
from projections.storage.sqlite import SqlitePerThread
from projections.storage.transaction import Database

ACCOUNTS_FILE_NAME = "accounts.sqlite"

DDL = (
    "CREATE TABLE IF NOT EXISTS acc_users ("
    " username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL, city TEXT,"
    " password_hash TEXT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT FALSE,"
    " created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS acc_sessions ("
    " token_hash TEXT PRIMARY KEY,"
    " username TEXT NOT NULL REFERENCES acc_users (username),"
    " started_at TEXT NOT NULL, last_seen_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS acc_sessions_username ON acc_sessions (username)",
    # The sign-in throttle (infra.store.accounts.throttle). subject: an HMAC of the username and
    # address (or the address alone), never either itself. The table it replaces kept bare
    # SHA-256 hashes of addresses, which anyone can find by trying them all: it goes.
    "DROP TABLE IF EXISTS acc_failed_sign_ins",
    "CREATE TABLE IF NOT EXISTS acc_sign_in_throttle ("
    " subject TEXT PRIMARY KEY, tries INTEGER NOT NULL, last_try_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS acc_partner_tokens ("
    " token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, partner TEXT NOT NULL,"
    " cities TEXT NOT NULL, event_kinds TEXT NOT NULL, issued_at TEXT NOT NULL,"
    " revoked_at TEXT)",
    "CREATE TABLE IF NOT EXISTS acc_access_grants ("
    " grant_id TEXT PRIMARY KEY,"
    " grantee TEXT NOT NULL REFERENCES acc_users (username),"
    " permission TEXT NOT NULL, city TEXT NOT NULL, reason TEXT NOT NULL,"
    " granted_by TEXT NOT NULL REFERENCES acc_users (username),"
    " granted_at TEXT NOT NULL, expires_at TEXT NOT NULL,"
    " revoked_at TEXT, revoked_by TEXT REFERENCES acc_users (username))",
    "CREATE INDEX IF NOT EXISTS acc_access_grants_grantee"
    " ON acc_access_grants (grantee, expires_at)",
    # The second factor (infra.store.accounts.second_factor): the TOTP secret, encrypted; the
    # last time step whose code was used (none is accepted twice); recovery codes as HMACs; and
    # sign-ins whose password was right and whose code is awaited (their ticket's hash).
    "CREATE TABLE IF NOT EXISTS acc_second_factors ("
    " username TEXT PRIMARY KEY REFERENCES acc_users (username),"
    " secret TEXT NOT NULL, enrolled_at TEXT NOT NULL, last_step BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS acc_recovery_codes ("
    " code_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES acc_users (username),"
    " used_at TEXT)",
    "CREATE TABLE IF NOT EXISTS acc_pending_sign_ins ("
    " ticket_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES acc_users (username),"
    " created_at TEXT NOT NULL)",
    # The answers of commands sent with an Idempotency-Key (infra.store.accounts.idempotency).
    "CREATE TABLE IF NOT EXISTS acc_idempotent_answers ("
    " owner TEXT NOT NULL, key_hash TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " claimed_at TEXT NOT NULL, status INTEGER, headers TEXT, body TEXT,"
    " PRIMARY KEY (owner, key_hash))",
    "CREATE INDEX IF NOT EXISTS acc_idempotent_answers_claimed_at"
    " ON acc_idempotent_answers (claimed_at)",
)


# WAL, one connection per thread, as the read models; but accounts cannot be rebuilt from the
# stream: every commit is synced (synchronous=FULL).
_SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON")


class SqliteAccountDatabase(SqlitePerThread):
    """The accounts in their own SQLite file (mode 0600). `reading()` takes no lock: looking a
    session up on every request must not queue the requests behind each other."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SQLITE_PRAGMAS)
        with self.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)
            for table, column, kind in ADDED_COLUMNS:
                present = {str(row[1]) for row in tx.fetchall(f"PRAGMA table_info({table})")}
                if column not in present:
                    tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        os.chmod(path, 0o600)


class PostgresAccountDatabase(PostgresPool):
    """The accounts' tables (acc_*) in the platform's PostgreSQL database, through a small
    connection pool."""

    def __init__(self, url: str, max_size: int = 4) -> None:
        super().__init__(url, max_size=max_size, name="lgnet-accounts")
        with self.transaction() as tx:
            # Two processes starting together must not both create the tables.
            tx.execute("SELECT pg_advisory_xact_lock(hashtext('lgnet accounts schema'))")
            for statement in DDL:
                tx.execute(statement)
            for table, column, kind in ADDED_COLUMNS:
                tx.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")


# Columns added after the first release: (table, column, type). SQLite has no ADD COLUMN IF NOT
# EXISTS, so each is added when the table lacks it.
ADDED_COLUMNS = (
    # A partner token's expiry; NULL for a token issued before tokens expired (then it expires
    # LEGACY_TOKEN_LIFETIME after issue: infra.store.accounts.partner_tokens).
    ("acc_partner_tokens", "expires_at", "TEXT"),
)


def open_account_database(database_url: str | None, sqlite_path: Path) -> Database:
    if database_url:
        return PostgresAccountDatabase(database_url)
    return SqliteAccountDatabase(sqlite_path)


def timestamp(moment: datetime) -> str:
    """A fixed-width UTC timestamp: compared as text, it sorts as time does."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def moment(stored: str) -> datetime:
    return datetime.fromisoformat(stored)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
