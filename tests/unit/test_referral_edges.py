"""Referrals at their edges (issue 20): what each answer records, field by field; the key that
tells two destinations apart; the note at its limit and one past it."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.programme import City
from domain.referrals.model import (
    CaseReferrals,
    DuplicateReferral,
    InvalidReferralText,
    Referral,
    ReferralFinished,
    TransferFinal,
    checked_text,
)
from domain.referrals.rules import MAX_NOTE, CityService, DeclineReason, Destination
from tests.builders import NOW, a_coordinator, recorded
from tests.unit.test_referral_rules import (
    CARITAS,
    EMERGENCY,
    KEPT,
    a_case,
    a_referral,
    consenting_to,
    to,
)

MILAN = a_coordinator(City.MILANO)
FLORENCE = a_coordinator(City.FIRENZE)
LATER = NOW + timedelta(hours=3)
HEALTH_SERVICE = Destination.city_service(CityService.HEALTH)


def a_collected_referral(destination: Destination) -> Referral:
    referral = a_referral(destination=destination)
    referral.collect_events()
    return referral


def test_an_accepted_transfer_names_the_city_it_goes_to() -> None:
    referral = a_collected_referral(Destination.transfer(City.FIRENZE))
    referral.accept(FLORENCE, LATER)
    assert recorded(referral) == [("Accepted", {
        "timestamp": LATER, "case_id": referral.case_id, "case_code": "MI-2021-00001",
        "city": "milano", "to_city": "firenze", "actor": FLORENCE.as_record(),
    })]


def test_a_declined_transfer_names_the_city_and_the_reason() -> None:
    referral = a_collected_referral(Destination.transfer(City.FIRENZE))
    referral.decline(DeclineReason.OTHER, KEPT, FLORENCE, LATER)
    assert recorded(referral) == [("Declined", {
        "timestamp": LATER, "case_id": referral.case_id, "case_code": "MI-2021-00001",
        "city": "milano", "to_city": "firenze", "reason": "other", "note_id": KEPT.text_id,
        "note_digest": KEPT.digest, "actor": FLORENCE.as_record(), "legacy_texts": None,
    })]
    assert referral.texts == {"decline_note": KEPT}
    assert referral.decline_reason is DeclineReason.OTHER


def test_an_answer_to_a_city_service_names_no_city() -> None:
    accepted = a_collected_referral(Destination.city_service(CityService.HEALTH))
    accepted.accept(MILAN, LATER)
    ((_, fields),) = recorded(accepted)
    assert fields["to_city"] is None
    declined = a_collected_referral(Destination.city_service(CityService.HEALTH))
    declined.decline(DeclineReason.NO_CAPACITY, None, MILAN, LATER)
    ((_, fields),) = recorded(declined)
    assert (fields["to_city"], fields["reason"], fields["note_id"], fields["note_digest"]) == (
        None, "no_capacity", None, None)


def test_a_withdrawal_records_its_reason_by_reference() -> None:
    referral = a_collected_referral(Destination.city_service(CityService.HEALTH))
    referral.withdraw(KEPT, MILAN, LATER)
    assert recorded(referral) == [("Withdrawn", {
        "timestamp": LATER, "case_id": referral.case_id, "case_code": "MI-2021-00001",
        "city": "milano", "reason_id": KEPT.text_id, "reason_digest": KEPT.digest,
        "actor": MILAN.as_record(), "legacy_texts": None,
    })]
    assert referral.finished_at == LATER


def test_two_legacy_partners_are_two_destinations_however_they_were_typed() -> None:
    caritas = Destination.legacy_partner("Caritas")
    assert Destination.legacy_partner("  caritas ").key == caritas.key == "partner:caritas"
    assert Destination.legacy_partner("Emergency").key != caritas.key
    assert Destination.transfer(City.FIRENZE).key == "transfer:firenze"
    assert Destination.city_service(CityService.HEALTH).key == "service:health"


def test_two_registered_partners_each_have_a_referral_awaiting_an_answer() -> None:
    case = consenting_to(CARITAS, EMERGENCY)
    index = CaseReferrals.open(case.id, NOW)
    index.collect_events()
    first = to(CARITAS, case)
    index.add(first, NOW)
    index.add(to(EMERGENCY, case), NOW)
    assert len(index.pending) == 2
    with pytest.raises(DuplicateReferral) as refused:
        index.add(to(EMERGENCY, case), NOW)
    assert refused.value.code == "duplicate_referral"
    assert refused.value.params["field"] == "destination_kind"
    assert recorded(index)[0] == ("Waiting", {
        "timestamp": NOW, "referral_id": first.id,
        "destination": f"organisation:{CARITAS.id}"})


def test_a_note_may_have_500_characters_and_not_501() -> None:
    assert MAX_NOTE == 500
    assert checked_text("n" * 500, "note") == "n" * 500
    with pytest.raises(InvalidReferralText) as refused:
        checked_text("n" * 501, "note")
    assert refused.value.params == {"field": "note", "max_length": 500}
    assert refused.value.code == "invalid_referral_text"
    assert checked_text(None, "note") is None


def test_a_referral_is_requested_with_every_field_it_publishes() -> None:
    case = a_case()
    referral = Referral.request(uuid4(), case, Destination.transfer(City.FIRENZE), None, KEPT,
                                MILAN, NOW)
    ((name, fields),) = recorded(referral)
    assert name == "Requested"
    assert {key: fields[key] for key in (
        "case_id", "case_code", "city", "destination_kind", "service", "partner_name",
        "organisation_id", "to_city", "urgency", "note_id", "note_digest", "legal_basis",
        "actor", "legacy_texts")} == {
        "case_id": case.id, "case_code": "MI-2021-00001", "city": "milano",
        "destination_kind": "transfer", "service": None, "partner_name": None,
        "organisation_id": None, "to_city": "firenze", "urgency": "ordinary",
        "note_id": KEPT.text_id, "note_digest": KEPT.digest,
        "legal_basis": "public_task", "actor": MILAN.as_record(),
        "legacy_texts": None}
    assert fields["due_at"] == NOW + timedelta(days=15)  # ordinary: 15 days


def test_a_finished_referral_or_an_accepted_transfer_is_refused_with_code_and_field() -> None:
    transfer = a_collected_referral(Destination.transfer(City.FIRENZE))
    with pytest.raises(TransferFinal) as not_completed:
        transfer.complete(None, MILAN, LATER)
    transfer.accept(FLORENCE, LATER)
    with pytest.raises(TransferFinal) as not_withdrawn:
        transfer.withdraw(KEPT, MILAN, LATER)
    declined = a_collected_referral(Destination.city_service(CityService.HEALTH))
    declined.decline(DeclineReason.NO_CAPACITY, None, MILAN, LATER)
    with pytest.raises(ReferralFinished) as closed:
        declined.complete(None, MILAN, LATER)
    with pytest.raises(ReferralFinished) as closed_too:
        declined.withdraw(KEPT, MILAN, LATER)
    for refused in (not_completed, not_withdrawn, closed, closed_too):
        assert refused.value.params == {"field": "status"}
    assert {not_completed.value.code, closed.value.code} == {"transfer_final", "referral_finished"}
    with pytest.raises(InvalidReferralText) as no_note:
        a_collected_referral(HEALTH_SERVICE).decline(DeclineReason.OTHER, None, MILAN, LATER)
    assert no_note.value.params == {"field": "note", "max_length": 500}


def test_completing_an_accepted_referral_records_the_outcome_by_reference() -> None:
    referral = a_collected_referral(HEALTH_SERVICE)
    referral.accept(MILAN, NOW)
    referral.collect_events()
    referral.complete(KEPT, MILAN, LATER)
    assert recorded(referral) == [("Completed", {
        "timestamp": LATER, "case_id": referral.case_id, "case_code": "MI-2021-00001",
        "city": "milano", "outcome_note_id": KEPT.text_id, "outcome_note_digest": KEPT.digest,
        "actor": MILAN.as_record(), "legacy_texts": None,
    })]
    assert referral.finished_at == LATER
