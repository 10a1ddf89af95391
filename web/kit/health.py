"""Liveness: the process answers HTTP."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]


@router.get("/health", response_model=Health, name="health", summary="Is the web app up?")
def health() -> Health:
    return Health(status="ok")
