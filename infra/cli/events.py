"""`lgnet events ...`: the published event contracts, as JSON Schemas and as the AsyncAPI
document."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from events.asyncapi import asyncapi_document
from events.catalogue import json_schemas
from infra.nats.credentials import public_nats_hosts
from infra.settings import load_settings
from web.areas.event_docs.pages import asyncapi_yaml

events_app = typer.Typer(help="The published event contracts", no_args_is_help=True)


class AsyncApiFormat(StrEnum):
    JSON = "json"
    YAML = "yaml"


@events_app.command("schema")
def events_schema() -> None:
    """Print the JSON Schema of every event contract, keyed by CloudEvents type."""
    json.dump(json_schemas(), sys.stdout, indent=2)
    sys.stdout.write("\n")


@events_app.command("asyncapi")
def events_asyncapi(
    output_format: Annotated[AsyncApiFormat, typer.Option(
        "--format", help="json or yaml")] = AsyncApiFormat.JSON,
) -> None:
    """Print the AsyncAPI 3.0 document of every event on NATS (as served at /docs/events),
    its servers at this deployment's NATS hosts (LGNET_NATS_PUBLIC_HOST, or the NATS URLs)."""
    internal, partner = public_nats_hosts(load_settings())
    document = asyncapi_document(internal_host=internal, partner_host=partner)
    if output_format is AsyncApiFormat.YAML:
        sys.stdout.write(asyncapi_yaml(document))
        return
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")

