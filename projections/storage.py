"""The read-model database: a SQLite file by default, PostgreSQL in production. Projections write
portable SQL with `?` placeholders; this module adapts them and owns the tracking table."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

TRACKING_DDL = """
CREATE TABLE IF NOT EXISTS rm_tracking (
    projection TEXT PRIMARY KEY,
    stream_seq BIGINT NOT NULL,
    position BIGINT NOT NULL
)
"""


class Transaction(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...


@dataclass(frozen=True)
class Tracking:
    stream_seq: int
    position: int


class ReadModelDatabase:
    """One database holding every read model and the tracking positions."""

    dialect: str

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A read-write transaction: committed when the block ends, rolled back on an error."""
        raise NotImplementedError
        yield

    @contextmanager
    def reading(self) -> Iterator[Transaction]:
        """A transaction for queries. On SQLite it takes no write lock (and reads one snapshot), so
        pages and read-your-writes polls never queue behind, or hold up, the projector."""
        with self.transaction() as tx:
            yield tx

    def close(self) -> None:
        raise NotImplementedError

    def ensure_tracking_table(self) -> None:
        with self.transaction() as tx:
            tx.execute(TRACKING_DDL)

    def tracking(self, projection: str) -> Tracking:
        with self.reading() as tx:
            return tracking_in(tx, projection)


def tracking_in(tx: Transaction, projection: str) -> Tracking:
    row = tx.fetchone(
        "SELECT stream_seq, position FROM rm_tracking WHERE projection = ?", (projection,)
    )
    return Tracking(0, 0) if row is None else Tracking(int(row[0]), int(row[1]))


def advance_tracking(tx: Transaction, projection: str, tracking: Tracking) -> None:
    tx.execute(
        "INSERT INTO rm_tracking (projection, stream_seq, position) VALUES (?, ?, ?) "
        "ON CONFLICT (projection) DO UPDATE SET stream_seq = excluded.stream_seq, "
        "position = excluded.position",
        (projection, tracking.stream_seq, tracking.position),
    )


class _SqliteTransaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.connection.executemany(sql, rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql, params).fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self.connection.execute(sql, params).fetchone()
        return None if row is None else tuple(row)


class SqliteReadModels(ReadModelDatabase):
    """A SQLite file in WAL mode; one connection per thread. Read models can be rebuilt from the
    stream, so commits skip the fsync (synchronous=NORMAL)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.ensure_tracking_table()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTransaction(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[Transaction]:
        # A deferred BEGIN takes no lock until it reads; in WAL mode readers never block the
        # writer, whereas BEGIN IMMEDIATE would make every page view wait for the projector.
        connection = self._connection()
        connection.execute("BEGIN")
        try:
            yield _SqliteTransaction(connection)
        finally:
            connection.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()


class _PostgresTransaction:
    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    @staticmethod
    def _adapt(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self._adapt(sql), params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.cursor.executemany(self._adapt(sql), rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.cursor.execute(self._adapt(sql), params)
        return list(self.cursor.fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        self.cursor.execute(self._adapt(sql), params)
        row = self.cursor.fetchone()
        return None if row is None else tuple(row)


class PostgresReadModels(ReadModelDatabase):
    """Read models in PostgreSQL, through a small connection pool."""

    dialect = "postgres"

    def __init__(self, url: str, max_size: int = 8) -> None:
        from psycopg_pool import ConnectionPool

        self.pool = ConnectionPool(url, min_size=1, max_size=max_size, open=True)
        self.ensure_tracking_table()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        # Pipeline mode: statements go out without waiting for each reply (a fetch waits), so a
        # projector batch costs a few round trips, not one per statement: 2.5-3x faster. An error
        # still surfaces before the commit and rolls the whole transaction back.
        with (
            self.pool.connection() as connection,
            connection.transaction(),
            connection.pipeline(),
            connection.cursor() as cursor,
        ):
            yield _PostgresTransaction(cursor)

    @contextmanager
    def reading(self) -> Iterator[Transaction]:
        # Queries fetch after each statement: a pipeline would only add its syncs.
        with self.pool.connection() as connection, connection.transaction():
            with connection.cursor() as cursor:
                yield _PostgresTransaction(cursor)

    def close(self) -> None:
        self.pool.close()


def open_read_models(database_url: str | None, sqlite_path: Path) -> ReadModelDatabase:
    if database_url:
        return PostgresReadModels(database_url)
    return SqliteReadModels(sqlite_path)
