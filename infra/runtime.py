"""Running the platform: the embedded NATS server, the relay, the projector and the web app in one
process tree (`lgnet run`), or each part alone (the compose services)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from infra.bootstrap import Platform
from infra.nats_server import EmbeddedNats, port_is_taken
from infra.projector import Projector
from infra.relay import Relay
from infra.settings import Settings
from web.app import create_app

log = logging.getLogger("lgnet")


class _WebServer(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime stops every part together."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextmanager
def embedded_nats_if_needed(
    settings: Settings, *, reuse_running: bool = False
) -> Iterator[EmbeddedNats | None]:
    """Start the embedded NATS server when no LGNET_NATS_URL is set. A tool run beside a running
    platform (`reuse_running`) uses the server already listening on the embedded port."""
    if not settings.embedded_nats or (reuse_running and port_is_taken(settings.nats_port)):
        yield None
        return
    server = EmbeddedNats(store_dir=settings.data_dir / "nats", port=settings.nats_port).start()
    try:
        yield server
    finally:
        server.stop()


def web_server(platform: Platform) -> _WebServer:
    config = uvicorn.Config(
        create_app(platform),
        host=platform.settings.http_host,
        port=platform.settings.http_port,
        log_level="warning",
        lifespan="on",
    )
    return _WebServer(config)


async def run_parts(
    platform: Platform,
    *,
    relay: bool = True,
    projector: bool = True,
    web: bool = True,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Run the chosen parts until SIGINT/SIGTERM, then stop them all cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    server = web_server(platform) if web else None

    def request_stop() -> None:
        stop.set()
        if server is not None:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, request_stop)

    nats_url = platform.settings.effective_nats_url
    tasks: list[asyncio.Task[None]] = []
    if relay:
        relay_part = Relay(platform.record, nats_url, replicas=platform.settings.stream_replicas)
        tasks.append(asyncio.create_task(relay_part.run(stop), name="relay"))
    if projector:
        runner = Projector(platform.read_models, platform.projections, nats_url)
        tasks.append(asyncio.create_task(runner.run(stop), name="projector"))
    if server is not None:
        tasks.append(asyncio.create_task(_serve(server, stop), name="web"))
    if on_ready is not None:
        tasks.append(asyncio.create_task(_when_started(server, on_ready), name="ready"))
    try:
        done, _pending = await asyncio.wait(
            [*tasks, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            if task.exception() is not None and task.get_name() != "ready":
                log.error("%s stopped with an error", task.get_name(), exc_info=task.exception())
    finally:
        request_stop()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _serve(server: _WebServer, stop: asyncio.Event) -> None:
    try:
        await server.serve()
    finally:
        stop.set()


async def _when_started(server: _WebServer | None, announce: Callable[[], None]) -> None:
    while server is not None and not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.05)
    announce()
