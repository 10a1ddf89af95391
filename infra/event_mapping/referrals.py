"""The referrals context's public events."""

from __future__ import annotations

from infra.event_mapping import PublicEvent

REFERRAL_EVENTS: tuple[PublicEvent, ...] = ()
