"""Issue 12, item 5, on the case aggregate alone: the intake records the information notice
(GDPR art. 13) and the legal basis of each purpose (public task by default: GDPR art. 6(1)(e),
art. 9(2)(g), art. 2-sexies d.lgs. 196/2003); consent is asked only for what rests on it, per
purpose, and can be withdrawn (art. 7(3))."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, cast
from uuid import uuid4

import pytest

from domain.cases.model import (
    Case,
    ConsentNotTheBasis,
    InformationNotice,
    InformationNoticeMissing,
    InvalidConsentChange,
    InvalidIntake,
)
from domain.cases.service import CaseService
from domain.privacy import LEGAL_BASES, LegalBases, LegalBasis, ProcessingPurpose
from domain.programme import DomainError
from domain.record import ProgrammeRecord
from domain.vault import PersonalDataVault
from tests.builders import INTAKE_DATE, NOW, a_coordinator, a_person, an_intake

PHOTOS = ProcessingPurpose.PHOTOGRAPHS
PARTNER = ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER
LATER = NOW + timedelta(days=30)  # 2021-04-09



def events_of(aggregate: Any) -> list[Any]:
    """The events an aggregate recorded, as Any: each test asserts the fields of its own."""
    return list(aggregate.collect_events())

def take_in(legal_bases: LegalBases = LEGAL_BASES, **overrides: Any) -> Case:
    return Case.take_in(uuid4(), "FI-2021-00001", an_intake(**overrides), a_coordinator(), NOW,
                        legal_bases=legal_bases)


def refused_with(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, object]:
    return error.value.code, error.value.params.get("field")


def test_the_intake_records_the_notice_and_the_legal_basis_of_each_purpose() -> None:
    """GDPR art. 13 (the notice, its date and language) and the configured bases: the public
    task for case management and statistics (art. 6(1)(e), 9(2)(g), art. 2-sexies d.lgs.
    196/2003), consent for sharing with a named partner and photographs."""
    (event,) = events_of(take_in())
    assert (event.information_notice_given_on, event.information_notice_language) == (
        INTAKE_DATE, "ti")
    assert event.legal_bases == [
        {"purpose": "case_management", "legal_basis": "public_task"},
        {"purpose": "statistics", "legal_basis": "public_task"},
        {"purpose": "referral_to_named_partner", "legal_basis": "consent"},
        {"purpose": "photographs", "legal_basis": "consent"},
    ]
    assert event.consents == []


def test_an_intake_needs_no_consent_at_all() -> None:
    """Issue 12 item 5: consent from people in need is not freely given (GDPR art. 4(11),
    recital 43); case management rests on the public task."""
    case = take_in(consents=frozenset())
    assert not any(case.has_consent_to(p) for p in ProcessingPurpose)


def test_the_notice_is_required() -> None:
    with pytest.raises(InformationNoticeMissing) as refused:
        take_in(information_notice=None)
    assert refused_with(refused) == ("information_notice_missing", "information_notice_given_on")


def test_the_notice_is_given_at_the_latest_on_the_intake_date() -> None:
    """GDPR art. 13(1): "at the time when personal data are obtained"."""
    assert take_in(information_notice=InformationNotice(INTAKE_DATE, "ar")).information_notice
    with pytest.raises(InformationNoticeMissing) as refused:
        take_in(information_notice=InformationNotice(INTAKE_DATE + timedelta(days=1), "ar"))
    assert refused_with(refused) == ("information_notice_missing", "information_notice_given_on")


@pytest.mark.parametrize("language", ["ita", "IT", "i", "", "é1"])
def test_the_notice_s_language_is_an_iso_639_1_code(language: str) -> None:
    with pytest.raises(InformationNoticeMissing) as refused:
        take_in(information_notice=InformationNotice(INTAKE_DATE, language))
    assert refused_with(refused) == ("information_notice_missing", "information_notice_language")


def test_consent_is_recorded_only_for_purposes_that_rest_on_it() -> None:
    """Issue 12 item 5: "consent is asked only for what really rests on consent ... per
    purpose"."""
    (event,) = events_of(take_in(consents=frozenset({PARTNER})))
    assert event.consents == [{"purpose": "referral_to_named_partner", "given_on": INTAKE_DATE}]
    with pytest.raises(ConsentNotTheBasis) as refused:
        take_in(consents=frozenset({ProcessingPurpose.CASE_MANAGEMENT, PARTNER}))
    assert refused_with(refused) == ("consent_not_the_basis", "consents")


def test_the_legal_basis_of_each_purpose_is_configurable() -> None:
    """Issue 12 item 5: the legal basis is "configurable per processing purpose, default public
    task"."""
    photos_public = LegalBases({PARTNER: LegalBasis.CONSENT})
    assert photos_public.of(ProcessingPurpose.PHOTOGRAPHS) is LegalBasis.PUBLIC_TASK
    with pytest.raises(ConsentNotTheBasis):
        take_in(photos_public, consents=frozenset({ProcessingPurpose.PHOTOGRAPHS}))
    (event,) = events_of(take_in(photos_public, consents=frozenset({PARTNER})))
    assert {"purpose": "photographs", "legal_basis": "public_task"} in event.legal_bases


def test_a_consent_given_after_intake_is_an_event_of_its_own() -> None:
    case = take_in()
    case.give_consent(ProcessingPurpose.PHOTOGRAPHS, date(2021, 4, 2), a_coordinator(), LATER)
    _intake, event = events_of(case)
    assert isinstance(event, Case.ConsentGiven)
    assert (event.case_code, event.city, event.purpose, event.given_on, event.actor) == (
        "FI-2021-00001", "firenze", "photographs", date(2021, 4, 2), a_coordinator().as_record())
    assert case.has_consent_to(ProcessingPurpose.PHOTOGRAPHS)


def test_a_consent_is_dated_from_the_intake_to_today_and_given_once() -> None:
    case = take_in()
    for day in (INTAKE_DATE - timedelta(days=1), LATER.date() + timedelta(days=1)):
        with pytest.raises(InvalidConsentChange) as refused:
            case.give_consent(PHOTOS, day, a_coordinator(), LATER)
        assert refused_with(refused) == ("invalid_consent_change", "given_on")
    case.give_consent(PHOTOS, INTAKE_DATE, a_coordinator(), LATER)
    with pytest.raises(InvalidConsentChange) as refused:
        case.give_consent(PHOTOS, LATER.date(), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_consent_change", "purpose")
    with pytest.raises(ConsentNotTheBasis):
        case.give_consent(ProcessingPurpose.STATISTICS, LATER.date(), a_coordinator(), LATER)


def test_a_consent_can_be_withdrawn_and_given_again() -> None:
    """GDPR art. 7(3): "The data subject shall have the right to withdraw his or her consent at
    any time". Here the consent to share with partners given at intake, which names no
    organisation (a consent to the purpose as a whole)."""
    case = take_in(consents=frozenset({PARTNER}))
    with pytest.raises(InvalidConsentChange) as refused:
        case.withdraw_consent(PARTNER, INTAKE_DATE - timedelta(days=1), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_consent_change", "withdrawn_on")
    case.withdraw_consent(PARTNER, date(2021, 3, 20), a_coordinator(), LATER)
    _intake, event = events_of(case)
    assert isinstance(event, Case.ConsentWithdrawn)
    assert (event.purpose, event.withdrawn_on, event.organisation_ids) == (
        "referral_to_named_partner", date(2021, 3, 20), [])
    assert not case.has_consent_to(PARTNER)
    with pytest.raises(InvalidConsentChange) as refused:
        case.withdraw_consent(PARTNER, date(2021, 3, 21), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_consent_change", "purpose")
    case.give_consent(PHOTOS, date(2021, 3, 19), a_coordinator(), LATER)
    case.withdraw_consent(PHOTOS, date(2021, 3, 20), a_coordinator(), LATER)
    with pytest.raises(InvalidConsentChange):
        case.give_consent(PHOTOS, date(2021, 3, 19), a_coordinator(), LATER)
    case.give_consent(PHOTOS, date(2021, 3, 20), a_coordinator(), LATER)
    assert case.has_consent_to(PHOTOS)


def test_a_document_number_for_a_person_without_documents_is_refused_before_anything_is_written(
) -> None:
    """Issue 12 item 6: a person without any document is recordable; saying both is a mistake."""
    record = ProgrammeRecord()
    vault = cast(PersonalDataVault, SimpleNamespace())  # never reached: no attribute to call
    service = CaseService(record, vault)
    with pytest.raises(InvalidIntake) as refused:
        service.record_intake(uuid4(), an_intake(has_identity_document=False),
                              a_person(document_number="YA1234567"), a_coordinator(), NOW)
    assert refused_with(refused) == ("invalid_intake", "document_number")
    assert record.recorder.max_notification_id() in (None, 0)
