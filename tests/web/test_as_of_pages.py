"""Auditors and the ministry view the record as of a past moment: pages computed by replaying
the record up to it, with a banner that says so, and no changes allowed meanwhile."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from domain.programme import PROGRAMME_TIMEZONE, City
from infra.bootstrap import Platform
from tests.web.conftest import Clients, clock_of, record_intake, sign_in

BANNER = "You are viewing the record as it was on"


def rome_time(moment: datetime) -> str:
    """As the picker's datetime-local field sends it: Rome time, no zone."""
    return moment.astimezone(PROGRAMME_TIMEZONE).strftime("%Y-%m-%dT%H:%M:%S")


def view_as_of(client: TestClient, moment: str, next_path: str = "/") -> Any:
    return client.get("/as-of", params={"moment": moment, "next": next_path, "lang": "en"},
                      follow_redirects=False)


def two_intakes_minutes_apart(clients: Clients, platform: Platform
                                ) -> tuple[dict[str, Any], dict[str, Any], datetime]:
    """Two Milan intakes, ten minutes apart (sessions idle out after longer); returns a moment
    between."""
    first = record_intake(clients, "milano")
    between = platform.clock() + timedelta(minutes=5)
    clock_of(platform).advance(timedelta(minutes=10))
    second = record_intake(clients, "milano", vulnerabilities=["trafficking_victim"])
    return first, second, between


def test_an_auditor_sees_the_city_the_network_and_a_case_as_they_were(
    clients: Clients, platform: Platform
) -> None:
    first, second, between = two_intakes_minutes_apart(clients, platform)
    auditor = clients.auditor()

    chosen = view_as_of(auditor, rome_time(between), "/cities/milano/cases")
    case_list = auditor.get("/cities/milano/cases", params={"lang": "en"})
    overview_page = auditor.get("/ministry")
    overview = auditor.get("/api/v1/network/overview").json()
    first_case = auditor.get(f"/cases/{first['case_id']}")
    second_case = auditor.get(f"/cases/{second['case_id']}")

    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/cities/milano/cases"
    assert first["case_code"] in case_list.text
    assert second["case_code"] not in case_list.text
    assert BANNER in case_list.text and BANNER in overview_page.text
    assert re.search(r'id="total-cases">\s*1\s*<', overview_page.text)
    assert overview["totals"]["cases"] == 1
    assert first_case.status_code == 200 and first["case_code"] in first_case.text
    assert BANNER in first_case.text
    assert second_case.status_code == 404


def test_back_to_now_shows_everything_again(clients: Clients, platform: Platform) -> None:
    first, second, between = two_intakes_minutes_apart(clients, platform)
    auditor = clients.auditor()
    view_as_of(auditor, rome_time(between))

    back = auditor.get("/as-of", params={"next": "/cities/milano/cases"},
                       follow_redirects=False)
    case_list = auditor.get("/cities/milano/cases", params={"lang": "en"})

    assert back.status_code == 303
    assert first["case_code"] in case_list.text and second["case_code"] in case_list.text
    assert BANNER not in case_list.text
    assert auditor.get("/api/v1/network/overview").json()["totals"]["cases"] == 2


def test_as_of_now_both_cases_are_there(clients: Clients, platform: Platform) -> None:
    first, second, _ = two_intakes_minutes_apart(clients, platform)
    ministry = clients.ministry()
    clock_of(platform).advance(timedelta(seconds=1))  # the picker is to the second

    view_as_of(ministry, rome_time(platform.clock()))
    case_list = ministry.get("/cities/milano/cases", params={"lang": "en"})

    assert BANNER in case_list.text
    assert first["case_code"] in case_list.text and second["case_code"] in case_list.text


def test_a_coordinator_ignores_the_cookie_and_may_not_choose_a_moment(
    clients: Clients, platform: Platform
) -> None:
    first, second, between = two_intakes_minutes_apart(clients, platform)
    coordinator = clients.coordinator("milano")

    refused = view_as_of(coordinator, rome_time(between))
    coordinator.cookies.set("as_of", between.isoformat())
    case_list = coordinator.get("/cities/milano/cases", params={"lang": "en"})

    assert refused.status_code == 403
    assert second["case_code"] in case_list.text and first["case_code"] in case_list.text
    assert BANNER not in case_list.text
    assert 'class="as-of-picker' not in case_list.text


def test_changes_are_refused_while_viewing_the_past(
    clients: Clients, platform: Platform
) -> None:
    first, _, between = two_intakes_minutes_apart(clients, platform)
    ministry, auditor = clients.ministry(), clients.auditor()
    platform.accounts.grant_access("ministry", "auditor", City.MILANO, timedelta(hours=1),
                                   "Checking the intakes")
    view_as_of(ministry, rome_time(between))
    view_as_of(auditor, rome_time(between))
    written = platform.last_written_position()

    page = ministry.post("/audit/grants", params={"lang": "en"}, data={
        "grantee": "auditor", "city": "milano", "hours": "4", "reason": "Checking"})
    api = auditor.post(f"/api/v1/cases/{first['case_id']}/identifiers", params={"lang": "en"},
                       json={"reason": "audit_grant"})

    assert page.status_code == 409
    assert "nothing can be changed from there" in page.text
    assert api.status_code == 409
    assert api.json()["problems"][0]["code"] == "viewing_the_past"
    assert len(platform.accounts.grants()) == 1
    assert platform.vault.accesses() == []
    assert platform.last_written_position() == written


def test_signing_out_still_works_while_viewing_the_past(
    clients: Clients, platform: Platform
) -> None:
    auditor = clients.auditor()
    view_as_of(auditor, "2020-06-30")
    assert "as-of-banner" in auditor.get("/").text

    signed_out = auditor.post("/sign-out", follow_redirects=False)

    assert signed_out.status_code == 303
    assert auditor.get("/", follow_redirects=False).status_code == 303
    # Whoever signs in next on this browser sees the record as it is now.
    sign_in(auditor, "auditor")
    assert "as-of-banner" not in auditor.get("/").text


def test_moments_in_the_future_before_the_programme_or_unreadable_are_refused(
    clients: Clients, platform: Platform
) -> None:
    auditor = clients.auditor()
    tomorrow = (platform.clock() + timedelta(days=1)).astimezone(PROGRAMME_TIMEZONE).date()

    future = view_as_of(auditor, rome_time(platform.clock() + timedelta(minutes=5)))
    future_day = view_as_of(auditor, tomorrow.isoformat())
    too_early = view_as_of(auditor, "2019-06-30T23:59")
    unreadable = view_as_of(auditor, "30/06/2020")

    assert future.status_code == future_day.status_code == 422
    assert "cannot be viewed as of a moment in the future" in future.text
    assert too_early.status_code == 422 and "The programme started on" in too_early.text
    assert unreadable.status_code == 422 and "such as 2020-06-30T12:00" in unreadable.text
    assert "as_of" not in auditor.cookies


def test_the_picker_and_the_banner_are_on_every_page_for_auditors(
    clients: Clients, platform: Platform
) -> None:
    auditor = clients.auditor()
    home = auditor.get("/", params={"lang": "en"})
    view_as_of(auditor, "2020-06-30T12:00")
    events = auditor.get("/audit/events")

    assert 'class="as-of-picker' in home.text and BANNER not in home.text
    assert BANNER in events.text
    # Noon in Rome, shown in the picker as chosen.
    assert 'value="2020-06-30T12:00:00"' in events.text


def test_the_event_browser_lists_the_events_up_to_the_moment(
    clients: Clients, platform: Platform
) -> None:
    first, second, between = two_intakes_minutes_apart(clients, platform)
    auditor = clients.auditor()
    view_as_of(auditor, rome_time(between))

    listed = auditor.get("/api/v1/audit/events").json()
    page = auditor.get("/audit/events")

    assert [e["subject"] for e in listed["items"]] == [first["case_code"]]
    assert first["case_code"] in page.text and second["case_code"] not in page.text


def test_a_case_recorded_after_the_moment_did_not_exist_yet_rather_than_not_at_all(
    clients: Clients, platform: Platform
) -> None:
    """Issue 14 item 11: as of a moment before its intake, a case says it did not exist yet,
    on its page and in the API; an id no case has is still unknown."""
    _first, second, between = two_intakes_minutes_apart(clients, platform)
    auditor = clients.auditor()
    view_as_of(auditor, rome_time(between))

    page = auditor.get(f"/cases/{second['case_id']}")
    api = auditor.get(f"/api/v1/cases/{second['case_id']}", params={"lang": "en"})
    unknown = auditor.get("/api/v1/cases/5a0c1f9e-2a7d-4d0b-9e44-6a1d1c3b2f10")
    foreign = clients.coordinator("firenze").get(f"/api/v1/cases/{second['case_id']}")

    assert page.status_code == 404
    assert f"Il caso {second['case_code']} non esisteva ancora il" in page.text
    assert "Non esiste alcun caso" not in page.text
    assert api.status_code == 404
    problem = api.json()["problems"][0]
    assert problem["code"] == "case_not_yet_recorded"
    assert problem["message"].startswith(f"Case {second['case_code']} did not exist yet on ")
    assert unknown.json()["problems"][0]["code"] == "unknown_case"
    assert foreign.json()["problems"][0]["code"] == "unknown_case"  # no moment: as before
