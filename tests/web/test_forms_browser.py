"""Forms in a real browser (headless Chromium under the pages' strict Content-Security-Policy):
a form with several wrong fields shows all of them on the first submit (issue 14 item 2)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from domain.programme import City, Role
from infra.bootstrap import Platform
from tests.web.conftest import PASSWORD, Clients, an_intake_payload
from tests.web.test_browser import browser, live_server, page, screenshots  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_intake_form_with_five_wrong_fields_shows_five_errors_on_the_first_submit(
    page: Any, live_server: str, screenshots: Path, platform: Platform,  # noqa: F811
    clients: Clients,
) -> None:
    platform.accounts.add_user("firenze.coordinator", Role.CITY_COORDINATOR, PASSWORD,
                               city=City.FIRENZE, display_name="Giulia Bianchi")
    page.goto(f"{live_server}/cities/firenze/intake")
    page.fill("#username", "firenze.coordinator")
    page.fill("#password", PASSWORD)
    page.click(".sign-in-form button[type=submit]")
    page.wait_for_url(f"{live_server}/cities/firenze/intake")

    page.fill("#given_name", "Amanuel")
    # family name left empty: required
    page.fill("#birth_date", "2021-12-15")  # after the intake
    page.click("label[for=has_identity_document-false]")
    page.fill("#intake_date", "2021-12-01")  # in the future (the clock says 2021-03-10)
    page.select_option("#protection_status", "refugee")
    page.select_option("#reception_situation", "never_in_reception")
    page.click("label[for=sex-female]")
    page.select_option("#citizenship", "ER")
    page.fill("#household_size", "0")  # at least 1
    page.fill("#information_notice_given_on", "2021-12-20")  # after the intake
    page.select_option("#information_notice_language", "ti")
    submits: list[str] = []

    def count_posts(request: Any) -> None:
        if request.method == "POST":
            submits.append(request.url)

    page.on("request", count_posts)
    page.click(".intake-form button[type=submit]")
    page.wait_for_selector("#error-summary")

    assert len(submits) == 1
    summary = page.locator("#error-summary li")
    assert summary.count() == 5
    links = {re.sub(r"^#", "", summary.nth(i).locator("a").get_attribute("href") or "")
             for i in range(5)}
    assert links == {"family_name", "birth_date", "intake_date", "household_size",
                     "information_notice_given_on"}
    for field in links:
        assert page.locator(f"#{field}-error").is_visible(), field
        assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true", field
    assert "nel futuro" in page.locator("#intake_date-error").inner_text()
    page.screenshot(path=str(screenshots / "intake-five-errors.png"), full_page=True)
    # The refusal is a 422, which the browser logs as such: nothing else.
    problems = [p for p in page.problems if "422" not in p]
    assert problems == []

    # The API tells every rule broken too, each with its code and field.
    answer = clients.coordinator().post("/api/v1/cities/firenze/intakes", json=an_intake_payload(
        intake_date="2021-12-01", birth_date="2021-12-15", household_size=0,
        information_notice_given_on="2021-12-20"))
    assert answer.status_code == 422
    assert [(p["code"], p["field"]) for p in answer.json()["problems"]] == [
        ("invalid_intake", "intake_date"), ("invalid_intake", "birth_date"),
        ("invalid_intake", "household_size"),
        ("information_notice_missing", "information_notice_given_on")]
    assert platform.last_written_position() is None  # nothing written
