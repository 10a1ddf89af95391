"""`lgnet identity reindex`: rebuild the duplicate check's blind index (infra.store.person_index)
from the identifiers in the vault, for the cases taken in before the index existed and after a
rotation of its key (docs/operations.md). It prints counts, never an identifier nor a case."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer

from infra.cli.platform import configure_logging
from infra.settings import load_settings
from infra.store.vault import (
    KEY_BYTES,
    PostgresVault,
    Reindexing,
    SqliteVault,
    load_or_create_master_key,
    open_vault,
)

identity_app = typer.Typer(help="Duplicate persons", no_args_is_help=True)


@identity_app.callback()
def identity() -> None:
    """Keep the duplicate check's blind index in step with the vault."""


def _write_new_key(path: Path) -> bytes:
    """A new random key in a private file beside `path` (mode 0600), not yet in place."""
    key = secrets.token_bytes(KEY_BYTES)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
        file.flush()
        os.fsync(file.fileno())
    return key


def reindex(*, rotate_key: bool = False) -> Reindexing:
    """One rebuild; with `rotate_key`, under a new key that then replaces the key file (only
    once the index is rebuilt under it: a failed run leaves the old key and its index)."""
    settings = load_settings()
    key_path = settings.blind_index_key_path
    new_key_path = key_path.with_name(f".{key_path.name}.new")
    if rotate_key:
        key_path.parent.mkdir(parents=True, exist_ok=True)
        index_key = _write_new_key(new_key_path)
    else:
        index_key = load_or_create_master_key(key_path)
    try:
        vault = open_vault(settings, index_key=index_key)
        try:
            if not isinstance(vault, SqliteVault | PostgresVault):  # pragma: no cover
                raise TypeError(f"Cannot re-index a {type(vault).__name__}")
            run = vault.reindex()
        finally:
            vault.close()
        if rotate_key:
            os.replace(new_key_path, key_path)
    finally:
        new_key_path.unlink(missing_ok=True)
    return run


@identity_app.command("reindex")
def reindex_command(
    rotate_key: bool = typer.Option(
        False, "--rotate-key",
        help="Rebuild under a new random key and put it in LGNET_BLIND_INDEX_KEY_FILE. Stop "
             "every process that opens the vault first (web, run, projector), start them after."),
) -> None:
    """Rebuild the blind index of persons from the identifiers in the vault: every person in it
    gets the entries of their identifiers, entries of erased persons or of another key go.
    Running it again changes nothing. Prints counts only."""
    configure_logging()
    run = reindex(rotate_key=rotate_key)
    typer.echo(run.log_line() + (" (under a new key)" if rotate_key else ""))
