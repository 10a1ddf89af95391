"""POST an intake: a city takes a person in."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from domain.identity.model import PossibleSamePerson
from web.areas.intake.requests import IntakeRequest, take_in
from web.kit.dependencies import CurrentTranslator, Services
from web.kit.errors import Problem, explain_domain_error
from web.kit.idempotency import command_key
from web.kit.principal import ActingPrincipal, CityToTakeIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.routes import route_path
from web.kit.views_delay import views_delayed_in_this_request

router = APIRouter(route_class=AccessBeforeBody, tags=["intakes"])


class IntakeCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "case_id": "0b8e1c9e-4c0a-4f43-9a59-5c7d0e2a9f11",
        "case_code": "FI-2021-00001",
        "position": 42,
    }]})

    case_id: UUID
    case_code: str = Field(description="Pseudonymous: province code, year, number")
    position: int = Field(description="The intake's position in the event log")
    views_delayed: bool = Field(default=False, description="True when the read models could "
                                "not catch up before this answer (NATS down, the projector "
                                "behind): the intake is saved, its Location may 404 for a while")


class PossibleMatch(BaseModel):
    case_code: str = Field(description="The case the person may already be")
    city: str
    matched_on: list[str] = Field(
        description="Which identifiers matched: name_and_birth_date, document_number, tax_code")


class PossibleMatches(BaseModel):
    """The answer when the duplicate check finds the person among the cases already taken in:
    nothing was recorded."""

    message: str
    problems: list[Problem]
    possible_matches: list[PossibleMatch]


def case_location(request: Request, case_id: UUID) -> str:
    """Where the case is read: the path of api_get_case, whose one parameter ends it (so its
    path is looked up once, not once a case: web.kit.routes)."""
    return route_path(request.app, "api_get_case", case_id="x").removesuffix("x") + str(case_id)


@router.post(
    "/cities/{city}/intakes",
    status_code=status.HTTP_201_CREATED,
    response_model=IntakeCreated,
    name="api_record_intake",
    summary="Take a person in",
    responses={
        201: {"description": "Recorded; Location names the new case"},
        409: {"model": PossibleMatches, "description": (
            "The person may already be one of these cases (of any city: their code and city "
            "only). Nothing was recorded: send again with new_case_despite_possible_match "
            "true to record a new case linked to them as a possible same person")},
    },
)
async def record_intake(
    city: CityToTakeIn,
    intake: IntakeRequest,
    services: Services,
    actor: ActingPrincipal,
    request: Request,
    response: Response,
    translator: CurrentTranslator,
) -> IntakeCreated | JSONResponse:
    """Records the intake and answers once the case can be read at its Location (or after the
    read-your-writes timeout, if the read models lag). Before anything is written the person is
    looked for among every city's cases (docs/workflows/duplicates.md)."""
    try:
        receipt = await take_in(services, city, intake, actor,
                                command_key(request, "intake", city.value))
    except PossibleSamePerson as found:
        problem = explain_domain_error(found, translator)
        body = PossibleMatches(
            message=problem.message,
            problems=[problem.model_copy(update={"field": "new_case_despite_possible_match"})],
            possible_matches=[
                PossibleMatch(case_code=match.case_code, city=match.city.value,
                              matched_on=sorted(kind.value for kind in match.kinds))
                for match in found.matches])
        return JSONResponse(body.model_dump(), status_code=status.HTTP_409_CONFLICT)
    response.headers["Location"] = case_location(request, receipt.case_id)
    return IntakeCreated(
        case_id=receipt.case_id, case_code=receipt.case_code, position=receipt.position,
        views_delayed=views_delayed_in_this_request(),
    )
