"""Reading identifiers is Post/Redirect/Get (issue 14 item 9): the POST logs the reading once and
leads (303) to the page that shows them, for a short while, to the session that read them, never
cached; a refresh shows them again without a second reading in the log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from infra.bootstrap import Platform
from tests.web.conftest import Clients, clock_of, record_intake, sign_in
from tests.web.test_personal_data import (
    erasure_form,
    logged,
    shows_identifiers,
    shows_no_identifier,
    text_of,
)
from web.areas.cases.pages.revealed import SHOWN_FOR

EXPIRED = "per vederli di nuovo, leggerli di nuovo indicando il motivo"


@pytest.fixture
def case(clients: Clients) -> dict[str, Any]:
    return record_intake(clients, "firenze")


def read_for_a_reason(client: TestClient, path: str) -> Any:
    return client.post(path, data={"reason": "contact_person"}, follow_redirects=False)


def test_the_reading_is_logged_once_and_shown_for_a_while_to_its_session_refresh_included(
    clients: Clients, platform: Platform, case: dict[str, Any],
) -> None:
    coordinator = clients.coordinator()
    case_page = f"/cases/{case['case_id']}"

    posted = read_for_a_reason(coordinator, f"{case_page}/identifiers")

    assert posted.status_code == 303
    assert shows_no_identifier(posted)
    location = posted.headers["location"]
    target = urlsplit(location)
    assert target.path == case_page and target.fragment == "personal-data"
    [ticket] = parse_qs(target.query)["shown"]
    assert len(logged(platform)) == 1
    shown = coordinator.get(case_page, params={"shown": ticket})
    refreshed = coordinator.get(location)
    assert shown.status_code == refreshed.status_code == 200
    assert shows_identifiers(shown) and shows_identifiers(refreshed)
    assert shown.headers["cache-control"] == "no-store"
    assert shows_no_identifier(coordinator.get(case_page))  # no ticket, no identifiers

    # Only to the session that read them, and for that case only.
    same_user_other_session = sign_in(clients.anonymous(), "firenze.coordinator")
    other_case = record_intake(clients, "firenze", new_case_despite_possible_match="true")
    for other in (clients.operator(), same_user_other_session):
        answer = other.get(location)
        assert answer.status_code == 200 and shows_no_identifier(answer)
    elsewhere = coordinator.get(f"/cases/{other_case['case_id']}", params={"shown": ticket})
    assert shows_no_identifier(elsewhere)

    # For a short while: up to its last second, not past it.
    clock_of(platform).advance(SHOWN_FOR - timedelta(seconds=1))
    at_the_limit = coordinator.get(location)
    clock_of(platform).advance(timedelta(seconds=1))
    past_it = coordinator.get(location)
    assert shows_identifiers(at_the_limit)
    assert shows_no_identifier(past_it) and EXPIRED in text_of(past_it)
    assert "Mostrare i dati identificativi" in text_of(past_it)  # read them again
    assert len(logged(platform)) == 1  # every GET above logged nothing


def test_the_print_view_is_post_redirect_get_too_and_an_erasure_ends_what_is_shown(
    clients: Clients, platform: Platform, case: dict[str, Any],
) -> None:
    coordinator = clients.coordinator()
    summary = f"/cases/{case['case_id']}/summary"

    posted = read_for_a_reason(coordinator, summary)

    assert posted.status_code == 303 and shows_no_identifier(posted)
    assert urlsplit(posted.headers["location"]).path == summary
    printed = coordinator.get(posted.headers["location"])
    again = coordinator.get(posted.headers["location"])
    assert shows_identifiers(printed) and shows_identifiers(again)
    assert printed.headers["cache-control"] == "no-store"
    assert len(logged(platform)) == 1

    case_page = f"/cases/{case['case_id']}"
    location = read_for_a_reason(coordinator, f"{case_page}/identifiers").headers["location"]
    erased = coordinator.post(f"{case_page}/erasure", data=erasure_form())
    assert erased.status_code == 200
    assert shows_no_identifier(coordinator.get(location))
    assert shows_no_identifier(coordinator.get(posted.headers["location"]))
