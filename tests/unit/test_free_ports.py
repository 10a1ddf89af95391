"""Ports for servers (infra.nats.server.free_ports): distinct within one draw, never one a
listener holds, and below the kernel's ephemeral range, where clients' own ports come from."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from infra.nats import server
from infra.nats.server import NatsServerError, free_port, free_ports


def test_one_draw_gives_distinct_ports_below_the_ephemeral_range() -> None:
    ports = free_ports(16)
    assert len(set(ports)) == 16
    candidates = server._server_port_range()
    if candidates is None:
        pytest.skip("this kernel does not say its ephemeral port range")
    assert all(port in candidates for port in ports)
    assert candidates.stop == int(server._EPHEMERAL_RANGE_FILE.read_text().split()[0])
    assert free_port() in candidates


def test_a_port_a_listener_holds_is_never_given(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as spare_probe:
            spare_probe.bind(("127.0.0.1", 0))
            spare = spare_probe.getsockname()[1]
        monkeypatch.setattr(server, "_server_port_range", lambda: range(taken, taken + 1))
        with pytest.raises(NatsServerError, match="Could not find 1 free ports"):
            free_ports(1)
        both = sorted((taken, spare))
        monkeypatch.setattr(server, "_server_port_range",
                            lambda: both)
        assert free_ports(1) == [spare]
        with pytest.raises(NatsServerError, match="Could not find 2 free ports"):
            free_ports(2)


def test_without_a_known_ephemeral_range_the_kernel_chooses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server, "_EPHEMERAL_RANGE_FILE", Path("/nonexistent/range"))
    assert server._server_port_range() is None
    assert len(set(free_ports(4))) == 4
