"""The words of budget and expenditure: expense categories and claim statuses, the budget's
events and its refusals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.finance.model import ClaimStatus, ExpenseCategory
from events.finance import (
    BudgetAllocationSetV1,
    BudgetClaimApprovedV1,
    BudgetClaimRecordedV1,
    BudgetClaimRejectedV1,
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

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    ExpenseCategory: EXPENSE_CATEGORIES,
    ClaimStatus: CLAIM_STATUSES,
}
# CloudEvents type -> what the record calls the event.
EVENT_TYPES: Mapping[str, str] = {
    BudgetAllocationSetV1.ce_type(): N_("Allocation set"),
    BudgetClaimRecordedV1.ce_type(): N_("Expenditure claim recorded"),
    BudgetClaimApprovedV1.ce_type(): N_("Expenditure claim approved"),
    BudgetClaimRejectedV1.ce_type(): N_("Expenditure claim rejected"),
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
}
