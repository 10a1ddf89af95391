"""Issue 12 items 7-8: the guardian of an unaccompanied minor (l. 47/2017: that and when, never
who), vulnerabilities declared or assessed (art. 17 c.1 d.lgs. 142/2015: "accertata"), and
`other` vulnerabilities (the list is illustrative, "quali"), described in free text kept only in
the vault, under the person's key."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.cases.model import (
    Assessment,
    Case,
    GuardianNotApplicable,
    InvalidGuardianAppointment,
    InvalidVulnerabilityAssessment,
    InvalidVulnerabilityDescription,
    PersonalDataAlreadyErased,
)
from domain.cases.rules import AssessingService, Vulnerability
from domain.cases.service import CaseService
from domain.programme import DomainError
from domain.record import ProgrammeRecord
from infra.store.vault import SqliteVault
from tests.builders import NOW, a_coordinator, a_person, an_intake

LATER = NOW + timedelta(days=10)  # 20 March 2021
TODAY = date(2021, 3, 20)
UNACCOMPANIED = frozenset({Vulnerability.UNACCOMPANIED_MINOR})
MINOR_BIRTH = date(2005, 1, 1)


def refused_with(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, object]:
    return error.value.code, error.value.params.get("field")


def take_in(**overrides: Any) -> Case:
    case = Case.take_in(uuid4(), "FI-2021-00001", an_intake(**overrides), a_coordinator(), NOW)
    case.collect_events()
    return case


def a_minor_alone() -> Case:
    return take_in(birth_date=MINOR_BIRTH, vulnerabilities=UNACCOMPANIED)


# --- the guardian -------------------------------------------------------------------------------


def test_an_unaccompanied_minor_without_a_guardian_is_flagged_until_one_is_appointed() -> None:
    """L. 47/2017: a guardian (tutore) is appointed; the platform records that and when."""
    case = a_minor_alone()
    assert case.needs_guardian
    case.appoint_guardian(date(2021, 3, 15), a_coordinator(), LATER)
    (event,) = case.collect_events()
    assert isinstance(event, Case.GuardianAppointed)
    assert (event.case_code, event.city, event.appointed_on) == (
        "FI-2021-00001", "firenze", date(2021, 3, 15))
    assert event.actor == a_coordinator().as_record()
    assert set(vars(event)) - {"originator_id", "originator_version", "timestamp"} == {
        "case_code", "city", "appointed_on", "actor"}  # never who
    assert not case.needs_guardian


def test_a_guardian_is_only_for_an_unaccompanied_minor() -> None:
    for case in (take_in(), take_in(birth_date=MINOR_BIRTH)):
        with pytest.raises(GuardianNotApplicable) as refused:
            case.appoint_guardian(date(2021, 3, 15), a_coordinator(), LATER)
        assert refused_with(refused) == ("guardian_not_applicable", "case")
        assert not case.needs_guardian


def test_a_guardian_may_be_appointed_today_or_before_the_intake_but_not_tomorrow() -> None:
    case = a_minor_alone()
    with pytest.raises(InvalidGuardianAppointment) as refused:
        case.appoint_guardian(TODAY + timedelta(days=1), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_guardian_appointment", "appointed_on")
    case.appoint_guardian(TODAY, a_coordinator(), LATER)
    before_intake = a_minor_alone()
    before_intake.appoint_guardian(date(2020, 11, 2), a_coordinator(), LATER)
    assert before_intake.guardian_appointed_on == date(2020, 11, 2)


def test_a_new_guardian_replaces_the_former_one_and_is_dated_after_it() -> None:
    case = a_minor_alone()
    case.appoint_guardian(date(2021, 3, 15), a_coordinator(), LATER)
    with pytest.raises(InvalidGuardianAppointment) as refused:
        case.appoint_guardian(date(2021, 3, 15), a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_guardian_appointment", "appointed_on")
    case.appoint_guardian(date(2021, 3, 16), a_coordinator(), LATER)
    assert case.guardian_appointed_on == date(2021, 3, 16)


# --- declared or assessed -----------------------------------------------------------------------


def test_a_vulnerability_is_declared_until_a_service_assesses_it() -> None:
    """Art. 17 c.1 d.lgs. 142/2015: torture and violence are those "accertate"; each recorded
    vulnerability says whether it is declared or assessed, when and by which kind of service."""
    case = take_in(vulnerabilities=frozenset({Vulnerability.TORTURE_OR_SERIOUS_VIOLENCE}))
    assert case.assessment_of(Vulnerability.TORTURE_OR_SERIOUS_VIOLENCE) is None  # declared
    case.assess_vulnerability(Vulnerability.TORTURE_OR_SERIOUS_VIOLENCE, date(2021, 3, 18),
                              AssessingService.HEALTH_SERVICE, a_coordinator(), LATER)
    (event,) = case.collect_events()
    assert isinstance(event, Case.VulnerabilityAssessed)
    assert (event.case_code, event.city, event.vulnerability, event.assessed_on,
            event.assessed_by) == ("FI-2021-00001", "firenze", "torture_or_serious_violence",
                                   date(2021, 3, 18), "health_service")
    assert event.vulnerabilities == ["torture_or_serious_violence"]
    assert event.actor == a_coordinator().as_record()
    assert case.assessment_of(Vulnerability.TORTURE_OR_SERIOUS_VIOLENCE) == Assessment(
        date(2021, 3, 18), AssessingService.HEALTH_SERVICE)


def test_an_assessment_of_a_vulnerability_not_declared_records_it_and_eligibility_follows(
) -> None:
    case = take_in()
    case.assess_vulnerability(Vulnerability.TRAFFICKING_VICTIM, date(2021, 3, 18),
                              AssessingService.ANTI_TRAFFICKING_PROGRAMME, a_coordinator(), LATER)
    (event,) = case.collect_events()
    assert isinstance(event, Case.VulnerabilityAssessed)
    assert event.vulnerabilities == ["trafficking_victim"]
    assert {e["sub_action"]: e["reason"] for e in event.eligibility}["3"] == "vulnerable"
    assert case.vulnerabilities == [Vulnerability.TRAFFICKING_VICTIM]
    assert case.fact_versions["vulnerabilities"] == event.originator_version


def test_an_assessment_is_dated_up_to_today_and_not_recorded_twice() -> None:
    case = take_in(vulnerabilities=frozenset({Vulnerability.DISABILITY}))
    with pytest.raises(InvalidVulnerabilityAssessment) as refused:
        case.assess_vulnerability(Vulnerability.DISABILITY, TODAY + timedelta(days=1),
                                  AssessingService.HEALTH_SERVICE, a_coordinator(), LATER)
    assert refused_with(refused) == ("invalid_vulnerability_assessment", "assessed_on")
    case.assess_vulnerability(Vulnerability.DISABILITY, TODAY, AssessingService.HEALTH_SERVICE,
                              a_coordinator(), LATER)
    with pytest.raises(InvalidVulnerabilityAssessment) as twice:
        case.assess_vulnerability(Vulnerability.DISABILITY, TODAY,
                                  AssessingService.HEALTH_SERVICE, a_coordinator(), LATER)
    assert refused_with(twice) == ("invalid_vulnerability_assessment", "assessed_on")
    case.assess_vulnerability(Vulnerability.DISABILITY, TODAY, AssessingService.SOCIAL_SERVICE,
                              a_coordinator(), LATER)


@pytest.mark.parametrize(
    ("vulnerability", "birth_date"),
    [(Vulnerability.MINOR, MINOR_BIRTH), (Vulnerability.UNACCOMPANIED_MINOR, date(1990, 1, 1)),
     (Vulnerability.OTHER, date(1990, 1, 1))],
)
def test_minority_is_not_assessed_an_adult_is_no_unaccompanied_minor_other_is_described_first(
    vulnerability: Vulnerability, birth_date: date,
) -> None:
    case = take_in(birth_date=birth_date)
    with pytest.raises(InvalidVulnerabilityAssessment) as refused:
        case.assess_vulnerability(vulnerability, TODAY, AssessingService.OTHER, a_coordinator(),
                                  LATER)
    assert refused_with(refused) == ("invalid_vulnerability_assessment", "vulnerability")


# --- other vulnerabilities: free text in the vault ----------------------------------------------


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CaseService]:
    vault = SqliteVault(tmp_path / "vault.sqlite", bytes(range(32)))
    yield CaseService(ProgrammeRecord(), vault)
    vault.close()


def test_an_other_vulnerability_is_kept_encrypted_in_the_vault_and_the_event_has_its_id_and_digest(
    service: CaseService, tmp_path: Path,
) -> None:
    """The description is free text, personal data (ARCHITECTURE firm point 5): it is stored
    under the person's key; the events carry only its id and a digest."""
    text = "Sordità parziale: certificato in arrivo dal Dr. Quortlemaine"
    text_id = uuid4()
    receipt = service.record_intake(
        uuid4(), an_intake(vulnerabilities=frozenset({Vulnerability.OTHER})), a_person(),
        a_coordinator(), NOW, other_vulnerability_description=f"  {text} ",
        new_id=lambda: text_id)
    events = list(service.record.events.get(receipt.case_id))
    intake, described = events
    assert isinstance(intake, Case.IntakeRecorded)
    assert intake.vulnerabilities == ["other"]
    assert isinstance(described, Case.OtherVulnerabilityDescribed)
    assert described.description_id == text_id
    assert re.fullmatch(r"[0-9a-f]{64}", described.description_digest)
    assert all("Quortlemaine" not in repr(e) for e in events)
    assert b"Quortlemaine" not in (tmp_path / "vault.sqlite").read_bytes()
    assert service.other_vulnerability_description(receipt.case_id) == text


def test_erasure_shreds_the_description_with_the_person(service: CaseService) -> None:
    """GDPR art. 17: erasing the person's key erases every text kept under it."""
    receipt = service.record_intake(
        uuid4(), an_intake(vulnerabilities=frozenset({Vulnerability.OTHER})), a_person(),
        a_coordinator(), NOW, other_vulnerability_description="Hearing loss", new_id=uuid4)
    service.erase_personal_data(receipt.case_id, TODAY, "PG-2021-7", a_coordinator(), LATER)
    assert service.other_vulnerability_description(receipt.case_id) is None
    with pytest.raises((InvalidVulnerabilityDescription, PersonalDataAlreadyErased)):
        service.describe_other_vulnerability(
            receipt.case_id, uuid4(), "Another text", a_coordinator(), LATER)


def test_a_new_description_replaces_the_former_one(service: CaseService) -> None:
    receipt = service.record_intake(
        uuid4(), an_intake(vulnerabilities=frozenset({Vulnerability.OTHER})), a_person(),
        a_coordinator(), NOW, other_vulnerability_description="First words", new_id=uuid4)
    service.describe_other_vulnerability(receipt.case_id, uuid4(), "Better words",
                                         a_coordinator(), LATER)
    assert service.other_vulnerability_description(receipt.case_id) == "Better words"


@pytest.mark.parametrize(
    ("vulnerabilities", "description"),
    [(frozenset({Vulnerability.OTHER}), None), (frozenset({Vulnerability.OTHER}), "   "),
     (frozenset({Vulnerability.OTHER}), "x" * 1001), (frozenset(), "Says something")],
)
def test_other_needs_its_description_of_up_to_1000_characters_and_only_other_has_one(
    service: CaseService, vulnerabilities: frozenset[Vulnerability], description: str | None,
) -> None:
    with pytest.raises(InvalidVulnerabilityDescription) as refused:
        service.record_intake(uuid4(), an_intake(vulnerabilities=vulnerabilities), a_person(),
                              a_coordinator(), NOW, other_vulnerability_description=description,
                              new_id=uuid4)
    assert refused_with(refused) == (
        "invalid_vulnerability_description", "other_vulnerability_description")
    assert service.record.recorder.max_notification_id() in (None, 0)


def test_a_description_of_1000_characters_is_kept(service: CaseService) -> None:
    receipt = service.record_intake(
        uuid4(), an_intake(vulnerabilities=frozenset({Vulnerability.OTHER})), a_person(),
        a_coordinator(), NOW, other_vulnerability_description="x" * 1000, new_id=uuid4)
    assert service.other_vulnerability_description(receipt.case_id) == "x" * 1000


def test_a_description_for_a_case_without_other_is_refused_and_nothing_is_kept(
    service: CaseService,
) -> None:
    receipt = service.record_intake(uuid4(), an_intake(), a_person(), a_coordinator(), NOW)
    text_id = uuid4()
    with pytest.raises(InvalidVulnerabilityDescription) as refused:
        service.describe_other_vulnerability(receipt.case_id, text_id, "Words", a_coordinator(),
                                             LATER)
    assert refused_with(refused) == ("invalid_vulnerability_description", "other_vulnerability")
    assert service.vault.read_text(receipt.case_id, text_id) is None


def test_the_digest_is_keyed_by_the_person_so_the_same_text_gives_different_digests(
    service: CaseService,
) -> None:
    """A plain hash of a short text ("deaf") could be checked against guesses; a digest keyed
    with the person's key cannot, and dies with it."""
    digests: list[str] = []
    for _person in range(2):
        case_id = uuid4()
        service.vault.store(case_id, a_person())
        digests.append(service.vault.store_text(case_id, UUID(int=1), "deaf"))
    assert digests[0] != digests[1]


def test_the_age_job_skips_an_erased_person(service: CaseService) -> None:
    receipt = service.record_intake(uuid4(), an_intake(birth_date=MINOR_BIRTH), a_person(),
                                    a_coordinator(), NOW)
    service.erase_personal_data(receipt.case_id, TODAY, "PG-2021-7", a_coordinator(), LATER)
    from domain.cases.service import AgeFollowed
    from infra.ages import AGE_JOB_ACTOR

    later = datetime(2024, 1, 2, tzinfo=UTC)
    assert service.follow_age(receipt.case_id, AGE_JOB_ACTOR, later) is AgeFollowed.ERASED
    assert service.get(receipt.case_id).is_minor


def test_a_vulnerability_an_assessment_records_counts_from_the_assessment_day() -> None:
    """Issue 12 items 4 and 8: eligibility as of a date before the assessment does not see the
    vulnerability it recorded; from the assessment's day it does. A vulnerability declared at
    intake and assessed later counted from the intake all along."""
    case = take_in(vulnerabilities=frozenset({Vulnerability.DISABILITY}))
    case.assess_vulnerability(Vulnerability.TRAFFICKING_VICTIM, date(2021, 3, 18),
                              AssessingService.ANTI_TRAFFICKING_PROGRAMME, a_coordinator(), LATER)
    case.assess_vulnerability(Vulnerability.DISABILITY, date(2021, 3, 19),
                              AssessingService.HEALTH_SERVICE, a_coordinator(), LATER)
    assert case.vulnerabilities_on(date(2021, 3, 17)) == {Vulnerability.DISABILITY}
    assert case.vulnerabilities_on(date(2021, 3, 18)) == {
        Vulnerability.DISABILITY, Vulnerability.TRAFFICKING_VICTIM}
    only_assessed = take_in()
    only_assessed.assess_vulnerability(
        Vulnerability.TRAFFICKING_VICTIM, date(2021, 3, 18),
        AssessingService.ANTI_TRAFFICKING_PROGRAMME, a_coordinator(), LATER)

    def take_in_reason(day: date) -> str:
        return next(e.reason.value for e in only_assessed.eligibility_on(day)
                    if e.sub_action.value == "3")

    assert take_in_reason(date(2021, 3, 17)) == "not_vulnerable_yet_outside_reception"
    assert take_in_reason(date(2021, 3, 18)) == "vulnerable"
