"""Issue 17 item 5 (with the outage answers of item 2), against `lgnet run` as a subprocess: the
store full or read-only while the platform runs, on SQLite and on PostgreSQL. Every answer is a
201, a JSON 503 with Retry-After (API) or the error page (pages), never a plain-text 500;
nothing is half-written (every intake saved was answered 201, no person is left in the vault
without a case); /health/ready turns red; `lgnet check` fails within its timeout with one line
per store; and once the fault is removed, commands work again without a restart.

Each fault is made for real, the way it happens to a server, not by a flag in the code under
test (mounting needs root: skipped otherwise):
- SQLite full: the data dir on a small tmpfs, filled by a file of zeros, so that SQLite itself
  gets ENOSPC (SQLITE_FULL) when a file must grow. Deleting the file removes the fault.
- SQLite read-only: the data dir on an ext4 image mounted with errors=remount-ro, failed by the
  kernel's own trigger (/sys/fs/ext4/<device>/trigger_fs_error): what a disk error does, the
  file system remounted read-only under the running process. (chmod would change nothing: the
  process holds its files open, and runs as root here; a plain `mount -o remount,ro` is refused
  while files are open for writing.) Such a file system cannot be made writable again while
  the process holds its files (its journal is aborted: umount and e2fsck first), so that test
  recovers after a restart, and says so.
- PostgreSQL read-only: `ALTER DATABASE ... SET default_transaction_read_only = on` and its
  backends terminated (what a failover to a standby looks like); removed: RESET, terminated.
- PostgreSQL full: the test's database moved to a tablespace on a small tmpfs, then filled. The
  server's WAL stays on its own disk: a full pg_wal stops the whole server (PANIC), which is
  not tried on the PostgreSQL the other tests share.

In the SQLite tests the embedded NATS server's store is kept off the small file system: a full
or failed JetStream disk is item 4's (test_jetstream_room.py); here the store alone fails."""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.faults.platform import (
    RunningPlatform,
    intakes_in_store,
    parts_of,
    store_url,
    vault_rows,
)
from tests.web.conftest import an_intake_form
from web.areas.intake.requests import EXAMPLE_INTAKE
from web.kit.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER

pytestmark = [pytest.mark.faults, pytest.mark.nats]

# The sweep of persons a failed intake left in the vault, quick enough to be seen here.
SWEEP = {"LGNET_VAULT_SWEEP_SECONDS": "1", "LGNET_VAULT_PENDING_GRACE_SECONDS": "3"}
CHECK_TIMEOUT = 20  # `lgnet check --timeout`: opening the stores takes seconds on a loaded host


# --- file systems -------------------------------------------------------------------------------


def _need_mounts() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")


def _sh(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def _unmount(where: Path) -> None:
    for _ in range(50):  # the killed processes' files close a moment after they die
        if _sh("umount", str(where)).returncode == 0:
            return
        time.sleep(0.2)
    _sh("umount", "-l", str(where))


@contextmanager
def tmpfs(where: Path, megabytes: int) -> Iterator[Path]:
    _need_mounts()
    where.mkdir(parents=True, exist_ok=True)
    mounted = _sh("mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755", "tmpfs",
                  str(where))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        _unmount(where)


class Ext4:
    """An ext4 file system of its own at `where`, mounted so that a disk error remounts it
    read-only (errors=remount-ro)."""

    def __init__(self, where: Path, megabytes: int) -> None:
        self.where = where
        self.image = where.parent / f"{where.name}.img"
        where.mkdir(parents=True, exist_ok=True)
        with self.image.open("wb") as file:
            file.truncate(megabytes << 20)
        made = _sh("mkfs.ext4", "-q", "-F", "-m", "0", str(self.image))
        if made.returncode != 0:
            pytest.skip(f"cannot make an ext4 image: {made.stderr.strip()}")

    def mount(self) -> None:
        mounted = _sh("mount", "-o", "loop,errors=remount-ro", str(self.image), str(self.where))
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount an ext4 image: {mounted.stderr.strip()}")

    @property
    def error_trigger(self) -> Path:
        """Writing here fails the file system as a disk error would (fs/ext4/sysfs.c)."""
        device = Path(_sh("findmnt", "-n", "-o", "SOURCE", str(self.where)).stdout.strip()).name
        return Path("/sys/fs/ext4") / device / "trigger_fs_error"

    def options(self) -> str:
        return _sh("findmnt", "-n", "-o", "OPTIONS", str(self.where)).stdout

    def repair(self) -> str:
        """What an operator does: unmount, check (e2fsck), mount again; e2fsck's exit."""
        _unmount(self.where)
        checked = _sh("e2fsck", "-f", "-y", str(self.image))
        self.mount()
        return f"{checked.returncode}"


@contextmanager
def ext4(where: Path, megabytes: int) -> Iterator[Ext4]:
    _need_mounts()
    disk = Ext4(where, megabytes)
    disk.mount()
    try:
        if not disk.error_trigger.exists():
            pytest.skip("this kernel has no ext4 trigger_fs_error")
        yield disk
    finally:
        _unmount(where)
        disk.image.unlink(missing_ok=True)


def fill(directory: Path) -> Path:
    """Write zeros into `directory` until its file system has no room left; the file."""
    filler = directory / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    size = 1 << 20
    try:
        while size >= 512:
            try:
                if os.write(descriptor, b"\0" * size) < size:
                    size //= 2
            except OSError as error:
                if error.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                size //= 2
    finally:
        os.close(descriptor)
    return filler


def platform_on(directory: Path, elsewhere: Path) -> RunningPlatform:
    """A SQLite platform whose data dir (and keys, beside it) are in `directory`, and whose
    embedded NATS keeps its store `elsewhere` (where the output of `lgnet run` goes too)."""
    platform = RunningPlatform(directory / "var", None, **SWEEP)
    platform.seed()
    nats_store = elsewhere / "nats"
    nats_store.mkdir(parents=True)
    (platform.data_dir / "nats").symlink_to(nats_store, target_is_directory=True)
    platform.output = elsewhere / "run.log"
    return platform


# --- what is asserted ---------------------------------------------------------------------------


class Commands:
    """Intakes through the API (each with its own Idempotency-Key) and through the page form,
    every answer checked: 201 (or the form's 303), or the outage's 503."""

    def __init__(self, platform: RunningPlatform) -> None:
        self.platform = platform
        self.coordinator = platform.signed_in_client()
        self.numbers = itertools.count(1)
        self.created: list[httpx.Response] = []
        self.refused_keys: list[tuple[str, dict[str, Any]]] = []
        # Intakes sent by the page form and answered 303 (saved), besides the first one after
        # the fault.
        self.forms_saved = 0

    def intake(self, key: str | None = None, body: dict[str, Any] | None = None
               ) -> httpx.Response:
        number = next(self.numbers)
        key = key or f"intake-{number}"
        body = body or {**EXAMPLE_INTAKE, "given_name": f"Persona{number}",
                        "family_name": f"Prova{number}", "document_number": f"YA{number:07d}",
                        "phone": None}
        answer = self.coordinator.post("/api/v1/cities/firenze/intakes", json=body,
                                       headers={IDEMPOTENCY_HEADER: key})
        if answer.status_code == 201:
            self.created.append(answer)
        else:
            assert_api_outage(answer)
            self.refused_keys.append((key, body))
        return answer

    def until_refused(self, tries: int = 200) -> httpx.Response:
        for _ in range(tries):
            answer = self.intake()
            if answer.status_code == 503:
                return answer
        raise AssertionError(f"{tries} intakes and not one refused")

    def page_intake(self) -> httpx.Response:
        form = an_intake_form(csrf_token=self.coordinator.headers["X-CSRF-Token"])
        answer = self.coordinator.post("/cities/firenze/intake", data=form,
                                       follow_redirects=False)
        assert answer.status_code in (303, 503), answer.text[:500]
        if answer.status_code == 503:
            assert_page_outage(answer)
        return answer

    def page_read(self) -> httpx.Response:
        answer = self.coordinator.get("/cities/firenze/cases")
        assert answer.status_code in (200, 503), answer.text[:500]
        if answer.status_code == 503:
            assert_page_outage(answer)
        return answer


def assert_api_outage(answer: httpx.Response) -> None:
    assert answer.status_code == 503, (answer.status_code, answer.text[:500])
    assert answer.headers["Retry-After"] == "5"
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["problems"][0]["code"] == "service_unavailable"


def assert_page_outage(answer: httpx.Response) -> None:
    assert answer.headers["Retry-After"] == "5"
    assert answer.headers["content-type"].startswith("text/html")
    assert "Riprovate" in answer.text or "Try again" in answer.text


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def readiness_turns_red(platform: RunningPlatform) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        answer = platform.readiness()
        if answer.status_code == 503:
            assert answer.headers["Retry-After"] == "5"
            store = parts_of(answer.json())["store"]
            if not store["ok"]:
                return dict(store)
        assert time.monotonic() < deadline, f"readiness stayed green: {answer.text}"
        time.sleep(0.5)


def check_fails_naming_the_store(platform: RunningPlatform, *, naming: str) -> None:
    started = time.monotonic()
    assert platform.lgnet("--help").returncode == 0
    python_start = time.monotonic() - started
    started = time.monotonic()
    check = platform.lgnet("check", "--timeout", str(CHECK_TIMEOUT))
    took = time.monotonic() - started
    assert took < python_start + CHECK_TIMEOUT + 5, took
    assert check.returncode == 1, check.stdout + check.stderr
    assert "Traceback" not in check.stderr
    lines = check.stderr.strip().splitlines()
    assert lines and all(line.startswith("store: NOT READY: ") for line in lines), lines
    assert any(naming in line for line in lines), lines


def refused_during_the_fault(platform: RunningPlatform, commands: Commands, *, tries: int,
                             details: tuple[str, ...], check_naming: str) -> httpx.Response:
    """While the store refuses writes: an intake is answered 503 (returned), an intake form
    and a page read are answered (never a 500), readiness turns red with each of `details` in
    the store's line, and `lgnet check` fails naming the store."""
    refused = commands.until_refused(tries=tries)
    commands.forms_saved += commands.page_intake().status_code == 303
    commands.page_read()
    store = readiness_turns_red(platform)
    assert all(detail in store["detail"] for detail in details), store
    check_fails_naming_the_store(platform, naming=check_naming)
    return refused


def works_again(platform: RunningPlatform, commands: Commands) -> None:
    """After the fault: the refused commands, sent again with their keys, are carried out (the
    outage kept nothing under them); readiness and `lgnet check` are green; every intake
    answered 201 is shown; the store holds exactly those; the vault no person beyond them."""
    for key, body in list(commands.refused_keys)[:3]:
        again = commands.intake(key, body)
        assert again.status_code == 201, again.text
        assert REPLAYED_HEADER not in again.headers
    for _ in range(3):
        assert commands.intake().status_code == 201
    assert commands.page_intake().status_code == 303
    ready = platform.wait_until_ready(90)
    assert all(part["ok"] for part in ready["parts"]), ready
    check = platform.lgnet("check", "--timeout", str(CHECK_TIMEOUT))
    assert check.returncode == 0, check.stdout + check.stderr
    for created in commands.created:  # nothing lost
        location = created.headers["Location"]
        wait_for(lambda at=location: commands.coordinator.get(at).status_code == 200,  # type: ignore[misc]
                 60, f"{created.json()['case_code']} never showed")
    case_ids = {created.json()["case_id"] for created in commands.created}
    assert len(case_ids) == len(commands.created)
    # Nothing half-written: the store holds the intakes answered 201 and the forms answered
    # 303 (during the fault, and the one just above), the vault a person for each.
    in_store = intakes_in_store(platform)
    assert in_store == len(case_ids) + commands.forms_saved + 1
    wait_for(lambda: vault_rows(platform) == in_store, 30,
             "the vault keeps persons of intakes that failed")


# --- SQLite -------------------------------------------------------------------------------------


def test_sqlite_full_disk_answers_503_turns_readiness_red_and_recovers_without_a_restart(
    tmp_path: Path,
) -> None:
    with tmpfs(tmp_path / "small", 48) as small:
        platform = platform_on(small, tmp_path / "elsewhere")
        platform.start()
        try:
            platform.wait_until_ready()
            commands = Commands(platform)
            assert commands.intake().status_code == 201
            filler = fill(small)

            refused = refused_during_the_fault(
                platform, commands, tries=200, details=("does not take writes", "full"),
                check_naming="database or disk is full")
            assert "disk is full" not in refused.text  # the driver's words stay in the log
            assert "Outage answered 503" in platform.log()

            filler.unlink()
            works_again(platform, commands)
            assert platform.log().count("Press Ctrl-C to stop.") == 1  # never restarted
            assert "Exception in ASGI application" not in platform.log()
            assert platform.interrupt(timeout=30) == 0
        finally:
            platform.kill()


def test_sqlite_on_a_file_system_remounted_read_only_answers_503_and_recovers_after_fsck(
    tmp_path: Path,
) -> None:
    with ext4(tmp_path / "disk", 64) as disk:
        platform = platform_on(disk.where, tmp_path / "elsewhere")
        platform.start()
        try:
            platform.wait_until_ready()
            commands = Commands(platform)
            assert commands.intake().status_code == 201
            # What the first start wrote besides the stores (keys, configuration) is on disk
            # first: an aborted journal loses the last seconds of unsynced writes, and this
            # test is about the stores (which sync their commits).
            os.sync()
            disk.error_trigger.write_text("lgnet fault test: the store's disk fails\n")
            assert "emergency_ro" in disk.options()

            refused_during_the_fault(platform, commands, tries=3,
                                     details=("does not take writes",),
                                     check_naming="does not take writes")
            assert intakes_in_store(platform) == len(commands.created) + commands.forms_saved
            assert "Exception in ASGI application" not in platform.log()
        finally:
            platform.kill()
        # The kernel keeps a file system whose journal it aborted read-only until it is
        # unmounted and checked (`mount -o remount,rw` is refused): no recovery is possible
        # under the running process. An operator's way back: stop, e2fsck, mount, start.
        assert disk.repair() in ("0", "1")  # 1: errors corrected
        assert "emergency_ro" not in disk.options()
        platform.start()
        try:
            commands.coordinator = platform.signed_in_client()
            works_again(platform, commands)
            assert platform.interrupt(timeout=30) == 0
        finally:
            platform.kill()



# --- PostgreSQL ---------------------------------------------------------------------------------


def _admin(database_url: str, *statements: str) -> None:
    """Run `statements` as the server's admin, about this test's own database only."""
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres",
                         autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement.format(name=name))


def _terminate(database_url: str) -> None:
    _admin(database_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = '{name}' AND pid <> pg_backend_pid()")


def test_postgres_made_read_only_answers_503_and_recovers_without_a_restart(
    tmp_path: Path,
) -> None:
    with store_url("postgres") as url:
        assert url is not None
        platform = RunningPlatform(tmp_path / "var", url, **SWEEP)
        platform.seed()
        platform.start()
        try:
            platform.wait_until_ready()
            commands = Commands(platform)
            assert commands.intake().status_code == 201
            # What a failover to a standby looks like to the platform's connections.
            _admin(url, 'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            _terminate(url)

            refused_during_the_fault(platform, commands, tries=3,
                                     details=("read-only transaction",),
                                     check_naming="ReadOnlySqlTransaction")
            assert intakes_in_store(platform) == len(commands.created) + commands.forms_saved

            _admin(url, 'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            _terminate(url)  # the sessions opened while it was read-only stay so
            works_again(platform, commands)
            assert platform.log().count("Press Ctrl-C to stop.") == 1  # never restarted
            assert "Exception in ASGI application" not in platform.log()
            assert platform.interrupt(timeout=30) == 0
        finally:
            platform.kill()


@contextmanager
def tablespace_on(directory: Path, database_url: str) -> Iterator[None]:
    """The test's database moved to a tablespace in `directory` (before anything connects)."""
    name = f"lgnet_faults_{database_url.rsplit('/', 1)[1]}"[:63]
    location = directory / "tablespace"
    location.mkdir()
    shutil.chown(location, "postgres", "postgres")
    _admin(database_url, f"CREATE TABLESPACE \"{name}\" LOCATION '{location}'",
           f'ALTER DATABASE "{{name}}" SET TABLESPACE "{name}"')
    try:
        yield
    finally:
        _admin(database_url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
               f'DROP TABLESPACE IF EXISTS "{name}"')


def test_postgres_with_its_tablespace_full_answers_503_and_recovers_without_a_restart(
    tmp_path: Path,
) -> None:
    # PostgreSQL (the user postgres) must reach the tablespace: not under pytest's private
    # tmp_path.
    small = Path(tempfile.mkdtemp(prefix="lgnet-faults-pg-"))
    small.chmod(0o755)
    try:
        with (tmpfs(small, 48), store_url("postgres") as url):
            assert url is not None
            with tablespace_on(small, url):
                platform = RunningPlatform(tmp_path / "var", url, **SWEEP)
                platform.seed()
                platform.start()
                try:
                    platform.wait_until_ready()
                    commands = Commands(platform)
                    assert commands.intake().status_code == 201
                    filler = fill(small)

                    refused_during_the_fault(platform, commands, tries=200,
                                             details=("No space left on device",),
                                             check_naming="DiskFull")

                    filler.unlink()
                    works_again(platform, commands)
                    assert platform.log().count("Press Ctrl-C to stop.") == 1
                    assert "Exception in ASGI application" not in platform.log()
                    assert platform.interrupt(timeout=30) == 0
                finally:
                    platform.kill()
    finally:
        small.rmdir()
