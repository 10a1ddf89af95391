"""`make mutate`'s way into mutmut: `python -m scripts.mutmut_run run ...` takes the arguments of
the `mutmut` command, and redraws mutmut's progress line at most once a second. It lives outside
`tests/` on purpose: mutmut runs the tests from its copy in `mutants/`, and a `tests` package this
process imported from the checkout first would shadow that copy.

mutmut 3.8.1 redraws the line before each mutant it submits, and each redraw counts the verdicts
of all ~23,000 mutants of the tree (`mutmut.stats.print_stats`): over a whole run that is
quadratic, and py-spy on its main process during a whole-tree run found it busy 51% of the time,
30 points of them in that count — CPU the mutants' own processes, on a two-core machine, went
without (docs/testing.md, "Mutation testing: run time, fourth change"). The final line, which
mutmut forces, is always drawn; nothing else changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mutmut import __main__ as mutmut_main

MIN_SECONDS_BETWEEN_REDRAWS = 1.0


def at_most_once_a_second(
    print_stats: Callable[..., None], clock: Callable[[], float] = time.monotonic
) -> Callable[..., None]:
    """`print_stats` skipped when it last ran under a second ago, unless the output is forced."""
    last_drawn: float | None = None

    def throttled(data: Any, force_output: bool = False) -> None:
        nonlocal last_drawn
        now = clock()
        if (force_output or last_drawn is None
                or now - last_drawn >= MIN_SECONDS_BETWEEN_REDRAWS):
            last_drawn = now
            print_stats(data, force_output=force_output)

    return throttled


def main() -> None:
    # mutmut's run loop calls the name it imported into its own module: that is the one replaced
    # (imported, not exported: hence the ignore).
    mutmut_main.print_stats = at_most_once_a_second(  # type: ignore[attr-defined]
        mutmut_main.print_stats)  # type: ignore[attr-defined]
    mutmut_main.cli(prog_name="mutmut")


if __name__ == "__main__":
    main()
