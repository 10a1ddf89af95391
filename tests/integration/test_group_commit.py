"""Group commit of the vault's writes (issue 15, target 4): write transactions that arrive
together on one SQLite file are committed in one transaction (one journal, one round of fsyncs),
each still atomic, isolated and durable when it returns. On a real SQLite file, with the vault's
own pragmas (rollback journal, secure_delete)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from infra.store.vault import SqliteVault
from projections.storage.sqlite import GroupCommitFailed, SqliteGroupCommitted
from tests.builders import a_person

PRAGMAS = ("PRAGMA secure_delete = ON", "PRAGMA journal_mode = DELETE")
REPOSITORY = Path(__file__).resolve().parents[2]
WRITERS = 8
# Long enough for every other writer to be waiting for the connection while the first one holds
# it, so that they all join its group.
HOLD_SECONDS = 0.5


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqliteGroupCommitted]:
    database = SqliteGroupCommitted(tmp_path / "group.sqlite", PRAGMAS, timeout=1.0)
    with database.transaction() as tx:
        tx.execute("CREATE TABLE rows (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    yield database
    database.close()


def change_counter(path: Path) -> int:
    """The file change counter of the database header: one more at each commit that changed the
    file (in rollback-journal mode)."""
    return int.from_bytes(path.read_bytes()[24:28], "big")


def rows_in(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        return dict(connection.execute("SELECT name, value FROM rows").fetchall())


def run_together(
    database: SqliteGroupCommitted, writers: dict[str, int], failing: frozenset[str] = frozenset()
) -> dict[str, object]:
    """Each writer inserts its row in a transaction of its own, from a thread of its own; the
    first holds the connection until the others wait for it. Those in `failing` raise after
    their insert. What each got: its row count, or the exception it raised."""
    outcomes: dict[str, object] = {}
    first_inside = threading.Event()

    def write(name: str, value: int, first: bool) -> None:
        try:
            with database.transaction() as tx:
                if first:
                    first_inside.set()
                    time.sleep(HOLD_SECONDS)
                changed = tx.execute("INSERT INTO rows (name, value) VALUES (?, ?)", (name, value))
                if name in failing:
                    raise ValueError(f"{name} refused")
            outcomes[name] = changed
        except Exception as error:  # the outcome is what the test checks
            outcomes[name] = error

    names = list(writers)
    threads = [threading.Thread(target=write, args=(names[0], writers[names[0]], True))]
    threads[0].start()
    first_inside.wait(5)
    for name in names[1:]:
        threads.append(threading.Thread(target=write, args=(name, writers[name], False)))
        threads[-1].start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_writers_arriving_together_are_committed_once_each_with_its_own_answer(
    database: SqliteGroupCommitted,
) -> None:
    before = change_counter(database.path)
    writers = {f"w{number}": number for number in range(WRITERS)}

    outcomes = run_together(database, writers)

    assert outcomes == {name: 1 for name in writers}
    assert rows_in(database.path) == writers
    # One commit for the eight of them (alone, each would have been one).
    assert change_counter(database.path) == before + 1


def test_a_writer_that_fails_in_a_group_writes_nothing_and_the_others_are_committed(
    database: SqliteGroupCommitted,
) -> None:
    writers = {f"w{number}": number for number in range(WRITERS)}
    failing = frozenset({"w0", "w3"})  # the one holding the group open, and one that joined

    outcomes = run_together(database, writers, failing)

    for name in failing:
        error = outcomes[name]
        assert isinstance(error, ValueError)
        assert str(error) == f"{name} refused"
    assert {name: outcomes[name] for name in writers if name not in failing} == {
        name: 1 for name in writers if name not in failing
    }
    assert rows_in(database.path) == {
        name: value for name, value in writers.items() if name not in failing
    }


def test_a_group_whose_commit_fails_fails_every_writer_and_writes_nothing(
    database: SqliteGroupCommitted,
) -> None:
    # A reader of another connection holds the file's shared lock: the COMMIT cannot take the
    # exclusive lock within the busy timeout (1 s), and fails.
    reader = sqlite3.connect(database.path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM rows").fetchone()
    writers = {f"w{number}": number for number in range(4)}
    try:
        outcomes = run_together(database, writers)
    finally:
        reader.execute("COMMIT")
        reader.close()

    for name in writers:
        error = outcomes[name]
        assert isinstance(error, GroupCommitFailed), (name, error)
        assert isinstance(error.__cause__, sqlite3.OperationalError)
        assert "locked" in str(error.__cause__)
    assert rows_in(database.path) == {}
    # The connection works again once the file is free.
    with database.transaction() as tx:
        tx.execute("INSERT INTO rows (name, value) VALUES ('after', 1)")
    assert rows_in(database.path) == {"after": 1}


def test_a_reader_never_sees_a_group_not_yet_committed(database: SqliteGroupCommitted) -> None:
    seen: list[int] = []
    inside = threading.Event()
    let_go = threading.Event()

    def write() -> None:
        with database.transaction() as tx:
            tx.execute("INSERT INTO rows (name, value) VALUES ('one', 1)")
            inside.set()
            let_go.wait(5)

    def read() -> None:
        with database.reading() as tx:
            row = tx.fetchone("SELECT count(*) FROM rows")
            assert row is not None
            seen.append(int(row[0]))

    writer = threading.Thread(target=write)
    writer.start()
    inside.wait(5)
    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.2)
    assert seen == []  # the reader waits for the writer's connection
    let_go.set()
    writer.join(5)
    reader.join(5)
    # The reader came after the writer's transaction ended: committed, seen whole.
    assert seen == [1]
    assert rows_in(database.path) == {"one": 1}


_KILLED_IN_A_GROUP = textwrap.dedent("""
    import sys, threading, time
    from pathlib import Path
    from projections.storage.sqlite import SqliteGroupCommitted
    database = SqliteGroupCommitted(Path(sys.argv[1]), %r, timeout=1.0)
    held = threading.Event()

    def hold():
        with database.transaction() as tx:
            tx.execute("INSERT INTO rows (name, value) VALUES ('held', 1)")
            held.set()
            time.sleep(60)

    def join():
        with database.transaction() as tx:
            tx.execute("INSERT INTO rows (name, value) VALUES ('joined', 2)")

    threading.Thread(target=hold, daemon=True).start()
    held.wait(5)
    threading.Thread(target=join, daemon=True).start()
    time.sleep(0.3)  # the second one waits for the connection, in the group
    print("in the group", flush=True)
    time.sleep(60)
""") % (PRAGMAS,)


@pytest.mark.process
def test_a_process_killed_mid_group_leaves_nothing_of_the_group(
    database: SqliteGroupCommitted,
) -> None:
    with database.transaction() as tx:
        tx.execute("INSERT INTO rows (name, value) VALUES ('before', 0)")
    database.close()
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_IN_A_GROUP, str(database.path)],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "in the group"
    finally:
        child.kill()
        child.wait(10)

    # The hot journal is rolled back at the next opening: only what was committed before.
    assert rows_in(database.path) == {"before": 0}
    with sqlite3.connect(database.path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_the_vault_stores_persons_stored_together_each_readable_and_erasable(
    tmp_path: Path,
) -> None:
    vault = SqliteVault(tmp_path / "vault.sqlite", b"k" * 32, index_key=b"i" * 32)
    people = {uuid4(): a_person(given_name=f"Amanuel{chr(97 + n)}") for n in range(WRITERS)}
    start = threading.Barrier(len(people))

    def store(case_id: UUID) -> None:
        start.wait(5)
        vault.store(case_id, people[case_id])

    threads = [threading.Thread(target=store, args=(case_id,)) for case_id in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert {case_id: vault.read(case_id) for case_id in people} == people
        assert sorted(vault.pending(datetime(2999, 1, 1, tzinfo=UTC))) == sorted(people)
        erased = next(iter(people))
        assert vault.erase(erased) is True
        assert vault.read(erased) is None
        assert {case_id: vault.read(case_id) for case_id in people if case_id != erased} == {
            case_id: person for case_id, person in people.items() if case_id != erased
        }
    finally:
        vault.close()
