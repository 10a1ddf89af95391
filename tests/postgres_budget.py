"""How the tests share the one PostgreSQL server (issue 20): other runs, other workers and other
people use it too, so a run must neither exhaust its `max_connections` nor leave databases behind.

- Every connection a test worker opens to PostgreSQL takes a slot of the worker's budget (its
  share of the server's connections, split among the run's workers) and gives it back when
  closed. A test wanting more than its worker's budget waits for a slot and, after
  `SLOT_WAIT_SECONDS`, fails saying so: the server never refuses anybody's connection because
  of the tests, and a run never hangs on it.
- Each record the tests open keeps one idle connection (the library keeps five by default).
- A test database carries the time it was made in its name. At the start of a run, databases of
  earlier runs (`lgnet_test_*`) made more than an hour ago, to which nobody is connected, are
  dropped: a worker killed mid-run cannot drop its own. A younger one may belong to a run still
  going on the same server, so it is left alone; so is one somebody is connected to."""

from __future__ import annotations

import os
import re
import threading
import uuid
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

TEST_DATABASE_PREFIX = "lgnet_test_"
STALE_AFTER = timedelta(hours=1)
# The run's workers together take at most this share of the server's connections (after the
# superusers' reserve): the rest stays for whoever else uses the server meanwhile.
SERVER_SHARE = 0.6
SLOT_WAIT_SECONDS = 60.0
# The event store's pool for each record the tests open (eventsourcing reads these from the
# environment beneath the settings the platform gives it): one connection kept, two more lent
# under load.
RECORD_POOL_ENVIRONMENT = {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "2"}
_MADE_AT = re.compile(rf"^{TEST_DATABASE_PREFIX}(\d{{10}})_")


def new_database_name(now: datetime) -> str:
    """A test database's name: the prefix, when it was made (Unix seconds), a random part."""
    return f"{TEST_DATABASE_PREFIX}{int(now.timestamp())}_{uuid.uuid4().hex[:8]}"


def made_at(name: str) -> datetime | None:
    """When a test database was made, from its name; None for a name without the time (made
    before issue 20, or by a run of an older branch)."""
    found = _MADE_AT.match(name)
    return datetime.fromtimestamp(int(found.group(1)), UTC) if found else None


def connection_budget(max_connections: int, reserved: int, workers: int) -> int:
    """The connections one worker may hold at once: its part of the run's share of the server."""
    return max(1, int((max_connections - reserved) * SERVER_SHARE) // max(1, workers))


def run_workers() -> int:
    """How many workers this run has (pytest-xdist says so to each worker; 1 without it)."""
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


def stale_databases(rows: list[tuple[str, datetime | None, int]], now: datetime) -> list[str]:
    """Of the test databases on the server (name, when its directory last changed, connections
    to it), those to drop: made more than STALE_AFTER ago (by the name, else by the directory:
    it changes whenever a table is made, so it is never older than the database's last new
    table) and with nobody connected."""
    stale = []
    for name, changed, connected in rows:
        made = made_at(name) or changed
        if connected == 0 and made is not None and now - made > STALE_AFTER:
            stale.append(name)
    return stale


def sweep_stale_databases(admin: psycopg.Connection[Any], now: datetime) -> list[str]:
    """Drop the stale test databases (see `stale_databases`); returns their names. A database
    somebody connects to meanwhile is not dropped (no FORCE): the drop fails and is skipped."""
    rows = admin.execute(
        "SELECT d.datname, (pg_stat_file('base/' || d.oid, true)).modification,"
        " (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname)"
        " FROM pg_database d WHERE starts_with(d.datname, %s)",
        (TEST_DATABASE_PREFIX,),
    ).fetchall()
    dropped = []
    for name in stale_databases([(str(n), c, int(k)) for n, c, k in rows], now):
        try:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        except psycopg.Error:  # somebody connected in between: theirs, not stale
            continue
        dropped.append(name)
    return dropped


class ConnectionBudget:
    """A worker's PostgreSQL connections: each connection opened takes a slot, closing it (or
    losing it to the garbage collector) gives the slot back."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._slots = threading.BoundedSemaphore(size)

    def take(self) -> Callable[[], None]:
        """A slot, waiting up to SLOT_WAIT_SECONDS; returns how to give it back (once)."""
        if not self._slots.acquire(timeout=SLOT_WAIT_SECONDS):
            raise psycopg.OperationalError(
                f"this test worker already holds its {self.size} PostgreSQL connections (its "
                f"share of the server's max_connections): close some, or open fewer at once")
        given_back = threading.Event()

        def give_back() -> None:
            if not given_back.is_set():
                given_back.set()
                self._slots.release()

        return give_back

    def install(self) -> None:
        """Make every psycopg connection of this process go through the budget (the event
        store's pool, the vault's and the read models' pools, the tests' own connections)."""
        budget = self
        connect = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]
        close = psycopg.Connection.close
        give_backs: weakref.WeakKeyDictionary[Any, Callable[[], None]] = (
            weakref.WeakKeyDictionary())

        def budgeted_connect(cls: Any, *args: Any, **kwargs: Any) -> Any:
            give_back = budget.take()
            try:
                connection = connect(cls, *args, **kwargs)
            except BaseException:
                give_back()
                raise
            give_backs[connection] = give_back
            weakref.finalize(connection, give_back)
            return connection

        def budgeted_close(connection: Any) -> None:
            try:
                close(connection)
            finally:
                give_back = give_backs.pop(connection, None)
                if give_back is not None:
                    give_back()

        psycopg.Connection.connect = classmethod(budgeted_connect)  # type: ignore[assignment,method-assign]
        psycopg.Connection.close = budgeted_close  # type: ignore[assignment,method-assign]
        # `psycopg.connect` is the class method as it was when psycopg was imported.
        psycopg.connect = psycopg.Connection.connect


WORKER_BUDGET: ConnectionBudget | None = None
"""This worker's budget, once `share_the_server` set it (None where there is no server)."""


def share_the_server(host: str, port: int) -> ConnectionBudget | None:
    """Set this process up to share the server (see the module's note): the records' small
    pools, the sweep (once per run: not in an xdist worker), this worker's budget. None, and
    nothing done, where there is no server. Once per process: a later session in the same
    process, or in a fork of it (`make mutate` runs one session per mutant in a fork of the
    process that ran the tests first), keeps what the first one set up, without connecting."""
    global WORKER_BUDGET
    if WORKER_BUDGET is not None:
        return WORKER_BUDGET
    for name, value in RECORD_POOL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    try:
        admin = psycopg.connect(host=host, port=port, user="postgres", dbname="postgres",
                                autocommit=True, connect_timeout=3)
    except psycopg.Error:
        return None
    with admin:
        if "PYTEST_XDIST_WORKER" not in os.environ:
            sweep_stale_databases(admin, datetime.now(UTC))
        settings: dict[str, str] = dict(admin.execute(
            "SELECT name, setting FROM pg_settings"
            " WHERE name IN ('max_connections', 'superuser_reserved_connections')").fetchall())
    budget = ConnectionBudget(connection_budget(
        int(settings["max_connections"]), int(settings.get("superuser_reserved_connections", 0)),
        run_workers()))
    budget.install()
    WORKER_BUDGET = budget
    return budget
