"""What a document is, and the rules an attached file must meet (issue 16, item 9).

A document is its own aggregate, created by its attachment and never changed: a newer file (a
renewed permit) is a new document, and the newest of a kind is what counts. Its events carry the
document's kind, the file's type, size and SHA-256, its expiry date and ids; the file itself is
in the vault (domain.vault), and the name the user's file had is not kept at all: names of files
are free text, and people name scans after the person ("permesso_Tesfaye.pdf")."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.programme import Actor, City, DomainError, programme_today

MAX_FILE_BYTES = 10 * 1024 * 1024
"""The default size limit (10 MB); a deployment sets its own (LGNET_DOCUMENT_MAX_BYTES)."""
EXPIRY_WARNING_DAYS = 30
"""How many days before its expiry a document enters the work queue, by default
(LGNET_DOCUMENT_EXPIRY_WARNING_DAYS)."""


class DocumentKind(StrEnum):
    # Attached to a case:
    INFORMATION_NOTICE = "information_notice"
    """The privacy information notice (GDPR art. 13), signed by the person."""
    RESIDENCE_PERMIT = "residence_permit"
    """The residence permit (permesso di soggiorno), with its expiry date."""
    IDENTITY_DOCUMENT = "identity_document"
    MEDICAL_CERTIFICATE = "medical_certificate"
    """A certificate that establishes a vulnerability (art. 17 c.1 d.lgs. 142/2015): linked to
    the assessment (accertamento) recorded on the case."""
    OTHER = "other"
    # Attached to an expenditure claim:
    INVOICE = "invoice"
    PROOF_OF_PAYMENT = "proof_of_payment"


CASE_DOCUMENT_KINDS = (
    DocumentKind.INFORMATION_NOTICE, DocumentKind.RESIDENCE_PERMIT,
    DocumentKind.IDENTITY_DOCUMENT, DocumentKind.MEDICAL_CERTIFICATE, DocumentKind.OTHER,
)
CLAIM_DOCUMENT_KINDS = (DocumentKind.INVOICE, DocumentKind.PROOF_OF_PAYMENT)
# The kinds that have an expiry date: required for a permit (what the work queue follows),
# optional for an identity document and any other.
KINDS_WITH_EXPIRY = (DocumentKind.RESIDENCE_PERMIT, DocumentKind.IDENTITY_DOCUMENT,
                     DocumentKind.OTHER)
KINDS_REQUIRING_EXPIRY = (DocumentKind.RESIDENCE_PERMIT,)


class FileType(StrEnum):
    """The types of file accepted, each known by how its content begins (its magic bytes),
    never by the name or the content type the browser declared."""

    PDF = "application/pdf"
    JPEG = "image/jpeg"
    PNG = "image/png"

    @property
    def extension(self) -> str:
        return {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[self.value]


_MAGIC: tuple[tuple[bytes, FileType], ...] = (
    (b"%PDF-", FileType.PDF),
    (b"\xff\xd8\xff", FileType.JPEG),
    (b"\x89PNG\r\n\x1a\n", FileType.PNG),
)


def sniff(content: bytes) -> FileType | None:
    """The file's type from its first bytes; None for anything else (HTML, an executable, a
    Word file renamed .pdf...)."""
    return next((kind for magic, kind in _MAGIC if content.startswith(magic)), None)


class DocumentError(DomainError):
    """Raised when a file or what is said of it breaks a rule of the documents."""

    code = "document_error"


class FileTooLarge(DocumentError):
    """Raised when the file is larger than the limit (`max_bytes`)."""

    code = "file_too_large"


class FileTypeRefused(DocumentError):
    """Raised when the file's content is not a PDF, JPEG or PNG, or the file is empty."""

    code = "file_type_refused"


class InvalidDocument(DocumentError):
    """Raised when the kind, expiry or linked assessment does not fit the document."""

    code = "invalid_document"


class DocumentsClosed(DocumentError):
    """Raised when a file is attached to a closed case, an erased person or a missing claim."""

    code = "documents_closed"


@dataclass(frozen=True)
class FileFacts:
    """What is known of a file's content: its type, size and SHA-256 (hex)."""

    file_type: FileType
    size: int
    sha256: str


def check_file(content: bytes, max_bytes: int) -> FileFacts:
    """The file's facts, or the refusal: too large (more than `max_bytes`), empty, or of a type
    not on the list (by its content)."""
    if len(content) > max_bytes:
        raise FileTooLarge(
            f"The file is {len(content)} bytes; at most {max_bytes} bytes are accepted.",
            field="file", max_megabytes=max(1, max_bytes // (1024 * 1024)), max_bytes=max_bytes)
    file_type = sniff(content)
    if file_type is None:
        raise FileTypeRefused(
            "The file is not a PDF, JPEG or PNG (judged by its content, not its name).",
            field="file")
    return FileFacts(file_type, len(content), hashlib.sha256(content).hexdigest())


@dataclass(frozen=True)
class CaseDocumentDraft:
    """What the user says of a file attached to a case."""

    kind: DocumentKind
    expires_on: date | None = None
    vulnerability: str | None = None
    """The vulnerability the certificate establishes (a code of the cases context), whose
    latest assessment it is linked to; only for a medical certificate."""


@dataclass(frozen=True)
class ClaimDocumentDraft:
    kind: DocumentKind


def check_case_draft(draft: CaseDocumentDraft, now: datetime) -> None:
    if draft.kind not in CASE_DOCUMENT_KINDS:
        raise InvalidDocument("This kind of document is not attached to a case.", field="kind")
    _check_expiry(draft.kind, draft.expires_on, now)
    if draft.vulnerability is not None and draft.kind is not DocumentKind.MEDICAL_CERTIFICATE:
        raise InvalidDocument(
            "Only a medical certificate is linked to a vulnerability's assessment.",
            field="vulnerability")


def check_claim_draft(draft: ClaimDocumentDraft) -> None:
    if draft.kind not in CLAIM_DOCUMENT_KINDS:
        raise InvalidDocument(
            "An expenditure claim's documents are invoices and proofs of payment.", field="kind")


def _check_expiry(kind: DocumentKind, expires_on: date | None, now: datetime) -> None:
    if expires_on is None:
        if kind in KINDS_REQUIRING_EXPIRY:
            raise InvalidDocument("Give the permit's expiry date.", field="expires_on")
        return
    if kind not in KINDS_WITH_EXPIRY:
        raise InvalidDocument("This kind of document has no expiry date.", field="expires_on")
    # An expired permit may still be filed (the person is renewing it); a date decades away
    # is a typing error.
    this_year = programme_today(now).year
    if not this_year - 30 <= expires_on.year <= this_year + 30:
        raise InvalidDocument("The expiry date is not plausible.", field="expires_on")


class CaseDocument(Aggregate):
    """A file attached to a case, kept in the vault under the person's key."""

    class Attached(Aggregate.Created):
        case_id: UUID
        case_code: str
        city: str
        kind: str
        media_type: str
        size: int
        sha256: str
        expires_on: date | None
        vulnerability: str | None
        assessed_on: date | None
        actor: dict[str, str | None]

    def __init__(
        self, case_id: UUID, case_code: str, city: str, kind: str, media_type: str, size: int,
        sha256: str, expires_on: date | None, vulnerability: str | None,
        assessed_on: date | None, actor: dict[str, str | None],
    ) -> None:
        self.case_id = case_id
        self.case_code = case_code
        self.city = City(city)
        self.kind = DocumentKind(kind)
        self.file_type = FileType(media_type)
        self.size = size
        self.sha256 = sha256
        self.expires_on = expires_on
        self.vulnerability = vulnerability
        self.assessed_on = assessed_on

    @classmethod
    def attach(
        cls, document_id: UUID, case_id: UUID, case_code: str, city: City,
        draft: CaseDocumentDraft, facts: FileFacts, assessed_on: date | None, actor: Actor,
        now: datetime,
    ) -> CaseDocument:
        return cls._create(
            cls.Attached, id=document_id, timestamp=now, case_id=case_id, case_code=case_code,
            city=city.value, kind=draft.kind.value, media_type=facts.file_type.value,
            size=facts.size, sha256=facts.sha256, expires_on=draft.expires_on,
            vulnerability=draft.vulnerability, assessed_on=assessed_on,
            actor=actor.as_record(),
        )


NETWORK = "network"
"""The `city` of a document of a national partner's claim (the lead partner's, Fondazione
Cittalia's, ANCI's, ANCI Comunicare's): no city's, published on the network's subjects."""


class ClaimDocument(Aggregate):
    """A file attached to an expenditure claim (an invoice, a proof of payment), kept in the
    vault under a key of its own: it is the city's accounting (or a national partner's: `city`
    None), no person's, and outlives any erasure for as long as the accounts must be kept."""

    class Attached(Aggregate.Created):
        claim_id: UUID
        city: str
        kind: str
        media_type: str
        size: int
        sha256: str
        actor: dict[str, str | None]

    def __init__(
        self, claim_id: UUID, city: str, kind: str, media_type: str, size: int, sha256: str,
        actor: dict[str, str | None],
    ) -> None:
        self.claim_id = claim_id
        self.city: City | None = None if city == NETWORK else City(city)
        self.kind = DocumentKind(kind)
        self.file_type = FileType(media_type)
        self.size = size
        self.sha256 = sha256

    @classmethod
    def attach(
        cls, document_id: UUID, claim_id: UUID, city: City | None, draft: ClaimDocumentDraft,
        facts: FileFacts, actor: Actor, now: datetime,
    ) -> ClaimDocument:
        """Attach a file to a claim of `city`, or of a national partner (`city` None)."""
        return cls._create(
            cls.Attached, id=document_id, timestamp=now, claim_id=claim_id,
            city=NETWORK if city is None else city.value,
            kind=draft.kind.value, media_type=facts.file_type.value, size=facts.size,
            sha256=facts.sha256, actor=actor.as_record(),
        )
