"""The grant's financial statements on figures worked out by hand, as the mutation pass of issue
20 holds them (docs/testing.md, "Finance pass"): every figure of a co-beneficiary's statement and
of the action's, the interim/final edge, absorption, and the sums per heading and per sub-action.

Rules encoded (/work/shared/design/DOMAIN.md, "Finance as an EU grant is run"): statements per
co-beneficiary and for the action show budget against admitted expenditure, indirect costs (a
flat rate on direct costs), the co-financing split (financed = total × 90%) and payments; and
("The programme") the eligibility window ends on 2021-12-31: a statement after it is final."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from domain.finance.grant import CoFinancing, GrantTerms
from domain.finance.statements import (
    ACTION,
    Figures,
    Statement,
    StatementLine,
    action_statement,
    co_beneficiary_statement,
)

GRANT = GrantTerms(indirect_rate=Decimal("0.07"), co_financing_rate=Decimal("0.90"))
AS_OF = datetime(2021, 6, 30, 12, 0, tzinfo=UTC)
ENDS = date(2021, 12, 31)
D = Decimal

FIRENZE = Figures(
    budget={("4", "services"): D("300.00"), ("4", "staff"): D("100.00")},
    admitted={("4", "services"): D("150.00"), ("1", "travel"): D("10.00")},
    pending={("4", "staff"): D("20.00")},
    disallowed={("4", "services"): D("5.00"), ("6", "equipment"): D("1.00")},
    payments_received=D("100.00"),
)
ANCI = Figures(
    budget={("4", "services"): D("0.15")},
    admitted={("4", "services"): D("0.15")},
    pending={},
    disallowed={},
)


def firenze(as_of: datetime = AS_OF, grant: GrantTerms = GRANT) -> Statement:
    return co_beneficiary_statement("firenze", FIRENZE, grant, as_of, 7, ENDS)


def test_a_co_beneficiary_s_statement_has_a_line_per_sub_action_and_heading_in_order() -> None:
    statement = firenze()
    assert statement.lines == (
        StatementLine("1", "travel", D("0.00"), D("10.00"), D("0.00"), D("0.00")),
        StatementLine("4", "services", D("300.00"), D("150.00"), D("0.00"), D("5.00")),
        StatementLine("4", "staff", D("100.00"), D("0.00"), D("20.00"), D("0.00")),
        StatementLine("6", "equipment", D("0.00"), D("0.00"), D("0.00"), D("1.00")),
    )
    assert [line.remaining for line in statement.lines] == [
        D("-10.00"),
        D("150.00"),
        D("100.00"),
        D("0.00"),
    ]


def test_a_co_beneficiary_s_statement_adds_indirect_costs_and_splits_the_totals() -> None:
    statement = firenze()
    assert (statement.co_beneficiary, statement.as_of, statement.position, statement.final) == (
        "firenze",
        AS_OF,
        7,
        False,
    )
    assert (statement.direct_budget, statement.indirect_budget, statement.total_budget) == (
        D("400.00"),
        D("28.00"),
        D("428.00"),
    )
    # 160.00 × 7% = 11.20
    assert (statement.direct_admitted, statement.indirect_admitted, statement.total_admitted) == (
        D("160.00"),
        D("11.20"),
        D("171.20"),
    )
    assert (statement.pending, statement.disallowed, statement.payments_received) == (
        D("20.00"),
        D("6.00"),
        D("100.00"),
    )
    assert statement.co_financing_rate == D("0.90")
    assert statement.budget_split == CoFinancing(D("428.00"), D("385.20"), D("42.80"))
    # 171.20 × 90% = 154.08
    assert statement.admitted_split == CoFinancing(D("171.20"), D("154.08"), D("17.12"))
    assert statement.payments_due == D("54.08")
    assert statement.absorption == D("171.20") / D("428.00")


def test_the_rates_are_the_grant_s() -> None:
    statement = firenze(grant=GrantTerms(indirect_rate=D("0.10"), co_financing_rate=D("0.50")))
    assert (statement.indirect_budget, statement.indirect_admitted) == (D("40.00"), D("16.00"))
    assert statement.admitted_split == CoFinancing(D("176.00"), D("88.00"), D("88.00"))
    assert statement.co_financing_rate == D("0.50")


def test_a_statement_after_the_window_s_last_day_is_final_and_on_it_interim() -> None:
    assert not firenze(datetime(2021, 12, 31, 23, 0, tzinfo=UTC)).final
    assert firenze(datetime(2022, 1, 1, 0, 0, tzinfo=UTC)).final


def test_without_budget_there_is_no_absorption() -> None:
    statement = co_beneficiary_statement(
        "anci",
        Figures(budget={}, admitted={("4", "staff"): D("1.00")}, pending={}, disallowed={}),
        GRANT,
        AS_OF,
        1,
        ENDS,
    )
    assert statement.absorption is None
    assert statement.payments_received == D("0.00")


def test_the_lines_are_summed_per_heading_and_per_sub_action() -> None:
    statement = firenze()
    assert statement.by_heading() == (
        StatementLine("", "staff", D("100.00"), D("0.00"), D("20.00"), D("0.00")),
        StatementLine("", "travel", D("0.00"), D("10.00"), D("0.00"), D("0.00")),
        StatementLine("", "equipment", D("0.00"), D("0.00"), D("0.00"), D("1.00")),
        StatementLine("", "services", D("300.00"), D("150.00"), D("0.00"), D("5.00")),
        StatementLine("", "other_direct", D("0.00"), D("0.00"), D("0.00"), D("0.00")),
    )
    assert statement.by_sub_action() == (
        StatementLine("1", "", D("0.00"), D("10.00"), D("0.00"), D("0.00")),
        StatementLine("2", "", D("0.00"), D("0.00"), D("0.00"), D("0.00")),
        StatementLine("3", "", D("0.00"), D("0.00"), D("0.00"), D("0.00")),
        StatementLine("4", "", D("400.00"), D("150.00"), D("20.00"), D("5.00")),
        StatementLine("5", "", D("0.00"), D("0.00"), D("0.00"), D("0.00")),
        StatementLine("6", "", D("0.00"), D("0.00"), D("0.00"), D("1.00")),
    )


def test_the_action_s_statement_is_the_sum_of_the_co_beneficiaries() -> None:
    anci = co_beneficiary_statement("anci", ANCI, GRANT, AS_OF, 7, ENDS)
    action = action_statement([firenze(), anci], GRANT, AS_OF, 9, ENDS)
    assert (action.co_beneficiary, action.as_of, action.position, action.final) == (
        ACTION,
        AS_OF,
        9,
        False,
    )
    assert ACTION == "action"
    assert action.lines == (
        StatementLine("1", "travel", D("0.00"), D("10.00"), D("0.00"), D("0.00")),
        StatementLine("4", "services", D("300.15"), D("150.15"), D("0.00"), D("5.00")),
        StatementLine("4", "staff", D("100.00"), D("0.00"), D("20.00"), D("0.00")),
        StatementLine("6", "equipment", D("0.00"), D("0.00"), D("0.00"), D("1.00")),
    )
    # Indirect costs summed as each co-beneficiary's: 28.00 + 0.01 (not 7% of 400.15 = 28.01).
    assert (action.direct_budget, action.indirect_budget) == (D("400.15"), D("28.01"))
    assert (action.direct_admitted, action.indirect_admitted) == (D("160.15"), D("11.21"))
    assert (action.pending, action.disallowed, action.payments_received) == (
        D("20.00"),
        D("6.00"),
        D("100.00"),
    )
    assert action.co_financing_rate == D("0.90")
    assert action.final is False
    after = action_statement(
        [anci], GrantTerms(co_financing_rate=D("0.80")), datetime(2022, 1, 1, tzinfo=UTC), 9, ENDS
    )
    assert (after.final, after.co_financing_rate) == (True, D("0.80"))
    assert action_statement([], GRANT, AS_OF, 1, ENDS).direct_budget == D("0.00")


def test_empty_sums_are_euros_to_the_cent_and_the_action_is_final_only_after_the_window() -> None:
    statement = firenze()
    # A heading or sub-action with no line, and an action of no co-beneficiary: 0.00, not 0.
    other = statement.by_heading()[-1]
    assert [str(v) for v in (other.budget, other.admitted, other.pending, other.disallowed)] == [
        "0.00"
    ] * 4
    empty = action_statement([], GRANT, AS_OF, 1, ENDS)
    assert [
        str(v)
        for v in (
            empty.direct_budget,
            empty.indirect_budget,
            empty.direct_admitted,
            empty.indirect_admitted,
            empty.pending,
            empty.disallowed,
            empty.payments_received,
        )
    ] == ["0.00"] * 7
    last_day = datetime(2021, 12, 31, 23, 0, tzinfo=UTC)
    assert not action_statement([firenze(last_day)], GRANT, last_day, 1, ENDS).final


def test_a_co_beneficiary_with_no_figures_has_a_statement_of_0_00() -> None:
    nothing = co_beneficiary_statement(
        "anci", Figures(budget={}, admitted={}, pending={}, disallowed={}), GRANT, AS_OF, 1, ENDS
    )
    assert [
        str(v)
        for v in (
            nothing.direct_budget,
            nothing.direct_admitted,
            nothing.pending,
            nothing.disallowed,
        )
    ] == ["0.00"] * 4
