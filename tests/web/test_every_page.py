"""Every GET route of the app answers without a server error, in both languages, with or without
data, as a page or as an htmx fragment, to whoever may open it; and every page loads only what
the app serves, under the app's security headers."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.web.conftest import Clients, record_intake
from tests.web.test_access_matrix import EXPORTED_TABLE, RESOURCES, STREAMING_ROUTES
from web import api
from web.api import API_V1_PREFIX
from web.app import PAGE_AREAS
from web.kit import health
from web.kit.security_headers import SECURITY_HEADERS


def get_paths(clients: Clients, case_id: str) -> list[str]:
    """Each GET route of every area the app includes, with its path parameters filled in: a
    Milan case, and a referral, shelter, activity and claim of Milan made as the access matrix
    makes them."""
    examples = {"city": "milano", "case_id": case_id, "fmt": "xlsx", "partner": "cittalia"}
    for name, make in RESOURCES.items():
        examples[name] = make(clients, case_id)
    routers = [("", area.router) for area in PAGE_AREAS]
    routers += [(API_V1_PREFIX, area.router) for area in api.AREAS]
    routers += [("", health.router)]
    return [
        _filled(prefix + route.path, {**examples, "table": EXPORTED_TABLE.get(route.name, "")})
        for prefix, router in routers
        for route in router.routes
        # A stream never ends: tests/web/test_live_updates.py reads it.
        if isinstance(route, APIRoute) and route.methods is not None and "GET" in route.methods
        and route.name not in STREAMING_ROUTES
    ]


def _filled(path: str, examples: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: examples[m.group(1)], path)


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_route_answers_without_a_server_error(clients: Clients, language: str) -> None:
    case_id = record_intake(clients, "milano", vulnerabilities=["female_genital_mutilation"],
                            protection_status="asylum_seeker")["case_id"]
    paths = get_paths(clients, case_id)
    assert len(paths) >= 12

    # Between them, the city's coordinator and the ministry may open every page.
    for path in paths:
        opened = False
        for viewer in (clients.coordinator("milano"), clients.ministry()):
            for headers in ({}, {"HX-Request": "true"}):
                response = viewer.get(path, params={"lang": language}, headers=headers)
                assert response.status_code in (200, 403), (path, response.text[:500])
                opened = opened or response.status_code == 200
        assert opened, path


def test_pages_answer_before_any_intake(clients: Clients) -> None:
    for path in ("/", "/cities/trieste", "/cities/trieste/cases", "/cities/trieste/intake"):
        assert clients.operator("trieste").get(path).status_code == 200, path
    for path in ("/", "/ministry", "/api/v1/network/overview"):
        assert clients.auditor().get(path).status_code == 200, path


def test_every_asset_a_page_links_to_is_served_to_anyone(
    client: TestClient, clients: Clients
) -> None:
    page = client.get("/cities/firenze/intake").text
    assets = re.findall(r'(?:href|src)="(/static/[^"#]+)', page)

    assert len(assets) >= 6
    for asset in set(assets):
        response = clients.anonymous().get(asset)
        assert response.status_code == 200, asset
        assert response.headers["x-content-type-options"] == "nosniff"


def test_every_answer_carries_the_security_headers(client: TestClient, clients: Clients) -> None:
    answers = [
        client.get("/"),
        client.get("/cities/firenze/intake"),
        client.get("/cities/milano/cases"),  # refused
        client.get("/nowhere"),
        client.get("/api/v1/cities/firenze/cases"),
        clients.anonymous().get("/cities/firenze/cases", follow_redirects=False),
        clients.anonymous().get("/api/v1/cities/firenze/cases"),
        clients.anonymous().get("/sign-in"),
        clients.anonymous().get("/openapi.json"),
        clients.anonymous().get("/static/app/css/lgnet.css"),
    ]

    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value, (answer.url, name)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp and "frame-ancestors 'none'" in csp


def test_htmx_is_configured_to_live_within_the_content_security_policy(
    client: TestClient,
) -> None:
    page = client.get("/cities/firenze/cases").text

    [config] = re.findall(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert '"includeIndicatorStyles": false' in config
    assert '"allowEval": false' in config
    assert '"allowScriptTags": false' in config


def test_pages_carry_no_inline_script_or_style(client: TestClient, clients: Clients) -> None:
    record_intake(clients)
    for viewer, path in ((client, "/"), (client, "/cities/firenze/intake"),
                         (client, "/cities/firenze/cases"), (clients.ministry(), "/ministry"),
                         (clients.anonymous(), "/sign-in")):
        page = viewer.get(path).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [], path
        assert " style=" not in page and "<style" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path


def test_an_unknown_page_is_not_found_in_words_to_those_signed_in(client: TestClient) -> None:
    page = client.get("/nowhere")
    api = client.get("/api/v1/nowhere")

    assert page.status_code == api.status_code == 404
    assert "Pagina non trovata" in page.text
    assert api.json()["problems"][0]["message"] == "Questa pagina non esiste."
