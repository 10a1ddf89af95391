"""A city's budget at its edges (issue 20): the eligibility window's last day and the day after,
an allocation of zero, a claim put to another city's budget. (domain/finance is being rewritten
for co-beneficiaries, headings and claims with evidence: its full mutation pass follows that.)"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.finance.model import (
    PROGRAMME_FINANCED,
    InvalidAmount,
    InvalidClaim,
    InvalidReason,
    NoAllocation,
    OutsideEligibility,
    OverAllocation,
    ProgrammeBudget,
    euros,
)
from domain.programme import City
from tests.builders import NOW, a_coordinator, recorded
from tests.unit.test_finance_rules import HOUSING, MINISTRY, a_budget, a_draft, refused

A_YEAR_AFTER_THE_END = datetime(2022, 12, 1, tzinfo=UTC)


def test_a_cost_of_the_day_after_the_window_is_refused_even_when_claimed_later() -> None:
    """Not as a future cost: as one outside the window (2019-07-01 to 2021-12-31)."""
    budget = a_budget()
    error = refused(budget, OutsideEligibility, lambda: budget.record_claim(
        uuid4(), a_draft(spent_on=date(2022, 1, 1)), a_coordinator(), A_YEAR_AFTER_THE_END))
    assert error.params == {"field": "spent_on", "starts_on": date(2019, 7, 1),
                            "ends_on": date(2021, 12, 31)}
    assert error.code == "outside_eligibility"


def test_an_allocation_may_be_zero_and_then_no_cost_is_claimed_against_it() -> None:
    budget = a_budget("0")
    ((name, fields),) = recorded(budget)[-1:]
    assert (name, fields["amount"], fields["sub_action"], fields["city"]) == (
        "AllocationSet", Decimal("0"), HOUSING.value, "firenze")
    assert budget.allocated(HOUSING) == Decimal("0")
    error = refused(budget, OverAllocation, lambda: budget.record_claim(
        uuid4(), a_draft(amount=Decimal("0.01")), a_coordinator(), NOW))
    assert error.params["field"] == "amount"
    programme = ProgrammeBudget.open(NOW)
    programme.count_allocation(City.FIRENZE, HOUSING, Decimal("0"), NOW)
    assert programme.allocated == Decimal("0")


def test_a_claim_for_another_city_is_not_put_to_this_city_s_budget() -> None:
    budget = a_budget()
    error = refused(budget, NoAllocation, lambda: budget.record_claim(
        uuid4(), a_draft(city=City.MILANO), a_coordinator(City.MILANO), NOW))
    assert (error.code, error.params["field"]) == ("no_allocation", "sub_action")
    assert budget.claimed(HOUSING) == Decimal("0")


def test_an_amount_may_be_the_financed_total_and_not_a_cent_more() -> None:
    assert euros(PROGRAMME_FINANCED) == Decimal("10291188.10")
    with pytest.raises(InvalidAmount) as refused:
        euros(PROGRAMME_FINANCED + Decimal("0.01"), "allocation")
    assert (refused.value.code, refused.value.params["field"]) == ("invalid_amount", "allocation")
    assert euros(Decimal("0.01")) == Decimal("0.01")
    assert euros(Decimal("0"), zero_allowed=True) == Decimal("0.00")


def test_a_document_reference_may_have_60_characters_and_not_61() -> None:
    budget = a_budget()
    budget.collect_events()
    budget.record_claim(uuid4(), a_draft(document_reference=" " + "R" * 60 + " "),
                        a_coordinator(), NOW)
    ((name, fields),) = recorded(budget)
    assert (name, fields["document_reference"]) == ("ClaimRecorded", "R" * 60)
    error = refused(budget, InvalidClaim, lambda: budget.record_claim(
        uuid4(), a_draft(document_reference="R" * 61), a_coordinator(), NOW))
    assert (error.code, error.params["field"]) == ("invalid_claim", "document_reference")


def test_an_allocation_s_reason_may_have_500_characters_and_not_501() -> None:
    budget = a_budget()
    budget.set_allocation(HOUSING, Decimal("1"), "r" * 500, MINISTRY, NOW)
    error = refused(budget, InvalidReason, lambda: budget.set_allocation(
        HOUSING, Decimal("1"), "r" * 501, MINISTRY, NOW))
    assert (error.code, error.params["field"]) == ("invalid_reason", "reason")
