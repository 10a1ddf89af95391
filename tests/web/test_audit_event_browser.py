"""The auditors' event browser, page and API: the record's events as published, filtered, paged,
with their audit-chain hashes, and a case's full history."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.cases.rules import CaseOutcome
from domain.programme import Actor, ActorKind, City, Role
from infra.audit.chain_store import AuditChainStore, ChainLink
from infra.bootstrap import Platform
from tests.web.conftest import Clients, clock_of
from tests.web.conftest import record_intake as record_the_intake

_PEOPLE = itertools.count(1)


def record_intake(clients: Clients, city: str = "firenze", **overrides: Any) -> dict[str, Any]:
    """An intake of someone new each time: the same person again would add a possible
    match's events (docs/workflows/duplicates.md) to the ones these tests count."""
    number = next(_PEOPLE)
    return record_the_intake(clients, city, **{
        "given_name": f"Persona{'a' * number}", "document_number": f"PS{number:07d}",
        **overrides})

INTAKE = "it.lgnet.case.intake_recorded.v2"
CLOSED = "it.lgnet.case.closed.v2"


def events(clients: Clients, **params: Any) -> dict[str, Any]:
    response = clients.auditor().get("/api/v1/audit/events", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def close_case(platform: Platform, case_id: str, city: str) -> None:
    coordinator = Actor(ActorKind.USER, f"{city}.coordinator", Role.CITY_COORDINATOR, City(city))
    platform.cases.close(UUID(case_id), CaseOutcome.AUTONOMY, date(2021, 3, 20),
                         "Autonomous housing found", coordinator, platform.now())


def test_filters_by_city_type_actor_and_case(clients: Clients, platform: Platform
                                             ) -> None:
    milan = record_intake(clients, "milano")
    florence = record_intake(clients, "firenze")
    close_case(platform, milan["case_id"], "milano")

    everything = events(clients)
    in_milan = events(clients, city="milano")
    closures = events(clients, type=CLOSED)
    by_florence = events(clients, actor="firenze.coordinator")
    by_coordinators = events(clients, actor="city_coordinator")
    milan_case = events(clients, case=milan["case_code"].lower(), order="oldest")

    assert everything["total"] == 3
    # Newest first by default.
    assert [e["type"] for e in everything["items"]] == [CLOSED, INTAKE, INTAKE]
    assert {e["subject"] for e in in_milan["items"]} == {milan["case_code"]}
    assert in_milan["total"] == 2
    assert [e["subject"] for e in closures["items"]] == [milan["case_code"]]
    assert [e["subject"] for e in by_florence["items"]] == [florence["case_code"]]
    assert by_coordinators["total"] == 3
    assert [e["type"] for e in milan_case["items"]] == [INTAKE, CLOSED]
    assert all(e["case_code"] == milan["case_code"] for e in milan_case["items"])


def test_each_event_shows_its_cloudevent_attributes_data_and_actor(
    clients: Clients, platform: Platform
) -> None:
    created = record_intake(clients, "milano", vulnerabilities=["disability"])

    event = events(clients)["items"][0]

    assert event["type"] == INTAKE
    assert event["source"] == "/lgnet/cities/milano"
    assert event["subject"] == created["case_code"]
    assert event["id"] == f"{created['case_id']}.1"
    assert event["position"] == platform.last_written_position()
    assert event["actor"] == {"kind": "user", "id": "milano.coordinator",
                              "role": "city_coordinator", "city": "milano"}
    assert event["data"]["case_id"] == created["case_id"]
    assert event["data"]["vulnerabilities"] == ["disability"]
    assert "Tesfaye" not in str(event)  # no identifier is ever in an event


def test_the_date_range_is_in_rome_days_inclusive(clients: Clients, platform: Platform
                                                  ) -> None:
    first = record_intake(clients, "milano")
    clock_of(platform).advance(timedelta(days=2))
    # Sessions idle out: a new client signs in at the new time.
    clients._clients.clear()
    second = record_intake(clients, "milano")
    first_day = events(clients)["items"][1]["time"][:10]

    on_the_first_day = events(clients, **{"from": first_day, "to": first_day})
    from_the_next_day = events(
        clients, **{"from": (date.fromisoformat(first_day) + timedelta(days=1)).isoformat()})

    assert [e["subject"] for e in on_the_first_day["items"]] == [first["case_code"]]
    assert [e["subject"] for e in from_the_next_day["items"]] == [second["case_code"]]


def test_pages_of_events_newest_or_oldest_first(clients: Clients, platform: Platform
                                                ) -> None:
    codes = [record_intake(clients, "milano")["case_code"] for _ in range(5)]

    newest = events(clients, page_size=2)
    last = events(clients, page_size=2, page=3)
    oldest = events(clients, page_size=2, order="oldest")

    assert [e["subject"] for e in newest["items"]] == codes[:-3:-1]
    assert newest["has_next"] and newest["total"] == 5
    assert [e["subject"] for e in last["items"]] == [codes[0]] and not last["has_next"]
    assert [e["subject"] for e in oldest["items"]] == codes[:2]


def test_the_chain_hash_recorded_for_an_event_is_shown(
    clients: Clients, platform: Platform
) -> None:
    recorded = record_intake(clients, "milano")
    unchained = record_intake(clients, "milano")
    position = events(clients, case=recorded["case_code"])["items"][0]["position"]
    AuditChainStore(platform.record).record_links([ChainLink(1, position, "ab" * 32)])

    api = {e["subject"]: e for e in events(clients)["items"]}
    page = clients.auditor().get("/audit/events", params={"lang": "en"})

    assert api[recorded["case_code"]]["chain_hash"] == "ab" * 32
    assert api[recorded["case_code"]]["chain_seq"] == 1
    assert api[unchained["case_code"]]["chain_hash"] is None
    assert "ab" * 32 in page.text


def test_the_page_lists_events_and_follows_a_case(clients: Clients, platform: Platform
                                                  ) -> None:
    milan = record_intake(clients, "milano")
    other = record_intake(clients, "milano")
    close_case(platform, milan["case_id"], "milano")
    auditor = clients.auditor()

    page = auditor.get("/audit/events", params={"lang": "en"})
    followed = auditor.get("/audit/events", params={"case": milan["case_code"],
                                                    "order": "oldest"})

    assert page.status_code == 200
    assert page.text.count('class="card-wrapper card-space mb-3 audited-event"') == 3
    assert f'/audit/events?case={milan["case_code"]}&amp;order=oldest' in page.text
    assert "3 events match." in page.text
    assert followed.status_code == 200
    assert f"Full history of case {milan['case_code']}" in followed.text
    assert other["case_code"] not in followed.text
    assert followed.text.index(f"<code>{INTAKE}</code>") < followed.text.index(
        f"<code>{CLOSED}</code>")
    # The data, pretty-printed.
    assert f'&#34;case_code&#34;: &#34;{milan["case_code"]}&#34;' in followed.text


def test_filters_that_make_no_sense_get_a_clear_422(clients: Clients, platform: Platform
                                                    ) -> None:
    auditor = clients.auditor()

    unknown_type = auditor.get("/api/v1/audit/events", params={"type": "it.lgnet.nothing.v1"})
    unknown_city = auditor.get("/audit/events", params={"city": "atlantis"})
    dates_reversed = auditor.get("/api/v1/audit/events",
                                 params={"from": "2021-03-10", "to": "2021-03-01"})
    empty_filters = auditor.get("/audit/events", params={"city": "", "type": "", "from": ""})
    odd = [auditor.get("/api/v1/audit/events", params=params) for params in (
        {"page": "0"}, {"page_size": "201"}, {"case": "é" * 40}, {"to": "2021-02-30"},
        {"order": "random"},
    )]
    harmless = auditor.get("/api/v1/audit/events", params={"actor": "\u0000🙂", "page": "999"})

    assert unknown_type.status_code == 422
    assert unknown_type.json()["problems"][0]["field"] == "type"
    assert unknown_city.status_code == 422
    assert dates_reversed.status_code == 422
    assert empty_filters.status_code == 200
    assert [response.status_code for response in odd] == [422] * 5
    assert harmless.status_code == 200 and harmless.json()["items"] == []


def test_city_staff_may_not_browse_events(clients: Clients, platform: Platform) -> None:
    record_intake(clients, "milano")
    coordinator = clients.coordinator("milano")

    assert coordinator.get("/audit/events").status_code == 403
    assert coordinator.get("/api/v1/audit/events").status_code == 403
