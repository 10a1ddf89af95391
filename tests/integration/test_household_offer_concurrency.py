"""A household is housed together or not at all (issue 16, item 8: "as many beds as members, in
one shelter, all or none"). Two household offers race for a shelter's last free beds, each
through a record of its own over the same store (as separate processes would): one household
gets every bed it needs, the other none, and no household is ever half placed. On SQLite, and on
PostgreSQL. The race and the stores are the last-bed test's (test_housing_concurrency)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from domain.households.model import Relationship
from domain.households.service import HouseholdService
from domain.housing.model import HousingStage, NotEnoughFreeBeds, Shelter
from domain.housing.service import HousingService
from tests.builders import NOW
from tests.integration.test_housing_concurrency import (
    MILAN,
    Store,
    a_shelter,
    postgres_store,
    race,
    services_over,
    sqlite_store,
    waitlisted_cases,
)

__all__ = ["postgres_store", "sqlite_store"]  # the stores, as fixtures of this module too
MEMBERS = 3


def a_waitlisted_household(service: HousingService, members: int) -> tuple[UUID, list[UUID]]:
    assert isinstance(service.households, HouseholdService)
    households = service.households
    head, *others = waitlisted_cases(service, members)
    household_id = uuid4()
    households.form_household(household_id, head, NOW.date(), MILAN, NOW)
    for case_id in others:
        households.join_household(household_id, case_id, Relationship.CHILD, NOW.date(), MILAN,
                                  NOW)
    return household_id, [head, *others]


def stages(service: HousingService, cases: list[UUID]) -> set[HousingStage]:
    found = set()
    for case_id in cases:
        path = service.housing_path(case_id)
        assert path is not None
        found.add(path.stage)
    return found


def two_households_race_for_the_last_beds(store: Store) -> None:
    record = store.open()
    try:
        service = services_over(record, store)
        shelter_id = a_shelter(service, beds=MEMBERS + 1)
        (single,) = waitlisted_cases(service, 1)
        service.offer_bed(single, shelter_id, MILAN, NOW)  # MEMBERS beds left
        rivals = [a_waitlisted_household(service, MEMBERS) for _ in range(2)]

        def offer(household_id: UUID) -> Callable[[HousingService], int]:
            return lambda racer: racer.offer_beds_to_household(household_id, shelter_id, MILAN,
                                                               NOW)

        results = race(store, [offer(household_id) for household_id, _ in rivals])

        won = [members for (_, members), result in zip(rivals, results, strict=True)
               if isinstance(result, int)]
        lost = [members for (_, members), result in zip(rivals, results, strict=True)
                if not isinstance(result, int)]
        assert len(won) == 1 and len(lost) == 1, results
        (refusal,) = [result for result in results if not isinstance(result, int)]
        assert isinstance(refusal, NotEnoughFreeBeds), refusal
        assert refusal.params == {"field": "shelter_id", "needed": MEMBERS, "free": 0}
        # one household has every bed it needs, the other none: no household half placed
        assert stages(service, won[0]) == {HousingStage.OFFERED}
        assert stages(service, lost[0]) == {HousingStage.WAITLISTED}
        shelter = service.get_shelter(shelter_id)
        assert shelter.occupied == shelter.beds == MEMBERS + 1
        holders = {shelter.holder_of(bed) for bed in shelter.bed_numbers}
        paths = {service.housing_path(case_id).id for case_id in won[0]}  # type: ignore[union-attr]
        assert paths <= holders
        stored = list(record.events.get(shelter_id))
        assert len([e for e in stored if isinstance(e, Shelter.BedAssigned)]) == MEMBERS + 1
        assert len([e for e in stored if isinstance(e, Shelter.HouseholdBedsOffered)]) == 1
    finally:
        record.close()


def test_two_household_offers_for_the_last_beds_on_sqlite_one_gets_all(
    sqlite_store: Store,
) -> None:
    two_households_race_for_the_last_beds(sqlite_store)


@pytest.mark.postgres
def test_two_household_offers_for_the_last_beds_on_postgres_one_gets_all(
    postgres_store: Store,
) -> None:
    two_households_race_for_the_last_beds(postgres_store)
