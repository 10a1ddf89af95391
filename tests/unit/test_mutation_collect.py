"""`make mutate` collects only the tests a mutant names (tests/mutation_collect.py), and the
tests it runs are the same as without the plugin."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import cast

import pytest

from tests import mutation_collect
from tests.mutation_collect import timeout_for, wanted_names

_FILE = """
import pytest

def test_one():
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_two(n):
    pass

class TestGroup:
    def test_inside(self):
        pass

    def test_other(self):
        pass
"""


def test_names_are_kept_per_file_without_their_cases_and_a_whole_file_keeps_everything() -> None:
    assert wanted_names([
        "tests/unit/test_a.py::test_one",
        "tests/unit/test_a.py::test_two[1]",
        "tests/unit/test_b.py::TestGroup::test_inside",
        "tests/unit/test_c.py::test_x",
        "tests/unit/test_c.py",
        "tests/unit",
    ]) == {
        "tests/unit/test_a.py": {"test_one", "test_two"},
        "tests/unit/test_b.py": {"TestGroup", "test_inside"},
    }


_EVERY_TEST = ["test_m.py::test_one", "test_m.py::test_two[1]", "test_m.py::test_two[2]",
               "test_m.py::TestGroup::test_inside", "test_m.py::TestGroup::test_other"]


# A named case of a parametrized test builds the function's cases, then pytest picks the one.
@pytest.mark.parametrize(("arguments", "built_expected", "ran_expected"), [
    (["test_m.py::test_two[2]"], ["test_m.py::test_two[1]", "test_m.py::test_two[2]"],
     ["test_m.py::test_two[2]"]),
    (["test_m.py::TestGroup::test_other", "test_m.py::test_one"],
     ["test_m.py::TestGroup::test_other", "test_m.py::test_one"],
     ["test_m.py::TestGroup::test_other", "test_m.py::test_one"]),
    (["test_m.py"], _EVERY_TEST, _EVERY_TEST),
])
def test_pytest_builds_only_the_named_tests_and_runs_the_same_ones_as_without_the_plugin(
    pytester: pytest.Pytester, arguments: list[str], built_expected: list[str],
    ran_expected: list[str],
) -> None:
    pytester.makepyfile(test_m=_FILE)

    def built_and_ran(*plugin: str) -> tuple[list[str], list[str]]:
        built: list[str] = []

        class Count:
            # Every test pytest built, named or not (pytest_itemcollected sees the named only).
            @pytest.hookimpl(wrapper=True)
            def pytest_pycollect_makeitem(self) -> Generator[None, object, object]:
                made = yield
                if made is None:
                    return None
                if isinstance(made, pytest.Item | pytest.Collector):
                    made = [made]
                else:  # pytest's own hook gives a parametrized function's cases as a generator
                    made = list(cast(Iterable[object], made))
                nodes = made
                built.extend(node.nodeid for node in nodes if isinstance(node, pytest.Function))
                return made

        result = pytester.inline_run(*plugin, "-p", "no:cacheprovider", *arguments,
                                     plugins=[Count()])
        ran = [report.nodeid for report in result.getreports("pytest_runtest_logreport")
               if report.when == "call"]
        return built, ran

    built, ran = built_and_ran("-p", "tests.mutation_collect")
    _, ran_without = built_and_ran()

    assert sorted(built) == sorted(built_expected)
    assert ran == ran_without == ran_expected


def test_files_and_folders_no_argument_leads_to_are_passed_over_and_the_same_tests_run(
    pytester: pytest.Pytester,
) -> None:
    for folder in ("a", "b"):
        (pytester.path / folder).mkdir()
        for name in ("test_one.py", "test_two.py"):
            (pytester.path / folder / name).write_text(_FILE)
    arguments = ["a/test_two.py::test_one", "a/test_two.py::TestGroup::test_other"]

    def listed_and_ran(*plugin: str) -> tuple[set[str], list[str]]:
        result = pytester.inline_run(*plugin, "-p", "no:cacheprovider", *arguments)
        listed = {str(Path(call.file_path).relative_to(pytester.path))
                  for call in result.getcalls("pytest_collect_file")}
        ran = [report.nodeid for report in result.getreports("pytest_runtest_logreport")
               if report.when == "call"]
        return listed, ran

    listed, ran = listed_and_ran("-p", "tests.mutation_collect")
    listed_without, ran_without = listed_and_ran()

    assert listed == {"a/test_two.py"}
    # pytest itself goes only down the named path, but lists every file of each folder on it
    assert listed_without == {"a/test_one.py", "a/test_two.py"}
    assert ran == ran_without == ["a/test_two.py::test_one", "a/test_two.py::TestGroup::test_other"]


@pytest.mark.parametrize(("arguments", "expected"), [
    (["tests/unit/test_a.py::test_one", "tests/b/test_c.py::T::test_x"],
     {"/r/tests/unit/test_a.py", "/r/tests/unit", "/r/tests/b/test_c.py", "/r/tests/b",
      "/r/tests", "/r", "/"}),
    (["tests/unit/test_a.py::test_one", "tests/b/test_c.py"], None),  # a whole file: no narrowing
    (["tests/unit"], None),
])
def test_a_run_naming_tests_collects_their_files_and_the_folders_above_them_only(
    arguments: list[str], expected: set[str] | None,
) -> None:
    paths = mutation_collect.paths_to_collect(arguments, Path("/r"))
    assert (None if paths is None else {str(path) for path in paths}) == expected


@pytest.mark.parametrize(("duration", "limit"), [
    (0.001, 60.0),  # a fast test: the floor
    (2.0, 60.0),  # 30 times its duration reaches the floor exactly
    (3.0, 90.0),  # past it: 30 times its duration
    (10.0, 300.0),  # 30 times reaches the suite's own limit exactly
    (10.5, 300.0),  # past it: never above
])
def test_a_test_s_limit_under_mutmut_is_thirty_times_its_duration_within_bounds(
    duration: float, limit: float,
) -> None:
    assert timeout_for(duration, 300.0) == limit


def test_under_mutmut_a_test_that_hangs_stops_at_its_own_limit(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mutant that makes a wait endless sleeps, which mutmut's CPU-time limit never stops."""
    monkeypatch.setattr(mutation_collect, "MIN_SECONDS", 0.5)
    pytester.makepyfile(test_waits="""
import time

def test_hangs():
    time.sleep(4)

def test_not_in_the_stats():
    time.sleep(1)
""")
    (pytester.path / "mutmut-stats.json").write_text(json.dumps(
        {"duration_by_test": {"test_waits.py::test_hangs": 0.001}}), encoding="utf-8")

    result = pytester.runpytest_inprocess("-p", "tests.mutation_collect", "-p", "no:cacheprovider",
                                          "--timeout=300")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*Timeout*0.5*"])


def test_without_mutmut_s_stats_the_suite_s_limit_stays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_waits="""
import time

def test_short_wait():
    time.sleep(0.2)
""")
    (pytester.path / "mutmut-stats.json").write_text("not json", encoding="utf-8")
    result = pytester.runpytest_inprocess("-p", "tests.mutation_collect", "-p", "no:cacheprovider",
                                          "--timeout=300")
    result.assert_outcomes(passed=1)
