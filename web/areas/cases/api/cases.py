"""Read cases: a city's list, filtered and paginated, and one case with its history. Partner
systems get the minimised view (web.areas.cases.api.models), and only the history their agreement
covers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from domain.access import AccessDenied, Permission, Principal, may
from domain.programme import City
from events.catalogue import UnknownEventType, contract_for
from web.areas.cases.api.models import CaseDetail, CaseList
from web.areas.cases.requests.assignment import held_cases_only
from web.areas.cases.requests.filters import CaseListQuery
from web.kit.dependencies import Services
from web.kit.principal import CityToList, SignedIn, ViewableCase

router = APIRouter(tags=["cases"])


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
def get_case(case: ViewableCase, services: Services, principal: SignedIn) -> CaseDetail:
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
