"""A coordinator's decision on a possible same person, from the case page's section
(cases/_duplicates.html): confirm it (both cases become one pseudonymous person) or rule it out.
Either leads back to the case page; a refusal is the error page (422), nothing written."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.areas.duplicates.requests import confirm, rule_out
from web.kit.dependencies import Services
from web.kit.forms import see_other
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.post("/person-matches/{match_id}/confirmation", name="confirm_same_person")
async def confirm_same_person(
    request: Request, match_id: UUID, services: Services, principal: SignedIn,
) -> Response:
    match = await confirm(services, principal, match_id)
    return see_other(request, "case_page", case_id=str(match.case_id))


@router.post("/person-matches/{match_id}/ruling-out", name="rule_out_same_person")
async def rule_out_same_person(
    request: Request, match_id: UUID, services: Services, principal: SignedIn,
) -> Response:
    match = await rule_out(services, principal, match_id)
    return see_other(request, "case_page", case_id=str(match.case_id))
