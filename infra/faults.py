"""Fault injection, for the tests that prove a crash leaves nothing behind: when
LGNET_FAULT_CRASH_AT names a point a command passes (domain.cases.service.INTAKE_VAULT_WRITTEN,
INTAKE_SAVED), the process ends there at once, as `kill -9` would end it: no `finally`, no
`except BaseException`, no atexit. A named point, not a sleep, so the test knows exactly which
writes happened. Unset (production), the checkpoint does nothing."""

from __future__ import annotations

import logging
import os

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
