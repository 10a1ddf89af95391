""""My cases": the case list narrowed to the cases the signed-in person holds."""

from __future__ import annotations

from dataclasses import replace

from domain.access import Principal
from domain.programme import City
from projections.case_list import CaseFilters
from web.areas.cases.requests.filters import CaseListQuery
from web.services import WebServices


def held_cases_only(services: WebServices, principal: Principal, city: City,
                    query: CaseListQuery) -> CaseFilters:
    """The query's filters; with `holder=mine`, only the cases of `city` that the principal
    holds (none for anyone who holds no case: the ministry, an auditor, a partner)."""
    filters = query.filters()
    if query.holder != "mine":
        return filters
    held = services.assignment_views.held_by(city.value, principal.id)
    return replace(filters, case_ids=frozenset(held))
