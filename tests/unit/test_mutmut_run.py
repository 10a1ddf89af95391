"""`make mutate` redraws mutmut's progress line at most once a second (scripts/mutmut_run.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mutmut import __main__ as mutmut_main
from mutmut.configuration import config

from scripts.mutmut_run import (
    at_most_once_a_second,
    mutants_caught_by_type_checker,
    mutated_functions,
)


def test_the_line_is_drawn_at_once_then_not_again_before_a_second_and_always_when_forced() -> None:
    drawn: list[tuple[Any, bool]] = []
    now = [100.0]

    def print_stats(data: Any, force_output: bool = False) -> None:
        drawn.append((data, force_output))

    throttled = at_most_once_a_second(print_stats, clock=lambda: now[0])
    throttled("first")
    now[0] = 100.999  # just under a second later: skipped
    throttled("skipped")
    now[0] = 101.0  # a second exactly: drawn
    throttled("a second later")
    now[0] = 101.5
    throttled("forced", force_output=True)  # mutmut's final line
    now[0] = 102.0  # half a second after the forced one: skipped
    throttled("skipped too")

    assert drawn == [("first", False), ("a second later", False), ("forced", True)]


def test_mutmut_s_run_loop_calls_print_stats_by_its_module_s_global_name() -> None:
    # What scripts/mutmut_run.py replaces must be what mutmut's loop looks up; a new mutmut that
    # moves it fails here instead of silently drawing every time again. (Under make mutate this
    # test runs inside the wrapper, where the name already holds the throttled function.)
    assert "print_stats" in mutmut_main._run.__code__.co_names
    assert callable(mutmut_main.print_stats)  # type: ignore[attr-defined]


# A mutated file as mutmut writes it: the unmutated copy and the mutants of a function and of a
# method, beside code mutmut leaves alone.
_MUTATED = """\
def helper(a: int) -> int:
    return a


def x_double__mutmut_orig(a: int) -> int:
    return a * 2


def x_double__mutmut_1(a: int) -> int:
    return None


class Box:
    def xǁBoxǁsize__mutmut_orig(self) -> str:
        return "big"

    def xǁBoxǁsize__mutmut_1(self) -> str:
        return len("XXbigXX")

    def xǁBoxǁsize__mutmut_2(self) -> str:
        return "BIG"
"""


def test_the_mutants_functions_are_found_with_their_lines_in_classes_too(tmp_path: Path) -> None:
    mutated = tmp_path / "m.py"
    mutated.write_text(_MUTATED, encoding="utf-8")
    assert [(found.function_name, found.line_number_start, found.line_number_end)
            for found in mutated_functions(mutated)] == [
        ("x_double__mutmut_orig", 5, 6), ("x_double__mutmut_1", 9, 10),
        ("xǁBoxǁsize__mutmut_orig", 14, 15), ("xǁBoxǁsize__mutmut_1", 17, 18),
        ("xǁBoxǁsize__mutmut_2", 20, 21),
    ]


@pytest.fixture
def mutated_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`mutants/pkg/mod.py`, to be written by the test, and a real mypy as the type check,
    run from the folder above `mutants/` as mutmut runs it."""
    (tmp_path / "mutants" / "pkg").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config(), "type_check_command", [
        sys.executable, "-m", "mypy", "--output", "json", "--strict", "--no-incremental",
        "--cache-dir", os.devnull, "pkg"])
    return tmp_path / "mutants" / "pkg" / "mod.py"


@pytest.mark.process  # runs mypy
def test_the_mutants_mypy_rejects_are_named_and_one_that_type_checks_is_not(
    mutated_module: Path,
) -> None:
    """A real mypy over a mutated file: the two mutants that return the wrong type are caught,
    the letter-case one is left to the tests."""
    mutated_module.write_text(_MUTATED, encoding="utf-8")

    caught = mutants_caught_by_type_checker()

    assert sorted(caught) == ["pkg.mod.x_double__mutmut_1", "pkg.mod.xǁBoxǁsize__mutmut_1"]
    assert "None" in caught["pkg.mod.x_double__mutmut_1"].error.error_description
    assert caught["pkg.mod.xǁBoxǁsize__mutmut_1"].error.line_number == 18


@pytest.mark.process  # runs mypy
def test_a_type_error_outside_every_mutant_stops_the_run(mutated_module: Path) -> None:
    mutated_module.write_text(
        _MUTATED.replace("def helper(a: int) -> int:\n    return a",
                         "def helper(a: int) -> str:\n    return a"), encoding="utf-8")

    with pytest.raises(RuntimeError, match=r"mod.py:2 is in no mutant's code"):
        mutants_caught_by_type_checker()
