"""Budget and expenditure, as the cities and the ministry read them: per city and sub-action
what is allocated, claimed (pending and approved claims), approved, rejected and remaining
(allocated less claimed), each city's claims with their status, and the network's totals.

Amounts are stored as TEXT and summed in Python as Decimal, never as REAL: a float sum of cents
drifts. The network's totals are computed as the sum of the cities' figures (never from a table
of their own), so they always equal that sum."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import get_args
from uuid import UUID
from zoneinfo import ZoneInfo

from events.cloudevents import Envelope
from events.contracts import FOUNDING_CITIES
from events.finance import (
    BudgetAllocationSetV1,
    BudgetClaimApprovedV1,
    BudgetClaimRecordedV1,
    BudgetClaimRejectedV1,
    BudgetSubAction,
)
from projections.grant_finance import (
    FINANCE_PROJECTION,
    GrantClaimRow,
    GrantQueries,
    apply_grant,
    create_grant_tables,
    drop_grant_tables,
)
from projections.projection import WorkItem
from projections.storage.read_models import ReadModelDatabase, changes_in
from projections.storage.transaction import Transaction

CLAIM_PENDING = "pending"
CLAIM_APPROVED = "approved"
CLAIM_REJECTED = "rejected"
ZERO = Decimal("0.00")
SUB_ACTIONS: tuple[str, ...] = get_args(BudgetSubAction)
# The ministry's work queue (projections.projection.WorkItem): a claim awaits a decision from the
# moment it is recorded; a city is late with its reporting when a quarter in which the network
# reported spending (some city's claim spent in it) ended REPORTING_GRACE ago and the city, which
# has an allocation, recorded no claim of spending in it. Due at the end of the grace.
CLAIM_AWAITING_DECISION = "claim_awaiting_decision"
REPORTING_LATE = "reporting_late"
REPORTING_GRACE = timedelta(days=30)
_ITALY = ZoneInfo("Europe/Rome")


@dataclass(frozen=True)
class BudgetLine:
    """One sub-action's figures (or, with `sub_action` None, the sum of the lines)."""

    sub_action: str | None
    allocated: Decimal
    claimed: Decimal
    """Pending and approved claims: what the allocation must cover."""
    approved: Decimal
    pending: Decimal
    rejected: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.allocated - self.claimed


def _sum_lines(sub_action: str | None, lines: Iterable[BudgetLine]) -> BudgetLine:
    chosen = list(lines)
    return BudgetLine(
        sub_action=sub_action,
        allocated=sum((line.allocated for line in chosen), ZERO),
        claimed=sum((line.claimed for line in chosen), ZERO),
        approved=sum((line.approved for line in chosen), ZERO),
        pending=sum((line.pending for line in chosen), ZERO),
        rejected=sum((line.rejected for line in chosen), ZERO),
    )


@dataclass(frozen=True)
class ClaimRow:
    claim_id: UUID
    city: str
    sub_action: str
    category: str
    amount: Decimal
    spent_on: date
    document_reference: str
    status: str
    recorded_at: datetime
    recorded_by: str
    decided_at: datetime | None
    decided_by: str | None
    rejection_reason: str | None

    @property
    def is_pending(self) -> bool:
        return self.status == CLAIM_PENDING


@dataclass(frozen=True)
class CityFinance:
    city: str
    lines: tuple[BudgetLine, ...]
    """One per sub-action with an allocation or a claim, in sub-action order."""
    claims: tuple[ClaimRow, ...]
    """The latest first."""

    @property
    def total(self) -> BudgetLine:
        return _sum_lines(None, self.lines)

    def line(self, sub_action: str) -> BudgetLine:
        return next((line for line in self.lines if line.sub_action == sub_action),
                    BudgetLine(sub_action, ZERO, ZERO, ZERO, ZERO, ZERO))


@dataclass(frozen=True)
class NetworkFinance:
    cities: tuple[CityFinance, ...]
    """Every city of the network, in alphabetical order of slug, with or without figures."""

    def by_sub_action(self) -> tuple[BudgetLine, ...]:
        """Each sub-action's figures over the cities: the sum of the cities' lines."""
        return tuple(
            _sum_lines(sub_action, (city.line(sub_action) for city in self.cities))
            for sub_action in SUB_ACTIONS
        )

    @property
    def total(self) -> BudgetLine:
        """The network's figures: the sum of the cities' totals."""
        return _sum_lines(None, (city.total for city in self.cities))

    def pending_claims(self) -> tuple[ClaimRow, ...]:
        """Every city's pending claims, the oldest first: the ministry's queue."""
        pending = [claim for city in self.cities for claim in city.claims if claim.is_pending]
        return tuple(sorted(pending, key=lambda claim: claim.recorded_at))


class FinanceProjection:
    name = FINANCE_PROJECTION

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_finance_allocations ("
            " city TEXT NOT NULL, sub_action TEXT NOT NULL, allocated TEXT NOT NULL,"
            " last_position BIGINT NOT NULL, PRIMARY KEY (city, sub_action))"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_finance_claims ("
            " claim_id TEXT PRIMARY KEY, city TEXT NOT NULL, sub_action TEXT NOT NULL,"
            " category TEXT NOT NULL, amount TEXT NOT NULL, spent_on TEXT NOT NULL,"
            " document_reference TEXT NOT NULL, status TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL, decided_at TEXT,"
            " decided_by TEXT, rejection_reason TEXT, last_position BIGINT NOT NULL)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_finance_claims_city"
            " ON rm_finance_claims (city, recorded_at)"
        )
        create_grant_tables(tx)

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_finance_allocations")
        tx.execute("DROP TABLE IF EXISTS rm_finance_claims")
        drop_grant_tables(tx)

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        # Budget events are few (people's work, not bulk imports): one at a time is plenty.
        for envelope in envelopes:
            data, position = envelope.data, envelope.position
            match data:
                case BudgetAllocationSetV1():
                    tx.execute(
                        "INSERT INTO rm_finance_allocations (city, sub_action, allocated,"
                        " last_position) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (city, sub_action) DO UPDATE SET"
                        " allocated = excluded.allocated,"
                        " last_position = excluded.last_position",
                        (data.city, data.sub_action, data.amount, position),
                    )
                case BudgetClaimRecordedV1():
                    tx.execute(
                        "INSERT INTO rm_finance_claims (claim_id, city, sub_action, category,"
                        " amount, spent_on, document_reference, status, recorded_at,"
                        " recorded_by, decided_at, decided_by, rejection_reason,"
                        " last_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL,"
                        " NULL, ?) ON CONFLICT (claim_id) DO NOTHING",
                        (str(data.claim_id), data.city, data.sub_action, data.category,
                         data.amount, data.spent_on.isoformat(), data.document_reference,
                         CLAIM_PENDING, envelope.time.isoformat(), envelope.actor.id,
                         position),
                    )
                case BudgetClaimApprovedV1():
                    self._decide(tx, envelope, data.claim_id, CLAIM_APPROVED, None)
                case BudgetClaimRejectedV1():
                    self._decide(tx, envelope, data.claim_id, CLAIM_REJECTED, data.reason)
                case _:
                    # The grant's budget and claims (issue 13): tables of their own.
                    apply_grant(tx, envelope)

    @staticmethod
    def _decide(tx: Transaction, envelope: Envelope, claim_id: UUID, status: str,
                reason: str | None) -> None:
        tx.execute(
            "UPDATE rm_finance_claims SET status = ?, decided_at = ?, decided_by = ?,"
            " rejection_reason = ?, last_position = ? WHERE claim_id = ?",
            (status, envelope.time.isoformat(), envelope.actor.id, reason, envelope.position,
             str(claim_id)),
        )


_CLAIM_COLUMNS = (
    "claim_id, city, sub_action, category, amount, spent_on, document_reference, status,"
    " recorded_at, recorded_by, decided_at, decided_by, rejection_reason"
)


class FinanceQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def city(self, city: str) -> CityFinance:
        with self.database.reading() as tx:
            return city_finance_in(tx, city)

    def network(self) -> NetworkFinance:
        with self.database.reading() as tx:
            return network_finance_in(tx)

    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        """The ministry's items for `city`: its claims awaiting a decision (due from when they
        were recorded), and its latest quarter of late reporting, if any (see REPORTING_LATE),
        when due by `until`."""
        with self.database.reading() as tx:
            pending = tx.fetchall(
                "SELECT claim_id, recorded_at FROM rm_finance_claims WHERE city = ? AND status = ?"
                " ORDER BY recorded_at", (city, CLAIM_PENDING))
            allocated = tx.fetchone(
                "SELECT 1 FROM rm_finance_allocations WHERE city = ? LIMIT 1", (city,))
            spent = tx.fetchall("SELECT city, spent_on FROM rm_finance_claims")
        items = [WorkItem(CLAIM_AWAITING_DECISION, city, datetime.fromisoformat(r[1]), None,
                          None, UUID(r[0])) for r in pending]
        if allocated is not None and spent:
            network = {_quarter_of(date.fromisoformat(r[1])) for r in spent}
            reported = {_quarter_of(date.fromisoformat(r[1])) for r in spent if r[0] == city}
            for quarter in sorted(network - reported, reverse=True):
                due = _end_of_quarter(quarter) + REPORTING_GRACE
                if due <= until:
                    items.append(WorkItem(REPORTING_LATE, city, due, None, None, None))
                    break
        return items

    def claim(self, claim_id: UUID) -> ClaimRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone(
                f"SELECT {_CLAIM_COLUMNS} FROM rm_finance_claims WHERE claim_id = ?",
                (str(claim_id),),
            )
        if row is not None:
            return _claim_of(row)
        return _grant_claim_as_row(GrantQueries(self.database).claim(claim_id))


    def claim_for_documents(self, claim_id: UUID) -> ClaimRow | None:
        """A claim as the documents pages read it (what they attach an invoice or a proof of
        payment to): a city's, of either model, or a national partner's claim of the grant's
        model, whose `city` is `network`."""
        claim = self.claim(claim_id)
        if claim is not None:
            return claim
        return _grant_claim_as_row(GrantQueries(self.database).claim(claim_id), partners=True)


def _grant_claim_as_row(claim: GrantClaimRow | None, partners: bool = False) -> ClaimRow | None:
    """A city's claim of the grant's model (issue 13) as the documents pages read a claim: what
    they attach an invoice or a proof of payment to. A national partner's has no city: only
    with `partners`, as `network`'s."""
    if claim is None or (claim.city == "network" and not partners):
        return None
    return ClaimRow(
        claim_id=claim.claim_id, city=claim.city, sub_action=claim.sub_action,
        category=claim.heading, amount=claim.eligible_amount, spent_on=claim.document_date,
        document_reference=f"CUP {claim.cup}", status=claim.state,
        recorded_at=claim.drafted_at, recorded_by=claim.drafted_by, decided_at=None,
        decided_by=None, rejection_reason=None)


def _quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _end_of_quarter(quarter: tuple[int, int]) -> datetime:
    """The last instant of the quarter, in Italy."""
    year, number = quarter
    start_of_next = date(year + 1, 1, 1) if number == 4 else date(year, number * 3 + 1, 1)
    return datetime.combine(start_of_next, time(), _ITALY) - timedelta(microseconds=1)


def city_finance_in(tx: Transaction, city: str) -> CityFinance:
    """`FinanceQueries.city` within `tx`: in one read with other read models' figures."""
    allocations = tx.fetchall(
        "SELECT city, sub_action, allocated FROM rm_finance_allocations WHERE city = ?",
        (city,),
    )
    claims = tx.fetchall(
        f"SELECT {_CLAIM_COLUMNS} FROM rm_finance_claims WHERE city = ?"
        " ORDER BY recorded_at DESC, claim_id", (city,),
    )
    return _city_finance(city, allocations, [_claim_of(row) for row in claims])


def finance_version_in(tx: Transaction) -> int | None:
    """What changes whenever the finance read model does, the grant's included
    (projections.kept): the position of the batch this projection last wrote in (`rm_changes`)."""
    return changes_in(tx).get(FINANCE_PROJECTION)


def network_finance_in(tx: Transaction) -> NetworkFinance:
    """`FinanceQueries.network` within `tx`: in one read with other read models' figures."""
    allocations = tx.fetchall("SELECT city, sub_action, allocated FROM rm_finance_allocations")
    claims = tx.fetchall(
        f"SELECT {_CLAIM_COLUMNS} FROM rm_finance_claims ORDER BY recorded_at DESC, claim_id"
    )
    rows = [_claim_of(row) for row in claims]
    return NetworkFinance(cities=tuple(
        _city_finance(
            city, [row for row in allocations if row[0] == city],
            [claim for claim in rows if claim.city == city],
        )
        for city in sorted({*FOUNDING_CITIES, *(str(row[0]) for row in allocations),
                            *(claim.city for claim in rows)})
    ))


def _city_finance(
    city: str, allocations: Sequence[tuple[object, ...]], claims: Sequence[ClaimRow]
) -> CityFinance:
    allocated = {str(row[1]): Decimal(str(row[2])) for row in allocations}
    sub_actions = sorted(set(allocated) | {claim.sub_action for claim in claims})

    def total(sub_action: str, *statuses: str) -> Decimal:
        return sum((claim.amount for claim in claims
                    if claim.sub_action == sub_action and claim.status in statuses), ZERO)

    lines = tuple(
        BudgetLine(
            sub_action=sub_action,
            allocated=allocated.get(sub_action, ZERO),
            claimed=total(sub_action, CLAIM_PENDING, CLAIM_APPROVED),
            approved=total(sub_action, CLAIM_APPROVED),
            pending=total(sub_action, CLAIM_PENDING),
            rejected=total(sub_action, CLAIM_REJECTED),
        )
        for sub_action in sub_actions
    )
    return CityFinance(city=city, lines=lines, claims=tuple(claims))


def _claim_of(row: tuple[object, ...]) -> ClaimRow:
    (claim_id, city, sub_action, category, amount, spent_on, reference, status, recorded_at,
     recorded_by, decided_at, decided_by, reason) = row
    return ClaimRow(
        claim_id=UUID(str(claim_id)), city=str(city), sub_action=str(sub_action),
        category=str(category), amount=Decimal(str(amount)),
        spent_on=date.fromisoformat(str(spent_on)), document_reference=str(reference),
        status=str(status), recorded_at=datetime.fromisoformat(str(recorded_at)),
        recorded_by=str(recorded_by),
        decided_at=datetime.fromisoformat(str(decided_at)) if decided_at else None,
        decided_by=str(decided_by) if decided_by else None,
        rejection_reason=str(reason) if reason else None,
    )
