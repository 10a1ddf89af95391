"""The dashboards through the pages and the API: a city's figures for a small scenario, each a
link to a list of exactly as many records; the ministry's table of cities, sorted both ways,
whose totals are the sums of its rows; the live sections served alone; exports; and every bad
parameter or foreign viewer refused in words."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from infra.bootstrap import Platform
from tests.web.conftest import TODAY_IN_ITALY, Clients, clock_of, record_intake

HTMX = {"HX-Request": "true"}
TODAY = TODAY_IN_ITALY  # the day of the tests' clock, in Italy
DRILL_DOWNS = ("/cities/milano/cases", "/cities/milano/dashboard/referrals",
               "/cities/milano/dashboard/placements")


class Links(HTMLParser):
    """Every link of a page with its data-count (the figures that count records), and the
    cells of each table (data-table) row by row, with their data-value."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.counted: list[tuple[str, int]] = []
        self.links: list[str] = []
        self.tables: dict[str, list[tuple[str, list[str]]]] = {}
        self._table: str | None = None
        self._row: tuple[str, list[str]] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(html.unescape(attributes["href"] or ""))
            if attributes.get("data-count") is not None:
                self.counted.append((html.unescape(attributes["href"] or ""),
                                     int(attributes["data-count"] or "")))
        elif tag == "table" and attributes.get("data-table"):
            name = attributes["data-table"] or ""
            # A chart's data is on the page twice (its printed copy): keep the first.
            self._table = None if name in self.tables else name
            self.tables.setdefault(name, [])
        elif tag == "tr" and self._table and attributes.get("data-key"):
            self._row = (attributes["data-key"] or "", [])
            self.tables[self._table].append(self._row)
        elif tag == "td" and self._row is not None:
            self._row[1].append(attributes.get("data-value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tr":
            self._row = None

    def column(self, table: str, index: int, key: str) -> str:
        """The value of a row's cell (`index` counts the cells after the row's heading)."""
        return next(cells[index] for row_key, cells in self.tables[table] if row_key == key)


def a_milan_scenario(clients: Clients) -> dict[str, Any]:
    """Three Milan cases (two of Eritrea, one of Afghanistan; two vulnerable; one closed), two
    referrals (one accepted), one stay in a two-bed shelter ended and one going on, an
    activity of Sub-Action 3 and a claim; and a Florence case, which must not count."""
    coordinator = clients.coordinator("milano")
    first = record_intake(clients, "milano", intake_date="2021-03-10")
    second = record_intake(clients, "milano", intake_date="2021-04-02", citizenship="AF",
                           sex="male", protection_status="asylum_seeker",
                           vulnerabilities=["trafficking_victim"])
    third = record_intake(clients, "milano", intake_date="2021-04-15",
                          protection_status="subsidiary_protection",
                          vulnerabilities=["pregnancy", "serious_illness"])
    record_intake(clients, "firenze")
    assert coordinator.post(f"/api/v1/cases/{first['case_id']}/closure", json={
        "outcome": "autonomy", "closed_on": "2021-03-12", "reason": "Autonoma"},
    ).status_code == 200
    accepted = coordinator.post(f"/api/v1/cases/{second['case_id']}/referrals",
                                json={"destination_kind": "city_service", "service": "health"})
    assert accepted.status_code == 201, accepted.text
    assert coordinator.post(
        f"/api/v1/referrals/{accepted.json()['referral_id']}/acceptance").status_code == 200
    assert coordinator.post(f"/api/v1/cases/{third['case_id']}/referrals", json={
        "destination_kind": "city_service", "service": "legal_aid"}).status_code == 201
    shelter = coordinator.post("/api/v1/cities/milano/shelters", json={
        "name": "Casa Brera", "kind": "apartment", "address_area": "Brera", "beds": 2})
    assert shelter.status_code == 201, shelter.text
    shelter_id = shelter.json()["shelter_id"]
    for case in (second, third):
        path = f"/api/v1/cases/{case['case_id']}/housing"
        assert coordinator.post(f"{path}/waitlist").status_code == 200
        assert coordinator.post(f"{path}/offers/{shelter_id}").status_code == 200
        assert coordinator.post(f"{path}/move-in",
                                json={"moved_in_on": TODAY}).status_code == 200
    assert coordinator.post(f"/api/v1/cases/{second['case_id']}/housing/move-out", json={
        "outcome": "family_reunification", "moved_out_on": TODAY, "note": ""},
    ).status_code == 200
    planned = coordinator.post("/api/v1/cities/milano/activities", json={
        "sub_action": "3", "kind": "neighbourhood_mediation", "title": "Cortile aperto",
        "neighbourhood": "Niguarda", "starts_on": "2021-03-01", "ends_on": "2021-06-30",
        "organiser": "Ufficio Mediazione"})
    assert planned.status_code == 201, planned.text
    activity = f"/api/v1/activities/{planned.json()['activity_id']}"
    assert coordinator.post(f"{activity}/participants",
                            json={"case_code": third["case_code"]}).status_code == 201
    assert coordinator.post(f"{activity}/sessions", json={
        "held_on": "2021-04-20", "hours": "2", "residents": 4}).status_code == 201
    ministry = clients.ministry()
    assert ministry.post("/api/v1/finance/allocations", json={
        "city": "milano", "sub_action": "3", "amount": "1000.00", "reason": "Riparto"},
    ).status_code == 200
    assert coordinator.post("/api/v1/cities/milano/finance/claims", json={
        "sub_action": "3", "category": "staff", "amount": "250.50", "spent_on": "2021-03-15",
        "document_reference": "PG/2021/0042"}).status_code == 201
    return {"first": first, "second": second, "third": third, "shelter_id": shelter_id}


def rows_behind(client: TestClient, href: str) -> int:
    """How many records the list a figure links to holds: the case list's total (read through
    the API, which takes the same filters as the page, and faster), or the drill-down list's
    count."""
    if href.startswith("/cities/milano/cases"):
        listing = client.get("/api/v1" + href)
        assert listing.status_code == 200, (href, listing.text[:300])
        total: int = listing.json()["total"]
        return total
    page = client.get(href)
    assert page.status_code == 200, (href, page.text[:300])
    found = re.search(r'data-count="(\d+)"', page.text.split('class="drilldown-count"')[1])
    assert found, href
    listed = Links(page.text).tables["referrals" if "referrals" in href else "placements"]
    assert len(listed) == int(found.group(1))
    return len(listed)


def test_every_figure_of_a_city_dashboard_opens_a_list_of_exactly_that_many_records_and_lives(
    clients: Clients,
) -> None:
    a_milan_scenario(clients)
    coordinator = clients.coordinator("milano")

    page = coordinator.get("/cities/milano/dashboard")

    assert page.status_code == 200, page.text[:500]
    links = Links(page.text)
    cards = {href: count for href, count in links.counted if "dashboard" not in href
             or "dashboard/" in href}
    assert cards["/cities/milano/cases"] == 3
    assert cards["/cities/milano/cases?status=open"] == 2
    assert cards["/cities/milano/cases?vulnerability=any"] == 2
    assert cards["/cities/milano/cases?citizenship=ER"] == 2
    assert cards["/cities/milano/cases?citizenship=AF"] == 1
    assert cards["/cities/milano/cases?outcome=autonomy"] == 1
    assert cards["/cities/milano/cases?intake_month=2021-04"] == 2
    assert cards["/cities/milano/dashboard/referrals"] == 2
    assert cards["/cities/milano/dashboard/referrals?status=accepted"] == 1
    assert cards["/cities/milano/dashboard/referrals?destination=legal_aid"] == 1
    assert cards["/cities/milano/dashboard/placements?housed=true"] == 1
    assert cards["/cities/milano/dashboard/placements?outcome=family_reunification"] == 1
    assert links.column("activities", 4, "3") == "1"  # participants of Sub-Action 3
    assert links.column("expenditure", 1, "3") == "250.50"  # claimed

    drilled = {href: count for href, count in links.counted if href.startswith(DRILL_DOWNS)}
    assert len(drilled) >= 30
    for href, count in drilled.items():
        assert rows_behind(coordinator, href) == count, href
    for href in ("/cities/milano/cases?citizenship=ER", "/cities/milano/cases?outcome=autonomy"):
        assert coordinator.get(href).status_code == 200, href
    for href in {link for link in links.links if "/activities" in link or "/finance" in link
                 or link.endswith("/housing")}:
        assert coordinator.get(href).status_code == 200, href

    api = coordinator.get("/api/v1/cities/milano/indicators").json()
    assert api["cases"]["taken_in"] == 3 and api["referrals"]["requested"] == 2
    assert api["housing"]["housed_now"] == 1 and api["housing"]["beds"] == 2
    assert api["housing"]["occupancy_rate"] == "0.50"
    assert api["expenditure"]["total"]["claimed"] == "250.50"
    stamp = re.search(r'data-position="(\d+)"', page.text)
    assert stamp is not None and api["position"] == int(stamp.group(1))

    # The same dashboard, as the ministry sees it: in both languages, live, a section alone.
    ministry = clients.ministry()
    italian = ministry.get("/cities/milano/dashboard").text
    english = ministry.get("/cities/milano/dashboard", params={"lang": "en"}).text
    fragment = ministry.get("/cities/milano/dashboard", params={"part": "referrals"},
                            headers=HTMX)

    assert "Prese in carico" in italian and "Eritrea" in italian
    assert "Cases taken in" in english and "Family reunification" in english
    assert re.search(r'sse-connect="/live/stream\?since=[0-9]+"', english)
    assert english.count('hx-trigger="sse:projected"') == 7
    # Only the headline is announced when it reloads, not every table of the page.
    # One live region for the figures, beside the page frame's own for command messages.
    assert english.count('aria-live="polite"') == 2
    assert english.count('id="live-notices" role="status" aria-live="polite"') == 1
    assert re.search(r'aria-live="polite">\s*<section id="part-headline"', english)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="part-referrals"')
    assert "<html" not in fragment.text and "part-cases" not in fragment.text
    assert 'hx-get="/cities/milano/dashboard?part=referrals"' in fragment.text

    exported = ministry.get("/cities/milano/dashboard/citizenship/export.csv")
    assert exported.status_code == 200
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert ["Eritrea", "2"] in lines
    workbook = load_workbook(io.BytesIO(
        ministry.get("/cities/milano/dashboard/referrals/export.xlsx",
                     params={"status": "accepted"}).content))
    assert workbook.active.max_row == 2  # the header and the accepted referral
    assert ministry.get("/cities/milano/dashboard/nothing/export.csv").status_code == 404


def test_the_ministry_sorts_the_cities_both_ways_and_the_totals_are_their_sums(
    clients: Clients,
) -> None:
    a_milan_scenario(clients)
    ministry = clients.ministry()

    descending = Links(ministry.get("/ministry/dashboard",
                                    params={"sort": "taken_in", "order": "desc"}).text)
    ascending_page = ministry.get("/ministry/dashboard",
                                  params={"sort": "taken_in", "order": "asc"}).text
    ascending = Links(ascending_page)

    order = [key for key, _cells in descending.tables["cities"] if key != "network"]
    assert len(order) == 19
    assert order[:2] == ["milano", "firenze"]
    taken_in = [int(cells[0]) for key, cells in ascending.tables["cities"] if key != "network"]
    assert taken_in == sorted(taken_in) and taken_in[-2:] == [1, 3]
    assert 'aria-sort="ascending"' in ascending_page
    assert "/cities/milano/dashboard" in ascending.links
    rows = [cells for key, cells in ascending.tables["cities"] if key != "network"]
    totals = next(cells for key, cells in ascending.tables["cities"] if key == "network")
    # Every column but the median response time (4) and the occupancy rate (7) adds up.
    for index in (0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 13):
        total = sum((Decimal(row[index]) for row in rows), Decimal(0))
        assert Decimal(totals[index]) == total, index
    assert totals[0] == "4" and totals[11] == "1000.00"

    api = ministry.get("/api/v1/network/indicators").json()
    assert api["network"]["cases"]["taken_in"] == 4
    assert next(row for row in api["cities"] if row["city"] == "milano")["claimed"] == "250.50"
    exported = ministry.get("/ministry/dashboard/cities/export.csv",
                            params={"sort": "taken_in", "order": "desc"})
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    header = next(index for index, line in enumerate(lines) if line and line[0] == "Comune")
    assert lines[header + 1][:2] == ["milano", "3"]
    cities = ministry.get("/ministry/dashboard", params={"part": "cities"}, headers=HTMX)
    assert cities.text.lstrip().startswith('<section id="part-cities"')


def test_bad_parameters_and_foreign_viewers_are_refused_in_words(clients: Clients) -> None:
    record_intake(clients, "milano")
    ministry = clients.ministry()

    refused = {
        "part": ministry.get("/cities/milano/dashboard", params={"part": "everything"}),
        "sort": ministry.get("/ministry/dashboard", params={"sort": "population"}),
        "order": ministry.get("/ministry/dashboard", params={"order": "up"}),
        "destination": ministry.get("/cities/milano/dashboard/referrals",
                                    params={"destination": "moon", "lang": "en"}),
        "status": ministry.get("/cities/milano/dashboard/referrals",
                               params={"status": "lost"}),
        "outcome": ministry.get("/cities/milano/dashboard/placements",
                                params={"outcome": "vanished"}),
        "moved_in": ministry.get("/cities/milano/dashboard/placements",
                                 params={"moved_in": "maybe"}),
        "in_time": ministry.get("/cities/milano/dashboard/referrals/export.csv",
                                params={"in_time": "soon"}),
        "housed": ministry.get("/cities/milano/dashboard/placements/export.xlsx",
                               params={"housed": "1"}),
    }
    for parameter, answer in refused.items():
        assert answer.status_code == 422, parameter
        assert f"&#34;{parameter}&#34;" in answer.text or f'"{parameter}"' in html.unescape(
            answer.text), parameter
    assert "is not a value of" in html.unescape(refused["destination"].text)
    assert "legal_aid" in refused["destination"].text
    for path in ("/cities/milano/dashboard/referrals/export.pdf", "/cities/atlantis/dashboard",
                 "/api/v1/cities/atlantis/indicators"):
        assert ministry.get(path).status_code == 404, path
    assert ministry.get("/ministry/dashboard/cities/export.csv",
                        params={"order": "sideways"}).status_code == 422

    florence = clients.coordinator("firenze")
    for path in ("/cities/milano/dashboard", "/cities/milano/dashboard/referrals",
                 "/cities/milano/dashboard/activities/export.csv", "/ministry/dashboard",
                 "/api/v1/cities/milano/indicators", "/api/v1/network/indicators"):
        assert florence.get(path).status_code == 403, path
    partner = clients.partner("milano")
    assert partner.get("/api/v1/cities/milano/indicators").status_code == 403


def test_viewing_the_past_the_dashboards_show_the_past_figures_and_do_not_follow_the_stream(
    clients: Clients, platform: Platform,
) -> None:
    record_intake(clients, "milano")
    between = platform.clock() + timedelta(minutes=5)
    clock_of(platform).advance(timedelta(minutes=10))
    record_intake(clients, "milano")
    auditor = clients.auditor()
    assert auditor.get("/as-of", params={"moment": between.isoformat(), "next": "/"},
                       follow_redirects=False).status_code == 303

    page = auditor.get("/cities/milano/dashboard", params={"lang": "en"})
    network = Links(auditor.get("/ministry/dashboard").text)
    api = auditor.get("/api/v1/cities/milano/indicators").json()
    exported = auditor.get("/cities/milano/dashboard/intakes/export.csv")

    assert page.status_code == 200
    assert "sse-connect" not in page.text and "sse:projected" not in page.text
    assert "Figures as the record stood on" in page.text
    assert dict(Links(page.text).counted)["/cities/milano/cases"] == 1
    assert network.column("cities", 0, "milano") == "1"
    assert api["cases"]["taken_in"] == 1
    assert datetime.fromisoformat(api["as_of"]) == between
    stamps = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert datetime.fromisoformat(stamps[1][1]) == between
