"""Documents at their edges (issue 20): every refusal's class, `code`, message and parameters
where the rule is broken, each limit at the limit and one past it (the size, the expiry's
plausible years), and each document's event field by field. A mutation run (docs/testing.md,
"Other domain modules") showed the messages, the years' limits and the events' fields were never
checked.

DOMAIN.md, "Legal notes": a vulnerability may be "accertata" (assessed) by a service, with a
date — the medical certificate is that service's document; "Data protection": the file's name,
free text, is never kept."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from domain.documents.model import (
    CASE_DOCUMENT_KINDS,
    CLAIM_DOCUMENT_KINDS,
    EXPIRY_WARNING_DAYS,
    KINDS_REQUIRING_EXPIRY,
    KINDS_WITH_EXPIRY,
    MAX_FILE_BYTES,
    NETWORK,
    CaseDocument,
    CaseDocumentDraft,
    ClaimDocument,
    ClaimDocumentDraft,
    DocumentError,
    DocumentKind,
    FileFacts,
    FileType,
    check_case_draft,
    check_claim_draft,
    check_file,
)
from domain.programme import City
from tests.builders import NOW, a_coordinator, recorded, refusal

ACTOR = a_coordinator()
DOCUMENT_ID, CASE_ID, CLAIM_ID = UUID(int=0xD0C), UUID(int=0xCA5E), UUID(int=0xC1A1)
FACTS = FileFacts(FileType.PNG, 2048, "a" * 64)
MEGABYTE = 1024 * 1024


def test_the_defaults_and_kinds_are_those_of_the_rules() -> None:
    assert (MAX_FILE_BYTES, EXPIRY_WARNING_DAYS) == (10 * MEGABYTE, 30)
    assert CASE_DOCUMENT_KINDS == (
        DocumentKind.INFORMATION_NOTICE,
        DocumentKind.RESIDENCE_PERMIT,
        DocumentKind.IDENTITY_DOCUMENT,
        DocumentKind.MEDICAL_CERTIFICATE,
        DocumentKind.OTHER,
    )
    assert CLAIM_DOCUMENT_KINDS == (DocumentKind.INVOICE, DocumentKind.PROOF_OF_PAYMENT)
    assert KINDS_WITH_EXPIRY == (
        DocumentKind.RESIDENCE_PERMIT,
        DocumentKind.IDENTITY_DOCUMENT,
        DocumentKind.OTHER,
    )
    assert KINDS_REQUIRING_EXPIRY == (DocumentKind.RESIDENCE_PERMIT,)
    assert [t.extension for t in FileType] == ["pdf", "jpg", "png"]
    assert (NETWORK, DocumentError.code) == ("network", "document_error")


@pytest.mark.parametrize(
    ("content", "file_type"),
    [
        (b"%PDF-", FileType.PDF),
        (b"\xff\xd8\xff", FileType.JPEG),
        (b"\x89PNG\r\n\x1a\n", FileType.PNG),
    ],
)
def test_each_signature_alone_is_a_file_of_its_type(content: bytes, file_type: FileType) -> None:
    assert check_file(content, len(content)) == FileFacts(
        file_type, len(content), hashlib.sha256(content).hexdigest()
    )


@pytest.mark.parametrize(
    ("max_bytes", "megabytes"),
    [(10 * MEGABYTE, 10), (2 * MEGABYTE - 1, 1), (100, 1), (3 * MEGABYTE, 3)],
)
def test_a_file_one_byte_too_large_is_refused_saying_both_sizes(
    max_bytes: int, megabytes: int
) -> None:
    content = b"%PDF-" + b"x" * (max_bytes - 4)
    assert refusal(lambda: check_file(content, max_bytes)) == (
        "file_too_large",
        f"The file is {max_bytes + 1} bytes; at most {max_bytes} bytes are accepted.",
        {"field": "file", "max_megabytes": megabytes, "max_bytes": max_bytes},
    )
    assert check_file(content[:-1], max_bytes).size == max_bytes


def test_a_file_of_another_type_is_refused_saying_it_is_judged_by_its_content() -> None:
    assert refusal(lambda: check_file(b"GIF89a", 100)) == (
        "file_type_refused",
        "The file is not a PDF, JPEG or PNG (judged by its content, not its name).",
        {"field": "file"},
    )


def test_each_refused_draft_says_why_on_its_field() -> None:
    assert refusal(lambda: check_case_draft(CaseDocumentDraft(DocumentKind.INVOICE), NOW)) == (
        "invalid_document",
        "This kind of document is not attached to a case.",
        {"field": "kind"},
    )
    assert refusal(
        lambda: check_case_draft(CaseDocumentDraft(DocumentKind.RESIDENCE_PERMIT), NOW)
    ) == ("invalid_document", "Give the permit's expiry date.", {"field": "expires_on"})
    for kind in (DocumentKind.INFORMATION_NOTICE, DocumentKind.MEDICAL_CERTIFICATE):
        assert refusal(
            lambda kind=kind: check_case_draft(  # type: ignore[misc]
                CaseDocumentDraft(kind, date(2022, 1, 31)), NOW
            )
        ) == (
            "invalid_document",
            "This kind of document has no expiry date.",
            {"field": "expires_on"},
        )
    assert refusal(
        lambda: check_case_draft(
            CaseDocumentDraft(DocumentKind.IDENTITY_DOCUMENT, vulnerability="disability"), NOW
        )
    ) == (
        "invalid_document",
        "Only a medical certificate is linked to a vulnerability's assessment.",
        {"field": "vulnerability"},
    )
    assert refusal(lambda: check_claim_draft(ClaimDocumentDraft(DocumentKind.OTHER))) == (
        "invalid_document",
        "An expenditure claim's documents are invoices and proofs of payment.",
        {"field": "kind"},
    )
    check_claim_draft(ClaimDocumentDraft(DocumentKind.PROOF_OF_PAYMENT))


@pytest.mark.parametrize(
    "kind", [DocumentKind.RESIDENCE_PERMIT, DocumentKind.IDENTITY_DOCUMENT, DocumentKind.OTHER]
)
def test_an_expiry_is_plausible_from_30_years_back_to_30_years_on_in_italy(
    kind: DocumentKind,
) -> None:
    """At 23:30 UTC on 31 December 2020 it is already 2021 in Italy: 1991 to 2051."""
    new_year = datetime(2020, 12, 31, 23, 30, tzinfo=UTC)
    for year in (1991, 2051):
        check_case_draft(CaseDocumentDraft(kind, date(year, 6, 1)), new_year)
    for year in (1990, 2052):
        assert refusal(
            lambda year=year: check_case_draft(  # type: ignore[misc]
                CaseDocumentDraft(kind, date(year, 6, 1)), new_year
            )
        ) == ("invalid_document", "The expiry date is not plausible.", {"field": "expires_on"})


def test_a_case_document_records_what_is_known_of_its_file_and_never_its_name() -> None:
    draft = CaseDocumentDraft(DocumentKind.MEDICAL_CERTIFICATE, None, "disability")

    document = CaseDocument.attach(
        DOCUMENT_ID,
        CASE_ID,
        "FI-2021-00001",
        City.FIRENZE,
        draft,
        FACTS,
        date(2021, 3, 1),
        ACTOR,
        NOW,
    )

    assert recorded(document) == [
        (
            "Attached",
            {
                "timestamp": NOW,
                "case_id": CASE_ID,
                "case_code": "FI-2021-00001",
                "city": "firenze",
                "kind": "medical_certificate",
                "media_type": "image/png",
                "size": 2048,
                "sha256": "a" * 64,
                "expires_on": None,
                "vulnerability": "disability",
                "assessed_on": date(2021, 3, 1),
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert document.id == DOCUMENT_ID
    assert document.city == City.FIRENZE and isinstance(document.city, City)
    assert (
        document.case_id,
        document.case_code,
        document.kind,
        document.file_type,
        document.size,
        document.sha256,
        document.expires_on,
        document.vulnerability,
        document.assessed_on,
    ) == (
        CASE_ID,
        "FI-2021-00001",
        DocumentKind.MEDICAL_CERTIFICATE,
        FileType.PNG,
        2048,
        "a" * 64,
        None,
        "disability",
        date(2021, 3, 1),
    )


def test_a_permit_records_its_expiry() -> None:
    document = CaseDocument.attach(
        DOCUMENT_ID,
        CASE_ID,
        "FI-2021-00001",
        City.FIRENZE,
        CaseDocumentDraft(DocumentKind.RESIDENCE_PERMIT, date(2023, 5, 1)),
        FACTS,
        None,
        ACTOR,
        NOW,
    )
    assert document.expires_on == date(2023, 5, 1)
    assert document.kind is DocumentKind.RESIDENCE_PERMIT


def test_a_claim_document_of_a_city_or_of_a_national_partner_records_its_facts() -> None:
    draft = ClaimDocumentDraft(DocumentKind.INVOICE)
    facts = FileFacts(FileType.PDF, 10, "b" * 64)

    of_city = ClaimDocument.attach(DOCUMENT_ID, CLAIM_ID, City.MILANO, draft, facts, ACTOR, NOW)
    national = ClaimDocument.attach(UUID(int=2), CLAIM_ID, None, draft, facts, ACTOR, NOW)

    fields = {
        "timestamp": NOW,
        "claim_id": CLAIM_ID,
        "kind": "invoice",
        "media_type": "application/pdf",
        "size": 10,
        "sha256": "b" * 64,
        "actor": ACTOR.as_record(),
    }
    assert recorded(of_city) == [("Attached", {**fields, "city": "milano"})]
    assert recorded(national) == [("Attached", {**fields, "city": "network"})]
    assert of_city.city == City.MILANO and isinstance(of_city.city, City)
    assert national.city is None
    assert (of_city.claim_id, of_city.kind, of_city.file_type, of_city.size, of_city.sha256) == (
        CLAIM_ID,
        DocumentKind.INVOICE,
        FileType.PDF,
        10,
        "b" * 64,
    )
