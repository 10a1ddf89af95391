"""`make bench`: throughput and latency of the event path, each beside the raw baseline of the
same stack measured in the same run, on the same machine, with the same message sizes.

Figures: intake commands/s vs raw eventsourcing saves; relay vs raw `js.publish_async`;
projection catch-up vs a raw JetStream push consumer acking each message; HTTP intakes/s vs a
bare FastAPI endpoint (wrk); end-to-end latency from HTTP accept to visible in the city list.
Intake latency with and without the duplicate check (issue 16), side by side.
Issue 15: the projector against a FastStream subscriber of its own kind that only decodes and
acks (and the other kinds, for information: tests/bench/consumers.py); end-to-end latency under
an open-loop load of 200 intakes/s.
Set LGNET_BENCH_INTAKES (default 20000) to change the store size, LGNET_BENCH_WRK_SECONDS (8)
wrk's duration, LGNET_BENCH_OPEN_LOOP_RATE (200) the open load. `python -m tests.bench events
http` runs only those parts (of PARTS).
Issue 15 target 5, run only when asked for: `python -m tests.bench dashboards --pg-dsn URL
[--data-dir DIR]` times the dashboards and the as-of replay over a PostgreSQL database holding a
large record (tests/bench/dashboards.py; `python -m tests.bench generate` writes one).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import nats
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from nats.js.api import StreamConfig

from domain.cases.rules import Vulnerability
from domain.cases.service import CaseService
from domain.housing.model import HousingPath, MoveOutOutcome, Shelter, ShelterKind
from domain.housing.service import HousingService
from domain.identity.keys import identity_keys
from domain.programme import FOUNDING_CITIES, City
from domain.record import ProgrammeRecord
from events.audit_chain import GENESIS_HASH, chain_headers
from infra.bootstrap import build_platform
from infra.demo.people import demo_actor, demo_intake
from infra.nats.server import EmbeddedNats, free_port
from infra.pipeline.projector.runner import Projector, tune_gc_for_throughput
from infra.pipeline.relay import Relay
from infra.publishing.messages import PUBLIC_TOPICS, to_message
from infra.settings import Settings
from infra.store.eventstore import event_store_env
from infra.store.person_index import SqlitePersonIndex
from infra.store.vault import VAULT_FILE_NAME, SqliteVault, read_master_key
from projections.projection import ensure_created
from projections.storage.read_models import SqliteReadModels
from tests.bench.consumers import (
    faststream_ordered_decode,
    faststream_pull_batch_decode_ack,
    faststream_push_decode_ack,
)
from tests.bench.dashboards import dashboard_figures
from tests.e2e import test_platform_process
from tests.e2e.test_platform_process import RunningPlatform
from web.areas.intake.requests import EXAMPLE_INTAKE
from web.kit.authentication import SESSION_COOKIE

INTAKES = int(os.environ.get("LGNET_BENCH_INTAKES", "20000"))
PUBLISH_BATCH = 1000
LATENCY_SAMPLES = 200
WRK_SECONDS = int(os.environ.get("LGNET_BENCH_WRK_SECONDS", "8"))
SHELTER_PEOPLE = int(os.environ.get("LGNET_BENCH_SHELTER_PEOPLE", "5000"))


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline_name: str
    baseline: float
    target: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("nan")


class RawAggregate(Aggregate):
    """The raw save baseline: an aggregate whose command emits as many events, of the same
    size, as an intake does (a case-number event and the intake event)."""

    class Created(Aggregate.Created):
        payload: dict[str, Any]

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    class Noted(Aggregate.Event):
        payload: dict[str, Any]

        def apply(self, aggregate: Aggregate) -> None:
            aggregate.payload = self.payload  # type: ignore[attr-defined]


def raw_saves(path: Path, count: int, payload: dict[str, Any]) -> float:
    application: Application[Any] = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    )
    started = time.perf_counter()
    for _ in range(count):
        aggregate = RawAggregate(payload)
        aggregate.trigger_event(RawAggregate.Noted, payload=payload)
        application.save(aggregate)
    elapsed = time.perf_counter() - started
    application.close()
    return rate(count, elapsed)


def intakes_through_service(platform: Any, count: int) -> float:
    rng = random.Random(7)
    now = datetime(2021, 12, 20, 10, tzinfo=UTC)
    commands = []
    for _ in range(count):
        city = rng.choice(FOUNDING_CITIES)
        facts, person = demo_intake(rng, city, date(2021, 12, 1))
        commands.append((facts, person, demo_actor(city)))
    started = time.perf_counter()
    for facts, person, actor in commands:
        # An "other" vulnerability is described, as the intake form requires.
        described = "x" if Vulnerability.OTHER in facts.vulnerabilities else None
        platform.cases.record_intake(uuid4(), facts, person, actor, now, described, uuid4)
    return rate(count, time.perf_counter() - started)


async def raw_publish(url: str, count: int, sample: Any) -> float:
    connection = await nats.connect(url)
    js = connection.jetstream()
    await js.add_stream(StreamConfig(name="RAW", subjects=["raw.>"]))
    headers = dict(sample.headers)
    started = time.perf_counter()
    for first in range(0, count, PUBLISH_BATCH):
        # The relay's messages as they go out: the audit chain's two headers and a msg id.
        futures = [
            await js.publish_async(
                "raw." + sample.subject, sample.body,
                headers={**headers, **chain_headers(n + 1, GENESIS_HASH),
                         "Nats-Msg-Id": f"raw:{n}"},
            )
            for n in range(first, min(count, first + PUBLISH_BATCH))
        ]
        await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await js.delete_stream("RAW")
    await connection.close()
    return rate(count, elapsed)


async def relay_all(platform: Any, url: str) -> tuple[float, int]:
    relay = Relay(platform.record, url)
    # A running relay starts its reading process at the first large backlog; the figure is its
    # pace once that process is up, as the raw baseline's excludes connecting.
    if not await relay.reader.warm_up():
        print("The relay's reading process did not start: the relay reads in threads")
    started = time.perf_counter()
    published = await relay.publish_pending()
    elapsed = time.perf_counter() - started
    await relay.close()
    return rate(published, elapsed), published


async def raw_push_consume(url: str, count: int) -> float:
    connection = await nats.connect(url)
    js = connection.jetstream()
    done = asyncio.Event()
    received = 0

    async def on_message(msg: Any) -> None:
        nonlocal received
        await msg.ack()
        received += 1
        if received == count:
            done.set()

    started = time.perf_counter()
    subscription = await js.subscribe("lgnet.>", stream="LGNET", cb=on_message, manual_ack=True)
    await done.wait()
    elapsed = time.perf_counter() - started
    await subscription.unsubscribe()
    await connection.close()
    return rate(count, elapsed)


async def projector_catch_up(path: Path, projections: list[Any], url: str, count: int) -> float:
    database = SqliteReadModels(path)
    for projection in projections:
        ensure_created(database, projection)
    stop = asyncio.Event()
    projector = Projector(database, projections, url, durable="bench")
    started = time.perf_counter()
    task = asyncio.create_task(projector.run(stop))
    # Done when the feed has committed the last message for every projection. Its position is
    # in memory: polling the tracking table here, every 2 ms on the projector's own event loop,
    # took ~5% of the loop's samples (py-spy), a cost the baselines do not pay.
    while (feed := projector.feed) is None or feed.next_seq <= count:
        if task.done():
            task.result()  # the projector failed: say why
            raise RuntimeError("the projector stopped before catching up")
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - started
    assert min(database.trackings([p.name for p in projections]).values(),
               key=lambda t: t.stream_seq).stream_seq >= count
    stop.set()
    await task
    database.close()
    return rate(count, elapsed)


def wrk_rate(url: str, body: str, headers: dict[str, str]) -> tuple[float, int]:
    """Requests/s and non-2xx answers of wrk POSTing `body` with 32 connections. Each request
    is another person (see intake_body): names, birth date and document number are rewritten
    from a per-thread counter, so the duplicate check finds nobody, as for real intakes."""
    script = Path(tempfile.mkdtemp(prefix="lgnet-wrk-")) / "intake.lua"
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in headers.items()]
    script.write_text("\n".join(lines) + f"\nlocal template = [[{body}]]\n" + _WRK_PEOPLE)
    output = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{WRK_SECONDS}s", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    requests_per_second = float(output.split("Requests/sec:")[1].split()[0])
    errors = 0
    if "Non-2xx or 3xx responses:" in output:
        errors = int(output.split("Non-2xx or 3xx responses:")[1].split()[0])
    return requests_per_second, errors


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of a process, all its threads, so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


# Lua for wrk: every request another person, from a counter per wrk thread (each has its own
# Lua state). The letters of the counter go into the names, its digits into the document number
# and the birth date; what the template says is replaced as intake_body does.
_WRK_PEOPLE = """
local counter = 0
local function letters(n)
  local word = ""
  repeat
    local digit = n % 26
    word = word .. string.char(97 + digit)
    n = math.floor(n / 26)
  until n == 0
  return word
end
function setup(thread)
  _G.threads = (_G.threads or 0) + 1
  thread:set("first", _G.threads * 1000000)
end
function request()
  counter = counter + 1
  local n = first + counter
  local body = template:gsub("PERSONWORD", letters(n)):gsub("PERSONNUMBER", tostring(n))
  body = body:gsub("PERSONDAY", string.format("%02d", n % 28 + 1))
  return wrk.format(nil, nil, nil, body)
end
"""


def intake_body(person: int | None = None) -> str:
    """The API's example intake as another person: `person`'s letters in the names, its digits
    in the document number, a birth day from it; with None, the placeholders wrk fills in."""
    word = "PERSONWORD" if person is None else "".join(
        chr(97 + int(d)) for d in str(person))
    number = "PERSONNUMBER" if person is None else str(person)
    day = "PERSONDAY" if person is None else f"{person % 28 + 1:02d}"
    return json.dumps({
        **EXAMPLE_INTAKE,
        "given_name": f"Amanuel{word}", "family_name": f"Tesfaye{word}",
        "document_number": f"PS{number}", "birth_date": f"1994-05-{day}",
        # Should two requests still be taken for the same person, the intake goes on.
        "new_case_despite_possible_match": True,
    })


def bare_fastapi_rate() -> float:
    port = free_port()
    bare = subprocess.Popen([sys.executable, "-m", "tests.bench.bare_app", str(port)])
    try:
        wait_http(f"http://127.0.0.1:{port}/docs", bare)
        rate_, _errors = wrk_rate(
            f"http://127.0.0.1:{port}/api/v1/cities/firenze/intakes", intake_body(), {}
        )
    finally:
        stop_process(bare)
    return rate_


OPEN_LOOP_RATE = int(os.environ.get("LGNET_BENCH_OPEN_LOOP_RATE", "200"))
OPEN_LOOP_SECONDS = 10


async def open_loop_latency(base_url: str, cookies: Any, headers: dict[str, str]) -> str:
    """End-to-end latency of intakes sent at OPEN_LOOP_RATE a second whatever the answers
    (open loop: a slow answer does not slow the senders, as with real users), each answered
    once the projections show it (read-your-writes). p50 and p99 of the answered ones."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=OPEN_LOOP_RATE * 2)
    async with httpx.AsyncClient(base_url=base_url, cookies=cookies, headers=headers,
                                 timeout=30, limits=limits) as client:

        async def one(person: int) -> None:
            nonlocal failures
            started = time.perf_counter()
            try:
                answer = await client.post("/api/v1/cities/firenze/intakes",
                                           content=intake_body(person))
            except httpx.HTTPError:
                failures += 1
                return
            if answer.status_code >= 300:
                failures += 1
                return
            latencies.append((time.perf_counter() - started) * 1000)

        sent: list[asyncio.Task[None]] = []
        begun = time.perf_counter()
        for n in range(OPEN_LOOP_RATE * OPEN_LOOP_SECONDS):
            await asyncio.sleep(max(0.0, begun + n / OPEN_LOOP_RATE - time.perf_counter()))
            sent.append(asyncio.create_task(one(2 * 10**9 + n)))
        await asyncio.gather(*sent)
    latencies.sort()
    if not latencies:
        return f"Open loop at {OPEN_LOOP_RATE} intakes/s: every request failed"
    return (f"Open loop, {OPEN_LOOP_RATE} intakes/s offered for {OPEN_LOOP_SECONDS} s "
            f"(HTTP accept -> answered, read-your-writes): p50 "
            f"{statistics.median(latencies):.1f} ms, p99 "
            f"{latencies[max(0, int(len(latencies) * 0.99) - 1)]:.1f} ms, {failures} failed "
            "(target: p99 <= 60 ms)")


def platform_figures(tmp: Path) -> tuple[list[Figure], str]:
    """HTTP intakes/s through the whole running platform (`lgnet run`: the API waits for the
    projections, read-your-writes) and end-to-end latency, signed in as a coordinator."""
    platform = RunningPlatform(tmp / "platform" / "var")
    platform.data_dir.parent.mkdir(parents=True)
    platform.start()
    try:
        client = platform.signed_in_client("firenze.coordinatore")
        # The read models first catch up with the demo loaded on first start (tens of
        # thousands of events): measure a platform that keeps up, once the position settles.
        settled_on, last = time.monotonic(), -1
        while time.monotonic() - settled_on < 3:
            position = client.get("/api/v1/cities/firenze/indicators").json()["position"]
            if position != last:
                settled_on, last = time.monotonic(), position
            time.sleep(0.5)
        samples: list[float] = []
        for _ in range(LATENCY_SAMPLES):
            started = time.perf_counter()
            created = client.post("/api/v1/cities/firenze/intakes",
                                  content=intake_body(10**9 + len(samples)),
                                  headers={"Content-Type": "application/json"})
            created.raise_for_status()
            case_id = created.json()["case_id"]
            while client.get(f"/api/v1/cases/{case_id}").status_code != 200:
                pass
            samples.append((time.perf_counter() - started) * 1000)
        figures = []
        if shutil.which("wrk") is None:
            print("HTTP throughput skipped: wrk is not installed (apt-get install wrk)")
        else:
            headers = {
                "Cookie": f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}",
                "X-CSRF-Token": client.headers["X-CSRF-Token"],
            }
            assert platform.process is not None
            cpu_before = process_cpu_seconds(platform.process.pid)
            platform_rate, errors = wrk_rate(
                f"{platform.base_url}/api/v1/cities/firenze/intakes", intake_body(), headers
            )
            cpu = process_cpu_seconds(platform.process.pid) - cpu_before
            # wrk's rate is its requests over its duration: their number, near enough.
            print(f"CPU of `lgnet run` (all its threads: web, relay, projector, partner feed) "
                  f"under wrk: {cpu * 1000 / max(1.0, platform_rate * WRK_SECONDS):.1f} ms a "
                  f"request; load average {os.getloadavg()[0]:.1f}")
            if errors:
                raise RuntimeError(f"{errors} HTTP intakes were refused during the benchmark")
            figures.append(Figure("HTTP intakes (API, lgnet run, wrk 32 conns)", platform_rate,
                                  "req/s", "bare FastAPI POST endpoint", bare_fastapi_rate(),
                                  ">= 10%"))
        open_loop = asyncio.run(open_loop_latency(
            platform.base_url, {SESSION_COOKIE: client.cookies[SESSION_COOKIE]},
            {"Content-Type": "application/json", "X-CSRF-Token": client.headers["X-CSRF-Token"]},
        ))
    finally:
        platform.interrupt()
    samples.sort()
    latency = (f"End-to-end latency, HTTP accept -> visible in the city list "
               f"({len(samples)} sequential intakes through the API): "
               f"p50 {statistics.median(samples):.1f} ms, "
               f"p99 {samples[int(len(samples) * 0.99) - 1]:.1f} ms\n{open_loop}")
    return figures, latency


async def event_path_figures(tmp: Path, server: EmbeddedNats) -> list[Figure]:
    settings = Settings(data_dir=tmp / "data", nats_url=server.url)
    platform = build_platform(settings)
    try:
        payload = {"padding": "x" * 560}  # about the size of an intake event's state
        print(f"Recording {INTAKES} intakes ...", flush=True)
        raw_save_rate = raw_saves(tmp / "raw.sqlite", INTAKES, payload)
        service_rate = intakes_through_service(platform, INTAKES)
        figures = [Figure("Intake commands (CaseService, SQLite)", service_rate, "cmd/s",
                          "raw eventsourcing saves, 2 events each", raw_save_rate)]

        first = platform.record.recorder.select_notifications(1, 1, topics=PUBLIC_TOPICS)[0]
        sample = to_message(first, platform.record.mapper)
        print(f"Message size: {len(sample.body)} bytes body, {len(sample.headers)} headers")
        # As `lgnet run`, `lgnet relay` and `lgnet projector` do; the baselines run with it too.
        tune_gc_for_throughput()
        raw_publish_rate = await raw_publish(server.url, INTAKES, sample)
        relay_rate, published = await relay_all(platform, server.url)
        assert published >= INTAKES, published
        figures.append(Figure("Relay (event store -> JetStream)", relay_rate, "ev/s",
                              "raw js.publish_async, same size", raw_publish_rate, ">= 60%"))

        raw_consume_rate = await raw_push_consume(server.url, published)
        # The FastStream ceilings, each kind decoding and acking only (tests/bench/consumers.py).
        push_rate = await faststream_push_decode_ack(server.url, published)
        ordered_rate = await faststream_ordered_decode(server.url, published)
        pull_rate = await faststream_pull_batch_decode_ack(server.url, published)
        projection_rate = await projector_catch_up(
            tmp / "readmodels.sqlite", platform.projections, server.url, published
        )
        figures.append(Figure(f"Projection catch-up ({len(platform.projections)} read models)",
                              projection_rate, "ev/s",
                              "FastStream durable push, decode+ack", push_rate, ">= 80%"))
        for name, value in (("FastStream durable push, decode+ack", push_rate),
                            ("FastStream ordered push, decode", ordered_rate),
                            ("FastStream pull batch 1000, decode+ack", pull_rate)):
            figures.append(Figure(name, value, "ev/s", "raw push consumer, ack each",
                                  raw_consume_rate, "(information)"))
        return figures
    finally:
        platform.close()


def shelter_load_latency(tmp: Path, people: int = SHELTER_PEOPLE) -> str:
    """How long HousingService takes to load a shelter that has housed `people` people:
    repository.get from the store (latest snapshot plus the events after it), and as a
    deployment finds it (the aggregate cache, fast-forwarded). The history is written by the
    aggregates themselves, the same events the service would save, fifty people per save (one
    save per step would take an fsync each: minutes); the last few people go through the
    service, intake included, so the tail after the snapshot is the service's own."""
    platform = build_platform(Settings(data_dir=tmp / "housing"))
    try:
        now = datetime(2021, 12, 20, 10, tzinfo=UTC)
        actor = demo_actor(City.MILANO)
        shelter_id = uuid4()
        platform.housing.register_shelter(shelter_id, City.MILANO, "Casa Aurora",
                                          ShelterKind.TEMPORARY_SHELTER, "Niguarda", 20, actor,
                                          now)
        print(f"Housing {people} people in one shelter ...", flush=True)
        shelter = platform.housing.get_shelter(shelter_id)
        rng = random.Random(11)
        through_service = 7
        paths: list[HousingPath] = []
        for person in range(people - through_service):
            path = HousingPath.start(uuid4(), f"MI-2021-{person % 99999 + 1:05d}",
                                     City.MILANO, now)
            path.waitlist(City.MILANO, False, "international_protection", date(2021, 12, 1),
                          actor, now)
            path.offer(shelter, shelter.assign_bed(path.id, now), actor, now)
            path.move_in(now.date(), actor, now)
            freed = path.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, now.date(), None, actor, now)
            shelter.release_bed(freed[1], path.id, now)
            paths.append(path)
            if len(paths) == 50:
                platform.record.save(shelter, *paths)
                paths.clear()
        platform.record.save(shelter, *paths)
        for _ in range(through_service):
            facts, person_data = demo_intake(rng, City.MILANO, date(2021, 12, 1))
            case_id = uuid4()
            platform.cases.record_intake(case_id, facts, person_data, actor, now)
            platform.housing.add_to_waitlist(case_id, actor, now)
            platform.housing.offer_bed(case_id, shelter_id, actor, now)
            platform.housing.move_in(case_id, now.date(), actor, now)
            platform.housing.move_out(case_id, MoveOutOutcome.AUTONOMOUS_HOUSING, now.date(), "",
                                      actor, now)
        # The worst case: as many events after the latest snapshot as there can be. Each bed
        # offered to someone waiting adds one.
        interval = ProgrammeRecord.snapshotting_intervals[Shelter]
        version = platform.housing.get_shelter(shelter_id).version
        for _ in range((interval - 1 - version % interval) % interval):
            facts, person_data = demo_intake(rng, City.MILANO, date(2021, 12, 1))
            case_id = uuid4()
            platform.cases.record_intake(case_id, facts, person_data, actor, now)
            platform.housing.add_to_waitlist(case_id, actor, now)
            platform.housing.offer_bed(case_id, shelter_id, actor, now)
        assert platform.record.snapshots is not None
        (snapshot,) = platform.record.snapshots.get(shelter_id, desc=True, limit=1)
        events = platform.record.events
        after_snapshot = len(list(events.get(shelter_id, gt=snapshot.originator_version)))
        uncached = ProgrammeRecord(env={k: v for k, v in event_store_env(platform.settings).items()
                                        if "AGGREGATE_CACHE" not in k})
        try:
            lines = []
            for how, record in (("from the store", uncached), ("cached", platform.record)):
                housing = HousingService(record, platform.cases)
                samples = []
                for _ in range(LATENCY_SAMPLES * 5):
                    started = time.perf_counter()
                    shelter = housing.get_shelter(shelter_id)
                    samples.append((time.perf_counter() - started) * 1000)
                samples.sort()
                lines.append(f"{how}: p50 {statistics.median(samples):.2f} ms, "
                             f"p99 {samples[int(len(samples) * 0.99) - 1]:.2f} ms")
        finally:
            uncached.close()
        return (f"Loading a shelter that housed {people} people ({shelter.version} events, "
                f"{after_snapshot} after the latest snapshot): " + "; ".join(lines))
    finally:
        platform.close()


def duplicate_check_latency(tmp: Path, people: int = INTAKES, samples: int = LATENCY_SAMPLES
                            ) -> tuple[str, float]:
    """Intake latency through CaseService with and without the duplicate check (issue 16 item
    7), the blind index holding `people` people (programme scale) and the record the cases of
    this run: one intake of each kind in turn, so drift (the disk, other processes) falls on
    both alike. Returns the line printed and the difference of the medians in ms."""
    platform = build_platform(Settings(data_dir=tmp / "duplicates"))
    try:
        rng = random.Random(16)
        now = datetime(2021, 12, 20, 10, tzinfo=UTC)
        print(f"Indexing {people} people for the duplicate check ...", flush=True)
        index = platform.person_index
        assert isinstance(index, SqlitePersonIndex)
        index.add_many([(uuid4(), identity_keys(demo_intake(rng, City(city), date(2021, 12, 1))[1]))
                        for city in (rng.choice(FOUNDING_CITIES) for _ in range(people))])
        # "Without": today's intake, whose vault indexes nobody (no blind-index key), on the
        # same record and vault file; "with": the platform's, which indexes each person in the
        # vault's transaction and looks them up first.
        plain_vault = SqliteVault(platform.settings.data_dir / VAULT_FILE_NAME,
                                  read_master_key(platform.settings.vault_key_path))
        plain_cases = CaseService(platform.record, plain_vault)
        without, with_check = [], []
        for turn in range(samples * 2):
            city = rng.choice(FOUNDING_CITIES)
            facts, person = demo_intake(rng, city, date(2021, 12, 1))
            actor, case_id = demo_actor(city), uuid4()

            # An "other" vulnerability is described, as the intake form requires.
            described = "x" if Vulnerability.OTHER in facts.vulnerabilities else None

            def record(notes: Any = None, case_id: Any = case_id, facts: Any = facts,
                       person: Any = person, actor: Any = actor,
                       described: str | None = described,
                       cases: CaseService = platform.cases) -> Any:
                return cases.record_intake(case_id, facts, person, actor, now, described, uuid4,
                                           saved_with_case=notes)

            started = time.perf_counter()
            if turn % 2:
                platform.identity.take_in(case_id, city, person, True, record, actor, now)
                with_check.append((time.perf_counter() - started) * 1000)
            else:
                record(cases=plain_cases)
                without.append((time.perf_counter() - started) * 1000)
        plain_vault.close()
        lookups = []
        for _ in range(samples):
            _facts, person = demo_intake(rng, rng.choice(FOUNDING_CITIES), date(2021, 12, 1))
            started = time.perf_counter()
            platform.identity.possible_matches(person)
            lookups.append((time.perf_counter() - started) * 1000)
        lookups.sort()
        without.sort()
        with_check.sort()
        difference = statistics.median(with_check) - statistics.median(without)
        line = (f"Intake latency with the duplicate check ({people} people in the blind index), "
                f"{samples} intakes each, alternated: without p50 "
                f"{statistics.median(without):.2f} ms, p99 "
                f"{without[int(len(without) * 0.99) - 1]:.2f} ms | with p50 "
                f"{statistics.median(with_check):.2f} ms, p99 "
                f"{with_check[int(len(with_check) * 0.99) - 1]:.2f} ms | difference of the "
                f"medians {difference:+.2f} ms (target: within 5 ms); the lookup alone p50 "
                f"{statistics.median(lookups):.2f} ms, p99 "
                f"{lookups[int(len(lookups) * 0.99) - 1]:.2f} ms")
        return line, difference
    finally:
        platform.close()


# --- `lgnet audit verify` (issue 19: under 10 s on the full demo) ------------------------------

AUDIT_DEMO_SCALE = os.environ.get("LGNET_BENCH_AUDIT_SCALE", "small")


def audit_verify_time(scale_name: str = AUDIT_DEMO_SCALE) -> str:
    """`lgnet audit verify` on a demo record published by the relay (a clean stop signs the
    head), timed as an auditor runs it: a new process, start-up included, then the start-up
    alone (`lgnet audit --help`). LGNET_BENCH_AUDIT_SCALE=full for the full demo (its
    generation takes a quarter of an hour)."""
    from infra.audit.chain_store import AuditChainStore
    from infra.audit.checkpoints import open_checkpointer
    from infra.demo.scale import SCALES
    from infra.demo.simulation import load_demo

    with tempfile.TemporaryDirectory(prefix="lgnet-bench-audit-") as directory:
        tmp = Path(directory)
        server = EmbeddedNats(store_dir=tmp / "nats", port=free_port()).start()
        settings = Settings(data_dir=tmp / "data", nats_url=server.url)
        try:
            platform = build_platform(settings)
            try:
                print(f"Generating the {scale_name} demo for `lgnet audit verify` ...",
                      flush=True)
                load_demo(platform, SCALES[scale_name])
                store = AuditChainStore(platform.record)
                last = max(n.id for n in platform.record.recorder.select_notifications(
                    1, 10**7, topics=PUBLIC_TOPICS))
                relay = Relay(platform.record, server.url,
                              checkpoints=open_checkpointer(settings, platform.record))

                async def publish_all() -> None:
                    stop = asyncio.Event()
                    running = asyncio.create_task(relay.run(stop))
                    while (head := store.head()) is None or head.position < last:
                        await asyncio.sleep(0.2)
                    stop.set()  # a clean stop signs the head
                    await running

                asyncio.run(publish_all())
                events = store.head().chain_seq  # type: ignore[union-attr]
            finally:
                platform.close()
        finally:
            server.stop()
        command = [sys.executable, "-c", "from infra.cli.main import main; main()", "audit"]
        env = os.environ | {"LGNET_DATA_DIR": str(settings.data_dir),
                            "LGNET_NATS_URL": "nats://127.0.0.1:9"}  # the store alone

        def timed(*args: str) -> float:
            started = time.perf_counter()
            subprocess.run([*command, *args], env=env, check=True, capture_output=True)
            return time.perf_counter() - started

        verify = min(timed("verify") for _ in range(3))
        start_up = min(timed("--help") for _ in range(3))
    return (f"lgnet audit verify ({scale_name} demo, {events:,} chain events, SQLite): "
            f"{verify:.1f} s, of which start-up {start_up:.1f} s; "
            f"{(verify - start_up) / events * 1e6:.0f} us/event (target: full demo < 10 s)")


# The parts `python -m tests.bench [PART ...]` can run (all of them by default).
PARTS = ("events", "http", "shelter", "duplicates", "audit", "dashboards")
# Parts run only when asked for: they need a database of their own (`--pg-dsn`).
ON_REQUEST = ("dashboards",)


def print_figures(figures: list[Figure]) -> None:
    print()
    print(f"{'figure':44} {'value':>12}  {'baseline':44} {'baseline':>12} {'ratio':>7}  target")
    for f in figures:
        print(f"{f.name:44} {f.value:>8.0f} {f.unit:5} {f.baseline_name:44} "
              f"{f.baseline:>8.0f} {f.unit:5} {f.ratio:>6.0%}  {f.target}")


def main() -> None:
    if sys.argv[1:2] in (["generate"], ["rebuild"]):
        # `generate`: a large record (tests/bench/generate.py); `rebuild`: `lgnet projections
        # rebuild` timed on one (tests/bench/rebuild.py).
        command = sys.argv[1]
        module = __import__(f"tests.bench.{command}", fromlist=["main"])
        module.main(sys.argv[2:])
        return
    arguments = sys.argv[1:]
    pg_dsn = os.environ.get("LGNET_BENCH_PG_DSN")
    if "--pg-dsn" in arguments:
        at = arguments.index("--pg-dsn")
        pg_dsn = arguments[at + 1] if at + 1 < len(arguments) else None
        del arguments[at:at + 2]
    data_dir = os.environ.get("LGNET_BENCH_DATA_DIR")
    if "--data-dir" in arguments:
        at = arguments.index("--data-dir")
        data_dir = arguments[at + 1] if at + 1 < len(arguments) else None
        del arguments[at:at + 2]
    parts = arguments or [part for part in PARTS if part not in ON_REQUEST]
    unknown = set(parts) - set(PARTS)
    if unknown:
        sys.exit(f"unknown part(s) {', '.join(sorted(unknown))}; choose among {', '.join(PARTS)}")
    # On a busy machine `lgnet run` loading its demo can take minutes before it answers.
    test_platform_process.STARTUP_TIMEOUT = max(test_platform_process.STARTUP_TIMEOUT, 900)
    with tempfile.TemporaryDirectory(prefix="lgnet-bench-") as directory:
        tmp = Path(directory)
        # Each part's figures are printed as soon as it ends: a later part failing loses none.
        if "events" in parts:
            server = EmbeddedNats(store_dir=tmp / "nats", port=free_port()).start()
            try:
                print_figures(asyncio.run(event_path_figures(tmp, server)))
            finally:
                server.stop()
        if "http" in parts:
            http, latency = platform_figures(tmp)
            print_figures(http)
            print(latency)
        if "shelter" in parts:
            print(shelter_load_latency(tmp))
        if "duplicates" in parts:
            print(duplicate_check_latency(tmp)[0])
        if "audit" in parts:
            print(audit_verify_time())
        if "dashboards" in parts:
            if not pg_dsn:
                sys.exit("dashboards: give the database, --pg-dsn postgresql://... (its event "
                         "store and read models built: lgnet projections rebuild)")
            dashboard_figures(pg_dsn, Path(data_dir) if data_dir else None)  # prints each line


if __name__ == "__main__":
    main()
