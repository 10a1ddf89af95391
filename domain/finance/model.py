"""Budget and expenditure: what the ministry allocates to each city per sub-action, the costs a
city claims against those allocations, and the ministry's check of each claim.

Money is `Decimal`, in euros with at most two decimals: an amount with more is refused, never
rounded, because the figures are reported to the EU and must add up to the cent.

One `CityBudget` per city holds both the city's allocations and its claims, so that "a claim
may not take a sub-action over its allocation" is decided inside one aggregate: two claims
decided at the same time on the same version cannot both be saved (optimistic concurrency), and
the loser decides again on the budget the winner left. One `ProgrammeBudget` for the network
holds every city's allocations, saved together with the city's budget whenever an allocation
changes, so that the allocations never add up to more than the programme's financed total."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.programme import (
    CARD_TERMS,
    Actor,
    City,
    DomainError,
    SubAction,
    TermsInForce,
    programme_today,
)

PROGRAMME_TOTAL_COST = Decimal("11434653.45")
PROGRAMME_FINANCED = Decimal("10291188.10")
FLORENCE_SHARE = Decimal("346000.00")
# The expenditure-eligibility window is the programme's period (as the ministry amends it: the
# terms in force): a cost is claimable only if incurred within it, by a partner city.
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_DOCUMENT_REFERENCE = 60
MAX_REASON = 500

# Budget ids follow from what they are the budget of, so that the first allocation of a city
# and a rival one cannot create two budgets: both would save version 1 of the same id.
_BUDGET_NAMESPACE = UUID("6f1c3a52-8d0e-5b7a-9c41-2e7d5a0b9f13")


def city_budget_id(city: City) -> UUID:
    return uuid5(_BUDGET_NAMESPACE, f"city-budget:{city.value}")


PROGRAMME_BUDGET_ID = uuid5(_BUDGET_NAMESPACE, "programme-budget")


class ExpenseCategory(StrEnum):
    STAFF = "staff"
    SERVICES = "services"
    HOUSING_COSTS = "housing_costs"
    GOODS = "goods"
    TRAVEL = "travel"
    OTHER = "other"


class ClaimStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class FinanceError(DomainError):
    """Raised when a command on the programme's budget breaks a rule of the programme."""

    code = "finance_error"


class InvalidAmount(FinanceError):
    """Raised when an amount is not a finite number of euros with at most two decimals, is not
    more than zero (zero allowed for allocations), or exceeds the programme's financed total."""

    code = "invalid_amount"


class OutsideEligibility(FinanceError):
    """Raised when a cost is dated outside the programme's period (the eligibility window,
    2019-07-01..2021-12-31 unless amended) or after today."""

    code = "outside_eligibility"


class NoAllocation(FinanceError):
    """Raised when a city claims against a sub-action it has no allocation for."""

    code = "no_allocation"


class OverAllocation(FinanceError):
    """Raised when a claim would take what the city claimed for a sub-action (pending and
    approved claims) over the sub-action's allocation."""

    code = "over_allocation"


class InvalidClaim(FinanceError):
    """Raised when a claim's document reference is missing or too long, or its id is taken."""

    code = "invalid_claim"


class ClaimNotFound(FinanceError):
    """Raised when a city's budget has no claim with the given id."""

    code = "claim_not_found"


class ClaimNotPending(FinanceError):
    """Raised when a claim already approved or rejected would be approved or rejected."""

    code = "claim_not_pending"


class InvalidReason(FinanceError):
    """Raised when a rejection or an allocation gives no reason, or one too long."""

    code = "invalid_reason"


class AllocationBelowClaimed(FinanceError):
    """Raised when an allocation would be revised below what the city already claimed for the
    sub-action (pending and approved claims)."""

    code = "allocation_below_claimed"


class ProgrammeOverFinanced(FinanceError):
    """Raised when the allocations of all cities would add up to more than the programme's
    financed total."""

    code = "programme_over_financed"


class BudgetBusy(FinanceError):
    """Raised when a budget kept changing under a command, attempt after attempt."""

    code = "budget_busy"


def euros(amount: Decimal, field: str = "amount", *, zero_allowed: bool = False,
          ceiling: Decimal = PROGRAMME_FINANCED,
          over_ceiling: str = "The amount exceeds the programme's financed total.") -> Decimal:
    """`amount` with exactly two decimals, once checked to be a sensible number of euros, at
    most `ceiling` (refused with `over_ceiling`). One with more decimals is refused rather than
    rounded: a claim is for what the document says."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidAmount("The amount must be a number of euros.", field=field)
    if amount < 0 or (amount == 0 and not zero_allowed):
        raise InvalidAmount("The amount must be more than zero.", field=field)
    # Checked before quantizing: a huge number would not fit the context's precision.
    if amount > ceiling:
        raise InvalidAmount(over_ceiling, field=field)
    exact = amount.quantize(CENT)
    if exact != amount:
        raise InvalidAmount("The amount has more than two decimals.", field=field)
    return exact


def _reason(text: str) -> str:
    reason = text.strip() if isinstance(text, str) else ""
    if not reason or len(reason) > MAX_REASON:
        raise InvalidReason("Give the reason, in up to 500 characters.", field="reason")
    return reason


@dataclass(frozen=True)
class ClaimDraft:
    """What a city gives to claim a cost."""

    city: City
    sub_action: SubAction
    category: ExpenseCategory
    amount: Decimal
    spent_on: date
    document_reference: str


@dataclass(frozen=True)
class Claim:
    claim_id: UUID
    sub_action: SubAction
    category: ExpenseCategory
    amount: Decimal
    spent_on: date
    document_reference: str
    status: ClaimStatus

    @property
    def counts_against_allocation(self) -> bool:
        return self.status is not ClaimStatus.REJECTED


class CityBudget(Aggregate):
    """One city's allocations per sub-action, and its expenditure claims against them."""

    class Opened(Aggregate.Created):
        city: str
        actor: dict[str, str | None]

    def __init__(self, city: str, actor: dict[str, str | None]) -> None:
        self.city = City(city)
        self.allocations: dict[SubAction, Decimal] = {}
        self.claims: dict[UUID, Claim] = {}

    @classmethod
    def open(cls, city: City, actor: Actor, now: datetime) -> CityBudget:
        return cls._create(cls.Opened, id=city_budget_id(city), timestamp=now, city=city.value,
                           actor=actor.as_record())

    def allocated(self, sub_action: SubAction) -> Decimal:
        return self.allocations.get(sub_action, ZERO)

    def claimed(self, sub_action: SubAction) -> Decimal:
        """Pending and approved claims: what the allocation must still cover."""
        return sum((c.amount for c in self.claims.values()
                    if c.sub_action is sub_action and c.counts_against_allocation), ZERO)

    def remaining(self, sub_action: SubAction) -> Decimal:
        return self.allocated(sub_action) - self.claimed(sub_action)

    class AllocationSet(Aggregate.Event):
        city: str
        sub_action: str
        amount: Decimal
        reason: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CityBudget)
            aggregate.allocations[SubAction(self.sub_action)] = self.amount

    def set_allocation(
        self, sub_action: SubAction, amount: Decimal, reason: str, actor: Actor, now: datetime
    ) -> None:
        """Set or revise the city's allocation for a sub-action; never below what is claimed."""
        exact = euros(amount, zero_allowed=True)
        why = _reason(reason)
        if exact < self.claimed(sub_action):
            raise AllocationBelowClaimed(
                "The allocation cannot be less than what the city has already claimed for the "
                "sub-action (pending and approved claims).",
                field="amount",
            )
        self.trigger_event(
            self.AllocationSet, timestamp=now, city=self.city.value,
            sub_action=sub_action.value, amount=exact, reason=why, actor=actor.as_record(),
        )

    class ClaimRecorded(Aggregate.Event):
        claim_id: UUID
        city: str
        sub_action: str
        category: str
        amount: Decimal
        spent_on: date
        document_reference: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CityBudget)
            aggregate.claims[self.claim_id] = Claim(
                claim_id=self.claim_id, sub_action=SubAction(self.sub_action),
                category=ExpenseCategory(self.category), amount=self.amount,
                spent_on=self.spent_on, document_reference=self.document_reference,
                status=ClaimStatus.PENDING,
            )

    def record_claim(self, claim_id: UUID, draft: ClaimDraft, actor: Actor,
                     now: datetime, terms: TermsInForce = CARD_TERMS) -> None:
        """Record a cost the city claims: every rule checked before anything is recorded. The
        cost is incurred within the eligibility window (the period in `terms`), by then, and
        while the city was a partner; the claim itself may come later (final statements are
        drawn up after the period)."""
        if draft.city != self.city:
            raise NoAllocation("The city has no allocation for this sub-action.",
                               field="sub_action")
        if claim_id in self.claims:
            raise InvalidClaim("A claim with this id is already recorded.", field="claim_id")
        amount = euros(draft.amount)
        period = terms.period
        if draft.spent_on not in period or draft.spent_on > programme_today(now):
            raise OutsideEligibility(
                f"The cost must be dated within the eligibility window ({period.starts_on} to "
                f"{period.ends_on}), and not in the future.",
                field="spent_on", starts_on=period.starts_on, ends_on=period.ends_on,
            )
        terms.require_partner(self.city, draft.spent_on, field="spent_on")
        reference = draft.document_reference.strip()
        if not reference or len(reference) > MAX_DOCUMENT_REFERENCE:
            raise InvalidClaim(
                "Give the supporting document's reference (a protocol number), in up to 60 "
                "characters.",
                field="document_reference",
            )
        if draft.sub_action not in self.allocations:
            raise NoAllocation("The city has no allocation for this sub-action.",
                               field="sub_action")
        if self.claimed(draft.sub_action) + amount > self.allocated(draft.sub_action):
            raise OverAllocation(
                "The claim would take the sub-action over the city's allocation.",
                field="amount",
            )
        self.trigger_event(
            self.ClaimRecorded, timestamp=now, claim_id=claim_id, city=self.city.value,
            sub_action=draft.sub_action.value, category=draft.category.value, amount=amount,
            spent_on=draft.spent_on, document_reference=reference, actor=actor.as_record(),
        )

    class ClaimApproved(Aggregate.Event):
        claim_id: UUID
        city: str
        sub_action: str
        amount: Decimal
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CityBudget)
            claim = aggregate.claims[self.claim_id]
            aggregate.claims[self.claim_id] = replace(claim, status=ClaimStatus.APPROVED)

    def approve_claim(self, claim_id: UUID, actor: Actor, now: datetime) -> None:
        claim = self._pending(claim_id)
        self.trigger_event(
            self.ClaimApproved, timestamp=now, claim_id=claim_id, city=self.city.value,
            sub_action=claim.sub_action.value, amount=claim.amount, actor=actor.as_record(),
        )

    class ClaimRejected(Aggregate.Event):
        claim_id: UUID
        city: str
        sub_action: str
        amount: Decimal
        reason: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CityBudget)
            claim = aggregate.claims[self.claim_id]
            aggregate.claims[self.claim_id] = replace(claim, status=ClaimStatus.REJECTED)

    def reject_claim(self, claim_id: UUID, reason: str, actor: Actor, now: datetime) -> None:
        claim = self._pending(claim_id)
        why = _reason(reason)
        self.trigger_event(
            self.ClaimRejected, timestamp=now, claim_id=claim_id, city=self.city.value,
            sub_action=claim.sub_action.value, amount=claim.amount, reason=why,
            actor=actor.as_record(),
        )

    def _pending(self, claim_id: UUID) -> Claim:
        claim = self.claims.get(claim_id)
        if claim is None:
            raise ClaimNotFound("The city has no claim with this id.", field="claim_id")
        if claim.status is not ClaimStatus.PENDING:
            raise ClaimNotPending(
                "The claim has already been approved or rejected.", field="claim_id"
            )
        return claim


class ProgrammeBudget(Aggregate):
    """The network's allocations, city by city and sub-action by sub-action: what keeps their
    sum within the programme's financed total. Its events are internal (never published): the
    published facts are the cities' `AllocationSet` events saved with them."""

    class Opened(Aggregate.Created):
        financed: Decimal

    def __init__(self, financed: Decimal) -> None:
        self.financed = financed
        self.allocations: dict[str, Decimal] = {}

    @classmethod
    def open(cls, now: datetime) -> ProgrammeBudget:
        return cls._create(cls.Opened, id=PROGRAMME_BUDGET_ID, timestamp=now,
                           financed=PROGRAMME_FINANCED)

    @property
    def allocated(self) -> Decimal:
        return sum(self.allocations.values(), ZERO)

    class AllocationCounted(Aggregate.Event):
        city: str
        sub_action: str
        amount: Decimal

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ProgrammeBudget)
            aggregate.allocations[f"{self.city}/{self.sub_action}"] = self.amount

    def count_allocation(
        self, city: City, sub_action: SubAction, amount: Decimal, now: datetime
    ) -> None:
        exact = euros(amount, zero_allowed=True)
        current = self.allocations.get(f"{city.value}/{sub_action.value}", ZERO)
        if self.allocated - current + exact > self.financed:
            raise ProgrammeOverFinanced(
                "The allocations of all cities would exceed the programme's financed total "
                "(EUR 10,291,188.10).",
                field="amount",
            )
        self.trigger_event(self.AllocationCounted, timestamp=now, city=city.value,
                           sub_action=sub_action.value, amount=exact)
