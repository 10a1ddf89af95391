"""The JSON API under /api/v1: intakes, cases, the network overview; 404 for what does not
exist, 422 (translated, with the field) for what is refused, and nothing written then."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from events.partner import partner_json_schemas
from infra.bootstrap import Platform
from tests.web.conftest import Clients, an_intake_payload, ids_of, record_intake


def test_an_intake_is_created_with_its_location_and_can_be_read_there(
    client: TestClient, platform: Platform
) -> None:
    response = client.post("/api/v1/cities/firenze/intakes", json=an_intake_payload(
        protection_status="asylum_seeker", vulnerabilities=["pregnancy"]))

    assert response.status_code == 201
    created = response.json()
    assert created["case_code"] == "FI-2021-00001"
    assert created["position"] == platform.last_written_position()
    assert response.headers["location"] == f"/api/v1/cases/{created['case_id']}"

    case = client.get(response.headers["location"])
    assert case.status_code == 200
    body = case.json()
    assert body["case_code"] == "FI-2021-00001"
    assert body["protection_status"] == "asylum_seeker"
    assert body["vulnerabilities"] == ["pregnancy"]
    assert body["age_band"] == "18-34"  # Eurostat's classes since issue 12
    assert {(e["sub_action"], e["eligible"], e["reason"]) for e in body["eligibility"]} == {
        ("2", True, "asylum_seeker"), ("3", True, "vulnerable"), ("4", True, "outside_reception"),
    }
    [intake] = body["history"]
    assert intake["type"] == "it.lgnet.case.intake_recorded.v2"
    assert intake["actor"] == {"kind": "user", "id": "firenze.coordinator",
                               "role": "city_coordinator", "city": "firenze"}


def test_the_case_api_returns_no_personal_identifier(
    client: TestClient, clients: Clients
) -> None:
    created = record_intake(clients, email="amanuel@example.org")

    answer = client.get(f"/api/v1/cases/{created['case_id']}").text
    listing = client.get("/api/v1/cities/firenze/cases").text

    for identifier in ("Amanuel", "Tesfaye", "PS1234567", "1234567", "1994-05-02",
                       "example.org", "given_name", "birth_date"):
        assert identifier not in answer
        assert identifier not in listing


def test_a_city_s_cases_are_listed_with_filters_and_pages(
    client: TestClient, clients: Clients
) -> None:
    for day in range(1, 6):
        record_intake(clients, intake_date=f"2021-03-0{day}",
                      vulnerabilities=["elderly"] if day % 2 else [])
    record_intake(clients, "roma")

    everything = client.get("/api/v1/cities/firenze/cases").json()
    vulnerable = client.get("/api/v1/cities/firenze/cases",
                            params={"vulnerability": "elderly", "page_size": 2, "page": 2}).json()

    assert everything["total"] == 5
    assert [c["intake_date"] for c in everything["items"]] == [
        "2021-03-05", "2021-03-04", "2021-03-03", "2021-03-02", "2021-03-01"]
    assert (vulnerable["total"], vulnerable["page"], vulnerable["pages"]) == (3, 2, 2)
    assert [c["intake_date"] for c in vulnerable["items"]] == ["2021-03-01"]


def test_the_network_overview_has_every_city_and_the_totals(clients: Clients) -> None:
    record_intake(clients, "bari", protection_status="other_residence_permit",
                  vulnerabilities=["disability"])
    record_intake(clients, "bari")

    overview = clients.ministry().get("/api/v1/network/overview").json()

    assert len(overview["cities"]) == 19
    bari = next(c for c in overview["cities"] if c["city"] == "bari")
    assert (bari["cases"], bari["vulnerable_cases"]) == (2, 1)
    assert {status: n for status, n in bari["by_protection_status"].items() if n} == {
        "refugee": 1, "other_residence_permit": 1}
    assert len(bari["by_protection_status"]) == 16  # every status of the period, zeros too
    assert overview["totals"]["cases"] == 2
    assert overview["totals"]["by_protection_status"]["other_residence_permit"] == 1


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/cities/atlantide/intakes"),
        ("get", "/api/v1/cities/atlantide/cases"),
        ("get", "/api/v1/cities/Firenze/cases"),
    ],
)
def test_an_unknown_city_is_not_found(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, json=an_intake_payload())

    assert response.status_code == 404
    [problem] = response.json()["problems"]
    assert problem["code"] == "unknown_city"
    assert "non è un Comune della rete" in problem["message"]
    assert "firenze" in problem["message"]


@pytest.mark.parametrize("case_id", ["5a0c1f9e-2a7d-4d0b-9e44-6a1d1c3b2f10", "42"])
def test_an_unknown_case_is_not_found(client: TestClient, case_id: str) -> None:
    response = client.get(f"/api/v1/cases/{case_id}")

    assert response.status_code == 404
    assert response.json()["problems"][0]["code"] == "unknown_case"


OMITTED = object()

BAD_PAYLOADS: dict[str, tuple[dict[str, Any], str, str, str]] = {
    # name: (changes, field, code, start of the message)
    "a missing field": ({"given_name": OMITTED}, "given_name", "missing", "Campo obbligatorio."),
    "a name that is not text": ({"family_name": 7}, "family_name", "string_type",
                                "Inserire un testo."),
    "an unknown protection status": (
        {"protection_status": "tourist"}, "protection_status", "enum",
        "Scegliere una delle opzioni proposte."),
    "a malformed date": (
        {"intake_date": "10/03/2021"}, "intake_date", "day_format",
        "Inserire una data valida"),
    "a field the API does not know": (
        {"religion": "none"}, "religion", "extra_forbidden", "Questo campo non fa parte"),
    "a person in reception without the kind of centre": (
        {"reception_situation": "in_reception", "left_reception_on": None,
         "reception_centre_kind": None},
        "reception_centre_kind", "inconsistent_reception_history", "I dati dell'accoglienza"),
    "a centre named SIPROIMI after 21 October 2020 (d.l. 130/2020)": (
        {"reception_centre_kind": "siproimi"}, "reception_centre_kind",
        "reception_name_out_of_period", "In quella data il centro non aveva quel nome"),
    "an adult marked as an unaccompanied minor": (
        {"vulnerabilities": ["unaccompanied_minor"]}, "vulnerabilities", "invalid_intake",
        "In base alla data di nascita la persona è maggiorenne"),
    "a consent to case management, which rests on the public task": (
        {"consents": ["case_management"]}, "consents", "consent_not_the_basis",
        "Il consenso si chiede solo"),
    "no information notice": (
        {"information_notice_given_on": OMITTED}, "information_notice_given_on", "missing",
        "Campo obbligatorio"),
    "an unknown language of the notice": (
        {"information_notice_language": "xx"}, "information_notice_language",
        "language_code", "Scegliere la lingua"),
    "a lower-case citizenship": (
        {"citizenship": "er"}, "citizenship", "country_code", "Scegliere la cittadinanza"),
}


@pytest.mark.parametrize("changes, field, code, message", BAD_PAYLOADS.values(),
                         ids=BAD_PAYLOADS.keys())
def test_a_bad_intake_is_refused_with_the_field_and_a_translated_reason_and_writes_nothing(
    client: TestClient, clients: Clients, platform: Platform, changes: dict[str, Any],
    field: str, code: str, message: str,
) -> None:
    record_intake(clients)
    position_before = platform.last_written_position()
    payload = {k: v for k, v in an_intake_payload(**changes).items() if v is not OMITTED}

    response = client.post("/api/v1/cities/firenze/intakes", json=payload)

    assert response.status_code == 422
    problem = next(p for p in response.json()["problems"] if p["field"] == field)
    assert problem["code"] == code
    assert problem["message"].startswith(message)
    assert platform.last_written_position() == position_before
    assert all(platform.vault.read(refused) is None for refused in ids_of(platform).issued[1:])


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/cities/firenze/intakes", content=b"{not json",
                           headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert response.json()["problems"][0]["message"] == (
        "Il corpo della richiesta non è un JSON valido.")


def test_a_body_with_many_problems_lists_them_all(client: TestClient) -> None:
    response = client.post("/api/v1/cities/firenze/intakes", json={"sex": "x"})

    body = response.json()
    assert response.status_code == 422
    assert body["message"].startswith("La richiesta presenta")
    fields = {problem["field"] for problem in body["problems"]}
    assert {"given_name", "family_name", "birth_date", "sex", "citizenship",
            "has_identity_document", "information_notice_given_on"} <= fields


def test_bad_list_parameters_are_refused(client: TestClient) -> None:
    response = client.get("/api/v1/cities/firenze/cases",
                          params={"page": 0, "page_size": 1000, "status": "archived"})

    too_far = client.get("/api/v1/cities/firenze/cases", params={"page": 10**22})

    assert response.status_code == 422
    assert {p["field"] for p in response.json()["problems"]} == {"page", "page_size", "status"}
    assert too_far.status_code == 422


def test_a_method_the_api_does_not_offer_is_refused_in_words(client: TestClient) -> None:
    response = client.delete("/api/v1/network/overview")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["message"] == "Non è stato possibile gestire la richiesta (HTTP 405)."


def test_the_openapi_schema_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    assert set(schema["paths"]) >= {
        "/api/v1/cities/{city}/intakes", "/api/v1/cities/{city}/cases",
        "/api/v1/cases/{case_id}", "/api/v1/network/overview", "/api/v1/events/schemas",
        "/health",
    }
    assert not any(path.startswith(("/cities", "/ministry", "/docs")) for path in schema["paths"])
    intake = schema["paths"]["/api/v1/cities/{city}/intakes"]["post"]
    assert set(intake["responses"]) >= {"201", "401", "403", "404", "422"}
    assert intake["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody")
    request = schema["components"]["schemas"]["IntakeRequest"]
    assert request["examples"][0]["citizenship"] == "ER"
    city = next(p for p in intake["parameters"] if p["name"] == "city")
    assert city["schema"]["pattern"] == "^[a-z]+(?:-[a-z]+)*$"  # the cities are data
    assert set(schema["components"]["securitySchemes"]) == {"partnerToken", "session"}
    assert {"partnerToken": []} in intake["security"] and {"session": []} in intake["security"]
    assert "security" not in schema["paths"]["/api/v1/events/schemas"]["get"]


def test_the_published_contracts_and_health_answer_anyone(clients: Clients) -> None:
    anyone = clients.anonymous()

    schemas = anyone.get("/api/v1/events/schemas").json()

    assert {"it.lgnet.case.intake_recorded.v1", "it.lgnet.case.intake_recorded.v2"} <= set(
        schemas)
    assert anyone.get("/health").json() == {"status": "ok"}
    assert anyone.get("/openapi.json").json()["info"]["title"] == "LGNetEA"


def test_a_partner_finds_the_schema_of_a_message_by_its_ce_dataschema(clients: Clients) -> None:
    """Issue 19 (docs/partners.md): the partner schemas, public, each found by the $id equal to
    a message's ce-dataschema."""
    schemas = clients.anonymous().get("/api/v1/events/partner-schemas").json()

    assert schemas == partner_json_schemas()
    by_dataschema = {schema["$id"]: schema for schema in schemas.values()}
    intake = by_dataschema["urn:lgnet:schema:partner:it.lgnet.case.intake_recorded.v1"]
    assert "vulnerabilities" not in intake["properties"]
    assert intake["$schema"] == "https://json-schema.org/draft/2020-12/schema"
