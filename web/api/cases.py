"""Read cases: a city's list, filtered and paginated, and one case with its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from web.api.models import CaseDetail, CaseList
from web.case_filters import CaseListQuery
from web.dependencies import PathCaseId, PathCity, Services
from web.errors import UnknownCase

router = APIRouter(tags=["cases"])


@router.get(
    "/cities/{city}/cases", response_model=CaseList, name="api_list_cases",
    summary="A city's cases",
)
def list_cases(
    city: PathCity, query: Annotated[CaseListQuery, Query()], services: Services
) -> CaseList:
    page = services.case_list.list_cases(
        city.value, query.filters(), page=query.page, page_size=query.page_size
    )
    return CaseList.of(page)


@router.get(
    "/cases/{case_id}", response_model=CaseDetail, name="api_get_case",
    summary="One case, with its eligibility and history",
)
def get_case(case_id: PathCaseId, services: Services) -> CaseDetail:
    row = services.case_list.get_case(case_id)
    if row is None:
        raise UnknownCase(str(case_id))
    return CaseDetail.of_case(row, services.case_list.history(case_id))
