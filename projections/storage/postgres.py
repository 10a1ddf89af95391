"""PostgreSQL through the portable transaction: `?` becomes `%s`, and each store gets its own
small psycopg connection pool."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


class PostgresTransaction:
    """The portable SQL on a psycopg cursor: `?` becomes `%s`."""

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


POOL_WAIT_SECONDS = 5.0


class PostgresPool:
    """A small pool of connections to one PostgreSQL database.

    `read_isolation` is the isolation level of `reading()` transactions (None: the server's
    default, READ COMMITTED). `autocommit` connections make each statement outside a `transaction()`
    block its own transaction, as `statements()` runs them: what VACUUM needs."""

    def __init__(
        self,
        url: str,
        *,
        max_size: int,
        name: str | None = None,
        autocommit: bool = False,
        read_isolation: str | None = None,
    ) -> None:
        from psycopg_pool import ConnectionPool

        self.read_isolation = read_isolation
        self.pool: ConnectionPool = ConnectionPool(
            url, min_size=1, max_size=max_size, open=True, name=name,
            kwargs={"autocommit": True} if autocommit else None,
            # A connection the server ended (a restart, pg_terminate_backend) is found and
            # replaced when it is handed out, not by the statement that would fail on it.
            check=ConnectionPool.check_connection,
            # How long a request waits for a connection before it fails (PoolTimeout: an
            # outage's 503, infra.outages). psycopg_pool's default, 30 s, kept every request
            # hanging half a minute while PostgreSQL was down (the cluster test's restart); 5 s
            # is the event store's own (eventsourcing's connect_timeout).
            timeout=POOL_WAIT_SECONDS,
        )

    @contextmanager
    def transaction(self) -> Iterator[PostgresTransaction]:
        """A read-write transaction: committed when the block ends, rolled back on an error."""
        # No pipeline mode: it cannot COPY (insert_new), and a projector batch is a dozen
        # statements now, whatever its size.
        with (
            self.pool.connection() as connection,
            connection.transaction(),
            connection.cursor() as cursor,
        ):
            yield PostgresTransaction(cursor)

    @contextmanager
    def reading(self) -> Iterator[PostgresTransaction]:
        """A transaction for queries, at `read_isolation`."""
        # Queries fetch after each statement: a pipeline would only add its syncs.
        with self.transaction() as tx:
            if self.read_isolation is not None:
                tx.cursor.execute(f"SET TRANSACTION ISOLATION LEVEL {self.read_isolation}")
            yield tx

    @contextmanager
    def statements(self) -> Iterator[PostgresTransaction]:
        """A connection of an autocommit pool to itself, outside any transaction block."""
        with self.pool.connection() as connection, connection.cursor() as cursor:
            yield PostgresTransaction(cursor)

    def close(self) -> None:
        self.pool.close()
