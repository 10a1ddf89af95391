"""Services delivered at their edges (issue 20): every refusal's class, `code`, message and
parameters where the rule is broken, each kind's limit at the limit and one step past it, the day
on the intake day and the day before, today and tomorrow in Italy, and every event field by field.
A mutation run (docs/testing.md, "Other domain modules") showed the messages, most limits and
several event fields were never checked.

DOMAIN.md, "Who is served": Sub-Action 2 is only for asylum seekers (art. 8 of law 46/2017);
the people served left reception or are leaving it. "Money Decimal": cash support is in euros
and cents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from domain.deliveries.model import (
    DELIVERY_SUB_ACTIONS,
    MEASURES,
    Delivery,
    DeliveryError,
    DeliveryKind,
    DeliveryUnit,
    Measure,
    VoidReason,
    checked_quantity,
)
from domain.programme import City, SubAction
from tests.builders import INTAKE_DATE, NOW, a_coordinator, recorded, refusal
from tests.unit.test_delivery_rules import LATER, a_case, an_order
from tests.unit.test_programme_terms import withdrawn

ACTOR = a_coordinator()
DELIVERY_ID = UUID(int=0xDE1)


def test_each_kind_is_measured_in_its_unit_up_to_its_limit() -> None:
    """Not on the card: the platform's limits for one delivery (a slip of the keyboard is
    refused rather than counted)."""
    assert MEASURES == {
        DeliveryKind.MEALS: Measure(DeliveryUnit.MEALS, Decimal(90), 0),
        DeliveryKind.CLOTHING: Measure(DeliveryUnit.ITEMS, Decimal(30), 0),
        DeliveryKind.TRANSPORT_TICKETS: Measure(DeliveryUnit.TICKETS, Decimal(60), 0),
        DeliveryKind.LEGAL_CONSULTATION: Measure(DeliveryUnit.HOURS, Decimal(12), 2),
        DeliveryKind.HEALTH_ACCOMPANIMENT: Measure(DeliveryUnit.HOURS, Decimal(12), 2),
        DeliveryKind.LANGUAGE_COURSE: Measure(DeliveryUnit.HOURS, Decimal(12), 2),
        DeliveryKind.CASH_SUPPORT: Measure(DeliveryUnit.EUR, Decimal("1000.00"), 2),
    }
    assert DELIVERY_SUB_ACTIONS == (
        SubAction.CIVIC_ENGAGEMENT,
        SubAction.EMERGENCY_TAKE_IN,
        SubAction.FAST_TRACK_HOUSING,
    )
    assert DeliveryError.code == "delivery_error"


@pytest.mark.parametrize(
    ("kind", "limit", "past", "unit"),
    [
        (DeliveryKind.MEALS, "90", "91", "meals"),
        (DeliveryKind.CLOTHING, "30", "31", "items"),
        (DeliveryKind.TRANSPORT_TICKETS, "60", "61", "tickets"),
    ],
)
def test_a_whole_kind_is_kept_at_its_limit_and_refused_one_past(
    kind: DeliveryKind,
    limit: str,
    past: str,
    unit: str,
) -> None:
    assert checked_quantity(kind, Decimal(limit)) == Decimal(limit)
    assert str(checked_quantity(kind, Decimal("1.0"))) == "1"
    for quantity in (past, "0", "1.5", "NaN"):
        assert refusal(lambda q=quantity: checked_quantity(kind, Decimal(q))) == (  # type: ignore[misc]
            "invalid_delivery_quantity",
            f"Give a quantity of more than 0 and at most {limit} {unit}, in whole numbers.",
            {"field": "quantity", "maximum": Decimal(limit), "unit": unit},
        )


@pytest.mark.parametrize(
    ("kind", "limit", "past", "unit"),
    [
        (DeliveryKind.LEGAL_CONSULTATION, "12", "12.01", "hours"),
        (DeliveryKind.HEALTH_ACCOMPANIMENT, "12", "12.01", "hours"),
        (DeliveryKind.LANGUAGE_COURSE, "12", "12.01", "hours"),
        (DeliveryKind.CASH_SUPPORT, "1000.00", "1000.01", "eur"),
    ],
)
def test_a_kind_in_hundredths_is_kept_at_its_limit_and_refused_one_hundredth_past(
    kind: DeliveryKind,
    limit: str,
    past: str,
    unit: str,
) -> None:
    assert str(checked_quantity(kind, Decimal(limit))) == str(
        Decimal(limit).quantize(Decimal("0.01"))
    )
    assert str(checked_quantity(kind, Decimal("0.01"))) == "0.01"
    assert str(checked_quantity(kind, Decimal("2"))) == "2.00"
    for quantity in (past, "0", "-1", "0.005", "Infinity"):
        assert refusal(lambda q=quantity: checked_quantity(kind, Decimal(q))) == (  # type: ignore[misc]
            "invalid_delivery_quantity",
            f"Give a quantity of more than 0 and at most {limit} {unit}, with at most two "
            "decimals.",
            {"field": "quantity", "maximum": Decimal(limit), "unit": unit},
        )


def test_a_delivery_records_every_fact_and_is_held_as_recorded() -> None:
    case = a_case()
    order = an_order(
        kind=DeliveryKind.CASH_SUPPORT,
        quantity=Decimal("12.5"),
        sub_action=SubAction.FAST_TRACK_HOUSING,
    )

    delivery = Delivery.record(DELIVERY_ID, case, order, ACTOR, LATER)

    assert recorded(delivery) == [
        (
            "Recorded",
            {
                "timestamp": LATER,
                "city": "firenze",
                "case_id": case.id,
                "case_code": "FI-2021-00001",
                "sub_action": "4",
                "kind": "cash_support",
                "unit": "eur",
                "quantity": Decimal("12.50"),
                "delivered_on": date(2021, 3, 13),
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert delivery.id == DELIVERY_ID
    assert delivery.city == City.FIRENZE and isinstance(delivery.city, City)
    assert (
        delivery.case_id,
        delivery.case_code,
        delivery.sub_action,
        delivery.kind,
        delivery.unit,
        delivery.quantity,
        delivery.delivered_on,
        delivery.voided,
    ) == (
        case.id,
        "FI-2021-00001",
        SubAction.FAST_TRACK_HOUSING,
        DeliveryKind.CASH_SUPPORT,
        DeliveryUnit.EUR,
        Decimal("12.50"),
        date(2021, 3, 13),
        False,
    )
    assert str(delivery.quantity) == "12.50"


@pytest.mark.parametrize(
    "sub_action",
    [SubAction.COORDINATION, SubAction.ADMINISTRATION_EMPOWERMENT, SubAction.COMMUNICATION],
)
def test_no_delivery_under_a_sub_action_serving_no_person_said_with_why(
    sub_action: SubAction,
) -> None:
    assert refusal(
        lambda: Delivery.record(
            DELIVERY_ID, a_case(), an_order(sub_action=sub_action), ACTOR, LATER
        )
    ) == (
        "no_delivery_in_sub_action",
        "Services are delivered to a person only under Sub-Action 2, 3 or 4.",
        {"field": "sub_action"},
    )


def test_a_delivery_is_dated_from_the_intake_to_today_in_italy() -> None:
    case = a_case()

    def deliver(day: date, now: datetime) -> Delivery:
        return Delivery.record(DELIVERY_ID, case, an_order(delivered_on=day), ACTOR, now)

    assert refusal(lambda: deliver(date(2021, 3, 11), NOW)) == (
        "invalid_delivery_date",
        "A delivery cannot be recorded before it is made.",
        {"field": "delivered_on"},
    )
    late = datetime(2021, 3, 10, 23, 30, tzinfo=UTC)  # already the 11th in Italy
    assert deliver(date(2021, 3, 11), late).delivered_on == date(2021, 3, 11)
    assert refusal(lambda: deliver(date(2021, 3, 9), NOW)) == (
        "invalid_delivery_date",
        "A delivery cannot be dated before the person was taken in.",
        {"field": "delivered_on"},
    )
    assert deliver(INTAKE_DATE, NOW).delivered_on == INTAKE_DATE


def test_a_delivery_after_the_city_withdrew_is_refused_on_its_day() -> None:
    terms = withdrawn(City.FIRENZE, date(2021, 3, 20))
    case = a_case()
    code, _, params = refusal(
        lambda: Delivery.record(
            DELIVERY_ID, case, an_order(delivered_on=date(2021, 3, 20)), ACTOR, LATER, terms
        )
    )
    assert (code, params["field"]) == ("not_a_partner_city", "delivered_on")
    assert Delivery.record(
        DELIVERY_ID, case, an_order(delivered_on=date(2021, 3, 19)), ACTOR, LATER, terms
    ).delivered_on == date(2021, 3, 19)


def test_a_person_not_eligible_on_the_day_is_refused_with_the_day_and_sub_action() -> None:
    """Art. 8 of law 46/2017: Sub-Action 2 only for applicants; the refugee is not one."""
    assert refusal(
        lambda: Delivery.record(
            DELIVERY_ID, a_case(), an_order(sub_action=SubAction.CIVIC_ENGAGEMENT), ACTOR, LATER
        )
    ) == (
        "not_eligible_for_sub_action",
        "On 2021-03-13 the person is not eligible for Sub-Action 2.",
        {"field": "sub_action", "sub_action": "2", "on": date(2021, 3, 13)},
    )


def test_a_voided_delivery_records_why_and_is_voided_once() -> None:
    delivery = Delivery.record(DELIVERY_ID, a_case(), an_order(), ACTOR, LATER)
    delivery.collect_events()
    at = datetime(2021, 4, 10, 8, 0, tzinfo=UTC)

    delivery.void(VoidReason.NOT_PROVIDED, ACTOR, at)

    assert recorded(delivery) == [
        (
            "Voided",
            {
                "timestamp": at,
                "city": "firenze",
                "case_id": delivery.case_id,
                "case_code": "FI-2021-00001",
                "reason": "not_provided",
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert delivery.voided is True
    assert refusal(lambda: delivery.void(VoidReason.DUPLICATE, ACTOR, at)) == (
        "delivery_already_voided",
        "The delivery is already voided.",
        {"field": "delivery"},
    )


def test_a_delivery_after_the_programme_period_is_refused_on_its_date_field() -> None:
    """The whole-tree mutation run of 7 December 2026 left the refusal's `field` unchecked: the
    web puts the message next to the field it names."""
    late = datetime(2022, 2, 10, 9, 30, tzinfo=UTC)
    assert refusal(
        lambda: Delivery.record(
            DELIVERY_ID, a_case(), an_order(delivered_on=date(2022, 1, 1)), ACTOR, late
        )
    ) == (
        "outside_programme_period",
        "The date must fall within the programme's period (2019-07-01 to 2021-12-31).",
        {"field": "delivered_on", "starts_on": date(2019, 7, 1), "ends_on": date(2021, 12, 31)},
    )
