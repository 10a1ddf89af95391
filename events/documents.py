"""Event contracts of documents (see docs/workflows/documents.md): a file attached to a case or
to an expenditure claim. They say what kind of document, the file's type, size and SHA-256, its
expiry and the ids; never the file's content, nor the name the user's file had (free text), nor
anything the file says. The files are in the vault: a case's under the person's key (shredded by
the person's erasure), a claim's under a key of its own. Partners receive none of these."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.contracts import CASE_CODE_PATTERN, City, EventContract, Vulnerability

CaseDocumentKind = Literal[
    "information_notice", "residence_permit", "identity_document", "medical_certificate", "other"
]
ClaimDocumentKind = Literal["invoice", "proof_of_payment"]
MediaType = Literal["application/pdf", "image/jpeg", "image/png"]
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class DocumentCaseFileAttachedV1(EventContract):
    """A city's staff attached a file to a case. A medical certificate may be linked to the
    latest assessment of the vulnerability it establishes (`vulnerability`, `assessed_on`, as
    case.vulnerability_assessed recorded it). A residence permit carries its expiry date, which
    puts the case in the work queue when it comes close."""

    aggregate: ClassVar[str] = "document"
    event: ClassVar[str] = "case_file_attached"
    version: ClassVar[int] = 1

    document_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    kind: CaseDocumentKind
    media_type: MediaType = Field(description="Judged from the file's content (its first bytes)")
    size: int = Field(ge=1, description="Bytes")
    sha256: str = Field(pattern=SHA256_PATTERN, description="The SHA-256 of the file's content")
    expires_on: date | None = None
    vulnerability: Vulnerability | None = Field(
        default=None, description="Special-category data: internal only")
    assessed_on: date | None = None


class DocumentClaimFileAttachedV1(EventContract):
    """A city's coordinator attached an invoice or a proof of payment to an expenditure claim.
    Its CloudEvents subject is the claim id, like the claim's own events."""

    aggregate: ClassVar[str] = "document"
    event: ClassVar[str] = "claim_file_attached"
    version: ClassVar[int] = 1

    document_id: UUID
    claim_id: UUID
    city: City
    kind: ClaimDocumentKind
    media_type: MediaType = Field(description="Judged from the file's content (its first bytes)")
    size: int = Field(ge=1, description="Bytes")
    sha256: str = Field(pattern=SHA256_PATTERN, description="The SHA-256 of the file's content")


DOCUMENT_CONTRACTS: tuple[type[EventContract], ...] = (
    DocumentCaseFileAttachedV1,
    DocumentClaimFileAttachedV1,
)
