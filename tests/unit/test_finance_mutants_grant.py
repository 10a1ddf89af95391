"""The grant's budget as the mutation pass of issue 20 holds it (docs/testing.md, "Finance
pass"): every refusal of an adoption, a transfer and a payment with its code, field, parameters
and message; each limit at the limit and one past it; every event compared field by field.

Rules encoded (/work/shared/design/DOMAIN.md, "Finance as an EU grant is run" and "The
programme"): every partner is a co-beneficiary with a budget per sub-action and cost heading;
indirect costs are a flat rate on direct costs; financed = total × co-financing rate (90%);
total cost EUR 11,434,653.45, Florence's share EUR 346,000.00."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

import pytest

from domain.finance.grant import (
    GRANT_BUDGET_ID,
    MAX_ACT_REFERENCE,
    MAX_PAYMENT_REFERENCE,
    BudgetFigures,
    BudgetTotalsWrong,
    CostHeading,
    GrantBudget,
    GrantTerms,
    InvalidActReference,
    InvalidPaymentReference,
    LineKey,
    NoBudgetAdopted,
    PaymentRefused,
    TransferReason,
    TransferRefused,
    UnknownCoBeneficiary,
    check_budget,
    euros_text,
    grant_euros,
    is_national_partner,
    lines_of,
    payment_ceiling,
)
from domain.finance.model import FLORENCE_SHARE, PROGRAMME_TOTAL_COST, FinanceError, InvalidAmount
from domain.programme import CARD_TERMS, SubAction
from tests.builders import NOW, recorded
from tests.unit.test_grant_payments import MINISTRY, SMALL, TODAY, pay, refused, small_budget

SA4, SA1 = SubAction.FAST_TRACK_HOUSING, SubAction.COORDINATION
LATER = datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
SERVICES = LineKey("firenze", SA4, CostHeading.SERVICES)
STAFF = LineKey("firenze", SA4, CostHeading.STAFF)
ACT = "Give the reference (protocol number) of the ministry's act, in up to 60 characters."
NO_BUDGET = ("no_budget_adopted", "No budget has been adopted yet.", {"field": "amount"})
PAYMENT_REFERENCE = (
    "invalid_payment_reference",
    "Give the payment's reference (the payment "
    "order number): up to 40 letters, digits and / . _ -, with a digit and no "
    "spaces.",
    {"field": "reference"},
)


def said(error: FinanceError) -> tuple[str, str, dict[str, Any]]:
    return error.code, error.message, error.params


def adopted() -> GrantBudget:
    budget = small_budget()
    budget.collect_events()
    return budget


# --- amounts -------------------------------------------------------------------------------------


def test_a_grant_amount_may_be_ten_times_the_action_and_not_a_cent_more() -> None:
    ceiling = PROGRAMME_TOTAL_COST * 10
    assert grant_euros(ceiling) == Decimal("114346534.50")
    with pytest.raises(InvalidAmount) as raised:
        grant_euros(ceiling + Decimal("0.01"), "gross_amount")
    assert said(raised.value) == (
        "invalid_amount",
        "The amount is larger than the whole action.",
        {"field": "gross_amount"},
    )
    with pytest.raises(InvalidAmount) as raised:
        grant_euros(Decimal("0"))
    assert said(raised.value) == (
        "invalid_amount",
        "The amount must be more than zero.",
        {"field": "amount"},
    )
    assert grant_euros(Decimal("0"), zero_allowed=True) == Decimal("0.00")


@pytest.mark.parametrize("text", ["١٢٣.٠٠", "12,50", "1.2.3", "", "  ", "1e3", "-1", None])
def test_an_amount_written_otherwise_than_ascii_digits_and_a_dot_is_refused(text: Any) -> None:
    with pytest.raises(InvalidAmount) as raised:
        euros_text(text, "line")
    assert said(raised.value) == (
        "invalid_amount",
        "Write the amount as euros with ASCII digits, such as 1234.50.",
        {"field": "line"},
    )


def test_an_amount_written_in_digits_is_read_with_its_checks() -> None:
    assert euros_text(" 12.5 ") == Decimal("12.50")
    assert euros_text(".5") == Decimal("0.50") and euros_text("7.") == Decimal("7.00")
    with pytest.raises(InvalidAmount) as raised:
        euros_text("0")
    assert said(raised.value) == (
        "invalid_amount",
        "The amount must be more than zero.",
        {"field": "amount"},
    )
    assert euros_text("0.00", zero_allowed=True) == Decimal("0.00")
    with pytest.raises(InvalidAmount) as raised:
        euros_text("1.005", "line")
    assert raised.value.params == {"field": "line"}


# --- lines and figures ---------------------------------------------------------------------------


def test_a_line_key_is_written_and_read_as_a_record() -> None:
    record = SERVICES.as_record()
    assert record == {"co_beneficiary": "firenze", "sub_action": "4", "heading": "services"}
    assert LineKey.from_record(record) == SERVICES
    assert LineKey.from_record({**record, "amount": "1.00"}) == SERVICES


def test_lines_from_rows_add_up_a_repeated_line() -> None:
    lines = lines_of(
        [
            ("firenze", "4", "services", Decimal("10.00")),
            ("firenze", "4", "staff", Decimal("1.00")),
            ("firenze", "4", "services", Decimal("2.50")),
        ]
    )
    assert lines == {SERVICES: Decimal("12.50"), STAFF: Decimal("1.00")}


def test_figures_add_direct_costs_per_co_beneficiary_and_indirect_costs_on_each() -> None:
    figures = BudgetFigures(
        {
            SERVICES: Decimal("300.00"),
            STAFF: Decimal("100.00"),
            LineKey("anci", SA1, CostHeading.TRAVEL): Decimal("0.15"),
            LineKey("ministry", SA1, CostHeading.STAFF): Decimal("0.14"),
        }
    )
    assert figures.direct() == Decimal("400.29")
    assert figures.direct("firenze") == Decimal("400.00")
    assert figures.direct("cittalia") == Decimal("0.00")
    assert figures.co_beneficiary_total("firenze", Decimal("0.07")) == Decimal("428.00")
    # Each co-beneficiary's indirect costs truncated on its own: 0.01 + 0.00, not 0.02.
    assert figures.total(Decimal("0.07")) == Decimal("428.00") + Decimal("0.16") + Decimal("0.14")
    assert figures.co_beneficiaries() == ("anci", "firenze", "ministry")
    assert BudgetFigures({}).total(Decimal("0.07")) == Decimal("0.00")


def test_the_national_partners_are_no_cities() -> None:
    assert [
        is_national_partner(who)
        for who in ("ministry", "cittalia", "anci", "anci_comunicare", "firenze", "network")
    ] == [True, True, True, True, False, False]


# --- adoption ------------------------------------------------------------------------------------


def test_an_adoption_records_the_lines_sorted_their_total_the_act_and_who() -> None:
    budget = GrantBudget.open(NOW)
    assert (
        budget.id
        == GRANT_BUDGET_ID
        == uuid5(UUID("6f1c3a52-8d0e-5b7a-9c41-2e7d5a0b9f13"), "grant-budget")
    )
    assert recorded(budget) == [("Opened", {"timestamp": NOW})]
    assert (budget.lines, budget.adoptions, budget.paid, budget.payment_references) == (
        {},
        0,
        {},
        set(),
    )
    budget.adopt(
        {
            STAFF: Decimal("100"),
            LineKey("ministry", SA1, CostHeading.STAFF): Decimal("600.00"),
            SERVICES: Decimal("300.00"),
            LineKey("anci", SA1, CostHeading.TRAVEL): Decimal("0"),
        },
        "  PROT/2019/1  ",
        date(2019, 7, 1),
        SMALL,
        CARD_TERMS,
        MINISTRY,
        LATER,
    )
    assert recorded(budget) == [
        (
            "Adopted",
            {
                "timestamp": LATER,
                "lines": [
                    {
                        "co_beneficiary": "anci",
                        "sub_action": "1",
                        "heading": "travel",
                        "amount": "0",
                    },
                    {
                        "co_beneficiary": "firenze",
                        "sub_action": "4",
                        "heading": "services",
                        "amount": "300.00",
                    },
                    {
                        "co_beneficiary": "firenze",
                        "sub_action": "4",
                        "heading": "staff",
                        "amount": "100",
                    },
                    {
                        "co_beneficiary": "ministry",
                        "sub_action": "1",
                        "heading": "staff",
                        "amount": "600.00",
                    },
                ],
                "total_cost": Decimal("1070.00"),
                "act_reference": "PROT/2019/1",
                "adopted_on": date(2019, 7, 1),
                "actor": MINISTRY.as_record(),
            },
        )
    ]
    assert budget.lines[STAFF] == Decimal("100.00")
    assert (GrantBudget.Adopted.city, GrantBudget.Adopted.subject) == ("network", "grant-budget")


def test_a_new_adoption_replaces_every_line_and_is_counted() -> None:
    budget = adopted()
    budget.adopt(
        {LineKey("ministry", SA1, CostHeading.STAFF): Decimal("1000.00")},
        "P/2",
        date(2020, 1, 1),
        SMALL,
        CARD_TERMS,
        MINISTRY,
        NOW,
    )
    assert budget.lines == {LineKey("ministry", SA1, CostHeading.STAFF): Decimal("1000.00")}
    assert budget.adoptions == 2


@pytest.mark.parametrize("reference", ["", "  ", None, "P" * (MAX_ACT_REFERENCE + 1)])
def test_an_adoption_without_an_act_of_up_to_60_characters_is_refused(reference: Any) -> None:
    budget = GrantBudget.open(NOW)
    error = refused(
        InvalidActReference,
        lambda: budget.adopt(
            {SERVICES: Decimal("1000.00")},
            reference,
            date(2019, 7, 1),
            SMALL,
            CARD_TERMS,
            MINISTRY,
            NOW,
        ),
        budget,
    )
    assert said(error) == ("invalid_act_reference", ACT, {"field": "act_reference"})


def test_an_act_reference_of_60_characters_is_kept() -> None:
    budget = GrantBudget.open(NOW)
    budget.collect_events()
    budget.adopt(
        {SERVICES: Decimal("1000.00")}, "P" * 60, date(2019, 7, 1), SMALL, CARD_TERMS, MINISTRY, NOW
    )
    ((_, fields),) = recorded(budget)
    assert fields["act_reference"] == "P" * 60 and MAX_ACT_REFERENCE == 60


def test_a_line_of_no_co_beneficiary_is_refused_naming_it() -> None:
    budget = GrantBudget.open(NOW)
    error = refused(
        UnknownCoBeneficiary,
        lambda: budget.adopt(
            {LineKey("caritas", SA1, CostHeading.STAFF): Decimal("1000.00")},
            "P/1",
            date(2019, 7, 1),
            SMALL,
            CARD_TERMS,
            MINISTRY,
            NOW,
        ),
        budget,
    )
    assert said(error) == (
        "unknown_co_beneficiary",
        "caritas is not a co-beneficiary of the action.",
        {"field": "co_beneficiary", "co_beneficiary": "caritas"},
    )


def test_a_negative_line_is_refused() -> None:
    with pytest.raises(InvalidAmount) as raised:
        check_budget({SERVICES: Decimal("1070.01"), STAFF: Decimal("-0.01")}, SMALL, CARD_TERMS)
    assert raised.value.params == {"field": "amount"}


def test_a_budget_off_the_total_cost_is_refused_with_both_figures() -> None:
    error = refused(
        BudgetTotalsWrong,
        lambda: GrantBudget.open(NOW).adopt(
            {SERVICES: Decimal("1000.01")},
            "P/1",
            date(2019, 7, 1),
            SMALL,
            CARD_TERMS,
            MINISTRY,
            NOW,
        ),
        GrantBudget.open(NOW),
    )
    assert said(error) == (
        "budget_totals_wrong",
        "The budget adds up to 1070.01, not the action's total cost 1070.00.",
        {"field": "lines", "total": Decimal("1070.01"), "expected": Decimal("1070.00")},
    )


def test_a_budget_missing_a_card_share_is_refused_with_both_figures() -> None:
    """DOMAIN.md: Florence's share EUR 346,000.00."""
    grant = GrantTerms(total_cost=Decimal("346000.00"))
    assert check_budget({SERVICES: Decimal("323364.49")}, grant, CARD_TERMS).lines == {
        SERVICES: Decimal("323364.49")
    }
    with pytest.raises(BudgetTotalsWrong) as raised:
        check_budget(
            {
                SERVICES: Decimal("323364.48"),
                LineKey("ministry", SA1, CostHeading.STAFF): Decimal("0.01"),
            },
            grant,
            CARD_TERMS,
        )
    assert said(raised.value) == (
        "budget_totals_wrong",
        "firenze's budget adds up to 345999.99, not the 346000.00 the card states.",
        {"field": "lines", "total": Decimal("345999.99"), "expected": FLORENCE_SHARE},
    )


# --- transfers -----------------------------------------------------------------------------------


def test_a_transfer_records_both_lines_the_amount_reason_act_and_who() -> None:
    budget = adopted()
    budget.transfer(
        SERVICES,
        STAFF,
        Decimal("50.5"),
        "savings",  # type: ignore[arg-type]
        " P/9 ",
        date(2020, 1, 2),
        MINISTRY,
        LATER,
    )
    assert recorded(budget) == [
        (
            "TransferApproved",
            {
                "timestamp": LATER,
                "co_beneficiary": "firenze",
                "from_sub_action": "4",
                "from_heading": "services",
                "to_sub_action": "4",
                "to_heading": "staff",
                "amount": Decimal("50.50"),
                "reason": "savings",
                "act_reference": "P/9",
                "approved_on": date(2020, 1, 2),
                "actor": MINISTRY.as_record(),
            },
        )
    ]
    assert (budget.lines[SERVICES], budget.lines[STAFF]) == (Decimal("249.50"), Decimal("150.50"))
    assert (GrantBudget.TransferApproved.city, GrantBudget.TransferApproved.subject) == (
        "network",
        "grant-budget",
    )


def move(
    budget: GrantBudget, source: LineKey, target: LineKey, amount: str, act: Any = "P/9"
) -> None:
    budget.transfer(
        source, target, Decimal(amount), TransferReason.OTHER, act, date(2020, 1, 2), MINISTRY, NOW
    )


def test_no_transfer_before_an_adoption() -> None:
    budget = GrantBudget.open(NOW)
    error = refused(NoBudgetAdopted, lambda: move(budget, SERVICES, STAFF, "1.00"), budget)
    assert said(error) == NO_BUDGET


def test_a_transfer_s_amount_and_act_are_checked() -> None:
    budget = adopted()
    error = refused(InvalidAmount, lambda: move(budget, SERVICES, STAFF, "0"), budget)
    assert error.params == {"field": "amount"}
    error = refused(InvalidActReference, lambda: move(budget, SERVICES, STAFF, "1.00", " "), budget)
    assert said(error) == ("invalid_act_reference", ACT, {"field": "act_reference"})


def test_a_transfer_between_co_beneficiaries_or_within_one_line_is_refused() -> None:
    budget = adopted()
    error = refused(
        TransferRefused,
        lambda: move(budget, SERVICES, LineKey("ministry", SA4, CostHeading.SERVICES), "1.00"),
        budget,
    )
    assert said(error) == (
        "transfer_refused",
        "A transfer stays within one co-beneficiary; "
        "between co-beneficiaries the ministry adopts an amended budget.",
        {"field": "to_heading"},
    )
    error = refused(TransferRefused, lambda: move(budget, SERVICES, SERVICES, "1.00"), budget)
    assert said(error) == (
        "transfer_refused",
        "The transfer's two lines are the same.",
        {"field": "to_heading"},
    )


def test_a_transfer_may_take_the_whole_line_and_not_a_cent_more() -> None:
    budget = adopted()
    error = refused(TransferRefused, lambda: move(budget, SERVICES, STAFF, "300.01"), budget)
    assert said(error) == (
        "transfer_refused",
        "The amount is more than the line holds.",
        {"field": "amount", "holds": Decimal("300.00")},
    )
    empty = LineKey("firenze", SA1, CostHeading.TRAVEL)
    error = refused(TransferRefused, lambda: move(budget, empty, STAFF, "0.01"), budget)
    assert error.params["holds"] == Decimal("0.00")
    move(budget, SERVICES, empty, "300.00")
    assert (budget.lines[SERVICES], budget.lines[empty]) == (Decimal("0.00"), Decimal("300.00"))


# --- payments ------------------------------------------------------------------------------------


def test_a_payment_records_every_field_and_adds_to_what_was_paid() -> None:
    budget = adopted()
    pay(budget, "100.5", kind="balance", reference=" MP-1 ")  # type: ignore[arg-type]
    pay(budget, "0.50", reference="MP-2", now=LATER)
    assert recorded(budget) == [
        (
            "PaymentMade",
            {
                "timestamp": NOW,
                "co_beneficiary": "firenze",
                "kind": "balance",
                "amount": Decimal("100.50"),
                "value_date": TODAY,
                "reference": "MP-1",
                "actor": MINISTRY.as_record(),
            },
        ),
        (
            "PaymentMade",
            {
                "timestamp": LATER,
                "co_beneficiary": "firenze",
                "kind": "interim",
                "amount": Decimal("0.50"),
                "value_date": TODAY,
                "reference": "MP-2",
                "actor": MINISTRY.as_record(),
            },
        ),
    ]
    assert budget.paid == {"firenze": Decimal("101.00")}
    assert budget.payment_references == {("firenze", "MP-1"), ("firenze", "MP-2")}
    assert (GrantBudget.PaymentMade.city, GrantBudget.PaymentMade.subject) == (
        "network",
        "grant-budget",
    )


def test_no_payment_before_an_adoption_nor_to_no_co_beneficiary() -> None:
    budget = GrantBudget.open(NOW)
    assert said(refused(NoBudgetAdopted, lambda: pay(budget, "1.00"), budget)) == NO_BUDGET
    budget = adopted()
    error = refused(UnknownCoBeneficiary, lambda: pay(budget, "1.00", who="caritas"), budget)
    assert said(error) == (
        "unknown_co_beneficiary",
        "caritas is not a co-beneficiary of the action.",
        {"field": "co_beneficiary", "co_beneficiary": "caritas"},
    )


def test_a_payment_s_amount_kind_and_reference_are_checked() -> None:
    budget = adopted()
    assert refused(InvalidAmount, lambda: pay(budget, "0"), budget).params == {"field": "amount"}
    with pytest.raises(ValueError):
        pay(budget, "1.00", kind="gift")  # type: ignore[arg-type]
    for reference in ("", None, "pagato a Mario Rossi", "A" * 40 + "1"):
        error = refused(
            InvalidPaymentReference,
            lambda written=reference: pay(budget, "1.00", reference=written),
            budget,
        )
        assert said(error) == PAYMENT_REFERENCE
    assert budget.pending_events == []


def test_a_payment_reference_may_have_40_characters_and_a_single_digit() -> None:
    budget = adopted()
    pay(budget, "1.00", reference="A" * 39 + "1")
    pay(budget, "1.00", reference="7")
    assert budget.payment_references == {("firenze", "A" * 39 + "1"), ("firenze", "7")}
    assert MAX_PAYMENT_REFERENCE == 40


def test_a_payment_dated_in_the_future_or_repeating_a_reference_is_refused() -> None:
    budget = adopted()
    error = refused(
        PaymentRefused, lambda: pay(budget, "1.00", value_date=date(2021, 3, 11)), budget
    )
    assert said(error) == (
        "payment_refused",
        "A payment's value date cannot be in the future.",
        {"field": "value_date"},
    )
    pay(budget, "1.00", reference="MP-7")
    error = refused(PaymentRefused, lambda: pay(budget, "1.00", reference="MP-7"), budget)
    assert said(error) == (
        "payment_refused",
        "A payment with this reference was already recorded for this co-beneficiary.",
        {"field": "reference"},
    )


def test_payments_over_the_ceiling_are_refused_saying_what_can_still_be_paid() -> None:
    """DOMAIN.md: financed = total × co-financing rate: Firenze's 428.00 × 90% = 385.20."""
    budget = adopted()
    assert payment_ceiling(budget.figures, "firenze", SMALL) == Decimal("385.20")
    pay(budget, "300.00", reference="MP-1")
    error = refused(PaymentRefused, lambda: pay(budget, "85.21", reference="MP-2"), budget)
    assert said(error) == (
        "payment_refused",
        "The payments would exceed the grant's share of firenze's budget "
        "(385.20); 85.20 can still be paid.",
        {"field": "amount", "ceiling": Decimal("385.20"), "paid": Decimal("300.00")},
    )
    pay(budget, "85.20", reference="MP-2")
    error = refused(
        PaymentRefused, lambda: pay(budget, "0.01", reference="MP-3", who="anci"), budget
    )
    assert error.params == {"field": "amount", "ceiling": Decimal("0.00"), "paid": Decimal("0.00")}
