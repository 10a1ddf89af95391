"""Every number a page shows goes through the reader's locale (issue 14 item 6): in Italian a
decimal is written with a comma ("9,4", not "9.4"). Every page and fragment is opened in Italian
over data with decimal values (hours of a session, amounts in cents, fractional averages), and
its text, outside codes (<code>, <pre>) and the page's markup, holds no `\\d.\\d` that is not an
Italian thousands group ("1.234")."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.web.conftest import Clients, record_intake
from tests.web.test_access_matrix import AN_ALLOCATION, housed
from tests.web.test_every_page import get_paths

# A dot between digits that is not a group of thousands: "9.4", "346000.00", "1.5" (but not
# "1.234" nor "12.345.678", Italian grouping).
_DECIMAL_POINT = re.compile(r"\d\.\d(?!\d\d(?:\D|$))|\d\.\d\d\d\d")
_SKIPPED = {"script", "style", "code", "pre", "kbd", "samp", "template"}


class _Text(HTMLParser):
    """The text a reader sees (and a screen reader reads), without codes and markup."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        for name, value in attrs:  # what assistive technology reads out
            if name in ("title", "aria-label", "alt") and value and not self._skipping:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def decimal_points_in(page: str) -> list[str]:
    parser = _Text()
    parser.feed(page)
    text = " ".join(parser.parts)
    return [text[max(m.start() - 30, 0):m.end() + 30].strip()
            for m in _DECIMAL_POINT.finditer(text)]


def test_the_pattern_tells_a_decimal_point_from_an_italian_thousands_group() -> None:
    assert decimal_points_in("<p>9.4 giorni</p>") and decimal_points_in("<p>€ 346000.00</p>")
    assert decimal_points_in("<p>1.5</p>") and decimal_points_in("<td>0.25</td>")
    assert not decimal_points_in("<p>1.234 casi, 12.345.678 €, 9,4 giorni</p>")
    assert not decimal_points_in("<code>it.lgnet.case.v1 1.5</code><p title='x'>ok</p>")
    assert decimal_points_in("<abbr title='media 9.4'>m</abbr>")


def test_every_page_in_italian_writes_its_decimals_with_a_comma(clients: Clients) -> None:
    case_id = record_intake(clients, "milano", vulnerabilities=["female_genital_mutilation"],
                            protection_status="asylum_seeker")["case_id"]
    # Moves-in 9 and 4 days after the intake: 6.5 days on average.
    for intake_date, left_on in (("2021-03-01", "2021-02-20"), ("2021-03-06", "2021-02-20")):
        housed(clients, record_intake(clients, "milano", intake_date=intake_date,
                                      information_notice_given_on=intake_date,
                                      left_reception_on=left_on)["case_id"])
    assert clients.ministry().post("/api/v1/finance/allocations",
                                   json=AN_ALLOCATION).status_code == 200
    claimed = clients.coordinator("milano").post("/api/v1/cities/milano/finance/claims", json={
        "sub_action": "3", "category": "staff", "amount": "1234.56", "spent_on": "2021-03-15",
        "document_reference": "PG/2021/0002"})
    assert claimed.status_code == 201, claimed.text
    paths = [path for path in get_paths(clients, case_id)
             if not path.startswith("/api/") and not path.endswith(("/csv", "/xlsx"))
             and "/export" not in path and path != "/health"
             # The event contracts' reference documents a file format (JSON's "1234.50"):
             # code, in English, for developers.
             and not path.startswith("/docs/")]
    found: dict[str, list[str]] = {}
    for path in paths:
        for viewer in (clients.coordinator("milano"), clients.ministry(), clients.auditor()):
            response = viewer.get(path, params={"lang": "it"})
            if response.status_code != 200 or "text/html" not in response.headers.get(
                    "content-type", ""):
                continue
            if points := decimal_points_in(response.text):
                found[path] = points
            break
    assert found == {}, "\n".join(f"{path}: {points}" for path, points in found.items())
