"""Search cases by code (everyone who lists cases, where they list them) and, for a city's
staff, by a person's identifiers among the city's cases (POST: identifiers never in a URL; each
case found is logged as a reading of identifiers)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from web.areas.search.requests import (
    MAX_QUERY,
    IdentifierSearch,
    IdentifierSearcher,
    exact,
    search_codes,
    search_identifiers,
)
from web.kit.dependencies import Services
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["search"])


class CaseFound(BaseModel):
    case_id: UUID
    case_code: str
    city: str


class CodeSearchResult(BaseModel):
    exact: CaseFound | None = Field(description="The case whose code is exactly the one given")
    cases: list[CaseFound] = Field(
        description="The cases whose code starts with the one given (at most 50), in code "
        "order, where you may list cases: your city's, or every city's for the ministry and "
        "auditors")


class PersonFound(BaseModel):
    case_id: UUID
    case_code: str
    city: str
    matched_on: list[str]


class IdentifierSearchResult(BaseModel):
    cases: list[PersonFound] = Field(description="Your city's cases of the person sought")


@router.get("/search/cases", response_model=CodeSearchResult, name="api_search_cases",
            summary="Find cases by code, exact or prefix")
async def search_cases(
    services: Services, principal: SignedIn,
    code: str = Query(default="", max_length=MAX_QUERY, description="FI-2021-00001, FI-2021"),
) -> CodeSearchResult:
    found = await run_in_threadpool(search_codes, services, principal, code)
    exactly = exact(found, code)
    return CodeSearchResult(
        exact=CaseFound(case_id=exactly.case_id, case_code=exactly.case_code,
                        city=exactly.city) if exactly else None,
        cases=[CaseFound(case_id=c.case_id, case_code=c.case_code, city=c.city)
               for c in found])


@router.post("/search/identifiers", response_model=IdentifierSearchResult,
             name="api_search_by_identifiers",
             summary="Find your city's cases of a person, by their identifiers")
async def search_by_identifiers(
    principal: IdentifierSearcher, sought: IdentifierSearch, services: Services,
    response: Response,
) -> IdentifierSearchResult:
    """Names with birth date, a document number or a tax code, looked for through the duplicate
    check's blind index among your city's cases. Each case found is logged as a reading of its
    person's identifiers, with the reason given, before it is returned."""
    found = await search_identifiers(services, principal, sought)
    response.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    return IdentifierSearchResult(cases=[
        PersonFound(case_id=m.case_id, case_code=m.case_code, city=m.city.value,
                    matched_on=sorted(k.value for k in m.kinds)) for m in found])
