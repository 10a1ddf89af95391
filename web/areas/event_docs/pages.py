"""The published events, for partners' developers: the AsyncAPI document of the events on NATS
as a readable page and as the document itself (JSON, YAML) for their tools, and the event
contracts' JSON Schemas as a page. Public: partners read them before they have credentials."""

from __future__ import annotations

import json
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from events.asyncapi import INTERNAL_SERVER, asyncapi_document
from events.catalogue import json_schemas
from web.kit.cities import known_cities
from web.kit.dependencies import PageRenderer, Services
from web.kit.request_limits import AccessBeforeBody
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.get("/docs/events", name="event_docs_page")
def event_docs_page(request: Request, pages: PageRenderer, services: Services) -> HTMLResponse:
    document = deployment_asyncapi(services)
    channels = [_channel_view(key, channel, document)
                for key, channel in document["channels"].items()]
    return pages.render(request, "docs/events.html", {
        "info": document["info"],
        "servers": document["servers"],
        "internal_channels": [c for c in channels if c["server"] == INTERNAL_SERVER],
        "partner_channels": [c for c in channels if c["server"] != INTERNAL_SERVER],
        # The cities are the programme's data: those the terms know today.
        "cities": known_cities(services),
    })


@router.get("/docs/events/asyncapi.json", name="event_asyncapi_json")
def event_asyncapi_json(services: Services) -> JSONResponse:
    return JSONResponse(deployment_asyncapi(services))


@router.get("/docs/events/asyncapi.yaml", name="event_asyncapi_yaml")
def event_asyncapi_yaml(services: Services) -> Response:
    return Response(asyncapi_yaml(deployment_asyncapi(services)), media_type="application/yaml")


def deployment_asyncapi(services: WebServices) -> dict[str, Any]:
    """The AsyncAPI document with this deployment's NATS hosts as its servers (issue 19: not
    a placeholder)."""
    internal, partner = services.nats_hosts()
    return asyncapi_document(internal_host=internal, partner_host=partner)


def asyncapi_yaml(document: dict[str, Any]) -> str:
    # Keys in the document's order: asyncapi, info, servers, channels... as people write it.
    # Given no stream, safe_dump returns the text (typed Any by PyYAML's stubs).
    text: str = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return text


def _channel_view(key: str, channel: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    messages = document["components"]["messages"]
    return {
        "key": key,
        "address": channel["address"],
        "description": channel["description"],
        "server": channel["servers"][0]["$ref"].rsplit("/", 1)[-1],
        "messages": [
            _message_view(messages[reference["$ref"].rsplit("/", 1)[-1]])
            for reference in channel["messages"].values()
        ],
    }


def _message_view(message: dict[str, Any]) -> dict[str, Any]:
    payload, headers = message["payload"], message["headers"]
    return {
        "name": message["name"],
        "version": message["x-lgnet-version"],
        "superseded_by": message.get("x-lgnet-superseded-by"),
        "description": message["description"].split("\n\n"),
        "schema_id": payload["$id"],
        "fields": _properties(payload),
        "headers": _properties(headers),
    }


def _properties(schema: dict[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    return [
        {"name": name, "schema": property_schema, "required": name in required,
         "description": property_schema.get("description", "")}
        for name, property_schema in schema.get("properties", {}).items()
    ]


@router.get("/docs/events/schemas", name="event_schemas_page")
def event_schemas_page(request: Request, pages: PageRenderer) -> HTMLResponse:
    schemas = {
        ce_type: json.dumps(schema, indent=2, ensure_ascii=False)
        for ce_type, schema in sorted(json_schemas().items())
    }
    return pages.render(request, "docs/event_schemas.html", {"schemas": schemas})
