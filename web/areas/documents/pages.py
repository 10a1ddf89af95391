"""The documents' pages: a case's documents (listed, uploaded, read for a stated reason) and a
claim's (invoices and proofs of payment). The case page shows the same list and form
(`cases/_documents.html`), which post here; a refusal comes back on this area's page, 422 (413
for a file too large), with the message next to the form and nothing kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.documents.model import CLAIM_DOCUMENT_KINDS
from domain.documents.service import may_read_claim_files
from domain.programme import City
from projections.case_list import CASE_STATUS_OPEN, CaseRow
from projections.finance import ClaimRow
from web.areas.documents.requests import (
    STAFF_REASONS,
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
    claim_city,
    claim_download,
    document_id_in_path,
    file_content,
    may_attach_to_claim,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.kit.vocabulary import documents as words
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)
_Body = TypeVar("_Body", bound=BaseModel)

def case_documents_context(
    services: WebServices, principal: Principal, translator: Translator, case: CaseRow,
    form: FormState | None = None, download: FormState | None = None,
) -> dict[str, Any]:
    """What `cases/_documents.html` shows: the case's documents, the upload form and the reasons
    a reading may be given for."""
    return {
        "case_documents": services.document_views.of_owner(case.case_id),
        "document_form": form or FormState(),
        "download_form": download or FormState(),
        "reasons": Labels(translator).access_reasons(STAFF_REASONS),
        "max_megabytes": max(1, services.documents.rules.max_bytes // (1024 * 1024)),
        "may_work": may(principal, Permission.RECORD_CASE_WORK, City(case.city))
        and case.status == CASE_STATUS_OPEN,
    }


def _render_case(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, case: CaseRow, *, form: FormState | None = None,
    download: FormState | None = None, status_code: int = 200,
) -> HTMLResponse:
    context = {"case": case, **case_documents_context(
        services, principal, translator, case, form, download)}
    return pages.render(request, "documents/case.html", context, status_code=status_code)


@router.get("/cases/{case_id}/documents", name="case_documents")
def case_documents(
    request: Request, case: CaseForFiles, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> HTMLResponse:
    return _render_case(request, pages, services, principal, translator, case)


@router.post("/cases/{case_id}/documents", name="attach_case_document")
async def attach_case_document(
    request: Request, case: CaseForFiles, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    refused = await _upload(
        request, CaseDocumentRequest, services, translator,
        lambda body, content: attach_to_case(services, case, body, content, principal))
    if refused is not None:
        form, status_code = refused
        return await run_in_threadpool(
            _render_case, request, pages, services, principal, translator, case,
            form=form, status_code=status_code)
    return _see_documents(request, "case_page", case_id=str(case.case_id))


@router.post("/cases/{case_id}/documents/{document_id}/file", name="download_case_document")
async def download_case_document(
    request: Request, case: CaseForFiles, document_id: str, pages: PageRenderer,
    services: Services, principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    wanted = document_id_in_path(document_id)
    form = await PostedForm.read(request, DownloadRequest.model_fields)

    async def read(body: DownloadRequest) -> Response:
        return await run_in_threadpool(
            case_download, services, case, wanted, body.reason, principal)

    try:
        return await form.submit(DownloadRequest, read, translator)
    except FormRefused as refused:
        return await run_in_threadpool(
            _render_case, request, pages, services, principal, translator, case,
            download=refused.form, status_code=422)


# --- a claim's documents ---------------------------------------------------------------------


def _render_claim(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, claim: ClaimRow, *, form: FormState | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    city = claim_city(claim)
    labels = Labels(translator)
    context = {
        "claim": claim,
        "documents": services.document_views.of_owner(claim.claim_id),
        "claim_document_kinds": labels.choices(words.DOCUMENT_KINDS, CLAIM_DOCUMENT_KINDS),
        "document_form": form or FormState(),
        "max_megabytes": max(1, services.documents.rules.max_bytes // (1024 * 1024)),
        "may_attach": may_attach_to_claim(principal, city),
        "may_read": may_read_claim_files(principal, city, services.now()),
    }
    return pages.render(request, "documents/claim.html", context, status_code=status_code)


@router.get("/claims/{claim_id}/documents", name="claim_documents")
def claim_documents(
    request: Request, claim: ViewableClaim, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> HTMLResponse:
    return _render_claim(request, pages, services, principal, translator, claim)


@router.post("/claims/{claim_id}/documents", name="attach_claim_document")
async def attach_claim_document(
    request: Request, claim: ClaimToAttachTo, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    refused = await _upload(
        request, ClaimDocumentRequest, services, translator,
        lambda body, content: attach_to_claim(services, claim, body, content, principal))
    if refused is not None:
        form, status_code = refused
        return await run_in_threadpool(
            _render_claim, request, pages, services, principal, translator, claim,
            form=form, status_code=status_code)
    return _see_documents(request, "claim_documents", claim_id=str(claim.claim_id))


@router.get("/claim-documents/{claim_document_id}", name="download_claim_document")
def download_claim_document(
    wanted: ClaimDocumentToRead, services: Services, principal: SignedIn,
) -> Response:
    claim, document_id = wanted
    return claim_download(services, claim, document_id, principal)


async def _upload(
    request: Request, model: type[_Body], services: WebServices, translator: Translator,
    attach: Callable[[_Body, bytes], Awaitable[object]],
) -> tuple[FormState, int] | None:
    """Read an upload form and its file and carry out `attach`; None once attached, else the
    form to show again and its status: 413 for a file over the limit, 422 for the rest."""
    form = await PostedForm.read(request, (*model.model_fields, "file"))
    upload = (await request.form()).get("file")
    limit = services.documents.rules.max_bytes
    sizes: list[int] = []

    async def command(body: _Body) -> None:
        content = await file_content(upload, limit)
        sizes.append(len(content))
        await attach(body, content)

    try:
        await form.submit(model, command, translator)
    except FormRefused as refused:
        return refused.form, 413 if sizes and sizes[0] > limit else 422
    return None


def _see_documents(request: Request, route: str, **params: str) -> Response:
    response = see_other(request, route, None, **params)
    response.headers["location"] += "#documents"
    return response
