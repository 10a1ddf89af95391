"""The PostgreSQL storage kit (projections/storage/postgres.py) on the real server, as the
mutation pass of issue 20 holds it (docs/testing.md, "PostgreSQL storage under make mutate"):
`?` placeholders and a literal `%`, row counts, rows as tuples, commit and rollback, pipelined
statements (no row count, a failed one raising at the end of the block, the block's own error
kept), `insert_new` (first of equal keys wins, existing rows kept, nothing staged for nothing),
the pool as configured (sizes, name, wait, opened explicitly, autocommit), a connection the
server ended replaced when handed out, the read isolation, statements outside a transaction.

Marked `postgres_narrow` besides `postgres`: `make mutate` runs these tests although they need
the server, because they reach nothing of domain/, events/ or projections/ but this module and
take well under a second of CPU together (mutmut runs a test for every surviving mutant of every
function it reaches). Keep it so: no record, vault or read model here."""

from __future__ import annotations

import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from psycopg import pq

from projections.storage.postgres import (
    FEW_ROWS,
    POOL_WAIT_SECONDS,
    PostgresPool,
    PostgresTransaction,
)

pytestmark = [pytest.mark.postgres, pytest.mark.postgres_narrow]

# A statement that fails a moment after it is sent: in a pipeline its error cannot have come
# back by the time `execute` returns, so where it is raised says what `end_pipeline` did.
FAILS_LATER = "DO $$ BEGIN PERFORM pg_sleep(0.2); RAISE EXCEPTION 'failed later'; END $$"


@pytest.fixture(scope="module")
def admin(postgres_database: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection of the tests' own to the database, outside the pools under test: it makes
    the tables and reads back what a pool committed."""
    with psycopg.connect(postgres_database, autocommit=True) as connection:
        yield connection


@pytest.fixture
def table(admin: psycopg.Connection[Any]) -> str:
    """A new table of this test's own: a key of two columns, a column with a default."""
    name = f"kit_{uuid4().hex[:12]}"
    admin.execute(
        f"CREATE TABLE {name} (a INTEGER NOT NULL, b TEXT NOT NULL, c TEXT DEFAULT 'dflt',"
        " PRIMARY KEY (a, b))")
    return name


@pytest.fixture
def open_pool(postgres_database: str) -> Iterator[Callable[..., PostgresPool]]:
    """Opens pools on the test database (one connection unless told), all closed afterwards."""
    opened: list[PostgresPool] = []

    def open_one(**options: Any) -> PostgresPool:
        pool = PostgresPool(postgres_database, **{"max_size": 1, **options})
        opened.append(pool)
        return pool

    yield open_one
    for pool in opened:
        pool.close()


def rows_of(admin: psycopg.Connection[Any], table: str) -> list[tuple[Any, ...]]:
    return admin.execute(f"SELECT a, b, c FROM {table} ORDER BY a, b").fetchall()


def in_pipeline(tx: PostgresTransaction) -> bool:
    """Whether the transaction's connection has statements queued in pipeline mode."""
    return bool(tx.cursor.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF)


def test_placeholders_a_literal_percent_and_rows_as_tuples(
    open_pool: Callable[..., PostgresPool], table: str
) -> None:
    pool = open_pool()
    with pool.transaction() as tx:
        assert tx.fetchone("SELECT ? || '%', 'a%b' LIKE ?", ("50", "a%")) == ("50%", True)
        tx.executemany(f"INSERT INTO {table} (a, b) VALUES (?, ?)", [(1, "x"), (2, "y")])
        rows = tx.fetchall(f"SELECT a, b, c FROM {table} WHERE a >= ? ORDER BY a", (1,))
        assert rows == [(1, "x", "dflt"), (2, "y", "dflt")]
        assert type(rows) is list and all(type(row) is tuple for row in rows)
        row = tx.fetchone(f"SELECT a, b FROM {table} WHERE a = ?", (2,))
        assert row == (2, "y") and type(row) is tuple
        assert tx.fetchone(f"SELECT a FROM {table} WHERE a = ?", (3,)) is None


def test_a_transaction_counts_rows_and_commits_when_its_block_ends(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    pool = open_pool()
    with pool.transaction() as tx:
        assert not in_pipeline(tx)
        two = f"INSERT INTO {table} (a, b) VALUES (?, ?), (?, ?)"
        assert tx.execute(two, (1, "x", 2, "y")) == 2
        assert tx.execute(f"UPDATE {table} SET c = ? WHERE a = ?", ("one", 1)) == 1
        assert tx.execute(f"UPDATE {table} SET c = 'none' WHERE a = 9") == 0
        assert rows_of(admin, table) == []  # not yet committed
    assert rows_of(admin, table) == [(1, "x", "one"), (2, "y", "dflt")]


def test_an_error_in_the_block_rolls_the_transaction_back(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    pool = open_pool()
    with pytest.raises(ValueError, match="the block's own"), pool.transaction() as tx:
        tx.execute(f"INSERT INTO {table} (a, b) VALUES (?, ?)", (1, "x"))
        raise ValueError("the block's own")
    assert rows_of(admin, table) == []


def test_pipelined_statements_wait_in_the_pipeline_without_a_row_count(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    pool = open_pool()
    with pool.transaction(pipelined=True) as tx:
        tx.executemany(f"INSERT INTO {table} (a, b) VALUES (?, ?)", [(1, "x"), (2, "y")])
        assert in_pipeline(tx)  # queued: its rows are sent with what follows
        assert tx.execute(f"UPDATE {table} SET c = ? WHERE a = ?", ("one", 1)) == -1
        assert in_pipeline(tx)
        # A query waits for what is queued, and the statements after it queue again.
        assert tx.fetchone(f"SELECT count(*) FROM {table}") == (2,)
        assert tx.execute(f"UPDATE {table} SET c = ? WHERE a = ?", ("two", 2)) == -1
    assert rows_of(admin, table) == [(1, "x", "one"), (2, "y", "two")]
    # The connection went back to the pool out of pipeline mode, for the next transaction.
    with pool.transaction() as tx:
        assert not in_pipeline(tx)
        assert tx.execute(f"DELETE FROM {table} WHERE a = ?", (1,)) == 1


# Statements queued before each query: their results (~20 bytes each) overflow the server's
# output buffer, so it sends them part-way; given the time (a rebuild's own work between two
# statements), they have arrived when the query is sent.
STATEMENTS_BEFORE_A_QUERY = 2000
SERVER_TIME_SECONDS = 0.05


def test_a_query_after_a_long_pipeline_gets_its_own_rows(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    """psycopg hands a queued statement's result to its cursor when it arrives: when queries ran
    on that cursor too, it stood in for the query's rows ("the last operation didn't produce
    records (command status: UPDATE 1)": this test, three runs of three; 4 of 10 rebuilds of 1M
    events on PostgreSQL). Queries now run on a cursor of their own."""
    admin.execute(f"INSERT INTO {table} (a, b, c) VALUES (1, 'x', '0')")
    pool = open_pool()
    with pool.transaction(pipelined=True) as tx:
        for round_ in range(1, 4):
            for _ in range(STATEMENTS_BEFORE_A_QUERY):
                tx.execute(f"UPDATE {table} SET c = (c::integer + 1)::text WHERE a = ?", (1,))
            assert in_pipeline(tx)
            time.sleep(SERVER_TIME_SECONDS)
            assert tx.fetchone(f"SELECT c FROM {table} WHERE a = ?", (1,)) == (
                str(round_ * STATEMENTS_BEFORE_A_QUERY),)
            assert tx.fetchall(f"SELECT a, b FROM {table}") == [(1, "x")]
    assert rows_of(admin, table) == [(1, "x", str(3 * STATEMENTS_BEFORE_A_QUERY))]


def test_a_pipelined_statement_that_fails_raises_at_the_end_and_rolls_all_back(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    pool = open_pool()
    queued_all = False
    with pytest.raises(psycopg.errors.RaiseException, match="failed later"):
        with pool.transaction(pipelined=True) as tx:
            tx.execute(f"INSERT INTO {table} (a, b) VALUES (?, ?)", (1, "x"))
            tx.execute(FAILS_LATER)
            queued_all = True
    assert queued_all  # raised at the end of the block, not by `execute`
    assert rows_of(admin, table) == []
    with pool.transaction() as tx:  # the connection is usable again
        assert tx.fetchone("SELECT ?::int + 1", (1,)) == (2,)


class Refused(Exception):
    """An error of the caller's with an argument it cannot be made without (as the domain's)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


def refuse() -> None:
    raise Refused("the block's own")


def test_a_pipelined_block_s_own_error_comes_out_as_raised_not_the_pipeline_s(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    pool = open_pool()
    with pytest.raises(Refused, match="the block's own") as raised:
        with pool.transaction(pipelined=True) as tx:
            tx.execute(f"INSERT INTO {table} (a, b) VALUES (?, ?)", (1, "x"))
            tx.execute(FAILS_LATER)
            refuse()
    # The very error, with the traceback of where it was raised.
    assert "refuse" in [frame.name for frame in traceback.extract_tb(raised.value.__traceback__)]
    assert rows_of(admin, table) == []


def test_ending_a_pipeline_for_an_error_leaves_the_error_as_it_was(
    open_pool: Callable[..., PostgresPool],
) -> None:
    # Called directly: `transaction()`, a context manager itself, would put a traceback lost
    # here back on the error it re-raises.
    with open_pool().transaction() as plain:
        tx = PostgresTransaction(plain.cursor, pipelined=True)
        assert tx.execute("SELECT 1") == -1
        try:
            refuse()
        except Refused as error:
            where = error.__traceback__
            tx.end_pipeline(error)
            assert error.__traceback__ is where
            assert error.args == ("the block's own",)
        assert not in_pipeline(tx)


def staged(tx: PostgresTransaction, table: str) -> bool:
    """Whether `insert_new` went through COPY (its staging table is there) for `table`."""
    return tx.fetchone("SELECT to_regclass(?)", (f"pg_temp.staging_{table}",)) != (None,)


@pytest.mark.parametrize("pipelined", [False, True], ids=["plain", "pipelined"])
@pytest.mark.parametrize("rows", [FEW_ROWS, FEW_ROWS + 1], ids=["statements", "copy"])
def test_insert_new_keeps_existing_rows_and_the_first_of_equal_keys(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any],
    pipelined: bool, rows: int,
) -> None:
    """Up to FEW_ROWS rows as one INSERT each, more through COPY: the same rows either way."""
    admin.execute(f"INSERT INTO {table} (a, b, c) VALUES (1, 'x', 'old')")
    pool = open_pool()  # one connection: every transaction below reuses its staging table
    columns, key = ["a", "b", "c"], ["a", "b"]
    given = [
        (1, "x", "new"),     # the key is there already: kept as it is
        (2, "x", "first"),   # equal keys in one batch: the first wins
        (2, "x", "second"),
        (2, "y", "other"),   # same `a`, another `b`: the key is both columns
        (3, "z", None),
    ]
    filler: list[tuple[int, str, str | None]] = [
        (100 + i, "f", "filler") for i in range(rows - len(given))]
    with pool.transaction(pipelined=pipelined) as tx:
        tx.execute(f"UPDATE {table} SET c = ? WHERE a = ?", ("older", 1))
        tx.insert_new(table, columns, key, given + filler)
        assert in_pipeline(tx) is pipelined  # pipelined, the INSERT waits with what follows
        assert staged(tx, table) is (rows > FEW_ROWS)
    assert rows_of(admin, table) == [
        (1, "x", "older"), (2, "x", "first"), (2, "y", "other"), (3, "z", None), *filler]
    # The staged rows went with the commit: removed since, they are not inserted again.
    admin.execute(f"DELETE FROM {table} WHERE a = 2 OR a >= 100")
    with pool.transaction(pipelined=pipelined) as tx:
        tx.insert_new(table, columns, key, [(4, "w", "later")])
    assert rows_of(admin, table) == [(1, "x", "older"), (3, "z", None), (4, "w", "later")]


def test_insert_new_stages_each_table_s_rows_apart(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    other = f"{table}_other"  # other columns than `table`'s
    admin.execute(f"CREATE TABLE {other} (id INTEGER PRIMARY KEY, label TEXT)")
    many = range(FEW_ROWS + 1)  # through COPY
    with open_pool().transaction() as tx:
        tx.insert_new(table, ["a", "b"], ["a", "b"], [(i, "x") for i in many])
        tx.insert_new(other, ["id", "label"], ["id"], [(i, f"n{i}") for i in many])
        assert staged(tx, table) and staged(tx, other)
    # the default of the column left out
    assert rows_of(admin, table) == [(i, "x", "dflt") for i in many]
    assert admin.execute(f"SELECT id, label FROM {other} ORDER BY id").fetchall() == [
        (i, f"n{i}") for i in many]


def test_insert_new_of_no_rows_stages_nothing(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    with open_pool().transaction() as tx:
        tx.insert_new(table, ["a", "b"], ["a", "b"], [])
        assert not staged(tx, table)
    assert rows_of(admin, table) == []


def test_the_pool_is_opened_explicitly_with_its_sizes_name_and_wait(
    open_pool: Callable[..., PostgresPool],
) -> None:
    assert POOL_WAIT_SECONDS == 5.0  # an outage's 503 after 5 s, not psycopg_pool's 30
    with warnings.catch_warnings():
        # `open=None` would open it too, but warns (the default will become closed).
        warnings.simplefilter("error")
        database = open_pool(max_size=3, name="kit-pool")
        pool = database.pool
        assert (pool.min_size, pool.max_size, pool.name) == (1, 3, "kit-pool")
        assert pool.timeout == POOL_WAIT_SECONDS
        assert not pool.closed
        with database.transaction() as tx:
            assert tx.cursor.connection.autocommit is False
            assert tx.fetchone("SELECT 1") == (1,)
    database.close()
    assert pool.closed


def test_a_connection_the_server_ended_is_replaced_when_handed_out(
    open_pool: Callable[..., PostgresPool], admin: psycopg.Connection[Any]
) -> None:
    pool = open_pool()
    with pool.transaction() as tx:
        (ended,) = tx.fetchone("SELECT pg_backend_pid()") or (None,)
    # Waits (up to 5 s) until the server process is gone, so the pool's check cannot race it.
    assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (ended,)).fetchone() == (True,)
    with pool.transaction() as tx:
        (now,) = tx.fetchone("SELECT pg_backend_pid()") or (None,)
    assert now is not None and now != ended


@pytest.mark.parametrize(("read_isolation", "level"), [
    (None, "read committed"), ("REPEATABLE READ", "repeatable read"),
    ("SERIALIZABLE", "serializable")])
def test_reading_runs_at_the_pool_s_read_isolation(
    open_pool: Callable[..., PostgresPool], read_isolation: str | None, level: str
) -> None:
    pool = open_pool(read_isolation=read_isolation)
    assert pool.read_isolation == read_isolation
    with pool.reading() as tx:
        assert tx.fetchone("SHOW transaction_isolation") == (level,)
        assert not in_pipeline(tx)
    with pool.transaction() as tx:  # only reading() sets it
        assert tx.fetchone("SHOW transaction_isolation") == ("read committed",)


def test_statements_of_an_autocommit_pool_run_outside_a_transaction_block(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    pool = open_pool(autocommit=True)
    # What each connection is opened with: a wrong argument would fail only after the pool's
    # 5 s wait for a connection that never comes.
    assert pool.pool.kwargs == {"autocommit": True}
    with pool.statements() as tx:
        assert tx.cursor.connection.autocommit is True
        two = f"INSERT INTO {table} (a, b) VALUES (?, ?), (?, ?)"
        assert tx.execute(two, (1, "x", 2, "y")) == 2
        assert rows_of(admin, table) == [(1, "x", "dflt"), (2, "y", "dflt")]  # each its own
        tx.execute(f"VACUUM {table}")  # refused inside a transaction block
    with pool.transaction() as tx:  # a transaction() is still one
        tx.execute(f"DELETE FROM {table}")
        assert rows_of(admin, table) != []


def test_statements_of_a_pool_without_autocommit_are_one_transaction_left_uncommitted(
    open_pool: Callable[..., PostgresPool], table: str, admin: psycopg.Connection[Any]
) -> None:
    pool = open_pool()
    with pool.statements() as tx:
        assert tx.cursor.connection.autocommit is False
        assert tx.execute(f"INSERT INTO {table} (a, b) VALUES (?, ?)", (1, "x")) == 1
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            tx.execute(f"VACUUM {table}")
    assert rows_of(admin, table) == []  # the pool rolls back what a connection left open
