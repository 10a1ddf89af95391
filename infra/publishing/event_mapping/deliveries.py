"""Services delivered: their public events, subject the case code (the default)."""

from __future__ import annotations

from domain.deliveries.model import Delivery
from events.deliveries import DeliveryRecordedV1, DeliveryVoidedV1
from infra.publishing.event_mapping import PublicEvent

DELIVERY_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(Delivery.Recorded, DeliveryRecordedV1, id_field="delivery_id"),
    PublicEvent(Delivery.Voided, DeliveryVoidedV1, id_field="delivery_id"),
)
