"""The kill rate of each module after `make mutate` (docs/testing.md, "Mutation testing"): read
from what mutmut keeps under mutants/, one line per module.

    python -m tests.mutation_report [--below 90] [module prefix ...]

Killed: a test failed, or timed out, on the mutant. Survived: every test passed, or no test ran
the mutated code at all. A mutant that changes only the text of a message counts as a survivor
like any other (the strict count of issue 20). Mutants mutmut has not run yet are left out and
counted apart ("not run"). Exits 1 when a module named is under `--below` percent."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

MUTANTS = Path("mutants")
KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # a failing test, a timeout, the type check
SURVIVED = {0, 5, 33}  # all tests passed, or none covers the code


@dataclass
class Tally:
    module: str
    killed: int = 0
    survived: int = 0
    not_run: int = 0

    @property
    def checked(self) -> int:
        return self.killed + self.survived

    @property
    def kill_rate(self) -> float:
        return 100.0 * self.killed / self.checked if self.checked else 100.0


def tallies(root: Path = MUTANTS) -> list[Tally]:
    found = []
    for meta in sorted(root.rglob("*.py.meta")):
        source = meta.relative_to(root).with_suffix("").with_suffix("")
        tally = Tally(".".join(source.parts))
        for exit_code in json.loads(meta.read_text())["exit_code_by_key"].values():
            if exit_code in KILLED:
                tally.killed += 1
            elif exit_code in SURVIVED:
                tally.survived += 1
            else:
                tally.not_run += 1
        found.append(tally)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module prefixes (default: all)")
    parser.add_argument("--below", type=float, default=None,
                        help="exit 1 when a module's kill rate is under this percent")
    arguments = parser.parse_args(argv)
    rows = [t for t in tallies()
            if not arguments.modules or any(t.module.startswith(m) for m in arguments.modules)]
    print(f"{'module':<44} {'mutants':>7} {'killed':>6} {'survived':>8} {'rate':>6} {'not run':>7}")
    for t in rows:
        if t.checked or t.not_run:
            print(f"{t.module:<44} {t.checked:>7} {t.killed:>6} {t.survived:>8} "
                  f"{t.kill_rate:>5.1f}% {t.not_run:>7}")
    under = [t for t in rows if arguments.below is not None and t.checked
             and t.kill_rate < arguments.below]
    return 1 if under else 0


if __name__ == "__main__":
    sys.exit(main())
