"""A pytest plugin for `make mutate` alone (`-p tests.mutation_collect` in pyproject.toml's
[tool.mutmut]): collect only the tests named on the command line, not the whole of their files
nor the other files of their folders; and give each test a timeout from how long it took on the
unmutated code.

mutmut runs each mutant's tests as `pytest file::test ...`; pytest then builds every test of each
file named (parametrized cases, fixture closures) only to pick the named ones, and that collection
was about half of what a killed mutant cost (docs/testing.md, "Mutation testing: run time"). Here
a module or class keeps just the names some argument asks for, and a module's tests are built
only when its first test is due, so a mutant its first test kills builds one module. A run given
whole files or folders (mutmut's stats and clean runs, `make test`, which never loads this
plugin) is untouched.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

# `test_x[a-b]` → `test_x`: a parametrized case is found by its function's name.
_CASE_ID = re.compile(r"\[.*$")

_WANTED_KEY = pytest.StashKey[dict[str, set[str]]]()
_PATHS_KEY = pytest.StashKey[frozenset[Path] | None]()


def wanted_names(args: list[str]) -> dict[str, set[str]]:
    """For each test file an argument names a test in (`path::name` or `path::Class::name`), the
    names to keep in it. A file named whole (no `::`) is not in the result: everything in it is
    collected."""
    wanted: dict[str, set[str]] = {}
    whole: set[str] = set()
    for argument in args:
        path, separator, rest = _CASE_ID.sub("", argument).partition("::")
        path = path.replace("\\", "/").removeprefix("./")
        if not separator:
            whole.add(path)
            continue
        wanted.setdefault(path, set()).update(part for part in rest.split("::") if part)
    for path in whole:
        wanted.pop(path, None)
    return wanted


def paths_to_collect(args: list[str], invocation_dir: Path) -> frozenset[Path] | None:
    """The test files the arguments name tests in (`path::name`) and every folder above them, as
    absolute paths; None when an argument names a whole file or folder, which then collects as
    without this plugin."""
    paths: set[Path] = set()
    for argument in args:
        path, separator, _ = argument.partition("::")
        if not separator:
            return None
        file = Path(os.path.abspath(invocation_dir / path))
        paths.add(file)
        paths.update(file.parents)
    return frozenset(paths)


# Before reaching a named file, pytest lists each folder on the way and makes a node for every
# file in it (`pytest_ignore_collect`, then `pytest_collect_file`, for the hundreds of tests/unit),
# only to keep the one named: a fifth of a killed mutant's time (docs/testing.md, "Mutation
# testing: run time, fourth change"). Files and folders no argument leads to are passed over.
@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    paths = config.stash[_PATHS_KEY]
    if paths is None or collection_path in paths:
        return None  # pytest's own rules (--ignore, norecursedirs…) decide
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(
    collector: pytest.Module | pytest.Class, name: str, obj: object
) -> list[Any] | None:
    module = collector.getparent(pytest.Module)
    if module is None:
        return None
    names = collector.config.stash[_WANTED_KEY].get(module.nodeid)
    if names is None or name in names:
        return None  # pytest's own collection decides, as without this plugin
    return []


# pytest collects every test file of a run before the first test runs, so a mutant whose tests
# sit in twenty files paid for twenty collections even when its first test killed it (0.7 s per
# killed mutant with tests in ten files or more, 0.19 s with fewer: docs/testing.md, "A whole-tree
# make mutate with the fourth change"). A run naming tests (mutmut's per-mutant runs) instead
# finds the files' modules first (their folders and conftest files, without importing or
# building any test), builds a module's tests when its first test is due, and runs the tests in
# the order named (mutmut's: fastest first), stopping where pytest would (`-x`).
_IN_ORDER_KEY = pytest.StashKey[list[str] | None]()
_MODULES_KEY = pytest.StashKey[dict[Path, pytest.Collector]]()

# mutmut orders a mutant's tests by their call time alone, measured in its stats run; a test
# whose fixtures cost more than its body (a store, a vault, a read model set up for it) then
# runs before a cheaper one that would kill the mutant: after the whole run of 7 December, the
# pin of the read models' tables (0.02 s) still ran after ~50 such tests, ~1.4 s per mutant it
# killed (docs/testing.md, "Mutation testing: run time, fifth change"). This plugin records in
# mutmut's stats run what each test costs whole — setup, call and teardown — and runs a
# mutant's tests cheapest first by that.
MUTMUT_TEST_COSTS = Path("mutmut-test-costs.json")  # beside mutmut's stats, inside mutants/
_COSTS_KEY = pytest.StashKey[dict[str, float]]()


def _recording_costs() -> bool:
    """mutmut's stats run (it names the mutant under test "stats" while the trampolines record
    which tests reach which functions)."""
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


def cheapest_first(test_ids: list[str], costs: dict[str, float]) -> list[str]:
    """`test_ids` by their whole cost, the order given kept among equals. A test with no cost
    (not in the stats run) counts as free, as mutmut counts a test with no duration."""
    return sorted(test_ids, key=lambda test_id: costs.get(test_id, 0.0))


def pytest_configure(config: pytest.Config) -> None:
    arguments = [str(argument) for argument in config.args]
    config.stash[_WANTED_KEY] = wanted_names(arguments)
    paths = paths_to_collect(arguments, config.invocation_params.dir)
    config.stash[_PATHS_KEY] = paths
    collect_only = bool(config.getoption("collectonly", False))
    in_order = None if paths is None or collect_only else list(dict.fromkeys(arguments))
    if in_order is not None and not _recording_costs() and MUTMUT_TEST_COSTS.is_file():
        costs = _costs(MUTMUT_TEST_COSTS.resolve(), MUTMUT_TEST_COSTS.stat().st_mtime_ns)
        in_order = cheapest_first(in_order, costs)
    config.stash[_IN_ORDER_KEY] = in_order
    config.stash[_COSTS_KEY] = {}


@functools.cache
def _costs(path: Path, modified_ns: int) -> dict[str, float]:
    """The tests' whole costs, read once per process and version of the file (mutmut's clean
    run reads them in its main process, which every mutant's process is forked from)."""
    try:
        costs = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}  # a file cut short: mutmut's own order stays
    if not isinstance(costs, dict):
        return {}
    return {str(test_id): float(cost) for test_id, cost in costs.items()}


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    if _recording_costs():
        costs = item.config.stash[_COSTS_KEY]
        costs[item.nodeid] = costs.get(item.nodeid, 0.0) + call.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The costs measured, added to those of earlier stats runs (mutmut's stats run after a
    change runs only the new tests)."""
    measured = session.config.stash[_COSTS_KEY]  # filled only in mutmut's stats run
    if not measured:
        return
    recorded: dict[str, float] = {}
    if MUTMUT_TEST_COSTS.is_file():
        recorded = dict(_costs(MUTMUT_TEST_COSTS.resolve(), MUTMUT_TEST_COSTS.stat().st_mtime_ns))
    recorded.update(measured)
    written = MUTMUT_TEST_COSTS.with_suffix(".json.tmp")
    written.write_text(json.dumps(recorded, sort_keys=True), encoding="utf-8")
    written.replace(MUTMUT_TEST_COSTS)


def file_of(test_id: str) -> str:
    return test_id.partition("::")[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> bool | None:
    test_ids = session.config.stash[_IN_ORDER_KEY]
    if test_ids is None:
        return None  # pytest collects everything first, as without this plugin
    # The modules only: pytest builds the folders on the way and registers their conftest
    # files' fixtures with those folders' nodes, which every module's tests must then share.
    # A module -m deselects as a whole (its own marks) is left out here.
    files = list(dict.fromkeys(file_of(test_id) for test_id in test_ids))
    modules = session.perform_collect(files, genitems=False)
    session.config.stash[_MODULES_KEY] = {
        module.path: module for module in modules if isinstance(module, pytest.Collector)}
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    test_ids = session.config.stash[_IN_ORDER_KEY]
    if test_ids is None:
        return None
    FileByFile(session, test_ids, session.config.stash[_MODULES_KEY]).run()
    return True


class FileByFile:
    """Runs the tests `test_ids` names, in that order, building each one's module when it is due."""

    def __init__(self, session: pytest.Session, test_ids: list[str],
                 modules: dict[Path, pytest.Collector]) -> None:
        self.session = session
        self.test_ids = test_ids
        self.modules = modules
        self.ids_by_file: dict[str, list[str]] = {}
        for test_id in test_ids:
            self.ids_by_file.setdefault(file_of(test_id), []).append(test_id)
        self.items: dict[str, pytest.Item] = {}  # by node id, of the modules built so far
        self.built_files: set[str] = set()
        self.built: list[pytest.Item] = []

    def run(self) -> None:
        session = self.session
        for position, test_id in enumerate(self.test_ids):
            item = self.item(test_id)
            if item is None:
                continue  # deselected (-m, --deselect): pytest would not run it either
            item.config.hook.pytest_runtest_protocol(
                item=item, nextitem=self.next_item(position))
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)

    def item(self, test_id: str) -> pytest.Item | None:
        file = file_of(test_id)
        if file not in self.built_files:
            self.build(file)
        return self.items.get(test_id)

    def next_item(self, position: int) -> pytest.Item | pytest.Session | None:
        """What pytest's teardown after the test at `position` keeps set up for: the next test
        when its module is built; otherwise the session alone (its fixtures stay up, as they
        would in one collection); None after the last test (everything is torn down)."""
        for test_id in self.test_ids[position + 1:]:
            if file_of(test_id) not in self.built_files:
                return self.session
            if test_id in self.items:
                return self.items[test_id]
        return None

    def build(self, file: str) -> None:
        session, config = self.session, self.session.config
        self.built_files.add(file)
        module = self.modules.get(Path(os.path.abspath(config.invocation_params.dir / file)))
        if module is None:
            return  # deselected whole by its own marks
        named = set(self.ids_by_file[file])
        # pytest_pycollect_makeitem (above) builds only the named functions, with all their
        # parametrized cases: the cases not named are dropped here, as pytest would.
        built = [item for item in session.genitems(module) if item.nodeid in named]
        missing = named - {item.nodeid for item in built}
        if missing:
            # A module that failed to import (its error is reported) or an argument written
            # otherwise than its test's node id: never a test silently not run (mutmut would
            # call its mutant a survivor); a usage error, as pytest's own for a test not found.
            raise pytest.UsageError(f"found no test for: {sorted(missing)}")
        # -m, --deselect and the timeouts below, as for a whole collection; they may drop items
        config.hook.pytest_collection_modifyitems(session=session, config=config, items=built)
        self.items.update((item.nodeid, item) for item in built)
        self.built.extend(built)
        session.items = self.built
        session.testscollected = len(self.built)


# A mutant that turns a wait loop into an endless one (`while not done.wait(0.05)` → `while
# done.wait(0.05)`) sleeps: mutmut's limit is CPU time, which a sleeping test hardly uses, so
# only pytest-timeout's 300 s stopped it — three such mutants of the SQLite group commit cost a
# quarter of an hour of a whole run. Under mutmut each test gets instead a wall-clock limit from
# its own duration on the unmutated code (mutmut's stats): generous, so that only a hang reaches
# it on a loaded machine, never below MIN_SECONDS, never above the suite's own limit.
MUTMUT_STATS = Path("mutmut-stats.json")  # mutmut runs the tests inside mutants/, where it is
MIN_SECONDS = 60.0
TIMES_ITS_DURATION = 30.0


def timeout_for(duration: float, ceiling: float) -> float:
    """The wall-clock limit of a test that took `duration` seconds unmutated."""
    return min(ceiling, max(MIN_SECONDS, duration * TIMES_ITS_DURATION))


@functools.cache
def _durations(path: Path, modified_ns: int) -> dict[str, float] | None:
    """The tests' durations in mutmut's stats (7 MB of JSON, ~30 ms to read): read once per
    process and version of the file. mutmut's fork server collects once before forking a child
    per mutant, so the children inherit what the parent read instead of reading it again."""
    try:
        durations: dict[str, float] = json.loads(
            path.read_text(encoding="utf-8"))["duration_by_test"]
    except (ValueError, KeyError, TypeError):
        return None  # a stats file of another shape
    return durations


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not MUTMUT_STATS.is_file():
        return  # mutmut's first run, which measures the durations, or any other run
    durations = _durations(MUTMUT_STATS.resolve(), MUTMUT_STATS.stat().st_mtime_ns)
    if durations is None:
        return  # the suite's own limit stays
    ceiling = float(config.getoption("timeout", None) or 300)
    for item in items:
        duration = durations.get(item.nodeid)
        if duration is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(timeout_for(float(duration), ceiling)))
