"""`python -m tests.bench.cluster`: the figures of the distributed engine (infra/cluster.py), beside
the single-node ones of the same run.

1. The relay and raw `publish_async` into a stream of 3 replicas on the 3-node cluster, and into
   one of 1 replica on a single embedded server, with the same events (intakes recorded with
   CaseService on SQLite, as `make bench` does).
2. The whole topology (2 web processes, relay, projector, partner feed, PostgreSQL, 3 nodes):
   HTTP intakes through both web processes, closed loop; then the seconds the stream takes to
   accept the next event after its leader node is killed, and after the relay is killed (its
   lease runs out, the restarted relay takes over).
Needs the PostgreSQL server on 127.0.0.1:5432 for part 2 (a database is made and dropped)."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import httpx
import nats
import psycopg
from nats.js.api import StreamConfig

from domain.cases.rules import Vulnerability
from domain.programme import FOUNDING_CITIES
from infra.bootstrap import build_platform
from infra.cluster import LocalCluster, running_cluster
from infra.demo.people import demo_actor, demo_intake
from infra.nats.server import EmbeddedNats, free_port
from infra.pipeline.relay import Relay
from infra.publishing.messages import PUBLIC_TOPICS, to_message
from infra.settings import Settings
from tests.bench.__main__ import rate
from tests.cluster.test_cluster import (
    kill_the_stream_leader_and_restart_it,
    letters,
    signed_in_client,
    stream_state,
    wait_for_stream_to_grow,
)
from web.areas.intake.requests import EXAMPLE_INTAKE

INTAKES = int(os.environ.get("LGNET_BENCH_CLUSTER_INTAKES", "3000"))
HTTP_SECONDS = 30.0
HTTP_CLIENTS = 16
PUBLISH_BATCH = 1000


async def raw_publish(servers: list[str], count: int, sample: object, replicas: int) -> float:
    connection = await nats.connect(servers=servers)
    js = connection.jetstream()
    await js.add_stream(StreamConfig(name="RAW", subjects=["raw.>"], num_replicas=replicas))
    subject, body = sample.subject, sample.body  # type: ignore[attr-defined]
    headers = dict(sample.headers)  # type: ignore[attr-defined]
    started = time.perf_counter()
    for first in range(0, count, PUBLISH_BATCH):
        futures = [await js.publish_async("raw." + subject, body,
                                          headers={**headers, "Nats-Msg-Id": f"raw:{n}"})
                   for n in range(first, min(count, first + PUBLISH_BATCH))]
        await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await js.delete_stream("RAW")
    await connection.close()
    return rate(count, elapsed)


async def relay_rate(platform: object, servers: str, replicas: int) -> float:
    relay = Relay(platform.record, servers, replicas=replicas)  # type: ignore[attr-defined]
    started = time.perf_counter()
    published = await relay.publish_pending()
    elapsed = time.perf_counter() - started
    await relay.close()
    return rate(published, elapsed)


def record_intakes(platform: object, count: int) -> None:
    """`count` invented intakes through CaseService (as `make bench`; an `other` vulnerability
    gets its description)."""
    rng = random.Random(7)
    now = datetime(2021, 12, 20, 10, tzinfo=UTC)
    for _ in range(count):
        city = rng.choice(FOUNDING_CITIES)
        facts, person = demo_intake(rng, city, date(2021, 12, 1))
        other = "invented" if Vulnerability.OTHER in facts.vulnerabilities else None
        platform.cases.record_intake(  # type: ignore[attr-defined]
            uuid4(), facts, person, demo_actor(city), now, other, uuid4)


def publishing_figures(tmp: Path) -> None:
    platform = build_platform(Settings(data_dir=tmp / "data", nats_url="nats://127.0.0.1:1"))
    single = EmbeddedNats(store_dir=tmp / "single", port=free_port()).start()
    nodes = LocalCluster(tmp / "nodes")
    try:
        print(f"Recording {INTAKES} intakes ...", flush=True)
        record_intakes(platform, INTAKES)
        first = platform.record.recorder.select_notifications(1, 1, topics=PUBLIC_TOPICS)[0]
        sample = to_message(first, platform.record.mapper)
        nodes.start_nodes()
        # As the nodes' platform user (infra/nats/cluster.conf), every node in the URL.
        cluster_url = nodes.settings.effective_nats_url
        raw_r1 = asyncio.run(raw_publish([single.url], INTAKES, sample, 1))
        raw_r3 = asyncio.run(raw_publish(cluster_url.split(","), INTAKES, sample, 3))
        relay_r1 = asyncio.run(relay_rate(platform, single.url, 1))
        relay_r3 = asyncio.run(relay_rate(platform, cluster_url, 3))
        print(f"relay, 1 node R1: {relay_r1:,.0f} ev/s vs raw publish_async {raw_r1:,.0f} "
              f"= {relay_r1 / raw_r1:.0%}")
        print(f"relay, 3 nodes R3: {relay_r3:,.0f} ev/s vs raw publish_async {raw_r3:,.0f} "
              f"= {relay_r3 / raw_r3:.0%}; R3/R1 relay {relay_r3 / relay_r1:.0%}", flush=True)
    finally:
        platform.close()
        single.stop()
        for node in nodes.nodes:
            node.stop()


def http_intakes(cluster: LocalCluster, sessions: list[httpx.Client], seconds: float,
                 until: threading.Event | None = None) -> tuple[int, list[float]]:
    """Intakes from HTTP_CLIENTS threads for `seconds`, spread over the web processes, each
    thread with a copy of a session signed in once (many sign-ins at once trip the throttle).
    With `until`, for as long as it is unset instead."""
    latencies: list[float] = []
    stop = threading.Event()
    counter = iter(range(10**9))
    lock = threading.Lock()

    def send(session: httpx.Client) -> None:
        client = httpx.Client(base_url=session.base_url, cookies=session.cookies,
                              headers=session.headers, timeout=30)
        try:
            while not stop.is_set():
                with lock:
                    number = next(counter)
                body = {**EXAMPLE_INTAKE, "family_name": f"Bench {letters(number)}",
                        "document_number": f"BE{number:07d}"}
                started = time.perf_counter()
                answer = client.post("/api/v1/cities/firenze/intakes", json=body)
                if answer.status_code == 201:
                    latencies.append(time.perf_counter() - started)
        finally:
            client.close()

    threads = [threading.Thread(target=send, args=(sessions[i % len(sessions)],), daemon=True)
               for i in range(HTTP_CLIENTS)]
    for thread in threads:
        thread.start()
    if until is None:
        time.sleep(seconds)
    else:
        until.wait()
    stop.set()
    for thread in threads:
        thread.join(60)
    return len(latencies), latencies


def topology_figures(tmp: Path) -> None:
    name = f"lgnet_bench_{os.getpid()}"
    admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        cluster = LocalCluster(tmp / "cluster",
                               database_url=f"postgresql://postgres@127.0.0.1:5432/{name}")
        with running_cluster(cluster):
            sessions = [signed_in_client(cluster, url) for url in cluster.web_urls]
            count, latencies = http_intakes(cluster, sessions, HTTP_SECONDS)
            quantiles = statistics.quantiles(latencies, n=100)
            print(f"HTTP intakes through 2 web processes, {HTTP_CLIENTS} clients, stream R3, "
                  f"PostgreSQL: {count / HTTP_SECONDS:,.1f} req/s, p50 "
                  f"{quantiles[49] * 1000:.0f} ms, p99 {quantiles[98] * 1000:.0f} ms", flush=True)

            class Load:  # what kill_the_stream_leader_and_restart_it waits on
                def wait_for(self, _count: int) -> None:
                    time.sleep(2)

            load = Load()
            loaded = threading.Event()
            background = threading.Thread(target=http_intakes,
                                          args=(cluster, sessions, 0, loaded), daemon=True)
            background.start()
            failover = kill_the_stream_leader_and_restart_it(cluster, load)  # type: ignore[arg-type]
            last_seq, _leader = asyncio.run(stream_state(cluster))
            cluster.parts["relay"].kill()
            cluster.parts["relay"].start()
            takeover = wait_for_stream_to_grow(cluster, last_seq)
            loaded.set()
            background.join(60)
            print(f"failover: the stream took the next event {failover:.2f} s after its leader "
                  f"node was killed, {takeover:.2f} s after the relay was killed and restarted",
                  flush=True)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="lgnet-bench-cluster-"))
    os.chmod(tmp, 0o755)  # noqa: S103 (passable by the postgres user, as in the tests)
    parts = sys.argv[1:] or ["publishing", "topology"]  # or name one of them
    try:
        if "publishing" in parts:
            publishing_figures(tmp)
        if "topology" in parts:
            topology_figures(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
