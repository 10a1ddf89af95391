"""Every refusal of a referral as a person or a client sees it (issue 20): the error's `code`,
message and parameters where the rule is broken; the old event versions read by the upcasters;
what each request records, field by field, for each kind of destination. A mutation run
(docs/testing.md) showed the messages, the upcasters and these fields were never checked."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.privacy import LEGAL_BASES, LegalBasis, ProcessingPurpose
from domain.programme import CARD_TERMS, PROGRAMME_END, City, Membership
from domain.referrals.model import (
    CaseReferrals,
    Referral,
    _legal_basis,
    _to_legacy,
    checked_destination,
    checked_text,
)
from domain.referrals.rules import (
    NOT_RECORDED,
    CityService,
    DeclineReason,
    Destination,
    DestinationKind,
    ReferralStatus,
    Urgency,
)
from domain.vault import TextReference
from tests.builders import NOW, a_coordinator, recorded, refusal
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
LATER = NOW + timedelta(hours=5)
HEALTH = Destination.city_service(CityService.HEALTH)


def collected(referral: Referral) -> Referral:
    referral.collect_events()
    return referral


def test_a_text_is_refused_when_missing_or_too_long_with_its_message() -> None:
    assert refusal(lambda: checked_text(" ", "reason", 500, required=True)) == (
        "invalid_referral_text", "Give the reason.", {"field": "reason", "max_length": 500})
    assert refusal(lambda: checked_text(None, "outcome", 40, required=True)) == (
        "invalid_referral_text", "Give the outcome.", {"field": "outcome", "max_length": 40})
    assert refusal(lambda: checked_text("x" * 41, "outcome", 40)) == (
        "invalid_referral_text", "The outcome is too long: at most 40 characters.",
        {"field": "outcome", "max_length": 40})
    assert checked_text(" " + "x" * 40 + " ", "outcome", 40, required=True) == "x" * 40
    assert checked_text("  ", "outcome", 40) is None
    assert refusal(lambda: checked_text("x" * 501, "note")) == (
        "invalid_referral_text", "The note is too long: at most 500 characters.",
        {"field": "note", "max_length": 500})


def test_a_decline_note_is_needed_for_other_only() -> None:
    assert refusal(lambda: Referral.checked_decline_note(DeclineReason.OTHER, None)) == (
        "invalid_referral_text", "Give the note.", {"field": "note", "max_length": 500})
    assert Referral.checked_decline_note(DeclineReason.OTHER, "n" * 500) == "n" * 500
    assert refusal(lambda: Referral.checked_decline_note(
        DeclineReason.NO_CAPACITY, "n" * 501))[2] == {"field": "note", "max_length": 500}
    assert refusal(lambda: collected(a_referral()).decline(
        DeclineReason.OTHER, None, MILAN, LATER)) == (
        "invalid_referral_text", "Give the note.", {"field": "note", "max_length": 500})


def test_an_incomplete_destination_is_refused_with_its_field_and_message() -> None:
    assert refusal(lambda: checked_destination(
        Destination(DestinationKind.CITY_SERVICE), City.MILANO)) == (
        "invalid_destination", "Choose the service.", {"field": "service"})
    assert refusal(lambda: checked_destination(
        Destination(DestinationKind.PARTNER, partner_name="Caritas"), City.MILANO)) == (
        "invalid_destination",
        "Choose the partner organisation among those the city registered.",
        {"field": "organisation_id"})
    assert refusal(lambda: checked_destination(
        Destination(DestinationKind.TRANSFER), City.MILANO)) == (
        "invalid_destination", "Choose the city.", {"field": "to_city"})
    assert refusal(lambda: checked_destination(
        Destination.transfer(City.MILANO), City.MILANO)) == (
        "invalid_destination", "A case cannot be transferred to the city it belongs to.",
        {"field": "to_city"})


def test_a_destination_is_kept_with_only_what_its_kind_needs() -> None:
    organisation_id = uuid4()
    assert checked_destination(Destination(
        DestinationKind.PARTNER, partner_name="Caritas", organisation_id=organisation_id,
        to_city=City.ROMA), City.MILANO) == Destination.partner(organisation_id)
    assert checked_destination(Destination(
        DestinationKind.CITY_SERVICE, service=CityService.LEGAL_AID, to_city=City.ROMA),
        City.MILANO) == Destination.city_service(CityService.LEGAL_AID)
    assert checked_destination(Destination(
        DestinationKind.TRANSFER, service=CityService.LEGAL_AID, to_city=City.ROMA),
        City.MILANO) == Destination.transfer(City.ROMA)


def test_a_city_service_referral_records_every_field() -> None:
    case = a_case()
    referral_id = uuid4()
    referral = Referral.request(referral_id, case, HEALTH, Urgency.IMMEDIATE, None, MILAN, NOW)
    assert referral.id == referral_id
    assert recorded(referral) == [("Requested", {
        "timestamp": NOW, "case_id": case.id, "case_code": "MI-2021-00001", "city": "milano",
        "destination_kind": "city_service", "service": "health", "partner_name": None,
        "organisation_id": None, "to_city": None, "urgency": "immediate",
        "due_at": NOW + timedelta(hours=24), "note_id": None, "note_digest": None,
        "legal_basis": "public_task", "actor": MILAN.as_record(), "legacy_texts": None})]
    assert (referral.case_id, referral.case_code, referral.city) == (
        case.id, "MI-2021-00001", City.MILANO)
    assert referral.destination == HEALTH
    assert (referral.status, referral.answered_at, referral.decline_reason,
            referral.finished_at, referral.texts, referral.legacy_texts) == (
        ReferralStatus.REQUESTED, None, None, None, {}, {})
    assert (referral.requested_at, referral.requested_by) == (NOW, MILAN.as_record())
    assert not referral.is_transfer


def test_a_partner_referral_records_the_organisation_and_the_note() -> None:
    case = consenting_to(CARITAS)
    referral = Referral.request(uuid4(), case, Destination.partner(CARITAS.id), None, KEPT,
                                MILAN, NOW, organisation=CARITAS)
    ((_, fields),) = recorded(referral)
    assert {key: fields[key] for key in (
        "destination_kind", "service", "partner_name", "organisation_id", "to_city",
        "note_id", "note_digest", "legal_basis", "urgency")} == {
        "destination_kind": "partner", "service": None, "partner_name": None,
        "organisation_id": CARITAS.id, "to_city": None, "note_id": KEPT.text_id,
        "note_digest": KEPT.digest, "legal_basis": "consent", "urgency": "ordinary"}
    assert referral.texts == {"note": KEPT}
    assert referral.destination.key == f"organisation:{CARITAS.id}"


def test_naming_an_organisation_other_than_the_one_found_is_refused_with_its_id() -> None:
    case = consenting_to(CARITAS)
    unknown = uuid4()
    assert refusal(lambda: Referral.request(
        uuid4(), case, Destination.partner(unknown), None, None, MILAN, NOW,
        organisation=CARITAS)) == (
        "unknown_organisation", f"No partner organisation is registered with the id {unknown}.",
        {"field": "organisation_id", "organisation_id": str(unknown)})
    assert refusal(lambda: Referral.request(
        uuid4(), case, Destination.partner(CARITAS.id), None, None, MILAN, NOW))[0] == (
        "unknown_organisation")


def test_each_legal_basis_refusal_has_its_code_field_and_message() -> None:
    assert refusal(lambda: a_referral(a_case(), HEALTH,
                                      other_legal_basis=LegalBasis.VITAL_INTERESTS,
                                      may_share_on_other_basis=True)) == (
        "other_legal_basis_refused",
        "This referral rests on the city's public task: no other legal basis is named.",
        {"field": "legal_basis"})
    assert a_referral(a_case(), HEALTH, other_legal_basis=LegalBasis.PUBLIC_TASK).legal_basis \
        is LegalBasis.PUBLIC_TASK
    assert refusal(lambda: to(CARITAS, a_case(), other_legal_basis=LegalBasis.VITAL_INTERESTS)
                   ) == (
        "other_legal_basis_refused",
        "Only the city's coordinators may share a case with a partner on another legal "
        "basis than the person's consent.", {"field": "legal_basis"})
    assert refusal(lambda: to(EMERGENCY, consenting_to(CARITAS))) == (
        "consent_to_organisation_required",
        "The person has not consented to their case being shared with Emergency: name "
        "another legal basis, or ask for their consent to this organisation first.",
        {"field": "legal_basis", "organisation_name": "Emergency"})


def test_without_an_organisation_the_gate_asks_for_consent_to_the_purpose() -> None:
    """`_legal_basis` without an organisation (a legacy partner, named by its name): the
    person's consent to the purpose decides."""
    legacy = Destination.legacy_partner("Caritas")
    without = a_case()
    assert refusal(lambda: _legal_basis(without, legacy, None, False,
                                        LEGAL_BASES)) == (
        "consent_required",
        "The person has not consented to their case being shared with a partner "
        "organisation: name another legal basis, or ask for their consent first.",
        {"field": "legal_basis"})
    consenting = a_case(consents=frozenset({ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER}))
    assert _legal_basis(consenting, legacy, None, False, LEGAL_BASES) is LegalBasis.CONSENT
    assert _legal_basis(consenting, legacy, LegalBasis.CONSENT, False,
                        LEGAL_BASES) is LegalBasis.CONSENT
    assert _legal_basis(without, legacy, LegalBasis.LEGAL_OBLIGATION, True,
                        LEGAL_BASES) is LegalBasis.LEGAL_OBLIGATION


def test_answers_once_given_are_refused_with_the_status_in_the_message() -> None:
    referral = collected(a_referral())
    referral.decline(DeclineReason.NO_CAPACITY, None, MILAN, LATER)
    for command in (lambda: referral.accept(MILAN, LATER),
                    lambda: referral.decline(DeclineReason.NO_CAPACITY, None, MILAN, LATER)):
        assert refusal(command) == (
            "referral_not_pending", "The referral has already been answered (declined).",
            {"field": "status"})
    for command in (lambda: referral.complete(None, MILAN, LATER),
                    lambda: referral.withdraw(KEPT, MILAN, LATER)):
        assert refusal(command) == (
            "referral_finished", "The referral is already closed (declined).",
            {"field": "status"})
    withdrawn = collected(a_referral())
    withdrawn.withdraw(KEPT, MILAN, LATER)
    assert refusal(lambda: withdrawn.complete(None, MILAN, LATER))[1] == (
        "The referral is already closed (withdrawn).")
    assert refusal(lambda: withdrawn.accept(MILAN, LATER))[1] == (
        "The referral has already been answered (withdrawn).")


def test_a_transfer_s_finality_is_explained() -> None:
    transfer = collected(a_referral(destination=Destination.transfer(City.FIRENZE)))
    assert refusal(lambda: transfer.complete(None, MILAN, LATER)) == (
        "transfer_final",
        "A transfer is not completed: once accepted, the case belongs to the other city.",
        {"field": "status"})
    transfer.accept(FLORENCE, LATER)
    assert refusal(lambda: transfer.withdraw(KEPT, MILAN, LATER)) == (
        "transfer_final",
        "An accepted transfer cannot be withdrawn: the case belongs to the other city.",
        {"field": "status"})
    assert transfer.status is ReferralStatus.ACCEPTED
    assert transfer.answered_at == LATER


def test_an_accepted_service_referral_may_still_be_withdrawn() -> None:
    referral = collected(a_referral())
    referral.accept(MILAN, NOW)
    referral.withdraw(KEPT, MILAN, LATER)
    assert (referral.status, referral.finished_at, referral.texts) == (
        ReferralStatus.WITHDRAWN, LATER, {"withdrawal_reason": KEPT})


def test_completing_an_unanswered_referral_records_both_answers_at_the_same_time() -> None:
    referral = collected(a_referral())
    referral.complete(None, MILAN, LATER)
    case_fields = {"case_id": referral.case_id, "case_code": "MI-2021-00001", "city": "milano"}
    assert recorded(referral) == [
        ("Accepted", {"timestamp": LATER, **case_fields, "to_city": None,
                      "actor": MILAN.as_record()}),
        ("Completed", {"timestamp": LATER, **case_fields, "outcome_note_id": None,
                       "outcome_note_digest": None, "actor": MILAN.as_record(),
                       "legacy_texts": None}),
    ]
    assert (referral.status, referral.answered_at, referral.finished_at, referral.texts) == (
        ReferralStatus.COMPLETED, LATER, LATER, {})


WITHOUT_FIRENZE = replace(CARD_TERMS, memberships={
    **CARD_TERMS.memberships, City.FIRENZE: (Membership(date(2019, 7, 1), date(2021, 3, 1)),)})
AFTER_THE_END = datetime(2022, 1, 3, 9, 0, tzinfo=NOW.tzinfo)


def test_a_transfer_goes_to_a_partner_city_and_is_accepted_only_by_one() -> None:
    code, _, params = refusal(lambda: a_referral(
        destination=Destination.transfer(City.FIRENZE), terms=WITHOUT_FIRENZE))
    assert (code, params["field"], params["city"]) == (
        "not_a_partner_city", "to_city", "firenze")
    transfer = collected(a_referral(destination=Destination.transfer(City.FIRENZE)))
    code, _, params = refusal(lambda: transfer.accept(FLORENCE, LATER, WITHOUT_FIRENZE))
    assert (code, params["field"]) == ("not_a_partner_city", "to_city")
    assert transfer.status is ReferralStatus.REQUESTED
    service = collected(a_referral())
    service.accept(MILAN, LATER, WITHOUT_FIRENZE)  # no city to check
    assert service.status is ReferralStatus.ACCEPTED


def test_a_referral_is_requested_within_the_programme_s_period() -> None:
    code, _, params = refusal(lambda: Referral.request(
        uuid4(), a_case(), HEALTH, None, None, MILAN, AFTER_THE_END))
    assert (code, params["field"]) == ("outside_programme_period", None)
    last_day = datetime.combine(PROGRAMME_END, NOW.timetz())
    assert Referral.request(uuid4(), a_case(), HEALTH, None, None, MILAN,
                            last_day).requested_at == last_day


def test_the_index_opens_per_case_and_settles_only_what_it_holds() -> None:
    case_id = uuid4()
    index = CaseReferrals.open(case_id, NOW)
    assert index.id == CaseReferrals.id_for(case_id) != CaseReferrals.id_for(uuid4())
    assert recorded(index) == [("Opened", {"timestamp": NOW, "case_id": case_id})]
    assert (index.case_id, index.pending) == (case_id, {})
    first, second = a_referral(), a_referral(destination=Destination.transfer(City.ROMA))
    index.add(first, NOW)
    index.add(second, LATER)
    assert index.pending == {"service:health": first.id, "transfer:roma": second.id}
    code, message, params = refusal(lambda: index.add(a_referral(), LATER))
    assert (code, message, params) == (
        "duplicate_referral",
        "The case already has a referral to this destination awaiting an answer.",
        {"field": "destination_kind", "referral_id": str(first.id)})
    index.collect_events()
    index.settle(a_referral(), LATER)  # not waiting here: nothing recorded
    assert recorded(index) == []
    index.settle(first, LATER)
    assert recorded(index) == [("Settled", {"timestamp": LATER, "referral_id": first.id})]
    assert index.pending == {"transfer:roma": second.id}


def test_the_index_id_is_derived_from_the_case() -> None:
    case_id = UUID("00000000-0000-0000-0000-000000000001")
    assert CaseReferrals.id_for(case_id) == UUID("fe8de7b8-de78-5382-933c-47a47f772c42")


def test_a_version_1_request_reads_its_basis_and_its_texts_as_legacy() -> None:
    consent: dict[str, Any] = {"consent_basis": "consent"}
    Referral.Requested.upcast_v1_v2(consent)
    assert consent == {"legal_basis": "consent"}
    override: dict[str, Any] = {"consent_basis": "override"}
    Referral.Requested.upcast_v1_v2(override)
    assert override == {"legal_basis": NOT_RECORDED} == {"legal_basis": "not_recorded"}
    texts: dict[str, Any] = {"note": "Urgente", "consent_override_reason": "", "x": 1}
    Referral.Requested.upcast_v2_v3(texts)
    assert texts == {"x": 1, "legacy_texts": {"note": "Urgente"}, "note_id": None,
                     "note_digest": None}
    none: dict[str, Any] = {"note": None}
    Referral.Requested.upcast_v2_v3(none)
    assert none == {"legacy_texts": None, "note_id": None, "note_digest": None}
    v3: dict[str, Any] = {"x": 1}
    Referral.Requested.upcast_v3_v4(v3)
    assert v3 == {"x": 1, "organisation_id": None}


@pytest.mark.parametrize(("event", "stored", "name", "reference"), [
    (Referral.Declined, "note", "decline_note", ("note_id", "note_digest")),
    (Referral.Completed, "outcome_note", "outcome_note",
     ("outcome_note_id", "outcome_note_digest")),
    (Referral.Withdrawn, "reason", "withdrawal_reason", ("reason_id", "reason_digest")),
])
def test_a_version_1_answer_reads_its_text_as_legacy(
    event: Any, stored: str, name: str, reference: tuple[str, str]
) -> None:
    state: dict[str, Any] = {stored: "Nessun posto", "actor": {}}
    event.upcast_v1_v2(state)
    assert state == {"actor": {}, "legacy_texts": {name: "Nessun posto"}, reference[0]: None,
                     reference[1]: None}
    empty: dict[str, Any] = {stored: ""}
    event.upcast_v1_v2(empty)
    assert empty == {"legacy_texts": None, reference[0]: None, reference[1]: None}


def test_legacy_texts_keep_what_was_written_and_drop_what_was_blank() -> None:
    state: dict[str, Any] = {"a": "one", "b": "", "c": None}
    _to_legacy(state, a="first", b="second", c="third", d="fourth")
    assert state == {"legacy_texts": {"first": "one"}}


def test_a_referral_keeps_only_complete_references_and_the_legacy_texts() -> None:
    referral = collected(a_referral())
    referral.keep_texts({"decline_note": "old"}, decline_note=(None, "d" * 64),
                        outcome_note=(uuid4(), None), withdrawal_reason=(KEPT.text_id,
                                                                         KEPT.digest))
    assert referral.texts == {"withdrawal_reason": TextReference(KEPT.text_id, KEPT.digest)}
    assert referral.legacy_texts == {"decline_note": "old"}
    referral.keep_texts(None)
    assert referral.legacy_texts == {"decline_note": "old"}
