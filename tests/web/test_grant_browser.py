"""The grant's new pages in a real browser (headless Chromium, Playwright), at a phone's width
(390 px) and a laptop's (1366 px): the ministry records a payment through the htmx form (a
refusal swapped in with its message, then an accepted one), a national partner's page and claim
with its evidence, and a city's claim page showing its documents' kinds and names. Under the
strict Content-Security-Policy: no console error, no failed request but the refusal's own 422.
Screenshots go to LGNET_SCREENSHOT_DIR when it is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.programme import Role
from infra.bootstrap import Platform
from tests.web.conftest import PASSWORD, TODAY_IN_ITALY, Clients
from tests.web.test_browser import browser, live_server, page, screenshots  # noqa: F401
from tests.web.test_grant_pages import adopted, submitted
from tests.web.test_grant_payments_and_partners import attach_as_ministry, partner_claim

pytestmark = pytest.mark.browser

WIDTHS = (390, 1366)


def sign_in(tab: Any, base: str, username: str) -> None:
    tab.goto(f"{base}/sign-in")
    tab.fill("#username", username)
    tab.fill("#password", PASSWORD)
    tab.click(".sign-in-form button[type=submit]")
    tab.wait_for_load_state()


def shoot(tab: Any, directory: Path, name: str) -> None:
    for width in WIDTHS:
        tab.set_viewport_size({"width": width, "height": 900})
        tab.screenshot(path=str(directory / f"{name}-{width}.png"), full_page=True)
        # Nothing wider than the window at a phone's width: tables scroll in their own box.
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (name, width, overflow)


def test_the_ministry_records_payments_and_sees_the_partners_claims(
    page: Any, live_server: str, screenshots: Path, clients: Clients,  # noqa: F811
    platform: Platform,
) -> None:
    adopted(platform)
    city_claim = submitted(clients)
    assert clients.user("ministry.checker", Role.MINISTRY).post(
        f"/grant-claims/{city_claim}/admission", data={
            "part_1_amount": "100,00", "part_1_reason": "duplicate"},
        follow_redirects=False).status_code == 303
    partner = partner_claim(clients, "cittalia")
    attach_as_ministry(clients, partner, "invoice")
    attach_as_ministry(clients, partner, "proof_of_payment")

    sign_in(page, live_server, "ministry")
    page.goto(f"{live_server}/finance/grant/payments")
    assert page.locator("h1").inner_text() == "Pagamenti ai co-beneficiari"
    page.evaluate("window.stillTheSamePage = true")
    page.select_option("#co_beneficiary", "milano")
    page.select_option("#kind", "pre_financing")
    page.fill("#amount", "١٠٠,٠٠")
    page.fill("#value_date", TODAY_IN_ITALY)
    page.fill("#reference", "MP-2021/0001")
    page.click(".grant-payment-form button[type=submit]")
    page.wait_for_selector("#grant-payments .alert-danger")
    assert "Il pagamento non è stato registrato" in page.locator("#grant-payments").inner_text()
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place, by htmx
    shoot(page, screenshots, "grant-payments-refused")
    page.fill("#amount", "500,25")
    page.click(".grant-payment-form button[type=submit]")
    page.wait_for_selector(".grant-payments:has-text('MP-2021/0001')")
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.locator("#live-notices").inner_text() == "Il pagamento è stato registrato."
    row = page.locator('.grant-payment-balances tr[data-co-beneficiary="milano"]').inner_text()
    assert "500,25" in row
    shoot(page, screenshots, "grant-payments")
    page.goto(f"{live_server}/finance/grant/statement?of=milano")
    assert "500,25" in page.locator('tr[data-line="payments"]').inner_text()
    shoot(page, screenshots, "grant-statement-milano")

    page.goto(f"{live_server}/finance/grant/partners/cittalia")
    assert "Fondazione Cittalia" in page.locator("h1").inner_text()
    shoot(page, screenshots, "grant-partner-cittalia")
    page.goto(f"{live_server}/grant-claims/{partner}")
    documents = page.locator(".grant-claim-documents").inner_text()
    assert "Fattura · claim-" in documents and "Quietanza di pagamento · claim-" in documents
    assert "Ammessa" not in page.locator(".grant-claim-evidence").inner_text()
    shoot(page, screenshots, "grant-claim-partner")
    page.goto(f"{live_server}/grant-claims/{city_claim}")
    assert "Ammessa" in page.locator(".grant-claim-evidence").inner_text()
    shoot(page, screenshots, "grant-claim-city-admitted")

    # The one failed request is the refusal the form showed (422, and the browser's console
    # line about it), by design; nothing else (no inline style the CSP refused, say).
    assert [problem for problem in page.problems if "422" not in problem] == []
    assert len(page.problems) == 2
