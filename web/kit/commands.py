"""Carrying out a command from a request: the domain is synchronous (run it in a thread), and the
answer should show what was written (wait, at most the read-your-writes timeout, for the read
models). A refusal raises before anything is written."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from web.services import WebServices


async def carry_out(services: WebServices, command: Callable[[], int]) -> int:
    """Run `command` (it returns the position of what it saved) and wait for the read models to
    reach that position. Returns the position."""
    position = await run_in_threadpool(command)
    await services.wait_for_position(position, services.read_your_writes_timeout)
    return position
