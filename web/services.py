"""What the web app needs from the platform. The composition root (infra.bootstrap) provides it;
the web layer never builds infrastructure itself."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.cases.service import CaseService
from projections.case_list import CaseListQueries
from projections.network_overview import NetworkOverviewQueries


class WebServices(Protocol):
    cases: CaseService
    case_list: CaseListQueries
    network: NetworkOverviewQueries
    read_your_writes_timeout: float

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""

    def new_id(self) -> UUID: ...

    async def wait_for_position(self, position: int, timeout: float) -> bool:
        """Wait until every projection has applied the event at `position` (the value a save
        returned). True when it has; False when `timeout` seconds passed first."""
