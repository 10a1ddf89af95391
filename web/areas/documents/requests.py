"""Documents as the web takes and serves them, for the pages and the API alike: the case or the
claim a path names and who may reach it, the request models, reading an uploaded file (no more
than the limit and one byte: enough to refuse it), and the download answer.

Who may do what: a case's files are uploaded and read by the staff of the case's city only
(every reading logged with its reason, like a reading of identifiers); a claim's files are
uploaded by the city's coordinators, who claim, and read by them, by the ministry that decides
the claim and by the auditors (logged too). A case or claim of a city the principal may not see
is unknown to them (404); one they see but may not touch so, 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from domain.access import AccessDenied, Permission, Principal, may, require
from domain.documents.model import (
    NETWORK,
    CaseDocumentDraft,
    ClaimDocumentDraft,
    DocumentKind,
    FileTypeRefused,
)
from domain.documents.service import (
    DocumentNotFound,
    FileRead,
    may_read_case_files,
    may_read_claim_files,
)
from domain.programme import City
from domain.vault import AccessReason
from events.documents import CaseDocumentKind, ClaimDocumentKind
from projections.case_list import CaseRow
from projections.documents import OWNER_CLAIM, DocumentRow
from projections.finance import ClaimRow
from web.kit.dependencies import Services
from web.kit.document_files import claim_file_prefix, file_name
from web.kit.errors import ResourceNotFound, UnknownClaim
from web.kit.forms import blank_is_none
from web.kit.i18n import N_, Translator
from web.kit.inputs import Day
from web.kit.principal import SignedIn, ViewableCase
from web.services import WebServices

# What a download says to the browser and every cache on its way: a file to save, of the type
# its content was found to be (never sniffed into HTML), kept by nobody.
DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                    "Pragma": "no-cache"}
# The reasons city staff give for reading a case's file (an auditor reads none).
STAFF_REASONS = tuple(reason for reason in AccessReason if reason is not AccessReason.AUDIT_GRANT)


class UnknownDocument(ResourceNotFound):
    """Raised when the case or claim has no document with the id in the path."""

    code = "unknown_document"

    def __init__(self, document_id: str) -> None:
        super().__init__(document_id)
        self.document_id = document_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_('There is no document "%(document_id)s".'),
                                  document_id=self.document_id)


# --- whose case or claim, and who may reach it ----------------------------------------------


def case_files_of(case: ViewableCase, principal: SignedIn, services: Services) -> CaseRow:
    """The case, for whoever may upload and read its files (its city's staff); 403 for whoever
    sees the case but may not (the ministry, an auditor)."""
    city = City(case.city)
    if not may_read_case_files(principal, city, services.now()):
        require(principal, Permission.RECORD_CASE_WORK, city, at=services.now())
        require(principal, Permission.VIEW_PERSONAL_IDENTIFIERS, city, at=services.now())
    return case


def claim_in_path(
    claim_id: Annotated[
        str, Path(description="The claim's id", json_schema_extra={"format": "uuid"})],
    principal: SignedIn, services: Services,
) -> ClaimRow:
    """The claim, for whoever may see the city's figures; unknown (404) to whoever may not see
    the city's cases."""
    try:
        claim = services.finance_views.claim_for_documents(UUID(claim_id))
    except ValueError:
        raise UnknownClaim(claim_id) from None
    if claim is None or not may_see_claim(principal, claim):
        raise UnknownClaim(claim_id)
    city = claim_city(claim)
    if city is not None:
        require(principal, Permission.VIEW_CITY, city)
    return claim


def claim_city(claim: ClaimRow) -> City | None:
    """The claim's city; None for a national partner's claim (the lead partner's included)."""
    return None if claim.city == NETWORK else City(claim.city)


def may_see_claim(principal: Principal, claim: ClaimRow) -> bool:
    """A city's claim: whoever may see the city's cases; a national partner's: the oversight
    only (a city never learns of it)."""
    city = claim_city(claim)
    if city is None:
        return may(principal, Permission.VIEW_NETWORK_OVERVIEW)
    return may(principal, Permission.VIEW_CASE, city)


def may_attach_to_claim(principal: Principal, city: City | None) -> bool:
    """A city's coordinators to its claims; the ministry's finance office to a national
    partner's."""
    if city is None:
        return may(principal, Permission.RECORD_PARTNER_EXPENDITURE)
    return may(principal, Permission.RECORD_EXPENDITURE, city)


def claim_where(permission: Callable[[Principal, City | None], bool],
                denied: Permission) -> Callable[[ClaimRow, Principal, WebServices], ClaimRow]:
    def permitted(
        claim: Annotated[ClaimRow, Depends(claim_in_path)], principal: SignedIn,
        services: Services,
    ) -> ClaimRow:
        if not permission(principal, claim_city(claim)):
            raise AccessDenied(f"A {principal.role.value} may not {denied.value}",
                               permission=denied.value)
        return claim

    return permitted


CaseForFiles = Annotated[CaseRow, Depends(case_files_of)]
ViewableClaim = Annotated[ClaimRow, Depends(claim_in_path)]
ClaimToAttachTo = Annotated[ClaimRow, Depends(claim_where(
    may_attach_to_claim, Permission.RECORD_EXPENDITURE))]


def claim_document_in_path(
    claim_document_id: Annotated[str, Path(
        description="The claim document's id", json_schema_extra={"format": "uuid"})],
    principal: SignedIn, services: Services,
) -> tuple[ClaimRow, UUID]:
    """A claim's document and its claim, for whoever may read the claim's files; unknown (404)
    to whoever may not see the claim's city, refused (403) to whoever sees it but may not."""
    document_id = document_id_in_path(claim_document_id)
    row = services.document_views.document(document_id)
    if row is None or row.owner != OWNER_CLAIM:
        raise UnknownDocument(claim_document_id)
    claim = services.finance_views.claim_for_documents(row.owner_id)
    if claim is None or not may_see_claim(principal, claim):
        raise UnknownDocument(claim_document_id)
    if not may_read_claim_files(principal, claim_city(claim), services.now()):
        raise AccessDenied(f"A {principal.role.value} may not read claim files",
                           permission=Permission.RECORD_EXPENDITURE.value)
    return claim, document_id


ClaimDocumentToRead = Annotated[tuple[ClaimRow, UUID], Depends(claim_document_in_path)]


def document_id_in_path(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise UnknownDocument(value) from None


# --- what is posted ------------------------------------------------------------------------


class CaseDocumentRequest(BaseModel):
    """What is said of a file attached to a case (the file itself is the `file` part)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"kind": "residence_permit", "expires_on": "2022-03-31"}]})

    kind: CaseDocumentKind
    expires_on: Day | None = Field(default=None, description=(
        "Required for a residence permit; optional for an identity document or another "
        "document. It puts the case in the work queue when it comes close"))
    vulnerability: str | None = Field(default=None, max_length=40, description=(
        "For a medical certificate: the vulnerability (its code) whose recorded assessment the "
        "certificate establishes"))

    _blanks = field_validator("expires_on", "vulnerability", mode="before")(blank_is_none)

    def draft(self) -> CaseDocumentDraft:
        return CaseDocumentDraft(DocumentKind(self.kind), self.expires_on, self.vulnerability)


class ClaimDocumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"kind": "invoice"}]})

    kind: ClaimDocumentKind

    def draft(self) -> ClaimDocumentDraft:
        return ClaimDocumentDraft(DocumentKind(self.kind))


class DownloadRequest(BaseModel):
    """Why a case's file is read: logged with who read it, when and for which case."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"reason": AccessReason.IDENTITY_CHECK.value}]})

    reason: AccessReason = Field(description=(
        "Why the file is read (city staff's reasons: "
        + ", ".join(reason.value for reason in STAFF_REASONS) + ")"))



async def file_content(upload: Any, max_bytes: int) -> bytes:
    """What was uploaded as `file`: at most the limit and one byte (enough to refuse a file that
    is too large without holding all of it). No file at all is refused like an empty one."""
    if not isinstance(upload, UploadFile):
        raise FileTypeRefused("Choose the file to attach.", field="file")
    try:
        return await upload.read(max_bytes + 1)
    finally:
        await upload.close()


# --- doing it ------------------------------------------------------------------------------


async def attach_to_case(
    services: WebServices, case: CaseRow, request: CaseDocumentRequest, content: bytes,
    principal: Principal,
) -> tuple[UUID, int]:
    document_id = services.new_id()
    position = await run_in_threadpool(
        services.documents.attach_to_case, document_id, case.case_id, request.draft(), content,
        principal, services.now())
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return document_id, position


async def attach_to_claim(
    services: WebServices, claim: ClaimRow, request: ClaimDocumentRequest, content: bytes,
    principal: Principal,
) -> tuple[UUID, int]:
    document_id = services.new_id()
    position = await run_in_threadpool(
        services.documents.attach_to_claim, document_id, claim_city(claim), claim.claim_id,
        request.draft(), content, principal, services.now())
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return document_id, position


def case_download(
    services: WebServices, case: CaseRow, document_id: UUID, reason: AccessReason,
    principal: Principal,
) -> Response:
    """The file, logged first (blocking: call it from a thread). 404 for a document of another
    case, and once the person's data is erased (nothing is left to read)."""
    try:
        read = services.documents.read_case_file(
            case.case_id, document_id, reason, principal, services.now())
    except DocumentNotFound:
        raise UnknownDocument(str(document_id)) from None
    row = services.document_views.document(document_id)
    if read is None or row is None:
        raise UnknownDocument(str(document_id))
    return download_response(read, row, case.case_code)


def claim_download(
    services: WebServices, claim: ClaimRow, document_id: UUID, principal: Principal,
) -> Response:
    try:
        read = services.documents.read_claim_file(
            claim_city(claim), claim.claim_id, document_id, principal, services.now())
    except DocumentNotFound:
        raise UnknownDocument(str(document_id)) from None
    row = services.document_views.document(document_id)
    if read is None or row is None:
        raise UnknownDocument(str(document_id))
    return download_response(read, row, claim_file_prefix(claim.claim_id))


def download_response(read: FileRead, row: DocumentRow, prefix: str) -> Response:
    """A file to save, named from what the platform knows (never a name a user typed)."""
    name = file_name(row, prefix)
    return Response(read.content, media_type=read.file_type.value, headers={
        **DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})
