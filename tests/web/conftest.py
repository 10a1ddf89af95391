"""The web app built from real parts, through the platform's own composition root
(infra.bootstrap.build_platform): the event store, the encrypted personal-data vault, the read
models and the accounts, all SQLite files in the test's directory. Only the bus is left out: the
read models follow in-process (`Follow.IN_PROCESS`), brought up to date from the notification
log directly, each event mapped as the relay would (`follower_of(platform).catch_up()`; setting
`follower_of(platform).following = False` makes them lag).

Test clients are signed in through the sign-in page, as people are: `client` is Florence's
coordinator, `clients` makes a client for anyone else (`clients.coordinator("milano")`,
`clients.ministry()`, `clients.partner(...)`, ...). The clock is the test's, set inside the
programme's period (`TESTS_START`: new intakes, referrals and placements are refused outside
it) and moved by `clock_of(platform).advance()`; every id handed out for a new case is in
`ids_of(platform).issued`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import State

from domain.programme import PROGRAMME_TIMEZONE, City, Role
from infra.bootstrap import Follow, InProcessFollower, Platform, build_platform
from infra.settings import Settings
from web.app import create_app
from web.kit.authentication import CSRF_HEADER, SESSION_COOKIE

PASSWORD = "a long enough test password"  # noqa: S105  (the test users')
INTAKE_EVENTS = "case.intake_recorded"
# argon2 at its cheapest: the tests sign in hundreds of times; the parameters are not under test.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


# "Now" when a web test starts: inside the programme's period (2019-07-01..2021-12-31), after
# every intake date the tests record, with room to advance days before the period ends.
TESTS_START = datetime(2021, 10, 4, 8, 30, tzinfo=UTC)
TODAY_IN_ITALY = TESTS_START.astimezone(PROGRAMME_TIMEZONE).date().isoformat()


class Clock:
    """The tests' clock: `TESTS_START` when the test starts (intake dates are checked against
    today, new work against the programme's period), moved forward only by `advance`."""

    def __init__(self) -> None:
        self.now = TESTS_START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class IssuedIds:
    """New ids, each kept in `issued`, so a test can look the person up in the vault."""

    def __init__(self) -> None:
        self.issued: list[UUID] = []

    def __call__(self) -> UUID:
        self.issued.append(uuid4())
        return self.issued[-1]


def settings_for_tests(data_dir: Path) -> Settings:
    """SQLite files in `data_dir`, and the values the web tests rely on, whatever LGNET_*
    variables the environment holds."""
    return Settings(data_dir=data_dir, database_url=None, vault_key_file=None,
                    read_your_writes_timeout=1.0, secure_cookies=False, second_factor="off",
                    session_idle_minutes=30, session_hours=8)


@contextmanager
def platform_for_tests(data_dir: Path) -> Iterator[Platform]:
    """The platform the web tests use, in `data_dir`; closed at the end."""
    platform = build_platform(settings_for_tests(data_dir), clock=Clock(), ids=IssuedIds(),
                              follow=Follow.IN_PROCESS, password_hasher=CHEAP_HASHER)
    try:
        yield platform
    finally:
        platform.close()


def clock_of(platform: Platform) -> Clock:
    """The test's clock a platform of `platform_for_tests` runs on."""
    assert isinstance(platform.clock, Clock)
    return platform.clock


def ids_of(platform: Platform) -> IssuedIds:
    """The ids a platform of `platform_for_tests` handed out."""
    assert isinstance(platform.ids, IssuedIds)
    return platform.ids


def follower_of(platform: Platform) -> InProcessFollower:
    """What brings the read models of a platform of `platform_for_tests` up to date."""
    assert isinstance(platform.follower, InProcessFollower)
    return platform.follower


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with platform_for_tests(tmp_path) as built:
        yield built


@dataclass(frozen=True)
class BuiltApp:
    """A web app and the state `create_app` gave it, before any request."""

    app: FastAPI
    state_as_built: dict[str, Any]


@pytest.fixture(scope="session")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> BuiltApp:
    """The web app, built once per test worker: building it (the routes, their dependencies and
    models) takes ~0.85 s of CPU, and over 500 tests ask for one. Each test gets it with
    its own platform (see `app`); the platform it was built with is closed at once."""
    with platform_for_tests(tmp_path_factory.mktemp("app-built-with")) as builder:
        app = create_app(builder)
    return BuiltApp(app, dict(app.state._state))


@pytest.fixture
def app(platform: Platform, built_app: BuiltApp) -> FastAPI:
    """The app answering with this test's platform and sharing nothing else with another
    test's: its state is what `create_app` set (the translations and the templates, which hold
    no data) with this platform's services, without what an earlier test's requests added (the
    readings of identifiers waiting to be shown, the read models' position); its middleware,
    and what each keeps, are made anew on its first request; no dependency is overridden."""
    app = built_app.app
    app.state = State({**built_app.state_as_built, "services": platform})
    app.middleware_stack = None
    app.dependency_overrides.clear()
    return app


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Sign `client` in through the sign-in page; from then on it sends the session's CSRF
    token with every request, as htmx does from the page."""
    response = client.post("/sign-in", data={"username": username, "password": password},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    assert client.cookies[SESSION_COOKIE]
    client.headers[CSRF_HEADER] = csrf_token_on(client.get("/").text)
    return client


def csrf_token_on(page: str) -> str:
    """The CSRF token a page carries in its forms."""
    start = page.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    return page[start:page.index('"', start)]


class Clients:
    """Test clients signed in as the users they are named after, each made (user included) on
    first use; partners get a fresh API token each."""

    def __init__(self, app: FastAPI, platform: Platform) -> None:
        self.app = app
        self.platform = platform
        self._clients: dict[str, TestClient] = {}
        self._opened: list[TestClient] = []

    def anonymous(self) -> TestClient:
        return self._open()

    def coordinator(self, city: str = "firenze") -> TestClient:
        return self.user(f"{city}.coordinator", Role.CITY_COORDINATOR, City(city))

    def operator(self, city: str = "firenze") -> TestClient:
        return self.user(f"{city}.operator", Role.CITY_OPERATOR, City(city))

    def ministry(self) -> TestClient:
        return self.user("ministry", Role.MINISTRY)

    def auditor(self) -> TestClient:
        return self.user("auditor", Role.AUDITOR)

    def user(self, username: str, role: Role, city: City | None = None) -> TestClient:
        if username not in self._clients:
            self.add_user(username, role, city)
            self._clients[username] = sign_in(self._open(), username)
        return self._clients[username]

    def add_user(self, username: str, role: Role, city: City | None = None) -> None:
        if username not in {user.username for user in self.platform.accounts.users()}:
            self.platform.accounts.add_user(username, role, PASSWORD, city=city,
                                            display_name=f"Test {username}")

    def partner(self, *cities: str, kinds: tuple[str, ...] = (INTAKE_EVENTS,),
                name: str = "Partner NGO") -> TestClient:
        issued = self.platform.accounts.issue_token(name, [City(c) for c in cities], kinds)
        client = self._open()
        client.headers["Authorization"] = f"Bearer {issued.token}"
        client.partner_token_id = issued.details.token_id
        return client

    def _open(self) -> TestClient:
        client = TestClient(self.app)
        client.__enter__()
        self._opened.append(client)
        return client

    def close(self) -> None:
        for client in self._opened:
            client.__exit__(None, None, None)


@pytest.fixture
def clients(app: FastAPI, platform: Platform) -> Iterator[Clients]:
    made = Clients(app, platform)
    yield made
    made.close()


@pytest.fixture
def client(clients: Clients) -> TestClient:
    """Florence's coordinator, signed in."""
    return clients.coordinator("firenze")


def an_intake_form(**overrides: Any) -> dict[str, Any]:
    """What a coordinator submits for a valid intake (a refugee who left a CAS)."""
    form: dict[str, Any] = {
        "given_name": "Amanuel",
        "family_name": "Tesfaye",
        "birth_date": "1994-05-02",
        "has_identity_document": "true",
        "document_number": "PS1234567",
        "phone": "+39 333 1234567",
        "email": "",
        "intake_date": "2021-03-10",
        "protection_status": "refugee",
        "reception_situation": "left_reception",
        "left_reception_on": "2021-01-20",
        "reception_centre_kind": "cas",
        "sex": "female",
        "citizenship": "ER",
        "household_size": "1",
        "vulnerabilities": [],
        "information_notice_given_on": "2021-03-10",
        "information_notice_language": "ti",
        "consents": [],
        # Tests take the same person in many times: the duplicate check's warning (a 409) is
        # what tests/web/test_duplicates.py looks at, with this set to "false".
        "new_case_despite_possible_match": "true",
    }
    form.update(overrides)
    if "information_notice_given_on" not in overrides:
        form["information_notice_given_on"] = form["intake_date"]  # given at intake
    return form


def an_intake_payload(**overrides: Any) -> dict[str, Any]:
    """The same intake as the API's JSON body."""
    return an_intake_form(**{"email": None, "household_size": 1,
                              "has_identity_document": True,
                              "new_case_despite_possible_match": True, **overrides})


def record_intake(clients: Clients, city: str = "firenze", **overrides: Any) -> dict[str, Any]:
    """Take a person in through the API, as the city's coordinator; returns the answer's body."""
    response = clients.coordinator(city).post(f"/api/v1/cities/{city}/intakes",
                                              json=an_intake_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
