"""What the web app needs from the platform. The composition root (infra.bootstrap) provides it;
the web layer never builds infrastructure itself."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.access import Principal
from domain.cases.service import CaseService
from projections.case_list import CaseListQueries
from projections.network_overview import NetworkOverviewQueries


class SignedInSession(Protocol):
    @property
    def token(self) -> str:
        """The value of the session cookie."""

    @property
    def principal(self) -> Principal: ...

    @property
    def csrf_token(self) -> str:
        """What every unsafe request made in this session must carry."""


class AccountsPort(Protocol):
    """Sign-in, sessions and partner tokens (infra.accounts.Accounts)."""

    def sign_in(self, username: str, password: str, client_address: str | None) -> SignedInSession:
        """A new session; raises domain.access.SignInThrottled or SignInRefused."""

    def session(self, token: str) -> SignedInSession | None:
        """The live session with this token, or None; keeps it from idling out."""

    def sign_out(self, token: str) -> None: ...

    def partner(self, token: str) -> Principal | None:
        """The partner whose live API token this is, or None."""


class WebServices(Protocol):
    cases: CaseService
    case_list: CaseListQueries
    network: NetworkOverviewQueries

    @property
    def accounts(self) -> AccountsPort: ...

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
