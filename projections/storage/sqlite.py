"""SQLite files, through the portable transaction. Ways to share a file between threads:
- `SqlitePerThread`: one connection per thread (WAL mode lets readers and the writer work side by
  side); the read models and the accounts;
- `SqliteSerialised`: one connection serialised by a lock; the person index;
- `SqliteGroupCommitted`: the same, whose write transactions arriving together share one commit;
  the vault, whose rollback journal (no WAL file keeping old pages) rules out readers beside a
  writer anyway.
Each store passes its own pragmas, so durability and journal stay its own choice."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from projections.storage.transaction import insert_new_sql


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
        self.connection.executemany(insert_new_sql(table, columns, key), rows)

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


class _Group:
    """The write transactions committed together: their outcome, once the commit is done."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


class GroupCommitFailed(sqlite3.OperationalError):
    """Raised in each transaction of a group whose commit failed: none of them was written."""


class SqliteGroupCommitted:
    """A SQLite file through one connection, opened with `pragmas`, like `SqliteSerialised`,
    whose write transactions that arrive together are committed together (group commit): each
    runs in a savepoint of one transaction, which the last of them to arrive commits, so one
    journal and one round of fsyncs serve them all.

    Each keeps what it had alone:
    - durable when it returns: a transaction returns only once its group's COMMIT is done (with
      the file's own pragmas: synchronous, journal), and raises GroupCommitFailed when that
      commit failed (then nothing of the group was written);
    - atomic: one that raises is rolled back to its savepoint, and the others of its group are
      committed without it (unless its error ended the whole transaction: then every one of
      them fails, and none was written);
    - isolated from readers: `reading` commits an open group first, so no query ever sees a
      write that is not committed. Members of one group see the writes of those before them
      in the group, as they would had each been committed before the next began."""

    def __init__(self, path: Path, pragmas: Sequence[str], timeout: float = 30) -> None:
        self.path = path
        self._lock = threading.Lock()  # the connection, and the open group
        self._arrivals_lock = threading.Lock()
        self._arriving = 0  # writers waiting for the connection: the group waits for them
        self._group: _Group | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = _connect(path, pragmas, timeout)

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        """A read-write transaction: committed (with those that arrive with it) when the block
        ends, rolled back on an error."""
        with self._arrivals_lock:
            self._arriving += 1
        try:
            self._lock.acquire()
        finally:
            with self._arrivals_lock:
                self._arriving -= 1
        try:
            group = self._member(self._connection)
            connection = self._connection
            connection.execute("SAVEPOINT member")
            try:
                yield SqliteTransaction(connection)
            except BaseException as error:
                self._leave(connection, group, error)
                raise
            connection.execute("RELEASE member")
            if self._last_to_arrive():
                self._commit(group)
        finally:
            self._lock.release()
        self._await(group)

    def _member(self, connection: sqlite3.Connection) -> _Group:
        if self._group is None:
            # IMMEDIATE takes the write lock at BEGIN, as _write_transaction does.
            connection.execute("BEGIN IMMEDIATE")
            self._group = _Group()
        return self._group

    def _leave(self, connection: sqlite3.Connection, group: _Group, error: BaseException) -> None:
        """Undo the failed member's writes; the group goes on without it."""
        if connection.in_transaction:
            connection.execute("ROLLBACK TO member")
            connection.execute("RELEASE member")
            if self._last_to_arrive():
                self._commit(group)
        else:
            # The error ended the whole transaction (SQLite does so on a full disk, an I/O
            # error...): the writes of every member before it are gone with it.
            self._fail(group, error)

    def _last_to_arrive(self) -> bool:
        with self._arrivals_lock:
            return self._arriving == 0

    def _commit(self, group: _Group) -> None:
        """COMMIT the open group (the connection's lock held); its members are told."""
        try:
            self._connection.execute("COMMIT")
        except BaseException as error:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
            self._fail(group, error)
            return
        self._group = None
        group.done.set()

    def _fail(self, group: _Group, error: BaseException) -> None:
        group.error = error
        self._group = None
        group.done.set()

    def _await(self, group: _Group) -> None:
        """Return once `group` is committed; raise if its commit failed. Should the writer that
        was to commit it never come (stopped before it took the connection), the group is
        committed here."""
        while not group.done.wait(0.05):
            with self._lock:
                if self._group is group:
                    self._commit(group)
        if group.error is not None:
            raise GroupCommitFailed(
                f"The transaction was not written: its group's commit failed ({group.error})"
            ) from group.error

    @contextmanager
    def reading(self) -> Iterator[SqliteTransaction]:
        """Queries, each its own (autocommit) transaction, with the connection to itself; an
        open group is committed first."""
        with self._lock:
            if self._group is not None:
                self._commit(self._group)
            yield SqliteTransaction(self._connection)

    def close(self) -> None:
        with self._lock:
            if self._group is not None:
                self._commit(self._group)
            self._connection.close()
