"""Issue 17 item 3, the parts `lgnet run` runs as tasks of its own process: the relay or the
projector dying with an exception (made to, by LGNET_FAULT_PART_DIES: infra/faults.py) is
logged with its traceback and started again after a growing pause, readiness names it while it
is down, and the platform goes on (nothing lost); and every API command answered while NATS is
stopped says in its body that the views are delayed (intake, referral, housing)."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.platform import RunningPlatform, parts_of, store_url, take_in
from web.kit.views_delay import VIEWS_DELAYED_HEADER

pytestmark = [pytest.mark.faults, pytest.mark.nats]

DEATHS = 4  # pauses of 0.5, 1, 2 and 4 s before the restarts


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.mark.parametrize("part", ["relay", "projector"])
def test_a_part_that_dies_is_restarted_with_backoff_and_readiness_says_so_meanwhile(
    tmp_path: Path, part: str,
) -> None:
    platform = RunningPlatform(tmp_path / "var", None,
                               LGNET_FAULT_PART_DIES=f"{part}:{DEATHS}:1.5")
    platform.seed()
    platform.start()
    try:
        coordinator = platform.signed_in_client()
        saved = take_in(coordinator, 1)  # saved whatever the pipeline does
        assert saved.status_code == 201, saved.text

        # While it waits to be started again, readiness names it, and why.
        deadline = time.monotonic() + 60
        while True:
            answer = platform.readiness()
            detail = parts_of(answer.json())[part]["detail"] if answer.status_code == 503 else ""
            if detail.startswith("down: stopped (InjectedFault"):
                break
            assert time.monotonic() < deadline, f"readiness never said {part} was down"
            time.sleep(0.1)
        assert not parts_of(answer.json())[part]["ok"]
        assert "`lgnet run` restarts it" in detail

        wait_for(lambda: platform.log().count(f"{part} restarted") == DEATHS, 60,
                 f"{part} was not restarted {DEATHS} times")
        log = platform.log()
        pauses = [float(pause) for pause in re.findall(
            rf"{part} stopped \(InjectedFault: [^)]*\); restarting it in ([0-9.]+) s", log)]
        assert pauses == [0.5, 1.0, 2.0, 4.0]  # a growing pause
        assert log.count("Traceback") >= DEATHS  # each death logged with its traceback
        assert platform.process is not None and platform.process.poll() is None

        # Back: ready, and the intake saved while it was dying is shown (nothing lost).
        ready = platform.wait_until_ready(90)
        assert all(p["ok"] for p in ready["parts"]), ready
        wait_for(lambda: coordinator.get(saved.headers["Location"]).status_code == 200, 60,
                 "the case saved while the part died never showed")
        after = take_in(coordinator, 2)
        assert after.status_code == 201 and after.json()["views_delayed"] is False
        assert platform.log().count(f"{part} restarted") == DEATHS  # and no more
        assert platform.interrupt(timeout=30) == 0
    finally:
        platform.kill()


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


def assert_delayed(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["views_delayed"] is True
    assert answer.headers[VIEWS_DELAYED_HEADER] == "true"


def test_with_nats_stopped_every_command_answers_at_once_saying_the_views_are_delayed(
    platform: RunningPlatform,
) -> None:
    platform.wait_until_ready()
    florence = platform.signed_in_client()
    milan = platform.signed_in_client("milano.coordinatore")
    referred = take_in(florence, 1).json()
    housed = take_in(milan, 2, "milano").json()
    assert referred["views_delayed"] is False and housed["views_delayed"] is False

    stopped = platform.nats_pid()
    os.kill(stopped, signal.SIGSTOP)
    try:
        # The first write waits the read-your-writes timeout and gives up; the others answer
        # at once, each saying so in its body and its header.
        assert_delayed(take_in(florence, 3), 201)
        took = {}
        started = time.monotonic()
        intake = take_in(florence, 4)
        took["intake"] = time.monotonic() - started
        assert_delayed(intake, 201)
        started = time.monotonic()
        referral = florence.post(f"/api/v1/cases/{referred['case_id']}/referrals",
                                 json={"destination_kind": "city_service", "service": "health"})
        took["referral"] = time.monotonic() - started
        assert_delayed(referral, 201)
        assert referral.json()["referral"] is None  # not shown yet: the board lags
        started = time.monotonic()
        waitlisted = milan.post(f"/api/v1/cases/{housed['case_id']}/housing/waitlist")
        took["housing"] = time.monotonic() - started
        assert waitlisted.status_code in (200, 201), waitlisted.text
        assert_delayed(waitlisted, waitlisted.status_code)
        assert max(took.values()) < 2.0, took  # not the 3 s read-your-writes timeout
    finally:
        os.kill(stopped, signal.SIGCONT)
    platform.wait_until_ready(60)
    shown = florence.post(f"/api/v1/cases/{referred['case_id']}/referrals",
                          json={"destination_kind": "city_service", "service": "employment"})
    assert shown.status_code == 201 and shown.json()["views_delayed"] is False
    assert VIEWS_DELAYED_HEADER not in shown.headers
    assert platform.interrupt(timeout=30) == 0
