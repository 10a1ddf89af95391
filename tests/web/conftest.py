"""The web app built from real parts: the event store (SQLite), the encrypted personal-data vault
(SQLite), the case service, the read models and both projections, and the accounts (SQLite).
Only the bus is left out: `wait_for_position` brings the read models up to date from the
notification log directly, mapping each event as the relay would.

Test clients are signed in through the sign-in page, as people are: `client` is Florence's
coordinator, `clients` makes a client for anyone else (`clients.coordinator("milano")`,
`clients.ministry()`, `clients.partner(...)`, ...). The clock is the test's:
`platform.clock.advance()`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from domain.activities.service import ActivityService
from domain.cases.service import CaseService
from domain.finance.service import FinanceService
from domain.housing.service import HousingService
from domain.network import City, Role
from domain.record import ProgrammeRecord
from domain.referrals.service import ReferralService
from domain.vault import PersonalDataVault
from infra.accounts import Accounts, SqliteAccountDatabase
from infra.audit_store import AuditChainStore
from infra.bootstrap import workflows_over
from infra.checkpoints import SigningKey
from infra.event_browser import EventBrowser
from infra.projector import default_projections
from infra.publishing import PUBLIC_TOPICS, to_message
from infra.replay import AsOfServices, ReplayCache
from infra.vault import KEY_BYTES, SqliteVault
from projections.activities import ActivityRegisterQueries
from projections.case_list import CaseListQueries
from projections.finance import FinanceQueries
from projections.housing import HousingQueries
from projections.indicators import IndicatorQueries
from projections.network_overview import NetworkOverviewQueries
from projections.projection import Delivered, Projection, apply_batch, ensure_created
from projections.referrals import ReferralBoardQueries
from projections.storage import SqliteReadModels
from web.app import create_app
from web.kit.authentication import CSRF_HEADER, SESSION_COOKIE
from web.services import WebServices

_NOTIFICATIONS_PER_BATCH = 500
PASSWORD = "a long enough test password"  # noqa: S105  (the test users')
INTAKE_EVENTS = "case.intake_recorded"
# argon2 at its cheapest: the tests sign in hundreds of times; the parameters are not under test.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    """The tests' clock: real time when the test starts (intake dates are checked against
    today), moved forward only by `advance`."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class WebTestPlatform:
    """Implements web.services.WebServices over the real record and read models."""

    record: ProgrammeRecord
    vault: PersonalDataVault
    read_models: SqliteReadModels
    projections: list[Projection]
    cases: CaseService
    case_list: CaseListQueries
    network: NetworkOverviewQueries
    referrals: ReferralService
    referral_board: ReferralBoardQueries
    housing: HousingService
    housing_views: HousingQueries
    activities: ActivityService
    activity_register: ActivityRegisterQueries
    finance: FinanceService
    finance_views: FinanceQueries
    indicators: IndicatorQueries
    accounts: Accounts
    clock: Clock
    audit_trail: EventBrowser
    replays: ReplayCache
    read_your_writes_timeout: float = 1.0
    secure_cookies: bool = False
    # False makes the read models lag forever: what a page shows while the projector is behind.
    projections_follow: bool = True
    # Every id handed out for a new case, so a test can look the person up in the vault.
    issued_ids: list[UUID] = field(default_factory=list)
    _catching_up: threading.Lock = field(default_factory=threading.Lock)
    audit_key: SigningKey = field(
        default_factory=lambda: SigningKey(Ed25519PrivateKey.generate())
    )

    def now(self) -> datetime:
        return self.clock()

    def audit_public_key(self) -> str:
        return self.audit_key.public_pem

    def new_id(self) -> UUID:
        self.issued_ids.append(uuid4())
        return self.issued_ids[-1]

    async def wait_for_position(self, position: int, timeout: float) -> bool:
        if self.projections_follow:
            self.catch_up()
        return self.projected_position() >= position

    def projected_position(self) -> int:
        return min(self.read_models.tracking(p.name).position for p in self.projections)

    def catch_up(self) -> None:
        """Apply every public event not yet applied, in notification order, as the projector
        would apply what the relay published (the notification id stands for the stream seq)."""
        with self._catching_up:
            applied = min(self.read_models.tracking(p.name).stream_seq for p in self.projections)
            while True:
                notifications = self.record.recorder.select_notifications(
                    applied + 1, _NOTIFICATIONS_PER_BATCH, topics=PUBLIC_TOPICS
                )
                if not notifications:
                    return
                batch = [
                    Delivered(stream_seq=n.id, envelope=to_message(n, self.record.mapper).envelope)
                    for n in notifications
                ]
                for projection in self.projections:
                    apply_batch(self.read_models, projection, batch)
                applied = notifications[-1].id

    def as_of(self, moment: datetime) -> WebServices:
        """As infra.bootstrap.Platform.as_of: the same replay, the same wiring."""
        read_models = self.replays.read_models_as_of(moment)
        as_of = AsOfServices(self, moment, workflows_over(self.record, self.vault, read_models))
        return cast(WebServices, as_of)  # every attribute it lacks is the live platform's

    def last_written_position(self) -> int | None:
        """The notification log's end: unchanged means nothing was written."""
        return self.record.recorder.max_notification_id()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[WebTestPlatform]:
    record = ProgrammeRecord(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
             "SQLITE_DBNAME": str(tmp_path / "events.sqlite")}
    )
    vault = SqliteVault(tmp_path / "vault.sqlite", secrets.token_bytes(KEY_BYTES))
    read_models = SqliteReadModels(tmp_path / "readmodels.sqlite")
    projections: list[Projection] = default_projections()
    for projection in projections:
        ensure_created(read_models, projection)
    clock = Clock()
    accounts = Accounts(SqliteAccountDatabase(tmp_path / "accounts.sqlite"), clock,
                        password_hasher=CHEAP_HASHER)
    replays = ReplayCache(record, default_projections, directory=tmp_path)
    yield WebTestPlatform(
        record=record,
        vault=vault,
        read_models=read_models,
        projections=projections,
        accounts=accounts,
        **workflows_over(record, vault, read_models),
        clock=clock,
        audit_trail=EventBrowser(record, AuditChainStore(record).chain_hashes),
        replays=replays,
    )
    replays.close()
    accounts.close()
    vault.close()
    read_models.close()
    record.close()


@pytest.fixture
def app(platform: WebTestPlatform) -> FastAPI:
    return create_app(platform)


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

    def __init__(self, app: FastAPI, platform: WebTestPlatform) -> None:
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
        client.partner_token_id = issued.details.token_id  # type: ignore[attr-defined]
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
def clients(app: FastAPI, platform: WebTestPlatform) -> Iterator[Clients]:
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
        "document_number": "PS1234567",
        "phone": "+39 333 1234567",
        "email": "",
        "intake_date": "2021-03-10",
        "protection_status": "refugee",
        "reception_situation": "left_reception",
        "left_reception_on": "2021-01-20",
        "reception_centre_kind": "cas",
        "sex": "female",
        "nationality": "ER",
        "household_size": "1",
        "vulnerabilities": [],
        "consent_given_on": "2021-03-10",
        "consent_scopes": ["case_management"],
    }
    form.update(overrides)
    return form


def an_intake_payload(**overrides: Any) -> dict[str, Any]:
    """The same intake as the API's JSON body."""
    payload = an_intake_form(email=None, household_size=1)
    payload.update(overrides)
    return payload


def record_intake(clients: Clients, city: str = "firenze", **overrides: Any) -> dict[str, Any]:
    """Take a person in through the API, as the city's coordinator; returns the answer's body."""
    response = clients.coordinator(city).post(f"/api/v1/cities/{city}/intakes",
                                              json=an_intake_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
