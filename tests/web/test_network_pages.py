"""The home page (pick a city or the ministry), a city's page, and the ministry's overview of
every city of the network."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from domain.programme import FOUNDING_CITIES
from tests.web.conftest import Clients, record_intake


def figures_of(row: str) -> list[str]:
    return re.findall(r'<td class="text-end">([\d.]+)</td>', row)


def row_of(page: str, city: str) -> str:
    match = re.search(rf'<tr data-city="{city}">(.*?)</tr>', page, re.S)
    assert match, city
    return match.group(1)


def test_the_ministry_sees_every_city_with_its_cases_and_the_network_totals(
    clients: Clients,
) -> None:
    record_intake(clients, "firenze", vulnerabilities=["elderly"])
    record_intake(clients, "firenze", protection_status="asylum_seeker")
    record_intake(clients, "palermo", protection_status="subsidiary_protection",
                  vulnerabilities=["unaccompanied_minor"], birth_date="2005-06-01")

    response = clients.ministry().get("/ministry")

    assert response.status_code == 200
    page = response.text
    assert page.count("<tr data-city=") == 19
    # cases, people (each counted once: conftest's intakes are all one person, never confirmed
    # as such, so as many people as cases), vulnerable, then the five kinds of status
    # (domain.programme.ProtectionStatusGroup):
    # international protection, applicants, national protection and special permits, stateless
    # and other permits, no valid permit. Florence: a refugee (the intake's default) and an
    # applicant; Palermo: subsidiary protection.
    assert figures_of(row_of(page, "firenze")) == ["2", "2", "1", "1", "1", "0", "0", "0"]
    assert figures_of(row_of(page, "palermo")) == ["1", "1", "1", "1", "0", "0", "0", "0"]
    assert figures_of(row_of(page, "trieste")) == ["0"] * 8
    totals = page[page.index("<tfoot>"):page.index("</tfoot>")]
    assert figures_of(totals) == ["3", "3", "2", "2", "1", "0", "0", "0"]
    # ... and the sixteen statuses in a table of their own, grouped by kind, network totals.
    by_status = dict(re.findall(
        r'<tr data-status="(\w+)">\s*<th[^>]*>[^<]*</th>\s*<td class="text-end">(\d+)</td>', page))
    assert len(by_status) == 16
    assert {status: n for status, n in by_status.items() if n != "0"} == {
        "refugee": "1", "subsidiary_protection": "1", "asylum_seeker": "1"}
    groups = re.findall(r'<tbody data-group="(\w+)">', page)
    assert groups == ["international_protection", "applicant", "national_protection",
                      "other_status", "no_valid_permit"]
    text = html.unescape(page)
    for heading in ("Casi vulnerabili", "Status di rifugiato", "Protezione sussidiaria",
                    "Richiedente protezione internazionale (primo grado)", "Apolide",
                    "Totale della rete", "Protezione internazionale",
                    "Protezione nazionale e permessi speciali", "Senza permesso valido"):
        assert heading in text
    assert '<a href="/cities/palermo/cases">Palermo</a>' in page


def test_the_home_page_leads_the_ministry_to_every_city_and_to_its_overview(
    clients: Clients,
) -> None:
    record_intake(clients, "bari")

    for viewer in (clients.ministry(), clients.auditor()):
        response = viewer.get("/")

        assert response.status_code == 200
        for city in FOUNDING_CITIES:
            assert f'href="/cities/{city.value}"' in response.text
        assert response.text.count('href="/ministry"') == 2  # the navigation and the button
        assert "1 caso" in response.text


def test_the_home_page_leads_city_staff_to_their_city_only(clients: Clients) -> None:
    record_intake(clients, "bari")
    record_intake(clients, "bari")

    response = clients.operator("bari").get("/")

    assert response.status_code == 200
    assert re.findall(r'href="/cities/(\w+)"', response.text) == ["bari"]
    assert 'href="/ministry"' not in response.text
    assert "2 casi" in response.text


def test_a_city_page_shows_its_figures_and_leads_to_intake_and_cases(clients: Clients) -> None:
    record_intake(clients, "genova", vulnerabilities=["disability"])
    record_intake(clients, "genova")

    response = clients.operator("genova").get("/cities/genova")

    assert response.status_code == 200
    assert "<h1>Genova</h1>" in response.text
    assert re.findall(r'<p class="figure-value">(\d+)</p>', response.text) == ["2", "1"]
    assert 'href="/cities/genova/intake"' in response.text
    assert 'href="/cities/genova/cases"' in response.text


def test_the_ministry_is_not_offered_an_intake_it_may_not_record(clients: Clients) -> None:
    for page in ("/cities/genova", "/cities/genova/cases"):
        response = clients.ministry().get(page)

        assert response.status_code == 200
        assert 'href="/cities/genova/cases"' in response.text or "case-table" in response.text
        assert "/cities/genova/intake" not in response.text


def test_the_event_contracts_page_shows_each_json_schema(client: TestClient) -> None:
    response = client.get("/docs/events/schemas")

    assert response.status_code == 200
    assert "it.lgnet.case.intake_recorded.v1" in response.text
    assert "urn:lgnet:schema:it.lgnet.case.intake_recorded.v1" in response.text
