"""User accounts, sign-in sessions, partner API tokens and identifier-access grants, on SQLite or
PostgreSQL: `Accounts` puts together the parts kept in this package's modules, one concern each
(users, sessions, grants, partner_tokens; storage is where they are kept, demo the demo's users).

Time comes from the clock passed in, so tests can move it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from infra.store.accounts.grants import AccessGrants
from infra.store.accounts.idempotency import IdempotentAnswers
from infra.store.accounts.partner_tokens import PartnerTokens
from infra.store.accounts.sessions import Sessions
from infra.store.accounts.storage import ACCOUNTS_FILE_NAME, open_account_database
from infra.store.accounts.throttle import (
    THROTTLE_KEY_FILE_NAME,
    SignInThrottle,
    load_or_create_throttle_key,
)
from infra.store.accounts.users import Users
from projections.storage.transaction import Database


class Accounts(Users, Sessions, AccessGrants, PartnerTokens, IdempotentAnswers):
    """Users, sessions, grants and partner tokens. Safe to call from many threads and processes:
    each method works in short transactions of its own, and never hashes a password inside one."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        *,
        idle_timeout: timedelta = timedelta(minutes=30),
        lifetime: timedelta = timedelta(hours=8),
        throttle: SignInThrottle | None = None,
        throttle_secret: bytes | None = None,
        password_hasher: PasswordHasher | None = None,
        second_factor_required: bool = False,
    ) -> None:
        self.database = database
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.lifetime = lifetime
        self.throttle = throttle or SignInThrottle()
        # The throttle's keys are HMACs under this secret (without one: this process's own).
        self.throttle_secret = throttle_secret or secrets.token_bytes(32)
        self.hasher = password_hasher or PasswordHasher()
        # Whether coordinators, ministry and auditors must enrol a second factor
        # (LGNET_SECOND_FACTOR=required; infra.store.accounts.second_factor).
        self.second_factor_required = second_factor_required
        # Verified against when the username is unknown, so that an unknown user costs as much
        # time as a wrong password and response times do not reveal which usernames exist.
        self._decoy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    def close(self) -> None:
        self.database.close()


def open_accounts(
    database_url: str | None,
    data_dir: Path,
    clock: Callable[[], datetime],
    *,
    idle_timeout: timedelta = timedelta(minutes=30),
    lifetime: timedelta = timedelta(hours=8),
    password_hasher: PasswordHasher | None = None,
    throttle: SignInThrottle | None = None,
    second_factor_required: bool = False,
) -> Accounts:
    database = open_account_database(database_url, data_dir / ACCOUNTS_FILE_NAME)
    return Accounts(database, clock, idle_timeout=idle_timeout, lifetime=lifetime,
                    password_hasher=password_hasher, throttle=throttle,
                    second_factor_required=second_factor_required,
                    throttle_secret=load_or_create_throttle_key(
                        data_dir / THROTTLE_KEY_FILE_NAME))
