"""Households at their edges (issue 20): every refusal's class, `code`, message and parameters
where the rule is broken, each limit at the limit and one past it, each date on its earliest day,
the day before, today and tomorrow in Italy, and every event a command records — the household's
and the case's membership's — field by field. A mutation run (docs/testing.md, "Other domain
modules") showed the messages, the dates' parameters and several event fields were never
checked.

The intake's household size (art. 17 c.1 d.lgs. 142/2015 counts single parents with minor
children among the vulnerable, DOMAIN.md) is declared; these links say who lives together."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid5

from domain.households.model import (
    _MEMBERSHIP_NAMESPACE,
    MAX_MEMBERS,
    DepartureReason,
    Household,
    HouseholdError,
    Membership,
    Relationship,
)
from domain.programme import City
from tests.builders import NOW, a_coordinator, recorded, refusal
from tests.unit.test_household_rules import FORMED_ON, TODAY, a_household, joined, member

ACTOR = a_coordinator()
HOUSEHOLD_ID = UUID(int=0x40)
LATE = datetime(2021, 3, 10, 23, 30, tzinfo=UTC)  # already the 11th in Italy
TOMORROW = date(2021, 3, 11)


def future(field: str) -> tuple[str, str, dict[str, Any]]:
    return ("invalid_household_date", "The date cannot be in the future.", {"field": field})


def test_the_limit_and_the_membership_id_are_those_of_the_rules() -> None:
    assert MAX_MEMBERS == 30
    case_id = UUID(int=5)
    assert Membership.id_for(case_id) == uuid5(
        _MEMBERSHIP_NAMESPACE, f"household-membership/{case_id}"
    )
    assert _MEMBERSHIP_NAMESPACE == UUID("5b0e7c8e-2f4a-4d61-9a3e-7c1d2b9f4e60")
    assert HouseholdError.code == "household_error"


def test_a_household_formed_records_its_facts_and_its_head_joining() -> None:
    head = member()
    head.collect_events()

    household = Household.form(
        HOUSEHOLD_ID, head, "FI-2021-00001", City.FIRENZE, FORMED_ON, ACTOR, NOW
    )

    assert recorded(household) == [
        (
            "Formed",
            {
                "timestamp": NOW,
                "city": "firenze",
                "formed_on": FORMED_ON,
                "actor": ACTOR.as_record(),
            },
        ),
        (
            "MemberJoined",
            {
                "timestamp": NOW,
                "city": "firenze",
                "case_id": head.case_id,
                "case_code": "FI-2021-00001",
                "relationship": "head",
                "joined_on": FORMED_ON,
                "actor": ACTOR.as_record(),
            },
        ),
    ]
    assert recorded(head) == [("Joined", {"timestamp": NOW, "household_id": HOUSEHOLD_ID})]
    assert household.city == City.FIRENZE and isinstance(household.city, City)
    assert (household.formed_on, household.head, household.ended_on) == (
        FORMED_ON,
        head.case_id,
        None,
    )
    assert household.members == {str(head.case_id): "head"}
    assert household.joined == {str(head.case_id): FORMED_ON}
    assert not household.is_ended


def test_a_membership_starts_empty_under_its_derived_id() -> None:
    case_id = UUID(int=9)
    membership = Membership.start(case_id, NOW)
    assert membership.id == Membership.id_for(case_id)
    assert recorded(membership) == [("Started", {"timestamp": NOW, "case_id": case_id})]
    assert (membership.case_id, membership.household_id, membership.last_left_on) == (
        case_id,
        None,
        None,
    )


def test_a_household_is_formed_up_to_today_in_italy() -> None:
    assert refusal(
        lambda: Household.form(
            HOUSEHOLD_ID, member(), "FI-2021-00001", City.FIRENZE, TOMORROW, ACTOR, NOW
        )
    ) == future("formed_on")
    household = Household.form(
        HOUSEHOLD_ID, member(), "FI-2021-00001", City.FIRENZE, TOMORROW, ACTOR, LATE
    )
    assert household.formed_on == TOMORROW


def test_a_case_in_a_household_neither_forms_nor_joins_another() -> None:
    case = member()
    a_household(case)
    in_one = (
        "already_in_a_household",
        "The case is already a member of a household.",
        {"field": "case"},
    )
    assert refusal(lambda: a_household(case)) == in_one
    other = a_household()
    assert (
        refusal(
            lambda: other.add(
                case, "FI-2021-00003", City.FIRENZE, Relationship.SIBLING, FORMED_ON, ACTOR, NOW
            )
        )
        == in_one
    )


def test_a_member_joining_is_recorded_on_the_household_and_the_membership() -> None:
    household = a_household()
    household.collect_events()
    child = member()
    child.collect_events()

    household.add(
        child, "FI-2021-00002", City("firenze"), Relationship.CHILD, FORMED_ON, ACTOR, LATE
    )

    assert recorded(household) == [
        (
            "MemberJoined",
            {
                "timestamp": LATE,
                "city": "firenze",
                "case_id": child.case_id,
                "case_code": "FI-2021-00002",
                "relationship": "child",
                "joined_on": FORMED_ON,
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert recorded(child) == [("Joined", {"timestamp": LATE, "household_id": household.id})]
    assert household.joined[str(child.case_id)] == FORMED_ON
    assert household.relationship_of(child.case_id) is Relationship.CHILD
    assert household.relationship_of(UUID(int=1)) is None


def test_each_refused_join_says_why() -> None:
    household = a_household()
    assert refusal(
        lambda: household.add(
            member(), "MI-2021-00001", City.MILANO, Relationship.CHILD, FORMED_ON, ACTOR, NOW
        )
    ) == (
        "household_of_another_city",
        "The case belongs to another city than the household.",
        {"field": "case"},
    )
    assert refusal(
        lambda: household.add(
            member(), "FI-2021-00002", City.FIRENZE, Relationship.HEAD, FORMED_ON, ACTOR, NOW
        )
    ) == (
        "invalid_relationship",
        "A household has one head: the other members are related to them.",
        {"field": "relationship"},
    )
    assert refusal(lambda: joined(household, on=TOMORROW)) == future("joined_on")
    assert refusal(lambda: joined(household, on=date(2021, 2, 28))) == (
        "invalid_household_date",
        "A member cannot join before the household was formed.",
        {"field": "joined_on", "formed_on": FORMED_ON},
    )
    household.add(
        member(), "FI-2021-00002", City.FIRENZE, Relationship.CHILD, TOMORROW, ACTOR, LATE
    )
    assert len(household.members) == 2


def test_the_thirtieth_member_joins_and_the_thirty_first_is_refused_with_the_limit() -> None:
    household = a_household()
    for _ in range(MAX_MEMBERS - 2):
        joined(household)
    assert len(household.members) == 29
    joined(household)
    assert len(household.members) == 30
    household.collect_events()
    assert refusal(lambda: joined(household)) == (
        "household_full",
        "A household has at most 30 members.",
        {"field": "household", "max_members": 30},
    )
    assert household.collect_events() == []


def test_a_member_leaving_is_recorded_on_the_household_and_the_membership() -> None:
    household = a_household()
    child = joined(household, on=date(2021, 3, 5))
    sibling = joined(household, on=date(2021, 3, 5))
    household.collect_events()
    child.collect_events()

    household.remove(
        child, "FI-2021-00002", DepartureReason.DECEASED, date(2021, 3, 5), ACTOR, LATE
    )

    assert recorded(household) == [
        (
            "MemberLeft",
            {
                "timestamp": LATE,
                "city": "firenze",
                "case_id": child.case_id,
                "case_code": "FI-2021-00002",
                "left_on": date(2021, 3, 5),
                "reason": "deceased",
                "members_left": 2,
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert recorded(child) == [
        ("Left", {"timestamp": LATE, "household_id": household.id, "left_on": date(2021, 3, 5)})
    ]
    assert (child.household_id, child.last_left_on) == (None, date(2021, 3, 5))
    assert str(child.case_id) not in household.joined
    assert str(sibling.case_id) in household.joined
    assert not household.is_ended


def test_each_refused_departure_says_why() -> None:
    head = member()
    household = a_household(head)
    child = joined(household, on=date(2021, 3, 5))
    assert refusal(
        lambda: household.remove(
            member(), "FI-2021-00009", DepartureReason.OTHER, TODAY, ACTOR, NOW
        )
    ) == (
        "not_a_household_member",
        "The case is not a member of this household.",
        {"field": "case"},
    )
    assert refusal(
        lambda: household.remove(head, "FI-2021-00001", DepartureReason.OTHER, TODAY, ACTOR, NOW)
    ) == (
        "head_must_stay",
        "The head leaves the household last: make another member head first.",
        {"field": "case"},
    )
    assert refusal(
        lambda: household.remove(
            child, "FI-2021-00002", DepartureReason.OTHER, TOMORROW, ACTOR, NOW
        )
    ) == future("left_on")
    assert refusal(
        lambda: household.remove(
            child, "FI-2021-00002", DepartureReason.OTHER, date(2021, 3, 4), ACTOR, NOW
        )
    ) == (
        "invalid_household_date",
        "A member cannot leave before joining.",
        {"field": "left_on", "joined_on": date(2021, 3, 5)},
    )
    household.remove(child, "FI-2021-00002", DepartureReason.OTHER, TOMORROW, ACTOR, LATE)
    assert child.last_left_on == TOMORROW


def test_the_household_ends_on_the_day_its_last_member_left() -> None:
    head = member()
    household = a_household(head)
    household.collect_events()
    household.remove(
        head, "FI-2021-00001", DepartureReason.MOVED_AWAY, date(2021, 3, 3), ACTOR, NOW
    )
    (left,) = household.collect_events()
    assert isinstance(left, Household.MemberLeft) and left.members_left == 0
    assert (household.ended_on, household.head, household.members) == (date(2021, 3, 3), None, {})
    assert household.is_ended
    assert refusal(lambda: joined(household)) == (
        "household_ended",
        "Every member has left this household.",
        {"field": "household"},
    )


def test_a_case_rejoins_from_the_day_it_left_said_with_the_day() -> None:
    first = a_household()
    case = joined(first)
    first.remove(case, "FI-2021-00002", DepartureReason.MOVED_AWAY, date(2021, 3, 8), ACTOR, NOW)
    second = a_household()
    assert refusal(
        lambda: second.add(
            case, "FI-2021-00002", City.FIRENZE, Relationship.OTHER, date(2021, 3, 7), ACTOR, NOW
        )
    ) == (
        "invalid_household_date",
        "The case cannot join a household before the day it left the last one.",
        {"field": "joined_on", "left_on": date(2021, 3, 8)},
    )


def test_a_change_of_head_is_recorded_with_the_former_head_s_relationship() -> None:
    head = member()
    household = a_household(head)
    spouse = joined(household, Relationship.SPOUSE_PARTNER, on=date(2021, 3, 5))
    child = joined(household, Relationship.CHILD)
    household.collect_events()

    household.change_head(
        spouse.case_id, "FI-2021-00002", Relationship.OTHER_RELATIVE, date(2021, 3, 5), ACTOR, LATE
    )

    assert recorded(household) == [
        (
            "HeadChanged",
            {
                "timestamp": LATE,
                "city": "firenze",
                "case_id": spouse.case_id,
                "case_code": "FI-2021-00002",
                "previous_head_case_id": head.case_id,
                "previous_head_relationship": "other_relative",
                "changed_on": date(2021, 3, 5),
                "actor": ACTOR.as_record(),
            },
        )
    ]
    assert household.members == {
        str(head.case_id): "other_relative",
        str(spouse.case_id): "head",
        str(child.case_id): "child",
    }
    assert household.head == spouse.case_id


def test_each_refused_change_of_head_says_why() -> None:
    head = member()
    household = a_household(head)
    spouse = joined(household, Relationship.SPOUSE_PARTNER, on=date(2021, 3, 5))
    assert refusal(
        lambda: household.change_head(
            UUID(int=3), "FI-2021-00009", Relationship.PARENT, TODAY, ACTOR, NOW
        )
    ) == (
        "not_a_household_member",
        "The case is not a member of this household.",
        {"field": "case"},
    )
    assert refusal(
        lambda: household.change_head(
            head.case_id, "FI-2021-00001", Relationship.PARENT, TODAY, ACTOR, NOW
        )
    ) == (
        "invalid_relationship",
        "The case is already the head of this household.",
        {"field": "case"},
    )
    assert refusal(
        lambda: household.change_head(
            spouse.case_id, "FI-2021-00002", Relationship.HEAD, TODAY, ACTOR, NOW
        )
    ) == (
        "invalid_relationship",
        "A household has one head: say how the former head is related to the new one.",
        {"field": "relationship"},
    )
    assert refusal(
        lambda: household.change_head(
            spouse.case_id, "FI-2021-00002", Relationship.SPOUSE_PARTNER, TOMORROW, ACTOR, NOW
        )
    ) == future("changed_on")
    assert refusal(
        lambda: household.change_head(
            spouse.case_id,
            "FI-2021-00002",
            Relationship.SPOUSE_PARTNER,
            date(2021, 3, 4),
            ACTOR,
            NOW,
        )
    ) == (
        "invalid_household_date",
        "A member cannot become head before joining.",
        {"field": "changed_on", "joined_on": date(2021, 3, 5)},
    )
    household.change_head(
        spouse.case_id, "FI-2021-00002", Relationship.SPOUSE_PARTNER, TOMORROW, ACTOR, LATE
    )
    assert household.head == spouse.case_id
