"""Every refusal of a case as a person or a client sees it (issue 20): the error's `code`,
message and parameters where the rule is broken, each date window at its first and last day
and one past; what the consent, guardian and transfer commands record, field by field; the
version-1 reasons read as legacy texts. A mutation run (docs/testing.md) showed these messages,
fields and edges were never checked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.cases.model import (
    MAX_REASON,
    MAX_REQUEST_REFERENCE,
    MAX_VULNERABILITY_DESCRIPTION,
    Case,
    CaseRegister,
    ConsentRecord,
    InformationNotice,
    InvalidCorrection,
    ReceptionHistory,
    _reason_to_legacy,
    check_other_vulnerability_description,
    checked_reason,
)
from domain.cases.rules import (
    AgeScheme,
    AssessingService,
    CaseOutcome,
    CorrectableField,
    ErasureLegalBasis,
    ReceptionCentreKind,
    ReceptionSituation,
    Vulnerability,
)
from domain.privacy import ProcessingPurpose
from domain.programme import (
    Actor,
    ActorKind,
    City,
    ProtectionStatus,
    Role,
    SubAction,
)
from tests.builders import (
    A_REASON,
    INTAKE_DATE,
    NOW,
    a_coordinator,
    an_intake,
    an_organisation,
    recorded,
    refusal,
)

LATER = NOW + timedelta(days=10)  # 20 March 2021
TODAY = LATER.date()
ACTOR = a_coordinator()
PARTNER = ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER
PHOTOS = ProcessingPurpose.PHOTOGRAPHS
CARITAS = an_organisation(City.FIRENZE, "Caritas")
ARCI = an_organisation(City.FIRENZE, "Arci")
ROMAN = an_organisation(City.ROMA, "Caritas di Roma")


def a_case(**overrides: Any) -> Case:
    case = Case.take_in(uuid4(), "FI-2021-00001", an_intake(**overrides), ACTOR, NOW)
    case.collect_events()
    return case


def a_minor_alone() -> Case:
    return a_case(birth_date=date(2005, 1, 1),
                  vulnerabilities=frozenset({Vulnerability.UNACCOMPANIED_MINOR}))


CASE_FIELDS = {"case_code": "FI-2021-00001", "city": "firenze"}


# --- consents -----------------------------------------------------------------------------------


def test_a_consent_to_a_purpose_not_resting_on_it_is_refused_with_the_message() -> None:
    assert refusal(lambda: a_case().give_consent(
        ProcessingPurpose.STATISTICS, INTAKE_DATE, ACTOR, LATER)) == (
        "consent_not_the_basis",
        "This purpose does not rest on consent: the person is not asked for it.",
        {"field": "purpose"})


def test_only_a_consent_to_share_with_partners_names_organisations() -> None:
    named = ("invalid_consent_change",
             "Only a consent to share the case with partners names organisations.",
             {"field": "organisation_ids"})
    assert refusal(lambda: a_case().give_consent(
        PHOTOS, INTAKE_DATE, ACTOR, LATER, organisations=[CARITAS])) == named
    case = a_case(consents=frozenset({PHOTOS}))
    assert refusal(lambda: case.withdraw_consent(
        PHOTOS, TODAY, ACTOR, LATER, organisation_ids=[CARITAS.id])) == named
    assert refusal(lambda: a_case().give_consent(PARTNER, INTAKE_DATE, ACTOR, LATER)) == (
        "invalid_consent_change",
        "Name the partner organisations the person consents to share their case with.",
        {"field": "organisation_ids"})


def test_a_consent_naming_organisations_records_each_of_them() -> None:
    case = a_case()
    case.give_consent(PARTNER, INTAKE_DATE, ACTOR, LATER, organisations=[CARITAS, ARCI])
    assert recorded(case) == [("ConsentGiven", {
        "timestamp": LATER, **CASE_FIELDS, "purpose": "referral_to_named_partner",
        "given_on": INTAKE_DATE, "organisation_ids": [str(CARITAS.id), str(ARCI.id)],
        "actor": ACTOR.as_record()})]
    assert case.consented_organisations == [CARITAS.id, ARCI.id]
    assert case.has_consent_to_share_with(ARCI.id)
    assert not case.has_consent_to(PARTNER)  # a consent naming organisations is to them only
    assert refusal(lambda: case.give_consent(PARTNER, TODAY, ACTOR, LATER,
                                             organisations=[ARCI])) == (
        "invalid_consent_change", "The person has already consented to sharing with Arci.",
        {"field": "organisation_ids", "organisation_name": "Arci"})
    assert refusal(lambda: case.give_consent(PARTNER, TODAY, ACTOR, LATER,
                                             organisations=[ROMAN])) == (
        "organisation_of_another_city", "Caritas di Roma is registered by another city.",
        {"field": "organisation_ids", "organisation_name": "Caritas di Roma", "city": "roma"})


def test_withdrawing_from_one_organisation_records_it_and_keeps_the_others() -> None:
    case = a_case()
    case.give_consent(PARTNER, INTAKE_DATE, ACTOR, LATER, organisations=[CARITAS, ARCI])
    case.collect_events()
    case.withdraw_consent(PARTNER, TODAY, ACTOR, LATER, organisation_ids=[CARITAS.id,
                                                                          CARITAS.id])
    assert recorded(case) == [("ConsentWithdrawn", {
        "timestamp": LATER, **CASE_FIELDS, "purpose": "referral_to_named_partner",
        "withdrawn_on": TODAY, "organisation_ids": [str(CARITAS.id)],
        "actor": ACTOR.as_record()})]
    assert case.consented_organisations == [ARCI.id]
    assert refusal(lambda: case.withdraw_consent(
        PARTNER, TODAY, ACTOR, LATER, organisation_ids=[CARITAS.id])) == (
        "invalid_consent_change",
        "The person has not given this consent: there is nothing to withdraw.",
        {"field": "organisation_ids"})
    assert refusal(lambda: case.withdraw_consent(
        PARTNER, TODAY, ACTOR, LATER, organisation_ids=[uuid4()]))[2] == {
        "field": "organisation_ids"}
    assert refusal(lambda: case.withdraw_consent(PHOTOS, TODAY, ACTOR, LATER)) == (
        "invalid_consent_change",
        "The person has not given this consent: there is nothing to withdraw.",
        {"field": "purpose"})
    # Given again to the organisation withdrawn from: from the withdrawal's day on.
    assert refusal(lambda: case.give_consent(
        PARTNER, TODAY - timedelta(days=1), ACTOR, LATER, organisations=[CARITAS])) == (
        "invalid_consent_change",
        "A consent is dated between the intake (or its last withdrawal) and today.",
        {"field": "given_on"})
    case.give_consent(PARTNER, TODAY, ACTOR, LATER, organisations=[CARITAS])
    assert case.has_consent_to_share_with(CARITAS.id)


def test_a_withdrawal_is_dated_from_the_consent_to_today() -> None:
    case = a_case()
    case.give_consent(PHOTOS, date(2021, 3, 12), ACTOR, LATER)
    for day in (date(2021, 3, 11), TODAY + timedelta(days=1)):
        assert refusal(lambda: case.withdraw_consent(PHOTOS, day, ACTOR, LATER)) == (  # noqa: B023
            "invalid_consent_change", "A withdrawal is dated between the consent and today.",
            {"field": "withdrawn_on"})
    case.withdraw_consent(PHOTOS, TODAY, ACTOR, LATER)
    other = a_case()
    other.give_consent(PHOTOS, date(2021, 3, 12), ACTOR, LATER)
    other.withdraw_consent(PHOTOS, date(2021, 3, 12), ACTOR, LATER)
    assert not other.has_consent_to(PHOTOS)


def test_a_consent_given_again_records_it_without_organisations() -> None:
    case = a_case()
    case.give_consent(PHOTOS, TODAY, ACTOR, LATER)
    assert recorded(case) == [("ConsentGiven", {
        "timestamp": LATER, **CASE_FIELDS, "purpose": "photographs", "given_on": TODAY,
        "organisation_ids": [], "actor": ACTOR.as_record()})]
    assert refusal(lambda: case.give_consent(PHOTOS, TODAY, ACTOR, LATER)) == (
        "invalid_consent_change", "The person has already given this consent.",
        {"field": "purpose"})


def test_version_1_consents_name_no_organisation() -> None:
    for event in (Case.ConsentGiven, Case.ConsentWithdrawn):
        state: dict[str, Any] = {"purpose": "photographs"}
        event.upcast_v1_v2(state)
        assert state == {"purpose": "photographs", "organisation_ids": []}


# --- guardian -----------------------------------------------------------------------------------


def test_a_guardian_is_refused_with_its_message_and_recorded_field_by_field() -> None:
    assert refusal(lambda: a_case().appoint_guardian(INTAKE_DATE, ACTOR, LATER)) == (
        "guardian_not_applicable",
        "A guardian is recorded for an unaccompanied minor (l. 47/2017); this person is not "
        "recorded as one.", {"field": "case"})
    case = a_minor_alone()
    assert refusal(lambda: case.appoint_guardian(TODAY + timedelta(days=1), ACTOR, LATER)) == (
        "invalid_guardian_appointment", "The appointment cannot be dated in the future.",
        {"field": "appointed_on"})
    case.appoint_guardian(TODAY, ACTOR, LATER)
    assert recorded(case) == [("GuardianAppointed", {
        "timestamp": LATER, **CASE_FIELDS, "appointed_on": TODAY, "actor": ACTOR.as_record()})]
    assert refusal(lambda: case.appoint_guardian(TODAY, ACTOR, LATER)) == (
        "invalid_guardian_appointment",
        "A guardian appointed on or after this date is already recorded: a new appointment "
        "replaces them, and is dated after it.", {"field": "appointed_on"})
    assert (case.guardian_appointed_on, case.needs_guardian) == (TODAY, False)


# --- vulnerabilities ---------------------------------------------------------------------------


def test_an_assessment_is_refused_with_its_message() -> None:
    case = a_case()
    service = AssessingService.HEALTH_SERVICE
    assert refusal(lambda: case.assess_vulnerability(
        Vulnerability.MINOR, TODAY, service, ACTOR, LATER)) == (
        "invalid_vulnerability_assessment",
        "Minority follows from the birth date, and is not assessed here.",
        {"field": "vulnerability"})
    assert refusal(lambda: case.assess_vulnerability(
        Vulnerability.UNACCOMPANIED_MINOR, TODAY, service, ACTOR, LATER)) == (
        "invalid_vulnerability_assessment", "An adult cannot be recorded as a minor.",
        {"field": "vulnerability"})
    assert refusal(lambda: case.assess_vulnerability(
        Vulnerability.OTHER, TODAY, service, ACTOR, LATER)) == (
        "invalid_vulnerability_assessment",
        "Record what the other vulnerability is before its assessment.",
        {"field": "vulnerability"})
    assert refusal(lambda: case.assess_vulnerability(
        Vulnerability.PREGNANCY, TODAY + timedelta(days=1), service, ACTOR, LATER)) == (
        "invalid_vulnerability_assessment", "The assessment cannot be dated in the future.",
        {"field": "assessed_on"})
    case.assess_vulnerability(Vulnerability.PREGNANCY, TODAY, service, ACTOR, LATER)
    assert refusal(lambda: case.assess_vulnerability(
        Vulnerability.PREGNANCY, TODAY, service, ACTOR, LATER)) == (
        "invalid_vulnerability_assessment", "This assessment is already recorded.",
        {"field": "assessed_on"})
    minor = a_minor_alone()
    minor.assess_vulnerability(Vulnerability.UNACCOMPANIED_MINOR, TODAY, service, ACTOR, LATER)
    assert minor.assessment_of(Vulnerability.UNACCOMPANIED_MINOR) is not None


def test_an_other_vulnerability_is_described_within_1000_characters() -> None:
    assert MAX_VULNERABILITY_DESCRIPTION == 1000
    assert check_other_vulnerability_description(" " + "d" * 1000 + " ") == "d" * 1000
    for text in (" ", "d" * 1001):
        assert refusal(lambda: check_other_vulnerability_description(text)) == (  # noqa: B023
            "invalid_vulnerability_description",
            "Say what the other vulnerability is, in up to 1,000 characters.",
            {"field": "other_vulnerability_description"})
    assert refusal(lambda: a_case().check_describable()) == (
        "invalid_vulnerability_description",
        "The person has no \"other\" vulnerability recorded to describe.",
        {"field": "other_vulnerability"})
    case = a_case(vulnerabilities=frozenset({Vulnerability.OTHER}))
    case.describe_other_vulnerability(A_REASON, ACTOR, LATER)
    assert recorded(case) == [("OtherVulnerabilityDescribed", {
        "timestamp": LATER, **CASE_FIELDS, "description_id": A_REASON.text_id,
        "description_digest": A_REASON.digest, "actor": ACTOR.as_record()})]
    case.erase_personal_data(TODAY, "PG/2021/1", ACTOR, LATER)
    assert refusal(case.check_describable) == (
        "personal_data_already_erased",
        "This person's personal data has been erased: no new text is kept on them.",
        {"field": "case"})


# --- erasure ------------------------------------------------------------------------------------


def test_an_erasure_request_is_refused_with_its_message_and_recorded_field_by_field() -> None:
    assert MAX_REQUEST_REFERENCE == 60
    case = a_case()
    for reference in (" ", "r" * 61):
        assert refusal(lambda: case.erase_personal_data(TODAY, reference, ACTOR, LATER)) == (  # noqa: B023
            "invalid_erasure_request",
            "Give the erasure request's reference (its protocol number), up to 60 characters.",
            {"field": "request_reference"})
    assert refusal(lambda: case.erase_personal_data(
        TODAY + timedelta(days=1), "PG/1", ACTOR, LATER)) == (
        "invalid_erasure_request", "The erasure request cannot be dated in the future.",
        {"field": "requested_on"})
    assert refusal(lambda: case.erase_personal_data(
        INTAKE_DATE - timedelta(days=1), "PG/1", ACTOR, LATER)) == (
        "erasure_request_before_intake",
        "The erasure request cannot be dated before the intake.",
        {"field": "requested_on", "intake_date": INTAKE_DATE})
    case.erase_personal_data(INTAKE_DATE, " " + "r" * 60 + " ", ACTOR, LATER,
                             ErasureLegalBasis.OBJECTION)
    assert recorded(case) == [("PersonalDataErased", {
        "timestamp": LATER, **CASE_FIELDS, "requested_on": INTAKE_DATE,
        "request_reference": "r" * 60, "legal_basis": "art17_1c", "actor": ACTOR.as_record()})]
    assert refusal(lambda: case.erase_personal_data(TODAY, "PG/2", ACTOR, LATER)) == (
        "personal_data_already_erased", "This person's personal data has already been erased.",
        {"field": "case"})
    other = a_case()
    other.erase_personal_data(TODAY, "PG/3", ACTOR, LATER)
    ((_, fields),) = recorded(other)
    assert fields["legal_basis"] == "not_recorded"
    state: dict[str, Any] = {"request_reference": "PG/4"}
    Case.PersonalDataErased.upcast_v1_v2(state)
    assert state == {"request_reference": "PG/4", "legal_basis": "not_recorded"}


# --- closure, reopening, correction, transfer --------------------------------------------------


def test_a_reason_may_have_500_characters_and_not_501_nor_none() -> None:
    assert MAX_REASON == 500
    assert checked_reason(" " + "r" * 500 + " ") == "r" * 500
    for text in (" ", "r" * 501):
        assert refusal(lambda: checked_reason(text)) == (  # noqa: B023
            "invalid_closure", "Give the reason, in up to 500 characters.", {"field": "reason"})
    assert refusal(lambda: checked_reason("", InvalidCorrection))[0] == "invalid_correction"


def test_closing_and_reopening_are_refused_with_the_message() -> None:
    case = a_case()
    assert refusal(lambda: case.close(
        CaseOutcome.AUTONOMY, INTAKE_DATE - timedelta(days=1), A_REASON, ACTOR, LATER)) == (
        "invalid_closure",
        "The closing date must fall between the day the case was taken in, reopened or "
        "transferred here, and today.", {"field": "closed_on"})
    assert refusal(lambda: case.reopen(TODAY, A_REASON, ACTOR, LATER)) == (
        "case_not_closed", "The case is open: there is nothing to reopen.", {"field": "case"})
    case.close(CaseOutcome.AUTONOMY, date(2021, 3, 15), A_REASON, ACTOR, LATER)
    assert refusal(case.require_open) == (
        "case_closed", "The case is closed: reopen it, with a reason, before recording new work.",
        {"field": "case"})
    for day in (date(2021, 3, 14), TODAY + timedelta(days=1)):
        assert refusal(lambda: case.reopen(day, A_REASON, ACTOR, LATER)) == (  # noqa: B023
            "invalid_closure", "The reopening date must fall between the closing date and today.",
            {"field": "reopened_on"})
    case.collect_events()
    case.reopen(date(2021, 3, 15), None, ACTOR, LATER)
    assert recorded(case) == [("Reopened", {
        "timestamp": LATER, **CASE_FIELDS, "reopened_on": date(2021, 3, 15), "reason_id": None,
        "reason_digest": None, "actor": ACTOR.as_record(), "legacy_texts": None})]
    assert (case.closure, case.open_since) == (None, date(2021, 3, 15))


def test_a_correction_that_changes_nothing_says_so() -> None:
    case = a_case()
    assert refusal(lambda: case.correct_intake({CorrectableField.SEX: "female"}, A_REASON,
                                               ACTOR, LATER)) == (
        "invalid_correction", "The correction changes nothing: give at least one new value.",
        {"field": "changes"})
    assert refusal(lambda: case.correct_intake({CorrectableField.HOUSEHOLD_SIZE: 31}, A_REASON,
                                               ACTOR, LATER)) == (
        "invalid_correction", "The corrected value is not a valid one for this fact.",
        {"field": "household_size"})
    case.correct_intake({CorrectableField.HOUSEHOLD_SIZE: 30}, A_REASON, ACTOR, LATER)
    assert case.household_size == 30
    assert refusal(lambda: case.correct_intake(
        {CorrectableField.VULNERABILITIES: ["minor"]}, A_REASON, ACTOR, LATER)) == (
        "invalid_correction", "An adult cannot be recorded as a minor.",
        {"field": "vulnerabilities"})


def test_a_permit_s_expiry_is_corrected_and_read_back_as_a_date() -> None:
    case = a_case(protection_status=ProtectionStatus.SUBSIDIARY_PROTECTION,
                  permit_expires_on=date(2025, 1, 31))
    assert case.fact(CorrectableField.PERMIT_EXPIRES_ON) == "2025-01-31"
    case.correct_intake({CorrectableField.PERMIT_EXPIRES_ON: "2026-02-28"}, A_REASON, ACTOR,
                        LATER)
    assert case.permit_expires_on == date(2026, 2, 28)
    assert case.fact(CorrectableField.PERMIT_EXPIRES_ON) == "2026-02-28"
    refugee = a_case()
    assert refugee.fact(CorrectableField.PERMIT_EXPIRES_ON) is None
    refugee.correct_intake({CorrectableField.PROTECTION_STATUS: "asylum_seeker"}, A_REASON,
                           ACTOR, LATER)
    refugee.correct_intake({CorrectableField.PERMIT_EXPIRES_ON: date(2022, 5, 1)}, A_REASON,
                           ACTOR, LATER)
    assert refugee.permit_expires_on == date(2022, 5, 1)
    refugee.correct_intake({CorrectableField.PERMIT_EXPIRES_ON: None}, A_REASON, ACTOR, LATER)
    assert refugee.permit_expires_on is None


def test_correcting_the_vulnerabilities_forgets_the_minor_categories_of_the_past() -> None:
    case = a_case()
    case.correct_intake({CorrectableField.VULNERABILITIES: ["pregnancy"]}, A_REASON, ACTOR,
                        LATER)
    assert case.vulnerabilities == [Vulnerability.PREGNANCY]
    assert case.minor_categories_until is None
    assert case.vulnerability_added_on == {}


def test_a_transfer_is_refused_with_the_message_and_recorded_field_by_field() -> None:
    case = a_case()
    referral_id = uuid4()
    assert refusal(lambda: case.transfer_to(City.FIRENZE, referral_id, TODAY, ACTOR, LATER)) == (
        "invalid_transfer", "The case already belongs to this city.", {"field": "to_city"})
    for day in (INTAKE_DATE - timedelta(days=1), TODAY + timedelta(days=1)):
        assert refusal(lambda: case.transfer_to(
            City.MILANO, referral_id, day, ACTOR, LATER)) == (  # noqa: B023
            "invalid_transfer",
            "The transfer date must fall between the day the case was taken in, reopened or "
            "transferred here, and today.", {"field": "transferred_on"})
    case.transfer_to(City.MILANO, referral_id, TODAY, ACTOR, LATER)
    assert recorded(case) == [("Transferred", {
        "timestamp": LATER, "case_code": "FI-2021-00001", "city": "milano",
        "from_city": "firenze", "referral_id": referral_id, "transferred_on": TODAY,
        "actor": ACTOR.as_record()})]
    assert (case.city, case.former_cities, case.open_since) == (
        City.MILANO, [City.FIRENZE], TODAY)
    other = a_case()
    other.transfer_to(City.ROMA, referral_id, INTAKE_DATE, ACTOR, LATER)
    assert other.open_since == INTAKE_DATE


@pytest.mark.parametrize("event", [Case.Closed, Case.Reopened, Case.IntakeCorrected])
def test_a_version_1_reason_reads_as_a_legacy_text_and_a_blank_one_as_none(event: Any) -> None:
    upcast = getattr(event, "upcast_v1_v2" if event is not Case.IntakeCorrected
                     else "upcast_v2_v3")
    state: dict[str, Any] = {"reason": "Trovato lavoro", "closed_on": INTAKE_DATE}
    upcast(state)
    assert state == {"closed_on": INTAKE_DATE, "legacy_texts": {"reason": "Trovato lavoro"},
                     "reason_id": None, "reason_digest": None}
    blank: dict[str, Any] = {"reason": ""}
    upcast(blank)
    assert blank == {"legacy_texts": None, "reason_id": None, "reason_digest": None}
    missing: dict[str, Any] = {}
    _reason_to_legacy(missing)
    assert missing == {"legacy_texts": None, "reason_id": None, "reason_digest": None}


# --- eligibility and the age band as of a day --------------------------------------------------


def test_eligibility_on_a_day_before_the_intake_is_none_and_cross_cutting_ones_ask_nothing(
) -> None:
    case = a_case()
    day_before = INTAKE_DATE - timedelta(days=1)
    assert case.eligibility_on(day_before) == ()
    assert case.age_band_on(day_before) is None
    assert case.status_on(day_before) is None
    assert not case.is_minor_on(day_before)
    for sub_action in SubAction:
        assert not case.is_eligible_for(sub_action, day_before)
    assert case.is_eligible_for(SubAction.COORDINATION, INTAKE_DATE)
    assert case.is_eligible_for(SubAction.COMMUNICATION, INTAKE_DATE)
    assert case.is_eligible_for(SubAction.FAST_TRACK_HOUSING, INTAKE_DATE)
    assert not case.is_eligible_for(SubAction.CIVIC_ENGAGEMENT, INTAKE_DATE)
    inside = a_case(reception=left(None, situation=ReceptionSituation.IN_RECEPTION))
    assert not inside.is_eligible_for(SubAction.FAST_TRACK_HOUSING, INTAKE_DATE)


# --- the register --------------------------------------------------------------------------------


def test_a_register_issues_gapless_codes_per_city_and_year() -> None:
    register = CaseRegister.open(City.FIRENZE, 2021, NOW)
    assert register.id == CaseRegister.id_for(City.FIRENZE, 2021)
    assert register.id not in (CaseRegister.id_for(City.FIRENZE, 2022),
                               CaseRegister.id_for(City.MILANO, 2021))
    assert (register.city, register.year, register.last_number) == (City.FIRENZE, 2021, 0)
    assert recorded(register) == [("Opened", {"timestamp": NOW, "city": "firenze",
                                              "year": 2021})]
    assert register.issue_code(NOW, "FI") == "FI-2021-00001"
    assert register.issue_code(LATER, "FI") == "FI-2021-00002"
    assert recorded(register) == [("NumberIssued", {"timestamp": NOW, "number": 1}),
                                  ("NumberIssued", {"timestamp": LATER, "number": 2})]


# --- intake and status decisions: every message -------------------------------------------------


def intake_refusal(**overrides: Any) -> tuple[str, str, dict[str, Any]]:
    return refusal(lambda: Case.take_in(uuid4(), "FI-2021-00001", an_intake(**overrides), ACTOR,
                                        NOW))


def left(on: date | None, kind: Any = "cas", exit_on: date | None = None,
         situation: ReceptionSituation = ReceptionSituation.LEFT_RECEPTION) -> Any:
    return ReceptionHistory(situation, left_on=on,
                            centre_kind=ReceptionCentreKind(kind) if kind else None,
                            planned_exit_on=exit_on)


@pytest.mark.parametrize(("reception", "field", "message"), [
    (left(date(2021, 1, 15), kind=None), "reception_centre_kind",
     "Give the kind of reception centre."),
    (left(None, situation=ReceptionSituation.NEVER_IN_RECEPTION), "reception_centre_kind",
     "A person never in reception has no reception centre."),
    (left(None), "left_reception_on",
     "Give the date the person left reception, and only for a person who left it."),
    (left(date(2021, 1, 15), exit_on=date(2021, 4, 1)), "planned_exit_on",
     "Give the planned exit date, and only for a person leaving reception."),
    (left(date(2021, 3, 11)), "left_reception_on",
     "The person cannot have left reception after the intake date."),
    (left(None, exit_on=date(2021, 3, 9), situation=ReceptionSituation.LEAVING_RECEPTION),
     "planned_exit_on",
     "A person who left before the intake date has left reception: the planned exit cannot "
     "precede the intake."),
])
def test_an_inconsistent_reception_history_is_refused_with_its_message(
    reception: Any, field: str, message: str
) -> None:
    assert intake_refusal(reception=reception) == (
        "inconsistent_reception_history", message, {"field": field})


def test_a_reception_history_at_its_edges_is_taken() -> None:
    on_the_day = a_case(reception=left(INTAKE_DATE))
    assert on_the_day.reception_situation is ReceptionSituation.LEFT_RECEPTION
    leaving = a_case(reception=left(None, exit_on=INTAKE_DATE,
                                    situation=ReceptionSituation.LEAVING_RECEPTION))
    assert leaving.reception_situation is ReceptionSituation.LEAVING_RECEPTION


def test_a_centre_name_of_another_period_is_refused_with_the_one_it_had() -> None:
    code, message, params = intake_refusal(reception=left(date(2021, 1, 15), kind="sprar"))
    assert (code, params) == ("reception_name_out_of_period",
                              {"field": "reception_centre_kind", "expected": "sai"})
    assert message.startswith("The second-line reception network was called SPRAR until 4 "
                              "October 2018, SIPROIMI from 5 October 2018")


@pytest.mark.parametrize(("overrides", "code", "field", "message"), [
    ({"intake_date": date(2021, 3, 11)}, "invalid_intake", "intake_date",
     "The intake date cannot be in the future."),
    ({"birth_date": date(2021, 3, 11)}, "invalid_intake", "birth_date",
     "The birth date cannot follow the intake date."),
    ({"birth_date": date(1900, 12, 31)}, "implausible_birth_date", "birth_date",
     "The birth date is more than 120 years before the intake date."),
    ({"household_size": 0}, "invalid_intake", "household_size",
     "The household size must be between 1 and 30."),
    ({"household_size": 31}, "invalid_intake", "household_size",
     "The household size must be between 1 and 30."),
    ({"citizenship": "er"}, "invalid_intake", "citizenship",
     "The citizenship must be a two-letter ISO 3166 country code, or none for a stateless "
     "person."),
    ({"information_notice": None}, "information_notice_missing",
     "information_notice_given_on",
     "Record the information notice (GDPR art. 13) given to the person: its date and "
     "language."),
    ({"vulnerabilities": frozenset({Vulnerability.MINOR})}, "invalid_intake", "vulnerabilities",
     "An adult cannot be recorded as a minor."),
    ({"protection_status": ProtectionStatus.NO_VALID_PERMIT,
      "permit_expires_on": date(2022, 1, 1)}, "invalid_protection_status", "permit_expires_on",
     "A person without a valid permit has no permit expiry."),
    ({"protection_status": ProtectionStatus.STATELESS}, "invalid_protection_status",
     "citizenship", "A stateless person has no citizenship."),
    ({"protection_status": ProtectionStatus.HUMANITARIAN_PROTECTION,
      "permit_expires_on": date(2021, 3, 9)}, "invalid_protection_status", "permit_expires_on",
     "A humanitarian protection permit is valid only until it expires (d.l. 113/2018 art. 1 "
     "c.8): give its expiry, which cannot have passed."),
])
def test_an_intake_breaking_one_rule_is_refused_with_its_message(
    overrides: dict[str, Any], code: str, field: str, message: str
) -> None:
    assert intake_refusal(**overrides) == (code, message, {"field": field})


def test_an_intake_at_each_limit_is_taken() -> None:
    assert a_case(household_size=30).household_size == 30
    assert a_case(household_size=1).household_size == 1
    assert a_case(birth_date=date(1901, 1, 1)).intake_date == INTAKE_DATE
    humanitarian = a_case(protection_status=ProtectionStatus.HUMANITARIAN_PROTECTION,
                          permit_expires_on=INTAKE_DATE)
    assert humanitarian.permit_expires_on == INTAKE_DATE


def test_a_notice_given_after_the_intake_or_in_no_language_code_is_refused() -> None:
    assert intake_refusal(information_notice=InformationNotice(date(2021, 3, 11), "ti"))[1:] \
        == ("The information notice is given when the data is collected (GDPR art. 13(1)): "
            "not after the intake date.", {"field": "information_notice_given_on"})
    assert intake_refusal(information_notice=InformationNotice(INTAKE_DATE, "TI")) == (
        "information_notice_missing",
        "The notice's language is a two-letter ISO 639-1 code (e.g. it, en, ar).",
        {"field": "information_notice_language"})


def test_a_consent_to_what_rests_on_another_basis_is_refused_naming_the_purposes() -> None:
    assert intake_refusal(consents=frozenset({ProcessingPurpose.STATISTICS,
                                              ProcessingPurpose.CASE_MANAGEMENT})) == (
        "consent_not_the_basis",
        "Consent is asked only for what rests on it; this purpose rests on another legal "
        "basis.", {"field": "consents", "purposes": ["case_management", "statistics"]})


def test_a_status_decision_is_refused_with_its_message() -> None:
    case = a_case(protection_status=ProtectionStatus.ASYLUM_SEEKER)
    for day in (INTAKE_DATE - timedelta(days=1), TODAY + timedelta(days=1)):
        assert refusal(lambda: case.change_status(
            day, ProtectionStatus.REFUGEE, None, ACTOR, LATER)) == (  # noqa: B023
            "invalid_status_change",
            "The decision must be dated between the date of the status it follows (the intake "
            "or the previous decision) and today.", {"field": "decided_on"})
    assert refusal(lambda: case.change_status(
        TODAY, ProtectionStatus.SUBSIDIARY_PROTECTION, TODAY, ACTOR, LATER)) == (
        "invalid_status_change", "A permit granted by the decision expires after it.",
        {"field": "permit_expires_on"})
    assert refusal(lambda: case.change_status(
        TODAY, ProtectionStatus.ASYLUM_SEEKER, None, ACTOR, LATER)) == (
        "invalid_status_change",
        "The decision changes nothing: the person already holds this status with this expiry.",
        {"field": "protection_status"})
    code, message, params = refusal(lambda: case.change_status(
        TODAY, ProtectionStatus.HUMANITARIAN_PROTECTION, date(2022, 1, 1), ACTOR, LATER))
    assert (code, params) == ("invalid_protection_status", {"field": "protection_status"})
    assert message.startswith("This status could not be granted on that date: humanitarian "
                              "protection was abolished by d.l. 113/2018 (5 October 2018)")
    case.change_status(INTAKE_DATE, ProtectionStatus.REFUGEE, None, ACTOR, LATER)
    ((name, fields),) = recorded(case)
    assert (name, fields["timestamp"], fields["decided_on"], fields["protection_status"],
            fields["permit_expires_on"], fields["priority_group"], fields["actor"]) == (
        "StatusChanged", LATER, INTAKE_DATE, "refugee", None, "international_protection",
        ACTOR.as_record())
    case.change_status(TODAY, ProtectionStatus.REFUGEE, TODAY + timedelta(days=1), ACTOR, LATER)
    assert case.permit_expires_on == TODAY + timedelta(days=1)


def test_a_birth_date_after_the_intake_is_refused_by_the_age_job() -> None:
    assert refusal(lambda: a_case().follow_age(date(2021, 3, 11), ACTOR, LATER)) == (
        "implausible_birth_date", "The birth date cannot follow the intake date.",
        {"field": "birth_date"})


# --- coming of age, and corrections checked against the status they leave -----------------------

BORN_2003 = date(2003, 5, 20)  # 17 at the intake, 18 on 20 May 2021: an adult from June


def test_coming_of_age_records_what_remains_and_the_band_field_by_field() -> None:
    job = Actor(ActorKind.SYSTEM, "lgnet-age-job", Role.SYSTEM)
    case = a_case(birth_date=BORN_2003, vulnerabilities=frozenset({
        Vulnerability.UNACCOMPANIED_MINOR, Vulnerability.PREGNANCY}))
    run_at = datetime(2021, 6, 2, 3, 0, tzinfo=UTC)
    case.follow_age(BORN_2003, job, run_at)
    (came_of_age, band_changed) = recorded(case)
    assert came_of_age[0] == "CameOfAge"
    assert {key: came_of_age[1][key] for key in (
        "timestamp", "case_code", "city", "from_month", "vulnerabilities", "actor")} == {
        "timestamp": run_at, **CASE_FIELDS, "from_month": "2021-06",
        "vulnerabilities": ["pregnancy"], "actor": job.as_record()}
    take_in_eligibility = [e for e in came_of_age[1]["eligibility"] if e["sub_action"] == "3"]
    assert [e["reason"] for e in take_in_eligibility] == ["vulnerable"]
    assert band_changed == ("AgeBandChanged", {
        "timestamp": run_at, **CASE_FIELDS, "from_month": "2021-06", "age_band": "18-34",
        "previous_age_band": "14-17", "reason": "birthday", "actor": job.as_record()})
    # Before June the person still held the minors' categories, besides the others.
    assert case.vulnerabilities_on(date(2021, 5, 31)) == {
        Vulnerability.MINOR, Vulnerability.UNACCOMPANIED_MINOR, Vulnerability.PREGNANCY}
    assert case.vulnerabilities_on(date(2021, 6, 1)) == {Vulnerability.PREGNANCY}


def test_a_status_corrected_is_checked_with_the_expiry_and_citizenship_it_keeps() -> None:
    subsidiary = a_case(protection_status=ProtectionStatus.SUBSIDIARY_PROTECTION,
                        permit_expires_on=date(2025, 1, 31))
    subsidiary.correct_intake(
        {CorrectableField.PROTECTION_STATUS: "humanitarian_protection"}, A_REASON, ACTOR, LATER)
    assert (subsidiary.protection_status, subsidiary.permit_expires_on) == (
        ProtectionStatus.HUMANITARIAN_PROTECTION, date(2025, 1, 31))
    assert recorded(subsidiary)[-1][1]["case_code"] == "FI-2021-00001"
    expired = a_case(protection_status=ProtectionStatus.SUBSIDIARY_PROTECTION,
                     permit_expires_on=INTAKE_DATE)
    expired.correct_intake(
        {CorrectableField.PROTECTION_STATUS: "humanitarian_protection"}, A_REASON, ACTOR, LATER)
    assert refusal(lambda: a_case(
        protection_status=ProtectionStatus.SUBSIDIARY_PROTECTION,
        permit_expires_on=date(2022, 3, 10)).correct_intake(
        {CorrectableField.PERMIT_EXPIRES_ON: "2021-03-09",
         CorrectableField.PROTECTION_STATUS: "humanitarian_protection"}, A_REASON, ACTOR,
        LATER))[2] == {"field": "permit_expires_on"}
    assert refusal(lambda: a_case().correct_intake(
        {CorrectableField.PROTECTION_STATUS: "stateless"}, A_REASON, ACTOR, LATER)) == (
        "invalid_correction", "A stateless person has no citizenship.",
        {"field": "citizenship"})
    stateless = a_case()
    stateless.correct_intake({CorrectableField.PROTECTION_STATUS: "stateless",
                              CorrectableField.CITIZENSHIP: None}, A_REASON, ACTOR, LATER)
    assert (stateless.protection_status, stateless.citizenship) == (
        ProtectionStatus.STATELESS, None)


def test_a_correction_records_every_field() -> None:
    case = a_case(household_size=2)
    case.correct_intake({CorrectableField.HOUSEHOLD_SIZE: 1}, A_REASON, ACTOR, LATER)
    ((name, fields),) = recorded(case)
    assert name == "IntakeCorrected"
    assert {key: fields[key] for key in (
        "timestamp", "case_code", "city", "reason_id", "reason_digest", "priority_group",
        "actor", "legacy_texts")} == {
        "timestamp": LATER, **CASE_FIELDS, "reason_id": A_REASON.text_id,
        "reason_digest": A_REASON.digest, "priority_group": "international_protection",
        "actor": ACTOR.as_record(), "legacy_texts": None}
    assert [(c["field"], c["before"], c["after"]) for c in fields["changes"]] == [
        ("household_size", 2, 1)]
    assert case.household_size == 1


@pytest.mark.parametrize(("fact", "value"), [
    (CorrectableField.HOUSEHOLD_SIZE, 0), (CorrectableField.HOUSEHOLD_SIZE, True),
    (CorrectableField.HOUSEHOLD_SIZE, "2"), (CorrectableField.PERMIT_EXPIRES_ON, 20250131),
    (CorrectableField.PERMIT_EXPIRES_ON, "31/01/2025"), (CorrectableField.CITIZENSHIP, "Er"),
    (CorrectableField.SEX, "x"), (CorrectableField.PROTECTION_STATUS, "citizen"),
    (CorrectableField.VULNERABILITIES, ["tall"]),
])
def test_a_corrected_value_an_intake_could_not_have_is_refused(
    fact: CorrectableField, value: object
) -> None:
    case = a_case(protection_status=ProtectionStatus.SUBSIDIARY_PROTECTION,
                  permit_expires_on=date(2025, 1, 31), household_size=2)
    assert refusal(lambda: case.correct_intake({fact: value}, A_REASON, ACTOR, LATER)) == (
        "invalid_correction", "The corrected value is not a valid one for this fact.",
        {"field": fact.value})


def test_a_permit_s_expiry_is_a_day_not_a_moment() -> None:
    case = a_case(protection_status=ProtectionStatus.SUBSIDIARY_PROTECTION,
                  permit_expires_on=date(2025, 1, 31))
    assert refusal(lambda: case.correct_intake(
        {CorrectableField.PERMIT_EXPIRES_ON: datetime(2026, 1, 31, tzinfo=UTC)}, A_REASON,
        ACTOR, LATER))[2] == {"field": "permit_expires_on"}
    case.correct_intake({CorrectableField.PERMIT_EXPIRES_ON: date(2026, 1, 31)}, A_REASON,
                        ACTOR, LATER)
    assert case.permit_expires_on == date(2026, 1, 31)


JOB = Actor(ActorKind.SYSTEM, "lgnet-age-job", Role.SYSTEM)


def test_the_age_job_counts_a_birthday_on_the_last_day_of_the_month_just_ended() -> None:
    born = date(2003, 5, 31)  # 18 on 31 May 2021, the last day of the month
    case = a_case(birth_date=born)
    case.follow_age(born, JOB, datetime(2021, 6, 1, 3, 0, tzinfo=UTC))
    assert [(name, fields["from_month"]) for name, fields in recorded(case)] == [
        ("CameOfAge", "2021-06"), ("AgeBandChanged", "2021-06")]


def test_the_age_job_leaves_a_birthday_of_the_month_under_way_to_its_next_run() -> None:
    born = date(2003, 6, 1)  # 18 on 1 June 2021: June is not over on the 1st
    case = a_case(birth_date=born)
    case.follow_age(born, JOB, datetime(2021, 6, 1, 3, 0, tzinfo=UTC))
    assert recorded(case) == []
    case.follow_age(born, JOB, datetime(2021, 6, 30, 3, 0, tzinfo=UTC))
    assert recorded(case) == []
    case.follow_age(born, JOB, datetime(2021, 7, 1, 3, 0, tzinfo=UTC))
    assert [name for name, _ in recorded(case)] == ["CameOfAge", "AgeBandChanged"]


def test_a_person_born_on_the_intake_date_is_followed() -> None:
    case = a_case(birth_date=INTAKE_DATE, household_size=2)
    case.follow_age(INTAKE_DATE, JOB, datetime(2021, 6, 1, 3, 0, tzinfo=UTC))
    assert recorded(case) == []


def test_a_case_is_rebanded_into_the_scheme_the_job_is_given() -> None:
    case = a_case()  # born 17 May 1990: 30 at the intake, 18-34 in Eurostat's bands
    run_at = datetime(2021, 6, 1, 3, 0, tzinfo=UTC)
    case.follow_age(date(1990, 5, 17), JOB, run_at, AgeScheme.LEGACY)
    assert recorded(case) == [("AgeBandChanged", {
        "timestamp": run_at, **CASE_FIELDS, "from_month": "2021-06", "age_band": "25-34",
        "previous_age_band": "18-34", "reason": "scheme", "actor": JOB.as_record()})]


def test_a_closure_without_a_reason_keeps_none() -> None:
    case = a_case()
    case.close(CaseOutcome.AUTONOMY, TODAY, None, ACTOR, LATER)
    assert case.closure is not None and case.closure.reason is None
    case.reopen(TODAY, A_REASON, ACTOR, LATER)
    case.close(CaseOutcome.AUTONOMY, TODAY, A_REASON, ACTOR, LATER)
    assert case.closure is not None and case.closure.reason == A_REASON


def test_a_new_case_starts_with_what_the_intake_said_and_nothing_else() -> None:
    case = a_case(has_identity_document=False, consents=frozenset({PHOTOS}))
    assert case.has_identity_document is False
    assert a_case().has_identity_document is True
    assert case.information_notice == InformationNotice(INTAKE_DATE, "ti")
    assert case.consents == {PHOTOS: ConsentRecord(PHOTOS, INTAKE_DATE)}
    assert (case.personal_data_erased, case.erasure, case.adult_from,
            case.other_vulnerability) == (False, None, None, None)
    assert case.personal_data_erased is False


# --- left by the whole-tree mutation run of 7 December 2026 ----------------------------------


def test_a_status_decision_is_checked_against_its_permit_and_the_person() -> None:
    """The decision's own expiry and the person's citizenship reach the status checks (the
    intake's, `_check_status`); the abolished status is refused with the whole message."""
    case = a_case(protection_status=ProtectionStatus.ASYLUM_SEEKER)
    assert refusal(lambda: case.change_status(
        TODAY, ProtectionStatus.HUMANITARIAN_PROTECTION, date(2022, 1, 1), ACTOR, LATER)) == (
        "invalid_protection_status",
        "This status could not be granted on that date: humanitarian protection was abolished "
        "by d.l. 113/2018 (5 October 2018), which introduced special protection, the \"casi "
        "speciali\" and the permits of art. 19 c.2 d-bis, 20-bis and 42-bis TUI.",
        {"field": "protection_status"})
    assert refusal(lambda: case.change_status(
        TODAY, ProtectionStatus.NO_VALID_PERMIT, date(2022, 1, 1), ACTOR, LATER)) == (
        "invalid_protection_status", "A person without a valid permit has no permit expiry.",
        {"field": "permit_expires_on"})
    assert refusal(lambda: case.change_status(
        TODAY, ProtectionStatus.STATELESS, None, ACTOR, LATER)) == (
        "invalid_protection_status", "A stateless person has no citizenship.",
        {"field": "citizenship"})
    assert recorded(case) == []


def test_a_status_decision_records_the_eligibility_of_a_vulnerable_person() -> None:
    case = a_case(protection_status=ProtectionStatus.ASYLUM_SEEKER,
                  vulnerabilities=frozenset({Vulnerability.DISABILITY}))
    case.change_status(INTAKE_DATE, ProtectionStatus.REFUGEE, None, ACTOR, LATER)
    ((name, fields),) = recorded(case)
    assert (name, fields["eligibility"]) == ("StatusChanged", [
        {"sub_action": "2", "eligible": False, "reason": "not_asylum_seeker"},
        {"sub_action": "3", "eligible": True, "reason": "vulnerable"},
        {"sub_action": "4", "eligible": True, "reason": "international_protection_first"},
    ])
