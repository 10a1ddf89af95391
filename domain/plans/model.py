"""The individual plan of a case (progetto individualizzato): the goals agreed with the person,
the actions under each goal (who does what, by when), and the plan's periodic reviews.

One `Plan` per case, its id derived from the case's (`Plan.id_for`), so that two operators
starting a plan for the same case at once conflict on it and one plan survives. Goals and
actions live inside the plan: a goal's status moves open -> achieved | dropped (a dropped goal
says why, as a code); actions are added only under an open goal; a review says when the next
one falls.

Free text is personal data (people write names, diagnoses, addresses in it): a goal's words, an
action's description and what a review found are kept in the personal-data vault, encrypted
with the person's own key, so that erasing the person shreds them too. The plan's events carry
only each text's id there and the digest the vault gave it (`KeptText`). A command checks every
rule first, then asks its caller to keep the text (`keep`), then records the event: nothing is
kept for a refused command."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.programme import (
    CARD_TERMS,
    Actor,
    City,
    DomainError,
    TermsInForce,
    programme_today,
)

MAX_GOAL_TEXT = 500
MAX_ACTION_TEXT = 300
MAX_REVIEW_TEXT = 2000
# A staff username as the accounts spell them (firenze.operatore): staff, never the person.
STAFF_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_PLAN_NAMESPACE = UUID("4f8e2b0c-6a1d-4c3e-9b7f-2d5a8c1e0f63")


class GoalArea(StrEnum):
    """What a goal is about: the areas of a person's path to autonomy."""

    HOUSING = "housing"
    WORK = "work"
    HEALTH = "health"
    LEGAL = "legal"
    LANGUAGE = "language"
    DOCUMENTS = "documents"
    SOCIAL_TIES = "social_ties"


class GoalStatus(StrEnum):
    OPEN = "open"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class DropReason(StrEnum):
    """Why a goal was given up: a code, never free text (it would travel in the event)."""

    PERSON_DECLINED = "person_declined"
    NO_LONGER_NEEDED = "no_longer_needed"
    NOT_FEASIBLE = "not_feasible"
    REPLACED = "replaced"
    PERSON_UNREACHABLE = "person_unreachable"
    CASE_TRANSFERRED = "case_transferred"


class ActionOwner(StrEnum):
    """Who carries out an action."""

    PERSON = "person"
    OPERATOR = "operator"
    PARTNER_ORGANISATION = "partner_organisation"
    PUBLIC_SERVICE = "public_service"


class PlanError(DomainError):
    """Raised when a command on an individual plan breaks one of its rules."""

    code = "plan_error"


class PlanCaseNotWorkable(PlanError):
    """Raised when the case is not one of the actor's city, is closed, or its person's data is
    erased: no plan is started or changed for it."""

    code = "plan_case_not_workable"


class PlanAlreadyStarted(PlanError):
    """Raised when a plan is started for a case that has one."""

    code = "plan_already_started"


class PlanNotStarted(PlanError):
    """Raised when a goal, action or review is recorded for a case without a plan."""

    code = "plan_not_started"


class InvalidPlanDates(PlanError):
    """Raised when a plan's, goal's, action's or review's date is out of order: in the future,
    before the date it follows, or a target or next review before the date it is set on."""

    code = "invalid_plan_dates"


class InvalidPlanText(PlanError):
    """Raised when a goal's words, an action's description or a review's findings are missing
    or too long."""

    code = "invalid_plan_text"


class UnknownGoal(PlanError):
    """Raised when the plan has no goal with the given id."""

    code = "unknown_goal"


class GoalNotOpen(PlanError):
    """Raised when a goal already achieved or dropped is achieved, dropped or given actions."""

    code = "goal_not_open"


class InvalidDropReason(PlanError):
    """Raised when a goal is dropped without a reason code."""

    code = "invalid_drop_reason"


class UnknownAction(PlanError):
    """Raised when the plan has no action with the given id."""

    code = "unknown_action"


class ActionAlreadyDone(PlanError):
    """Raised when an action already done is marked done again."""

    code = "action_already_done"


class InvalidAssignee(PlanError):
    """Raised when an action's assignee is not a staff username, or is named for an action the
    operator does not carry out."""

    code = "invalid_assignee"


@dataclass(frozen=True)
class KeptText:
    """A free text kept in the vault under the person's key: its id there, and its digest."""

    text_id: UUID
    digest: str


# Given the checked text, keeps it (in the vault) and says where: called once every rule passed.
TextKeeper = Callable[[str], KeptText]


class CaseToPlan(Protocol):
    """What a plan needs of its case (the cases context's Case is one)."""

    @property
    def id(self) -> UUID: ...

    @property
    def case_code(self) -> str: ...

    @property
    def city(self) -> City: ...

    @property
    def is_closed(self) -> bool: ...

    @property
    def personal_data_erased(self) -> bool: ...

    @property
    def open_since(self) -> date:
        """The day the current city's work on the case began (intake, reopening, transfer)."""
        ...


@dataclass
class Goal:
    goal_id: UUID
    area: GoalArea
    agreed_on: date
    target_date: date
    text: KeptText
    status: GoalStatus = GoalStatus.OPEN
    closed_on: date | None = None
    drop_reason: DropReason | None = None


@dataclass
class Action:
    action_id: UUID
    goal_id: UUID
    owner: ActionOwner
    assignee: str | None
    due_on: date
    text: KeptText
    done_on: date | None = None


@dataclass(frozen=True)
class Review:
    review_id: UUID
    reviewed_on: date
    next_review_on: date
    text: KeptText


class Plan(Aggregate):
    """The individual plan of one case."""

    @staticmethod
    def id_for(case_id: UUID) -> UUID:
        return uuid5(_PLAN_NAMESPACE, str(case_id))

    class Started(Aggregate.Created):
        case_id: UUID
        case_code: str
        city: str
        started_on: date
        next_review_on: date
        actor: dict[str, str | None]

    def __init__(
        self, case_id: UUID, case_code: str, city: str, started_on: date, next_review_on: date,
        actor: dict[str, str | None],
    ) -> None:
        self.case_id = case_id
        self.case_code = case_code
        self.city = City(city)
        self.started_on = started_on
        self.next_review_on = next_review_on
        self.goals: dict[UUID, Goal] = {}
        self.actions: dict[UUID, Action] = {}
        self.reviews: list[Review] = []

    @classmethod
    def start(
        cls, case: CaseToPlan, started_on: date, next_review_on: date, actor: Actor,
        now: datetime, terms: TermsInForce = CARD_TERMS,
    ) -> Plan:
        """Start the case's plan on `started_on` (from the day the city's work on the case
        began, up to today), with its first review due on `next_review_on` (not before)."""
        require_workable(case, actor)
        _require_within(started_on, case.open_since, now, terms, "started_on")
        _require_not_before(next_review_on, started_on, terms, "next_review_on")
        return cls._create(
            cls.Started, id=cls.id_for(case.id), timestamp=now, case_id=case.id,
            case_code=case.case_code, city=case.city.value, started_on=started_on,
            next_review_on=next_review_on, actor=actor.as_record(),
        )

    # --- goals ---------------------------------------------------------------------------------

    class GoalAgreed(Aggregate.Event):
        """A goal was agreed with the person. Its words are in the vault (text_id, digest)."""

        case_id: UUID
        case_code: str
        city: str
        goal_id: UUID
        area: str
        agreed_on: date
        target_date: date
        text_id: UUID
        text_digest: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Plan)
            aggregate.city = City(self.city)
            aggregate.goals[self.goal_id] = Goal(
                self.goal_id, GoalArea(self.area), self.agreed_on, self.target_date,
                KeptText(self.text_id, self.text_digest))

    def agree_goal(
        self, case: CaseToPlan, goal_id: UUID, area: GoalArea, text: str, agreed_on: date,
        target_date: date, keep: TextKeeper, actor: Actor, now: datetime,
        terms: TermsInForce = CARD_TERMS,
    ) -> None:
        """Agree a goal with the person on `agreed_on` (from the plan's start to today), to be
        reached by `target_date` (not before the day it is agreed)."""
        require_workable(case, actor)
        words = _text(text, MAX_GOAL_TEXT)
        _require_within(agreed_on, self.started_on, now, terms, "agreed_on")
        _require_not_before(target_date, agreed_on, terms, "target_date")
        kept = keep(words)
        self.trigger_event(
            self.GoalAgreed, timestamp=now, case_id=case.id, case_code=case.case_code,
            city=case.city.value, goal_id=goal_id, area=GoalArea(area).value,
            agreed_on=agreed_on, target_date=target_date, text_id=kept.text_id,
            text_digest=kept.digest, actor=actor.as_record(),
        )

    class GoalAchieved(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        goal_id: UUID
        achieved_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Plan)
            goal = aggregate.goals[self.goal_id]
            goal.status, goal.closed_on = GoalStatus.ACHIEVED, self.achieved_on

    def achieve_goal(
        self, case: CaseToPlan, goal_id: UUID, achieved_on: date, actor: Actor, now: datetime,
        terms: TermsInForce = CARD_TERMS,
    ) -> None:
        """Record that an open goal was reached on `achieved_on` (from its agreement to today)."""
        require_workable(case, actor)
        goal = self._open_goal(goal_id)
        _require_within(achieved_on, goal.agreed_on, now, terms, "achieved_on")
        self.trigger_event(
            self.GoalAchieved, timestamp=now, case_id=case.id, case_code=case.case_code,
            city=case.city.value, goal_id=goal_id, achieved_on=achieved_on,
            actor=actor.as_record(),
        )

    class GoalDropped(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        goal_id: UUID
        dropped_on: date
        reason: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Plan)
            goal = aggregate.goals[self.goal_id]
            goal.status, goal.closed_on = GoalStatus.DROPPED, self.dropped_on
            goal.drop_reason = DropReason(self.reason)

    def drop_goal(
        self, case: CaseToPlan, goal_id: UUID, dropped_on: date, reason: DropReason | None,
        actor: Actor, now: datetime, terms: TermsInForce = CARD_TERMS,
    ) -> None:
        """Give up an open goal on `dropped_on`, saying why (a reason code is required)."""
        require_workable(case, actor)
        goal = self._open_goal(goal_id)
        if reason is None:
            raise InvalidDropReason("Say why the goal is dropped.", field="reason")
        _require_within(dropped_on, goal.agreed_on, now, terms, "dropped_on")
        self.trigger_event(
            self.GoalDropped, timestamp=now, case_id=case.id, case_code=case.case_code,
            city=case.city.value, goal_id=goal_id, dropped_on=dropped_on,
            reason=DropReason(reason).value, actor=actor.as_record(),
        )

    def _open_goal(self, goal_id: UUID) -> Goal:
        goal = self.goals.get(goal_id)
        if goal is None:
            raise UnknownGoal("The plan has no such goal.", field="goal")
        if goal.status is not GoalStatus.OPEN:
            raise GoalNotOpen(
                "The goal is already achieved or dropped: nothing more is recorded on it.",
                field="goal",
            )
        return goal

    # --- actions -------------------------------------------------------------------------------

    class ActionPlanned(Aggregate.Event):
        """An action under a goal: who carries it out (a role code; for the operator, the staff
        username when one is named), by when. Its description is in the vault."""

        case_id: UUID
        case_code: str
        city: str
        goal_id: UUID
        action_id: UUID
        owner: str
        assignee: str | None
        due_on: date
        text_id: UUID
        text_digest: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Plan)
            aggregate.city = City(self.city)
            aggregate.actions[self.action_id] = Action(
                self.action_id, self.goal_id, ActionOwner(self.owner), self.assignee,
                self.due_on, KeptText(self.text_id, self.text_digest))

    def plan_action(
        self, case: CaseToPlan, goal_id: UUID, action_id: UUID, text: str, owner: ActionOwner,
        assignee: str | None, due_on: date, keep: TextKeeper, actor: Actor, now: datetime,
        terms: TermsInForce = CARD_TERMS,
    ) -> None:
        """Add an action under an open goal, due on `due_on` (not before the goal was agreed).
        An assignee is a staff username, and only for an action the operator carries out."""
        require_workable(case, actor)
        goal = self._open_goal(goal_id)
        words = _text(text, MAX_ACTION_TEXT)
        assignee = (assignee or "").strip() or None
        if assignee is not None and (
            owner is not ActionOwner.OPERATOR or not STAFF_USERNAME.fullmatch(assignee)
        ):
            raise InvalidAssignee(
                "Name an assignee only for an action the operator carries out, by their "
                "username (firenze.operatore).",
                field="assignee",
            )
        _require_not_before(due_on, goal.agreed_on, terms, "due_on")
        kept = keep(words)
        self.trigger_event(
            self.ActionPlanned, timestamp=now, case_id=case.id, case_code=case.case_code,
            city=case.city.value, goal_id=goal_id, action_id=action_id,
            owner=ActionOwner(owner).value, assignee=assignee, due_on=due_on,
            text_id=kept.text_id, text_digest=kept.digest, actor=actor.as_record(),
        )

    class ActionDone(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        goal_id: UUID
        action_id: UUID
        done_on: date
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Plan)
            aggregate.actions[self.action_id].done_on = self.done_on

    def complete_action(
        self, case: CaseToPlan, action_id: UUID, done_on: date, actor: Actor, now: datetime,
        terms: TermsInForce = CARD_TERMS,
    ) -> None:
        """Record an action done on `done_on` (from its goal's agreement to today)."""
        require_workable(case, actor)
        action = self.actions.get(action_id)
        if action is None:
            raise UnknownAction("The plan has no such action.", field="action")
        if action.done_on is not None:
            raise ActionAlreadyDone("The action is already recorded as done.", field="action")
        goal = self.goals[action.goal_id]
        _require_within(done_on, goal.agreed_on, now, terms, "done_on")
        self.trigger_event(
            self.ActionDone, timestamp=now, case_id=case.id, case_code=case.case_code,
            city=case.city.value, goal_id=action.goal_id, action_id=action_id,
            done_on=done_on, actor=actor.as_record(),
        )

    # --- reviews -------------------------------------------------------------------------------

    class Reviewed(Aggregate.Event):
        """The plan was reviewed with the person: when, when the next review falls; what changed
        is in the vault."""

        case_id: UUID
        case_code: str
        city: str
        review_id: UUID
        reviewed_on: date
        next_review_on: date
        text_id: UUID
        text_digest: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Plan)
            aggregate.city = City(self.city)
            aggregate.next_review_on = self.next_review_on
            aggregate.reviews.append(Review(
                self.review_id, self.reviewed_on, self.next_review_on,
                KeptText(self.text_id, self.text_digest)))

    def review(
        self, case: CaseToPlan, review_id: UUID, text: str, reviewed_on: date,
        next_review_on: date, keep: TextKeeper, actor: Actor, now: datetime,
        terms: TermsInForce = CARD_TERMS,
    ) -> None:
        """Review the plan on `reviewed_on` (from the last review, or the plan's start, to
        today), saying what changed, and set the next review (not before this one)."""
        require_workable(case, actor)
        words = _text(text, MAX_REVIEW_TEXT)
        _require_within(reviewed_on, self.last_reviewed_on, now, terms, "reviewed_on")
        _require_not_before(next_review_on, reviewed_on, terms, "next_review_on")
        kept = keep(words)
        self.trigger_event(
            self.Reviewed, timestamp=now, case_id=case.id, case_code=case.case_code,
            city=case.city.value, review_id=review_id, reviewed_on=reviewed_on,
            next_review_on=next_review_on, text_id=kept.text_id, text_digest=kept.digest,
            actor=actor.as_record(),
        )

    @property
    def last_reviewed_on(self) -> date:
        """The day of the latest review, or the plan's start before any."""
        return self.reviews[-1].reviewed_on if self.reviews else self.started_on

    def text_ids(self) -> list[UUID]:
        """Every text the plan keeps in the vault: goals', actions', reviews'."""
        return [
            *(goal.text.text_id for goal in self.goals.values()),
            *(action.text.text_id for action in self.actions.values()),
            *(review.text.text_id for review in self.reviews),
        ]


def require_workable(case: CaseToPlan, actor: Actor) -> None:
    """Refuse plan work on a case of another city than the actor's (city staff), a closed case,
    or one whose person's data is erased (no new text may be kept on them)."""
    if actor.city is not None and case.city != actor.city:
        raise PlanCaseNotWorkable(
            "No case of your city has this id: plans are kept only for your city's cases.",
            field="case",
        )
    if case.is_closed:
        raise PlanCaseNotWorkable(
            "The case is closed: reopen it, with a reason, before working on its plan.",
            field="case",
        )
    if case.personal_data_erased:
        raise PlanCaseNotWorkable(
            "This person's personal data has been erased: no new text is kept on them.",
            field="case",
        )


def _text(value: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit:
        raise InvalidPlanText(f"Write the text, in up to {limit} characters.", field="text",
                              max_length=limit)
    return text


def _require_within(
    day: date, earliest: date, now: datetime, terms: TermsInForce, field: str
) -> None:
    """`day` from `earliest` to today, within the programme's period."""
    if day < earliest:
        raise InvalidPlanDates(
            f"The date cannot be before {earliest.isoformat()}.", field=field, earliest=earliest)
    if day > programme_today(now):
        raise InvalidPlanDates("The date cannot be in the future.", field=field)
    terms.require_in_period(day, field=field)


def _require_not_before(day: date, earliest: date, terms: TermsInForce, field: str) -> None:
    """A target or next review: not before the day it is set on, within the period."""
    if day < earliest:
        raise InvalidPlanDates(
            f"The date cannot be before {earliest.isoformat()}.", field=field, earliest=earliest)
    terms.require_in_period(day, field=field)
