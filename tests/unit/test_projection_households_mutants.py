"""The households read model (projections/households.py) on SQLite, as the mutation pass of
issue 20 holds it (docs/testing.md, "Projections pass, part 3"): each household read back field
by field after every event that changes it (members now, the head first, then by the day they
joined; former members with their day and reason; the beds offered, the latest first), a change
of head, the last member leaving ending the household, the city's list and its order, the
current sizes the indicators read, every event applied again changing nothing, and a reset.

Rule encoded (/work/shared/design/DOMAIN.md, "The work the platform records", placement): beds
are offered to a household in a shelter with a fixed number of beds, one per member; a
household's members and head are what the record says now, and who left keeps the day and
reason they left (a case is never silently edited)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from events.cloudevents import Actor, Envelope
from events.contracts import EventContract
from events.households import (
    HouseholdFormedV1,
    HouseholdHeadChangedV1,
    HouseholdMemberJoinedV1,
    HouseholdMemberLeftV1,
    ShelterHouseholdBedsOfferedV1,
)
from projections.households import (
    HouseholdOfferRow,
    HouseholdProjection,
    HouseholdQueries,
    HouseholdSummary,
    HouseholdView,
    MemberRow,
    current_sizes_in,
)
from projections.projection import ensure_created, reset
from projections.storage.read_models import SqliteReadModels
from tests.read_models import Feed, an_envelope, feed_fixture, read_models_fixture

T0 = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)
STAFF = Actor(kind="user", id="bari.coord", role="city_coordinator", city="bari")
HOME, OTHER_HOME, ELSEWHERE = UUID(int=1), UUID(int=2), UUID(int=3)
SHELTER, OTHER_SHELTER = UUID(int=50), UUID(int=51)
FORMED = date(2021, 3, 1)


def case(number: int) -> UUID:
    return UUID(int=100 + number)


def code(number: int, city: str = "bari") -> str:
    return f"{city[:2].upper()}-2021-{number:05d}"


def envelope_of(data: EventContract, position: int) -> Envelope:
    """Each event recorded one hour after the one before it."""
    return an_envelope(data, position, time=T0 + timedelta(hours=position), actor=STAFF)


database = read_models_fixture(HouseholdProjection)


feed = feed_fixture(HouseholdProjection, envelope_of)


def formed(household: UUID = HOME, on: date = FORMED, city: str = "bari") -> HouseholdFormedV1:
    return HouseholdFormedV1(household_id=household, city=city, formed_on=on)


def joined(number: int, relationship: str, on: date = FORMED, household: UUID = HOME,
           city: str = "bari") -> HouseholdMemberJoinedV1:
    return HouseholdMemberJoinedV1(household_id=household, city=city, case_id=case(number),
                                   case_code=code(number, city),
                                   relationship=relationship,  # type: ignore[arg-type]
                                   joined_on=on)


def left(number: int, on: date, members_left: int, reason: str = "moved_away",
         household: UUID = HOME) -> HouseholdMemberLeftV1:
    return HouseholdMemberLeftV1(household_id=household, city="bari", case_id=case(number),
                                 case_code=code(number), left_on=on, reason=reason,  # type: ignore[arg-type]
                                 members_left=members_left)


def head_changed(new: int, previous: int, previous_becomes: str,
                 household: UUID = HOME) -> HouseholdHeadChangedV1:
    return HouseholdHeadChangedV1(household_id=household, city="bari", case_id=case(new),
                                  case_code=code(new), previous_head_case_id=case(previous),
                                  previous_head_relationship=previous_becomes,  # type: ignore[arg-type]
                                  changed_on=date(2021, 5, 1))


def offered(beds: list[int], on: date, shelter: UUID = SHELTER,
            household: UUID = HOME) -> ShelterHouseholdBedsOfferedV1:
    return ShelterHouseholdBedsOfferedV1(shelter_id=shelter, city="bari", household_id=household,
                                         bed_numbers=beds, offered_on=on)


def member(number: int, relationship: str, joined_on: date = FORMED,
           left_on: date | None = None, reason: str | None = None) -> MemberRow:
    return MemberRow(case(number), code(number), relationship, joined_on, left_on, reason)


def view_of(database: SqliteReadModels, household: UUID = HOME) -> HouseholdView:
    found = HouseholdQueries(database).household(household)
    assert found is not None
    return found


def stored(database: SqliteReadModels, sql: str) -> list[tuple[Any, ...]]:
    with database.reading() as tx:
        return list(tx.fetchall(sql))


def test_a_formed_household_with_no_members_yet(database: SqliteReadModels, feed: Feed) -> None:
    feed(formed())

    found = view_of(database)
    assert found == HouseholdView(household_id=HOME, city="bari", formed_on=FORMED,
                                  ended_on=None, members=(), former_members=(), offers=())
    assert found.size == 0
    assert found.head is None
    assert HouseholdQueries(database).household(OTHER_HOME) is None
    assert stored(database, "SELECT household_id, last_position FROM rm_households") == [
        (str(HOME), 1)]


def test_members_now_the_head_first_then_by_the_day_they_joined(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(formed())
    feed(joined(3, "child", on=date(2021, 3, 5)))
    feed(joined(2, "spouse_partner", on=date(2021, 3, 2)))
    feed(joined(1, "head", on=date(2021, 3, 9)))
    feed(joined(4, "sibling", on=date(2021, 3, 2)))

    found = view_of(database)
    assert found.members == (
        member(1, "head", date(2021, 3, 9)),
        member(2, "spouse_partner", date(2021, 3, 2)),
        member(4, "sibling", date(2021, 3, 2)),
        member(3, "child", date(2021, 3, 5)),
    )
    assert found.size == 4
    assert found.head == member(1, "head", date(2021, 3, 9))
    assert [m.is_head for m in found.members] == [True, False, False, False]
    assert found.former_members == ()
    assert found.ended_on is None
    assert stored(database, "SELECT case_id, case_code, city, position FROM rm_household_members"
                            " ORDER BY position") == [
        (str(case(3)), code(3), "bari", 2), (str(case(2)), code(2), "bari", 3),
        (str(case(1)), code(1), "bari", 4), (str(case(4)), code(4), "bari", 5)]


def test_a_member_who_leaves_keeps_the_day_and_reason_and_the_last_one_ends_the_household(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(formed(), joined(1, "head"), joined(2, "child"), joined(3, "parent"))
    feed(left(2, date(2021, 4, 1), members_left=2, reason="formed_own_household"))

    found = view_of(database)
    assert found.members == (member(1, "head"), member(3, "parent"))
    assert found.former_members == (
        member(2, "child", left_on=date(2021, 4, 1), reason="formed_own_household"),)
    assert found.ended_on is None
    assert stored(database, "SELECT last_position FROM rm_households") == [(1,)]

    feed(left(3, date(2021, 4, 2), members_left=1))
    assert view_of(database).ended_on is None
    feed(left(1, date(2021, 4, 3), members_left=0, reason="deceased"))

    found = view_of(database)
    assert found.members == ()
    assert found.head is None
    assert found.ended_on == date(2021, 4, 3)
    assert found.former_members == (
        member(1, "head", left_on=date(2021, 4, 3), reason="deceased"),
        member(2, "child", left_on=date(2021, 4, 1), reason="formed_own_household"),
        member(3, "parent", left_on=date(2021, 4, 2), reason="moved_away"),
    )
    assert found.former_members[0].is_head is False
    assert stored(database, "SELECT last_position FROM rm_households") == [(7,)]


def test_a_member_who_left_and_joined_again_leaves_again_from_the_open_row_only(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(formed(), joined(1, "head"), joined(2, "child"))
    feed(left(2, date(2021, 4, 1), members_left=1))
    feed(joined(2, "other_relative", on=date(2021, 5, 1)))
    assert view_of(database).members == (member(1, "head"),
                                         member(2, "other_relative", date(2021, 5, 1)))
    feed(left(2, date(2021, 6, 1), members_left=1, reason="other"))

    found = view_of(database)
    assert found.members == (member(1, "head"),)
    assert found.former_members == (
        member(2, "child", left_on=date(2021, 4, 1), reason="moved_away"),
        member(2, "other_relative", date(2021, 5, 1), left_on=date(2021, 6, 1), reason="other"),
    )


def test_a_change_of_head_names_the_new_head_and_the_previous_heads_new_relationship(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(formed(), joined(1, "head"), joined(2, "spouse_partner", on=date(2021, 3, 2)),
         joined(3, "child", on=date(2021, 3, 3)))
    feed(formed(OTHER_HOME), joined(5, "head", household=OTHER_HOME),
         joined(2, "spouse_partner", household=OTHER_HOME))
    feed(head_changed(new=2, previous=1, previous_becomes="spouse_partner"))

    found = view_of(database)
    assert found.head == member(2, "head", date(2021, 3, 2))
    assert found.members == (member(2, "head", date(2021, 3, 2)),
                             member(1, "spouse_partner"),
                             member(3, "child", date(2021, 3, 3)))
    assert view_of(database, OTHER_HOME).members == (member(5, "head"),
                                                     member(2, "spouse_partner"))


def test_a_change_of_head_leaves_a_former_members_row_as_it_was(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(formed(), joined(1, "head"), joined(2, "child"), joined(3, "spouse_partner"))
    feed(left(2, date(2021, 4, 1), members_left=2))
    feed(joined(2, "child", on=date(2021, 4, 20)))
    feed(head_changed(new=2, previous=1, previous_becomes="parent"))

    found = view_of(database)
    assert found.former_members == (member(2, "child", left_on=date(2021, 4, 1),
                                           reason="moved_away"),)
    assert found.members == (member(2, "head", date(2021, 4, 20)), member(1, "parent"),
                             member(3, "spouse_partner"))


def test_beds_offered_the_latest_first_with_their_numbers(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(formed(), joined(1, "head"), joined(2, "child"))
    feed(offered([3, 12], date(2021, 4, 1)))
    feed(offered([7], date(2021, 3, 20), shelter=OTHER_SHELTER))
    feed(offered([1, 2], date(2021, 4, 5), household=OTHER_HOME))

    assert view_of(database).offers == (
        HouseholdOfferRow(OTHER_SHELTER, (7,), date(2021, 3, 20)),
        HouseholdOfferRow(SHELTER, (3, 12), date(2021, 4, 1)),
    )
    assert stored(database, "SELECT shelter_id, bed_numbers, offered_on, position"
                            " FROM rm_household_offers WHERE household_id = '"
                            + str(HOME) + "' ORDER BY position") == [
        (str(SHELTER), "3,12", "2021-04-01", 4), (str(OTHER_SHELTER), "7", "2021-03-20", 5)]


def test_the_household_of_a_case_or_of_a_code_is_the_one_it_is_in_now(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(formed(), joined(1, "head"), joined(2, "child"))
    feed(left(2, date(2021, 4, 1), members_left=1))
    feed(formed(OTHER_HOME, on=date(2021, 4, 2)), joined(2, "head", household=OTHER_HOME))
    feed(formed(ELSEWHERE, city="milano"),
         joined(1, "head", household=ELSEWHERE, city="milano"))

    queries = HouseholdQueries(database)
    assert queries.household_of_case(case(2)) == view_of(database, OTHER_HOME)
    assert queries.household_of_case(case(9)) is None
    assert queries.household_of_code("bari", code(2)) == view_of(database, OTHER_HOME)
    assert queries.household_of_code("bari", code(1)) == view_of(database, HOME)
    assert queries.household_of_code("milano", code(1, "milano")) == view_of(database, ELSEWHERE)
    assert queries.household_of_code("milano", code(2)) is None
    assert queries.household_of_code("bari", code(9)) is None


def test_a_case_that_left_its_only_household_is_in_none(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(formed(), joined(1, "head"), joined(2, "child"))
    feed(left(2, date(2021, 4, 1), members_left=1))

    assert HouseholdQueries(database).household_of_case(case(2)) is None
    assert HouseholdQueries(database).household_of_code("bari", code(2)) is None
    assert HouseholdQueries(database).household_of_case(case(1)) == view_of(database)


def test_the_citys_households_latest_formed_first_with_head_and_size_now(
    database: SqliteReadModels, feed: Feed
) -> None:
    first, second, third, ended, headless = (UUID(int=n) for n in (11, 12, 13, 14, 15))
    feed(formed(first, on=date(2021, 3, 1)), joined(1, "head", household=first),
         joined(2, "child", household=first), joined(3, "child", household=first))
    feed(formed(third, on=date(2021, 4, 1)), joined(4, "head", household=third))
    feed(formed(second, on=date(2021, 4, 1)), joined(5, "head", household=second),
         joined(6, "parent", household=second))
    feed(formed(ended, on=date(2021, 5, 1)), joined(7, "head", household=ended))
    feed(left(7, date(2021, 5, 2), members_left=0, household=ended))
    feed(formed(headless, on=date(2021, 2, 1)), joined(8, "head", household=headless),
         joined(9, "child", household=headless))
    feed(left(8, date(2021, 3, 1), members_left=1, household=headless))
    feed(left(3, date(2021, 4, 10), members_left=2, household=first))
    feed(formed(ELSEWHERE, city="milano"))

    assert HouseholdQueries(database).city_households("bari") == [
        HouseholdSummary(second, case(5), code(5), 2, date(2021, 4, 1)),
        HouseholdSummary(third, case(4), code(4), 1, date(2021, 4, 1)),
        HouseholdSummary(first, case(1), code(1), 2, date(2021, 3, 1)),
        HouseholdSummary(headless, None, None, 1, date(2021, 2, 1)),
    ]
    assert HouseholdQueries(database).city_households("milano") == [
        HouseholdSummary(ELSEWHERE, None, None, 0, FORMED)]
    assert HouseholdQueries(database).city_households("torino") == []


def test_current_sizes_count_the_members_now_of_a_city_or_of_all(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(formed(), joined(1, "head"), joined(2, "child"), joined(3, "child"))
    feed(left(3, date(2021, 4, 1), members_left=2))
    feed(formed(ELSEWHERE, city="milano"),
         joined(4, "head", household=ELSEWHERE, city="milano"))

    with database.reading() as tx:
        in_bari = current_sizes_in(tx, "bari")
        everywhere = current_sizes_in(tx, None)
        in_torino = current_sizes_in(tx, "torino")
    assert in_bari == {case(1): (str(HOME), 2), case(2): (str(HOME), 2)}
    assert everywhere == {case(1): (str(HOME), 2), case(2): (str(HOME), 2),
                          case(4): (str(ELSEWHERE), 1)}
    assert in_torino == {}


def story(feed: Feed) -> None:
    feed(formed(), joined(1, "head"), joined(2, "child"), joined(3, "parent"))
    feed(left(2, date(2021, 4, 1), members_left=2), offered([3, 4], date(2021, 4, 2)))
    feed(joined(2, "child", on=date(2021, 5, 1)))
    feed(head_changed(new=3, previous=1, previous_becomes="child"))
    feed(left(1, date(2021, 6, 1), members_left=2))
    feed(formed(OTHER_HOME), joined(5, "head", household=OTHER_HOME))
    feed(left(5, date(2021, 6, 2), members_left=0, household=OTHER_HOME))


def test_every_event_applied_twice_in_a_row_changes_nothing(
    database: SqliteReadModels, feed: Feed, tmp_path: Path
) -> None:
    story(feed)
    once = (view_of(database), view_of(database, OTHER_HOME))
    assert once[0].members == (member(3, "head"), member(2, "child", date(2021, 5, 1)))
    assert once[1].ended_on == date(2021, 6, 2)

    twice = SqliteReadModels(tmp_path / "twice.sqlite")
    ensure_created(twice, HouseholdProjection())
    with twice.transaction() as tx:
        for delivered in feed.delivered:
            HouseholdProjection().apply_all(tx, [delivered.envelope, delivered.envelope])
    assert (view_of(twice), view_of(twice, OTHER_HOME)) == once
    twice.close()

    feed.again(feed.delivered)
    assert (view_of(database), view_of(database, OTHER_HOME)) == once


def test_a_reset_empties_every_household_table(database: SqliteReadModels, feed: Feed) -> None:
    feed(formed(), joined(1, "head"), offered([1], date(2021, 4, 1)))

    reset(database, HouseholdProjection())

    for table in ("rm_households", "rm_household_members", "rm_household_offers"):
        assert stored(database, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    assert HouseholdQueries(database).household(HOME) is None


def test_one_event_applied_on_its_own_is_applied_as_in_a_batch(
    database: SqliteReadModels,
) -> None:
    with database.transaction() as tx:
        HouseholdProjection().apply(tx, envelope_of(formed(), 7))

    assert view_of(database).formed_on == FORMED
    assert stored(database, "SELECT household_id, last_position FROM rm_households") == [
        (str(HOME), 7)]
