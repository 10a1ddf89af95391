"""Italian first, English on request: `?lang=en` switches and is remembered in the `lang`
cookie; every page, label and error follows."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from tests.web.conftest import Clients, an_intake_form, record_intake


def test_pages_are_in_italian_by_default(client: TestClient) -> None:
    response = client.get("/cities/firenze/intake")

    assert '<html lang="it">' in response.text
    assert "Nuova presa in carico" in response.text
    assert "lang" not in response.cookies


def test_lang_en_switches_to_english_and_the_cookie_keeps_it(client: TestClient) -> None:
    switched = client.get("/cities/firenze/intake", params={"lang": "en"})

    assert '<html lang="en">' in switched.text
    assert "New intake" in switched.text
    assert "Florence" in switched.text
    assert "Unaccompanied foreign minors" in switched.text
    assert '<option value="CI">Côte d’Ivoire</option>' in switched.text
    assert switched.cookies["lang"] == "en"
    assert "httponly" in switched.headers["set-cookie"].lower()

    later = client.get("/cities/firenze")
    assert '<html lang="en">' in later.text
    assert "Case list" in later.text

    back = client.get("/cities/firenze", params={"lang": "it"})
    assert "Elenco dei casi" in back.text
    assert back.cookies["lang"] == "it"


def test_the_header_offers_the_switch_on_the_current_page(client: TestClient) -> None:
    response = client.get("/cities/firenze/cases", params={"vulnerability": "any"})

    assert 'href="/cities/firenze/cases?vulnerability=any&amp;lang=en"' in response.text
    assert 'aria-current="true" class="current">IT</a>' in response.text


def test_an_unknown_language_falls_back_to_italian(client: TestClient) -> None:
    client.cookies.set("lang", "xx")

    response = client.get("/", params={"lang": "klingon"})

    assert '<html lang="it">' in response.text
    assert "lang" not in response.cookies


def test_labels_and_errors_follow_the_language(client: TestClient, clients: Clients) -> None:
    created = record_intake(clients, protection_status="asylum_seeker")
    client.cookies.set("lang", "en")

    case_page = html.unescape(client.get(f"/cases/{created['case_id']}").text)
    refused = client.post("/cities/firenze/intake",
                          data=an_intake_form(reception_centre_kind="siproimi"))
    api_refusal = client.post("/api/v1/cities/firenze/intakes", json={})

    assert "Applicant for international protection (first instance)" in case_page
    assert "Sub-Action 2 – Civic engagement paths" in case_page
    assert ("The person is an applicant for international protection (first instance or "
            "appeal), and Sub-Action 2 is reserved") in case_page
    assert "By: City coordinator, Florence" in case_page
    assert "The centre did not have that name on that date" in html.unescape(refused.text)
    assert api_refusal.json()["problems"][0]["message"] == "This field is required."


def test_api_errors_are_in_italian_unless_english_is_asked_for(client: TestClient) -> None:
    italian = client.get("/api/v1/cities/atlantide/cases")
    english = client.get("/api/v1/cities/atlantide/cases", params={"lang": "en"})

    assert italian.json()["message"].startswith("«atlantide» non è un Comune della rete.")
    assert english.json()["message"].startswith('"atlantide" is not a city of the network.')
