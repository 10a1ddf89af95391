"""Changing one's password through the API (a page's script, with the session and its CSRF
token): 204, or 422 naming the field, 429 while throttled, 403 for a partner token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from web.areas.account.password import change_password, own_session
from web.kit.dependencies import Services
from web.kit.request_limits import AccessBeforeBody
from web.services import SignedInSession

router = APIRouter(route_class=AccessBeforeBody, tags=["account"])


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024, description="12 to 1024 characters, not the "
                              "current one")


@router.post("/account/password", name="api_change_password", status_code=204,
             response_class=Response)
async def api_change_password(
    request: Request, services: Services,
    # A dependency: checked before the body is validated, so a partner learns nothing of it.
    _session: Annotated[SignedInSession, Depends(own_session)], body: PasswordChange,
) -> Response:
    await change_password(request, services, body.current_password, body.new_password, None)
    return Response(status_code=204)
