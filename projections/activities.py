"""Read models of the activities context (being built)."""

from __future__ import annotations

from collections.abc import Sequence

from events.cloudevents import Envelope
from projections.storage import ReadModelDatabase, Transaction


class ActivityRegisterProjection:
    name = "activity_register"

    def create_tables(self, tx: Transaction) -> None:
        pass

    def drop_tables(self, tx: Transaction) -> None:
        pass

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        pass


class ActivityRegisterQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database
