"""`lgnet cases age`: one run of the age job (infra/ages.py), for deployments where `lgnet run`
does not run it (the compose stack: schedule it daily, e.g. from cron)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from domain.cases.service import CaseService
from infra.ages import follow_ages
from infra.cli.platform import configure_logging
from infra.settings import load_settings
from infra.store.eventstore import open_record
from infra.store.vault import open_vault

cases_app = typer.Typer(help="Cases", no_args_is_help=True)


@cases_app.callback()
def cases() -> None:
    """Work on cases that no user does: the age job."""


@cases_app.command("age")
def age_command() -> None:
    """Record the age bands and comings of age the calendar brought (dated to the month), from
    the birth dates in the vault. Running it again records nothing new."""
    configure_logging()
    settings = load_settings()
    record = open_record(settings)
    vault = open_vault(settings)
    try:
        run = follow_ages(record, CaseService(record, vault), datetime.now(UTC))
    finally:
        vault.close()
        record.close()
    typer.echo(run.log_line())
