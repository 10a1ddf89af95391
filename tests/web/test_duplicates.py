"""The duplicate check at intake, on the page and in the API, and a coordinator's decision on a
possible same person (issue 16 item 7; docs/workflows/duplicates.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from infra.bootstrap import Platform
from tests.web.conftest import Clients, an_intake_form, an_intake_payload, record_intake
from tests.web.test_exports import csv_export

NOT_CONFIRMED = {"new_case_despite_possible_match": "false"}


def milan_cases(platform: Platform) -> int:
    return platform.case_list.list_cases("milano").total


def test_the_intake_page_says_which_case_the_person_may_be_and_records_nothing(
    clients: Clients, platform: Platform
) -> None:
    record_intake(clients, "firenze")
    written = platform.record.recorder.max_notification_id()
    # The same person, typed otherwise, in another city.
    form = an_intake_form(given_name="AMANUEL", family_name="tesfàye", document_number="",
                          has_identity_document="false", **NOT_CONFIRMED)

    page = clients.operator("milano").post("/cities/milano/intake", data=form)

    assert page.status_code == 409
    assert 'id="possible-matches"' in page.text
    assert "FI-2021-00001 (Firenze)" in page.text
    assert 'name="new_case_despite_possible_match"' in page.text
    assert platform.record.recorder.max_notification_id() == written
    assert milan_cases(platform) == 0

    went_on = clients.operator("milano").post(
        "/cities/milano/intake", data={**form, "new_case_despite_possible_match": "true"},
        follow_redirects=False)
    assert went_on.status_code == 303
    assert milan_cases(platform) == 1


def test_the_api_answers_409_with_the_codes_unless_told_to_go_on(
    clients: Clients, platform: Platform
) -> None:
    first = record_intake(clients, "firenze", tax_code="TSFMNL94E02Z315X")
    written = platform.record.recorder.max_notification_id()
    milan = clients.coordinator("milano")
    payload = an_intake_payload(given_name="Someone", document_number=None,
                                has_identity_document=False, tax_code="tsfmnl94e02z315x",
                                new_case_despite_possible_match=False)

    refused = milan.post("/api/v1/cities/milano/intakes", json=payload)

    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["possible_matches"] == [
        {"case_code": first["case_code"], "city": "firenze", "matched_on": ["tax_code"]}]
    assert body["problems"][0]["field"] == "new_case_despite_possible_match"
    assert set(body) == {"message", "problems", "possible_matches"}  # nothing else of Firenze's
    assert platform.record.recorder.max_notification_id() == written

    created = milan.post("/api/v1/cities/milano/intakes",
                         json={**payload, "new_case_despite_possible_match": True})
    assert created.status_code == 201, created.text
    [match] = milan.get(f"/api/v1/cases/{created.json()['case_id']}/person-matches").json()
    assert (match["case_code"], match["other_case_code"], match["other_city"],
            match["matched_on"], match["status"], match["person_id"], match["may_decide"]) == (
        "MI-2021-00001", first["case_code"], "firenze", ["tax_code"], "possible", None, True)


def _a_noted_match(clients: Clients) -> tuple[dict[str, Any], dict[str, Any], str]:
    first = record_intake(clients, "firenze")
    second = record_intake(clients, "milano")  # the same person: goes on, noted
    [match] = clients.coordinator("milano").get(
        f"/api/v1/cases/{second['case_id']}/person-matches").json()
    return first, second, match["match_id"]


def test_a_coordinator_of_the_new_case_s_city_confirms_and_people_are_counted_once(
    clients: Clients, platform: Platform
) -> None:
    first, second, match_id = _a_noted_match(clients)
    record_intake(clients, "firenze", given_name="Sara", document_number="PS7654321")
    assert platform.person_links.people().people == 3

    # Who may not decide: Milan's operator and Florence's coordinator see it (403); Rome, 404.
    assert clients.operator("milano").post(
        f"/api/v1/person-matches/{match_id}/confirmation").status_code == 403
    assert clients.coordinator("firenze").post(
        f"/api/v1/person-matches/{match_id}/confirmation").status_code == 403
    assert clients.coordinator("roma").post(
        f"/api/v1/person-matches/{match_id}/confirmation").status_code == 404
    assert platform.person_links.match(UUID(match_id)).status == "possible"  # type: ignore[union-attr]

    confirmed = clients.coordinator("milano").post(
        f"/api/v1/person-matches/{match_id}/confirmation")

    assert confirmed.status_code == 200, confirmed.text
    person_id = confirmed.json()["person_id"]
    assert confirmed.json()["status"] == "confirmed" and UUID(person_id).version == 4
    assert platform.person_links.person_of(UUID(first["case_id"])) == UUID(person_id)
    assert platform.person_links.person_of(UUID(second["case_id"])) == UUID(person_id)
    people = platform.person_links.people()
    assert (people.cases, people.people) == (3, 2)
    assert (people.people_by_city["firenze"], people.people_by_city["milano"]) == (2, 1)
    overview = clients.ministry().get("/api/v1/network/overview").json()
    assert (overview["totals"]["cases"], overview["totals"]["people"]) == (3, 2)
    assert 'id="total-people"' in clients.ministry().get("/ministry").text
    _, table = csv_export(clients.ministry(), "/ministry/export.csv")
    assert table[0][:3] == ["City", "Cases", "People"]
    assert [row[:3] for row in table if row[0] in ("Florence", "Milan", "Network total")] == [
        ["Florence", "2", "2"], ["Milan", "1", "1"], ["Network total", "3", "2"]]
    again = clients.coordinator("milano").post(f"/api/v1/person-matches/{match_id}/ruling-out")
    assert again.status_code == 422
    assert again.json()["problems"][0]["code"] == "match_already_decided"


def test_the_case_pages_show_the_match_by_code_and_the_decision_buttons_to_who_decides(
    clients: Clients, platform: Platform
) -> None:
    first, second, match_id = _a_noted_match(clients)
    milan_page = clients.coordinator("milano").get(f"/cases/{second['case_id']}").text
    florence_page = clients.coordinator("firenze").get(f"/cases/{first['case_id']}").text

    assert 'id="possible-same-persons"' in milan_page and "FI-2021-00001" in milan_page
    assert f"/person-matches/{match_id}/confirmation" in milan_page
    assert "MI-2021-00001" in florence_page
    assert f"/person-matches/{match_id}/confirmation" not in florence_page

    ruled_out = clients.coordinator("milano").post(
        f"/person-matches/{match_id}/ruling-out", follow_redirects=False)
    assert ruled_out.status_code == 303
    assert ruled_out.headers["location"] == (
        f"/cases/{second['case_id']}?done=rule_out_same_person")
    assert 'data-status="ruled_out"' in clients.coordinator("milano").get(
        f"/cases/{second['case_id']}").text
    assert platform.person_links.people().people == 2


def test_an_undecided_match_is_due_in_the_work_queue_a_week_after_it_was_noted(
    clients: Clients, platform: Platform
) -> None:
    _first, second, match_id = _a_noted_match(clients)
    [match] = platform.person_links.open_matches("milano")
    due = match.noted_at + timedelta(days=7)

    # Due by the moment a week after noting, that moment included; a second before, not yet.
    assert platform.person_links.work_items("milano", due - timedelta(seconds=1)) == []
    [item] = platform.person_links.work_items("milano", due)
    assert (item.kind, item.city, item.due, item.case_id, item.case_code, item.subject_id) == (
        "possible_same_person_to_decide", "milano", due, UUID(second["case_id"]),
        second["case_code"], UUID(match_id))
    assert platform.person_links.work_items("firenze", due + timedelta(days=1)) == []

    clients.coordinator("milano").post(f"/api/v1/person-matches/{match_id}/confirmation")
    assert platform.person_links.work_items("milano", due + timedelta(days=1)) == []


def test_the_tax_code_is_kept_in_the_vault_and_read_back_like_every_identifier(
    clients: Clients, platform: Platform
) -> None:
    case = record_intake(clients, "firenze", tax_code="TSFMNL94E02Z315X")
    shown = clients.operator("firenze").post(f"/api/v1/cases/{case['case_id']}/identifiers",
                                             json={"reason": "identity_check"})
    assert shown.json()["identifiers"]["tax_code"] == "TSFMNL94E02Z315X"
    assert len(platform.vault.accesses()) == 1
    wrong = clients.coordinator("firenze").post("/api/v1/cities/firenze/intakes",
                                                json=an_intake_payload(tax_code="TS/FM"))
    assert wrong.status_code == 422
    assert wrong.json()["problems"][0]["field"] == "tax_code"


def test_the_indicators_count_two_confirmed_same_cases_in_two_cities_as_one_person(
    clients: Clients, platform: Platform
) -> None:
    _first, _second, match_id = _a_noted_match(clients)
    ministry = clients.ministry()
    before = ministry.get("/api/v1/network/indicators").json()["network"]["cases"]
    assert (before["taken_in"], before["people"]) == (2, 2)  # possible, not confirmed: two

    assert clients.coordinator("milano").post(
        f"/api/v1/person-matches/{match_id}/confirmation").status_code == 200

    network = ministry.get("/api/v1/network/indicators").json()["network"]["cases"]
    florence = ministry.get("/api/v1/cities/firenze/indicators").json()["cases"]
    milan = clients.coordinator("milano").get("/api/v1/cities/milano/indicators").json()["cases"]
    # One person taken in by two cities: one person of each city, and one of the network.
    assert (network["taken_in"], network["people"]) == (2, 1)
    assert (florence["taken_in"], florence["people"]) == (1, 1)
    assert (milan["taken_in"], milan["people"]) == (1, 1)
    page = ministry.get("/ministry/dashboard", params={"lang": "en"}).text
    assert "People, each counted once: 1<" in page
    italian = ministry.get("/ministry/dashboard", params={"lang": "it"}).text
    assert "Persone, ciascuna contata una volta: 1<" in italian
