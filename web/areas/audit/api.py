"""The identifier-access log, the grants and the record's events as JSON, for those who check
them (auditors, the ministry)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from domain.vault import AccessReason, IdentifierAccess
from web.areas.audit.requests import EventQuery, access_log_page
from web.kit.as_of import viewing_as_of
from web.kit.cities import known_cities
from web.kit.dependencies import Services
from web.kit.principal import AuditLogReader
from web.kit.request_limits import AccessBeforeBody
from web.services import AccessGrantRecord, BrowsedEvent

router = APIRouter(route_class=AccessBeforeBody, tags=["audit"])

MAX_PAGE_SIZE = 200


class IdentifierAccessOut(BaseModel):
    at: datetime
    actor_id: str = Field(description="The username of who read the identifiers")
    actor_role: str
    actor_city: str | None
    case_id: UUID
    case_code: str
    reason: AccessReason

    @classmethod
    def of(cls, access: IdentifierAccess) -> IdentifierAccessOut:
        return cls(at=access.at, actor_id=access.actor_id, actor_role=access.actor_role,
                   actor_city=access.actor_city, case_id=access.case_id,
                   case_code=access.case_code, reason=access.reason)


class IdentifierAccessLog(BaseModel):
    items: list[IdentifierAccessOut] = Field(description="The latest first")
    page: int
    page_size: int
    has_next: bool = Field(description="Whether older entries follow on the next page")


class GrantOut(BaseModel):
    grant_id: str
    grantee: str = Field(description="The auditor's username")
    permission: str
    city: str
    reason: str
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    live: bool

    @classmethod
    def of(cls, grant: AccessGrantRecord, now: datetime) -> GrantOut:
        return cls(
            grant_id=grant.grant_id, grantee=grant.grantee, permission=grant.permission.value,
            city=grant.city.value, reason=grant.reason, granted_by=grant.granted_by,
            granted_at=grant.granted_at, expires_at=grant.expires_at,
            revoked_at=grant.revoked_at, revoked_by=grant.revoked_by, live=grant.is_live(now),
        )


class GrantList(BaseModel):
    items: list[GrantOut] = Field(description="Every grant, live or ended, the latest first")


@router.get(
    "/audit/identifier-access", response_model=IdentifierAccessLog,
    name="api_identifier_access_log", summary="Who read which identifiers, when and why",
)
async def identifier_access_log(
    services: Services,
    _reader: AuditLogReader,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> IdentifierAccessLog:
    log = await run_in_threadpool(access_log_page, services, page, page_size)
    return IdentifierAccessLog(items=[IdentifierAccessOut.of(a) for a in log.entries],
                               page=log.page, page_size=log.page_size, has_next=log.has_next)


@router.get(
    "/audit/grants", response_model=GrantList, name="api_identifier_access_grants",
    summary="The grants that let auditors read a city's identifiers for a while",
)
async def identifier_access_grants(services: Services, _reader: AuditLogReader) -> GrantList:
    grants = await run_in_threadpool(services.accounts.grants)
    now = services.now()
    return GrantList(items=[GrantOut.of(grant, now) for grant in grants])


class EventActorOut(BaseModel):
    kind: str
    id: str
    role: str
    city: str | None


class AuditedEventOut(BaseModel):
    id: str = Field(description="The CloudEvents id: the aggregate and its version")
    source: str
    type: str
    subject: str
    time: datetime
    position: int = Field(description="The event's position in the notification log")
    actor: EventActorOut
    data: dict[str, Any] = Field(description="The event's data, as its contract publishes it")
    case_code: str | None = Field(description="The case the event concerns, if any")
    chain_seq: int | None = Field(description="The event's sequence in the audit chain")
    chain_hash: str | None = Field(description="The audit chain's hash up to this event")

    @classmethod
    def of(cls, event: BrowsedEvent) -> AuditedEventOut:
        return cls(
            id=event.id, source=event.source, type=event.type, subject=event.subject,
            time=event.time, position=event.position,
            actor=EventActorOut(kind=event.actor_kind, id=event.actor_id,
                                role=event.actor_role, city=event.actor_city),
            data=event.data, case_code=event.case_code, chain_seq=event.chain_seq,
            chain_hash=event.chain_hash,
        )


class AuditedEvents(BaseModel):
    items: list[AuditedEventOut]
    page: int
    page_size: int
    total: int = Field(description="How many events match the filters")
    has_next: bool


@router.get(
    "/audit/events", response_model=AuditedEvents, name="api_audit_events",
    summary="The record's events as published, filtered, with their audit-chain hashes",
)
def audit_events(
    request: Request, query: Annotated[EventQuery, Query()], services: Services,
    _reader: AuditLogReader,
) -> AuditedEvents:
    """Viewing the record as of a moment (the `as_of` cookie of the pages), the events up to
    it."""
    found = services.audit_trail.events(
        query.filters(viewing_as_of(request), known_cities(services)), query.page, query.page_size)
    return AuditedEvents(items=[AuditedEventOut.of(e) for e in found.events], page=found.page,
                         page_size=found.page_size, total=found.total, has_next=found.has_next)
