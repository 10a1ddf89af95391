"""The local cluster's configuration (infra/cluster.py, `lgnet cluster up`), without starting it:
the nodes reuse the compose cluster's configuration, and a later start finds the same layout."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from infra.cluster import Layout, LocalCluster, node_config
from infra.nats.auth import CLUSTER_CONFIG_FILE


def test_every_password_the_compose_configuration_names_is_given_to_the_nodes(
    tmp_path: Path,
) -> None:
    layout = Layout.load_or_create(tmp_path / "cluster.json", web_processes=2)
    named = set(re.findall(r"\$(LGNET_NATS_[A-Z_]+_PASSWORD)", CLUSTER_CONFIG_FILE.read_text()))
    assert named and named == set(layout.server_environment)
    assert all(len(password) >= 32 for password in layout.server_environment.values())


def test_each_node_includes_the_compose_configuration_and_routes_to_the_three(
    tmp_path: Path,
) -> None:
    layout = Layout.load_or_create(tmp_path / "cluster.json", web_processes=2)
    for index in range(3):
        config = node_config(layout, index)
        assert 'include "lgnet.conf"' in config
        assert f'listen: "127.0.0.1:{layout.route_ports[index]}"' in config
        assert f'http: "127.0.0.1:{layout.monitor_ports[index]}"' in config
        for port in layout.route_ports:
            assert f'"nats-route://127.0.0.1:{port}"' in config


def test_a_later_start_finds_the_same_ports_and_passwords(tmp_path: Path) -> None:
    first = LocalCluster(tmp_path / "cluster").layout
    layout_file = tmp_path / "cluster" / "cluster.json"
    assert stat.S_IMODE(layout_file.stat().st_mode) == 0o600  # it holds the NATS passwords
    again = LocalCluster(tmp_path / "cluster").layout
    assert again == first
    three = LocalCluster(tmp_path / "cluster", web_processes=3, http_port=18000).layout
    assert three.web_ports == [18000, 18001, 18002]
    assert three.node_ports == first.node_ports and three.passwords == first.passwords


def test_the_parts_run_as_compose_runs_them_with_three_replicas(tmp_path: Path) -> None:
    cluster = LocalCluster(tmp_path / "cluster")
    assert sorted(cluster.parts) == ["partner-feed", "projector", "relay", "web-1", "web-2"]
    assert cluster.parts["relay"].command[-1] == "relay"
    environment = cluster.parts["web-2"].environment
    assert environment["LGNET_STREAM_REPLICAS"] == "3"
    assert environment["LGNET_HTTP_PORT"] == str(cluster.layout.web_ports[1])
    assert environment["LGNET_NATS_URL"].count("nats://lgnet-platform:") == 3
    assert environment["LGNET_PARTNER_NATS_URL"].count("nats://lgnet-partner-feed:") == 3
    assert environment["LGNET_DATABASE_URL"] == cluster.database_url
    assert cluster.database_url.startswith("postgresql://postgres@127.0.0.1:")
