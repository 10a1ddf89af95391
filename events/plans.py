"""Event contracts of the individual plans (see docs/events.md and docs/workflows/plans.md).

A plan is its case's: every event names the case (`case_id`, `case_code`, its CloudEvents
subject), so it appears on the case's timeline. No field holds free text: a goal's words, an
action's description and what a review found are kept in the personal-data vault, encrypted
with the person's key; the events carry each text's id there (`text_id`) and its digest (an
HMAC under the person's key, so it cannot be checked against guessed texts, and it dies with
the erasure). Assignees are staff usernames, never the person. Partners receive none of these
events."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.contracts import CASE_CODE_PATTERN, City, EventContract

GoalArea = Literal[
    "housing", "work", "health", "legal", "language", "documents", "social_ties",
]
DropReason = Literal[
    "person_declined", "no_longer_needed", "not_feasible", "replaced", "person_unreachable",
    "case_transferred",
]
ActionOwner = Literal["person", "operator", "partner_organisation", "public_service"]
DIGEST_PATTERN = r"^[0-9a-f]{64}$"
STAFF_USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"


class PlanEvent(EventContract):
    """What every event of a plan carries: the plan, and the case it is of (its city when the
    event was recorded)."""

    aggregate: ClassVar[str] = "plan"

    plan_id: UUID
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City


class PlanStartedV1(PlanEvent):
    """A case's individual plan was started, with the day of its first review."""

    event: ClassVar[str] = "started"
    version: ClassVar[int] = 1

    started_on: date
    next_review_on: date = Field(description="Not before started_on")


class PlanGoalAgreedV1(PlanEvent):
    """A goal was agreed with the person: its area and target date; its words are in the vault
    (`text_id`, `text_digest`)."""

    event: ClassVar[str] = "goal_agreed"
    version: ClassVar[int] = 1

    goal_id: UUID
    area: GoalArea
    agreed_on: date
    target_date: date = Field(description="Not before agreed_on")
    text_id: UUID = Field(description="The goal's words, in the vault under the person's key")
    text_digest: str = Field(pattern=DIGEST_PATTERN)


class PlanGoalAchievedV1(PlanEvent):
    """An open goal was reached."""

    event: ClassVar[str] = "goal_achieved"
    version: ClassVar[int] = 1

    goal_id: UUID
    achieved_on: date


class PlanGoalDroppedV1(PlanEvent):
    """An open goal was given up, for a reason (a code)."""

    event: ClassVar[str] = "goal_dropped"
    version: ClassVar[int] = 1

    goal_id: UUID
    dropped_on: date
    reason: DropReason


class PlanActionPlannedV1(PlanEvent):
    """An action under an open goal: who carries it out (a role code, and for the operator
    optionally the staff username), by when; its description is in the vault."""

    event: ClassVar[str] = "action_planned"
    version: ClassVar[int] = 1

    goal_id: UUID
    action_id: UUID
    owner: ActionOwner
    assignee: str | None = Field(
        pattern=STAFF_USERNAME_PATTERN,
        description="A staff username (only when the operator carries it out), never the person",
    )
    due_on: date
    text_id: UUID = Field(description="The description, in the vault under the person's key")
    text_digest: str = Field(pattern=DIGEST_PATTERN)


class PlanActionDoneV1(PlanEvent):
    """An action was carried out."""

    event: ClassVar[str] = "action_done"
    version: ClassVar[int] = 1

    goal_id: UUID
    action_id: UUID
    done_on: date


class PlanReviewedV1(PlanEvent):
    """The plan was reviewed with the person; what changed is in the vault."""

    event: ClassVar[str] = "reviewed"
    version: ClassVar[int] = 1

    review_id: UUID
    reviewed_on: date
    next_review_on: date = Field(description="Not before reviewed_on")
    text_id: UUID = Field(description="What changed, in the vault under the person's key")
    text_digest: str = Field(pattern=DIGEST_PATTERN)


PLAN_CONTRACTS: tuple[type[EventContract], ...] = (
    PlanStartedV1,
    PlanGoalAgreedV1,
    PlanGoalAchievedV1,
    PlanGoalDroppedV1,
    PlanActionPlannedV1,
    PlanActionDoneV1,
    PlanReviewedV1,
)
