"""Event contracts of the referrals context (see docs/events.md)."""

from __future__ import annotations

from events.contracts import EventContract

REFERRAL_CONTRACTS: tuple[type[EventContract], ...] = ()
