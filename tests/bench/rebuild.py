"""`python -m tests.bench rebuild --data-dir DIR [--pg-dsn URL] [--events N]`: `lgnet projections
rebuild` timed on a large record (issue 15 target 2: 1,000,000 events in <= 120 s on SQLite,
<= 180 s on PostgreSQL, every read model).

A data dir the generator filled (tests/bench/generate.py) is reused (the relay first publishes
whatever it had not yet); an empty or missing one is filled first with N published events
(default 1,000,000). The rebuild runs as an operator
runs it, `lgnet projections rebuild` in a process of its own (start-up included) on an embedded
NATS server of its own port; printed: wall clock, the CPU time (user + sys) of that process and
of everything it started and waited for (the NATS server, the second applier), per event, and
the load average before and after."""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from infra.nats.server import free_port
from infra.settings import Settings
from infra.store.eventstore import NoEventStore, open_record_read_only
from tests.bench.generate import ensure_database, generate, publish

TARGET_SECONDS = {"sqlite": 120.0, "postgres": 180.0}
DEFAULT_EVENTS = 1_000_000


@dataclass(frozen=True)
class Timed:
    events: int
    projections: int
    wall: float
    cpu: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def _has_events(settings: Settings) -> bool:
    try:
        record = open_record_read_only(settings)
    except NoEventStore:
        return False
    try:
        return bool(record.recorder.max_notification_id())
    finally:
        record.close()


def time_rebuild(
    data_dir: Path, pg_dsn: str | None, code: Path | None = None, processes: int = 2
) -> Timed:
    """`lgnet projections rebuild` on `data_dir` (and `pg_dsn`), in a process of its own; `code`:
    the checkout whose `lgnet` runs (default: this one's)."""
    env = os.environ | {
        "LGNET_DATA_DIR": str(data_dir),
        "LGNET_NATS_PORT": str(free_port()),
        "PYTHONPATH": str(code) if code else os.environ.get("PYTHONPATH", os.getcwd()),
    }
    env.pop("LGNET_NATS_URL", None)
    env.pop("LGNET_DATABASE_URL", None)
    if pg_dsn is not None:
        env["LGNET_DATABASE_URL"] = pg_dsn
    command = [
        sys.executable,
        "-c",
        "from infra.cli.main import main; main()",
        "projections",
        "rebuild",
        "--processes",
        str(processes),
    ]
    load_before = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    finished = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_after = os.getloadavg()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    said = re.search(r"Rebuilt (\d+) projections from (\d+) events", finished.stdout)
    if said is None:
        raise RuntimeError(f"the rebuild said: {finished.stdout!r}")
    return Timed(int(said.group(2)), int(said.group(1)), wall, cpu, load_before, load_after)


def report(store: str, timed: Timed) -> str:
    """The figures, and against the target: by wall clock, and by CPU, which only bounds an
    idle machine's time from below (its CPU seconds over two cores busy throughout: one process
    uses one core, and with two the applying one is busier than the receiving one), so it can
    rule the target out, never show it met; below 1,000,000 events, at this run's pace per
    event (start-up counted in it: pessimistic)."""
    target = TARGET_SECONDS[store]
    scale = DEFAULT_EVENTS / max(1, timed.events)
    wall, cpu = timed.wall * scale, timed.cpu * scale
    at = "" if timed.events >= DEFAULT_EVENTS else " at this pace"
    return (
        f"Rebuild on {store}: {timed.events:,} events, {timed.projections} read models in "
        f"{timed.wall:.1f} s wall ({timed.events / timed.wall:,.0f} ev/s), CPU {timed.cpu:.1f} s "
        f"({timed.cpu / max(1, timed.events) * 1e6:.0f} us/event, user+sys of every process); "
        f"load average {timed.load_before[0]:.1f} before, {timed.load_after[0]:.1f} after.\n"
        f"Target: 1,000,000 events in <= {target:.0f} s. 1,000,000 events{at}: {wall:.0f} s "
        f"wall ({'met' if wall <= target else 'NOT met'}), {cpu:.0f} CPU s "
        f"(so no less than {cpu / 2:.0f} s on two idle cores: "
        f"{'the target is not ruled out' if cpu <= 2 * target else 'NOT met even there'})"
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench rebuild", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--pg-dsn", help="postgresql://...: the event store and read models")
    parser.add_argument(
        "--events",
        type=int,
        default=DEFAULT_EVENTS,
        help="published events to generate when the data dir holds none",
    )
    parser.add_argument("--template-dir", type=Path, default=None)
    parser.add_argument(
        "--processes",
        type=int,
        choices=(1, 2),
        default=2,
        help="lgnet projections rebuild --processes",
    )
    parser.add_argument(
        "--code",
        type=Path,
        default=None,
        help="time the `lgnet` of this checkout instead (e.g. the code before a change)",
    )
    args = parser.parse_args(argv)
    data_dir = args.data_dir.absolute()
    store = "postgres" if args.pg_dsn else "sqlite"
    settings = Settings(
        data_dir=data_dir, database_url=args.pg_dsn, nats_url=None, nats_port=free_port()
    )
    if args.pg_dsn is not None:
        ensure_database(args.pg_dsn)
    if not _has_events(settings):
        template_dir = args.template_dir or data_dir.with_name(data_dir.name + "-template")
        made = generate(settings, args.events, template_dir.absolute(), published=True)
        print(
            f"Generated {made.stored:,} events, {made.published:,} published, in "
            f"{made.write_seconds + made.publish_seconds:.0f} s",
            flush=True,
        )
    else:
        # What the relay has not published yet (a generation stopped half-way): it resumes
        # from the stream's last message.
        print(f"Published {publish(settings):,} events the stream did not hold yet", flush=True)
    print(report(store, time_rebuild(data_dir, args.pg_dsn, args.code, args.processes)))


if __name__ == "__main__":
    main(sys.argv[1:])
