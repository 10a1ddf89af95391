"""Application service for individual plans: each command loads the case's plan and the case,
lets the plan decide, keeps the command's free text in the vault (under the person's key, once
every rule passed), saves, and returns the event's log position. A text kept for a command that
then fails to be recorded is discarded. Who may call which command (all: RECORD_CASE_WORK in the
case's city) is checked by the caller against domain.access; the plan checks the city again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.plans.model import (
    ActionOwner,
    CaseToPlan,
    DropReason,
    GoalArea,
    KeptText,
    Plan,
    PlanAlreadyStarted,
    PlanCaseNotWorkable,
    PlanNotStarted,
    require_workable,
)
from domain.programme import Actor, CardTermsSource, TermsSource
from domain.record import ProgrammeRecord, position_of, save_decided
from domain.vault import PersonalDataVault

# Two people working on one plan at once: the later save conflicts, and its command is decided
# again on the plan as the earlier one left it.
_SAVE_ATTEMPTS = 5


class CasesToPlan(Protocol):
    """Where the service finds a plan's case: the cases context's CaseService."""

    def get(self, case_id: UUID) -> CaseToPlan:
        """The case with this id; raises a LookupError when there is none."""
        ...


@dataclass(frozen=True)
class PlanReceipt:
    plan_id: UUID
    position: int


class PlanService:
    def __init__(
        self, record: ProgrammeRecord, vault: PersonalDataVault, cases: CasesToPlan,
        terms: TermsSource | None = None,
    ) -> None:
        self.record = record
        self.vault = vault
        self.cases = cases
        self.terms = terms or CardTermsSource()

    def start_plan(
        self, case_id: UUID, started_on: date, next_review_on: date, actor: Actor, now: datetime,
    ) -> PlanReceipt:
        """Start the case's plan. Two starts racing for one case conflict on the plan's id: the
        loser is told the plan exists."""
        case = self._case(case_id, actor)
        if self.find(case_id) is not None:
            raise PlanAlreadyStarted("The case already has a plan.", field="case")
        plan = Plan.start(case, started_on, next_review_on, actor, now,
                          self.terms.terms_in_force())
        try:
            recordings = self.record.save(plan)
        except IntegrityError:
            raise PlanAlreadyStarted("The case already has a plan.", field="case") from None
        return PlanReceipt(plan.id, position_of(recordings))

    def agree_goal(
        self, case_id: UUID, goal_id: UUID, area: GoalArea, text: str, agreed_on: date,
        target_date: date, actor: Actor, now: datetime,
    ) -> int:
        return self._decide_with_text(case_id, goal_id, actor, lambda plan, case, keep: (
            plan.agree_goal(case, goal_id, area, text, agreed_on, target_date, keep, actor, now,
                            self.terms.terms_in_force())))

    def achieve_goal(
        self, case_id: UUID, goal_id: UUID, achieved_on: date, actor: Actor, now: datetime,
    ) -> int:
        return self._decide(case_id, actor, lambda plan, case: plan.achieve_goal(
            case, goal_id, achieved_on, actor, now, self.terms.terms_in_force()))

    def drop_goal(
        self, case_id: UUID, goal_id: UUID, dropped_on: date, reason: DropReason | None,
        actor: Actor, now: datetime,
    ) -> int:
        return self._decide(case_id, actor, lambda plan, case: plan.drop_goal(
            case, goal_id, dropped_on, reason, actor, now, self.terms.terms_in_force()))

    def plan_action(
        self, case_id: UUID, goal_id: UUID, action_id: UUID, text: str, owner: ActionOwner,
        assignee: str | None, due_on: date, actor: Actor, now: datetime,
    ) -> int:
        return self._decide_with_text(case_id, action_id, actor, lambda plan, case, keep: (
            plan.plan_action(case, goal_id, action_id, text, owner, assignee, due_on, keep,
                             actor, now, self.terms.terms_in_force())))

    def complete_action(
        self, case_id: UUID, action_id: UUID, done_on: date, actor: Actor, now: datetime,
    ) -> int:
        return self._decide(case_id, actor, lambda plan, case: plan.complete_action(
            case, action_id, done_on, actor, now, self.terms.terms_in_force()))

    def review(
        self, case_id: UUID, review_id: UUID, text: str, reviewed_on: date,
        next_review_on: date, actor: Actor, now: datetime,
    ) -> int:
        return self._decide_with_text(case_id, review_id, actor, lambda plan, case, keep: (
            plan.review(case, review_id, text, reviewed_on, next_review_on, keep, actor, now,
                        self.terms.terms_in_force())))

    def texts(self, case_id: UUID, text_ids: list[UUID]) -> dict[UUID, str]:
        """The plan's texts, decrypted, by id; none once the person's data is erased. Whether
        the reader may see them is the access policy's call (the staff of the case's city)."""
        found = {}
        for text_id in text_ids:
            text = self.vault.read_text(case_id, text_id)
            if text is not None:
                found[text_id] = text
        return found

    def find(self, case_id: UUID) -> Plan | None:
        try:
            plan: object = self.record.repository.get(Plan.id_for(case_id))
        except AggregateNotFoundError:
            return None
        return plan if isinstance(plan, Plan) else None

    def _case(self, case_id: UUID, actor: Actor) -> CaseToPlan:
        """The case, checked workable by `actor`. An unknown one is refused as a case of another
        city is: the refusal must not tell which ids exist elsewhere."""
        try:
            case = self.cases.get(case_id)
        except LookupError:
            raise PlanCaseNotWorkable(
                "No case of your city has this id: plans are kept only for your city's cases.",
                field="case",
            ) from None
        require_workable(case, actor)
        return case

    def _plan(self, case_id: UUID) -> Plan:
        plan = self.find(case_id)
        if plan is None:
            raise PlanNotStarted("The case has no plan yet: start it first.", field="case")
        return plan

    def _decide(
        self, case_id: UUID, actor: Actor, command: Callable[[Plan, CaseToPlan], None]
    ) -> int:
        """Load, decide, save; on a concurrent save, again on the newer plan."""

        def decide() -> list[Plan]:
            case = self._case(case_id, actor)
            plan = self._plan(case_id)
            command(plan, case)
            return [plan]

        return save_decided(self.record, decide, _SAVE_ATTEMPTS)

    def _decide_with_text(
        self, case_id: UUID, text_id: UUID, actor: Actor,
        command: Callable[[Plan, CaseToPlan, Callable[[str], KeptText]], None],
    ) -> int:
        """As `_decide`, for a command that keeps a text (under `text_id`): the plan calls
        `keep` once its rules passed; the text is discarded if nothing is recorded."""
        kept: list[UUID] = []

        def keep(text: str) -> KeptText:
            try:
                digest = self.vault.store_text(case_id, text_id, text)
            except LookupError:
                raise PlanCaseNotWorkable(
                    "This person's personal data has been erased: no new text is kept on them.",
                    field="case",
                ) from None
            kept.append(text_id)
            return KeptText(text_id, digest)

        try:
            return self._decide(case_id, actor, lambda plan, case: command(plan, case, keep))
        except BaseException:
            if kept:
                self.vault.discard_text(case_id, text_id)
            raise
