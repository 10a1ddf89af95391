"""Signing in and out, sessions that end, CSRF tokens on every unsafe request of a session, and
partner systems' API tokens, through HTTP as browsers and partner systems use them."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from domain.programme import City, Role
from infra.bootstrap import Platform
from tests.web.conftest import (
    INTAKE_EVENTS,
    PASSWORD,
    Clients,
    an_intake_form,
    an_intake_payload,
    clock_of,
    csrf_token_on,
    ids_of,
    record_intake,
    sign_in,
)
from web.kit.authentication import CSRF_HEADER, SESSION_COOKIE


def text_of(response: Any) -> str:
    return html.unescape(response.text)


@pytest.fixture
def anonymous(clients: Clients) -> TestClient:
    clients.add_user("firenze.operator", Role.CITY_OPERATOR, City.FIRENZE)
    return clients.anonymous()


def test_a_page_asks_to_sign_in_and_leads_back_to_itself_afterwards(
    anonymous: TestClient,
) -> None:
    asked = anonymous.get("/cities/firenze/cases?vulnerability=any", follow_redirects=False)

    assert asked.status_code == 303
    assert asked.headers["location"] == (
        "/sign-in?next=%2Fcities%2Ffirenze%2Fcases%3Fvulnerability%3Dany")
    form = anonymous.get(asked.headers["location"])
    assert 'name="next" value="/cities/firenze/cases?vulnerability=any"' in form.text
    assert "Accedere" in form.text

    signed_in = anonymous.post("/sign-in", data={
        "username": "firenze.operator", "password": PASSWORD,
        "next": "/cities/firenze/cases?vulnerability=any"}, follow_redirects=False)

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/cities/firenze/cases?vulnerability=any"
    assert anonymous.get(signed_in.headers["location"]).status_code == 200


def test_the_session_cookie_is_http_only_same_site_and_secure_when_asked(
    anonymous: TestClient, platform: Platform, clients: Clients
) -> None:
    plain = anonymous.post("/sign-in", data={"username": "firenze.operator",
                                             "password": PASSWORD}, follow_redirects=False)
    platform.secure_cookies = True
    secure = clients.anonymous().post("/sign-in", data={
        "username": "firenze.operator", "password": PASSWORD}, follow_redirects=False)
    platform.secure_cookies = False
    over_https = TestClient(anonymous.app, base_url="https://testserver").post(
        "/sign-in", data={"username": "firenze.operator", "password": PASSWORD},
        follow_redirects=False)

    for response, is_secure in ((plain, False), (secure, True), (over_https, True)):
        # Signing in also drops a past moment a previous session viewed (web.kit.as_of). A
        # Secure session cookie has the __Host- prefix (issue 18, item 16), and the answer
        # tells the browser to keep to https (HSTS).
        name = f"__Host-{SESSION_COOKIE}" if is_secure else SESSION_COOKIE
        cookie = next(header.lower() for header in response.headers.get_list("set-cookie")
                      if header.startswith(f"{name}="))
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert "domain=" not in cookie
        assert ("; secure" in cookie) is is_secure
        assert (response.headers.get("strict-transport-security") == "max-age=31536000") is (
            is_secure)


def test_a_secure_platform_reads_the_session_from_the_host_cookie_only(
    anonymous: TestClient, platform: Platform, clients: Clients,
) -> None:
    platform.secure_cookies = True
    try:
        client = clients.anonymous()
        signed_in = client.post("/sign-in", data={"username": "firenze.operator",
                                                  "password": PASSWORD}, follow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text
        (token,) = [header.split(";")[0].split("=", 1)[1]
                    for header in signed_in.headers.get_list("set-cookie")
                    if header.startswith(f"__Host-{SESSION_COOKIE}=")]
        with_host_cookie = TestClient(client.app, cookies={f"__Host-{SESSION_COOKIE}": token})
        assert with_host_cookie.get("/cities/firenze/cases").status_code == 200
        # The same token under the plain name (as a plain-http page or a sibling subdomain
        # could plant it) signs nobody in.
        planted = TestClient(client.app, cookies={SESSION_COOKIE: token})
        assert planted.get("/cities/firenze/cases", follow_redirects=False).status_code in (
            303, 401)
    finally:
        platform.secure_cookies = False


def test_a_wrong_password_is_refused_in_words_keeping_the_username(
    anonymous: TestClient,
) -> None:
    response = anonymous.post("/sign-in", data={"username": "firenze.operator",
                                                "password": "wrong password"})

    assert response.status_code == 401
    assert "Nome utente o password errati, oppure l'account è disattivato." in text_of(response)
    assert 'value="firenze.operator"' in response.text
    assert SESSION_COOKIE not in anonymous.cookies


def test_an_empty_form_is_asked_again(anonymous: TestClient) -> None:
    response = anonymous.post("/sign-in", data={"username": "firenze.operator"})

    assert response.status_code == 422
    assert "Inserire il nome utente e la password." in response.text


def test_after_five_failures_the_next_try_waits_a_minute_with_a_clear_message(
    anonymous: TestClient, platform: Platform
) -> None:
    for _ in range(5):
        assert anonymous.post("/sign-in", data={"username": "firenze.operator",
                                                "password": "wrong password"}).status_code == 401

    locked = anonymous.post("/sign-in", data={"username": "firenze.operator",
                                              "password": PASSWORD}, params={"lang": "en"})

    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) == 60
    assert "Too many failed sign-ins for this account or from this address: signing in is " \
           "locked until" in text_of(locked)
    assert SESSION_COOKIE not in anonymous.cookies
    clock_of(platform).advance(timedelta(minutes=1))
    assert anonymous.post("/sign-in", data={"username": "firenze.operator",
                                            "password": PASSWORD},
                          follow_redirects=False).status_code == 303


def test_twenty_failures_with_invented_usernames_do_not_lock_the_real_user_out(
    anonymous: TestClient, clients: Clients
) -> None:
    """Issue 18 item 17: every client behind a proxy has one address; without trusted proxies
    no limit is kept per address, so a stranger's guesses cost nobody else their sign-in."""
    for attempt in range(20):
        guessed = anonymous.post("/sign-in", data={"username": f"ministero{attempt}",
                                                   "password": "wrong password"})
        assert guessed.status_code == 401

    real_user = clients.anonymous().post("/sign-in", data={
        "username": "firenze.operator", "password": PASSWORD}, follow_redirects=False)

    assert real_user.status_code == 303


def test_signing_out_ends_the_session_for_good(client: TestClient) -> None:
    cookie = client.cookies[SESSION_COOKIE]

    response = client.post("/sign-out", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?notice=signed_out"
    assert SESSION_COOKIE not in client.cookies
    assert "La sessione è stata chiusa." in client.get(response.headers["location"]).text
    client.cookies.set(SESSION_COOKIE, cookie)  # the old cookie, replayed
    replayed = client.get("/cities/firenze", follow_redirects=False)
    assert replayed.status_code == 303
    assert "notice=session_ended" in replayed.headers["location"]


def test_a_session_ends_after_30_idle_minutes_for_pages_htmx_and_the_api(
    client: TestClient, platform: Platform
) -> None:
    clock_of(platform).advance(timedelta(minutes=29))
    assert client.get("/cities/firenze").status_code == 200
    clock_of(platform).advance(timedelta(minutes=30))

    page = client.get("/cities/firenze/cases", follow_redirects=False)
    fragment = client.get("/cities/firenze/cases", headers={"HX-Request": "true"})
    api = client.get("/api/v1/cities/firenze/cases")

    assert page.status_code == 303
    assert page.headers["location"] == (
        "/sign-in?next=%2Fcities%2Ffirenze%2Fcases&notice=session_ended")
    assert "La sessione è terminata" in client.get(page.headers["location"]).text
    assert fragment.status_code == 401
    assert fragment.headers["hx-redirect"].startswith("/sign-in?next=")
    assert api.status_code == 401
    assert api.json()["problems"][0]["code"] == "session_ended"
    assert "case_code" not in api.text


def test_a_session_ends_8_hours_after_sign_in_however_busy(
    client: TestClient, platform: Platform
) -> None:
    for _ in range(23):
        clock_of(platform).advance(timedelta(minutes=20))
        assert client.get("/cities/firenze").status_code == 200
    clock_of(platform).advance(timedelta(minutes=20))

    assert client.get("/cities/firenze", follow_redirects=False).status_code == 303


def test_a_disabled_user_is_out_at_the_next_request(
    client: TestClient, platform: Platform
) -> None:
    platform.accounts.disable_user("firenze.coordinator")

    assert client.get("/cities/firenze", follow_redirects=False).status_code == 303


def test_signing_in_replaces_the_session_the_browser_had(
    clients: Clients, platform: Platform
) -> None:
    browser = clients.coordinator("firenze")
    first = browser.cookies[SESSION_COOKIE]

    sign_in(browser, "firenze.coordinator")

    assert browser.cookies[SESSION_COOKIE] != first
    assert platform.accounts.session(first) is None


def test_a_signed_in_person_asking_for_the_sign_in_page_goes_on_to_the_home_page(
    client: TestClient,
) -> None:
    response = client.get("/sign-in", follow_redirects=False)

    assert (response.status_code, response.headers["location"]) == (303, "/")


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x",
                                       "/\\evil.example", "javascript:alert(1)", "/sign-out"])
def test_after_signing_in_nobody_is_sent_off_the_site(
    anonymous: TestClient, next_path: str
) -> None:
    response = anonymous.post("/sign-in", data={
        "username": "firenze.operator", "password": PASSWORD, "next": next_path},
        follow_redirects=False)

    assert response.headers["location"] == "/"


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://lgnet.evil.example"},
    # Issue 18 item 9: what a sandboxed frame or a data: page sends.
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
])
def test_another_site_cannot_sign_a_browser_in(
    anonymous: TestClient, headers: dict[str, str]
) -> None:
    response = anonymous.post("/sign-in", data={"username": "firenze.operator",
                                                "password": PASSWORD}, headers=headers)

    assert response.status_code == 403
    assert SESSION_COOKIE not in anonymous.cookies


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
    {"Origin": "http://testserver"},
    # Behind a proxy that does not pass the Host on, the browser's own verdict still counts.
    {"Sec-Fetch-Site": "same-origin", "Origin": "https://lgnet.example.it"},
])
def test_the_sign_in_page_s_own_form_signs_in(
    anonymous: TestClient, headers: dict[str, str]
) -> None:
    response = anonymous.post("/sign-in", data={"username": "firenze.operator",
                                                "password": PASSWORD}, headers=headers,
                              follow_redirects=False)

    assert response.status_code == 303
    assert SESSION_COOKIE in anonymous.cookies


def test_the_pages_show_who_is_signed_in_and_carry_the_csrf_token_for_htmx(
    client: TestClient,
) -> None:
    page = client.get("/cities/firenze/cases")

    token = client.headers[CSRF_HEADER]
    assert f"""<body hx-headers='{{"X-CSRF-Token": "{token}"}}'>""" in page.text
    user = re.search(r'<div class="signed-in-user">(.*?)</div>', page.text, re.S)
    assert user is not None
    assert "Test firenze.coordinator · Coordinatore comunale, Firenze" in text_of(page)
    assert f'name="csrf_token" value="{token}"' in user.group(1)
    assert 'action="/sign-out"' in user.group(1)


# --- CSRF -------------------------------------------------------------------------------------


def without_csrf_header(client: TestClient) -> TestClient:
    del client.headers[CSRF_HEADER]
    return client


def test_the_intake_form_posts_its_csrf_token_in_a_hidden_field(
    client: TestClient, platform: Platform
) -> None:
    form_page = client.get("/cities/firenze/intake").text
    token = csrf_token_on(form_page)
    without_csrf_header(client)

    response = client.post("/cities/firenze/intake",
                           data={**an_intake_form(), "csrf_token": token},
                           follow_redirects=False)

    assert response.status_code == 303
    assert platform.last_written_position() is not None


@pytest.mark.parametrize("sent", [None, "", "0" * 64, "other session"])
def test_an_unsafe_request_without_the_session_s_csrf_token_is_refused_and_writes_nothing(
    client: TestClient, clients: Clients, platform: Platform, sent: str | None
) -> None:
    if sent == "other session":
        sent = clients.operator("firenze").headers[CSRF_HEADER]
    without_csrf_header(client)
    headers = {} if sent is None else {CSRF_HEADER: sent}
    fields = {} if sent is None else {"csrf_token": sent}

    attempts = [
        client.post("/cities/firenze/intake", data={**an_intake_form(), **fields},
                    headers=headers),
        client.post("/api/v1/cities/firenze/intakes", json=an_intake_payload(),
                    headers=headers),
        client.post("/sign-out", data=fields, headers=headers),
    ]

    for response in attempts:
        assert response.status_code == 403, response.request.url
        assert "codice di sicurezza della sessione" in text_of(response)
    assert platform.last_written_position() is None
    assert ids_of(platform).issued == []
    assert client.get("/cities/firenze").status_code == 200  # still signed in


def test_a_form_too_large_to_be_ours_is_refused(client: TestClient) -> None:
    without_csrf_header(client)

    response = client.post("/cities/firenze/intake",
                           data={"given_name": "x" * 300_000, "csrf_token": "x"})

    assert response.status_code == 413


# --- partner tokens ---------------------------------------------------------------------------


@pytest.fixture
def milano_and_firenze_cases(clients: Clients) -> dict[str, dict[str, Any]]:
    return {
        "milano": record_intake(clients, "milano", vulnerabilities=["trafficking_victim"]),
        "firenze": record_intake(clients, "firenze", vulnerabilities=["pregnancy"]),
    }


def test_a_partner_token_reads_its_city_minimised_and_nothing_else(
    clients: Clients, milano_and_firenze_cases: dict[str, dict[str, Any]]
) -> None:
    partner = clients.partner("milano")
    milano, firenze = milano_and_firenze_cases["milano"], milano_and_firenze_cases["firenze"]

    listing = partner.get("/api/v1/cities/milano/cases")
    case = partner.get(f"/api/v1/cases/{milano['case_id']}")

    assert listing.status_code == 200
    [item] = listing.json()["items"]
    assert item["case_code"] == milano["case_code"]
    assert item["vulnerabilities"] is None
    assert case.status_code == 200
    body = case.json()
    assert body["vulnerabilities"] is None and body["eligibility"] is None
    [entry] = body["history"]
    assert entry["type"] == "it.lgnet.case.intake_recorded.v2"
    assert entry["actor"] == {"kind": "user", "id": None, "role": "city_coordinator",
                              "city": "milano"}
    assert "trafficking" not in listing.text + case.text

    other_city = partner.get("/api/v1/cities/firenze/cases")
    other_case = partner.get(f"/api/v1/cases/{firenze['case_id']}")
    overview = partner.get("/api/v1/network/overview")
    assert other_city.status_code == 403
    assert other_case.status_code == 404
    assert overview.status_code == 403
    for refused in (other_city, other_case, overview):
        assert firenze["case_code"] not in refused.text
        assert set(refused.json()) == {"message", "problems"}


def test_a_partner_cannot_filter_by_vulnerability_nor_write(
    clients: Clients, milano_and_firenze_cases: dict[str, dict[str, Any]]
) -> None:
    partner = clients.partner("milano")

    filtered = partner.get("/api/v1/cities/milano/cases", params={"vulnerability": "any"})
    written = partner.post("/api/v1/cities/milano/intakes", json=an_intake_payload())

    assert filtered.status_code == 403
    assert filtered.json()["problems"][0]["field"] == "vulnerability"
    assert written.status_code == 403


def test_a_partner_whose_agreement_leaves_out_intakes_reads_no_case(
    clients: Clients, milano_and_firenze_cases: dict[str, dict[str, Any]]
) -> None:
    partner = clients.partner("milano", kinds=("referral.accepted",))

    assert partner.get("/api/v1/cities/milano/cases").status_code == 403
    milano_case = milano_and_firenze_cases["milano"]["case_id"]
    assert partner.get(f"/api/v1/cases/{milano_case}").status_code == 404


def test_a_revoked_or_made_up_token_is_refused(
    clients: Clients, platform: Platform
) -> None:
    partner = clients.partner("milano")
    assert partner.get("/api/v1/cities/milano/cases").status_code == 200
    platform.accounts.revoke_token(partner.partner_token_id)

    revoked = partner.get("/api/v1/cities/milano/cases")
    made_up = clients.anonymous().get("/api/v1/cities/milano/cases",
                                      headers={"Authorization": "Bearer lgp_0000_guess"})
    basic = clients.anonymous().get("/api/v1/cities/milano/cases",
                                    headers={"Authorization": "Basic dXNlcjpwYXNz"})

    for response in (revoked, made_up, basic):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == (
            'Bearer realm="lgnet", error="invalid_token"')
        assert response.json()["problems"][0]["code"] == "invalid_token"


def test_an_expired_token_is_refused_with_401_saying_when_it_expired(
    clients: Clients, platform: Platform
) -> None:
    """Issue 18 item 18: partner tokens expire (90 days by default)."""
    partner = clients.partner("milano")
    clock_of(platform).advance(timedelta(days=90))

    expired = partner.get("/api/v1/cities/milano/cases", params={"lang": "en"})
    in_italian = partner.get("/api/v1/cities/milano/cases")

    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == 'Bearer realm="lgnet", error="invalid_token"'
    [problem] = expired.json()["problems"]
    assert problem["code"] == "token_expired"
    assert problem["message"].startswith("The API token expired on ")
    assert "lgnet tokens rotate" in problem["message"]
    assert in_italian.json()["message"].startswith("Il token API è scaduto il ")


def test_a_partner_token_opens_no_page(clients: Clients) -> None:
    partner = clients.partner("milano")

    response = partner.get("/cities/milano/cases", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


# --- logs -------------------------------------------------------------------------------------


def test_no_password_token_session_id_or_personal_identifier_reaches_the_logs(
    clients: Clients, platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clients.add_user("firenze.operator", Role.CITY_OPERATOR, City.FIRENZE)
    browser = clients.anonymous()
    for _ in range(6):
        browser.post("/sign-in", data={"username": "firenze.operator", "password": "Wr0ng-pw!"})
    clock_of(platform).advance(timedelta(minutes=16))
    operator = sign_in(browser, "firenze.operator")
    operator.post("/cities/firenze/intake", data=an_intake_form(given_name="Zewditu",
                                                                document_number="ZX998877"))
    partner = clients.partner("firenze", kinds=(INTAKE_EVENTS,))
    partner.get("/api/v1/cities/firenze/cases")
    token = partner.headers["Authorization"].removeprefix("Bearer ")

    secrets = [PASSWORD, "Wr0ng-pw!", operator.cookies[SESSION_COOKIE],
               operator.headers[CSRF_HEADER], token, "Zewditu", "ZX998877"]
    assert caplog.records  # the throttle's lock was logged, at least
    logged = caplog.text
    for secret in secrets:
        assert secret not in logged
