"""Application service for services delivered: load the case, let `Delivery.record` decide,
save, and return the event's log position. Who may call it (RECORD_CASE_WORK in the case's
city) is checked by the caller against domain.access."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.deliveries.model import (
    CaseToServe,
    Delivery,
    DeliveryOrder,
    NotACaseOfTheCity,
    VoidReason,
)
from domain.programme import Actor, CardTermsSource, TermsSource
from domain.record import ProgrammeRecord, position_of, save_decided

_SAVE_ATTEMPTS = 5


class DeliveryNotFound(LookupError):
    """Raised when no delivery has the given id."""


class CasesToServe(Protocol):
    """Where the service finds the case: the cases context's CaseService."""

    def get(self, case_id: UUID) -> CaseToServe:
        """The case with this id; raises a LookupError when there is none."""
        ...


class DeliveryService:
    def __init__(
        self, record: ProgrammeRecord, cases: CasesToServe, terms: TermsSource | None = None
    ) -> None:
        self.record = record
        self.cases = cases
        self.terms = terms or CardTermsSource()

    def record_delivery(
        self, delivery_id: UUID, case_id: UUID, order: DeliveryOrder, actor: Actor,
        now: datetime,
    ) -> int:
        try:
            case = self.cases.get(case_id)
        except LookupError:
            # As for a case of another city: the refusal must not tell which ids exist.
            raise NotACaseOfTheCity("No case of the city has this id.", field="case") from None
        delivery = Delivery.record(
            delivery_id, case, order, actor, now, self.terms.terms_in_force())
        return position_of(self.record.save(delivery))

    def void(self, delivery_id: UUID, reason: VoidReason, actor: Actor, now: datetime) -> int:
        def decide() -> list[Delivery]:
            delivery = self.get(delivery_id)
            delivery.void(reason, actor, now)
            return [delivery]

        return save_decided(self.record, decide, _SAVE_ATTEMPTS)

    def get(self, delivery_id: UUID) -> Delivery:
        try:
            delivery: object = self.record.repository.get(delivery_id)
        except AggregateNotFoundError:
            raise DeliveryNotFound(delivery_id) from None
        if not isinstance(delivery, Delivery):
            raise DeliveryNotFound(delivery_id)
        return delivery
