"""Event contracts of budget and expenditure (see docs/workflows/finance.md).

A city's budget is no case's: these events carry no case id, and their CloudEvents subject is the
claim id (claims) or the city (allocations). Amounts are euros written as JSON strings with
exactly two decimals ("1234.50"): JSON numbers are binary floats in many consumers (JavaScript,
most JSON libraries by default), which would turn 0.10 + 0.20 into 0.30000000000000004 in a
report to the EU."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field, StringConstraints

from events.contracts import City, EventContract

BudgetSubAction = Literal["1", "2", "3", "4", "5", "6"]
ExpenseCategory = Literal["staff", "services", "housing_costs", "goods", "travel", "other"]


def _as_text(value: object) -> object:
    """A Decimal (as the domain holds money) written with its two decimals; else unchanged."""
    return format(value, "f") if isinstance(value, Decimal) else value


Euros = Annotated[
    str,
    StringConstraints(pattern=r"^\d+\.\d{2}$"),
    BeforeValidator(_as_text),
    Field(
        description='Euros, as a string with exactly two decimals such as "1234.50" (a string, '
        "because JSON numbers lose precision in many consumers)",
    ),
]


class BudgetAllocationSetV1(EventContract):
    """The ministry set or revised a city's allocation for a sub-action: the new amount
    replaces the previous one."""

    aggregate: ClassVar[str] = "budget"
    event: ClassVar[str] = "allocation_set"
    version: ClassVar[int] = 1

    budget_id: UUID
    city: City
    sub_action: BudgetSubAction
    amount: Euros
    reason: str = Field(min_length=1, max_length=500)


class BudgetClaimRecordedV1(EventContract):
    """A city claimed a cost against its allocation for a sub-action, with the reference of the
    supporting document (a protocol number, never personal data). It is pending until the
    ministry approves or rejects it."""

    aggregate: ClassVar[str] = "budget"
    event: ClassVar[str] = "claim_recorded"
    version: ClassVar[int] = 1

    budget_id: UUID
    claim_id: UUID
    city: City
    sub_action: BudgetSubAction
    category: ExpenseCategory
    amount: Euros
    spent_on: date = Field(
        description="Within the eligibility window: the programme's period, 2019-07-01.."
        "2021-12-31 unless the ministry extended it (programme.period_extended)")
    document_reference: str = Field(min_length=1, max_length=60)


class BudgetClaimApprovedV1(EventContract):
    """The ministry approved a pending claim."""

    aggregate: ClassVar[str] = "budget"
    event: ClassVar[str] = "claim_approved"
    version: ClassVar[int] = 1

    budget_id: UUID
    claim_id: UUID
    city: City
    sub_action: BudgetSubAction
    amount: Euros


class BudgetClaimRejectedV1(EventContract):
    """The ministry rejected a pending claim, and said why. Its amount no longer counts against
    the allocation."""

    aggregate: ClassVar[str] = "budget"
    event: ClassVar[str] = "claim_rejected"
    version: ClassVar[int] = 1

    budget_id: UUID
    claim_id: UUID
    city: City
    sub_action: BudgetSubAction
    amount: Euros
    reason: str = Field(min_length=1, max_length=500)


FINANCE_CONTRACTS: tuple[type[EventContract], ...] = (
    BudgetAllocationSetV1,
    BudgetClaimRecordedV1,
    BudgetClaimApprovedV1,
    BudgetClaimRejectedV1,
)
