"""The rules of a referral, on the aggregate alone: due times, default urgency, destinations,
the consent gate, the state machine and the index that refuses a second pending referral."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.cases.model import Case, CaseClosed
from domain.cases.rules import CaseOutcome, Vulnerability
from domain.organisations.model import Organisation, OrganisationRetired
from domain.privacy import (
    LegalBases,
    LegalBasis,
    OrganisationOfAnotherCity,
    ProcessingPurpose,
    UnknownOrganisation,
)
from domain.programme import City
from domain.referrals.model import (
    CaseReferrals,
    ConsentRequired,
    DuplicateReferral,
    InvalidDestination,
    InvalidReferralText,
    OtherLegalBasisRefused,
    Referral,
    ReferralFinished,
    ReferralNotPending,
    TransferFinal,
    checked_text,
)
from domain.referrals.rules import (
    CityService,
    DeclineReason,
    Destination,
    DestinationKind,
    ReferralStatus,
    Urgency,
    default_urgency,
    due_at,
)
from domain.vault import TextReference
from tests.builders import (
    INTAKE_DATE,
    NOW,
    a_coordinator,
    a_reason,
    an_intake,
    an_organisation,
)

# A text kept in the vault, as the service hands it to the referral (issue 16).
KEPT = TextReference(uuid4(), "0" * 64)

CONSENTING = frozenset({ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER})

HEALTH = Destination.city_service(CityService.HEALTH)
CARITAS = an_organisation(City.MILANO, "Caritas Ambrosiana")
EMERGENCY = an_organisation(City.MILANO, "Emergency")



def events_of(aggregate: Any) -> list[Any]:
    """The events an aggregate recorded, as Any: each test asserts the fields of its own."""
    return list(aggregate.collect_events())

def a_case(**overrides: object) -> Case:
    facts = an_intake(City.MILANO, **overrides)
    return Case.take_in(uuid4(), "MI-2021-00001", facts, a_coordinator(City.MILANO), NOW)


def a_referral(case: Case | None = None, destination: Destination = HEALTH,
               urgency: Urgency | None = None, **options: object) -> Referral:
    return Referral.request(uuid4(), case or a_case(), destination, urgency, None,
                            a_coordinator(City.MILANO), NOW, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("urgency", "hours"), [
    (Urgency.IMMEDIATE, 24), (Urgency.WITHIN_72_HOURS, 72), (Urgency.ORDINARY, 15 * 24),
])
def test_the_urgency_sets_when_the_answer_is_due(urgency: Urgency, hours: int) -> None:
    assert due_at(NOW, urgency) == NOW + timedelta(hours=hours)
    assert a_referral(urgency=urgency).due_at == NOW + timedelta(hours=hours)


def test_a_vulnerable_person_is_answered_within_72_hours_by_default() -> None:
    assert default_urgency(is_vulnerable=True) is Urgency.WITHIN_72_HOURS
    assert default_urgency(is_vulnerable=False) is Urgency.ORDINARY
    vulnerable = a_case(vulnerabilities=frozenset({Vulnerability.PREGNANCY}))
    assert a_referral(vulnerable).urgency is Urgency.WITHIN_72_HOURS
    assert a_referral(a_case()).urgency is Urgency.ORDINARY


def test_the_coordinator_may_choose_a_slower_urgency_even_for_a_vulnerable_person() -> None:
    vulnerable = a_case(vulnerabilities=frozenset({Vulnerability.ELDERLY}))
    assert a_referral(vulnerable, urgency=Urgency.ORDINARY).urgency is Urgency.ORDINARY


def test_a_transfer_cannot_go_to_the_case_s_own_city() -> None:
    with pytest.raises(InvalidDestination) as refused:
        a_referral(destination=Destination.transfer(City.MILANO))
    assert refused.value.params["field"] == "to_city"
    assert a_referral(destination=Destination.transfer(City.FIRENZE)).is_transfer


def test_a_partner_is_a_registered_organisation_named_by_its_id() -> None:
    """Issue 12, item 5: a referral to a partner names a registered organisation, not a free
    text."""
    case = a_case(consents=CONSENTING)
    with pytest.raises(InvalidDestination) as refused:
        a_referral(case, Destination(DestinationKind.PARTNER))
    assert refused.value.params["field"] == "organisation_id"
    with pytest.raises(UnknownOrganisation):
        a_referral(case, Destination.partner(uuid4()), organisation=CARITAS)


def test_a_partner_of_another_city_or_retired_is_refused() -> None:
    case = a_case()
    roman = an_organisation(City.ROMA, "Caritas di Roma")
    with pytest.raises(OrganisationOfAnotherCity) as refused:
        a_referral(case, Destination.partner(roman.id), organisation=roman,
                   other_legal_basis=LegalBasis.VITAL_INTERESTS, may_share_on_other_basis=True)
    assert refused.value.params["organisation_name"] == "Caritas di Roma"
    retired = an_organisation(City.MILANO, "Sportello chiuso")
    retired.retire(a_coordinator(City.MILANO), NOW)
    with pytest.raises(OrganisationRetired):
        a_referral(case, Destination.partner(retired.id), organisation=retired,
                   other_legal_basis=LegalBasis.VITAL_INTERESTS, may_share_on_other_basis=True)


def consenting_to(*organisations: Organisation) -> Case:
    case = a_case()
    case.give_consent(ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER, INTAKE_DATE,
                      a_coordinator(City.MILANO), NOW, organisations=organisations)
    return case


def to(organisation: Organisation, case: Case, **options: Any) -> Referral:
    return a_referral(case, Destination.partner(organisation.id), organisation=organisation,
                      **options)


def test_a_partner_referral_rests_on_the_person_s_consent_to_that_organisation() -> None:
    """GDPR art. 6(1)(a): sharing the case with a named NGO partner rests on consent, to that
    partner (the card's partners are named; consent is specific, art. 4(11))."""
    referral = to(CARITAS, consenting_to(CARITAS))
    assert referral.legal_basis is LegalBasis.CONSENT
    assert referral.destination.organisation_id == CARITAS.id
    (event,) = events_of(referral)
    assert (event.destination_kind, event.organisation_id, event.partner_name) == (
        "partner", CARITAS.id, None)
    assert (event.legal_basis, event.note_id, event.legacy_texts) == ("consent", None, None)

    with pytest.raises(ConsentRequired) as refused:
        to(EMERGENCY, consenting_to(CARITAS))
    assert (refused.value.code, refused.value.params["field"],
            refused.value.params["organisation_name"]) == (
        "consent_to_organisation_required", "legal_basis", "Emergency")
    assert "Emergency" in refused.value.message


def test_a_consent_naming_no_organisation_covers_no_registered_one() -> None:
    """A consent to share "with partners" given at intake, or before consents named
    organisations, names nobody: it is no consent to any registered organisation (GDPR art.
    4(11): consent is specific)."""
    case = a_case(consents=CONSENTING)
    assert case.has_consent_to(ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER)
    with pytest.raises(ConsentRequired):
        to(CARITAS, case)


def test_a_withdrawn_consent_no_longer_lets_that_partner_receive_the_case() -> None:
    """GDPR art. 7(3): consent can be withdrawn, per organisation, and from then on it is no
    basis for sharing with that one; the others keep theirs."""
    case = consenting_to(CARITAS, EMERGENCY)
    case.withdraw_consent(ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER, INTAKE_DATE,
                          a_coordinator(City.MILANO), NOW, organisation_ids=[CARITAS.id])
    with pytest.raises(ConsentRequired):
        to(CARITAS, case)
    assert to(EMERGENCY, case).legal_basis is LegalBasis.CONSENT


@pytest.mark.parametrize("basis", [
    LegalBasis.VITAL_INTERESTS, LegalBasis.LEGAL_OBLIGATION, LegalBasis.PUBLIC_TASK])
def test_without_consent_a_coordinator_shares_with_a_partner_on_another_legal_basis_recorded(
    basis: LegalBasis,
) -> None:
    """Issue 12: the former "override of consent" is sharing on another legal basis (GDPR art.
    6(1)(c)-(e)), and the basis is recorded."""
    with pytest.raises(OtherLegalBasisRefused) as refused:
        to(CARITAS, a_case(), other_legal_basis=basis)
    assert (refused.value.code, refused.value.params["field"]) == (
        "other_legal_basis_refused", "legal_basis")

    referral = to(CARITAS, a_case(), other_legal_basis=basis, may_share_on_other_basis=True)
    assert referral.legal_basis is basis
    (event,) = events_of(referral)
    assert (event.legal_basis, event.note_id, event.legacy_texts) == (basis.value, None, None)
    assert event.organisation_id == CARITAS.id


def test_naming_consent_as_the_other_basis_still_needs_the_consent() -> None:
    with pytest.raises(ConsentRequired):
        to(CARITAS, a_case(), other_legal_basis=LegalBasis.CONSENT,
           may_share_on_other_basis=True)


def test_city_services_and_transfers_rest_on_the_public_task() -> None:
    """GDPR art. 6(1)(e), 9(2)(g), art. 2-sexies d.lgs. 196/2003: case management is the
    municipality's public task; no consent is asked, and no other basis may be named."""
    for destination in (HEALTH, Destination.transfer(City.ROMA)):
        assert a_referral(a_case(), destination).legal_basis is LegalBasis.PUBLIC_TASK
        with pytest.raises(OtherLegalBasisRefused):
            a_referral(a_case(), destination, other_legal_basis=LegalBasis.VITAL_INTERESTS,
                       may_share_on_other_basis=True)


def test_the_gate_follows_the_configured_legal_basis_of_each_purpose() -> None:
    """The legal basis is configurable per purpose: where referral to a partner rests on the
    public task, a partner receives the case without consent, on that basis."""
    public = LegalBases({ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER: LegalBasis.PUBLIC_TASK})
    referral = to(CARITAS, a_case(), legal_bases=public)
    assert referral.legal_basis is LegalBasis.PUBLIC_TASK


def test_a_closed_case_is_not_referred() -> None:
    case = a_case()
    case.close(CaseOutcome.AUTONOMY, INTAKE_DATE, a_reason(), a_coordinator(City.MILANO), NOW)
    with pytest.raises(CaseClosed):
        a_referral(case)


def test_a_referral_is_answered_once() -> None:
    actor = a_coordinator(City.MILANO)
    referral = a_referral()
    referral.accept(actor, NOW + timedelta(hours=2))
    assert referral.status is ReferralStatus.ACCEPTED
    assert referral.answered_at == NOW + timedelta(hours=2)
    with pytest.raises(ReferralNotPending):
        referral.accept(actor, NOW)
    with pytest.raises(ReferralNotPending):
        referral.decline(DeclineReason.NO_CAPACITY, None, actor, NOW)


def test_declining_for_another_reason_says_which() -> None:
    actor = a_coordinator(City.MILANO)
    with pytest.raises(InvalidReferralText) as refused:
        Referral.checked_decline_note(DeclineReason.OTHER, " ")
    assert refused.value.params["field"] == "note"
    with pytest.raises(InvalidReferralText) as refused:
        a_referral().decline(DeclineReason.OTHER, None, actor, NOW)
    assert refused.value.params["field"] == "note"
    assert Referral.checked_decline_note(DeclineReason.NO_CAPACITY, " ") is None
    assert Referral.checked_decline_note(DeclineReason.OTHER, " Full ") == "Full"
    referral = a_referral()
    referral.decline(DeclineReason.NO_CAPACITY, None, actor, NOW)
    assert referral.status is ReferralStatus.DECLINED


def test_completing_an_unanswered_referral_records_its_acceptance_first() -> None:
    referral = a_referral()
    referral.complete(KEPT, a_coordinator(City.MILANO), NOW + timedelta(days=1))
    recorded = events_of(referral)  # collects them: once only
    events = [type(e).__name__ for e in recorded]
    assert events == ["Requested", "Accepted", "Completed"]
    completed = recorded[-1]
    assert (completed.outcome_note_id, completed.outcome_note_digest) == (
        KEPT.text_id, KEPT.digest)
    assert referral.texts == {"outcome_note": KEPT}
    assert referral.status is ReferralStatus.COMPLETED


def test_a_finished_referral_is_neither_completed_nor_withdrawn() -> None:
    actor = a_coordinator(City.MILANO)
    declined = a_referral()
    declined.decline(DeclineReason.UNREACHABLE, None, actor, NOW)
    with pytest.raises(ReferralFinished):
        declined.complete(None, actor, NOW)
    with pytest.raises(ReferralFinished):
        declined.withdraw(KEPT, actor, NOW)


def test_a_withdrawal_says_why() -> None:
    with pytest.raises(InvalidReferralText):
        checked_text("", "reason", 500, required=True)
    with pytest.raises(InvalidReferralText):
        checked_text("x" * 501, "reason", 500, required=True)
    assert checked_text(" " + "x" * 500 + " ", "reason", 500, required=True) == "x" * 500


def test_an_accepted_transfer_is_final_but_a_requested_one_can_be_withdrawn() -> None:
    actor = a_coordinator(City.MILANO)
    transfer = a_referral(destination=Destination.transfer(City.FIRENZE))
    with pytest.raises(TransferFinal):
        transfer.complete(None, actor, NOW)
    transfer.accept(a_coordinator(City.FIRENZE), NOW)
    with pytest.raises(TransferFinal):
        transfer.withdraw(KEPT, actor, NOW)

    requested = a_referral(destination=Destination.transfer(City.FIRENZE))
    requested.withdraw(KEPT, actor, NOW)
    assert requested.status is ReferralStatus.WITHDRAWN


def test_one_referral_per_destination_awaits_an_answer_at_a_time() -> None:
    case = consenting_to(CARITAS)
    index = CaseReferrals.open(case.id, NOW)
    first = a_referral(case)
    index.add(first, NOW)
    index.add(a_referral(case, Destination.city_service(CityService.LEGAL_AID)), NOW)
    index.add(to(CARITAS, case), NOW)
    with pytest.raises(DuplicateReferral):
        index.add(a_referral(case), NOW)
    with pytest.raises(DuplicateReferral):
        index.add(to(CARITAS, case), NOW)

    first.decline(DeclineReason.NO_CAPACITY, None, a_coordinator(City.MILANO), NOW)
    index.settle(first, NOW)
    index.add(a_referral(case), NOW)
