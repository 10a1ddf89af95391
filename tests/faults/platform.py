"""`lgnet run` as a subprocess for fault injection, on SQLite or on a PostgreSQL database of its
own. The data dir is seeded in-process first (the programme period extended to this year, as
`make run`'s first start does), so no demo is generated and the platform starts in seconds."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from infra.bootstrap import build_platform
from infra.cli.demo import extend_for_trying
from infra.nats.server import free_port
from infra.settings import Settings
from infra.store.accounts.demo import DEMO_CREDENTIALS_FILE_NAME, read_demo_credentials
from infra.store.accounts.sessions import csrf_token_for
from tests.conftest import _created_database
from web.areas.intake.requests import EXAMPLE_INTAKE
from web.kit.authentication import SESSION_COOKIE

REPOSITORY = Path(__file__).resolve().parents[2]
# Only a guard against a start that hangs: a first start records the demo, ~70 s alone on
# these two-core machines and more than 90 s beside the rest of the suite.
STARTUP_TIMEOUT = 240


@contextmanager
def store_url(store: str) -> Iterator[str | None]:
    """None for SQLite; for PostgreSQL a fresh database, dropped afterwards."""
    if store == "sqlite":
        yield None
        return
    with _created_database() as url:
        yield url


class RunningPlatform:
    def __init__(self, data_dir: Path, database_url: str | None, **settings: str) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.extra = settings
        self.http_port, self.nats_port = free_port(), free_port()
        self.output = data_dir.parent / f"{data_dir.name}-run.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, nats_port=self.nats_port,
                        database_url=self.database_url)

    def environment(self, **more: str) -> dict[str, str]:
        env = {**os.environ, "LGNET_DATA_DIR": str(self.data_dir),
               "LGNET_HTTP_PORT": str(self.http_port), "LGNET_NATS_PORT": str(self.nats_port),
               # The code under test, also when the virtualenv's editable install points at
               # another checkout of the repository.
               "PYTHONPATH": str(REPOSITORY), **self.extra, **more}
        if self.database_url:
            env["LGNET_DATABASE_URL"] = self.database_url
        return env

    def seed(self) -> None:
        platform = build_platform(self.settings)
        try:
            extend_for_trying(platform, datetime.now(UTC))
        finally:
            platform.close()

    def lgnet(self, *arguments: str, timeout: float = 600, **env: str
              ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(Path(sys.executable).parent / "lgnet"), *arguments],
            env=self.environment(**env), capture_output=True, text=True, timeout=timeout,
            check=False)

    def start(self) -> None:
        already_written = self.output.stat().st_size if self.output.exists() else 0
        with self.output.open("ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "lgnet"), "run"], env=self.environment(),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while b"Press Ctrl-C to stop." not in self.output.read_bytes()[already_written:]:
            assert self.process.poll() is None, self.log()
            assert time.monotonic() < deadline, "lgnet run did not announce itself"
            time.sleep(0.1)

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def interrupt(self, timeout: float = 60) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        return self.process.wait(timeout)

    def kill(self) -> None:
        """Stop everything this platform started: `lgnet run` and its nats-server."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def nats_pid(self) -> int:
        return int((self.data_dir / "nats" / "nats-server.pid").read_text().strip())

    def signed_in_client(self, username: str = "firenze.coordinatore") -> httpx.Client:
        credentials = {u: p for u, p, _role, _city in read_demo_credentials(
            self.data_dir / DEMO_CREDENTIALS_FILE_NAME)}
        client = httpx.Client(base_url=self.base_url, timeout=30)
        answer = client.post("/sign-in", data={"username": username,
                                               "password": credentials[username]},
                             headers={"Origin": self.base_url})
        assert answer.status_code == 303, answer.text
        client.headers["X-CSRF-Token"] = csrf_token_for(client.cookies[SESSION_COOKIE])
        return client

    def readiness(self) -> httpx.Response:
        return httpx.get(f"{self.base_url}/health/ready", timeout=15)

    def wait_until_ready(self, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            answer = self.readiness()
            if answer.status_code == 200:
                return dict(answer.json())
            assert time.monotonic() < deadline, f"never ready: {answer.text}"
            time.sleep(0.5)


def take_in(client: httpx.Client, number: int, city: str = "firenze") -> httpx.Response:
    """An intake of a person of its own (no possible same person)."""
    intake = {**EXAMPLE_INTAKE, "given_name": f"Persona{number}", "family_name": f"Prova{number}",
              "document_number": f"YA{number:07d}", "phone": None}
    return client.post(f"/api/v1/cities/{city}/intakes", json=intake)


def read_models(platform: RunningPlatform, *, tracking: bool = True) -> dict[str, list[str]]:
    """Every row of every read model (tables rm_*, with or without the projections' tracking),
    sorted: what the pages and the API read."""
    # (sqlite_master lists indexes too: only the tables.) Never rm_changes: the position of the
    # batch each read model last changed in depends on how the events were batched.
    query = ("SELECT {column} FROM {catalogue} {column} LIKE 'rm_%' AND {column} != 'rm_changes'"
             + ("" if tracking else " AND {column} != 'rm_tracking'"))
    if platform.database_url is None:
        with sqlite3.connect(platform.data_dir / "readmodels.sqlite") as connection:
            names = [row[0] for row in connection.execute(query.format(
                column="name", catalogue="sqlite_master WHERE type = 'table' AND"))]
            return {name: sorted(map(repr, connection.execute(f"SELECT * FROM {name}")))
                    for name in names}
    with psycopg.connect(platform.database_url) as connection:
        names = [row[0] for row in connection.execute(query.format(
            column="table_name", catalogue="information_schema.tables WHERE"))]
        return {name: sorted(map(repr, connection.execute(f"SELECT * FROM {name}")))
                for name in names}


def parts_of(readiness: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {part["name"]: part for part in readiness["parts"]}


def intakes_in_store(platform: RunningPlatform) -> int:
    """IntakeRecorded events in the event store (what was saved, whatever was answered)."""
    from infra.store.eventstore import open_record_read_only

    record = open_record_read_only(platform.settings)
    try:
        count, start = 0, 1
        while True:
            notifications = record.recorder.select_notifications(start, 1000)
            if not notifications:
                return count
            count += sum(1 for n in notifications if n.topic.endswith("IntakeRecorded"))
            start = notifications[-1].id + 1
    finally:
        record.close()


def vault_rows(platform: RunningPlatform) -> int:
    """Persons the vault holds (one per case taken in, pending ones included)."""
    query = "SELECT count(*) FROM vault_people"
    if platform.database_url is None:
        with sqlite3.connect(platform.data_dir / "vault.sqlite") as connection:
            return int(connection.execute(query).fetchone()[0])
    with psycopg.connect(platform.database_url) as connection:
        row = connection.execute(query).fetchone()
        return int(row[0]) if row else 0
