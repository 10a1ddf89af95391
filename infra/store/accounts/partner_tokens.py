"""Partners' API tokens. A token is random, shown once when issued, stored as its SHA-256 hash,
and revocable; it carries the partner's agreement (cities and event kinds)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.access import PartnerAgreement, Principal
from domain.programme import City, Role
from infra.store.accounts.storage import moment, sha256, timestamp
from infra.store.accounts.users import AccountError
from projections.storage.transaction import Database

PARTNER_TOKEN_PREFIX = "lgp_"  # noqa: S105  (a marker that makes leaked tokens findable)
_TOKEN_PATTERN = re.compile(rf"^{PARTNER_TOKEN_PREFIX}[0-9a-f]{{8}}_[A-Za-z0-9_-]{{43}}$")


@dataclass(frozen=True)
class PartnerToken:
    token_id: str
    partner: str
    agreement: PartnerAgreement
    issued_at: datetime
    revoked_at: datetime | None


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
                (token_id, sha256(token), partner,
                 _comma_separated(c.value for c in agreement.cities),
                 _comma_separated(agreement.event_kinds), timestamp(details.issued_at)),
            )
        return IssuedToken(token, details)

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
                (sha256(token),),
            )
        if row is None:
            return None
        details = _partner_token(row)
        return Principal(id=details.partner, role=Role.PARTNER, name=details.partner,
                         agreement=details.agreement)


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
    )


def _comma_separated(values: Iterable[str]) -> str:
    return ",".join(sorted(values))
