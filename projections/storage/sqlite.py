"""SQLite files, through the portable transaction. Two ways to share a file between threads:
- `SqlitePerThread`: one connection per thread (WAL mode lets readers and the writer work side by
  side); the read models and the accounts;
- `SqliteSerialised`: one connection serialised by a lock; the vault, whose rollback journal (no
  WAL file keeping old pages) rules out readers beside a writer anyway.
Each store passes its own pragmas, so durability and journal stay its own choice."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _insert_new_sql(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
    )


class SqliteTransaction:
    """Portable SQL (`?` placeholders) on one SQLite connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        return self.connection.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.connection.executemany(sql, rows)

    def insert_new(
        self, table: str, columns: Sequence[str], key: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        self.connection.executemany(_insert_new_sql(table, columns, key), rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql, params).fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self.connection.execute(sql, params).fetchone()
        return None if row is None else tuple(row)


def _connect(path: Path, pragmas: Sequence[str], timeout: float) -> sqlite3.Connection:
    # isolation_level=None: the module opens no transaction of its own; ours are explicit.
    connection = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=timeout
    )
    try:
        for pragma in pragmas:
            connection.execute(pragma)
    except BaseException:
        connection.close()
        raise
    return connection


@contextmanager
def _write_transaction(connection: sqlite3.Connection) -> Iterator[SqliteTransaction]:
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue (for the busy timeout)
    # instead of one failing halfway through when it first writes.
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield SqliteTransaction(connection)
        connection.execute("COMMIT")
    except BaseException:
        # Some errors end the transaction by themselves: roll back only what is still open.
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


# SQLite's primary result codes after which a connection is not trusted again: a file that was
# read-only, could not be opened or failed to read or write. The next use opens a new one, so
# the store recovers when the file does (its permissions back, the disk remounted).
_REOPEN_AFTER = frozenset({8, 10, 14})  # SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN


def _calls_for_reopening(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _REOPEN_AFTER


class SqlitePerThread:
    """A SQLite file with one connection per thread, each opened with `pragmas`."""

    def __init__(self, path: Path, pragmas: Sequence[str], timeout: float = 30) -> None:
        self.path = path
        self._pragmas = tuple(pragmas)
        self._timeout = timeout
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = _connect(self.path, self._pragmas, self._timeout)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        """A read-write transaction: committed when the block ends, rolled back on an error."""
        with self._reopened_after_failure(), _write_transaction(self._connection()) as tx:
            yield tx

    @contextmanager
    def reading(self) -> Iterator[SqliteTransaction]:
        """A transaction for queries: one snapshot, and no write lock. A deferred BEGIN takes no
        lock until it reads; in WAL mode readers never block the writer, whereas BEGIN IMMEDIATE
        would make every page view wait for the projector."""
        with self._reopened_after_failure():
            connection = self._connection()
            connection.execute("BEGIN")
            try:
                yield SqliteTransaction(connection)
            finally:
                connection.execute("COMMIT")

    @contextmanager
    def _reopened_after_failure(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as error:
            if _calls_for_reopening(error):
                self._forget_thread_connection()
            raise

    def _forget_thread_connection(self) -> None:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            return
        self._local.connection = None
        with self._lock:
            if connection in self._connections:
                self._connections.remove(connection)
        connection.close()

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()


class SqliteSerialised:
    """A SQLite file through one connection, opened with `pragmas`, that one thread at a time
    uses (a lock serialises them)."""

    def __init__(self, path: Path, pragmas: Sequence[str], timeout: float = 30) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = _connect(path, pragmas, timeout)

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        """A read-write transaction: committed when the block ends, rolled back on an error."""
        with self._lock, _write_transaction(self._connection) as tx:
            yield tx

    @contextmanager
    def reading(self) -> Iterator[SqliteTransaction]:
        """Queries, each its own (autocommit) transaction, with the connection to itself."""
        with self._lock:
            yield SqliteTransaction(self._connection)

    def close(self) -> None:
        with self._lock:
            self._connection.close()
