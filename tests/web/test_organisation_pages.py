"""Issue 12, item 5 on the web: a city's partner organisations (the page and /api/v1), consent
to share with a partner naming the organisation, and a referral naming a registered
organisation of its city. Bad input (an unknown organisation, another city's, a retired one, a
blank or too long name, a name taken) is refused 4xx with a message a coordinator reads, and
nothing is written."""

from __future__ import annotations

import html
from typing import Any

from infra.bootstrap import Platform
from tests.web.conftest import Clients, record_intake

UNKNOWN = "5a0c1f9e-2a7d-4d0b-9e44-6a1d1c3b2f10"
PARTNER = "referral_to_named_partner"


def register(clients: Clients, name: str, city: str = "milano", kind: str = "ngo") -> Any:
    return clients.coordinator(city).post(f"/api/v1/cities/{city}/organisations",
                                          json={"name": name, "kind": kind},
                                          params={"lang": "en"})


def registered(clients: Clients, name: str, city: str = "milano") -> str:
    answer = register(clients, name, city)
    assert answer.status_code == 201, answer.text
    organisation_id: str = answer.json()["organisation"]["organisation_id"]
    return organisation_id


def problem_of(answer: Any) -> tuple[str, str | None]:
    (problem,) = answer.json()["problems"]
    return problem["code"], problem["field"]


def test_a_coordinator_registers_lists_and_retires_the_city_s_organisations(
    clients: Clients, platform: Platform
) -> None:
    answer = register(clients, "  Caritas   Ambrosiana ", kind="association")
    assert answer.status_code == 201, answer.text
    organisation = answer.json()["organisation"]
    assert (organisation["city"], organisation["name"], organisation["kind"],
            organisation["retired_on"]) == ("milano", "Caritas Ambrosiana", "association", None)
    listed = clients.operator("milano").get("/api/v1/cities/milano/organisations").json()
    assert [o["name"] for o in listed] == ["Caritas Ambrosiana"]
    assert clients.ministry().get("/api/v1/cities/milano/organisations").json() == listed
    assert clients.coordinator("roma").get("/api/v1/cities/roma/organisations").json() == []

    retired = clients.coordinator("milano").post(
        f"/api/v1/organisations/{organisation['organisation_id']}/retirement")
    assert retired.status_code == 200, retired.text
    assert retired.json()["organisation"]["retired_on"] is not None
    before = platform.last_written_position()
    again = clients.coordinator("milano").post(
        f"/api/v1/organisations/{organisation['organisation_id']}/retirement",
        params={"lang": "en"})
    assert again.status_code == 422
    assert problem_of(again) == ("organisation_retired", "organisation_id")
    assert "Caritas Ambrosiana has been retired" in again.json()["message"]
    assert clients.coordinator("milano").post(
        f"/api/v1/organisations/{UNKNOWN}/retirement").status_code == 404
    assert platform.last_written_position() == before


def test_a_bad_registration_is_refused_in_words_and_writes_nothing(
    clients: Clients, platform: Platform
) -> None:
    """A name of 1 to 120 characters (at the limit, and one past it), registered once per city
    whatever its case; a kind from the list; by the city's own coordinators only."""
    assert register(clients, "x" * 120).status_code == 201
    registered(clients, "Caritas Ambrosiana")
    before = platform.last_written_position()
    for name, kind, code in (("", "ngo", "string_too_short"), ("x" * 121, "ngo", "string_too_long"),
                             ("Emergency", "charity", "enum"),
                             ("CARITAS  ambrosiana", "ngo", "organisation_already_registered")):
        answer = register(clients, name, kind=kind)
        assert answer.status_code == 422, (name, answer.text)
        assert problem_of(answer)[0] == code
        assert answer.json()["message"]
    taken = register(clients, "caritas ambrosiana")
    assert "Caritas Ambrosiana is registered already" in taken.json()["message"]
    for client in (clients.operator("milano"), clients.coordinator("roma"), clients.ministry()):
        answer = client.post("/api/v1/cities/milano/organisations",
                             json={"name": "Emergency", "kind": "ngo"})
        assert answer.status_code == 403
    assert platform.last_written_position() == before
    registered(clients, "Caritas Ambrosiana", city="roma")  # another city's own


def test_consent_and_referral_naming_an_unknown_another_city_s_or_a_retired_organisation_are_refused(  # noqa: E501
    clients: Clients, platform: Platform
) -> None:
    """GDPR art. 6(1)(a): a case is shared with an organisation its city registered, with the
    person's consent to that one; anything else is refused before anything is written."""
    case_id = record_intake(clients, "milano")["case_id"]
    roman = registered(clients, "Sportello di Roma", city="roma")
    retired = registered(clients, "Sportello chiuso")
    assert clients.coordinator("milano").post(
        f"/api/v1/organisations/{retired}/retirement").status_code == 200
    operator = clients.operator("milano")
    coordinator = clients.coordinator("milano")
    refusals = [(UNKNOWN, "unknown_organisation", None),
                (roman, "organisation_of_another_city", "Sportello di Roma"),
                (retired, "organisation_retired", "Sportello chiuso")]
    before = platform.last_written_position()
    for organisation, code, name in refusals:
        consent = operator.post(f"/api/v1/cases/{case_id}/consents", params={"lang": "en"},
                                json={"purpose": PARTNER, "given_on": "2021-03-11",
                                      "organisation_ids": [organisation]})
        assert consent.status_code == 422, consent.text
        assert problem_of(consent)[0] == code
        referral = coordinator.post(f"/api/v1/cases/{case_id}/referrals", params={"lang": "en"},
                                    json={"destination_kind": "partner",
                                          "organisation_id": organisation,
                                          "other_legal_basis": "vital_interests"})
        assert referral.status_code == 422, referral.text
        assert problem_of(referral) == (code, "organisation_id")
        if name:
            assert name in consent.json()["message"] and name in referral.json()["message"]
    no_organisation = operator.post(f"/api/v1/cases/{case_id}/consents",
                                    json={"purpose": PARTNER, "given_on": "2021-03-11"})
    assert problem_of(no_organisation) == ("invalid_consent_change", "organisation_ids")
    assert platform.last_written_position() == before


def test_a_consent_is_withdrawn_per_organisation_through_the_api(
    clients: Clients, platform: Platform
) -> None:
    """GDPR art. 7(3): withdrawn from one organisation, the other keeps its consent."""
    case_id = record_intake(clients, "milano")["case_id"]
    caritas, emergency = registered(clients, "Caritas"), registered(clients, "Emergency")
    operator = clients.operator("milano")
    given = operator.post(f"/api/v1/cases/{case_id}/consents", json={
        "purpose": PARTNER, "given_on": "2021-03-11", "organisation_ids": [caritas, emergency]})
    assert given.status_code == 200, given.text
    withdrawn = operator.post(f"/api/v1/cases/{case_id}/consent-withdrawals", json={
        "purpose": PARTNER, "withdrawn_on": "2021-03-12", "organisation_ids": [caritas]})
    assert withdrawn.status_code == 200, withdrawn.text
    refused = operator.post(f"/api/v1/cases/{case_id}/referrals", json={
        "destination_kind": "partner", "organisation_id": caritas})
    assert problem_of(refused) == ("consent_to_organisation_required", "legal_basis")
    accepted = operator.post(f"/api/v1/cases/{case_id}/referrals", json={
        "destination_kind": "partner", "organisation_id": emergency})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["referral"]["legal_basis"] == "consent"
    before = platform.last_written_position()
    twice = operator.post(f"/api/v1/cases/{case_id}/consent-withdrawals", json={
        "purpose": PARTNER, "withdrawn_on": "2021-03-12", "organisation_ids": [caritas]})
    assert problem_of(twice) == ("invalid_consent_change", "organisation_ids")
    assert platform.last_written_position() == before


def test_the_page_lists_the_organisations_and_registers_one_by_its_form(
    clients: Clients, platform: Platform
) -> None:
    coordinator = clients.coordinator("milano")
    page = coordinator.get("/cities/milano/organisations")
    assert page.status_code == 200
    assert 'id="register-organisation"' in page.text
    assert "Nessuna organizzazione partner registrata." in html.unescape(page.text)
    posted = coordinator.post("/cities/milano/organisations", follow_redirects=False,
                              data={"name": "Caritas Ambrosiana", "kind": "ngo"})
    assert posted.status_code == 303
    page = html.unescape(coordinator.get("/cities/milano/organisations").text)
    assert "Caritas Ambrosiana" in page and "Organizzazione non governativa" in page
    before = platform.last_written_position()
    blank = coordinator.post("/cities/milano/organisations", data={"name": " ", "kind": "ngo"})
    assert blank.status_code == 422
    taken = coordinator.post("/cities/milano/organisations",
                             data={"name": "caritas ambrosiana", "kind": "ngo"})
    assert taken.status_code == 422
    assert "Caritas Ambrosiana è già registrata" in html.unescape(taken.text)
    assert platform.last_written_position() == before
    # The city's operators read the list; they neither register nor retire.
    operator_page = clients.operator("milano").get("/cities/milano/organisations")
    assert "Caritas Ambrosiana" in operator_page.text
    assert 'id="register-organisation"' not in operator_page.text
    assert "/retirement" not in operator_page.text
