"""The audit chain as the relay recorded it: one row per published event (chain seq, event-store
position, hash) in table `lgnet_audit_chain` of the event store's own database (the SQLite file
or the PostgreSQL database the record uses), written through the record's own datastore.

The stream is the authority for what was published; this table is the platform's copy, kept so
that the chain can be checked, exported and shown with the platform stopped (and, for a restored
or tampered event store, compared against). Rows are only ever added: a row already there is
left as it is, and a different hash offered for it is reported, never written."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eventsourcing.sqlite import SQLiteDatastore

from domain.record import ProgrammeRecord

log = logging.getLogger(__name__)

CHAIN_TABLE = "lgnet_audit_chain"
_IN_CHUNK = 500  # positions per `IN (...)` query: far below SQLite's parameter limit


@dataclass(frozen=True)
class ChainLink:
    chain_seq: int
    position: int
    chain_hash: str


class AuditChainStore:
    """The recorded chain, over the record's datastore. `chain_hashes` is what the auditors'
    event browser shows beside each event."""

    def __init__(self, record: ProgrammeRecord, *, read_only: bool = False) -> None:
        datastore: Any = getattr(record.recorder, "datastore", None)
        if datastore is None:
            raise TypeError("The audit chain needs an SQLite or PostgreSQL event store")
        self._datastore = datastore
        self._sqlite = isinstance(datastore, SQLiteDatastore)
        if self._sqlite:
            self._table = CHAIN_TABLE
            self._placeholder = "?"
        else:
            self._table = f'"{datastore.schema}".{CHAIN_TABLE}'
            self._placeholder = "%s"
        self._absent = False
        if read_only:  # verification: write nothing; a missing table is an empty chain
            self._absent = not self._exists()
            return
        with self._cursor(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} ("
                " chain_seq BIGINT PRIMARY KEY, position BIGINT NOT NULL UNIQUE,"
                " chain_hash TEXT NOT NULL)"
            )

    def _exists(self) -> bool:
        with self._cursor(commit=False) as cursor:
            if self._sqlite:
                cursor.execute("SELECT name FROM sqlite_master WHERE type='table' AND name=?",
                               (CHAIN_TABLE,))
            else:
                cursor.execute("SELECT to_regclass(%s) AS name", (self._table,))
            row = cursor.fetchone()
        return row is not None and (row["name"] if isinstance(row, dict) else row[0]) is not None

    @contextmanager
    def _cursor(self, *, commit: bool) -> Iterator[Any]:
        with self._datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _sql(self, statement: str) -> str:
        return statement.replace("?", self._placeholder).replace("{table}", self._table)

    @staticmethod
    def _link(row: Any) -> ChainLink:
        if isinstance(row, dict):  # the PostgreSQL datastore's rows are dicts
            return ChainLink(int(row["chain_seq"]), int(row["position"]), str(row["chain_hash"]))
        return ChainLink(int(row[0]), int(row[1]), str(row[2]))

    def record_links(self, links: Sequence[ChainLink]) -> list[ChainLink]:
        """Add the links not recorded yet. Returns those offered with another hash or position
        than the one recorded (logged as errors: the event store or the stream changed)."""
        if not links:
            return []
        insert = (
            "INSERT INTO {table} (chain_seq, position, chain_hash) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING"
        )
        with self._cursor(commit=True) as cursor:
            cursor.executemany(
                self._sql(insert),
                [(link.chain_seq, link.position, link.chain_hash) for link in links],
            )
            # eventsourcing wraps SQLite's cursor; the row count is the inner one's.
            inserted = getattr(getattr(cursor, "sqlite_cursor", cursor), "rowcount", -1)
        if inserted == len(links):
            return []  # every link is new: none can conflict (the relay's usual case)
        recorded = {link.chain_seq: link for link in self.links(links[0].chain_seq,
                                                                 links[-1].chain_seq)}
        conflicts = [link for link in links if recorded.get(link.chain_seq) != link]
        for link in conflicts:
            log.error("Audit chain: seq %s was recorded as %s, now offered as %s",
                      link.chain_seq, recorded.get(link.chain_seq), link)
        return conflicts

    def head(self) -> ChainLink | None:
        if self._absent:
            return None
        with self._cursor(commit=False) as cursor:
            cursor.execute(self._sql(
                "SELECT chain_seq, position, chain_hash FROM {table}"
                " ORDER BY chain_seq DESC LIMIT 1"
            ))
            row = cursor.fetchone()
        return None if row is None else self._link(row)

    def links(self, first_seq: int = 1, last_seq: int | None = None) -> list[ChainLink]:
        """The recorded links from `first_seq` to `last_seq` (the end), in chain order."""
        if self._absent:
            return []
        with self._cursor(commit=False) as cursor:
            cursor.execute(
                self._sql("SELECT chain_seq, position, chain_hash FROM {table}"
                          " WHERE chain_seq >= ? AND chain_seq <= ? ORDER BY chain_seq"),
                (first_seq, last_seq if last_seq is not None else 2**62),
            )
            rows = cursor.fetchall()
        return [self._link(row) for row in rows]

    def position_of_seq(self, chain_seq: int) -> int | None:
        """The position recorded for chain seq `chain_seq` (None: no such row), asked for only
        to name where a missing event was: one query, not the whole table read beforehand."""
        found = self.links(chain_seq, chain_seq)
        return found[0].position if found else None

    def links_at_positions(self, first: int, last: int) -> dict[int, tuple[int, str]]:
        """position -> (chain seq, hex hash) for every link at positions `first` to `last`, in
        one query (verification reads the whole log page by page)."""
        if self._absent:
            return {}
        with self._cursor(commit=False) as cursor:
            cursor.execute(
                self._sql("SELECT chain_seq, position, chain_hash FROM {table}"
                          " WHERE position >= ? AND position <= ?"),
                (first, last),
            )
            rows = cursor.fetchall()
        return {link.position: (link.chain_seq, link.chain_hash)
                for link in map(self._link, rows)}

    def chain_hashes(self, positions: Sequence[int]) -> dict[int, tuple[int, str]]:
        """position -> (chain seq, hex hash) for those of `positions` the chain holds (an
        internal event, or one not published yet, has none)."""
        found: dict[int, tuple[int, str]] = {}
        if self._absent:
            return found
        wanted = sorted(set(positions))
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start:start + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            with self._cursor(commit=False) as cursor:
                cursor.execute(
                    self._sql("SELECT chain_seq, position, chain_hash FROM {table}"
                              f" WHERE position IN ({marks})"),
                    chunk,
                )
                rows = cursor.fetchall()
            for row in rows:
                link = self._link(row)
                found[link.position] = (link.chain_seq, link.chain_hash)
        return found
