"""The identifier-access log, for those who check it (auditors, the ministry): who read which
case's identifiers, when and why, newest first; and the grants that let an auditor read a
city's identifiers for a few hours, which the ministry gives and revokes here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from domain.access import (
    MAX_GRANT_DURATION,
    MAX_GRANT_REASON_LENGTH,
    Permission,
    Principal,
    may,
)
from web.areas.audit.requests import access_log_page
from web.kit.cities import CityField, known_cities, require_known_city
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.errors import (
    UnknownGrant,
)
from web.kit.exports import MAX_EXPORT_ROWS, Column, start_export
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.principal import AuditLogReader, GrantGiver
from web.kit.request_limits import AccessBeforeBody
from web.services import AccessGrantRecord, WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

ACCESS_LOG_PAGE_SIZE = 50
MAX_GRANT_HOURS = MAX_GRANT_DURATION // timedelta(hours=1)


class GrantRequest(BaseModel):
    """An auditor's time-limited access to one city's identifiers, as the ministry gives it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    grantee: str = Field(min_length=1, max_length=64, description="The auditor's username")
    city: CityField
    hours: int = Field(ge=1, le=MAX_GRANT_HOURS)
    reason: str = Field(min_length=1, max_length=MAX_GRANT_REASON_LENGTH)


@router.get("/audit/identifier-access", name="identifier_access_log")
async def identifier_access_log(
    request: Request,
    pages: PageRenderer,
    services: Services,
    principal: AuditLogReader,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    return await _render(request, pages, services, principal, page)


@router.get("/audit/identifier-access/{table}/export.{fmt}",
            name="identifier_access_log_export")
async def identifier_access_log_export(
    table: str, fmt: str, services: Services, _reader: AuditLogReader,
    translator: CurrentTranslator,
) -> Response:
    """The readings of identifiers (the latest MAX_EXPORT_ROWS; the title says when there were
    more), or every grant. The log is kept by the vault, not in the record: its stamp's event
    position only tells when the file was made."""
    export = start_export(services, fmt, table, ("readings", "grants"), translator=translator)
    labels, _ = Labels(translator), translator.gettext
    if table == "readings":
        log = await run_in_threadpool(access_log_page, services, 1, MAX_EXPORT_ROWS)
        title = _("Readings of identifiers")
        if log.has_next:
            title = _("%(title)s (the latest %(shown)s)", title=title,
                      shown=translator.number(len(log.entries)))
        return export.respond(
            name="identifier-readings", title=title,
            columns=[Column(_("When"), "datetime"), Column(_("Who")), Column(_("Role")),
                     Column(_("City")), Column(_("Case")), Column(_("Why"))],
            rows=[[entry.at, entry.actor_id, labels.role(entry.actor_role),
                   labels.city(entry.actor_city) if entry.actor_city else "", entry.case_code,
                   labels.access_reason(entry.reason)] for entry in log.entries])
    grants = await run_in_threadpool(services.accounts.grants)
    now = services.now()
    return export.respond(
        name="identifier-grants", title=_("Grants to auditors"),
        columns=[Column(_("Auditor")), Column(_("City")), Column(_("Reason")),
                 Column(_("Given by")), Column(_("From"), "datetime"),
                 Column(_("Until"), "datetime"), Column(_("State"))],
        rows=[[grant.grantee, labels.city(grant.city), grant.reason, grant.granted_by,
               grant.granted_at, grant.expires_at, _grant_state(grant, now, translator)]
              for grant in grants])


def _grant_state(grant: AccessGrantRecord, now: datetime, translator: Translator) -> str:
    """As the page says it."""
    if grant.revoked_at is not None:
        return translator.gettext("Revoked by %(by)s on %(at)s", by=grant.revoked_by,
                                  at=translator.datetime(grant.revoked_at))
    if grant.is_live(now):
        return translator.gettext("Live")
    return translator.gettext("Expired")


@router.post("/audit/grants", name="grant_identifier_access")
async def grant_identifier_access(
    request: Request,
    pages: PageRenderer,
    services: Services,
    principal: GrantGiver,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, GrantRequest.model_fields)
    known = known_cities(services)

    async def grant(wanted: GrantRequest) -> object:
        require_known_city(wanted.city, known, ("body", "city"))
        return await run_in_threadpool(
            services.accounts.grant_access, principal.id, wanted.grantee, wanted.city,
            timedelta(hours=wanted.hours), wanted.reason)

    try:
        await form.submit(GrantRequest, grant, translator)
    except FormRefused as refused:
        return await _render(request, pages, services, principal, 1, refused.form,
                             status_code=422)
    return see_other(request, "identifier_access_log")


@router.post("/audit/grants/{grant_id}/revoke", name="revoke_identifier_access")
async def revoke_identifier_access(
    request: Request, grant_id: str, services: Services, principal: GrantGiver
) -> Response:
    revoked = await run_in_threadpool(services.accounts.revoke_grant, grant_id, principal.id)
    if revoked is None:
        raise UnknownGrant(grant_id)
    return see_other(request, "identifier_access_log")


async def _render(
    request: Request,
    pages: PageRenderer,
    services: WebServices,
    principal: Principal,
    page: int,
    grant_form: FormState | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The log's page `page`, the grants, and the form to give one (as refused, if it was)."""
    log = await run_in_threadpool(access_log_page, services, page, ACCESS_LOG_PAGE_SIZE)
    grants: list[AccessGrantRecord] = list(await run_in_threadpool(services.accounts.grants))
    form = grant_form or FormState({"hours": "8"})
    context = {
        "log": log,
        "grants": grants,
        "now": services.now(),
        "may_grant": may(principal, Permission.GRANT_IDENTIFIER_ACCESS),
        "values": form.values or {"hours": "8"},
        "errors": form.errors,
        "max_grant_hours": MAX_GRANT_HOURS,
        "max_reason_length": MAX_GRANT_REASON_LENGTH,
    }
    return pages.render(request, "audit/identifier_access.html", context,
                        status_code=status_code)


@router.get("/audit/public-key", name="audit_public_key")
def audit_public_key(services: Services) -> PlainTextResponse:
    """The Ed25519 public key (PEM) the audit chain's checkpoints are signed with: public, so
    that anyone holding events or an evidence bundle can check them (docs/audit.md)."""
    return PlainTextResponse(services.audit_public_key())
