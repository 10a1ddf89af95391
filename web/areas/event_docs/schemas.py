"""The published event contracts' JSON Schemas, as a page for partners' developers."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from events.catalogue import json_schemas
from web.kit.dependencies import PageRenderer

router = APIRouter(include_in_schema=False)


@router.get("/docs/events/schemas", name="event_schemas_page")
def event_schemas_page(request: Request, pages: PageRenderer) -> HTMLResponse:
    schemas = {
        ce_type: json.dumps(schema, indent=2, ensure_ascii=False)
        for ce_type, schema in sorted(json_schemas().items())
    }
    return pages.render(request, "docs/event_schemas.html", {"schemas": schemas})
