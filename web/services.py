"""What the web app needs from the platform. The composition root (infra.bootstrap) provides it;
the web layer never builds infrastructure itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from domain.access import Permission, Principal
from domain.activities.service import ActivityService
from domain.cases.service import CaseService
from domain.housing.service import HousingService
from domain.network import City
from domain.referrals.service import ReferralService
from domain.vault import IdentifierAccess
from projections.activities import ActivityRegisterQueries
from projections.case_list import CaseListQueries
from projections.housing import HousingQueries
from projections.network_overview import NetworkOverviewQueries
from projections.referrals import ReferralBoardQueries


class SignedInSession(Protocol):
    @property
    def token(self) -> str:
        """The value of the session cookie."""

    @property
    def principal(self) -> Principal: ...

    @property
    def csrf_token(self) -> str:
        """What every unsafe request made in this session must carry."""


class AccessGrantRecord(Protocol):
    """A grant as kept (infra.accounts.GrantRecord)."""

    @property
    def grant_id(self) -> str: ...
    @property
    def grantee(self) -> str: ...
    @property
    def permission(self) -> Permission: ...
    @property
    def city(self) -> City: ...
    @property
    def reason(self) -> str: ...
    @property
    def granted_by(self) -> str: ...
    @property
    def granted_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    @property
    def revoked_by(self) -> str | None: ...

    def is_live(self, at: datetime) -> bool: ...


class AccountsPort(Protocol):
    """Sign-in, sessions, partner tokens and grants (infra.accounts.Accounts)."""

    def sign_in(self, username: str, password: str, client_address: str | None) -> SignedInSession:
        """A new session; raises domain.access.SignInThrottled or SignInRefused."""

    def session(self, token: str) -> SignedInSession | None:
        """The live session with this token, or None; keeps it from idling out."""

    def sign_out(self, token: str) -> None: ...

    def partner(self, token: str) -> Principal | None:
        """The partner whose live API token this is, or None."""

    def grant_access(
        self, granted_by: str, grantee: str, city: City, duration: timedelta, reason: str
    ) -> AccessGrantRecord:
        """Let `grantee` read `city`'s identifiers for `duration`; raises
        domain.access.GrantRefused when the grant breaks a rule."""

    def revoke_grant(self, grant_id: str, revoked_by: str) -> AccessGrantRecord | None:
        """End a live grant now; None when there is no live grant `grant_id`."""

    def grants(self) -> Sequence[AccessGrantRecord]:
        """Every grant, live or ended, the latest first."""


class IdentifierAccessLog(Protocol):
    """The vault's log of who read which identifiers (domain.vault.PersonalDataVault)."""

    def accesses(self, limit: int = 200, offset: int = 0) -> list[IdentifierAccess]:
        """The log, most recent first."""


class WebServices(Protocol):
    cases: CaseService
    case_list: CaseListQueries
    network: NetworkOverviewQueries
    referrals: ReferralService
    referral_board: ReferralBoardQueries
    housing: HousingService
    housing_views: HousingQueries
    activities: ActivityService
    activity_register: ActivityRegisterQueries

    @property
    def accounts(self) -> AccountsPort: ...

    @property
    def vault(self) -> IdentifierAccessLog:
        """Only its access log: identifiers are read through `cases`, which logs each reading."""

    @property
    def read_your_writes_timeout(self) -> float:
        """Seconds a write waits for the read models to show it."""

    @property
    def secure_cookies(self) -> bool:
        """Mark the session cookie Secure even when the request came over plain http."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""

    def new_id(self) -> UUID: ...

    async def wait_for_position(self, position: int, timeout: float) -> bool:
        """Wait until every projection has applied the event at `position` (the value a save
        returned). True when it has; False when `timeout` seconds passed first."""
