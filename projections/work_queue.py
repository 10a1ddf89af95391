"""The work queue: what a city's staff must act on, gathered from every read model that has due
things (each a `WorkItemSource`: the list is the composition root's, infra.bootstrap), joined
with who holds each case (projections.assignment), in one list sorted by urgency: the overdue
first, then by when each is due. The ministry's queue is gathered the same way, city by city,
from its own sources (claims awaiting a decision, cities late with their reporting).

An item is in the queue when it is due by `now + horizon` (a setting), overdue ones included."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from projections.projection import WorkItem, WorkItemSource

SCOPE_MINE = "mine"
SCOPE_ALL = "all"
SCOPES = (SCOPE_MINE, SCOPE_ALL)
DEFAULT_HORIZON = timedelta(days=7)


class Holders(Protocol):
    def holders(self, case_ids: Iterable[UUID]) -> dict[UUID, str | None]:
        """Who holds each of these cases now (projections.assignment)."""
        ...


@dataclass(frozen=True)
class QueueLine:
    item: WorkItem
    holder: str | None
    """Who holds the item's case (None: nobody, or the item concerns no case of the city)."""
    overdue: bool


@dataclass(frozen=True)
class WorkQueue:
    city: str | None
    """The city whose queue it is (None: the ministry's, over every city)."""
    now: datetime
    lines: tuple[QueueLine, ...]

    @property
    def overdue(self) -> int:
        return sum(1 for line in self.lines if line.overdue)

    def held_by(self, username: str) -> int:
        return sum(1 for line in self.lines if line.holder == username)


def sorted_lines(items: Iterable[WorkItem], holders: dict[UUID, str | None],
                 now: datetime) -> tuple[QueueLine, ...]:
    """Overdue first, then by due; equal dues by kind and case code, so the order is stable."""
    lines = [QueueLine(item, holders.get(item.case_id) if item.case_id else None, item.due < now)
             for item in items]
    return tuple(sorted(lines, key=lambda line: (
        not line.overdue, line.item.due, line.item.kind, line.item.case_code or "")))


class CityWorkQueues:
    def __init__(self, sources: Sequence[WorkItemSource], holders: Holders,
                 horizon: timedelta = DEFAULT_HORIZON) -> None:
        self.sources = sources
        self.holders = holders
        self.horizon = horizon

    def queue(self, city: str, now: datetime, *, held_by: str | None = None) -> WorkQueue:
        """The city's queue at `now`; with `held_by`, only the lines of cases that person
        holds."""
        until = now + self.horizon
        items = [item for source in self.sources for item in source.work_items(city, until)]
        holders = self.holders.holders(item.case_id for item in items if item.case_id)
        lines = sorted_lines(items, holders, now)
        if held_by is not None:
            lines = tuple(line for line in lines if line.holder == held_by)
        return WorkQueue(city, now, lines)


class NetworkWorkQueue:
    """The ministry's queue: its sources' items for every city, in one list."""

    def __init__(self, sources: Sequence[WorkItemSource], cities: Callable[[], Sequence[str]],
                 horizon: timedelta = DEFAULT_HORIZON) -> None:
        """`cities` gives the network's cities when the queue is read: the ministry admits
        new ones while the platform runs."""
        self.sources = sources
        self.cities = cities
        self.horizon = horizon

    def queue(self, now: datetime) -> WorkQueue:
        until = now + self.horizon
        items = [item for city in self.cities() for source in self.sources
                 for item in source.work_items(city, until)]
        return WorkQueue(None, now, sorted_lines(items, {}, now))
