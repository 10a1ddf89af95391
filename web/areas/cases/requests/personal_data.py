"""A person's identifiers as the web reads and erases them, for the case page and the API alike.

Who may do either is settled before any of this runs (web.kit.principal: `CaseWithIdentifiers`,
`ErasableCase`). What is settled here is why: a reading states its reason, one of
domain.vault.AccessReason, and the reasons offered depend on how the principal may read. The
city's own staff pick the reason their work gives; an auditor reads only under a grant, and
that reading is logged as such (AUDIT_GRANT), never as anything else.

Every reading is logged by the case service before the identifiers are returned; they are never
put in a URL, never answered to a GET, and every answer that holds them says `no-store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.cases.model import MAX_REQUEST_REFERENCE, Erasure
from domain.cases.service import CaseNotFound
from domain.programme import Actor, City
from domain.vault import AccessReason, PersonalData
from projections.case_list import CaseRow
from web.kit.errors import UnknownCase
from web.kit.inputs import Day
from web.services import WebServices

# What an answer holding identifiers says to every cache on its way.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class IdentifiersRequest(BaseModel):
    """Why the identifiers are read: logged with who read them, when and for which case."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"reason": AccessReason.CONTACT_PERSON.value}]
    })

    reason: AccessReason = Field(description=(
        "City staff give the reason their work gives; an auditor reading under a grant gives "
        f"`{AccessReason.AUDIT_GRANT.value}`, and only that"
    ))


class ErasureRequest(BaseModel):
    """A person's request to have their identifiers erased (GDPR art. 17), as registered."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"requested_on": "2021-04-02", "request_reference": "PG/2021/0001234"}]
    })

    requested_on: Day = Field(description="The day the person made the request")
    # Its length and presence are the domain's rules (so the refusal is the domain's message).
    request_reference: str = Field(description=(
        f"The request's protocol number, at most {MAX_REQUEST_REFERENCE} characters. It is "
        "published with the erasure event: never the person's name"
    ))


@dataclass(frozen=True)
class PersonalDataView:
    """What may be shown of a person's identifiers: the erasure, if they were erased; the
    identifiers, once read (with the reason they were read for)."""

    erasure: Erasure | None = None
    identifiers: PersonalData | None = None
    reason: AccessReason | None = None


def reasons_for(principal: Principal, city: City, at: datetime) -> tuple[AccessReason, ...]:
    """The reasons `principal` may give for reading identifiers in `city` at `at`: none when
    they may not read them."""
    permission = Permission.VIEW_PERSONAL_IDENTIFIERS
    if not may(principal, permission, city, at=at):
        return ()
    # Without a time no grant counts: what is allowed then is allowed by the role itself.
    if may(principal, permission, city):
        return tuple(reason for reason in AccessReason if reason is not AccessReason.AUDIT_GRANT)
    return (AccessReason.AUDIT_GRANT,)


def reason_not_offered(reason: AccessReason) -> RequestValidationError:
    return RequestValidationError([{
        "type": "enum", "loc": ("body", "reason"), "input": reason.value,
        "msg": "not a reason this principal may give",
    }])


def erasure_of(services: WebServices, case_id: UUID) -> Erasure | None:
    """The case's erasure, from the record itself (blocking: call it from a thread)."""
    try:
        return services.cases.get(case_id).erasure
    except CaseNotFound:
        raise UnknownCase(str(case_id)) from None


async def reveal(
    services: WebServices, case: CaseRow, reason: AccessReason, principal: Principal
) -> PersonalDataView:
    """The person's identifiers, read (and logged) for `reason`; or their erasure. Raises
    RequestValidationError when `principal` may not give that reason."""
    now = services.now()
    if reason not in reasons_for(principal, City(case.city), now):
        raise reason_not_offered(reason)

    def read() -> PersonalDataView:
        erasure = erasure_of(services, case.case_id)
        if erasure is not None:
            return PersonalDataView(erasure=erasure)  # nothing left to read, nothing to log
        identifiers = services.cases.reveal_identifiers(case.case_id, reason, principal.actor, now)
        if identifiers is None:
            # Erased between the two reads: the record says so now.
            return PersonalDataView(erasure=erasure_of(services, case.case_id))
        return PersonalDataView(identifiers=identifiers, reason=reason)

    return await run_in_threadpool(read)


async def erase(
    services: WebServices, case: CaseRow, request: ErasureRequest, actor: Actor
) -> tuple[int, Erasure | None]:
    """Crypto-shred the person's identifiers and record it; wait (at most the read-your-writes
    timeout) for the read models to have applied it. Returns the event's position and the
    erasure as recorded. The domain refuses (DomainError) before anything is written."""

    def carry_out() -> tuple[int, Erasure | None]:
        position = services.cases.erase_personal_data(
            case.case_id, request.requested_on, request.request_reference, actor, services.now()
        )
        return position, erasure_of(services, case.case_id)

    position, erasure = await run_in_threadpool(carry_out)
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return position, erasure


