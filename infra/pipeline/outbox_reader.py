"""The relay's reading of the notification log: the next public events as NATS messages, each with
its canonical content for the audit chain (events/audit_chain.py).

That mapping (decoding the stored JSON, laying out the body, writing the canonical JSON) costs
more than publishing the message, and in the relay's process it holds the GIL against the loop
that publishes. So while the relay catches up on a backlog (a batch came back full), batches are
read in a process of its own, on the other core, two batches ahead of the one being published
(read_following): the relay's process then only chains, publishes and collects acks
(docs/benchmarks.md, issue 15 target 3). A few events at a time, the usual case
of a live platform, are read in a worker thread: no process hop in their latency, and no process
at all for a relay that never falls behind. The process reads the same database through its own
connection; a message is a pure function of its event, so either way gives the same bytes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from domain.record import ProgrammeRecord
from events.audit_chain import CanonicalTemplate, canonical_template, chain_from
from infra.publishing.messages import PUBLIC_TOPICS, OutgoingMessage, to_message

log = logging.getLogger(__name__)

# A backlog of at least this many positions is read in the process (started at the first such
# backlog): below it, starting a fresh interpreter costs more than the reading it would take over.
PROCESS_BACKLOG = 10_000

# A public event read for publishing: its position, its message, its canonical content.
Outgoing = tuple[int, OutgoingMessage, CanonicalTemplate]
# The same as the process sends it back: plain values pickle and unpickle fastest.
_Plain = tuple[int, str, dict[str, str], bytes, bytes, bytes]
# Where the audit chain stands before a batch: the chain number and hash of the link before it.
ChainState = tuple[int, str]
# A batch read in the process: where from, the chain state it was hashed from, its events, their
# hashes.
_Read = tuple[int, ChainState | None, list[_Plain], list[str] | None]


class ReadBatch(list[Outgoing]):
    """A batch as the reader returns it. `hashes`, when not None, are the audit chain's hashes
    of its messages in order, computed by the reading process from `chained_from` (the chain's
    state before the batch): the relay uses them when the chain does stand there as it
    publishes, instead of hashing in its own process (docs/benchmarks.md, issue 15 target 3)."""

    start: int | None = None
    """The position it was read from (None: not said, as by read_outgoing)."""
    chained_from: ChainState | None = None
    hashes: list[str] | None = None


def chain_hashes(batch: list[Outgoing], chained_from: ChainState) -> list[str]:
    """The audit chain's hashes of the batch's messages, the chain standing at `chained_from`
    before it."""
    chain_seq, chain_hash = chained_from
    hashes = []
    for _position, _message, canonical in batch:
        chain_seq += 1
        chain_hash = chain_from(canonical, chain_seq, chain_hash)
        hashes.append(chain_hash)
    return hashes


def read_outgoing(record: ProgrammeRecord, start: int, limit: int) -> list[Outgoing]:
    """Up to `limit` public events from position `start`, as messages with their canonical
    content."""
    notifications = record.recorder.select_notifications(start, limit, topics=PUBLIC_TOPICS)
    mapper = record.mapper
    batch = []
    for notice in notifications:
        message = to_message(notice, mapper)
        batch.append((notice.id, message, canonical_template(message.headers, message.body)))
    return batch


def _in_memory(record: ProgrammeRecord) -> bool:
    """Whether the record's database lives in this process's memory (no other process sees it)."""
    name = str(record.env.get("SQLITE_DBNAME", ""))
    return ":memory:" in name or "mode=memory" in name


class BatchReader:
    """Reads batches for the relay: in a worker thread, or in the reading process when the
    caller is catching up. Any failure of the process (it could not start, or died) is logged
    once and the reader goes on in threads: the process is a speed-up, never a dependency."""

    def __init__(self, record: ProgrammeRecord, batch_size: int, *, use_process: bool = True
                 ) -> None:
        self.record = record
        self.batch_size = batch_size
        self._use_process = use_process and not _in_memory(record)
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[None] | None = None

    async def read(self, start: int, *, catching_up: bool, chained_from: ChainState | None = None
                   ) -> ReadBatch:
        """The batch from position `start`. `catching_up`: the batch before it was full. With
        `chained_from`, a batch read in the process comes with its chain hashes (ReadBatch)."""
        if catching_up and self._use_process and self._pool is None:
            log_end = await asyncio.to_thread(self.record.recorder.max_notification_id) or 0
            if log_end - start >= PROCESS_BACKLOG:
                self._start_process()
        if catching_up and self._process_ready():
            assert self._pool is not None
            batch = await self._in_process(
                self._pool.submit(_read_in_process, start, self.batch_size, chained_from))
            if batch is not None:
                return batch
        batch = ReadBatch(await asyncio.to_thread(read_outgoing, self.record, start,
                                                  self.batch_size))
        batch.start = start
        return batch

    def read_ahead(self, start: int, chained_from: ChainState
                   ) -> asyncio.Future[ReadBatch | None] | None:
        """The batch from `start`, chained from `chained_from`, asked of the reading process now
        (not when a task first runs: read_following relies on the order of the asking). None
        when batches are read in threads; the future gives None if the process failed."""
        if not self._process_ready():
            return None
        assert self._pool is not None
        return asyncio.ensure_future(self._in_process(
            self._pool.submit(_read_in_process, start, self.batch_size, chained_from)))

    def read_following(self) -> asyncio.Future[ReadBatch | None] | None:
        """The batch after the last one the reading process was asked for, chained on from where
        that one left the chain (hashed only if that one was), asked now: the relay asks while
        it publishes, so that the process reads two batches ahead instead of one. Its `start`
        and `chained_from` say where it was read from; the relay uses it only if that is where
        it then stands. None when batches are read in threads; the future gives None if the
        process failed."""
        if not self._process_ready():
            return None
        assert self._pool is not None
        return asyncio.ensure_future(
            self._in_process(self._pool.submit(_read_following_in_process, self.batch_size)))

    async def _in_process(self, reading: Future[_Read]) -> ReadBatch | None:
        """The batch the process reads; None if the process failed (the reader then goes on in
        threads)."""
        try:
            start, chained_from, plain, hashes = await asyncio.wrap_future(reading)
        except Exception:
            if self._use_process:
                log.warning("The relay's reading process failed; reading in this process from "
                            "now on", exc_info=True)
                self._give_up_process()
            return None
        batch = ReadBatch((position, OutgoingMessage(subject, headers, body),
                           CanonicalTemplate(before, after))
                          for position, subject, headers, body, before, after in plain)
        batch.start = start
        if hashes is not None:
            batch.chained_from, batch.hashes = chained_from, hashes
        return batch

    async def warm_up(self) -> bool:
        """Start the reading process now and wait until it is up (the benchmark measures the
        relay's pace, not a process start). False if it could not start."""
        self._start_process()
        if self._ready is not None:
            with contextlib.suppress(Exception):  # reported by _process_ready
                await asyncio.wrap_future(self._ready)
        return self._process_ready()

    def _start_process(self) -> None:
        """Start the reading process (a fresh interpreter takes a second or more: batches are
        read in threads until it is up)."""
        if self._use_process and self._pool is None:
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    # A fresh interpreter: forking a process that runs threads and an event loop
                    # could copy a lock some other thread holds.
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_open_record,
                    initargs=(type(self.record), dict(self.record.env)),
                )
                self._ready = self._pool.submit(_ready)
            except Exception:
                log.warning("Could not start the relay's reading process", exc_info=True)
                self._give_up_process()

    def _process_ready(self) -> bool:
        """Whether the process is up and can take the next batch."""
        if self._ready is None or not self._ready.done():
            return False
        if self._ready.exception() is not None:
            log.warning("The relay's reading process did not start (%s); reading in this "
                        "process", self._ready.exception())
            self._give_up_process()
            return False
        return True

    def _give_up_process(self) -> None:
        self._use_process = False
        self.close()

    def close(self) -> None:
        pool, self._pool, self._ready = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


# --- in the reading process -------------------------------------------------------------------

_record: ProgrammeRecord | None = None
# Where the batch after the last one read starts, and the chain's state after that one (None:
# it was not chained).
_following: tuple[int, ChainState | None] = (1, None)


def _open_record(record_type: type[ProgrammeRecord], env: dict[str, Any]) -> None:
    global _record
    # The domain's event classes are found by their topics as events are decoded.
    _record = record_type(env=env)


def _ready() -> None:
    """Run first: done once the process has started and opened the record."""


def _read_in_process(start: int, limit: int, chained_from: ChainState | None) -> _Read:
    global _following
    assert _record is not None
    batch = read_outgoing(_record, start, limit)
    plain = [
        (position, message.subject, message.headers, message.body, canonical.before,
         canonical.after)
        for position, message, canonical in batch
    ]
    hashes = None if chained_from is None else chain_hashes(batch, chained_from)
    chain_after = (chained_from if chained_from is None or not hashes
                   else (chained_from[0] + len(hashes), hashes[-1]))
    _following = (batch[-1][0] + 1 if batch else start, chain_after)
    return start, chained_from, plain, hashes


def _read_following_in_process(limit: int) -> _Read:
    start, chained_from = _following
    return _read_in_process(start, limit, chained_from)
