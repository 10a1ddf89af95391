"""Read models of the referrals context (being built)."""

from __future__ import annotations

from collections.abc import Sequence

from events.cloudevents import Envelope
from projections.storage import ReadModelDatabase, Transaction


class ReferralBoardProjection:
    name = "referral_board"

    def create_tables(self, tx: Transaction) -> None:
        pass

    def drop_tables(self, tx: Transaction) -> None:
        pass

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        pass


class ReferralBoardQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database
