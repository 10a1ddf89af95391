"""Issue 17 item 2 under `lgnet run`: the whole process killed between an intake's save and its
answer (LGNET_FAULT_CRASH_AT=intake.saved, infra/faults.py: the process kills itself there), then
started again; the client sends the intake again with the same Idempotency-Key. While the key is
still claimed it is told to wait (409); once the claim is abandoned (30 s) the retry answers 201
with the case the first run saved: one case, one person in the vault, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain.cases.service import INTAKE_SAVED
from infra.store.accounts.idempotency import ABANDONED_AFTER
from tests.faults.platform import RunningPlatform, intakes_in_store, store_url, vault_rows
from web.areas.intake.requests import EXAMPLE_INTAKE
from web.kit.idempotency import IDEMPOTENCY_HEADER

pytestmark = [pytest.mark.faults, pytest.mark.nats]

INTAKE = {**EXAMPLE_INTAKE, "phone": None}


@pytest.fixture(params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningPlatform]:
    with store_url(request.param) as url:
        running = RunningPlatform(tmp_path / "var", url, LGNET_FAULT_CRASH_AT=INTAKE_SAVED)
        running.seed()
        try:
            yield running
        finally:
            running.kill()


def test_an_intake_sent_again_after_the_process_died_after_its_save_answers_its_case(
    platform: RunningPlatform,
) -> None:
    platform.start()
    client = platform.signed_in_client()
    key = {IDEMPOTENCY_HEADER: "retry-after-kill-1"}
    sent_at = time.monotonic()
    with pytest.raises(httpx.TransportError):  # the process died: no answer at all
        client.post("/api/v1/cities/firenze/intakes", json=INTAKE, headers=key)
    assert platform.process is not None
    platform.process.wait(30)
    # What is left of the group (its nats-server) goes too, as after a kill -9 of the group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(platform.process.pid, signal.SIGKILL)
    time.sleep(0.5)
    assert intakes_in_store(platform) == 1  # saved before the kill

    del platform.extra["LGNET_FAULT_CRASH_AT"]
    platform.start()
    platform.wait_until_ready()
    client = platform.signed_in_client()
    too_soon = client.post("/api/v1/cities/firenze/intakes", json=INTAKE, headers=key)
    assert too_soon.status_code == 409, too_soon.text
    assert too_soon.json()["problems"][0]["code"] == "idempotency_key_in_use"

    time.sleep(max(0.0, ABANDONED_AFTER.total_seconds() + 1 - (time.monotonic() - sent_at)))
    again = client.post("/api/v1/cities/firenze/intakes", json=INTAKE, headers=key)

    assert again.status_code == 201, again.text
    assert intakes_in_store(platform) == 1
    assert vault_rows(platform) == 1
    case = client.get(again.headers["Location"])
    assert case.status_code == 200
    assert case.json()["case_code"] == again.json()["case_code"]
