"""Running the platform: the embedded NATS server, the relay, the projector, the partner feed and
the web app in one process tree (`lgnet run`), or each part alone (the compose services).

Every part connects to NATS as the platform user: `platform_nats_url` (infra/nats/credentials.py).
The partner feed also connects as the feed user of the partners' account, where it publishes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import uvicorn
from fastapi import FastAPI

from infra.ages import run_age_job
from infra.audit.checkpoints import (
    PRIVATE_KEY_FILE_NAME,
    SigningKey,
    audit_dir,
    load_or_create_signing_key,
    open_checkpointer,
)
from infra.bootstrap import Platform
from infra.faults import Part, dying_part
from infra.nats.credentials import (
    partner_feed_nats_url,
    platform_nats_url,
    platform_partners,
)
from infra.nats.jetstream import retry_pause, wait_at_most
from infra.nats.lease import run_while_holding
from infra.nats.server import EmbeddedNats, NatsServerError
from infra.pipeline.partner_feed.feed import PartnerFeed
from infra.pipeline.projector.runner import (
    Projector,
    ProjectorAlreadyRunning,
    ProjectorError,
    tune_gc_for_throughput,
)
from infra.pipeline.relay import Relay
from infra.pipeline.status import PIPELINE
from infra.settings import Settings
from infra.vault_sweep import run_vault_sweep
from web.app import create_app
from web.kit.live import end_live_streams

log = logging.getLogger("lgnet")
# How often a projector that finds the consumer bound looks again.
PROJECTOR_TAKEOVER_PAUSE = 1.0
# A projector that ran this long before failing starts again after the shortest pause.
PROJECTOR_STABLE_AFTER_SECONDS = 30.0

# Ctrl-C stops every part within this many seconds, whatever state NATS is in: a part still
# running then (a NATS client waiting on a dead server, a flush that never ends) is cancelled.
STOP_GRACE_SECONDS = 4.0
# The embedded nats-server, once dead, is started again after 0.5 s, then 1, 2 ... up to 30 s
# while it keeps dying; a server that stayed up this long starts the count again.
_FIRST_NATS_RESTART_PAUSE = 0.5
_LONGEST_NATS_RESTART_PAUSE = 30.0
_NATS_STABLE_AFTER_SECONDS = 60.0
_NATS_WATCH_INTERVAL = 0.2


class WebServer(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime stops every part together."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn waits for every open response before it stops: the dashboards' live streams
        # are told to end first, or Ctrl-C would wait for them.
        if isinstance(self.config.app, FastAPI):
            end_live_streams(self.config.app)
        await super().shutdown(sockets)


def proxy_settings(settings: Settings) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For (the client's address) and X-Forwarded-Proto only from
    LGNET_TRUSTED_PROXIES; by default from nobody. (uvicorn's own default trusts 127.0.0.1, or
    whatever FORWARDED_ALLOW_IPS says: a local process could then pose as any address.)"""
    trusted = settings.trusted_proxy_list
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or []}


def web_server(platform: Platform) -> WebServer:
    config = uvicorn.Config(
        create_app(platform),
        host=platform.settings.http_host,
        port=platform.settings.http_port,
        log_level="warning",
        lifespan="on",
        **proxy_settings(platform.settings),
    )
    return WebServer(config)


async def run_parts(
    platform: Platform,
    *,
    relay: bool = True,
    projector: bool = True,
    web: bool = True,
    partner_feed: bool | None = None,
    age_job: bool | None = None,
    on_ready: Callable[[], None] | None = None,
    nats_server: EmbeddedNats | None = None,
) -> None:
    """Run the chosen parts until SIGINT/SIGTERM, then stop them all cleanly (within
    STOP_GRACE_SECONDS). `nats_server`: the embedded server, watched and restarted when it
    dies. `partner_feed` and `age_job` None run the partner feed and the age job
    (infra/ages.py) with the whole platform (every other part chosen) and not with a single
    part, so `lgnet relay` alone does not also feed the partners (the compose stack runs
    `lgnet cases age` on a schedule)."""
    whole_platform = relay and projector and web
    if partner_feed is None:
        partner_feed = whole_platform
    if age_job is None:
        age_job = whole_platform
    stop = asyncio.Event()
    server = web_server(platform) if web else None

    def request_stop() -> None:
        stop.set()
        if server is not None:
            server.should_exit = True

    _stop_on_signals(request_stop)
    settings = platform.settings
    nats_url = platform_nats_url(settings)
    tasks: list[asyncio.Task[None]] = []

    def supervised(name: str, run: Part) -> asyncio.Task[None]:
        """A part that dies is logged and started again (supervise_part)."""
        return asyncio.create_task(
            supervise_part(name, dying_part(name, run, settings.fault_part_dies), stop),
            name=name)

    if relay:
        relay_part = Relay(platform.record, nats_url, replicas=settings.stream_replicas,
                           checkpoints=open_checkpointer(settings, platform.record))
        tasks.append(supervised("relay", lambda stop: _one_at_a_time(
            "relay", relay_part.run, settings, stop)))
    if projector:
        runner = Projector(platform.read_models, platform.projections, nats_url)
        tasks.append(supervised("projector", lambda stop: _one_at_a_time(
            "projector", projector_part(runner), settings, stop)))
    if partner_feed:
        feed = PartnerFeed(
            nats_url,
            partner_nats_url=partner_feed_nats_url(settings),
            replicas=settings.stream_replicas,
            partners=platform_partners(settings),
            signer=partner_head_signer(settings, create=True),
        )
        tasks.append(supervised("partner-feed", feed.run))
    if age_job:
        tasks.append(supervised("age-job", lambda stop: run_age_job(
            platform.record, platform.cases, platform.now, stop)))
    if web:
        # The part that holds the vault's keys settles what a crashed intake left there.
        tasks.append(supervised("vault-sweep", lambda stop: run_vault_sweep(
            platform.cases, platform.now, stop,
            every=timedelta(seconds=settings.vault_sweep_seconds),
            grace=timedelta(seconds=settings.vault_pending_grace_seconds))))
    if server is not None:
        tasks.append(asyncio.create_task(_serve(server, stop), name="web"))
    if nats_server is not None:
        tasks.append(asyncio.create_task(supervise_nats(nats_server, stop), name="nats-server"))
    # Every part: the relay's batch of a thousand messages (headers, canonical forms, futures)
    # is live while it is published, which young collections kept rescanning (-25% of the relay
    # process's CPU per event); a web process alone too: at 10x scale each full collection
    # rescanned what start-up built, 200-300 ms, the ministry dashboard's slowest requests
    # (docs/benchmarks.md, issue 15 targets 3 and 5).
    tune_gc_for_throughput()
    # The announcement runs beside the parts, not among them: its end must not stop the others.
    announcement = (
        asyncio.create_task(_when_started(server, on_ready), name="ready") if on_ready else None
    )
    try:
        done, _pending = await asyncio.wait(
            [*tasks, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        for task in done:
            if task.exception() is not None:
                log.error("%s stopped with an error", task.get_name(), exc_info=task.exception())
    finally:
        request_stop()
        if announcement is not None:
            announcement.cancel()
        await _stop_within_grace(tasks)


async def _stop_within_grace(tasks: list[asyncio.Task[None]]) -> None:
    """Let the parts stop by themselves (flushing acks, closing connections), then cancel those
    still running after STOP_GRACE_SECONDS: a part blocked on a dead NATS would otherwise hold
    Ctrl-C for minutes."""
    if not tasks:
        return
    _done, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
    for task in pending:
        log.warning("%s did not stop within %.0f s: cancelled", task.get_name(),
                    STOP_GRACE_SECONDS)
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: already logged above when it mattered


def nats_restart_pause(restarts_in_a_row: int) -> float:
    """The pause before restarting a dead nats-server for the `restarts_in_a_row`-th time."""
    return min(_LONGEST_NATS_RESTART_PAUSE,
               _FIRST_NATS_RESTART_PAUSE * 2.0 ** (restarts_in_a_row - 1))


async def supervise_nats(server: EmbeddedNats, stop: asyncio.Event) -> None:
    """Watch the embedded nats-server and start it again, with a growing pause, whenever it
    dies (killed, crashed, out of memory), until `stop` is set. The relay, projector and partner
    feed reconnect by themselves once it is back; meanwhile readiness says NATS is down."""
    restarts_in_a_row = 0
    up_since = asyncio.get_running_loop().time()
    while not stop.is_set():
        await wait_at_most(stop, _NATS_WATCH_INTERVAL)
        status = server.exit_status
        if stop.is_set() or status is None:
            continue
        PIPELINE.nats_down()
        if asyncio.get_running_loop().time() - up_since > _NATS_STABLE_AFTER_SECONDS:
            restarts_in_a_row = 0
        restarts_in_a_row += 1
        pause = nats_restart_pause(restarts_in_a_row)
        log.error("nats-server exited with status %s; restarting it in %.1f s (restart %d in a "
                  "row; its log: %s)", status, pause, restarts_in_a_row,
                  server.store_dir / "nats-server.log")
        await wait_at_most(stop, pause)
        if stop.is_set():
            return
        try:
            await asyncio.to_thread(server.start)
        except NatsServerError as error:
            log.error("nats-server did not start again: %s", error)
            continue
        up_since = asyncio.get_running_loop().time()
        PIPELINE.nats_restarted()
        log.warning("nats-server restarted (pid %s)",
                    server.process.pid if server.process else "?")


def part_restart_pause(restarts_in_a_row: int) -> float:
    """The pause before starting a part that died for the `restarts_in_a_row`-th time: as
    for the embedded nats-server, 0.5 s, then 1, 2 ... up to 30 s."""
    return nats_restart_pause(restarts_in_a_row)


async def supervise_part(name: str, run: Part, stop: asyncio.Event) -> None:
    """Run a part of this process (the relay, the projector, the partner feed, the age job, the
    vault sweep) until `stop` is set, starting it again, with a growing pause, whenever it dies
    with an exception (or ends by itself): one broken part neither stops the platform nor stays
    down unnoticed. Each death is logged with its traceback; while the part waits to start
    again, readiness says so (PIPELINE.parts_down)."""
    loop = asyncio.get_running_loop()
    restarts_in_a_row = 0
    while not stop.is_set():
        started = loop.time()
        died_of: Exception | None = None
        try:
            await run(stop)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            died_of = error
        if stop.is_set() and died_of is None:
            return
        if loop.time() - started > _NATS_STABLE_AFTER_SECONDS:
            restarts_in_a_row = 0
        restarts_in_a_row += 1
        pause = part_restart_pause(restarts_in_a_row)
        why = (f"{type(died_of).__name__}: {(str(died_of).splitlines() or [''])[0][:200]}"
               if died_of is not None else "it ended by itself")
        PIPELINE.part_down(name, f"stopped ({why}); restart {restarts_in_a_row} in a row in "
                                 f"{pause:.1f} s")
        log.error("%s stopped (%s); restarting it in %.1f s (restart %d in a row)", name, why,
                  pause, restarts_in_a_row, exc_info=died_of)
        await wait_at_most(stop, pause)
        if stop.is_set():
            return
        PIPELINE.part_restarted(name)
        log.warning("%s restarted", name)


async def _one_at_a_time(
    name: str, run: Callable[[asyncio.Event], Awaitable[None]], settings: Settings,
    stop: asyncio.Event,
) -> None:
    """Run a part that must run once in a deployment (the relay, the projector) only while
    this process holds its lease in NATS KV (infra/nats/lease.py): a second one started by
    mistake, or as a standby, waits. The embedded server's platform is one process: no lease."""
    if settings.embedded_nats:
        await run(stop)
        return
    await run_while_holding(name, platform_nats_url(settings), run, stop,
                            replicas=settings.stream_replicas)


def projector_part(runner: Projector) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """The projector, waiting while another process is still bound to its consumer (one that
    lost the lease and has not stopped yet) instead of stopping, and started again after any
    other failure but a ProjectorError (read models of another history: someone must rebuild),
    with a growing pause (infra.nats.jetstream.retry_pause), as the relay and the partner feed
    do. In a cluster a JetStream request can time out while a killed node's groups elect new
    leaders (creating the consumer, reading the stream): such a failure must not end the
    process, which nothing may restart."""

    async def run(stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            started = asyncio.get_running_loop().time()
            try:
                await runner.run(stop)
                return
            except ProjectorAlreadyRunning as busy:
                log.info("%s: waiting", busy)
                await wait_at_most(stop, PROJECTOR_TAKEOVER_PAUSE)
            except ProjectorError:
                raise
            except Exception as error:
                if asyncio.get_running_loop().time() - started > PROJECTOR_STABLE_AFTER_SECONDS:
                    failures = 0
                failures += 1
                pause = retry_pause(failures)
                log.warning("Projector interrupted (%s: %s); starting it again in %.1f s",
                            type(error).__name__, error, pause, exc_info=True)
                await wait_at_most(stop, pause)

    return run


async def run_partner_feed(settings: Settings) -> None:
    """The partner feed alone (`lgnet partner-feed`, the compose service) until SIGINT/SIGTERM.
    It needs neither the event store nor the read models: only NATS."""
    stop = asyncio.Event()
    _stop_on_signals(stop.set)
    feed = PartnerFeed(
        platform_nats_url(settings),
        partner_nats_url=partner_feed_nats_url(settings),
        replicas=settings.stream_replicas,
        partners=platform_partners(settings),
        signer=partner_head_signer(settings, create=False),
    )
    await feed.run(stop)


def partner_head_signer(settings: Settings, *, create: bool) -> SigningKey | None:
    """The audit checkpoint key, which signs the partner chains' heads (docs/partners.md). The
    feed alone (`lgnet partner-feed`) only uses one it finds: without it the partner copies are
    chained but their heads unsigned, and it says so."""
    directory = audit_dir(settings)
    if not create and not (directory / PRIVATE_KEY_FILE_NAME).exists():
        log.warning("No audit checkpoint key in %s: the partner feed's heads go unsigned",
                    directory)
        return None
    return load_or_create_signing_key(directory)


def _stop_on_signals(request_stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, request_stop)


async def _serve(server: WebServer, stop: asyncio.Event) -> None:
    try:
        await server.serve()
    finally:
        stop.set()


async def _when_started(server: WebServer | None, announce: Callable[[], None]) -> None:
    while server is not None and not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.05)
    announce()
