"""Issue 12's new event versions read what the old code wrote (docs/events.md, "Versioning"):
a store written before the change loads, and its events read in today's terms, the same whether
they come from the event store (the domain events' `upcast_v1_v2`) or from a stream (the
contracts' `from_v1`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.cases.model import Case
from domain.cases.rules import ReceptionCentreKind, Sex
from domain.privacy import LegalBasis, ProcessingPurpose
from domain.programme import ProtectionStatus
from domain.record import ProgrammeRecord
from domain.referrals.model import Referral
from events.contracts import (
    CaseIntakeCorrectedV1,
    CaseIntakeCorrectedV3,
    CaseIntakeRecordedV1,
    CaseIntakeRecordedV2,
)
from events.referrals import ReferralRequestedV1, ReferralRequestedV4
from events.upcasting import latest
from infra.publishing.event_mapping.catalogue import PUBLIC_EVENTS
from tests.builders import NOW, a_coordinator
from tests.v1_store import store_v1, v1_correction, v1_intake, v1_referral

CASE_ID = UUID(int=7)


def load_v1_intake(**overrides: Any) -> tuple[ProgrammeRecord, Case]:
    record = ProgrammeRecord()
    store_v1(record, CASE_ID, 1, Case.IntakeRecorded, v1_intake(**overrides))
    case: object = record.repository.get(CASE_ID)
    assert isinstance(case, Case)
    return record, case


def v1_contract_of(state: dict[str, Any], contract: Any, id_field: str, the_id: UUID) -> Any:
    """The message the old relay published for a v1 state: the contract's fields, by name."""
    values = {name: state[name] for name in contract.model_fields if name != id_field}
    return contract.model_validate(values | {id_field: the_id})


def published_now(record: ProgrammeRecord, version: int = 1) -> Any:
    """The contract today's relay publishes for the stored event (upcast by eventsourcing)."""
    stored = next(n for n in record.recorder.select_notifications(1, 100)
                  if n.originator_version == version)
    event = record.mapper.to_domain_event(stored)
    return PUBLIC_EVENTS[stored.topic].contract_of(event)


def test_an_intake_stored_by_version_1_loads_in_today_s_terms() -> None:
    _record, case = load_v1_intake(
        protection_status="other", sex="other", reception_centre_kind="first_reception",
        consent_scopes=["case_management", "referral_to_partners", "statistics"])
    assert case.protection_status is ProtectionStatus.OTHER_RESIDENCE_PERMIT
    assert case.sex is Sex.NOT_STATED
    assert case.reception_centre_kind is ReceptionCentreKind.GOVERNMENT_FIRST_RECEPTION
    assert case.citizenship == "ER"
    assert case.has_identity_document is None and case.information_notice is None
    assert case.legal_bases == {}
    # v1's consent to referral to partners is a consent to sharing with a named partner.
    assert case.has_consent_to(ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER)
    assert case.permit_expires_on is None and case.planned_exit_on is None


def test_version_1_s_special_protection_meant_special_or_humanitarian_and_reads_as_special(
) -> None:
    """Version 1's label was "Special or humanitarian protection": special protection is the
    status of the two that can still be granted (d.l. 113/2018); docs/domain.md says so."""
    _record, case = load_v1_intake(protection_status="special_protection")
    assert case.protection_status is ProtectionStatus.SPECIAL_PROTECTION


@pytest.mark.parametrize(("left_on", "kind"), [
    (date(2018, 10, 4), ReceptionCentreKind.SPRAR),
    (date(2018, 10, 5), ReceptionCentreKind.SIPROIMI),
    (date(2020, 10, 21), ReceptionCentreKind.SIPROIMI),
    (date(2020, 10, 22), ReceptionCentreKind.SAI),
])
def test_version_1_s_sai_is_the_network_s_name_on_the_day_the_person_left(
    left_on: date, kind: ReceptionCentreKind,
) -> None:
    """Version 1's "sai" meant "SAI, formerly SPRAR/SIPROIMI": SPRAR until 4 Oct 2018, SIPROIMI
    from 5 Oct 2018 (d.l. 113/2018), SAI from 22 Oct 2020 (d.l. 130/2020)."""
    record, case = load_v1_intake(reception_centre_kind="sai", left_reception_on=left_on)
    assert case.reception_centre_kind is kind
    assert published_now(record).reception_centre_kind == kind.value


@pytest.mark.parametrize("overrides", [
    {},
    {"protection_status": "other", "sex": "other", "reception_centre_kind": "sai",
     "left_reception_on": date(2019, 9, 1)},
    {"protection_status": "asylum_seeker", "reception_situation": "never_in_reception",
     "left_reception_on": None, "reception_centre_kind": None,
     "consent_scopes": ["case_management", "referral_to_partners"],
     "vulnerabilities": ["pregnancy"]},
    {"reception_centre_kind": "first_reception"},
])
def test_a_version_1_intake_reads_the_same_from_the_store_and_from_the_stream(
    overrides: dict[str, Any],
) -> None:
    """What today's relay publishes for a v1 stored intake equals the v1 message the old relay
    published, read as v2 (events/upcasting.py): readers see one version, whichever way."""
    record, _case = load_v1_intake(**overrides)
    state = v1_intake(**overrides)
    old_message = v1_contract_of(state, CaseIntakeRecordedV1, "case_id", CASE_ID)
    assert isinstance(published_now(record), CaseIntakeRecordedV2)
    assert latest(old_message) == published_now(record)


def test_a_correction_stored_by_version_1_reads_in_today_s_terms() -> None:
    """Version 1 corrected "nationality" (now `citizenship`) and used the old codes."""
    record = ProgrammeRecord()
    store_v1(record, CASE_ID, 1, Case.IntakeRecorded, v1_intake(protection_status="other"))
    changes = [
        {"field": "protection_status", "before": "other", "after": "asylum_seeker",
         "corrects": f"{CASE_ID}.1"},
        {"field": "sex", "before": "female", "after": "other", "corrects": f"{CASE_ID}.1"},
        {"field": "nationality", "before": "ER", "after": "ET", "corrects": f"{CASE_ID}.1"},
    ]
    state = v1_correction(changes=changes)
    store_v1(record, CASE_ID, 2, Case.IntakeCorrected, state)
    case: object = record.repository.get(CASE_ID)
    assert isinstance(case, Case)
    assert (case.protection_status, case.sex, case.citizenship) == (
        ProtectionStatus.ASYLUM_SEEKER, Sex.NOT_STATED, "ET")
    assert case.fact_versions["citizenship"] == 2

    now = published_now(record, version=2)
    # Version 3 (issue 16): the reason leaves the event, read as a legacy text.
    assert isinstance(now, CaseIntakeCorrectedV3)
    assert (now.reason_id, now.reason_digest) == (None, None)
    assert [(c.field, c.before, c.after) for c in now.changes] == [
        ("protection_status", "other_residence_permit", "asylum_seeker"),
        ("sex", "female", "not_stated"),
        ("citizenship", "ER", "ET"),
    ]
    old_message = v1_contract_of(state, CaseIntakeCorrectedV1, "case_id", CASE_ID)
    assert latest(old_message) == now


@pytest.mark.parametrize(("basis", "reason", "reads_as"), [
    ("consent", None, LegalBasis.CONSENT),
    ("override", "Life at risk", None),
])
def test_a_referral_stored_by_version_1_keeps_its_basis_and_an_override_s_reason(
    basis: str, reason: str | None, reads_as: LegalBasis | None,
) -> None:
    """Version 1's "override of consent" did not record a legal basis: not_recorded, with the
    coordinator's reason kept as it was."""
    record = ProgrammeRecord()
    referral_id = uuid4()
    state = v1_referral(CASE_ID, consent_basis=basis, consent_override_reason=reason)
    store_v1(record, referral_id, 1, Referral.Requested, state)
    referral: object = record.repository.get(referral_id)
    assert isinstance(referral, Referral)
    assert referral.legal_basis is reads_as
    # The reason reads as a legacy text (issue 16: no free text in events since v3).
    assert referral.legacy_texts.get("consent_override_reason") == reason
    assert referral.texts == {}

    now = published_now(record)
    assert isinstance(now, ReferralRequestedV4)
    assert (now.organisation_id, now.partner_name) == (None, "Caritas")
    assert now.legal_basis == (reads_as.value if reads_as else "not_recorded")
    assert latest(v1_contract_of(state, ReferralRequestedV1, "referral_id", referral_id)) == now


def test_a_case_taken_in_by_version_1_takes_a_status_change_and_answers_as_of_each_date() -> None:
    record, case = load_v1_intake(
        protection_status="asylum_seeker", priority_group="other_outside_reception")
    case.change_status(date(2021, 6, 1), ProtectionStatus.REFUGEE, None, a_coordinator(),
                       NOW + timedelta(days=90))
    record.save(case)
    again: object = record.repository.get(CASE_ID)
    assert isinstance(again, Case)
    before = again.status_on(date(2021, 5, 31))
    assert before is not None and before.status is ProtectionStatus.ASYLUM_SEEKER
    assert next(e.eligible for e in again.eligibility_on(date(2021, 5, 31))) is True
    assert again.protection_status is ProtectionStatus.REFUGEE
    assert next(e.eligible for e in again.eligibility_on(date(2021, 6, 1))) is False
