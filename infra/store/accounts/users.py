"""The user register: who may sign in, with which role (and city), and with which password.
Passwords are kept only as argon2id hashes (argon2-cffi)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher

from domain.access import CITY_ROLES, USER_ROLES, AccessGrant, Principal
from domain.programme import City, Role
from infra.store.accounts.storage import moment, timestamp
from projections.storage.transaction import Database, Transaction

MIN_PASSWORD_LENGTH = 12
# Longer passwords only cost hashing time; nobody types more than this.
MAX_PASSWORD_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class AccountError(ValueError):
    """Raised when an account or token command cannot be carried out (the message says why)."""


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: Role
    city: City | None
    disabled: bool
    created_at: datetime

    def principal(self, grants: Sequence[AccessGrant] = ()) -> Principal:
        return Principal(id=self.username, role=self.role, city=self.city, name=self.display_name,
                         grants=tuple(grants))


class Users:
    """Adding, listing and disabling users (a part of infra.store.accounts.Accounts)."""

    database: Database
    clock: Callable[[], datetime]
    hasher: PasswordHasher

    def add_user(
        self,
        username: str,
        role: Role,
        password: str,
        *,
        city: City | None = None,
        display_name: str | None = None,
    ) -> User:
        if not USERNAME_PATTERN.match(username):
            raise AccountError(
                "A username is 3 to 64 characters: lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter or digit."
            )
        if role not in USER_ROLES:
            raise AccountError(
                f"A user's role is one of: {', '.join(sorted(r.value for r in USER_ROLES))}"
                " (partners get API tokens: lgnet tokens issue)."
            )
        if (role in CITY_ROLES) != (city is not None):
            raise AccountError(
                "City coordinators and operators need --city; other roles have none."
            )
        check_password_strength(password)
        user = User(
            username=username,
            display_name=(display_name or username).strip() or username,
            role=role,
            city=city,
            disabled=False,
            created_at=self.clock(),
        )
        with self.database.transaction() as tx:
            if tx.fetchone("SELECT 1 FROM acc_users WHERE username = ?", (username,)):
                raise AccountError(f"There is already a user {username}.")
            tx.execute(
                "INSERT INTO acc_users (username, display_name, role, city, password_hash,"
                " disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (username, user.display_name, role.value, city.value if city else None,
                 self.hasher.hash(password), False, timestamp(user.created_at)),
            )
        return user

    def users(self) -> list[User]:
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT username, display_name, role, city, disabled, created_at"
                " FROM acc_users ORDER BY username"
            )
        return [user_from_row(row) for row in rows]

    def is_city_staff(self, username: str, city: City) -> bool:
        """True when `username` is an enabled operator or coordinator of `city` (the domain's
        CityStaff port: who may hold the city's cases)."""
        with self.database.reading() as tx:
            user = active_user(tx, username)
        return user is not None and user.role in CITY_ROLES and user.city == city

    def city_staff(self, city: City) -> list[User]:
        """The enabled operators and coordinators of `city`, by username."""
        return [user for user in self.users()
                if user.city == city and user.role in CITY_ROLES and not user.disabled]

    def has_users(self) -> bool:
        with self.database.reading() as tx:
            return tx.fetchone("SELECT 1 FROM acc_users LIMIT 1") is not None

    def disable_user(self, username: str) -> None:
        """Disable the account and end its sessions at once."""
        with self.database.transaction() as tx:
            if not tx.execute(
                "UPDATE acc_users SET disabled = ? WHERE username = ?", (True, username)
            ):
                raise AccountError(f"There is no user {username}.")
            tx.execute("DELETE FROM acc_sessions WHERE username = ?", (username,))


def active_user(tx: Transaction, username: str) -> User | None:
    row = tx.fetchone(
        "SELECT username, display_name, role, city, disabled, created_at"
        " FROM acc_users WHERE username = ?", (username,)
    )
    user = None if row is None else user_from_row(row)
    return None if user is None or user.disabled else user


def user_from_row(row: Sequence[Any]) -> User:
    return User(
        username=str(row[0]),
        display_name=str(row[1]),
        role=Role(row[2]),
        city=City(row[3]) if row[3] else None,
        disabled=bool(row[4]),
        created_at=moment(row[5]),
    )


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password has at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"A password has at most {MAX_PASSWORD_LENGTH} characters.")


def generate_password() -> str:
    """A random password of 20 characters (about 119 bits), easy to copy: no look-alikes."""
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))
