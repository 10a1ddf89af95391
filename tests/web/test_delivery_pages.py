"""Services delivered through the pages and the API: recorded on the case page (or by the API)
under a sub-action the person is eligible for on the day, listed on the case, counted in the
city's register per sub-action and kind (quantities, people, cash in euros), voided out of the
totals; every refusal a 4xx with a coordinator's message, and nothing written."""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.programme import PROGRAMME_TIMEZONE
from infra.bootstrap import Platform
from tests.web.conftest import Clients, clock_of, record_intake


def a_delivery(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"sub_action": "3", "kind": "meals", "quantity": "14",
                            "delivered_on": "2021-03-15"}
    body.update(overrides)
    return body


def deliver(client: TestClient, case_id: str, **overrides: Any) -> Any:
    return client.post(f"/api/v1/cases/{case_id}/deliveries", json=a_delivery(**overrides))


def register(client: TestClient, city: str = "firenze") -> dict[str, Any]:
    response = client.get(f"/api/v1/cities/{city}/deliveries")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def case_id(clients: Clients) -> str:
    """A Florence refugee who left a CAS: eligible for Sub-Actions 3 and 4, not 2."""
    return str(record_intake(clients, "firenze")["case_id"])


def test_a_delivery_is_listed_on_the_case_and_counted_per_sub_action_and_kind(
    clients: Clients, case_id: str
) -> None:
    operator = clients.operator("firenze")
    assert deliver(operator, case_id).status_code == 201
    assert deliver(operator, case_id, quantity="7", delivered_on="2021-03-16").status_code == 201
    cash = deliver(operator, case_id, kind="cash_support", quantity="150.5", sub_action="4")
    assert cash.status_code == 201, cash.text

    listed = operator.get(f"/api/v1/cases/{case_id}/deliveries").json()
    assert [(d["kind"], d["unit"], d["quantity"], d["sub_action"]) for d in listed] == [
        ("meals", "meals", "7", "3"), ("cash_support", "eur", "150.50", "4"),
        ("meals", "meals", "14", "3")]
    figures = register(operator)
    assert [(t["sub_action"], t["kind"], t["deliveries"], t["people"], t["quantity"])
            for t in figures["totals"]] == [("3", "meals", 2, 1, "21"),
                                             ("4", "cash_support", 1, 1, "150.50")]
    assert (figures["people"], figures["cash"]) == (1, "150.50")


def test_cash_support_is_taken_at_its_limit_and_refused_one_cent_past_it(
    clients: Clients, case_id: str
) -> None:
    operator = clients.operator("firenze")
    assert deliver(operator, case_id, kind="cash_support", quantity="1000.00").status_code == 201
    refused = deliver(operator, case_id, kind="cash_support", quantity="1000.01")
    assert refused.status_code == 422
    (problem,) = refused.json()["problems"]
    assert problem["field"] == "quantity"
    assert "1.000,00" in problem["message"]  # in Italian, the limit as Italians write it
    assert register(operator)["cash"] == "1000.00"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"sub_action": "2"}, "sub_action"),  # a refugee: Sub-Action 2 is for asylum seekers only
    ({"sub_action": "5"}, "sub_action"),
    ({"delivered_on": "2021-10-05"}, "delivered_on"),  # tomorrow
    ({"delivered_on": "2021-03-09"}, "delivered_on"),  # the day before the intake
    ({"quantity": "1.5"}, "quantity"),  # half a meal
    ({"quantity": "0"}, "quantity"),
])
def test_a_refused_delivery_says_why_and_writes_nothing(
    clients: Clients, platform: Platform, case_id: str, overrides: dict[str, str], field: str
) -> None:
    operator = clients.operator("firenze")
    before = platform.last_written_position()
    refused = deliver(operator, case_id, **overrides)
    assert refused.status_code == 422, refused.text
    assert refused.json()["problems"][0]["field"] == field
    assert platform.last_written_position() == before
    assert operator.get(f"/api/v1/cases/{case_id}/deliveries").json() == []


def test_the_case_page_records_a_delivery_and_shows_it(clients: Clients, case_id: str) -> None:
    operator = clients.operator("firenze")
    page = operator.get(f"/cases/{case_id}")
    assert 'id="delivery-form"' in page.text
    recorded = operator.post(f"/cases/{case_id}/deliveries", data=a_delivery(
        kind="language_course", quantity="2,5", sub_action="3"),
        follow_redirects=False)
    assert recorded.status_code == 303
    assert recorded.headers["location"] == f"/cases/{case_id}?done=record_delivery#deliveries"
    shown = html.unescape(operator.get(f"/cases/{case_id}").text)
    assert "Corso di lingua italiana" in shown
    assert "2,5 ore" in shown


def test_a_refused_form_comes_back_with_the_message_and_what_was_typed(
    clients: Clients, case_id: str
) -> None:
    operator = clients.operator("firenze")
    refused = operator.post(f"/cases/{case_id}/deliveries", data=a_delivery(
        sub_action="2", quantity="3"))
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "non è idonea" in text
    assert 'value="3"' in text
    assert operator.get(f"/api/v1/cases/{case_id}/deliveries").json() == []


def test_a_voided_delivery_leaves_the_totals_and_stays_listed(
    clients: Clients, case_id: str
) -> None:
    operator = clients.operator("firenze")
    delivery_id = deliver(operator, case_id).json()["delivery_id"]
    voided = operator.post(f"/deliveries/{delivery_id}/void", data={"reason": "duplicate"},
                           follow_redirects=False)
    assert voided.status_code == 303
    assert register(operator)["totals"] == []
    (listed,) = operator.get(f"/api/v1/cases/{case_id}/deliveries").json()
    assert listed["voided_reason"] == "duplicate"
    again = operator.post(f"/api/v1/deliveries/{delivery_id}/void", json={"reason": "duplicate"})
    assert again.status_code == 422


def test_another_city_knows_nothing_of_the_case_s_deliveries(
    clients: Clients, case_id: str
) -> None:
    delivery_id = deliver(clients.operator("firenze"), case_id).json()["delivery_id"]
    milano = clients.coordinator("milano")
    assert deliver(milano, case_id).status_code == 404
    assert milano.get(f"/api/v1/cases/{case_id}/deliveries").status_code == 404
    assert milano.post(f"/api/v1/deliveries/{delivery_id}/void",
                       json={"reason": "duplicate"}).status_code == 404
    assert register(milano, "milano")["totals"] == []


def test_the_register_page_shows_the_totals_in_the_reader_s_language(
    clients: Clients, case_id: str
) -> None:
    operator = clients.operator("firenze")
    recorded = operator.post(f"/cases/{case_id}/deliveries", data=a_delivery(
        kind="cash_support", quantity="€ 999,90"), follow_redirects=False)
    assert recorded.status_code == 303
    page = html.unescape(operator.get("/cities/firenze/deliveries").text)
    assert "Sostegno economico" in page
    assert "€\u00a0999,90" in page
    assert Decimal("999.90") == Decimal(register(operator)["cash"])


def test_the_indicators_count_deliveries_per_city_sub_action_and_kind_as_of_any_moment(
    clients: Clients, platform: Platform
) -> None:
    florence = str(record_intake(clients, "firenze")["case_id"])
    milan = str(record_intake(clients, "milano")["case_id"])
    other_milan = str(record_intake(clients, "milano")["case_id"])
    milano = clients.operator("milano")
    assert deliver(clients.operator("firenze"), florence, quantity="5").status_code == 201
    assert deliver(milano, milan, quantity="10").status_code == 201
    assert deliver(milano, other_milan, quantity="4").status_code == 201
    before_cash = platform.clock() + timedelta(minutes=5)
    clock_of(platform).advance(timedelta(minutes=10))
    assert deliver(milano, milan, kind="cash_support", quantity="200.00",
                   sub_action="4").status_code == 201
    voided = deliver(milano, milan, kind="cash_support", quantity="50.00", sub_action="4")
    assert milano.post(f"/api/v1/deliveries/{voided.json()['delivery_id']}/void",
                       json={"reason": "entered_in_error"}).status_code == 200

    city = milano.get("/api/v1/cities/milano/indicators").json()["deliveries"]
    assert [(line["sub_action"], line["kind"], line["deliveries"], line["people"],
             line["quantity"]) for line in city["lines"]] == [
        ("3", "meals", 2, 2, "14"), ("4", "cash_support", 1, 1, "200.00")]
    assert (city["deliveries"], city["people"], city["cash"]) == (3, 2, "200.00")
    network = clients.ministry().get("/api/v1/network/indicators").json()["network"]["deliveries"]
    assert network["lines"][0]["quantity"] == "19" and network["people"] == 3

    page = clients.coordinator("milano").get("/cities/milano/dashboard")
    assert 'id="part-deliveries"' in page.text
    assert "/cities/milano/deliveries?sub_action=3&amp;kind=meals" in page.text

    auditor = clients.auditor()
    chosen = auditor.get("/as-of", params={"moment": before_cash.astimezone(
        PROGRAMME_TIMEZONE).strftime("%Y-%m-%dT%H:%M:%S"), "next": "/"}, follow_redirects=False)
    assert chosen.status_code == 303
    then = auditor.get("/api/v1/cities/milano/indicators").json()["deliveries"]
    assert (then["deliveries"], then["cash"]) == (2, "0.00")


def test_the_case_s_history_tells_what_was_delivered_and_what_was_voided(
    clients: Clients, case_id: str
) -> None:
    operator = clients.operator("firenze")
    delivery_id = deliver(operator, case_id, kind="transport_tickets", quantity="4").json()[
        "delivery_id"]
    operator.post(f"/api/v1/deliveries/{delivery_id}/void", json={"reason": "not_provided"})
    history = html.unescape(operator.get(f"/cases/{case_id}").text)
    history = history[history.index('id="history-title"'):]
    assert "Servizio erogato" in history
    assert "Titoli di viaggio: 4 titoli di viaggio il 15 mar 2021, Sub-Azione 3." in history
    assert "Servizio erogato annullato" in history and "Non erogata" in history
