"""The words of documents: the kinds of document, the documents' events and their refusals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.documents.model import DocumentKind
from events.documents import DocumentCaseFileAttachedV1, DocumentClaimFileAttachedV1
from web.kit.i18n import N_

DOCUMENT_KINDS: Mapping[str, str] = {
    DocumentKind.INFORMATION_NOTICE: N_("Signed information notice"),
    DocumentKind.RESIDENCE_PERMIT: N_("Residence permit"),
    DocumentKind.IDENTITY_DOCUMENT: N_("Identity document"),
    DocumentKind.MEDICAL_CERTIFICATE: N_("Medical certificate of a vulnerability"),
    DocumentKind.OTHER: N_("Other document"),
    DocumentKind.INVOICE: N_("Invoice"),
    DocumentKind.PROOF_OF_PAYMENT: N_("Proof of payment"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {DocumentKind: DOCUMENT_KINDS}
# CloudEvents type -> what the record calls the event.
EVENT_TYPES: Mapping[str, str] = {
    DocumentCaseFileAttachedV1.ce_type(): N_("Document attached to the case"),
    DocumentClaimFileAttachedV1.ce_type(): N_("Document attached to the claim"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("document_error", None): N_("This breaks a rule of the documents."),
    ("file_too_large", None): N_(
        "The file is too large: at most %(max_megabytes)s MB are accepted. Scan it at a lower "
        "resolution, or in black and white, and attach it again."),
    ("file_type_refused", None): N_(
        "Attach a PDF, JPEG or PNG file. The type is judged by what the file contains, not by "
        "its name: a file renamed .pdf is not a PDF."),
    ("invalid_document", None): N_("This document cannot be attached as described."),
    ("invalid_document", "kind"): N_("Choose one of the kinds of document offered."),
    ("invalid_document", "expires_on"): N_(
        "Give the expiry date of a residence permit; only permits, identity documents and "
        "other documents have one, and it must be a plausible date."),
    ("invalid_document", "vulnerability"): N_(
        "A medical certificate is linked to a vulnerability whose assessment is recorded on "
        "the case: record the assessment first. Other documents are linked to none."),
    ("documents_closed", None): N_(
        "Files are attached only to open cases whose personal data is kept, and to recorded "
        "claims."),
}
