"""The finance context's public events. A budget is no case's: a claim's CloudEvents subject is
the claim id (what an auditor follows from recording to decision), an allocation's the city.
The programme budget's events (its running count of every city's allocations) are internal."""

from __future__ import annotations

from domain.finance.model import CityBudget
from events.finance import (
    BudgetAllocationSetV1,
    BudgetClaimApprovedV1,
    BudgetClaimRecordedV1,
    BudgetClaimRejectedV1,
)
from infra.publishing.event_mapping import PublicEvent

_BY_CLAIM = {"id_field": "budget_id", "subject_attribute": "claim_id"}

FINANCE_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(CityBudget.AllocationSet, BudgetAllocationSetV1, id_field="budget_id",
                subject_attribute="city"),
    PublicEvent(CityBudget.ClaimRecorded, BudgetClaimRecordedV1, **_BY_CLAIM),
    PublicEvent(CityBudget.ClaimApproved, BudgetClaimApprovedV1, **_BY_CLAIM),
    PublicEvent(CityBudget.ClaimRejected, BudgetClaimRejectedV1, **_BY_CLAIM),
)
