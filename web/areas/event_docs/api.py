"""The published event contracts, as JSON Schemas: what partners subscribing to NATS rely on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from events.catalogue import json_schemas
from events.partner import partner_json_schemas
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["events"])


@router.get(
    "/events/schemas", name="api_event_schemas",
    summary="The JSON Schema of every published event, by CloudEvents type",
)
def event_schemas() -> dict[str, dict[str, Any]]:
    return json_schemas()


@router.get(
    "/events/partner-schemas", name="api_partner_event_schemas",
    summary="The JSON Schema of every partner copy on NATS, by CloudEvents type; each one's "
    "$id is the ce-dataschema of the messages it describes",
)
def partner_event_schemas() -> dict[str, dict[str, Any]]:
    return partner_json_schemas()
