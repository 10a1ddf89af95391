"""What the case page's personal-data forms post: reading the person's identifiers (for a stated
reason, logged first, shown in this answer only) and recording their erasure (GDPR art. 17).

Both are POSTs, so the identifiers never sit in a URL, a history entry or a server log, and
both carry the session's CSRF token like every form. A refusal comes back as the case page,
422, with the message next to the form and nothing written."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from domain.network import DomainError
from web.areas.cases.pages import render_case_page
from web.areas.cases.personal_data import (
    NO_STORE,
    ErasureRequest,
    IdentifiersRequest,
    PersonalDataView,
    erase,
    erasure_of,
    reveal,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import Problem, explain_domain_error, explain_validation_errors
from web.kit.forms import FormState
from web.kit.i18n import N_
from web.kit.principal import CaseWithIdentifiers, ErasableCase, SignedIn

router = APIRouter(include_in_schema=False)

_IDENTIFIERS_FIELDS = ("reason",)
_ERASURE_FIELDS = ("requested_on", "request_reference", "confirm")
# The value the confirmation checkbox of the erasure form posts when ticked.
CONFIRMED = "yes"
_NOT_CONFIRMED = N_(
    "Tick the box to confirm that the person's identifiers are to be erased: it cannot be undone."
)


@router.post("/cases/{case_id}/identifiers", name="reveal_identifiers")
async def reveal_identifiers(
    request: Request,
    case: CaseWithIdentifiers,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> Response:
    values = _text_fields(await request.form(), *_IDENTIFIERS_FIELDS)
    problems: list[Problem] = []
    try:
        wanted = IdentifiersRequest.model_validate(_without_blanks(values))
        personal_data = await reveal(services, case, wanted.reason, principal)
    except ValidationError as error:
        problems = explain_validation_errors(error.errors(), translator)
    except RequestValidationError as error:
        problems = explain_validation_errors(error.errors(), translator)
    if problems:
        erasure = await run_in_threadpool(erasure_of, services, case.case_id)
        return await run_in_threadpool(
            render_case_page, request, pages, services, principal, translator, case,
            PersonalDataView(erasure),
            identifiers_form=_form_state(values, problems, _IDENTIFIERS_FIELDS),
            status_code=422,
        )
    response = await run_in_threadpool(
        render_case_page, request, pages, services, principal, translator, case, personal_data
    )
    response.headers.update(NO_STORE)
    return response


@router.post("/cases/{case_id}/erasure", name="erase_personal_data")
async def erase_personal_data(
    request: Request,
    case: ErasableCase,
    pages: PageRenderer,
    services: Services,
    principal: SignedIn,
    translator: CurrentTranslator,
) -> Response:
    form = await request.form()
    values = _text_fields(form, *_ERASURE_FIELDS)
    problems: list[Problem] = []
    try:
        erasure_request = ErasureRequest.model_validate(
            {name: values[name] for name in ErasureRequest.model_fields if name in values}
        )
    except ValidationError as error:
        problems = explain_validation_errors(error.errors(), translator)
    if values.get("confirm") != CONFIRMED:
        problems.append(Problem(field="confirm", code="erasure_not_confirmed",
                                message=translator.gettext(_NOT_CONFIRMED)))
    if not problems:
        try:
            await erase(services, case, erasure_request, principal.actor)
        except DomainError as error:
            problems = [explain_domain_error(error, translator)]
        else:
            page = request.app.url_path_for("case_page", case_id=str(case.case_id))
            return RedirectResponse(str(page), status_code=303)
    erasure = await run_in_threadpool(erasure_of, services, case.case_id)
    return await run_in_threadpool(
        render_case_page, request, pages, services, principal, translator, case,
        PersonalDataView(erasure),
        erasure_form=_form_state(values, problems, _ERASURE_FIELDS), status_code=422,
    )


def _text_fields(form: FormData, *names: str) -> dict[str, Any]:
    return {name: str(form.get(name)) for name in names if isinstance(form.get(name), str)}


def _without_blanks(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if str(value).strip()}


def _form_state(
    values: dict[str, Any], problems: list[Problem], fields: tuple[str, ...]
) -> FormState:
    """The form as typed, with each problem under its field (one that names no field of the
    form, such as "already erased", above the form)."""
    errors: dict[str, str] = {}
    for problem in problems:
        errors.setdefault(problem.field if problem.field in fields else "", problem.message)
    return FormState(values=values, errors=errors)
