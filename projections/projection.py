"""What every projection is, and how a batch of published events is applied to one: in stream
order, skipping what the tracking position says is done, in one transaction with the tracking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from events.cloudevents import Envelope
from projections.storage import (
    ReadModelDatabase,
    Tracking,
    Transaction,
    advance_tracking,
    tracking_in,
)


@dataclass(frozen=True)
class Delivered:
    """A published event with its JetStream stream sequence (the projection's order key)."""

    stream_seq: int
    envelope: Envelope


class Projection(Protocol):
    name: str

    def create_tables(self, tx: Transaction) -> None: ...

    def drop_tables(self, tx: Transaction) -> None: ...

    def apply(self, tx: Transaction, envelope: Envelope) -> None: ...


def apply_batch(
    database: ReadModelDatabase, projection: Projection, batch: Sequence[Delivered]
) -> Tracking:
    """Apply events newer than the tracking position; all or nothing. Returns the new tracking."""
    with database.transaction() as tx:
        tracking = tracking_in(tx, projection.name)
        for delivered in batch:
            if delivered.stream_seq <= tracking.stream_seq:
                continue  # redelivered or replayed: already applied
            projection.apply(tx, delivered.envelope)
            tracking = Tracking(delivered.stream_seq, delivered.envelope.position)
        advance_tracking(tx, projection.name, tracking)
    return tracking


def reset(database: ReadModelDatabase, projection: Projection) -> None:
    """Drop the projection's tables and tracking, and create them empty (before a rebuild)."""
    with database.transaction() as tx:
        projection.drop_tables(tx)
        tx.execute("DELETE FROM rm_tracking WHERE projection = ?", (projection.name,))
        projection.create_tables(tx)


def ensure_created(database: ReadModelDatabase, projection: Projection) -> None:
    with database.transaction() as tx:
        projection.create_tables(tx)
