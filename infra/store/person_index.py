"""The duplicate check's keyed blind index (domain.identity.model.PersonIndex), in the vault's
store: table `vault_person_index` of the vault's SQLite file or PostgreSQL database.

Each entry is HMAC-SHA256, under the blind-index key, of one normalised identifier of a person
(domain.identity.keys: names with birth date, document number, tax code), with its kind and the
case; the case's city is the record's to say (a transfer moves no entry). Never the identifiers:
without the key the digests cannot be checked against guessed names and birth dates (the space
of those is small enough to try them all, which is why a plain hash would not do).

The key is a 32-byte secret in its own file (LGNET_BLIND_INDEX_KEY_FILE, by default
<data_dir>/blind-index.key, created mode 0600 on first use), apart from the vault's master key.
Lose it and the index matches nothing any more; rotate it and every case's identifiers must be
indexed again under the new key (docs/operations.md). It is backed up with the vault key."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.identity.keys import IdentityKey, KeyKind
from domain.identity.model import IndexedCase, PersonIndex
from infra.settings import Settings
from infra.store.vault import (
    POSTGRES_PERSON_INDEX_DDL,
    SQLITE_PERSON_INDEX_DDL,
    VAULT_FILE_NAME,
    BlindIndexKeys,
    load_or_create_master_key,
)
from projections.storage.postgres import PostgresPool
from projections.storage.sqlite import SqliteSerialised
from projections.storage.transaction import Transaction

_SQLITE_PRAGMAS = ("PRAGMA secure_delete = ON", "PRAGMA journal_mode = DELETE")


class _IndexOn:
    """The index's statements, over either store (case ids as the store keeps them)."""

    def __init__(self, keys: BlindIndexKeys, case_id_of: Any) -> None:
        self._keys = keys
        self._case_id_of = case_id_of

    def add(self, tx: Transaction, case_id: UUID, keys: Sequence[IdentityKey]) -> None:
        self.add_many(tx, [(case_id, keys)])

    def add_many(self, tx: Transaction,
                 entries: Sequence[tuple[UUID, Sequence[IdentityKey]]]) -> None:
        """What the vault writes with each person it stores (SqliteVault.store), for cases
        indexed apart from it: a re-indexing, a benchmark's store."""
        rows = sorted({(self._keys.digest(key), key.kind.value, self._case_id_of(case_id))
                       for case_id, keys in entries for key in keys})
        tx.executemany(
            "INSERT INTO vault_person_index (digest, kind, case_id) VALUES (?, ?, ?) "
            "ON CONFLICT (digest, case_id) DO NOTHING", rows)

    def find(self, tx: Transaction, keys: Sequence[IdentityKey]) -> list[IndexedCase]:
        digests = sorted({self._keys.digest(key) for key in keys})
        if not digests:
            return []
        rows = tx.fetchall(
            "SELECT i.case_id, i.kind FROM vault_person_index i "
            f"WHERE i.digest IN ({', '.join('?' * len(digests))}) "
            # A person whose intake is not saved yet (or never will be) matches nobody.
            "AND NOT EXISTS (SELECT 1 FROM vault_pending p WHERE p.case_id = i.case_id)",
            digests)
        found: dict[UUID, set[KeyKind]] = {}
        for case_id, kind in rows:
            key = case_id if isinstance(case_id, UUID) else UUID(bytes=bytes(case_id))
            found.setdefault(key, set()).add(KeyKind(kind))
        return [IndexedCase(case_id, frozenset(kinds))
                for case_id, kinds in sorted(found.items(), key=lambda item: str(item[0]))]


class SqlitePersonIndex:
    """The index in the vault's SQLite file, through a connection of its own."""

    def __init__(self, path: Path, key: bytes) -> None:
        self._index = _IndexOn(BlindIndexKeys(key), lambda case_id: case_id.bytes)
        self._database = SqliteSerialised(path, _SQLITE_PRAGMAS, timeout=10.0)
        try:
            with self._database.transaction() as tx:
                for statement in SQLITE_PERSON_INDEX_DDL:
                    tx.execute(statement)
        except BaseException:
            self._database.close()
            raise

    def add(self, case_id: UUID, keys: Sequence[IdentityKey]) -> None:
        with self._database.transaction() as tx:
            self._index.add(tx, case_id, keys)

    def add_many(self, entries: Sequence[tuple[UUID, Sequence[IdentityKey]]]) -> None:
        """Index many cases in one transaction (a re-indexing, a benchmark's store)."""
        with self._database.transaction() as tx:
            self._index.add_many(tx, entries)

    def find(self, keys: Sequence[IdentityKey]) -> list[IndexedCase]:
        with self._database.reading() as tx:
            return self._index.find(tx, keys)

    def remove(self, case_id: UUID) -> int:
        with self._database.transaction() as tx:
            return tx.execute("DELETE FROM vault_person_index WHERE case_id = ?",
                              (case_id.bytes,))

    def close(self) -> None:
        self._database.close()


class PostgresPersonIndex:
    """The index in the vault's PostgreSQL tables."""

    def __init__(self, database_url: str, key: bytes, *, max_connections: int = 2) -> None:
        self._index = _IndexOn(BlindIndexKeys(key), lambda case_id: case_id)
        self._database = PostgresPool(
            database_url, max_size=max_connections, name="lgnet-person-index", autocommit=True)
        try:
            with self._database.transaction() as tx:
                tx.execute("SELECT pg_advisory_xact_lock(hashtext('lgnet-vault-schema'))")
                for statement in POSTGRES_PERSON_INDEX_DDL:
                    tx.execute(statement)
        except BaseException:
            self._database.close()
            raise

    def add(self, case_id: UUID, keys: Sequence[IdentityKey]) -> None:
        with self._database.transaction() as tx:
            self._index.add(tx, case_id, keys)

    def add_many(self, entries: Sequence[tuple[UUID, Sequence[IdentityKey]]]) -> None:
        """Index many cases in one transaction (a re-indexing, a benchmark's store)."""
        with self._database.transaction() as tx:
            self._index.add_many(tx, entries)

    def find(self, keys: Sequence[IdentityKey]) -> list[IndexedCase]:
        with self._database.statements() as tx:
            return self._index.find(tx, keys)

    def remove(self, case_id: UUID) -> int:
        with self._database.statements() as tx:
            return tx.execute("DELETE FROM vault_person_index WHERE case_id = ?", (case_id,))

    def close(self) -> None:
        self._database.close()


def open_person_index(settings: Settings, *, key: bytes | None = None) -> PersonIndex:
    """The deployment's blind index, beside its vault. The key comes from
    `settings.blind_index_key_path` (created there on first use) unless given."""
    if key is None:
        key = load_or_create_master_key(settings.blind_index_key_path)
    if settings.database_url is not None:
        return PostgresPersonIndex(settings.database_url, key)
    return SqlitePersonIndex(settings.data_dir / VAULT_FILE_NAME, key)
