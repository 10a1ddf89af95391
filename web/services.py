"""What the web app needs from the platform. The composition root (infra.bootstrap) provides it;
the web layer never builds infrastructure itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from domain.access import Permission, Principal
from domain.activities.service import ActivityService
from domain.amendments.service import ProgrammeTermsService
from domain.assignment.service import AssignmentService
from domain.cases.service import CaseService
from domain.deliveries.service import DeliveryService
from domain.documents.service import DocumentService
from domain.finance.grant_service import GrantService
from domain.finance.service import FinanceService
from domain.households.service import HouseholdService
from domain.housing.service import HousingService
from domain.identity.service import IdentityService
from domain.notes.service import NoteService
from domain.organisations.service import OrganisationService
from domain.plans.service import PlanService
from domain.programme import City
from domain.referrals.service import ReferralService
from domain.vault import IdentifierAccess
from projections.activities import ActivityRegisterQueries
from projections.assignment import AssignmentQueries
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
from projections.referrals import ReferralBoardQueries
from projections.work_queue import CityWorkQueues, NetworkWorkQueue


@dataclass(frozen=True)
class PartHealth:
    """One part of the platform as readiness sees it (web.kit.health)."""

    name: str
    ok: bool
    detail: str


class SignedInSession(Protocol):
    @property
    def token(self) -> str:
        """The value of the session cookie."""

    @property
    def principal(self) -> Principal: ...

    @property
    def csrf_token(self) -> str:
        """What every unsafe request made in this session must carry."""

    @property
    def must_enrol_second_factor(self) -> bool:
        """True while the session may only set up its person's second factor."""


class SecondFactorState(Protocol):
    @property
    def enrolled_at(self) -> datetime: ...
    @property
    def recovery_codes_left(self) -> int: ...


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


class StaffMember(Protocol):
    """A city's operator or coordinator, as the accounts know them (infra.accounts.User)."""

    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...


class AccountsPort(Protocol):
    """Sign-in, sessions, partner tokens and grants (infra.accounts.Accounts)."""

    def sign_in(self, username: str, password: str, client_address: str | None) -> SignedInSession:
        """A new session; raises domain.access.SignInThrottled or SignInRefused."""

    def session(self, token: str, *, activity: bool = True) -> SignedInSession | None:
        """The live session with this token, or None; keeps it from idling out, unless
        `activity` is False (a request a page made by itself)."""

    def sign_out(self, token: str) -> None: ...

    def complete_sign_in(self, ticket: str, code: str,
                         client_address: str | None) -> SignedInSession:
        """The session of a pending sign-in, given a right code of the second factor; raises
        domain.access.SecondFactorRefused or SignInThrottled."""

    def second_factor(self, username: str) -> SecondFactorState | None:
        """The person's second factor, or None when they have none."""

    def enrol_second_factor(self, username: str, secret: str, code: str) -> list[str]:
        """Set up a second factor given a current code; the recovery codes, shown once."""

    def change_password(
        self, username: str, current: str, new: str, *, client_address: str | None,
        keep_session: str | None = None,
    ) -> None:
        """Replace a user's password given the current one, ending their other sessions;
        raises domain.access.PasswordChangeRefused or SignInThrottled."""

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

    def city_staff(self, city: City) -> Sequence[StaffMember]:
        """The enabled operators and coordinators of `city`: who may hold its cases."""


class IdentifierAccessLog(Protocol):
    """The vault's log of who read which identifiers (domain.vault.PersonalDataVault)."""

    def accesses(self, limit: int = 200, offset: int = 0) -> list[IdentifierAccess]:
        """The log, most recent first."""


@dataclass(frozen=True)
class EventFilters:
    """What the auditors' event browser narrows the record to; None means any."""

    city: str | None = None
    event_type: str | None = None
    actor: str | None = None  # an actor's id (username) or role
    case_code: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # inclusive
    oldest_first: bool = False


@dataclass(frozen=True)
class BrowsedEvent:
    """One event of the record as published: its CloudEvent attributes, data and chain hash."""

    id: str
    source: str
    type: str
    subject: str
    time: datetime
    position: int
    actor_kind: str
    actor_id: str
    actor_role: str
    actor_city: str | None
    data: dict[str, Any]
    case_code: str | None  # the case to follow from here, if the event concerns one
    chain_seq: int | None  # None until the audit chain covers the event
    chain_hash: str | None


@dataclass(frozen=True)
class EventPage:
    events: tuple[BrowsedEvent, ...]
    page: int
    page_size: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total


class AuditTrail(Protocol):
    """The event store, as auditors browse it (infra.event_browser.EventBrowser)."""

    def events(self, filters: EventFilters, page: int, page_size: int) -> EventPage: ...


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
    deliveries: DeliveryService
    delivery_register: DeliveryQueries
    finance: FinanceService
    finance_views: FinanceQueries
    grants: GrantService
    """The grant's budget and claims (issue 13)."""
    grant_views: GrantQueries
    indicators: IndicatorQueries
    notes: NoteService
    """Case notes: their texts to and from the vault, their facts to the record."""
    notes_views: CaseNotesQueries
    programme_terms: ProgrammeTermsService
    """The programme's terms in force (as of the viewed moment, on as-of pages) and the
    ministry's decisions on them."""
    plans: PlanService
    """Individual plans: their commands, and their texts from the vault (for the staff of the
    case's city only)."""
    plan_views: PlanQueries
    documents: DocumentService
    """Files attached to cases and claims: kept in the vault, every reading logged."""
    document_views: DocumentQueries
    households: HouseholdService
    household_views: HouseholdQueries
    household_sizes: HouseholdSizeQueries
    """Figures by household size, from the household links."""
    assignments: AssignmentService
    assignment_views: AssignmentQueries
    work_queues: CityWorkQueues
    ministry_queue: NetworkWorkQueue
    identity: IdentityService
    """The duplicate check at intake and the decisions on possible matches (domain.identity)."""
    person_links: PersonLinksQueries
    """Possible and confirmed matches, people counted once, case codes for the search box."""
    organisations: OrganisationService
    """The partner organisations a city registers (domain.organisations)."""
    organisation_views: OrganisationQueries

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

    def is_outage(self, error: BaseException) -> bool:
        """Whether `error` says a store or the message bus is out (unreachable, read-only,
        full), to be answered 503 (web.kit.outages), not a mistake in code."""

    def new_id(self) -> UUID: ...

    def projected_position(self) -> int:
        """The position every projection of the live read models has reached (the slowest
        one's): what the live dashboards watch."""

    async def wait_for_position(self, position: int, timeout: float) -> bool:
        """Wait until every projection has applied the event at `position` (the value a save
        returned). True when it has; False when `timeout` seconds passed first, or at once
        while the views are known to be delayed (`views_delayed`)."""

    def views_delayed(self) -> bool:
        """Whether the read models are known to lag (a wait gave up and they have not caught up
        since, or NATS is down): pages say so, and writes do not wait for them."""

    async def readiness(self) -> list[PartHealth]:
        """The store, the vault, NATS, the relay's and the projector's lag (web.kit.health)."""

    @property
    def audit_trail(self) -> AuditTrail: ...

    def nats_hosts(self) -> tuple[str, str]:
        """The `host:port` of the platform's and of the partners' NATS (the AsyncAPI servers)."""

    def audit_public_key(self) -> str:
        """The PEM public key the audit chain's checkpoints are signed with (docs/audit.md)."""

    def as_of(self, moment: datetime) -> WebServices:
        """The same services with every read model as it was at `moment` (computed by replaying
        the record up to it). Only for reading: its write services must not be used."""
