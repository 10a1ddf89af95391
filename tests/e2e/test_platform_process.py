"""`lgnet run` as a user runs it: one process tree with the embedded nats-server, demo data,
the web app, relay, projector and partner feed. A partner-style NATS client sees each new
intake as a CloudEvent; Ctrl-C stops everything cleanly; the next start loses nothing."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.msg import Msg

from infra.nats.auth import OBSERVER_USER
from infra.nats.credentials import embedded_credentials, url_with_credentials
from infra.nats.server import free_port
from infra.settings import Settings
from infra.store.accounts.demo import DEMO_CREDENTIALS_FILE_NAME, read_demo_credentials
from infra.store.accounts.sessions import csrf_token_for
from tests.conftest import headers_of
from web.areas.intake.requests import EXAMPLE_INTAKE
from web.kit.authentication import SESSION_COOKIE

pytestmark = pytest.mark.nats
# Only a guard against a start that hangs: a first start records the demo, ~70 s alone on
# these two-core machines and more than 90 s beside the rest of the suite.
STARTUP_TIMEOUT = 240


class RunningPlatform:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.http_port, self.nats_port = free_port(), free_port()
        self.output = data_dir.parent / "lgnet-run.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, nats_port=self.nats_port)

    def start(self) -> None:
        already_written = self.output.stat().st_size if self.output.exists() else 0
        env = {**os.environ, "LGNET_DATA_DIR": str(self.data_dir),
               "LGNET_HTTP_PORT": str(self.http_port), "LGNET_NATS_PORT": str(self.nats_port)}
        with self.output.open("ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "lgnet"), "run"], env=env,
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while b"Press Ctrl-C to stop." not in self.output.read_bytes()[already_written:]:
            assert self.process.poll() is None, self.output.read_text(errors="replace")
            assert time.monotonic() < deadline, "lgnet run did not announce itself"
            time.sleep(0.1)

    def interrupt(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        return self.process.wait(30)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def signed_in_client(self, username: str) -> httpx.Client:
        credentials = {u: p for u, p, _role, _city in read_demo_credentials(
            self.data_dir / DEMO_CREDENTIALS_FILE_NAME)}
        client = httpx.Client(base_url=self.base_url, timeout=10)
        answer = client.post("/sign-in", data={"username": username,
                                               "password": credentials[username]},
                             headers={"Origin": self.base_url})
        assert answer.status_code == 303, answer.text
        client.headers["X-CSRF-Token"] = csrf_token_for(client.cookies[SESSION_COOKIE])
        return client

    def observer_url(self) -> str:
        password = embedded_credentials(self.settings)[OBSERVER_USER]
        return url_with_credentials(f"nats://127.0.0.1:{self.nats_port}", OBSERVER_USER, password)


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[RunningPlatform]:
    running = RunningPlatform(tmp_path / "var")
    yield running
    running.kill()


async def next_intake_event(
    observer_url: str, act: Callable[[], None], case_code: Callable[[], str]
) -> tuple[dict[str, str], dict[str, Any]]:
    """Subscribe to lgnet.> as a plain NATS client, do `act`, return the intake of the case
    `case_code()` names once `act` is done. The relay may still be publishing the demo data
    loaded on first start: those intakes come first and are passed over."""
    connection = await nats.connect(observer_url)
    received: asyncio.Queue[Msg] = asyncio.Queue()
    await connection.subscribe("lgnet.>", cb=received.put)
    await connection.flush()
    await asyncio.to_thread(act)
    while True:
        async with asyncio.timeout(10):
            message = await received.get()
        headers = headers_of(message)
        if (headers["ce-type"] == "it.lgnet.case.intake_recorded.v2"
                and headers["ce-subject"] == case_code()):
            await connection.close()
            return headers, json.loads(message.data)


def test_the_platform_runs_announces_publishes_stops_cleanly_and_resumes(
    platform: RunningPlatform,
) -> None:
    platform.start()
    banner = platform.output.read_text()
    assert platform.base_url + "/" in banner
    # The banner says where the secrets are and how to print them, never a secret (issue 18,
    # item 13): the output of `lgnet run` ends up in scrollback and service logs.
    assert f"nats://127.0.0.1:{platform.nats_port}" in banner
    assert not re.search(r"nats://observer:", banner)
    assert str(platform.data_dir / "nats-credentials.json") in banner
    assert "`lgnet nats urls`" in banner and "`lgnet users demo`" in banner
    assert str(platform.data_dir / DEMO_CREDENTIALS_FILE_NAME) in banner
    assert "firenze.coordinatore" in banner
    assert f"Keys:  {platform.data_dir.parent / 'var-keys'}" in banner

    coordinator = platform.signed_in_client("firenze.coordinatore")
    # The read models are still catching up with the demo loaded on first start (tens of
    # thousands of events): read-your-writes is a promise for a platform that keeps up, so the
    # intake below waits for the backlog to drain (the figures' position standing still).
    settled_on, last, deadline = time.monotonic(), -1, time.monotonic() + 180
    while time.monotonic() - settled_on < 3:
        assert time.monotonic() < deadline, "the read models never caught up with the demo"
        position = coordinator.get("/api/v1/cities/firenze/indicators").json()["position"]
        if position != last:
            settled_on, last = time.monotonic(), position
        time.sleep(0.5)
    created: dict[str, Any] = {}

    def take_in() -> None:
        answer = coordinator.post("/api/v1/cities/firenze/intakes", json=EXAMPLE_INTAKE)
        assert answer.status_code == 201, answer.text
        created.update(answer.json())

    headers, data = asyncio.run(next_intake_event(
        platform.observer_url(), take_in, lambda: created["case_code"]))
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-subject"] == created["case_code"] == data["case_code"]
    assert EXAMPLE_INTAKE["given_name"] not in json.dumps(data)
    # Read-your-writes: the list shows the case as soon as the save has returned.
    listing = coordinator.get("/api/v1/cities/firenze/cases", params={"page_size": 100})
    assert created["case_code"] in listing.text
    cases_before = coordinator.get("/api/v1/network/overview").json()
    # An auditor's look at the past replays read models into var/replays; an export.
    auditor = platform.signed_in_client("revisore")
    assert auditor.get("/as-of", params={"moment": "2019-07-02", "next": "/"},
                       follow_redirects=True).status_code == 200
    assert list((platform.data_dir / "replays").iterdir())
    assert coordinator.get("/cities/firenze/dashboard/referrals/export.csv").status_code == 200
    # While it runs (the SQLite -wal and -shm files, nats-server's log and store, the replay)
    # and once stopped, nothing under var/ or the key dir is anybody's but its owner's (item 4).
    assert_private(platform.data_dir, platform.data_dir.parent / "var-keys")
    assert any(path.name.endswith("-wal") for path in platform.data_dir.iterdir())
    assert (platform.data_dir / "nats" / "nats-server.log").exists()

    assert platform.interrupt() == 0
    assert "LGNetEA stopped." in platform.output.read_text()
    assert_private(platform.data_dir, platform.data_dir.parent / "var-keys")
    assert_no_secret_in(platform.output.read_text(), platform)

    # A data dir left open by an earlier version is put right at the next start, and it says so.
    opened = [platform.data_dir / "accounts.sqlite", platform.data_dir / "events.sqlite"]
    for path in opened:
        path.chmod(0o644)
    platform.data_dir.chmod(0o755)
    platform.start()  # same data dir: nothing lost, no demo data loaded twice
    assert f"Made {platform.data_dir} private: 3 paths" in platform.output.read_text()
    assert_private(platform.data_dir)
    coordinator = platform.signed_in_client("firenze.coordinatore")
    assert coordinator.get(f"/api/v1/cases/{created['case_id']}").status_code == 200
    assert coordinator.get("/api/v1/network/overview").json() == cases_before
    assert platform.interrupt() == 0
    assert_no_secret_in(platform.output.read_text(), platform)


def assert_private(*directories: Path) -> None:
    """Every directory under `directories` 0700, every file 0600 (the embedded nats-server's
    pid file included)."""
    checked = 0
    for directory in directories:
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
        for path in directory.rglob("*"):
            if path.is_symlink() or not path.exists():
                continue
            wanted = 0o700 if path.is_dir() else 0o600
            assert stat.S_IMODE(path.stat().st_mode) == wanted, (path, oct(path.stat().st_mode))
            checked += 1
    assert checked > 10


def assert_no_secret_in(output: str, platform: RunningPlatform) -> None:
    """No secret kept in the data dir or the key dir appears in `output` (stdout and stderr of
    `lgnet run`, its logs included), in any usual spelling of it."""
    secrets_kept = list(json.loads((platform.data_dir / "nats-credentials.json").read_text())
                        .values())
    secrets_kept += [password for _user, password, _role, _city in read_demo_credentials(
        platform.data_dir / DEMO_CREDENTIALS_FILE_NAME)]
    keys = platform.data_dir.parent / "var-keys"
    for key_file in [*keys.iterdir(), platform.data_dir / "audit" / "checkpoint-signing-key.pem"]:
        key = key_file.read_bytes()
        if key.startswith(b"-----"):
            secrets_kept += [line for line in key.decode().splitlines()
                             if not line.startswith("-----")]
        else:
            secrets_kept += [key.hex(), base64.b64encode(key).decode(),
                             base64.urlsafe_b64encode(key).decode().rstrip("=")]
    assert len(secrets_kept) >= 12
    for secret in secrets_kept:
        assert secret not in output
