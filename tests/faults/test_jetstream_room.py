"""Issue 17 item 4, against `lgnet run` on SQLite and on PostgreSQL: JetStream's disk budget is
a setting (LGNET_NATS_MAX_FILE_STORE); past it the relay says the stream has no room (not
"is something else publishing to it?"), readiness turns red, and once the budget is raised
(`lgnet nats reload`, no restart) every event waiting in the store is published and shown."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.platform import RunningPlatform, parts_of, store_url, take_in

pytestmark = [pytest.mark.faults, pytest.mark.nats]

SMALL_BUDGET = "64K"


@pytest.fixture(params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningPlatform]:
    with store_url(request.param) as url:
        running = RunningPlatform(tmp_path / "var", url,
                                  LGNET_NATS_MAX_FILE_STORE=SMALL_BUDGET)
        running.seed()
        running.start()
        try:
            yield running
        finally:
            running.kill()


def test_out_of_room_is_named_turns_readiness_red_and_recovers_once_the_budget_grows(
    platform: RunningPlatform,
) -> None:
    assert f"max_file_store: {SMALL_BUDGET}" in (platform.data_dir / "nats-server.conf").read_text()
    platform.wait_until_ready()
    coordinator = platform.signed_in_client()
    saved: list[httpx.Response] = []
    deadline = time.monotonic() + 240
    while "no room left" not in platform.log():
        assert time.monotonic() < deadline, "JetStream never ran out of room"
        answer = take_in(coordinator, len(saved) + 1)
        assert answer.status_code == 201, answer.text  # saved in the store all the same
        saved.append(answer)
    log = platform.log()
    assert "insufficient storage resources" in log or "insufficient resources" in log
    assert "LGNET_NATS_MAX_FILE_STORE" in log
    assert "is something else publishing to it?" not in log

    answer = platform.readiness()
    assert answer.status_code == 503
    relay = parts_of(answer.json())["relay"]
    assert not relay["ok"] and "no room left" in relay["detail"]

    reload = platform.lgnet("nats", "reload", LGNET_NATS_MAX_FILE_STORE="64M")
    assert reload.returncode == 0, reload.stderr
    assert "64M" in reload.stdout
    ready = platform.wait_until_ready(90)
    assert all(part["ok"] for part in ready["parts"])
    for created in saved:  # nothing lost: every case saved while out of room is shown
        deadline = time.monotonic() + 60
        while coordinator.get(created.headers["Location"]).status_code != 200:
            assert time.monotonic() < deadline, f"{created.json()['case_code']} never showed"
            time.sleep(0.2)
    assert platform.interrupt(timeout=30) == 0
