"""A NATS node that comes back after stream LGNET moved on and was snapshotted catches up from the
snapshot, and stays healthy while the relay goes on publishing.

CI failed on this on 7 Dec 2026 (test_cluster.py, the first node restart): the relay chained its
messages by Nats-Expected-Last-Msg-Id, which nats-server 2.15.1 checks again on every replica
against a last msg id that catching up from a snapshot does not update. The restarted replica
refused the next message and stopped for good ("JetStream stream 'LGNET > LGNET' is not current:
stream write error: last msgid mismatch"). The relay now chains by Nats-Expected-Last-Sequence,
which only the leader checks (infra/pipeline/relay.py). The test makes the two other nodes
snapshot the stream by restarting them cleanly (a node snapshots its streams as it stops).

Run against the relay chaining by msg id, this test failed five times in five runs; against
the relay chaining by sequence it passed seven times in seven."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import nats.errors
import pytest

from infra.cluster import NODE_COUNT, LocalCluster
from infra.nats.jetstream import server_list
from infra.nats.streams import STREAM_NAME
from infra.pipeline.relay import Relay
from infra.settings import Settings
from infra.store.eventstore import open_record
from tests.integration.test_relay import assert_stream_mirrors_log, save_intakes

pytestmark = pytest.mark.cluster

# Publishes after the node's restart, each waited for on the restarted node: enough for the
# node to have applied several messages the leader replicated after its catch-up.
ROUNDS_AFTER_RESTART = 5
CATCH_UP_TIMEOUT = 60.0
LEADER_TIMEOUT = 30.0


def monitoring(cluster: LocalCluster, index: int, path: str) -> tuple[int, Any]:
    """(status, JSON body) of node `index`'s monitoring endpoint `path`."""
    url = f"http://127.0.0.1:{cluster.layout.monitor_ports[index]}{path}"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def replica_last_seq(cluster: LocalCluster, index: int) -> int | None:
    """The last sequence of node `index`'s own replica of stream LGNET (None: it has none)."""
    _status, body = monitoring(cluster, index, "/jsz?accounts=true&streams=true")
    for account in body.get("account_details") or []:
        for stream in account.get("stream_detail") or []:
            if stream["name"] == STREAM_NAME:
                return int(stream["state"]["last_seq"])
    return None


async def leader_and_last_seq(cluster: LocalCluster) -> tuple[str, int]:
    """The stream's leader and last sequence, once it has a leader again (a node just restarted
    leaves it without one for a few seconds: a healthy node is not yet a working stream)."""
    deadline = time.monotonic() + LEADER_TIMEOUT
    connection = await nats.connect(servers=server_list(cluster.settings.effective_nats_url))
    try:
        while True:
            try:
                info = await connection.jetstream().stream_info(STREAM_NAME)
                if info.cluster is not None and info.cluster.leader is not None:
                    return info.cluster.leader, info.state.last_seq
            except nats.errors.Error:
                pass
            assert time.monotonic() < deadline, f"no leader of {STREAM_NAME} for {LEADER_TIMEOUT} s"
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


@pytest.fixture
def nodes_only(cluster_root: Path) -> Iterator[LocalCluster]:
    """The three NATS nodes of a LocalCluster, without PostgreSQL or any part."""
    cluster = LocalCluster(cluster_root)
    try:
        cluster.start_nodes()
        yield cluster
    finally:
        for node in cluster.nodes:
            node.stop()


async def test_a_node_restarted_behind_a_snapshot_catches_up_and_stays_healthy(
    nodes_only: LocalCluster, tmp_path: Path
) -> None:
    cluster = nodes_only
    record = open_record(Settings(data_dir=tmp_path / "store"))
    try:
        relay = Relay(record, cluster.settings.effective_nats_url, replicas=NODE_COUNT)
        save_intakes(record, 20)
        assert await relay.publish_pending() == 20

        leader, _last_seq = await leader_and_last_seq(cluster)
        names = [f"lgnet-{port}" for port in cluster.layout.node_ports]
        behind = next(index for index in range(NODE_COUNT) if names[index] != leader)
        assert replica_last_seq(cluster, behind) == 20
        cluster.nodes[behind].kill()

        # The stream moves on without the node, and its log is compacted past where it stopped:
        # each other node snapshots as it stops cleanly, one at a time.
        save_intakes(record, 20)
        assert await relay.publish_pending() == 20
        for index in range(NODE_COUNT):
            if index != behind:
                cluster.nodes[index].stop()
                cluster.nodes[index].start()
                cluster.wait_for_node(index)
        await leader_and_last_seq(cluster)
        save_intakes(record, 20)
        assert await relay.publish_pending() == 20
        _leader, last_seq = await leader_and_last_seq(cluster)
        assert last_seq == 60

        cluster.nodes[behind].start()
        cluster.wait_for_node(behind)
        await leader_and_last_seq(cluster)
        for _round in range(ROUNDS_AFTER_RESTART):
            save_intakes(record, 5)
            assert await relay.publish_pending() == 5
            _leader, last_seq = await leader_and_last_seq(cluster)
            deadline = time.monotonic() + CATCH_UP_TIMEOUT
            while replica_last_seq(cluster, behind) != last_seq:
                # Catching up may make it unhealthy for a while; a write error is for good.
                _status, health = monitoring(cluster, behind, "/healthz")
                assert "write error" not in str(health), f"node {behind + 1}: {health}"
                assert time.monotonic() < deadline, (
                    f"node {behind + 1} holds {replica_last_seq(cluster, behind)} of "
                    f"{last_seq} messages: {health}")
                await asyncio.sleep(0.1)
        assert last_seq == 85
        status, body = monitoring(cluster, behind, "/healthz")
        assert (status, body) == (200, {"status": "ok"})

        connection = await nats.connect(servers=server_list(cluster.settings.effective_nats_url))
        try:
            await assert_stream_mirrors_log(connection.jetstream(), record)
        finally:
            await connection.close()
    finally:
        record.close()
