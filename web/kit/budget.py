"""A budget line as the API answers it: what the finance API and the indicators API both show
of a sub-action's (or a total's) allocation and claims. Money travels as strings with two
decimals ("1234.50"): JSON numbers lose precision in many clients."""

from __future__ import annotations

from pydantic import BaseModel, Field

from events.finance import Euros
from projections.finance import BudgetLine


class BudgetLineOut(BaseModel):
    sub_action: str | None = Field(description="null: every sub-action together")
    allocated: Euros
    claimed: Euros = Field(description="Pending and approved claims")
    approved: Euros
    pending: Euros
    rejected: Euros
    remaining: Euros = Field(description="Allocated less claimed")

    @classmethod
    def of(cls, line: BudgetLine) -> BudgetLineOut:
        return cls.model_validate({
            "sub_action": line.sub_action, "allocated": line.allocated,
            "claimed": line.claimed, "approved": line.approved, "pending": line.pending,
            "rejected": line.rejected, "remaining": line.remaining,
        })
