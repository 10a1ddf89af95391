"""POST an intake: a city takes a person in."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from web.areas.cases.models import IntakeCreated
from web.areas.intake.requests import IntakeRequest, take_in
from web.kit.dependencies import Services
from web.kit.principal import ActingPrincipal, CityToTakeIn

router = APIRouter(tags=["intakes"])


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
