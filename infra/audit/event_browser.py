"""The auditors' event browser: the record's public events as they were published (CloudEvent
attributes, data, chain hash), filtered by city, type, actor, case and time, a page at a time.

It reads the event store itself, not a read model: what an auditor checks must be the record,
not something derived from it. Each public notification is mapped once, as the relay maps it
(`infra.publishing.messages.to_message`), into a small in-memory index entry (position, time, type,
city, actor, subject, the cases it names); later queries map only the events saved since.
Filtering runs over the index in Python, so a query costs a pass over it (a few milliseconds per
10,000 events) and the first one after a start a pass over the log (see docs/replay.md). A page's
events are then read again, one by one, for their data.

Cases are followed by their code: an event names its cases by id (`case_id`, or `case_ids` for
an activity session), and the events carrying both a `case_code` and a `case_id` (the intake,
every lifecycle and referral event) tell which ids a code stands for."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.record import ProgrammeRecord
from events.cloudevents import Envelope
from infra.publishing.messages import PUBLIC_TOPICS, to_message
from projections.case_list import cases_named
from web.services import BrowsedEvent, EventFilters, EventPage

# `chain_hashes(positions) -> {position: (chain sequence, hash)}` for the positions the audit
# chain covers.
ChainHashes = Callable[[Sequence[int]], Mapping[int, tuple[int, str]]]

_NOTIFICATIONS_PER_READ = 2000
_SOURCE_PREFIX = "/lgnet/cities/"


@dataclass(frozen=True, slots=True)
class _Indexed:
    position: int
    time: datetime
    type: str
    city: str
    actor_id: str
    actor_role: str
    case_ids: tuple[str, ...]


class EventBrowser:
    """Implements web.services.AuditTrail over the programme record."""

    def __init__(self, record: ProgrammeRecord, chain_hashes: ChainHashes | None = None) -> None:
        self.record = record
        self.chain_hashes = chain_hashes
        self._index: list[_Indexed] = []
        self._case_ids_of_code: dict[str, set[str]] = {}
        self._code_of_case_id: dict[str, str] = {}
        self._read_up_to = 0
        self._lock = threading.Lock()

    def events(self, filters: EventFilters, page: int, page_size: int) -> EventPage:
        if page < 1 or page_size < 1:
            raise ValueError("pages are counted from 1 and hold at least one event")
        matching = self._matching(filters)
        if not filters.oldest_first:
            matching.reverse()
        start = (page - 1) * page_size
        shown = matching[start:start + page_size]
        hashes = self.chain_hashes(shown) if self.chain_hashes is not None and shown else {}
        events = tuple(self._browsed(position, hashes.get(position)) for position in shown)
        return EventPage(events=events, page=page, page_size=page_size, total=len(matching))

    def _matching(self, filters: EventFilters) -> list[int]:
        """The positions of the events that pass the filters, oldest first."""
        with self._lock:
            self._catch_up()
            index = list(self._index)
            wanted_cases = (
                self._case_ids_of_code.get(filters.case_code, set())
                if filters.case_code is not None else None
            )
        return [
            entry.position for entry in index
            if (filters.city is None or entry.city == filters.city)
            and (filters.event_type is None or entry.type == filters.event_type)
            and (filters.actor is None or filters.actor in (entry.actor_id, entry.actor_role))
            and (filters.since is None or entry.time >= filters.since)
            and (filters.until is None or entry.time <= filters.until)
            and (wanted_cases is None or not wanted_cases.isdisjoint(entry.case_ids))
        ]

    def _catch_up(self) -> None:
        mapper = self.record.mapper
        while True:
            notifications = self.record.recorder.select_notifications(
                self._read_up_to + 1, _NOTIFICATIONS_PER_READ, topics=PUBLIC_TOPICS
            )
            if not notifications:
                return
            for notification in notifications:
                self._add(to_message(notification, mapper).envelope)
            self._read_up_to = notifications[-1].id

    def _add(self, envelope: Envelope) -> None:
        case_ids = cases_named(envelope.data)
        case_code = getattr(envelope.data, "case_code", None)
        if isinstance(case_code, str) and len(case_ids) == 1:
            self._case_ids_of_code.setdefault(case_code, set()).add(case_ids[0])
            self._code_of_case_id[case_ids[0]] = case_code
        self._index.append(_Indexed(
            position=envelope.position,
            time=envelope.time,
            type=envelope.type,
            city=envelope.source.removeprefix(_SOURCE_PREFIX),
            actor_id=envelope.actor.id,
            actor_role=envelope.actor.role,
            case_ids=case_ids,
        ))

    def _browsed(self, position: int, chained: tuple[int, str] | None) -> BrowsedEvent:
        notification = self.record.recorder.select_notifications(
            position, 1, topics=PUBLIC_TOPICS
        )[0]
        envelope = to_message(notification, self.record.mapper).envelope
        case_ids = cases_named(envelope.data)
        with self._lock:
            case_code = next(
                (self._code_of_case_id[c] for c in case_ids if c in self._code_of_case_id), None
            )
        return BrowsedEvent(
            id=envelope.id,
            source=envelope.source,
            type=envelope.type,
            subject=envelope.subject,
            time=envelope.time,
            position=envelope.position,
            actor_kind=envelope.actor.kind,
            actor_id=envelope.actor.id,
            actor_role=envelope.actor.role,
            actor_city=envelope.actor.city,
            data=json.loads(envelope.data.model_dump_json()),
            case_code=case_code,
            chain_seq=chained[0] if chained else None,
            chain_hash=chained[1] if chained else None,
        )
