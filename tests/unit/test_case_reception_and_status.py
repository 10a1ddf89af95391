"""Issue 12, items 2, 3, 4, 6 and 12, on the case aggregate alone: who may be taken in (a person
still in reception too), reception centres by the name they had on each date, the protection
statuses of the period with their permits, a status change as a dated decision (not a
correction) and eligibility as of each date, and people without citizenship, document or a
stated sex. Each test cites the card's sentence or the article it encodes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.cases.model import (
    Case,
    CaseClosed,
    InconsistentReceptionHistory,
    InvalidCorrection,
    InvalidProtectionStatus,
    InvalidStatusChange,
    ReceptionHistory,
    ReceptionNameOutOfPeriod,
    event_id_of,
)
from domain.cases.rules import (
    SAI_FROM,
    SIPROIMI_FROM,
    CaseOutcome,
    CorrectableField,
    EligibilityReason,
    PriorityGroup,
    ReceptionCentreKind,
    ReceptionSituation,
    Sex,
    can_be_granted_on,
)
from domain.programme import DomainError, ProtectionStatus, SubAction
from tests.builders import INTAKE_DATE, NOW, a_coordinator, a_reason, an_intake

IN_CAS = ReceptionHistory(ReceptionSituation.IN_RECEPTION, centre_kind=ReceptionCentreKind.CAS)
LATER = NOW + timedelta(days=100)  # 2021-06-18



def events_of(aggregate: Any) -> list[Any]:
    """The events an aggregate recorded, as Any: each test asserts the fields of its own."""
    return list(aggregate.collect_events())

def take_in(**overrides: Any) -> Case:
    return Case.take_in(uuid4(), "FI-2021-00001", an_intake(**overrides), a_coordinator(), NOW)


def refused_with(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, object]:
    return error.value.code, error.value.params.get("field")


def eligibility(records: Any) -> dict[str, tuple[bool, str]]:
    return {
        str(e["sub_action"] if isinstance(e, dict) else e.sub_action.value): (
            (e["eligible"], e["reason"]) if isinstance(e, dict)
            else (e.eligible, e.reason.value))
        for e in records
    }


def left(kind: ReceptionCentreKind, on: date) -> ReceptionHistory:
    return ReceptionHistory(ReceptionSituation.LEFT_RECEPTION, left_on=on, centre_kind=kind)


# --- item 2: a person in reception may be taken in --------------------------------------------


def test_an_applicant_still_in_reception_is_taken_in_for_sub_action_2_only() -> None:
    """DOMAIN.md: "Sub-Action 2 is exclusively for applicants for international protection, who
    are usually still hosted in reception (CAS, government first-reception centres) ...: a
    person in reception must be recordable, and eligibility per sub-action decides what they
    may receive"; Sub-Actions 3 and 4 serve people out of reception or leaving it."""
    case = take_in(protection_status=ProtectionStatus.ASYLUM_SEEKER, reception=IN_CAS)
    (event,) = events_of(case)
    assert (event.reception_situation, event.reception_centre_kind, event.left_reception_on,
            event.planned_exit_on) == ("in_reception", "cas", None, None)
    assert eligibility(event.eligibility) == {
        "2": (True, "asylum_seeker"),
        "3": (False, "in_reception"),
        "4": (False, "in_reception"),
    }
    assert event.priority_group == "other_outside_reception"


def test_a_person_leaving_reception_records_the_planned_exit_and_is_served_by_3_and_4() -> None:
    """The card serves "persone in uscita dai centri di accoglienza": with the planned exit
    date recorded, Sub-Actions 3 and 4 are open to them."""
    leaving = ReceptionHistory(ReceptionSituation.LEAVING_RECEPTION,
                               centre_kind=ReceptionCentreKind.SAI,
                               planned_exit_on=date(2021, 4, 30))
    case = take_in(protection_status=ProtectionStatus.SPECIAL_PROTECTION, reception=leaving)
    (event,) = events_of(case)
    assert (event.reception_situation, event.planned_exit_on, event.reception_centre_kind) == (
        "leaving_reception", date(2021, 4, 30), "sai")
    assert eligibility(event.eligibility) == {
        "2": (False, "not_asylum_seeker"),
        "3": (True, "leaving_reception"),
        "4": (True, "leaving_reception"),
    }


def test_a_refugee_leaving_reception_still_comes_first_for_housing() -> None:
    leaving = ReceptionHistory(ReceptionSituation.LEAVING_RECEPTION,
                               centre_kind=ReceptionCentreKind.SAI,
                               planned_exit_on=INTAKE_DATE)
    case = take_in(reception=leaving, vulnerabilities=frozenset())
    assert eligibility(case.eligibility)["4"] == (True, "international_protection_first")


def test_the_planned_exit_may_be_the_intake_date_but_not_before_it() -> None:
    at_limit = ReceptionHistory(ReceptionSituation.LEAVING_RECEPTION,
                                centre_kind=ReceptionCentreKind.CAS, planned_exit_on=INTAKE_DATE)
    assert take_in(reception=at_limit).planned_exit_on == INTAKE_DATE
    with pytest.raises(InconsistentReceptionHistory) as refused:
        take_in(reception=replace(at_limit, planned_exit_on=INTAKE_DATE - timedelta(days=1)))
    assert refused_with(refused) == ("inconsistent_reception_history", "planned_exit_on")


@pytest.mark.parametrize(("reception", "field"), [
    (ReceptionHistory(ReceptionSituation.IN_RECEPTION), "reception_centre_kind"),
    (ReceptionHistory(ReceptionSituation.LEAVING_RECEPTION, centre_kind=ReceptionCentreKind.CAS),
     "planned_exit_on"),
    (replace(IN_CAS, planned_exit_on=date(2021, 4, 1)), "planned_exit_on"),
    (replace(IN_CAS, left_on=date(2021, 1, 1)), "left_reception_on"),
    (ReceptionHistory(ReceptionSituation.NEVER_IN_RECEPTION,
                      centre_kind=ReceptionCentreKind.CAS), "reception_centre_kind"),
])
def test_each_reception_situation_has_exactly_its_dates_and_centre(
    reception: ReceptionHistory, field: str,
) -> None:
    with pytest.raises(InconsistentReceptionHistory) as refused:
        take_in(reception=reception)
    assert refused_with(refused) == ("inconsistent_reception_history", field)


def test_a_person_may_have_left_reception_on_the_intake_date_but_not_after() -> None:
    assert take_in(reception=left(ReceptionCentreKind.CAS, INTAKE_DATE)).left_reception_on == (
        INTAKE_DATE)
    with pytest.raises(InconsistentReceptionHistory) as refused:
        take_in(reception=left(ReceptionCentreKind.CAS, INTAKE_DATE + timedelta(days=1)))
    assert refused_with(refused) == ("inconsistent_reception_history", "left_reception_on")


# --- item 12: reception names by date ---------------------------------------------------------


@pytest.mark.parametrize(("kind", "on"), [
    (ReceptionCentreKind.SPRAR, SIPROIMI_FROM - timedelta(days=1)),
    (ReceptionCentreKind.SIPROIMI, SIPROIMI_FROM),
    (ReceptionCentreKind.SIPROIMI, SAI_FROM - timedelta(days=1)),
    (ReceptionCentreKind.SAI, SAI_FROM),
    (ReceptionCentreKind.CAS, date(2017, 1, 1)),
    (ReceptionCentreKind.GOVERNMENT_FIRST_RECEPTION, date(2019, 8, 1)),
    (ReceptionCentreKind.HOTSPOT, date(2020, 2, 1)),
])
def test_a_centre_left_is_named_as_it_was_on_the_day_left(
    kind: ReceptionCentreKind, on: date,
) -> None:
    """DOMAIN.md: SPRAR until 2018; SIPROIMI from 5 Oct 2018 (d.l. 113/2018); SAI from 22 Oct
    2020 (d.l. 130/2020); CAS throughout; government first-reception centres and hotspots are
    distinct kinds."""
    assert take_in(reception=left(kind, on)).reception_centre_kind is kind


@pytest.mark.parametrize(("kind", "on", "expected"), [
    (ReceptionCentreKind.SAI, date(2019, 9, 1), "siproimi"),  # issue 12: "left SAI in 2019"
    (ReceptionCentreKind.SAI, SAI_FROM - timedelta(days=1), "siproimi"),
    (ReceptionCentreKind.SIPROIMI, SIPROIMI_FROM - timedelta(days=1), "sprar"),
    (ReceptionCentreKind.SIPROIMI, SAI_FROM, "sai"),
    (ReceptionCentreKind.SPRAR, SIPROIMI_FROM, "siproimi"),
])
def test_a_reception_name_the_centre_did_not_have_on_that_day_is_refused(
    kind: ReceptionCentreKind, on: date, expected: str,
) -> None:
    """Issue 12 item 12: a "left SAI in 2019" is refused as impossible."""
    with pytest.raises(ReceptionNameOutOfPeriod) as refused:
        take_in(reception=left(kind, on))
    assert refused_with(refused) == ("reception_name_out_of_period", "reception_centre_kind")
    assert refused.value.params["expected"] == expected


def test_a_person_in_reception_is_in_a_centre_named_as_on_the_intake_date() -> None:
    """On 10 March 2021 the second-line network is SAI (d.l. 130/2020): not SIPROIMI."""
    with pytest.raises(ReceptionNameOutOfPeriod):
        take_in(reception=ReceptionHistory(ReceptionSituation.IN_RECEPTION,
                                           centre_kind=ReceptionCentreKind.SIPROIMI))
    in_sai = ReceptionHistory(ReceptionSituation.IN_RECEPTION, centre_kind=ReceptionCentreKind.SAI)
    assert take_in(reception=in_sai).reception_centre_kind is ReceptionCentreKind.SAI


# --- item 3: the protection statuses of the period --------------------------------------------


def test_the_statuses_of_the_period_each_have_their_code() -> None:
    """DOMAIN.md, "Protection statuses in the period"; no status merges two legal situations."""
    assert {s.value for s in ProtectionStatus} == {
        "refugee", "subsidiary_protection", "asylum_seeker", "appellant",
        "humanitarian_protection", "special_cases", "special_protection",
        "permit_art_18", "permit_art_18_bis", "permit_art_19_c2_d_bis", "permit_art_20_bis",
        "permit_art_22_c12_quater", "permit_art_42_bis",
        "stateless", "no_valid_permit", "other_residence_permit",
    }


def test_the_intake_records_the_status_with_its_permit_s_expiry() -> None:
    case = take_in(protection_status=ProtectionStatus.PERMIT_ART_18,
                   permit_expires_on=date(2021, 9, 30))
    (event,) = events_of(case)
    assert (event.protection_status, event.permit_expires_on) == (
        "permit_art_18", date(2021, 9, 30))
    assert case.status_history[0].since == INTAKE_DATE


@pytest.mark.parametrize("status", [ProtectionStatus.ASYLUM_SEEKER, ProtectionStatus.APPELLANT])
def test_applicants_at_first_instance_and_on_appeal_may_join_sub_action_2(
    status: ProtectionStatus,
) -> None:
    """Art. 8 law 46/2017: civic engagement for applicants for international protection; an
    appellant (ricorrente) is still an applicant while the court decides."""
    assert eligibility(take_in(protection_status=status).eligibility)["2"] == (
        True, "asylum_seeker")
    assert SubAction.CIVIC_ENGAGEMENT.is_open_to(status)


def test_a_humanitarian_permit_counts_only_until_it_expires() -> None:
    """D.l. 113/2018 art. 1 c.8: humanitarian permits issued before 5 Oct 2018 stay valid until
    they expire. The expiry is needed; on the intake date itself it is still valid."""
    assert take_in(protection_status=ProtectionStatus.HUMANITARIAN_PROTECTION,
                   permit_expires_on=INTAKE_DATE).permit_expires_on == INTAKE_DATE
    for expiry in (None, INTAKE_DATE - timedelta(days=1)):
        with pytest.raises(InvalidProtectionStatus) as refused:
            take_in(protection_status=ProtectionStatus.HUMANITARIAN_PROTECTION,
                    permit_expires_on=expiry)
        assert refused_with(refused) == ("invalid_protection_status", "permit_expires_on")


def test_a_person_without_a_valid_permit_has_no_permit_expiry() -> None:
    assert take_in(protection_status=ProtectionStatus.NO_VALID_PERMIT).permit_expires_on is None
    with pytest.raises(InvalidProtectionStatus) as refused:
        take_in(protection_status=ProtectionStatus.NO_VALID_PERMIT,
                permit_expires_on=date(2022, 1, 1))
    assert refused_with(refused) == ("invalid_protection_status", "permit_expires_on")


# --- item 6: stateless people, people without documents, sex as documents state it -------------


def test_a_stateless_person_is_recorded_without_citizenship() -> None:
    """1954 New York Convention: a stateless person has no citizenship; issue 12 item 6."""
    case = take_in(protection_status=ProtectionStatus.STATELESS, citizenship=None)
    (event,) = events_of(case)
    assert (event.protection_status, event.citizenship) == ("stateless", None)
    with pytest.raises(InvalidProtectionStatus) as refused:
        take_in(protection_status=ProtectionStatus.STATELESS, citizenship="ER")
    assert refused_with(refused) == ("invalid_protection_status", "citizenship")


def test_a_person_with_no_citizenship_need_not_hold_the_stateless_status() -> None:
    """Not yet recognised as stateless, an applicant may still have no citizenship."""
    case = take_in(protection_status=ProtectionStatus.ASYLUM_SEEKER, citizenship=None)
    assert case.citizenship is None


def test_a_person_without_any_document_is_recorded() -> None:
    (event,) = events_of(take_in(has_identity_document=False))
    assert event.has_identity_document is False


def test_sex_follows_the_documents_or_is_not_stated_with_no_third_category() -> None:
    """Issue 12 item 6: "'sex' follows the documents (M/F) with 'not stated' allowed"."""
    assert {s.value for s in Sex} == {"female", "male", "not_stated"}
    (event,) = events_of(take_in(sex=Sex.NOT_STATED))
    assert event.sex == "not_stated"


# --- item 4: a status change is a dated decision ----------------------------------------------


def an_applicant() -> Case:
    return take_in(protection_status=ProtectionStatus.ASYLUM_SEEKER, reception=IN_CAS,
                   permit_expires_on=date(2021, 6, 1))


def test_a_commission_s_decision_is_a_status_change_of_its_own() -> None:
    """Issue 12 item 4: StatusChanged (decision date, new status, permit expiry) is an event of
    its own, with eligibility and priority group computed again."""
    case = an_applicant()
    case.change_status(date(2021, 5, 20), ProtectionStatus.REFUGEE, date(2026, 5, 19),
                       a_coordinator(), LATER)
    _intake, event = events_of(case)
    assert isinstance(event, Case.StatusChanged)
    assert (event.case_code, event.city, event.decided_on, event.protection_status,
            event.permit_expires_on, event.priority_group) == (
        "FI-2021-00001", "firenze", date(2021, 5, 20), "refugee", date(2026, 5, 19),
        "international_protection")
    assert eligibility(event.eligibility) == {
        "2": (False, "not_asylum_seeker"), "3": (False, "in_reception"),
        "4": (False, "in_reception")}
    assert event.actor == a_coordinator().as_record() and event.timestamp == LATER
    assert case.protection_status is ProtectionStatus.REFUGEE
    assert case.priority_group == PriorityGroup.INTERNATIONAL_PROTECTION


def test_eligibility_is_computed_as_of_each_date() -> None:
    """Issue 12 item 4: "a person who becomes a refugee leaves Sub-Action 2's target group from
    that date, and the figures as of an earlier date still show them as an applicant"."""
    case = an_applicant()
    decided = date(2021, 5, 20)
    case.change_status(decided, ProtectionStatus.REFUGEE, None, a_coordinator(), LATER)
    before = case.status_on(decided - timedelta(days=1))
    assert before is not None and before.status is ProtectionStatus.ASYLUM_SEEKER
    assert eligibility(case.eligibility_on(decided - timedelta(days=1)))["2"] == (
        True, EligibilityReason.ASYLUM_SEEKER.value)
    assert eligibility(case.eligibility_on(decided))["2"] == (
        False, EligibilityReason.NOT_ASYLUM_SEEKER.value)
    assert case.status_on(INTAKE_DATE - timedelta(days=1)) is None
    assert case.eligibility_on(INTAKE_DATE - timedelta(days=1)) == ()


def test_a_status_change_is_not_a_correction_the_intake_stays_as_recorded() -> None:
    case = an_applicant()
    case.change_status(date(2021, 5, 20), ProtectionStatus.SUBSIDIARY_PROTECTION, None,
                       a_coordinator(), LATER)
    intake, _change = events_of(case)
    assert intake.protection_status == "asylum_seeker"
    assert [(d.since, d.status) for d in case.status_history] == [
        (INTAKE_DATE, ProtectionStatus.ASYLUM_SEEKER),
        (date(2021, 5, 20), ProtectionStatus.SUBSIDIARY_PROTECTION)]


def test_a_decision_is_dated_from_the_status_it_follows_to_today() -> None:
    case = an_applicant()
    for day in (INTAKE_DATE - timedelta(days=1), LATER.date() + timedelta(days=1)):
        with pytest.raises(InvalidStatusChange) as refused:
            case.change_status(day, ProtectionStatus.APPELLANT, None, a_coordinator(), LATER)
        assert refused_with(refused) == ("invalid_status_change", "decided_on")
    case.change_status(INTAKE_DATE, ProtectionStatus.APPELLANT, None, a_coordinator(), LATER)
    case.change_status(LATER.date(), ProtectionStatus.REFUGEE, None, a_coordinator(), LATER)
    with pytest.raises(InvalidStatusChange):
        case.change_status(LATER.date() - timedelta(days=1), ProtectionStatus.SPECIAL_PROTECTION,
                           None, a_coordinator(), LATER)


def test_a_decision_that_changes_nothing_is_refused_but_a_renewed_permit_is_recorded() -> None:
    case = an_applicant()
    with pytest.raises(InvalidStatusChange) as refused:
        case.change_status(date(2021, 5, 1), ProtectionStatus.ASYLUM_SEEKER, date(2021, 6, 1),
                           a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_status_change", "protection_status")
    case.change_status(date(2021, 5, 1), ProtectionStatus.ASYLUM_SEEKER, date(2021, 11, 1),
                       a_coordinator(), LATER)
    assert case.permit_expires_on == date(2021, 11, 1)


def test_a_permit_granted_by_a_decision_expires_after_it() -> None:
    case = an_applicant()
    with pytest.raises(InvalidStatusChange) as refused:
        case.change_status(date(2021, 5, 1), ProtectionStatus.SPECIAL_PROTECTION,
                           date(2021, 5, 1), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_status_change", "permit_expires_on")
    case.change_status(date(2021, 5, 1), ProtectionStatus.SPECIAL_PROTECTION,
                       date(2021, 5, 2), a_coordinator(), LATER)


def test_humanitarian_protection_is_never_granted_from_5_october_2018() -> None:
    """D.l. 113/2018 art. 1 (in force 5 Oct 2018) abolished humanitarian protection and brought
    in special protection and the "casi speciali"."""
    assert can_be_granted_on(ProtectionStatus.HUMANITARIAN_PROTECTION, date(2018, 10, 4))
    assert not can_be_granted_on(ProtectionStatus.HUMANITARIAN_PROTECTION, SIPROIMI_FROM)
    assert not can_be_granted_on(ProtectionStatus.SPECIAL_PROTECTION, date(2018, 10, 4))
    assert can_be_granted_on(ProtectionStatus.SPECIAL_PROTECTION, SIPROIMI_FROM)
    assert not can_be_granted_on(ProtectionStatus.SPECIAL_CASES, date(2018, 10, 4))
    with pytest.raises(InvalidProtectionStatus) as refused:
        an_applicant().change_status(date(2021, 5, 1), ProtectionStatus.HUMANITARIAN_PROTECTION,
                                     date(2023, 5, 1), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_protection_status", "protection_status")


def test_a_closed_case_takes_no_status_change() -> None:
    case = an_applicant()
    case.close(CaseOutcome.OTHER, date(2021, 4, 1), a_reason(), a_coordinator(), LATER)
    with pytest.raises(CaseClosed):
        case.change_status(date(2021, 5, 1), ProtectionStatus.REFUGEE, None, a_coordinator(),
                           LATER)


def test_a_correction_of_the_status_corrects_the_latest_decision_and_names_it() -> None:
    """Corrections stay for typing mistakes: after a decision, the status typed wrong is the
    decision's, and the correction names that event."""
    case = an_applicant()
    case.change_status(date(2021, 5, 20), ProtectionStatus.REFUGEE, None, a_coordinator(), LATER)
    case.correct_intake({CorrectableField.PROTECTION_STATUS: "subsidiary_protection"},
                        a_reason(), a_coordinator(), LATER)
    *_, correction = events_of(case)
    assert correction.changes == [{
        "field": "protection_status", "before": "refugee", "after": "subsidiary_protection",
        "corrects": event_id_of(case.id, 2)}]
    assert [(d.since, d.status) for d in case.status_history] == [
        (INTAKE_DATE, ProtectionStatus.ASYLUM_SEEKER),
        (date(2021, 5, 20), ProtectionStatus.SUBSIDIARY_PROTECTION)]


def test_a_correction_of_the_permit_s_expiry_and_citizenship_is_checked_like_the_intake() -> None:
    case = take_in(protection_status=ProtectionStatus.STATELESS, citizenship=None)
    case.correct_intake({CorrectableField.PERMIT_EXPIRES_ON: date(2025, 1, 31)}, a_reason(),
                        a_coordinator(), LATER)
    *_, correction = events_of(case)
    assert correction.changes[0] == {
        "field": "permit_expires_on", "before": None, "after": "2025-01-31",
        "corrects": event_id_of(case.id, 1)}
    assert case.permit_expires_on == date(2025, 1, 31)
    with pytest.raises(InvalidCorrection) as refused:
        case.correct_intake({CorrectableField.CITIZENSHIP: "ER"}, a_reason(), a_coordinator(),
                            LATER)
    assert refused_with(refused) == ("invalid_correction", "citizenship")
