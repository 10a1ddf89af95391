"""Faults answered like a service people rely on (issue 17, items 2 and 5): a store that is out,
read-only or full answers 503 with the API's error body (or the error page) and Retry-After,
never a plain-text 500; connections the server ended are replaced by the pools; a command saved
before a failure answers 201; and a command sent twice with the same Idempotency-Key (a header
for the API, a hidden field of every form) is carried out once."""

from __future__ import annotations

import errno
import re
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI
from fastapi.testclient import TestClient

from domain.cases.service import INTAKE_SAVED
from infra.ages import case_ids
from infra.bootstrap import Follow, Platform, build_platform
from infra.outages import is_outage
from infra.settings import Settings
from infra.store.accounts.idempotency import ABANDONED_AFTER
from infra.store.accounts.storage import timestamp
from tests.web.conftest import (
    CHEAP_HASHER,
    Clients,
    Clock,
    IssuedIds,
    an_intake_form,
    an_intake_payload,
    follower_of,
)
from web.app import create_app
from web.kit.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from web.kit.views_delay import VIEWS_DELAYED_HEADER

INTAKES = "/api/v1/cities/firenze/intakes"


def cases_in(platform: Platform) -> list[UUID]:
    return list(case_ids(platform.record))


# --- on SQLite (the web tests' platform) --------------------------------------------------------


def test_the_same_key_twice_records_one_case_and_answers_the_first_answer_again(
    clients: Clients, platform: Platform
) -> None:
    client = clients.coordinator()
    first = client.post(INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: "k-1"})
    again = client.post(INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: "k-1"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers[REPLAYED_HEADER] == "true"
    assert REPLAYED_HEADER not in first.headers
    assert VIEWS_DELAYED_HEADER not in first.headers and VIEWS_DELAYED_HEADER not in again.headers
    assert cases_in(platform) == [UUID(first.json()["case_id"])]
    # Another key is another command.
    other = client.post(INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: "k-2"})
    assert other.status_code == 201
    assert len(cases_in(platform)) == 2


def test_an_intake_that_loses_every_race_for_its_register_is_answered_422_to_try_again(
    clients: Clients, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other intakes of the city numbered a case first at every attempt: a refusal the person
    can act on (try again), with the key free for it, not a 500; nothing is recorded."""

    def a_rival_first(*_aggregates: Any, **_options: Any) -> Any:
        raise IntegrityError("another process numbered a case first")

    monkeypatch.setattr(platform.cases.record, "save", a_rival_first)
    client = clients.coordinator()
    refused = client.post(INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: "r"})

    assert refused.status_code == 422, refused.text
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["problems"] == [{
        "field": None, "code": "concurrent_changes",
        "message": "Altri hanno modificato gli stessi dati nello stesso momento: non è stato "
                   "salvato nulla. Riprovare."}]
    assert cases_in(platform) == []
    # The refusal asks to be sent again: it is not kept under the key, so the retry is carried
    # out (a refusal of the rules is kept: see the test below).
    monkeypatch.undo()
    again = client.post(INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: "r"})
    assert again.status_code == 201, again.text
    assert REPLAYED_HEADER not in again.headers
    assert cases_in(platform) == [UUID(again.json()["case_id"])]


def test_a_command_saved_while_the_views_lag_answers_201_saying_they_are_delayed(
    clients: Clients, platform: Platform
) -> None:
    follower_of(platform).following = False  # the projector is behind
    created = clients.coordinator().post(INTAKES, json=an_intake_payload())
    assert created.status_code == 201
    assert created.headers[VIEWS_DELAYED_HEADER] == "true"
    assert cases_in(platform) == [UUID(created.json()["case_id"])]
    # A read waits for nothing: no such header.
    listed = clients.coordinator().get("/api/v1/cities/firenze/cases")
    assert listed.status_code == 200
    assert VIEWS_DELAYED_HEADER not in listed.headers


def test_a_key_is_its_sender_s_own(clients: Clients, platform: Platform) -> None:
    body = an_intake_payload()
    first = clients.coordinator().post(INTAKES, json=body, headers={IDEMPOTENCY_HEADER: "same"})
    second = clients.operator().post(INTAKES, json=body, headers={IDEMPOTENCY_HEADER: "same"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["case_id"] != second.json()["case_id"]
    assert len(cases_in(platform)) == 2


def test_the_same_key_for_a_different_request_is_refused_and_records_nothing(
    clients: Clients, platform: Platform
) -> None:
    client = clients.coordinator()
    client.post(INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: "k"})
    reused = client.post(INTAKES, params={"lang": "en"}, json=an_intake_payload(),
                         headers={IDEMPOTENCY_HEADER: "k"})
    assert reused.status_code == 422
    assert reused.json()["problems"][0]["code"] == "idempotency_key_reused"
    assert reused.json()["message"] == (
        "This Idempotency-Key was already used for a different request: use a new key for "
        "each command.")
    assert len(cases_in(platform)) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "con spazio", "chiave-è"])
def test_a_key_that_is_not_1_to_255_visible_ascii_characters_is_refused(
    clients: Clients, platform: Platform, key: str
) -> None:
    refused = clients.coordinator().post(
        INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: key.encode()})
    assert refused.status_code == 422, refused.text
    assert refused.json()["problems"][0]["code"] == "idempotency_key_refused"
    assert cases_in(platform) == []


def test_a_key_of_255_characters_is_accepted(clients: Clients, platform: Platform) -> None:
    answer = clients.coordinator().post(INTAKES, json=an_intake_payload(),
                                        headers={IDEMPOTENCY_HEADER: "k" * 255})
    assert answer.status_code == 201


def test_a_refusal_is_kept_too_so_the_retry_gets_it_and_nothing_is_recorded(
    clients: Clients, platform: Platform
) -> None:
    client = clients.coordinator()
    bad = an_intake_payload(birth_date="2030-01-01")
    first = client.post(INTAKES, json=bad, headers={IDEMPOTENCY_HEADER: "bad"})
    again = client.post(INTAKES, json=bad, headers={IDEMPOTENCY_HEADER: "bad"})
    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()
    assert cases_in(platform) == []


def test_identifiers_read_with_a_key_are_never_kept_in_the_accounts_store(
    clients: Clients, platform: Platform
) -> None:
    client = clients.coordinator()
    case_id = client.post(INTAKES, json=an_intake_payload()).json()["case_id"]
    read = client.post(f"/api/v1/cases/{case_id}/identifiers",
                       json={"reason": "contact_person"}, headers={IDEMPOTENCY_HEADER: "read"})
    assert read.status_code == 200
    assert read.json()["identifiers"]["given_name"] == "Amanuel"
    with platform.accounts.database.reading() as tx:
        kept = tx.fetchall("SELECT status, headers, body FROM acc_idempotent_answers")
    assert kept == []
    assert "Amanuel" not in Path(platform.settings.data_dir / "accounts.sqlite").read_bytes(
        ).decode("latin-1")


def test_every_form_carries_a_fresh_key_and_a_form_sent_twice_records_one_case(
    clients: Clients, platform: Platform
) -> None:
    client = clients.coordinator()
    page = client.get("/cities/firenze/intake").text
    keys = re.findall(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert keys and len(set(keys)) == len(keys)
    form = an_intake_form(csrf_token=client.headers["X-CSRF-Token"], idempotency_key=keys[0])
    del client.headers["X-CSRF-Token"]
    try:
        first = client.post("/cities/firenze/intake", data=form, follow_redirects=False)
        again = client.post("/cities/firenze/intake", data=form, follow_redirects=False)
    finally:
        client.headers["X-CSRF-Token"] = form["csrf_token"]
    assert first.status_code == again.status_code == 303, first.text[:300]
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers[REPLAYED_HEADER] == "true"
    assert len(cases_in(platform)) == 1


def test_a_form_sent_the_htmx_way_carries_its_key_in_the_header_and_counts_once(
    clients: Clients, platform: Platform
) -> None:
    client = clients.coordinator()  # sends the CSRF token in its header, as htmx does
    headers = {"HX-Request": "true", IDEMPOTENCY_HEADER: "f" * 32}
    first = client.post("/cities/firenze/intake", data=an_intake_form(), headers=headers,
                        follow_redirects=False)
    again = client.post("/cities/firenze/intake", data=an_intake_form(), headers=headers,
                        follow_redirects=False)
    assert first.status_code == again.status_code
    assert first.status_code < 400, first.text[:300]
    assert again.headers[REPLAYED_HEADER] == "true"
    assert len(cases_in(platform)) == 1


def test_the_openapi_schema_documents_the_key_on_every_command_and_the_503(
    client: TestClient,
) -> None:
    schema: dict[str, Any] = client.get("/openapi.json").json()
    commands = [(path, method, operation) for path, operations in schema["paths"].items()
                for method, operation in operations.items()
                if method in ("post", "put", "patch", "delete")]
    assert len(commands) > 40
    for path, method, operation in commands:
        names = [p["name"] for p in operation.get("parameters", [])]
        assert "Idempotency-Key" in names, (path, method)
        assert "503" in operation["responses"], (path, method)
        assert "Retry-After" in operation["responses"]["503"]["headers"]


def _sqlite_error(sql: str, database: str) -> sqlite3.Error:
    connection = sqlite3.connect(database, uri=True)
    try:
        connection.execute(sql)
    except sqlite3.Error as error:
        return error
    finally:
        connection.close()
    raise AssertionError(f"{sql} did not fail")


def test_outages_are_told_from_mistakes_in_code(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    read_only = _sqlite_error("INSERT INTO t VALUES (1)", f"file:{path}?mode=ro")
    assert is_outage(read_only)  # SQLITE_READONLY: a read-only store
    assert not is_outage(_sqlite_error("SELEC 1", str(path)))  # a mistake in code
    assert not is_outage(_sqlite_error("SELECT * FROM nothing_here", str(path)))
    assert is_outage(OSError(errno.ENOSPC, "No space left on device"))
    assert is_outage(OSError(errno.EROFS, "Read-only file system"))
    assert not is_outage(FileNotFoundError(errno.ENOENT, "no such file"))
    assert not is_outage(ValueError("not an outage"))


# --- on PostgreSQL: connections ended, a read-only database -------------------------------------


@pytest.fixture
def pg_platform(own_postgres_database: str, tmp_path: Path) -> Iterator[Platform]:
    settings = Settings(data_dir=tmp_path, database_url=own_postgres_database,
                        vault_key_file=None, read_your_writes_timeout=1.0, secure_cookies=False,
                        second_factor="off")
    platform = build_platform(settings, clock=Clock(), ids=IssuedIds(), follow=Follow.IN_PROCESS,
                              password_hasher=CHEAP_HASHER)
    yield platform
    platform.close()


@pytest.fixture
def pg_clients(pg_platform: Platform) -> Iterator[Clients]:
    app: FastAPI = create_app(pg_platform)
    made = Clients(app, pg_platform)
    yield made
    made.close()


def database_url_of(platform: Platform) -> str:
    url = platform.settings.database_url
    assert url is not None
    return url


def _admin(database_url: str, *statements: str) -> None:
    """Run `statements` as the server's admin, on this test's own database only."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres",
                         autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement.format(name=name))


def terminate_connections(database_url: str) -> None:
    """End every connection to this test's database: what a PostgreSQL restart or failover does
    to the platform's pools (never the shared server itself)."""
    _admin(database_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = '{name}' AND pid <> pg_backend_pid()")


@pytest.mark.postgres
def test_connections_the_server_ended_are_replaced_and_nobody_sees_an_error(
    pg_clients: Clients, pg_platform: Platform
) -> None:
    client = pg_clients.coordinator()
    created = client.post(INTAKES, json=an_intake_payload())
    assert created.status_code == 201
    url = database_url_of(pg_platform)
    for _ in range(3):
        terminate_connections(url)
        assert client.get(created.headers["Location"]).status_code == 200
        terminate_connections(url)
        assert client.post(INTAKES, json=an_intake_payload()).status_code == 201
    assert len(cases_in(pg_platform)) == 4


@pytest.mark.postgres
def test_the_same_key_after_a_failure_between_the_save_and_the_answer_makes_one_case(
    pg_clients: Clients, pg_platform: Platform
) -> None:
    url = database_url_of(pg_platform)

    def outage_after_the_save(point: str) -> None:
        if point == INTAKE_SAVED:
            terminate_connections(url)  # the views' wait and the confirmation lose theirs

    pg_platform.cases.checkpoint = outage_after_the_save
    client = pg_clients.coordinator()
    first = client.post(INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: "once"})
    pg_platform.cases.checkpoint = lambda _point: None
    again = client.post(INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: "once"})

    assert first.status_code == 201, first.text  # saved: never answered as a failure
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers[REPLAYED_HEADER] == "true"
    assert cases_in(pg_platform) == [UUID(first.json()["case_id"])]


@pytest.mark.postgres
def test_a_read_only_store_answers_503_with_the_error_body_and_retry_after_then_recovers(
    pg_clients: Clients, pg_platform: Platform
) -> None:
    url = database_url_of(pg_platform)
    client = pg_clients.coordinator()
    page_form = an_intake_form(csrf_token=client.headers["X-CSRF-Token"])
    _admin(url, "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on")
    terminate_connections(url)
    try:
        refused = client.post(INTAKES, json=an_intake_payload(),
                              headers={IDEMPOTENCY_HEADER: "ro"})
        page = client.post("/cities/firenze/intake", data=page_form, follow_redirects=False)
    finally:
        _admin(url, "ALTER DATABASE \"{name}\" RESET default_transaction_read_only")
        terminate_connections(url)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["problems"][0]["code"] == "service_unavailable"
    assert "Riprovate" in refused.json()["message"]
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "Riprovate" in page.text
    assert cases_in(pg_platform) == []
    # The outage kept nothing under the key: the retry is carried out.
    retried = client.post(INTAKES, json=an_intake_payload(), headers={IDEMPOTENCY_HEADER: "ro"})
    assert retried.status_code == 201, retried.text
    assert cases_in(pg_platform) == [UUID(retried.json()["case_id"])]


# --- views delayed in every command's body (issue 17 item 3) -----------------------------------


def test_every_command_s_answer_says_in_its_body_whether_the_views_are_delayed(
    clients: Clients, platform: Platform
) -> None:
    client = clients.coordinator()
    shown = client.post(INTAKES, json=an_intake_payload()).json()
    case_id = shown["case_id"]
    referral = {"destination_kind": "city_service", "service": "health"}
    caught_up = client.post(f"/api/v1/cases/{case_id}/referrals", json=referral)
    assert caught_up.status_code == 201, caught_up.text
    assert caught_up.json()["views_delayed"] is False
    assert VIEWS_DELAYED_HEADER not in caught_up.headers
    assert shown["views_delayed"] is False

    follower_of(platform).following = False  # the projector is behind from now on
    referred = client.post(f"/api/v1/cases/{case_id}/referrals",
                           json={"destination_kind": "city_service", "service": "employment"},
                           headers={IDEMPOTENCY_HEADER: "delayed"})
    assert referred.status_code == 201, referred.text
    assert referred.json()["views_delayed"] is True
    assert referred.json()["referral"] is None  # the board lags: not shown
    assert referred.headers[VIEWS_DELAYED_HEADER] == "true"
    assert int(referred.headers["content-length"]) == len(referred.content)
    # The replay answers the body kept the first time, the field as it was then.
    again = client.post(f"/api/v1/cases/{case_id}/referrals",
                        json={"destination_kind": "city_service", "service": "employment"},
                        headers={IDEMPOTENCY_HEADER: "delayed"})
    assert again.headers[REPLAYED_HEADER] == "true"
    assert again.json() == referred.json()
    # A refusal is not a command's answer: no field.
    refused = client.post(f"/api/v1/cases/{case_id}/referrals", json={"destination_kind": "x"})
    assert refused.status_code == 422
    assert "views_delayed" not in refused.json()


def test_the_openapi_schema_documents_views_delayed_on_every_command_s_answer(
    client: TestClient,
) -> None:
    schema: dict[str, Any] = client.get("/openapi.json").json()
    documented = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not path.startswith("/api/") or method not in ("post", "put", "patch", "delete"):
                continue
            for status_code, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                if status_code.startswith("2") and content is not None:
                    parts = content["schema"].get("allOf", [content["schema"]])
                    assert any("views_delayed" in part.get("properties", {})
                               for part in parts), (path, method, status_code)
                    documented += 1
    assert documented > 40
    # Reads are left as they were.
    case = schema["paths"]["/api/v1/cases/{case_id}"]["get"]["responses"]["200"]
    assert "allOf" not in case["content"]["application/json"]["schema"]


def _as_a_kill_leaves_it(platform: Platform, seconds_ago: float) -> None:
    """The key's row as a process killed between the save and the answer leaves it: claimed,
    no answer, claimed `seconds_ago`."""
    claimed_at = timestamp(platform.accounts.clock() - timedelta(seconds=seconds_ago))
    with platform.accounts.database.transaction() as tx:
        assert tx.execute("UPDATE acc_idempotent_answers SET status = NULL, headers = NULL, "
                          "body = NULL, claimed_at = ?", (claimed_at,)) == 1


def test_an_intake_retried_after_its_process_died_between_the_save_and_the_answer_makes_one_case(
    clients: Clients, platform: Platform,
) -> None:
    client = clients.coordinator()
    # As a client sends it: no word of going on past a possible same person.
    payload = an_intake_payload(new_case_despite_possible_match=False)
    first = client.post(INTAKES, json=payload, headers={IDEMPOTENCY_HEADER: "k-9"})
    assert first.status_code == 201
    seconds = ABANDONED_AFTER.total_seconds()

    _as_a_kill_leaves_it(platform, seconds - 1)
    while_claimed = client.post(INTAKES, json=payload, headers={IDEMPOTENCY_HEADER: "k-9"})
    assert while_claimed.status_code == 409
    assert while_claimed.json()["problems"][0]["code"] == "idempotency_key_in_use"

    _as_a_kill_leaves_it(platform, seconds + 1)
    again = client.post(INTAKES, json=payload, headers={IDEMPOTENCY_HEADER: "k-9"})
    # Carried out again, it finds the case its first run saved (before the duplicate check,
    # which would take that case for a possible same person): the same answer, one case.
    assert again.status_code == 201, again.text
    assert again.headers["Location"] == first.headers["Location"]
    assert {name: again.json()[name] for name in ("case_id", "case_code")} == {
        name: first.json()[name] for name in ("case_id", "case_code")}
    assert cases_in(platform) == [UUID(first.json()["case_id"])]
    # And that answer is now the key's.
    replayed = client.post(INTAKES, json=payload, headers={IDEMPOTENCY_HEADER: "k-9"})
    assert replayed.headers[REPLAYED_HEADER] == "true"
    assert replayed.json() == again.json()


def test_an_intake_form_retried_after_its_process_died_after_the_save_makes_one_case(
    clients: Clients, platform: Platform,
) -> None:
    client = clients.coordinator()
    form = an_intake_form(csrf_token=client.headers["X-CSRF-Token"], idempotency_key="form-k-9")
    del form["new_case_despite_possible_match"]  # not ticked: a possible same person stops it
    del client.headers["X-CSRF-Token"]
    try:
        first = client.post("/cities/firenze/intake", data=form, follow_redirects=False)
        _as_a_kill_leaves_it(platform, ABANDONED_AFTER.total_seconds() + 1)
        again = client.post("/cities/firenze/intake", data=form, follow_redirects=False)
    finally:
        client.headers["X-CSRF-Token"] = form["csrf_token"]

    assert first.status_code == again.status_code == 303, again.text[:300]
    assert again.headers["Location"] == first.headers["Location"]
    assert REPLAYED_HEADER not in again.headers  # carried out again, not replayed
    assert len(cases_in(platform)) == 1
