"""The names a document's file is saved under: made from what the platform knows (the owner, the
kind, the document's id and the type its content was found to be), never from a name a user
typed. The download answers with it, and the pages show it as the file's link."""

from __future__ import annotations

from uuid import UUID

from domain.documents.model import FileType
from projections.documents import DocumentRow


def claim_file_prefix(claim_id: UUID) -> str:
    return f"claim-{str(claim_id)[:8]}"


def file_name(row: DocumentRow, prefix: str) -> str:
    extension = FileType(row.media_type).extension
    return f"{prefix}-{row.kind}-{str(row.document_id)[:8]}.{extension}"
