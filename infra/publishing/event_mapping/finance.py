"""The finance context's public events. A budget is no case's: a claim's CloudEvents subject is
the claim id (what an auditor follows from recording to decision), an allocation's the city.
The programme budget's events (its running count of every city's allocations) are internal."""

from __future__ import annotations

from domain.finance.claims import ExpenditureClaim
from domain.finance.grant import GrantBudget
from domain.finance.model import CityBudget
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
from infra.publishing.event_mapping import PublicEvent

_BY_CLAIM = {"id_field": "budget_id", "subject_attribute": "claim_id"}

FINANCE_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(CityBudget.AllocationSet, BudgetAllocationSetV1, id_field="budget_id",
                subject_attribute="city"),
    PublicEvent(CityBudget.ClaimRecorded, BudgetClaimRecordedV1, **_BY_CLAIM),
    PublicEvent(CityBudget.ClaimApproved, BudgetClaimApprovedV1, **_BY_CLAIM),
    PublicEvent(CityBudget.ClaimRejected, BudgetClaimRejectedV1, **_BY_CLAIM),
    # The grant's budget (the whole action's) and its claims (issue 13).
    PublicEvent(GrantBudget.Adopted, BudgetGrantAdoptedV1, id_field="budget_id",
                subject_attribute="subject"),
    PublicEvent(GrantBudget.TransferApproved, BudgetTransferApprovedV1, id_field="budget_id",
                subject_attribute="subject"),
    PublicEvent(GrantBudget.PaymentMade, BudgetPaymentMadeV1, id_field="budget_id",
                subject_attribute="subject"),
    *(PublicEvent(domain_event, contract, id_field="claim_id",
                  subject_attribute="originator_id")
      for domain_event, contract in (
          (ExpenditureClaim.Drafted, ClaimDraftedV1),
          (ExpenditureClaim.Submitted, ClaimSubmittedV1),
          (ExpenditureClaim.Checked, ClaimCheckedV1),
          (ExpenditureClaim.AdmissionConfirmed, ClaimAdmissionConfirmedV1),
          (ExpenditureClaim.Rejected, ClaimRejectedV1),
          (ExpenditureClaim.Corrected, ClaimCorrectedV1),
      )),
)
