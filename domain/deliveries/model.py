"""Services delivered to a person: what a city actually provided to someone it took in (meals,
clothing, transport tickets, a legal consultation, an accompaniment to health services, hours of
a language course, cash support), on which day, in which quantity and under which sub-action.

A delivery is its own aggregate, recorded once and never edited: one typed wrong is voided (with
a reason code) and recorded again. The rule lives in `Delivery.record`: the quantity fits its
kind's unit and limit, the day is neither in the future nor outside the programme's period (as
amended), the city is a partner that day, and the person is **eligible for the sub-action on
that day**, as the case computes it (`CaseToServe.eligibility_on`: Sub-Action 2 only for
applicants for international protection, art. 8 law 46/2017; 3 and 4 for people out of
reception or leaving it). Only the sub-actions that serve final recipients (2, 3, 4) deliver
anything to a person. Cash support is a Decimal amount in euros, never a float."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.programme import (
    CARD_TERMS,
    Actor,
    City,
    DomainError,
    SubAction,
    TermsInForce,
    programme_today,
)


class DeliveryKind(StrEnum):
    MEALS = "meals"
    CLOTHING = "clothing"
    TRANSPORT_TICKETS = "transport_tickets"
    LEGAL_CONSULTATION = "legal_consultation"
    HEALTH_ACCOMPANIMENT = "health_accompaniment"
    LANGUAGE_COURSE = "language_course"
    CASH_SUPPORT = "cash_support"


class DeliveryUnit(StrEnum):
    MEALS = "meals"
    ITEMS = "items"
    TICKETS = "tickets"
    HOURS = "hours"
    EUR = "eur"


class VoidReason(StrEnum):
    """Why a delivery is voided: a code, never a free text."""

    ENTERED_IN_ERROR = "entered_in_error"
    DUPLICATE = "duplicate"
    NOT_PROVIDED = "not_provided"


@dataclass(frozen=True)
class Measure:
    """How a kind of delivery is counted: its unit, the most one delivery may record, and how
    many decimals the quantity may have (0: whole numbers)."""

    unit: DeliveryUnit
    maximum: Decimal
    decimals: int


# Not on the card: the platform's limits for one delivery on one day, so that a slip of the
# keyboard (1000 meals, EUR 15,000) is refused rather than counted in the figures. Hours as an
# activity's session (at most 12 a day); cash support at most EUR 1,000.00 at a time.
MAX_CASH_SUPPORT = Decimal("1000.00")
MEASURES: dict[DeliveryKind, Measure] = {
    DeliveryKind.MEALS: Measure(DeliveryUnit.MEALS, Decimal(90), 0),
    DeliveryKind.CLOTHING: Measure(DeliveryUnit.ITEMS, Decimal(30), 0),
    DeliveryKind.TRANSPORT_TICKETS: Measure(DeliveryUnit.TICKETS, Decimal(60), 0),
    DeliveryKind.LEGAL_CONSULTATION: Measure(DeliveryUnit.HOURS, Decimal(12), 2),
    DeliveryKind.HEALTH_ACCOMPANIMENT: Measure(DeliveryUnit.HOURS, Decimal(12), 2),
    DeliveryKind.LANGUAGE_COURSE: Measure(DeliveryUnit.HOURS, Decimal(12), 2),
    DeliveryKind.CASH_SUPPORT: Measure(DeliveryUnit.EUR, MAX_CASH_SUPPORT, 2),
}
# The sub-actions that serve final recipients (2, 3, 4): the only ones that deliver to a person.
DELIVERY_SUB_ACTIONS = tuple(s for s in SubAction if s.enrols_final_recipients)


class DeliveryError(DomainError):
    """Raised when a delivery breaks a rule of the programme."""

    code = "delivery_error"


class InvalidQuantity(DeliveryError):
    """Raised when a delivery's quantity is not a positive number of its unit within its limit."""

    code = "invalid_delivery_quantity"


class InvalidDeliveryDate(DeliveryError):
    """Raised when a delivery is dated in the future or before the person was taken in."""

    code = "invalid_delivery_date"


class NoDeliveryInSubAction(DeliveryError):
    """Raised when a delivery to a person is recorded under Sub-Action 1, 5 or 6, which serve
    no final recipient."""

    code = "no_delivery_in_sub_action"


class NotEligibleForSubAction(DeliveryError):
    """Raised when the person is not eligible, on the delivery's day, for its sub-action."""

    code = "not_eligible_for_sub_action"


class NotACaseOfTheCity(DeliveryError):
    """Raised when the case is unknown, or is not the case of the city recording the delivery."""

    code = "delivery_case_unknown"


class DeliveryAlreadyVoided(DeliveryError):
    """Raised when a delivery already voided is voided again."""

    code = "delivery_already_voided"


class EligibilityOnDay(Protocol):
    """One sub-action's eligibility as the cases context computes it (its Eligibility)."""

    @property
    def sub_action(self) -> SubAction: ...

    @property
    def eligible(self) -> bool: ...


class CaseToServe(Protocol):
    """What a delivery needs of its case (the cases context's Case is one)."""

    @property
    def id(self) -> UUID: ...

    @property
    def case_code(self) -> str: ...

    @property
    def city(self) -> City: ...

    @property
    def intake_date(self) -> date: ...

    def eligibility_on(self, day: date) -> Sequence[EligibilityOnDay]:
        """Eligibility per sub-action on `day`, from the status held then."""
        ...

    def require_open(self) -> None:
        """Refuse (the cases context's own error) when the case is closed."""


@dataclass(frozen=True)
class DeliveryOrder:
    """What an operator records: which service, how much, on which day, under which
    sub-action."""

    sub_action: SubAction
    kind: DeliveryKind
    quantity: Decimal
    delivered_on: date


def checked_quantity(kind: DeliveryKind, quantity: Decimal) -> Decimal:
    """The quantity in its unit's form (whole, or with two decimals), or InvalidQuantity."""
    measure = MEASURES[kind]
    step = Decimal(1).scaleb(-measure.decimals)
    if not (
        quantity.is_finite() and Decimal(0) < quantity <= measure.maximum
        and quantity == quantity.quantize(step)
    ):
        raise InvalidQuantity(
            f"Give a quantity of more than 0 and at most {measure.maximum} {measure.unit.value}"
            + (", in whole numbers." if measure.decimals == 0 else ", with at most two decimals."),
            field="quantity", maximum=measure.maximum, unit=measure.unit.value,
        )
    return quantity.quantize(step)


class Delivery(Aggregate):
    """One service delivered to one person on one day."""

    class Recorded(Aggregate.Created):
        city: str
        case_id: UUID
        case_code: str
        sub_action: str
        kind: str
        unit: str
        quantity: Decimal
        delivered_on: date
        actor: dict[str, str | None]

    def __init__(
        self, city: str, case_id: UUID, case_code: str, sub_action: str, kind: str, unit: str,
        quantity: Decimal, delivered_on: date, actor: dict[str, str | None],
    ) -> None:
        self.city = City(city)
        self.case_id = case_id
        self.case_code = case_code
        self.sub_action = SubAction(sub_action)
        self.kind = DeliveryKind(kind)
        self.unit = DeliveryUnit(unit)
        self.quantity = quantity
        self.delivered_on = delivered_on
        self.voided = False

    @classmethod
    def record(
        cls, delivery_id: UUID, case: CaseToServe, order: DeliveryOrder, actor: Actor,
        now: datetime, terms: TermsInForce = CARD_TERMS,
    ) -> Delivery:
        """Decide a delivery: every fact checked before anything is recorded."""
        case.require_open()
        if order.sub_action not in DELIVERY_SUB_ACTIONS:
            raise NoDeliveryInSubAction(
                "Services are delivered to a person only under Sub-Action 2, 3 or 4.",
                field="sub_action")
        quantity = checked_quantity(order.kind, order.quantity)
        day = order.delivered_on
        if day > programme_today(now):
            raise InvalidDeliveryDate(
                "A delivery cannot be recorded before it is made.", field="delivered_on")
        terms.require_in_period(day, field="delivered_on")
        terms.require_partner(case.city, day, field="delivered_on")
        if day < case.intake_date:
            raise InvalidDeliveryDate(
                "A delivery cannot be dated before the person was taken in.",
                field="delivered_on")
        if not any(e.sub_action is order.sub_action and e.eligible
                   for e in case.eligibility_on(day)):
            raise NotEligibleForSubAction(
                f"On {day} the person is not eligible for Sub-Action {order.sub_action.value}.",
                field="sub_action", sub_action=order.sub_action.value, on=day)
        return cls._create(
            cls.Recorded, id=delivery_id, timestamp=now, city=case.city.value,
            case_id=case.id, case_code=case.case_code, sub_action=order.sub_action.value,
            kind=order.kind.value, unit=MEASURES[order.kind].unit.value, quantity=quantity,
            delivered_on=day, actor=actor.as_record(),
        )

    class Voided(Aggregate.Event):
        city: str
        case_id: UUID
        case_code: str
        reason: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Delivery)
            aggregate.voided = True

    def void(self, reason: VoidReason, actor: Actor, now: datetime) -> None:
        """Take a delivery out of the figures (typed wrong, recorded twice, not provided after
        all): it stays in the history, voided."""
        if self.voided:
            raise DeliveryAlreadyVoided("The delivery is already voided.", field="delivery")
        self.trigger_event(
            self.Voided, timestamp=now, city=self.city.value, case_id=self.case_id,
            case_code=self.case_code, reason=reason.value, actor=actor.as_record(),
        )
