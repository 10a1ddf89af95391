"""Issue 17 item 3, against `lgnet run` as a subprocess on SQLite and on PostgreSQL: the
embedded nats-server killed is restarted and said so; frozen (alive but answering nothing),
readiness turns red, writes are answered at once saying the views are delayed, `lgnet check`
fails within its timeout with one line per part, and Ctrl-C still stops everything in seconds."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.platform import RunningPlatform, parts_of, store_url, take_in
from web.kit.views_delay import VIEWS_DELAYED_HEADER

pytestmark = [pytest.mark.faults, pytest.mark.nats]


@pytest.fixture(params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningPlatform]:
    with store_url(request.param) as url:
        running = RunningPlatform(tmp_path / "var", url)
        running.seed()
        running.start()
        try:
            yield running
        finally:
            running.kill()


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_a_killed_nats_server_is_restarted_with_a_log_line_and_the_platform_goes_on(
    platform: RunningPlatform,
) -> None:
    platform.wait_until_ready()
    coordinator = platform.signed_in_client()
    first = platform.nats_pid()

    os.kill(first, signal.SIGKILL)
    wait_for(lambda: "nats-server exited with status" in platform.log(), 10,
             "the death of nats-server was not logged")
    wait_for(lambda: "nats-server restarted" in platform.log(), 20,
             "nats-server was not restarted")
    assert platform.nats_pid() != first
    ready = platform.wait_until_ready(60)
    assert all(part["ok"] for part in ready["parts"])

    # Saved and shown again: the relay and the projector reconnected by themselves.
    answer = take_in(coordinator, 1)
    assert answer.status_code == 201, answer.text
    wait_for(lambda: coordinator.get(answer.headers["Location"]).status_code == 200, 30,
             "the case never showed after the restart")
    assert platform.interrupt(timeout=15) == 0


def test_a_frozen_nats_turns_readiness_red_writes_stop_waiting_and_ctrl_c_still_stops(
    platform: RunningPlatform,
) -> None:
    platform.wait_until_ready()
    coordinator = platform.signed_in_client()
    frozen = platform.nats_pid()
    os.kill(frozen, signal.SIGSTOP)  # alive, listening, answering nothing
    try:
        answer = platform.readiness()
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        parts = parts_of(answer.json())
        assert answer.json()["status"] == "not_ready"
        assert parts["store"]["ok"] and parts["vault"]["ok"]
        assert not parts["nats"]["ok"] and not parts["projector"]["ok"]

        # The first write waits the read-your-writes timeout, then says the views lag; the
        # next ones do not wait at all.
        first = take_in(coordinator, 1)
        assert first.status_code == 201, first.text
        assert first.json()["views_delayed"] is True
        assert first.headers[VIEWS_DELAYED_HEADER] == "true"
        took = []
        for number in range(2, 6):
            started = time.monotonic()
            later = take_in(coordinator, number)
            took.append(time.monotonic() - started)
            assert later.status_code == 201, later.text
            assert later.json()["views_delayed"] is True
        assert max(took) < 2.0, took  # not the 3 s read-your-writes timeout
        page = coordinator.get("/cities/firenze/cases")
        assert "Views are delayed" in page.text or "viste sono in ritardo" in page.text

        # `lgnet check` answers within its own timeout (5 s past Python's start, which on a
        # loaded machine is itself seconds: measured first), one line per part, no traceback.
        started = time.monotonic()
        assert platform.lgnet("--help").returncode == 0
        python_start = time.monotonic() - started
        started = time.monotonic()
        # (20 s here: opening the store takes seconds on a loaded test machine.)
        check = platform.lgnet("check", "--timeout", "20")
        assert time.monotonic() - started < python_start + 20 + 5
        assert check.returncode == 1
        assert "Traceback" not in check.stderr
        assert "nats: NOT READY" in check.stderr
        assert "store: ok" in check.stdout

        # Ctrl-C while NATS answers nothing: every part stops within seconds.
        started = time.monotonic()
        assert platform.interrupt(timeout=30) == 0
        assert time.monotonic() - started < 15
        assert "LGNetEA stopped." in platform.log()
    finally:
        with contextlib.suppress(ProcessLookupError):  # stopped with the platform
            os.kill(frozen, signal.SIGCONT)


def test_after_nats_thaws_the_views_catch_up_and_the_banner_goes(
    platform: RunningPlatform,
) -> None:
    platform.wait_until_ready()
    coordinator = platform.signed_in_client()
    frozen = platform.nats_pid()
    os.kill(frozen, signal.SIGSTOP)
    try:
        saved = [take_in(coordinator, number) for number in range(1, 4)]
        assert all(answer.status_code == 201 for answer in saved)
    finally:
        os.kill(frozen, signal.SIGCONT)
    platform.wait_until_ready(60)
    for answer in saved:  # nothing lost
        wait_for(lambda a=answer: coordinator.get(a.headers["Location"]).status_code == 200,
                 30, "a case saved while NATS was frozen never showed")
    # One more write after catching up clears the delay: it is shown at once.
    after = take_in(coordinator, 9)
    assert after.status_code == 201 and after.json()["views_delayed"] is False
    assert VIEWS_DELAYED_HEADER not in after.headers
    page = coordinator.get("/cities/firenze/cases")
    assert "Views are delayed" not in page.text and "viste sono in ritardo" not in page.text
