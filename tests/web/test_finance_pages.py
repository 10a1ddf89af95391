"""Budget and expenditure through the pages and the API: the ministry sets allocations, a city's
coordinator claims costs, the ministry approves or rejects them, and every figure adds up to the
cent. Every refusal says why and writes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from infra.bootstrap import Platform
from tests.web.conftest import Clients

NBSP = "\u00a0"


def allocate(clients: Clients, city: str, sub_action: str, amount: str,
             reason: str = "Decreto di riparto") -> Any:
    return clients.ministry().post("/api/v1/finance/allocations", json={
        "city": city, "sub_action": sub_action, "amount": amount, "reason": reason})


def a_claim(**overrides: Any) -> dict[str, Any]:
    claim: dict[str, Any] = {"sub_action": "3", "category": "staff", "amount": "100.00",
                             "spent_on": "2021-03-15", "document_reference": "PG/2021/0042"}
    claim.update(overrides)
    return claim


def claim(clients: Clients, city: str = "milano", **overrides: Any) -> str:
    response = clients.coordinator(city).post(f"/api/v1/cities/{city}/finance/claims",
                                              json=a_claim(**overrides))
    assert response.status_code == 201, response.text
    claim_id: str = response.json()["claim_id"]
    return claim_id


def line_of(figures: dict[str, Any], sub_action: str) -> dict[str, Any]:
    return next(line for line in figures["lines"] if line["sub_action"] == sub_action)


def test_a_hand_computed_budget_adds_up_for_the_city_and_the_network(
    clients: Clients,
) -> None:
    assert allocate(clients, "milano", "3", "1000.00").status_code == 200
    assert allocate(clients, "milano", "4", "500.00").status_code == 200
    assert allocate(clients, "firenze", "4", "346000.00").status_code == 200
    approved = claim(clients, amount="300.10")
    claim(clients, amount="200.20", category="travel")
    rejected = claim(clients, amount="99.99", category="goods")
    claim(clients, sub_action="4", amount="0.01", category="housing_costs")
    claim(clients, city="firenze", sub_action="4", amount="1234.56")
    ministry = clients.ministry()
    assert ministry.post(f"/api/v1/finance/claims/{approved}/approval").status_code == 200
    assert ministry.post(f"/api/v1/finance/claims/{rejected}/rejection",
                         json={"reason": "Fattura non intestata al Comune"}).status_code == 200

    milan = clients.coordinator("milano").get("/api/v1/cities/milano/finance").json()
    assert line_of(milan, "3") == {
        "sub_action": "3", "allocated": "1000.00", "claimed": "500.30", "approved": "300.10",
        "pending": "200.20", "rejected": "99.99", "remaining": "499.70",
    }
    assert line_of(milan, "4")["claimed"] == "0.01"
    assert line_of(milan, "4")["remaining"] == "499.99"
    assert milan["total"]["allocated"] == "1500.00"
    assert milan["total"]["remaining"] == "999.69"
    statuses = {c["amount"]: c["status"] for c in milan["claims"]}
    assert statuses == {"300.10": "approved", "200.20": "pending", "99.99": "rejected",
                        "0.01": "pending"}

    network = ministry.get("/api/v1/finance").json()
    assert network["total"]["allocated"] == "347500.00"
    assert network["total"]["claimed"] == "1734.87"
    assert network["total"]["approved"] == "300.10"
    by_city = {city["city"]: city["total"] for city in network["cities"]}
    assert len(by_city) == 19
    for figure in ("allocated", "claimed", "approved", "pending", "rejected", "remaining"):
        assert sum(Decimal(total[figure]) for total in by_city.values()) == Decimal(
            network["total"][figure]), figure
        assert sum(Decimal(line[figure]) for line in network["by_sub_action"]) == Decimal(
            network["total"][figure]), figure
    assert len(network["pending_claims"]) == 3


def test_the_pages_show_euros_as_italians_write_them(clients: Clients) -> None:
    allocate(clients, "firenze", "4", "346000.00")
    page = clients.coordinator("firenze").get("/cities/firenze/finance")

    assert page.status_code == 200
    assert f"€{NBSP}346.000,00" in page.text
    english = clients.coordinator("firenze").get("/cities/firenze/finance?lang=en")
    assert f"€{NBSP}346,000.00" in english.text
    assert f"€{NBSP}346.000,00" in clients.ministry().get("/ministry/finance").text


def test_a_claim_goes_from_the_city_s_form_to_the_ministry_s_approval(
    clients: Clients, platform: Platform
) -> None:
    ministry = clients.ministry()
    set_by_form = ministry.post("/ministry/finance/allocations", data={
        "city": "milano", "sub_action": "3", "amount": "10.000,00", "reason": "Riparto"},
        follow_redirects=False)
    assert set_by_form.status_code == 303, set_by_form.text
    coordinator = clients.coordinator("milano")
    recorded = coordinator.post("/cities/milano/finance/claims", data={
        "sub_action": "3", "category": "services", "amount": "1.234,50",
        "spent_on": "2021-05-04", "document_reference": "PG/2021/777"}, follow_redirects=False)
    assert recorded.status_code == 303, recorded.text
    assert recorded.headers["location"] == "/cities/milano/finance?done=record_claim"

    page = coordinator.get("/cities/milano/finance").text
    assert "PG/2021/777" in page
    assert f"€{NBSP}1.234,50" in page
    assert f"€{NBSP}8.765,50" in page  # what remains
    (pending,) = platform.finance_views.network().pending_claims()
    queue = ministry.get("/ministry/finance").text
    assert f'action="/ministry/finance/claims/{pending.claim_id}/approval"' in queue

    approved = ministry.post(f"/ministry/finance/claims/{pending.claim_id}/approval",
                             data={"confirm": "1"}, follow_redirects=False)
    assert approved.status_code == 303
    assert platform.finance_views.claim(pending.claim_id).status == "approved"  # type: ignore[union-attr]
    assert "Approvata" in coordinator.get("/cities/milano/finance").text


def test_claims_the_rules_refuse_are_refused_with_a_reason_and_nothing_written(
    clients: Clients, platform: Platform
) -> None:
    allocate(clients, "milano", "3", "1000.00")
    claim(clients, amount="900.00")
    coordinator = clients.coordinator("milano")
    refusals = {
        "outside_eligibility": a_claim(spent_on="2019-06-30"),
        "over_allocation": a_claim(amount="100.01"),
        "no_allocation": a_claim(sub_action="5"),
        "invalid_amount": a_claim(amount="10.005"),
    }
    before = platform.last_written_position()
    for code, body in refusals.items():
        response = coordinator.post("/api/v1/cities/milano/finance/claims", json=body)
        assert response.status_code == 422, (code, response.text)
        assert [p["code"] for p in response.json()["problems"]] == [code]
    too_late = coordinator.post("/api/v1/cities/milano/finance/claims",
                                json=a_claim(spent_on="2022-01-01"))
    assert too_late.json()["problems"][0]["code"] == "outside_eligibility"
    assert platform.last_written_position() == before

    page = coordinator.post("/cities/milano/finance/claims", data={
        **a_claim(amount="100,01"), "csrf_token": ""})
    assert page.status_code == 422
    assert "supererebbe" in page.text
    assert 'value="100,01"' in page.text
    assert platform.last_written_position() == before


def test_the_ministry_s_refusals_write_nothing(
    clients: Clients, platform: Platform
) -> None:
    allocate(clients, "milano", "3", "1000.00")
    claim_id = claim(clients, amount="600.00")
    ministry = clients.ministry()
    assert ministry.post(f"/api/v1/finance/claims/{claim_id}/approval").status_code == 200
    before = platform.last_written_position()

    again = ministry.post(f"/api/v1/finance/claims/{claim_id}/rejection",
                          json={"reason": "Ripensamento"})
    assert again.status_code == 422
    assert again.json()["problems"][0]["code"] == "claim_not_pending"
    below = allocate(clients, "milano", "3", "599.99")
    assert below.json()["problems"][0]["code"] == "allocation_below_claimed"
    over = allocate(clients, "roma", "1", "10291188.11")
    assert over.status_code == 422
    total_over = allocate(clients, "roma", "1", "10290188.11")
    assert total_over.json()["problems"][0]["code"] == "programme_over_financed"
    no_reason = ministry.post(f"/api/v1/finance/claims/{claim_id}/rejection", json={})
    assert no_reason.status_code == 422
    page = ministry.post(f"/ministry/finance/claims/{claim_id}/approval", data={"confirm": "1"})
    assert page.status_code == 422
    assert "già stata approvata o respinta" in page.text
    assert platform.last_written_position() == before


def test_a_claim_is_decided_only_by_the_ministry_and_hidden_from_other_cities(
    clients: Clients, platform: Platform
) -> None:
    allocate(clients, "milano", "3", "1000.00")
    claim_id = claim(clients)
    before = platform.last_written_position()

    florence: TestClient = clients.coordinator("firenze")
    assert florence.post(f"/api/v1/finance/claims/{claim_id}/approval").status_code == 404
    assert clients.coordinator("milano").post(
        f"/api/v1/finance/claims/{claim_id}/approval").status_code == 403
    assert clients.auditor().post(
        f"/api/v1/finance/claims/{claim_id}/approval").status_code == 403
    assert clients.ministry().post(
        "/api/v1/finance/claims/not-a-claim/approval").status_code == 404
    assert clients.operator("milano").post(
        "/api/v1/cities/milano/finance/claims", json=a_claim()).status_code == 403
    assert clients.coordinator("milano").post("/api/v1/finance/allocations", json={
        "city": "milano", "sub_action": "3", "amount": "5.00", "reason": "x"}).status_code == 403
    assert florence.get("/api/v1/cities/milano/finance").status_code == 403
    assert platform.last_written_position() == before
    assert clients.auditor().get("/ministry/finance").status_code == 200
    assert 'name="reason"' not in clients.auditor().get("/ministry/finance").text
