"""The read-model database and the SQLite storage kit (projections/storage/read_models.py and
projections/storage/sqlite.py), as the mutation pass of issue 20 holds them (docs/testing.md,
"Projections pass, part 3: organisations and SQLite storage"): the tracking table (a projection
that applied nothing at (0, 0), positions moved and moved again), the SQLite read models' pragmas
and bulk page cache, which database `open_read_models` opens (PostgreSQL through a stand-in pool:
no server), and the SQLite kit: the `INSERT ... ON CONFLICT` it writes, commits and rollbacks,
the write lock taken at BEGIN, one connection per thread, a connection forgotten after the errors
that call for reopening it and kept after the others, and closing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest

from projections.storage import read_models, sqlite
from projections.storage.read_models import (
    BULK_CACHE_KIB,
    BULK_WAL_PAGES,
    ReadModelDatabase,
    SqliteReadModels,
    Tracking,
    advance_trackings,
    open_read_models,
    tracking_in,
    trackings_in,
)
from projections.storage.sqlite import (
    GroupCommitFailed,
    SqliteGroupCommitted,
    SqlitePerThread,
    SqliteSerialised,
    SqliteTransaction,
    _calls_for_reopening,
    _connect,
    _Group,
    _write_transaction,
)
from projections.storage.transaction import insert_new_sql


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqliteReadModels]:
    db = SqliteReadModels(tmp_path / "nested" / "readmodels.sqlite")
    yield db
    db.close()


def coded(code: int | None) -> sqlite3.OperationalError:
    """An OperationalError as SQLite raises it, with its (extended) result code."""
    error = sqlite3.OperationalError(f"failed with {code}")
    if code is not None:
        error.sqlite_errorcode = code
    return error


# --- read_models.py ---------------------------------------------------------------------------

def test_the_sqlite_read_models_open_the_file_in_wal_mode_with_the_tracking_table(
    database: SqliteReadModels, tmp_path: Path
) -> None:
    assert database.path == tmp_path / "nested" / "readmodels.sqlite"
    assert database.path.exists()
    assert database.dialect == "sqlite"
    with database.reading() as tx:
        assert tx.fetchone("PRAGMA journal_mode") == ("wal",)
        assert tx.fetchone("PRAGMA synchronous") == (1,)  # NORMAL
        assert tx.fetchall("PRAGMA table_info(rm_tracking)") == [
            (0, "projection", "TEXT", 0, None, 1),
            (1, "stream_seq", "BIGINT", 1, None, 0),
            (2, "position", "BIGINT", 1, None, 0),
        ]
        assert tx.fetchall("PRAGMA table_info(rm_changes)") == [
            (0, "projection", "TEXT", 0, None, 1),
            (1, "position", "BIGINT", 1, None, 0),
        ]


def test_a_projection_that_applied_nothing_is_at_zero_and_moves_with_its_tracking(
    database: SqliteReadModels,
) -> None:
    assert database.tracking("cases") == Tracking(0, 0)
    assert database.trackings([]) == {}
    with database.transaction() as tx:
        advance_trackings(tx, {"cases": Tracking(12, 40), "housing": Tracking(3, 7)})
    assert database.tracking("cases") == Tracking(12, 40)
    assert database.tracking("housing") == Tracking(3, 7)
    assert database.tracking("notes") == Tracking(0, 0)
    assert database.trackings(["housing", "notes", "cases"]) == {
        "housing": Tracking(3, 7), "notes": Tracking(0, 0), "cases": Tracking(12, 40)}

    with database.transaction() as tx:
        advance_trackings(tx, {"cases": Tracking(13, 45)})
        advance_trackings(tx, {})
        assert tracking_in(tx, "cases") == Tracking(13, 45)
        assert trackings_in(tx, ["cases"]) == {"cases": Tracking(13, 45)}
    with database.reading() as tx:
        assert tx.fetchall(
            "SELECT projection, stream_seq, position FROM rm_tracking ORDER BY projection"
        ) == [("cases", 13, 45), ("housing", 3, 7)]
    # Read as integers whatever the column holds.
    with database.transaction() as tx:
        tx.execute("UPDATE rm_tracking SET stream_seq = '21', position = '22'"
                   " WHERE projection = 'housing'")
    assert database.tracking("housing") == Tracking(21, 22)
    assert type(database.tracking("housing").stream_seq) is int
    assert type(database.trackings(["housing"])["housing"].position) is int


def test_a_transaction_commits_at_the_end_and_rolls_back_on_an_error(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        tx.execute("CREATE TABLE t (n INTEGER)")
        tx.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(ValueError, match="refused"), database.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (2)")
        raise ValueError("refused")
    with database.reading() as tx:
        assert tx.fetchall("SELECT n FROM t") == [(1,)]


def test_the_bulk_transaction_has_its_large_page_cache_and_commits(
    database: SqliteReadModels,
) -> None:
    assert BULK_CACHE_KIB == 262144
    assert BULK_WAL_PAGES == 65536
    with database.reading() as tx:  # before any bulk transaction: SQLite's default
        assert tx.fetchone("PRAGMA wal_autocheckpoint") == (1000,)
    with database.bulk_transaction() as tx:
        assert tx.fetchone("PRAGMA cache_size") == (-BULK_CACHE_KIB,)
        assert tx.fetchone("PRAGMA wal_autocheckpoint") == (BULK_WAL_PAGES,)
        tx.execute("CREATE TABLE t (n INTEGER)")
        tx.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(ValueError), database.bulk_transaction() as tx:
        tx.execute("INSERT INTO t VALUES (2)")
        raise ValueError
    with database.reading() as tx:
        assert tx.fetchall("SELECT n FROM t") == [(1,)]


def test_closing_the_read_models_closes_their_connections(database: SqliteReadModels) -> None:
    with database.reading() as tx:
        connection = tx.connection  # type: ignore[attr-defined]
    database.close()
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")


class StandInPool:
    """A PostgresPool as PostgresReadModels uses it, on an in-memory SQLite database: what it
    was opened with and which transactions were asked for."""

    made: ClassVar[list[StandInPool]] = []

    def __init__(self, url: str, **options: Any) -> None:
        self.url, self.options = url, options
        self.asked: list[str] = []
        self.connection = sqlite3.connect(":memory:", isolation_level=None)
        self.closed = False
        StandInPool.made.append(self)

    @contextmanager
    def transaction(self, **options: Any) -> Iterator[SqliteTransaction]:
        self.asked.append(f"transaction {options}")
        yield SqliteTransaction(self.connection)

    @contextmanager
    def reading(self) -> Iterator[SqliteTransaction]:
        self.asked.append("reading")
        yield SqliteTransaction(self.connection)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def stand_in_pool(monkeypatch: pytest.MonkeyPatch) -> list[StandInPool]:
    StandInPool.made = []
    monkeypatch.setattr(read_models, "PostgresPool", StandInPool)
    return StandInPool.made


def test_the_postgres_read_models_read_in_repeatable_read_and_pipeline_bulk_transactions(
    stand_in_pool: list[StandInPool],
) -> None:
    database = read_models.PostgresReadModels("postgresql://h/db")
    [pool] = stand_in_pool
    assert (pool.url, pool.options) == (
        "postgresql://h/db", {"max_size": 8, "read_isolation": "REPEATABLE READ"})
    assert database.url == "postgresql://h/db"
    assert database.dialect == "postgres"
    # The tracking and changes tables are created at once, in a plain transaction.
    assert pool.asked == ["transaction {}"]
    assert pool.connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall() == [("rm_changes",), ("rm_tracking",)]

    with database.bulk_transaction() as tx:
        tx.execute("INSERT INTO rm_tracking VALUES ('cases', 2, 3)")
    with database.transaction():
        pass
    assert database.tracking("cases") == Tracking(2, 3)
    assert pool.asked == ["transaction {}", "transaction {'pipelined': True}",
                          "transaction {}", "reading"]
    database.close()
    assert pool.closed

    read_models.PostgresReadModels("postgresql://h/other", max_size=3)
    assert stand_in_pool[1].options == {"max_size": 3, "read_isolation": "REPEATABLE READ"}


def test_open_read_models_opens_postgres_given_a_url_else_the_sqlite_file(
    stand_in_pool: list[StandInPool], tmp_path: Path
) -> None:
    postgres = open_read_models("postgresql://h/db", tmp_path / "unused.sqlite")
    assert isinstance(postgres, read_models.PostgresReadModels)
    assert postgres.url == "postgresql://h/db"
    assert not (tmp_path / "unused.sqlite").exists()

    for no_url in (None, ""):
        local = open_read_models(no_url, tmp_path / "rm.sqlite")
        assert isinstance(local, SqliteReadModels)
        assert local.path == tmp_path / "rm.sqlite"
        local.close()
    assert len(stand_in_pool) == 1


def test_the_base_database_hands_out_its_databases_transactions() -> None:
    pool = StandInPool("x")
    database = ReadModelDatabase(pool)
    with database.bulk_transaction(), database.reading():
        pass
    assert pool.asked == ["transaction {}", "transaction {}", "reading"]


# --- sqlite.py: the transaction -------------------------------------------------------------

def test_insert_new_is_an_insert_that_leaves_existing_keys_alone() -> None:
    assert insert_new_sql("rm_t", ["a", "b", "c"], ["a", "b"]) == (
        "INSERT INTO rm_t (a, b, c) VALUES (?, ?, ?) ON CONFLICT (a, b) DO NOTHING")
    assert insert_new_sql("t", ["a"], ["a"]) == (
        "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING")

    tx = SqliteTransaction(sqlite3.connect(":memory:", isolation_level=None))
    tx.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    tx.execute("INSERT INTO t VALUES (1, 'kept')")
    tx.insert_new("t", ["k", "v"], ["k"], [(1, "new"), (2, "first"), (2, "second"), (3, "x")])
    assert tx.fetchall("SELECT k, v FROM t ORDER BY k") == [(1, "kept"), (2, "first"), (3, "x")]


def test_the_transaction_counts_changed_rows_and_reads_rows_as_tuples() -> None:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.row_factory = sqlite3.Row
    tx = SqliteTransaction(connection)
    assert tx.connection is connection
    tx.execute("CREATE TABLE t (k INTEGER, v TEXT)")
    tx.executemany("INSERT INTO t VALUES (?, ?)", [(1, "a"), (2, "b"), (3, "b")])
    assert tx.execute("UPDATE t SET v = 'c' WHERE v = ?", ("b",)) == 2
    assert tx.execute("DELETE FROM t WHERE k > 5") == 0
    rows = tx.fetchall("SELECT k, v FROM t WHERE k >= ? ORDER BY k", (2,))
    assert [tuple(row) for row in rows] == [(2, "c"), (3, "c")]  # the kit sets no row factory
    assert type(rows) is list
    one = tx.fetchone("SELECT k, v FROM t WHERE k = ?", (1,))
    assert one == (1, "a")
    assert type(one) is tuple
    assert tx.fetchone("SELECT k FROM t WHERE k = 9") is None
    assert tx.fetchone("SELECT COUNT(*) FROM t") == (3,)
    assert [tuple(row) for row in tx.fetchall("SELECT COUNT(*) FROM t")] == [(3,)]


# --- sqlite.py: connections and write transactions --------------------------------------------

def test_a_connection_runs_its_pragmas_commits_nothing_by_itself_and_serves_any_thread(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.sqlite"
    connection = _connect(path, ("PRAGMA user_version = 7", "PRAGMA application_id = 9"), 30)
    assert connection.execute("PRAGMA user_version").fetchone() == (7,)
    assert connection.execute("PRAGMA application_id").fetchone() == (9,)
    assert connection.isolation_level is None
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.execute("INSERT INTO t VALUES (1)")
    assert not connection.in_transaction  # no implicit transaction left open
    seen: list[object] = []
    thread = threading.Thread(
        target=lambda: seen.append(connection.execute("SELECT n FROM t").fetchall()))
    thread.start()
    thread.join(10)
    assert seen == [[(1,)]]
    connection.close()


def test_a_connection_whose_pragma_fails_is_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", connect)
    with pytest.raises(sqlite3.OperationalError):
        _connect(tmp_path / "b.sqlite", ("PRAGMA user_version = 1", "NOT SQL AT ALL"), 30)
    [connection] = opened
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")


def test_a_connection_waits_for_the_lock_as_long_as_its_timeout(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    holder = _connect(path, (), 30)
    holder.execute("BEGIN IMMEDIATE")
    waiter = _connect(path, (), 0.3)
    import time

    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        waiter.execute("BEGIN IMMEDIATE")
    assert 0.2 < time.monotonic() - started < 5
    holder.execute("ROLLBACK")
    holder.close()
    waiter.close()


def test_a_write_transaction_takes_the_write_lock_at_begin_and_commits(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite"
    writer, other = _connect(path, (), 30), _connect(path, (), 0)
    writer.execute("CREATE TABLE t (n INTEGER)")
    with _write_transaction(writer) as tx:
        assert tx.connection is writer
        assert writer.in_transaction
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")  # held since BEGIN, before any write
        tx.execute("INSERT INTO t VALUES (1)")
    assert not writer.in_transaction
    assert other.execute("SELECT n FROM t").fetchall() == [(1,)]
    writer.close()
    other.close()


def test_a_write_transaction_rolls_back_on_an_error_unless_the_error_ended_it(
    tmp_path: Path,
) -> None:
    connection = _connect(tmp_path / "e.sqlite", (), 30)
    connection.execute("CREATE TABLE t (n INTEGER)")
    with pytest.raises(KeyError), _write_transaction(connection) as tx:
        tx.execute("INSERT INTO t VALUES (1)")
        raise KeyError("refused")
    assert not connection.in_transaction
    assert connection.execute("SELECT n FROM t").fetchall() == []
    # The transaction already ended (as SQLite ends it on some errors): the error itself
    # comes out, not "cannot rollback - no transaction is active".
    with pytest.raises(KeyError), _write_transaction(connection) as tx:
        tx.execute("INSERT INTO t VALUES (2)")
        tx.execute("ROLLBACK")
        raise KeyError("after the end")
    assert connection.execute("SELECT n FROM t").fetchall() == []
    connection.close()


@pytest.mark.parametrize(("code", "reopen"), [
    (8, True), (10, True), (14, True),  # SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN
    (266, True), (10 | (13 << 8), True), (8 | (1 << 8), True),  # their extended codes
    (5, False), (5 | (1 << 8), False), (13, False), (255, False), (None, False),
])
def test_only_a_read_only_unreadable_or_unopenable_file_calls_for_a_new_connection(
    code: int | None, reopen: bool
) -> None:
    assert _calls_for_reopening(coded(code)) is reopen


# --- sqlite.py: SqlitePerThread ---------------------------------------------------------------

@pytest.fixture
def per_thread(tmp_path: Path) -> Iterator[SqlitePerThread]:
    database = SqlitePerThread(tmp_path / "deep" / "er" / "f.sqlite",
                               ("PRAGMA journal_mode=WAL", "PRAGMA user_version = 4"), timeout=2)
    yield database
    database.close()


def connection_of(database: SqlitePerThread | SqliteSerialised) -> sqlite3.Connection:
    with database.reading() as tx:
        return tx.connection


def test_each_thread_has_its_own_connection_opened_with_the_pragmas(
    per_thread: SqlitePerThread, tmp_path: Path
) -> None:
    assert per_thread.path == tmp_path / "deep" / "er" / "f.sqlite"
    first = connection_of(per_thread)
    assert connection_of(per_thread) is first
    with per_thread.transaction() as tx:
        assert tx.connection is first
        assert tx.fetchone("PRAGMA user_version") == (4,)
    others: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: others.append(connection_of(per_thread)))
    thread.start()
    thread.join(10)
    assert others[0] is not first
    assert per_thread._connections == [first, others[0]]

    per_thread.close()
    assert per_thread._connections == []
    for connection in (first, others[0]):
        with pytest.raises(sqlite3.ProgrammingError):
            connection.execute("SELECT 1")
    # After closing, the thread opens a new connection.
    again = connection_of(per_thread)
    assert again is not first
    assert per_thread._connections == [again]


def test_reading_takes_no_write_lock_and_reads_one_snapshot(per_thread: SqlitePerThread) -> None:
    with per_thread.transaction() as tx:
        tx.execute("CREATE TABLE t (n INTEGER)")
        tx.execute("INSERT INTO t VALUES (1)")
    written = threading.Event()

    def write() -> None:
        with per_thread.transaction() as tx:
            tx.execute("INSERT INTO t VALUES (2)")
        written.set()

    with per_thread.reading() as tx:
        assert tx.fetchall("SELECT n FROM t") == [(1,)]
        assert tx.connection.in_transaction
        thread = threading.Thread(target=write)
        thread.start()
        assert written.wait(10)  # the writer did not wait for the reader
        assert tx.fetchall("SELECT n FROM t") == [(1,)]  # the reader's snapshot
    thread.join(10)
    with per_thread.reading() as tx:
        assert tx.fetchall("SELECT n FROM t ORDER BY n") == [(1,), (2,)]
    assert not connection_of(per_thread).in_transaction
    with pytest.raises(ZeroDivisionError), per_thread.reading():
        raise ZeroDivisionError
    assert not connection_of(per_thread).in_transaction


def test_a_write_transaction_commits_or_rolls_back(per_thread: SqlitePerThread) -> None:
    with per_thread.transaction() as tx:
        tx.execute("CREATE TABLE t (n INTEGER)")
    with pytest.raises(RuntimeError), per_thread.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError
    with per_thread.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (2)")
    with per_thread.reading() as tx:
        assert tx.fetchall("SELECT n FROM t") == [(2,)]


@pytest.mark.parametrize("block", ["transaction", "reading"])
def test_a_connection_that_failed_to_read_or_write_the_file_is_replaced(
    per_thread: SqlitePerThread, block: str
) -> None:
    first = connection_of(per_thread)
    with pytest.raises(sqlite3.OperationalError) as raised, getattr(per_thread, block)():
        raise coded(10)  # SQLITE_IOERR
    assert raised.value.sqlite_errorcode == 10
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")
    assert per_thread._connections == []
    second = connection_of(per_thread)
    assert second is not first
    assert per_thread._connections == [second]
    with per_thread.transaction() as tx:
        assert tx.fetchone("PRAGMA user_version") == (4,)


@pytest.mark.parametrize("error", [coded(5), coded(None), ValueError("not SQLite's")])
def test_a_connection_is_kept_after_other_errors(
    per_thread: SqlitePerThread, error: Exception
) -> None:
    first = connection_of(per_thread)
    with pytest.raises(type(error)), per_thread.transaction():
        raise error
    assert connection_of(per_thread) is first
    assert per_thread._connections == [first]


def test_forgetting_leaves_other_threads_connections_and_a_thread_without_one_alone(
    per_thread: SqlitePerThread,
) -> None:
    per_thread._forget_thread_connection()  # no connection yet: nothing to do
    assert per_thread._connections == []
    others: list[sqlite3.Connection] = []
    thread = threading.Thread(target=lambda: others.append(connection_of(per_thread)))
    thread.start()
    thread.join(10)
    mine = connection_of(per_thread)
    per_thread._forget_thread_connection()
    assert per_thread._connections == [others[0]]
    assert others[0].execute("SELECT 1").fetchone() == (1,)
    assert connection_of(per_thread) is not mine
    # A connection the list no longer holds is still closed and forgotten.
    per_thread._connections.clear()
    lost = connection_of(per_thread)
    per_thread._forget_thread_connection()
    with pytest.raises(sqlite3.ProgrammingError):
        lost.execute("SELECT 1")


# --- sqlite.py: SqliteSerialised and the group -----------------------------------------------

def test_a_serialised_file_has_one_connection_held_under_its_lock(tmp_path: Path) -> None:
    database = SqliteSerialised(tmp_path / "g" / "h" / "s.sqlite", ("PRAGMA user_version = 3",),
                                timeout=1)
    assert database.path == tmp_path / "g" / "h" / "s.sqlite"
    with database.transaction() as tx:
        assert database._lock.locked()
        assert tx.connection.in_transaction
        tx.execute("CREATE TABLE t (n INTEGER)")
        tx.execute("INSERT INTO t VALUES (1)")
    assert not database._lock.locked()
    with pytest.raises(ValueError), database.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (2)")
        raise ValueError
    with database.reading() as tx:
        assert database._lock.locked()
        assert not tx.connection.in_transaction
        assert tx.fetchall("SELECT n FROM t") == [(1,)]
        assert tx.fetchone("PRAGMA user_version") == (3,)
    assert not database._lock.locked()
    connection = connection_of(database)
    assert connection_of(database) is connection
    database.close()
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")


def test_a_new_group_is_not_done_and_its_failure_is_an_operational_error() -> None:
    group = _Group()
    assert not group.done.is_set()
    assert group.error is None
    assert issubclass(GroupCommitFailed, sqlite3.OperationalError)


# --- sqlite.py: SqliteGroupCommitted, one writer at a time --------------------------------------
# (Writers arriving together: tests/integration/test_group_commit.py.)

@pytest.fixture
def grouped(tmp_path: Path) -> Iterator[SqliteGroupCommitted]:
    database = SqliteGroupCommitted(tmp_path / "h" / "i" / "g.sqlite",
                                    ("PRAGMA user_version = 5",), timeout=1)
    with database.transaction() as tx:
        tx.execute("CREATE TABLE t (n INTEGER)")
    yield database
    database.close()


def rows_of(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT n FROM t ORDER BY n").fetchall()


def test_a_lone_writer_is_committed_when_it_returns(
    grouped: SqliteGroupCommitted, tmp_path: Path
) -> None:
    assert grouped.path == tmp_path / "h" / "i" / "g.sqlite"
    with grouped.transaction() as tx:
        assert tx.fetchone("PRAGMA user_version") == (5,)
        assert grouped._group is not None
        assert tx.execute("INSERT INTO t VALUES (1)") == 1
    assert grouped._group is None
    assert grouped._arriving == 0
    assert not grouped._lock.locked()
    assert not grouped._connection.in_transaction
    assert rows_of(grouped.path) == [(1,)]


def test_a_lone_writer_that_fails_writes_nothing_and_the_next_one_is_written(
    grouped: SqliteGroupCommitted,
) -> None:
    with pytest.raises(LookupError, match="refused"), grouped.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (1)")
        raise LookupError("refused")
    assert grouped._group is None
    assert not grouped._connection.in_transaction
    assert not grouped._lock.locked()
    assert grouped._arriving == 0
    # The error ended the whole transaction itself: the same error comes out, the group fails.
    with pytest.raises(LookupError, match="ended"), grouped.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (2)")
        tx.execute("ROLLBACK")
        raise LookupError("ended")
    assert grouped._group is None
    with grouped.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (3)")
    assert rows_of(grouped.path) == [(3,)]


def test_a_group_left_open_is_committed_by_a_reader_by_closing_and_by_its_waiter(
    grouped: SqliteGroupCommitted,
) -> None:
    connection = grouped._connection
    group = grouped._member(connection)
    assert grouped._member(connection) is group  # one open group at a time
    connection.execute("INSERT INTO t VALUES (1)")
    with grouped.reading() as tx:
        assert group.done.is_set()
        assert group.error is None
        assert grouped._group is None
        assert tx.fetchall("SELECT n FROM t") == [(1,)]
        assert grouped._lock.locked()
    assert rows_of(grouped.path) == [(1,)]

    # Its writer never came to commit it: the member waiting for it commits it.
    waiting = grouped._member(connection)
    connection.execute("INSERT INTO t VALUES (2)")
    grouped._await(waiting)
    assert waiting.done.is_set()
    assert waiting.error is None
    assert grouped._group is None
    assert rows_of(grouped.path) == [(1,), (2,)]

    last = grouped._member(connection)
    connection.execute("INSERT INTO t VALUES (3)")
    grouped.close()
    assert last.done.is_set()
    assert rows_of(grouped.path) == [(1,), (2,), (3,)]
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")


def test_a_member_of_a_failed_group_is_told_with_the_cause(
    grouped: SqliteGroupCommitted,
) -> None:
    group = _Group()
    cause = sqlite3.OperationalError("disk I/O error")
    grouped._fail(group, cause)
    assert group.done.is_set()
    assert group.error is cause
    assert grouped._group is None
    with pytest.raises(GroupCommitFailed) as raised:
        grouped._await(group)
    assert str(raised.value) == (
        "The transaction was not written: its group's commit failed (disk I/O error)")
    assert raised.value.__cause__ is cause


def test_the_last_writer_to_arrive_is_the_one_no_other_waits_behind(
    grouped: SqliteGroupCommitted,
) -> None:
    assert grouped._last_to_arrive() is True
    grouped._arriving = 1
    assert grouped._last_to_arrive() is False
    grouped._arriving = 0


def test_a_member_that_ends_the_whole_transaction_fails_the_members_before_it(
    grouped: SqliteGroupCommitted,
) -> None:
    connection = grouped._connection
    earlier = grouped._member(connection)  # a member before it, waiting for the group's commit
    connection.execute("INSERT INTO t VALUES (1)")
    ended = sqlite3.OperationalError("database or disk is full")
    with pytest.raises(sqlite3.OperationalError) as raised, grouped.transaction() as tx:
        tx.execute("INSERT INTO t VALUES (2)")
        tx.execute("ROLLBACK")  # as SQLite ends it on a full disk
        raise ended
    assert raised.value is ended
    assert earlier.done.is_set()
    assert earlier.error is ended
    assert grouped._group is None
    with pytest.raises(GroupCommitFailed, match="database or disk is full"):
        grouped._await(earlier)
    assert rows_of(grouped.path) == []


def test_each_sqlite_file_waits_30_seconds_for_a_lock_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[Path, tuple[str, ...], float]] = []
    real_connect = sqlite._connect

    def connect(path: Path, pragmas: Any, timeout: float) -> sqlite3.Connection:
        opened.append((path, tuple(pragmas), timeout))
        return real_connect(path, pragmas, timeout)

    monkeypatch.setattr(sqlite, "_connect", connect)
    pragmas = ("PRAGMA user_version = 1",)
    per_thread = SqlitePerThread(tmp_path / "per_thread.sqlite", pragmas)
    serialised = SqliteSerialised(tmp_path / "serialised.sqlite", pragmas)
    grouped = SqliteGroupCommitted(tmp_path / "grouped.sqlite", pragmas)
    connection_of(per_thread)  # opened on first use
    assert sorted(opened) == [(tmp_path / f"{name}.sqlite", pragmas, 30)
                              for name in ("grouped", "per_thread", "serialised")]
    for database in (per_thread, serialised, grouped):
        database.close()
