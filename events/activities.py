"""Event contracts of the activities context (see docs/events.md)."""

from __future__ import annotations

from events.contracts import EventContract

ACTIVITY_CONTRACTS: tuple[type[EventContract], ...] = ()
