"""Every GET route of the app answers without a server error, in both languages, with or without
data, as a page or as an htmx fragment; and every page loads only what the app serves."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.web.conftest import record_intake
from web import api, health
from web.api import API_V1_PREFIX
from web.app import PAGE_AREAS


def get_paths(case_id: str) -> list[str]:
    """Each GET route of every area the app includes, with its path parameters filled in."""
    examples = {"city": "napoli", "case_id": case_id}
    routers = [("", area.router) for area in PAGE_AREAS]
    routers += [(API_V1_PREFIX, area.router) for area in api.AREAS]
    routers += [("", health.router)]
    return [
        re.sub(r"\{(\w+)\}", lambda m: examples[m.group(1)], prefix + route.path)
        for prefix, router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and "GET" in route.methods
    ]


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_route_answers_without_a_server_error(client: TestClient, language: str) -> None:
    case_id = record_intake(client, "napoli", vulnerabilities=["female_genital_mutilation"],
                            protection_status="special_protection")["case_id"]
    paths = get_paths(case_id)
    assert len(paths) >= 12

    for path in paths:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(path, params={"lang": language}, headers=headers)
            assert response.status_code == 200, (path, response.text[:500])


def test_pages_answer_before_any_intake(client: TestClient) -> None:
    for path in ("/", "/cities/trieste", "/cities/trieste/cases", "/cities/trieste/intake",
                 "/ministry", "/api/v1/network/overview"):
        assert client.get(path).status_code == 200, path


def test_every_asset_a_page_links_to_is_served(client: TestClient) -> None:
    page = client.get("/cities/firenze/intake").text
    assets = re.findall(r'(?:href|src)="(/static/[^"#]+)', page)

    assert len(assets) >= 6
    for asset in set(assets):
        assert client.get(asset).status_code == 200, asset


def test_pages_carry_no_inline_script_or_style(client: TestClient) -> None:
    record_intake(client)
    for path in ("/", "/cities/firenze/intake", "/cities/firenze/cases", "/ministry"):
        page = client.get(path).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == [], path
        assert " style=" not in page and "<style" not in page, path
        assert not re.search(r"\son[a-z]+=", page), path


def test_an_unknown_page_is_not_found_in_words(client: TestClient) -> None:
    page = client.get("/nowhere")
    api = client.get("/api/v1/nowhere")

    assert page.status_code == api.status_code == 404
    assert "Pagina non trovata" in page.text
    assert api.json()["problems"][0]["message"] == "Questa pagina non esiste."
