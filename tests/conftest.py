"""Shared fixtures: a real nats-server per test, a fresh PostgreSQL database per test run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from cloudevents.core.base import BaseCloudEvent
from hypothesis import settings as hypothesis_settings
from nats.aio.msg import Msg
from nats.js.api import RawStreamMsg

from domain.record import ProgrammeRecord
from infra.nats.server import EmbeddedNats, free_port
from infra.nats.streams import read_stream
from infra.pipeline.relay import Relay
from tests.postgres_budget import new_database_name, share_the_server

# Property tests are judged by what they find, not by how fast one example runs: Hypothesis's
# default 200 ms deadline an example fails on a loaded machine (seen at load 17 under `make
# mutate`), and speed is measured by benchmarks, never by timed tests.
hypothesis_settings.register_profile("lgnet", deadline=None)
hypothesis_settings.load_profile("lgnet")

# Every event message a test publishes on lgnet.> / partner.> is checked against the AsyncAPI
# document, failing the test that published an invalid one (tests/contract_check.py). pytester
# runs a test inside a test: how tests/unit/test_asyncapi.py shows the check fails such a test.
pytest_plugins = ("tests.contract_check", "pytester")

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432


def pytest_configure(config: pytest.Config) -> None:
    """Share the PostgreSQL server with other runs and workers (tests/postgres_budget.py): a
    bounded number of connections per worker, stale test databases of killed runs dropped."""
    share_the_server(POSTGRES_HOST, POSTGRES_PORT)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A real nats-server with JetStream on a free port, storing in this test's temp dir."""
    server = EmbeddedNats(store_dir=tmp_path / "jetstream", port=free_port()).start()
    try:
        yield server
    finally:
        server.stop()


def _postgres_unavailable_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(
            host=POSTGRES_HOST, port=POSTGRES_PORT, user="postgres", dbname="postgres",
            connect_timeout=3,
        ):
            return None
    except Exception as error:  # any failure to connect means "not here"
        return f"PostgreSQL not reachable on {POSTGRES_HOST}:{POSTGRES_PORT}: {error}"


def skip_outside_ci(reason: str) -> None:
    """Skip a test whose real component is missing on this machine, with the reason; under
    CI=true the component must be there, so the same absence is a failure."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: every test must run)")
    pytest.skip(reason)


@contextmanager
def _created_database() -> Iterator[str]:
    """A new database on the local PostgreSQL, dropped afterwards (connections and all).
    Skips where there is no server, except under CI=true, where that is a failure."""
    reason = _postgres_unavailable_reason()
    if reason is not None:
        skip_outside_ci(reason)
    import psycopg

    name = new_database_name(datetime.now(UTC))
    with psycopg.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user="postgres", dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        with psycopg.connect(
            host=POSTGRES_HOST, port=POSTGRES_PORT, user="postgres", dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database created for this test run (one per worker), shared by its PostgreSQL tests."""
    with _created_database() as url:
        yield url


@pytest.fixture
def own_postgres_database() -> Iterator[str]:
    """A database for one test alone: for a test whose assertion another test's leftovers in a
    shared database could mask (an open transaction elsewhere in the database keeps dead rows
    alive through VACUUM FULL, for instance)."""
    with _created_database() as url:
        yield url


async def relayed(record: ProgrammeRecord, nats_url: str) -> list[Msg]:
    """Relay every event not yet published to the server at `nats_url`, then read stream LGNET
    back from its first message: what a subscriber of `lgnet.>` received."""
    await Relay(record, nats_url).publish_pending()
    connection = await nats.connect(nats_url)
    try:
        return await read_stream(connection.jetstream())
    finally:
        await connection.close()


def headers_of(message: Msg | RawStreamMsg) -> dict[str, str]:
    """The headers of a message the platform published: it always sends some."""
    assert message.headers is not None
    return message.headers


def data_of(event: BaseCloudEvent) -> dict[str, Any]:
    """The JSON object a CloudEvent of the platform carries as its data."""
    data = event.get_data()
    assert isinstance(data, dict)
    return data
