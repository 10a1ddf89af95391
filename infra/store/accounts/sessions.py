"""Signing in and out, and the sessions signing in opens.

- A session is a random token in the browser's cookie, stored here only as its SHA-256 hash: a
  copy of the database opens no session. It ends after `idle_timeout` without a request, after
  `lifetime` in any case, at sign-out, and when its user is disabled. Its CSRF token is derived
  from the session token (HMAC), so it needs no storage and dies with the session.
- Sign-in tries are counted per username and client address (and per address behind trusted
  proxies), under keyed hashes, before the password is checked: past a few failures each try
  waits, longer and longer (infra.store.accounts.throttle).
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

from domain.access import (
    PasswordChangeRefused,
    Principal,
    SecondFactorNeeded,
    SecondFactorRefused,
    SignInRefused,
    SignInThrottled,
)
from infra.store.accounts.grants import live_grants
from infra.store.accounts.second_factor import SECOND_FACTOR_ROLES, SecondFactors
from infra.store.accounts.storage import moment, sha256, timestamp
from infra.store.accounts.throttle import (
    SignInThrottle,
    ThrottleKey,
    count_try,
    forget_stale,
    forget_success,
    throttle_keys,
)
from infra.store.accounts.users import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    User,
    user_from_row,
)
from projections.storage.transaction import Database, Transaction

log = logging.getLogger(__name__)

# A session's last-seen time is written at most this often: idle expiry to the minute is
# precise enough, and most requests then write nothing.
_LAST_SEEN_RESOLUTION = timedelta(minutes=1)
_CSRF_LABEL = b"lgnet csrf token"


@dataclass(frozen=True)
class Session:
    """A signed-in session: `token` is the cookie's value (never stored), `csrf_token` what
    every unsafe request of the session must carry."""

    token: str
    principal: Principal
    csrf_token: str
    started_at: datetime
    last_seen_at: datetime
    # True while the second factor is required and its person, who must have one, has none:
    # the session may then only enrol (web.kit.authentication).
    must_enrol_second_factor: bool = False


class Sessions(SecondFactors):
    """Signing in and out, and looking sessions up (a part of infra.store.accounts.Accounts).
    Never hashes a password inside a transaction."""

    database: Database
    clock: Callable[[], datetime]
    hasher: PasswordHasher
    idle_timeout: timedelta
    lifetime: timedelta
    throttle: SignInThrottle
    throttle_secret: bytes
    second_factor_required: bool
    # Verified against when the username is unknown (see Accounts).
    _decoy_hash: str

    def sign_in(self, username: str, password: str, client_address: str | None) -> Session:
        """Open a session, or raise SignInThrottled (too many failures lately: the try is not
        even checked) or SignInRefused (anything else wrong, without saying what). The try is
        counted before the password is hashed (infra.store.accounts.throttle). For a person
        with a second factor a right password opens no session: SecondFactorNeeded names the
        pending sign-in (`ticket`) that `complete_sign_in` finishes with a code; the throttle
        forgets no failure until then."""
        now = self.clock()
        keys = throttle_keys(self.throttle_secret, self.throttle, username, client_address)
        with self.database.transaction() as tx:
            waiting = count_try(tx, self.throttle, keys, now)
            if waiting is None:
                row = tx.fetchone(
                    "SELECT username, display_name, role, city, disabled, created_at,"
                    " password_hash FROM acc_users WHERE username = ?", (username,)
                )
        if waiting is not None:
            until, kind = waiting
            # Nothing of the key is logged: neither the username, nor the address, nor its hash.
            log.warning("Sign-in refused unchecked: too many failures lately for a %s",
                        "username from an address" if kind == "username" else "client address")
            raise SignInThrottled("Too many failed sign-ins: try again later.",
                                  until=until, by=kind)
        user = None if row is None else user_from_row(row[:6])
        stored_hash = self._decoy_hash if row is None else str(row[6])
        if not self._password_matches(stored_hash, password) or user is None or user.disabled:
            raise SignInRefused("Wrong username or password, or the account is disabled.")
        ticket: str | None = None
        with self.database.transaction() as tx:
            if self.hasher.check_needs_rehash(stored_hash):
                tx.execute("UPDATE acc_users SET password_hash = ? WHERE username = ?",
                           (self.hasher.hash(password), user.username))
            if self._has_second_factor(tx, user.username):
                ticket = self._start_pending_sign_in(tx, user.username, now)
        if ticket is not None:
            raise SecondFactorNeeded("Enter a code of your second factor.", ticket=ticket)
        return self._open_session(user, keys, now)

    def complete_sign_in(self, ticket: str, code: str, client_address: str | None) -> Session:
        """Open the session of the pending sign-in `ticket` once `code` (a TOTP code, or a
        recovery code) is right. The try is counted through the throttle before the code is
        checked. Raises SecondFactorRefused (field "ticket": unknown or expired, sign in
        again; field "code": wrong or already used), or SignInThrottled."""
        now = self.clock()
        with self.database.reading() as tx:
            username = self._pending_username(tx, ticket, now)
        if username is None:
            raise SecondFactorRefused("The sign-in has expired: sign in again.", field="ticket")
        keys = throttle_keys(self.throttle_secret, self.throttle, username, client_address)
        with self.database.transaction() as tx:
            waiting = count_try(tx, self.throttle, keys, now)
            row = tx.fetchone("SELECT username, display_name, role, city, disabled, created_at"
                              " FROM acc_users WHERE username = ?", (username,))
        if waiting is not None:
            log.warning("Second-factor code refused unchecked: too many failures lately")
            raise SignInThrottled("Too many failed sign-ins: try again later.",
                                  until=waiting[0], by=waiting[1])
        user = None if row is None else user_from_row(row)
        if user is None or user.disabled or not self._code_is_right(username, code, now):
            raise SecondFactorRefused("The code is not right, or it has been used.",
                                      field="code")
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM acc_pending_sign_ins WHERE ticket_hash = ?",
                       (sha256(ticket),))
        return self._open_session(user, keys, now)

    def _open_session(self, user: User, keys: list[ThrottleKey], now: datetime) -> Session:
        token = secrets.token_urlsafe(32)
        with self.database.transaction() as tx:
            forget_success(tx, keys)
            forget_stale(tx, self.throttle, now)
            self._delete_expired_sessions(tx, now)
            tx.execute(
                "INSERT INTO acc_sessions (token_hash, username, started_at, last_seen_at)"
                " VALUES (?, ?, ?, ?)",
                (sha256(token), user.username, timestamp(now), timestamp(now)),
            )
            grants = live_grants(tx, user, now)
            must_enrol = self._must_enrol(tx, user)
        return Session(token, user.principal(grants), csrf_token_for(token), now, now,
                       must_enrol)

    def _must_enrol(self, tx: Transaction, user: User) -> bool:
        return (self.second_factor_required and user.role in SECOND_FACTOR_ROLES
                and not self._has_second_factor(tx, user.username))

    def change_password(
        self, username: str, current: str, new: str, *, client_address: str | None,
        keep_session: str | None = None,
    ) -> None:
        """Replace the password of active user `username`, given the current one, and end
        every session of theirs but `keep_session` (the one asking). Raises
        PasswordChangeRefused (field current_password or new_password), or SignInThrottled:
        a wrong current password counts as a failed sign-in (throttled alike, counted before
        the hash is checked)."""
        if not MIN_PASSWORD_LENGTH <= len(new) <= MAX_PASSWORD_LENGTH or new == current:
            raise PasswordChangeRefused(
                "A new password has 12 to 1024 characters and differs from the current one.",
                field="new_password", min_length=MIN_PASSWORD_LENGTH,
                max_length=MAX_PASSWORD_LENGTH)
        now = self.clock()
        keys = throttle_keys(self.throttle_secret, self.throttle, username, client_address)
        with self.database.transaction() as tx:
            waiting = count_try(tx, self.throttle, keys, now)
            row = tx.fetchone("SELECT password_hash, disabled FROM acc_users WHERE username = ?",
                              (username,))
        if waiting is not None:
            raise SignInThrottled("Too many failed sign-ins: try again later.",
                                  until=waiting[0], by=waiting[1])
        if row is None or bool(row[1]) or not self._password_matches(str(row[0]), current):
            raise PasswordChangeRefused("The current password is not right.",
                                        field="current_password")
        new_hash = self.hasher.hash(new)
        with self.database.transaction() as tx:
            forget_success(tx, keys)
            tx.execute("UPDATE acc_users SET password_hash = ? WHERE username = ?",
                       (new_hash, username))
            tx.execute("DELETE FROM acc_sessions WHERE username = ? AND token_hash <> ?",
                       (username, sha256(keep_session) if keep_session else ""))
        log.info("Password changed for a user; their other sessions are ended")

    def _password_matches(self, stored_hash: str, password: str) -> bool:
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

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
            must_enrol = self._must_enrol(tx, user)
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
                       last_seen_at, must_enrol)

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
