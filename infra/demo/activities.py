"""Community activities: planned per city and sub-action, people enrolled, sessions held (none in
the lockdown; an activity that was to start in it is cancelled), then completed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID

from domain.activities.model import ActivityKind, ActivityPlan
from domain.programme import PROGRAMME_END, City, SubAction
from infra.demo.known import KnownCase
from infra.demo.people import coordinator, operator
from infra.demo.scale import AREAS, LOCKDOWN
from infra.demo.scheduler import Area


@dataclass(eq=False)
class _Activity:
    id: UUID
    city: City
    sub_action: SubAction
    enrolled: list[KnownCase] = field(default_factory=list)
    sessions: int = 0
    ended: bool = False


class ActivityDesk(Area):
    """The cities' community activities."""

    def plan_activity_of(self, city: City, sub_action: SubAction) -> None:
        rng = self.rng
        scale = self.scale
        span = (scale.end - scale.start).days
        length = rng.randint(*_ACTIVITY_WEEKS[sub_action]) * 7
        starts_on = scale.start + timedelta(days=rng.randint(min(7, span), max(7, span - 14)))
        ends_on = min(starts_on + timedelta(days=length), PROGRAMME_END)
        planned_on = max(scale.start, starts_on - timedelta(days=rng.randint(7, 30)))
        if LOCKDOWN[0] <= planned_on <= LOCKDOWN[1]:
            # Planned before the lockdown began, for a start it then made impossible.
            planned_on = max(scale.start, LOCKDOWN[0] - timedelta(days=rng.randint(1, 20)))
        kind, titles = _ACTIVITIES[sub_action]
        plan = ActivityPlan(
            city=city, sub_action=sub_action, kind=kind, title=rng.choice(titles),
            neighbourhood=rng.choice(AREAS), starts_on=starts_on, ends_on=ends_on,
            organiser=rng.choice(_ORGANISERS[sub_action]).format(city=city.display_name),
        )
        self.at(self.working_time(planned_on), lambda: self.plan_activity(plan))

    def plan_activity(self, plan: ActivityPlan) -> None:
        activity = _Activity(self.new_id(), plan.city, plan.sub_action)
        if not self.attempt("activity", lambda now: self.services.activities.plan_activity(
                activity.id, plan, coordinator(plan.city), now)):
            return
        rng = self.rng
        # Sessions pause during the lockdown; an activity that was to start in it is cancelled.
        starts_in_lockdown = LOCKDOWN[0] <= plan.starts_on <= LOCKDOWN[1]
        if starts_in_lockdown or rng.random() < 0.05:
            reason = (_LOCKDOWN_CANCELLATION if starts_in_lockdown
                      else rng.choice(_CANCELLATION_REASONS))
            # Called off a few days before it was to start (or the lockdown began).
            before = LOCKDOWN[0] if starts_in_lockdown else plan.starts_on
            cancel_on = max(self.clock.date() + timedelta(days=1),
                            before - timedelta(days=rng.randint(0, 3)))
            self.at(self.working_time(cancel_on), lambda: self.cancel_activity(activity, reason))
        if plan.sub_action in (SubAction.CIVIC_ENGAGEMENT, SubAction.EMERGENCY_TAKE_IN):
            enrol_until = min(plan.starts_on + timedelta(days=14), plan.ends_on)
            for _ in range(rng.randint(3, 12)):
                day = self.clock.date() + timedelta(
                    days=rng.randint(0, max(0, (enrol_until - self.clock.date()).days)))
                self.at(self.working_time(day), lambda: self.enrol(activity))
        every = self.scale.session_every_days
        if plan.sub_action is SubAction.COMMUNICATION:
            every *= rng.randint(2, 5)
        day = plan.starts_on
        while day <= plan.ends_on:
            self.at(self.working_time(day, 16, 18), partial(self.session, activity, day))
            day += timedelta(days=every)
        self.at(self.working_time(plan.ends_on + timedelta(days=rng.randint(1, 10))),
                lambda: self.complete_activity(activity))

    def enrol(self, activity: _Activity) -> None:
        if activity.ended:
            return
        candidates = [
            case for case in self.cases_of[activity.city][-80:]
            if case.is_open and not case.transfer_waiting and case not in activity.enrolled
            and (case.status.is_applicant if activity.sub_action is SubAction.CIVIC_ENGAGEMENT
                 else not case.in_reception)
        ]
        if not candidates:
            return
        case = self.rng.choice(candidates)
        if self.attempt("enrolment", lambda now: self.services.activities.enrol(
                activity.id, case.id, operator(activity.city), now)):
            activity.enrolled.append(case)

    def session(self, activity: _Activity, held_on: date) -> None:
        if activity.ended or LOCKDOWN[0] <= held_on <= LOCKDOWN[1]:
            return
        rng = self.rng
        attended = frozenset(case.id for case in activity.enrolled
                             if case.is_open and case.city == activity.city and rng.random() < 0.8)
        low, high = _RESIDENTS[activity.sub_action]
        residents = rng.randint(low, high)
        if not attended:
            residents = max(1, residents)
        hours = Decimal(rng.choice(_SESSION_HOURS[activity.sub_action]))
        if self.attempt("session", lambda now: self.services.activities.record_session(
                activity.id, held_on, hours, attended, residents, operator(activity.city), now)):
            activity.sessions += 1

    def complete_activity(self, activity: _Activity) -> None:
        if activity.ended:
            return
        if activity.sessions == 0:
            self.cancel_activity(activity, "Nessun incontro si è potuto tenere.")
            return
        if self.attempt("activity_completed", lambda now: self.services.activities.complete(
                activity.id, coordinator(activity.city), now)):
            activity.ended = True

    def cancel_activity(self, activity: _Activity, reason: str) -> None:
        if activity.ended:
            return
        if self.attempt("activity_cancelled", lambda now: self.services.activities.cancel(
                activity.id, reason, coordinator(activity.city), now)):
            activity.ended = True


_ACTIVITY_WEEKS = {
    SubAction.CIVIC_ENGAGEMENT: (6, 16),
    SubAction.EMERGENCY_TAKE_IN: (4, 20),
    SubAction.ADMINISTRATION_EMPOWERMENT: (2, 8),
    SubAction.COMMUNICATION: (4, 12),
}

_ACTIVITIES: dict[SubAction, tuple[ActivityKind, tuple[str, ...]]] = {
    SubAction.CIVIC_ENGAGEMENT: (ActivityKind.CIVIC_ENGAGEMENT_INITIATIVE, (
        "Cura condivisa del giardino di quartiere",
        "Volontariato nella biblioteca civica",
        "Manutenzione dei parchi gioco",
        "Ciclofficina di quartiere",
        "Sostegno alla distribuzione alimentare",
    )),
    SubAction.EMERGENCY_TAKE_IN: (ActivityKind.COMMUNITY_BUILDING, (
        "Sportello mobile di ascolto",
        "Unità di strada multidisciplinare",
        "Tavolo di comunità del quartiere",
        "Accompagnamento ai servizi sanitari",
    )),
    SubAction.ADMINISTRATION_EMPOWERMENT: (ActivityKind.STAFF_TRAINING, (
        "Formazione: protezione internazionale e servizi comunali",
        "Coaching per gli sportelli anagrafe",
        "Formazione: vulnerabilità e presa in carico",
    )),
    SubAction.COMMUNICATION: (ActivityKind.INFORMATION_EVENT, (
        "Incontro informativo su diritti e servizi",
        "Giornata mondiale del rifugiato",
        "Campagna informativa multilingue",
    )),
}

_ORGANISERS = {
    SubAction.CIVIC_ENGAGEMENT: ("Comune di {city}, servizi sociali",
                                 "Cooperativa sociale incaricata dal Comune di {city}"),
    SubAction.EMERGENCY_TAKE_IN: ("Comune di {city}, servizi sociali",
                                  "Équipe multidisciplinare del Comune di {city}"),
    SubAction.ADMINISTRATION_EMPOWERMENT: ("Fondazione Cittalia", "ANCI"),
    SubAction.COMMUNICATION: ("ANCI Comunicare", "Comune di {city}, ufficio comunicazione"),
}

_RESIDENTS = {
    SubAction.CIVIC_ENGAGEMENT: (0, 25),
    SubAction.EMERGENCY_TAKE_IN: (0, 15),
    SubAction.ADMINISTRATION_EMPOWERMENT: (8, 30),
    SubAction.COMMUNICATION: (20, 250),
}

_SESSION_HOURS = {
    SubAction.CIVIC_ENGAGEMENT: ("2.00", "2.50", "3.00", "4.00"),
    SubAction.EMERGENCY_TAKE_IN: ("1.50", "2.00", "3.00"),
    SubAction.ADMINISTRATION_EMPOWERMENT: ("3.00", "4.00", "6.00"),
    SubAction.COMMUNICATION: ("2.00", "3.00", "5.00"),
}

_LOCKDOWN_CANCELLATION = "Annullata per le misure di contenimento dell'epidemia."

_CANCELLATION_REASONS = (
    "Sede non più disponibile.",
    "Adesioni insufficienti.",
)
