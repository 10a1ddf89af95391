"""`lgnet check` writes into each store (issue 17, item 5), so that a read-only store is found
when the platform starts: one line naming it, no traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from infra.bootstrap import build_platform
from infra.cli.main import app
from infra.settings import Settings
from infra.store.writable import unwritable_stores


def test_every_sqlite_store_takes_the_check_s_write_and_keeps_nothing_of_it(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    build_platform(settings).close()
    files = sorted(p.name for p in tmp_path.glob("*.sqlite"))
    assert files == ["accounts.sqlite", "events.sqlite", "readmodels.sqlite", "vault.sqlite"]

    assert unwritable_stores(settings) == []

    for name in files:
        with sqlite3.connect(tmp_path / name) as connection:
            rows = connection.execute("SELECT count(*) FROM lgnet_write_check").fetchone()
        assert rows == (0,), name


@pytest.mark.postgres
def test_a_read_only_postgres_database_fails_the_check_with_one_line(
    own_postgres_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=own_postgres_database)
    build_platform(settings).close()
    assert unwritable_stores(settings) == []
    name = own_postgres_database.rsplit("/", 1)[1]
    with psycopg.connect(own_postgres_database.rsplit("/", 1)[0] + "/postgres",
                         autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    monkeypatch.setenv("LGNET_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LGNET_DATABASE_URL", own_postgres_database)

    result = CliRunner().invoke(app, ["check"])

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "store: NOT READY: PostgreSQL does not take writes: ReadOnlySqlTransaction: cannot "
        "execute CREATE TABLE "
        "in a read-only transaction"]
    assert "Traceback" not in result.output
