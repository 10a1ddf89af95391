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

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from events.contracts import City, EventContract

BudgetSubAction = Literal["1", "2", "3", "4", "5", "6"]
ExpenseCategory = Literal["staff", "services", "housing_costs", "goods", "travel", "other"]


def _as_text(value: object) -> object:
    """A Decimal (as the domain holds money) written with its two decimals; else unchanged."""
    return format(
        value,
        # mutmut's "f" -> "F" is equivalent: a Decimal's "F" writes what "f" does, NaN and
        # Infinity included (no letter case to change), so it is left out (docs/testing.md).
        "f",  # pragma: no mutate
    ) if isinstance(value, Decimal) else value


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


# --- the grant's budget and claims (issue 13) ---------------------------------------------------
# The grant's budget belongs to the whole action (lgnet.network.budget.*, CloudEvents subject
# `grant-budget`); a claim to its co-beneficiary: a city's on the city's subjects, a national
# partner's on the network's (lgnet.<city|network>.claim.*, CloudEvents subject the claim id).
# Only ids, codes, amounts and dates: a claim's supplier and document number stay in the event
# store (a supplier may be a sole trader, a person), reasons are codes from a list.

CoBeneficiary = Annotated[
    str, Field(pattern=r"^[a-z][a-z0-9_-]{1,39}$", description=(
        "A co-beneficiary of the action: ministry (the lead partner), cittalia, anci, "
        "anci_comunicare, or a city's slug"))]
CostHeading = Literal["staff", "travel", "equipment", "services", "other_direct"]
DisallowanceReason = Literal[
    "outside_period", "not_pertinent", "no_proof", "over_heading_budget", "duplicate", "other"]
TransferReason = Literal["reprogramming", "savings", "new_needs", "correction", "other"]
PaymentKind = Literal["pre_financing", "interim", "balance"]
VatTreatment = Literal["not_recoverable", "recoverable", "exempt"]
_ACT_REFERENCE = Field(
    min_length=1, max_length=60,
    description="The reference (protocol number) of the ministry's act, never free text")


class GrantBudgetLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    co_beneficiary: CoBeneficiary
    sub_action: BudgetSubAction
    heading: CostHeading
    amount: Euros = Field(description="Direct costs; indirect costs are a flat rate on them")


class BudgetGrantAdoptedV1(EventContract):
    """The ministry adopted the action's budget (the grant agreement's, or an amendment): every
    co-beneficiary's direct costs per sub-action and cost heading, replacing any earlier
    budget. Its total, indirect costs (a flat rate on each co-beneficiary's direct costs)
    included, is `total_cost`."""

    aggregate: ClassVar[str] = "budget"
    event: ClassVar[str] = "grant_adopted"
    version: ClassVar[int] = 1

    budget_id: UUID
    city: Literal["network"] = Field(default="network")
    lines: list[GrantBudgetLine]
    total_cost: Euros
    act_reference: str = _ACT_REFERENCE
    adopted_on: date


class BudgetTransferApprovedV1(EventContract):
    """The ministry approved moving `amount` of a co-beneficiary's budget from one sub-action
    and heading to another (its total, hence its indirect costs, unchanged)."""

    aggregate: ClassVar[str] = "budget"
    event: ClassVar[str] = "transfer_approved"
    version: ClassVar[int] = 1

    budget_id: UUID
    city: Literal["network"] = Field(default="network")
    co_beneficiary: CoBeneficiary
    from_sub_action: BudgetSubAction
    from_heading: CostHeading
    to_sub_action: BudgetSubAction
    to_heading: CostHeading
    amount: Euros
    reason: TransferReason
    act_reference: str = _ACT_REFERENCE
    approved_on: date


class BudgetPaymentMadeV1(EventContract):
    """The ministry paid a co-beneficiary: a pre-financing, an interim payment or the balance,
    by a payment order (`reference`). What it was paid never exceeds the grant's share of its
    budget; what is due is the grant's share of its admitted costs less what it was paid."""

    aggregate: ClassVar[str] = "budget"
    event: ClassVar[str] = "payment_made"
    version: ClassVar[int] = 1

    budget_id: UUID
    city: Literal["network"] = Field(default="network")
    co_beneficiary: CoBeneficiary
    kind: PaymentKind
    amount: Euros
    value_date: date
    reference: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,39}$",
        description="The payment order's number: letters, digits and / . _ -, never free text")


class _ClaimEvent(EventContract):
    aggregate: ClassVar[str] = "claim"
    version: ClassVar[int] = 1

    claim_id: UUID
    city: City = Field(description="The claim's city, or `network` for a national partner's")
    co_beneficiary: CoBeneficiary


class ClaimDraftedV1(_ClaimEvent):
    """A co-beneficiary drafted a claim of a cost, with its evidence (the supplier and the
    document's number are not published). `corrects` names the rejected claim it answers."""

    event: ClassVar[str] = "drafted"

    sub_action: BudgetSubAction
    heading: CostHeading
    document_date: date
    payment_date: date
    gross_amount: Euros
    eligible_amount: Euros
    vat_treatment: VatTreatment
    cup: str = Field(pattern=r"^[A-Z0-9]{15}$", description="The project's CUP")
    cig: str | None = Field(default=None, pattern=r"^[A-Z0-9]{10}$",
                            description="The tender's CIG, where there is one")
    corrects: UUID | None = None


class ClaimSubmittedV1(_ClaimEvent):
    """The claim was submitted for checking, with its invoice and proof of payment (the
    documents' ids, events of the documents context)."""

    event: ClassVar[str] = "submitted"

    eligible_amount: Euros
    documents: list[UUID] = Field(min_length=2)


class ClaimDisallowedPart(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: Euros
    reason: DisallowanceReason


class ClaimCheckedV1(_ClaimEvent):
    """The ministry admitted the claim, fully (no disallowed part) or partly (each disallowed
    part with its reason): `admitted_amount` + the parts = `eligible_amount`. With
    `confirmation_needed` the admission counts once a second ministry user confirms it."""

    event: ClassVar[str] = "checked"

    eligible_amount: Euros
    admitted_amount: Euros
    disallowed: list[ClaimDisallowedPart]
    confirmation_needed: bool


class ClaimAdmissionConfirmedV1(_ClaimEvent):
    """A second ministry user confirmed an admission above the threshold."""

    event: ClassVar[str] = "admission_confirmed"

    admitted_amount: Euros


class ClaimRejectedV1(_ClaimEvent):
    """The ministry rejected the claim: nothing of it is admitted."""

    event: ClassVar[str] = "rejected"

    eligible_amount: Euros
    reason: DisallowanceReason


class ClaimCorrectedV1(_ClaimEvent):
    """The rejected claim was answered by the corrected claim `corrected_by`."""

    event: ClassVar[str] = "corrected"

    corrected_by: UUID


FINANCE_CONTRACTS: tuple[type[EventContract], ...] = (
    BudgetAllocationSetV1,
    BudgetClaimRecordedV1,
    BudgetClaimApprovedV1,
    BudgetClaimRejectedV1,
    BudgetGrantAdoptedV1,
    BudgetTransferApprovedV1,
    BudgetPaymentMadeV1,
    ClaimDraftedV1,
    ClaimSubmittedV1,
    ClaimCheckedV1,
    ClaimAdmissionConfirmedV1,
    ClaimRejectedV1,
    ClaimCorrectedV1,
)
