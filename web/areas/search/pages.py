"""The search box's page: a case code typed exactly goes straight to the case; a prefix lists the
cases it starts; the city's staff also find a person by identifiers (POSTed, logged)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from domain.access import Permission, Principal, may
from domain.identity.model import MatchFound
from domain.vault import AccessReason
from projections.person_links import CodeFound
from web.areas.search.requests import (
    MAX_QUERY,
    IdentifierSearch,
    exact,
    normalised_query,
    search_codes,
    search_identifiers,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.forms import FormRefused, FormState, PostedForm, see_other
from web.kit.principal import SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.vocabulary.identity import KEY_KINDS

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.get("/search", name="search")
async def search(
    request: Request, pages: PageRenderer, services: Services, principal: SignedIn,
    q: str = "",
) -> Response:
    query = q[:100]
    found = await run_in_threadpool(search_codes, services, principal, query) if (
        normalised_query(query)) else []
    case = exact(found, query)
    if case is not None:
        return see_other(request, "case_page", case_id=str(case.case_id))
    return _render(request, pages, principal, query=query, found=found,
                   searched=bool(normalised_query(query)))


@router.post("/search/identifiers", name="search_by_identifiers")
async def search_by_identifiers(
    request: Request, pages: PageRenderer, services: Services, principal: SignedIn,
    translator: CurrentTranslator,
) -> Response:
    form = await PostedForm.read(request, IdentifierSearch.model_fields)
    try:
        people = await form.submit(
            IdentifierSearch, lambda sought: search_identifiers(services, principal, sought),
            translator)
    except FormRefused as refused:
        return _render(request, pages, principal, form=refused.form,
                       status_code=422)
    response = _render(request, pages, principal, form=FormState(
        {"reason": form.values.get("reason", AccessReason.IDENTITY_CHECK.value)}),
        people=people, searched_people=True)
    response.headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    return response


def _render(
    request: Request, pages: PageRenderer, principal: Principal,
    *, query: str = "", found: list[CodeFound] | None = None, searched: bool = False,
    form: FormState | None = None, people: list[MatchFound] | None = None,
    searched_people: bool = False, status_code: int = 200,
) -> HTMLResponse:
    may_search_people = principal.city is not None and may(
        principal, Permission.SEARCH_BY_IDENTIFIERS, principal.city)
    form = form or FormState({"reason": AccessReason.IDENTITY_CHECK.value})
    return pages.render(request, "search/results.html", {
        "query": query, "max_query": MAX_QUERY, "found": found or [], "searched": searched,
        "may_search_people": may_search_people, "values": form.values, "errors": form.errors,
        "people": people or [], "searched_people": searched_people,
        "reasons": [r for r in AccessReason if r is not AccessReason.AUDIT_GRANT],
        "key_kinds": KEY_KINDS,
    }, status_code=status_code)

