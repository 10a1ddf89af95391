"""Fault injection, for the tests that prove a crash leaves nothing behind: when
LGNET_FAULT_CRASH_AT names a point a command passes (domain.cases.service.INTAKE_VAULT_WRITTEN,
INTAKE_SAVED), the process ends there at once, as `kill -9` would end it: no `finally`, no
`except BaseException`, no atexit. A named point, not a sleep, so the test knows exactly which
writes happened. Unset (production), the checkpoint does nothing.

LGNET_FAULT_PART_DIES makes a part `lgnet run` runs in-process (the relay, the projector...)
die with an exception while it works, so that its supervision (infra.runtime) can be seen."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any

from domain.cases.service import Checkpoint

log = logging.getLogger(__name__)

# What a SIGKILLed process's parent sees (128 + 9).
KILLED_STATUS = 137


def crash_at(point: str | None) -> Checkpoint:
    """A checkpoint that ends the process at `point` (None: never)."""

    def checkpoint(name: str) -> None:
        if name == point:
            log.warning("Fault injection: the process dies at %s", name)
            os._exit(KILLED_STATUS)

    return checkpoint


class InjectedFault(RuntimeError):
    """What a part made to die by LGNET_FAULT_PART_DIES raises."""


Part = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def dying_part(name: str, run: Part, spec: str | None) -> Part:
    """`run`, or, when `spec` (LGNET_FAULT_PART_DIES, "NAME:TIMES:SECONDS") names this part, a
    run that raises InjectedFault SECONDS after each of its first TIMES starts: a part that
    dies with an exception while it works, as a bug or a driver would make it die."""
    if spec is None or spec.split(":")[0] != name:
        return run
    _name, times, seconds = spec.split(":")
    left = [int(times)]

    async def run_then_die(stop: asyncio.Event) -> None:
        if left[0] <= 0:
            await run(stop)
            return
        left[0] -= 1
        working = asyncio.create_task(run(stop), name=f"{name}-doomed")
        done, _pending = await asyncio.wait([working], timeout=float(seconds))
        if done:
            await working  # it ended (or failed) by itself first
            return
        working.cancel()
        with contextlib.suppress(BaseException):
            await working
        log.warning("Fault injection: %s dies now", name)
        raise InjectedFault(f"{name} made to die by LGNET_FAULT_PART_DIES")

    return run_then_die
