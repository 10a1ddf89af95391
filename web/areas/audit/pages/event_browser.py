"""The auditors' event browser: every public event of the record, as published (CloudEvent
attributes, data, position in the audit chain), filtered by city, event type, actor, case and
dates, newest or oldest first; from any event, the full history of its case. Read from the event
store itself (services.audit_trail), for auditors and the ministry."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from events.catalogue import CONTRACTS
from web.areas.audit.requests import EventQuery
from web.kit.as_of import viewing_as_of
from web.kit.cities import known_cities
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.exports import MAX_EXPORT_ROWS, Column, start_export
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.principal import AuditLogReader
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import path_with_query

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.get("/audit/events", name="audit_event_browser")
def audit_event_browser(
    request: Request,
    query: Annotated[EventQuery, Query()],
    pages: PageRenderer,
    services: Services,
    _reader: AuditLogReader,
) -> HTMLResponse:
    found = services.audit_trail.events(
        query.filters(viewing_as_of(request), known_cities(services)), query.page, query.page_size)
    context = {
        "query": query,
        "found": found,
        "data_json": {
            event.position: json.dumps(event.data, indent=2, ensure_ascii=False)
            for event in found.events
        },
        "event_types": sorted(CONTRACTS),
        "page_url": lambda number: path_with_query(request, page=number),
        "case_url": lambda code: str(request.app.url_path_for("audit_event_browser"))
        + "?" + urlencode({"case": code, "order": "oldest"}),
    }
    return pages.render(request, "audit/events.html", context)


@router.get("/audit/events/export.{fmt}", name="audit_event_browser_export")
def audit_event_browser_export(
    fmt: str,
    request: Request,
    query: Annotated[EventQuery, Query()],
    services: Services,
    _reader: AuditLogReader,
    translator: CurrentTranslator,
) -> Response:
    """The events the filters select, in the page's order, every page of them up to
    MAX_EXPORT_ROWS (the title says when there were more)."""
    export = start_export(services, fmt, translator=translator)
    filters = query.filters(viewing_as_of(request), known_cities(services))
    found = services.audit_trail.events(filters, 1, MAX_EXPORT_ROWS)
    labels, _ = Labels(translator), translator.gettext
    title = _("Event browser")
    if found.total > len(found.events):
        title = _("%(title)s (the first %(shown)s of %(total)s events)", title=title,
                  shown=translator.number(len(found.events)),
                  total=translator.number(found.total))
    return export.respond(
        name="events",
        title=title,
        columns=[Column("lgnetposition", "int"), Column("time", "datetime"),
                 Column(_("Event type")), Column("type"), Column("id"), Column("source"),
                 Column("subject"), Column(_("Case code")), Column(_("Recorded by")),
                 Column(_("Role")), Column(_("City")), Column(_("Chain hash")),
                 Column(_("Event data"))],
        rows=[[event.position, event.time, labels.event_type(event.type), event.type,
               event.id, event.source, event.subject, event.case_code or "",
               f"{labels.actor_kind(event.actor_kind)} {event.actor_id}",
               labels.role(event.actor_role),
               labels.city(event.actor_city) if event.actor_city else "",
               f"{event.chain_seq} {event.chain_hash}" if event.chain_hash else "",
               json.dumps(event.data, ensure_ascii=False, sort_keys=True)]
              for event in found.events],
        filters=_filters_in_words(query, translator, labels),
    )


def _filters_in_words(
    query: EventQuery, translator: Translator, labels: Labels
) -> list[tuple[str, str | None]]:
    _ = translator.gettext
    return [
        (_("City"), labels.city(query.city.value) if query.city else None),
        (_("Event type"), query.type),
        (_("Actor (username or role)"), query.actor),
        (_("Case code"), query.case),
        (_("From (day)"), query.since.isoformat() if query.since else None),
        (_("To (day)"), query.until.isoformat() if query.until else None),
        (_("Order of the events"),
         _("Oldest first") if query.order == "oldest" else _("Newest first")),
    ]
