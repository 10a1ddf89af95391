"""The second factor (issue 18 item 18): a TOTP secret (RFC 6238, pyotp) and ten single-use
recovery codes per person, kept only in the accounts' store.

- **Enrolment** stores nothing until a current code of the new secret is given; then the secret
  (encrypted: AES-GCM under a key derived from the store's own secret file, the username as
  associated data) and the recovery codes (only as HMACs) are written together.
- **Signing in** with an enrolled person's password opens no session: it leaves a short-lived
  pending sign-in (its ticket's hash), and the session is opened only by a right code. Each
  code try is counted through the sign-in throttle *before* it is checked. A TOTP code of the
  current 30-second step or the one before or after is accepted, only for a step later than the
  last one used (a code is never accepted twice); a recovery code once.
- **Required** (LGNET_SECOND_FACTOR=required): a coordinator, ministry or auditor not yet
  enrolled gets a session that can only enrol (web.kit.authentication).
Nothing here is logged with a username, a code or a secret, and nothing goes into events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.access import SecondFactorRefused
from domain.programme import Role
from infra.store.accounts.storage import moment, sha256, timestamp
from projections.storage.transaction import Database, Transaction

log = logging.getLogger(__name__)

# The roles whose members must enrol when the second factor is required.
SECOND_FACTOR_ROLES = frozenset({Role.CITY_COORDINATOR, Role.MINISTRY, Role.AUDITOR})
RECOVERY_CODES = 10
# A pending sign-in (password right, code not yet given) lasts this long.
PENDING_SIGN_IN_LIFETIME = timedelta(minutes=5)
# Steps either side of the current one whose code is accepted (clocks drift, people type).
VALID_WINDOW = 1
_SECRET_PATTERN = re.compile(r"^[A-Z2-7]{32}$")
_TOTP_PATTERN = re.compile(r"^[0-9]{6}$")
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no look-alikes
_RECOVERY_PATTERN = re.compile(f"^[{_RECOVERY_ALPHABET}]{{12}}$")
_ENCRYPTION_LABEL = b"lgnet second factor secrets"
_RECOVERY_LABEL = b"lgnet recovery codes"


@dataclass(frozen=True)
class SecondFactorStatus:
    enrolled_at: datetime
    recovery_codes_left: int


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step (counter) within VALID_WINDOW of `at` whose code is `code`, or None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None


def recovery_code_text(raw: str) -> str:
    """A recovery code as shown: three groups of four."""
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalised_recovery_code(typed: str) -> str | None:
    code = re.sub(r"[\s-]", "", typed).upper()
    return code if _RECOVERY_PATTERN.match(code) else None


class SecondFactors:
    """Enrolling, checking and resetting second factors (a part of
    infra.store.accounts.Accounts)."""

    database: Database
    clock: Callable[[], datetime]
    throttle_secret: bytes

    def second_factor(self, username: str) -> SecondFactorStatus | None:
        with self.database.reading() as tx:
            row = tx.fetchone("SELECT enrolled_at FROM acc_second_factors WHERE username = ?",
                              (username,))
            if row is None:
                return None
            left = tx.fetchone("SELECT COUNT(*) FROM acc_recovery_codes"
                               " WHERE username = ? AND used_at IS NULL", (username,))
        return SecondFactorStatus(moment(row[0]), int(left[0]) if left else 0)

    def enrol_second_factor(self, username: str, secret: str, code: str) -> list[str]:
        """Store `secret` for `username` once `code` is one of its current codes; returns the
        recovery codes (shown once, stored only as HMACs). Raises SecondFactorRefused
        (field "code": wrong; "secret": not one of ours; None: already enrolled), storing
        nothing."""
        if not _SECRET_PATTERN.match(secret):
            raise SecondFactorRefused("That is not a secret the platform made.", field="secret")
        now = self.clock()
        step = matching_step(secret, code.strip(), now) if _TOTP_PATTERN.match(
            code.strip()) else None
        if step is None:
            raise SecondFactorRefused("The code is not right.", field="code")
        codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
                 for _ in range(RECOVERY_CODES)]
        with self.database.transaction() as tx:
            if tx.fetchone("SELECT 1 FROM acc_second_factors WHERE username = ?", (username,)):
                raise SecondFactorRefused("A second factor is already set up.")
            tx.execute("INSERT INTO acc_second_factors (username, secret, enrolled_at,"
                       " last_step) VALUES (?, ?, ?, ?)",
                       (username, self._sealed(username, secret), timestamp(now), step))
            for raw in codes:
                tx.execute("INSERT INTO acc_recovery_codes (code_hash, username) VALUES (?, ?)",
                           (self._recovery_hash(username, raw), username))
        log.info("A second factor was set up")
        return [recovery_code_text(raw) for raw in codes]

    def reset_second_factor(self, username: str) -> bool:
        """Forget `username`'s second factor and recovery codes and end their sessions (an
        administrator's `lgnet users reset-second-factor`); False when there was none."""
        with self.database.transaction() as tx:
            had = tx.execute("DELETE FROM acc_second_factors WHERE username = ?", (username,))
            tx.execute("DELETE FROM acc_recovery_codes WHERE username = ?", (username,))
            tx.execute("DELETE FROM acc_pending_sign_ins WHERE username = ?", (username,))
            tx.execute("DELETE FROM acc_sessions WHERE username = ?", (username,))
        return bool(had)

    def _has_second_factor(self, tx: Transaction, username: str) -> bool:
        return tx.fetchone("SELECT 1 FROM acc_second_factors WHERE username = ?",
                           (username,)) is not None

    def _start_pending_sign_in(self, tx: Transaction, username: str, now: datetime) -> str:
        ticket = secrets.token_urlsafe(32)
        tx.execute("DELETE FROM acc_pending_sign_ins WHERE created_at <= ?",
                   (timestamp(now - PENDING_SIGN_IN_LIFETIME),))
        tx.execute("INSERT INTO acc_pending_sign_ins (ticket_hash, username, created_at)"
                   " VALUES (?, ?, ?)", (sha256(ticket), username, timestamp(now)))
        return ticket

    def _pending_username(self, tx: Transaction, ticket: str, now: datetime) -> str | None:
        row = tx.fetchone("SELECT username FROM acc_pending_sign_ins"
                          " WHERE ticket_hash = ? AND created_at > ?",
                          (sha256(ticket), timestamp(now - PENDING_SIGN_IN_LIFETIME)))
        return None if row is None else str(row[0])

    def _code_is_right(self, username: str, code: str, now: datetime) -> bool:
        """Use `code` (a TOTP code or a recovery code) up, if right: in one transaction that
        moves the last used step forward, or marks the recovery code used, only if still
        unused (two tries of one code together: one wins)."""
        typed = code.strip()
        if _TOTP_PATTERN.match(typed):
            with self.database.reading() as tx:
                row = tx.fetchone("SELECT secret FROM acc_second_factors WHERE username = ?",
                                  (username,))
            if row is None:
                return False
            step = matching_step(self._opened(username, str(row[0])), typed, now)
            if step is None:
                return False
            with self.database.transaction() as tx:
                return bool(tx.execute(
                    "UPDATE acc_second_factors SET last_step = ?"
                    " WHERE username = ? AND last_step < ?", (step, username, step)))
        recovery = normalised_recovery_code(typed)
        if recovery is None:
            return False
        with self.database.transaction() as tx:
            used = bool(tx.execute(
                "UPDATE acc_recovery_codes SET used_at = ?"
                " WHERE code_hash = ? AND username = ? AND used_at IS NULL",
                (timestamp(now), self._recovery_hash(username, recovery), username)))
        if used:
            log.warning("A recovery code was used to sign in")
        return used

    def _encryption_key(self) -> bytes:
        return hmac.new(self.throttle_secret, _ENCRYPTION_LABEL, hashlib.sha256).digest()

    def _sealed(self, username: str, secret: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self._encryption_key()).encrypt(nonce, secret.encode(),
                                                        username.encode())
        return base64.b64encode(nonce + sealed).decode()

    def _opened(self, username: str, stored: str) -> str:
        raw = base64.b64decode(stored)
        return AESGCM(self._encryption_key()).decrypt(raw[:12], raw[12:],
                                                      username.encode()).decode()

    def _recovery_hash(self, username: str, code: str) -> str:
        return hmac.new(self.throttle_secret, _RECOVERY_LABEL + b"\n"
                        + f"{username}\n{code}".encode(), hashlib.sha256).hexdigest()
