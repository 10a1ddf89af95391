"""Issue 18 item 18: the second factor through real HTTP: setting it up on
/account/second-factor, the second step of an enrolled person's sign-in, and the required mode
(LGNET_SECOND_FACTOR=required) that holds coordinators, ministry and auditors until enrolled.
The codes are computed by pyotp at the platform's (the test's) clock."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pyotp
from fastapi.testclient import TestClient

from infra.bootstrap import Platform
from tests.web.conftest import PASSWORD, Clients, clock_of
from web.kit.authentication import PENDING_SIGN_IN_COOKIE, SESSION_COOKIE


def enrol(browser: TestClient, now: datetime) -> tuple[str, list[str]]:
    """Set the second factor up on the page; the secret and the recovery codes shown."""
    page = browser.get("/account/second-factor")
    assert page.status_code == 200
    secret = re.search(r'id="second-factor-secret">([A-Z2-7]{32})<', page.text)
    assert secret is not None
    done = browser.post("/account/second-factor", data={
        "secret": secret[1], "code": pyotp.TOTP(secret[1]).at(now)})
    assert done.status_code == 200, done.text[:500]
    return secret[1], re.findall(r"<li>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</li>", done.text)


def password_step(clients: Clients, username: str) -> TestClient:
    browser = clients.anonymous()
    answer = browser.post("/sign-in", data={"username": username, "password": PASSWORD},
                          follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in/code"
    assert SESSION_COOKIE not in browser.cookies and browser.cookies[PENDING_SIGN_IN_COOKIE]
    return browser


def test_setting_up_refuses_a_wrong_code_storing_nothing_then_shows_ten_recovery_codes(
    clients: Clients, platform: Platform
) -> None:
    browser = clients.ministry()
    now = clock_of(platform).now
    page = browser.get("/account/second-factor")
    text = html.unescape(page.text)
    assert "Secondo fattore" in text and "otpauth://totp/LGNet:ministry?secret=" in text
    secret = re.search(r'id="second-factor-secret">([A-Z2-7]{32})<', page.text)
    assert secret is not None

    wrong = browser.post("/account/second-factor", data={"secret": secret[1], "code": "12x456"})

    assert wrong.status_code == 422
    assert "Il codice non è corretto" in html.unescape(wrong.text)
    assert secret[1] in wrong.text  # the same secret, to try again
    assert platform.accounts.second_factor("ministry") is None

    done = browser.post("/account/second-factor", data={
        "secret": secret[1], "code": pyotp.TOTP(secret[1]).at(now)})

    codes = re.findall(r"<li>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})</li>", done.text)
    assert done.status_code == 200 and len(set(codes)) == 10
    assert "Codici di recupero" in html.unescape(done.text)
    shown_again = browser.get("/account/second-factor")
    assert secret[1] not in shown_again.text and codes[0] not in shown_again.text
    assert "codici di recupero rimasti: 10" in html.unescape(shown_again.text)


def test_an_enrolled_person_signs_in_only_with_a_right_code_never_a_replayed_one(
    clients: Clients, platform: Platform
) -> None:
    clock = clock_of(platform)
    secret, _ = enrol(clients.auditor(), clock.now)
    clock.advance(timedelta(seconds=30))
    totp = pyotp.TOTP(secret)

    browser = password_step(clients, "auditor")
    assert "Inserire il codice" in html.unescape(browser.get("/sign-in/code").text)
    # No session yet: the API names the missing step.
    api = browser.get("/api/v1/cities/milano/cases")
    assert api.status_code == 401
    assert api.json()["problems"][0]["code"] == "second_factor_code_required"
    assert browser.post("/sign-in/code", data={"code": ""}).status_code == 422
    wrong = browser.post("/sign-in/code", data={"code": "000000" if totp.at(clock.now)
                                                != "000000" else "111111"})
    assert wrong.status_code == 401 and SESSION_COOKIE not in browser.cookies
    assert "non è corretto" in html.unescape(wrong.text)

    right = browser.post("/sign-in/code", data={"code": totp.at(clock.now), "next": "/"},
                         follow_redirects=False)

    assert right.status_code == 303 and right.headers["location"] == "/"
    assert browser.cookies[SESSION_COOKIE]
    assert browser.get("/", follow_redirects=False).status_code == 200
    replay = password_step(clients, "auditor").post("/sign-in/code",
                                                     data={"code": totp.at(clock.now)})
    assert replay.status_code == 401


def test_a_recovery_code_signs_in_once(clients: Clients, platform: Platform) -> None:
    _, codes = enrol(clients.coordinator("milano"), clock_of(platform).now)

    first = password_step(clients, "milano.coordinator").post(
        "/sign-in/code", data={"code": codes[0]}, follow_redirects=False)
    again = password_step(clients, "milano.coordinator").post(
        "/sign-in/code", data={"code": codes[0]}, follow_redirects=False)

    assert first.status_code == 303
    assert again.status_code == 401


def test_without_a_pending_sign_in_the_code_step_leads_back_to_the_password(
    clients: Clients,
) -> None:
    browser = clients.anonymous()
    assert browser.get("/sign-in/code", follow_redirects=False).headers["location"] == "/sign-in"
    posted = browser.post("/sign-in/code", data={"code": "123456"}, follow_redirects=False)
    assert posted.status_code == 303
    assert "notice=second_factor_expired" in posted.headers["location"]


def test_required_mode_holds_coordinators_until_enrolled_but_not_operators(
    clients: Clients, platform: Platform
) -> None:
    platform.accounts.second_factor_required = True
    coordinator = clients.coordinator("milano")
    operator = clients.operator("milano")

    page = coordinator.get("/cities/milano/cases", follow_redirects=False)
    api = coordinator.get("/api/v1/cities/milano/cases")
    posted = coordinator.post("/api/v1/account/password",
                              json={"current_password": PASSWORD, "new_password": "x" * 20})

    assert page.status_code == 303 and page.headers["location"] == "/account/second-factor"
    assert api.status_code == 403
    assert api.json()["problems"][0]["code"] == "second_factor_enrolment_required"
    assert posted.status_code == 403
    assert operator.get("/cities/milano/cases", follow_redirects=False).status_code == 200
    assert operator.get("/api/v1/cities/milano/cases").status_code == 200

    enrol(coordinator, clock_of(platform).now)

    assert coordinator.get("/cities/milano/cases", follow_redirects=False).status_code == 200
    assert coordinator.get("/api/v1/cities/milano/cases").status_code == 200
