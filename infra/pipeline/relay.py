"""The transactional-outbox relay: follows the event store's notification log in order and
publishes every public event to JetStream stream LGNET, exactly once, in order.

How "exactly once, in order" is kept, whatever crashes:
- each message carries `Nats-Msg-Id: lgnet:<position>` and `Nats-Expected-Last-Sequence: <the
  stream sequence of the previous public event>` (the stream's last sequence for the first one
  the relay sends after resuming, one more for each message after it). The stream accepts a
  message only right after its predecessor, so it never holds a gap or a reordering, even with a
  whole batch pipelined before any ack comes back (the server handles one connection's messages
  in order: once one is refused, all after it are refused too, unless another relay stored the
  refused one's twin: they then follow the twin). Chaining by sequence rather than
  by `Nats-Expected-Last-Msg-Id` matters in a cluster: nats-server checks an expected msg id
  again on every replica, against a last msg id that a replica catching up from a snapshot does
  not update, and that replica then stops for good with a stream write error (nats-server
  2.15.1, docs/operations.md). An expected sequence is checked once, by the stream's leader;
- a message already stored (republished after a lost ack) is recognised by its Nats-Msg-Id within
  the duplicate window and acked as a duplicate, not stored again;
- the relay keeps no state of its own: on start, after any publish error and after every
  reconnect it re-reads the stream's last message and resumes after the position it carries. So
  a relay killed at any point, or a NATS server that lost acknowledged messages it had not yet
  synced to disk, is healed by republishing from the event store.

The audit chain (events/audit_chain.py) is computed here, as the events are published in order:
each message gets `ce-lgnetchainseq` and `ce-lgnethash`, and the acknowledged links are recorded
in the event store's database (infra/audit/chain_store.py). The chain resumes from the headers of
the stream's last message, like the positions; links the stream holds but the table lacks (a
crash between an ack and the write) are copied from the stream. A message is a pure function of
its event, so a republished one carries the same chain headers as the first copy. With a
Checkpointer, the relay signs the chain every `interval` events, when the oldest unsigned event
has waited `seconds`, and at a clean stop (infra/audit/checkpoints.py); each checkpoint event it
publishes is also published, as a signed head, to the witness stream LGNET_AUDIT.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import PubAck

from domain.record import ProgrammeRecord
from events.audit import AuditCheckpointSignedV2
from events.audit_chain import (
    CHECKPOINT_TYPES,
    GENESIS_HASH,
    chain_headers,
    head_of,
)
from events.cloudevents import CHAIN_HASH, CHAIN_SEQ, POSITION
from infra.audit.chain_store import AuditChainStore, ChainLink
from infra.audit.checkpoints import Checkpointer
from infra.audit.witness import publish_head
from infra.nats.jetstream import (
    PUBLISHES_BETWEEN_YIELDS,
    batch_publisher,
    outcome,
    retry_pause,
    server_list,
    wait_at_most,
)
from infra.nats.streams import (
    DUPLICATE_WINDOW_SECONDS,
    EXPECTED_LAST_SEQUENCE,
    MSG_ID,
    MSG_ID_PREFIX,
    STREAM_NAME,
    StreamTail,
    ensure_audit_stream,
    ensure_stream,
    read_stream,
    stream_last_seq,
    stream_tail,
)
from infra.pipeline.outbox_reader import (
    BatchReader,
    Outgoing,
    ReadBatch,
    chain_hashes,
)
from infra.pipeline.status import PIPELINE
from infra.publishing.messages import PUBLIC_TOPICS, OutgoingMessage

log = logging.getLogger(__name__)

# A batch refused this many times in a row at the same position, each time right after
# re-reading the stream, means something else is writing to the stream: give up rather than spin.
_MAX_REFUSALS_WITHOUT_PROGRESS = 5
# Batches read ahead of the one being published, catching up: the reading process, on the other
# core, reads the one after next while the relay publishes (docs/benchmarks.md, issue 15 target
# 3); one ahead, as before, it was idle while the relay waited for its next batch.
_BATCHES_READ_AHEAD = 2
# After a refusal, how often the relay looks whether the other acks of the batch are in (a
# refusal is rare: another relay at work, or the stream changed under the relay).
_ACK_POLL_SECONDS = 0.005

# JetStream's error codes for a store with no room left: 10023 "insufficient resources" and
# 10047 "insufficient storage resources available" (max_file_store reached, or a full disk).
_OUT_OF_STORAGE_CODES = frozenset({10023, 10047})



class RelayError(RuntimeError):
    """Raised when the relay cannot go on without someone looking at the stream or the store."""


class PublishIncomplete(RelayError):
    """A batch was only partly acknowledged (refused, timed out or cut by a reconnect)."""

    def __init__(self, message: str, *, stored: int, acked: int) -> None:
        super().__init__(message)
        self.stored = stored  # new in the stream
        self.acked = acked  # acknowledged, duplicates included: how far the batch got


class StreamOutOfStorage(RelayError):
    """JetStream refused a publish for want of room: nothing is lost (the events wait in the
    store), and publishing resumes by itself once there is room again."""


@dataclass
class _Refusals:
    """The refusals in a row of a batch starting at the same position. A refusal at a later
    position is progress (another relay published the same log meanwhile: a deployment mistake
    the stream's chain survives, tests/integration/test_relay.py), and so is a batch that was
    acknowledged in part: the count starts again."""

    start: int | None = None
    count: int = 0

    def after(self, start: int, acked: int) -> int:
        """The count after a batch starting at `start` was refused with `acked` acks."""
        if acked:
            self.start, self.count = None, 0
        elif start == self.start:
            self.count += 1
        else:
            self.start, self.count = start, 1
        return self.count


@dataclass(frozen=True)
class _Cursor:
    """Where the relay stands: the next position to read and the stream's last sequence, which
    the next message is made to follow (Nats-Expected-Last-Sequence). `chain_seq` and
    `chain_hash` are the audit chain's values of the stream's last message."""

    next_position: int
    last_seq: int
    chain_seq: int = 0
    chain_hash: str = GENESIS_HASH


class Relay:
    """Publishes the notification log to stream LGNET. `run` follows the log until stopped;
    `publish_pending` publishes what is not in the stream yet and returns."""

    def __init__(
        self,
        record: ProgrammeRecord,
        nats_url: str,
        *,
        poll_interval: float = 0.01,
        batch_size: int = 1000,
        ack_timeout: float = 5.0,
        replicas: int | None = None,
        duplicate_window: float = DUPLICATE_WINDOW_SECONDS,
        reconnect_wait: float = 0.25,
        checkpoints: Checkpointer | None = None,
        read_in_process: bool = True,
    ) -> None:
        self.record = record
        # Catching up on a backlog, batches are read in a process of its own (outbox_reader).
        self.reader = BatchReader(record, batch_size, use_process=read_in_process)
        self.chain_store = AuditChainStore(record)
        self.checkpoints = checkpoints
        self.servers = server_list(nats_url)
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.replicas = replicas
        self.duplicate_window = duplicate_window
        self.reconnect_wait = reconnect_wait
        self._connection: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._cursor: _Cursor | None = None
        # Set by a reconnect: the server may have lost messages, so the cursor cannot be trusted.
        self._reconnected = asyncio.Event()
        # Set when the server refuses a publish (see _on_error).
        self._refused = asyncio.Event()
        self._refusal: Exception | None = None
        self._refusals = 0
        # When the oldest published event no checkpoint covers yet was acked (monotonic).
        self._unsigned_since: float | None = None

    # --- public API ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the notification log and publish until `stop` is set. NATS and database errors
        are logged and retried with a growing pause (up to 5 s); nothing is skipped."""
        failures = 0
        try:
            while not stop.is_set():
                try:
                    await self._ensure_connected()
                    published = await self._publish_available(stop)
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    failures += 1
                    self._cursor = None
                    pause = retry_pause(failures)
                    log.warning(
                        "Relay interrupted (%s: %s); retrying in %.1f s",
                        type(error).__name__, error, pause,
                        exc_info=not _is_nats_error(error),
                    )
                    await wait_at_most(stop, pause)
                    continue
                failures = 0
                await self._sign_if_overdue()
                if published == 0:
                    await wait_at_most(stop, self.poll_interval)
            await self._sign_at_stop()
        finally:
            await self.close()

    async def publish_pending(self) -> int:
        """Publish every public event not yet in the stream; return how many were stored (not
        counting duplicates). Uses the open connection, or opens one for the call."""
        opened_here = self._connection is None or self._connection.is_closed
        if opened_here:
            await self._ensure_connected()
        try:
            return await self._publish_available(None)
        finally:
            if opened_here:
                await self.close()

    async def _sign_if_overdue(self) -> None:
        """Sign the head when the oldest unsigned event has waited the checkpointer's
        `seconds`: the unsigned tail is bounded in time, not only in count."""
        if self.checkpoints is None or self._unsigned_since is None:
            return
        if time.monotonic() - self._unsigned_since < self.checkpoints.seconds:
            return
        head = await asyncio.to_thread(self.chain_store.head)
        if head is not None:
            await asyncio.to_thread(self.checkpoints.sign, head)
        self._unsigned_since = None

    async def _sign_at_stop(self) -> None:
        """At a clean stop, sign the head if events are unsigned, and publish the checkpoint."""
        if self.checkpoints is None or self._unsigned_since is None:
            return
        try:
            # What the last batches left, then the signature over all of it, published.
            await asyncio.wait_for(self._publish_available(None), self.ack_timeout)
            head = await asyncio.to_thread(self.chain_store.head)
            if head is not None and await asyncio.to_thread(self.checkpoints.sign, head) \
                    is not None:
                await asyncio.wait_for(self._publish_available(None), self.ack_timeout)
            self._unsigned_since = None
        except Exception as error:
            log.warning("Could not sign the audit chain's head at stop (%s: %s)",
                        type(error).__name__, error)

    async def close(self) -> None:
        self.reader.close()
        connection, self._connection, self._js, self._cursor = self._connection, None, None, None
        if connection is not None and not connection.is_closed:
            with contextlib.suppress(Exception):
                await connection.close()

    async def __aenter__(self) -> Relay:
        await self._ensure_connected()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # --- connection ---------------------------------------------------------------------------

    async def _ensure_connected(self) -> None:
        if self._connection is not None and not self._connection.is_closed:
            return
        connection = await nats.connect(
            servers=self.servers,
            name="lgnet-relay",
            connect_timeout=2,
            reconnect_time_wait=self.reconnect_wait,
            max_reconnect_attempts=-1,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )
        try:
            js = batch_publisher(connection, self.batch_size)
            await ensure_stream(js, replicas=self.replicas, duplicate_window=self.duplicate_window)
            if self.checkpoints is not None:
                await ensure_audit_stream(js, replicas=self.replicas,
                                          duplicate_window=self.duplicate_window)
        except BaseException:
            await connection.close()
            raise
        self._connection, self._js, self._cursor = connection, js, None
        log.info("Relay connected to NATS at %s", _server_of(connection))

    async def _on_error(self, error: Exception) -> None:
        if isinstance(error, nats.js.errors.APIError):
            # nats-py 2.16 (nats-io/nats.py#985): when the server refuses a publish_async, the
            # error escapes to this callback and the message's ack future is never resolved.
            # Note the refusal, so the batch stops sending and resumes once the acks still owed
            # are in (see _await_acks).
            if self._refusal is None:
                self._refusal = error
            self._refusals += 1
            self._refused.set()
            return
        log.warning("NATS: %s: %s", type(error).__name__, error)

    async def _on_disconnected(self) -> None:
        if self._connection is not None:  # not our own close()
            log.warning("Relay disconnected from NATS; reconnecting")

    async def _on_reconnected(self) -> None:
        log.info("Relay reconnected to NATS at %s; resuming from the stream's last message",
                 _server_of(self._connection))
        self._reconnected.set()

    # --- publishing -----------------------------------------------------------------------------

    async def _publish_available(self, stop: asyncio.Event | None) -> int:
        """Publish batches until the log is exhausted (or `stop` is set); return how many were
        stored. A refused or cut batch is resumed from the stream's last message. After a full
        batch, the next one is read and mapped while this one is being published and acked."""
        stored = 0
        refusals = _Refusals()
        ahead = _ReadAhead()
        while stop is None or not stop.is_set():
            if self._cursor is None or self._reconnected.is_set():
                self._cursor = await self._resume_point()
            start = self._cursor.next_position
            batch = await ahead.take(start)
            if batch is None:
                batch = await self.reader.read(start, catching_up=False)
            if not batch:
                return stored
            # The chain's hashes: the reading process's when it chained the batch from where
            # the chain stands now, else computed here.
            chained_from = (self._cursor.chain_seq, self._cursor.chain_hash)
            hashes = batch.hashes if batch.chained_from == chained_from else None
            if hashes is None:
                hashes = chain_hashes(batch, chained_from)
                # The batches read on from this one were hashed on from the same wrong state.
                ahead.clear()
            full = len(batch) == self.batch_size
            if full:
                # The next batches are read while this one is published: the next one chained
                # from this one's end, unless it is being read already, and, by the reading
                # process, the one after it.
                if not ahead:
                    next_start, chain_end = batch[-1][0] + 1, (chained_from[0] + len(batch),
                                                               hashes[-1])
                    ahead.read(self.reader.read_ahead(next_start, chain_end)
                               or self.reader.read(next_start, catching_up=True,
                                                   chained_from=chain_end))
                if len(ahead) < _BATCHES_READ_AHEAD:
                    ahead.read(self.reader.read_following())
            try:
                stored += await self._publish_batch(batch, hashes)
            except PublishIncomplete as incomplete:
                self._cursor = None
                in_a_row = refusals.after(batch[0][0], incomplete.acked)
                stored += incomplete.stored
                if _is_out_of_storage(incomplete.__cause__):
                    message = (
                        f"JetStream has no room left for stream {STREAM_NAME} (insufficient "
                        f"storage resources: {incomplete.__cause__}): raise "
                        "LGNET_NATS_MAX_FILE_STORE or free disk space (docs/operations.md); the "
                        f"{self._waiting_count(batch[0][0])} events not yet published wait in "
                        "the store and are published once there is room"
                    )
                    PIPELINE.out_of_storage(message)
                    raise StreamOutOfStorage(message) from None
                if in_a_row >= _MAX_REFUSALS_WITHOUT_PROGRESS:
                    raise RelayError(
                        f"Stream {STREAM_NAME} refused position {batch[0][0]} "
                        f"{in_a_row} times: is something else publishing to it?"
                    ) from incomplete.__cause__
                log.warning("%s; resuming from the stream's last message", incomplete)
                continue
            PIPELINE.storage_available()
            if not full:
                return stored
        return stored

    def _waiting_count(self, start: int) -> str:
        """How many public events wait to be published from `start` ("1000+" past a batch)."""
        waiting = len(self.record.recorder.select_notifications(
            start, self.batch_size + 1, topics=PUBLIC_TOPICS))
        return f"{self.batch_size}+" if waiting > self.batch_size else str(waiting)

    async def _resume_point(self) -> _Cursor:
        assert self._js is not None
        self._reconnected.clear()
        try:
            tail = await stream_tail(self._js)
        except nats.js.errors.NotFoundError:
            # The server came back without the stream (its store was lost or wiped): recreate
            # it and publish the whole log again.
            await ensure_stream(
                self._js, replicas=self.replicas, duplicate_window=self.duplicate_window
            )
            tail = await stream_tail(self._js)
        if tail is None:
            log.info("Stream %s is empty: publishing from the start of the log", STREAM_NAME)
            return _Cursor(next_position=1, last_seq=await stream_last_seq(self._js))
        log_end = await asyncio.to_thread(self.record.recorder.max_notification_id) or 0
        if tail.position > log_end:
            raise RelayError(
                f"Stream {STREAM_NAME} already holds position {tail.position}, but the event "
                f"store's log ends at {log_end}: the relay is pointed at another (or a restored) "
                "event store. Refusing to publish: new events would reuse positions."
            )
        chain_seq, chain_hash = await self._chain_tail(tail)
        log.info("Resuming after position %s (stream sequence %s)", tail.position, tail.stream_seq)
        return _Cursor(next_position=tail.position + 1, last_seq=tail.stream_seq,
                       chain_seq=chain_seq, chain_hash=chain_hash)

    async def _chain_tail(self, tail: StreamTail) -> tuple[int, str]:
        """The audit chain's values at the stream's last message. Records the links the stream
        holds beyond the table's last one, and signs a checkpoint that fell due but was not
        signed (the relay stopped in between)."""
        assert self._js is not None
        last = await self._js.get_msg(STREAM_NAME, seq=tail.stream_seq)
        headers = last.headers or {}
        if CHAIN_SEQ not in headers or CHAIN_HASH not in headers:
            raise RelayError(
                f"The last message of stream {STREAM_NAME} (sequence {tail.stream_seq}) has no "
                "audit-chain headers: it was published by an older relay. The chain covers the "
                "whole stream from its first message: delete the stream (`nats stream rm "
                "LGNET`; with the embedded server, stop the platform and delete the data dir's "
                "nats/ directory) and the relay republishes every event with its chain."
            )
        chain_seq, chain_hash = int(headers[CHAIN_SEQ]), headers[CHAIN_HASH]
        recorded = await asyncio.to_thread(self.chain_store.head)
        recorded_seq = recorded.chain_seq if recorded else 0
        if recorded_seq < chain_seq:
            await self._copy_links_from_stream(recorded_seq, chain_seq, tail.stream_seq)
        if self.checkpoints is not None:
            head = ChainLink(chain_seq, tail.position, chain_hash)
            due = self.checkpoints.last_due(head)
            if due and not await asyncio.to_thread(self.checkpoints.exists, due):
                for link in await asyncio.to_thread(self.chain_store.links, due, due):
                    await asyncio.to_thread(self.checkpoints.sign, link)
        return chain_seq, chain_hash

    async def _copy_links_from_stream(
        self, recorded_seq: int, chain_seq: int, last_stream_seq: int
    ) -> None:
        assert self._js is not None
        # The stream's sequence numbers run alongside the chain's (one message per link, from
        # the first): start where link recorded_seq + 1 should be, or from the start if not.
        start = max(1, last_stream_seq - (chain_seq - recorded_seq) + 1)
        messages = await read_stream(self._js, start_seq=start)
        if not messages or int((messages[0].headers or {}).get(CHAIN_SEQ, 0)) > recorded_seq + 1:
            messages = await read_stream(self._js)
        links = [
            ChainLink(int(h[CHAIN_SEQ]), int(h[POSITION]), h[CHAIN_HASH])
            for h in (message.headers or {} for message in messages)
            if int(h.get(CHAIN_SEQ, 0)) > recorded_seq
        ]
        log.info("Recording %d audit-chain links from the stream (seq %s to %s)", len(links),
                 recorded_seq + 1, chain_seq)
        await asyncio.to_thread(self.chain_store.record_links, links)

    async def _publish_batch(self, batch: list[Outgoing], hashes: list[str]) -> int:
        """Pipeline the whole batch, then collect the acks in order. `hashes`: the audit chain's
        hash of each message, the chain standing at the cursor before the batch. Returns how
        many were stored; raises PublishIncomplete when not all were acknowledged, after moving
        the cursor past those that were."""
        assert self._js is not None and self._cursor is not None
        publish_async = self._js.publish_async
        expected_last_seq = self._cursor.last_seq
        chain_seq = self._cursor.chain_seq
        links: list[ChainLink] = []
        self._refused.clear()
        self._refusal = None
        self._refusals = 0
        acks: list[asyncio.Future[PubAck]] = []
        send_error: BaseException | None = None
        try:
            for (position, message, _canonical), chain_hash in zip(batch, hashes, strict=True):
                headers = message.headers
                chain_seq += 1
                headers.update(chain_headers(chain_seq, chain_hash))
                links.append(ChainLink(chain_seq, position, chain_hash))
                headers[MSG_ID] = MSG_ID_PREFIX + str(position)
                headers[EXPECTED_LAST_SEQUENCE] = str(expected_last_seq)
                # No wait_stall: with one, nats-py wraps each call in a task, so the loop turns
                # and flushes the socket once per message instead of once per batch (much slower:
                # docs/benchmarks.md). The pending limit is above a batch: the call never waits.
                acks.append(await publish_async(message.subject, message.body, headers=headers))
                expected_last_seq += 1
                if len(acks) % PUBLISHES_BETWEEN_YIELDS == 0:
                    # publish_async does not yield: let the socket flush, acks come in and the
                    # other tasks sharing the loop (web app, projector) run.
                    await asyncio.sleep(0)
                    if self._refused.is_set() or self._reconnected.is_set():
                        break  # the rest would be refused too: stop the batch here
        except Exception as error:  # the connection refused more (closed, buffer full)
            send_error = error
        cut_short = await self._await_acks(acks)

        stored = acked = last_acked_seq = 0
        last_acked: ChainLink | None = None
        failure: BaseException | None = None
        for link, ack in zip(links, acks, strict=False):
            result = outcome(ack)  # read every outcome, so none is reported as never retrieved
            if isinstance(result, BaseException):
                failure = failure or self._refusal or result
                continue
            if not result.duplicate:
                stored += 1
            if failure is not None:
                # Stored after a refused one: it follows another relay's twin of the refused
                # message. Counted; the cursor stays before the refusal (it is re-read anyway).
                continue
            acked += 1
            last_acked, last_acked_seq = link, result.seq
        if last_acked is not None:
            self._cursor = _Cursor(
                next_position=last_acked.position + 1,
                last_seq=last_acked_seq,
                chain_seq=last_acked.chain_seq,
                chain_hash=last_acked.chain_hash,
            )
            await self._record_links(links[:acked], [m for _, m, _ in batch[:acked]])
        failure = failure or send_error
        if failure is None and (cut_short or len(acks) < len(batch)):
            failure = self._refusal or TimeoutError(
                f"no ack within {self.ack_timeout} s, or NATS reconnected"
            )
        if failure is None:
            return stored
        assert self._cursor is not None
        raise PublishIncomplete(
            f"Publishing stopped before position {self._cursor.next_position} "
            f"({type(failure).__name__}: {failure})",
            stored=stored,
            acked=acked,
        ) from failure

    async def _record_links(self, links: list[ChainLink],
                            messages: list[OutgoingMessage]) -> None:
        """Keep the acknowledged links, sign the checkpoints that fall among them, and witness
        the checkpoints published in LGNET_AUDIT. A crash before this is made up for on resume
        (_chain_tail)."""
        await asyncio.to_thread(self.chain_store.record_links, links)
        if self.checkpoints is None:
            return
        assert self._js is not None
        for link, message in zip(links, messages, strict=False):
            if message.headers.get("ce-type") in CHECKPOINT_TYPES:
                head = head_of(AuditCheckpointSignedV2.model_validate_json(message.body))
                await publish_head(self._js, head)
            elif self._unsigned_since is None:
                self._unsigned_since = time.monotonic()
            if self.checkpoints.is_due(link):
                await asyncio.to_thread(self.checkpoints.sign, link)
                if link is links[-1]:
                    self._unsigned_since = None

    async def _await_acks(self, acks: list[asyncio.Future[PubAck]]) -> bool:
        """Wait for every ack, or until the ack timeout or a reconnect (after which some acks
        never come: the server that owed them is gone). True when cut short; the acks still
        outstanding are then cancelled. A refused message's ack never comes (_on_error): after a
        refusal, wait until every other message has its ack. Those sent after the refused one
        are refused too, unless another relay stored the refused one's twin: they then follow
        it, are stored, and must be counted."""
        if not acks:
            return False
        started = time.monotonic()
        deadline = started + self.ack_timeout
        all_acks: asyncio.Future[Any] = asyncio.gather(*acks, return_exceptions=True)
        interruptions: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(self._reconnected.wait()),
            asyncio.ensure_future(self._refused.wait()),
        ]
        try:
            await asyncio.wait(
                {all_acks, *interruptions},
                timeout=self.ack_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for interruption in interruptions:
                interruption.cancel()
        while (self._refused.is_set() and not self._reconnected.is_set()
               and sum(1 for ack in acks if not ack.done()) > self._refusals
               and time.monotonic() < deadline):
            await asyncio.sleep(_ACK_POLL_SECONDS)
        if all_acks.done():
            return False
        all_acks.cancel()  # cancels the outstanding acks, which frees their slots
        with contextlib.suppress(asyncio.CancelledError):
            await all_acks
        log.debug("Stopped waiting for %d of %d acks after %.3f s",
                  sum(1 for ack in acks if ack.cancelled()), len(acks),
                  time.monotonic() - started)
        return True


class _ReadAhead:
    """The batches being read ahead of the one published, in order. One is taken only if it was
    read from where the relay then stands; otherwise (the relay resumed from elsewhere) every
    batch ahead is dropped: its reading finishes on its own and its result is discarded."""

    def __init__(self) -> None:
        self._batches: collections.deque[asyncio.Future[ReadBatch | None]] = collections.deque()

    def __len__(self) -> int:
        return len(self._batches)

    def read(self, reading: Awaitable[ReadBatch | None] | None) -> None:
        """Keep `reading` (None: nothing was asked) as the batch after the last one kept."""
        if reading is None:
            return
        batch = asyncio.ensure_future(reading)
        # A dropped batch that failed must not be reported as an unretrieved exception.
        batch.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._batches.append(batch)

    async def take(self, start: int) -> ReadBatch | None:
        """The first batch ahead if it was read from `start`, else None (all dropped)."""
        if not self._batches:
            return None
        batch = await self._batches.popleft()
        if batch is not None and batch.start == start:
            return batch
        self.clear()
        return None

    def clear(self) -> None:
        """Drop every batch ahead."""
        self._batches.clear()


def _is_out_of_storage(error: BaseException | None) -> bool:
    return (isinstance(error, nats.js.errors.APIError)
            and error.err_code in _OUT_OF_STORAGE_CODES)


def _is_nats_error(error: BaseException) -> bool:
    return isinstance(error, nats.errors.Error | OSError | TimeoutError | RelayError)


def _server_of(connection: NatsClient | None) -> str:
    """host:port of the connected server: never the URL's user and password, which must not
    reach the logs."""
    url = connection.connected_url if connection else None
    if url is None or url.hostname is None:
        return "?"
    return f"{url.hostname}:{url.port}"
