"""Documents as JSON (and files): list a case's or a claim's documents, attach one
(multipart/form-data: the fields and the `file` part), and download one. A file over the limit
is answered 413, one of a type not accepted (judged by its content) 422; nothing is kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from domain.documents.model import FileTooLarge
from domain.programme import DomainError
from projections.documents import DocumentRow
from web.areas.documents.requests import (
    CaseDocumentRequest,
    CaseForFiles,
    ClaimDocumentRequest,
    ClaimDocumentToRead,
    ClaimToAttachTo,
    DownloadRequest,
    ViewableClaim,
    attach_to_case,
    attach_to_claim,
    case_download,
    claim_download,
    document_id_in_path,
    file_content,
)
from web.kit.dependencies import Services
from web.kit.errors import ErrorBody, explain_domain_error
from web.kit.i18n import translator_of
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, tags=["documents"])
_Model = TypeVar("_Model", bound=BaseModel)


class DocumentOut(BaseModel):
    """A document as listed: never its content, never a file name."""

    document_id: UUID
    kind: str
    media_type: str
    size: int
    sha256: str
    expires_on: date | None
    vulnerability: str | None
    assessed_on: date | None
    attached_at: datetime
    attached_by: str

    @classmethod
    def of(cls, row: DocumentRow) -> DocumentOut:
        return cls(
            document_id=row.document_id, kind=row.kind, media_type=row.media_type,
            size=row.size, sha256=row.sha256, expires_on=row.expires_on,
            vulnerability=row.vulnerability, assessed_on=row.assessed_on,
            attached_at=row.attached_at, attached_by=row.attached_by)


class DocumentReceipt(BaseModel):
    document_id: UUID
    position: int


_FILE_ANSWERS: dict[int | str, dict[str, object]] = {
    413: {"model": ErrorBody, "description": "The file is larger than the limit"},
}
_DOWNLOAD_ANSWERS: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}},
          "description": "The file, as an attachment"},
}


@router.get("/cases/{case_id}/documents", response_model=list[DocumentOut],
            name="api_case_documents", summary="A case's documents (its city's staff)")
def case_documents(case: CaseForFiles, services: Services) -> list[DocumentOut]:
    return [DocumentOut.of(row) for row in services.document_views.of_owner(case.case_id)]


@router.post("/cases/{case_id}/documents", status_code=status.HTTP_201_CREATED,
             response_model=DocumentReceipt, name="api_attach_case_document",
             summary="Attach a file (PDF, JPEG or PNG) to a case", responses=_FILE_ANSWERS)
async def attach_case_document(
    request: Request, case: CaseForFiles, services: Services, principal: SignedIn,
    file: Annotated[UploadFile, File(description="The file: PDF, JPEG or PNG")],
    kind: Annotated[str, Form()],
    expires_on: Annotated[str | None, Form()] = None,
    vulnerability: Annotated[str | None, Form()] = None,
) -> Response:
    body = _parsed(CaseDocumentRequest,
                   {"kind": kind, "expires_on": expires_on, "vulnerability": vulnerability})
    return await _attached(request, file, services, lambda content: attach_to_case(
        services, case, body, content, principal))


@router.post("/cases/{case_id}/documents/{document_id}/file",
             name="api_download_case_document", response_class=Response,
             summary="Read a case's file, for a stated reason (logged first)",
             responses=_DOWNLOAD_ANSWERS)
async def download_case_document(
    case: CaseForFiles, document_id: str, body: DownloadRequest, services: Services,
    principal: SignedIn,
) -> Response:
    wanted = document_id_in_path(document_id)
    return await run_in_threadpool(case_download, services, case, wanted, body.reason, principal)


@router.get("/claims/{claim_id}/documents", response_model=list[DocumentOut],
            name="api_claim_documents", summary="An expenditure claim's documents")
def claim_documents(claim: ViewableClaim, services: Services) -> list[DocumentOut]:
    return [DocumentOut.of(row) for row in services.document_views.of_owner(claim.claim_id)]


@router.post("/claims/{claim_id}/documents", status_code=status.HTTP_201_CREATED,
             response_model=DocumentReceipt, name="api_attach_claim_document",
             summary="Attach an invoice or a proof of payment to a claim",
             responses=_FILE_ANSWERS)
async def attach_claim_document(
    request: Request, claim: ClaimToAttachTo, services: Services, principal: SignedIn,
    file: Annotated[UploadFile, File(description="The file: PDF, JPEG or PNG")],
    kind: Annotated[str, Form()],
) -> Response:
    body = _parsed(ClaimDocumentRequest, {"kind": kind})
    return await _attached(request, file, services, lambda content: attach_to_claim(
        services, claim, body, content, principal))


@router.get("/claim-documents/{claim_document_id}", name="api_download_claim_document",
            response_class=Response,
            summary="Read a claim's file (the city, the ministry, the auditors; logged first)",
            responses=_DOWNLOAD_ANSWERS)
def download_claim_document(
    wanted: ClaimDocumentToRead, services: Services, principal: SignedIn,
) -> Response:
    claim, document_id = wanted
    return claim_download(services, claim, document_id, principal)


def _parsed(model: type[_Model], fields: dict[str, str | None]) -> _Model:
    """The form's fields as the request model, or the 422 of any invalid request."""
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise RequestValidationError(
            [{**problem, "loc": ("body", *problem["loc"])} for problem in error.errors()]
        ) from None


async def _attached(
    request: Request, file: UploadFile, services: WebServices,
    attach: Callable[[bytes], Awaitable[tuple[UUID, int]]],
) -> Response:
    """The receipt (201) of a file attached, or 413 for one over the limit (nothing kept); any
    other refusal goes to the one exception handler (422)."""
    try:
        content = await file_content(file, services.documents.rules.max_bytes)
        document_id, position = await attach(content)
    except FileTooLarge as error:
        return _too_large(request, error)
    return JSONResponse(DocumentReceipt(document_id=document_id, position=position)
                        .model_dump(mode="json"), status_code=201)


def _too_large(request: Request, error: DomainError) -> JSONResponse:
    problem = explain_domain_error(error, translator_of(request))
    return JSONResponse(ErrorBody(message=problem.message, problems=[problem]).model_dump(),
                        status_code=413)
