"""Event contracts of the housing context (see docs/events.md)."""

from __future__ import annotations

from events.contracts import EventContract

HOUSING_CONTRACTS: tuple[type[EventContract], ...] = ()
