"""The rules of budget and expenditure, on the aggregates alone: amounts in euros with at most two
decimals, the eligibility window, claims only against an allocation and never over it,
revisions never below what is claimed, the programme's financed total, and the ministry's
decisions on pending claims only. A refused command records nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.finance.model import (
    FLORENCE_SHARE,
    PROGRAMME_FINANCED,
    PROGRAMME_TOTAL_COST,
    AllocationBelowClaimed,
    CityBudget,
    ClaimDraft,
    ClaimNotFound,
    ClaimNotPending,
    ClaimStatus,
    ExpenseCategory,
    FinanceError,
    InvalidAmount,
    InvalidClaim,
    InvalidReason,
    NoAllocation,
    OutsideEligibility,
    OverAllocation,
    ProgrammeBudget,
    ProgrammeOverFinanced,
    city_budget_id,
    euros,
)
from domain.programme import Actor, ActorKind, City, DomainError, Role, SubAction
from tests.builders import NOW, a_coordinator

MINISTRY = Actor(ActorKind.USER, "ministry", Role.MINISTRY)
HOUSING = SubAction.FAST_TRACK_HOUSING


def a_draft(**overrides: Any) -> ClaimDraft:
    values: dict[str, Any] = {
        "city": City.FIRENZE, "sub_action": HOUSING, "category": ExpenseCategory.HOUSING_COSTS,
        "amount": Decimal("1000.00"), "spent_on": date(2021, 3, 1),
        "document_reference": "PG/2021/0042",
    }
    values.update(overrides)
    return ClaimDraft(**values)


def a_budget(allocation: str = "5000.00") -> CityBudget:
    budget = CityBudget.open(City.FIRENZE, MINISTRY, NOW)
    budget.set_allocation(HOUSING, Decimal(allocation), "Decreto di riparto", MINISTRY, NOW)
    return budget


def claimed(budget: CityBudget, amount: str = "1000.00") -> UUID:
    claim_id = uuid4()
    budget.record_claim(claim_id, a_draft(amount=Decimal(amount)), a_coordinator(), NOW)
    return claim_id


def refused(budget: CityBudget, error: type[DomainError], command: Any) -> DomainError:
    budget.collect_events()  # what was decided before is not under test
    with pytest.raises(error) as raised:
        command()
    assert budget.collect_events() == []
    return raised.value


def test_the_programme_s_figures_are_the_card_s() -> None:
    assert PROGRAMME_TOTAL_COST == Decimal("11434653.45")
    assert PROGRAMME_FINANCED == Decimal("10291188.10")
    assert FLORENCE_SHARE == Decimal("346000.00")
    assert FLORENCE_SHARE < PROGRAMME_FINANCED < PROGRAMME_TOTAL_COST


@pytest.mark.parametrize("amount", ["0.001", "12.345", "1E-3", "NaN", "Infinity", "-1.00",
                                    "0", "0.00", "10291188.11", "1E+30"])
def test_an_amount_must_be_positive_euros_with_at_most_two_decimals(amount: str) -> None:
    with pytest.raises(InvalidAmount):
        euros(Decimal(amount))


def test_an_amount_is_kept_to_the_cent_never_rounded() -> None:
    assert str(euros(Decimal("1234.5"))) == "1234.50"
    assert str(euros(Decimal("7"))) == "7.00"
    assert str(euros(Decimal("0.10"))) == "0.10"
    assert euros(Decimal("0"), zero_allowed=True) == Decimal("0.00")


def test_a_budget_s_id_follows_from_its_city() -> None:
    assert city_budget_id(City.FIRENZE) == city_budget_id(City.FIRENZE)
    assert city_budget_id(City.FIRENZE) != city_budget_id(City.MILANO)
    assert CityBudget.open(City.MILANO, MINISTRY, NOW).id == city_budget_id(City.MILANO)


def test_a_claim_within_the_allocation_is_pending_and_counts_as_claimed() -> None:
    budget = a_budget("5000.00")
    first, second = claimed(budget, "1000.10"), claimed(budget, "3999.90")

    assert budget.claims[first].status is ClaimStatus.PENDING
    assert budget.claimed(HOUSING) == Decimal("5000.00")
    assert budget.remaining(HOUSING) == Decimal("0.00")
    assert budget.claims[second].amount == Decimal("3999.90")


def test_a_claim_over_the_allocation_is_refused_by_a_cent() -> None:
    budget = a_budget("5000.00")
    claimed(budget, "4000.00")
    budget.collect_events()

    error = refused(budget, OverAllocation,
                    lambda: budget.record_claim(uuid4(), a_draft(amount=Decimal("1000.01")),
                                                a_coordinator(), NOW))
    assert error.params["field"] == "amount"
    budget.record_claim(uuid4(), a_draft(amount=Decimal("1000.00")), a_coordinator(), NOW)


def test_a_rejected_claim_frees_its_amount_and_an_approved_one_keeps_it() -> None:
    budget = a_budget("2000.00")
    rejected, approved = claimed(budget, "1500.00"), claimed(budget, "500.00")
    budget.reject_claim(rejected, "Fattura non intestata al Comune", MINISTRY, NOW)
    budget.approve_claim(approved, MINISTRY, NOW)

    assert budget.claimed(HOUSING) == Decimal("500.00")
    claimed(budget, "1500.00")
    assert budget.remaining(HOUSING) == Decimal("0.00")


@pytest.mark.parametrize("spent_on", [date(2019, 6, 30), date(2022, 1, 1), date(2018, 1, 1)])
def test_a_cost_outside_the_eligibility_window_is_refused(spent_on: date) -> None:
    budget = a_budget()
    budget.collect_events()
    refused(budget, OutsideEligibility,
            lambda: budget.record_claim(uuid4(), a_draft(spent_on=spent_on), a_coordinator(),
                                        NOW))


def test_the_window_s_first_and_last_days_are_eligible_but_not_a_day_in_the_future() -> None:
    late = datetime(2022, 6, 1, tzinfo=UTC)
    budget = a_budget()
    budget.record_claim(uuid4(), a_draft(spent_on=date(2019, 7, 1), amount=Decimal("1")),
                        a_coordinator(), NOW)
    budget.record_claim(uuid4(), a_draft(spent_on=date(2021, 12, 31), amount=Decimal("1")),
                        a_coordinator(), late)
    budget.collect_events()
    # On 2021-03-10 (NOW), a cost of the 11th has not been incurred yet.
    refused(budget, OutsideEligibility,
            lambda: budget.record_claim(uuid4(), a_draft(spent_on=date(2021, 3, 11)),
                                        a_coordinator(), NOW))


def test_a_claim_for_a_sub_action_without_allocation_is_refused() -> None:
    budget = a_budget()
    budget.collect_events()
    error = refused(budget, NoAllocation, lambda: budget.record_claim(
        uuid4(), a_draft(sub_action=SubAction.COMMUNICATION), a_coordinator(), NOW))
    assert error.params["field"] == "sub_action"


@pytest.mark.parametrize("reference", ["", "   ", "X" * 61])
def test_a_claim_needs_a_document_reference_of_up_to_60_characters(reference: str) -> None:
    budget = a_budget()
    budget.collect_events()
    refused(budget, InvalidClaim, lambda: budget.record_claim(
        uuid4(), a_draft(document_reference=reference), a_coordinator(), NOW))


def test_a_claim_id_is_used_once() -> None:
    budget = a_budget()
    claim_id = claimed(budget, "10.00")
    budget.collect_events()
    refused(budget, InvalidClaim,
            lambda: budget.record_claim(claim_id, a_draft(), a_coordinator(), NOW))


def test_only_a_pending_claim_is_decided_and_a_rejection_says_why() -> None:
    budget = a_budget()
    claim_id = claimed(budget)
    budget.collect_events()
    refused(budget, InvalidReason, lambda: budget.reject_claim(claim_id, "  ", MINISTRY, NOW))
    refused(budget, ClaimNotFound, lambda: budget.approve_claim(uuid4(), MINISTRY, NOW))
    budget.approve_claim(claim_id, MINISTRY, NOW)
    budget.collect_events()

    refused(budget, ClaimNotPending, lambda: budget.approve_claim(claim_id, MINISTRY, NOW))
    refused(budget, ClaimNotPending,
            lambda: budget.reject_claim(claim_id, "Ripensamento", MINISTRY, NOW))
    assert budget.claims[claim_id].status is ClaimStatus.APPROVED


def test_an_allocation_is_never_revised_below_what_is_claimed() -> None:
    budget = a_budget("5000.00")
    claimed(budget, "3000.00")
    budget.collect_events()

    refused(budget, AllocationBelowClaimed, lambda: budget.set_allocation(
        HOUSING, Decimal("2999.99"), "Rimodulazione", MINISTRY, NOW))
    budget.set_allocation(HOUSING, Decimal("3000.00"), "Rimodulazione", MINISTRY, NOW)
    assert budget.allocated(HOUSING) == Decimal("3000.00")
    refused(budget, InvalidReason, lambda: budget.set_allocation(
        HOUSING, Decimal("4000.00"), "", MINISTRY, NOW))


def test_the_allocations_of_all_cities_never_exceed_the_financed_total() -> None:
    programme = ProgrammeBudget.open(NOW)
    programme.count_allocation(City.FIRENZE, HOUSING, FLORENCE_SHARE, NOW)
    rest = PROGRAMME_FINANCED - FLORENCE_SHARE
    programme.count_allocation(City.ROMA, SubAction.COORDINATION, rest, NOW)
    programme.collect_events()

    with pytest.raises(ProgrammeOverFinanced):
        programme.count_allocation(City.MILANO, HOUSING, Decimal("0.01"), NOW)
    assert programme.collect_events() == []
    # A revision replaces the city's allocation for the sub-action: lowering one makes room.
    programme.count_allocation(City.ROMA, SubAction.COORDINATION, rest - Decimal("0.01"), NOW)
    programme.count_allocation(City.MILANO, HOUSING, Decimal("0.01"), NOW)
    assert programme.allocated == PROGRAMME_FINANCED


def test_every_finance_error_is_a_domain_error_with_its_own_code() -> None:
    errors = [cls for cls in vars(__import__("domain.finance.model").finance.model).values()
              if isinstance(cls, type) and issubclass(cls, FinanceError)]
    assert len(errors) >= 12
    assert len({error.code for error in errors}) == len(errors)
    assert all(issubclass(error, DomainError) and error.__doc__ for error in errors)
