"""The intake form: errors are shown next to their fields, with what was typed kept; a recorded
intake leads to the city's case list, which already shows it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from domain.network import DomainError
from web.areas.intake.requests import IntakeRequest, take_in
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import Problem, explain_domain_error, explain_validation_errors
from web.kit.principal import ActingPrincipal, CityToTakeIn

router = APIRouter(include_in_schema=False)

_MULTIPLE_CHOICE_FIELDS = frozenset({"vulnerabilities", "consent_scopes"})


@router.get("/cities/{city}/intake", name="intake_form")
def intake_form(
    request: Request, city: CityToTakeIn, pages: PageRenderer, services: Services
) -> HTMLResponse:
    today = services.now().date().isoformat()
    values = {"intake_date": today, "consent_given_on": today, "household_size": "1"}
    return _render_form(request, pages, city.value, values, [])


@router.post("/cities/{city}/intake", name="submit_intake")
async def submit_intake(
    request: Request,
    city: CityToTakeIn,
    pages: PageRenderer,
    services: Services,
    actor: ActingPrincipal,
    translator: CurrentTranslator,
) -> Response:
    values = _values_of(await request.form())
    try:
        intake = IntakeRequest.model_validate(_without_blanks(values))
        receipt = await take_in(services, city, intake, actor)
    except ValidationError as error:
        problems = explain_validation_errors(error.errors(), translator)
    except DomainError as error:
        problems = [explain_domain_error(error, translator)]
    else:
        # The list tells from its read model whether the new case is there yet, and says so.
        case_list = request.app.url_path_for("case_list", city=city.value)
        return RedirectResponse(f"{case_list}?created={receipt.case_id}", status_code=303)
    return _render_form(request, pages, city.value, values, problems, status_code=422)


def _render_form(
    request: Request,
    pages: PageRenderer,
    city: str,
    values: dict[str, Any],
    problems: list[Problem],
    status_code: int = 200,
) -> HTMLResponse:
    errors = {problem.field or "": problem.message for problem in problems}
    return pages.render(
        request,
        "intake/form.html",
        {"city": city, "values": values, "errors": errors},
        status_code=status_code,
    )


def _values_of(form: FormData) -> dict[str, Any]:
    """The form's fields that the intake knows, as typed: kept to show them again."""
    values: dict[str, Any] = {}
    for field in IntakeRequest.model_fields:
        if field in _MULTIPLE_CHOICE_FIELDS:
            values[field] = [str(v) for v in form.getlist(field)]
        elif isinstance(form.get(field), str):
            values[field] = str(form.get(field))
    return values


def _without_blanks(values: dict[str, Any]) -> dict[str, Any]:
    """An empty input is a missing value, not an empty string."""
    return {field: value for field, value in values.items() if not (
        isinstance(value, str) and not value.strip()
    )}
