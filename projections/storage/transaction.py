"""Portable SQL: the one transaction interface every table of the platform is written through
(read models, accounts, vault), with `?` placeholders whatever the database."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Transaction(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...

    def insert_new(
        self, table: str, columns: Sequence[str], key: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        """Insert the rows whose `key` is not in `table` yet, in order (of rows with equal keys
        the first wins): `INSERT ... ON CONFLICT (key) DO NOTHING` for many rows, written the
        fastest way the database has."""
        ...


def insert_new_sql(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    """`insert_new` as one statement a row."""
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
    )


class Database(Protocol):
    """A database of the kit (`SqlitePerThread`, `SqliteSerialised`, `PostgresPool`), as the
    stores built on it use it."""

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A read-write transaction: committed when the block ends, rolled back on an error."""
        ...

    def reading(self) -> AbstractContextManager[Transaction]:
        """What queries run in: never a write lock on SQLite."""
        ...

    def close(self) -> None: ...
