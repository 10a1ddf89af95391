"""What the audit pages and the audit API both read: the event browser's filters and paging
(from the record itself, services.audit_trail) and the identifier-access log's pages (from the
vault)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.programme import PROGRAMME_TIMEZONE
from domain.vault import IdentifierAccess
from events.catalogue import CONTRACTS
from web.kit.cities import CityField, require_known_city
from web.kit.forms import blank_is_none
from web.kit.inputs import Day
from web.services import EventFilters, WebServices

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000


class EventQuery(BaseModel):
    """The browser's filters and paging, shared by its page and its API."""

    model_config = ConfigDict(populate_by_name=True, str_strip_whitespace=True)

    city: CityField | None = Field(default=None, description="Only events of this city")
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
    since: Day | None = Field(
        default=None, alias="from", description="From this day (Europe/Rome), included",
    )
    until: Day | None = Field(
        default=None, alias="to", description="Up to this day (Europe/Rome), included",
    )
    order: Literal["newest", "oldest"] = "newest"
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    # A filter form's "any" option (or an empty box) submits an empty value.
    _empty_means_any = field_validator(
        "city", "type", "actor", "case", "since", "until", "order", mode="before",
    )(blank_is_none)

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

    def filters(
        self, as_of: datetime | None = None, known_cities: Collection[str] | None = None
    ) -> EventFilters:
        """The filters; viewing the record as of a moment, only the events up to it. A city
        the network never had (`known_cities`: the programme's terms) is refused, as a
        misspelt filter that would quietly find nothing."""
        if known_cities is not None and self.city is not None:
            require_known_city(self.city, known_cities, ("query", "city"))
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


@dataclass(frozen=True)
class AccessLogPage:
    """One page of the log, newest first; `has_next` when older entries follow."""

    entries: list[IdentifierAccess]
    page: int
    page_size: int
    has_next: bool


def access_log_page(services: WebServices, page: int, page_size: int) -> AccessLogPage:
    """Blocking (the vault): call it from a thread. One entry more than the page is read, to
    know whether another page follows without counting the whole log."""
    entries = services.vault.accesses(limit=page_size + 1, offset=(page - 1) * page_size)
    return AccessLogPage(entries[:page_size], page, page_size, len(entries) > page_size)
