"""The ministry's payments to the co-beneficiaries (issue 13 item 4, "payments received vs due"),
on the budget aggregate alone. DOMAIN.md, "Finance as an EU grant is run": "Financed = total ×
co-financing rate (90% here)" — what a co-beneficiary is paid never exceeds the financed share
of its budget — and "Interim and final financial statements ...: payments" — due = the financed
share of the admitted costs less the payments received. Then that arithmetic as a property
(hypothesis): due + received = the financed share of the admitted costs, to the cent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.finance.grant import (
    CostHeading,
    GrantBudget,
    GrantTerms,
    InvalidPaymentReference,
    LineKey,
    NoBudgetAdopted,
    PaymentKind,
    PaymentRefused,
    UnknownCoBeneficiary,
    co_financing_split,
    payment_ceiling,
)
from domain.finance.model import FinanceError, InvalidAmount
from domain.finance.statements import Figures, co_beneficiary_statement
from domain.programme import CARD_TERMS, Actor, ActorKind, Role, SubAction
from tests.builders import NOW

MINISTRY = Actor(ActorKind.USER, "ministry-finance", Role.MINISTRY)
SA4, SA1 = SubAction.FAST_TRACK_HOUSING, SubAction.COORDINATION
# The ministry: direct 600.00 + 7% = 642.00, financed 577.80; Firenze: direct 400.00 + 28.00 =
# 428.00, financed 90% = 385.20. Together 1,070.00.
SMALL = GrantTerms(total_cost=Decimal("1070.00"), card_shares={})
FIRENZE_CEILING = Decimal("385.20")
TODAY = date(2021, 3, 10)  # NOW (09:30 UTC) in Italy


def small_budget() -> GrantBudget:
    budget = GrantBudget.open(NOW)
    budget.adopt({LineKey("ministry", SA1, CostHeading.STAFF): Decimal("600.00"),
                  LineKey("firenze", SA4, CostHeading.SERVICES): Decimal("300.00"),
                  LineKey("firenze", SA4, CostHeading.STAFF): Decimal("100.00")},
                 "PROT/2019/1", date(2019, 7, 1), SMALL, CARD_TERMS, MINISTRY, NOW)
    return budget


def pay(budget: GrantBudget, amount: str | Decimal, *, who: str = "firenze",
        value_date: date = TODAY, kind: PaymentKind = PaymentKind.INTERIM,
        reference: str = "MP-2021/0001", now: datetime = NOW) -> None:
    budget.pay(who, Decimal(amount), value_date, kind, reference, SMALL, CARD_TERMS, MINISTRY,
               now)


def refused(error: type[FinanceError], command: Any, budget: GrantBudget) -> FinanceError:
    before = len(budget.pending_events)
    with pytest.raises(error) as raised:
        command()
    assert len(budget.pending_events) == before  # nothing recorded
    return raised.value


def test_a_payment_records_who_how_much_when_what_kind_and_its_reference() -> None:
    budget = small_budget()
    pay(budget, "100.50", kind=PaymentKind.PRE_FINANCING, reference=" MP-2021/0001 ",
        value_date=date(2021, 2, 26))
    event = budget.pending_events[-1]
    assert isinstance(event, GrantBudget.PaymentMade)
    assert event.co_beneficiary == "firenze"
    assert event.kind == "pre_financing"
    assert event.amount == Decimal("100.50") and isinstance(event.amount, Decimal)
    assert event.value_date == date(2021, 2, 26)
    assert event.reference == "MP-2021/0001"  # trimmed
    assert event.actor == MINISTRY.as_record()
    assert event.city == "network" and event.subject == "grant-budget"
    assert event.timestamp == NOW
    assert budget.paid == {"firenze": Decimal("100.50")}


def test_the_ceiling_is_the_financed_share_of_the_co_beneficiary_s_budget() -> None:
    """DOMAIN.md: "Financed = total × co-financing rate (90% here)", the total of Firenze's
    budget being its direct costs and the indirect costs on them."""
    budget = small_budget()
    assert payment_ceiling(budget.figures, "firenze", SMALL) == FIRENZE_CEILING == \
        co_financing_split(Decimal("428.00"), Decimal("0.90")).financed
    assert payment_ceiling(budget.figures, "ministry", SMALL) == Decimal("577.80")


def test_payments_up_to_the_ceiling_are_accepted_and_a_cent_more_is_refused() -> None:
    """DOMAIN.md: "Financed = total × co-financing rate": all the payments to a co-beneficiary
    together, at the limit and one cent past it."""
    budget = small_budget()
    pay(budget, "300.00", reference="MP-1")
    error = refused(PaymentRefused, lambda: pay(budget, "85.21", reference="MP-2"), budget)
    assert error.params["field"] == "amount"
    assert "85.20 can still be paid" in str(error)
    pay(budget, "85.20", reference="MP-2", kind=PaymentKind.BALANCE)
    assert budget.paid["firenze"] == FIRENZE_CEILING
    refused(PaymentRefused, lambda: pay(budget, "0.01", reference="MP-3"), budget)
    # Another co-beneficiary's ceiling is its own.
    pay(budget, "577.80", who="ministry", reference="MP-4")


@pytest.mark.parametrize("amount", [
    Decimal("0"), Decimal("0.00"), Decimal("-1.00"), Decimal("1.001"), Decimal("NaN"),
    Decimal("Infinity"), Decimal("1E+20")])
def test_a_payment_is_more_than_zero_in_euro_cents(amount: Decimal) -> None:
    budget = small_budget()
    error = refused(InvalidAmount, lambda: pay(budget, amount), budget)
    assert error.params["field"] == "amount"


def test_a_payment_of_one_cent_is_accepted() -> None:
    budget = small_budget()
    pay(budget, "0.01")
    assert budget.paid["firenze"] == Decimal("0.01")


def test_a_value_date_today_in_italy_is_accepted_and_tomorrow_refused() -> None:
    """Today is the command's given moment in Italy (domain code reads no clock): at 23:30 UTC
    on 10 March it is already 11 March in Rome."""
    budget = small_budget()
    error = refused(PaymentRefused, lambda: pay(budget, "1.00",
                                                value_date=TODAY + timedelta(days=1)), budget)
    assert error.params["field"] == "value_date"
    pay(budget, "1.00", value_date=TODAY, reference="MP-1")
    late_evening = datetime(2021, 3, 10, 23, 30, tzinfo=UTC)
    pay(budget, "1.00", value_date=date(2021, 3, 11), reference="MP-2", now=late_evening)
    refused(PaymentRefused, lambda: pay(budget, "1.00", value_date=date(2021, 3, 12),
                                        reference="MP-3", now=late_evening), budget)


def test_a_reference_is_paid_once_per_co_beneficiary() -> None:
    budget = small_budget()
    pay(budget, "10.00", reference="MP-7")
    error = refused(PaymentRefused, lambda: pay(budget, "10.00", reference="MP-7"), budget)
    assert error.params["field"] == "reference"
    pay(budget, "10.00", reference="MP-7", who="ministry")


@pytest.mark.parametrize("reference", [
    "", "   ", "A" * 39 + "1" + "X", "pagato a Mario Rossi", "MP 2021/1", "MP-2021/1;DROP",
    "MP-٢٠٢١", "Rossi", "-MP1"])
def test_a_reference_is_a_payment_order_number_not_free_text(reference: str) -> None:
    budget = small_budget()
    error = refused(InvalidPaymentReference, lambda: pay(budget, "1.00", reference=reference),
                    budget)
    assert error.params["field"] == "reference"


def test_a_reference_of_forty_characters_is_accepted() -> None:
    budget = small_budget()
    pay(budget, "1.00", reference="MP/2021." + "1" * 32)
    assert len(budget.pending_events[-1].reference) == 40  # type: ignore[attr-defined]


def test_no_payment_before_a_budget_nor_to_whoever_is_no_co_beneficiary() -> None:
    budget = GrantBudget.open(NOW)
    refused(NoBudgetAdopted, lambda: pay(budget, "1.00"), budget)
    adopted = small_budget()
    error = refused(UnknownCoBeneficiary, lambda: pay(adopted, "1.00", who="caritas"), adopted)
    assert error.params["field"] == "co_beneficiary"
    # A co-beneficiary with no budget line has nothing financed to be paid from.
    refused(PaymentRefused, lambda: pay(adopted, "1.00", who="anci"), adopted)


def test_every_payment_error_has_its_own_code() -> None:
    codes = {InvalidPaymentReference.code, PaymentRefused.code}
    assert codes == {"invalid_payment_reference", "payment_refused"}


# --- due + received = the financed share of the admitted costs, to the cent --------------------

cents = st.integers(min_value=1, max_value=40000).map(lambda n: Decimal(n) / 100)


@given(payments=st.lists(cents, max_size=8),
       admitted=st.integers(min_value=0, max_value=40000).map(lambda n: Decimal(n) / 100))
def test_due_plus_received_is_the_financed_share_of_admitted_to_the_cent(
    payments: list[Decimal], admitted: Decimal,
) -> None:
    budget = small_budget()
    for number, amount in enumerate(payments):
        try:
            pay(budget, amount, reference=f"MP-{number}")
        except PaymentRefused:
            pass  # over the ceiling: not recorded
    received = budget.paid.get("firenze", Decimal("0.00"))
    assert received == sum((event.amount for event in budget.pending_events
                            if isinstance(event, GrantBudget.PaymentMade)), Decimal("0.00"))
    assert received <= FIRENZE_CEILING
    statement = co_beneficiary_statement(
        "firenze", Figures(budget={("4", "services"): Decimal("400.00")},
                           admitted={("4", "services"): admitted}, pending={}, disallowed={},
                           payments_received=received),
        SMALL, NOW, 1, date(2021, 12, 31))
    assert statement.payments_received == received
    assert statement.payments_due + statement.payments_received == \
        statement.admitted_split.financed
    assert statement.payments_due == statement.payments_due.quantize(Decimal("0.01"))
