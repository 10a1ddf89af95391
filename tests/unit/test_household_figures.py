"""The households read model and the figures by household size, from published events alone:
sizes count the members now (a member who left counts no more), a case in no household is a
household of one whatever size was typed at intake, sizes past five are grouped as "6+", and a
change of head is the record's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from events.cloudevents import Actor, Envelope, event_id, source_for
from events.households import (
    HouseholdFormedV1,
    HouseholdHeadChangedV1,
    HouseholdMemberJoinedV1,
    HouseholdMemberLeftV1,
    Relationship,
)
from projections.case_list import CaseListProjection
from projections.households import HouseholdProjection, HouseholdQueries
from projections.indicators.households import HouseholdSizeQueries
from projections.projection import Delivered, apply_batch
from projections.storage.read_models import SqliteReadModels
from tests.read_models import read_models_with
from tests.unit.test_projections import EVENT_TIME, an_envelope, an_intake_recorded

DAY = date(2021, 3, 12)
BIG = UUID(int=1000)
SMALL = UUID(int=2000)


def envelope(data: Any, position: int) -> Envelope:
    return Envelope(
        id=event_id(str(data.household_id), position), source=source_for(data.city),
        type=data.ce_type(), subject=str(data.household_id), time=EVENT_TIME,
        position=position, actor=Actor(kind="user", id="bari.operatore", role="city_operator",
                                       city=data.city), data=data)


def case(number: int) -> UUID:
    return UUID(int=number)


def code(number: int) -> str:
    return f"BA-2021-{number:05d}"


def joined(household: UUID, number: int, relationship: Relationship) -> HouseholdMemberJoinedV1:
    return HouseholdMemberJoinedV1(household_id=household, city="bari", case_id=case(number),
                                   case_code=code(number), relationship=relationship,
                                   joined_on=DAY)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqliteReadModels]:
    with read_models_with(tmp_path, CaseListProjection(), HouseholdProjection()) as read_models:
        intakes = [an_envelope(an_intake_recorded(n, "bari", household_size=5 if n == 9 else 1), n)
                   for n in range(1, 10)]
        households: list[Any] = [
            HouseholdFormedV1(household_id=BIG, city="bari", formed_on=DAY),
            joined(BIG, 1, "head"), *(joined(BIG, n, "child") for n in range(2, 7)),
            HouseholdFormedV1(household_id=SMALL, city="bari", formed_on=DAY),
            joined(SMALL, 7, "head"), joined(SMALL, 8, "spouse_partner"),
            HouseholdHeadChangedV1(household_id=SMALL, city="bari", case_id=case(8),
                                   case_code=code(8), previous_head_case_id=case(7),
                                   previous_head_relationship="spouse_partner", changed_on=DAY),
            joined(BIG, 10, "other"),  # a case of no intake here: counts in the size, not as a case
            HouseholdMemberLeftV1(household_id=BIG, city="bari", case_id=case(10),
                                  case_code=code(10), left_on=DAY, reason="moved_away",
                                  members_left=6),
        ]
        batch = [Delivered(n, e) for n, e in enumerate(
            [*intakes, *(envelope(h, 100 + i) for i, h in enumerate(households))], start=1)]
        for projection in (CaseListProjection(), HouseholdProjection()):
            apply_batch(read_models, projection, batch)
        yield read_models


def test_sizes_count_the_members_now_and_a_case_in_none_is_a_household_of_one(
    database: SqliteReadModels,
) -> None:
    sizes = HouseholdSizeQueries(database).household_sizes("bari")

    people = {c.key: c.count for c in sizes.people.counts}
    households = {c.key: c.count for c in sizes.households.counts}
    # BIG: six members now (the seventh left); SMALL: two; case 9 (typed 5 at intake): alone.
    assert people == {"1": 1, "2": 2, "3": 0, "4": 0, "5": 0, "6+": 6}
    assert households == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6+": 1}
    assert (sizes.in_a_household, sizes.without_household) == (8, 1)
    assert HouseholdSizeQueries(database).household_sizes("firenze").people.total == 0


def test_a_change_of_head_and_a_departure_are_what_the_household_shows(
    database: SqliteReadModels,
) -> None:
    queries = HouseholdQueries(database)

    small = queries.household_of_case(case(7))
    big = queries.household(BIG)

    assert small is not None and small.head is not None
    assert small.head.case_code == code(8)
    assert [(m.case_code, m.relationship) for m in small.members] == [
        (code(8), "head"), (code(7), "spouse_partner")]
    assert big is not None and big.size == 6
    assert [(m.case_code, m.departure_reason) for m in big.former_members] == [
        (code(10), "moved_away")]
    assert queries.household_of_case(case(10)) is None
    assert queries.household_of_code("bari", code(3)) == big
    assert queries.household_of_code("firenze", code(3)) is None
