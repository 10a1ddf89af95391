"""The read-model database: a SQLite file by default, PostgreSQL in production, through the
storage kit. Projections write portable SQL with `?` placeholders, and bulk inserts through
`Transaction.insert_new`; this module owns the tracking table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from projections.storage.postgres import PostgresPool
from projections.storage.sqlite import SqlitePerThread
from projections.storage.transaction import Database, Transaction

_SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
BULK_CACHE_KIB = 256 * 1024  # the page cache of a bulk transaction's connection (SQLite)
BULK_WAL_PAGES = 65_536  # its WAL's size before a checkpoint: 256 MiB of 4 KiB pages
TRACKING_DDL = """
CREATE TABLE IF NOT EXISTS rm_tracking (
    projection TEXT PRIMARY KEY,
    stream_seq BIGINT NOT NULL,
    position BIGINT NOT NULL
)
"""
# The position of the last batch in which each projection wrote to its read model: what a reader
# keeps a reading of one read model by (projections.indicators), so that an event the read
# model ignores does not make it read again.
CHANGES_DDL = """
CREATE TABLE IF NOT EXISTS rm_changes (
    projection TEXT PRIMARY KEY,
    position BIGINT NOT NULL
)
"""


@dataclass(frozen=True)
class Tracking:
    stream_seq: int
    position: int


class ReadModelDatabase:
    """One database holding every read model and the tracking positions."""

    dialect: str

    def __init__(self, database: Database) -> None:
        self._database = database
        self.ensure_tracking_table()

    def transaction(self) -> AbstractContextManager[Transaction]:
        """A read-write transaction: committed when the block ends, rolled back on an error."""
        return self._database.transaction()

    def bulk_transaction(self) -> AbstractContextManager[Transaction]:
        """A read-write transaction for applying many events at once (a rebuild), all or
        nothing as `transaction`. On PostgreSQL its statements are pipelined: `execute` returns
        -1 rather than a row count, and an error may surface only at the next query or at the
        end (still rolling the whole transaction back)."""
        return self._database.transaction()

    def reading(self) -> AbstractContextManager[Transaction]:
        """A transaction for queries. On SQLite it takes no write lock (and reads one snapshot), so
        pages and read-your-writes polls never queue behind, or hold up, the projector."""
        return self._database.reading()

    def close(self) -> None:
        self._database.close()

    def ensure_tracking_table(self) -> None:
        with self.transaction() as tx:
            tx.execute(TRACKING_DDL)
            tx.execute(CHANGES_DDL)

    def tracking(self, projection: str) -> Tracking:
        with self.reading() as tx:
            return tracking_in(tx, projection)

    def trackings(self, projections: Sequence[str]) -> dict[str, Tracking]:
        with self.reading() as tx:
            return trackings_in(tx, projections)


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


def changes_in(tx: Transaction) -> dict[str, int]:
    """The position each projection last changed its read model at (none: never, or not since
    it was reset)."""
    return {str(row[0]): int(row[1])
            for row in tx.fetchall("SELECT projection, position FROM rm_changes")}


def note_changes(tx: Transaction, changes: dict[str, int]) -> None:
    if not changes:
        return
    tx.executemany(
        "INSERT INTO rm_changes (projection, position) VALUES (?, ?) "
        "ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
        list(changes.items()),
    )


def advance_trackings(tx: Transaction, trackings: dict[str, Tracking]) -> None:
    if not trackings:
        return
    tx.executemany(
        "INSERT INTO rm_tracking (projection, stream_seq, position) VALUES (?, ?, ?) "
        "ON CONFLICT (projection) DO UPDATE SET stream_seq = excluded.stream_seq, "
        "position = excluded.position",
        [(name, t.stream_seq, t.position) for name, t in trackings.items()],
    )


class SqliteReadModels(ReadModelDatabase):
    """A SQLite file in WAL mode; one connection per thread. Read models can be rebuilt from the
    stream, so commits skip the fsync (synchronous=NORMAL)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(SqlitePerThread(path, _SQLITE_PRAGMAS))

    @contextmanager
    def bulk_transaction(self) -> Iterator[Transaction]:
        # The calling thread's connection gets a page cache of BULK_CACHE_KIB (SQLite's default
        # is 2 MiB): a rebuild of a million events writes ~0.8 GB of read models, their indexes
        # keyed by random ids, and every batch touches pages all over them. It also lets the
        # WAL grow to BULK_WAL_PAGES before copying it into the file (SQLite's default: 1,000
        # pages, 4 MiB): a page changed by many batches is then copied far fewer times (a
        # rebuild of 1M events over existing read models wrote 12.3 GB, 9.4 GB with it; 149 s
        # -> 134 s, docs/benchmarks.md). Only the rebuild's thread takes bulk transactions.
        with self._database.transaction() as tx:
            tx.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
            tx.execute(f"PRAGMA wal_autocheckpoint = {BULK_WAL_PAGES}")
            yield tx


class PostgresReadModels(ReadModelDatabase):
    """Read models in PostgreSQL, through a small connection pool.

    Reading is REPEATABLE READ: every query of the transaction sees one snapshot, as on SQLite,
    so figures read by several queries (the indicators) agree with each other and with the
    position read beside them. A transaction that only reads never fails to serialise."""

    dialect = "postgres"

    def __init__(self, url: str, max_size: int = 8) -> None:
        self.url = url
        self._pool = PostgresPool(url, max_size=max_size, read_isolation="REPEATABLE READ")
        super().__init__(self._pool)

    def bulk_transaction(self) -> AbstractContextManager[Transaction]:
        return self._pool.transaction(pipelined=True)


def open_read_models(database_url: str | None, sqlite_path: Path) -> ReadModelDatabase:
    if database_url:
        return PostgresReadModels(database_url)
    return SqliteReadModels(sqlite_path)
