"""The activities context's public events."""

from __future__ import annotations

from infra.event_mapping import PublicEvent

ACTIVITY_EVENTS: tuple[PublicEvent, ...] = ()
