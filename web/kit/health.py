"""Liveness (`/health/live`: the process answers HTTP) and readiness (`/health/ready`: the
store, the vault and NATS answer, and the relay and the projector are not too far behind; 503
otherwise). `/health` is liveness, as it always was: a restart does not cure a NATS outage, so
what restarts the process (a supervisor's liveness probe) must not look at NATS; load balancers
and the compose healthchecks (`lgnet check`) use readiness."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from web.kit.request_limits import AccessBeforeBody
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]


class PartState(BaseModel):
    name: str = Field(description="store, vault, nats, relay or projector")
    ok: bool
    detail: str = Field(description="What was found, or what is wrong")


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    parts: list[PartState]


@router.get("/health", response_model=Health, name="health",
            summary="Is the web app up? (liveness, as /health/live)")
def health() -> Health:
    return Health(status="ok")


@router.get("/health/live", response_model=Health, name="health_live",
            summary="Is the web app up? (liveness: restart the process when not)")
def health_live() -> Health:
    return Health(status="ok")


@router.get("/health/ready", response_model=Readiness, name="health_ready",
            summary="Can the platform take work? (readiness: send none while 503)",
            responses={503: {"model": Readiness, "description": "A part is down or behind"}})
async def health_ready(request: Request) -> JSONResponse:
    services: WebServices = request.app.state.services
    parts = [PartState(name=part.name, ok=part.ok, detail=part.detail)
             for part in await services.readiness()]
    ready = all(part.ok for part in parts)
    body = Readiness(status="ready" if ready else "not_ready", parts=parts)
    headers = {} if ready else {"Retry-After": "5"}
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503, headers=headers)
