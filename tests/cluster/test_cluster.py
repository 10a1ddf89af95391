"""The compose topology run for real on the loopback (infra/cluster.py, `lgnet cluster up`): three
clustered nats-server nodes with stream LGNET at 3 replicas, PostgreSQL, two web processes, the
relay, the projector and the partner feed, each a process of its own. Intakes flow through both
web processes while nodes, the relay and PostgreSQL are killed and restarted; afterwards nothing
is lost, duplicated or reordered (issue 15, "The distributed engine, run for real here").

Figures (failover times, throughput) are printed, never asserted: speed is the benchmarks' job."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import nats
import pytest

from events.cloudevents import POSITION
from infra.cluster import LocalCluster, running_cluster
from infra.nats.jetstream import server_list
from infra.nats.server import port_is_taken
from infra.nats.streams import MSG_ID, STREAM_NAME, msg_id_for, read_stream
from infra.pipeline.projector.rebuild import rebuild
from infra.publishing.messages import PUBLIC_TOPICS
from infra.store.accounts.demo import read_demo_credentials
from infra.store.accounts.sessions import csrf_token_for
from infra.store.eventstore import open_record
from projections.registry import default_projections
from projections.storage.read_models import open_read_models
from tests.integration.test_projections import contents
from web.areas.intake.requests import EXAMPLE_INTAKE
from web.kit.authentication import SESSION_COOKIE

pytestmark = pytest.mark.cluster

COORDINATOR = "firenze.coordinatore"
# A steady, modest load: the machine running the tests has two cores for everything.
PAUSE_BETWEEN_INTAKES = 0.1
# An intake whose outcome an outage left unknown is sent again with its key this often, for
# this long at most (PostgreSQL is down some seconds in its test).
SEND_AGAIN_AFTER = 0.5
SEND_AGAIN_FOR = 90.0
SETTLE_TIMEOUT = 120.0


def signed_in_client(cluster: LocalCluster, base_url: str) -> httpx.Client:
    passwords = {user: password for user, password, _role, _city
                 in read_demo_credentials(cluster.demo_credentials_file)}
    client = httpx.Client(base_url=base_url, timeout=30)
    answer = client.post("/sign-in", data={"username": COORDINATOR,
                                           "password": passwords[COORDINATOR]},
                         headers={"Origin": base_url})
    assert answer.status_code == 303, answer.text
    client.headers["X-CSRF-Token"] = csrf_token_for(client.cookies[SESSION_COOKIE])
    return client


def letters(number: int) -> str:
    """A name part made of letters only, different for each number."""
    word = ""
    while True:
        number, digit = divmod(number, 26)
        word += "abcdefghijklmnopqrstuvwxyz"[digit]
        if number == 0:
            return word.capitalize()


@dataclass
class Answer:
    web: str
    key: str  # the intake's Idempotency-Key: the same for each time it was sent
    status: int | None  # None: no answer at all (connection refused, timeout)
    body: Any
    at: float

    @property
    def asks_to_send_again(self) -> bool:
        """An outage (503, what the platform answers when its storage is out), another server
        error, no answer, or the same key still being carried out: the intake's outcome is not
        known, and its 503 says to send it again with the same key."""
        return (self.status is None or self.status >= 500 or (
            self.status == 409 and isinstance(self.body, dict)
            and self.body["problems"][0]["code"] == "idempotency_key_in_use"))


@dataclass
class IntakeLoad:
    """Intakes sent through every web process in turn, each from its own thread, until stopped:
    every answer kept."""

    cluster: LocalCluster
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> IntakeLoad:
        for base_url in self.cluster.web_urls:
            client = signed_in_client(self.cluster, base_url)
            thread = threading.Thread(target=self._send, args=(base_url, client), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _next_intake(self) -> dict[str, Any]:
        with self._lock:
            self._counter += 1
            number = self._counter
        return {**EXAMPLE_INTAKE, "family_name": f"Cluster {letters(number)}",
                "document_number": f"CL{number:07d}"}

    def _send(self, base_url: str, client: httpx.Client) -> None:
        try:
            while not self._stop.is_set():
                self._carry_out(base_url, client, self._next_intake())
                self._stop.wait(PAUSE_BETWEEN_INTAKES)
        finally:
            client.close()

    def _carry_out(self, base_url: str, client: httpx.Client, intake: dict[str, Any]) -> None:
        """Send one intake as a careful client does, and as the 503 asks: with an
        Idempotency-Key, and again with the same key while the answer leaves its outcome
        unknown (a save cut by an outage may have been committed all the same). Finished even
        after `stop()`, for at most SEND_AGAIN_FOR seconds."""
        key = str(uuid4())
        gives_up = time.monotonic() + SEND_AGAIN_FOR
        while True:
            try:
                sent = client.post("/api/v1/cities/firenze/intakes", json=intake,
                                   headers={"Idempotency-Key": key})
                body = (sent.json() if sent.headers.get("content-type", "")
                        .startswith("application/json") else sent.text)
                answer = Answer(base_url, key, sent.status_code, body, time.monotonic())
            except httpx.HTTPError as error:
                answer = Answer(base_url, key, None, repr(error), time.monotonic())
            self.answers.append(answer)
            if not answer.asks_to_send_again or time.monotonic() > gives_up:
                return
            time.sleep(SEND_AGAIN_AFTER)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        target = len(self.created) + count
        while len(self.created) < target:
            assert time.monotonic() < deadline, f"fewer than {count} intakes in {timeout} s"
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(SEND_AGAIN_FOR + 60)

    @property
    def created(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.status == 201]

    @property
    def failed(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.status != 201]


async def stream_state(cluster: LocalCluster) -> tuple[int, str | None]:
    """The stream's last sequence and the server that leads it."""
    connection = await nats.connect(servers=server_list(cluster.settings.effective_nats_url),
                                    connect_timeout=2)
    try:
        info = await connection.jetstream().stream_info(STREAM_NAME)
        return info.state.last_seq, info.cluster.leader if info.cluster else None
    finally:
        await connection.close()


def node_led_by(cluster: LocalCluster, server_name: str | None) -> int:
    names = [f"lgnet-{port}" for port in cluster.layout.node_ports]
    assert server_name in names, f"{server_name} leads the stream, not one of {names}"
    return names.index(server_name)


def wait_for_stream_to_grow(cluster: LocalCluster, beyond: int, timeout: float = 60) -> float:
    """Seconds until the stream holds a message after sequence `beyond` (NATS may be electing a
    leader meanwhile: errors are waited through)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            last_seq, _leader = asyncio.run(stream_state(cluster))
            if last_seq > beyond:
                return time.monotonic() - started
        except Exception:  # noqa: S110 (no leader yet, or the client's server is the one killed)
            pass
        time.sleep(0.1)
    raise AssertionError(f"the stream did not grow beyond {beyond} in {timeout} s")


def kill_the_stream_leader_and_restart_it(cluster: LocalCluster, load: IntakeLoad) -> float:
    """Kill the node that leads stream LGNET under load, restart it once the stream moved on
    without it; return the seconds the stream took to accept the next event."""
    last_seq, leader = asyncio.run(stream_state(cluster))
    index = node_led_by(cluster, leader)
    cluster.nodes[index].kill()
    failover = wait_for_stream_to_grow(cluster, last_seq)
    load.wait_for(5)
    cluster.nodes[index].start()
    cluster.wait_for_node(index)
    return failover


def public_positions(cluster: LocalCluster) -> list[int]:
    record = open_record(cluster.settings)
    try:
        notifications = record.recorder.select_notifications(1, 1_000_000, topics=PUBLIC_TOPICS)
        return [notification.id for notification in notifications]
    finally:
        record.close()


async def stream_messages(cluster: LocalCluster) -> list[dict[str, str]]:
    connection = await nats.connect(servers=server_list(cluster.settings.effective_nats_url))
    try:
        return [dict(message.headers or {}) for message in await read_stream(
            connection.jetstream(), timeout=30)]
    finally:
        await connection.close()


def exited_parts(cluster: LocalCluster) -> str:
    """Which parts and nodes are not running, with their exit status (for a failure's message:
    nothing restarts them in these tests)."""
    gone = [f"{name} (status {part.process.returncode})"
            for name, part in cluster.parts.items()
            if part.process is not None and part.process.poll() is not None]
    gone += [f"NATS node {index + 1} (status {node.exit_status})"
             for index, node in enumerate(cluster.nodes) if node.exit_status is not None]
    return f"exited: {', '.join(gone)}" if gone else "every part and node running"


def settle(cluster: LocalCluster) -> tuple[list[int], list[dict[str, str]]]:
    """Wait until the stream holds every public event of the store and the projector has applied
    the whole stream; return both."""
    projections = default_projections()
    read_models = open_read_models(cluster.database_url, cluster.data_dir / "unused.sqlite")
    deadline = time.monotonic() + SETTLE_TIMEOUT
    try:
        while True:
            positions = public_positions(cluster)
            last_seq, _leader = asyncio.run(stream_state(cluster))
            trackings = read_models.trackings([p.name for p in projections])
            if (last_seq == len(positions)
                    and all(t.stream_seq == last_seq for t in trackings.values())):
                return positions, asyncio.run(stream_messages(cluster))
            assert time.monotonic() < deadline, (
                f"not settled in {SETTLE_TIMEOUT} s: {len(positions)} public events, stream at "
                f"{last_seq}, tracking {sorted({t.stream_seq for t in trackings.values()})}; "
                f"{exited_parts(cluster)}")
            time.sleep(0.5)
    finally:
        read_models.close()


def assert_the_stream_is_the_log_exactly_once_in_order(
    positions: list[int], messages: list[dict[str, str]]
) -> None:
    assert [int(headers[POSITION]) for headers in messages] == positions
    assert [headers[MSG_ID] for headers in messages] == [msg_id_for(p) for p in positions]


def assert_the_read_models_equal_a_clean_rebuild(cluster: LocalCluster, events: int) -> None:
    """Stop the projector, keep what it built, rebuild from the stream into the same database:
    every row the same."""
    for name, part in cluster.parts.items():
        if name.startswith("projector"):
            part.stop()
    read_models = open_read_models(cluster.database_url, cluster.data_dir / "unused.sqlite")
    try:
        live = contents(read_models)
        applied = asyncio.run(rebuild(read_models, default_projections(),
                                      cluster.settings.effective_nats_url, progress=False))
        assert applied == events
        assert contents(read_models) == live
    finally:
        read_models.close()


def listed_cases(client: httpx.Client) -> dict[str, str]:
    """Firenze's cases as the API lists them, page by page: case id -> case code."""
    cases: dict[str, str] = {}
    page, pages = 1, 1
    while page <= pages:
        listed = client.get("/api/v1/cities/firenze/cases",
                            params={"page": page, "page_size": 100})
        assert listed.status_code == 200, listed.text
        cases |= {case["case_id"]: case["case_code"] for case in listed.json()["items"]}
        page, pages = page + 1, listed.json()["pages"]
    return cases


def assert_every_created_intake_is_visible_and_nothing_else(
    cluster: LocalCluster, load: IntakeLoad
) -> None:
    created = {answer.body["case_id"]: answer.body["case_code"] for answer in load.created}
    assert created, "no intake was recorded"
    # Each intake (its key) recorded once: the one sent again after an outage got the case its
    # first send had saved, if it had, not a second one.
    keys_created = [answer.key for answer in load.created]
    assert len(set(keys_created)) == len(keys_created) == len(created)
    unsettled = {answer.key for answer in load.answers} - set(keys_created)
    assert not unsettled, [a for a in load.answers if a.key in unsettled][:5]
    for base_url in cluster.web_urls:
        client = signed_in_client(cluster, base_url)
        try:
            # Every 2xx intake is there, and no case that was not answered 2xx: a request that
            # failed half-way left nothing behind.
            assert listed_cases(client) == created
            some = next(iter(created))
            assert client.get(f"/api/v1/cases/{some}").status_code == 200
        finally:
            client.close()


def test_intakes_through_both_web_processes_survive_nodes_and_the_relay_restarting(
    cluster_root: Path, own_postgres_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_cluster(LocalCluster(cluster_root, database_url=own_postgres_database)) \
            as cluster:
        load = IntakeLoad(cluster).start()
        try:
            load.wait_for(20)
            first_failover = kill_the_stream_leader_and_restart_it(cluster, load)
            second_failover = kill_the_stream_leader_and_restart_it(cluster, load)

            last_seq, _leader = asyncio.run(stream_state(cluster))
            cluster.parts["relay"].kill()
            load.wait_for(5)
            cluster.parts["relay"].start()
            relay_failover = wait_for_stream_to_grow(cluster, last_seq)
            load.wait_for(10)
        finally:
            load.stop()
        positions, messages = settle(cluster)
        assert_the_stream_is_the_log_exactly_once_in_order(positions, messages)
        assert_every_created_intake_is_visible_and_nothing_else(cluster, load)
        assert_the_read_models_equal_a_clean_rebuild(cluster, len(messages))
        assert not load.failed, load.failed[:5]
    elapsed = load.answers[-1].at - load.answers[0].at
    with capsys.disabled():
        print(f"\ncluster: {len(load.created)} intakes in {elapsed:.1f} s through 2 web "
              f"processes, stream R3; the stream accepted the next event {first_failover:.2f} s "
              f"and {second_failover:.2f} s after its leader node was killed, and "
              f"{relay_failover:.2f} s after the relay was killed and restarted")


def log_of(cluster: LocalCluster, name: str) -> str:
    path = cluster.parts[name].log_path
    return path.read_text(errors="replace") if path.exists() else ""


def holder_and_waiter(cluster: LocalCluster, part: str, second: str) -> tuple[str, str]:
    """Which of the two processes running `part` holds its lease, and which waits (from what
    each logs, infra/nats/lease.py)."""
    deadline = time.monotonic() + 90
    while True:
        holding = [name for name in (part, second)
                   if f"Holding the {part} lease" in log_of(cluster, name)]
        waiting = [name for name in (part, second)
                   if f"Another process holds the {part} lease" in log_of(cluster, name)]
        if len(holding) == 1 and waiting and waiting != holding:
            return holding[0], waiting[0]
        assert len(holding) < 2, f"both {part} processes hold the lease"
        assert time.monotonic() < deadline, f"not one {part} holding and one waiting"
        time.sleep(0.2)


@pytest.mark.parametrize("part", ["relay", "projector"])
def test_two_relays_or_two_projectors_at_once_one_works_the_other_waits(
    part: str, cluster_root: Path, own_postgres_database: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A deployment mistake (or a standby): a second relay, or a second projector, started
    against the same store and stream. One works; the other waits on the lease and takes over
    when the first dies; nothing is published twice or skipped, nothing applied twice."""
    with running_cluster(LocalCluster(cluster_root, database_url=own_postgres_database)) \
            as cluster:
        second = f"{part}-2"
        cluster.add_part(second, part).start()
        load = IntakeLoad(cluster).start()
        try:
            load.wait_for(20)
            holder, waiter = holder_and_waiter(cluster, part, second)
            if part == "relay":
                assert "Relay connected" not in log_of(cluster, waiter)
            last_seq, _leader = asyncio.run(stream_state(cluster))
            cluster.parts[holder].kill()
            killed_at = time.monotonic()
            while f"Holding the {part} lease" not in log_of(cluster, waiter):
                assert time.monotonic() - killed_at < 60, f"{waiter} did not take over"
                time.sleep(0.1)
            takeover = time.monotonic() - killed_at
            wait_for_stream_to_grow(cluster, last_seq)
            load.wait_for(10)
        finally:
            load.stop()
        positions, messages = settle(cluster)
        assert_the_stream_is_the_log_exactly_once_in_order(positions, messages)
        assert_every_created_intake_is_visible_and_nothing_else(cluster, load)
        assert_the_read_models_equal_a_clean_rebuild(cluster, len(messages))
        assert not load.failed, load.failed[:5]
    with capsys.disabled():
        print(f"\ncluster: the waiting {part} took over {takeover:.2f} s after the one holding "
              "the lease was killed")


def test_postgresql_restarted_under_load_fails_commands_cleanly_and_loses_nothing(
    cluster_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PostgreSQL (a private instance: the shared server on 5432 is never restarted) goes down
    under load and comes back: meanwhile intakes are answered 503 with a message, afterwards
    they work again, and every intake answered 201 is there, no other."""
    with running_cluster(LocalCluster(cluster_root)) as cluster:
        assert cluster.postgres is not None
        load = IntakeLoad(cluster).start()
        try:
            load.wait_for(20)
            down_at = time.monotonic()
            cluster.postgres.stop("fast")
            # Down at least 4 s, and until a command was answered meanwhile (each web process
            # sends one at a time, and one sent just before the stop may take seconds to be
            # refused): an outage no answer falls into proves nothing. Past 30 s without one,
            # commands hang during an outage, and the assertion below fails.
            outage_ends = time.monotonic() + 30
            time.sleep(4)
            while (not any(answer.at > down_at for answer in load.answers)
                   and time.monotonic() < outage_ends):
                time.sleep(0.2)
            cluster.postgres.start()
            up_at = time.monotonic()
            load.wait_for(20)
        finally:
            load.stop()
        during = [answer for answer in load.answers if down_at <= answer.at <= up_at]
        after = [answer for answer in load.answers if answer.at > up_at]
        positions, messages = settle(cluster)
        assert_the_stream_is_the_log_exactly_once_in_order(positions, messages)
        assert_every_created_intake_is_visible_and_nothing_else(cluster, load)
        assert_the_read_models_equal_a_clean_rebuild(cluster, len(messages))
        recovered = next(answer.at for answer in after if answer.status == 201)
        with capsys.disabled():
            print(f"\ncluster: PostgreSQL down for {up_at - down_at:.1f} s: "
                  f"{len(during)} answers meanwhile "
                  f"({sorted({str(answer.status) for answer in during})}); intakes recorded "
                  f"again {recovered - up_at:.2f} s after it was back")
        assert during, "no intake was tried while PostgreSQL was down"
        for answer in during:
            if answer.status != 201:
                assert answer.status == 503, (answer.status, answer.body)
                assert isinstance(answer.body, dict) and answer.body.get("message"), answer.body


def test_lgnet_cluster_up_starts_every_part_and_stops_them_all_on_ctrl_c(
    cluster_root: Path,
) -> None:
    """The command as an operator runs it: a private PostgreSQL, three nodes, the parts; its
    banner names where everything is and no password; Ctrl-C stops every process."""
    output = cluster_root / "cluster-up.log"
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", "from infra.cli.main import main; main()", "cluster", "up",
             "--dir", str(cluster_root / "cluster")],
            env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while b"Press Ctrl-C to stop." not in output.read_bytes():
            assert process.poll() is None, output.read_text(errors="replace")
            assert time.monotonic() < deadline, output.read_text(errors="replace")
            time.sleep(0.2)
        banner = output.read_text()
        layout = json.loads((cluster_root / "cluster" / "cluster.json").read_text())
        for port in layout["web_ports"]:
            assert f"http://127.0.0.1:{port}/" in banner
            assert httpx.get(f"http://127.0.0.1:{port}/health").json() == {"status": "ok"}
        for password in layout["passwords"].values():
            assert password not in banner
        assert "private PostgreSQL" in banner and "stream LGNET with 3 replicas" in banner

        process.send_signal(signal.SIGINT)
        assert process.wait(120) == 0, output.read_text(errors="replace")
        assert "The cluster stopped." in output.read_text()
        ports = [*layout["web_ports"], *layout["node_ports"], layout["postgres_port"]]
        assert not [port for port in ports if port_is_taken(port)]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
