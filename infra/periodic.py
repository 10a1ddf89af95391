"""A job the platform runs at start and then every so often until it stops (the age job, the
vault's sweep): the stores are synchronous, so each run goes to a thread, and a failed run is
logged and the next one tried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

log = logging.getLogger("lgnet")


async def run_every(job: Callable[[], object], every: timedelta, stop: asyncio.Event,
                    name: str) -> None:
    while not stop.is_set():
        try:
            await asyncio.to_thread(job)
        except Exception:
            log.exception("%s failed; it runs again in %s", name, every)
        try:
            await asyncio.wait_for(stop.wait(), every.total_seconds())
        except TimeoutError:
            continue
