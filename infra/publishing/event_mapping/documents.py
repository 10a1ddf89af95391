"""The documents context's public events. A case's file has the case code as its CloudEvents
subject (it happens to the case); a claim's file the claim id, like the claim's own events."""

from __future__ import annotations

from domain.documents.model import CaseDocument, ClaimDocument
from events.documents import DocumentCaseFileAttachedV1, DocumentClaimFileAttachedV1
from infra.publishing.event_mapping import PublicEvent

DOCUMENT_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(CaseDocument.Attached, DocumentCaseFileAttachedV1, id_field="document_id"),
    PublicEvent(ClaimDocument.Attached, DocumentClaimFileAttachedV1, id_field="document_id",
                subject_attribute="claim_id"),
)
