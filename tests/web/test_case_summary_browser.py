"""The case page's summary, its services-delivered form and its print view in a real browser, on
a phone (390 px wide) and a laptop (1366 px): the summary comes first, nothing overflows the
screen, a delivery recorded through the form shows in the summary, and the print view has no
form, button or navigation (tests/web/test_browser.py: Chromium, Playwright, uvicorn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.programme import City, Role
from infra.bootstrap import Platform
from tests.web.conftest import PASSWORD, Clients, record_intake
from tests.web.test_browser import (  # noqa: F401 (fixtures)
    TIMEOUT_MS,
    browser,
    live_server,
    screenshots,
)

pytestmark = pytest.mark.browser


def overflowing(page: Any, within: str, width: int) -> list[str]:
    """The elements inside `within` that reach past the right edge of a `width`-wide screen.
    (The site header's slim bar overflows a phone's screen on every page: not this page's.)"""
    found: list[str] = page.evaluate(
        """([within, width]) => [...document.querySelectorAll(within + ' *')]
            .filter(e => e.getBoundingClientRect().right > width + 1)
            .map(e => e.tagName + '.' + e.className + ' in #'
                 + (e.closest('section') || {id: '?'}).id + ' '
                 + Math.round(e.getBoundingClientRect().right))""", [within, width])
    return found


@pytest.mark.parametrize("width", [390, 1366])
def test_the_case_page_opens_with_the_summary_and_prints_without_forms(
    browser: Any, live_server: str, screenshots: Path, platform: Platform, clients: Clients,  # noqa: F811
    width: int,
) -> None:
    platform.accounts.add_user("firenze.coordinator", Role.CITY_COORDINATOR, PASSWORD,
                               city=City.FIRENZE, display_name="Giulia Bianchi")
    case = record_intake(clients, "firenze", permit_expires_on="2021-11-20")
    coordinator = clients.coordinator("firenze")
    coordinator.post(f"/api/v1/cases/{case['case_id']}/housing/waitlist")
    coordinator.post(f"/api/v1/cases/{case['case_id']}/referrals",
                     json={"destination_kind": "city_service", "service": "health"})
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="it-IT")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(f"{live_server}/cases/{case['case_id']}")
        page.fill("#username", "firenze.coordinator")
        page.fill("#password", PASSWORD)
        page.click(".sign-in-form button[type=submit]")
        page.wait_for_selector("#summary")

        summary_top = page.locator("#summary").bounding_box()["y"]
        assert summary_top < page.locator("#history-title").bounding_box()["y"]
        assert summary_top < page.locator("#facts-title").bounding_box()["y"]
        # (The page's older sections, the legal basis's table on a phone, may still overflow.)
        assert overflowing(page, "#summary", width) == []
        assert "posizione 1 su 1" in page.locator("#summary-housing").inner_text()
        page.screenshot(path=str(screenshots / f"case-summary-{width}.png"), full_page=False)

        page.click("#record-delivery summary")
        page.select_option("#delivery-kind", "cash_support")
        page.select_option("#delivery-sub-action", "3")
        page.fill("#delivery-quantity", "150.00")
        page.fill("#delivery-delivered-on", "2021-09-30")
        page.locator("#deliveries").screenshot(
            path=str(screenshots / f"case-delivery-form-{width}.png"))
        page.click("#delivery-form button[type=submit]")
        page.wait_for_selector("#summary-deliveries:has-text('Sostegno economico')")
        assert overflowing(page, "#summary", width) == []
        assert overflowing(page, "#deliveries", width) == []

        page.goto(f"{live_server}/cases/{case['case_id']}/summary")
        assert page.locator("form, button, nav, input, select").count() == 0
        assert "Sostegno economico" in page.locator("#summary-deliveries").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.emulate_media(media="print")
        page.screenshot(path=str(screenshots / f"case-print-{width}.png"), full_page=True)
        assert problems == []
    finally:
        context.close()
