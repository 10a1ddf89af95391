"""Housing: each city's shelters (more in Florence, whose focus it is), the waitlist, beds offered
in the waitlist's order, offers declined, moves in and out."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from domain.housing.model import MoveOutOutcome, ShelterKind
from domain.programme import (
    CARD_PRIORITY_WEIGHTS,
    City,
    PriorityFacts,
    in_priority_order,
    programme_today,
)
from infra.demo.known import KnownCase, KnownShelter
from infra.demo.people import coordinator, operator
from infra.demo.scale import AREAS, HOUSING_FOCUS_CITY
from infra.demo.scheduler import Area, DemoServices, Scheduler


class HousingDesk(Area):
    """The cities' housing offices: their shelters and their waitlists."""

    def __init__(
        self, scheduler: Scheduler, services: DemoServices, cases_of: dict[City, list[KnownCase]]
    ) -> None:
        super().__init__(scheduler, services, cases_of)
        cities = scheduler.scale.cities
        self.waitlist: dict[City, list[KnownCase]] = {city: [] for city in cities}
        self.shelters: dict[City, list[KnownShelter]] = {city: [] for city in cities}
        self.housing_round_due: set[City] = set()

    def plan_shelters(self, city: City, intakes: int) -> None:
        rng = self.rng
        # About four in ten of the people taken in ask for a bed, and stay about five months:
        # enough beds for most of them, with a waitlist in the big cities.
        days = (self.scale.end - self.scale.start).days + 1
        beds_needed = max(6, round(intakes * 0.4 * 150 / days))
        if city == HOUSING_FOCUS_CITY:
            beds_needed = round(beds_needed * 2.5)
        count = min(6 if city == HOUSING_FOCUS_CITY else 4, max(1, beds_needed // 12))
        for number in range(count):
            beds = max(6, min(40, round(beds_needed / count) + rng.randint(-3, 3)))
            kind = ShelterKind.PROTECTED_SETTING if number == 2 else rng.choice(
                [ShelterKind.TEMPORARY_SHELTER, ShelterKind.APARTMENT])
            opens_on = self.scale.start + timedelta(days=rng.randint(0, 20) + 45 * number)
            if opens_on > self.scale.end:
                opens_on = self.scale.start
            area = rng.choice(AREAS)
            name = f"{_SHELTER_NAMES[kind]} {city.display_name} {number + 1}"
            self.at(self.working_time(opens_on, 8, 10),
                    partial(self.register_shelter, city, name, kind, area, beds))

    def register_shelter(self, city: City, name: str, kind: ShelterKind, area: str,
                         beds: int) -> None:
        shelter = KnownShelter(self.new_id(), city, name, beds)
        if not self.attempt("shelter", lambda now: self.services.housing.register_shelter(
                shelter.id, city, name, kind, area, beds, coordinator(city), now)):
            return
        self.shelters[city].append(shelter)
        self.housing_round_soon(city)
        if self.rng.random() < 0.25:
            added = self.rng.randint(2, 6)
            self.at(self.working_time(self.clock.date() + timedelta(days=self.rng.randint(
                120, 400))), lambda: self.add_beds(shelter, added))

    def add_beds(self, shelter: KnownShelter, count: int) -> None:
        if self.attempt("beds_added", lambda now: self.services.housing.add_beds(
                shelter.id, count, coordinator(shelter.city), now)):
            shelter.free += count
            self.housing_round_soon(shelter.city)

    def add_to_waitlist(self, case: KnownCase) -> None:
        if not case.is_open or case.transfer_waiting or case.housing != "none":
            return
        if not self.attempt("waitlisted", lambda now: self.services.housing.add_to_waitlist(
                case.id, operator(case.city), now)):
            return
        case.housing = "waitlisted"
        case.waitlisted_at = self.clock
        self.waitlist[case.city].append(case)
        self.housing_round_soon(case.city)
        if self.rng.random() < 0.1:
            self.at(self.working_time(self.clock.date() + timedelta(days=self.rng.randint(
                14, 90))), lambda: self.leave_waitlist(case))

    def leave_waitlist(self, case: KnownCase) -> None:
        if case.housing != "waitlisted":
            return
        reason = self.rng.choice(_LEFT_WAITLIST_REASONS)
        if self.attempt("left_waitlist", lambda now: self.services.housing.leave_waitlist(
                case.id, reason, operator(case.city), now, new_id=self.new_id)):
            case.housing = "none"
            self.waitlist[case.city].remove(case)

    def housing_round_soon(self, city: City) -> None:
        """The city's housing office looks at the waitlist and its free beds the next morning."""
        if city in self.housing_round_due:
            return
        self.housing_round_due.add(city)
        self.at(self.working_time(self.clock.date() + timedelta(days=1), 8, 9),
                lambda: self.housing_round(city))

    def housing_round(self, city: City) -> None:
        """Offer every free bed, in the waitlist's order as the waitlist page ranks it: the
        card's (holders of international protection, then vulnerable people, then the longest
        waiting), with the card's weights (the demo records no decision of the Ministry)."""
        self.housing_round_due.discard(city)
        candidates = [case for case in self.waitlist[city]
                      if case.is_open and not case.transfer_waiting]
        waiting = [case for case, _priority in in_priority_order(
            candidates, CARD_PRIORITY_WEIGHTS, self.clock, lambda case: PriorityFacts(
                case.international_protection, case.vulnerable,
                case.waitlisted_at or self.clock, case.code))]
        shelters = sorted(self.shelters[city], key=lambda shelter: shelter.name)
        for case in waiting:
            shelter = next((s for s in shelters if s.free > 0), None)
            if shelter is None:
                return
            self.offer(case, shelter)

    def offer(self, case: KnownCase, shelter: KnownShelter) -> None:
        if not self.attempt("bed_offered", lambda now: self.services.housing.offer_bed(
                case.id, shelter.id, operator(case.city), now)):
            return
        shelter.free -= 1
        case.housing = "offered"
        case.shelter = shelter
        self.waitlist[case.city].remove(case)
        rng = self.rng
        if not case.declined_an_offer and rng.random() < 0.1:
            self.at(self.later(self.clock, rng.uniform(4, 24 * 3)), lambda: self.decline(case))
        else:
            self.at(self.working_time(self.clock.date() + timedelta(days=rng.randint(0, 4)), 9),
                    lambda: self.move_in(case))

    def decline(self, case: KnownCase) -> None:
        shelter = case.shelter
        assert shelter is not None
        reason = self.rng.choice(_OFFER_DECLINED_REASONS)
        if not self.attempt("offer_declined", lambda now: self.services.housing.decline_offer(
                case.id, reason, operator(case.city), now, new_id=self.new_id)):
            return
        shelter.free += 1
        case.housing, case.shelter, case.declined_an_offer = "waitlisted", None, True
        self.waitlist[case.city].append(case)  # its place is kept: it counts from waitlisted_at
        self.housing_round_soon(case.city)

    def move_in(self, case: KnownCase) -> None:
        if case.housing != "offered":
            return
        if not self.attempt("moved_in", lambda now: self.services.housing.move_in(
                case.id, programme_today(now), operator(case.city), now)):
            return
        case.housing = "housed"
        weeks = self.rng.randint(3, 40)
        self.at(self.working_time(self.clock.date() + timedelta(weeks=weeks)),
                lambda: self.move_out(case))

    def move_out(self, case: KnownCase) -> None:
        shelter = case.shelter
        assert shelter is not None
        rng = self.rng
        outcome = rng.choices(list(_MOVE_OUT_WEIGHTS), weights=list(_MOVE_OUT_WEIGHTS.values()))[0]
        note = rng.choice(_MOVE_OUT_NOTES[outcome]) if outcome in _MOVE_OUT_NOTES else None
        if not self.attempt("moved_out", lambda now: self.services.housing.move_out(
                case.id, outcome, programme_today(now), note, operator(case.city), now,
                new_id=self.new_id)):
            return
        shelter.free += 1
        case.housing, case.shelter = "none", None
        case.moved_out_autonomous = outcome is MoveOutOutcome.AUTONOMOUS_HOUSING
        self.housing_round_soon(shelter.city)


_SHELTER_NAMES = {
    ShelterKind.TEMPORARY_SHELTER: "Accoglienza temporanea",
    ShelterKind.APARTMENT: "Appartamento di transizione",
    ShelterKind.PROTECTED_SETTING: "Struttura protetta",
}

_OFFER_DECLINED_REASONS = (
    "Struttura troppo lontana dal luogo di lavoro.",
    "La persona ha trovato ospitalità presso conoscenti.",
    "Il posto non è adatto al nucleo familiare.",
)

_LEFT_WAITLIST_REASONS = (
    "Ha trovato un alloggio in autonomia.",
    "Accolta da un altro progetto.",
    "Non più interessata.",
)

_MOVE_OUT_WEIGHTS = {
    MoveOutOutcome.AUTONOMOUS_HOUSING: 40, MoveOutOutcome.OTHER_RECEPTION_PROGRAMME: 25,
    MoveOutOutcome.FAMILY_REUNIFICATION: 8, MoveOutOutcome.LEFT_WITHOUT_NOTICE: 15,
    MoveOutOutcome.REMOVED_FOR_RULE_BREACH: 4, MoveOutOutcome.OTHER: 8,
}

_MOVE_OUT_NOTES = {
    MoveOutOutcome.AUTONOMOUS_HOUSING: ("Contratto di affitto firmato.",),
    MoveOutOutcome.OTHER: ("Ricoverata in una struttura sanitaria.",
                           "Ospitata da una famiglia della rete di accoglienza."),
}
