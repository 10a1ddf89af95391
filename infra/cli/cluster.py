"""`lgnet cluster up`: the compose stack's topology as processes on this machine's loopback, for
trying the platform on the distributed engine without Docker (infra/cluster.py)."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from infra.bootstrap import Platform
from infra.cli.demo import extend_for_trying
from infra.cli.platform import configure_logging
from infra.cluster import LAYOUT_FILE_NAME, ClusterError, LocalCluster
from infra.nats.credentials import url_without_credentials
from infra.nats.server import NatsServerError

cluster_app = typer.Typer(help="The compose topology as local processes", no_args_is_help=True)


def _ready_to_try(platform: Platform) -> None:
    """As `lgnet run` on first start: an empty record gets the invented decision extending the
    programme's period to this year, so that intakes dated today are accepted."""
    if platform.record.recorder.max_notification_id() is None:
        extend_for_trying(platform, datetime.now(UTC))


@cluster_app.command("up")
def up(
    directory: Annotated[Path, typer.Option("--dir", help="Where the nodes, PostgreSQL, the "
                                            "data, keys and logs live (kept between runs)")]
    = Path("var-cluster"),
    database_url: Annotated[str | None, typer.Option(help="Use this PostgreSQL database "
                                                     "instead of starting a private one")]
    = None,
    web: Annotated[int, typer.Option(min=1, max=8, help="How many web processes")] = 2,
    http_port: Annotated[int | None, typer.Option(help="The first web process's port (the "
                                                  "next ones follow); default free ports, "
                                                  "kept in the directory")] = None,
) -> None:
    """Start 3 clustered nats-server nodes (JetStream, stream LGNET with 3 replicas),
    PostgreSQL, WEB web processes, the relay, the projector and the partner feed, each a process
    of its own as in compose.yaml; restart any that exits; stop them all on Ctrl-C."""
    configure_logging()
    cluster = LocalCluster(directory, database_url=database_url, web_processes=web,
                           http_port=http_port)
    stopping = False

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        try:
            cluster.start(_ready_to_try)
        except (ClusterError, NatsServerError) as error:
            raise SystemExit(f"Cannot start the cluster: {error}") from None
        _announce(cluster)
        cluster.supervise(lambda: stopping, lambda line: print(line, flush=True))
    finally:
        print("Stopping the cluster ...", flush=True)
        cluster.stop()
        cluster.kill()
    print("The cluster stopped.", flush=True)


def _announce(cluster: LocalCluster) -> None:
    settings = cluster.settings
    nodes = url_without_credentials(settings.effective_nats_url)
    store = url_without_credentials(cluster.database_url)
    if cluster.postgres is not None:
        store += f" (a private PostgreSQL in {cluster.postgres.directory})"
    print(
        "\nLGNetEA cluster is running (every part a process of its own):\n"
        + "".join(f"  Web {index + 1}: {url}/\n" for index, url in enumerate(cluster.web_urls))
        + f"  NATS:  {nodes}  (3 nodes, JetStream, stream LGNET with 3 replicas; users as "
        f"in infra/nats/cluster.conf, passwords in {cluster.root / LAYOUT_FILE_NAME})\n"
        f"  Store: {store}\n"
        f"  Logs:  {cluster.root / 'logs'}\n"
        f"DEMO users: their passwords are in {cluster.demo_credentials_file} (mode 0600).\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
