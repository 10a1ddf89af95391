"""Households: now and then a city's staff link a few of the people recently taken in who live
together (a head, a spouse or partner, children, a parent or sibling), and for some of them ask
for housing together: every member goes on the waitlist and the household is offered beds of one
shelter with room for all, or, when none has, the members wait on as single cases. Now and then
a member leaves the household."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID

from domain.households.model import DepartureReason, Relationship
from domain.housing.model import ShelterKind
from domain.programme import City
from infra.demo.housing import HousingDesk
from infra.demo.known import KnownCase, KnownShelter
from infra.demo.people import coordinator, operator
from infra.demo.scale import AREAS
from infra.demo.scheduler import Area, DemoServices, Scheduler

# How often a city's staff look at the people recently taken in for households, in days.
_ROUND_EVERY_DAYS = 30
_RECENT_CASES = 12
# For how many mornings a household waits for a shelter with a bed for each member.
_TRIES = 45
_WEEK = 5
# Apartments a city opens for families that wait for a shelter with room for all.
_FAMILY_APARTMENTS = 2
_MEMBERS_AFTER_HEAD = ((Relationship.SPOUSE_PARTNER, Relationship.CHILD, Relationship.CHILD),
                       (Relationship.CHILD, Relationship.CHILD),
                       (Relationship.SIBLING,),
                       (Relationship.SPOUSE_PARTNER,),
                       (Relationship.PARENT, Relationship.OTHER_RELATIVE))


class HouseholdDesk(Area):
    """The cities' social workers, as they record who lives with whom."""

    def __init__(
        self, scheduler: Scheduler, services: DemoServices,
        cases_of: dict[City, list[KnownCase]], housing: HousingDesk,
    ) -> None:
        super().__init__(scheduler, services, cases_of)
        self.housing = housing
        self.linked: set[KnownCase] = set()
        self.family_apartments: Counter[City] = Counter()
        # A random source of its own, seeded from the run's (its state read, nothing drawn), for
        # its choices and its commands' moments: households added to the demo do not reshuffle
        # what the other areas draw. (A tuple of ints hashes the same in every process.)
        self.rng = random.Random(hash(scheduler.rng.getstate()[1]))
        self.attempt = partial(scheduler.attempt, rng=self.rng)

    def plan_rounds(self, city: City) -> None:
        day = self.scale.start + timedelta(days=self.rng.randint(20, 40))
        while day <= self.scale.end:
            self.at(self.working_time(day, 10, 16), partial(self.household_round, city))
            day += timedelta(days=_ROUND_EVERY_DAYS + self.rng.randint(-5, 5))

    def household_round(self, city: City) -> None:
        """Perhaps one household among the people taken in lately who are in none yet."""
        free = [case for case in self.cases_of[city][-_RECENT_CASES:]
                if case.is_open and not case.transfer_waiting and case not in self.linked]
        relationships = self.rng.choice(_MEMBERS_AFTER_HEAD)
        if len(free) < len(relationships) + 1 or self.rng.random() < 0.4:
            return
        head, *others = self.rng.sample(free, len(relationships) + 1)
        household_id = self.new_id()
        if not self.attempt("household_formed", lambda now: self.services.households
                            .form_household(household_id, head.id, now.date(),
                                            operator(city), now)):
            return
        members = [head]
        self.linked.add(head)
        for case, relationship in zip(others, relationships, strict=True):
            if self.attempt("household_joined",
                            partial(self._join, household_id, case, relationship)):
                members.append(case)
                self.linked.add(case)
        for member in members[1:]:
            if self.rng.random() < 0.12:
                self.at(self.working_time(self.clock.date() + timedelta(
                    days=self.rng.randint(60, 240))), partial(self.leave, member))
        if len(members) > 1 and self._housable(members) and self.rng.random() < 0.6:
            self.at(self.later(self.clock, self.rng.uniform(1, 24 * 2)),
                    partial(self.house_together, household_id, members))

    def _housable(self, members: list[KnownCase]) -> bool:
        """Every member open, out of reception, and not yet offered a bed or housed."""
        return all(m.is_open and not m.transfer_waiting and not m.in_reception
                   and m.housing in ("none", "waitlisted") and m in self.linked
                   for m in members)

    def house_together(self, household_id: UUID, members: list[KnownCase],
                       tries: int = _TRIES) -> None:
        """Every member on the waitlist, then beds for all in one shelter with room enough,
        looked for each morning before the housing office's round; meanwhile each member may
        still be offered a bed of their own, and then the household is housed apart."""
        if not self._housable(members):
            return
        city = members[0].city
        for member in members:
            if member.housing == "none":
                if not self.attempt("waitlisted", partial(self._waitlist, member)):
                    return
                member.housing, member.waitlisted_at = "waitlisted", self.clock
                self.housing.waitlist[city].append(member)
        shelter = next((s for s in sorted(self.housing.shelters[city], key=lambda s: s.name)
                        if s.free >= len(members)), None)
        if shelter is None and tries <= _TRIES - _WEEK and (
                self.family_apartments[city] < _FAMILY_APARTMENTS):
            shelter = self._family_apartment(city, len(members))
        if shelter is None:
            if tries > 1:
                self.at(self.working_time(self.clock.date() + timedelta(days=1), 7, 8),
                        partial(self.house_together, household_id, members, tries - 1))
            else:
                self.housing.housing_round_soon(city)
            return
        if not self.attempt("household_beds_offered", lambda now: self.services.housing
                            .offer_beds_to_household(household_id, shelter.id, operator(city),
                                                     now)):
            return
        shelter.free -= len(members)
        day = self.clock.date() + timedelta(days=self.rng.randint(0, 4))
        for member in members:
            self.housing.waitlist[city].remove(member)
            member.housing, member.shelter = "offered", shelter
            self.at(self.working_time(day, 9), partial(self.housing.move_in, member))

    def _family_apartment(self, city: City, members: int) -> KnownShelter | None:
        """After a week with no shelter with room for the household, the city opens an apartment
        for families (a few at most per city), registered with as many beds as the household
        needs or a couple more; the household is offered it first."""
        self.family_apartments[city] += 1
        beds = members + self.rng.randint(0, 2)
        shelter = KnownShelter(self.new_id(), city, f"Appartamento per nuclei familiari "
                               f"{city.display_name} {self.family_apartments[city]}", beds)
        if not self.attempt("shelter", lambda now: self.services.housing.register_shelter(
                shelter.id, city, shelter.name, ShelterKind.APARTMENT,
                self.rng.choice(AREAS), beds, coordinator(city), now)):
            return None
        self.housing.shelters[city].append(shelter)
        return shelter

    def _join(self, household_id: UUID, case: KnownCase, relationship: Relationship,
              now: datetime) -> int:
        return self.services.households.join_household(
            household_id, case.id, relationship, now.date(), operator(case.city), now)

    def _waitlist(self, case: KnownCase, now: datetime) -> int:
        return self.services.housing.add_to_waitlist(case.id, operator(case.city), now)

    def leave(self, member: KnownCase) -> None:
        if member not in self.linked:
            return
        reason = self.rng.choice([DepartureReason.MOVED_AWAY,
                                  DepartureReason.FORMED_OWN_HOUSEHOLD])
        if self.attempt("household_left", lambda now: self.services.households.leave_household(
                member.id, reason, now.date(), operator(member.city), now)):
            self.linked.discard(member)
