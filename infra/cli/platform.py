"""What a command opens: the whole platform (logging configured, the composition root built),
or the accounts alone."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from domain.access import GrantRefused
from infra.audit.checkpoints import PRIVATE_KEY_FILE_NAME, audit_dir
from infra.bootstrap import Platform, build_platform
from infra.private_files import make_private
from infra.settings import Settings, load_settings
from infra.store.accounts import Accounts, open_accounts
from infra.store.accounts.users import AccountError


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def open_platform(settings: Settings, *, vault_keys: bool = True) -> Platform:
    configure_logging()
    make_data_private(settings)
    return build_platform(settings, vault_keys=vault_keys)


def make_data_private(settings: Settings) -> None:
    """Put right the modes of a data dir and key dir left open by an earlier version (0700
    directories, 0600 files), and say what was changed. Key files are not changed: one that
    others could read refuses to load (infra.private_files)."""
    keys = [settings.vault_key_path, settings.blind_index_key_path,
            audit_dir(settings) / PRIVATE_KEY_FILE_NAME]
    for directory in dict.fromkeys([settings.data_dir, settings.key_directory]):
        report = make_private(directory, keys=keys).report(directory)
        if report is not None:
            logging.getLogger("lgnet").warning(report)


@contextmanager
def opened_accounts() -> Iterator[Accounts]:
    """The accounts alone: managing users needs neither the event store nor NATS. An account
    command that cannot be carried out stops with its reason."""
    settings = load_settings()
    accounts = open_accounts(settings.database_url, settings.data_dir, lambda: datetime.now(UTC))
    try:
        yield accounts
    except (AccountError, GrantRefused) as error:
        raise SystemExit(f"Error: {error}") from None
    finally:
        accounts.close()
