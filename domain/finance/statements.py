"""Financial statements of the grant (issue 13 item 4; DOMAIN.md, "Finance as an EU grant is
run"): per co-beneficiary and for the whole action, budget against admitted expenditure by
sub-action and cost heading, indirect costs computed at the flat rate, the co-financing split,
and the payments due against those received.

Plain arithmetic over plain figures (the read models give them; the pages and exports show
them), with the definitions of domain.finance.grant: indirect costs are computed per
co-beneficiary on its direct costs, and the action's statement is the **sum of the
co-beneficiaries'** (so the two always agree to the cent); the co-financing split of any total is
financed (truncated) + co-financing = the total."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.finance.grant import (
    CoFinancing,
    CostHeading,
    GrantTerms,
    co_financing_split,
    indirect_costs,
)
from domain.finance.model import ZERO
from domain.programme import SubAction

ACTION = "action"
"""The statement of the whole action, in place of a co-beneficiary."""


@dataclass(frozen=True)
class StatementLine:
    sub_action: str
    heading: str
    budget: Decimal
    admitted: Decimal
    pending: Decimal
    """Claimed and not decided yet (submitted, or admitted and awaiting confirmation)."""
    disallowed: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.admitted


@dataclass(frozen=True)
class Figures:
    """One co-beneficiary's plain figures: per (sub-action, heading) its budget, admitted,
    pending and disallowed amounts, and the payments it received."""

    budget: Mapping[tuple[str, str], Decimal]
    admitted: Mapping[tuple[str, str], Decimal]
    pending: Mapping[tuple[str, str], Decimal]
    disallowed: Mapping[tuple[str, str], Decimal]
    payments_received: Decimal = ZERO


@dataclass(frozen=True)
class Statement:
    co_beneficiary: str
    """A co-beneficiary, or ACTION for the whole action."""
    as_of: datetime
    position: int
    final: bool
    """A final statement: drawn up after the eligibility window closed; interim before."""
    lines: tuple[StatementLine, ...]
    direct_budget: Decimal
    indirect_budget: Decimal
    direct_admitted: Decimal
    indirect_admitted: Decimal
    pending: Decimal
    disallowed: Decimal
    payments_received: Decimal

    @property
    def total_budget(self) -> Decimal:
        return self.direct_budget + self.indirect_budget

    @property
    def total_admitted(self) -> Decimal:
        return self.direct_admitted + self.indirect_admitted

    @property
    def budget_split(self) -> CoFinancing:
        return co_financing_split(self.total_budget, self.co_financing_rate)

    @property
    def admitted_split(self) -> CoFinancing:
        return co_financing_split(self.total_admitted, self.co_financing_rate)

    @property
    def payments_due(self) -> Decimal:
        """The grant's share of the admitted costs, less what was paid (negative: overpaid)."""
        return self.admitted_split.financed - self.payments_received

    @property
    def absorption(self) -> Decimal | None:
        """Admitted over budget (total costs), 0..1 and more when over; None without budget."""
        if not self.total_budget:
            return None
        return self.total_admitted / self.total_budget

    co_financing_rate: Decimal = Decimal("0.90")

    def by_heading(self) -> tuple[StatementLine, ...]:
        """The lines summed per heading, over the sub-actions (sub_action "")."""
        return tuple(_sum_lines("", heading.value, (line for line in self.lines
                                                    if line.heading == heading.value))
                     for heading in CostHeading)

    def by_sub_action(self) -> tuple[StatementLine, ...]:
        return tuple(_sum_lines(sub_action.value, "", (line for line in self.lines
                                                       if line.sub_action == sub_action.value))
                     for sub_action in SubAction)


def _sum_lines(sub_action: str, heading: str, lines: Iterable[StatementLine]) -> StatementLine:
    chosen = list(lines)
    return StatementLine(
        sub_action=sub_action, heading=heading,
        budget=sum((line.budget for line in chosen), ZERO),
        admitted=sum((line.admitted for line in chosen), ZERO),
        pending=sum((line.pending for line in chosen), ZERO),
        disallowed=sum((line.disallowed for line in chosen), ZERO))


def co_beneficiary_statement(
    co_beneficiary: str, figures: Figures, grant: GrantTerms, as_of: datetime, position: int,
    period_ends_on: date,
) -> Statement:
    keys = sorted({*figures.budget, *figures.admitted, *figures.pending, *figures.disallowed})
    lines = tuple(StatementLine(
        sub_action=sub_action, heading=heading,
        budget=figures.budget.get((sub_action, heading), ZERO),
        admitted=figures.admitted.get((sub_action, heading), ZERO),
        pending=figures.pending.get((sub_action, heading), ZERO),
        disallowed=figures.disallowed.get((sub_action, heading), ZERO),
    ) for sub_action, heading in keys)
    direct_budget = sum((line.budget for line in lines), ZERO)
    direct_admitted = sum((line.admitted for line in lines), ZERO)
    return Statement(
        co_beneficiary=co_beneficiary, as_of=as_of, position=position,
        final=as_of.date() > period_ends_on, lines=lines,
        direct_budget=direct_budget,
        indirect_budget=indirect_costs(direct_budget, grant.indirect_rate),
        direct_admitted=direct_admitted,
        indirect_admitted=indirect_costs(direct_admitted, grant.indirect_rate),
        pending=sum((line.pending for line in lines), ZERO),
        disallowed=sum((line.disallowed for line in lines), ZERO),
        payments_received=figures.payments_received, co_financing_rate=grant.co_financing_rate)


def action_statement(parts: Iterable[Statement], grant: GrantTerms, as_of: datetime,
                     position: int, period_ends_on: date) -> Statement:
    """The whole action's statement: every figure the sum of the co-beneficiaries' (indirect
    costs included, each computed on its own direct costs)."""
    statements = list(parts)
    by_key: dict[tuple[str, str], list[StatementLine]] = {}
    for statement in statements:
        for line in statement.lines:
            by_key.setdefault((line.sub_action, line.heading), []).append(line)
    return Statement(
        co_beneficiary=ACTION, as_of=as_of, position=position,
        final=as_of.date() > period_ends_on,
        lines=tuple(_sum_lines(sub_action, heading, lines)
                    for (sub_action, heading), lines in sorted(by_key.items())),
        direct_budget=sum((s.direct_budget for s in statements), ZERO),
        indirect_budget=sum((s.indirect_budget for s in statements), ZERO),
        direct_admitted=sum((s.direct_admitted for s in statements), ZERO),
        indirect_admitted=sum((s.indirect_admitted for s in statements), ZERO),
        pending=sum((s.pending for s in statements), ZERO),
        disallowed=sum((s.disallowed for s in statements), ZERO),
        payments_received=sum((s.payments_received for s in statements), ZERO),
        co_financing_rate=grant.co_financing_rate)
