"""Read cases: a city's list, filtered and paginated, and one case with its history. Partner
systems get the minimised view (web.areas.cases.api.models), and only the history their agreement
covers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError

from domain.access import AccessDenied, Permission, Principal, may
from domain.programme import City, Role
from events.catalogue import UnknownEventType, contract_for
from web.areas.cases.api.models import CaseDetail, CaseList
from web.areas.cases.api.partner_view import partner_case, partner_case_list
from web.areas.cases.requests.assignment import held_cases_only
from web.areas.cases.requests.filters import CaseListQuery
from web.kit.dependencies import PathCaseId, Services
from web.kit.errors import UnknownCase
from web.kit.principal import CityToList, SignedIn, viewable_case
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["cases"])


def _minimised(principal: Principal, city: City) -> bool:
    return not may(principal, Permission.VIEW_SPECIAL_CATEGORIES, city)


@router.get(
    "/cities/{city}/cases", response_model=CaseList, name="api_list_cases",
    summary="A city's cases",
)
def list_cases(
    city: CityToList,
    query: Annotated[CaseListQuery, Query()],
    services: Services,
    principal: SignedIn,
    nationality: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> CaseList:
    if nationality is not None:
        # Renamed by issue 12: ignoring it would answer an old client with every case.
        raise RequestValidationError([{
            "type": "renamed_parameter", "loc": ("query", "nationality"),
            "ctx": {"new_name": "citizenship"}, "input": nationality}])
    if principal.role is Role.PARTNER:
        return partner_case_list(services, principal, city.value, query)
    minimised = _minimised(principal, city)
    if minimised:
        # Filtering by what the minimised view leaves out would tell it just as well as
        # showing it: the vulnerabilities, the eligibility that follows from them, the outcome.
        for name in ("vulnerability", "eligible_for", "outcome"):
            if getattr(query, name) is not None:
                raise AccessDenied(f"Filtering by {name} needs special-category access",
                                   field=name)
    page = services.case_list.list_cases(
        city.value, query.filters(), page=query.page, page_size=query.page_size,
        case_ids=held_cases_only(services, principal, city, query),
    )
    return CaseList.of(page, minimised=minimised)


@router.get(
    "/cases/{case_id}", response_model=CaseDetail, name="api_get_case",
    summary="One case, with its eligibility and history",
)
def get_case(
    case_id: PathCaseId, services: Services, principal: SignedIn, request: Request
) -> CaseDetail:
    """A partner system reads the case as its feed's copies say it (docs/partners.md)."""
    if principal.role is Role.PARTNER:
        row = services.case_list.get_case(case_id)
        detail = partner_case(services, principal, case_id, row.case_code) if row else None
        if detail is None:
            raise UnknownCase(str(case_id))
        return detail
    case = viewable_case(case_id, principal, services, request)
    city = City(case.city)
    history = [
        entry for entry in services.case_list.history(case.case_id)
        if may(principal, Permission.READ_EVENTS, city, event_kind=_event_kind(entry.type))
    ]
    return CaseDetail.of_case(case, history, minimised=_minimised(principal, city))


def _event_kind(ce_type: str) -> str | None:
    """`case.intake_recorded` for `it.lgnet.case.intake_recorded.v1`: the kind of event, as
    agreements and NATS subjects name it, whatever its version."""
    try:
        contract = contract_for(ce_type)
    except UnknownEventType:
        return None
    return f"{contract.aggregate}.{contract.event}"
