"""The documents' rules (issue 16, item 9): a file's type is judged by its content (the magic
bytes of PDF, JPEG and PNG), never its name; the size limit holds at the limit and refuses one
byte more; a residence permit has its expiry date; only a medical certificate is linked to an
assessed vulnerability (art. 17 c.1 d.lgs. 142/2015: a vulnerability is "accertata" by a
service; the certificate is that service's document)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from domain.documents.model import (
    CaseDocumentDraft,
    ClaimDocumentDraft,
    DocumentKind,
    FileTooLarge,
    FileType,
    FileTypeRefused,
    InvalidDocument,
    check_case_draft,
    check_claim_draft,
    check_file,
    sniff,
)
from tests.builders import NOW

LIMIT = 1000


@pytest.mark.parametrize(("content", "expected"), [
    (b"%PDF-1.7\n...", FileType.PDF),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", FileType.JPEG),
    (b"\x89PNG\r\n\x1a\n\x00\x00", FileType.PNG),
    (b"<!DOCTYPE html><html>", None),
    (b"<html><body>%PDF-", None),
    (b"PK\x03\x04 a .docx", None),
    (b"MZ\x90\x00 an .exe", None),
    (b"\x89PNG\r\n", None),  # cut short: not the whole signature
    (b"", None),
])
def test_the_type_is_known_by_the_first_bytes_only(content: bytes, expected: FileType | None,
                                                    ) -> None:
    assert sniff(content) is expected


def test_a_file_at_the_limit_is_accepted_with_its_facts_and_one_byte_more_is_refused() -> None:
    at_limit = b"%PDF-" + b"x" * (LIMIT - 5)

    facts = check_file(at_limit, LIMIT)

    assert (facts.file_type, facts.size, facts.sha256) == (
        FileType.PDF, LIMIT, hashlib.sha256(at_limit).hexdigest())
    with pytest.raises(FileTooLarge) as refused:
        check_file(at_limit + b"x", LIMIT)
    assert refused.value.params["field"] == "file"


def test_an_html_file_named_pdf_and_an_empty_file_are_refused() -> None:
    for content in (b"<!DOCTYPE html><p>Not a PDF</p>", b""):
        with pytest.raises(FileTypeRefused):
            check_file(content, LIMIT)


def test_a_permit_needs_its_expiry_and_a_notice_has_none() -> None:
    check_case_draft(CaseDocumentDraft(DocumentKind.RESIDENCE_PERMIT, date(2022, 1, 31)), NOW)
    check_case_draft(CaseDocumentDraft(DocumentKind.IDENTITY_DOCUMENT), NOW)
    with pytest.raises(InvalidDocument) as no_expiry:
        check_case_draft(CaseDocumentDraft(DocumentKind.RESIDENCE_PERMIT), NOW)
    with pytest.raises(InvalidDocument) as expiring_notice:
        check_case_draft(
            CaseDocumentDraft(DocumentKind.INFORMATION_NOTICE, date(2022, 1, 31)), NOW)
    with pytest.raises(InvalidDocument) as implausible:
        check_case_draft(CaseDocumentDraft(DocumentKind.RESIDENCE_PERMIT, date(2201, 1, 31)), NOW)

    assert [e.value.params["field"] for e in (no_expiry, expiring_notice, implausible)] == [
        "expires_on", "expires_on", "expires_on"]


def test_only_a_medical_certificate_is_linked_to_a_vulnerability() -> None:
    check_case_draft(CaseDocumentDraft(DocumentKind.MEDICAL_CERTIFICATE,
                                       vulnerability="disability"), NOW)
    with pytest.raises(InvalidDocument) as refused:
        check_case_draft(CaseDocumentDraft(DocumentKind.OTHER, vulnerability="disability"), NOW)
    assert refused.value.params["field"] == "vulnerability"


def test_a_case_and_a_claim_each_take_their_own_kinds() -> None:
    check_claim_draft(ClaimDocumentDraft(DocumentKind.INVOICE))
    with pytest.raises(InvalidDocument):
        check_claim_draft(ClaimDocumentDraft(DocumentKind.RESIDENCE_PERMIT))
    with pytest.raises(InvalidDocument):
        check_case_draft(CaseDocumentDraft(DocumentKind.PROOF_OF_PAYMENT), NOW)
