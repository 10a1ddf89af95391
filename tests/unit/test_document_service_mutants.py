"""The documents service's own answers (issue 20), without a server: the position an attachment
returns and its event field by field, each refusal the service raises with its code, message and
field, the size limit the deployment sets at the limit and one past, a file kept in the vault
discarded when the save fails, and each reading logged before it is returned. Over the real
in-memory record and a vault in dicts.

DOMAIN.md, "Data protection": every reading of a person's identifiers is logged (GDPR art.
5(2)); an erased person's files are gone, and no new file is kept on them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.access import Principal
from domain.documents.model import (
    CaseDocument,
    CaseDocumentDraft,
    ClaimDocumentDraft,
    DocumentKind,
    FileType,
    check_file,
)
from domain.documents.service import (
    CaseFacts,
    DocumentNotFound,
    DocumentRules,
    DocumentService,
    FileRead,
)
from domain.programme import City, DomainError, Role
from domain.record import ProgrammeRecord
from domain.vault import AccessReason, ClaimFileAccess, IdentifierAccess
from tests.builders import NOW

COORDINATOR = Principal("firenze.coordinator", Role.CITY_COORDINATOR, City.FIRENZE)
OPERATOR = Principal("firenze.operator", Role.CITY_OPERATOR, City.FIRENZE)
MILANO = Principal("milano.coordinator", Role.CITY_COORDINATOR, City.MILANO)
MINISTRY = Principal("ministry", Role.MINISTRY)
CASE = UUID(int=0xCA5E)
CLAIM = UUID(int=0xC1A1)
PDF = b"%PDF-1.4\nqualcosa\n%%EOF\n"
PERMIT = CaseDocumentDraft(DocumentKind.RESIDENCE_PERMIT, date(2021, 9, 1))
LATER = NOW + timedelta(days=1)


@dataclass
class Vault:
    """The vault's file side in dicts; `erased`: the person's key is gone."""

    files: dict[tuple[UUID, UUID], bytes] = field(default_factory=dict)
    claim_files: dict[tuple[UUID, UUID], bytes] = field(default_factory=dict)
    accesses: list[IdentifierAccess] = field(default_factory=list)
    claim_accesses: list[ClaimFileAccess] = field(default_factory=list)
    erased: bool = False

    def store_file(self, case_id: UUID, file_id: UUID, content: bytes) -> None:
        if self.erased:
            raise LookupError(case_id)
        self.files[(case_id, file_id)] = content

    def read_file(self, case_id: UUID, file_id: UUID) -> bytes | None:
        return self.files.get((case_id, file_id))

    def discard_file(self, case_id: UUID, file_id: UUID) -> None:
        self.files.pop((case_id, file_id), None)

    def store_claim_file(self, claim_id: UUID, file_id: UUID, content: bytes) -> None:
        self.claim_files[(claim_id, file_id)] = content

    def read_claim_file(self, claim_id: UUID, file_id: UUID) -> bytes | None:
        return self.claim_files.get((claim_id, file_id))

    def discard_claim_file(self, claim_id: UUID, file_id: UUID) -> None:
        self.claim_files.pop((claim_id, file_id), None)

    def record_access(self, access: IdentifierAccess) -> None:
        self.accesses.append(access)

    def record_claim_file_access(self, access: ClaimFileAccess) -> None:
        self.claim_accesses.append(access)


@dataclass
class Cases:
    facts: CaseFacts = field(default_factory=lambda: CaseFacts(
        "FI-2021-00001", City.FIRENZE, is_open=True, personal_data_erased=False,
        assessed={"disability": date(2021, 3, 5)}))

    def case_facts(self, case_id: UUID) -> CaseFacts:
        if case_id != CASE:
            raise LookupError(case_id)
        return self.facts


@dataclass
class Claims:
    claims: set[tuple[City | None, UUID]] = field(
        default_factory=lambda: {(City.FIRENZE, CLAIM), (None, CLAIM)})

    def has_claim(self, city: City | None, claim_id: UUID) -> bool:
        return (city, claim_id) in self.claims


@dataclass
class Parts:
    vault: Vault
    cases: Cases
    documents: DocumentService

    @property
    def last_position(self) -> int:
        return self.documents.record.recorder.max_notification_id() or 0


@pytest.fixture
def parts() -> Parts:
    vault, cases = Vault(), Cases()
    return Parts(vault, cases, DocumentService(ProgrammeRecord(), vault, cases,  # type: ignore[arg-type]
                                               Claims()))


def refusal(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, str, dict[str, Any]]:
    return error.value.code, error.value.message, error.value.params


def stored(parts: Parts, document_id: UUID) -> dict[str, Any]:
    (event,) = parts.documents.record.events.get(document_id)
    return {name: value for name, value in vars(event).items()
            if name not in ("originator_id", "originator_version", "originator_topic")}


def test_a_case_file_is_kept_and_its_attachment_recorded_field_by_field(parts: Parts) -> None:
    document_id = uuid4()
    certificate = CaseDocumentDraft(DocumentKind.MEDICAL_CERTIFICATE, None, "disability")
    position = parts.documents.attach_to_case(document_id, CASE, certificate, PDF, OPERATOR, NOW)
    assert position == parts.last_position == 1
    assert parts.vault.files == {(CASE, document_id): PDF}
    facts = stored(parts, document_id)
    assert facts.pop("sha256") == hashlib.sha256(PDF).hexdigest()
    assert facts == {
        "timestamp": NOW, "case_id": CASE, "case_code": "FI-2021-00001", "city": "firenze",
        "kind": "medical_certificate", "media_type": "application/pdf", "size": len(PDF),
        "expires_on": None, "vulnerability": "disability", "assessed_on": date(2021, 3, 5),
        "actor": OPERATOR.actor.as_record()}


def test_who_may_attach_and_read_a_case_s_files(parts: Parts) -> None:
    for principal in (MILANO, MINISTRY):
        with pytest.raises(DomainError) as refused:
            parts.documents.attach_to_case(uuid4(), CASE, PERMIT, PDF, principal, NOW)
        assert refusal(refused) == (
            "access_denied",
            f"A {principal.role.value} may not record_case_work in firenze",
            {"permission": "record_case_work"})
    document_id = uuid4()
    parts.documents.attach_to_case(document_id, CASE, PERMIT, PDF, COORDINATOR, NOW)
    with pytest.raises(DomainError) as reading:
        parts.documents.read_case_file(CASE, document_id, AccessReason.IDENTITY_CHECK, MILANO,
                                       NOW)
    assert refusal(reading)[0] == "access_denied"
    assert parts.vault.accesses == []


def test_a_case_file_is_refused_on_a_closed_case_an_unassessed_vulnerability_or_an_erased_person(
    parts: Parts,
) -> None:
    cases = [
        (replace(parts.cases.facts, is_open=False), PERMIT,
         ("documents_closed", "Files are attached to open cases only.", {"field": "case"})),
        (parts.cases.facts, CaseDocumentDraft(DocumentKind.MEDICAL_CERTIFICATE, None, "torture"),
         ("invalid_document", "Record the vulnerability's assessment first: a certificate is "
          "linked to an assessment.", {"field": "vulnerability"})),
        (replace(parts.cases.facts, personal_data_erased=True), PERMIT,
         ("documents_closed", "This person's personal data has been erased: no new file is "
          "kept on them.", {"field": "case"})),
    ]
    for facts, draft, expected in cases:
        parts.cases.facts = facts
        with pytest.raises(DomainError) as refused:
            parts.documents.attach_to_case(uuid4(), CASE, draft, PDF, COORDINATOR, NOW)
        assert refusal(refused) == expected
    assert parts.last_position == 0 and parts.vault.files == {}


def test_a_person_erased_as_the_file_is_kept_is_refused_and_nothing_recorded(
    parts: Parts,
) -> None:
    parts.vault.erased = True
    with pytest.raises(DomainError) as refused:
        parts.documents.attach_to_case(uuid4(), CASE, PERMIT, PDF, COORDINATOR, NOW)
    assert refusal(refused) == (
        "documents_closed",
        "This person's personal data has been erased: no new file is kept on them.",
        {"field": "case"})
    assert refused.value.__suppress_context__
    assert parts.last_position == 0


def test_the_deployment_s_size_limit_holds_at_the_limit_and_one_byte_past(parts: Parts) -> None:
    documents = DocumentService(parts.documents.record, parts.vault,  # type: ignore[arg-type]
                                parts.cases, Claims(), DocumentRules(max_bytes=len(PDF)))
    documents.attach_to_case(uuid4(), CASE, PERMIT, PDF, COORDINATOR, NOW)
    with pytest.raises(DomainError) as refused:
        documents.attach_to_case(uuid4(), CASE, PERMIT, PDF + b"\n", COORDINATOR, NOW)
    assert refusal(refused)[0] == "file_too_large"
    assert refused.value.params["max_bytes"] == len(PDF)
    assert DocumentRules() == DocumentRules(10 * 1024 * 1024, 30)


class FailingRecord(ProgrammeRecord):
    def save(self, *objs: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")


def test_a_file_whose_attachment_is_not_saved_is_discarded(parts: Parts) -> None:
    documents = DocumentService(FailingRecord(), parts.vault, parts.cases,  # type: ignore[arg-type]
                                Claims())
    with pytest.raises(OSError):
        documents.attach_to_case(uuid4(), CASE, PERMIT, PDF, COORDINATOR, NOW)
    assert parts.vault.files == {}
    with pytest.raises(OSError):
        documents.attach_to_claim(uuid4(), City.FIRENZE, CLAIM,
                                  ClaimDocumentDraft(DocumentKind.INVOICE), PDF, COORDINATOR, NOW)
    assert parts.vault.claim_files == {}


def test_a_case_file_read_is_logged_before_it_is_returned(parts: Parts) -> None:
    document_id = uuid4()
    parts.documents.attach_to_case(document_id, CASE, PERMIT, PDF, COORDINATOR, NOW)
    read = parts.documents.read_case_file(CASE, document_id, AccessReason.CONTACT_PERSON,
                                          OPERATOR, LATER)
    assert read == FileRead(PDF, FileType.PDF)
    assert parts.vault.accesses == [IdentifierAccess(
        at=LATER, actor_id="firenze.operator", actor_role="city_operator", actor_city="firenze",
        case_id=CASE, case_code="FI-2021-00001", reason=AccessReason.CONTACT_PERSON)]
    parts.vault.files.clear()  # shredded meanwhile
    assert parts.documents.read_case_file(CASE, document_id, AccessReason.CONTACT_PERSON,
                                          OPERATOR, LATER) is None
    parts.cases.facts = replace(parts.cases.facts, personal_data_erased=True)
    assert parts.documents.read_case_file(CASE, document_id, AccessReason.CONTACT_PERSON,
                                          OPERATOR, LATER) is None
    assert len(parts.vault.accesses) == 2  # an erased person's: nothing to read, nothing logged


def test_a_file_of_another_case_or_of_a_claim_is_not_this_case_s(parts: Parts) -> None:
    claim_document, unknown = uuid4(), uuid4()
    parts.documents.attach_to_claim(claim_document, City.FIRENZE, CLAIM,
                                    ClaimDocumentDraft(DocumentKind.INVOICE), PDF, COORDINATOR,
                                    NOW)
    for document_id in (claim_document, unknown):
        with pytest.raises(DocumentNotFound) as not_found:
            parts.documents.read_case_file(CASE, document_id, AccessReason.CONTACT_PERSON,
                                           COORDINATOR, NOW)
        assert not_found.value.args == (document_id,)
    other = CaseDocument.attach(uuid4(), uuid4(), "FI-2021-00002", City.FIRENZE, PERMIT,
                                check_file(PDF, 100), None, COORDINATOR.actor, NOW)
    parts.documents.record.save(other)
    with pytest.raises(DocumentNotFound):
        parts.documents.read_case_file(CASE, other.id, AccessReason.CONTACT_PERSON, COORDINATOR,
                                       NOW)
    assert parts.vault.accesses == []


def test_a_claim_file_is_attached_by_its_city_or_for_a_national_partner_by_the_ministry(
    parts: Parts,
) -> None:
    city_file = uuid4()
    invoice = ClaimDocumentDraft(DocumentKind.INVOICE)
    position = parts.documents.attach_to_claim(city_file, City.FIRENZE, CLAIM, invoice, PDF,
                                               COORDINATOR, NOW)
    assert position == parts.last_position
    assert stored(parts, city_file)["city"] == "firenze"
    with pytest.raises(DomainError) as national_by_a_city:
        parts.documents.attach_to_claim(uuid4(), None, CLAIM, invoice, PDF, COORDINATOR, NOW)
    assert refusal(national_by_a_city) == (
        "access_denied", "A city_coordinator may not record_partner_expenditure",
        {"permission": "record_partner_expenditure"})
    with pytest.raises(DomainError) as another_city:
        parts.documents.attach_to_claim(uuid4(), City.FIRENZE, CLAIM, invoice, PDF, MILANO, NOW)
    assert refusal(another_city) == (
        "access_denied", "A city_coordinator may not record_expenditure in firenze",
        {"permission": "record_expenditure"})
    with pytest.raises(DomainError) as no_claim:
        parts.documents.attach_to_claim(uuid4(), City.FIRENZE, uuid4(), invoice, PDF,
                                        COORDINATOR, NOW)
    assert refusal(no_claim) == (
        "documents_closed", "The city has no claim with this id.", {"field": "claim_id"})
    assert parts.vault.claim_files == {(CLAIM, city_file): PDF}


def test_a_claim_file_read_is_logged_and_only_for_those_who_may(parts: Parts) -> None:
    document_id = uuid4()
    parts.documents.attach_to_claim(document_id, City.FIRENZE, CLAIM,
                                    ClaimDocumentDraft(DocumentKind.PROOF_OF_PAYMENT), PDF,
                                    COORDINATOR, NOW)
    read = parts.documents.read_claim_file(City.FIRENZE, CLAIM, document_id, MINISTRY, LATER)
    assert read == FileRead(PDF, FileType.PDF)
    assert parts.vault.claim_accesses == [ClaimFileAccess(
        at=LATER, actor_id="ministry", actor_role="ministry", actor_city=None,
        claim_id=CLAIM, file_id=document_id)]
    with pytest.raises(DomainError) as refused:
        parts.documents.read_claim_file(City.FIRENZE, CLAIM, document_id, MILANO, LATER)
    assert refusal(refused) == (
        "access_denied", "A city_coordinator may not read the claim files of firenze",
        {"permission": "record_expenditure"})
    with pytest.raises(DomainError) as national:
        parts.documents.read_claim_file(None, CLAIM, document_id, OPERATOR, LATER)
    assert refusal(national)[1] == (
        "A city_operator may not read the claim files of the national partners")
    for city, claim_id in ((City.FIRENZE, uuid4()), (None, CLAIM)):
        with pytest.raises(DocumentNotFound):
            parts.documents.read_claim_file(city, claim_id, document_id, MINISTRY, LATER)
    assert len(parts.vault.claim_accesses) == 1
    parts.vault.claim_files.clear()
    assert parts.documents.read_claim_file(City.FIRENZE, CLAIM, document_id, MINISTRY,
                                           LATER) is None
