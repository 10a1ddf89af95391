"""Issue 18 item 18: a TOTP second factor (RFC 6238, pyotp) with recovery codes, in the accounts
store, on real SQLite and real PostgreSQL; the codes are computed by pyotp at the test's clock."""

# The fixtures `database` and `clock` come from test_accounts: pytest passes them by name.
# ruff: noqa: F811
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from domain.access import SecondFactorNeeded, SecondFactorRefused, SignInThrottled
from domain.programme import City, Role
from infra.store.accounts import Accounts, open_accounts
from projections.storage.transaction import Database

# The accounts' fixtures, on real SQLite and PostgreSQL (`database` empties the second factor's
# tables too), and their clock (at START) and test users' password.
from tests.integration.test_accounts import (  # noqa: F401  (fixtures)
    CHEAP_HASHER,
    PASSWORD,
    Clock,
    clock,
    database,
)

SECRET = pyotp.random_base32()
# On a 30-second step's boundary, so that "the previous step" is exactly 30 s back.
START = datetime(2021, 3, 10, 9, 0, tzinfo=UTC)
STEP = timedelta(seconds=30)


@pytest.fixture
def accounts(database: Database, clock: Clock) -> Accounts:
    made = Accounts(database, clock, password_hasher=CHEAP_HASHER)
    made.add_user("ministero", Role.MINISTRY, PASSWORD)
    return made


def rows(accounts: Accounts, table: str) -> list[tuple[object, ...]]:
    with accounts.database.reading() as tx:
        return tx.fetchall(f"SELECT * FROM {table}")


def code(at: datetime) -> str:
    return pyotp.TOTP(SECRET).at(at)


def enrolled(accounts: Accounts, clock: Clock) -> list[str]:
    """Enrol the ministry at START - 1 minute (so the codes the tests use are fresh)."""
    clock.now = START - 2 * STEP
    codes = accounts.enrol_second_factor("ministero", SECRET, code(clock.now))
    clock.now = START
    return codes


def ticket_of(accounts: Accounts) -> str:
    with pytest.raises(SecondFactorNeeded) as needed:
        accounts.sign_in("ministero", PASSWORD, "10.0.0.1")
    return str(needed.value.params["ticket"])


def test_enrolment_with_a_wrong_code_stores_nothing_and_a_right_one_stores_it_sealed(
    accounts: Accounts, clock: Clock
) -> None:
    wrong = str((int(code(START)) + 1) % 1_000_000).zfill(6)
    with pytest.raises(SecondFactorRefused) as refused:
        accounts.enrol_second_factor("ministero", SECRET, wrong)
    assert refused.value.params == {"field": "code"}
    with pytest.raises(SecondFactorRefused):
        accounts.enrol_second_factor("ministero", "not-base32!", code(START))
    assert rows(accounts, "acc_second_factors") == []
    assert rows(accounts, "acc_recovery_codes") == []
    assert accounts.second_factor("ministero") is None

    codes = enrolled(accounts, clock)

    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 14 and c.count("-") == 2 for c in codes)
    [(username, stored_secret, _, _)] = rows(accounts, "acc_second_factors")
    assert username == "ministero" and SECRET not in str(stored_secret)
    stored_codes = " ".join(str(row) for row in rows(accounts, "acc_recovery_codes"))
    assert not any(c.replace("-", "") in stored_codes or c in stored_codes for c in codes)
    status = accounts.second_factor("ministero")
    assert status is not None and status.recovery_codes_left == 10
    other = pyotp.random_base32()
    with pytest.raises(SecondFactorRefused) as twice:  # a second enrolment is refused
        accounts.enrol_second_factor("ministero", other, pyotp.TOTP(other).at(START))
    assert twice.value.params == {}


def test_an_enrolled_password_opens_no_session_until_a_right_code(
    accounts: Accounts, clock: Clock
) -> None:
    enrolled(accounts, clock)
    ticket = ticket_of(accounts)
    assert rows(accounts, "acc_sessions") == []
    assert SECRET not in repr(rows(accounts, "acc_pending_sign_ins"))

    with pytest.raises(SecondFactorRefused) as wrong:
        accounts.complete_sign_in(ticket, "000000" if code(START) != "000000" else "111111",
                                  "10.0.0.1")
    assert wrong.value.params == {"field": "code"}
    with pytest.raises(SecondFactorRefused) as unknown:
        accounts.complete_sign_in("no such ticket", code(START), "10.0.0.1")
    assert unknown.value.params == {"field": "ticket"}
    assert rows(accounts, "acc_sessions") == []

    session = accounts.complete_sign_in(ticket, code(START), "10.0.0.1")

    assert session.principal.id == "ministero"
    assert accounts.session(session.token) is not None
    with pytest.raises(SecondFactorRefused):  # the ticket served once
        accounts.complete_sign_in(ticket, code(START), "10.0.0.1")


def test_a_code_is_never_accepted_twice(accounts: Accounts, clock: Clock) -> None:
    enrolled(accounts, clock)
    accounts.complete_sign_in(ticket_of(accounts), code(START), "10.0.0.1")

    with pytest.raises(SecondFactorRefused):  # replayed within its window
        accounts.complete_sign_in(ticket_of(accounts), code(START), "10.0.0.1")
    clock.now = START + 10 * timedelta(seconds=1)
    with pytest.raises(SecondFactorRefused):  # still the same step, a moment later
        accounts.complete_sign_in(ticket_of(accounts), code(START), "10.0.0.1")


def test_the_previous_step_s_code_is_accepted_and_two_steps_old_is_not(
    accounts: Accounts, clock: Clock
) -> None:
    enrolled(accounts, clock)  # used the code of START - 2 steps
    clock.now = START + 2 * STEP

    with pytest.raises(SecondFactorRefused):  # two steps old: one past the limit
        accounts.complete_sign_in(ticket_of(accounts), code(START), "10.0.0.1")
    session = accounts.complete_sign_in(ticket_of(accounts), code(START + STEP), "10.0.0.1")
    assert session.principal.id == "ministero"  # the previous step: the limit


def test_a_recovery_code_signs_in_once(accounts: Accounts, clock: Clock) -> None:
    first, second, *_ = enrolled(accounts, clock)

    session = accounts.complete_sign_in(ticket_of(accounts), first.lower(), "10.0.0.1")
    assert session.principal.id == "ministero"
    with pytest.raises(SecondFactorRefused):
        accounts.complete_sign_in(ticket_of(accounts), first, "10.0.0.1")
    assert accounts.complete_sign_in(ticket_of(accounts), second.replace("-", " "), "10.0.0.1")
    status = accounts.second_factor("ministero")
    assert status is not None and status.recovery_codes_left == 8


def test_code_tries_go_through_the_sign_in_throttle_counted_before_checking(
    accounts: Accounts, clock: Clock
) -> None:
    enrolled(accounts, clock)
    ticket = ticket_of(accounts)
    wrong = "000000" if code(START) != "000000" else "111111"
    # The password's try and the codes' share the five free tries of the username+address.
    for _ in range(4):
        with pytest.raises(SecondFactorRefused):
            accounts.complete_sign_in(ticket, wrong, "10.0.0.1")

    with pytest.raises(SignInThrottled):  # the right code, but not even checked
        accounts.complete_sign_in(ticket, code(START), "10.0.0.1")
    with pytest.raises(SignInThrottled):  # and the password too, from that address
        accounts.sign_in("ministero", PASSWORD, "10.0.0.1")
    # A right password after the wait forgives nothing: the code must wait again at once.
    clock.now = START + timedelta(minutes=1, seconds=1)
    again = ticket_of(accounts)
    with pytest.raises(SignInThrottled):
        accounts.complete_sign_in(again, code(clock.now), "10.0.0.1")
    assert rows(accounts, "acc_sessions") == []


def test_required_second_factor_holds_coordinators_ministry_and_auditors_until_enrolled(
    accounts: Accounts, clock: Clock
) -> None:
    accounts.second_factor_required = True
    accounts.add_user("firenze.coordinatore", Role.CITY_COORDINATOR, PASSWORD, city=City.FIRENZE)
    accounts.add_user("firenze.operatore", Role.CITY_OPERATOR, PASSWORD, city=City.FIRENZE)
    accounts.add_user("revisore", Role.AUDITOR, PASSWORD)

    forced = {name: accounts.sign_in(name, PASSWORD, None).must_enrol_second_factor
              for name in ("firenze.coordinatore", "firenze.operatore", "revisore", "ministero")}

    assert forced == {"firenze.coordinatore": True, "firenze.operatore": False,
                      "revisore": True, "ministero": True}
    session = accounts.sign_in("revisore", PASSWORD, None)
    accounts.enrol_second_factor("revisore", SECRET, code(START))
    looked_up = accounts.session(session.token)
    assert looked_up is not None and not looked_up.must_enrol_second_factor
    accounts.second_factor_required = False
    assert not accounts.sign_in("firenze.coordinatore", PASSWORD, None).must_enrol_second_factor


def test_the_cli_resets_a_second_factor_and_ends_the_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra.cli.main import app as cli_app

    data_dir = tmp_path / "var"
    monkeypatch.setenv("LGNET_DATA_DIR", str(data_dir))
    monkeypatch.delenv("LGNET_DATABASE_URL", raising=False)
    clock = Clock()
    accounts = open_accounts(None, data_dir, clock, password_hasher=CHEAP_HASHER)
    accounts.add_user("ministero", Role.MINISTRY, PASSWORD)
    accounts.enrol_second_factor("ministero", SECRET, code(START))
    accounts.close()

    result = CliRunner().invoke(cli_app, ["users", "reset-second-factor", "ministero"])
    unknown = CliRunner().invoke(cli_app, ["users", "reset-second-factor", "nobody"])

    assert result.exit_code == 0, result.output
    assert "second factor of ministero is reset" in result.output
    assert SECRET not in result.output
    assert unknown.exit_code != 0 and "no user nobody" in unknown.output
    accounts = open_accounts(None, data_dir, clock, password_hasher=CHEAP_HASHER)
    try:
        assert accounts.second_factor("ministero") is None
        assert accounts.sign_in("ministero", PASSWORD, None).principal.id == "ministero"
    finally:
        accounts.close()
