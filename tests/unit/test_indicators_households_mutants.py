"""The figures by household size (projections/indicators/households.py) on SQLite, as the
mutation pass of issue 20 holds them (docs/testing.md, "Projections pass, part 3"): case and
member rows written straight into the read models for two cities, then each city's and the
network's figures worked out in the comments. Sizes at the limit of those shown one by one (5)
and one past it ("6+"); a household counted once however many of its members are cases; a member
who left counts no more; a case in no household is a household of one.

Rule encoded: the figures count the household links, never the size typed at intake, and every
case the city owns (the module's own rule, projections/indicators/households.py;
/work/shared/design/DOMAIN.md states no rule on households: its nearest, "single parents with
minor children" among the vulnerable categories, is a case's, not these figures').
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from projections.indicators.figures import Breakdown, Count
from projections.indicators.households import (
    HouseholdSizeQueries,
    household_sizes_in,
    size_key,
)
from projections.indicators.tallies import TRACKED_PROJECTIONS
from projections.registry import default_projections
from projections.storage.read_models import SqliteReadModels
from projections.storage.transaction import Transaction
from tests.read_models import read_models_with
from tests.unit.test_indicators_tallies_mutants import insert


def case_id(number: int) -> str:
    return str(UUID(int=number))


def member(tx: Transaction, household: str, number: int, city: str, position: int,
           left_on: str | None = None) -> None:
    insert(tx, "rm_household_members", household_id=household, case_id=case_id(number),
           case_code=f"C{number}", city=city, relationship="other", joined_on="2021-03-01",
           left_on=left_on, position=position)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqliteReadModels]:
    with read_models_with(tmp_path, *default_projections()) as read_models:
        with read_models.transaction() as tx:
            for name in TRACKED_PROJECTIONS:
                insert(tx, "rm_tracking", projection=name, stream_seq=9, position=12)
            for number in range(1, 15):
                insert(tx, "rm_cases", case_id=case_id(number), case_code=f"C{number}",
                       city="bari", household_size=1)
            for number in (101, 102):
                insert(tx, "rm_cases", case_id=case_id(number), case_code=f"C{number}",
                       city="firenze", household_size=4)
            # H1: cases 1-5 now (5: the largest size shown by itself); case 6 left it.
            for number in range(1, 7):
                member(tx, "H1", number, "bari", number,
                       left_on="2021-04-01" if number == 6 else None)
            # H2: cases 7-12, six members ("6+").
            for number in range(7, 13):
                member(tx, "H2", number, "bari", number)
            # H3: cases 13 and 14.
            member(tx, "H3", 13, "bari", 1)
            member(tx, "H3", 14, "bari", 2)
            # Florence: 101 alone, 102 the only member of H4.
            member(tx, "H4", 102, "firenze", 1)
        yield read_models


def sizes(**counts: int) -> tuple[Count, ...]:
    keys = ("1", "2", "3", "4", "5", "6+")
    named = {key: counts.get(f"s{key.rstrip('+')}", 0) for key in keys}
    return tuple(Count(key, named[key]) for key in keys)


def test_one_city_figures_by_household_size(database: SqliteReadModels) -> None:
    figures = HouseholdSizeQueries(database).household_sizes("bari")

    assert (figures.city, figures.position) == ("bari", 12)
    # People: case 6 alone (1), 13-14 (2), 1-5 (5), 7-12 (6+).
    assert figures.people == Breakdown("household_size", 14, sizes(s1=1, s2=2, s5=5, s6=6))
    # Households: each once, case 6 as a household of one.
    assert figures.households == Breakdown("household_size", 4, sizes(s1=1, s2=1, s5=1, s6=1))
    assert (figures.in_a_household, figures.without_household) == (13, 1)


def test_the_network_figures_by_household_size(database: SqliteReadModels) -> None:
    with database.reading() as tx:
        figures = household_sizes_in(tx, None)

    assert (figures.city, figures.position) == (None, 12)
    # Bari's, and Florence's 101 (alone) and 102 (a household of one member).
    assert figures.people == Breakdown("household_size", 16, sizes(s1=3, s2=2, s5=5, s6=6))
    assert figures.households == Breakdown("household_size", 6, sizes(s1=3, s2=1, s5=1, s6=1))
    assert (figures.in_a_household, figures.without_household) == (14, 2)


def test_a_city_reads_only_its_own_cases(database: SqliteReadModels) -> None:
    figures = HouseholdSizeQueries(database).household_sizes("firenze")

    assert figures.people == Breakdown("household_size", 2, sizes(s1=2))
    assert figures.households == Breakdown("household_size", 2, sizes(s1=2))
    assert (figures.in_a_household, figures.without_household) == (1, 1)
    nobody = HouseholdSizeQueries(database).household_sizes("roma")
    assert nobody.people == Breakdown("household_size", 0, sizes())
    assert (nobody.in_a_household, nobody.without_household) == (0, 0)


def test_sizes_up_to_five_by_themselves_and_past_it_grouped() -> None:
    assert [size_key(n) for n in (1, 2, 5, 6, 7, 40)] == ["1", "2", "5", "6+", "6+", "6+"]


def test_a_transferred_case_still_a_member_counts_in_its_household(
    database: SqliteReadModels,
) -> None:
    # Case 13 (of H3, a Bari household of two) is transferred to Florence; no one has recorded
    # its leaving yet (DepartureReason.CASE_TRANSFERRED is recorded by hand): it is a member of
    # H3 now, so Florence, which owns it now, counts it in a household of two, as the network
    # does ("in the household it is a member of now", projections/indicators/households.py).
    with database.transaction() as tx:
        tx.execute("UPDATE rm_cases SET city = 'firenze' WHERE case_id = ?", (case_id(13),))

    florence = HouseholdSizeQueries(database).household_sizes("firenze")
    network = HouseholdSizeQueries(database).household_sizes(None)
    bari = HouseholdSizeQueries(database).household_sizes("bari")

    # Florence: 101 alone, 102 in H4 (one member), 13 in H3 (two members).
    assert florence.people == Breakdown("household_size", 3, sizes(s1=2, s2=1))
    assert florence.households == Breakdown("household_size", 3, sizes(s1=2, s2=1))
    assert (florence.in_a_household, florence.without_household) == (2, 1)
    # Bari keeps 14 in H3, a household of two members, one of them now Florence's case.
    assert bari.people == Breakdown("household_size", 13, sizes(s1=1, s2=1, s5=5, s6=6))
    assert (bari.in_a_household, bari.without_household) == (12, 1)
    # The cities' people add up to the network's.
    assert network.people.total == florence.people.total + bari.people.total
    assert network.in_a_household == florence.in_a_household + bari.in_a_household
