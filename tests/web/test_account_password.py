"""Issue 18 item 18: every person who signs in changes their own password, on a page and through
the API, given the current one; their other sessions end. Partners (API tokens) cannot."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from domain.programme import City, Role
from tests.web.conftest import PASSWORD, Clients, sign_in
from web.kit.authentication import CSRF_HEADER, SESSION_COOKIE

NEW_PASSWORD = "a brand new pass phrase"  # noqa: S105  (the test's)


def signs_in(clients: Clients, username: str, password: str) -> bool:
    response = clients.anonymous().post("/sign-in", data={"username": username,
                                                          "password": password},
                                        follow_redirects=False)
    return bool(response.status_code == 303)


@pytest.mark.parametrize(("username", "role", "city"), [
    ("firenze.operator", Role.CITY_OPERATOR, City.FIRENZE),
    ("firenze.coordinator", Role.CITY_COORDINATOR, City.FIRENZE),
    ("ministry", Role.MINISTRY, None),
    ("auditor", Role.AUDITOR, None),
])
def test_every_role_changes_its_password_on_the_page_and_its_other_sessions_end(
    clients: Clients, username: str, role: Role, city: City | None
) -> None:
    browser = clients.user(username, role, city)
    other_browser = sign_in(clients.anonymous(), username)
    page = browser.get("/account/password")
    assert page.status_code == 200
    assert "Cambiare la password" in page.text
    assert 'href="/account/password"' in page.text  # the link beside the user's name

    changed = browser.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirmation": NEW_PASSWORD})

    assert changed.status_code == 200
    assert "La password è stata cambiata." in html.unescape(changed.text)
    assert browser.get("/", follow_redirects=False).status_code == 200  # this one goes on
    assert other_browser.get("/", follow_redirects=False).status_code == 303
    assert not signs_in(clients, username, PASSWORD)
    assert signs_in(clients, username, NEW_PASSWORD)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"current_password": "not the password"}, "current_password",
     "The current password is not right."),
    ({"new_password": "too short", "confirmation": "too short"}, "new_password",
     "A new password has at least 12 characters (at most 1024)"),
    ({"new_password": PASSWORD, "confirmation": PASSWORD}, "new_password",
     "differs from the current one"),
    ({"confirmation": NEW_PASSWORD + "!"}, "confirmation",
     "The new password and its confirmation differ."),
])
def test_a_refused_change_says_why_and_changes_nothing(
    client: TestClient, clients: Clients, fields: dict[str, str], field: str, message: str
) -> None:
    form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD, **fields}

    refused = client.post("/account/password", data=form, params={"lang": "en"})

    assert refused.status_code == 422
    assert message in html.unescape(refused.text)
    assert f'id="{field}" name="{field}"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert signs_in(clients, "firenze.coordinator", PASSWORD)


def test_wrong_current_passwords_are_throttled_as_sign_ins(client: TestClient) -> None:
    for _ in range(5):
        assert client.post("/account/password", data={
            "current_password": "not the password", "new_password": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD}).status_code == 422

    throttled = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirmation": NEW_PASSWORD})

    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "60"


def test_the_api_changes_the_password_with_the_session_and_its_csrf_token(
    client: TestClient, clients: Clients
) -> None:
    wrong = client.post("/api/v1/account/password", json={
        "current_password": "not the password", "new_password": NEW_PASSWORD})
    short = client.post("/api/v1/account/password", json={
        "current_password": PASSWORD, "new_password": "short"})
    no_csrf = client.post("/api/v1/account/password", headers={CSRF_HEADER: "x"}, json={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD})
    changed = client.post("/api/v1/account/password", json={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert (wrong.status_code, wrong.json()["problems"][0]["field"]) == (422,
                                                                         "current_password")
    assert (short.status_code, short.json()["problems"][0]["field"]) == (422, "new_password")
    assert no_csrf.status_code == 403
    assert changed.status_code == 204
    assert signs_in(clients, "firenze.coordinator", NEW_PASSWORD)


def test_a_partner_token_changes_no_password(clients: Clients) -> None:
    partner = clients.partner("milano")

    refused = partner.post("/api/v1/account/password", json={"nonsense": 1})
    page = partner.get("/account/password", follow_redirects=False)

    assert refused.status_code == 403
    assert page.status_code == 303 and SESSION_COOKIE not in partner.cookies
