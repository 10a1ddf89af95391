"""Intakes and cases: people taken in on the busy days of the calendar, what then happens to each
case (referrals, perhaps the housing waitlist, perhaps a transfer), its closure, and now and then
its reopening."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from functools import partial

from domain.cases.model import IntakeFacts
from domain.cases.rules import (
    AgeBand,
    AssessingService,
    CaseOutcome,
    ReceptionSituation,
    Vulnerability,
)
from domain.privacy import ProcessingPurpose
from domain.programme import PROGRAMME_START, City, programme_today
from infra.demo.assignment import AssignmentDesk
from infra.demo.housing import HousingDesk
from infra.demo.known import KnownCase
from infra.demo.legal import decision_for, permit_expiry
from infra.demo.people import coordinator, demo_intake, operator
from infra.demo.referrals import ReferralDesk
from infra.demo.scale import HOUSING_FOCUS_CITY, LOCKDOWN
from infra.demo.scheduler import Area, DemoServices, Scheduler


class CaseDesk(Area):
    """The cities' intake desks and their case management."""

    def __init__(
        self,
        scheduler: Scheduler,
        services: DemoServices,
        cases_of: dict[City, list[KnownCase]],
        *,
        referrals: ReferralDesk,
        housing: HousingDesk,
        assignments: AssignmentDesk | None = None,
    ) -> None:
        super().__init__(scheduler, services, cases_of)
        self.referrals = referrals
        self.housing = housing
        self.assignments = assignments

    def intake_days(self, count: int) -> list[date]:
        days = [self.scale.start + timedelta(days=n)
                for n in range((self.scale.end - self.scale.start).days + 1)]
        return sorted(self.rng.choices(days, weights=[_intake_weight(d) for d in days], k=count))

    def take_in(self, city: City) -> None:
        today = self.clock.date()
        facts, person = demo_intake(self.rng, city, today)
        case_id = self.new_id()
        receipts = []

        description = other_vulnerability_description(self.rng, facts)

        def record(now: datetime) -> None:
            # Through the duplicate check, as the intake page does; the operator goes on if it
            # finds an invented namesake (docs/workflows/duplicates.md).
            receipts.append(self.services.identity.take_in(
                case_id, city, person, True, lambda notes: self.services.cases.record_intake(
                    case_id, facts, person, operator(city), now,
                    other_vulnerability_description=description, new_id=self.new_id,
                    saved_with_case=notes),
                operator(city), now).receipt)

        if not self.attempt("intake", record):
            return
        case = KnownCase(
            id=case_id, code=receipts[0].case_code, city=city, status=facts.protection_status,
            status_since=today,
            vulnerable=bool(facts.vulnerabilities) or _minor(facts),
            partner_consent=ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER in facts.consents,
            in_reception=facts.reception.situation is ReceptionSituation.IN_RECEPTION,
        )
        self.cases_of[city].append(case)
        self.plan_case(case)
        self.plan_care(case, facts)
        if self.assignments is not None:
            self.assignments.plan(case)

    def plan_care(self, case: KnownCase, facts: IntakeFacts) -> None:
        """An unaccompanied minor's guardian, mostly appointed within weeks (l. 47/2017), now
        and then already before the intake; some vulnerabilities assessed by a service."""
        rng = self.rng
        start = self.clock
        if Vulnerability.UNACCOMPANIED_MINOR in facts.vulnerabilities and rng.random() < 0.8:
            days = rng.randint(-20, 60)
            self.at(self.later(start, max(days, 0) * 24 + rng.uniform(1, 8)),
                    lambda: self.appoint_guardian(case, start.date() + timedelta(days=days)))
        for vulnerability in Vulnerability:  # in a fixed order: the demo is reproducible
            if vulnerability not in facts.vulnerabilities or vulnerability in (
                    Vulnerability.MINOR, Vulnerability.UNACCOMPANIED_MINOR):
                continue
            if rng.random() < 0.4:
                self.at(self.later(start, rng.uniform(24, 24 * 90)),
                        partial(self.assess, case, vulnerability))

    def appoint_guardian(self, case: KnownCase, appointed_on: date) -> None:
        if not case.is_open or case.transfer_waiting:
            return
        city = case.city
        self.attempt("guardian", lambda now: self.services.cases.appoint_guardian(
            case.id, min(appointed_on, programme_today(now)), operator(city), now))

    def assess(self, case: KnownCase, vulnerability: Vulnerability) -> None:
        if not case.is_open or case.transfer_waiting:
            return
        service = _ASSESSED_BY.get(vulnerability, AssessingService.HEALTH_SERVICE)
        assessed_on = self.clock.date() - timedelta(days=self.rng.randint(0, 5))
        city = case.city
        self.attempt("assessment", lambda now: self.services.cases.assess_vulnerability(
            case.id, vulnerability, assessed_on, service, operator(city), now))

    def plan_case(self, case: KnownCase) -> None:
        """What will happen to a case just taken in: its referrals, perhaps the housing
        waitlist, perhaps a transfer, and in time its closure."""
        rng = self.rng
        start = self.clock
        for _ in range(rng.choices([0, 1, 2, 3], weights=[25, 35, 28, 12])[0]):
            self.at(self.later(start, rng.uniform(0.5, 24 * 45)),
                    lambda: self.referrals.refer(case))
        wants_housing = 0.25 + 0.2 * case.vulnerable + 0.15 * case.international_protection
        if case.city == HOUSING_FOCUS_CITY:
            wants_housing += 0.15
        if case.status.is_applicant and rng.random() < 0.7:
            self.at(self.working_time(start.date() + timedelta(days=rng.randint(45, 330))),
                    lambda: self.decide_status(case))
        if not case.in_reception and rng.random() < wants_housing:
            self.at(self.later(start, rng.uniform(1, 24 * 10)),
                    lambda: self.housing.add_to_waitlist(case))
        if rng.random() < 0.03 and len(self.scale.cities) > 1:
            target = rng.choice([c for c in self.scale.cities if c != case.city])
            self.at(self.later(start, rng.uniform(24 * 20, 24 * 120)),
                    lambda: self.referrals.request_transfer(case, target))
        if rng.random() < 0.65:
            self.at(self.working_time(start.date() + timedelta(days=rng.randint(60, 420))),
                    lambda: self.close(case, attempts=6))

    def decide_status(self, case: KnownCase) -> None:
        """A territorial commission's (or, on appeal, a court's) decision on an applicant: a
        status change from its date, never a correction. An appellant may hear again later."""
        if not case.is_open or case.transfer_waiting:
            return
        rng = self.rng
        decided_on = self.clock.date() - timedelta(days=rng.randint(0, 10))
        decided_on = max(decided_on, case.status_since)
        status = decision_for(rng, case.status, decided_on)
        expiry = permit_expiry(rng, status, decided_on)
        city = case.city

        def change(now: datetime) -> None:
            self.services.cases.change_status(case.id, decided_on, status, expiry,
                                              operator(city), now)

        if not self.attempt("status_change", change):
            return
        case.status, case.status_since = status, decided_on
        if status.is_applicant and rng.random() < 0.6:
            self.at(self.working_time(self.clock.date() + timedelta(days=rng.randint(90, 400))),
                    lambda: self.decide_status(case))

    def close(self, case: KnownCase, attempts: int) -> None:
        if not case.is_open:
            return
        if case.is_busy:
            if attempts > 1:
                self.at(self.working_time(self.clock.date() + timedelta(days=30)),
                        lambda: self.close(case, attempts - 1))
            return
        rng = self.rng
        if case.moved_out_autonomous and rng.random() < 0.8:
            outcome = CaseOutcome.AUTONOMY
        else:
            outcome = rng.choices(list(_CLOSURE_REASONS),
                                  weights=[w for w, _r in _CLOSURE_REASONS.values()])[0]
        reason = rng.choice(_CLOSURE_REASONS[outcome][1])
        city = case.city

        def close(now: datetime) -> None:
            self.services.cases.close(case.id, outcome, programme_today(now), reason,
                                      operator(city), now, new_id=self.new_id)

        if not self.attempt("closure", close):
            return
        case.closed_on = self.clock.date()
        if rng.random() < 0.05:
            self.at(self.working_time(self.clock.date() + timedelta(days=rng.randint(20, 150))),
                    lambda: self.reopen(case))

    def reopen(self, case: KnownCase) -> None:
        city = case.city
        reason = self.rng.choice(_REOPENING_REASONS)

        def reopen(now: datetime) -> None:
            self.services.cases.reopen(case.id, programme_today(now), reason, coordinator(city),
                                       now, new_id=self.new_id)

        if not self.attempt("reopening", reopen):
            return
        case.closed_on = None
        if self.rng.random() < 0.5:
            self.at(self.later(self.clock, self.rng.uniform(24, 24 * 10)),
                    lambda: self.referrals.refer(case))
        self.at(self.working_time(self.clock.date() + timedelta(days=self.rng.randint(30, 200))),
                lambda: self.close(case, attempts=4))


def _intake_weight(day: date) -> float:
    """How busy intake desks are on `day`: a slow start while the cities set up, few intakes
    during the lockdown, fewer in August and on Sundays."""
    months = (day.year - PROGRAMME_START.year) * 12 + day.month - PROGRAMME_START.month
    weight = min(1.0, 0.3 + 0.15 * months)
    if LOCKDOWN[0] <= day <= LOCKDOWN[1]:
        weight *= 0.3
    if day.month == 8:
        weight *= 0.7
    if day.weekday() == 6:
        weight *= 0.1
    return weight

def _minor(facts: IntakeFacts) -> bool:
    return AgeBand.at(facts.birth_date, facts.intake_date) is AgeBand.UNDER_18


_CLOSURE_REASONS: dict[CaseOutcome, tuple[int, tuple[str, ...]]] = {
    CaseOutcome.AUTONOMY: (30, ("Lavoro stabile e alloggio in affitto.",
                                "Autonomia abitativa e lavorativa raggiunta.")),
    CaseOutcome.OTHER_PROGRAMME: (25, ("Inserita nella rete SAI.",
                                       "Presa in carico da un progetto regionale.")),
    CaseOutcome.MOVED_AWAY: (15, ("Trasferita in un'altra regione.",
                                  "Ricongiungimento familiare all'estero.")),
    CaseOutcome.LOST_CONTACT: (22, ("Nessun contatto da oltre tre mesi.",)),
    CaseOutcome.OTHER: (8, ("Rimpatrio volontario assistito.",)),
}

_REOPENING_REASONS = (
    "Nuova richiesta di assistenza.",
    "Perdita del lavoro e dell'alloggio.",
    "La persona è tornata in città.",
)


def other_vulnerability_description(rng: random.Random, facts: IntakeFacts) -> str | None:
    """What an intake with an "other" vulnerability must describe (none without one)."""
    # Invented, like every demo person: what an "other" vulnerability might be.
    return (rng.choice(_OTHER_VULNERABILITIES) if Vulnerability.OTHER in facts.vulnerabilities
            else None)


_OTHER_VULNERABILITIES = (
    "Ipoacusia parziale (dichiarata)",
    "Isolamento sociale grave dopo la perdita del lavoro",
    "Dipendenza da gioco d'azzardo in trattamento",
)
_ASSESSED_BY = {
    Vulnerability.TRAFFICKING_VICTIM: AssessingService.ANTI_TRAFFICKING_PROGRAMME,
    Vulnerability.SINGLE_PARENT_WITH_MINORS: AssessingService.SOCIAL_SERVICE,
    Vulnerability.ELDERLY: AssessingService.SOCIAL_SERVICE,
    Vulnerability.TORTURE_OR_SERIOUS_VIOLENCE: AssessingService.HEALTH_SERVICE,
    Vulnerability.OTHER: AssessingService.SOCIAL_SERVICE,
}
