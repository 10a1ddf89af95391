"""Application service of budget and expenditure: allocations set by the ministry, claims
recorded by the cities and checked by the ministry. Each command returns the log position of
what it saved. Who may call which command (SET_ALLOCATIONS, RECORD_EXPENDITURE,
APPROVE_EXPENDITURE) is checked by the caller against domain.access.

Invariants are kept by optimistic concurrency: a command that lost a race to another save of the
same budget (IntegrityError, nothing written) loads it again and decides again, so a claim that
no longer fits the allocation is refused rather than saved on top of its rival."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.finance.model import (
    PROGRAMME_BUDGET_ID,
    BudgetBusy,
    CityBudget,
    ClaimDraft,
    ClaimNotFound,
    NoAllocation,
    ProgrammeBudget,
    city_budget_id,
)
from domain.programme import (
    Actor,
    CardTermsSource,
    City,
    SubAction,
    TermsSource,
    programme_today,
)
from domain.record import ProgrammeRecord, save_decided

# Budgets change at the pace of people's work: a few retries are plenty to tell a loser of a
# race the outcome rather than "busy".
_SAVE_ATTEMPTS = 8


class FinanceService:
    def __init__(self, record: ProgrammeRecord, terms: TermsSource | None = None) -> None:
        self.record = record
        # The programme's terms (the eligibility window, partner cities): the card's by default.
        self.terms = terms or CardTermsSource()

    def set_allocation(
        self, city: City, sub_action: SubAction, amount: Decimal, reason: str, actor: Actor,
        now: datetime,
    ) -> int:
        terms = self.terms.terms_in_force()
        if not terms.is_known(city):  # a city never admitted has no budget to allocate
            terms.require_partner(city, programme_today(now), field="city")

        def decide() -> list[Aggregate]:
            budget = self.budget(city) or CityBudget.open(city, actor, now)
            programme = self.programme() or ProgrammeBudget.open(now)
            budget.set_allocation(sub_action, amount, reason, actor, now)
            programme.count_allocation(city, sub_action, amount, now)
            # The city's (published) event last: its position is what a reader waits for.
            return [programme, budget]

        return self._saved(decide)

    def record_claim(self, claim_id: UUID, draft: ClaimDraft, actor: Actor,
                     now: datetime) -> int:
        terms = self.terms.terms_in_force()

        def decide() -> list[Aggregate]:
            budget = self.budget(draft.city)
            if budget is None:
                raise NoAllocation("The city has no allocation for this sub-action.",
                                   field="sub_action")
            budget.record_claim(claim_id, draft, actor, now, terms)
            return [budget]

        return self._saved(decide)

    def approve_claim(self, city: City, claim_id: UUID, actor: Actor, now: datetime) -> int:
        def decide() -> list[Aggregate]:
            budget = self._budget_with_claims(city)
            budget.approve_claim(claim_id, actor, now)
            return [budget]

        return self._saved(decide)

    def reject_claim(self, city: City, claim_id: UUID, reason: str, actor: Actor,
                     now: datetime) -> int:
        def decide() -> list[Aggregate]:
            budget = self._budget_with_claims(city)
            budget.reject_claim(claim_id, reason, actor, now)
            return [budget]

        return self._saved(decide)

    def budget(self, city: City) -> CityBudget | None:
        try:
            budget: object = self.record.repository.get(city_budget_id(city))
        except AggregateNotFoundError:
            return None
        assert isinstance(budget, CityBudget)
        return budget

    def programme(self) -> ProgrammeBudget | None:
        try:
            programme: object = self.record.repository.get(PROGRAMME_BUDGET_ID)
        except AggregateNotFoundError:
            return None
        assert isinstance(programme, ProgrammeBudget)
        return programme

    def _budget_with_claims(self, city: City) -> CityBudget:
        budget = self.budget(city)
        if budget is None:
            raise ClaimNotFound("The city has no claim with this id.", field="claim_id")
        return budget

    def _saved(self, decide: Callable[[], list[Aggregate]]) -> int:
        """Decide on freshly loaded aggregates and save them together; on a lost race, again."""
        return save_decided(self.record, decide, _SAVE_ATTEMPTS, lambda: BudgetBusy(
            "The budget kept changing: try again.", field="amount"))
