"""The composition root: builds the platform's parts from the settings, once, in one place."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID, uuid4

from domain.activities.service import ActivityService
from domain.cases.service import CaseService
from domain.finance.service import FinanceService
from domain.housing.service import HousingService
from domain.record import ProgrammeRecord
from domain.referrals.service import ReferralService
from domain.vault import PersonalDataVault
from infra.accounts import Accounts, open_accounts
from infra.audit.chain_store import AuditChainStore
from infra.audit.checkpoints import (
    audit_dir,
    load_or_create_signing_key,
    public_key_pem,
    read_public_key,
)
from infra.audit.event_browser import EventBrowser
from infra.eventstore import open_record
from infra.pipeline.projector.runner import default_projections
from infra.pipeline.replay import AsOfServices, ReplayCache
from infra.settings import Settings
from infra.vault import open_vault
from projections.activities import ActivityRegisterQueries
from projections.case_list import CaseListQueries
from projections.finance import FinanceQueries
from projections.housing import HousingQueries
from projections.indicators import IndicatorQueries
from projections.network_overview import NetworkOverviewQueries
from projections.projection import Projection, ensure_created
from projections.referrals import ReferralBoardQueries
from projections.storage import ReadModelDatabase, open_read_models
from web.services import WebServices

_POSITION_POLL_INTERVAL = 0.005


@dataclass
class Platform:
    """Everything the entry points (web, relay, projector, CLI) share. Implements web.services."""

    settings: Settings
    record: ProgrammeRecord
    vault: PersonalDataVault
    read_models: ReadModelDatabase
    projections: list[Projection]
    cases: CaseService
    case_list: CaseListQueries
    network: NetworkOverviewQueries
    referrals: ReferralService
    referral_board: ReferralBoardQueries
    housing: HousingService
    housing_views: HousingQueries
    activities: ActivityService
    activity_register: ActivityRegisterQueries
    finance: FinanceService
    finance_views: FinanceQueries
    indicators: IndicatorQueries
    accounts: Accounts
    audit_trail: EventBrowser
    replays: ReplayCache

    def as_of(self, moment: datetime) -> WebServices:
        """The platform with every read model as it was at `moment`, replayed from the record
        (infra.replay); for reading only."""
        read_models = self.replays.read_models_as_of(moment)
        as_of = AsOfServices(self, moment, workflows_over(self.record, self.vault, read_models))
        return cast(WebServices, as_of)  # every attribute it lacks is the live platform's

    @property
    def read_your_writes_timeout(self) -> float:
        return self.settings.read_your_writes_timeout

    @property
    def secure_cookies(self) -> bool:
        return self.settings.secure_cookies

    def now(self) -> datetime:
        return datetime.now(UTC)

    def new_id(self) -> UUID:
        return uuid4()

    def audit_public_key(self) -> str:
        """The checkpoint key's public half, from the data dir (the pair is made on first use,
        by whichever part of the platform needs it first)."""
        directory = audit_dir(self.settings)
        public_key = read_public_key(directory)
        if public_key is None:
            return load_or_create_signing_key(directory).public_pem
        return public_key_pem(public_key)

    def projected_position(self) -> int:
        """The position every projection has reached (the slowest one)."""
        return min(self.read_models.tracking(p.name).position for p in self.projections)

    async def wait_for_position(self, position: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if await asyncio.to_thread(self.projected_position) >= position:
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_POSITION_POLL_INTERVAL)

    def close(self) -> None:
        self.replays.close()
        self.accounts.close()
        self.vault.close()
        self.read_models.close()
        self.record.close()


def workflows_over(
    record: ProgrammeRecord, vault: PersonalDataVault, read_models: ReadModelDatabase
) -> dict[str, Any]:
    """The application services (commands) and read-model queries of every context, over one
    record and one read-model database: what the web app calls. Tests compose theirs with it
    too, so the wiring under test is this one."""
    cases = CaseService(record, vault)
    return {
        "cases": cases,
        "case_list": CaseListQueries(read_models),
        "network": NetworkOverviewQueries(read_models),
        "referrals": ReferralService(record, cases),
        "referral_board": ReferralBoardQueries(read_models),
        "housing": HousingService(record, cases),
        "housing_views": HousingQueries(read_models),
        "activities": ActivityService(record, cases),
        "activity_register": ActivityRegisterQueries(read_models),
        "finance": FinanceService(record),
        "finance_views": FinanceQueries(read_models),
        "indicators": IndicatorQueries(read_models),
    }


def replay_directory(settings: Settings) -> Path:
    """Where replayed read models are kept: beside the live ones, since they hold the same data."""
    directory = settings.data_dir / "replays"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def build_platform(settings: Settings) -> Platform:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    record = open_record(settings)
    vault = open_vault(settings)
    read_models = open_read_models(settings.database_url, settings.data_dir / "readmodels.sqlite")
    projections = default_projections()
    for projection in projections:
        ensure_created(read_models, projection)
    accounts = open_accounts(
        settings.database_url,
        settings.data_dir,
        clock=lambda: datetime.now(UTC),
        idle_timeout=timedelta(minutes=settings.session_idle_minutes),
        lifetime=timedelta(hours=settings.session_hours),
    )
    return Platform(
        settings=settings,
        record=record,
        vault=vault,
        read_models=read_models,
        projections=projections,
        accounts=accounts,
        audit_trail=EventBrowser(record, AuditChainStore(record).chain_hashes),
        # Beside the live read models: replayed ones hold the same (special-category) data.
        replays=ReplayCache(record, default_projections,
                            directory=replay_directory(settings)),
        **workflows_over(record, vault, read_models),
    )
