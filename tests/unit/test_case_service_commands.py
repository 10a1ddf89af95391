"""The case service's commands after intake (issue 20): each one saves what the aggregate
records, field by field, returns the position it was saved at, and keeps nothing when it is
refused. A mutation run (docs/testing.md) showed no server-less test ran these commands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from domain.cases.model import (
    Case,
    CaseRegister,
    InvalidCorrection,
    InvalidGuardianAppointment,
    InvalidVulnerabilityDescription,
    PersonalDataAlreadyErased,
)
from domain.cases.rules import (
    AssessingService,
    CaseOutcome,
    CorrectableField,
    ErasureLegalBasis,
    Vulnerability,
)
from domain.cases.service import _SAVE_ATTEMPTS, AgeFollowed, CaseNotFound, CaseService
from domain.privacy import LegalBases, LegalBasis, ProcessingPurpose, UnknownOrganisation
from domain.programme import (
    Actor,
    ActorKind,
    City,
    DomainError,
    DomainErrors,
    ProtectionStatus,
    Role,
)
from domain.record import ProgrammeRecord
from domain.vault import AccessReason, TextReference
from infra.ages import AGE_JOB_ACTOR
from infra.store.vault import SqliteVault
from tests.builders import NOW, a_coordinator, a_person, an_intake, an_organisation

LATER = NOW + timedelta(days=10)
TODAY = LATER.date()
ACTOR = a_coordinator()
CASE_FIELDS = {"city": "firenze"}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CaseService]:
    vault = SqliteVault(tmp_path / "vault.sqlite", bytes(range(32)))
    yield CaseService(ProgrammeRecord(), vault)
    vault.close()


def taken_in(service: CaseService, **overrides: Any) -> UUID:
    facts = an_intake(**overrides)
    described = "At intake" if Vulnerability.OTHER in facts.vulnerabilities else None
    return service.record_intake(uuid4(), facts, a_person(), ACTOR, NOW, new_id=uuid4,
                                 other_vulnerability_description=described).case_id


def last_saved(service: CaseService, case_id: UUID) -> tuple[str, dict[str, Any]]:
    """The case's last stored event: its name and fields (without those the library sets)."""
    event = list(service.record.events.get(case_id))[-1]
    return type(event).__name__, {
        name: value for name, value in vars(event).items()
        if name not in ("originator_id", "originator_version", "originator_topic")}


def position(service: CaseService) -> int | None:
    return service.record.recorder.max_notification_id()


def test_a_status_decision_is_saved_as_given(service: CaseService) -> None:
    case_id = taken_in(service, protection_status=ProtectionStatus.ASYLUM_SEEKER)
    saved_at = service.change_status(case_id, date(2021, 3, 15),
                                     ProtectionStatus.SUBSIDIARY_PROTECTION, date(2026, 3, 14),
                                     ACTOR, LATER)
    assert saved_at == position(service)
    name, fields = last_saved(service, case_id)
    assert name == "StatusChanged"
    assert {key: fields[key] for key in (
        "timestamp", "city", "decided_on", "protection_status", "permit_expires_on",
        "actor")} == {
        "timestamp": LATER, **CASE_FIELDS, "decided_on": date(2021, 3, 15),
        "protection_status": "subsidiary_protection", "permit_expires_on": date(2026, 3, 14),
        "actor": ACTOR.as_record()}
    case = service.get(case_id)
    assert (case.protection_status, case.permit_expires_on) == (
        ProtectionStatus.SUBSIDIARY_PROTECTION, date(2026, 3, 14))


def test_a_consent_and_its_withdrawal_are_saved_as_given(service: CaseService) -> None:
    case_id = taken_in(service)
    service.give_consent(case_id, ProcessingPurpose.PHOTOGRAPHS, date(2021, 3, 12), ACTOR,
                         LATER)
    saved_at = service.withdraw_consent(case_id, ProcessingPurpose.PHOTOGRAPHS, TODAY, ACTOR,
                                        LATER)
    assert saved_at == position(service)
    assert last_saved(service, case_id) == ("ConsentWithdrawn", {
        "timestamp": LATER, "case_code": "FI-2021-00001", **CASE_FIELDS,
        "purpose": "photographs", "withdrawn_on": TODAY, "organisation_ids": [],
        "actor": ACTOR.as_record()})
    assert not service.get(case_id).has_consent_to(ProcessingPurpose.PHOTOGRAPHS)


def test_a_withdrawal_from_one_organisation_names_it(tmp_path: Path) -> None:
    caritas = an_organisation(City.FIRENZE, "Caritas")
    vault = SqliteVault(tmp_path / "vault.sqlite", bytes(range(32)))
    service = CaseService(ProgrammeRecord(), vault,
                          organisations={caritas.id: caritas}.__getitem__)
    try:
        case_id = taken_in(service)
        service.give_consent(case_id, ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER,
                             date(2021, 3, 12), ACTOR, LATER, [caritas.id])
        service.withdraw_consent(case_id, ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER, TODAY,
                                 ACTOR, LATER, [caritas.id])
        name, fields = last_saved(service, case_id)
        assert (name, fields["organisation_ids"], fields["withdrawn_on"]) == (
            "ConsentWithdrawn", [str(caritas.id)], TODAY)
        assert service.get(case_id).consented_organisations == []
    finally:
        vault.close()


def test_a_guardian_is_saved_as_given_and_a_refusal_saves_nothing(service: CaseService) -> None:
    case_id = taken_in(service, birth_date=date(2005, 1, 1),
                       vulnerabilities=frozenset({Vulnerability.UNACCOMPANIED_MINOR}))
    saved_at = service.appoint_guardian(case_id, date(2021, 3, 12), ACTOR, LATER)
    assert saved_at == position(service)
    assert last_saved(service, case_id) == ("GuardianAppointed", {
        "timestamp": LATER, "case_code": "FI-2021-00001", **CASE_FIELDS,
        "appointed_on": date(2021, 3, 12), "actor": ACTOR.as_record()})
    with pytest.raises(InvalidGuardianAppointment):
        service.appoint_guardian(case_id, TODAY + timedelta(days=1), ACTOR, LATER)
    assert position(service) == saved_at


def test_an_assessment_is_saved_as_given(service: CaseService) -> None:
    case_id = taken_in(service)
    saved_at = service.assess_vulnerability(
        case_id, Vulnerability.SERIOUS_ILLNESS, date(2021, 3, 1),
        AssessingService.SOCIAL_SERVICE, ACTOR, LATER)
    assert saved_at == position(service)
    name, fields = last_saved(service, case_id)
    assert name == "VulnerabilityAssessed"
    assert {key: fields[key] for key in (
        "timestamp", "city", "vulnerability", "assessed_on", "assessed_by",
        "vulnerabilities", "actor")} == {
        "timestamp": LATER, **CASE_FIELDS, "vulnerability": "serious_illness",
        "assessed_on": date(2021, 3, 1), "assessed_by": "social_service",
        "vulnerabilities": ["serious_illness"], "actor": ACTOR.as_record()}


def test_a_description_is_saved_by_reference_and_readable(service: CaseService) -> None:
    case_id = taken_in(service, vulnerabilities=frozenset({Vulnerability.OTHER}))
    service.describe_other_vulnerability(case_id, uuid4(), "First", ACTOR, NOW)
    text_id = uuid4()
    saved_at = service.describe_other_vulnerability(case_id, text_id, "  Second words ", ACTOR,
                                                    LATER)
    assert saved_at == position(service)
    name, fields = last_saved(service, case_id)
    assert (name, fields["timestamp"], fields["description_id"], fields["actor"]) == (
        "OtherVulnerabilityDescribed", LATER, text_id, ACTOR.as_record())
    assert service.get(case_id).other_vulnerability == TextReference(
        text_id, fields["description_digest"])
    assert re.fullmatch(r"[0-9a-f]{64}", fields["description_digest"])
    assert service.other_vulnerability_description(case_id) == "Second words"
    assert service.case_text(case_id, text_id) == "Second words"
    with pytest.raises(InvalidVulnerabilityDescription) as too_long:
        service.describe_other_vulnerability(case_id, uuid4(), "x" * 1001, ACTOR, LATER)
    assert too_long.value.params == {"field": "other_vulnerability_description"}
    assert position(service) == saved_at


def test_no_description_is_kept_for_an_erased_person(service: CaseService) -> None:
    case_id = taken_in(service, vulnerabilities=frozenset({Vulnerability.OTHER}))
    service.erase_personal_data(case_id, TODAY, "PG/1", ACTOR, LATER)
    with pytest.raises(PersonalDataAlreadyErased) as refused:
        service.describe_other_vulnerability(case_id, uuid4(), "Words", ACTOR, LATER)
    assert (refused.value.code, refused.value.params) == (
        "personal_data_already_erased", {"field": "case"})


def test_a_description_the_vault_cannot_keep_is_refused_with_the_message(
    service: CaseService,
) -> None:
    """The person's key is gone from the vault though the case does not say so yet (an erasure
    half done): nothing is kept, and the refusal says why."""
    case_id = taken_in(service, vulnerabilities=frozenset({Vulnerability.OTHER}))
    service.vault.erase(case_id)
    with pytest.raises(InvalidVulnerabilityDescription) as refused:
        service.describe_other_vulnerability(case_id, uuid4(), "Words", ACTOR, LATER)
    assert (refused.value.message, refused.value.params) == (
        "This person's personal data has been erased: no new text is kept on them.",
        {"field": "case"})


def test_a_correction_s_reason_is_refused_as_a_correction_s(service: CaseService) -> None:
    case_id = taken_in(service)
    with pytest.raises(InvalidCorrection) as refused:
        service.correct_intake(case_id, {CorrectableField.HOUSEHOLD_SIZE: 2}, " ", ACTOR, LATER)
    assert (refused.value.code, refused.value.params) == (
        "invalid_correction", {"field": "reason"})
    saved_at = service.correct_intake(case_id, {CorrectableField.HOUSEHOLD_SIZE: 2}, "Typo",
                                      ACTOR, LATER)
    assert saved_at == position(service)
    name, fields = last_saved(service, case_id)
    assert (name, fields["timestamp"], fields["changes"][0]["after"]) == (
        "IntakeCorrected", LATER, 2)
    assert isinstance(service.get(case_id), Case)


def test_an_intake_records_the_service_s_legal_bases_and_numbers_the_case_at_its_time(
    tmp_path: Path,
) -> None:
    photos_on_consent = LegalBases({ProcessingPurpose.PHOTOGRAPHS: LegalBasis.CONSENT})
    vault = SqliteVault(tmp_path / "vault.sqlite", bytes(range(32)))
    service = CaseService(ProgrammeRecord(), vault, legal_bases=photos_on_consent)
    try:
        case_id = service.record_intake(
            uuid4(), an_intake(consents=frozenset({ProcessingPurpose.PHOTOGRAPHS})), a_person(),
            ACTOR, NOW).case_id
        (intake,) = list[Any](service.record.events.get(case_id))
        assert {"purpose": "photographs", "legal_basis": "consent"} in intake.legal_bases
        assert {"purpose": "referral_to_named_partner", "legal_basis": "public_task"} in (
            intake.legal_bases)
        register_events = list[Any](service.record.events.get(
            CaseRegister.id_for(City.FIRENZE, 2021)))
        assert [(type(e).__name__, e.timestamp) for e in register_events] == [
            ("Opened", NOW), ("NumberIssued", NOW)]
    finally:
        vault.close()


def test_an_assignee_at_intake_without_the_companion_is_a_programming_error(
    service: CaseService,
) -> None:
    with pytest.raises(ValueError, match=r"^An assignee at intake needs the intake companion$"):
        service.record_intake(uuid4(), an_intake(), a_person(), ACTOR, NOW, assignee="worker-1")
    assert position(service) in (None, 0)


def test_an_erasure_through_the_service_records_its_ground(service: CaseService) -> None:
    case_id = taken_in(service)
    service.erase_personal_data(case_id, TODAY, "PG/9", ACTOR, LATER,
                                ErasureLegalBasis.CONSENT_WITHDRAWN)
    name, fields = last_saved(service, case_id)
    assert (name, fields["legal_basis"], fields["request_reference"]) == (
        "PersonalDataErased", "art17_1b", "PG/9")
    service.close(case_id, CaseOutcome.AUTONOMY, TODAY, "Found work", ACTOR, LATER)
    closed = service.get(case_id)
    assert closed.closure is not None and closed.closure.reason is None
    assert last_saved(service, case_id)[1]["reason_id"] is None


def test_an_unknown_case_or_another_aggregate_is_not_found_by_its_id(
    service: CaseService,
) -> None:
    unknown = uuid4()
    with pytest.raises(CaseNotFound) as missing:
        service.get(unknown)
    assert missing.value.args == (unknown,)
    register_id = CaseRegister.id_for(City.FIRENZE, 2021)
    taken_in(service)
    with pytest.raises(CaseNotFound) as not_a_case:
        service.get(register_id)
    assert not_a_case.value.args == (register_id,)


def test_a_document_number_without_a_document_is_refused_with_the_message(
    service: CaseService,
) -> None:
    with pytest.raises(DomainError) as refused:
        service.record_intake(uuid4(), an_intake(has_identity_document=False), a_person(),
                              ACTOR, NOW)
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "invalid_intake",
        "A document number is given for a person recorded as having no identity document.",
        {"field": "document_number"})


def test_an_intake_s_description_is_recorded_at_the_intake_s_time(service: CaseService) -> None:
    case_id = taken_in(service, vulnerabilities=frozenset({Vulnerability.OTHER}))
    intake, described = list[Any](service.record.events.get(case_id))
    assert (intake.timestamp, described.timestamp, described.actor) == (
        NOW, NOW, ACTOR.as_record())


def test_an_intake_outside_the_period_is_told_all_its_problems_at_once(
    service: CaseService,
) -> None:
    with pytest.raises(DomainErrors) as refused:
        service.record_intake(uuid4(), an_intake(intake_date=date(2019, 6, 30),
                                                 has_identity_document=False),
                              a_person(), ACTOR, NOW)
    assert sorted((p.code, p.params["field"]) for p in refused.value.problems) == [
        ("inconsistent_reception_history", "left_reception_on"),  # left in 2021, after it
        ("invalid_intake", "document_number"), ("outside_programme_period", "intake_date")]
    assert position(service) in (None, 0)


# --- left by the whole-tree mutation run of 7 December 2026 ----------------------------------

ADULT_BY_2024 = date(2005, 1, 1)
IN_2024 = datetime(2024, 1, 2, 3, 0, tzinfo=UTC)


def test_a_description_whose_save_fails_is_taken_back_from_the_vault(
    service: CaseService, monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = taken_in(service, vulnerabilities=frozenset({Vulnerability.OTHER}))
    text_id = uuid4()

    def lost(*_aggregates: object, **_options: object) -> None:
        raise OSError("the record is unreachable")

    monkeypatch.setattr(service.record, "save", lost)
    with pytest.raises(OSError, match=r"^the record is unreachable$"):
        service.describe_other_vulnerability(case_id, text_id, "Words", ACTOR, LATER)
    assert service.case_text(case_id, text_id) is None


def test_an_age_followed_while_a_rival_saves_is_decided_again_then_given_up(
    service: CaseService, monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = taken_in(service, birth_date=ADULT_BY_2024)
    save, rivals = service.record.save, list[int]()

    def rival_first(*aggregates: Any, **options: Any) -> Any:
        rivals.append(len(rivals) + 1)
        if len(rivals) == 1:
            raise IntegrityError("a coordinator saved the case meanwhile")
        return save(*aggregates, **options)

    monkeypatch.setattr(service.record, "save", rival_first)
    assert service.follow_age(case_id, AGE_JOB_ACTOR, IN_2024) is AgeFollowed.UPDATED
    assert rivals == [1, 2] and not service.get(case_id).is_minor

    other = taken_in(service, birth_date=ADULT_BY_2024)
    rivals.clear()

    def always_a_rival(*_aggregates: Any, **_options: Any) -> Any:
        rivals.append(len(rivals) + 1)
        raise IntegrityError("a coordinator saved the case meanwhile")

    monkeypatch.setattr(service.record, "save", always_a_rival)
    with pytest.raises(IntegrityError) as given_up:
        service.follow_age(other, AGE_JOB_ACTOR, IN_2024)
    assert str(given_up.value) == f"Case {other} kept changing while its age was followed"
    assert len(rivals) == _SAVE_ATTEMPTS


def test_an_erased_case_s_age_is_not_followed_even_from_a_vault_that_still_holds_the_person(
    service: CaseService, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A vault restored from a backup older than an erasure holds the person again: the case's
    own record of the erasure is what counts, and the vault is not read."""
    case_id = taken_in(service, birth_date=ADULT_BY_2024)
    service.erase_personal_data(case_id, TODAY, "PG/1", ACTOR, LATER)
    reads: list[UUID] = []

    def restored(read_id: UUID) -> Any:
        reads.append(read_id)
        return a_person(birth_date=ADULT_BY_2024)

    monkeypatch.setattr(service.vault, "read", restored)
    written = position(service)
    assert service.follow_age(case_id, AGE_JOB_ACTOR, IN_2024) is AgeFollowed.ERASED
    assert reads == [] and position(service) == written


def test_a_consent_naming_an_unknown_organisation_is_refused_on_the_form_s_field(
    service: CaseService,
) -> None:
    """The case page's consent form sends `organisation_ids`: the refusal names that field, so
    the message stands next to it."""
    case_id = taken_in(service)
    unknown = uuid4()
    with pytest.raises(UnknownOrganisation) as refused:
        service.give_consent(case_id, ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER,
                             date(2021, 3, 12), ACTOR, LATER, [unknown])
    assert refused.value.params == {"field": "organisation_ids", "organisation_id": str(unknown)}


def test_each_reading_of_identifiers_is_logged_with_the_reader_s_city_if_any(
    service: CaseService,
) -> None:
    case_id = taken_in(service)
    auditor = Actor(ActorKind.USER, "auditor.rossi", Role.AUDITOR)
    assert service.reveal_identifiers(case_id, AccessReason.IDENTITY_CHECK, ACTOR, LATER) == (
        a_person())
    service.reveal_identifiers(case_id, AccessReason.CONTACT_PERSON, auditor, LATER)
    logged = {(access.actor_id, access.actor_role, access.actor_city, access.reason)
              for access in service.vault.accesses()}
    assert logged == {
        (ACTOR.id, "city_coordinator", "firenze", AccessReason.IDENTITY_CHECK),
        ("auditor.rossi", "auditor", None, AccessReason.CONTACT_PERSON),
    }
