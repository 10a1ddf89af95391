"""Households through their application service, over a real record: a household formed,
joined, left and headed anew is what the record replays; a refusal writes nothing; a case
raced into two households ends up in one; a household offer of beds is refused whole, with the
member who is not waiting named, and nothing held."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.households.model import (
    AlreadyInAHousehold,
    DepartureReason,
    HeadMustStay,
    Household,
    Relationship,
)
from domain.households.service import HouseholdService, NotInAHousehold
from domain.housing.model import (
    HouseholdMemberNotWaiting,
    HousingStage,
    ShelterKind,
    ShelterOfAnotherCity,
)
from domain.housing.service import HousingService
from domain.programme import City
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.integration.test_housing_concurrency import (
    MILAN,
    Store,
    a_shelter,
    race,
    services_over,
    sqlite_store,
    waitlisted_cases,
)

__all__ = ["sqlite_store"]
TODAY = NOW.date()


def households_of(service: HousingService) -> HouseholdService:
    assert isinstance(service.households, HouseholdService)
    return service.households


def open_cases(service: HousingService, count: int) -> list[UUID]:
    cases = []
    for _ in range(count):
        case_id = uuid4()
        service.cases.record_intake(  # type: ignore[attr-defined]
            case_id, an_intake(City.MILANO), a_person(), MILAN, NOW)
        cases.append(case_id)
    return cases


def test_a_household_s_history_is_what_the_record_replays(sqlite_store: Store) -> None:
    record = sqlite_store.open()
    try:
        households = households_of(services_over(record, sqlite_store))
        head, spouse, child = open_cases(services_over(record, sqlite_store), 3)
        household_id = uuid4()
        households.form_household(household_id, head, date(2021, 3, 1), MILAN, NOW)
        households.join_household(household_id, spouse, Relationship.SPOUSE_PARTNER,
                                  date(2021, 3, 1), MILAN, NOW)
        households.join_household(household_id, child, Relationship.CHILD, date(2021, 3, 2),
                                  MILAN, NOW)
        households.make_head(spouse, Relationship.SPOUSE_PARTNER, date(2021, 3, 5), MILAN, NOW)
        households.leave_household(child, DepartureReason.MOVED_AWAY, date(2021, 3, 8), MILAN,
                                   NOW)

        household = households.get(household_id)
        assert household.head == spouse
        assert household.members == {str(head): "spouse_partner", str(spouse): "head"}
        assert households.household_id_of(child) is None
        assert households.household_id_of(head) == household_id
        kinds = [type(e).__name__ for e in record.events.get(household_id)]
        assert kinds == ["Formed", "MemberJoined", "MemberJoined", "MemberJoined",
                         "HeadChanged", "MemberLeft"]
    finally:
        record.close()


def test_a_refused_command_writes_nothing(sqlite_store: Store) -> None:
    record = sqlite_store.open()
    try:
        service = services_over(record, sqlite_store)
        households = households_of(service)
        head, child, stranger = open_cases(service, 3)
        household_id = uuid4()
        households.form_household(household_id, head, TODAY, MILAN, NOW)
        households.join_household(household_id, child, Relationship.CHILD, TODAY, MILAN, NOW)
        written = record.recorder.max_notification_id()

        with pytest.raises(HeadMustStay):
            households.leave_household(head, DepartureReason.MOVED_AWAY, TODAY, MILAN, NOW)
        with pytest.raises(AlreadyInAHousehold):
            households.form_household(uuid4(), child, TODAY, MILAN, NOW)
        with pytest.raises(NotInAHousehold):
            households.make_head(stranger, Relationship.PARENT, TODAY, MILAN, NOW)

        assert record.recorder.max_notification_id() == written
    finally:
        record.close()


def test_a_case_raced_into_two_households_is_in_one(sqlite_store: Store) -> None:
    record = sqlite_store.open()
    try:
        service = services_over(record, sqlite_store)
        households = households_of(service)
        first, second, case_id = open_cases(service, 3)
        targets = []
        for head in (first, second):
            targets.append(uuid4())
            households.form_household(targets[-1], head, TODAY, MILAN, NOW)

        def join(household_id: UUID) -> Callable[[HousingService], int]:
            return lambda racer: households_of(racer).join_household(
                household_id, case_id, Relationship.SIBLING, TODAY, MILAN, NOW)

        results = race(sqlite_store, [join(household_id) for household_id in targets])

        assert sum(isinstance(result, int) for result in results) == 1, results
        assert all(isinstance(r, AlreadyInAHousehold) for r in results if not isinstance(r, int))
        holding = [h for h in targets if str(case_id) in households.get(h).members]
        assert holding == [households.household_id_of(case_id)]
    finally:
        record.close()


def test_a_household_offer_is_refused_whole_while_a_member_is_not_waiting(
    sqlite_store: Store,
) -> None:
    record = sqlite_store.open()
    try:
        service = services_over(record, sqlite_store)
        households = households_of(service)
        (head,) = waitlisted_cases(service, 1)
        (child,) = open_cases(service, 1)  # never put on the waitlist
        household_id = uuid4()
        households.form_household(household_id, head, TODAY, MILAN, NOW)
        households.join_household(household_id, child, Relationship.CHILD, TODAY, MILAN, NOW)
        shelter_id = a_shelter(service, beds=5)
        written = record.recorder.max_notification_id()

        with pytest.raises(HouseholdMemberNotWaiting) as refused:
            service.offer_beds_to_household(household_id, shelter_id, MILAN, NOW)

        child_code = service.cases.get(child).case_code
        assert refused.value.params == {"field": "household", "case_code": child_code}
        assert record.recorder.max_notification_id() == written
        assert service.get_shelter(shelter_id).occupied == 0
        path = service.housing_path(head)
        assert path is not None and path.stage is HousingStage.WAITLISTED
    finally:
        record.close()


def test_a_household_is_offered_beds_only_in_its_own_city(sqlite_store: Store) -> None:
    record = sqlite_store.open()
    try:
        service = services_over(record, sqlite_store)
        (head,) = waitlisted_cases(service, 1)
        household_id = uuid4()
        households_of(service).form_household(household_id, head, TODAY, MILAN, NOW)
        rome = uuid4()
        service.register_shelter(rome, City.ROMA, "Casa Roma", ShelterKind.APARTMENT, "Trastevere",
                                 4, a_coordinator(City.ROMA), NOW)

        with pytest.raises(ShelterOfAnotherCity):
            service.offer_beds_to_household(household_id, rome, MILAN, NOW)
        assert [type(e) for e in record.events.get(household_id)][-1] is Household.MemberJoined
    finally:
        record.close()
