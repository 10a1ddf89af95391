"""TLS for NATS clients and cluster routes (issue 18, item 16), as the compose stack runs it:
infra/nats/cluster-tls.conf (over the accounts of cluster.conf) on two real nats-server nodes,
with certificates made by scripts/make-local-ca.sh. The platform's connections trust the CA
that LGNET_NATS_TLS_CA_FILE names; a client that does not is refused, and so is cleartext."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from infra.nats.auth import CLUSTER_CONFIG_FILE
from infra.nats.server import free_port, port_is_taken
from infra.settings import SettingsError, load_settings

pytestmark = pytest.mark.nats
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "platform-password-for-the-tls-test"  # noqa: S105


@pytest.fixture
def certificates(tmp_path: Path) -> Path:
    directory = tmp_path / "nats-tls"
    subprocess.run([str(ROOT / "scripts" / "make-local-ca.sh"), str(directory)], check=True,
                   capture_output=True)
    return directory


@pytest.fixture
def tls_cluster(tmp_path: Path, certificates: Path) -> Iterator[list[int]]:
    """Two nodes of the compose cluster's configuration, on 127.0.0.1; their client ports."""
    shutil.copy(CLUSTER_CONFIG_FILE, tmp_path / "lgnet.conf")
    clients, routes = [free_port(), free_port()], [free_port(), free_port(), free_port()]
    template = (ROOT / "infra" / "nats" / "cluster-tls.conf").read_text()
    template = template.replace("/etc/nats/tls/", f"{certificates}/")
    for node, port in enumerate(routes, start=1):
        template = template.replace(f"nats-{node}:6222", f"localhost:{port}")
    env = {**os.environ, **{f"LGNET_NATS_{user}_PASSWORD": PASSWORD for user in (
        "PLATFORM", "OBSERVER", "FEED", "PARTNER_DEMO_FIRENZE")}}
    processes = []
    for node in range(2):
        config = tmp_path / f"node-{node}.conf"
        config.write_text(template.replace('listen: "0.0.0.0:6222"',
                                           f'listen: "127.0.0.1:{routes[node]}"'))
        processes.append(subprocess.Popen(
            ["nats-server", "-c", str(config), "-n", f"nats-{node + 1}", "-a", "127.0.0.1",
             "-p", str(clients[node])], env=env, stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"node-{node}.log").open("wb")))
    deadline = time.monotonic() + 15
    while not all(port_is_taken(port) for port in clients):
        assert time.monotonic() < deadline, (tmp_path / "node-0.log").read_text()
        time.sleep(0.05)
    yield clients
    for process in processes:
        process.terminate()
        process.wait(10)


async def a_message_crosses_the_route(first: str, second: str) -> bytes:
    subscriber = await nats.connect(second, connect_timeout=3, allow_reconnect=False)
    publisher = await nats.connect(first, connect_timeout=3, allow_reconnect=False)
    try:
        subscription = await subscriber.subscribe("lgnet.tls-test")
        await subscriber.flush()
        async with asyncio.timeout(15):
            while True:  # until the route between the nodes is up
                await publisher.publish("lgnet.tls-test", b"over TLS")
                await publisher.flush()
                try:
                    return (await subscription.next_msg(timeout=0.2)).data
                except nats.errors.TimeoutError:
                    continue
    finally:
        await subscriber.close()
        await publisher.close()


def test_clients_and_routes_speak_tls_with_the_ca_from_the_settings(
    tls_cluster: list[int], certificates: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "")  # restored after the test
    monkeypatch.setenv("LGNET_NATS_TLS_CA_FILE", str(certificates / "ca.pem"))
    first, second = (f"tls://lgnet-platform:{PASSWORD}@localhost:{port}" for port in tls_cluster)
    monkeypatch.setenv("LGNET_NATS_URL", f"{first},{second}")
    settings = load_settings()
    assert os.environ["SSL_CERT_FILE"] == str(certificates / "ca.pem")

    first, second = settings.nats_servers
    assert asyncio.run(a_message_crosses_the_route(first, second)) == b"over TLS"


def test_a_client_that_does_not_trust_the_ca_or_speaks_cleartext_is_refused(
    tls_cluster: list[int],
) -> None:
    async def connect(url: str) -> None:
        # Verifies servers, trusting no CA at all: as a client without LGNET_NATS_TLS_CA_FILE.
        connection = await nats.connect(url, connect_timeout=2, allow_reconnect=False,
                                        tls=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        await connection.close()

    with pytest.raises(ssl.SSLCertVerificationError):
        asyncio.run(connect(f"tls://lgnet-platform:{PASSWORD}@localhost:{tls_cluster[0]}"))
    # In cleartext, the server asks for TLS first and answers nothing else.
    with socket.create_connection(("127.0.0.1", tls_cluster[0]), timeout=5) as plain:
        info = json.loads(plain.recv(4096).decode().removeprefix("INFO ").strip())
        assert info["tls_required"] is True
        plain.sendall(b'CONNECT {"user":"lgnet-platform","pass":"' + PASSWORD.encode()
                      + b'"}\r\nPING\r\n')
        answer = plain.recv(4096)
        assert b"PONG" not in answer


def test_a_missing_ca_file_is_a_settings_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LGNET_NATS_TLS_CA_FILE", str(tmp_path / "nowhere.pem"))
    with pytest.raises(SettingsError, match="LGNET_NATS_TLS_CA_FILE"):
        load_settings()
