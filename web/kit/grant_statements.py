"""The grant's financial statements from its read models (issue 13 item 4): each
co-beneficiary's budget lines and claims, as of a moment, turned into the plain figures
domain.finance.statements computes with. What counts where:
- admitted: an admission (confirmed when it needed a second user);
- pending: a submitted claim's eligible amount, or an admission awaiting its confirmation;
- disallowed: the parts a check disallowed, and a rejected claim's eligible amount (a corrected
  resubmission is a claim of its own);
- a draft counts nowhere;
- payments received: the ministry's payments recorded by then (domain.finance.grant,
  `GrantBudget.pay`); due = the grant's share of the admitted costs less them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.finance.grant import GrantTerms
from domain.finance.statements import (
    ACTION,
    Figures,
    Statement,
    action_statement,
    co_beneficiary_statement,
)
from projections.grant_finance import (
    ADMITTED,
    AWAITING_CONFIRMATION,
    REJECTED,
    SUBMITTED,
    GrantClaimRow,
    GrantQueries,
)

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class GrantStatements:
    """Every co-beneficiary's statement (those with a budget or a claim) and the action's."""

    parts: tuple[Statement, ...]
    action: Statement

    def of(self, co_beneficiary: str) -> Statement | None:
        if co_beneficiary == ACTION:
            return self.action
        return next((part for part in self.parts if part.co_beneficiary == co_beneficiary),
                    None)


def _add(table: dict[tuple[str, str], Decimal], key: tuple[str, str], amount: Decimal) -> None:
    table[key] = table.get(key, ZERO) + amount


def _add_paid(table: dict[str, Decimal], who: str, amount: Decimal) -> None:
    table[who] = table.get(who, ZERO) + amount


def figures_of(budget: dict[tuple[str, str], Decimal],
               claims: tuple[GrantClaimRow, ...], payments_received: Decimal = ZERO) -> Figures:
    admitted: dict[tuple[str, str], Decimal] = {}
    pending: dict[tuple[str, str], Decimal] = {}
    disallowed: dict[tuple[str, str], Decimal] = {}
    for claim in claims:
        key = (claim.sub_action, claim.heading)
        if claim.state == ADMITTED:
            _add(admitted, key, claim.admitted_amount)
        elif claim.state == AWAITING_CONFIRMATION:
            _add(pending, key, claim.admitted_amount)
        elif claim.state == SUBMITTED:
            _add(pending, key, claim.eligible_amount)
        if claim.state in (ADMITTED, AWAITING_CONFIRMATION, REJECTED):
            for part in claim.disallowed:
                _add(disallowed, key, part.amount)
    return Figures(budget=budget, admitted=admitted, pending=pending, disallowed=disallowed,
                   payments_received=payments_received)


def grant_statements(views: GrantQueries, grant: GrantTerms, as_of: datetime,
                     period_ends_on: date,
                     claims: tuple[GrantClaimRow, ...] | None = None) -> GrantStatements:
    """The statements as of `as_of`: the budget and every claim as recorded by then, stamped
    with the position of the newest grant event they include. `claims`: those of
    `views.claims(as_of=as_of)` when the caller holds them already."""
    budget = views.budget(as_of)
    if claims is None:
        claims = views.claims(as_of=as_of)
    paid: dict[str, Decimal] = {}
    for payment in views.payments(as_of=as_of):
        _add_paid(paid, payment.co_beneficiary, payment.amount)
    budgets: dict[str, dict[tuple[str, str], Decimal]] = {}
    for line in budget.lines:
        budgets.setdefault(line.co_beneficiary, {})[(line.sub_action, line.heading)] = \
            line.amount
    claims_of: dict[str, list[GrantClaimRow]] = {}
    for claim in claims:
        claims_of.setdefault(claim.co_beneficiary, []).append(claim)
    position = views.position(as_of)
    parts = tuple(
        co_beneficiary_statement(
            who, figures_of(budgets.get(who, {}), tuple(claims_of.get(who, ())),
                            paid.get(who, ZERO)),
            grant, as_of, position, period_ends_on)
        for who in sorted({*budgets, *claims_of, *paid}))
    return GrantStatements(parts, action_statement(parts, grant, as_of, position,
                                                   period_ends_on))


def co_beneficiary_statement_of(views: GrantQueries, grant: GrantTerms, as_of: datetime,
                                period_ends_on: date, who: str) -> Statement | None:
    """`grant_statements(...).of(who)` for one co-beneficiary (not the action), reading only its
    own claims and payments: a city's dashboard needs no other's (issue 15: at programme scale
    the network's claims are most of the page's time). None when it has no budget line, claim
    or payment, as `of` gives."""
    budget = {(line.sub_action, line.heading): line.amount
              for line in views.budget(as_of).lines if line.co_beneficiary == who}
    claims = views.claims(who, as_of=as_of)
    payments = views.payments(who, as_of=as_of)
    if not budget and not claims and not payments:
        return None
    paid: dict[str, Decimal] = {}
    for payment in payments:
        _add_paid(paid, payment.co_beneficiary, payment.amount)
    return co_beneficiary_statement(
        who, figures_of(budget, claims, paid.get(who, ZERO)), grant, as_of,
        views.position(as_of), period_ends_on)
