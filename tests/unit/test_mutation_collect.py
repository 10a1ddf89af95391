"""`make mutate` collects only the tests a mutant names (tests/mutation_collect.py), and the
tests it runs are the same as without the plugin."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import cast

import pytest

from tests import mutation_collect
from tests.mutation_collect import cheapest_first, timeout_for, wanted_names


@pytest.fixture(autouse=True)
def _not_under_mutmut(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runs these tests start are not mutmut's, even when mutmut runs these tests: its
    stats run names the mutant under test "stats", and the plugin would record costs in them.
    (mutmut keeps the name in its process too, for tests that clear the environment.)"""
    monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)


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


# Files for the file-by-file runs, in a folder `t/` below the root as the suite's own are in
# `tests/` (its conftest's fixtures then belong to that folder's node, not to the session): each
# records, in `events.txt`, when pytest builds its tests and when the session's and its own
# module's fixture are set up and torn down.
_RECORDING_CONFTEST = """
import pytest

def record(event):
    with open("events.txt", "a", encoding="utf-8") as events:
        events.write(event + "\\n")

@pytest.fixture(scope="session")
def shared():
    record("session up")
    yield
    record("session down")

def pytest_collectstart(collector):
    if isinstance(collector, pytest.Module):  # building its tests, not just listing the file
        record("collect " + collector.path.name)
"""


def _recording_file(name: str, *, failing: str = "") -> str:
    return f"""
import pytest
from conftest import record

@pytest.fixture(scope="module")
def own(shared):
    record("{name} up")
    yield
    record("{name} down")

def test_one(own):
    assert "test_one" != "{failing}"

def test_two(own):
    assert "test_two" != "{failing}"

@pytest.mark.slow
def test_marked(own):
    pass
"""


def _run_recorded(pytester: pytest.Pytester, arguments: list[str], *options: str,
                  plugin: bool = True) -> tuple[int, list[str], list[str]]:
    """Exit code, the tests run (call phase) in order, and the recorded events."""
    events = pytester.path / "events.txt"
    events.unlink(missing_ok=True)
    loaded = ["-p", "tests.mutation_collect"] if plugin else []
    result = pytester.inline_run(*loaded, "-p", "no:cacheprovider", "-x", *options, *arguments)
    ran = [report.nodeid for report in result.getreports("pytest_runtest_logreport")
           if report.when == "call"]
    recorded = events.read_text(encoding="utf-8").splitlines() if events.exists() else []
    assert result.ret is not None
    return int(result.ret), ran, recorded


def _make_recording_files(pytester: pytest.Pytester, *, failing_in_b: str = "") -> None:
    pytester.makeini("[pytest]\nmarkers =\n    slow: a marker to deselect by\n")
    folder = pytester.mkdir("t")
    (folder / "conftest.py").write_text(_RECORDING_CONFTEST, encoding="utf-8")
    (folder / "test_a.py").write_text(_recording_file("a"), encoding="utf-8")
    (folder / "test_b.py").write_text(_recording_file("b", failing=failing_in_b),
                                      encoding="utf-8")


@pytest.fixture
def two_recording_files(pytester: pytest.Pytester) -> pytest.Pytester:
    _make_recording_files(pytester)
    return pytester


def test_tests_run_in_the_order_named_across_files_as_without_the_plugin_each_file_collected_once(
    two_recording_files: pytest.Pytester,
) -> None:
    arguments = ["t/test_b.py::test_two", "t/test_a.py::test_one", "t/test_b.py::test_one"]

    code, ran, events = _run_recorded(two_recording_files, arguments)
    code_without, ran_without, _ = _run_recorded(two_recording_files, arguments, plugin=False)

    assert code == code_without == 0
    assert ran == ran_without == arguments
    # b is collected when its first test is due, a when its own is; the session's fixture stays
    # up from the first test to the last, a module's is torn down when the next test is elsewhere
    assert events == [
        "collect test_b.py", "session up", "b up", "b down",
        "collect test_a.py", "a up", "a down",
        "b up", "b down", "session down",
    ]


def test_a_failing_test_stops_the_run_before_the_next_file_is_collected(
    pytester: pytest.Pytester,
) -> None:
    _make_recording_files(pytester, failing_in_b="test_one")
    arguments = ["t/test_b.py::test_two", "t/test_b.py::test_one", "t/test_a.py::test_one"]

    code, ran, events = _run_recorded(pytester, arguments)
    code_without, ran_without, events_without = _run_recorded(pytester, arguments, plugin=False)

    assert code == code_without == pytest.ExitCode.TESTS_FAILED
    assert ran == ran_without == ["t/test_b.py::test_two", "t/test_b.py::test_one"]
    assert "collect test_a.py" not in events
    assert "collect test_a.py" in events_without  # pytest alone collects every file first


def test_a_deselected_test_is_passed_over_and_a_run_with_none_left_collected_nothing(
    two_recording_files: pytest.Pytester,
) -> None:
    arguments = ["t/test_a.py::test_marked", "t/test_b.py::test_one", "t/test_a.py::test_two"]
    code, ran, _ = _run_recorded(two_recording_files, arguments, "-m", "not slow")
    assert code == 0
    assert ran == ["t/test_b.py::test_one", "t/test_a.py::test_two"]

    marked_only = ["t/test_a.py::test_marked"]
    code, ran, _ = _run_recorded(two_recording_files, marked_only, "-m", "not slow")
    code_without, _, _ = _run_recorded(two_recording_files, marked_only, "-m", "not slow",
                                       plugin=False)
    assert code == code_without == pytest.ExitCode.NO_TESTS_COLLECTED
    assert ran == []


def test_a_file_that_fails_to_import_stops_the_run_as_a_usage_error_as_without_the_plugin(
    two_recording_files: pytest.Pytester,
) -> None:
    (two_recording_files.path / "t" / "test_broken.py").write_text(
        "import no_such_module\n\ndef test_x():\n    pass\n", encoding="utf-8")
    arguments = ["t/test_a.py::test_one", "t/test_broken.py::test_x"]

    code, ran, _ = _run_recorded(two_recording_files, arguments)
    code_without, ran_without, _ = _run_recorded(two_recording_files, arguments, plugin=False)

    # pytest finds no test where it was named (mutmut then stops the whole run)
    assert code == code_without == pytest.ExitCode.USAGE_ERROR
    assert ran == ["t/test_a.py::test_one"]  # the broken file was due only after it
    assert ran_without == []


def test_a_test_named_otherwise_than_its_node_id_stops_the_run_as_a_usage_error(
    two_recording_files: pytest.Pytester,
) -> None:
    """Never a test silently not run: mutmut would call its mutant a survivor, or worse."""
    code, ran, _ = _run_recorded(two_recording_files, ["./t/test_a.py::test_one"])
    assert code == pytest.ExitCode.USAGE_ERROR
    assert ran == []


def test_a_run_of_whole_files_or_only_collecting_is_left_to_pytest(
    two_recording_files: pytest.Pytester,
) -> None:
    _, ran, events = _run_recorded(two_recording_files, ["t/test_b.py", "t/test_a.py::test_one"])
    assert ran == ["t/test_b.py::test_one", "t/test_b.py::test_two", "t/test_b.py::test_marked",
                   "t/test_a.py::test_one"]
    assert set(events[:2]) == {"collect test_b.py", "collect test_a.py"}  # before any test

    code, ran, events = _run_recorded(two_recording_files, ["t/test_b.py::test_one",
                                                            "t/test_a.py::test_one"],
                                      "--collect-only")
    assert code == 0
    assert ran == []
    assert events == ["collect test_b.py", "collect test_a.py"]


# A mutant's tests, cheapest first by what each costs whole (setup, call, teardown), recorded by
# the plugin in mutmut's stats run: mutmut's own order counts the call alone.
def test_tests_are_put_cheapest_first_the_order_given_kept_among_equals_and_an_unknown_free(
) -> None:
    costs = {"a": 2.0, "b": 1.0, "c": 2.0}
    assert cheapest_first(["a", "b", "c", "d"], costs) == ["d", "b", "a", "c"]
    assert cheapest_first(["c", "a"], costs) == ["c", "a"]


def test_mutmut_s_stats_run_records_each_test_s_whole_cost_beside_the_earlier_runs_costs(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytester.makepyfile(test_costs="""
import time
import pytest

@pytest.fixture
def slow_to_set_up():
    time.sleep(0.2)
    yield
    time.sleep(0.1)

def test_cheap_body(slow_to_set_up):
    pass

def test_slow_body():
    time.sleep(0.05)
""")
    costs_file = pytester.path / "mutmut-test-costs.json"
    costs_file.write_text(json.dumps({"test_other.py::test_x": 1.5,
                                      "test_costs.py::test_cheap_body": 99.0}), encoding="utf-8")

    monkeypatch.setenv("MUTANT_UNDER_TEST", "")  # a run that is not the stats run: nothing kept
    pytester.runpytest_inprocess("-p", "tests.mutation_collect", "-p", "no:cacheprovider")
    assert json.loads(costs_file.read_text(encoding="utf-8"))[
        "test_costs.py::test_cheap_body"] == 99.0

    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")
    result = pytester.runpytest_inprocess("-p", "tests.mutation_collect", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)
    costs = json.loads(costs_file.read_text(encoding="utf-8"))
    assert set(costs) == {"test_other.py::test_x", "test_costs.py::test_cheap_body",
                          "test_costs.py::test_slow_body"}
    assert costs["test_other.py::test_x"] == 1.5  # kept: a stats run may cover new tests only
    assert 0.3 <= costs["test_costs.py::test_cheap_body"] < 99.0  # its fixture's 0.2 + 0.1 s
    assert 0.05 <= costs["test_costs.py::test_slow_body"] < costs["test_costs.py::test_cheap_body"]


def test_a_mutant_s_tests_run_cheapest_first_by_their_recorded_costs(
    two_recording_files: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUTANT_UNDER_TEST", "domain.x__mutmut_1")
    (two_recording_files.path / "mutmut-test-costs.json").write_text(json.dumps({
        "t/test_a.py::test_one": 0.5, "t/test_b.py::test_two": 2.0, "t/test_b.py::test_one": 1.0,
    }), encoding="utf-8")
    # mutmut's order: by call time alone
    arguments = ["t/test_b.py::test_two", "t/test_a.py::test_one", "t/test_b.py::test_one",
                 "t/test_a.py::test_two"]

    code, ran, events = _run_recorded(two_recording_files, arguments)

    assert code == 0
    assert ran == ["t/test_a.py::test_two", "t/test_a.py::test_one", "t/test_b.py::test_one",
                   "t/test_b.py::test_two"]  # test_a's test_two has no cost: free, so first
    assert events[0] == "collect test_a.py"


def test_without_readable_costs_or_in_the_stats_run_a_mutant_s_tests_keep_mutmut_s_order(
    two_recording_files: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
) -> None:
    costs_file = two_recording_files.path / "mutmut-test-costs.json"
    costs_file.write_text(json.dumps({"t/test_b.py::test_two": 2.0, "t/test_a.py::test_one": 0.5}),
                          encoding="utf-8")
    arguments = ["t/test_b.py::test_two", "t/test_a.py::test_one"]

    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")  # the costs are being measured
    assert _run_recorded(two_recording_files, arguments)[1] == arguments

    monkeypatch.setenv("MUTANT_UNDER_TEST", "domain.x__mutmut_1")
    costs_file.write_text('{"t/test_b.py::test_two": 2.0, "t/test_a.py::te', encoding="utf-8")
    assert _run_recorded(two_recording_files, arguments)[1] == arguments
