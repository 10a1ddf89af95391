"""Partners' API tokens. A token is random, shown once when issued, stored as its SHA-256 hash,
revocable, and expires (`DEFAULT_TOKEN_LIFETIME` after issue unless said otherwise, at most
`MAX_TOKEN_LIFETIME`); it carries the partner's agreement (cities and event kinds). Rotating a
token issues its successor with the same agreement and lets the old one live on only for an
overlap, while the partner switches."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.access import PartnerAgreement, PartnerTokenExpired, Principal
from domain.programme import City, Role
from infra.store.accounts.storage import moment, sha256, timestamp
from infra.store.accounts.users import AccountError
from projections.storage.transaction import Database

PARTNER_TOKEN_PREFIX = "lgp_"  # noqa: S105  (a marker that makes leaked tokens findable)
_TOKEN_PATTERN = re.compile(rf"^{PARTNER_TOKEN_PREFIX}[0-9a-f]{{8}}_[A-Za-z0-9_-]{{43}}$")
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
MAX_TOKEN_LIFETIME = timedelta(days=366)
# A token issued before tokens expired (no expiry stored) expires this long after its issue.
LEGACY_TOKEN_LIFETIME = DEFAULT_TOKEN_LIFETIME
DEFAULT_ROTATION_OVERLAP = timedelta(days=7)


@dataclass(frozen=True)
class PartnerToken:
    token_id: str
    partner: str
    agreement: PartnerAgreement
    issued_at: datetime
    revoked_at: datetime | None
    expires_at: datetime

    def is_live(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at


@dataclass(frozen=True)
class IssuedToken:
    """A new partner token: `token` is shown once and never stored."""

    token: str
    details: PartnerToken


class PartnerTokens:
    """Issuing, revoking and checking partner tokens (a part of infra.store.accounts.Accounts)."""

    database: Database
    clock: Callable[[], datetime]

    def issue_token(
        self, partner: str, cities: Iterable[City], event_kinds: Iterable[str],
        *, lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    ) -> IssuedToken:
        """A new token for `partner`, live for `lifetime` (at most MAX_TOKEN_LIFETIME)."""
        partner = partner.strip()
        if not partner or len(partner) > 100:
            raise AccountError("Name the partner (at most 100 characters).")
        if not timedelta(0) < lifetime <= MAX_TOKEN_LIFETIME:
            raise AccountError(f"A token lives at most {MAX_TOKEN_LIFETIME.days} days.")
        try:
            agreement = PartnerAgreement(frozenset(cities), frozenset(event_kinds))
        except ValueError as error:
            raise AccountError(str(error)) from None
        token_id = secrets.token_hex(4)
        token = f"{PARTNER_TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        now = self.clock()
        details = PartnerToken(token_id, partner, agreement, now, None, now + lifetime)
        with self.database.transaction() as tx:
            tx.execute(
                "INSERT INTO acc_partner_tokens (token_id, token_hash, partner, cities,"
                " event_kinds, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (token_id, sha256(token), partner,
                 _comma_separated(c.value for c in agreement.cities),
                 _comma_separated(agreement.event_kinds), timestamp(details.issued_at),
                 timestamp(details.expires_at)),
            )
        return IssuedToken(token, details)

    def rotate_token(
        self, token_id: str, *, overlap: timedelta = DEFAULT_ROTATION_OVERLAP,
        lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    ) -> IssuedToken:
        """Issue the successor of live token `token_id` (same partner and agreement), and let
        the old one live at most `overlap` more (zero: it ends now)."""
        if overlap < timedelta(0) or overlap > MAX_TOKEN_LIFETIME:
            raise AccountError("The overlap is zero or more days, within a token's lifetime.")
        now = self.clock()
        old = next((token for token in self.tokens() if token.token_id == token_id), None)
        if old is None or not old.is_live(now):
            raise AccountError(f"There is no live token {token_id} (lgnet tokens list).")
        issued = self.issue_token(old.partner, old.agreement.cities, old.agreement.event_kinds,
                                  lifetime=lifetime)
        with self.database.transaction() as tx:
            tx.execute("UPDATE acc_partner_tokens SET expires_at = ? WHERE token_id = ?",
                       (timestamp(min(old.expires_at, now + overlap)), token_id))
        return issued

    def revoke_token(self, token_id: str) -> None:
        with self.database.transaction() as tx:
            if not tx.execute(
                "UPDATE acc_partner_tokens SET revoked_at = ?"
                " WHERE token_id = ? AND revoked_at IS NULL",
                (timestamp(self.clock()), token_id),
            ):
                raise AccountError(f"There is no unrevoked token {token_id}.")

    def tokens(self) -> list[PartnerToken]:
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {_COLUMNS} FROM acc_partner_tokens ORDER BY issued_at, token_id"
            )
        return [_partner_token(row) for row in rows]

    def partner(self, token: str) -> Principal | None:
        """The partner a live (unrevoked, unexpired) token belongs to, or None; raises
        PartnerTokenExpired for a token that was right but has expired."""
        if not _TOKEN_PATTERN.match(token):
            return None
        with self.database.reading() as tx:
            row = tx.fetchone(
                f"SELECT {_COLUMNS} FROM acc_partner_tokens"
                " WHERE token_hash = ? AND revoked_at IS NULL",
                (sha256(token),),
            )
        if row is None:
            return None
        details = _partner_token(row)
        if not details.is_live(self.clock()):
            raise PartnerTokenExpired("The API token has expired.",
                                      expired_at=details.expires_at)
        return Principal(id=details.partner, role=Role.PARTNER, name=details.partner,
                         agreement=details.agreement)


_COLUMNS = "token_id, partner, cities, event_kinds, issued_at, revoked_at, expires_at"


def _partner_token(row: Sequence[Any]) -> PartnerToken:
    return PartnerToken(
        token_id=str(row[0]),
        partner=str(row[1]),
        agreement=PartnerAgreement(
            cities=frozenset(City(c) for c in str(row[2]).split(",")),
            event_kinds=frozenset(str(row[3]).split(",")),
        ),
        issued_at=moment(row[4]),
        revoked_at=moment(row[5]) if row[5] else None,
        expires_at=moment(row[6]) if row[6] else moment(row[4]) + LEGACY_TOKEN_LIFETIME,
    )


def _comma_separated(values: Iterable[str]) -> str:
    return ",".join(sorted(values))
