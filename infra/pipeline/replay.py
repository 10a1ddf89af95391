"""The record as it was at a past moment, computed by replaying events, never by keeping copies.

`read_models_as_of` fills fresh read models, in a temporary SQLite file, with every public event
whose CloudEvents `time` is at or before the moment, in notification order, through the SAME
projections as the live read models (`default_projections()`) and the same batch path
(`apply_batch_to_all`). Whatever a projection shows live, it shows as of any moment: a view added
tomorrow gets its past for free.

Filtering, not stopping: an event's time is the `now` its command was given, and the log is in
the order the saves committed. The two agree closely but not strictly (two coordinators saving
within the same instant, a demo load or an import with its own timestamps), so replay reads the
whole log and keeps each event whose time is not after the moment; stopping at the first later
one would drop earlier-dated events saved after it. The database leaves out the events whose
stored time is surely after the moment (`select_notifications_not_after`); of those it hands
over, each event's time is read from its stored JSON first, and only the events kept are mapped
as the relay maps them (`infra.publishing.messages.to_message`); see docs/replay.md for the figures.

`ReplayCache` keeps the last few moments asked for. An entry remembers how far it has read the
log, so when events are saved later only those are read and, if dated at or before its moment,
applied: the result is what a full replay would give (the same events in the same order), at
the cost of the new events only. `AsOfServices` puts replayed read models behind the live
platform's interface: the read-model queries are over the past, everything else is the live
platform's (the web refuses changes while someone views the past)."""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification

from domain.record import ProgrammeRecord
from infra.publishing.messages import PUBLIC_TOPICS, to_message
from infra.store.eventstore import STORED_TIMESTAMP, select_notifications_not_after
from projections.projection import Delivered, Projection, apply_batch_to_all, ensure_created
from projections.storage.read_models import SqliteReadModels

# Notifications read (and applied) per transaction: as the projector's rebuild does.
REPLAY_BATCH_SIZE = 2000
# Moments kept replayed: an auditor goes back and forth between a few of them.
CACHED_MOMENTS = 4
_TEMP_PREFIX = "lgnet-as-of-"
# SQLite in WAL mode keeps these beside the database file.
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class MomentNotAware(ValueError):
    """Raised when a moment has no timezone: times in the record are all zoned."""


def replay_until(
    record: ProgrammeRecord,
    moment: datetime,
    read_models: SqliteReadModels,
    projections: Sequence[Projection],
    *,
    after: int = 0,
    batch_size: int = REPLAY_BATCH_SIZE,
) -> int:
    """Apply to `projections` the public events after notification `after` whose time is not
    after `moment`, in notification order; returns the last notification read (the next call's
    `after`). The notification id stands for the stream sequence, as in the projector's tests:
    both grow with the log, so tracking still refuses to apply an event twice."""
    if moment.tzinfo is None:
        raise MomentNotAware(f"{moment} has no timezone")
    mapper = record.mapper
    # The end of the log now: every notification up to it has committed (the store commits
    # them in order), so a batch shorter than asked means the log has been read to it.
    stop = record.recorder.max_notification_id() or 0
    read_up_to = after
    while read_up_to < stop:
        notifications = select_notifications_not_after(
            record, moment, after=read_up_to, stop=stop, limit=batch_size, topics=PUBLIC_TOPICS
        )
        batch = []
        for notification in notifications:
            stored_time = _stored_time(notification, mapper)
            if stored_time is not None and stored_time > moment:
                continue
            message = to_message(notification, mapper)
            # The header, not the envelope: only the events kept are parsed into contracts.
            if datetime.fromisoformat(message.headers["ce-time"]) <= moment:
                batch.append(Delivered(notification.id, message.envelope))
        if batch:
            apply_batch_to_all(read_models, projections, batch)
        read_up_to = notifications[-1].id if len(notifications) == batch_size else stop
    return read_up_to


def _stored_time(notification: Notification, mapper: Mapper[UUID]) -> datetime | None:
    """The event's time read from its stored JSON without decoding the rest (an event the
    database handed over within its day of margin after the moment is skipped cheaply); None
    when the state is not plain JSON starting with the timestamp, and the mapped CloudEvent's
    time decides."""
    if mapper.cipher or mapper.compressor:
        return None
    state = notification.state
    if not state.startswith(STORED_TIMESTAMP):
        return None
    end = state.find(b'"', len(STORED_TIMESTAMP))
    try:
        stored = datetime.fromisoformat(state[len(STORED_TIMESTAMP):end].decode())
    except (ValueError, UnicodeDecodeError):
        return None
    return stored if stored.tzinfo is not None else None


def fresh_read_models(projections: Sequence[Projection], directory: Path | None = None
                      ) -> SqliteReadModels:
    """Empty read models with the projections' tables, in a new temporary SQLite file."""
    handle, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=".sqlite", dir=directory)
    os.close(handle)
    read_models = SqliteReadModels(Path(name))
    for projection in projections:
        ensure_created(read_models, projection)
    return read_models


def read_models_as_of(
    record: ProgrammeRecord,
    moment: datetime,
    projections: Sequence[Projection],
    directory: Path | None = None,
) -> SqliteReadModels:
    """New read models holding the record as it was at `moment`. The caller owns them: close
    them and delete their file with `discard`."""
    read_models = fresh_read_models(projections, directory)
    try:
        replay_until(record, moment, read_models, projections)
    except BaseException:
        discard(read_models)
        raise
    return read_models


def discard(read_models: SqliteReadModels) -> None:
    """Close temporary read models and delete their files."""
    read_models.close()
    _delete_files(read_models)


def _delete_files(read_models: SqliteReadModels) -> None:
    for suffix in ("", *_SQLITE_SIDE_FILES):
        Path(f"{read_models.path}{suffix}").unlink(missing_ok=True)


@dataclass
class _Replayed:
    read_models: SqliteReadModels
    read_up_to: int


class ReplayCache:
    """Read models as of the last `capacity` moments asked for, each kept up to date with events
    saved since (see the module's docstring). Thread-safe: replays run one at a time, so two
    pages asking for the same moment replay it once.

    An evicted entry's file is deleted at once but its connections are closed only at the next
    eviction (or `close`): a request that took those read models just before the eviction
    finishes reading them meanwhile."""

    def __init__(
        self,
        record: ProgrammeRecord,
        projections: Callable[[], list[Projection]],
        *,
        capacity: int = CACHED_MOMENTS,
        directory: Path | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError("the cache must hold at least one moment")
        self.record = record
        self.projections = projections()
        self.capacity = capacity
        self.directory = directory
        self._entries: OrderedDict[datetime, _Replayed] = OrderedDict()
        self._retired: list[SqliteReadModels] = []
        self._lock = threading.Lock()

    def read_models_as_of(self, moment: datetime) -> SqliteReadModels:
        if moment.tzinfo is None:
            raise MomentNotAware(f"{moment} has no timezone")
        with self._lock:
            entry = self._entries.pop(moment, None)
            if entry is None:
                entry = _Replayed(fresh_read_models(self.projections, self.directory), 0)
            self._entries[moment] = entry  # the most recently used, last
            try:
                entry.read_up_to = replay_until(
                    self.record, moment, entry.read_models, self.projections,
                    after=entry.read_up_to,
                )
            except BaseException:
                del self._entries[moment]
                discard(entry.read_models)
                raise
            self._evict_beyond_capacity()
            return entry.read_models

    def moments(self) -> list[datetime]:
        """The moments held, the least recently used first."""
        with self._lock:
            return list(self._entries)

    def _evict_beyond_capacity(self) -> None:
        if len(self._entries) <= self.capacity:
            return
        for retired in self._retired:
            retired.close()
        self._retired = []
        while len(self._entries) > self.capacity:
            _, evicted = self._entries.popitem(last=False)
            _delete_files(evicted.read_models)  # closed later: a request may still be reading
            self._retired.append(evicted.read_models)

    def close(self) -> None:
        with self._lock:
            for retired in self._retired:
                retired.close()
            self._retired = []
            for entry in self._entries.values():
                discard(entry.read_models)
            self._entries.clear()


class AsOfServices:
    """The live platform seen as of `moment`: the services and queries of `workflows` (what
    `infra.bootstrap.workflows_over` builds over replayed read models) replace the live ones;
    any other attribute (accounts, the vault's access log, the clock, read-your-writes, the
    event browser) is the live platform's. Write services over the live record are among
    `workflows`: the web refuses unsafe requests while viewing the past, so they go unused."""

    def __init__(self, live: Any, moment: datetime, workflows: dict[str, Any]) -> None:
        object.__setattr__(self, "_live", live)
        self.moment = moment
        for name, value in workflows.items():
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called for what the instance does not hold itself.
        return getattr(object.__getattribute__(self, "_live"), name)
