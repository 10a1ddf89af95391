"""The key flow in a real browser: headless Debian Chromium, driven by Playwright, against the app
served by uvicorn. The app serves its pages under a strict Content-Security-Policy, so an inline
script or style anywhere (ours or injected by a library) shows up as a console error here."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from domain.programme import PROGRAMME_TIMEZONE, Actor, ActorKind, City, Role
from infra.bootstrap import Platform
from infra.nats.server import free_port
from infra.runtime import WebServer
from tests.conftest import skip_outside_ci
from tests.web.conftest import PASSWORD, Clients, an_intake_form, follower_of, record_intake
from web.areas.intake.requests import IntakeRequest
from web.kit.security_headers import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Set to keep the screenshots somewhere to look at; by default they go to the test's temp dir.
SCREENSHOT_DIR_VARIABLE = "LGNET_SCREENSHOT_DIR"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        skip_outside_ci(f"No Chromium at {CHROMIUM}: install Debian's package (apt-get "
                        "install chromium) to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def served(app: FastAPI) -> Iterator[tuple[str, WebServer]]:
    """The app served by uvicorn in a thread, as `lgnet run` serves it (its server ends the live
    streams as it stops): its base URL, and the server, to stop it early."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    server = WebServer(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    with served(app) as (base_url, _server):
        yield base_url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.problems = []
    tab.on("console", lambda message: message.type == "error" and tab.problems.append(
        f"console: {message.text}"))
    tab.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
    tab.on("response", lambda response: response.status >= 400 and tab.problems.append(
        f"HTTP {response.status}: {response.url}"))
    # A request the browser itself aborts, leaving a page while it loads (the favicon, often),
    # is no fault of the app's.
    tab.on("requestfailed", lambda request: request.failure != "net::ERR_ABORTED" and (
        tab.problems.append(f"failed: {request.url} ({request.failure})")))
    yield tab
    context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get(SCREENSHOT_DIR_VARIABLE) or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_a_coordinator_signs_in_records_an_intake_finds_it_in_the_filtered_list_and_signs_out(
    page: Any, live_server: str, screenshots: Path, platform: Platform
) -> None:
    platform.accounts.add_user("firenze.coordinator", Role.CITY_COORDINATOR, PASSWORD,
                               city=City.FIRENZE, display_name="Giulia Bianchi")

    first = page.goto(f"{live_server}/cities/firenze/intake")
    assert first.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.locator("h1").inner_text() == "Accedere"
    page.fill("#username", "firenze.coordinator")
    page.fill("#password", PASSWORD)
    page.screenshot(path=str(screenshots / "sign-in.png"), full_page=True)
    page.click(".sign-in-form button[type=submit]")
    page.wait_for_url(f"{live_server}/cities/firenze/intake")
    assert "Giulia Bianchi" in page.locator(".signed-in-user").inner_text()
    assert page.locator("html").get_attribute("lang") == "it"
    assert page.locator("h1").inner_text().startswith("Nuova presa in carico")
    page.evaluate("document.fonts.ready")
    assert "Titillium Web" in page.evaluate("getComputedStyle(document.body).fontFamily")
    assert page.evaluate("""document.fonts.check('16px "Titillium Web"')""")

    page.select_option("#reception_situation", "never_in_reception")
    assert page.locator("#reception-details").is_hidden()
    page.select_option("#reception_situation", "in_reception")  # the centre, no dates
    assert page.locator("#reception_centre_kind").is_visible()
    assert page.locator("#left_reception_on").is_hidden()
    assert page.locator("#planned_exit_on").is_hidden()
    page.select_option("#reception_situation", "leaving_reception")
    assert page.locator("#planned_exit_on").is_visible()
    assert page.locator("#left_reception_on").is_hidden()
    page.select_option("#reception_situation", "left_reception")
    assert page.locator("#reception-details").is_visible()
    assert page.locator("#left_reception_on").is_visible()
    assert page.locator("#planned_exit_on").is_hidden()

    page.fill("#given_name", "Amanuel")
    page.fill("#family_name", "Tesfaye")
    page.fill("#birth_date", "1994-05-02")
    page.click("label[for=has_identity_document-true]")
    page.fill("#document_number", "PS1234567")
    page.fill("#phone", "+39 333 1234567")
    page.fill("#intake_date", "2021-03-10")
    page.select_option("#protection_status", "refugee")
    page.fill("#left_reception_on", "2021-01-20")
    page.select_option("#reception_centre_kind", "cas")
    page.click("label[for=sex-female]")
    page.select_option("#citizenship", "ER")
    page.fill("#household_size", "3")
    page.click("label[for=vulnerabilities-single_parent_with_minors]")
    page.fill("#information_notice_given_on", "2021-03-10")
    page.select_option("#information_notice_language", "ti")
    page.click("label[for=consents-photographs]")
    page.screenshot(path=str(screenshots / "intake-form.png"), full_page=True)

    page.click(".intake-form button[type=submit]")
    page.wait_for_url(re.compile(r"/cities/firenze/cases\?created="))
    assert "FI-2021-00001" in page.locator(".alert-success").inner_text()
    table = page.locator("#case-table")
    assert "FI-2021-00001" in table.inner_text()
    assert "Genitori singoli con figli minori" in table.inner_text()
    page.screenshot(path=str(screenshots / "case-list.png"), full_page=True)

    # Filtering swaps the table in place: the page (and this marker on it) stays.
    page.evaluate("window.stillTheSamePage = true")
    page.select_option("#filter-vulnerability", "none")
    page.wait_for_url(re.compile(r"vulnerability=none"))
    page.wait_for_selector("#case-table:has-text('Nessun caso corrisponde')")
    page.select_option("#filter-vulnerability", "single_parent_with_minors")
    page.wait_for_selector("#case-table:has-text('FI-2021-00001')")
    assert page.evaluate("window.stillTheSamePage") is True

    page.click(".signed-in-user button[type=submit]")
    page.wait_for_url(re.compile(r"/sign-in\?notice=signed_out"))
    page.goto(f"{live_server}/cities/firenze/cases")
    assert page.locator("h1").inner_text() == "Accedere"

    assert page.problems == []


def test_a_coordinator_reads_a_person_s_identifiers_for_a_reason_then_erases_them(
    page: Any, live_server: str, screenshots: Path, platform: Platform
) -> None:
    platform.accounts.add_user("firenze.coordinator", Role.CITY_COORDINATOR, PASSWORD,
                               city=City.FIRENZE, display_name="Giulia Bianchi")
    intake = IntakeRequest.model_validate(
        {k: v for k, v in an_intake_form().items() if v not in ("", [])} | {"household_size": 1})
    receipt = platform.cases.record_intake(
        platform.new_id(), intake.facts(City.FIRENZE), intake.personal_data(),
        Actor(ActorKind.USER, "firenze.coordinator", Role.CITY_COORDINATOR, City.FIRENZE),
        platform.now())
    follower_of(platform).catch_up()

    page.goto(f"{live_server}/cases/{receipt.case_id}")
    page.fill("#username", "firenze.coordinator")
    page.fill("#password", PASSWORD)
    page.click(".sign-in-form button[type=submit]")
    page.wait_for_url(f"{live_server}/cases/{receipt.case_id}")
    assert "Tesfaye" not in page.content()

    page.select_option("#reason", "contact_person")
    page.click(".identifiers-form button[type=submit]")
    page.wait_for_selector("#identifiers")
    assert "Tesfaye" in page.locator("#identifiers").inner_text()
    # Post/Redirect/Get: the case page under a ticket, which says nothing of the person.
    assert re.fullmatch(rf"{live_server}/cases/{receipt.case_id}\?shown=[\w-]+#personal-data",
                        page.url)
    page.reload()  # a refresh shows them again, and logs no second reading
    assert "Tesfaye" in page.locator("#identifiers").inner_text()
    assert len(platform.vault.accesses()) == 1
    page.screenshot(path=str(screenshots / "identifiers.png"), full_page=True)

    page.click("details.erasure summary")
    page.fill("#request_reference", "PG/2021/0001234")
    page.click("label[for=confirm]")
    page.screenshot(path=str(screenshots / "erasure-form.png"), full_page=True)
    page.click(".erasure-form button[type=submit]")
    page.wait_for_url(f"{live_server}/cases/{receipt.case_id}?done=erase_personal_data")
    assert page.locator("#live-notices[role=status][aria-live=polite]").inner_text() == (
        "I dati identificativi della persona sono stati cancellati.")
    assert "Dati personali cancellati il" in page.locator("#personal-data-erased").inner_text()
    assert page.locator(".identifiers-form").count() == 0
    page.screenshot(path=str(screenshots / "erased.png"), full_page=True)

    assert page.problems == []


def test_the_ministry_dashboard_updates_by_itself_when_a_city_takes_someone_in(
    page: Any, live_server: str, screenshots: Path, clients: Clients
) -> None:
    record_intake(clients, "milano")
    clients.add_user("ministry", Role.MINISTRY)
    page.goto(f"{live_server}/ministry/dashboard")
    page.fill("#username", "ministry")
    page.fill("#password", PASSWORD)
    with page.expect_response(lambda answer: "/live/stream" in answer.url):
        page.click(".sign-in-form button[type=submit]")
    taken_in = page.locator("[data-figure=taken_in] .figure-value")
    assert taken_in.inner_text().strip() == "1"
    page.evaluate("window.stillTheSamePage = true")

    record_intake(clients, "firenze")

    # Waited for with a locator: wait_for_function evaluates a string, which the CSP forbids.
    taken_in.filter(has_text=re.compile(r"^\s*2\s*$")).wait_for()
    assert page.evaluate("window.stillTheSamePage") is True
    page.screenshot(path=str(screenshots / "live-dashboard.png"), full_page=True)
    assert page.problems == []


@pytest.mark.parametrize("width", [390, 1366])
def test_an_operator_s_day_the_queue_leads_to_the_overdue_referral_and_changes_by_itself(
    browser: Any, live_server: str, screenshots: Path, clients: Clients, platform: Platform,
    width: int,
) -> None:
    """Issue 16: sign in, see the work queue, open the overdue referral from it, answer it, and
    see the queue (left open in another tab) drop it without reloading; then write a note of the
    contact with a follow-up today, and see the queue take the follow-up, still without
    reloading."""
    from datetime import timedelta

    from tests.web.conftest import an_intake_payload, clock_of

    operator = clients.operator()
    case = operator.post("/api/v1/cities/firenze/intakes", json=an_intake_payload()).json()
    referred = operator.post(f"/api/v1/cases/{case['case_id']}/referrals", json={
        "destination_kind": "city_service", "service": "legal_aid", "urgency": "immediate"})
    assert referred.status_code == 201, referred.text
    referral_id = referred.json()["referral_id"]
    clock_of(platform).advance(timedelta(days=2))  # the answer is overdue now

    context = browser.new_context(viewport={"width": width, "height": 900}, locale="it-IT")
    home, work = context.new_page(), context.new_page()
    problems: Any = []
    for tab in (home, work):
        tab.set_default_timeout(TIMEOUT_MS)
        tab.on("console", lambda message: message.type == "error" and problems.append(
            f"console: {message.text}"))
        tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    try:
        home.goto(f"{live_server}/")
        home.fill("#username", "firenze.operator")
        home.fill("#password", PASSWORD)
        with home.expect_response(lambda answer: "/live/stream" in answer.url):
            home.click(".sign-in-form button[type=submit]")
        line = home.locator("#work-queue .work-item[data-kind=referral_answer_due]")
        assert line.count() == 1
        assert "Scaduta dal" in line.inner_text()
        assert home.locator(".work-queue-count").inner_text().strip() != ""
        assert home.evaluate(
            "document.querySelector('#work-queue').scrollWidth <= window.innerWidth")
        home.screenshot(path=str(screenshots / f"work-queue-{width}.png"), full_page=True)
        home.evaluate("window.stillTheSamePage = true")
        href = line.locator("a").get_attribute("href")
        assert href == f"/referrals/{referral_id}"

        work.goto(f"{live_server}{href}")  # the same session: the link, opened alongside
        work.click(".accept-form button[type=submit]")
        work.wait_for_url(re.compile(rf".*/referrals/{referral_id}\?done=accept_referral$"))
        assert work.locator("#live-notices").inner_text() == "L'invio è stato accettato."

        home.locator("#work-queue .work-item[data-kind=referral_answer_due]").wait_for(
            state="detached")
        assert home.evaluate("window.stillTheSamePage") is True

        today = platform.now().astimezone(PROGRAMME_TIMEZONE).date().isoformat()
        work.goto(f"{live_server}/cases/{case['case_id']}")
        work.click("#note-form summary")
        work.select_option("#note-kind", "meeting")
        work.fill("#note-contacted_on", today)
        work.fill("#note-duration_minutes", "30")
        work.fill("#note-text", "Colloquio dopo l'invio al servizio legale")
        work.fill("#note-follow_up_on", today)
        work.click("#note-form button[type=submit]")
        work.locator("#note-list .note").first.wait_for()
        follow_up = home.locator("#work-queue .work-item[data-kind=follow_up_due]")
        follow_up.wait_for()
        assert follow_up.locator("a").get_attribute("href") == (
            f"/cases/{case['case_id']}#notes")
        assert home.evaluate("window.stillTheSamePage") is True
        home.screenshot(path=str(screenshots / f"work-queue-follow-up-{width}.png"),
                        full_page=True)
    finally:
        context.close()
    assert problems == []
