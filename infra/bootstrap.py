"""The composition root: builds the platform's parts from the settings, once, in one place.

What differs between a deployment and a test is a parameter of `build_platform`, never a second
declaration of the platform: the clock, where new ids come from, how the read models follow the
record (the projector, fed by the relay over NATS; or caught up in-process, with no bus), and
the accounts' password hasher. Everything else comes from the settings (the stores, the
read-your-writes timeout, secure cookies)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, cast
from uuid import UUID, uuid4

from argon2 import PasswordHasher

from domain.activities.service import ActivityService
from domain.amendments.service import ProgrammeTermsService
from domain.assignment.model import CityStaff
from domain.assignment.service import AssignmentAtIntake, AssignmentService
from domain.cases.service import CaseService, Checkpoint
from domain.deliveries.service import DeliveryService
from domain.documents.service import DocumentRules, DocumentService
from domain.finance.grant import GrantTerms
from domain.finance.grant_service import GrantService
from domain.finance.service import FinanceService
from domain.households.service import HouseholdService
from domain.housing.service import HousingService
from domain.identity.model import PersonIndex
from domain.identity.service import IdentityService
from domain.notes.service import NoteService
from domain.organisations.service import OrganisationService
from domain.plans.service import PlanService
from domain.record import ProgrammeRecord
from domain.referrals.service import ReferralService
from domain.vault import PersonalDataVault
from infra.audit.chain_store import AuditChainStore
from infra.audit.checkpoints import (
    audit_dir,
    load_or_create_signing_key,
    public_key_pem,
    read_public_key,
)
from infra.audit.event_browser import EventBrowser
from infra.document_sources import CaseFactsFromCases, ClaimsFromFinance, EvidenceFromDocuments
from infra.faults import crash_at
from infra.nats.credentials import public_nats_hosts
from infra.outages import is_outage
from infra.pipeline.replay import AsOfServices, ReplayCache
from infra.pipeline.status import PIPELINE
from infra.position_watch import PositionWatch
from infra.publishing.messages import PUBLIC_TOPICS, to_message
from infra.readiness import check_readiness
from infra.settings import Settings
from infra.store.accounts import Accounts, open_accounts
from infra.store.accounts.throttle import SignInThrottle
from infra.store.eventstore import open_record
from infra.store.keyless import KeylessPersonIndex, KeylessVault
from infra.store.person_index import open_person_index
from infra.store.vault import open_vault
from projections.activities import ActivityRegisterQueries
from projections.assignment import DEFAULT_INACTIVE_AFTER, AssignmentQueries
from projections.case_list import CaseListQueries
from projections.deliveries import DeliveryQueries
from projections.documents import DocumentQueries
from projections.finance import FinanceQueries
from projections.grant_finance import GrantQueries
from projections.households import HouseholdQueries
from projections.housing import HousingQueries
from projections.indicators import IndicatorQueries
from projections.indicators.households import HouseholdSizeQueries
from projections.network_overview import NetworkOverviewQueries
from projections.notes import CaseNotesQueries
from projections.organisations import OrganisationQueries
from projections.person_links import PersonLinksQueries
from projections.plans import PlanQueries
from projections.projection import (
    Delivered,
    Projection,
    WorkItemSource,
    apply_batch,
    ensure_created,
)
from projections.referrals import ReferralBoardQueries
from projections.registry import default_projections
from projections.storage.read_models import ReadModelDatabase, open_read_models
from projections.work_queue import DEFAULT_HORIZON, CityWorkQueues, NetworkWorkQueue
from web.kit.views_delay import note_wait
from web.services import PartHealth, WebServices

_POSITION_POLL_INTERVAL = 0.005
# While the views are known to lag, a write waits this long at most instead of the whole
# read-your-writes timeout (issue 17: 3 s per request while NATS was down).
_WAIT_WHILE_DELAYED = 0.1
_NOTIFICATIONS_PER_CATCH_UP_BATCH = 500

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class Follow(Enum):
    """How the read models come to show what the record holds."""

    PROJECTOR = "projector"
    """The projector (infra.pipeline.projector) applies what the relay published on NATS."""
    IN_PROCESS = "in_process"
    """Caught up from the record itself whenever a write waits for them: no bus (tests)."""


class Follower(Protocol):
    async def wait_for_position(self, position: int, timeout: float) -> bool:
        """True once every projection has applied the event at `position`; False when
        `timeout` seconds passed first."""
        ...

    def views_delayed(self) -> bool:
        """Whether the read models are known to lag behind the writes."""
        ...


def projected_position(read_models: ReadModelDatabase, projections: Sequence[Projection]) -> int:
    """The position every projection has reached (the slowest one's), read in one query."""
    trackings = read_models.trackings([p.name for p in projections])
    return min(tracking.position for tracking in trackings.values())


@dataclass
class ProjectorFollower:
    """Waits for the projector, which runs elsewhere, to move the tracking positions: one shared
    watch polls them for every waiting request (infra/position_watch.py). Once a wait gave up,
    the views are delayed until they reach the position it waited for: meanwhile every wait
    gives up after _WAIT_WHILE_DELAYED, so that writes are answered at once."""

    read_models: ReadModelDatabase
    projections: Sequence[Projection]
    # The highest position a wait gave up on, while the views have not reached it.
    _gave_up_at: int | None = None

    def __post_init__(self) -> None:
        self._watch = PositionWatch(
            lambda: projected_position(self.read_models, self.projections),
            interval=_POSITION_POLL_INTERVAL,
        )

    async def wait_for_position(self, position: int, timeout: float) -> bool:
        if self.views_delayed() or PIPELINE.nats_down_since is not None:
            timeout = min(timeout, _WAIT_WHILE_DELAYED)
        if await self._watch.wait(position, timeout):
            self._caught_up_to(position)
            return True
        self._gave_up_at = max(self._gave_up_at or 0, position)
        return False

    def views_delayed(self) -> bool:
        if self._gave_up_at is None:
            return PIPELINE.nats_down_since is not None
        try:
            self._caught_up_to(projected_position(self.read_models, self.projections))
        except Exception as error:
            if not is_outage(error):
                raise
        return self._gave_up_at is not None or PIPELINE.nats_down_since is not None

    def _caught_up_to(self, reached: int) -> None:
        if self._gave_up_at is not None and reached >= self._gave_up_at:
            self._gave_up_at = None


@dataclass
class InProcessFollower:
    """Brings the read models up to date from the notification log directly, mapping each event
    as the relay publishes it, whenever a write waits for them. `following = False` makes them
    lag forever: what a page shows while the projector is behind."""

    record: ProgrammeRecord
    read_models: ReadModelDatabase
    projections: Sequence[Projection]
    following: bool = True
    _catching_up: threading.Lock = field(default_factory=threading.Lock)

    async def wait_for_position(self, position: int, timeout: float) -> bool:
        try:
            if self.following:
                self.catch_up()
            return projected_position(self.read_models, self.projections) >= position
        except Exception as error:
            if not is_outage(error):
                raise
            return False  # saved all the same: see ProjectorFollower

    def views_delayed(self) -> bool:
        # Pages shown while the tests hold the views back (`following = False`) stay as they
        # are: the banner is for the projector's lag, which this follower does not have.
        return False

    def catch_up(self) -> None:
        """Apply every public event not yet applied, in notification order, as the projector
        would apply what the relay published (the notification id stands for the stream seq)."""
        with self._catching_up:
            applied = min(self.read_models.tracking(p.name).stream_seq for p in self.projections)
            while True:
                notifications = self.record.recorder.select_notifications(
                    applied + 1, _NOTIFICATIONS_PER_CATCH_UP_BATCH, topics=PUBLIC_TOPICS
                )
                if not notifications:
                    return
                batch = [
                    Delivered(stream_seq=n.id, envelope=to_message(n, self.record.mapper).envelope)
                    for n in notifications
                ]
                for projection in self.projections:
                    apply_batch(self.read_models, projection, batch)
                applied = notifications[-1].id


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
    deliveries: DeliveryService
    delivery_register: DeliveryQueries
    finance: FinanceService
    finance_views: FinanceQueries
    grants: GrantService
    grant_views: GrantQueries
    indicators: IndicatorQueries
    programme_terms: ProgrammeTermsService
    plans: PlanService
    plan_views: PlanQueries
    documents: DocumentService
    document_views: DocumentQueries
    households: HouseholdService
    household_views: HouseholdQueries
    household_sizes: HouseholdSizeQueries
    notes: NoteService
    notes_views: CaseNotesQueries
    assignments: AssignmentService
    assignment_views: AssignmentQueries
    work_queues: CityWorkQueues
    ministry_queue: NetworkWorkQueue
    person_links: PersonLinksQueries
    organisations: OrganisationService
    organisation_views: OrganisationQueries
    person_index: PersonIndex
    identity: IdentityService
    accounts: Accounts
    audit_trail: EventBrowser
    replays: ReplayCache
    clock: Clock
    ids: Callable[[], UUID]
    follower: Follower
    read_your_writes_timeout: float
    secure_cookies: bool

    def as_of(self, moment: datetime) -> WebServices:
        """The platform with every read model as it was at `moment`, replayed from the record
        (infra.replay); for reading only."""
        read_models = self.replays.read_models_as_of(moment)
        as_of = AsOfServices(
            self, moment, workflows_over(self.record, self.vault, read_models, as_of=moment,
                                         document_rules=self.documents.rules,
                                         grant=self.grants.grant,
                                         staff=self.accounts,
                                         inactive_after=inactive_after(self.settings),
                                         horizon=work_queue_horizon(self.settings)))
        return cast(WebServices, as_of)  # every attribute it lacks is the live platform's

    def is_outage(self, error: BaseException) -> bool:
        return is_outage(error)

    def now(self) -> datetime:
        return self.clock()

    def new_id(self) -> UUID:
        return self.ids()

    def nats_hosts(self) -> tuple[str, str]:
        return public_nats_hosts(self.settings)

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
        return projected_position(self.read_models, self.projections)

    async def wait_for_position(self, position: int, timeout: float) -> bool:
        reached = await self.follower.wait_for_position(position, timeout)
        note_wait(reached)
        return reached

    def views_delayed(self) -> bool:
        return self.follower.views_delayed()

    async def readiness(self) -> list[PartHealth]:
        # A platform whose read models follow the record in-process (tests) has no bus to check.
        return await check_readiness(self, bus=not isinstance(self.follower, InProcessFollower))

    def last_written_position(self) -> int | None:
        """The notification log's end: unchanged means nothing was written."""
        return self.record.recorder.max_notification_id()

    def close(self) -> None:
        self.replays.close()
        self.accounts.close()
        self.person_index.close()
        self.vault.close()
        self.read_models.close()
        self.record.close()


class NoCityStaff:
    """A CityStaff port that knows nobody (a composition without accounts: nobody can be
    assigned a case)."""

    def is_city_staff(self, username: str, city: Any) -> bool:
        return False


def inactive_after(settings: Settings) -> timedelta:
    return timedelta(days=settings.inactive_case_days)


def work_queue_horizon(settings: Settings) -> timedelta:
    return timedelta(days=settings.work_queue_days)


def grant_terms(settings: Settings) -> GrantTerms:
    """The grant's rates and the admissions a second ministry user confirms, as configured."""
    return GrantTerms(co_financing_rate=settings.finance_co_financing_rate,
                      indirect_rate=settings.finance_indirect_rate,
                      confirmation_threshold=settings.finance_confirmation_threshold)


def workflows_over(
    record: ProgrammeRecord, vault: PersonalDataVault, read_models: ReadModelDatabase,
    as_of: datetime | None = None, *, document_rules: DocumentRules | None = None,
    staff: CityStaff | None = None,
    inactive_after: timedelta = DEFAULT_INACTIVE_AFTER, horizon: timedelta = DEFAULT_HORIZON,
    grant: GrantTerms | None = None,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """The application services (commands) and read-model queries of every context, over one
    record and one read-model database: what the web app calls. Tests compose theirs with it
    too, so the wiring under test is this one. Every service reads the programme's terms in
    force (period, partner cities, answer times) from the one terms service; `as_of`: the
    terms as they were then (as-of pages read, never write)."""
    terms = ProgrammeTermsService(record, as_of=as_of)
    staff = staff or NoCityStaff()
    organisations = OrganisationService(record)
    cases = CaseService(record, vault, terms, intake_companion=AssignmentAtIntake(staff),
                        organisations=organisations.get, checkpoint=checkpoint or crash_at(None))
    finance = FinanceService(record, terms)
    # The grant's budget and claims (issue 13): rates and threshold from the settings.
    grants = GrantService(record, EvidenceFromDocuments(record), terms, grant)
    rules = document_rules or DocumentRules()
    households = HouseholdService(record, cases)
    case_list = CaseListQueries(read_models)
    referral_board = ReferralBoardQueries(read_models)
    housing_views = HousingQueries(read_models)
    finance_views = FinanceQueries(read_models)
    assignment_views = AssignmentQueries(read_models, inactive_after)
    plan_views = PlanQueries(read_models)
    document_views = DocumentQueries(read_models, rules.expiry_warning_days)
    notes_views = CaseNotesQueries(read_models)
    person_links = PersonLinksQueries(read_models)
    # The work queue's sources: every read model with due things for a city's staff. A new
    # capability with due things adds its queries here (docs/workflows/casework.md).
    city_work: list[WorkItemSource] = [
        referral_board, housing_views, case_list, assignment_views, plan_views, notes_views,
        document_views, person_links,
    ]
    # The ministry's: claims awaiting a decision, cities late with their reporting.
    ministry_work: list[WorkItemSource] = [finance_views]
    return {
        "cases": cases,
        "case_list": case_list,
        "network": NetworkOverviewQueries(read_models),
        "referrals": ReferralService(record, cases, terms, organisations=organisations.get),
        "referral_board": referral_board,
        "housing": HousingService(record, cases, terms, households=households),
        "housing_views": housing_views,
        "activities": ActivityService(record, cases, terms),
        "activity_register": ActivityRegisterQueries(read_models),
        "deliveries": DeliveryService(record, cases, terms),
        "delivery_register": DeliveryQueries(read_models),
        "finance": finance,
        "finance_views": finance_views,
        "grants": grants,
        "grant_views": GrantQueries(read_models),
        "indicators": IndicatorQueries(read_models),
        "programme_terms": terms,
        "plans": PlanService(record, vault, cases, terms),
        "plan_views": plan_views,
        "documents": DocumentService(
            record, vault, CaseFactsFromCases(cases), ClaimsFromFinance(finance, grants),
            rules),
        "document_views": document_views,
        "households": households,
        "household_views": HouseholdQueries(read_models),
        "household_sizes": HouseholdSizeQueries(read_models),
        "notes": NoteService(record, vault, cases),
        "notes_views": notes_views,
        "assignments": AssignmentService(record, cases, staff),
        "assignment_views": assignment_views,
        "work_queues": CityWorkQueues(city_work, assignment_views, horizon),
        "ministry_queue": NetworkWorkQueue(
            ministry_work, lambda: [c.value for c in terms.terms_in_force().known_cities],
            horizon),
        "person_links": person_links,
        "organisations": organisations,
        "organisation_views": OrganisationQueries(read_models),
    }


def replay_directory(settings: Settings) -> Path:
    """Where replayed read models are kept: beside the live ones, since they hold the same data."""
    directory = settings.data_dir / "replays"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def build_platform(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    ids: Callable[[], UUID] = uuid4,
    follow: Follow = Follow.PROJECTOR,
    password_hasher: PasswordHasher | None = None,
    vault_keys: bool = True,
) -> Platform:
    """The platform over the stores `settings` name. `password_hasher`: the accounts' (None: the
    argon2 defaults). `vault_keys=False`: for a part that never reads a person's data (relay,
    projector), which then neither needs nor loads the vault's keys (infra.store.keyless)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    record = open_record(settings)
    vault: PersonalDataVault = open_vault(settings) if vault_keys else KeylessVault()
    person_index: PersonIndex = (open_person_index(settings) if vault_keys
                                 else KeylessPersonIndex())
    read_models = open_read_models(settings.database_url, settings.data_dir / "readmodels.sqlite")
    projections = default_projections()
    for projection in projections:
        ensure_created(read_models, projection)
    accounts = open_accounts(
        settings.database_url,
        settings.data_dir,
        clock=clock,
        idle_timeout=timedelta(minutes=settings.session_idle_minutes),
        lifetime=timedelta(hours=settings.session_hours),
        password_hasher=password_hasher,
        # Per-address limits only where the address is the client's (behind named proxies).
        throttle=SignInThrottle(per_address=bool(settings.trusted_proxy_list)),
        second_factor_required=settings.second_factor == "required",
    )
    follower: Follower = (
        InProcessFollower(record, read_models, projections) if follow is Follow.IN_PROCESS
        else ProjectorFollower(read_models, projections)
    )
    workflows = workflows_over(
        record, vault, read_models, document_rules=DocumentRules(
            max_bytes=settings.document_max_bytes,
            expiry_warning_days=settings.document_expiry_warning_days),
        staff=accounts, inactive_after=inactive_after(settings),
        horizon=work_queue_horizon(settings), grant=grant_terms(settings),
        checkpoint=crash_at(settings.fault_crash_at))
    return Platform(
        settings=settings,
        record=record,
        vault=vault,
        person_index=person_index,
        identity=IdentityService(record, person_index, workflows["cases"], vault),
        read_models=read_models,
        projections=projections,
        accounts=accounts,
        audit_trail=EventBrowser(record, AuditChainStore(record).chain_hashes),
        # Beside the live read models: replayed ones hold the same (special-category) data.
        replays=ReplayCache(record, default_projections,
                            directory=replay_directory(settings)),
        clock=clock,
        ids=ids,
        follower=follower,
        read_your_writes_timeout=settings.read_your_writes_timeout,
        secure_cookies=settings.secure_cookies is True,
        **workflows,
    )
