"""Figures by household size, from the household links (projections.households), never from the
size typed at intake, which stays on each case as the declared value.

Every case the city owns counts (open and closed, as "taken in" does), in the household it is a
member of now; a case in no household counts as a household of one. Sizes are grouped 1..5 and
"6+". The figures read the case list and the households read models in one transaction, so they
are as of one position, and over read models replayed to a past moment they are as of then."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from uuid import UUID

from projections.households import current_sizes_in
from projections.indicators.figures import Breakdown, Count
from projections.indicators.tallies import position_in
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

LARGEST_SIZE_SHOWN = 5
SIZE_KEYS = (*(str(size) for size in range(1, LARGEST_SIZE_SHOWN + 1)),
             f"{LARGEST_SIZE_SHOWN + 1}+")


def size_key(size: int) -> str:
    return str(size) if size <= LARGEST_SIZE_SHOWN else SIZE_KEYS[-1]


@dataclass(frozen=True)
class HouseholdSizes:
    city: str | None
    """None: the network."""
    position: int
    people: Breakdown
    """Cases by the size of their household (key: "1".."5", "6+")."""
    households: Breakdown
    """Households by size; each case in no household is a household of one."""
    in_a_household: int
    """Cases that are members of a household now."""
    without_household: int
    """Cases in no household: counted as households of one."""


def _breakdown(dimension: str, counter: Counter[str]) -> Breakdown:
    return Breakdown(dimension=dimension, total=sum(counter.values()),
                     counts=tuple(Count(key, counter[key]) for key in SIZE_KEYS))


def household_sizes_in(tx: Transaction, city: str | None) -> HouseholdSizes:
    where, params = ("WHERE city = ?", (city,)) if city is not None else ("", ())
    cases = [UUID(str(row[0])) for row in tx.fetchall(
        f"SELECT case_id FROM rm_cases {where}", params)]
    # Every city's memberships, not only the city's: a case transferred here is a member of
    # its former city's household until its leaving is recorded (by hand, "case_transferred"),
    # and counts in it now, as the network's figures count it.
    linked = current_sizes_in(tx, None)
    people: Counter[str] = Counter()
    households: Counter[str] = Counter()
    seen: set[str] = set()
    without = 0
    for case_id in cases:
        membership = linked.get(case_id)
        if membership is None:
            without += 1
            people[size_key(1)] += 1
            households[size_key(1)] += 1
            continue
        household_id, size = membership
        people[size_key(size)] += 1
        if household_id not in seen:
            seen.add(household_id)
            households[size_key(size)] += 1
    return HouseholdSizes(
        city=city, position=position_in(tx), people=_breakdown("household_size", people),
        households=_breakdown("household_size", households),
        in_a_household=len(cases) - without, without_household=without,
    )


class HouseholdSizeQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def household_sizes(self, city: str | None) -> HouseholdSizes:
        """One city's figures by household size, or the network's (None)."""
        with self.database.reading() as tx:
            return household_sizes_in(tx, city)
