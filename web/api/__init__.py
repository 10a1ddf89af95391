"""The JSON API, version 1, under /api/v1: for partner systems and scripts. Documented by the
OpenAPI schema at /openapi.json."""

from __future__ import annotations

from fastapi import APIRouter

from web.api import cases, event_schemas, intakes, network
from web.errors import ErrorBody

API_V1_PREFIX = "/api/v1"
AREAS = (intakes, cases, network, event_schemas)


def api_router() -> APIRouter:
    router = APIRouter(
        prefix=API_V1_PREFIX,
        responses={
            404: {"model": ErrorBody, "description": "Unknown city or case"},
            422: {"model": ErrorBody, "description": "Invalid input, or a rule of the programme "
                  "refused it; nothing was written"},
        },
    )
    for area in AREAS:
        router.include_router(area.router)
    return router
