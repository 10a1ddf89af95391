"""Every route of the app, read from its route table (so a new route is covered the day it is
added), for every method, as every kind of principal: anonymous, each role, Milan's staff and a
foreign city's staff, partners of Milan and of Florence. The path names Milan and a real Milan
case. Who may use each route is written out in ACCESS; a route missing there fails the test
until someone decides who may use it.

Where access is refused the answer is 401 (API) or a redirect to sign in (pages) without
credentials, 404 for a case the principal may not see (so existence does not leak), 403
otherwise (a case they may see, but not its identifiers, say); and it carries no case data.

Erasing a person's data can be done once: each call of an erasure route names a Milan case of
its own."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from domain.network import City, Role
from tests.web.conftest import (
    PASSWORD,
    Clients,
    an_intake_form,
    an_intake_payload,
    record_intake,
    sign_in,
)
from web.authentication import PUBLIC_ROUTES

ANONYMOUS = "anonymous"
FLORENCE_OPERATOR = "Florence operator"
FLORENCE_COORDINATOR = "Florence coordinator"
MILAN_OPERATOR = "Milan operator"
MILAN_COORDINATOR = "Milan coordinator"
MINISTRY = "ministry"
AUDITOR = "auditor"
MILAN_PARTNER = "Milan partner"
FLORENCE_PARTNER = "Florence partner"

PARTNERS = {MILAN_PARTNER, FLORENCE_PARTNER}
PEOPLE = {FLORENCE_OPERATOR, FLORENCE_COORDINATOR, MILAN_OPERATOR, MILAN_COORDINATOR, MINISTRY,
          AUDITOR}
EVERYONE = {ANONYMOUS, *PEOPLE, *PARTNERS}
MILAN_STAFF = {MILAN_OPERATOR, MILAN_COORDINATOR}
OVERSIGHT = {MINISTRY, AUDITOR}
# An auditor who is not among the principals: the matrix's grants go to them, so that the
# auditor tried here never holds one.
OTHER_AUDITOR = "other.auditor"

# Who may use each route, with Milan in the path (and a Milan case).
ACCESS: dict[str, set[str]] = {
    "openapi": EVERYONE,
    "sign_in_page": EVERYONE,
    "sign_in": EVERYONE,
    "health": EVERYONE,
    "event_schemas_page": EVERYONE,
    "api_event_schemas": EVERYONE,
    "sign_out": PEOPLE,
    "home": PEOPLE,
    "city_home": MILAN_STAFF | OVERSIGHT,
    "case_list": MILAN_STAFF | OVERSIGHT,
    "case_page": MILAN_STAFF | OVERSIGHT,
    "intake_form": MILAN_STAFF,
    "submit_intake": MILAN_STAFF,
    "reveal_identifiers": MILAN_STAFF,
    "erase_personal_data": {MILAN_COORDINATOR},
    "ministry_overview": OVERSIGHT,
    "identifier_access_log": OVERSIGHT,
    "grant_identifier_access": {MINISTRY},
    "revoke_identifier_access": {MINISTRY},
    "api_list_cases": MILAN_STAFF | OVERSIGHT | {MILAN_PARTNER},
    "api_get_case": MILAN_STAFF | OVERSIGHT | {MILAN_PARTNER},
    "api_record_intake": MILAN_STAFF,
    "api_reveal_identifiers": MILAN_STAFF,
    "api_erase_personal_data": {MILAN_COORDINATOR},
    "api_network_overview": OVERSIGHT,
    "api_identifier_access_log": OVERSIGHT,
    "api_identifier_access_grants": OVERSIGHT,
    # -- case lifecycle (closure, reopening, corrections) --
    # -- referrals --
    # -- housing --
    # -- activities --
}
# Routes whose every call changes what it names (an erasure, a referral's answer, ...): each call
# gets resources of its own (a new Milan case, and whatever RESOURCES makes from it).
FRESH_ROUTES = {
    "erase_personal_data", "api_erase_personal_data",
    # -- case lifecycle --
    # -- referrals --
    # -- housing --
    # -- activities --
}
AN_ERASURE_REQUEST = {"requested_on": "2021-03-12", "request_reference": "PG/2021/0001"}

# What an unsafe request sends (it is sent by a fresh client: it may change the session).
BODIES: dict[str, dict[str, Any]] = {
    "sign_in": {"data": {"username": "milano.operator", "password": PASSWORD}},
    "sign_out": {},
    "submit_intake": {"data": an_intake_form(intake_date="2021-03-11")},
    "api_record_intake": {"json": an_intake_payload(intake_date="2021-03-11")},
    "reveal_identifiers": {"data": {"reason": "contact_person"}},
    "api_reveal_identifiers": {"json": {"reason": "contact_person"}},
    "erase_personal_data": {"data": {**AN_ERASURE_REQUEST, "confirm": "yes"}},
    "api_erase_personal_data": {"json": AN_ERASURE_REQUEST},
    "grant_identifier_access": {"data": {"grantee": OTHER_AUDITOR, "city": "milano",
                                         "hours": "4", "reason": "Access matrix test"}},
    "revoke_identifier_access": {},
    # -- case lifecycle --
    # -- referrals --
    # -- housing --
    # -- activities --
}

# The other resources a path can name, each made in Milan for a Milan case (its id given) by
# Milan's coordinator: path parameter -> maker, returning the resource's id.
RESOURCES: dict[str, Callable[[Clients, str], str]] = {
    # -- referrals --
    # -- housing --
    # -- activities --
}
# A path naming one of these is answered 404, like an unknown one, to whoever may not see it.
RESOURCE_PARAMETERS = ("case_id", "referral_id", "shelter_id", "activity_id")


@dataclass(frozen=True)
class RouteUnderTest:
    name: str
    method: str
    path: str

    @property
    def is_api(self) -> bool:
        return self.path.startswith(("/api/", "/openapi.json", "/health"))

    @property
    def names_a_resource(self) -> bool:
        """A case, or a referral, shelter or activity of a city (not just a city)."""
        return any(f"{{{name}}}" in self.path for name in RESOURCE_PARAMETERS)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def routes_of(app: FastAPI) -> list[RouteUnderTest]:
    """Every route and method of the app, static files aside (tested as public elsewhere)."""
    routes = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            continue
        assert route.name and route.path and route.methods, route
        routes += [RouteUnderTest(route.name, method, route.path)
                   for method in sorted(route.methods)]
    return routes


@dataclass
class Milan:
    case_id: str
    case_code: str


def a_milan_case(clients: Clients) -> Milan:
    created = record_intake(clients, "milano", vulnerabilities=["trafficking_victim"])
    return Milan(created["case_id"], created["case_code"])


@pytest.fixture
def milan(clients: Clients) -> Milan:
    return a_milan_case(clients)


def milan_path_params(clients: Clients, case: Milan, grant_id: str) -> dict[str, str]:
    params = {"city": "milano", "case_id": case.case_id, "grant_id": grant_id}
    for name, make in RESOURCES.items():
        params[name] = make(clients, case.case_id)
    return params


@pytest.fixture
def grant_id(principals: Principals, clients: Clients) -> str:
    """A live grant (to OTHER_AUDITOR), for the route that revokes one."""
    clients.add_user(OTHER_AUDITOR, Role.AUDITOR)
    given = clients.platform.accounts.grant_access(
        USERS[MINISTRY][0], OTHER_AUDITOR, City.MILANO, timedelta(hours=1), "Matrix fixture")
    return given.grant_id


USERS = {
    FLORENCE_OPERATOR: ("firenze.operator", Role.CITY_OPERATOR, City.FIRENZE),
    FLORENCE_COORDINATOR: ("firenze.coordinator", Role.CITY_COORDINATOR, City.FIRENZE),
    MILAN_OPERATOR: ("milano.operator", Role.CITY_OPERATOR, City.MILANO),
    MILAN_COORDINATOR: ("milano.coordinator", Role.CITY_COORDINATOR, City.MILANO),
    MINISTRY: ("ministry", Role.MINISTRY, None),
    AUDITOR: ("auditor", Role.AUDITOR, None),
}


class Principals:
    """A client per principal; `fresh` makes a new one (a new session, a new token)."""

    def __init__(self, clients: Clients) -> None:
        self.clients = clients
        for username, role, city in USERS.values():
            clients.add_user(username, role, city)
        self._kept: dict[str, TestClient] = {}

    def client(self, principal: str, *, fresh: bool = False) -> TestClient:
        if fresh:
            return self._make(principal)
        if principal not in self._kept:
            self._kept[principal] = self._make(principal)
        return self._kept[principal]

    def _make(self, principal: str) -> TestClient:
        if principal == ANONYMOUS:
            return self.clients.anonymous()
        if principal == MILAN_PARTNER:
            return self.clients.partner("milano")
        if principal == FLORENCE_PARTNER:
            return self.clients.partner("firenze")
        return sign_in(self.clients.anonymous(), USERS[principal][0])


@pytest.fixture
def principals(clients: Clients) -> Principals:
    return Principals(clients)


def call(principals: Principals, principal: str, route: RouteUnderTest,
         path_params: dict[str, str], **query: str) -> Any:
    path = re.sub(r"\{(\w+)\}", lambda m: path_params[m.group(1)], route.path)
    unsafe = route.method not in ("GET", "HEAD")
    client = principals.client(principal, fresh=unsafe)
    return client.request(route.method, path, params=query or None, follow_redirects=False,
                          **BODIES.get(route.name, {}) if unsafe else {})


def asked_to_sign_in(response: Any) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith(
        "/sign-in?next=")


def expected_refusal(principal: str, route: RouteUnderTest) -> int:
    """The status a refused principal gets: 303 (to the sign-in page) or 401 without
    credentials (a partner's token opens no page), 404 for a case they may not see, 403
    otherwise."""
    without_credentials = principal == ANONYMOUS or (principal in PARTNERS and not route.is_api)
    if without_credentials:
        return 401 if route.is_api else 303
    case_viewers = ACCESS["api_get_case" if route.is_api else "case_page"]
    return 404 if route.names_a_resource and principal not in case_viewers else 403


def test_every_route_is_declared_and_the_public_ones_are_exactly_the_published_ones(
    app: FastAPI,
) -> None:
    names = {route.name for route in routes_of(app)}

    assert names - ACCESS.keys() == set(), "declare who may use these routes in ACCESS"
    assert ACCESS.keys() - names == set(), "these routes are gone: drop them from ACCESS"
    assert {name for name, who in ACCESS.items() if ANONYMOUS in who} == PUBLIC_ROUTES


def test_every_route_answers_each_principal_as_declared_and_refusals_carry_no_case_data(
    app: FastAPI, principals: Principals, milan: Milan, clients: Clients, grant_id: str
) -> None:
    checked = 0
    shared = milan_path_params(clients, milan, grant_id)
    for route in routes_of(app):
        for principal in sorted(EVERYONE):
            case, params = milan, shared
            if route.name in FRESH_ROUTES:
                case = a_milan_case(clients)
                params = milan_path_params(clients, case, grant_id)
            response = call(principals, principal, route, params)
            where = f"{principal}: {route} -> {response.status_code}"
            if principal in ACCESS[route.name]:
                assert response.status_code < 400 and not asked_to_sign_in(response), where
            else:
                assert response.status_code == expected_refusal(principal, route), where
                if response.status_code == 303:
                    assert asked_to_sign_in(response), where
                assert case.case_code not in response.text, where
                assert "trafficking" not in response.text, where
                assert "Tesfaye" not in response.text, where
                if route.is_api:
                    assert set(response.json()) == {"message", "problems"}, where
            checked += 1
    assert checked >= len(EVERYONE) * len(ACCESS)


def test_a_florence_operator_never_sees_a_milan_case_by_any_path(
    app: FastAPI, principals: Principals, milan: Milan, clients: Clients, grant_id: str
) -> None:
    record_intake(clients, "firenze")
    operator = FLORENCE_OPERATOR
    seen = []
    in_milan = milan_path_params(clients, milan, grant_id)
    for route in routes_of(app):
        for params in (in_milan, {**in_milan, "city": "firenze"}):
            for query in ({}, {"created": milan.case_id}, {"vulnerability": "trafficking_victim"},
                          {"lang": "en"}):
                seen.append(call(principals, operator, route, params, **query))
    htmx = principals.client(operator)
    seen.append(htmx.get("/cities/firenze/cases", headers={"HX-Request": "true"}))
    seen.append(htmx.get("/cities/milano/cases", headers={"HX-Request": "true"}))

    assert len(seen) > 100
    for response in seen:
        assert milan.case_code not in response.text, response.request.url
        assert f"/cases/{milan.case_id}\"" not in response.text, response.request.url
    case_page = principals.client(operator).get(f"/cases/{milan.case_id}")
    api_case = principals.client(operator).get(f"/api/v1/cases/{milan.case_id}")
    assert case_page.status_code == api_case.status_code == 404
    unknown = principals.client(operator).get("/api/v1/cases/5a0c1f9e-2a7d-4d0b-9e44-6a1d1c3b2f10")
    assert api_case.json()["problems"][0]["code"] == unknown.json()["problems"][0]["code"]


def test_florence_s_case_list_never_lists_milan_s_cases(
    principals: Principals, milan: Milan, clients: Clients
) -> None:
    florence = record_intake(clients, "firenze")

    listing = principals.client(FLORENCE_OPERATOR).get("/api/v1/cities/firenze/cases").json()

    assert [item["case_code"] for item in listing["items"]] == [florence["case_code"]]
    assert listing["total"] == 1


def test_the_ministry_and_the_auditor_see_milan_s_case_but_never_record_one(
    principals: Principals, milan: Milan
) -> None:
    for overseer in (MINISTRY, AUDITOR):
        client = principals.client(overseer)
        case = client.get(f"/api/v1/cases/{milan.case_id}").json()

        assert case["case_code"] == milan.case_code
        assert case["vulnerabilities"] == ["trafficking_victim"]
        assert milan.case_code in client.get("/cities/milano/cases").text
        assert client.post("/api/v1/cities/milano/intakes",
                           json=an_intake_payload()).status_code == 403
        assert client.get("/cities/milano/intake").status_code == 403


def test_a_refusal_says_why_in_words_and_shows_nothing_of_the_city(
    principals: Principals, milan: Milan
) -> None:
    page = principals.client(FLORENCE_OPERATOR).get("/cities/milano/cases")
    api = principals.client(FLORENCE_OPERATOR).get("/api/v1/cities/milano/cases",
                                                   params={"lang": "en"})

    assert page.status_code == 403
    assert "<h1>Accesso non consentito</h1>" in page.text
    assert "il tuo ruolo, il tuo Comune o il tuo accordo non la prevedono" in page.text
    assert "case-table" not in page.text
    assert api.json()["message"] == (
        "You may not do this: your role, your city or your agreement does not cover it.")
    assert api.json()["problems"][0]["code"] == "access_denied"
