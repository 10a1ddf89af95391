"""The case list's drill-down filters (sex, age band, citizenship, closure outcome, intake month,
eligibility): each narrows the page and the API to the cases an indicator counted; a wrong value
is a clear 422, on the list itself for people; partners cannot filter by what they may not see."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.cases.rules import CaseOutcome
from domain.programme import Actor, ActorKind, City, Role
from infra.bootstrap import Platform
from tests.web.conftest import Clients, follower_of, record_intake

CASE_LIST = "/cities/firenze/cases"
API_LIST = "/api/v1/cities/firenze/cases"
HTMX = {"HX-Request": "true"}
FLORENCE = Actor(ActorKind.USER, "firenze.coordinator", Role.CITY_COORDINATOR, City.FIRENZE)


def case_codes_in(page: str) -> list[str]:
    return re.findall(r">([A-Z]{2}-\d{4}-\d{5})</a>", page)


@pytest.fixture
def three_cases(clients: Clients, platform: Platform) -> dict[str, str]:
    """Case codes by name:
    - refugee: female, 30 at intake (18-34, Eurostat's classes), Eritrean, taken in 2021-03-10,
      open;
    - asylum seeker: male, 21 (18-34), Nigerian, taken in 2021-02-15, open;
    - closed: male, 41 (35-64), Eritrean refugee, taken in 2021-02-20, closed: moved away."""
    refugee = record_intake(clients)
    asylum_seeker = record_intake(
        clients, sex="male", birth_date="2000-01-01", citizenship="NG",
        protection_status="asylum_seeker", intake_date="2021-02-15")
    closed = record_intake(
        clients, sex="male", birth_date="1980-01-01", intake_date="2021-02-20")
    platform.cases.close(UUID(closed["case_id"]), CaseOutcome.MOVED_AWAY, date(2021, 4, 1),
                         "Moved to Lyon", FLORENCE, platform.now())
    follower_of(platform).catch_up()
    return {"refugee": refugee["case_code"], "asylum seeker": asylum_seeker["case_code"],
            "closed": closed["case_code"]}


# Filters, and the cases they list (by name, in the list's order: the latest intake first).
NARROWING: list[tuple[dict[str, str], list[str]]] = [
    ({"sex": "male"}, ["closed", "asylum seeker"]),
    ({"age_band": "18-34"}, ["refugee", "asylum seeker"]),
    ({"age_band": "18-24"}, []),  # the bands before issue 12: no case taken in since
    ({"citizenship": "ER"}, ["refugee", "closed"]),
    ({"citizenship": "er"}, ["refugee", "closed"]),
    ({"outcome": "moved_away"}, ["closed"]),
    ({"outcome": "deceased"}, []),
    ({"intake_month": "2021-02"}, ["closed", "asylum seeker"]),
    ({"intake_month": "2021-03"}, ["refugee"]),
    ({"intake_month": "9999-12"}, []),  # no month after it, yet no overflow
    ({"intake_month": "0000-01"}, []),
    ({"eligible_for": "2"}, ["asylum seeker"]),  # civic engagement: asylum seekers only
    ({"eligible_for": "4"}, ["refugee", "closed", "asylum seeker"]),
    ({"eligible_for": "1"}, []),  # coordination enrols nobody
    ({"sex": "male", "citizenship": "ER", "intake_month": "2021-02"}, ["closed"]),
    ({"sex": "", "age_band": "", "citizenship": "", "outcome": ""},
     ["refugee", "closed", "asylum seeker"]),
]


def test_each_drill_down_filter_narrows_the_page_and_the_api_alike_and_shows_on_the_page(
    clients: Clients, three_cases: dict[str, str]
) -> None:
    coordinator = clients.coordinator("firenze")
    # One scenario for every filter: the cases are the slow part.
    for filters, expected in NARROWING:
        codes = [three_cases[name] for name in expected]

        fragment = coordinator.get(CASE_LIST, params=filters, headers=HTMX)
        listed = coordinator.get(API_LIST, params=filters)

        assert fragment.status_code == 200 and listed.status_code == 200, filters
        assert case_codes_in(fragment.text) == codes, filters
        assert [case["case_code"] for case in listed.json()["items"]] == codes, filters
        assert listed.json()["total"] == len(codes)

    # The whole page shows the filters chosen, and the drill-down ones as removable chips.
    response = coordinator.get(CASE_LIST, params={
        "sex": "male", "age_band": "35-64", "citizenship": "ER", "intake_month": "2021-02",
        "eligible_for": "4", "outcome": "moved_away"})

    page = html.unescape(response.text)
    assert response.status_code == 200
    assert case_codes_in(page) == [three_cases["closed"]]
    assert '<option value="male" selected>' in page
    assert '<option value="35-64" selected>' in page
    assert '<option value="ER" selected>' in page
    assert "Presa in carico: febbraio 2021" in page
    assert "Idonei alla Sub-Azione 4 – Rapido inserimento abitativo" in page
    assert "Chiuso con esito: Trasferito/a altrove" in page
    # Each chip's link drops its own filter, and the form keeps the others when it is sent.
    assert ('href="/cities/firenze/cases?sex=male&age_band=35-64&citizenship=ER'
            '&eligible_for=4&outcome=moved_away"') in page
    assert '<input type="hidden" name="intake_month" value="2021-02">' in page


# A wrong value, the field blamed, and words of the message that explains it.
WRONG: list[tuple[dict[str, str], str, str]] = [
    ({"sex": "robot"}, "sex", "Scegliere una delle opzioni proposte."),
    ({"age_band": "17"}, "age_band", "Scegliere una delle opzioni proposte."),
    ({"citizenship": "Eritrea"}, "citizenship", "ISO 3166-1"),
    ({"citizenship": "XX"}, "citizenship", "ISO 3166-1"),
    ({"outcome": "vanished"}, "outcome", "Scegliere una delle opzioni proposte."),
    ({"intake_month": "2021-13"}, "intake_month", "AAAA-MM"),
    ({"intake_month": "marzo"}, "intake_month", "AAAA-MM"),
    ({"eligible_for": "7"}, "eligible_for", "Scegliere una delle opzioni proposte."),
]


def test_a_wrong_filter_value_is_a_422_that_says_what_is_wrong(client: TestClient) -> None:
    for filters, field, message in WRONG:
        api = client.get(API_LIST, params=filters)
        page = client.get(CASE_LIST, params=filters)

        assert api.status_code == 422, filters
        problems = api.json()["problems"]
        assert [problem["field"] for problem in problems] == [field]
        assert message in problems[0]["message"], filters
        assert page.status_code == 422
        text = html.unescape(page.text)
        assert "Alcuni filtri non sono validi" in text and message in text, filters
        assert 'class="case-filters' in text  # the list, with its filters, to put it right

    fragment = client.get(CASE_LIST, params={"intake_month": "2021-3"}, headers=HTMX)
    assert fragment.status_code == 422
    assert fragment.text.lstrip().startswith('<div id="case-table"')
    assert "Mese della presa in carico" in html.unescape(fragment.text)


def test_partners_cannot_filter_by_outcome_or_eligibility_which_they_do_not_see(
    clients: Clients, three_cases: dict[str, str]
) -> None:
    partner = clients.partner("firenze")

    for filters in ({"outcome": "moved_away"}, {"eligible_for": "2"}):
        refused: Any = partner.get(API_LIST, params=filters)
        assert refused.status_code == 403
        assert refused.json()["problems"][0]["field"] == next(iter(filters))
    allowed = partner.get(API_LIST, params={"sex": "male", "intake_month": "2021-02"})
    assert allowed.status_code == 200
    assert {case["case_code"] for case in allowed.json()["items"]} == {
        three_cases["closed"], three_cases["asylum seeker"]}


def test_the_list_page_offers_the_missing_guardian_filter_and_narrows_to_those_minors(
    clients: Clients, three_cases: dict[str, str],
) -> None:
    """L. 47/2017: an unaccompanied minor is given a guardian; the list finds those without."""
    minor = record_intake(clients, birth_date="2005-01-01",
                          vulnerabilities=["unaccompanied_minor"])
    coordinator = clients.coordinator("firenze")
    unfiltered = coordinator.get(CASE_LIST).text
    assert re.search(r'<input id="filter-guardian" type="checkbox" name="guardian" '
                     r'value="missing">', unfiltered)
    filtered = coordinator.get(CASE_LIST, params={"guardian": "missing"})
    assert filtered.status_code == 200
    assert case_codes_in(filtered.text) == [minor["case_code"]]
    assert 'name="guardian" value="missing" checked' in filtered.text
    coordinator.post(f"/api/v1/cases/{minor['case_id']}/guardian",
                     json={"appointed_on": "2021-10-01"})
    assert case_codes_in(coordinator.get(CASE_LIST, params={"guardian": "missing"}).text) == []


def test_the_api_refuses_the_filter_issue_12_renamed_rather_than_list_every_case(
    clients: Clients, three_cases: dict[str, str],
) -> None:
    """`nationality` became `citizenship` (docs/partners.md): an old client must not be
    answered with every case as if it had filtered."""
    response = clients.coordinator("firenze").get(API_LIST, params={"nationality": "ER"})
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert (problem["field"], problem["code"]) == ("nationality", "renamed_parameter")
    assert "citizenship" in problem["message"]
