"""Event contracts of services delivered (see docs/events.md and docs/workflows/services.md).

A delivery is a service a city provided to a person it took in: its kind, quantity and unit, day
and sub-action. Codes and numbers only: no free text, no identifier beyond the pseudonymous case
code. The CloudEvents subject is the case code, so a delivery appears on the case's timeline.
Partners get no copy (events/partner.py lists none)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.contracts import CASE_CODE_PATTERN, City, EventContract

DeliverySubAction = Literal["2", "3", "4"]
DeliveryKind = Literal[
    "meals",
    "clothing",
    "transport_tickets",
    "legal_consultation",
    "health_accompaniment",
    "language_course",
    "cash_support",
]
DeliveryUnit = Literal["meals", "items", "tickets", "hours", "eur"]
VoidReason = Literal["entered_in_error", "duplicate", "not_provided"]


class DeliveryRecordedV1(EventContract):
    """A service was delivered to the person of a case, under a sub-action the person was
    eligible for on that day."""

    aggregate: ClassVar[str] = "delivery"
    event: ClassVar[str] = "recorded"
    version: ClassVar[int] = 1

    delivery_id: UUID
    city: City
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    sub_action: DeliverySubAction
    kind: DeliveryKind
    unit: DeliveryUnit = Field(
        description="meals, items (clothing), tickets, hours, or eur (cash support)")
    quantity: Decimal = Field(
        gt=0, le=1000, decimal_places=2,
        description="How much, in `unit`: a whole number of meals, items or tickets; hours or "
        'euros with at most two decimals, written as a JSON string such as "150.00" (readers '
        "also accept a number). Cash support is at most 1000.00 euros at a time",
    )
    delivered_on: date


class DeliveryVoidedV1(EventContract):
    """A delivery was voided (typed wrong, recorded twice, not provided after all): it leaves
    the figures and stays in the history."""

    aggregate: ClassVar[str] = "delivery"
    event: ClassVar[str] = "voided"
    version: ClassVar[int] = 1

    delivery_id: UUID
    city: City
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    reason: VoidReason


DELIVERY_CONTRACTS: tuple[type[EventContract], ...] = (DeliveryRecordedV1, DeliveryVoidedV1)
