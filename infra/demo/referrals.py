"""Referrals: to the city's services and to partner organisations, answered (accepted, declined,
completed, withdrawn) within about their due time, and transfers of a case to another city."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.privacy import LegalBasis
from domain.programme import City
from domain.referrals.rules import CityService, DeclineReason, Destination, Urgency
from infra.demo.known import KnownCase
from infra.demo.people import coordinator, operator
from infra.demo.scheduler import Area


@dataclass(eq=False)
class _Referral:
    id: UUID
    case: KnownCase
    city: City
    key: str
    transfer_to: City | None
    status: str = "requested"


class ReferralDesk(Area):
    """The cities' referral work: asking, answering, following up."""

    def refer(self, case: KnownCase) -> None:
        if not case.is_open or case.transfer_waiting:
            return
        rng = self.rng
        other_basis: LegalBasis | None = None
        if case.partner_consent and rng.random() < 0.25:
            destination = Destination.partner(rng.choice(_PARTNERS))
        elif case.vulnerable and rng.random() < 0.03:
            # Without consent, a coordinator shares the case to protect the person's life.
            destination = Destination.partner(rng.choice(_PARTNERS))
            other_basis = LegalBasis.VITAL_INTERESTS
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


_PARTNERS = (
    "Ambulatorio medico solidale",
    "Sportello legale per persone migranti",
    "Associazione di volontariato per la mediazione culturale",
    "Cooperativa sociale per l'inserimento lavorativo",
    "Centro antiviolenza cittadino",
    "Consultorio familiare",
    "Scuola di italiano per stranieri",
    "Rete di ospitalità in famiglia",
)

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
