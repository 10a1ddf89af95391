"""The `lgnet` command line: run the platform or one of its parts, rebuild projections, print
the event contracts, load demo data."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Annotated

import typer
from tqdm import tqdm

from events.contracts import json_schemas
from infra.bootstrap import Platform, build_platform
from infra.demo import load_demo
from infra.nats_server import NatsServerError
from infra.runtime import embedded_nats_if_needed, run_parts
from infra.settings import Settings, load_settings

app = typer.Typer(help="LGNetEA coordination platform", no_args_is_help=True)
events_app = typer.Typer(help="The published event contracts", no_args_is_help=True)
projections_app = typer.Typer(help="Read models built from the event stream", no_args_is_help=True)
app.add_typer(events_app, name="events")
app.add_typer(projections_app, name="projections")

DEMO_INTAKES = 150


def _platform(settings: Settings) -> Platform:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return build_platform(settings)


def _load_demo_on_first_start(platform: Platform) -> None:
    if platform.record.recorder.max_notification_id() is not None:
        return
    with tqdm(total=DEMO_INTAKES, desc="Loading demo data", unit="intake") as bar:
        load_demo(platform.cases, intakes=DEMO_INTAKES, progress=lambda _n: bar.update())


def _announce(settings: Settings) -> None:
    web = f"http://{settings.http_host}:{settings.http_port}/"
    print(
        "\nLGNetEA is running.\n"
        f"  Web:   {web}\n"
        f"  NATS:  {settings.effective_nats_url}  (subscribe to lgnet.> for CloudEvents)\n"
        f"  Data:  {settings.data_dir.resolve()}\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )


@app.command()
def run() -> None:
    """Run the whole platform: embedded NATS (unless LGNET_NATS_URL is set), relay, projector
    and web app. Loads demo data on first start."""
    settings = load_settings()
    try:
        with embedded_nats_if_needed(settings):
            platform = _platform(settings)
            try:
                _load_demo_on_first_start(platform)
                asyncio.run(run_parts(platform, on_ready=lambda: _announce(settings)))
            finally:
                platform.close()
    except NatsServerError as error:
        raise SystemExit(f"Cannot start NATS: {error}") from None
    print("LGNetEA stopped.")


@app.command()
def web() -> None:
    """Run the web app alone (relay and projector run elsewhere)."""
    _run_part(web=True)


@app.command()
def relay() -> None:
    """Run the outbox relay alone: event store -> JetStream stream LGNET."""
    _run_part(relay=True)


@app.command()
def projector() -> None:
    """Run the projections alone: JetStream -> read models."""
    _run_part(projector=True)


def _run_part(*, web: bool = False, relay: bool = False, projector: bool = False) -> None:
    settings = load_settings()
    platform = _platform(settings)
    try:
        asyncio.run(run_parts(platform, web=web, relay=relay, projector=projector))
    finally:
        platform.close()


@app.command()
def check() -> None:
    """Readiness check (used by compose healthchecks): settings valid, database and NATS
    reachable. Exits 0 when all are."""
    import nats

    settings = load_settings()
    platform = build_platform(settings)
    try:
        platform.record.recorder.max_notification_id()
        platform.projected_position()
    finally:
        platform.close()

    async def reach_nats() -> None:
        connection = await nats.connect(
            servers=settings.nats_servers, connect_timeout=3, max_reconnect_attempts=0
        )
        await connection.close()

    try:
        asyncio.run(reach_nats())
    except Exception as error:
        raise SystemExit(f"NATS not reachable at {settings.effective_nats_url}: {error}") from None
    print("ok")


@app.command()
def demo(
    intakes: Annotated[int, typer.Option(min=1, help="How many intakes to invent")] = DEMO_INTAKES,
    seed: Annotated[int, typer.Option(help="Same seed, same data")] = 2019,
) -> None:
    """Record invented intakes through the application service."""
    platform = _platform(load_settings())
    try:
        with tqdm(total=intakes, desc="Loading demo data", unit="intake") as bar:
            load_demo(platform.cases, intakes=intakes, seed=seed, progress=lambda _n: bar.update())
    finally:
        platform.close()


@events_app.command("schema")
def events_schema() -> None:
    """Print the JSON Schema of every event contract, keyed by CloudEvents type."""
    json.dump(json_schemas(), sys.stdout, indent=2)
    sys.stdout.write("\n")


@projections_app.command("rebuild")
def projections_rebuild() -> None:
    """Drop the read models and rebuild them from the JetStream stream, with a progress bar."""
    from infra.projector import rebuild

    settings = load_settings()
    with embedded_nats_if_needed(settings, reuse_running=True):
        platform = _platform(settings)
        try:
            applied = asyncio.run(
                rebuild(platform.read_models, platform.projections, settings.effective_nats_url)
            )
        finally:
            platform.close()
    print(f"Rebuilt {len(platform.projections)} projections from {applied} events.")


def main() -> None:
    app()
