"""The individual plans: each case's plan with its goals, their actions and the reviews, and what
of them is due (the work queue's `plan_review_due` and `goal_target_passed` lines).

The read model holds no free text: a goal's words, an action's description and a review's
findings are in the vault, and the rows keep only their ids (`text_id`), which the web turns
into words for the staff of the case's city. The case's own events that matter to what is due
follow too: a transfer moves the plan to the new city, a closure or an erasure takes its lines
out of the work queue (a reopening puts them back)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from events.cloudevents import Envelope
from events.contracts import (
    CaseClosedV2,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    CaseReopenedV2,
    CaseTransferredV1,
)
from events.plans import (
    PlanActionDoneV1,
    PlanActionPlannedV1,
    PlanGoalAchievedV1,
    PlanGoalAgreedV1,
    PlanGoalDroppedV1,
    PlanReviewedV1,
    PlanStartedV1,
)
from projections.projection import WorkItem
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

GOAL_OPEN = "open"
GOAL_ACHIEVED = "achieved"
GOAL_DROPPED = "dropped"
# The work queue's kinds of line this read model offers.
PLAN_REVIEW_DUE = "plan_review_due"
GOAL_TARGET_PASSED = "goal_target_passed"
# A date-only deadline falls due at the end of that day on Italian clocks.
_ITALY = ZoneInfo("Europe/Rome")


@dataclass(frozen=True)
class ActionRow:
    action_id: UUID
    goal_id: UUID
    owner: str
    assignee: str | None
    due_on: date
    text_id: UUID
    done_on: date | None


@dataclass(frozen=True)
class GoalRow:
    goal_id: UUID
    area: str
    agreed_on: date
    target_date: date
    text_id: UUID
    status: str
    closed_on: date | None
    drop_reason: str | None
    actions: tuple[ActionRow, ...]

    @property
    def is_open(self) -> bool:
        return self.status == GOAL_OPEN


@dataclass(frozen=True)
class ReviewRow:
    review_id: UUID
    reviewed_on: date
    next_review_on: date
    text_id: UUID


@dataclass(frozen=True)
class PlanView:
    plan_id: UUID
    case_id: UUID
    case_code: str
    city: str
    started_on: date
    next_review_on: date
    goals: tuple[GoalRow, ...]
    reviews: tuple[ReviewRow, ...]
    """The latest first."""

    def text_ids(self) -> list[UUID]:
        """Every text of the plan, for the vault to turn into words."""
        return [
            *(goal.text_id for goal in self.goals),
            *(action.text_id for goal in self.goals for action in goal.actions),
            *(review.text_id for review in self.reviews),
        ]

    def goal(self, goal_id: UUID) -> GoalRow | None:
        return next((goal for goal in self.goals if goal.goal_id == goal_id), None)

    def action(self, action_id: UUID) -> ActionRow | None:
        return next((action for goal in self.goals for action in goal.actions
                     if action.action_id == action_id), None)


class PlansProjection:
    name = "plans"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_plans ("
            " case_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, case_code TEXT NOT NULL,"
            " city TEXT NOT NULL, started_on TEXT NOT NULL, next_review_on TEXT NOT NULL,"
            " case_open INTEGER NOT NULL, erased INTEGER NOT NULL, last_position BIGINT NOT NULL)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_plans_city ON rm_plans (city, next_review_on)"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_plan_goals ("
            " goal_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, area TEXT NOT NULL,"
            " agreed_on TEXT NOT NULL, target_date TEXT NOT NULL, text_id TEXT NOT NULL,"
            " status TEXT NOT NULL, closed_on TEXT, drop_reason TEXT,"
            " position BIGINT NOT NULL)"
        )
        tx.execute("CREATE INDEX IF NOT EXISTS rm_plan_goals_case ON rm_plan_goals (case_id)")
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_plan_actions ("
            " action_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, goal_id TEXT NOT NULL,"
            " owner TEXT NOT NULL, assignee TEXT, due_on TEXT NOT NULL, text_id TEXT NOT NULL,"
            " done_on TEXT, position BIGINT NOT NULL)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_plan_actions_case ON rm_plan_actions (case_id)"
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_plan_reviews ("
            " review_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, reviewed_on TEXT NOT NULL,"
            " next_review_on TEXT NOT NULL, text_id TEXT NOT NULL, position BIGINT NOT NULL)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_plan_reviews_case ON rm_plan_reviews (case_id)"
        )

    def drop_tables(self, tx: Transaction) -> None:
        for table in ("rm_plans", "rm_plan_goals", "rm_plan_actions", "rm_plan_reviews"):
            tx.execute(f"DROP TABLE IF EXISTS {table}")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        # Plan events are few next to intakes: one at a time, in stream order, is plenty.
        for envelope in envelopes:
            self._apply(tx, envelope.data, envelope.position)

    @staticmethod
    def _apply(tx: Transaction, data: Any, position: int) -> None:
        match data:
            case PlanStartedV1():
                tx.execute(
                    "INSERT INTO rm_plans (case_id, plan_id, case_code, city, started_on,"
                    " next_review_on, case_open, erased, last_position)"
                    " VALUES (?, ?, ?, ?, ?, ?, 1, 0, ?) ON CONFLICT (case_id) DO NOTHING",
                    (str(data.case_id), str(data.plan_id), data.case_code, data.city,
                     data.started_on.isoformat(), data.next_review_on.isoformat(), position),
                )
            case PlanGoalAgreedV1():
                tx.execute(
                    "INSERT INTO rm_plan_goals (goal_id, case_id, area, agreed_on, target_date,"
                    " text_id, status, closed_on, drop_reason, position)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?) ON CONFLICT (goal_id) DO NOTHING",
                    (str(data.goal_id), str(data.case_id), data.area, data.agreed_on.isoformat(),
                     data.target_date.isoformat(), str(data.text_id), GOAL_OPEN, position),
                )
            case PlanGoalAchievedV1():
                tx.execute(
                    "UPDATE rm_plan_goals SET status = ?, closed_on = ? WHERE goal_id = ?",
                    (GOAL_ACHIEVED, data.achieved_on.isoformat(), str(data.goal_id)),
                )
            case PlanGoalDroppedV1():
                tx.execute(
                    "UPDATE rm_plan_goals SET status = ?, closed_on = ?, drop_reason = ?"
                    " WHERE goal_id = ?",
                    (GOAL_DROPPED, data.dropped_on.isoformat(), data.reason, str(data.goal_id)),
                )
            case PlanActionPlannedV1():
                tx.execute(
                    "INSERT INTO rm_plan_actions (action_id, case_id, goal_id, owner, assignee,"
                    " due_on, text_id, done_on, position) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)"
                    " ON CONFLICT (action_id) DO NOTHING",
                    (str(data.action_id), str(data.case_id), str(data.goal_id), data.owner,
                     data.assignee, data.due_on.isoformat(), str(data.text_id), position),
                )
            case PlanActionDoneV1():
                tx.execute(
                    "UPDATE rm_plan_actions SET done_on = ? WHERE action_id = ?",
                    (data.done_on.isoformat(), str(data.action_id)),
                )
            case PlanReviewedV1():
                tx.execute(
                    "INSERT INTO rm_plan_reviews (review_id, case_id, reviewed_on,"
                    " next_review_on, text_id, position) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (review_id) DO NOTHING",
                    (str(data.review_id), str(data.case_id), data.reviewed_on.isoformat(),
                     data.next_review_on.isoformat(), str(data.text_id), position),
                )
                tx.execute(
                    "UPDATE rm_plans SET next_review_on = ?, last_position = ? WHERE case_id = ?",
                    (data.next_review_on.isoformat(), position, str(data.case_id)),
                )
            case CaseTransferredV1():
                tx.execute("UPDATE rm_plans SET city = ? WHERE case_id = ?",
                           (data.city, str(data.case_id)))
            case CaseClosedV2():
                tx.execute("UPDATE rm_plans SET case_open = 0 WHERE case_id = ?",
                           (str(data.case_id),))
            case CaseReopenedV2():
                tx.execute("UPDATE rm_plans SET case_open = 1 WHERE case_id = ?",
                           (str(data.case_id),))
            case CasePersonalDataErasedV1() | CasePersonalDataErasedV2():
                tx.execute("UPDATE rm_plans SET erased = 1 WHERE case_id = ?",
                           (str(data.case_id),))


class PlanQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def plan(self, case_id: UUID) -> PlanView | None:
        """The case's plan: goals in the order agreed, each with its actions; reviews, the
        latest first. None when the case has no plan."""
        key = (str(case_id),)
        with self.database.reading() as tx:
            row = tx.fetchone(
                "SELECT plan_id, case_code, city, started_on, next_review_on FROM rm_plans"
                " WHERE case_id = ?", key)
            if row is None:
                return None
            goals = tx.fetchall(
                "SELECT goal_id, area, agreed_on, target_date, text_id, status, closed_on,"
                " drop_reason FROM rm_plan_goals WHERE case_id = ? ORDER BY position", key)
            actions = tx.fetchall(
                "SELECT action_id, goal_id, owner, assignee, due_on, text_id, done_on"
                " FROM rm_plan_actions WHERE case_id = ? ORDER BY position", key)
            reviews = tx.fetchall(
                "SELECT review_id, reviewed_on, next_review_on, text_id FROM rm_plan_reviews"
                " WHERE case_id = ? ORDER BY position DESC", key)
        action_rows = [
            ActionRow(UUID(a[0]), UUID(a[1]), a[2], a[3], date.fromisoformat(a[4]), UUID(a[5]),
                      _day(a[6]))
            for a in actions
        ]
        return PlanView(
            plan_id=UUID(row[0]), case_id=case_id, case_code=row[1], city=row[2],
            started_on=date.fromisoformat(row[3]), next_review_on=date.fromisoformat(row[4]),
            goals=tuple(
                GoalRow(UUID(g[0]), g[1], date.fromisoformat(g[2]), date.fromisoformat(g[3]),
                        UUID(g[4]), g[5], _day(g[6]), g[7],
                        tuple(a for a in action_rows if a.goal_id == UUID(g[0])))
                for g in goals
            ),
            reviews=tuple(
                ReviewRow(UUID(r[0]), date.fromisoformat(r[1]), date.fromisoformat(r[2]),
                          UUID(r[3]))
                for r in reviews
            ),
        )

    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        """The city's plan reviews whose day has come (or passed) and its open goals whose
        target date passed, due before `until`; none of a closed or erased case. A review falls
        due at the end of its day in Italy; a goal's target is passed from the day after it."""
        last_day = until.astimezone(_ITALY).date()
        with self.database.reading() as tx:
            reviews = tx.fetchall(
                "SELECT case_id, case_code, plan_id, next_review_on FROM rm_plans"
                " WHERE city = ? AND case_open = 1 AND erased = 0 AND next_review_on <= ?"
                " ORDER BY next_review_on, case_code",
                (city, last_day.isoformat()),
            )
            goals = tx.fetchall(
                "SELECT p.case_id, p.case_code, g.goal_id, g.target_date FROM rm_plan_goals g"
                " JOIN rm_plans p ON p.case_id = g.case_id"
                " WHERE p.city = ? AND p.case_open = 1 AND p.erased = 0 AND g.status = ?"
                " AND g.target_date <= ? ORDER BY g.target_date, p.case_code",
                (city, GOAL_OPEN, last_day.isoformat()),
            )
        items = [
            WorkItem(PLAN_REVIEW_DUE, city, end_of(date.fromisoformat(r[3])), UUID(r[0]), r[1],
                     UUID(r[2]))
            for r in reviews
        ] + [
            WorkItem(GOAL_TARGET_PASSED, city, end_of(date.fromisoformat(g[3])), UUID(g[0]),
                     g[1], UUID(g[2]))
            for g in goals
        ]
        return sorted((item for item in items if item.due <= until), key=lambda i: i.due)


def end_of(day: date) -> datetime:
    """The end of `day` on Italian clocks: when a date-only deadline falls due."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=_ITALY)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
