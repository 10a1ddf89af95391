"""A breakdown's count of one key (projections/indicators/figures.py, `Breakdown.count_of`), as
the households page reads it (web/templates/households/_sizes.html): the count of that key, 0 for
a key not in the breakdown. The mutation pass of issue 20 (docs/testing.md, "Projections pass,
part 3")."""

from __future__ import annotations

from projections.indicators.figures import Breakdown, Count


def test_the_count_of_a_key_and_zero_for_a_key_not_shown() -> None:
    sizes = Breakdown("household_size", 7, (Count("1", 4), Count("2", 3)))

    assert sizes.count_of("1") == 4
    assert sizes.count_of("2") == 3
    assert sizes.count_of("6+") == 0
    assert Breakdown("household_size", 0, ()).count_of("1") == 0
