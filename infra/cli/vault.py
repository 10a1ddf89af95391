"""`lgnet vault ...`: the vault's master-key epochs (infra.store.vault). `rotate` re-wraps every
live person's key under a new master key; `destroy-key` deletes an old epoch's master key once
no live row needs it and the backups made before the rotation have aged out: from then on no
backup can give back an erased person (docs/operations.md, "Erasure and backups")."""

from __future__ import annotations

from typing import Annotated

import typer

from infra.cli.platform import configure_logging
from infra.settings import load_settings
from infra.store.vault import MasterKeyFiles, VaultError, open_vault

vault_app = typer.Typer(help="The vault's master keys", no_args_is_help=True)


@vault_app.command("rotate")
def rotate() -> None:
    """Make a new master-key epoch and re-wrap every live person's key (and every claim file's)
    under it, in one transaction. Cheap: only the 60-byte wrapped keys are rewritten. Prints
    counts only."""
    configure_logging()
    vault = open_vault(load_settings())
    try:
        typer.echo(vault.rotate().log_line())
        _print_epochs(vault.epochs_in_use())
    finally:
        vault.close()


@vault_app.command("epochs")
def epochs() -> None:
    """List the master-key epochs whose key file is present and how many keys each still
    wraps."""
    vault = open_vault(load_settings())
    try:
        _print_epochs(vault.epochs_in_use())
    finally:
        vault.close()


@vault_app.command("destroy-key")
def destroy_key(
    epoch: Annotated[int, typer.Option(help="The epoch whose master key goes", min=0)],
) -> None:
    """Delete the master key of an old epoch. Refused for the current epoch and while any live
    key is still wrapped under it. Do it once every backup made before the rotation that left
    it has aged out (and destroy its copies in the key backups too)."""
    configure_logging()
    settings = load_settings()
    vault = open_vault(settings)
    try:
        vault.destroy_epoch(epoch)
    except VaultError as error:
        raise SystemExit(f"Error: {error}") from None
    finally:
        vault.close()
    typer.echo(f"Destroyed {MasterKeyFiles(settings.vault_key_path).path_of(epoch)}: rows "
               f"wrapped under epoch {epoch}, in any backup, open no more.")


def _print_epochs(in_use: dict[int, int]) -> None:
    keys = MasterKeyFiles(load_settings().vault_key_path)
    for epoch in sorted(set(keys.epochs()) | set(in_use)):
        present = "key present" if epoch in keys.epochs() else "key DESTROYED"
        typer.echo(f"  epoch {epoch}: {in_use.get(epoch, 0)} live keys wrapped, {present} "
                   f"({keys.path_of(epoch)})")
