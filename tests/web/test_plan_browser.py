"""An operator's individual plan in a real browser (headless Chromium under the pages' strict
Content-Security-Policy): start the plan, agree a goal, add an action under it, review the plan,
and see it all on the plan page and on the case page, with no console error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.programme import City, Role
from infra.bootstrap import Platform
from tests.web.conftest import PASSWORD, Clients, record_intake
from tests.web.test_browser import browser, live_server, page, screenshots  # noqa: F401

pytestmark = pytest.mark.browser


def test_an_operator_writes_a_plan_with_a_goal_an_action_and_a_review(
    page: Any, live_server: str, screenshots: Path, platform: Platform,  # noqa: F811
    clients: Clients,
) -> None:
    case_id = record_intake(clients)["case_id"]
    platform.accounts.add_user("firenze.operatore", Role.CITY_OPERATOR, PASSWORD,
                               city=City.FIRENZE, display_name="Marco Rossi")
    page.goto(f"{live_server}/cases/{case_id}/plan")
    page.fill("#username", "firenze.operatore")
    page.fill("#password", PASSWORD)
    page.click(".sign-in-form button[type=submit]")
    page.wait_for_url(f"{live_server}/cases/{case_id}/plan")
    assert page.locator("h1").inner_text() == "Progetto individualizzato – FI-2021-00001"

    page.fill("#start-started_on", "2021-03-15")
    page.fill("#start-next_review_on", "2021-06-15")
    page.click("#start-form button[type=submit]")
    page.wait_for_selector("#plan-summary")

    page.click("#goal-form summary")
    page.select_option("#goal-area", "language")
    page.fill("#goal-text", "Raggiungere il livello A2 di italiano")
    page.fill("#goal-agreed_on", "2021-03-15")
    page.fill("#goal-target_date", "2021-12-15")
    page.click("#goal-form button[type=submit]")
    page.wait_for_selector(".plan-goal:has-text('Raggiungere il livello A2 di italiano')")

    goal = page.locator(".plan-goal").first
    goal.locator("summary", has_text="Aggiungere un'azione").click()
    goal.locator("textarea[name=text]").fill("Iscrizione al corso del CPIA")
    goal.locator("select[name=owner]").select_option("person")
    goal.locator("input[name=due_on]").fill("2021-04-01")
    goal.locator("form[id^=action-] button[type=submit]").click()
    page.wait_for_selector(".plan-actions:has-text('Iscrizione al corso del CPIA')")

    page.click("#review-form summary")
    page.fill("#review-reviewed_on", "2021-06-15")
    page.fill("#review-text", "Frequenta il corso con regolarità")
    page.fill("#review-next_review_on", "2021-09-15")
    page.click("#review-form button[type=submit]")
    page.wait_for_selector(".plan-review:has-text('Frequenta il corso con regolarità')")
    page.screenshot(path=str(screenshots / "plan.png"), full_page=True)

    page.click("nav.breadcrumb-container a:has-text('FI-2021-00001')")
    page.wait_for_url(f"{live_server}/cases/{case_id}")
    section = page.locator("#case-plan").inner_text()
    assert "Lingua italiana: Raggiungere il livello A2 di italiano" in section
    assert "Prossima verifica il 15 settembre 2021." in section
    page.screenshot(path=str(screenshots / "case-plan.png"), full_page=True)

    assert page.problems == []
