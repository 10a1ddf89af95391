"""Failures of the cluster tests made diagnosable: when a test fails (or errs, or xfails), the
tails of every process's log (web, relay, projector, partner feed, each NATS node, the private
PostgreSQL) are added to its report, and the cluster's directory is kept, named in the report,
with every log whole."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

# Of each log, the last lines shown in the report (the whole log stays in the kept directory).
TAIL_LINES = 40
# Set on the test item when a phase failed: the cluster's directory is then kept.
FAILED_KEY = pytest.StashKey[bool]()


def cluster_logs(root: Path) -> list[Path]:
    """Every log a LocalCluster under `root` writes: the parts', each node's, PostgreSQL's."""
    return sorted([*root.glob("logs/*.log"), *root.glob("nats-*/nats-server.log"),
                   *root.glob("*.log"), *root.glob("cluster/logs/*.log"),
                   *root.glob("cluster/nats-*/nats-server.log"), *root.glob("cluster/*.log")])


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"(unreadable: {error})"
    return "\n".join(text.splitlines()[-lines:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or call.excinfo.errisinstance(pytest.skip.Exception):
        return
    item.stash[FAILED_KEY] = True
    root = getattr(item, "funcargs", {}).get("cluster_root")
    if not isinstance(root, Path):
        return
    report.sections.append((
        "cluster directory",
        f"kept for inspection: {root} (every log whole under it)",
    ))
    for path in cluster_logs(root):
        report.sections.append((f"log tail: {path.relative_to(root)}", tail(path)))


@pytest.fixture
def cluster_root(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A directory the `postgres` system user can reach too: under root, the private
    PostgreSQL runs as that user (pytest's own temp dirs are private to root). Removed after
    the test unless it failed (or LGNET_KEEP_CLUSTER_DIR is set)."""
    root = Path(tempfile.mkdtemp(prefix="lgnet-cluster-"))
    os.chmod(root, 0o755)  # noqa: S103 (the directory only; its contents stay private)
    yield root
    if not os.environ.get("LGNET_KEEP_CLUSTER_DIR") and not request.node.stash.get(
            FAILED_KEY, False):
        shutil.rmtree(root, ignore_errors=True)
