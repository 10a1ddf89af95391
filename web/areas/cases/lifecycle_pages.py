"""What the case page's lifecycle forms post: closing the case, reopening it, correcting its
intake facts. Each success waits for the read model and leads back to the case page (303); a
refusal comes back as the case page, 422, with the messages next to the form and nothing
written. Plain form posts: each changes the status, the facts and the timeline, so the whole
page is what has to be shown again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from domain.access import Principal
from domain.network import DomainError
from projections.case_list import CaseRow
from web.areas.cases.lifecycle import (
    ClosureRequest,
    CorrectionRequest,
    ReopeningRequest,
    close,
    correct,
    reopen,
)
from web.areas.cases.pages import (
    CLOSURE_FORM,
    CORRECTION_FORM,
    REOPENING_FORM,
    render_case_page,
)
from web.areas.cases.personal_data import PersonalDataView, erasure_of
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import Problem, explain_domain_error, explain_validation_errors
from web.kit.forms import FormState
from web.kit.i18n import Translator
from web.kit.principal import CaseToCorrect, CaseToWorkOn, SignedIn
from web.kit.templating import Pages
from web.services import WebServices

router = APIRouter(include_in_schema=False)

_CLOSURE_FIELDS = ("outcome", "closed_on", "reason")
_REOPENING_FIELDS = ("reopened_on", "reason")
_CORRECTION_FIELDS = (
    "protection_status", "sex", "nationality", "household_size", "vulnerabilities", "reason",
)


@router.post("/cases/{case_id}/closure", name="close_case")
async def close_case(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    values = _text_fields(await request.form(), _CLOSURE_FIELDS)
    problems = await _carry_out(
        ClosureRequest, values, translator,
        lambda wanted: close(services, case, wanted, principal.actor),
    )
    return await _answer(request, pages, services, principal, translator, case, CLOSURE_FORM,
                         values, problems, _CLOSURE_FIELDS)


@router.post("/cases/{case_id}/reopening", name="reopen_case")
async def reopen_case(
    request: Request, case: CaseToCorrect, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    values = _text_fields(await request.form(), _REOPENING_FIELDS)
    problems = await _carry_out(
        ReopeningRequest, values, translator,
        lambda wanted: reopen(services, case, wanted, principal.actor),
    )
    return await _answer(request, pages, services, principal, translator, case, REOPENING_FORM,
                         values, problems, _REOPENING_FIELDS)


@router.post("/cases/{case_id}/corrections", name="correct_case")
async def correct_case(
    request: Request, case: CaseToCorrect, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    form = await request.form()
    values: dict[str, Any] = _text_fields(form, _CORRECTION_FIELDS)
    # The form always lists every category, ticked or not: none ticked means none recorded.
    values["vulnerabilities"] = [str(v) for v in form.getlist("vulnerabilities")]
    problems = await _carry_out(
        CorrectionRequest, values, translator,
        lambda wanted: correct(services, case, wanted, principal.actor),
    )
    return await _answer(request, pages, services, principal, translator, case, CORRECTION_FORM,
                         values, problems, _CORRECTION_FIELDS)


async def _carry_out(
    model: type[BaseModel], values: dict[str, Any], translator: Translator,
    record: Callable[[Any], Awaitable[int]],
) -> list[Problem]:
    """Parse the form into the API's request model and record it; the problems, if refused."""
    try:
        wanted = model.model_validate(
            {name: value for name, value in values.items() if value != ""}
        )
    except ValidationError as error:
        return explain_validation_errors(error.errors(), translator)
    try:
        await record(wanted)
    except DomainError as error:
        return [explain_domain_error(error, translator)]
    return []


async def _answer(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, case: CaseRow, form_name: str, values: dict[str, Any],
    problems: list[Problem], fields: tuple[str, ...],
) -> Response:
    if not problems:
        page = request.app.url_path_for("case_page", case_id=str(case.case_id))
        return RedirectResponse(str(page), status_code=303)
    errors: dict[str, str] = {}
    for problem in problems:
        # A problem naming no field of the form ("the case is closed") goes above it.
        errors.setdefault(problem.field if problem.field in fields else "", problem.message)
    erasure = await run_in_threadpool(erasure_of, services, case.case_id)
    return await run_in_threadpool(
        render_case_page, request, pages, services, principal, translator, case,
        PersonalDataView(erasure), lifecycle_forms={form_name: FormState(values, errors)},
        status_code=422,
    )


def _text_fields(form: FormData, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: str(form.get(name)).strip() for name in names
            if isinstance(form.get(name), str)}
