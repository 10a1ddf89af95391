"""Who is acting on a request, and what the route lets them reach.

Web.authentication identifies the principal; the dependencies here apply domain.access to the
city or case a route names, so that every route states what it needs in its signature:

- `SignedIn`: any signed-in user or partner;
- `CityToView`, `CityToList`, `CityToTakeIn`: the city in the path, where the principal may
  view it, list its cases, or record an intake (403 elsewhere: the network's cities are no secret);
- `ViewableCase`: the case in the path, where the principal may view it. A case of another
  city is answered 404, exactly as a case that does not exist, so existence does not leak;
- `CaseOrHandover`: the same, except that a case the principal's city transferred to another
  is its `Handover` (what the old city's staff still see: the history up to the transfer);
- `CaseToWorkOn`, `CaseToCorrect`: a viewable case on which the principal may record work
  (close it, refer it, ...) or correct the record (reopen it, correct its intake facts);
- `CaseWithIdentifiers`, `ErasableCase`: a viewable case whose person's identifiers the
  principal may read now (own city's staff, or an auditor under a live grant), or whose erasure
  they may record (own city's coordinators); 403 when the case is viewable but that is not
  allowed, 404 as above when it is not even viewable;
- `NetworkViewer`, `AuditLogReader`, `GrantGiver`: a principal who may see the whole network's
  figures, read the identifier-access log, or give auditors time-limited grants;
- `ActingPrincipal`: the actor that the events a request causes will name.

The checks that only compute are `async def`, so FastAPI runs them on the event loop rather than
hopping to a worker thread for each (web.kit.dependencies); those that read a read model
(`viewable_case`, `viewable_case_or_handover`) stay plain functions, run in a thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from domain.access import CITY_ROLES, Permission, Principal, may, require
from domain.programme import Actor, City
from projections.case_list import CaseRow, Handover
from web.kit.as_of import viewing_as_of
from web.kit.dependencies import PathCaseId, PathCity, Services
from web.kit.errors import CaseNotYetRecorded, NotSignedIn, UnknownCase
from web.services import WebServices


async def signed_in_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise NotSignedIn()
    return principal


SignedIn = Annotated[Principal, Depends(signed_in_principal)]


async def acting_principal(principal: SignedIn) -> Actor:
    return principal.actor


ActingPrincipal = Annotated[Actor, Depends(acting_principal)]


def city_where(permission: Permission) -> Callable[[City, Principal], Awaitable[City]]:
    """A dependency: the city in the path, once the principal is known to hold `permission`
    there."""

    async def permitted_city(city: PathCity, principal: SignedIn) -> City:
        require(principal, permission, city)
        return city

    return permitted_city


def network_permission(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: the principal, once known to hold `permission` beyond any one city."""

    async def permitted(principal: SignedIn) -> Principal:
        require(principal, permission)
        return principal

    return permitted


def unknown_case(request: Request, case_id: UUID, principal: Principal) -> UnknownCase:
    """The refusal for a case the principal cannot see: as of a past moment, a case they may
    see now but that was recorded after it did not exist yet (CaseNotYetRecorded); otherwise,
    unknown."""
    moment = viewing_as_of(request)
    if moment is not None:
        live: WebServices = request.app.state.services
        now = live.case_list.get_case(case_id)
        if now is not None and may(principal, Permission.VIEW_CASE, City(now.city)):
            return CaseNotYetRecorded(str(case_id), now.case_code, moment)
    return UnknownCase(str(case_id))


def viewable_case(
    case_id: PathCaseId, principal: SignedIn, services: Services, request: Request
) -> CaseRow:
    row = services.case_list.get_case(case_id)
    if row is None:
        raise unknown_case(request, case_id, principal)
    if not may(principal, Permission.VIEW_CASE, City(row.city)):
        raise UnknownCase(str(case_id))
    return row


def viewable_case_or_handover(
    case_id: PathCaseId, principal: SignedIn, services: Services, request: Request
) -> CaseRow | Handover:
    """The case, where the principal may view it; else, for the staff of a city that
    transferred it away, its handover. 404 for everybody else, as for an unknown case."""
    row = services.case_list.get_case(case_id)
    if row is None:
        raise unknown_case(request, case_id, principal)
    if may(principal, Permission.VIEW_CASE, City(row.city)):
        return row
    if principal.role in CITY_ROLES and principal.city is not None and may(
        principal, Permission.VIEW_CASE, principal.city
    ):
        handover = services.case_list.handover(case_id, principal.city.value)
        if handover is not None:
            return handover
    raise UnknownCase(str(case_id))


def case_where(
    permission: Permission,
) -> Callable[[CaseRow, Principal, WebServices], Awaitable[CaseRow]]:
    """A dependency: the case in the path, once the principal is known to hold `permission` in
    its city now (grants are judged at the request's time)."""

    async def permitted_case(
        case: ViewableCase, principal: SignedIn, services: Services
    ) -> CaseRow:
        require(principal, permission, City(case.city), at=services.now())
        return case

    return permitted_case


CityToView = Annotated[City, Depends(city_where(Permission.VIEW_CITY))]
CityToList = Annotated[City, Depends(city_where(Permission.LIST_CASES))]
CityToTakeIn = Annotated[City, Depends(city_where(Permission.RECORD_INTAKE))]
ViewableCase = Annotated[CaseRow, Depends(viewable_case)]
CaseOrHandover = Annotated[CaseRow | Handover, Depends(viewable_case_or_handover)]
CaseWithIdentifiers = Annotated[
    CaseRow, Depends(case_where(Permission.VIEW_PERSONAL_IDENTIFIERS))
]
ErasableCase = Annotated[CaseRow, Depends(case_where(Permission.REQUEST_ERASURE))]
CaseToWorkOn = Annotated[CaseRow, Depends(case_where(Permission.RECORD_CASE_WORK))]
CaseToCorrect = Annotated[CaseRow, Depends(case_where(Permission.CORRECT_CASE_RECORD))]
NetworkViewer = Annotated[Principal, Depends(network_permission(Permission.VIEW_NETWORK_OVERVIEW))]
AuditLogReader = Annotated[Principal, Depends(network_permission(Permission.VIEW_AUDIT_LOG))]
GrantGiver = Annotated[
    Principal, Depends(network_permission(Permission.GRANT_IDENTIFIER_ACCESS))
]
