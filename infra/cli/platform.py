"""What a command opens: the whole platform (logging configured, the composition root built),
or the accounts alone."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from domain.access import GrantRefused
from infra.bootstrap import Platform, build_platform
from infra.settings import Settings, load_settings
from infra.store.accounts import Accounts, open_accounts
from infra.store.accounts.users import AccountError


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def open_platform(settings: Settings) -> Platform:
    configure_logging()
    return build_platform(settings)


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
