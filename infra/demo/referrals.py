"""Referrals: to the city's services and to the partner organisations each city registers
(a few per city, on the programme's first days; a referral to one follows the person's consent
naming it, or another legal basis), answered (accepted, declined,
completed, withdrawn) within about their due time, and transfers of a case to another city."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from domain.organisations.model import OrganisationKind
from domain.privacy import LegalBasis, ProcessingPurpose
from domain.programme import City, programme_today
from domain.referrals.rules import CityService, DeclineReason, Destination, Urgency
from infra.demo.known import KnownCase
from infra.demo.people import coordinator, operator
from infra.demo.scheduler import Area, DemoServices, Scheduler


@dataclass(eq=False)
class _Referral:
    id: UUID
    case: KnownCase
    city: City
    key: str
    transfer_to: City | None
    status: str = "requested"


class ReferralDesk(Area):
    """The cities' referral work: registering the partner organisations a city refers people
    to, asking, answering, following up."""

    def __init__(
        self, scheduler: Scheduler, services: DemoServices, cases_of: dict[City, list[KnownCase]]
    ) -> None:
        super().__init__(scheduler, services, cases_of)
        # The organisations each city registered, and the ones each person consented to share
        # their case with. Their own random source, so that the rest of the demo draws the
        # same numbers as before organisations were registered.
        self.organisations_of: dict[City, list[UUID]] = {}
        self.consented: dict[UUID, set[UUID]] = {}
        self.partner_rng = random.Random(_PARTNER_SEED)

    def plan_organisations(self, city: City) -> None:
        """On the programme's first days, the city's coordinator registers a few of the
        organisations it refers people to (demo names: invented, no real body)."""
        names = self.partner_rng.sample(_PARTNERS, 4)
        kinds = [_PARTNER_KINDS[name] for name in names]
        self.organisations_of[city] = []

        def register(name: str, kind: OrganisationKind) -> None:
            found: list[UUID] = []
            if self.attempt("organisation_registered", lambda now: found.append(
                    self.services.organisations.register(
                        city, name, kind, coordinator(city), now)[0]), self.partner_rng):
                self.organisations_of[city].extend(found)

        start = self.scale.start
        for day, (name, kind) in enumerate(zip(names, kinds, strict=True)):
            self.at(self.working_time(start + timedelta(days=day), rng=self.partner_rng),
                    partial(register, name, kind))

    def _partner(self, case: KnownCase, consented: bool) -> Destination | None:
        """A registered organisation of the case's city to refer to; with `consented`, the
        person's consent to share with it is recorded first (named, GDPR art. 6(1)(a)), as the
        person agreed at intake to share with partners."""
        organisations = self.organisations_of.get(case.city)
        if not organisations:
            return None
        organisation = self.partner_rng.choice(organisations)
        given = self.consented.setdefault(case.id, set())
        if consented and organisation not in given:
            city = case.city
            if not self.attempt("consent_to_partner", lambda now: self.services.cases.give_consent(
                    case.id, ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER, programme_today(now),
                    operator(city), now, organisation_ids=[organisation]), self.partner_rng):
                return None
            given.add(organisation)
        return Destination.partner(organisation)

    def refer(self, case: KnownCase) -> None:
        if not case.is_open or case.transfer_waiting:
            return
        rng = self.rng
        other_basis: LegalBasis | None = None
        partner: Destination | None = None
        if case.partner_consent and rng.random() < 0.25:
            partner = self._partner(case, consented=True)
        elif case.vulnerable and rng.random() < 0.03:
            # Without consent, a coordinator shares the case to protect the person's life.
            partner = self._partner(case, consented=False)
            other_basis = LegalBasis.VITAL_INTERESTS if partner else None
        if partner is not None:
            destination = partner
        else:
            services = list(CityService)
            destination = Destination.city_service(
                rng.choices(services, weights=[_SERVICE_WEIGHTS[s] for s in services])[0])
        if destination.key in case.referrals_waiting:
            return  # already waiting for that one: the coordinator would not ask twice
        if case.vulnerable and rng.random() < 0.3:
            urgency: Urgency | None = Urgency.IMMEDIATE
        elif not case.vulnerable and rng.random() < 0.1:
            urgency = Urgency.WITHIN_72_HOURS
        else:
            urgency = None  # the default: 72 hours for a vulnerable person, else 15 days
        note = rng.choice(_REFERRAL_NOTES) if rng.random() < 0.3 else None
        referral = _Referral(self.new_id(), case, case.city, destination.key, None)
        city = case.city

        def request(now: datetime) -> None:
            self.services.referrals.request(
                referral.id, case.id, destination, urgency, note,
                coordinator(city) if other_basis else operator(city), now,
                other_legal_basis=other_basis, new_id=self.new_id)

        if not self.attempt("referral", request):
            return
        case.referrals_waiting.append(referral.key)
        case.referrals_open += 1
        effective = urgency or (Urgency.WITHIN_72_HOURS if case.vulnerable else Urgency.ORDINARY)
        hours = _ANSWER_HOURS[effective]
        self.at(self.later(self.clock, rng.uniform(*hours)), lambda: self.answer(referral))

    def answer(self, referral: _Referral) -> None:
        if referral.status != "requested" or referral.case.city != referral.city:
            return
        rng = self.rng
        case, city = referral.case, referral.city
        choice = rng.choices(["accept", "decline", "complete", "withdraw"],
                             weights=[72, 16, 7, 5])[0]
        referrals = self.services.referrals
        if choice == "accept":
            done = self.attempt("referral_accepted", lambda now: referrals.accept(
                referral.id, operator(city), now))
        elif choice == "decline":
            reason = rng.choices(list(_DECLINE_WEIGHTS), weights=list(_DECLINE_WEIGHTS.values()))[0]
            note = rng.choice(_DECLINE_NOTES) if reason is DeclineReason.OTHER else None
            done = self.attempt("referral_declined", lambda now: referrals.decline(
                referral.id, reason, note, operator(city), now, new_id=self.new_id))
        elif choice == "complete":
            outcome = rng.choice(_COMPLETION_NOTES)
            done = self.attempt("referral_completed", lambda now: referrals.complete(
                referral.id, outcome, operator(city), now, new_id=self.new_id))
        else:
            withdrawal = rng.choice(_WITHDRAWAL_REASONS)
            done = self.attempt("referral_withdrawn", lambda now: referrals.withdraw(
                referral.id, withdrawal, operator(city), now, new_id=self.new_id))
        if not done:
            return
        case.referrals_waiting.remove(referral.key)
        if choice != "accept":
            referral.status = "finished"
            case.referrals_open -= 1
            return
        referral.status = "accepted"
        follow_up = rng.choices(["complete", "withdraw", None], weights=[80, 10, 10])[0]
        if follow_up is not None:
            self.at(self.later(self.clock, rng.uniform(24 * 3, 24 * 60)),
                    lambda: self.finish(referral, follow_up))

    def finish(self, referral: _Referral, how: str) -> None:
        if referral.status != "accepted" or referral.case.city != referral.city:
            return
        city = referral.city
        referrals = self.services.referrals
        if how == "complete":
            outcome = self.rng.choice(_COMPLETION_NOTES) if self.rng.random() < 0.6 else None
            done = self.attempt("referral_completed", lambda now: referrals.complete(
                referral.id, outcome, operator(city), now, new_id=self.new_id))
        else:
            reason = self.rng.choice(_WITHDRAWAL_REASONS)
            done = self.attempt("referral_withdrawn", lambda now: referrals.withdraw(
                referral.id, reason, operator(city), now, new_id=self.new_id))
        if done:
            referral.status = "finished"
            referral.case.referrals_open -= 1

    def request_transfer(self, case: KnownCase, target: City) -> None:
        """Ask another city to take the case over: only for an open case with nothing under
        way here (an answer due after the move would concern a case this city no longer has)."""
        if not case.is_open or case.is_busy or case.referrals_open or target == case.city:
            return
        city = case.city
        referral = _Referral(self.new_id(), case, city, f"transfer:{target}", target)
        note = self.rng.choice(_TRANSFER_NOTES)

        def request(now: datetime) -> None:
            self.services.referrals.request(
                referral.id, case.id, Destination.transfer(target), Urgency.ORDINARY, note,
                operator(city), now, new_id=self.new_id)

        if not self.attempt("transfer", request):
            return
        case.transfer_waiting = True
        self.at(self.later(self.clock, self.rng.uniform(24, 24 * 12)),
                lambda: self.answer_transfer(referral))

    def answer_transfer(self, referral: _Referral) -> None:
        case, target = referral.case, referral.transfer_to
        assert target is not None
        referrals = self.services.referrals
        if self.rng.random() < 0.8:
            if not self.attempt("transfer_accepted", lambda now: referrals.accept(
                    referral.id, coordinator(target), now)):
                return
            self.cases_of[case.city].remove(case)
            case.city = target
            self.cases_of[target].append(case)
        else:
            reason = self.rng.choice([DeclineReason.NO_CAPACITY, DeclineReason.NOT_ELIGIBLE])
            if not self.attempt("transfer_declined", lambda now: referrals.decline(
                    referral.id, reason, None, coordinator(target), now, new_id=self.new_id)):
                return
        case.transfer_waiting = False


_PARTNER_KINDS = {
    "Ambulatorio medico solidale": OrganisationKind.NGO,
    "Sportello legale per persone migranti": OrganisationKind.ASSOCIATION,
    "Associazione di volontariato per la mediazione culturale": OrganisationKind.ASSOCIATION,
    "Cooperativa sociale per l'inserimento lavorativo": OrganisationKind.SOCIAL_COOPERATIVE,
    "Centro antiviolenza cittadino": OrganisationKind.ASSOCIATION,
    "Consultorio familiare": OrganisationKind.PUBLIC_SERVICE,
    "Scuola di italiano per stranieri": OrganisationKind.ASSOCIATION,
    "Rete di ospitalità in famiglia": OrganisationKind.NGO,
}
_PARTNERS = tuple(_PARTNER_KINDS)
_PARTNER_SEED = 4507

_SERVICE_WEIGHTS = {
    CityService.HEALTH: 20, CityService.LEGAL_AID: 18, CityService.EMPLOYMENT: 16,
    CityService.HOUSING: 10, CityService.PSYCHOLOGICAL_SUPPORT: 8, CityService.MEDIATION: 8,
    CityService.EDUCATION: 8, CityService.SOCIAL_SERVICES: 10, CityService.OTHER: 2,
}

# Hours before an answer, by urgency: most within the due time, a few late.
_ANSWER_HOURS = {
    Urgency.IMMEDIATE: (1.0, 30.0),
    Urgency.WITHIN_72_HOURS: (3.0, 96.0),
    Urgency.ORDINARY: (12.0, 24.0 * 20),
}

_DECLINE_WEIGHTS = {
    DeclineReason.NO_CAPACITY: 35, DeclineReason.NOT_ELIGIBLE: 20,
    DeclineReason.PERSON_DECLINED: 20, DeclineReason.UNREACHABLE: 15,
    DeclineReason.DUPLICATE: 3, DeclineReason.OTHER: 7,
}

_REFERRAL_NOTES = (
    "Persona senza dimora da alcune settimane.",
    "Necessita di un interprete.",
    "Documenti di soggiorno in scadenza.",
    "Segnalata dall'unità di strada.",
    "Richiesta di orientamento al lavoro.",
)

_DECLINE_NOTES = (
    "Servizio sospeso per riorganizzazione.",
    "La richiesta va rivolta a un altro ufficio.",
)

_COMPLETION_NOTES = (
    "Presa in carico conclusa.",
    "Percorso completato con esito positivo.",
    "Visita effettuata, terapia avviata.",
    "Pratica depositata.",
    "Tirocinio avviato.",
)

_WITHDRAWAL_REASONS = (
    "La persona non si è presentata agli appuntamenti.",
    "Bisogno risolto per altra via.",
    "La persona ha lasciato la città.",
)

_TRANSFER_NOTES = (
    "La persona ha un familiare nella città di destinazione.",
    "Offerta di lavoro nella città di destinazione.",
    "Posto in un progetto di accoglienza della città di destinazione.",
)
