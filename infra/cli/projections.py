"""`lgnet projections rebuild`: drop the read models and rebuild them from stream LGNET."""

from __future__ import annotations

import asyncio

import typer

from infra.cli.platform import open_platform
from infra.nats.credentials import embedded_nats_if_needed, platform_nats_url
from infra.settings import load_settings

projections_app = typer.Typer(help="Read models built from the event stream", no_args_is_help=True)


@projections_app.command("rebuild")
def projections_rebuild(
    processes: int = typer.Option(
        2, "--processes", min=1, max=2,
        help="2 (the default): a second process decodes and applies the events this one "
        "receives, so both cores work; 1: all in this process",
    ),
) -> None:
    """Drop the read models and rebuild them from the JetStream stream, with a progress bar."""
    from infra.pipeline.projector.rebuild import rebuild
    from infra.pipeline.projector.runner import tune_gc_for_throughput

    settings = load_settings()
    with embedded_nats_if_needed(settings, reuse_running=True):
        platform = open_platform(settings)
        tune_gc_for_throughput()  # as the projector does: as many messages
        try:
            applied = asyncio.run(
                rebuild(platform.read_models, platform.projections, platform_nats_url(settings),
                        processes=processes)
            )
        finally:
            platform.close()
    print(f"Rebuilt {len(platform.projections)} projections from {applied} events.")

