"""The auditors' event browser: every public event of the record, as published (CloudEvent
attributes, data, position in the audit chain), filtered by city, event type, actor, case and
dates, newest or oldest first; from any event, the full history of its case. Read from the event
store itself (services.audit_trail), for auditors and the ministry."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.cases.model import PROGRAMME_TIMEZONE
from domain.network import City
from events.catalogue import CONTRACTS
from web.kit.as_of import viewing_as_of
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.exports import MAX_EXPORT_ROWS, Column, start_export
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.principal import AuditLogReader
from web.kit.templating import path_with_query
from web.services import EventFilters

router = APIRouter(include_in_schema=False)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000


class EventQuery(BaseModel):
    """The browser's filters and paging, shared by its page and its API."""

    model_config = ConfigDict(populate_by_name=True, str_strip_whitespace=True)

    city: City | None = Field(default=None, description="Only events of this city")
    type: str | None = Field(
        default=None, max_length=100,
        description="Only events of this CloudEvents type (see /api/v1/events/schemas)",
    )
    actor: str | None = Field(
        default=None, max_length=64,
        description="Only events by this actor: a username, or a role such as city_coordinator",
    )
    case: str | None = Field(
        default=None, max_length=32, description="Only the events of the case with this code",
    )
    since: date | None = Field(
        default=None, alias="from", description="From this day (Europe/Rome), included",
    )
    until: date | None = Field(
        default=None, alias="to", description="Up to this day (Europe/Rome), included",
    )
    order: Literal["newest", "oldest"] = "newest"
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("city", "type", "actor", "case", "since", "until", "order", mode="before")
    @classmethod
    def _empty_means_any(cls, value: Any) -> Any:
        # A filter form's "any" option (or an empty box) submits an empty value.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("type")
    @classmethod
    def _a_published_type(cls, value: str | None) -> str | None:
        if value is not None and value not in CONTRACTS:
            raise ValueError("not a published event type")
        return value

    @field_validator("case")
    @classmethod
    def _case_codes_are_upper_case(cls, value: str | None) -> str | None:
        return value.upper() if value is not None else None

    @model_validator(mode="after")
    def _dates_in_order(self) -> EventQuery:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("the first day comes after the last")
        return self

    def filters(self, as_of: datetime | None = None) -> EventFilters:
        """The filters; viewing the record as of a moment, only the events up to it."""
        until = (_start_of(self.until + timedelta(days=1)) - timedelta(microseconds=1)
                 if self.until is not None else None)
        if as_of is not None:
            until = as_of if until is None else min(until, as_of)
        return EventFilters(
            city=self.city.value if self.city is not None else None,
            event_type=self.type,
            actor=self.actor,
            case_code=self.case,
            since=_start_of(self.since) if self.since is not None else None,
            until=until,
            oldest_first=self.order == "oldest",
        )


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), PROGRAMME_TIMEZONE)


@router.get("/audit/events", name="audit_event_browser")
def audit_event_browser(
    request: Request,
    query: Annotated[EventQuery, Query()],
    pages: PageRenderer,
    services: Services,
    _reader: AuditLogReader,
) -> HTMLResponse:
    found = services.audit_trail.events(
        query.filters(viewing_as_of(request)), query.page, query.page_size)
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
    export = start_export(services, fmt)
    found = services.audit_trail.events(query.filters(viewing_as_of(request)), 1,
                                        MAX_EXPORT_ROWS)
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
               f"{event.actor_kind} {event.actor_id}", labels.role(event.actor_role),
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
