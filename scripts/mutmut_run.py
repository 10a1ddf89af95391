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

import ast
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mutmut import __main__ as mutmut_main
from mutmut.configuration import config
from mutmut.mutation.file_mutation import (
    FailedTypeCheckMutant,
    MutatedMethodLocation,
    group_by_path,
)
from mutmut.type_checking import run_type_checker
from mutmut.utils.file_utils import change_cwd
from mutmut.utils.format_utils import get_mutant_name, is_mutated_method_name

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


# mutmut 3.8.1 finds which mutant holds each type error by parsing the mutated file with libcst and
# computing every node's position: over the ~80 files mypy finds errors in (a whole tree's
# mutants, ~700,000 lines), 12 minutes on one core with nothing else running: most of the ~16
# minutes the mutants it spares would take. Python's own parser gives the same in seconds.
def mutated_functions(path: Path) -> list[MutatedMethodLocation]:
    """The mutated file's functions mutmut made (the copies named `x_…__mutmut_…` or
    `xǁClassǁ…__mutmut_…`), with their first and last lines, as mutmut's own collector finds
    them: at module level and in classes, not inside other functions."""

    def functions(body: list[ast.stmt]) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
        for node in body:
            if isinstance(node, ast.ClassDef):
                yield from functions(node.body)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield node

    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [MutatedMethodLocation(file=path, function_name=node.name,
                                  line_number_start=node.lineno,
                                  line_number_end=node.end_lineno or node.lineno)
            for node in functions(tree.body) if is_mutated_method_name(node.name)]


def mutants_caught_by_type_checker() -> dict[str, FailedTypeCheckMutant]:
    """mutmut's `filter_mutants_with_type_checker`, the mutants' functions found by `ast`:
    the mutants whose code the type check command rejects, by name, with the first error."""
    with change_cwd(Path("mutants")):
        caught: dict[str, FailedTypeCheckMutant] = {}
        for path, errors in group_by_path(run_type_checker(config().type_check_command)).items():
            functions = mutated_functions(path)
            if not functions:
                continue  # as mutmut: an error in a file with no mutant is not a mutant's
            for error in errors:
                holder = next((function for function in functions
                               if function.line_number_start <= error.line_number
                               <= function.line_number_end), None)
                if holder is None:
                    raise RuntimeError(
                        f"the type error at {path}:{error.line_number} is in no mutant's code"
                        f" ({error.error_description}): the unmutated code must type-check")
                name = get_mutant_name(path.relative_to(Path(".").absolute()),
                                       holder.function_name)
                caught.setdefault(name, FailedTypeCheckMutant(
                    method_location=holder, name=name, error=error))
        return caught


def main() -> None:
    # [tool.mutmut]'s type check runs `python -m mypy` by name: the python of this environment,
    # whichever way make or a person started this one.
    os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable),
                                          os.environ.get("PATH", "")])
    # mutmut's run loop calls the name it imported into its own module: that is the one replaced
    # (imported, not exported: hence the ignore).
    mutmut_main.print_stats = at_most_once_a_second(  # type: ignore[attr-defined]
        mutmut_main.print_stats)  # type: ignore[attr-defined]
    mutmut_main.filter_mutants_with_type_checker = (  # type: ignore[attr-defined]
        mutants_caught_by_type_checker)
    mutmut_main.cli(prog_name="mutmut")


if __name__ == "__main__":
    main()
