"""The sign-in throttle: how many tries a username may have from an address, and an address in
all, before it must wait; and the waits, which double at each further failure.

- **Keys.** A try is counted under the pair *username + client address* and, only when the
  deployment names its trusted proxies (LGNET_TRUSTED_PROXIES, so the address is the client's own
  and not a proxy's), under the *address* alone. Without trusted proxies every client may be
  the proxy's one address: an address limit would let anybody lock everybody out. A username
  alone is never a key: invented names, or a real one tried from elsewhere, cannot lock its user
  out from their own address.
- **Counted before checking.** A try is counted, in one write transaction that holds the key's
  row, *before* the password is hashed: however many tries arrive together, at most the limit
  of them is ever checked. A successful sign-in then forgets the pair's failures (and gives the
  address its try back).
- **Back-off, not a lock.** Past the free tries, each further try must wait `first_delay`,
  doubling with every failure, at most `max_delay`; a key untried for `forget_after` starts
  afresh.
- **Stored keyed.** A key is stored as an HMAC-SHA-256 under a secret of its own (a file in the
  data dir, mode 0600), never as a bare hash (an address's hash is found by trying them all),
  and nothing of it is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from infra.store.accounts.storage import moment, timestamp
from projections.storage.transaction import Transaction

THROTTLE_KEY_FILE_NAME = "sign-in-throttle.key"
_KEY_BYTES = 32


@dataclass(frozen=True)
class SignInThrottle:
    """`free_tries_per_pair` tries of a username from an address (and, with `per_address`,
    `free_tries_per_address` from an address whatever the username) go unhindered; each one
    after waits `first_delay`, doubled at each further failure, at most `max_delay`."""

    free_tries_per_pair: int = 5
    free_tries_per_address: int = 20
    per_address: bool = False
    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=1)
    forget_after: timedelta = timedelta(hours=24)

    def delay_after(self, tries: int, free: int) -> timedelta:
        """How long after the last of `tries` failed tries the next may come."""
        if tries < free:
            return timedelta(0)
        doublings: int = min(tries - free, 20)
        delay: timedelta = self.first_delay * (1 << doublings)
        return min(delay, self.max_delay)


@dataclass(frozen=True)
class ThrottleKey:
    """A row of the throttle: `subject` the keyed hash, `free` its free tries, `kind` what it
    counts (for the refusal's message: "username" for the pair, "address")."""

    subject: str
    free: int
    kind: str


def throttle_keys(
    secret: bytes, throttle: SignInThrottle, username: str, address: str | None
) -> list[ThrottleKey]:
    keys = [ThrottleKey(_keyed(secret, f"pair\n{username}\n{address or ''}"),
                        throttle.free_tries_per_pair, "username")]
    if throttle.per_address and address:
        keys.append(ThrottleKey(_keyed(secret, f"address\n{address}"),
                                throttle.free_tries_per_address, "address"))
    return keys


def count_try(
    tx: Transaction, throttle: SignInThrottle, keys: list[ThrottleKey], now: datetime
) -> tuple[datetime, str] | None:
    """Count one try under every key, or none: (until when, which kind) when a key must still
    wait. Call inside a write transaction: the UPDATE takes each key's row lock first, so two
    tries of one key are counted one after the other (on SQLite the transaction is the lock)."""
    counts: list[tuple[ThrottleKey, int]] = []
    for key in keys:
        tx.execute("INSERT INTO acc_sign_in_throttle (subject, tries, last_try_at)"
                   " VALUES (?, 0, ?) ON CONFLICT (subject) DO NOTHING",
                   (key.subject, timestamp(now)))
        tx.execute("UPDATE acc_sign_in_throttle SET tries = tries WHERE subject = ?",
                   (key.subject,))
        row = tx.fetchone("SELECT tries, last_try_at FROM acc_sign_in_throttle"
                          " WHERE subject = ?", (key.subject,))
        assert row is not None
        tries, last_try_at = int(row[0]), moment(row[1])
        if now - last_try_at >= throttle.forget_after:
            tries = 0
        until = last_try_at + throttle.delay_after(tries, key.free)
        if now < until:
            return until, key.kind
        counts.append((key, tries))
    for key, tries in counts:
        tx.execute("UPDATE acc_sign_in_throttle SET tries = ?, last_try_at = ?"
                   " WHERE subject = ?", (tries + 1, timestamp(now), key.subject))
    return None


def forget_success(tx: Transaction, keys: list[ThrottleKey]) -> None:
    """A try that signed in was no failure: the pair starts afresh, the address gets it back."""
    pair, *others = keys
    tx.execute("DELETE FROM acc_sign_in_throttle WHERE subject = ?", (pair.subject,))
    for key in others:
        tx.execute("UPDATE acc_sign_in_throttle SET tries = tries - 1"
                   " WHERE subject = ? AND tries > 0", (key.subject,))


def forget_stale(tx: Transaction, throttle: SignInThrottle, now: datetime) -> None:
    tx.execute("DELETE FROM acc_sign_in_throttle WHERE last_try_at <= ?",
               (timestamp(now - throttle.forget_after),))


def _keyed(secret: bytes, text: str) -> str:
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def load_or_create_throttle_key(path: Path) -> bytes:
    """The throttle's secret in `path`, created (mode 0600) when the file does not exist yet. Of
    two processes starting together one creates it (O_EXCL) and the other reads it, waiting
    the moment the 32 bytes take to be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_bytes()
            if len(key) == _KEY_BYTES:
                return key
            time.sleep(0.01)
        raise ValueError(f"{path} is not a sign-in throttle key ({_KEY_BYTES} bytes)") from None
    key = secrets.token_bytes(_KEY_BYTES)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    return key
