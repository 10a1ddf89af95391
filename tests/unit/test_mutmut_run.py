"""`make mutate` redraws mutmut's progress line at most once a second (scripts/mutmut_run.py)."""

from __future__ import annotations

from typing import Any

from mutmut import __main__ as mutmut_main

from scripts.mutmut_run import at_most_once_a_second


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
