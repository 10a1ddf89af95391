"""POST an intake: a city takes a person in."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from web.areas.intake.requests import IntakeRequest, take_in
from web.kit.dependencies import Services
from web.kit.principal import ActingPrincipal, CityToTakeIn

router = APIRouter(tags=["intakes"])


class IntakeCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "case_id": "0b8e1c9e-4c0a-4f43-9a59-5c7d0e2a9f11",
        "case_code": "FI-2021-00001",
        "position": 42,
    }]})

    case_id: UUID
    case_code: str = Field(description="Pseudonymous: province code, year, number")
    position: int = Field(description="The intake's position in the event log")


@router.post(
    "/cities/{city}/intakes",
    status_code=status.HTTP_201_CREATED,
    response_model=IntakeCreated,
    name="api_record_intake",
    summary="Take a person in",
    responses={201: {"description": "Recorded; Location names the new case"}},
)
async def record_intake(
    city: CityToTakeIn,
    intake: IntakeRequest,
    services: Services,
    actor: ActingPrincipal,
    request: Request,
    response: Response,
) -> IntakeCreated:
    """Records the intake and answers once the case can be read at its Location (or after the
    read-your-writes timeout, if the read models lag)."""
    receipt = await take_in(services, city, intake, actor)
    response.headers["Location"] = str(
        request.app.url_path_for("api_get_case", case_id=str(receipt.case_id))
    )
    return IntakeCreated(
        case_id=receipt.case_id, case_code=receipt.case_code, position=receipt.position
    )
