"""The documents service's answers a mutation run (docs/testing.md, "Services pass, part 2")
found unchecked: a claim file's event field by field at its own moment, a national partner's
file attached and read by the ministry's finance office, a city's coordinators reading their
own claim's files (and the reading logged with their city), which id a refusal to find names,
and who may read a case's files.

DOMAIN.md, "Data protection": a case's files are read only by the staff of its city, and every
reading is logged; a claim's evidence is read by the city that claims, the ministry that
decides and the auditors."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from uuid import uuid4

import pytest

from domain.access import AccessGrant, Permission, Principal
from domain.documents.model import (
    CaseDocument,
    ClaimDocumentDraft,
    DocumentKind,
    FileType,
    check_file,
)
from domain.documents.service import DocumentNotFound, FileRead, may_read_case_files
from domain.programme import City, DomainError, Role
from domain.vault import AccessReason, ClaimFileAccess
from tests.builders import NOW
from tests.unit.test_document_service_mutants import (
    CASE,
    CLAIM,
    COORDINATOR,
    MILANO,
    MINISTRY,
    OPERATOR,
    PDF,
    PERMIT,
    Claims,
    Parts,
    parts,
    stored,
)

__all__ = ["parts"]  # the fixture, as a fixture of this module too
LATER = NOW + timedelta(days=1)
INVOICE = ClaimDocumentDraft(DocumentKind.INVOICE)


def test_a_claim_file_s_attachment_is_recorded_field_by_field_at_its_moment(parts: Parts) -> None:
    document_id = uuid4()
    position = parts.documents.attach_to_claim(document_id, City.FIRENZE, CLAIM, INVOICE, PDF,
                                               COORDINATOR, LATER)
    assert position == parts.last_position == 1
    assert stored(parts, document_id) == {
        "timestamp": LATER, "claim_id": CLAIM, "city": "firenze", "kind": "invoice",
        "media_type": "application/pdf", "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(), "actor": COORDINATOR.actor.as_record()}


def test_a_national_partner_s_file_is_attached_and_read_by_the_ministry(parts: Parts) -> None:
    """A national partner's claim (`city` None) is the ministry's finance office's to record
    (RECORD_PARTNER_EXPENDITURE)."""
    document_id = uuid4()
    position = parts.documents.attach_to_claim(document_id, None, CLAIM, INVOICE, PDF, MINISTRY,
                                               NOW)
    assert position == parts.last_position
    assert parts.vault.claim_files == {(CLAIM, document_id): PDF}
    assert parts.documents.read_claim_file(None, CLAIM, document_id, MINISTRY, LATER) == (
        FileRead(PDF, FileType.PDF))
    with pytest.raises(DocumentNotFound) as another_city_s:
        parts.documents.read_claim_file(City.FIRENZE, CLAIM, document_id, MINISTRY, LATER)
    assert another_city_s.value.args == (document_id,)


def test_a_city_s_coordinators_read_their_own_claim_s_files_logged_with_their_city(
    parts: Parts,
) -> None:
    document_id = uuid4()
    parts.documents.attach_to_claim(document_id, City.FIRENZE, CLAIM, INVOICE, PDF, COORDINATOR,
                                    NOW)
    read = parts.documents.read_claim_file(City.FIRENZE, CLAIM, document_id, COORDINATOR, LATER)
    assert read == FileRead(PDF, FileType.PDF)
    assert parts.vault.claim_accesses == [ClaimFileAccess(
        at=LATER, actor_id="firenze.coordinator", actor_role="city_coordinator",
        actor_city="firenze", claim_id=CLAIM, file_id=document_id)]
    for reader in (OPERATOR, MILANO):  # operators record no claims; Milan's are not Florence's
        with pytest.raises(DomainError) as refused:
            parts.documents.read_claim_file(City.FIRENZE, CLAIM, document_id, reader, LATER)
        assert (refused.value.code, refused.value.params) == (
            "access_denied", {"permission": "record_expenditure"})
    with pytest.raises(DocumentNotFound) as other_claim:
        parts.documents.read_claim_file(City.FIRENZE, uuid4(), document_id, COORDINATOR, LATER)
    assert other_claim.value.args == (document_id,)


def test_another_case_s_file_is_not_found_under_its_own_id(parts: Parts) -> None:
    other = CaseDocument.attach(uuid4(), uuid4(), "FI-2021-00002", City.FIRENZE, PERMIT,
                                check_file(PDF, 100), None, COORDINATOR.actor, NOW)
    parts.documents.record.save(other)
    with pytest.raises(DocumentNotFound) as not_found:
        parts.documents.read_case_file(CASE, other.id, AccessReason.CONTACT_PERSON, COORDINATOR,
                                       NOW)
    assert not_found.value.args == (other.id,)


def test_only_the_case_s_city_staff_may_read_its_files() -> None:
    """DOMAIN.md, "Data protection": an auditor granted the identifiers reads them, not the
    case's files (they need the case work too)."""
    auditor = Principal("auditor", Role.AUDITOR, grants=(AccessGrant(
        Permission.VIEW_PERSONAL_IDENTIFIERS, "inspection", NOW + timedelta(days=1)),))
    assert may_read_case_files(COORDINATOR, City.FIRENZE, NOW)
    assert may_read_case_files(OPERATOR, City.FIRENZE, NOW)
    assert not may_read_case_files(MILANO, City.FIRENZE, NOW)
    assert not may_read_case_files(MINISTRY, City.FIRENZE, NOW)
    assert not may_read_case_files(auditor, City.FIRENZE, NOW)


# --- left by the whole-tree mutation run of 7 December 2026 ----------------------------------


def test_a_file_linked_to_no_vulnerability_records_no_assessment(parts: Parts) -> None:
    document_id = uuid4()
    parts.documents.attach_to_case(document_id, CASE, PERMIT, PDF, OPERATOR, NOW)
    facts = stored(parts, document_id)
    assert (facts["kind"], facts["vulnerability"], facts["assessed_on"]) == (
        "residence_permit", None, None)


def test_a_city_s_file_is_attached_only_to_a_claim_that_city_recorded(parts: Parts) -> None:
    """The claims are asked about the city's own claims, not the national partners'."""
    parts.documents.claims = Claims({(City.FIRENZE, CLAIM)})
    document_id = uuid4()
    assert parts.documents.attach_to_claim(document_id, City.FIRENZE, CLAIM, INVOICE, PDF,
                                           COORDINATOR, NOW) == parts.last_position == 1
    parts.documents.claims = Claims({(None, CLAIM)})
    with pytest.raises(DomainError) as refused:
        parts.documents.attach_to_claim(uuid4(), City.FIRENZE, CLAIM, INVOICE, PDF,
                                        COORDINATOR, NOW)
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "documents_closed", "The city has no claim with this id.", {"field": "claim_id"})
    assert parts.last_position == 1
