"""The words of budget and expenditure: expense categories and claim statuses, the budget's
events and its refusals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.finance.claims import ClaimState, DisallowanceReason, VatTreatment
from domain.finance.grant import CostHeading, NationalPartner, PaymentKind, TransferReason
from domain.finance.model import ClaimStatus, ExpenseCategory
from events.finance import (
    BudgetAllocationSetV1,
    BudgetClaimApprovedV1,
    BudgetClaimRecordedV1,
    BudgetClaimRejectedV1,
    BudgetGrantAdoptedV1,
    BudgetPaymentMadeV1,
    BudgetTransferApprovedV1,
    ClaimAdmissionConfirmedV1,
    ClaimCheckedV1,
    ClaimCorrectedV1,
    ClaimDraftedV1,
    ClaimRejectedV1,
    ClaimSubmittedV1,
)
from web.kit.i18n import N_

EXPENSE_CATEGORIES: Mapping[str, str] = {
    ExpenseCategory.STAFF: N_("Staff"),
    ExpenseCategory.SERVICES: N_("Services"),
    ExpenseCategory.HOUSING_COSTS: N_("Housing costs"),
    ExpenseCategory.GOODS: N_("Goods"),
    ExpenseCategory.TRAVEL: N_("Travel"),
    ExpenseCategory.OTHER: N_("Other costs"),
}

CLAIM_STATUSES: Mapping[str, str] = {
    ClaimStatus.PENDING: N_("Awaiting the ministry's check"),
    ClaimStatus.APPROVED: N_("Approved by the ministry"),
    ClaimStatus.REJECTED: N_("Rejected by the ministry"),
}

# --- the grant's model (issue 13) ---
COST_HEADINGS: Mapping[str, str] = {
    CostHeading.STAFF: N_("Staff costs"),
    CostHeading.TRAVEL: N_("Travel and subsistence"),
    CostHeading.EQUIPMENT: N_("Equipment"),
    CostHeading.SERVICES: N_("Services and subcontracting"),
    CostHeading.OTHER_DIRECT: N_("Other direct costs"),
}
GRANT_CLAIM_STATES: Mapping[str, str] = {
    ClaimState.DRAFT: N_("Draft: not submitted yet"),
    ClaimState.SUBMITTED: N_("Submitted: awaiting the ministry's check"),
    ClaimState.AWAITING_CONFIRMATION: N_("Admitted: awaiting a second ministry user's "
                                         "confirmation"),
    ClaimState.ADMITTED: N_("Admitted"),
    ClaimState.REJECTED: N_("Not admitted (rejected)"),
}
DISALLOWANCE_REASONS: Mapping[str, str] = {
    DisallowanceReason.OUTSIDE_PERIOD: N_("Outside the eligibility period"),
    DisallowanceReason.NOT_PERTINENT: N_("Not pertinent to the action"),
    DisallowanceReason.NO_PROOF: N_("No proof of the cost or of its payment"),
    DisallowanceReason.OVER_HEADING_BUDGET: N_("Over the cost heading's budget"),
    DisallowanceReason.DUPLICATE: N_("Already claimed (duplicate)"),
    DisallowanceReason.OTHER: N_("Other reason"),
}
VAT_TREATMENTS: Mapping[str, str] = {
    VatTreatment.NOT_RECOVERABLE: N_("VAT not recoverable (an eligible cost)"),
    VatTreatment.RECOVERABLE: N_("VAT recoverable (not an eligible cost)"),
    VatTreatment.EXEMPT: N_("No VAT on the document"),
}
TRANSFER_REASONS: Mapping[str, str] = {
    TransferReason.REPROGRAMMING: N_("Reprogramming of the activities"),
    TransferReason.SAVINGS: N_("Savings on the line"),
    TransferReason.NEW_NEEDS: N_("New needs"),
    TransferReason.CORRECTION: N_("Correction of the budget"),
    TransferReason.OTHER: N_("Other reason"),
}
NATIONAL_PARTNERS: Mapping[str, str] = {
    NationalPartner.MINISTRY: N_("Ministry of the Interior (lead partner)"),
    NationalPartner.CITTALIA: N_("Fondazione Cittalia"),
    NationalPartner.ANCI: N_("ANCI"),
    NationalPartner.ANCI_COMUNICARE: N_("ANCI Comunicare"),
}
PAYMENT_KINDS: Mapping[str, str] = {
    PaymentKind.PRE_FINANCING: N_("Pre-financing"),
    PaymentKind.INTERIM: N_("Interim payment"),
    PaymentKind.BALANCE: N_("Balance"),
}
WHOLE_ACTION = N_("The whole action")


# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    ExpenseCategory: EXPENSE_CATEGORIES,
    ClaimStatus: CLAIM_STATUSES,
    CostHeading: COST_HEADINGS,
    ClaimState: GRANT_CLAIM_STATES,
    DisallowanceReason: DISALLOWANCE_REASONS,
    VatTreatment: VAT_TREATMENTS,
    TransferReason: TRANSFER_REASONS,
    NationalPartner: NATIONAL_PARTNERS,
    PaymentKind: PAYMENT_KINDS,
}
# CloudEvents type -> what the record calls the event.
EVENT_TYPES: Mapping[str, str] = {
    BudgetAllocationSetV1.ce_type(): N_("Allocation set"),
    BudgetClaimRecordedV1.ce_type(): N_("Expenditure claim recorded"),
    BudgetClaimApprovedV1.ce_type(): N_("Expenditure claim approved"),
    BudgetClaimRejectedV1.ce_type(): N_("Expenditure claim rejected"),
    BudgetGrantAdoptedV1.ce_type(): N_("Budget of the action adopted"),
    BudgetTransferApprovedV1.ce_type(): N_("Budget transfer approved"),
    BudgetPaymentMadeV1.ce_type(): N_("Payment made to a co-beneficiary"),
    ClaimDraftedV1.ce_type(): N_("Claim drafted with its evidence"),
    ClaimSubmittedV1.ce_type(): N_("Claim submitted for checking"),
    ClaimCheckedV1.ce_type(): N_("Claim admitted (fully or partly)"),
    ClaimAdmissionConfirmedV1.ce_type(): N_("Admission confirmed by a second ministry user"),
    ClaimRejectedV1.ce_type(): N_("Claim not admitted"),
    ClaimCorrectedV1.ce_type(): N_("Claim answered by a corrected claim"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("finance_error", None): N_("This breaks a rule of the programme's budget."),
    ("invalid_amount", None): N_(
        "Give the amount in euros, more than zero and with at most two decimals, such as "
        "1.234,50."
    ),
    ("outside_eligibility", None): N_(
        "The cost must be dated within the eligibility window, the programme's period "
        "(%(starts_on)s to %(ends_on)s), and not in the future."
    ),
    ("no_allocation", None): N_(
        "The city has no allocation for this sub-action: costs can be claimed only against a "
        "sub-action the ministry has allocated funds to."
    ),
    ("over_allocation", None): N_(
        "The claim would take the sub-action over the city's allocation: what is already "
        "claimed (awaiting the check or approved) plus this amount exceeds it. See what "
        "remains in the table."
    ),
    ("invalid_claim", None): N_(
        "Give the supporting document's reference (a protocol number, not personal data), in "
        "up to 60 characters."
    ),
    ("claim_not_found", None): N_("The city has no claim with this id."),
    ("claim_not_pending", None): N_(
        "The claim has already been approved or rejected: it cannot be decided again."
    ),
    ("invalid_reason", None): N_("Give the reason, in up to 500 characters."),
    ("allocation_below_claimed", None): N_(
        "The allocation cannot be less than what the city has already claimed for the "
        "sub-action (claims awaiting the check and approved ones)."
    ),
    ("programme_over_financed", None): N_(
        "The allocations of all the cities would exceed the programme's financed total of "
        "€ 10,291,188.10."
    ),
    ("budget_busy", None): N_(
        "The budget was being changed by someone else at the same moment: try again."
    ),
    # -- the grant's model (issue 13) --
    ("unknown_co_beneficiary", None): N_(
        "This is not a co-beneficiary of the action: the lead partner, Fondazione Cittalia, "
        "ANCI, ANCI Comunicare or a partner city."
    ),
    ("budget_totals_wrong", None): N_(
        "The budget adds up to %(total)s, not %(expected)s: the action's total cost (indirect "
        "costs included) and the shares the programme card states must be met to the cent."
    ),
    ("transfer_refused", None): N_(
        "A transfer moves money between two different lines of one co-beneficiary, and never "
        "more than the line holds; between co-beneficiaries the ministry adopts an amended "
        "budget."
    ),
    ("invalid_act_reference", None): N_(
        "Give the reference (protocol number) of the ministry's act, in up to 60 characters."
    ),
    ("no_budget_adopted", None): N_("The ministry has not adopted the action's budget yet."),
    ("invalid_claim_evidence", None): N_(
        "Check the claim's evidence: the supplier (up to 120 characters), the document's "
        "number (up to 40), the CUP (15 letters and digits) and the CIG (10, where there is "
        "one)."
    ),
    ("evidence_missing", None): N_(
        "Attach the invoice and the proof of payment to the claim before submitting it for "
        "checking."
    ),
    ("claim_not_in_state", None): N_(
        "The claim is not at the step this needs (a draft is submitted, a submitted claim "
        "checked, an admission above the threshold confirmed, a rejected claim corrected "
        "once)."
    ),
    ("four_eyes", None): N_(
        "Four eyes: whoever drafted or submitted a claim cannot check it, and a second "
        "ministry user, not the checker, confirms a large admission."
    ),
    ("invalid_admission", None): N_(
        "The parts not admitted leave nothing to admit: reject the claim instead."
    ),
    # -- payments to the co-beneficiaries --
    ("invalid_payment_reference", None): N_(
        "Give the payment order's number: up to 40 letters, digits and / . _ -, with at least "
        "one digit and no spaces (such as MP-2021/0123)."
    ),
    ("payment_refused", "amount"): N_(
        "The payments to this co-beneficiary would exceed what the grant finances of its "
        "budget: see what can still be paid in the table."
    ),
    ("payment_refused", "value_date"): N_("A payment's value date cannot be in the future."),
    ("payment_refused", "reference"): N_(
        "A payment with this number was already recorded for this co-beneficiary."
    ),
    ("payment_refused", None): N_("The payment cannot be recorded."),
}
