"""`lgnet run`'s supervision of its in-process parts (infra.runtime.supervise_part), without
NATS: a part that dies is logged and started again after a growing pause, readiness names it
meanwhile, a part that ends with the stop is not started again. (The same against `lgnet run`
itself, the relay and the projector made to die: tests/faults/test_part_supervision.py.)"""

from __future__ import annotations

import asyncio
import logging

import pytest

from infra.faults import InjectedFault, dying_part
from infra.pipeline.status import PIPELINE
from infra.readiness import _with_parts_down
from infra.runtime import part_restart_pause, supervise_part
from web.services import PartHealth


def test_the_pause_grows_from_half_a_second_to_at_most_thirty() -> None:
    assert [part_restart_pause(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]


async def test_a_part_that_dies_twice_is_started_again_and_said_down_meanwhile(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stop = asyncio.Event()
    starts: list[float] = []
    seen_down: list[str] = []

    async def part(_stop: asyncio.Event) -> None:
        starts.append(asyncio.get_running_loop().time())
        if len(starts) <= 2:
            raise ValueError(f"broken {len(starts)}")
        await _stop.wait()

    async def watch() -> None:
        while not stop.is_set():
            if "test-part" in PIPELINE.parts_down:
                seen_down.append(PIPELINE.parts_down["test-part"])
            await asyncio.sleep(0.05)

    caplog.set_level(logging.WARNING, logger="lgnet")
    supervised = asyncio.create_task(supervise_part("test-part", part, stop))
    watcher = asyncio.create_task(watch())
    async with asyncio.timeout(10):
        while len(starts) < 3:
            await asyncio.sleep(0.05)
    assert "test-part" not in PIPELINE.parts_down  # running again
    stop.set()
    await asyncio.wait_for(supervised, 5)
    await watcher

    assert len(starts) == 3  # not started again after the stop
    assert starts[1] - starts[0] == pytest.approx(0.5, abs=0.3)
    assert starts[2] - starts[1] == pytest.approx(1.0, abs=0.3)
    assert seen_down[0].startswith("stopped (ValueError: broken 1); restart 1 in a row in 0.5 s")
    assert any(s.startswith("stopped (ValueError: broken 2); restart 2 in a row in 1.0 s")
               for s in seen_down)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "test-part stopped (ValueError: broken 1); restarting it in 0.5 s (restart 1 in a row)",
        "test-part stopped (ValueError: broken 2); restarting it in 1.0 s (restart 2 in a row)"]
    assert all(r.exc_info is not None for r in errors)  # with the traceback
    assert [r.getMessage() for r in caplog.records].count("test-part restarted") == 2


def test_readiness_names_a_part_that_is_down_and_one_it_does_not_list_otherwise() -> None:
    parts = [PartHealth("store", True, "ok"), PartHealth("relay", True, "0 events wait")]
    PIPELINE.part_down("relay", "stopped (X: y)")
    PIPELINE.part_down("vault-sweep", "stopped (Z: w)")
    try:
        said = _with_parts_down(parts)
    finally:
        PIPELINE.part_restarted("relay")
        PIPELINE.part_restarted("vault-sweep")
    assert said == [
        PartHealth("store", True, "ok"),
        PartHealth("relay", False, "down: stopped (X: y); `lgnet run` restarts it"),
        PartHealth("vault-sweep", False, "down: stopped (Z: w); `lgnet run` restarts it")]
    assert _with_parts_down(parts) == parts


async def test_a_part_made_to_die_dies_after_its_seconds_the_times_it_is_told() -> None:
    stop = asyncio.Event()
    runs: list[str] = []

    async def part(_stop: asyncio.Event) -> None:
        runs.append("started")
        await _stop.wait()

    doomed = dying_part("relay", part, "relay:1:0.1")
    with pytest.raises(InjectedFault):
        await asyncio.wait_for(doomed(stop), 5)
    later = asyncio.create_task(doomed(stop))  # its one death is spent: it runs on
    await asyncio.sleep(0.3)
    assert not later.done()
    stop.set()
    await asyncio.wait_for(later, 5)
    assert runs == ["started", "started"]
    assert dying_part("projector", part, "relay:1:0.1") is part  # another part's fault
    assert dying_part("relay", part, None) is part
