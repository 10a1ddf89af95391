"""The core path on PostgreSQL: an intake recorded through the application service with the event
store and the vault in PostgreSQL, relayed to a real nats-server as a CloudEvent."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from uuid import UUID, uuid4

import nats
import psycopg
import pytest

from domain.cases.service import CaseService
from domain.programme import City
from events.cloudevents import from_message
from events.contracts import CaseIntakeRecordedV2
from infra.nats.server import EmbeddedNats
from infra.nats.streams import read_stream
from infra.pipeline.relay import Relay
from infra.settings import Settings
from infra.store.eventstore import event_store_env, open_record, postgres_env
from infra.store.vault import PostgresVault, WrongMasterKey, open_vault
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.conftest import headers_of

MASTER_KEY = bytes(range(100, 132))


@pytest.fixture(scope="module")
def database_url(postgres_database: str) -> Iterator[str]:
    """A database of this module's own beside the session's: its event log and its vault (with
    the vault's master-key canary) start empty, whatever other suites wrote in theirs."""
    url = urlparse(postgres_database)
    name = f"{url.path.lstrip('/')}_core"
    admin: dict[str, Any] = {"host": url.hostname, "port": url.port, "user": url.username,
                             "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.nats
async def test_an_intake_on_postgres_reaches_nats_as_a_cloudevent(
    tmp_path: Path, database_url: str, nats_server: EmbeddedNats
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    record = open_record(settings)
    vault = open_vault(settings, master_key=MASTER_KEY)
    case_id = uuid4()
    person = a_person()
    try:
        receipt = CaseService(record, vault).record_intake(
            case_id, an_intake(City.BOLOGNA), person, a_coordinator(City.BOLOGNA), NOW
        )
        published = await Relay(record, nats_server.url).publish_pending()
        assert vault.read(case_id) == person
    finally:
        record.close()
        vault.close()

    connection = await nats.connect(nats_server.url)
    try:
        messages = await read_stream(connection.jetstream())
    finally:
        await connection.close()
    assert published == len(messages) >= 1
    (message,) = [m for m in messages if headers_of(m)["ce-id"] == f"{case_id}.1"]
    envelope = from_message(headers_of(message), message.data)
    assert message.subject == "lgnet.bologna.case.intake_recorded"
    assert envelope.position == receipt.position
    assert envelope.time == NOW
    assert isinstance(envelope.data, CaseIntakeRecordedV2)
    assert envelope.data.case_code == receipt.case_code
    # Nothing went to SQLite: the data dir holds no event store and no vault file.
    assert not list(tmp_path.glob("*.sqlite"))


@pytest.mark.postgres
def test_the_postgres_vault_keeps_erases_and_guards_its_master_key(database_url: str) -> None:
    vault = PostgresVault(database_url, MASTER_KEY)
    try:
        kept, erased = uuid4(), uuid4()
        vault.store(kept, a_person(given_name="Kept"))
        vault.store(erased, a_person(given_name="Erased"))
        with psycopg.connect(database_url) as connection:
            keys: dict[UUID, bytes] = dict(connection.execute(
                "SELECT case_id, wrapped_key FROM vault_people WHERE case_id IN (%s, %s)",
                (kept, erased),
            ).fetchall())
        assert keys[kept] != keys[erased]

        assert vault.erase(erased) is True
        assert vault.read(erased) is None
        assert vault.erase(erased) is False
        assert vault.read(kept) == a_person(given_name="Kept")

        def store_and_read(index: int) -> bool:
            case_id = uuid4()
            vault.store(case_id, a_person(given_name=f"Person {index}"))
            return vault.read(case_id) == a_person(given_name=f"Person {index}")

        with ThreadPoolExecutor(max_workers=6) as pool:
            assert all(pool.map(store_and_read, range(60)))
    finally:
        vault.close()
    with pytest.raises(WrongMasterKey):
        PostgresVault(database_url, secrets.token_bytes(32))


def test_the_database_url_becomes_the_event_store_settings(tmp_path: Path) -> None:
    assert postgres_env("postgresql://lgnet:p%40ss%2Fword@db.internal:6543/programme") == {
        "POSTGRES_DBNAME": "programme",
        "POSTGRES_HOST": "db.internal",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "lgnet",
        "POSTGRES_PASSWORD": "p@ss/word",
    }
    env = event_store_env(
        Settings(data_dir=tmp_path, database_url="postgresql://postgres@localhost/lgnet")
    )
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert env["POSTGRES_PORT"] == "5432"
    assert env["POSTGRES_PASSWORD"] == ""
    # Commit order must equal notification order for the relay: the DB functions stay off.
    assert env["POSTGRES_ENABLE_DB_FUNCTIONS"] == "n"
    assert env["LGNET_PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert int(env["AGGREGATE_CACHE_MAXSIZE"]) > 0


def test_without_a_database_url_the_event_store_is_a_file_in_the_data_dir(tmp_path: Path) -> None:
    env = event_store_env(Settings(data_dir=tmp_path / "var"))
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "var" / "events.sqlite")


@pytest.mark.postgres
def test_the_postgres_vault_keeps_files_and_erasure_shreds_a_case_s_not_a_claim_s(
    database_url: str,
) -> None:
    vault = PostgresVault(database_url, MASTER_KEY)
    try:
        case_id, file_id, claim_id = uuid4(), uuid4(), uuid4()
        scan = b"%PDF-1.4\n% a permit\n%%EOF\n"
        vault.store(case_id, a_person())
        vault.store_file(case_id, file_id, scan)
        vault.store_claim_file(claim_id, file_id, scan)

        assert vault.read_file(case_id, file_id) == scan
        assert vault.read_claim_file(claim_id, file_id) == scan
        assert vault.erase(case_id) is True
        assert vault.read_file(case_id, file_id) is None
        assert vault.read_claim_file(claim_id, file_id) == scan
        with pytest.raises(LookupError):
            vault.store_file(case_id, uuid4(), scan)
        vault.discard_claim_file(claim_id, file_id)
        assert vault.read_claim_file(claim_id, file_id) is None
    finally:
        vault.close()
