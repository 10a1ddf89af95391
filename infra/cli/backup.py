"""`lgnet backup DIR` and `lgnet restore DIR` (infra/backup.py, docs/operations.md "Backups")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from infra.backup import BackupError, backup, restore
from infra.settings import load_settings
from infra.store.eventstore import open_record
from projections.projection import ensure_created, reset
from projections.registry import default_projections
from projections.storage.read_models import open_read_models


def backup_command(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) directory, outside the "
                                              "data dir; keep its keys/ apart from the rest")],
) -> None:
    """Back up, while the platform runs, what it cannot rebuild: the event store, the vault, the
    accounts, the data dir's files and (under keys/) the vault's keys."""
    settings = load_settings()
    record = open_record(settings)
    try:
        last_position = record.recorder.max_notification_id()
    finally:
        record.close()
    try:
        report = backup(settings, directory, last_position)
    except BackupError as error:
        raise SystemExit(f"Error: {error}") from None
    print(report.log_line())
    print(f"Keep {directory / 'keys'} (the vault's keys) apart from the rest: together they "
          "open every person's data (docs/operations.md, \"Backups\").")


def restore_command(
    directory: Annotated[Path, typer.Argument(help="A directory `lgnet backup` made")],
) -> None:
    """Restore a backup into an empty data dir (and an empty database on PostgreSQL). At the next
    start the relay publishes the store into an empty JetStream stream and the projector
    rebuilds every read model from it."""
    settings = load_settings()
    try:
        said = restore(settings, directory)
    except BackupError as error:
        raise SystemExit(f"Error: {error}") from None
    # The read models are derived: emptied (a PostgreSQL dump holds them as they were), so the
    # projector rebuilds them from the stream the relay publishes again.
    read_models = open_read_models(settings.database_url,
                                   settings.data_dir / "readmodels.sqlite")
    try:
        read_models.ensure_tracking_table()
        for projection in default_projections():
            ensure_created(read_models, projection)
            reset(read_models, projection)
    finally:
        read_models.close()
    print(said)
