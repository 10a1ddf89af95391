"""The housing context's public events."""

from __future__ import annotations

from infra.event_mapping import PublicEvent

HOUSING_EVENTS: tuple[PublicEvent, ...] = ()
