"""Accounts, sessions, the sign-in throttle, partner tokens and auditors' grants, against real
SQLite and real PostgreSQL (the `postgres_database` fixture); the clock is the test's."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from domain.access import (
    CASE_INTAKE_EVENTS,
    AccessGrant,
    GrantRefused,
    PartnerAgreement,
    PartnerTokenExpired,
    Permission,
    SignInRefused,
    SignInThrottled,
    may,
)
from domain.programme import City, Role
from infra.store.accounts import Accounts
from infra.store.accounts.demo import DEMO_ACCOUNTS, create_demo_accounts, read_demo_credentials
from infra.store.accounts.storage import PostgresAccountDatabase, SqliteAccountDatabase
from infra.store.accounts.throttle import SignInThrottle, load_or_create_throttle_key
from infra.store.accounts.users import AccountError
from projections.storage.transaction import Database

PASSWORD = "correct horse battery"  # noqa: S105  (the test users')
WRONG = "not the password"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        made: Database = SqliteAccountDatabase(tmp_path / "accounts.sqlite")
    else:
        made = PostgresAccountDatabase(request.getfixturevalue("postgres_database"))
        with made.transaction() as tx:  # the database lives for the whole run: start empty
            for table in ("acc_recovery_codes", "acc_second_factors", "acc_pending_sign_ins",
                          "acc_sessions", "acc_sign_in_throttle", "acc_partner_tokens",
                          "acc_access_grants", "acc_users"):
                tx.execute(f"DELETE FROM {table}")
    yield made
    made.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(database: Database, clock: Clock) -> Accounts:
    return Accounts(database, clock, password_hasher=CHEAP_HASHER)


@pytest.fixture
def operator(accounts: Accounts) -> str:
    accounts.add_user("firenze.operatore", Role.CITY_OPERATOR, PASSWORD, city=City.FIRENZE,
                      display_name="Giulia Bianchi")
    return "firenze.operatore"


def stored_rows(accounts: Accounts, table: str) -> list[tuple[object, ...]]:
    with accounts.database.transaction() as tx:
        rows: list[tuple[object, ...]] = tx.fetchall(f"SELECT * FROM {table}")
    return rows


def test_a_user_is_kept_with_an_argon2id_hash_of_the_password_only(
    accounts: Accounts, operator: str
) -> None:
    [user] = accounts.users()

    assert (user.username, user.display_name, user.role, user.city, user.disabled) == (
        operator, "Giulia Bianchi", Role.CITY_OPERATOR, City.FIRENZE, False)
    [row] = stored_rows(accounts, "acc_users")
    assert PASSWORD not in repr(row)
    assert any(str(value).startswith("$argon2id$") for value in row)


@pytest.mark.parametrize("username, role, city, password, reason", [
    ("Firenze Operatore", Role.CITY_OPERATOR, City.FIRENZE, PASSWORD, "A username is"),
    ("firenze.op2", Role.CITY_OPERATOR, None, PASSWORD, "need --city"),
    ("ministero", Role.MINISTRY, City.ROMA, PASSWORD, "need --city"),
    ("ngo", Role.PARTNER, None, PASSWORD, "partners get API tokens"),
    ("firenze.op2", Role.CITY_OPERATOR, City.FIRENZE, "short", "at least 12"),
    ("firenze.operatore", Role.CITY_OPERATOR, City.FIRENZE, PASSWORD, "already a user"),
])
def test_a_user_that_makes_no_sense_is_refused_with_the_reason(
    accounts: Accounts, operator: str, username: str, role: Role, city: City | None,
    password: str, reason: str,
) -> None:
    with pytest.raises(AccountError, match=reason):
        accounts.add_user(username, role, password, city=city)

    assert [user.username for user in accounts.users()] == [operator]


def test_signing_in_opens_a_session_known_only_by_the_hash_of_its_token(
    accounts: Accounts, operator: str
) -> None:
    session = accounts.sign_in(operator, PASSWORD, "10.0.0.1")

    assert session.principal.id == operator
    assert (session.principal.role, session.principal.city) == (Role.CITY_OPERATOR, City.FIRENZE)
    assert session.principal.display_name == "Giulia Bianchi"
    assert accounts.session(session.token) == session
    [row] = stored_rows(accounts, "acc_sessions")
    assert session.token not in repr(row) and session.csrf_token not in repr(row)
    other = accounts.sign_in(operator, PASSWORD, "10.0.0.1")
    assert other.token != session.token and other.csrf_token != session.csrf_token


@pytest.mark.parametrize("username, password", [
    ("firenze.operatore", WRONG), ("nessuno", PASSWORD), ("firenze.operatore", ""),
])
def test_a_wrong_password_or_an_unknown_user_is_refused_alike(
    accounts: Accounts, operator: str, username: str, password: str
) -> None:
    with pytest.raises(SignInRefused) as refused:
        accounts.sign_in(username, password, "10.0.0.1")

    assert refused.value.message == "Wrong username or password, or the account is disabled."
    assert stored_rows(accounts, "acc_sessions") == []


def test_disabling_a_user_ends_their_sessions_and_refuses_their_sign_in(
    accounts: Accounts, operator: str
) -> None:
    session = accounts.sign_in(operator, PASSWORD, None)

    accounts.disable_user(operator)

    assert accounts.session(session.token) is None
    with pytest.raises(SignInRefused):
        accounts.sign_in(operator, PASSWORD, None)
    assert accounts.users()[0].disabled
    with pytest.raises(AccountError, match="no user"):
        accounts.disable_user("nessuno")


def test_signing_out_ends_the_session(accounts: Accounts, operator: str) -> None:
    session = accounts.sign_in(operator, PASSWORD, None)

    accounts.sign_out(session.token)

    assert accounts.session(session.token) is None
    assert stored_rows(accounts, "acc_sessions") == []


def test_a_session_idles_out_after_30_minutes_without_a_request(
    accounts: Accounts, operator: str, clock: Clock
) -> None:
    session = accounts.sign_in(operator, PASSWORD, None)

    clock.advance(minutes=20)
    assert accounts.session(session.token) is not None  # activity: the idle time restarts
    clock.advance(minutes=29)
    assert accounts.session(session.token) is not None
    clock.advance(minutes=30)
    assert accounts.session(session.token) is None
    clock.advance(minutes=-30)
    assert accounts.session(session.token) is None  # ended for good: its row is gone


def test_a_session_ends_8_hours_after_sign_in_however_active(
    accounts: Accounts, operator: str, clock: Clock
) -> None:
    session = accounts.sign_in(operator, PASSWORD, None)

    for _ in range(23):
        clock.advance(minutes=20)
        assert accounts.session(session.token) is not None, clock.now
    clock.advance(minutes=20)

    assert accounts.session(session.token) is None


def until_of(throttled: pytest.ExceptionInfo[SignInThrottled]) -> datetime:
    until = throttled.value.params["until"]
    assert isinstance(until, datetime)
    return until


def fail(accounts: Accounts, username: str, address: str | None, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(SignInRefused):
            accounts.sign_in(username, WRONG, address)


def test_five_failures_make_the_sixth_try_from_that_address_wait_a_minute_then_doubling(
    accounts: Accounts, operator: str, clock: Clock
) -> None:
    fail(accounts, operator, "10.0.0.1", times=5)

    waits = []
    for _ in range(3):
        with pytest.raises(SignInThrottled) as throttled:
            accounts.sign_in(operator, PASSWORD, "10.0.0.1")  # not even checked
        assert throttled.value.params["by"] == "username"
        waits.append(until_of(throttled) - clock.now)
        clock.now = until_of(throttled)
        fail(accounts, operator, "10.0.0.1")

    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    clock.advance(minutes=8)
    assert accounts.sign_in(operator, PASSWORD, "10.0.0.1").principal.id == operator


def test_the_wait_stops_doubling_at_an_hour(accounts: Accounts, operator: str,
                                            clock: Clock) -> None:
    fail(accounts, operator, "10.0.0.1", times=5)
    for _ in range(8):
        with pytest.raises(SignInThrottled) as throttled:
            accounts.sign_in(operator, WRONG, "10.0.0.1")
        clock.now = until_of(throttled)
        fail(accounts, operator, "10.0.0.1")

    with pytest.raises(SignInThrottled) as throttled:
        accounts.sign_in(operator, PASSWORD, "10.0.0.1")
    assert until_of(throttled) - clock.now == timedelta(hours=1)


def test_failures_from_one_address_do_not_lock_the_user_out_from_theirs(
    accounts: Accounts, operator: str
) -> None:
    """Issue 18 item 17: whoever knows a username cannot lock its user out."""
    fail(accounts, operator, "203.0.113.66", times=5)
    for _ in range(15):
        with pytest.raises(SignInThrottled):
            accounts.sign_in(operator, WRONG, "203.0.113.66")

    assert accounts.sign_in(operator, PASSWORD, "10.0.0.2").principal.id == operator


def test_twenty_failures_with_invented_usernames_lock_nobody_out_without_trusted_proxies(
    accounts: Accounts, operator: str
) -> None:
    """Issue 18 item 17: behind a proxy every client has the proxy's address, so without trusted
    proxies no limit is kept per address."""
    for attempt in range(20):
        fail(accounts, f"guess{attempt}", "192.0.2.7")

    assert accounts.sign_in(operator, PASSWORD, "192.0.2.7").principal.id == operator


def test_with_trusted_proxies_twenty_failures_from_one_address_make_that_address_wait(
    database: Database, clock: Clock, operator: str
) -> None:
    accounts = Accounts(database, clock, password_hasher=CHEAP_HASHER,
                        throttle=SignInThrottle(per_address=True))
    for attempt in range(20):
        fail(accounts, f"guess{attempt}", "192.0.2.7")

    with pytest.raises(SignInThrottled) as throttled:
        accounts.sign_in(operator, PASSWORD, "192.0.2.7")
    assert throttled.value.params["by"] == "address"
    assert throttled.value.params["until"] == clock.now + timedelta(minutes=1)
    assert accounts.sign_in(operator, PASSWORD, "192.0.2.8").principal.id == operator


def test_a_successful_sign_in_forgets_the_failures(accounts: Accounts, operator: str) -> None:
    fail(accounts, operator, None, times=4)
    accounts.sign_in(operator, PASSWORD, None)
    fail(accounts, operator, None, times=4)

    assert accounts.sign_in(operator, PASSWORD, None).principal.id == operator


def test_a_key_untried_for_a_day_starts_afresh(
    accounts: Accounts, operator: str, clock: Clock
) -> None:
    fail(accounts, operator, "10.0.0.1", times=5)
    clock.advance(hours=24)
    fail(accounts, operator, "10.0.0.1", times=4)

    assert accounts.sign_in(operator, PASSWORD, "10.0.0.1").principal.id == operator


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._lock:
            self.verified += 1
        time.sleep(0.05)  # a real hash takes a while: the others arrive meanwhile
        return super().verify(hash, password)


def test_forty_tries_at_once_check_at_most_five_passwords(
    database: Database, clock: Clock, operator: str
) -> None:
    """Issue 18 item 3: the try is counted before the password is hashed, in one transaction."""
    hasher = CountingHasher()
    accounts = Accounts(database, clock, password_hasher=hasher)
    start = threading.Barrier(40)

    def attempt(_: int) -> str:
        start.wait()
        try:
            accounts.sign_in(operator, WRONG, "198.51.100.4")
        except SignInThrottled:
            return "throttled"
        except SignInRefused:
            return "refused"
        return "signed in"

    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(attempt, range(40)))

    assert hasher.verified == 5
    assert sorted(outcomes) == ["refused"] * 5 + ["throttled"] * 35


def test_the_throttle_stores_neither_usernames_nor_addresses_nor_their_bare_hashes(
    accounts: Accounts, operator: str
) -> None:
    fail(accounts, operator, "192.0.2.7")

    stored = repr(stored_rows(accounts, "acc_sign_in_throttle"))
    assert operator not in stored and "192.0.2.7" not in stored
    for text in (f"pair\n{operator}\n192.0.2.7", "address\n192.0.2.7", "192.0.2.7",
                 "address:192.0.2.7", f"username:{operator}"):
        assert hashlib.sha256(text.encode()).hexdigest() not in stored
    assert len(stored_rows(accounts, "acc_sign_in_throttle")) == 1


def test_the_throttle_key_is_a_private_file_kept_across_starts(tmp_path: Path) -> None:
    first = load_or_create_throttle_key(tmp_path / "sign-in-throttle.key")

    assert load_or_create_throttle_key(tmp_path / "sign-in-throttle.key") == first
    assert len(first) == 32
    assert stat.S_IMODE((tmp_path / "sign-in-throttle.key").stat().st_mode) == 0o600


def test_a_hash_made_with_weaker_parameters_is_replaced_at_the_next_sign_in(
    database: Database, clock: Clock
) -> None:
    Accounts(database, clock, password_hasher=CHEAP_HASHER).add_user(
        "ministero", Role.MINISTRY, PASSWORD)
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    accounts = Accounts(database, clock, password_hasher=stronger)

    accounts.sign_in("ministero", PASSWORD, None)

    [row] = stored_rows(accounts, "acc_users")
    [stored_hash] = [value for value in row if str(value).startswith("$argon2id$")]
    assert not stronger.check_needs_rehash(str(stored_hash))
    assert accounts.sign_in("ministero", PASSWORD, None).principal.id == "ministero"


def test_a_partner_token_is_shown_once_stored_hashed_and_opens_its_agreement(
    accounts: Accounts,
) -> None:
    issued = accounts.issue_token("Caritas Firenze", [City.FIRENZE], [CASE_INTAKE_EVENTS])

    principal = accounts.partner(issued.token)

    assert principal is not None
    assert (principal.id, principal.role) == ("Caritas Firenze", Role.PARTNER)
    assert principal.agreement == PartnerAgreement(frozenset({City.FIRENZE}),
                                                   frozenset({CASE_INTAKE_EVENTS}))
    assert issued.token not in repr(stored_rows(accounts, "acc_partner_tokens"))
    assert [t.token_id for t in accounts.tokens()] == [issued.details.token_id]


def test_a_revoked_or_unknown_token_opens_nothing(accounts: Accounts, clock: Clock) -> None:
    issued = accounts.issue_token("Caritas Firenze", [City.FIRENZE], [CASE_INTAKE_EVENTS])
    kept = accounts.issue_token("Caritas Firenze", [City.FIRENZE], [CASE_INTAKE_EVENTS])

    accounts.revoke_token(issued.details.token_id)

    assert accounts.partner(issued.token) is None
    assert accounts.partner(kept.token) is not None
    assert accounts.partner(issued.token[:-1] + "x") is None
    assert accounts.partner("not a token") is None
    [revoked] = [t for t in accounts.tokens() if t.token_id == issued.details.token_id]
    assert revoked.revoked_at == clock.now
    with pytest.raises(AccountError, match="no unrevoked token"):
        accounts.revoke_token(issued.details.token_id)


def test_a_token_expires_after_90_days_by_default_then_says_so(
    accounts: Accounts, clock: Clock
) -> None:
    """Issue 18 item 18: partner tokens expire."""
    issued = accounts.issue_token("Caritas Firenze", [City.FIRENZE], [CASE_INTAKE_EVENTS])
    assert issued.details.expires_at == clock.now + timedelta(days=90)

    clock.now = issued.details.expires_at - timedelta(microseconds=1)
    assert accounts.partner(issued.token) is not None
    clock.now = issued.details.expires_at
    with pytest.raises(PartnerTokenExpired) as expired:
        accounts.partner(issued.token)
    assert expired.value.params["expired_at"] == issued.details.expires_at
    assert accounts.partner(issued.token[:-1] + "x") is None  # still nothing for a wrong one


@pytest.mark.parametrize(("days", "accepted"), [(366, True), (367, False), (0, False)])
def test_a_token_lives_at_most_366_days(accounts: Accounts, days: int, accepted: bool) -> None:
    if accepted:
        accounts.issue_token("NGO", [City.ROMA], [CASE_INTAKE_EVENTS],
                             lifetime=timedelta(days=days))
    else:
        with pytest.raises(AccountError, match="at most 366 days"):
            accounts.issue_token("NGO", [City.ROMA], [CASE_INTAKE_EVENTS],
                                 lifetime=timedelta(days=days))


def test_rotating_a_token_issues_its_successor_and_ends_the_old_after_the_overlap(
    accounts: Accounts, clock: Clock
) -> None:
    old = accounts.issue_token("Caritas Firenze", [City.FIRENZE, City.ROMA],
                               [CASE_INTAKE_EVENTS])
    clock.advance(days=80)

    new = accounts.rotate_token(old.details.token_id, overlap=timedelta(days=2))

    assert new.token != old.token
    assert (new.details.partner, new.details.agreement) == (old.details.partner,
                                                            old.details.agreement)
    assert new.details.expires_at == clock.now + timedelta(days=90)
    assert accounts.partner(old.token) is not None  # the partner has two days to switch
    clock.advance(days=2)
    with pytest.raises(PartnerTokenExpired):
        accounts.partner(old.token)
    assert accounts.partner(new.token) is not None
    with pytest.raises(AccountError, match="no live token"):
        accounts.rotate_token(old.details.token_id)


def test_a_token_issued_before_tokens_expired_expires_90_days_after_its_issue(
    accounts: Accounts, clock: Clock
) -> None:
    issued = accounts.issue_token("Caritas Firenze", [City.FIRENZE], [CASE_INTAKE_EVENTS])
    with accounts.database.transaction() as tx:  # as the table was before expiries
        tx.execute("UPDATE acc_partner_tokens SET expires_at = NULL")

    [legacy] = accounts.tokens()
    assert legacy.expires_at == issued.details.issued_at + timedelta(days=90)
    clock.advance(days=90)
    with pytest.raises(PartnerTokenExpired):
        accounts.partner(issued.token)


def test_an_accounts_file_from_before_token_expiries_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "accounts.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE acc_partner_tokens (token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL"
            " UNIQUE, partner TEXT NOT NULL, cities TEXT NOT NULL, event_kinds TEXT NOT NULL,"
            " issued_at TEXT NOT NULL, revoked_at TEXT)")
        connection.execute("INSERT INTO acc_partner_tokens VALUES ('ab12cd34', 'h', 'NGO',"
                           " 'roma', 'case.intake_recorded', '2021-03-01T09:00:00.000000+00:00',"
                           " NULL)")
    connection.close()

    database = SqliteAccountDatabase(path)
    try:
        [token] = Accounts(database, Clock(), password_hasher=CHEAP_HASHER).tokens()
    finally:
        database.close()
    assert token.expires_at == datetime(2021, 5, 30, 9, 0, tzinfo=UTC)


def test_a_token_needs_a_partner_a_city_and_an_event_kind(accounts: Accounts) -> None:
    for partner, cities, kinds in (("", [City.ROMA], [CASE_INTAKE_EVENTS]),
                                   ("NGO", [], [CASE_INTAKE_EVENTS]),
                                   ("NGO", [City.ROMA], [])):
        with pytest.raises(AccountError):
            accounts.issue_token(partner, cities, kinds)
    assert accounts.tokens() == []


def test_demo_accounts_are_made_with_private_credentials_that_sign_in(
    accounts: Accounts, tmp_path: Path
) -> None:
    credentials_file = tmp_path / "demo-credentials.txt"

    create_demo_accounts(accounts, credentials_file)

    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    credentials = read_demo_credentials(credentials_file)
    assert [c[0] for c in credentials] == [demo.username for demo in DEMO_ACCOUNTS]
    roles = {(role, city) for _username, _password, role, city in credentials}
    assert {("city_coordinator", "firenze"), ("city_operator", "firenze"),
            ("city_coordinator", "milano"), ("city_operator", "milano"),
            ("city_coordinator", "roma"), ("ministry", ""), ("auditor", "")} == roles
    for username, password, _role, _city in credentials:
        assert accounts.sign_in(username, password, None).principal.id == username
    with pytest.raises(AccountError, match="no user yet"):
        create_demo_accounts(accounts, credentials_file)


def test_without_a_credentials_file_there_are_no_demo_credentials(tmp_path: Path) -> None:
    assert read_demo_credentials(tmp_path / "absent.txt") == []


def test_the_cli_adds_lists_and_disables_users_and_issues_and_revokes_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.cli.main import app

    monkeypatch.setenv("LGNET_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LGNET_DATABASE_URL", raising=False)
    cli = CliRunner()

    added = cli.invoke(app, ["users", "add", "milano.operatore", "--role", "city_operator",
                             "--city", "milano", "--name", "Luca Verdi",
                             "--generate-password"])
    prompted = cli.invoke(app, ["users", "add", "ministero", "--role", "ministry"],
                          input=f"{PASSWORD}\n{PASSWORD}\n")
    refused = cli.invoke(app, ["users", "add", "roma.operatore", "--role", "city_operator",
                               "--generate-password"])
    disabled = cli.invoke(app, ["users", "disable", "ministero"])
    listed = cli.invoke(app, ["users", "list"])
    issued = cli.invoke(app, ["tokens", "issue", "Caritas", "--city", "milano", "--kinds",
                              CASE_INTAKE_EVENTS])
    unknown_kind = cli.invoke(app, ["tokens", "issue", "Caritas", "--city", "milano",
                                    "--kinds", "case.health_records"])

    assert added.exit_code == 0, added.output
    password = added.output.split("Password: ")[1].split()[0]
    assert prompted.exit_code == 0, prompted.output
    assert refused.exit_code != 0 and "need --city" in refused.output
    assert disabled.exit_code == 0
    assert "milano.operatore" in listed.output and "DISABLED" in listed.output
    assert issued.exit_code == 0, issued.output
    token = next(line for line in issued.output.splitlines() if line.startswith("lgp_"))
    token_id = token.split("_")[1]
    assert unknown_kind.exit_code != 0 and "unknown event kinds" in unknown_kind.output

    rotated = cli.invoke(app, ["tokens", "rotate", token_id, "--overlap-days", "0",
                               "--days", "30"])
    assert rotated.exit_code == 0, rotated.output
    successor = next(line for line in rotated.output.splitlines() if line.startswith("lgp_"))
    listed_tokens = cli.invoke(app, ["tokens", "list"]).output
    assert f"{token_id}  Caritas" in listed_tokens and "expired" in listed_tokens
    assert f"{successor.split('_')[1]}  Caritas" in listed_tokens
    assert "live until" in listed_tokens
    revoked = cli.invoke(app, ["tokens", "revoke", successor.split("_")[1]])
    assert revoked.exit_code == 0, revoked.output
    accounts = Accounts(SqliteAccountDatabase(tmp_path / "var" / "accounts.sqlite"),
                        lambda: datetime.now(UTC))
    try:
        assert accounts.sign_in("milano.operatore", password, None).principal.city == City.MILANO
        with pytest.raises(SignInRefused):
            accounts.sign_in("ministero", PASSWORD, None)
        with pytest.raises(PartnerTokenExpired):
            accounts.partner(token)
        assert accounts.partner(successor) is None
    finally:
        accounts.close()


# --- grants -----------------------------------------------------------------------------------


@pytest.fixture
def ministry_and_auditor(accounts: Accounts) -> tuple[str, str]:
    accounts.add_user("ministero", Role.MINISTRY, PASSWORD)
    accounts.add_user("revisore", Role.AUDITOR, PASSWORD)
    return "ministero", "revisore"


def test_a_grant_goes_with_the_auditor_s_sessions_until_it_expires(
    accounts: Accounts, clock: Clock, ministry_and_auditor: tuple[str, str]
) -> None:
    ministry, auditor = ministry_and_auditor
    session = accounts.sign_in(auditor, PASSWORD, None)
    assert session.principal.grants == ()

    given = accounts.grant_access(ministry, auditor, City.FIRENZE, timedelta(hours=4),
                                  "  Audit 2021/7: sample of Florence's cases ")
    principal = accounts.session(session.token).principal  # type: ignore[union-attr]
    fresh = accounts.sign_in(auditor, PASSWORD, None).principal

    expected = AccessGrant(Permission.VIEW_PERSONAL_IDENTIFIERS,
                           "Audit 2021/7: sample of Florence's cases",
                           clock.now + timedelta(hours=4), City.FIRENZE)
    assert principal.grants == fresh.grants == (expected,)
    assert may(principal, Permission.VIEW_PERSONAL_IDENTIFIERS, City.FIRENZE, at=clock.now)
    assert not may(principal, Permission.VIEW_PERSONAL_IDENTIFIERS, City.MILANO, at=clock.now)
    assert (given.grantee, given.granted_by, given.granted_at) == (auditor, ministry, clock.now)
    assert accounts.grants() == [given]

    clock.advance(hours=4)
    later = accounts.sign_in(auditor, PASSWORD, None).principal
    assert later.grants == ()
    assert not accounts.grants()[0].is_live(clock.now)


def test_a_revoked_grant_ends_at_once_and_is_kept_with_who_revoked_it(
    accounts: Accounts, clock: Clock, ministry_and_auditor: tuple[str, str]
) -> None:
    ministry, auditor = ministry_and_auditor
    given = accounts.grant_access(ministry, auditor, City.ROMA, timedelta(hours=72), "Audit")
    session = accounts.sign_in(auditor, PASSWORD, None)
    clock.advance(minutes=10)

    revoked = accounts.revoke_grant(given.grant_id, ministry)

    assert revoked is not None and revoked.revoked_at == clock.now
    assert revoked.revoked_by == ministry
    assert accounts.session(session.token).principal.grants == ()  # type: ignore[union-attr]
    assert accounts.revoke_grant(given.grant_id, ministry) is None
    assert accounts.revoke_grant("unknown", ministry) is None
    assert accounts.grants() == [revoked]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"granted_by": "revisore"}, "granted_by"),
        ({"granted_by": "nobody"}, "granted_by"),
        ({"grantee": "ministero"}, "grantee"),
        ({"grantee": "firenze.operatore"}, "grantee"),
        ({"grantee": "nobody"}, "grantee"),
        ({"duration": timedelta(hours=72, seconds=1)}, "hours"),
        ({"duration": timedelta(0)}, "hours"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 201}, "reason"),
    ],
)
def test_a_grant_that_breaks_a_rule_is_refused_and_not_kept(
    accounts: Accounts, ministry_and_auditor: tuple[str, str], operator: str,
    change: dict[str, object], field: str,
) -> None:
    ministry, auditor = ministry_and_auditor
    wanted: dict[str, object] = {"granted_by": ministry, "grantee": auditor,
                                 "city": City.FIRENZE, "duration": timedelta(hours=1),
                                 "reason": "Audit"}
    wanted.update(change)

    with pytest.raises(GrantRefused) as refused:
        accounts.grant_access(**wanted)  # type: ignore[arg-type]

    assert refused.value.params["field"] == field
    assert accounts.grants() == []


def test_a_disabled_auditor_holds_no_grant_and_gets_none(
    accounts: Accounts, ministry_and_auditor: tuple[str, str]
) -> None:
    ministry, auditor = ministry_and_auditor
    accounts.disable_user(auditor)

    with pytest.raises(GrantRefused):
        accounts.grant_access(ministry, auditor, City.FIRENZE, timedelta(hours=1), "Audit")


def test_the_cli_gives_lists_and_revokes_grants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.cli.main import app

    monkeypatch.setenv("LGNET_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LGNET_DATABASE_URL", raising=False)
    cli = CliRunner()
    for username, role in (("ministero", "ministry"), ("revisore", "auditor")):
        assert cli.invoke(app, ["users", "add", username, "--role", role,
                                "--generate-password"]).exit_code == 0

    given = cli.invoke(app, ["grants", "give", "revisore", "--city", "firenze", "--hours", "8",
                             "--reason", "Audit 2021/7", "--by", "ministero"])
    too_long = cli.invoke(app, ["grants", "give", "revisore", "--city", "firenze", "--hours",
                                "73", "--reason", "Audit", "--by", "ministero"])
    by_auditor = cli.invoke(app, ["grants", "give", "revisore", "--city", "firenze", "--hours",
                                  "1", "--reason", "Audit", "--by", "revisore"])
    assert given.exit_code == 0, given.output
    grant_id = given.output.split()[1].rstrip(":")
    listed = cli.invoke(app, ["grants", "list"])
    revoked = cli.invoke(app, ["grants", "revoke", grant_id, "--by", "ministero"])
    revoked_again = cli.invoke(app, ["grants", "revoke", grant_id, "--by", "ministero"])
    listed_after = cli.invoke(app, ["grants", "list"])

    assert too_long.exit_code != 0
    assert by_auditor.exit_code != 0 and "may not give grants" in by_auditor.output
    assert grant_id in listed.output and "revisore" in listed.output and "live" in listed.output
    assert "Audit 2021/7" in listed.output
    assert revoked.exit_code == 0, revoked.output
    assert revoked_again.exit_code != 0 and "no live grant" in revoked_again.output
    assert "revoked" in listed_after.output and "by ministero" in listed_after.output
