"""The projector with its read models in PostgreSQL (a real server, `postgres_database`), against
a real nats-server: same guarantees, same contents as with SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from infra.nats.server import EmbeddedNats
from infra.pipeline.projector.rebuild import rebuild
from projections.case_list import CaseFilters, CaseListQueries
from projections.network_overview import NetworkOverviewQueries
from projections.projection import reset
from projections.registry import default_projections
from projections.storage.read_models import (
    PostgresReadModels,
    ReadModelDatabase,
    SqliteReadModels,
    Tracking,
)
from tests.integration.test_projections import (
    FailsOnceAt,
    contents,
    projecting,
    publish,
    until_acknowledged,
    until_applied,
    varied_intakes,
)
from tests.unit.test_projections import RecordsOrder

pytestmark = [pytest.mark.nats, pytest.mark.postgres]


@pytest.fixture
def postgres_read_models(postgres_database: str) -> Iterator[PostgresReadModels]:
    database = PostgresReadModels(postgres_database)
    # The database lives for the whole test run: start from empty read models.
    for projection in (*default_projections(), RecordsOrder()):
        reset(database, projection)
    yield database
    database.close()


async def test_the_projector_keeps_postgresql_read_models_like_sqlite_ones(
    nats_server: EmbeddedNats, postgres_read_models: PostgresReadModels, tmp_path: Path
) -> None:
    sqlite_read_models = SqliteReadModels(tmp_path / "readmodels.sqlite")
    failing_case_list = FailsOnceAt(default_projections()[0], position=120)
    on_postgres = [failing_case_list, *default_projections()[1:], RecordsOrder(fail_once_at=120)]
    on_sqlite = [*default_projections(), RecordsOrder()]
    await publish(nats_server.url, varied_intakes(1, 150))
    async with (
        projecting(postgres_read_models, on_postgres, nats_server.url, batch_size=50) as projector,
        projecting(sqlite_read_models, on_sqlite, nats_server.url,
                   durable="sqlite") as reference,
    ):
        await publish(nats_server.url, varied_intakes(151, 50))
        await until_applied(postgres_read_models, on_postgres, 200, projector)
        await until_applied(sqlite_read_models, on_sqlite, 200, reference)
        await until_acknowledged(nats_server.url, 200)

    # One transaction for every projection: the batch holding event 120 failed in the case list,
    # then in the order recorder, and was applied at the third attempt.
    assert failing_case_list.attempts == 3
    assert RecordsOrder.applied(postgres_read_models) == list(range(1, 201))
    assert postgres_read_models.tracking("case_list") == Tracking(stream_seq=200, position=200)
    projected = contents(postgres_read_models, "rm_test_apply_order")
    assert projected == contents(sqlite_read_models, "rm_test_apply_order")

    cases = CaseListQueries(postgres_read_models)
    page = cases.list_cases("bari", CaseFilters(vulnerability="disability"), page=1, page_size=5)
    assert page.total == len([
        e for e in varied_intakes(1, 200)
        if e.data.city == "bari" and "disability" in e.data.vulnerabilities  # type: ignore[attr-defined]
    ])
    assert len(page.rows) == min(5, page.total)
    overview = NetworkOverviewQueries(postgres_read_models).overview()
    assert (len(overview.cities), overview.total_cases) == (19, 200)

    applied = await rebuild(
        postgres_read_models, [*default_projections(), RecordsOrder()], nats_server.url,
        progress=False,
    )
    assert applied == 200
    assert contents(postgres_read_models, "rm_test_apply_order") == projected
    sqlite_read_models.close()


def test_bulk_inserts_keep_existing_rows_and_the_first_of_equal_keys_as_on_sqlite(
    postgres_read_models: PostgresReadModels, tmp_path: Path
) -> None:
    sqlite_read_models = SqliteReadModels(tmp_path / "readmodels.sqlite")
    ddl = "CREATE TABLE IF NOT EXISTS rm_test_bulk (k TEXT, n BIGINT, v TEXT, PRIMARY KEY (k, n))"
    columns, key = ("k", "n", "v"), ("k", "n")
    for database in (postgres_read_models, sqlite_read_models):
        with database.transaction() as tx:
            tx.execute("DROP TABLE IF EXISTS rm_test_bulk")
            tx.execute(ddl)
            tx.insert_new("rm_test_bulk", columns, key, [("a", 1, "old"), ("b", 1, None)])
        with database.transaction() as tx:
            tx.insert_new("rm_test_bulk", columns, key, [
                ("a", 1, "new"), ("c", 2, "first"), ("c", 2, "second"), ("a", 2, "100%?"),
            ])
        with pytest.raises(RuntimeError), database.transaction() as tx:
            tx.insert_new("rm_test_bulk", columns, key, [("d", 1, "rolled back")])
            raise RuntimeError("roll back")

    def rows(database: ReadModelDatabase) -> list[tuple[Any, ...]]:
        with database.reading() as tx:
            return tx.fetchall("SELECT k, n, v FROM rm_test_bulk ORDER BY k, n")

    expected = [("a", 1, "old"), ("a", 2, "100%?"), ("b", 1, None), ("c", 2, "first")]
    assert rows(postgres_read_models) == expected
    assert rows(sqlite_read_models) == expected
    sqlite_read_models.close()


def test_a_bulk_transaction_pipelines_its_statements_and_is_still_all_or_nothing(
    postgres_read_models: PostgresReadModels,
) -> None:
    """`bulk_transaction` (a rebuild's): statements queue in psycopg's pipeline, so `execute`
    cannot say its row count; a query, COPY (`insert_new`) and the end still see every write
    before them, in order; a statement that fails fails the transaction at the end, and nothing
    of it is kept."""
    columns, key = ("k", "n", "v"), ("k", "n")
    with postgres_read_models.transaction() as tx:
        tx.execute("DROP TABLE IF EXISTS rm_test_bulk")
        tx.execute("CREATE TABLE rm_test_bulk (k TEXT, n BIGINT, v TEXT, PRIMARY KEY (k, n))")
    with postgres_read_models.bulk_transaction() as tx:
        assert tx.execute("INSERT INTO rm_test_bulk VALUES (?, ?, ?)", ("a", 1, "x")) == -1
        tx.execute("UPDATE rm_test_bulk SET v = ? WHERE k = ?", ("y", "a"))
        assert tx.fetchall("SELECT k, n, v FROM rm_test_bulk") == [("a", 1, "y")]
        tx.execute("INSERT INTO rm_test_bulk VALUES (?, ?, ?)", ("b", 1, "queued"))
        tx.insert_new("rm_test_bulk", columns, key, [("b", 1, "copied"), ("c", 1, "copied")])
        tx.execute("UPDATE rm_test_bulk SET v = ? WHERE k = ?", ("after copy", "c"))
    with pytest.raises(psycopg.errors.UniqueViolation):
        with postgres_read_models.bulk_transaction() as tx:
            tx.execute("INSERT INTO rm_test_bulk VALUES (?, ?, ?)", ("d", 1, "rolled back"))
            tx.execute("INSERT INTO rm_test_bulk VALUES (?, ?, ?)", ("a", 1, "duplicate"))
    with pytest.raises(RuntimeError), postgres_read_models.bulk_transaction() as tx:
        tx.execute("INSERT INTO rm_test_bulk VALUES (?, ?, ?)", ("e", 1, "rolled back"))
        raise RuntimeError("roll back")
    with postgres_read_models.reading() as tx:
        rows = tx.fetchall("SELECT k, n, v FROM rm_test_bulk ORDER BY k, n")
    assert rows == [("a", 1, "y"), ("b", 1, "queued"), ("c", 1, "after copy")]
    with postgres_read_models.transaction() as tx:
        assert tx.execute("UPDATE rm_test_bulk SET v = ? WHERE k = ?", ("z", "a")) == 1
