"""Duplicate persons: now and then a person already taken in by one city turns up at another's
counter, typed otherwise (upper case, the document with a space). The duplicate check finds
them, the operator goes on with a new case (a possible same person), and days later a
coordinator of that city confirms it (the two cases become one pseudonymous person) or, once in
a while, rules it out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from uuid import UUID

from domain.cases.rules import Vulnerability
from domain.identity.model import match_id_for
from domain.programme import City
from domain.vault import PersonalData
from infra.demo.cases import other_vulnerability_description
from infra.demo.people import coordinator, demo_intake, operator
from infra.demo.scheduler import Area

# One person in this many intakes turns up again in another city (at least two in a run).
INTAKES_PER_DUPLICATE = 80
_MINOR = frozenset({Vulnerability.MINOR, Vulnerability.UNACCOMPANIED_MINOR})


class DuplicateDesk(Area):
    """Intakes of people some other city took in before, and the decisions on them."""

    def plan_duplicates(self) -> None:
        cities = self.scale.cities
        if len(cities) < 2:
            return
        total = sum(count for _city, count in self.scale.intakes)
        days = (self.scale.end - self.scale.start).days
        for _ in range(max(2, total // INTAKES_PER_DUPLICATE)):
            # In the second half of the run, when there are people to find again.
            day = self.scale.start + timedelta(days=self.rng.randint(days // 2, days))
            self.at(self.working_time(day), self.turn_up_again)

    def turn_up_again(self) -> None:
        taken_in = [case for city in self.scale.cities for case in self.cases_of[city]]
        if not taken_in:
            return
        earlier = self.rng.choice(taken_in)
        elsewhere = [city for city in self.scale.cities if city != earlier.city]
        city = self.rng.choice(elsewhere)
        person = self.services.cases.vault.read(earlier.id)
        today = self.clock.date()
        if person is None or _age_on(person.birth_date, today) < 18:
            return  # erased, or a minor: their intake would differ in more than the counter
        facts = None
        for _attempt in range(20):
            drawn, _someone = demo_intake(self.rng, city, today)
            if not drawn.vulnerabilities & _MINOR and drawn.has_identity_document == (
                    person.document_number is not None):
                facts = replace(drawn, birth_date=person.birth_date)
                break
        if facts is None:
            return
        chosen = facts
        again = _typed_otherwise(person)
        case_id = self.new_id()
        description = other_vulnerability_description(self.rng, chosen)

        def record(now: datetime) -> None:
            checked = self.services.identity.take_in(
                case_id, city, again, True, lambda notes: self.services.cases.record_intake(
                    case_id, chosen, again, operator(city), now,
                    other_vulnerability_description=description, new_id=self.new_id,
                    saved_with_case=notes),
                operator(city), now)
            for match in checked.matches:
                if match.case_id == earlier.id:
                    self.at(self.later(self.clock, self.rng.uniform(24, 24 * 10)),
                            lambda: self.decide(city, match_id_for(case_id, earlier.id)))

        self.attempt("intake_possible_same_person", record)

    def decide(self, city: City, match_id: UUID) -> None:
        if self.rng.random() < 0.75:
            self.attempt("same_person_confirmed", lambda now: self.services.identity.confirm(
                match_id, coordinator(city), now, new_person_id=self.new_id))
        else:
            self.attempt("same_person_ruled_out", lambda now: self.services.identity.rule_out(
                match_id, coordinator(city), now))


def _age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _typed_otherwise(person: PersonalData) -> PersonalData:
    """The same person as another counter types them: names in capitals, the document number
    with a space; no contacts (they are asked again)."""
    document = person.document_number
    return replace(
        person, given_name=person.given_name.upper(), family_name=person.family_name.upper(),
        document_number=f"{document[:2]} {document[2:]}" if document else None,
        phone=None, email=None)
