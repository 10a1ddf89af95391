"""`lgnet nats ...`: the NATS users partner systems connect as, and the server configurations
that give them their permissions (infra/nats/auth.py)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import nats
import nats.errors
import typer

from domain.programme import City
from events.partner import partner_json_schemas
from infra.cli.cities import city_of_the_network
from infra.nats.auth import (
    CLUSTER_CONFIG_FILE,
    CLUSTER_PARTNERS_FILE,
    NatsAuthError,
    PartnerAccess,
    cluster_config,
    load_partners,
    password_variable,
    save_partners,
)
from infra.nats.credentials import (
    CREDENTIALS_FILE_NAME,
    EMBEDDED_HOST,
    PARTNERS_FILE_NAME,
    embedded_credentials,
    embedded_partners,
    nats_banner_lines,
    partner_feed_nats_url,
    platform_partners,
    reload_embedded_server,
    url_with_credentials,
)
from infra.nats.jetstream import person_waits_nats_options, server_list
from infra.nats.partner_consumers import ensure_partner_consumers, replay_partner_consumer
from infra.nats.streams import PARTNER_STREAM_NAME, ensure_partner_stream
from infra.settings import Settings, load_settings

nats_app = typer.Typer(
    help="NATS users for partner systems and the server configurations", no_args_is_help=True
)


@nats_app.command("partner-schema")
def partner_schema() -> None:
    """Print the JSON Schema of every partner event contract, keyed by CloudEvents type; each
    schema's $id is the `ce-dataschema` of the messages it describes."""
    json.dump(partner_json_schemas(), sys.stdout, indent=2)
    sys.stdout.write("\n")


@nats_app.command("urls")
def urls() -> None:
    """Print the embedded server's URLs for the observer and the demo partner, with their
    passwords (as `lgnet run` does)."""
    print("\n".join(nats_banner_lines(load_settings())))


@nats_app.command("reload")
def reload_command() -> None:
    """Rewrite the embedded server's configuration from the settings (a larger
    LGNET_NATS_MAX_FILE_STORE, for one) and have the running server apply it, no restart."""
    settings = load_settings()
    if not reload_embedded_server(settings):
        raise SystemExit("No embedded NATS server is running: the configuration applies from "
                         "the next `lgnet run`")
    print(f"The embedded NATS server reloaded its configuration (JetStream max_file_store "
          f"{settings.nats_max_file_store})")


@nats_app.command("partners")
def partners_list() -> None:
    """List the partner users of the embedded server (<data dir>/nats-partners.toml)."""
    for partner in embedded_partners(load_settings()):
        print(f"{partner.name:24} {','.join(partner.cities):24} {','.join(partner.kinds)}")


@nats_app.command("partner-add")
def partner_add(
    name: Annotated[str, typer.Argument(help="The NATS user: 3-40 of a-z, 0-9 and '-'")],
    city: Annotated[list[City], typer.Option(
        parser=city_of_the_network,
        help="A city of the network the agreement covers, by its slug (repeat the option for "
        "several)")],
    kinds: Annotated[str, typer.Option(help="Comma-separated event kinds, e.g. "
                                       "case.intake_recorded, or case.* for all case events")],
) -> None:
    """Add a partner user to the embedded server, print its URL and password, and have a
    running server take it at once."""
    settings = load_settings()
    try:
        partner = PartnerAccess(
            name=name,
            cities=tuple(c.value for c in city),
            kinds=tuple(kind.strip() for kind in kinds.split(",") if kind.strip()),
        )
        partners = embedded_partners(settings)
    except NatsAuthError as error:
        raise SystemExit(f"Error: {error}") from None
    if any(existing.name == partner.name for existing in partners):
        raise SystemExit(f"Error: there is already a partner {partner.name}")
    save_partners(settings.data_dir / PARTNERS_FILE_NAME, [*partners, partner])
    password = embedded_credentials(settings)[partner.name]
    reloaded = reload_embedded_server(settings)
    if reloaded:
        try:
            asyncio.run(_make_consumers(settings, [*partners, partner]))
        except (nats.errors.Error, OSError) as error:
            print(f"(the consumer could not be made now: {error}; the partner feed makes it "
                  "at its next session)", file=sys.stderr)
    url = url_with_credentials(f"nats://{EMBEDDED_HOST}:{settings.nats_port}", partner.name,
                               password)
    print(f"Added partner {partner.name}: subjects {', '.join(partner.subjects())}\n"
          f"  URL:          {url}\n"
          f"  stream:       {PARTNER_STREAM_NAME}, pull consumer {partner.consumer_name} "
          f"(made by the platform; filters {', '.join(partner.consumer_filters())})\n"
          f"  inbox prefix: {partner.inbox_prefix}\n"
          f"(password kept in {settings.data_dir / CREDENTIALS_FILE_NAME}; "
          + ("the running NATS server has it now)" if reloaded else
             "it applies from the next `lgnet run`)"))


@nats_app.command("partner-remove")
def partner_remove(name: str) -> None:
    """Remove a partner user from the embedded server (its password is forgotten)."""
    settings = load_settings()
    partners = embedded_partners(settings)
    if not any(partner.name == name for partner in partners):
        raise SystemExit(f"Error: there is no partner {name}")
    remaining = [partner for partner in partners if partner.name != name]
    save_partners(settings.data_dir / PARTNERS_FILE_NAME, remaining)
    embedded_credentials(settings, remaining)
    reloaded = reload_embedded_server(settings)
    print(f"Removed partner {name}" + ("; the running NATS server refuses it now." if reloaded
                                       else "."))


async def _make_consumers(settings: Settings, partners: list[PartnerAccess]) -> None:
    """Make the partners' consumers now (the running feed makes them at its next session).
    The server reloads its configuration as this runs: a connection it drops is tried again."""
    for attempt in range(1, 21):
        try:
            connection = await nats.connect(server_list(partner_feed_nats_url(settings)),
                                            **person_waits_nats_options())
            try:
                js = connection.jetstream()
                await ensure_partner_stream(js)
                await ensure_partner_consumers(js, partners)
                return
            finally:
                await connection.close()
        except (nats.errors.Error, OSError):
            if attempt == 20:
                raise
            await asyncio.sleep(0.25)


@nats_app.command("partner-replay")
def partner_replay(
    name: str,
    from_seq: Annotated[int | None, typer.Option(
        help="Deliver again from this LGNET_PARTNER sequence")] = None,
    since: Annotated[datetime | None, typer.Option(
        help="Deliver again what was stored since this time (ISO 8601, with its offset)")]
        = None,
) -> None:
    """Make a partner's consumer anew, so that it delivers its feed again from the first
    message, a sequence or a time (the partner cannot: it may not create consumers)."""
    settings = load_settings()
    partner = next((p for p in platform_partners(settings) if p.name == name), None)
    if partner is None:
        raise SystemExit(f"Error: there is no partner {name}")
    if since is not None and since.tzinfo is None:
        raise SystemExit("Error: --since needs a time zone offset, e.g. 2026-03-01T00:00:00+01:00")
    if from_seq is not None and since is not None:
        raise SystemExit("Error: give --from-seq or --since, not both")

    async def replay() -> None:
        connection = await nats.connect(server_list(partner_feed_nats_url(settings)),
                                        **person_waits_nats_options())
        try:
            await replay_partner_consumer(connection.jetstream(), partner,
                                          start_seq=from_seq, start_time=since)
        finally:
            await connection.close()

    try:
        asyncio.run(replay())
    except (nats.errors.Error, OSError) as error:
        raise SystemExit(f"Error: NATS: {error}") from None
    start = (f"sequence {from_seq}" if from_seq is not None else
             f"{since.isoformat()}" if since is not None else "the first message")
    print(f"Partner {name}'s consumer delivers again from {start}.")


@nats_app.command("cluster-config")
def cluster_config_command(
    partners: Annotated[Path, typer.Option(help="The partner list (TOML)")] = CLUSTER_PARTNERS_FILE,
    output: Annotated[Path | None, typer.Option(help="Write here instead of printing")] = None,
) -> None:
    """Render the NATS cluster's accounts, users and permissions (for compose.yaml, whose nats
    services mount infra/nats/cluster.conf) from a partner list. Passwords are read by
    nats-server from environment variables, listed in the output's header."""
    try:
        text = cluster_config(load_partners(partners))
    except NatsAuthError as error:
        raise SystemExit(f"Error: {error}") from None
    if output is None:
        print(text, end="")
        return
    output.write_text(text)
    variables = [password_variable(p.name) for p in load_partners(partners)]
    print(f"Wrote {output}. Each nats service needs, besides the internal users' passwords, "
          f"{', '.join(variables) or 'no partner password'} in its environment"
          + (" (see compose.yaml)." if output == CLUSTER_CONFIG_FILE else "."))
