"""PostgreSQL through the portable transaction: `?` becomes `%s`, and each store gets its own
small psycopg connection pool."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from projections.storage.transaction import insert_new_sql

# Rows `insert_new` sends as one INSERT each rather than through COPY.
FEW_ROWS = 32


class PostgresTransaction:
    """The portable SQL on a psycopg cursor: `?` becomes `%s`."""

    def __init__(self, cursor: Any, *, pipelined: bool = False) -> None:
        self.cursor = cursor
        self._pipelined = pipelined
        self._pipeline: Any = None  # psycopg's Pipeline while statements queue in it
        self._reader: Any = None  # pipelined: the cursor queries run on (_query_cursor)

    def _queue_statements(self) -> None:
        """Pipelined: statements are sent without waiting for each one's result, so a batch of
        them costs one round trip (at the end, or at the next query) instead of one each."""
        if self._pipelined and self._pipeline is None:
            pipeline = self.cursor.connection.pipeline()
            pipeline.__enter__()
            self._pipeline = pipeline

    def end_pipeline(self, error: BaseException | None = None) -> None:
        """Send what is queued and wait for it: a statement that failed raises here (unless
        `error`, the block's own, is being raised already)."""
        pipeline, self._pipeline = self._pipeline, None
        try:
            if pipeline is not None:
                if error is None:
                    pipeline.__exit__(None, None, None)
                else:
                    pipeline.__exit__(type(error), error, error.__traceback__)
        finally:
            reader, self._reader = self._reader, None
            if reader is not None:
                reader.close()

    def _query_cursor(self) -> Any:
        """The cursor a query runs on. Pipelined, not the one statements queue on: psycopg
        3.3.9 gives a queued statement's result to its cursor whenever it arrives, and one that
        arrives while a query is being sent on that same cursor is taken for the query's own
        ("the last operation didn't produce records (command status: UPDATE 1)"). Results
        arrive that way once the server flushes a long pipeline part-way: 4 of 10 rebuilds of
        1M events on PostgreSQL failed so in a referral's answer. Each query's result is read
        before the next query is sent, so one reading cursor serves them all."""
        if not self._pipelined:
            return self.cursor
        if self._reader is None:
            self._reader = self.cursor.connection.cursor()
        return self._reader

    @staticmethod
    def _adapt(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed (-1 when pipelined: not known yet)."""
        self._queue_statements()
        self.cursor.execute(self._adapt(sql), params)
        return int(self.cursor.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._queue_statements()
        self.cursor.executemany(self._adapt(sql), rows)

    def insert_new(
        self, table: str, columns: Sequence[str], key: Sequence[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        # COPY into a session-local staging table, then one INSERT ... SELECT: a third of the
        # client CPU of executemany (which binds and sends every row as its own statement).
        # Pipelined, the CREATE waits in the pipeline with what came before, COPY (which
        # cannot run in one) ends it, and the INSERT opens the next: two round trips, not four.
        # A few rows go as statements of their own: queued in the pipeline, they cost no round
        # trip (a rebuild inserts one or two rows at a time in places: a shelter's bed count,
        # the cases counted between two moves of the network overview).
        if not rows:
            return
        if len(rows) <= FEW_ROWS:
            self.executemany(insert_new_sql(table, columns, key), rows)
            return
        staging = f"staging_{table}"
        names = ", ".join(columns)
        self._queue_statements()
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table} INCLUDING DEFAULTS,"
            " staged_as BIGSERIAL) ON COMMIT DELETE ROWS"
        )
        self.end_pipeline()
        with self.cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self._queue_statements()
        self.cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ORDER BY staged_as"
            f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
        )

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._query_cursor()
        cursor.execute(self._adapt(sql), params)
        return list(cursor.fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        cursor = self._query_cursor()
        cursor.execute(self._adapt(sql), params)
        row = cursor.fetchone()
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
    def transaction(self, *, pipelined: bool = False) -> Iterator[PostgresTransaction]:
        """A read-write transaction: committed when the block ends, rolled back on an error.

        `pipelined`: statements are sent without waiting for each one's result (psycopg's
        pipeline mode; queries and COPY still wait), so `execute` cannot say how many rows it
        changed (-1), and a failed statement raises at the next query, COPY or the end of the
        block, rolling the whole transaction back all the same. For writers of many statements
        that read no row counts: a rebuild applying per-event statements paid one round trip
        each (docs/benchmarks.md, issue 15). Not the default: a projector batch is a dozen
        statements, and other stores read row counts."""
        with (
            self.pool.connection() as connection,
            connection.transaction(),
            connection.cursor() as cursor,
        ):
            tx = PostgresTransaction(cursor, pipelined=pipelined)
            try:
                yield tx
            except BaseException as error:
                tx.end_pipeline(error)
                raise
            tx.end_pipeline()

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
