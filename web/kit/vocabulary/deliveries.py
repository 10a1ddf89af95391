"""The words of services delivered: kinds, units, void reasons, their events, their refusals, and
a quantity as the language writes it in its unit (14 pasti, 1,5 ore, € 150,00)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum

from domain.deliveries.model import (
    DELIVERY_SUB_ACTIONS,
    MEASURES,
    DeliveryKind,
    DeliveryUnit,
    VoidReason,
)
from events.deliveries import DeliveryRecordedV1, DeliveryVoidedV1
from web.kit.i18n import N_, Translator, number_as

DELIVERY_KINDS: Mapping[str, str] = {
    DeliveryKind.MEALS: N_("Meals"),
    DeliveryKind.CLOTHING: N_("Clothing"),
    DeliveryKind.TRANSPORT_TICKETS: N_("Transport tickets"),
    DeliveryKind.LEGAL_CONSULTATION: N_("Legal consultation"),
    DeliveryKind.HEALTH_ACCOMPANIMENT: N_("Accompaniment to health services"),
    DeliveryKind.LANGUAGE_COURSE: N_("Italian language course"),
    DeliveryKind.CASH_SUPPORT: N_("Cash support"),
}

DELIVERY_UNITS: Mapping[str, str] = {
    DeliveryUnit.MEALS: N_("meals"),
    DeliveryUnit.ITEMS: N_("items"),
    DeliveryUnit.TICKETS: N_("tickets"),
    DeliveryUnit.HOURS: N_("hours"),
    DeliveryUnit.EUR: N_("euros"),
}

VOID_REASONS: Mapping[str, str] = {
    VoidReason.ENTERED_IN_ERROR: N_("Entered in error"),
    VoidReason.DUPLICATE: N_("Recorded twice"),
    VoidReason.NOT_PROVIDED: N_("Not provided after all"),
}

LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    DeliveryKind: DELIVERY_KINDS,
    DeliveryUnit: DELIVERY_UNITS,
    VoidReason: VOID_REASONS,
}
EVENT_TYPES: Mapping[str, str] = {
    DeliveryRecordedV1.ce_type(): N_("Service delivered"),
    DeliveryVoidedV1.ce_type(): N_("Service delivered voided"),
}
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("delivery_error", None): N_("The service delivered is not valid."),
    ("invalid_delivery_quantity", None): N_(
        "Give a quantity of more than 0 within its kind's limit: at most 90 meals, 30 items of "
        "clothing, 60 tickets, 12 hours, or € 1,000.00 of cash support; meals, items and "
        "tickets in whole numbers, hours and euros with at most two decimals."
    ),
    ("invalid_delivery_date", None): N_(
        "The date of the delivery cannot be in the future, nor before the person was taken in."
    ),
    ("no_delivery_in_sub_action", None): N_(
        "Services are delivered to a person only under Sub-Action 2, 3 or 4: Sub-Actions 1, 5 "
        "and 6 serve no final recipient."
    ),
    ("not_eligible_for_sub_action", None): N_(
        "On %(on)s the person is not eligible for this sub-action (see the eligibility on the "
        "case page): choose a sub-action the person is eligible for on that day."
    ),
    ("delivery_case_unknown", None): N_("No case of the city has this id."),
    ("delivery_already_voided", None): N_("The delivery is already voided."),
    ("outside_programme_period", "delivered_on"): N_(
        "The date of the delivery must fall within the programme's period, %(starts_on)s to "
        "%(ends_on)s."
    ),
}


def quantity_in_words(quantity: Decimal, unit: str, translator: Translator) -> str:
    """"14 pasti", "1,5 ore", "€ 150,00": the number as the language writes it, with its unit."""
    if unit == DeliveryUnit.EUR:
        return translator.money(quantity)
    number = number_as(quantity, "#,##0.##", translator.language)
    return f"{number} {translator.gettext(DELIVERY_UNITS.get(unit, unit))}"


def delivery_words(translator: Translator) -> dict[str, object]:
    """What a template showing deliveries or their form needs: the tables of labels, the
    sub-actions that deliver to a person, each kind's unit, and `quantity(value, unit)`."""
    return {
        "delivery_kinds": DELIVERY_KINDS,
        "delivery_units": DELIVERY_UNITS,
        "void_reasons": VOID_REASONS,
        "delivery_sub_actions": [s.value for s in DELIVERY_SUB_ACTIONS],
        "kind_units": {kind.value: measure.unit.value for kind, measure in MEASURES.items()},
        "quantity": lambda value, unit: quantity_in_words(value, unit, translator),
    }
