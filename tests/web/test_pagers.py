"""Every pager links only to pages that exist: no "previous" before the first page (it pointed
to ?page=0, a 422), no "next" after the last (issue 14 item 7)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests.web.conftest import Clients, record_intake


def pager_links(page: str) -> list[str]:
    """The links of the page's pagination (what a reader can follow), unescaped."""
    navs = re.findall(r'<nav class="pagination-wrapper".*?</nav>', page, re.S)
    return [html.unescape(href) for nav in navs for href in re.findall(r'href="([^"]*)"', nav)]


def assert_every_pager_link_answers(
    client: TestClient, url: str, pages: int, **params: object
) -> None:
    for number in range(1, pages + 1):
        page = client.get(url, params={**params, "page": number})
        assert page.status_code == 200, number
        links = pager_links(page.text)
        assert links, f"page {number} shows no pager"
        for link in links:
            assert not re.search(r"[?&]page=(0|-)", link), (number, link)
            assert client.get(link).status_code == 200, (number, link)


def test_the_case_list_and_event_browser_pagers_link_only_to_pages_that_exist(
    clients: Clients,
) -> None:
    for _ in range(3):
        record_intake(clients)
    coordinator = clients.coordinator()

    first = coordinator.get("/cities/firenze/cases", params={"page_size": 1})
    last = coordinator.get("/cities/firenze/cases", params={"page_size": 1, "page": 3})

    assert "page=0" not in first.text and "page=4" not in last.text
    assert re.search(r'<span class="page-link" aria-disabled="true">\s*\S*.*?Pagina precedente',
                     first.text, re.S)
    assert "page=2" in html.unescape(" ".join(pager_links(first.text)))
    for number in (1, 2, 3):
        page = coordinator.get("/cities/firenze/cases", params={"page_size": 1, "page": number})
        for link in pager_links(page.text):
            assert coordinator.get(link).status_code == 200, (number, link)
        assert not any(re.search(r"[?&]page=(0|4)\b", link) for link in pager_links(page.text))

    # The event browser's (the identifier access log's pager has the same guards).
    assert_every_pager_link_answers(clients.auditor(), "/audit/events", 2, page_size=2)
