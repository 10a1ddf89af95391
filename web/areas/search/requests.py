"""What the search box and the search by identifiers take, and how they are answered, for the
page and the API alike.

By code: a case code, exact or a prefix ("FI-2021-0000"), among the cases the principal may
list: their own city's for city staff, every city's for the ministry and auditors (case codes
are pseudonymous). By identifiers: names with birth date, a document number or a tax code,
through the duplicate check's blind index, among the city's own cases, for the city's staff
only (SEARCH_BY_IDENTIFIERS): it tells who a case is about, so every case found is logged as a
reading of identifiers, for the reason given. Identifiers are only ever POSTed: never in a URL,
a history entry or a server log."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from domain.access import AccessDenied, Permission, Principal, may, require
from domain.identity.keys import TAX_CODE_PATTERN, keys_of
from domain.identity.model import MatchFound
from domain.programme import City
from domain.vault import AccessReason
from projections.person_links import CodeFound
from web.kit.inputs import Day
from web.kit.principal import SignedIn
from web.services import WebServices

# What a search box may hold: a code or the start of one (letters, digits, hyphens).
MAX_QUERY = 20
_CODE_CHARACTERS = re.compile(r"[^A-Z0-9-]")


def normalised_query(query: str) -> str:
    """The code typed, as codes are written: upper case, no spaces (" fi-2021-00001" ->
    "FI-2021-00001")."""
    return _CODE_CHARACTERS.sub("", query.strip().upper())[:MAX_QUERY]


def city_searched(principal: Principal) -> City | None:
    """Where `principal` may search by code: None for the whole network (ministry, auditors),
    their city for its staff. Refused (AccessDenied) to whoever may list no cases by code
    (partners: they read only what their agreement covers)."""
    if may(principal, Permission.LIST_CASES):
        return None
    if principal.city is not None and may(principal, Permission.LIST_CASES, principal.city):
        return principal.city
    raise AccessDenied(f"A {principal.role.value} may not search cases",
                       permission=Permission.LIST_CASES.value)


def search_codes(services: WebServices, principal: Principal, query: str) -> list[CodeFound]:
    """The cases whose code starts with what was typed, where the principal may list them."""
    city = city_searched(principal)
    code = normalised_query(query)
    return services.person_links.find_codes(code, city.value if city else None)


def exact(found: list[CodeFound], query: str) -> CodeFound | None:
    """The case whose code is exactly what was typed, if it is among those found."""
    code = normalised_query(query)
    return next((case for case in found if case.case_code == code), None)


class IdentifierSearch(BaseModel):
    """Someone looked for among the city's cases: names with birth date, a document number or a
    tax code (at least one of the three), and why (logged with each case found)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"given_name": "Amanuel", "family_name": "Tesfaye",
                      "birth_date": "1994-05-02", "reason": "identity_check"}]})

    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    birth_date: Day | None = None
    document_number: str | None = Field(default=None, max_length=50)
    tax_code: str | None = Field(default=None, pattern=TAX_CODE_PATTERN)
    reason: AccessReason = Field(
        default=AccessReason.IDENTITY_CHECK,
        description="Why the person is looked for: logged with each case found")


def identifier_searcher(principal: SignedIn) -> Principal:
    """A dependency: the principal, once known to be a city's staff who may search by
    identifiers (before the body is validated: the schema is no business of anyone else)."""
    if principal.city is None:
        raise AccessDenied("Only a city's staff search by identifiers",
                           permission=Permission.SEARCH_BY_IDENTIFIERS.value)
    require(principal, Permission.SEARCH_BY_IDENTIFIERS, principal.city)
    return principal


IdentifierSearcher = Annotated[Principal, Depends(identifier_searcher)]


async def search_identifiers(
    services: WebServices, principal: Principal, sought: IdentifierSearch
) -> list[MatchFound]:
    """The principal's city's cases of the person sought, each logged as a reading first."""
    identifier_searcher(principal)
    city = principal.city
    assert city is not None  # identifier_searcher refused anyone without one
    if sought.reason is AccessReason.AUDIT_GRANT:
        raise AccessDenied("A city's staff do not read under an auditor's grant",
                           permission=Permission.SEARCH_BY_IDENTIFIERS.value)
    keys = keys_of(sought.given_name, sought.family_name, sought.birth_date,
                   sought.document_number, sought.tax_code)
    return await run_in_threadpool(
        services.identity.search, city, keys, sought.reason, principal.actor,
        services.now())
