"""The action's budget as the EU grant agreement shapes it (issue 13; DOMAIN.md, "Finance as an
EU grant is run"): every co-beneficiary (the lead partner, the three national partners and the
cities the programme's terms know) with a budget per sub-action and per cost heading, indirect
costs as a flat rate on the direct costs, and the co-financing split.

The arithmetic lives in plain functions, so that the budget, the statements and the property
tests share one definition of every derived figure:
- indirect costs = direct costs × the flat rate, **truncated** to the cent;
- financed = total cost × the co-financing rate, **truncated** to the cent; co-financing = total
  − financed. Truncation, because a rate is a ceiling: the card's financed total is
  11,434,653.45 × 90% = 10,291,188.105, which it writes as 10,291,188.10.

One `GrantBudget` (fixed id) holds every line: the budget the ministry adopts is checked whole
(its total is the action's total cost, Florence's the card's share) and a transfer moves money
between two lines of one co-beneficiary, so its direct costs, hence its indirect costs and the
action's total, never change. Moving money between co-beneficiaries is an amendment of the grant:
a newly adopted budget."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.finance.model import (
    CENT,
    FLORENCE_SHARE,
    PROGRAMME_TOTAL_COST,
    ZERO,
    FinanceError,
    InvalidAmount,
    euros,
)
from domain.programme import Actor, SubAction, TermsInForce, programme_today

GRANT_BUDGET_ID = uuid5(UUID("6f1c3a52-8d0e-5b7a-9c41-2e7d5a0b9f13"), "grant-budget")
MAX_ACT_REFERENCE = 60
# A payment's reference (the ministry's payment order number, "MP-2020/0123"): up to 40 letters,
# digits and / . _ -, with a digit, no spaces: a number, never free text (it is published).
MAX_PAYMENT_REFERENCE = 40
_PAYMENT_REFERENCE = re.compile(r"(?=[^0-9]*[0-9])[A-Za-z0-9][A-Za-z0-9/._-]{0,39}", re.ASCII)
# The budget is the whole action's: published on lgnet.network.budget.*, CloudEvents subject
# `grant-budget`.
NETWORK = "network"
GRANT_BUDGET_SUBJECT = "grant-budget"


class NationalPartner(StrEnum):
    """The co-beneficiaries that are not cities (DOMAIN.md, "The programme")."""

    MINISTRY = "ministry"
    """The lead partner (capofila): the Ministry of the Interior."""
    CITTALIA = "cittalia"
    ANCI = "anci"
    ANCI_COMUNICARE = "anci_comunicare"


class CostHeading(StrEnum):
    """The direct cost headings of the budget; indirect costs are no heading of their own but a
    flat rate on these."""

    STAFF = "staff"
    TRAVEL = "travel"
    EQUIPMENT = "equipment"
    SERVICES = "services"
    """Services and subcontracting."""
    OTHER_DIRECT = "other_direct"


class TransferReason(StrEnum):
    """Why the ministry moved money between two lines: a list, never free text (published)."""

    REPROGRAMMING = "reprogramming"
    SAVINGS = "savings"
    NEW_NEEDS = "new_needs"
    CORRECTION = "correction"
    OTHER = "other"


class PaymentKind(StrEnum):
    """What a payment to a co-beneficiary is, in the grant's payment schedule."""

    PRE_FINANCING = "pre_financing"
    INTERIM = "interim"
    BALANCE = "balance"


@dataclass(frozen=True)
class GrantTerms:
    """The grant's figures and rates: configuration (LGNET_FINANCE_*), the card's by default."""

    total_cost: Decimal = PROGRAMME_TOTAL_COST
    co_financing_rate: Decimal = Decimal("0.90")
    """The share of the total cost the grant finances; the rest is co-financing."""
    indirect_rate: Decimal = Decimal("0.07")
    """Indirect costs as a flat rate on direct costs."""
    card_shares: Mapping[str, Decimal] = field(
        default_factory=lambda: {"firenze": FLORENCE_SHARE})
    """Co-beneficiaries' totals the card states: a budget must match them."""
    confirmation_threshold: Decimal = Decimal("50000.00")
    """An admission above this amount waits for a second ministry user's confirmation."""


def truncated(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_DOWN)


def indirect_costs(direct: Decimal, rate: Decimal) -> Decimal:
    return truncated(direct * rate)


@dataclass(frozen=True)
class CoFinancing:
    total: Decimal
    financed: Decimal
    co_financing: Decimal


def co_financing_split(total: Decimal, rate: Decimal) -> CoFinancing:
    """The grant's share of `total` and the co-beneficiaries' own: they add up to it exactly."""
    financed = truncated(total * rate)
    return CoFinancing(total=total, financed=financed, co_financing=total - financed)


def co_beneficiaries(terms: TermsInForce) -> tuple[str, ...]:
    """The lead partner, the national partners, then every city the programme's terms know
    (a city admitted by the ministry's amendment included, a withdrawn one kept: its budget
    and claims stay in the accounts)."""
    return (*(partner.value for partner in NationalPartner),
            *(city.value for city in terms.known_cities))


def is_national_partner(co_beneficiary: str) -> bool:
    return co_beneficiary in {partner.value for partner in NationalPartner}


class UnknownCoBeneficiary(FinanceError):
    """Raised when a budget line or claim names no co-beneficiary of the action."""

    code = "unknown_co_beneficiary"


class BudgetTotalsWrong(FinanceError):
    """Raised when an adopted budget's total is not the action's total cost, or a share the card
    states is not met."""

    code = "budget_totals_wrong"


class TransferRefused(FinanceError):
    """Raised when a transfer names the same line twice, two co-beneficiaries, or more than
    the source line holds."""

    code = "transfer_refused"


class InvalidActReference(FinanceError):
    """Raised when the ministry's act (protocol number) is missing or too long."""

    code = "invalid_act_reference"


class NoBudgetAdopted(FinanceError):
    """Raised when a transfer or a claim comes before the ministry adopted a budget."""

    code = "no_budget_adopted"


class InvalidPaymentReference(FinanceError):
    """Raised when a payment's reference is missing, too long, or not a number (letters,
    digits and / . _ -, with a digit, no spaces)."""

    code = "invalid_payment_reference"


class PaymentRefused(FinanceError):
    """Raised when a payment would take what a co-beneficiary was paid above the grant's
    share of its budget, is dated in the future, or repeats a reference already paid."""

    code = "payment_refused"


def payment_ceiling(figures: BudgetFigures, co_beneficiary: str, grant: GrantTerms) -> Decimal:
    """The most a co-beneficiary may be paid: the financed share (the co-financing rate) of
    its budget's total, indirect costs included."""
    return co_financing_split(figures.co_beneficiary_total(co_beneficiary, grant.indirect_rate),
                              grant.co_financing_rate).financed


def _payment_reference(text: str) -> str:
    reference = text.strip() if isinstance(text, str) else ""
    if not _PAYMENT_REFERENCE.fullmatch(reference):
        raise InvalidPaymentReference(
            "Give the payment's reference (the payment order number): up to 40 letters, "
            "digits and / . _ -, with a digit and no spaces.", field="reference")
    return reference


def euros_text(text: str, field: str = "amount", *, zero_allowed: bool = False) -> Decimal:
    """Euros written as digits with a dot and at most two decimals ("1234.50"), as a file or a
    contract writes them. Only ASCII digits: Python's Decimal would read "١٢٣" (Arabic-Indic)
    as 123, and an amount nobody typed that way is a mistake or an attack."""
    written = text.strip() if isinstance(text, str) else ""
    if not written.isascii() or not written.replace(".", "", 1).isdigit():
        raise InvalidAmount("Write the amount as euros with ASCII digits, such as 1234.50.",
                            field=field)
    try:
        amount = Decimal(written)
    except InvalidOperation:
        raise InvalidAmount("The amount must be a number of euros.", field=field) from None
    return grant_euros(amount, field, zero_allowed=zero_allowed)


def grant_euros(amount: Decimal, field: str = "amount", *, zero_allowed: bool = False,
                ceiling: Decimal = PROGRAMME_TOTAL_COST * 10) -> Decimal:
    """`amount` once checked as `euros` checks it, below an absurd ceiling (a grant's figures
    are the whole action's, not only what it finances)."""
    return euros(amount, field, zero_allowed=zero_allowed, ceiling=ceiling,
                 over_ceiling="The amount is larger than the whole action.")


@dataclass(frozen=True, order=True)
class LineKey:
    co_beneficiary: str
    sub_action: SubAction
    heading: CostHeading

    def as_record(self) -> dict[str, str]:
        return {"co_beneficiary": self.co_beneficiary, "sub_action": self.sub_action.value,
                "heading": self.heading.value}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> LineKey:
        return cls(str(record["co_beneficiary"]), SubAction(str(record["sub_action"])),
                   CostHeading(str(record["heading"])))


@dataclass(frozen=True)
class BudgetFigures:
    """A set of budget lines (direct costs) and what follows from them."""

    lines: Mapping[LineKey, Decimal]

    def direct(self, co_beneficiary: str | None = None) -> Decimal:
        return sum((amount for key, amount in self.lines.items()
                    if co_beneficiary in (None, key.co_beneficiary)), ZERO)

    def co_beneficiary_total(self, co_beneficiary: str, rate: Decimal) -> Decimal:
        direct = self.direct(co_beneficiary)
        return direct + indirect_costs(direct, rate)

    def total(self, rate: Decimal) -> Decimal:
        """The action's total: each co-beneficiary's direct and indirect costs, summed (the
        indirect costs are computed per co-beneficiary, as each one's statement shows them)."""
        return sum((self.co_beneficiary_total(who, rate) for who in self.co_beneficiaries()),
                   ZERO)

    def co_beneficiaries(self) -> tuple[str, ...]:
        return tuple(sorted({key.co_beneficiary for key in self.lines}))


def check_budget(lines: Mapping[LineKey, Decimal], grant: GrantTerms,
                 terms: TermsInForce) -> BudgetFigures:
    """The budget's lines once checked: known co-beneficiaries, amounts in cents, a total that
    is the action's total cost, and the card's shares met."""
    known = set(co_beneficiaries(terms))
    for key, amount in lines.items():
        if key.co_beneficiary not in known:
            raise UnknownCoBeneficiary(
                f"{key.co_beneficiary} is not a co-beneficiary of the action.",
                field="co_beneficiary", co_beneficiary=key.co_beneficiary)
        grant_euros(amount, zero_allowed=True)
    figures = BudgetFigures(dict(lines))
    total = figures.total(grant.indirect_rate)
    if total != grant.total_cost:
        raise BudgetTotalsWrong(
            f"The budget adds up to {total}, not the action's total cost {grant.total_cost}.",
            field="lines", total=total, expected=grant.total_cost)
    for who, share in grant.card_shares.items():
        theirs = figures.co_beneficiary_total(who, grant.indirect_rate)
        if theirs != share:
            raise BudgetTotalsWrong(
                f"{who}'s budget adds up to {theirs}, not the {share} the card states.",
                field="lines", total=theirs, expected=share)
    return figures


def _act_reference(text: str) -> str:
    reference = text.strip() if isinstance(text, str) else ""
    if not reference or len(reference) > MAX_ACT_REFERENCE:
        raise InvalidActReference(
            "Give the reference (protocol number) of the ministry's act, in up to 60 "
            "characters.", field="act_reference")
    return reference


class GrantBudget(Aggregate):
    """The action's budget: every co-beneficiary's direct costs per sub-action and heading."""

    class Opened(Aggregate.Created):
        pass

    def __init__(self) -> None:
        self.lines: dict[LineKey, Decimal] = {}
        self.adoptions = 0
        self.paid: dict[str, Decimal] = {}
        """What each co-beneficiary was paid so far."""
        self.payment_references: set[tuple[str, str]] = set()

    @classmethod
    def open(cls, now: datetime) -> GrantBudget:
        return cls._create(cls.Opened, id=GRANT_BUDGET_ID, timestamp=now)

    @property
    def figures(self) -> BudgetFigures:
        return BudgetFigures(dict(self.lines))

    class Adopted(Aggregate.Event):
        """The ministry adopted the budget (the grant agreement's, or an amendment of it): these
        lines replace every earlier one."""

        city = NETWORK
        subject = GRANT_BUDGET_SUBJECT
        lines: list[dict[str, str]]
        total_cost: Decimal
        act_reference: str
        adopted_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, GrantBudget)
            aggregate.lines = {LineKey.from_record(line): Decimal(line["amount"])
                               for line in self.lines}
            aggregate.adoptions += 1

    def adopt(self, lines: Mapping[LineKey, Decimal], act_reference: str, adopted_on: date,
              grant: GrantTerms, terms: TermsInForce, actor: Actor, now: datetime) -> None:
        reference = _act_reference(act_reference)
        figures = check_budget(lines, grant, terms)
        self.trigger_event(
            self.Adopted, timestamp=now,
            lines=[{**key.as_record(), "amount": format(amount, "f")}
                   for key, amount in sorted(figures.lines.items())],
            total_cost=grant.total_cost, act_reference=reference, adopted_on=adopted_on,
            actor=actor.as_record(),
        )

    class TransferApproved(Aggregate.Event):
        city = NETWORK
        subject = GRANT_BUDGET_SUBJECT

        co_beneficiary: str
        from_sub_action: str
        from_heading: str
        to_sub_action: str
        to_heading: str
        amount: Decimal
        reason: str
        act_reference: str
        approved_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, GrantBudget)
            source = LineKey(self.co_beneficiary, SubAction(self.from_sub_action),
                             CostHeading(self.from_heading))
            target = LineKey(self.co_beneficiary, SubAction(self.to_sub_action),
                             CostHeading(self.to_heading))
            aggregate.lines[source] = aggregate.lines.get(source, ZERO) - self.amount
            aggregate.lines[target] = aggregate.lines.get(target, ZERO) + self.amount

    def transfer(self, source: LineKey, target: LineKey, amount: Decimal,
                 reason: TransferReason, act_reference: str, approved_on: date, actor: Actor,
                 now: datetime) -> None:
        """Move `amount` of one co-beneficiary's budget from one line (sub-action and heading)
        to another, as the ministry approved it by the act `act_reference`."""
        if not self.adoptions:
            raise NoBudgetAdopted("No budget has been adopted yet.", field="amount")
        exact = grant_euros(amount)
        reference = _act_reference(act_reference)
        if source.co_beneficiary != target.co_beneficiary:
            raise TransferRefused(
                "A transfer stays within one co-beneficiary; between co-beneficiaries the "
                "ministry adopts an amended budget.", field="to_heading")
        if source == target:
            raise TransferRefused("The transfer's two lines are the same.", field="to_heading")
        if exact > self.lines.get(source, ZERO):
            raise TransferRefused("The amount is more than the line holds.", field="amount",
                                  holds=self.lines.get(source, ZERO))
        self.trigger_event(
            self.TransferApproved, timestamp=now, co_beneficiary=source.co_beneficiary,
            from_sub_action=source.sub_action.value, from_heading=source.heading.value,
            to_sub_action=target.sub_action.value, to_heading=target.heading.value,
            amount=exact, reason=TransferReason(reason).value, act_reference=reference,
            approved_on=approved_on, actor=actor.as_record(),
        )

    class PaymentMade(Aggregate.Event):
        """The ministry paid a co-beneficiary `amount` (its value date `value_date`): a
        pre-financing, an interim payment or the balance, by the payment order `reference`."""

        city = NETWORK
        subject = GRANT_BUDGET_SUBJECT

        co_beneficiary: str
        kind: str
        amount: Decimal
        value_date: date
        reference: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, GrantBudget)
            aggregate.paid[self.co_beneficiary] = (
                aggregate.paid.get(self.co_beneficiary, ZERO) + self.amount)
            aggregate.payment_references.add((self.co_beneficiary, self.reference))

    def pay(self, co_beneficiary: str, amount: Decimal, value_date: date, kind: PaymentKind,
            reference: str, grant: GrantTerms, terms: TermsInForce, actor: Actor,
            now: datetime) -> None:
        """Record a payment to a co-beneficiary: more than zero, in cents, dated no later than
        today (`now`, in Italy), and never taking what it was paid above the grant's share of
        its budget (`payment_ceiling`)."""
        if not self.adoptions:
            raise NoBudgetAdopted("No budget has been adopted yet.", field="amount")
        if co_beneficiary not in co_beneficiaries(terms):
            raise UnknownCoBeneficiary(
                f"{co_beneficiary} is not a co-beneficiary of the action.",
                field="co_beneficiary", co_beneficiary=co_beneficiary)
        exact = grant_euros(amount)
        chosen = PaymentKind(kind)
        written = _payment_reference(reference)
        if value_date > programme_today(now):
            raise PaymentRefused("A payment's value date cannot be in the future.",
                                 field="value_date")
        if (co_beneficiary, written) in self.payment_references:
            raise PaymentRefused("A payment with this reference was already recorded for "
                                 "this co-beneficiary.", field="reference")
        ceiling = payment_ceiling(self.figures, co_beneficiary, grant)
        paid = self.paid.get(co_beneficiary, ZERO)
        if paid + exact > ceiling:
            raise PaymentRefused(
                f"The payments would exceed the grant's share of {co_beneficiary}'s budget "
                f"({ceiling}); {ceiling - paid} can still be paid.",
                field="amount", ceiling=ceiling, paid=paid)
        self.trigger_event(
            self.PaymentMade, timestamp=now, co_beneficiary=co_beneficiary, kind=chosen.value,
            amount=exact, value_date=value_date, reference=written, actor=actor.as_record())


def lines_of(rows: Iterable[tuple[str, str, str, Decimal]]) -> dict[LineKey, Decimal]:
    """Budget lines from (co-beneficiary, sub-action, heading, amount) rows; a repeated line is
    added up."""
    lines: dict[LineKey, Decimal] = {}
    for who, sub_action, heading, amount in rows:
        key = LineKey(who, SubAction(sub_action), CostHeading(heading))
        lines[key] = lines.get(key, ZERO) + amount
    return lines
