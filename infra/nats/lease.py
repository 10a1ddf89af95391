"""A lease in NATS KV: of several processes running the same part (two relays, two projectors:
a deployment mistake, or a standby), one works and the others wait until it stops or dies.

Bucket `lgnet_leases` (replicated like the streams) holds one key per part, whose value names the
holder. The bucket's max age is the lease's length: the holder rewrites its key every fifth of
it, each time expecting the revision it wrote last (Nats-Expected-Last-Subject-Sequence), so a
holder that stopped renewing loses the key at most LEASE_SECONDS later and a waiter's create
(expecting no key) then succeeds. A holder that cannot renew for nearly that long (NATS away)
stops working before its lease can have expired.

The lease keeps a second relay or projector idle; it is not what makes them safe. Two relays
publishing at once still neither duplicate nor reorder (Nats-Msg-Id and
Nats-Expected-Last-Sequence, infra/pipeline/relay.py), and a second projector cannot bind the
consumer the first one is bound to (infra/pipeline/projector/runner.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable

import nats
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from infra.nats.jetstream import retry_pause, server_list, wait_at_most

log = logging.getLogger(__name__)

LEASE_BUCKET = "lgnet_leases"
LEASE_SECONDS = 10.0
RENEWALS_PER_LEASE = 5


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_while_holding(
    name: str,
    nats_url: str,
    run: Callable[[asyncio.Event], Awaitable[None]],
    stop: asyncio.Event,
    *,
    replicas: int | None = None,
    seconds: float = LEASE_SECONDS,
) -> None:
    """Run `run(part_stop)` while this process holds lease `name`, until `stop` is set; wait
    while another process holds it. Losing the lease sets `part_stop`; the part's own end (an
    error) ends this too."""
    holder = holder_name().encode()
    connection = await _connect(nats_url, stop)
    if connection is None:
        return
    try:
        kv = await _bucket(connection, replicas, seconds, stop)
        while kv is not None and not stop.is_set():
            revision = await _acquire(kv, name, holder, seconds, stop)
            if revision is None:
                return
            log.info("Holding the %s lease: this process runs the %s", name, name)
            part_stop = asyncio.Event()
            keeper = asyncio.create_task(
                _keep(kv, name, holder, revision, seconds, part_stop, stop), name=f"{name}-lease")
            try:
                await run(part_stop)
            finally:
                part_stop.set()
                revision = await keeper
                with contextlib.suppress(Exception):
                    # Handing over at once rather than after the lease runs out.
                    await asyncio.wait_for(kv.delete(name, last=revision), seconds / 2)
    finally:
        with contextlib.suppress(Exception):
            await connection.close()


async def _connect(nats_url: str, stop: asyncio.Event) -> NatsClient | None:
    failures = 0
    while not stop.is_set():
        try:
            return await nats.connect(
                servers=server_list(nats_url), name="lgnet-lease", connect_timeout=2,
                reconnect_time_wait=0.25, max_reconnect_attempts=-1,
            )
        except Exception as error:
            failures += 1
            log.warning("Lease: NATS not reachable (%s); retrying", type(error).__name__)
            await wait_at_most(stop, retry_pause(failures))
    return None


async def _bucket(connection: NatsClient, replicas: int | None, seconds: float,
                  stop: asyncio.Event) -> KeyValue | None:
    config = KeyValueConfig(bucket=LEASE_BUCKET, ttl=seconds, history=1,
                            replicas=replicas or 1, description="Who runs the relay and the "
                            "projector (infra/nats/lease.py)")
    failures = 0
    while not stop.is_set():
        try:
            bucket: KeyValue = await connection.jetstream().create_key_value(config)
            return bucket
        except Exception as error:
            failures += 1
            log.warning("Lease: cannot open bucket %s (%s: %s); retrying", LEASE_BUCKET,
                        type(error).__name__, error)
            await wait_at_most(stop, retry_pause(failures))
    return None


async def _acquire(kv: KeyValue, name: str, holder: bytes, seconds: float,
                   stop: asyncio.Event) -> int | None:
    said = False
    while not stop.is_set():
        try:
            return await kv.create(name, holder)
        except nats.js.errors.KeyWrongLastSequenceError:
            mine = await _own_entry(kv, name, holder)
            if mine is not None:
                return mine  # ours from before a lost renewal: take it back at once
            if not said:
                log.info("Another process holds the %s lease: waiting to take over", name)
                said = True
        except Exception as error:
            log.warning("Lease %s: %s: %s; retrying", name, type(error).__name__, error)
        await wait_at_most(stop, seconds / RENEWALS_PER_LEASE)
    return None


async def _own_entry(kv: KeyValue, name: str, holder: bytes) -> int | None:
    """The key's revision renewed, if this process is the one that holds it."""
    with contextlib.suppress(Exception):
        entry = await kv.get(name)
        if entry.value == holder and entry.revision is not None:
            return await kv.update(name, holder, last=entry.revision)
    return None


async def _keep(kv: KeyValue, name: str, holder: bytes, revision: int, seconds: float,
                part_stop: asyncio.Event, stop: asyncio.Event) -> int:
    """Renew the lease until the part stops; stop the part when the lease is lost, or could
    have run out. Returns the last revision written."""
    interval = seconds / RENEWALS_PER_LEASE
    renewed = time.monotonic()
    ending = [asyncio.create_task(part_stop.wait()), asyncio.create_task(stop.wait())]
    try:
        while not part_stop.is_set():
            await asyncio.wait(ending, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            if stop.is_set() or part_stop.is_set():
                part_stop.set()
                break
            try:
                revision = await asyncio.wait_for(kv.update(name, holder, last=revision),
                                                  interval)
                renewed = time.monotonic()
            except nats.js.errors.KeyWrongLastSequenceError:
                log.warning("Lost the %s lease to another process: stopping the %s", name, name)
                part_stop.set()
            except Exception as error:
                if time.monotonic() - renewed > seconds - 2 * interval:
                    log.warning("Cannot renew the %s lease (%s): stopping the %s before it can "
                                "have run out", name, type(error).__name__, name)
                    part_stop.set()
    finally:
        for task in ending:
            task.cancel()
    return revision
