"""A city's budget and the programme's, as the mutation pass of issue 20 holds them
(docs/testing.md, "Finance pass"): every refusal with its code, field, parameters and message
(the message is what a person reads where the web has no translation for the error), each limit
at the limit and one past it, and every event a command records compared field by field.

Rules encoded (/work/shared/design/DOMAIN.md, "The programme"): the expenditure-eligibility
window is 2019-07-01 to 2021-12-31; the total financed is EUR 10,291,188.10, which the
allocations of all cities never exceed; "Expenditure": costs claimed by a city against its
allocation per sub-action, inside the window, checked by the ministry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.finance.model import (
    CENT,
    MAX_DOCUMENT_REFERENCE,
    MAX_REASON,
    PROGRAMME_BUDGET_ID,
    PROGRAMME_FINANCED,
    ZERO,
    AllocationBelowClaimed,
    BudgetBusy,
    CityBudget,
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
from domain.programme import CARD_TERMS, City, DomainError, Membership, NotAPartnerCity, SubAction
from tests.builders import NOW, a_coordinator, recorded
from tests.unit.test_finance_rules import HOUSING, MINISTRY, a_budget, a_draft, refused

COORDINATOR = a_coordinator()
LATER = datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
CLAIM = UUID(int=0xC1A1)
WINDOW = (
    "The cost must be dated within the eligibility window (2019-07-01 to 2021-12-31), "
    "and not in the future."
)
NO_ALLOCATION = "The city has no allocation for this sub-action."
REASON = "Give the reason, in up to 500 characters."


def said(error: DomainError) -> tuple[str, str, dict[str, Any]]:
    return error.code, error.message, error.params


# --- euros ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [5, 5.0, "5.00", None, Decimal("NaN"), Decimal("-Infinity")])
def test_an_amount_that_is_no_finite_decimal_is_refused_as_no_number(amount: Any) -> None:
    with pytest.raises(InvalidAmount) as raised:
        euros(amount, "allocation")
    assert said(raised.value) == (
        "invalid_amount",
        "The amount must be a number of euros.",
        {"field": "allocation"},
    )


@pytest.mark.parametrize(
    ("amount", "zero_allowed"),
    [(Decimal("0"), False), (Decimal("-0.01"), False), (Decimal("-0.01"), True)],
)
def test_an_amount_below_a_cent_is_refused_unless_zero_is_allowed(
    amount: Decimal, zero_allowed: bool
) -> None:
    with pytest.raises(InvalidAmount) as raised:
        euros(amount, zero_allowed=zero_allowed)
    assert said(raised.value) == (
        "invalid_amount",
        "The amount must be more than zero.",
        {"field": "amount"},
    )


def test_a_fraction_of_a_euro_is_an_amount_and_so_is_zero_where_allowed() -> None:
    assert euros(Decimal("0.50")) == Decimal("0.50")
    assert euros(Decimal("1")) == Decimal("1.00")
    assert euros(Decimal("0.00"), zero_allowed=True) == ZERO
    assert str(euros(Decimal("0"), zero_allowed=True)) == "0.00"
    assert CENT == Decimal("0.01")


def test_the_ceiling_is_the_financed_total_unless_another_is_given() -> None:
    """DOMAIN.md: total financed EUR 10,291,188.10."""
    assert euros(PROGRAMME_FINANCED) == Decimal("10291188.10")
    with pytest.raises(InvalidAmount) as raised:
        euros(PROGRAMME_FINANCED + CENT)
    assert said(raised.value) == (
        "invalid_amount",
        "The amount exceeds the programme's financed total.",
        {"field": "amount"},
    )
    assert euros(Decimal("100.00"), ceiling=Decimal("100.00")) == Decimal("100.00")
    with pytest.raises(InvalidAmount) as raised:
        euros(Decimal("100.01"), ceiling=Decimal("100.00"), over_ceiling="Too much.")
    assert said(raised.value) == ("invalid_amount", "Too much.", {"field": "amount"})


def test_a_third_decimal_is_refused_not_rounded() -> None:
    with pytest.raises(InvalidAmount) as raised:
        euros(Decimal("10.001"), "gross")
    assert said(raised.value) == (
        "invalid_amount",
        "The amount has more than two decimals.",
        {"field": "gross"},
    )
    assert euros(Decimal("10.010")) == Decimal("10.01")


# --- allocations ---------------------------------------------------------------------------------


def test_opening_a_budget_records_its_city_and_who_opened_it() -> None:
    budget = CityBudget.open(City.MILANO, MINISTRY, NOW)
    assert budget.id == city_budget_id(City.MILANO)
    assert recorded(budget) == [
        ("Opened", {"timestamp": NOW, "city": "milano", "actor": MINISTRY.as_record()})
    ]
    assert (budget.city, budget.allocations, budget.claims) == (City.MILANO, {}, {})


def test_an_allocation_records_the_city_sub_action_amount_reason_and_actor() -> None:
    budget = CityBudget.open(City.FIRENZE, MINISTRY, NOW)
    budget.collect_events()
    budget.set_allocation(HOUSING, Decimal("1234.5"), "  Decreto di riparto  ", MINISTRY, LATER)
    assert recorded(budget) == [
        (
            "AllocationSet",
            {
                "timestamp": LATER,
                "city": "firenze",
                "sub_action": "4",
                "amount": Decimal("1234.50"),
                "reason": "Decreto di riparto",
                "actor": MINISTRY.as_record(),
            },
        )
    ]
    assert budget.allocated(HOUSING) == Decimal("1234.50")


def test_a_sub_action_without_allocation_has_zero_allocated_claimed_and_remaining() -> None:
    budget = a_budget("5000.00")
    assert budget.allocated(SubAction.COMMUNICATION) == ZERO
    assert budget.claimed(SubAction.COMMUNICATION) == ZERO
    assert budget.remaining(SubAction.COMMUNICATION) == ZERO
    # Euros to the cent even where nothing was claimed (0.00, not the integer 0).
    assert str(budget.claimed(SubAction.COMMUNICATION)) == "0.00"
    assert str(budget.allocated(SubAction.COMMUNICATION)) == "0.00"


def test_what_is_claimed_counts_per_sub_action_and_remaining_is_allocated_less_claimed() -> None:
    budget = a_budget("5000.00")
    budget.set_allocation(SubAction.COMMUNICATION, Decimal("800.00"), "Riparto", MINISTRY, NOW)
    budget.record_claim(uuid4(), a_draft(amount=Decimal("1000.00")), COORDINATOR, NOW)
    budget.record_claim(
        uuid4(),
        a_draft(sub_action=SubAction.COMMUNICATION, amount=Decimal("300.00")),
        COORDINATOR,
        NOW,
    )
    assert (budget.claimed(HOUSING), budget.remaining(HOUSING)) == (
        Decimal("1000.00"),
        Decimal("4000.00"),
    )
    assert (budget.claimed(SubAction.COMMUNICATION), budget.remaining(SubAction.COMMUNICATION)) == (
        Decimal("300.00"),
        Decimal("500.00"),
    )


def test_an_allocation_below_what_is_claimed_is_refused_with_its_field_and_message() -> None:
    budget = a_budget("5000.00")
    budget.record_claim(uuid4(), a_draft(amount=Decimal("3000.00")), COORDINATOR, NOW)
    error = refused(
        budget,
        AllocationBelowClaimed,
        lambda: budget.set_allocation(HOUSING, Decimal("2999.99"), "Rimodulazione", MINISTRY, NOW),
    )
    assert said(error) == (
        "allocation_below_claimed",
        "The allocation cannot be less than what the city has already claimed for the "
        "sub-action (pending and approved claims).",
        {"field": "amount"},
    )
    budget.set_allocation(HOUSING, Decimal("3000.00"), "Rimodulazione", MINISTRY, NOW)
    assert budget.allocated(HOUSING) == Decimal("3000.00")


@pytest.mark.parametrize("reason", ["", "   ", None, "r" * (MAX_REASON + 1)])
def test_an_allocation_without_a_reason_of_up_to_500_characters_is_refused(reason: Any) -> None:
    budget = a_budget()
    error = refused(
        budget,
        InvalidReason,
        lambda: budget.set_allocation(HOUSING, Decimal("1.00"), reason, MINISTRY, NOW),
    )
    assert said(error) == ("invalid_reason", REASON, {"field": "reason"})


def test_an_allocation_s_reason_of_500_characters_is_kept_whole() -> None:
    budget = a_budget()
    budget.collect_events()
    budget.set_allocation(HOUSING, Decimal("1.00"), " " + "r" * MAX_REASON + " ", MINISTRY, NOW)
    ((_, fields),) = recorded(budget)
    assert fields["reason"] == "r" * 500 and MAX_REASON == 500


# --- claims --------------------------------------------------------------------------------------


def test_a_claim_records_every_field_of_its_draft_and_is_pending() -> None:
    budget = a_budget()
    budget.collect_events()
    budget.record_claim(
        CLAIM,
        a_draft(
            amount=Decimal("999.9"), document_reference=" PG/7 ", category=ExpenseCategory.STAFF
        ),
        COORDINATOR,
        LATER,
    )
    assert recorded(budget) == [
        (
            "ClaimRecorded",
            {
                "timestamp": LATER,
                "claim_id": CLAIM,
                "city": "firenze",
                "sub_action": "4",
                "category": "staff",
                "amount": Decimal("999.90"),
                "spent_on": date(2021, 3, 1),
                "document_reference": "PG/7",
                "actor": COORDINATOR.as_record(),
            },
        )
    ]
    claim = budget.claims[CLAIM]
    assert (
        claim.claim_id,
        claim.sub_action,
        claim.category,
        claim.amount,
        claim.spent_on,
        claim.document_reference,
        claim.status,
    ) == (
        CLAIM,
        HOUSING,
        ExpenseCategory.STAFF,
        Decimal("999.90"),
        date(2021, 3, 1),
        "PG/7",
        ClaimStatus.PENDING,
    )


def test_a_claim_of_another_city_is_refused_as_no_allocation() -> None:
    budget = a_budget()
    error = refused(
        budget,
        NoAllocation,
        lambda: budget.record_claim(uuid4(), a_draft(city=City.MILANO), COORDINATOR, NOW),
    )
    assert said(error) == ("no_allocation", NO_ALLOCATION, {"field": "sub_action"})


def test_a_claim_for_a_sub_action_never_allocated_is_refused_as_no_allocation() -> None:
    budget = a_budget()
    error = refused(
        budget,
        NoAllocation,
        lambda: budget.record_claim(
            uuid4(), a_draft(sub_action=SubAction.COMMUNICATION), COORDINATOR, NOW
        ),
    )
    assert said(error) == ("no_allocation", NO_ALLOCATION, {"field": "sub_action"})


def test_a_claim_id_already_recorded_is_refused() -> None:
    budget = a_budget()
    budget.record_claim(CLAIM, a_draft(amount=Decimal("1.00")), COORDINATOR, NOW)
    error = refused(
        budget,
        InvalidClaim,
        lambda: budget.record_claim(CLAIM, a_draft(amount=Decimal("1.00")), COORDINATOR, NOW),
    )
    assert said(error) == (
        "invalid_claim",
        "A claim with this id is already recorded.",
        {"field": "claim_id"},
    )


def test_a_claim_s_amount_is_checked_as_euros_in_its_field() -> None:
    budget = a_budget()
    error = refused(
        budget,
        InvalidAmount,
        lambda: budget.record_claim(uuid4(), a_draft(amount=Decimal("0")), COORDINATOR, NOW),
    )
    assert said(error) == (
        "invalid_amount",
        "The amount must be more than zero.",
        {"field": "amount"},
    )


@pytest.mark.parametrize(
    ("spent_on", "now"),
    [
        (date(2019, 6, 30), NOW),  # the day before the window
        (date(2022, 1, 1), datetime(2022, 2, 1, tzinfo=UTC)),  # the day after, claimed later
        (date(2021, 3, 11), NOW),  # tomorrow
    ],
)
def test_a_cost_outside_the_window_or_in_the_future_is_refused(
    spent_on: date, now: datetime
) -> None:
    budget = a_budget()
    error = refused(
        budget,
        OutsideEligibility,
        lambda: budget.record_claim(uuid4(), a_draft(spent_on=spent_on), COORDINATOR, now),
    )
    assert said(error) == (
        "outside_eligibility",
        WINDOW,
        {"field": "spent_on", "starts_on": date(2019, 7, 1), "ends_on": date(2021, 12, 31)},
    )


def test_a_cost_of_today_in_italy_and_of_the_window_s_first_and_last_days_is_eligible() -> None:
    budget = a_budget()
    late_evening = datetime(2021, 3, 10, 23, 30, tzinfo=UTC)  # 11 March in Italy
    budget.record_claim(
        uuid4(), a_draft(spent_on=date(2021, 3, 10), amount=Decimal("1")), COORDINATOR, NOW
    )
    budget.record_claim(
        uuid4(), a_draft(spent_on=date(2021, 3, 11), amount=Decimal("1")), COORDINATOR, late_evening
    )
    budget.record_claim(
        uuid4(), a_draft(spent_on=date(2019, 7, 1), amount=Decimal("1")), COORDINATOR, NOW
    )
    budget.record_claim(
        uuid4(),
        a_draft(spent_on=date(2021, 12, 31), amount=Decimal("1")),
        COORDINATOR,
        datetime(2022, 1, 5, tzinfo=UTC),
    )
    assert budget.claimed(HOUSING) == Decimal("4.00")


def test_the_window_is_the_one_in_the_terms_given() -> None:
    amended = replace(CARD_TERMS, period=replace(CARD_TERMS.period, ends_on=date(2022, 6, 30)))
    budget = a_budget()
    budget.record_claim(
        uuid4(),
        a_draft(spent_on=date(2022, 6, 30)),
        COORDINATOR,
        datetime(2022, 7, 1, tzinfo=UTC),
        amended,
    )
    error = refused(
        budget,
        OutsideEligibility,
        lambda: budget.record_claim(
            uuid4(),
            a_draft(spent_on=date(2022, 6, 30)),
            COORDINATOR,
            datetime(2022, 7, 1, tzinfo=UTC),
        ),
    )
    assert error.params["ends_on"] == date(2021, 12, 31)


def test_a_cost_dated_after_the_city_withdrew_is_refused_on_its_date() -> None:
    withdrawn = replace(
        CARD_TERMS,
        memberships={
            **CARD_TERMS.memberships,
            City.FIRENZE: (Membership(date(2019, 7, 1), date(2021, 3, 1)),),
        },
    )
    budget = a_budget()
    budget.record_claim(
        uuid4(),
        a_draft(spent_on=date(2021, 2, 28), amount=Decimal("1")),
        COORDINATOR,
        NOW,
        withdrawn,
    )
    error = refused(
        budget,
        NotAPartnerCity,
        lambda: budget.record_claim(
            uuid4(), a_draft(spent_on=date(2021, 3, 1)), COORDINATOR, NOW, withdrawn
        ),
    )
    assert (error.code, error.params) == (
        "not_a_partner_city",
        {"field": "spent_on", "city": "firenze", "on": date(2021, 3, 1)},
    )


@pytest.mark.parametrize("reference", ["", "   ", "R" * (MAX_DOCUMENT_REFERENCE + 1)])
def test_a_claim_without_a_document_reference_of_up_to_60_characters_is_refused(
    reference: str,
) -> None:
    budget = a_budget()
    error = refused(
        budget,
        InvalidClaim,
        lambda: budget.record_claim(
            uuid4(), a_draft(document_reference=reference), COORDINATOR, NOW
        ),
    )
    assert said(error) == (
        "invalid_claim",
        "Give the supporting document's reference (a protocol number), in up to 60 characters.",
        {"field": "document_reference"},
    )
    assert MAX_DOCUMENT_REFERENCE == 60


def test_a_claim_over_the_allocation_is_refused_and_one_up_to_it_recorded() -> None:
    budget = a_budget("5000.00")
    budget.record_claim(uuid4(), a_draft(amount=Decimal("4000.00")), COORDINATOR, NOW)
    error = refused(
        budget,
        OverAllocation,
        lambda: budget.record_claim(uuid4(), a_draft(amount=Decimal("1000.01")), COORDINATOR, NOW),
    )
    assert said(error) == (
        "over_allocation",
        "The claim would take the sub-action over the city's allocation.",
        {"field": "amount"},
    )
    budget.record_claim(uuid4(), a_draft(amount=Decimal("1000.00")), COORDINATOR, NOW)
    assert budget.remaining(HOUSING) == ZERO


def test_approving_a_claim_records_its_city_sub_action_amount_and_actor() -> None:
    budget = a_budget()
    budget.record_claim(CLAIM, a_draft(amount=Decimal("250.00")), COORDINATOR, NOW)
    budget.collect_events()
    budget.approve_claim(CLAIM, MINISTRY, LATER)
    assert recorded(budget) == [
        (
            "ClaimApproved",
            {
                "timestamp": LATER,
                "claim_id": CLAIM,
                "city": "firenze",
                "sub_action": "4",
                "amount": Decimal("250.00"),
                "actor": MINISTRY.as_record(),
            },
        )
    ]
    assert budget.claims[CLAIM].status is ClaimStatus.APPROVED
    assert budget.claimed(HOUSING) == Decimal("250.00")


def test_rejecting_a_claim_records_its_reason_and_frees_its_amount() -> None:
    budget = a_budget()
    budget.record_claim(CLAIM, a_draft(amount=Decimal("250.00")), COORDINATOR, NOW)
    budget.collect_events()
    budget.reject_claim(CLAIM, "  Fattura non intestata  ", MINISTRY, LATER)
    assert recorded(budget) == [
        (
            "ClaimRejected",
            {
                "timestamp": LATER,
                "claim_id": CLAIM,
                "city": "firenze",
                "sub_action": "4",
                "amount": Decimal("250.00"),
                "reason": "Fattura non intestata",
                "actor": MINISTRY.as_record(),
            },
        )
    ]
    assert budget.claims[CLAIM].status is ClaimStatus.REJECTED
    assert budget.claimed(HOUSING) == ZERO


@pytest.mark.parametrize("reason", ["", " ", "x" * 501])
def test_a_rejection_without_a_reason_of_up_to_500_characters_is_refused(reason: str) -> None:
    budget = a_budget()
    budget.record_claim(CLAIM, a_draft(), COORDINATOR, NOW)
    error = refused(
        budget, InvalidReason, lambda: budget.reject_claim(CLAIM, reason, MINISTRY, NOW)
    )
    assert said(error) == ("invalid_reason", REASON, {"field": "reason"})
    budget.reject_claim(CLAIM, "x" * 500, MINISTRY, NOW)


def test_deciding_an_unknown_or_decided_claim_is_refused_with_its_message() -> None:
    budget = a_budget()
    budget.record_claim(CLAIM, a_draft(), COORDINATOR, NOW)
    for command in (
        lambda: budget.approve_claim(uuid4(), MINISTRY, NOW),
        lambda: budget.reject_claim(uuid4(), "Doppia", MINISTRY, NOW),
    ):
        error = refused(budget, ClaimNotFound, command)
        assert said(error) == (
            "claim_not_found",
            "The city has no claim with this id.",
            {"field": "claim_id"},
        )
    budget.reject_claim(CLAIM, "Doppia", MINISTRY, NOW)
    for command in (
        lambda: budget.approve_claim(CLAIM, MINISTRY, NOW),
        lambda: budget.reject_claim(CLAIM, "Doppia", MINISTRY, NOW),
    ):
        error = refused(budget, ClaimNotPending, command)
        assert said(error) == (
            "claim_not_pending",
            "The claim has already been approved or rejected.",
            {"field": "claim_id"},
        )


# --- the programme's budget ----------------------------------------------------------------------


def test_the_programme_budget_opens_with_the_financed_total() -> None:
    programme = ProgrammeBudget.open(NOW)
    assert programme.id == PROGRAMME_BUDGET_ID
    assert recorded(programme) == [
        ("Opened", {"timestamp": NOW, "financed": Decimal("10291188.10")})
    ]
    assert (programme.financed, programme.allocated) == (PROGRAMME_FINANCED, ZERO)


def test_counting_an_allocation_records_the_city_sub_action_and_amount() -> None:
    programme = ProgrammeBudget.open(NOW)
    programme.collect_events()
    programme.count_allocation(City.ROMA, SubAction.COORDINATION, Decimal("12.5"), LATER)
    programme.count_allocation(City.ROMA, HOUSING, Decimal("0"), LATER)
    assert recorded(programme) == [
        (
            "AllocationCounted",
            {"timestamp": LATER, "city": "roma", "sub_action": "1", "amount": Decimal("12.50")},
        ),
        (
            "AllocationCounted",
            {"timestamp": LATER, "city": "roma", "sub_action": "4", "amount": Decimal("0.00")},
        ),
    ]
    assert programme.allocations == {"roma/1": Decimal("12.50"), "roma/4": Decimal("0.00")}


def test_the_allocations_may_reach_the_financed_total_and_not_a_cent_more() -> None:
    """DOMAIN.md: total financed EUR 10,291,188.10."""
    programme = ProgrammeBudget.open(NOW)
    programme.count_allocation(City.FIRENZE, HOUSING, Decimal("346000.00"), NOW)
    programme.count_allocation(City.ROMA, HOUSING, PROGRAMME_FINANCED - Decimal("346000.00"), NOW)
    programme.collect_events()
    with pytest.raises(ProgrammeOverFinanced) as raised:
        programme.count_allocation(City.MILANO, HOUSING, CENT, NOW)
    assert said(raised.value) == (
        "programme_over_financed",
        "The allocations of all cities would exceed the "
        "programme's financed total (EUR 10,291,188.10).",
        {"field": "amount"},
    )
    assert programme.collect_events() == []
    # Revising Florence's allocation replaces it: up by a cent is over, the same is not.
    with pytest.raises(ProgrammeOverFinanced):
        programme.count_allocation(City.FIRENZE, HOUSING, Decimal("346000.01"), NOW)
    programme.count_allocation(City.FIRENZE, HOUSING, Decimal("346000.00"), NOW)
    assert programme.allocated == PROGRAMME_FINANCED


def test_a_budget_busy_is_a_finance_error_with_its_own_code() -> None:
    assert BudgetBusy.code == "budget_busy" and issubclass(BudgetBusy, FinanceError)
    assert FinanceError.code == "finance_error"
