"""A city that was never a partner joins by a decision of the Ministry, with no code change
(issue 12, item 10: "a city added or withdrawn are events of the ministry, so the period and the
list of partners are data, not constants"): its staff sign in, take people in under its own
province code, see its pages; the Ministry's pages count it; a city never admitted is still no
page at all."""

from __future__ import annotations

import html
from datetime import date

from domain.programme import Actor, ActorKind, City, Role
from infra.bootstrap import Platform
from tests.web.conftest import Clients, an_intake_payload, record_intake

MINISTRY = Actor(ActorKind.USER, "ministero", Role.MINISTRY)
VERONA = City("verona")


def admit_verona(platform: Platform) -> None:
    platform.programme_terms.admit_city(
        VERONA, date(2021, 9, 1), date(2021, 8, 20), "DM 12/2021", MINISTRY, platform.now(),
        name="Verona", province_code="VR")


def test_a_city_admitted_by_the_ministry_takes_people_in_under_its_own_code(
    clients: Clients, platform: Platform,
) -> None:
    admit_verona(platform)

    before = clients.coordinator("verona").post(
        "/api/v1/cities/verona/intakes", json={"intake_date": "2021-08-31"})
    first = record_intake(clients, "verona", intake_date="2021-09-01")
    second = record_intake(clients, "verona", intake_date="2021-09-02")

    assert before.status_code == 422  # a bad body: nothing recorded, the numbering untouched
    assert (first["case_code"], second["case_code"]) == ("VR-2021-00001", "VR-2021-00002")
    cases = clients.coordinator("verona").get("/api/v1/cities/verona/cases").json()
    assert {row["case_code"] for row in cases["items"]} == {"VR-2021-00001", "VR-2021-00002"}
    page = html.unescape(clients.coordinator("verona").get("/cities/verona/cases").text)
    assert "VR-2021-00001" in page


def test_an_intake_before_the_new_city_joined_is_refused_in_words(
    clients: Clients, platform: Platform,
) -> None:
    admit_verona(platform)
    coordinator = clients.coordinator("verona")

    refused = coordinator.post("/api/v1/cities/verona/intakes",
                               json=an_intake_payload(intake_date="2021-08-31"))

    assert refused.status_code == 422
    (problem,) = refused.json()["problems"]
    assert (problem["code"], problem["field"]) == ("not_a_partner_city", "city")
    assert "Verona" in problem["message"]


def test_the_ministry_sees_the_new_city_beside_the_cards_nineteen(
    clients: Clients, platform: Platform,
) -> None:
    ministry = clients.ministry()
    assert ministry.get("/cities/verona").status_code == 404
    admit_verona(platform)
    record_intake(clients, "verona", intake_date="2021-09-01")

    terms_page = html.unescape(ministry.get("/programme").text)
    overview = ministry.get("/api/v1/network/overview").json()

    assert terms_page.count('data-city="') == 20
    assert 'data-city="verona"' in terms_page
    assert ministry.get("/cities/verona").status_code == 200
    verona = [city for city in overview["cities"] if city["city"] == "verona"]
    assert [city["cases"] for city in verona] == [1]


def test_a_city_never_admitted_is_no_page_and_no_partner(clients: Clients) -> None:
    ministry = clients.ministry()
    unknown = ministry.get("/cities/atlantide")
    not_a_slug = ministry.get("/cities/Roma!")
    assert (unknown.status_code, not_a_slug.status_code) == (404, 404)
    assert "atlantide" in html.unescape(unknown.text) and "trieste" in unknown.text
    transfer = clients.coordinator("firenze").post(
        f"/api/v1/cases/{record_intake(clients)['case_id']}/referrals",
        json={"destination_kind": "transfer", "to_city": "atlantide", "note": "x"})
    assert transfer.status_code == 422
    (problem,) = transfer.json()["problems"]
    assert (problem["code"], problem["field"]) == ("not_a_partner_city", "to_city")


def test_no_allocation_for_a_city_never_admitted_and_one_once_it_is(
    clients: Clients, platform: Platform,
) -> None:
    ministry = clients.ministry()
    allocation = {"city": "verona", "sub_action": "2", "amount": "1000.00",
                  "reason": "Decreto di riparto"}
    position = platform.record.recorder.max_notification_id()

    refused = ministry.post("/api/v1/finance/allocations", json=allocation)

    assert refused.status_code == 422
    (problem,) = refused.json()["problems"]
    assert (problem["code"], problem["field"]) == ("not_a_partner_city", "city")
    assert platform.record.recorder.max_notification_id() == position  # nothing written
    admit_verona(platform)
    assert ministry.post("/api/v1/finance/allocations", json=allocation).status_code == 200
