"""Signing in and out, and the sessions signing in opens.

- A session is a random token in the browser's cookie, stored here only as its SHA-256 hash: a
  copy of the database opens no session. It ends after `idle_timeout` without a request, after
  `lifetime` in any case, at sign-out, and when its user is disabled. Its CSRF token is derived
  from the session token (HMAC), so it needs no storage and dies with the session.
- Failed sign-ins are counted per username and per client address, both stored only hashed:
  too many in a window locks further tries for a while (see `SignInThrottle`).
- A hash made with weaker parameters than the current ones is replaced at the next successful
  sign-in."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.access import Principal, SignInRefused, SignInThrottled
from infra.store.accounts.grants import live_grants
from infra.store.accounts.storage import moment, sha256, timestamp
from infra.store.accounts.users import MAX_PASSWORD_LENGTH, user_from_row
from projections.storage.transaction import Database, Transaction

log = logging.getLogger(__name__)

# A session's last-seen time is written at most this often: idle expiry to the minute is
# precise enough, and most requests then write nothing.
_LAST_SEEN_RESOLUTION = timedelta(minutes=1)
_CSRF_LABEL = b"lgnet csrf token"


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
class Session:
    """A signed-in session: `token` is the cookie's value (never stored), `csrf_token` what
    every unsafe request of the session must carry."""

    token: str
    principal: Principal
    csrf_token: str
    started_at: datetime
    last_seen_at: datetime


class Sessions:
    """Signing in and out, and looking sessions up (a part of infra.store.accounts.Accounts).
    Never hashes a password inside a transaction."""

    database: Database
    clock: Callable[[], datetime]
    hasher: PasswordHasher
    idle_timeout: timedelta
    lifetime: timedelta
    throttle: SignInThrottle
    # Verified against when the username is unknown (see Accounts).
    _decoy_hash: str

    def sign_in(self, username: str, password: str, client_address: str | None) -> Session:
        """Open a session, or raise SignInThrottled (too many failures lately) or
        SignInRefused (anything else wrong, without saying what)."""
        now = self.clock()
        subjects = [(sha256(f"username:{username}"), self.throttle.max_failures_per_username,
                     "username")]
        if client_address:
            subjects.append((sha256(f"address:{client_address}"),
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
        user = None if row is None else user_from_row(row[:6])
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
                (sha256(token), user.username, timestamp(now), timestamp(now)),
            )
            if self.hasher.check_needs_rehash(stored_hash):
                tx.execute("UPDATE acc_users SET password_hash = ? WHERE username = ?",
                           (self.hasher.hash(password), user.username))
            grants = live_grants(tx, user, now)
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
            (subject, timestamp(now - self.throttle.window)),
        )
        if len(rows) < limit:
            return None
        locked_until = moment(rows[0][0]) + self.throttle.lock
        return locked_until if now < locked_until else None

    def _record_failure(self, subjects: list[tuple[str, int]], now: datetime) -> None:
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM acc_failed_sign_ins WHERE failed_at <= ?",
                       (timestamp(now - self.throttle.window),))
            for subject, limit in subjects:
                tx.execute("INSERT INTO acc_failed_sign_ins (subject, failed_at) VALUES (?, ?)",
                           (subject, timestamp(now)))
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
        token_hash = sha256(token)
        with self.database.reading() as tx:
            row = tx.fetchone(
                "SELECT s.started_at, s.last_seen_at, u.username, u.display_name, u.role, u.city,"
                " u.disabled, u.created_at FROM acc_sessions s"
                " JOIN acc_users u ON u.username = s.username WHERE s.token_hash = ?",
                (token_hash,),
            )
            if row is None:
                return None
            user = user_from_row(row[2:8])
            grants = live_grants(tx, user, now)
        started_at, last_seen_at = moment(row[0]), moment(row[1])
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
                           (timestamp(now), token_hash))
            last_seen_at = now
        return Session(token, user.principal(grants), csrf_token_for(token), started_at,
                       last_seen_at)

    def sign_out(self, token: str) -> None:
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM acc_sessions WHERE token_hash = ?", (sha256(token),))

    def _delete_expired_sessions(self, tx: Transaction, now: datetime) -> None:
        tx.execute(
            "DELETE FROM acc_sessions WHERE last_seen_at <= ? OR started_at <= ?",
            (timestamp(now - self.idle_timeout), timestamp(now - self.lifetime)),
        )


def csrf_token_for(session_token: str) -> str:
    return hmac.new(session_token.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()
