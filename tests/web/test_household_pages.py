"""Households through the pages and the API: a household formed and joined, shown on each
member's case page with links to the others; a household offered beds of one shelter, all or
none, with a clear 4xx when the shelter has too few free beds (nothing reserved); figures by
household size from the links, a case in no household counted as a household of one and the
typed size kept as the declared value."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from domain.programme import PROGRAMME_TIMEZONE
from events.households import HOUSEHOLD_CONTRACTS
from events.partner import partner_kind_for
from infra.bootstrap import Platform
from tests.web.conftest import TODAY_IN_ITALY, Clients, clock_of, record_intake

TODAY = TODAY_IN_ITALY


def text_of(response: Any) -> str:
    return html.unescape(response.text)


def a_household(clients: Clients, *relationships: str, city: str = "firenze",
                **intake: Any) -> list[dict[str, Any]]:
    """A head and one member per relationship, each a new case of the city."""
    coordinator = clients.coordinator(city)
    head = record_intake(clients, city, **intake)
    formed = coordinator.post(f"/api/v1/cases/{head['case_id']}/household",
                              json={"formed_on": TODAY})
    assert formed.status_code == 201, formed.text
    members = [head]
    for relationship in relationships:
        member = record_intake(clients, city, **intake)
        joined = coordinator.post(f"/api/v1/cases/{member['case_id']}/household/join", json={
            "household_of": head["case_code"], "relationship": relationship,
            "joined_on": TODAY})
        assert joined.status_code == 200, joined.text
        members.append(member)
    return members


def waitlist(client: TestClient, *cases: dict[str, Any]) -> None:
    for case in cases:
        answer = client.post(f"/api/v1/cases/{case['case_id']}/housing/waitlist")
        assert answer.status_code == 200, answer.text


def a_shelter(client: TestClient, beds: int) -> str:
    response = client.post("/api/v1/cities/firenze/shelters", json={
        "name": "Casa Aurora", "kind": "apartment", "address_area": "Rifredi", "beds": beds})
    assert response.status_code == 201, response.text
    shelter_id: str = response.json()["shelter_id"]
    return shelter_id


def test_a_household_formed_and_joined_through_the_pages_shows_on_each_member_s_case_page(
    clients: Clients,
) -> None:
    operator = clients.operator("firenze")
    head = record_intake(clients, "firenze")
    child = record_intake(clients, "firenze", household_size=3)

    formed = operator.post(f"/cases/{head['case_id']}/household", data={"formed_on": TODAY},
                           follow_redirects=False)
    assert formed.status_code == 303
    assert formed.headers["location"] == (
        f"/cases/{head['case_id']}/household?done=form_household")
    joined = operator.post(f"/cases/{child['case_id']}/household/join", data={
        "household_of": head["case_code"].lower(), "relationship": "child",
        "joined_on": TODAY}, follow_redirects=False)
    assert joined.status_code == 303

    page = text_of(operator.get(f"/cases/{child['case_id']}"))
    section = page[page.index('id="household"'):page.index("Il nucleo familiare in dettaglio")]
    assert f'<a href="/cases/{head["case_id"]}">{head["case_code"]}</a> (Capofamiglia)' in section
    assert f'<a href="/cases/{child["case_id"]}">{child["case_code"]}</a> (Figlio o figlia)' in (
        section)
    assert "Entrato in un nucleo familiare" in page  # on the timeline, in words
    assert "Figlio o figlia, dal" in page
    household_page = text_of(operator.get(f"/cases/{child['case_id']}/household"))
    assert 'id="declared-size">3<' in household_page
    assert 'id="linked-size">2<' in household_page


def test_a_case_in_no_household_says_it_counts_as_a_household_of_one(clients: Clients) -> None:
    case = record_intake(clients, "firenze", household_size=4)

    page = text_of(clients.operator("firenze").get(f"/cases/{case['case_id']}"))

    assert ("Nessun nucleo familiare collegato: nei dati il caso conta come nucleo di una persona "
            "(dichiarato alla presa in carico: 4).") in page


def test_a_case_already_in_a_household_cannot_join_another_and_nothing_is_written(
    clients: Clients,
) -> None:
    first, member = a_household(clients, "sibling")
    (other,) = a_household(clients)
    coordinator = clients.coordinator("firenze")
    position = clients.platform.projected_position()

    refused = coordinator.post(f"/cases/{member['case_id']}/household/join", data={
        "household_of": other["case_code"], "relationship": "child", "joined_on": TODAY})

    assert refused.status_code == 422
    assert "una persona appartiene a un solo nucleo alla volta" in text_of(refused)
    assert clients.platform.projected_position() == position
    answer = coordinator.get(f"/api/v1/cases/{member['case_id']}/household").json()
    assert [m["case_code"] for m in answer["household"]["members"]] == [
        first["case_code"], member["case_code"]]


def test_joining_by_a_code_that_is_in_no_household_is_a_clear_422(clients: Clients) -> None:
    case, stranger = record_intake(clients, "firenze"), record_intake(clients, "firenze")

    refused = clients.coordinator("firenze").post(
        f"/api/v1/cases/{case['case_id']}/household/join",
        json={"household_of": stranger["case_code"], "relationship": "child",
              "joined_on": TODAY})

    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "household_of"


def test_a_household_is_offered_as_many_beds_as_members_in_one_shelter(
    clients: Clients,
) -> None:
    coordinator = clients.coordinator("firenze")
    members = a_household(clients, "spouse_partner", "child")
    waitlist(coordinator, *members)
    shelter_id = a_shelter(coordinator, beds=3)

    offered = coordinator.post(
        f"/api/v1/cases/{members[1]['case_id']}/household/offers/{shelter_id}")

    assert offered.status_code == 200, offered.text
    assert offered.json()["household"]["offers"][0]["bed_numbers"] == [1, 2, 3]
    for member in members:
        path = coordinator.get(f"/api/v1/cases/{member['case_id']}/housing").json()
        assert path["stage"] == "offered"
        assert path["shelter_id"] == shelter_id


def test_too_few_free_beds_for_the_household_is_a_clear_422_and_nothing_is_reserved(
    clients: Clients,
) -> None:
    coordinator = clients.coordinator("firenze")
    members = a_household(clients, "spouse_partner", "child")
    waitlist(coordinator, *members)
    shelter_id = a_shelter(coordinator, beds=2)
    position = clients.platform.projected_position()

    refused = coordinator.post(f"/cases/{members[0]['case_id']}/household/offers/{shelter_id}")

    assert refused.status_code == 422
    assert ("Il nucleo ha bisogno di 3 posti nella stessa struttura e questa ne ha 2 liberi: "
            "non è stato riservato nulla.") in text_of(refused)
    assert clients.platform.projected_position() == position
    shelter = coordinator.get(f"/api/v1/shelters/{shelter_id}").json()
    assert shelter["occupied"] == 0
    api = coordinator.post(f"/api/v1/cases/{members[0]['case_id']}/household/offers/{shelter_id}")
    assert api.status_code == 422
    assert api.json()["problems"][0]["code"] == "not_enough_free_beds"


def test_figures_by_household_size_come_from_the_links_not_from_the_typed_size(
    clients: Clients,
) -> None:
    a_household(clients, "spouse_partner", "child", city="bari", household_size=1)
    record_intake(clients, "bari", household_size=5)  # no household: a household of one

    figures = clients.ministry().get("/api/v1/cities/bari/household-sizes").json()

    people = {c["size"]: c["count"] for c in figures["people_by_household_size"]}
    households = {c["size"]: c["count"] for c in figures["households_by_size"]}
    assert people == {"1": 1, "2": 0, "3": 3, "4": 0, "5": 0, "6+": 0}
    assert households == {"1": 1, "2": 0, "3": 1, "4": 0, "5": 0, "6+": 0}
    assert (figures["in_a_household"], figures["without_household"]) == (3, 1)
    network = clients.ministry().get("/api/v1/household-sizes").json()
    assert network["city"] is None and network["in_a_household"] >= 3
    page = text_of(clients.ministry().get("/cities/bari/households"))
    assert "3 casi fanno parte di un nucleo familiare; 1 non fanno parte" in page
    network_page = clients.ministry().get("/households")
    assert network_page.status_code == 200 and 'id="household-sizes"' in network_page.text


def test_a_member_who_leaves_is_shown_as_a_former_member(clients: Clients) -> None:
    head, child = a_household(clients, "child")
    coordinator = clients.coordinator("firenze")

    left = coordinator.post(f"/api/v1/cases/{child['case_id']}/household/departure",
                            json={"reason": "formed_own_household", "left_on": TODAY})

    assert left.status_code == 200, left.text
    assert left.json()["household"] is None
    household = coordinator.get(f"/api/v1/cases/{head['case_id']}/household").json()["household"]
    assert [m["case_code"] for m in household["members"]] == [head["case_code"]]
    (former,) = household["former_members"]
    assert (former["case_code"], former["departure_reason"]) == (
        child["case_code"], "formed_own_household")


def test_the_household_as_of_a_past_moment_is_the_record_replayed_to_it(
    clients: Clients, platform: Platform,
) -> None:
    """Joins and departures are events: an auditor viewing the record as of a moment sees the
    household as it was then."""
    head, child = a_household(clients, "child")
    between = platform.clock() + timedelta(minutes=5)
    clock_of(platform).advance(timedelta(minutes=10))
    coordinator = clients.coordinator("firenze")
    left = coordinator.post(f"/api/v1/cases/{child['case_id']}/household/departure",
                            json={"reason": "moved_away", "left_on": TODAY})
    assert left.status_code == 200, left.text
    auditor = clients.auditor()

    now = auditor.get(f"/api/v1/cases/{head['case_id']}/household").json()["household"]
    chosen = auditor.get("/as-of", params={"moment": between.astimezone(
        PROGRAMME_TIMEZONE).strftime("%Y-%m-%dT%H:%M:%S"), "next": "/"}, follow_redirects=False)
    then = auditor.get(f"/api/v1/cases/{head['case_id']}/household").json()["household"]

    assert chosen.status_code == 303
    assert [m["case_code"] for m in now["members"]] == [head["case_code"]]
    assert [m["case_code"] for m in then["members"]] == [head["case_code"], child["case_code"]]
    assert then["former_members"] == []


def test_partners_see_no_household_and_get_no_household_event(clients: Clients) -> None:
    head, _child = a_household(clients, "child", city="milano")
    partner = clients.partner("milano")

    answer = partner.get(f"/api/v1/cases/{head['case_id']}/household")

    assert answer.status_code == 403
    assert head["case_code"] not in answer.text
    assert all(partner_kind_for(contract.ce_type()) is None
               for contract in HOUSEHOLD_CONTRACTS)


def test_a_household_formed_from_a_future_day_is_refused_next_to_its_field(
    clients: Clients,
) -> None:
    case = record_intake(clients, "firenze")

    refused = clients.operator("firenze").post(f"/cases/{case['case_id']}/household",
                                               data={"formed_on": "2021-12-31"})

    assert refused.status_code == 422
    assert ("Non si può registrare un nucleo convivente da una data futura."
            in text_of(refused))
    answer = clients.operator("firenze").get(f"/api/v1/cases/{case['case_id']}/household")
    assert answer.json()["household"] is None
