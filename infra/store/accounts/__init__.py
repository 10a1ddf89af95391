"""User accounts, sign-in sessions and partner API tokens, on SQLite or PostgreSQL.

- Passwords are kept only as argon2id hashes (argon2-cffi); a hash made with weaker parameters
  than the current ones is replaced at the next successful sign-in.
- A session is a random token in the browser's cookie, stored here only as its SHA-256 hash: a
  copy of the database opens no session. It ends after `idle_timeout` without a request, after
  `lifetime` in any case, at sign-out, and when its user is disabled. Its CSRF token is derived
  from the session token (HMAC), so it needs no storage and dies with the session.
- Failed sign-ins are counted per username and per client address, both stored only hashed:
  too many in a window locks further tries for a while (see `SignInThrottle`).
- A partner's API token is random, shown once when issued, stored as its SHA-256 hash, and
  revocable; it carries the partner's agreement (cities and event kinds).
- A grant lets an auditor read one city's personal identifiers for a few hours (at most
  domain.access.MAX_GRANT_DURATION), for a stated reason, given by someone whom the policy lets
  give it (the ministry). Grants are kept, ended or not, so that an audit can list them all; the
  principal of a session carries the live ones (see `session`).

Time comes from the clock passed in, so tests can move it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.access import (
    CITY_ROLES,
    MAX_GRANT_DURATION,
    MAX_GRANT_REASON_LENGTH,
    USER_ROLES,
    AccessGrant,
    GrantRefused,
    PartnerAgreement,
    Permission,
    Principal,
    SignInRefused,
    SignInThrottled,
    may,
    may_be_granted,
)
from domain.network import City, Role
from projections.storage.postgres import PostgresPool
from projections.storage.sqlite import SqlitePerThread
from projections.storage.transaction import Database, Transaction

log = logging.getLogger(__name__)

ACCOUNTS_FILE_NAME = "accounts.sqlite"
DEMO_CREDENTIALS_FILE_NAME = "demo-credentials.txt"
MIN_PASSWORD_LENGTH = 12
# Longer passwords only cost hashing time; nobody types more than this.
MAX_PASSWORD_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
PARTNER_TOKEN_PREFIX = "lgp_"  # noqa: S105  (a marker that makes leaked tokens findable)
_TOKEN_PATTERN = re.compile(rf"^{PARTNER_TOKEN_PREFIX}[0-9a-f]{{8}}_[A-Za-z0-9_-]{{43}}$")
# A session's last-seen time is written at most this often: idle expiry to the minute is
# precise enough, and most requests then write nothing.
_LAST_SEEN_RESOLUTION = timedelta(minutes=1)
_CSRF_LABEL = b"lgnet csrf token"


class AccountError(ValueError):
    """Raised when an account or token command cannot be carried out (the message says why)."""


@dataclass(frozen=True)
class SignInThrottle:
    """`max_failures` failed sign-ins within `window` lock further tries for `lock` (counted
    separately for each username and each client address; an address gets more tries, since
    several people may share one)."""

    max_failures_per_username: int = 5
    max_failures_per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)


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


@dataclass(frozen=True)
class Session:
    """A signed-in session: `token` is the cookie's value (never stored), `csrf_token` what
    every unsafe request of the session must carry."""

    token: str
    principal: Principal
    csrf_token: str
    started_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class PartnerToken:
    token_id: str
    partner: str
    agreement: PartnerAgreement
    issued_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class GrantRecord:
    """A grant as kept: to whom, for which city and why, who gave it and when, until when, and
    whether (and by whom) it was revoked before then."""

    grant_id: str
    grantee: str
    permission: Permission
    city: City
    reason: str
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def is_live(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at

    @property
    def grant(self) -> AccessGrant:
        return AccessGrant(self.permission, self.reason, self.expires_at, self.city)


@dataclass(frozen=True)
class IssuedToken:
    """A new partner token: `token` is shown once and never stored."""

    token: str
    details: PartnerToken


# --- storage ------------------------------------------------------------------------------------

DDL = (
    "CREATE TABLE IF NOT EXISTS acc_users ("
    " username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL, city TEXT,"
    " password_hash TEXT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT FALSE,"
    " created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS acc_sessions ("
    " token_hash TEXT PRIMARY KEY,"
    " username TEXT NOT NULL REFERENCES acc_users (username),"
    " started_at TEXT NOT NULL, last_seen_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS acc_sessions_username ON acc_sessions (username)",
    # subject: the hash of "username:<name>" or "address:<ip>", never the name or address itself
    "CREATE TABLE IF NOT EXISTS acc_failed_sign_ins ("
    " subject TEXT NOT NULL, failed_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS acc_failed_sign_ins_subject"
    " ON acc_failed_sign_ins (subject, failed_at)",
    "CREATE TABLE IF NOT EXISTS acc_partner_tokens ("
    " token_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, partner TEXT NOT NULL,"
    " cities TEXT NOT NULL, event_kinds TEXT NOT NULL, issued_at TEXT NOT NULL,"
    " revoked_at TEXT)",
    "CREATE TABLE IF NOT EXISTS acc_access_grants ("
    " grant_id TEXT PRIMARY KEY,"
    " grantee TEXT NOT NULL REFERENCES acc_users (username),"
    " permission TEXT NOT NULL, city TEXT NOT NULL, reason TEXT NOT NULL,"
    " granted_by TEXT NOT NULL REFERENCES acc_users (username),"
    " granted_at TEXT NOT NULL, expires_at TEXT NOT NULL,"
    " revoked_at TEXT, revoked_by TEXT REFERENCES acc_users (username))",
    "CREATE INDEX IF NOT EXISTS acc_access_grants_grantee"
    " ON acc_access_grants (grantee, expires_at)",
)


# WAL, one connection per thread, as the read models; but accounts cannot be rebuilt from the
# stream: every commit is synced (synchronous=FULL).
_SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON")


class SqliteAccountDatabase(SqlitePerThread):
    """The accounts in their own SQLite file (mode 0600). `reading()` takes no lock: looking a
    session up on every request must not queue the requests behind each other."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SQLITE_PRAGMAS)
        with self.transaction() as tx:
            for statement in DDL:
                tx.execute(statement)
        os.chmod(path, 0o600)


class PostgresAccountDatabase(PostgresPool):
    """The accounts' tables (acc_*) in the platform's PostgreSQL database, through a small
    connection pool."""

    def __init__(self, url: str, max_size: int = 4) -> None:
        super().__init__(url, max_size=max_size, name="lgnet-accounts")
        with self.transaction() as tx:
            # Two processes starting together must not both create the tables.
            tx.execute("SELECT pg_advisory_xact_lock(hashtext('lgnet accounts schema'))")
            for statement in DDL:
                tx.execute(statement)


def open_account_database(database_url: str | None, sqlite_path: Path) -> Database:
    if database_url:
        return PostgresAccountDatabase(database_url)
    return SqliteAccountDatabase(sqlite_path)


def _timestamp(moment: datetime) -> str:
    """A fixed-width UTC timestamp: compared as text, it sorts as time does."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _moment(stored: str) -> datetime:
    return datetime.fromisoformat(stored)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def csrf_token_for(session_token: str) -> str:
    return hmac.new(session_token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


def _comma_separated(values: Iterable[str]) -> str:
    return ",".join(sorted(values))


# --- the accounts ---------------------------------------------------------------------------------


class Accounts:
    """Users, sessions and partner tokens. Safe to call from many threads and processes: each
    method works in short transactions of its own, and never hashes a password inside one."""

    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        *,
        idle_timeout: timedelta = timedelta(minutes=30),
        lifetime: timedelta = timedelta(hours=8),
        throttle: SignInThrottle | None = None,
        password_hasher: PasswordHasher | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.lifetime = lifetime
        self.throttle = throttle or SignInThrottle()
        self.hasher = password_hasher or PasswordHasher()
        # Verified against when the username is unknown, so that an unknown user costs as much
        # time as a wrong password and response times do not reveal which usernames exist.
        self._decoy_hash = self.hasher.hash(secrets.token_urlsafe(16))

    def close(self) -> None:
        self.database.close()

    # users

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
                 self.hasher.hash(password), False, _timestamp(user.created_at)),
            )
        return user

    def users(self) -> list[User]:
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT username, display_name, role, city, disabled, created_at"
                " FROM acc_users ORDER BY username"
            )
        return [_user(row) for row in rows]

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

    # signing in and out

    def sign_in(self, username: str, password: str, client_address: str | None) -> Session:
        """Open a session, or raise SignInThrottled (too many failures lately) or
        SignInRefused (anything else wrong, without saying what)."""
        now = self.clock()
        subjects = [(_sha256(f"username:{username}"), self.throttle.max_failures_per_username,
                     "username")]
        if client_address:
            subjects.append((_sha256(f"address:{client_address}"),
                             self.throttle.max_failures_per_address, "address"))
        with self.database.transaction() as tx:
            for subject, limit, kind in subjects:
                locked_until = self._locked_until(tx, subject, limit, now)
                if locked_until is not None:
                    raise SignInThrottled(
                        "Too many failed sign-ins: try again later.",
                        until=locked_until, by=kind,
                    )
            row = tx.fetchone(
                "SELECT username, display_name, role, city, disabled, created_at, password_hash"
                " FROM acc_users WHERE username = ?", (username,)
            )
        user = None if row is None else _user(row[:6])
        stored_hash = self._decoy_hash if row is None else str(row[6])
        if not self._password_matches(stored_hash, password) or user is None or user.disabled:
            self._record_failure([(subject, limit) for subject, limit, _kind in subjects], now)
            raise SignInRefused("Wrong username or password, or the account is disabled.")
        token = secrets.token_urlsafe(32)
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM acc_failed_sign_ins WHERE subject = ?", (subjects[0][0],))
            self._delete_expired_sessions(tx, now)
            tx.execute(
                "INSERT INTO acc_sessions (token_hash, username, started_at, last_seen_at)"
                " VALUES (?, ?, ?, ?)",
                (_sha256(token), user.username, _timestamp(now), _timestamp(now)),
            )
            if self.hasher.check_needs_rehash(stored_hash):
                tx.execute("UPDATE acc_users SET password_hash = ? WHERE username = ?",
                           (self.hasher.hash(password), user.username))
            grants = self._live_grants(tx, user, now)
        return Session(token, user.principal(grants), csrf_token_for(token), now, now)

    def _password_matches(self, stored_hash: str, password: str) -> bool:
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _locked_until(
        self, tx: Transaction, subject: str, limit: int, now: datetime
    ) -> datetime | None:
        rows = tx.fetchall(
            "SELECT failed_at FROM acc_failed_sign_ins WHERE subject = ? AND failed_at > ?"
            " ORDER BY failed_at DESC",
            (subject, _timestamp(now - self.throttle.window)),
        )
        if len(rows) < limit:
            return None
        locked_until = _moment(rows[0][0]) + self.throttle.lock
        return locked_until if now < locked_until else None

    def _record_failure(self, subjects: list[tuple[str, int]], now: datetime) -> None:
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM acc_failed_sign_ins WHERE failed_at <= ?",
                       (_timestamp(now - self.throttle.window),))
            for subject, limit in subjects:
                tx.execute("INSERT INTO acc_failed_sign_ins (subject, failed_at) VALUES (?, ?)",
                           (subject, _timestamp(now)))
                failures = tx.fetchone(
                    "SELECT COUNT(*) FROM acc_failed_sign_ins WHERE subject = ?", (subject,)
                )
                if failures and int(failures[0]) == limit:
                    # The subject is a hash: the log names no user and no address.
                    log.warning("Sign-in locked for %s after %s failures (subject %s...)",
                                self.throttle.lock, limit, subject[:12])

    def session(self, token: str, *, activity: bool = True) -> Session | None:
        """The live session with this token, or None (unknown, expired, signed out, or its user
        disabled). Counts as activity, which keeps the session from idling out, unless
        `activity` is False: what a page does by itself (a live dashboard) is not a person."""
        now = self.clock()
        token_hash = _sha256(token)
        with self.database.reading() as tx:
            row = tx.fetchone(
                "SELECT s.started_at, s.last_seen_at, u.username, u.display_name, u.role, u.city,"
                " u.disabled, u.created_at FROM acc_sessions s"
                " JOIN acc_users u ON u.username = s.username WHERE s.token_hash = ?",
                (token_hash,),
            )
            if row is None:
                return None
            user = _user(row[2:8])
            grants = self._live_grants(tx, user, now)
        started_at, last_seen_at = _moment(row[0]), _moment(row[1])
        if (
            user.disabled
            or now - last_seen_at >= self.idle_timeout
            or now - started_at >= self.lifetime
        ):
            self.sign_out(token)
            return None
        if activity and now - last_seen_at >= _LAST_SEEN_RESOLUTION:
            with self.database.transaction() as tx:
                tx.execute("UPDATE acc_sessions SET last_seen_at = ? WHERE token_hash = ?",
                           (_timestamp(now), token_hash))
            last_seen_at = now
        return Session(token, user.principal(grants), csrf_token_for(token), started_at,
                       last_seen_at)

    def sign_out(self, token: str) -> None:
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM acc_sessions WHERE token_hash = ?", (_sha256(token),))

    def _delete_expired_sessions(self, tx: Transaction, now: datetime) -> None:
        tx.execute(
            "DELETE FROM acc_sessions WHERE last_seen_at <= ? OR started_at <= ?",
            (_timestamp(now - self.idle_timeout), _timestamp(now - self.lifetime)),
        )

    # grants

    def grant_access(
        self,
        granted_by: str,
        grantee: str,
        city: City,
        duration: timedelta,
        reason: str,
        *,
        permission: Permission = Permission.VIEW_PERSONAL_IDENTIFIERS,
    ) -> GrantRecord:
        """Let `grantee` hold `permission` in `city` from now for `duration`, for `reason`.
        Raises GrantRefused unless `granted_by` is an active user whom the policy lets give it,
        `grantee` an active user whose role may hold it by grant, the reason stated (at most
        MAX_GRANT_REASON_LENGTH characters) and the duration within MAX_GRANT_DURATION."""
        now = self.clock()
        reason = reason.strip()
        if not reason or len(reason) > MAX_GRANT_REASON_LENGTH:
            raise GrantRefused(
                f"State the grant's reason, in at most {MAX_GRANT_REASON_LENGTH} characters.",
                field="reason", max_length=MAX_GRANT_REASON_LENGTH,
            )
        if not timedelta(0) < duration <= MAX_GRANT_DURATION:
            raise GrantRefused(
                f"A grant lasts at most {MAX_GRANT_DURATION}.", field="hours",
                max_hours=MAX_GRANT_DURATION // timedelta(hours=1),
            )
        grant_id = secrets.token_hex(8)
        with self.database.transaction() as tx:
            granter = _active_user(tx, granted_by)
            if granter is None or not may(granter.principal(),
                                          Permission.GRANT_IDENTIFIER_ACCESS):
                raise GrantRefused(f"{granted_by} may not give grants.", field="granted_by")
            receiver = _active_user(tx, grantee)
            if receiver is None or not may_be_granted(receiver.role, permission):
                raise GrantRefused(
                    f"{grantee} is not an active user who may be granted {permission.value}.",
                    field="grantee",
                )
            record = GrantRecord(
                grant_id=grant_id, grantee=receiver.username, permission=permission, city=city,
                reason=reason, granted_by=granter.username, granted_at=now,
                expires_at=now + duration,
            )
            tx.execute(
                "INSERT INTO acc_access_grants (grant_id, grantee, permission, city, reason,"
                " granted_by, granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.grant_id, record.grantee, permission.value, city.value, reason,
                 record.granted_by, _timestamp(now), _timestamp(record.expires_at)),
            )
        log.info("Grant %s: %s may %s in %s until %s (given by %s)", grant_id, record.grantee,
                 permission.value, city.value, _timestamp(record.expires_at), record.granted_by)
        return record

    def revoke_grant(self, grant_id: str, revoked_by: str) -> GrantRecord | None:
        """End a live grant before it expires; None when there is no live grant `grant_id`.
        Raises GrantRefused unless `revoked_by` may give grants."""
        now = self.clock()
        with self.database.transaction() as tx:
            revoker = _active_user(tx, revoked_by)
            if revoker is None or not may(revoker.principal(),
                                          Permission.GRANT_IDENTIFIER_ACCESS):
                raise GrantRefused(f"{revoked_by} may not revoke grants.", field="revoked_by")
            if not tx.execute(
                "UPDATE acc_access_grants SET revoked_at = ?, revoked_by = ?"
                " WHERE grant_id = ? AND revoked_at IS NULL AND expires_at > ?",
                (_timestamp(now), revoker.username, grant_id, _timestamp(now)),
            ):
                return None
            row = tx.fetchone(f"SELECT {_GRANT_COLUMNS} FROM acc_access_grants"
                              " WHERE grant_id = ?", (grant_id,))
        assert row is not None
        log.info("Grant %s revoked by %s", grant_id, revoked_by)
        return _grant_record(row)

    def grants(self) -> list[GrantRecord]:
        """Every grant ever given, live or not, the latest first."""
        with self.database.reading() as tx:
            rows = tx.fetchall(f"SELECT {_GRANT_COLUMNS} FROM acc_access_grants"
                               " ORDER BY granted_at DESC, grant_id")
        return [_grant_record(row) for row in rows]

    @staticmethod
    def _live_grants(tx: Transaction, user: User, now: datetime) -> list[AccessGrant]:
        """What the principal of `user` holds by grant now (nothing, for most roles: the query
        is only made for a role that may be granted something)."""
        if user.role not in _GRANTABLE_ROLES or user.disabled:
            return []
        rows = tx.fetchall(
            f"SELECT {_GRANT_COLUMNS} FROM acc_access_grants"
            " WHERE grantee = ? AND revoked_at IS NULL AND expires_at > ?"
            " ORDER BY expires_at",
            (user.username, _timestamp(now)),
        )
        return [record.grant for record in map(_grant_record, rows)
                if may_be_granted(user.role, record.permission)]

    # partner tokens

    def issue_token(
        self, partner: str, cities: Iterable[City], event_kinds: Iterable[str]
    ) -> IssuedToken:
        partner = partner.strip()
        if not partner or len(partner) > 100:
            raise AccountError("Name the partner (at most 100 characters).")
        try:
            agreement = PartnerAgreement(frozenset(cities), frozenset(event_kinds))
        except ValueError as error:
            raise AccountError(str(error)) from None
        token_id = secrets.token_hex(4)
        token = f"{PARTNER_TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        details = PartnerToken(token_id, partner, agreement, self.clock(), None)
        with self.database.transaction() as tx:
            tx.execute(
                "INSERT INTO acc_partner_tokens (token_id, token_hash, partner, cities,"
                " event_kinds, issued_at) VALUES (?, ?, ?, ?, ?, ?)",
                (token_id, _sha256(token), partner,
                 _comma_separated(c.value for c in agreement.cities),
                 _comma_separated(agreement.event_kinds), _timestamp(details.issued_at)),
            )
        return IssuedToken(token, details)

    def revoke_token(self, token_id: str) -> None:
        with self.database.transaction() as tx:
            if not tx.execute(
                "UPDATE acc_partner_tokens SET revoked_at = ?"
                " WHERE token_id = ? AND revoked_at IS NULL",
                (_timestamp(self.clock()), token_id),
            ):
                raise AccountError(f"There is no unrevoked token {token_id}.")

    def tokens(self) -> list[PartnerToken]:
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT token_id, partner, cities, event_kinds, issued_at, revoked_at"
                " FROM acc_partner_tokens ORDER BY issued_at, token_id"
            )
        return [_partner_token(row) for row in rows]

    def partner(self, token: str) -> Principal | None:
        """The partner a live (unrevoked) token belongs to, or None."""
        if not _TOKEN_PATTERN.match(token):
            return None
        with self.database.reading() as tx:
            row = tx.fetchone(
                "SELECT token_id, partner, cities, event_kinds, issued_at, revoked_at"
                " FROM acc_partner_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                (_sha256(token),),
            )
        if row is None:
            return None
        details = _partner_token(row)
        return Principal(id=details.partner, role=Role.PARTNER, name=details.partner,
                         agreement=details.agreement)


_GRANTABLE_ROLES = frozenset(
    role for role in Role if any(may_be_granted(role, permission) for permission in Permission)
)
_GRANT_COLUMNS = (
    "grant_id, grantee, permission, city, reason, granted_by, granted_at, expires_at,"
    " revoked_at, revoked_by"
)


def _grant_record(row: Sequence[Any]) -> GrantRecord:
    return GrantRecord(
        grant_id=str(row[0]),
        grantee=str(row[1]),
        permission=Permission(row[2]),
        city=City(row[3]),
        reason=str(row[4]),
        granted_by=str(row[5]),
        granted_at=_moment(row[6]),
        expires_at=_moment(row[7]),
        revoked_at=_moment(row[8]) if row[8] else None,
        revoked_by=str(row[9]) if row[9] else None,
    )


def _active_user(tx: Transaction, username: str) -> User | None:
    row = tx.fetchone(
        "SELECT username, display_name, role, city, disabled, created_at"
        " FROM acc_users WHERE username = ?", (username,)
    )
    user = None if row is None else _user(row)
    return None if user is None or user.disabled else user


def _user(row: Sequence[Any]) -> User:
    return User(
        username=str(row[0]),
        display_name=str(row[1]),
        role=Role(row[2]),
        city=City(row[3]) if row[3] else None,
        disabled=bool(row[4]),
        created_at=_moment(row[5]),
    )


def _partner_token(row: Sequence[Any]) -> PartnerToken:
    return PartnerToken(
        token_id=str(row[0]),
        partner=str(row[1]),
        agreement=PartnerAgreement(
            cities=frozenset(City(c) for c in str(row[2]).split(",")),
            event_kinds=frozenset(str(row[3]).split(",")),
        ),
        issued_at=_moment(row[4]),
        revoked_at=_moment(row[5]) if row[5] else None,
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


def open_accounts(
    database_url: str | None,
    data_dir: Path,
    clock: Callable[[], datetime],
    *,
    idle_timeout: timedelta = timedelta(minutes=30),
    lifetime: timedelta = timedelta(hours=8),
) -> Accounts:
    database = open_account_database(database_url, data_dir / ACCOUNTS_FILE_NAME)
    return Accounts(database, clock, idle_timeout=idle_timeout, lifetime=lifetime)


# --- demo accounts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    city: City | None = None


DEMO_ACCOUNTS = (
    DemoAccount("firenze.coordinatore", "Coordinatore demo, Firenze", Role.CITY_COORDINATOR,
                City.FIRENZE),
    DemoAccount("firenze.operatore", "Operatore demo, Firenze", Role.CITY_OPERATOR, City.FIRENZE),
    DemoAccount("milano.coordinatore", "Coordinatore demo, Milano", Role.CITY_COORDINATOR,
                City.MILANO),
    DemoAccount("milano.operatore", "Operatore demo, Milano", Role.CITY_OPERATOR, City.MILANO),
    DemoAccount("roma.coordinatore", "Coordinatore demo, Roma", Role.CITY_COORDINATOR, City.ROMA),
    DemoAccount("ministero", "Ministero dell'Interno (demo)", Role.MINISTRY),
    DemoAccount("revisore", "Revisore demo", Role.AUDITOR),
)


def create_demo_accounts(accounts: Accounts, credentials_file: Path) -> None:
    """Create the demo users with fresh random passwords, and keep their credentials in
    `credentials_file` (mode 0600) so that later starts can print them again. Only for a
    platform with no users yet: never in a deployment with real accounts."""
    if accounts.has_users():
        raise AccountError("Demo users are only created where there is no user yet.")
    lines = []
    for demo in DEMO_ACCOUNTS:
        password = generate_password()
        accounts.add_user(demo.username, demo.role, password, city=demo.city,
                          display_name=demo.display_name)
        lines.append(f"{demo.username}\t{password}\t{demo.role.value}"
                     f"\t{demo.city.value if demo.city else ''}\n")
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write("# LGNetEA demo credentials (username, password, role, city): demo only\n")
        file.writelines(lines)


def read_demo_credentials(credentials_file: Path) -> list[tuple[str, str, str, str]]:
    """(username, password, role, city) of each demo user, or [] without the file."""
    try:
        text = credentials_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    credentials = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            username, password, role, city = line.split("\t")
            credentials.append((username, password, role, city))
    return credentials
