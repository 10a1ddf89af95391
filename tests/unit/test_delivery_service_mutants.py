"""The deliveries service's own answers (issue 20): the position each command returns, the
delivery it reads back, its refusals with their codes, messages and fields, the terms it passes
on to the rule, and a void decided again after a rival saved first. Over the real in-memory
record and the cases context's service.

DOMAIN.md, "Sub-Actions": services are delivered under Sub-Actions 2–4 to a case of a partner
city, within the programme's period."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from domain.cases.service import CaseService
from domain.deliveries.model import Delivery, DeliveryKind, DeliveryOrder, VoidReason
from domain.deliveries.service import DeliveryNotFound, DeliveryService
from domain.programme import City, DomainError, SubAction
from tests.builders import INTAKE_DATE, NOW, a_coordinator, field_refusal, last_position
from tests.unit.test_plan_rules import a_case, cases, vault
from tests.unit.test_programme_terms import withdrawn

__all__ = ["cases", "vault"]  # the fixtures, as fixtures of this module too
ACTOR = a_coordinator()
LATER = NOW + timedelta(days=30)
DELIVERED_ON = INTAKE_DATE + timedelta(days=3)


def an_order(**overrides: object) -> DeliveryOrder:
    values: dict[str, object] = {
        "sub_action": SubAction.EMERGENCY_TAKE_IN, "kind": DeliveryKind.MEALS,
        "quantity": Decimal(14), "delivered_on": DELIVERED_ON, **overrides}
    return DeliveryOrder(**values)  # type: ignore[arg-type]


@pytest.fixture
def deliveries(cases: CaseService) -> DeliveryService:
    return DeliveryService(cases.record, cases)


def test_each_command_returns_the_position_of_its_event_and_the_delivery_reads_back(
    cases: CaseService,
    deliveries: DeliveryService,
) -> None:
    case_id = a_case(cases)
    delivery_id = uuid4()
    recorded_at = deliveries.record_delivery(delivery_id, case_id, an_order(), ACTOR, LATER)
    assert recorded_at == last_position(deliveries.record)
    delivery = deliveries.get(delivery_id)
    assert (delivery.id, delivery.case_id, delivery.voided) == (delivery_id, case_id, False)
    voided_at = deliveries.void(delivery_id, VoidReason.DUPLICATE, ACTOR, LATER)
    assert voided_at == recorded_at + 1 == last_position(deliveries.record)
    (voided,) = deliveries.record.notification_log.select(voided_at, 1)
    assert (voided.originator_id, voided.originator_version) == (delivery_id, 2)
    assert deliveries.get(delivery_id).voided is True


def test_the_void_records_its_reason_actor_and_moment(
    cases: CaseService,
    deliveries: DeliveryService,
) -> None:
    case_id = a_case(cases)
    delivery_id = uuid4()
    deliveries.record_delivery(delivery_id, case_id, an_order(), ACTOR, LATER)
    deliveries.void(delivery_id, VoidReason.NOT_PROVIDED, ACTOR, LATER + timedelta(hours=1))
    events = deliveries.record.events.get(delivery_id)
    voided = list(events)[-1]
    assert isinstance(voided, Delivery.Voided)
    assert (voided.reason, voided.actor, voided.timestamp, voided.case_id) == (
        "not_provided", ACTOR.as_record(), LATER + timedelta(hours=1), case_id)


def test_a_delivery_to_an_unknown_case_is_refused_without_saying_which_ids_exist(
    deliveries: DeliveryService,
) -> None:
    written = last_position(deliveries.record)
    with pytest.raises(DomainError) as refused:
        deliveries.record_delivery(uuid4(), uuid4(), an_order(), ACTOR, LATER)
    assert field_refusal(refused) == (
        "delivery_case_unknown", "No case of the city has this id.", "case")
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    assert last_position(deliveries.record) == written


def test_a_voided_delivery_is_not_voided_again(
    cases: CaseService,
    deliveries: DeliveryService,
) -> None:
    delivery_id = uuid4()
    deliveries.record_delivery(delivery_id, a_case(cases), an_order(), ACTOR, LATER)
    deliveries.void(delivery_id, VoidReason.ENTERED_IN_ERROR, ACTOR, LATER)
    written = last_position(deliveries.record)
    with pytest.raises(DomainError) as again:
        deliveries.void(delivery_id, VoidReason.DUPLICATE, ACTOR, LATER)
    assert field_refusal(again) == (
        "delivery_already_voided", "The delivery is already voided.", "delivery")
    assert last_position(deliveries.record) == written


def test_an_unknown_id_or_another_aggregate_s_is_no_delivery(
    cases: CaseService,
    deliveries: DeliveryService,
) -> None:
    unknown = uuid4()
    with pytest.raises(DeliveryNotFound) as not_found:
        deliveries.get(unknown)
    assert not_found.value.args == (unknown,)
    assert not_found.value.__suppress_context__
    case_id = a_case(cases)  # an aggregate of the record, but a case
    with pytest.raises(DeliveryNotFound) as not_a_delivery:
        deliveries.get(case_id)
    assert not_a_delivery.value.args == (case_id,)
    with pytest.raises(DeliveryNotFound):
        deliveries.void(unknown, VoidReason.DUPLICATE, ACTOR, LATER)


class Withdrawn:
    """The terms in force after the ministry's amendment withdrew Florence the day after the
    intake."""

    def terms_in_force(self) -> object:
        return withdrawn(City.FIRENZE, INTAKE_DATE + timedelta(days=1))


def test_the_service_decides_under_the_terms_it_is_given(cases: CaseService) -> None:
    """DOMAIN.md, "Partner cities": no new work for a city on a day it is not a partner; the
    service passes the amendments' terms on, not the card's."""
    deliveries = DeliveryService(cases.record, cases, Withdrawn())  # type: ignore[arg-type]
    case_id = a_case(cases)
    with pytest.raises(DomainError) as refused:
        deliveries.record_delivery(uuid4(), case_id, an_order(), ACTOR, LATER)
    assert (refused.value.code, refused.value.params.get("field"),
            refused.value.params.get("on")) == (
        "not_a_partner_city", "delivered_on", DELIVERED_ON)
    on_the_last_day = an_order(delivered_on=INTAKE_DATE)
    delivery_id = uuid4()
    deliveries.record_delivery(delivery_id, case_id, on_the_last_day, ACTOR, LATER)
    assert deliveries.get(delivery_id).id == delivery_id


def test_without_terms_the_service_reads_the_card_s(
    cases: CaseService,
    deliveries: DeliveryService,
) -> None:
    delivery_id = uuid4()
    deliveries.record_delivery(
        delivery_id, a_case(cases), an_order(delivered_on=date(2021, 3, 31)), ACTOR, LATER)
    assert deliveries.get(delivery_id).id == delivery_id


class RivalVoids(DeliveryService):
    """The service, while a rival operator voids the same delivery just after the service first
    read it: the service's save loses, and it decides again on what it then finds."""

    raced = False

    def get(self, delivery_id: UUID) -> Delivery:
        delivery = super().get(delivery_id)
        if not self.raced:
            self.raced = True
            DeliveryService(self.record, self.cases).void(
                delivery_id, VoidReason.DUPLICATE, ACTOR, LATER)
        return delivery


def test_a_void_lost_to_a_rival_is_decided_again_and_refused(
    cases: CaseService,
    deliveries: DeliveryService,
) -> None:
    delivery_id = uuid4()
    deliveries.record_delivery(delivery_id, a_case(cases), an_order(), ACTOR, LATER)
    racing = RivalVoids(deliveries.record, cases)
    with pytest.raises(DomainError) as refused:
        racing.void(delivery_id, VoidReason.NOT_PROVIDED, ACTOR, LATER)
    assert field_refusal(refused)[0] == "delivery_already_voided"
    voided = list(deliveries.record.events.get(delivery_id))[-1]
    assert isinstance(voided, Delivery.Voided) and voided.reason == "duplicate"
