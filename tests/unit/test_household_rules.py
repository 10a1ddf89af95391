"""The rules of households, on the aggregates alone: one head, members of one city, a case in at
most one household at a time, dated joins and departures; and the shelter's all-or-none hold of
beds for a household."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from domain.households.model import (
    MAX_MEMBERS,
    AlreadyInAHousehold,
    CaseOfAnotherCity,
    DepartureReason,
    HeadMustStay,
    Household,
    HouseholdEnded,
    HouseholdFull,
    InvalidHouseholdDate,
    InvalidRelationship,
    Membership,
    NotAMember,
    Relationship,
)
from domain.housing.model import NotEnoughFreeBeds, Shelter, ShelterKind
from domain.programme import City
from tests.builders import NOW, a_coordinator

ACTOR = a_coordinator()
TODAY = NOW.date()
FORMED_ON = date(2021, 3, 1)


def member() -> Membership:
    return Membership.start(uuid4(), NOW)


def a_household(head: Membership | None = None) -> Household:
    return Household.form(uuid4(), head or member(), "FI-2021-00001", City.FIRENZE, FORMED_ON,
                          ACTOR, NOW)


def joined(household: Household, relationship: Relationship = Relationship.CHILD,
           on: date = FORMED_ON) -> Membership:
    case = member()
    household.add(case, "FI-2021-00002", City.FIRENZE, relationship, on, ACTOR, NOW)
    return case


def last_event(household: Household) -> object:
    return household.collect_events()[-1]


def test_a_household_is_formed_with_its_head_as_first_member() -> None:
    head = member()
    household = a_household(head)

    formed, head_joined = household.collect_events()
    assert isinstance(formed, Household.Formed)
    assert (formed.city, formed.formed_on) == ("firenze", FORMED_ON)
    assert isinstance(head_joined, Household.MemberJoined)
    assert (head_joined.case_id, head_joined.case_code, head_joined.relationship,
            head_joined.joined_on) == (head.case_id, "FI-2021-00001", "head", FORMED_ON)
    assert household.head == head.case_id
    assert head.household_id == household.id


def test_a_member_joins_with_a_relationship_to_the_head_and_the_date() -> None:
    household = a_household()
    household.collect_events()
    child = joined(household, Relationship.CHILD, date(2021, 3, 5))

    event = last_event(household)
    assert isinstance(event, Household.MemberJoined)
    assert (event.city, event.case_id, event.case_code, event.relationship, event.joined_on) == (
        "firenze", child.case_id, "FI-2021-00002", "child", date(2021, 3, 5))
    assert household.relationship_of(child.case_id) is Relationship.CHILD
    assert len(household.member_ids) == 2


def test_a_household_has_one_head() -> None:
    household = a_household()

    with pytest.raises(InvalidRelationship):
        joined(household, Relationship.HEAD)


def test_a_case_is_in_at_most_one_household_at_a_time() -> None:
    case = member()
    a_household(case)
    other = a_household()

    with pytest.raises(AlreadyInAHousehold):
        other.add(case, "FI-2021-00003", City.FIRENZE, Relationship.SIBLING, FORMED_ON, ACTOR,
                  NOW)
    with pytest.raises(AlreadyInAHousehold):
        a_household(case)
    assert len(other.member_ids) == 1


def test_after_leaving_a_case_joins_another_household_from_the_day_it_left() -> None:
    first = a_household()
    case = joined(first)
    left_on = date(2021, 3, 8)
    first.remove(case, "FI-2021-00002", DepartureReason.MOVED_AWAY, left_on, ACTOR, NOW)
    second = a_household()

    with pytest.raises(InvalidHouseholdDate):
        second.add(case, "FI-2021-00002", City.FIRENZE, Relationship.SIBLING,
                   left_on - timedelta(days=1), ACTOR, NOW)
    second.add(case, "FI-2021-00002", City.FIRENZE, Relationship.SIBLING, left_on, ACTOR, NOW)
    assert case.household_id == second.id


def test_members_are_cases_of_the_household_s_city() -> None:
    household = a_household()

    with pytest.raises(CaseOfAnotherCity):
        household.add(member(), "MI-2021-00001", City.MILANO, Relationship.CHILD, FORMED_ON,
                      ACTOR, NOW)


def test_a_household_takes_up_to_thirty_members_and_not_one_more() -> None:
    household = a_household()
    for _ in range(MAX_MEMBERS - 1):
        joined(household)
    assert len(household.member_ids) == MAX_MEMBERS

    with pytest.raises(HouseholdFull):
        joined(household)


@pytest.mark.parametrize("on", [FORMED_ON - timedelta(days=1), TODAY + timedelta(days=1)])
def test_a_join_is_dated_from_the_household_s_formation_to_today(on: date) -> None:
    household = a_household()

    with pytest.raises(InvalidHouseholdDate):
        joined(household, on=on)
    assert len(household.member_ids) == 1


def test_a_member_leaves_with_a_reason_code_and_the_date() -> None:
    household = a_household()
    child = joined(household)
    household.collect_events()
    household.remove(child, "FI-2021-00002", DepartureReason.FORMED_OWN_HOUSEHOLD,
                     date(2021, 3, 9), ACTOR, NOW)

    event = last_event(household)
    assert isinstance(event, Household.MemberLeft)
    assert (event.case_id, event.left_on, event.reason, event.members_left) == (
        child.case_id, date(2021, 3, 9), "formed_own_household", 1)
    assert child.household_id is None
    assert household.relationship_of(child.case_id) is None


def test_a_member_cannot_leave_before_joining_nor_leave_twice() -> None:
    household = a_household()
    child = joined(household, on=date(2021, 3, 5))

    with pytest.raises(InvalidHouseholdDate):
        household.remove(child, "FI-2021-00002", DepartureReason.MOVED_AWAY, date(2021, 3, 4),
                         ACTOR, NOW)
    household.remove(child, "FI-2021-00002", DepartureReason.MOVED_AWAY, date(2021, 3, 5),
                     ACTOR, NOW)
    with pytest.raises(NotAMember):
        household.remove(child, "FI-2021-00002", DepartureReason.MOVED_AWAY, date(2021, 3, 5),
                         ACTOR, NOW)


def test_the_head_leaves_last_and_the_household_then_ends() -> None:
    head = member()
    household = a_household(head)
    child = joined(household)

    with pytest.raises(HeadMustStay):
        household.remove(head, "FI-2021-00001", DepartureReason.MOVED_AWAY, TODAY, ACTOR, NOW)
    household.remove(child, "FI-2021-00002", DepartureReason.MOVED_AWAY, TODAY, ACTOR, NOW)
    household.remove(head, "FI-2021-00001", DepartureReason.MOVED_AWAY, TODAY, ACTOR, NOW)

    assert household.is_ended and household.ended_on == TODAY
    with pytest.raises(HouseholdEnded):
        joined(household)


def test_a_new_head_is_named_with_the_former_head_s_relationship_to_them() -> None:
    head = member()
    household = a_household(head)
    spouse = joined(household, Relationship.SPOUSE_PARTNER)
    household.collect_events()

    with pytest.raises(InvalidRelationship):
        household.change_head(spouse.case_id, "FI-2021-00002", Relationship.HEAD, TODAY, ACTOR,
                              NOW)
    household.change_head(spouse.case_id, "FI-2021-00002", Relationship.SPOUSE_PARTNER, TODAY,
                          ACTOR, NOW)

    event = last_event(household)
    assert isinstance(event, Household.HeadChanged)
    assert (event.case_id, event.previous_head_case_id, event.previous_head_relationship) == (
        spouse.case_id, head.case_id, "spouse_partner")
    assert household.head == spouse.case_id
    assert household.relationship_of(head.case_id) is Relationship.SPOUSE_PARTNER
    # the former head may now leave, the new head staying
    household.remove(head, "FI-2021-00001", DepartureReason.MOVED_AWAY, TODAY, ACTOR, NOW)
    assert household.member_ids == [spouse.case_id]


def test_only_a_member_becomes_head() -> None:
    household = a_household()

    with pytest.raises(NotAMember):
        household.change_head(uuid4(), "FI-2021-00009", Relationship.PARENT, TODAY, ACTOR, NOW)


# --- a household's beds: all or none -----------------------------------------------------------


def a_shelter(beds: int) -> Shelter:
    return Shelter.register(uuid4(), City.FIRENZE, "Casa Aurora", ShelterKind.APARTMENT,
                            "Rifredi", beds, ACTOR, NOW)


def paths(count: int) -> list[UUID]:
    return [uuid4() for _ in range(count)]


def test_a_household_is_held_as_many_beds_as_members_at_the_limit() -> None:
    shelter = a_shelter(beds=3)
    household_id = uuid4()
    held = paths(3)

    assert shelter.assign_beds(held, household_id, ACTOR, NOW) == [1, 2, 3]
    assert [shelter.holder_of(bed) for bed in (1, 2, 3)] == held
    offered = shelter.collect_events()[-1]
    assert isinstance(offered, Shelter.HouseholdBedsOffered)
    assert (offered.household_id, offered.bed_numbers, offered.offered_on) == (
        household_id, [1, 2, 3], TODAY)


def test_one_member_more_than_free_beds_and_no_bed_is_held() -> None:
    shelter = a_shelter(beds=3)
    shelter.collect_events()

    with pytest.raises(NotEnoughFreeBeds) as refused:
        shelter.assign_beds(paths(4), uuid4(), ACTOR, NOW)

    assert refused.value.params == {"field": "shelter_id", "needed": 4, "free": 3}
    assert shelter.free_beds == [1, 2, 3]
    assert shelter.collect_events() == []
