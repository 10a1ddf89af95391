"""Issue 17 item 6, against `lgnet run` on SQLite and on PostgreSQL: `lgnet backup` while the
platform runs; `lgnet restore` into an empty data dir (and an empty database); the restored
platform's relay publishes the store into an empty stream and the projector rebuilds every read
model, equal to the original's, and `lgnet audit verify` passes on it."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.platform import RunningPlatform, read_models, store_url, take_in

pytestmark = [pytest.mark.faults, pytest.mark.nats]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def original(store: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with store_url(store) as url:
        running = RunningPlatform(tmp_path / "original", url)
        running.seed()
        running.start()
        try:
            yield running
        finally:
            running.kill()


@pytest.fixture
def restored_database(store: str) -> Iterator[str | None]:
    with store_url(store) as url:
        yield url


def wait_until_projected(platform: RunningPlatform, client: httpx.Client, position: int) -> None:
    deadline = time.monotonic() + 180
    while client.get("/api/v1/cities/firenze/indicators").json()["position"] < position:
        assert time.monotonic() < deadline, "the read models never caught up"
        time.sleep(0.5)


def test_a_backup_taken_online_restores_into_an_empty_data_dir_with_equal_read_models(
    original: RunningPlatform, restored_database: str | None, tmp_path: Path,
) -> None:
    original.wait_until_ready()
    coordinator = original.signed_in_client()
    last = [take_in(coordinator, number) for number in range(1, 6)][-1]
    assert last.status_code == 201, last.text
    position = last.json()["position"]
    wait_until_projected(original, coordinator, position)

    backup_dir = tmp_path / "backup"
    backed_up = original.lgnet("backup", str(backup_dir))  # online: the platform runs
    assert backed_up.returncode == 0, backed_up.stderr
    assert "keys" in backed_up.stdout
    assert (backup_dir / "keys" / "vault-master.key").is_file()
    assert not (backup_dir / "files" / "nats").exists()  # JetStream is rebuilt, not kept
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    original.wait_until_ready()
    expected = read_models(original)
    assert original.interrupt() == 0

    restored = RunningPlatform(tmp_path / "restored", restored_database)
    restoring = restored.lgnet("restore", str(backup_dir))
    assert restoring.returncode == 0, restoring.stderr
    # Into a data dir (and database) that holds a platform: refused, nothing touched.
    again = restored.lgnet("restore", str(backup_dir))
    assert again.returncode != 0 and "is not empty: restore into an empty data dir" in again.stderr
    if restored_database is not None:  # an empty data dir, but the database is not
        restored.data_dir.rename(tmp_path / "aside")
        restored.data_dir.mkdir()
        again = restored.lgnet("restore", str(backup_dir))
        assert again.returncode != 0 and "is not empty" in again.stderr
        restored.data_dir.rmdir()
        (tmp_path / "aside").rename(restored.data_dir)
    try:
        restored.start()
        restored.wait_until_ready()
        client = restored.signed_in_client()  # the accounts came back
        wait_until_projected(restored, client, position)
        assert client.get(last.headers["Location"]).status_code == 200
        restored.wait_until_ready()
        assert read_models(restored) == expected
        verified = restored.lgnet("audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert restored.interrupt() == 0
    finally:
        restored.kill()
