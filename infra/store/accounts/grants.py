"""Grants of access to personal identifiers. A grant lets an auditor read one city's personal
identifiers for a few hours (at most domain.access.MAX_GRANT_DURATION), for a stated reason,
given by someone whom the policy lets give it (the ministry). Grants are kept, ended or not, so
that an audit can list them all; the principal of a session carries the live ones (see
`live_grants`)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.access import (
    MAX_GRANT_DURATION,
    MAX_GRANT_REASON_LENGTH,
    AccessGrant,
    GrantRefused,
    Permission,
    may,
    may_be_granted,
)
from domain.programme import City, Role
from infra.store.accounts.storage import moment, timestamp
from infra.store.accounts.users import User, active_user
from projections.storage.transaction import Database, Transaction

log = logging.getLogger(__name__)


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


class AccessGrants:
    """Giving, revoking and listing grants (a part of infra.store.accounts.Accounts)."""

    database: Database
    clock: Callable[[], datetime]

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
            granter = active_user(tx, granted_by)
            if granter is None or not may(granter.principal(),
                                          Permission.GRANT_IDENTIFIER_ACCESS):
                raise GrantRefused(f"{granted_by} may not give grants.", field="granted_by")
            receiver = active_user(tx, grantee)
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
                 record.granted_by, timestamp(now), timestamp(record.expires_at)),
            )
        log.info("Grant %s: %s may %s in %s until %s (given by %s)", grant_id, record.grantee,
                 permission.value, city.value, timestamp(record.expires_at), record.granted_by)
        return record

    def revoke_grant(self, grant_id: str, revoked_by: str) -> GrantRecord | None:
        """End a live grant before it expires; None when there is no live grant `grant_id`.
        Raises GrantRefused unless `revoked_by` may give grants."""
        now = self.clock()
        with self.database.transaction() as tx:
            revoker = active_user(tx, revoked_by)
            if revoker is None or not may(revoker.principal(),
                                          Permission.GRANT_IDENTIFIER_ACCESS):
                raise GrantRefused(f"{revoked_by} may not revoke grants.", field="revoked_by")
            if not tx.execute(
                "UPDATE acc_access_grants SET revoked_at = ?, revoked_by = ?"
                " WHERE grant_id = ? AND revoked_at IS NULL AND expires_at > ?",
                (timestamp(now), revoker.username, grant_id, timestamp(now)),
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


def live_grants(tx: Transaction, user: User, now: datetime) -> list[AccessGrant]:
    """What the principal of `user` holds by grant now (nothing, for most roles: the query
    is only made for a role that may be granted something)."""
    if user.role not in _GRANTABLE_ROLES or user.disabled:
        return []
    rows = tx.fetchall(
        f"SELECT {_GRANT_COLUMNS} FROM acc_access_grants"
        " WHERE grantee = ? AND revoked_at IS NULL AND expires_at > ?"
        " ORDER BY expires_at",
        (user.username, timestamp(now)),
    )
    return [record.grant for record in map(_grant_record, rows)
            if may_be_granted(user.role, record.permission)]


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
        granted_at=moment(row[6]),
        expires_at=moment(row[7]),
        revoked_at=moment(row[8]) if row[8] else None,
        revoked_by=str(row[9]) if row[9] else None,
    )
