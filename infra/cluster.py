"""The compose stack's topology as separate processes on this machine's loopback (`lgnet cluster
up`, and the tests marked `cluster`): three clustered nats-server nodes with JetStream (stream LGNET
with 3 replicas), PostgreSQL, two web processes, the relay, the projector and the partner feed,
each part started as compose starts it (`lgnet web`, `lgnet relay`, ...).

The NATS nodes use the compose cluster's own accounts, users and permissions
(infra/nats/cluster.conf, copied beside the nodes' configuration as the `lgnet.conf` that
infra/nats/cluster-tls.conf includes too) with passwords made for this cluster, and the cluster
block of cluster-tls.conf on loopback ports, without TLS (everything stays on 127.0.0.1).
PostgreSQL is a private instance (initdb and pg_ctl, in the cluster's directory, on a port of its
own) unless a database URL is given. What was chosen at the first start (ports, passwords) is kept
in the cluster's directory, so that a later start finds the same nodes and data."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from infra.audit.checkpoints import audit_dir, load_or_create_signing_key
from infra.bootstrap import Platform, build_platform
from infra.nats.auth import (
    CLUSTER_CONFIG_FILE,
    CLUSTER_PARTNERS_FILE,
    INTERNAL_USERS,
    PARTNER_FEED_USER,
    PLATFORM_USER,
    load_partners,
    password_variable,
)
from infra.nats.credentials import generate_password, url_with_credentials
from infra.nats.server import EmbeddedNats, free_ports, port_is_taken
from infra.settings import Settings
from infra.store.accounts.demo import DEMO_CREDENTIALS_FILE_NAME, create_demo_accounts

HOST = "127.0.0.1"
NODE_COUNT = 3
LAYOUT_FILE_NAME = "cluster.json"
# The parts of the compose stack that run the application image, as `lgnet <command>`.
BACKEND_PARTS = ("relay", "projector", "partner-feed")
STARTUP_TIMEOUT = 90.0


class ClusterError(RuntimeError):
    """Raised when a part of the local cluster cannot be started."""


@dataclass
class Layout:
    """Ports and passwords of one local cluster, chosen at its first start and kept."""

    node_ports: list[int]
    route_ports: list[int]
    monitor_ports: list[int]
    web_ports: list[int]
    postgres_port: int
    passwords: dict[str, str]

    @classmethod
    def new(cls, web_processes: int, http_port: int | None = None) -> Layout:
        users = [*INTERNAL_USERS, *(p.name for p in load_partners(CLUSTER_PARTNERS_FILE))]
        # Chosen in one draw so that no two coincide (infra.nats.server.free_ports).
        ports = free_ports(3 * NODE_COUNT + 1 + (0 if http_port else web_processes))
        web_ports = ([http_port + i for i in range(web_processes)] if http_port
                     else ports[3 * NODE_COUNT + 1:])
        return cls(
            node_ports=ports[:NODE_COUNT],
            route_ports=ports[NODE_COUNT:2 * NODE_COUNT],
            monitor_ports=ports[2 * NODE_COUNT:3 * NODE_COUNT],
            web_ports=web_ports,
            postgres_port=ports[3 * NODE_COUNT],
            passwords={user: generate_password() for user in users},
        )

    @classmethod
    def load_or_create(cls, path: Path, web_processes: int,
                       http_port: int | None = None) -> Layout:
        if path.exists():
            layout = cls(**json.loads(path.read_text()))
            if len(layout.web_ports) != web_processes or http_port is not None:
                base = layout.web_ports[0] if http_port is None else http_port
                layout.web_ports = [base + i for i in range(web_processes)]
            return layout
        layout = cls.new(web_processes, http_port)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(layout.__dict__, file, indent=2)
        return layout

    def nats_url(self, user: str) -> str:
        """Every node's URL, as `user` (the client picks one, and fails over to the others)."""
        seeds = ",".join(f"nats://{HOST}:{port}" for port in self.node_ports)
        return url_with_credentials(seeds, user, self.passwords[user])

    @property
    def server_environment(self) -> dict[str, str]:
        """The passwords cluster.conf reads from the environment."""
        return {password_variable(user): password for user, password in self.passwords.items()}


def node_config(layout: Layout, index: int) -> str:
    routes = ", ".join(f'"nats-route://{HOST}:{port}"' for port in layout.route_ports)
    return (
        "# Written by `lgnet cluster up` at each start: edits are lost. The compose cluster's\n"
        "# accounts and users (infra/nats/cluster.conf), its cluster block on loopback ports.\n"
        'include "lgnet.conf"\n'
        f'http: "{HOST}:{layout.monitor_ports[index]}"\n'
        "cluster {\n"
        '  name: "lgnet"\n'
        f'  listen: "{HOST}:{layout.route_ports[index]}"\n'
        "  no_advertise: true\n"
        f"  routes: [{routes}]\n"
        "}\n"
    )


@dataclass
class PartProcess:
    """One `lgnet <command>` process of the cluster, its output appended to its log file."""

    name: str
    command: list[str]
    environment: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                self.command, env={**os.environ, **self.environment},
                stdout=log, stderr=subprocess.STDOUT,
                # Ctrl-C reaches the supervisor only, which stops the parts in order.
                start_new_session=True,
            )

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, as compose stops a service: the part finishes what it holds and exits."""
        if not self.running:
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL, as a crash."""
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.wait()


def postgres_bin_dir() -> Path:
    """Where initdb and pg_ctl are: on PATH, or Debian's newest /usr/lib/postgresql/*/bin."""
    found = shutil.which("pg_ctl")
    if found is not None:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda path: int(Path(path).parent.parent.name or 0))
    if not versions:
        raise ClusterError("PostgreSQL's initdb and pg_ctl not found: install PostgreSQL, or "
                           "give the URL of a database (--database-url)")
    return Path(versions[-1]).parent


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of its own (initdb on first start, pg_ctl), listening on the loopback
    only, trust authentication. PostgreSQL refuses to run as root: then it runs as the
    `postgres` system user, which must own (and be able to reach) `directory`."""

    directory: Path
    port: int
    database: str = "lgnet"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{self.database}"

    @property
    def log_path(self) -> Path:
        return self.directory.parent / f"{self.directory.name}.log"

    def _as_owner(self, command: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return command

    def _run(self, *arguments: str) -> None:
        tool = str(postgres_bin_dir() / arguments[0])
        result = subprocess.run(  # noqa: S603 (PostgreSQL's own tools)
            self._as_owner([tool, *arguments[1:]]), capture_output=True, text=True,
            check=False,
        )
        if result.returncode != 0:
            hint = (" (as root, PostgreSQL runs as the postgres user, which must be able to "
                    "reach the directory: choose one under a path it can pass through)"
                    if os.geteuid() == 0 and "Permission denied" in result.stderr else "")
            raise ClusterError(
                f"{arguments[0]} failed: {result.stderr.strip() or result.stdout}{hint}")

    def start(self) -> PrivatePostgres:
        if not (self.directory / "PG_VERSION").exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                # The postgres user must pass through the cluster's directory (not list it: its
                # other contents stay private) to reach its own.
                parent = self.directory.parent
                parent.chmod(parent.stat().st_mode | 0o011)
                shutil.chown(self.directory, "postgres", "postgres")
                self.log_path.touch()
                shutil.chown(self.log_path, "postgres", "postgres")
            self._run("initdb", "-D", str(self.directory), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--no-sync")
        options = (f"-p {self.port} -c listen_addresses={HOST} "
                   f"-c unix_socket_directories={self.directory}")
        self._run("pg_ctl", "-D", str(self.directory), "-l", str(self.log_path), "-o", options,
                  "-w", "-t", "60", "start")
        with psycopg.connect(host=HOST, port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                   (self.database,)).fetchone()
            if exists is None:
                admin.execute(f'CREATE DATABASE "{self.database}"')
        return self

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends the sessions and shuts down cleanly; `immediate` is a crash."""
        if port_is_taken(self.port):
            self._run("pg_ctl", "-D", str(self.directory), "-m", mode, "-w", "stop")


# The directory the platform's packages are in: the parts import the same code as this process.
CODE_ROOT = Path(__file__).resolve().parent.parent


def lgnet_command(part: str) -> list[str]:
    """`lgnet <part>`, run by this interpreter."""
    return [sys.executable, "-c", "from infra.cli.main import main; main()", part]


class LocalCluster:
    """The compose topology as processes; `start()` returns once every part runs and the web
    processes answer. Nodes and parts can be stopped, killed and started again one by one."""

    def __init__(
        self,
        root: Path,
        *,
        database_url: str | None = None,
        web_processes: int = 2,
        http_port: int | None = None,
    ) -> None:
        self.root = root.absolute()
        self.root.mkdir(parents=True, exist_ok=True)
        self.layout = Layout.load_or_create(self.root / LAYOUT_FILE_NAME, web_processes,
                                            http_port)
        self.postgres = (None if database_url else
                         PrivatePostgres(self.root / "postgres", self.layout.postgres_port))
        self.database_url = database_url or (self.postgres.url if self.postgres else "")
        self.nodes = [
            EmbeddedNats(
                store_dir=self.root / f"nats-{index + 1}", port=port, host=HOST,
                config_file=self.root / f"nats-{index + 1}.conf",
                environment=self.layout.server_environment,
            )
            for index, port in enumerate(self.layout.node_ports)
        ]
        self.parts: dict[str, PartProcess] = {}
        for index, port in enumerate(self.layout.web_ports):
            self.add_part(f"web-{index + 1}", "web", LGNET_HTTP_PORT=str(port))
        for part in BACKEND_PARTS:
            self.add_part(part, part)

    # --- settings ---------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.root / "var"

    @property
    def settings(self) -> Settings:
        """The settings every part runs with (as compose.yaml's x-lgnet-app environment)."""
        return Settings(
            data_dir=self.data_dir,
            key_dir=self.root / "keys",
            database_url=self.database_url,
            nats_url=self.layout.nats_url(PLATFORM_USER),
            partner_nats_url=self.layout.nats_url(PARTNER_FEED_USER),
            stream_replicas=NODE_COUNT,
            # Plain http on the loopback, and demo users: as under `lgnet run`.
            secure_cookies=False,
            second_factor="off",
            http_host=HOST,
        )

    def environment(self) -> dict[str, str]:
        settings = self.settings
        values = {
            "LGNET_DATA_DIR": settings.data_dir, "LGNET_KEY_DIR": settings.key_dir,
            "LGNET_DATABASE_URL": settings.database_url, "LGNET_NATS_URL": settings.nats_url,
            "LGNET_PARTNER_NATS_URL": settings.partner_nats_url,
            "LGNET_STREAM_REPLICAS": settings.stream_replicas,
            "LGNET_SECURE_COOKIES": "false", "LGNET_SECOND_FACTOR": "off",
            "LGNET_HTTP_HOST": HOST,
            "PYTHONPATH": os.pathsep.join(
                [str(CODE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
        return {name: str(value) for name, value in values.items()}

    def add_part(self, name: str, command: str, **environment: str) -> PartProcess:
        """Another `lgnet <command>` process (a second relay or projector, say), not started."""
        part = PartProcess(name, lgnet_command(command),
                           {**self.environment(), **environment},
                           self.root / "logs" / f"{name}.log")
        self.parts[name] = part
        return part

    def web_url(self, index: int = 0) -> str:
        return f"http://{HOST}:{self.layout.web_ports[index]}"

    @property
    def web_urls(self) -> list[str]:
        return [self.web_url(index) for index in range(len(self.layout.web_ports))]

    @property
    def demo_credentials_file(self) -> Path:
        return self.data_dir / DEMO_CREDENTIALS_FILE_NAME

    # --- lifecycle --------------------------------------------------------------------------

    def start(self, prepare: Callable[[Platform], None] | None = None) -> LocalCluster:
        """Start PostgreSQL, the NATS nodes, then every part. `prepare` runs once on the
        platform (schema made, keys made) before the parts start: the place for first-start
        data. Demo users are made where there is no user yet."""
        if self.postgres is not None:
            self.postgres.start()
        self.start_nodes()
        self._prepare(prepare)
        for part in self.parts.values():
            part.start()
        for index in range(len(self.layout.web_ports)):
            self.wait_for_web(index)
        return self

    def start_nodes(self) -> None:
        (self.root / "lgnet.conf").write_text(CLUSTER_CONFIG_FILE.read_text())
        for index, node in enumerate(self.nodes):
            assert node.config_file is not None
            node.config_file.write_text(node_config(self.layout, index))
            if node.process is None or node.process.poll() is not None:
                node.start()
        for index in range(NODE_COUNT):
            self.wait_for_node(index)

    def _prepare(self, prepare: Callable[[Platform], None] | None) -> None:
        """What the parts would otherwise race to create: the schema, the vault's keys, the
        audit key pair; and the demo users."""
        settings = self.settings
        self.data_dir.mkdir(parents=True, exist_ok=True)
        load_or_create_signing_key(audit_dir(settings))
        platform = build_platform(settings, vault_keys=True)
        try:
            if not platform.accounts.has_users():
                create_demo_accounts(platform.accounts, self.demo_credentials_file)
            if prepare is not None:
                prepare(platform)
        finally:
            platform.close()

    def stop(self) -> None:
        """Every part (web first, the relay last), the nodes, PostgreSQL."""
        order = sorted(self.parts.values(), key=lambda part: part.name.startswith("relay"))
        for part in order:
            part.stop()
        for node in self.nodes:
            node.stop()
        if self.postgres is not None:
            with contextlib.suppress(ClusterError):
                self.postgres.stop()

    def kill(self) -> None:
        """Kill whatever still runs (a test's last resort)."""
        for part in self.parts.values():
            part.kill()
        for node in self.nodes:
            node.kill()
        if self.postgres is not None:
            with contextlib.suppress(ClusterError):
                self.postgres.stop("immediate")

    def wait_for_node(self, index: int, timeout: float = STARTUP_TIMEOUT) -> None:
        """Until node `index` says it is healthy: JetStream on, its streams current."""
        url = f"http://{HOST}:{self.layout.monitor_ports[index]}/healthz"
        node = self.nodes[index]

        def ready() -> bool:
            if node.exit_status is not None:
                raise ClusterError(f"NATS node {index + 1} exited with status "
                                   f"{node.exit_status}; see {node.store_dir}/nats-server.log")
            return _answers(url)

        self._wait_until(ready, timeout, f"NATS node {index + 1} at {url} (its log: "
                         f"{node.store_dir}/nats-server.log)")

    def wait_for_web(self, index: int, timeout: float = STARTUP_TIMEOUT) -> None:
        url = self.web_url(index) + "/health"
        part = self.parts[f"web-{index + 1}"]
        self._wait_until(lambda: _answers(url), timeout, f"web-{index + 1} at {url}", part)

    def _wait_until(self, ready: Callable[[], bool], timeout: float, what: str,
                    part: PartProcess | None = None) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if part is not None and not part.running:
                raise ClusterError(f"{what} exited; see {part.log_path}")
            if time.monotonic() > deadline:
                raise ClusterError(f"{what} not ready within {timeout:.0f} s")
            time.sleep(0.1)

    def supervise(self, stop: Callable[[], bool], report: Callable[[str], None]) -> None:
        """Restart a part or a node that exited, as compose's `restart: unless-stopped`,
        until `stop()` is true."""
        while not stop():
            for name, part in self.parts.items():
                if part.process is not None and not part.running:
                    report(f"{name} exited with status {part.process.returncode}; restarting "
                           f"(log: {part.log_path})")
                    part.start()
            for index, node in enumerate(self.nodes):
                if node.process is not None and node.process.poll() is not None:
                    report(f"NATS node {index + 1} exited; restarting")
                    node.start()
            time.sleep(1)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (our loopback URL)
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def running_cluster(cluster: LocalCluster,
                    prepare: Callable[[Platform], None] | None = None) -> Iterator[LocalCluster]:
    try:
        yield cluster.start(prepare)
    finally:
        try:
            cluster.stop()
        finally:
            cluster.kill()
