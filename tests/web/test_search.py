"""The search box (issue 16 item 6): a case code, exact (straight to the case) or a prefix, where
the principal may list cases; a person's identifiers, for a city's staff among their own
city's cases, each case found logged as a reading of identifiers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.vault import AccessReason
from infra.bootstrap import Platform
from tests.web.conftest import Clients, record_intake


@pytest.fixture
def cases(clients: Clients) -> dict[str, dict[str, Any]]:
    """FI-2021-00001 and -00002, MI-2021-00001: three people."""
    return {
        "FI-2021-00001": record_intake(clients, "firenze"),
        "FI-2021-00002": record_intake(clients, "firenze", given_name="Sara",
                                       document_number="PS7654321"),
        "MI-2021-00001": record_intake(clients, "milano", given_name="Yonas",
                                       document_number="PS1111111"),
    }


def test_an_exact_code_typed_in_the_box_goes_straight_to_the_case(
    clients: Clients, cases: dict[str, dict[str, Any]]
) -> None:
    answer = clients.operator("firenze").get("/search", params={"q": " fi-2021-00002 "},
                                             follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/cases/{cases['FI-2021-00002']['case_id']}"


def test_a_prefix_lists_the_city_s_matching_cases_only(
    clients: Clients, cases: dict[str, dict[str, Any]]
) -> None:
    page = clients.operator("firenze").get("/search", params={"q": "FI-2021-0000"})
    assert page.status_code == 200
    assert "FI-2021-00001" in page.text and "FI-2021-00002" in page.text
    # Milan's code is not Florence's to find, even typed whole.
    foreign = clients.operator("firenze").get("/search", params={"q": "MI-2021-00001"},
                                              follow_redirects=False)
    assert foreign.status_code == 200 and "MI-2021-00001</a>" not in foreign.text
    assert 'id="no-code-found"' in foreign.text


def test_the_ministry_and_auditors_search_codes_across_the_network(
    clients: Clients, cases: dict[str, dict[str, Any]]
) -> None:
    for client in (clients.ministry(), clients.auditor()):
        answer = client.get("/api/v1/search/cases", params={"code": "mi-2021"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["cases"] == [{"case_id": cases["MI-2021-00001"]["case_id"],
                                           "case_code": "MI-2021-00001", "city": "milano"}]
        exact = client.get("/search", params={"q": "MI-2021-00001"}, follow_redirects=False)
        assert exact.status_code == 303


def test_the_api_says_which_case_is_the_exact_code(
    clients: Clients, cases: dict[str, dict[str, Any]]
) -> None:
    body = clients.coordinator("firenze").get(
        "/api/v1/search/cases", params={"code": "FI-2021-00001"}).json()
    assert body["exact"]["case_id"] == cases["FI-2021-00001"]["case_id"]
    assert [c["case_code"] for c in body["cases"]] == ["FI-2021-00001"]
    too_long = clients.coordinator("firenze").get(
        "/api/v1/search/cases", params={"code": "F" * 21})
    assert too_long.status_code == 422


def test_partners_may_not_search(clients: Clients, cases: dict[str, dict[str, Any]]) -> None:
    answer = clients.partner("firenze").get("/api/v1/search/cases", params={"code": "FI"})
    assert answer.status_code == 403


def test_staff_find_their_city_s_case_by_identifiers_and_each_reading_is_logged(
    clients: Clients, platform: Platform, cases: dict[str, dict[str, Any]]
) -> None:
    answer = clients.operator("firenze").post("/api/v1/search/identifiers", json={
        "given_name": "amanuel", "family_name": "TESFAYE", "birth_date": "1994-05-02",
        "reason": "contact_person"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["cases"] == [{
        "case_id": cases["FI-2021-00001"]["case_id"], "case_code": "FI-2021-00001",
        "city": "firenze", "matched_on": ["name_and_birth_date"]}]
    [access] = platform.vault.accesses()
    assert (access.actor_id, access.case_id, access.case_code, access.reason) == (
        "firenze.operator", UUID(cases["FI-2021-00001"]["case_id"]), "FI-2021-00001",
        AccessReason.CONTACT_PERSON)


def test_a_search_by_identifiers_never_crosses_the_city(
    clients: Clients, platform: Platform, cases: dict[str, dict[str, Any]]
) -> None:
    answer = clients.operator("firenze").post("/api/v1/search/identifiers", json={
        "document_number": "PS1111111"})  # Milan's case's document
    assert answer.status_code == 200
    assert answer.json()["cases"] == []
    assert platform.vault.accesses() == []  # nothing read, nothing logged


def test_the_ministry_and_auditors_may_not_search_by_identifiers(
    clients: Clients, platform: Platform, cases: dict[str, dict[str, Any]]
) -> None:
    for client in (clients.ministry(), clients.auditor()):
        answer = client.post("/api/v1/search/identifiers",
                             json={"document_number": "PS1234567"})
        assert answer.status_code == 403
        page = client.get("/search")
        assert page.status_code == 200 and "search_by_identifiers" not in page.text
        assert 'action="/search/identifiers"' not in page.text
    assert platform.vault.accesses() == []


def test_a_search_by_identifiers_needs_a_whole_key(
    clients: Clients, platform: Platform, cases: dict[str, dict[str, Any]]
) -> None:
    # A name without a birth date is no key: too many people share a name.
    answer = clients.operator("firenze").post("/api/v1/search/identifiers", json={
        "given_name": "Amanuel", "family_name": "Tesfaye"})
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["code"] == "nothing_to_search_by"
    staff_may_not_claim_a_grant = clients.operator("firenze").post(
        "/api/v1/search/identifiers", json={"document_number": "PS1234567",
                                            "reason": "audit_grant"})
    assert staff_may_not_claim_a_grant.status_code == 403
    assert platform.vault.accesses() == []


def test_the_page_finds_by_identifiers_by_post_only(
    clients: Clients, platform: Platform, cases: dict[str, dict[str, Any]]
) -> None:
    operator = clients.operator("firenze")
    page = operator.post("/search/identifiers", data={
        "document_number": "ps 765 4321", "reason": "identity_check"})
    assert page.status_code == 200
    assert "FI-2021-00002" in page.text and 'id="people-found"' in page.text
    assert "PS7654321" not in page.text and "ps 765 4321" not in page.text
    assert len(platform.vault.accesses()) == 1
    refused = operator.post("/search/identifiers", data={"reason": "identity_check"})
    assert refused.status_code == 422


def test_the_navigation_has_the_search_box(
    clients: Clients, cases: dict[str, dict[str, Any]]
) -> None:
    assert 'id="case-search"' in clients.operator("firenze").get("/").text
    assert 'id="case-search"' in clients.ministry().get("/").text
