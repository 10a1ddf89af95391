"""The read-model database: a SQLite file by default, PostgreSQL in production. Projections write
portable SQL with `?` placeholders, and bulk inserts through `Transaction.insert_new`; this
module adapts them and owns the tracking table."""

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
    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...
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

    def trackings(self, projections: Sequence[str]) -> dict[str, Tracking]:
        with self.reading() as tx:
            return trackings_in(tx, projections)


def _insert_new_sql(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
    )


def tracking_in(tx: Transaction, projection: str) -> Tracking:
    row = tx.fetchone(
        "SELECT stream_seq, position FROM rm_tracking WHERE projection = ?", (projection,)
    )
    return Tracking(0, 0) if row is None else Tracking(int(row[0]), int(row[1]))


def trackings_in(tx: Transaction, projections: Sequence[str]) -> dict[str, Tracking]:
    """The tracking of each of these projections ((0, 0) for one that has applied nothing)."""
    found = {
        str(row[0]): Tracking(int(row[1]), int(row[2]))
        for row in tx.fetchall("SELECT projection, stream_seq, position FROM rm_tracking")
    }
    return {name: found.get(name, Tracking(0, 0)) for name in projections}


def advance_trackings(tx: Transaction, trackings: dict[str, Tracking]) -> None:
    if not trackings:
        return
    tx.executemany(
        "INSERT INTO rm_tracking (projection, stream_seq, position) VALUES (?, ?, ?) "
        "ON CONFLICT (projection) DO UPDATE SET stream_seq = excluded.stream_seq, "
        "position = excluded.position",
        [(name, t.stream_seq, t.position) for name, t in trackings.items()],
    )


class SqliteTransaction:
    """Portable SQL (`?` placeholders) on one SQLite connection. Also used by infra's account
    store, which needs the same adapter."""

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
            yield SqliteTransaction(connection)
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
            yield SqliteTransaction(connection)
        finally:
            connection.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()


class PostgresTransaction:
    """The same portable SQL on a psycopg cursor: `?` becomes `%s`."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    @staticmethod
    def _adapt(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        self.cursor.execute(self._adapt(sql), params)
        return int(self.cursor.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.cursor.executemany(self._adapt(sql), rows)

    def insert_new(
        self, table: str, columns: Sequence[str], key: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        # COPY into a session-local staging table, then one INSERT ... SELECT: a third of the
        # client CPU of executemany (which binds and sends every row as its own statement).
        if not rows:
            return
        staging = f"staging_{table}"
        names = ", ".join(columns)
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table} INCLUDING DEFAULTS,"
            " staged_as BIGSERIAL) ON COMMIT DELETE ROWS"
        )
        with self.cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self.cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ORDER BY staged_as"
            f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
        )

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
        # No pipeline mode: it cannot COPY (insert_new), and a projector batch is a dozen
        # statements now, whatever its size.
        with (
            self.pool.connection() as connection,
            connection.transaction(),
            connection.cursor() as cursor,
        ):
            yield PostgresTransaction(cursor)

    @contextmanager
    def reading(self) -> Iterator[Transaction]:
        # Queries fetch after each statement: a pipeline would only add its syncs. REPEATABLE
        # READ makes every query of the transaction see one snapshot, as on SQLite: figures read
        # by several queries (the indicators) then agree with each other and with the position
        # read beside them. A transaction that only reads never fails to serialise.
        with self.pool.connection() as connection, connection.transaction():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                yield PostgresTransaction(cursor)

    def close(self) -> None:
        self.pool.close()


def open_read_models(database_url: str | None, sqlite_path: Path) -> ReadModelDatabase:
    if database_url:
        return PostgresReadModels(database_url)
    return SqliteReadModels(sqlite_path)
