"""Individual plans: a share of each city's new cases gets a plan a few days after intake, with
one to three goals worded from a short list of Italian phrases, an action or two under each,
actions done as they fall due, and reviews every few months at which goals are achieved or
dropped (some targets pass unmet: the work queue shows them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from uuid import UUID

from domain.plans.model import ActionOwner, DropReason, GoalArea
from domain.programme import PROGRAMME_END, City
from infra.demo.known import KnownCase
from infra.demo.people import operator
from infra.demo.scheduler import Area, DemoServices, Scheduler

# How often each city's new cases are looked at, and the share of them given a plan.
_SWEEP_DAYS = 7
_SHARE_WITH_A_PLAN = 0.6

# Invented, like every demo text: what a goal, an action or a review might say.
_GOALS: dict[GoalArea, tuple[str, ...]] = {
    GoalArea.HOUSING: ("Trovare un alloggio in affitto condiviso",
                       "Uscire dalla struttura verso una casa propria",
                       "Ottenere un posto in co-housing sociale"),
    GoalArea.WORK: ("Trovare un tirocinio nella ristorazione",
                    "Ottenere un contratto di lavoro stagionale",
                    "Frequentare un corso di formazione per magazziniere"),
    GoalArea.HEALTH: ("Completare le visite mediche di base",
                      "Iscriversi al Servizio sanitario e scegliere il medico di base",
                      "Seguire il percorso di supporto psicologico"),
    GoalArea.LEGAL: ("Preparare l'audizione in Commissione territoriale",
                     "Presentare ricorso con l'aiuto del legale"),
    GoalArea.LANGUAGE: ("Raggiungere il livello A2 di italiano",
                        "Ottenere la certificazione di italiano B1"),
    GoalArea.DOCUMENTS: ("Ottenere la residenza anagrafica",
                         "Rinnovare il permesso di soggiorno",
                         "Ottenere il codice fiscale e la tessera sanitaria"),
    GoalArea.SOCIAL_TIES: ("Partecipare alle attività del centro di quartiere",
                           "Entrare in una squadra sportiva amatoriale"),
}
_ACTIONS: dict[ActionOwner, tuple[str, ...]] = {
    ActionOwner.PERSON: ("Portare i documenti richiesti", "Presentarsi al colloquio",
                         "Frequentare le lezioni con regolarità"),
    ActionOwner.OPERATOR: ("Fissare l'appuntamento", "Accompagnare la persona all'ufficio",
                           "Contattare il servizio competente"),
    ActionOwner.PARTNER_ORGANISATION: ("Colloquio di orientamento al lavoro",
                                       "Consulenza legale gratuita"),
    ActionOwner.PUBLIC_SERVICE: ("Visita presso il consultorio",
                                 "Iscrizione al centro per l'impiego",
                                 "Appuntamento all'ufficio anagrafe"),
}
_REVIEWS = (
    "Situazione stabile, obiettivi confermati",
    "Progressi nel percorso, rivisti i tempi",
    "Nuove difficoltà emerse, concordati passi più piccoli",
    "Buona partecipazione, un obiettivo quasi raggiunto",
)


@dataclass(eq=False)
class _Goal:
    id: UUID
    agreed_on: date
    target_date: date
    open: bool = True


@dataclass(eq=False)
class _Plan:
    case: KnownCase
    started_on: date
    last_review: date
    goals: list[_Goal] = field(default_factory=list)


class PlanDesk(Area):
    """The cities' individual plans."""

    def __init__(
        self, scheduler: Scheduler, services: DemoServices, cases_of: dict[City, list[KnownCase]]
    ) -> None:
        super().__init__(scheduler, services, cases_of)
        self._considered: set[UUID] = set()  # the cases whose plan, or none, is decided

    def plan_city(self, city: City) -> None:
        """Look at the city's new cases every week, from the first week on."""
        first = self.scale.start + timedelta(days=_SWEEP_DAYS)
        self.at(self.working_time(first), lambda: self.sweep(city, first))

    def sweep(self, city: City, day: date) -> None:
        for case in list(self.cases_of[city]):
            if case.id in self._considered:
                continue
            self._considered.add(case.id)
            if self.rng.random() < _SHARE_WITH_A_PLAN:
                start = day + timedelta(days=self.rng.randint(1, 10))
                self.at(self.working_time(start), partial(self.start, case))
        following = day + timedelta(days=_SWEEP_DAYS)
        self.at(self.working_time(following), lambda: self.sweep(city, following))

    def start(self, case: KnownCase) -> None:
        if not _workable(case):
            return
        rng = self.rng
        today = self.clock.date()
        next_review = _within(today + timedelta(days=rng.randint(30, 75)))
        if not self.attempt("plan", lambda now: self.services.plans.start_plan(
                case.id, today, next_review, operator(case.city), now)):
            return
        plan = _Plan(case, today, today)
        for area in rng.sample(list(GoalArea), rng.randint(1, 3)):
            self.agree_goal(plan, area)
        if _simulated(next_review):
            self.at(self.working_time(next_review), partial(self.review, plan))

    def agree_goal(self, plan: _Plan, area: GoalArea) -> None:
        rng = self.rng
        case = plan.case
        today = self.clock.date()
        goal = _Goal(self.new_id(), today, _within(today + timedelta(days=rng.randint(45, 240))))
        text = rng.choice(_GOALS[area])
        if not self.attempt("plan_goal", lambda now: self.services.plans.agree_goal(
                case.id, goal.id, area, text, today, goal.target_date, operator(case.city),
                now)):
            return
        plan.goals.append(goal)
        for _ in range(rng.randint(1, 2)):
            self.plan_action(plan, goal, rng.choice(list(ActionOwner)))

    def plan_action(self, plan: _Plan, goal: _Goal, owner: ActionOwner) -> None:
        rng = self.rng
        case = plan.case
        today = self.clock.date()
        action_id = self.new_id()
        due_on = _within(today + timedelta(days=rng.randint(7, 60)))
        assignee = f"{case.city.value}.operatore" if owner is ActionOwner.OPERATOR else None
        description = rng.choice(_ACTIONS[owner])
        if not self.attempt("plan_action", lambda now: self.services.plans.plan_action(
                case.id, goal.id, action_id, description, owner, assignee, due_on,
                operator(case.city), now)):
            return
        if rng.random() < 0.7:
            done_on = max(today, due_on - timedelta(days=rng.randint(0, 10)))
            self.at(self.working_time(done_on), partial(self.complete_action, plan, action_id))

    def complete_action(self, plan: _Plan, action_id: UUID) -> None:
        case = plan.case
        if not _workable(case):
            return
        self.attempt("plan_action_done", lambda now: self.services.plans.complete_action(
            case.id, action_id, self.clock.date(), operator(case.city), now))

    def review(self, plan: _Plan) -> None:
        case = plan.case
        if not _workable(case):
            return
        rng = self.rng
        today = self.clock.date()
        for goal in plan.goals:
            if goal.open:
                self.settle(plan, goal, today)
        next_review = _within(today + timedelta(days=rng.randint(60, 120)))
        text = rng.choice(_REVIEWS)
        if self.attempt("plan_review", lambda now: self.services.plans.review(
                case.id, self.new_id(), text, today, next_review, operator(case.city), now)):
            plan.last_review = today
            if next_review > today and _simulated(next_review):
                self.at(self.working_time(next_review), partial(self.review, plan))


    def settle(self, plan: _Plan, goal: _Goal, today: date) -> None:
        """At a review, a goal whose target came is often achieved; now and then one is
        achieved early, or dropped."""
        case = plan.case
        draw = self.rng.random()
        if (goal.target_date <= today and draw < 0.5) or draw < 0.1:
            goal.open = not self.attempt(
                "plan_goal_achieved", lambda now: self.services.plans.achieve_goal(
                    case.id, goal.id, today, operator(case.city), now))
        elif draw < 0.2:
            reason = self.rng.choice(list(DropReason))
            goal.open = not self.attempt(
                "plan_goal_dropped", lambda now: self.services.plans.drop_goal(
                    case.id, goal.id, today, reason, operator(case.city), now))


def _workable(case: KnownCase) -> bool:
    """A plan is worked on while its case is open and not on its way to another city."""
    return case.is_open and not case.transfer_waiting


def _simulated(review_day: date) -> bool:
    """Whether a review is held in the simulation. Not on the programme's last day: every plan
    still open has its next review set there (_within), and the full demo's thousands of them on
    one day ran the calendar past the period's end, where every command is refused."""
    return review_day < PROGRAMME_END


def _within(day: date) -> date:
    """A target or review day, kept within the programme's period."""
    return min(day, PROGRAMME_END)
