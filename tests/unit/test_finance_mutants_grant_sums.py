"""The grant budget's sums with no term (issue 20): a co-beneficiary with no budget line, and a
budget of no line at all, add up to euros written with their cents ("0.00"), never the integer
0 that `sum` starts from (a mutation run found `Decimal("0.00") == 0` hid the difference:
docs/testing.md, "Services pass").

DOMAIN.md, "Money Decimal": amounts are euros and cents, written with their two decimals."""

from __future__ import annotations

from decimal import Decimal

from domain.finance.grant import BudgetFigures, CostHeading, LineKey
from domain.programme import SubAction

SERVICES = LineKey("firenze", SubAction.FAST_TRACK_HOUSING, CostHeading.SERVICES)


def test_a_co_beneficiary_without_lines_has_zero_euros_and_cents() -> None:
    figures = BudgetFigures({SERVICES: Decimal("300.00")})
    direct = figures.direct("cittalia")
    assert isinstance(direct, Decimal) and str(direct) == "0.00"
    assert str(figures.co_beneficiary_total("cittalia", Decimal("0.07"))) == "0.00"


def test_a_budget_without_lines_totals_zero_euros_and_cents() -> None:
    empty = BudgetFigures({})
    for figure in (empty.direct(), empty.total(Decimal("0.07"))):
        assert isinstance(figure, Decimal) and str(figure) == "0.00"
