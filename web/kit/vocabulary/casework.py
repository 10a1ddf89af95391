"""The words of case work (issue 16): who holds a case (assignment), and the work queue's kinds
of item. Other capabilities of case work add their own kinds' words here."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from events.assignment import CaseAssignedV1
from web.kit.i18n import N_

# The work queue's kinds of item (projections.projection.WorkItem.kind) -> what a line says.
WORK_ITEM_KINDS: Mapping[str, str] = {
    "referral_answer_due": N_("Referral awaiting an answer"),
    "transfer_awaiting_acceptance": N_("Transfer from another city awaiting acceptance"),
    "bed_offer_awaiting_answer": N_("Bed offer awaiting the person's answer"),
    "waitlist_waiting_long": N_("Waiting on the housing waitlist for a long time"),
    "case_inactive": N_("No work recorded on the case for a long time"),
    "permit_expiring": N_("Residence permit about to expire"),
    "guardian_missing": N_("Unaccompanied minor without a guardian"),
    "claim_awaiting_decision": N_("Expenditure claim awaiting a decision"),
    "reporting_late": N_("City late with its expenditure reporting"),
    "grant_expiring": N_("Your access grant is about to end"),
    "follow_up_due": N_("Follow-up due with the person"),
    "plan_review_due": N_("Review of the individual plan due"),
    "goal_target_passed": N_("A goal of the individual plan is past its target date"),
    "document_expiring": N_("A document of the case is about to expire"),
    "possible_same_person_to_decide": N_(
        "Possible same person as a case of another city: to confirm or rule out"),
}

LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {
    CaseAssignedV1.ce_type(): N_("Case assigned"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("assignee_not_city_staff", None): N_(
        "Only an operator or coordinator of %(city)s can be assigned this case."
    ),
    ("assignment_already_held", None): N_(
        "The case is already assigned to this person."
    ),
}
