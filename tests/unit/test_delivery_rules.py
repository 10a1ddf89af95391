"""The rules of services delivered, on the aggregates alone: the quantity of each kind in its
unit and within its limit (cash support: euros, two decimals, at most EUR 1,000.00), the day
(not in the future, within the programme's period, not before the intake), the sub-action
(2, 3 or 4) and the person's eligibility for it on that day. A refusal records nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.cases.model import Case, CaseClosed, ReceptionHistory
from domain.cases.rules import CaseOutcome, ReceptionCentreKind, ReceptionSituation
from domain.deliveries.model import (
    MAX_CASH_SUPPORT,
    Delivery,
    DeliveryAlreadyVoided,
    DeliveryKind,
    DeliveryOrder,
    InvalidDeliveryDate,
    InvalidQuantity,
    NoDeliveryInSubAction,
    NotEligibleForSubAction,
    VoidReason,
)
from domain.programme import City, DomainError, OutsideProgrammePeriod, ProtectionStatus, SubAction
from tests.builders import INTAKE_DATE, NOW, a_coordinator, a_reason, an_intake

LATER = NOW + timedelta(days=30)  # 2021-04-09


def a_case(**facts: Any) -> Case:
    return Case.take_in(uuid4(), "FI-2021-00001", an_intake(City.FIRENZE, **facts),
                        a_coordinator(), NOW)


def an_order(**overrides: Any) -> DeliveryOrder:
    values: dict[str, Any] = {
        "sub_action": SubAction.EMERGENCY_TAKE_IN, "kind": DeliveryKind.MEALS,
        "quantity": Decimal(14), "delivered_on": INTAKE_DATE + timedelta(days=3),
    }
    values.update(overrides)
    return DeliveryOrder(**values)


def record(case: Case | None = None, now: Any = LATER, **overrides: Any) -> Delivery:
    return Delivery.record(uuid4(), case or a_case(), an_order(**overrides), a_coordinator(), now)


def refused(error: type[DomainError], case: Case | None = None, **overrides: Any) -> DomainError:
    with pytest.raises(error) as raised:
        record(case, **overrides)
    return raised.value


def test_a_delivery_records_its_facts_field_by_field() -> None:
    case = a_case()
    delivery = Delivery.record(uuid4(), case, an_order(), a_coordinator(), LATER)

    (recorded,) = delivery.collect_events()
    assert isinstance(recorded, Delivery.Recorded)
    assert (recorded.city, recorded.case_id, recorded.case_code) == (
        "firenze", case.id, "FI-2021-00001")
    assert (recorded.sub_action, recorded.kind, recorded.unit) == ("3", "meals", "meals")
    assert (recorded.quantity, recorded.delivered_on) == (Decimal(14), date(2021, 3, 13))
    assert recorded.actor["role"] == "city_coordinator"


def test_each_kind_is_counted_in_its_own_unit() -> None:
    units = {kind: record(kind=kind, quantity=Decimal(1)).unit.value for kind in DeliveryKind}
    assert units == {
        DeliveryKind.MEALS: "meals", DeliveryKind.CLOTHING: "items",
        DeliveryKind.TRANSPORT_TICKETS: "tickets", DeliveryKind.LEGAL_CONSULTATION: "hours",
        DeliveryKind.HEALTH_ACCOMPANIMENT: "hours", DeliveryKind.LANGUAGE_COURSE: "hours",
        DeliveryKind.CASH_SUPPORT: "eur",
    }


def test_cash_support_is_accepted_at_its_limit_in_euros_and_cents() -> None:
    delivery = record(kind=DeliveryKind.CASH_SUPPORT, quantity=Decimal("1000.00"))
    assert MAX_CASH_SUPPORT == Decimal("1000.00")
    assert delivery.quantity == Decimal("1000.00")
    assert str(delivery.quantity) == "1000.00"


@pytest.mark.parametrize("amount", ["1000.01", "0", "-5.00", "12.345", "NaN", "Infinity"])
def test_cash_support_past_its_limit_or_not_positive_or_in_fractions_of_cents_is_refused(
    amount: str,
) -> None:
    error = refused(InvalidQuantity, kind=DeliveryKind.CASH_SUPPORT, quantity=Decimal(amount))
    assert error.params["field"] == "quantity"


def test_cash_support_of_one_cent_is_written_with_two_decimals() -> None:
    assert str(record(kind=DeliveryKind.CASH_SUPPORT, quantity=Decimal("0.5")).quantity) == "0.50"


def test_meals_are_whole_and_at_most_ninety_at_a_time() -> None:
    assert record(quantity=Decimal(90)).quantity == 90
    refused(InvalidQuantity, quantity=Decimal(91))
    refused(InvalidQuantity, quantity=Decimal("1.5"))


def test_hours_take_two_decimals_and_at_most_twelve_a_day() -> None:
    assert record(kind=DeliveryKind.LANGUAGE_COURSE, quantity=Decimal("12.00")).quantity == 12
    assert record(kind=DeliveryKind.LEGAL_CONSULTATION, quantity=Decimal("1.25")).quantity == (
        Decimal("1.25"))
    refused(InvalidQuantity, kind=DeliveryKind.LANGUAGE_COURSE, quantity=Decimal("12.01"))


def test_a_delivery_is_not_recorded_before_it_is_made() -> None:
    today = date(2021, 4, 9)
    assert record(delivered_on=today).delivered_on == today
    error = refused(InvalidDeliveryDate, delivered_on=today + timedelta(days=1))
    assert error.params["field"] == "delivered_on"


def test_a_delivery_before_the_intake_is_refused() -> None:
    refused(InvalidDeliveryDate, delivered_on=INTAKE_DATE - timedelta(days=1))


def test_a_delivery_after_the_programme_period_is_refused() -> None:
    # The card's period ends on 2021-12-31 (the expenditure-eligibility window).
    late = NOW.replace(year=2022, month=2)
    refused(OutsideProgrammePeriod, now=late, delivered_on=date(2022, 1, 1))
    assert record(now=late, delivered_on=date(2021, 12, 31)).delivered_on == date(2021, 12, 31)


@pytest.mark.parametrize("sub_action", [SubAction.COORDINATION,
                                        SubAction.ADMINISTRATION_EMPOWERMENT,
                                        SubAction.COMMUNICATION])
def test_sub_actions_that_serve_no_final_recipient_deliver_nothing_to_a_person(
    sub_action: SubAction,
) -> None:
    refused(NoDeliveryInSubAction, sub_action=sub_action)


def test_sub_action_2_delivers_only_to_asylum_seekers() -> None:
    """Art. 8 law 46/2017 (amending d.lgs. 142/2015): civic engagement is for applicants for
    international protection only."""
    error = refused(NotEligibleForSubAction, sub_action=SubAction.CIVIC_ENGAGEMENT,
                    kind=DeliveryKind.LANGUAGE_COURSE, quantity=Decimal(2))
    assert error.params["sub_action"] == "2"
    applicant = a_case(protection_status=ProtectionStatus.ASYLUM_SEEKER)
    assert record(applicant, sub_action=SubAction.CIVIC_ENGAGEMENT).sub_action is (
        SubAction.CIVIC_ENGAGEMENT)


def test_a_person_still_in_reception_gets_nothing_under_sub_action_3_or_4() -> None:
    """The card serves people who left reception or are leaving it (Sub-Actions 3 and 4)."""
    hosted = a_case(protection_status=ProtectionStatus.ASYLUM_SEEKER, reception=ReceptionHistory(
        ReceptionSituation.IN_RECEPTION, centre_kind=ReceptionCentreKind.CAS))
    refused(NotEligibleForSubAction, hosted, sub_action=SubAction.EMERGENCY_TAKE_IN)
    refused(NotEligibleForSubAction, hosted, sub_action=SubAction.FAST_TRACK_HOUSING)


def test_eligibility_is_judged_on_the_delivery_day_from_the_status_held_then() -> None:
    case = a_case(protection_status=ProtectionStatus.ASYLUM_SEEKER)
    case.change_status(date(2021, 3, 20), ProtectionStatus.REFUGEE, None, a_coordinator(), LATER)
    assert record(case, sub_action=SubAction.CIVIC_ENGAGEMENT,
                  delivered_on=date(2021, 3, 19)).delivered_on == date(2021, 3, 19)
    refused(NotEligibleForSubAction, case, sub_action=SubAction.CIVIC_ENGAGEMENT,
            delivered_on=date(2021, 3, 20))


def test_nothing_is_delivered_on_a_closed_case() -> None:
    case = a_case()
    case.close(CaseOutcome.AUTONOMY, date(2021, 3, 30), a_reason(),
               a_coordinator(), LATER)
    with pytest.raises(CaseClosed):
        record(case)


def test_a_voided_delivery_records_its_reason_code_and_cannot_be_voided_twice() -> None:
    delivery = record()
    delivery.collect_events()
    delivery.void(VoidReason.DUPLICATE, a_coordinator(), LATER)
    (voided,) = delivery.collect_events()
    assert isinstance(voided, Delivery.Voided)
    assert (voided.reason, voided.case_code, voided.city) == ("duplicate", "FI-2021-00001",
                                                              "firenze")
    with pytest.raises(DeliveryAlreadyVoided):
        delivery.void(VoidReason.DUPLICATE, a_coordinator(), LATER)
    assert delivery.collect_events() == []

