"""The projector with its read models in PostgreSQL (a real server, `postgres_database`), against
a real nats-server: same guarantees, same contents as with SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.nats_server import EmbeddedNats
from infra.projector import default_projections, rebuild
from projections.case_list import CaseFilters, CaseListQueries
from projections.network_overview import NetworkOverviewQueries
from projections.projection import reset
from projections.storage import PostgresReadModels, SqliteReadModels, Tracking
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
    on_postgres = [failing_case_list, default_projections()[1], RecordsOrder(fail_once_at=120)]
    on_sqlite = [*default_projections(), RecordsOrder()]
    await publish(nats_server.url, varied_intakes(1, 150))
    async with (
        projecting(postgres_read_models, on_postgres, nats_server.url, batch_size=50) as projector,
        projecting(sqlite_read_models, on_sqlite, nats_server.url,
                   durable_prefix="sqlite") as reference,
    ):
        await publish(nats_server.url, varied_intakes(151, 50))
        await until_applied(postgres_read_models, on_postgres, 200, projector)
        await until_applied(sqlite_read_models, on_sqlite, 200, reference)
        await until_acknowledged(nats_server.url, on_postgres, 200)

    assert failing_case_list.attempts == 2
    assert RecordsOrder.applied(postgres_read_models) == list(range(1, 201))
    assert postgres_read_models.tracking("case_list") == Tracking(stream_seq=200, position=200)
    projected = contents(postgres_read_models, "rm_test_apply_order")
    assert projected == contents(sqlite_read_models, "rm_test_apply_order")

    cases = CaseListQueries(postgres_read_models)
    page = cases.list_cases("bari", CaseFilters(vulnerability="disability"), page=1, page_size=5)
    assert page.total == sum(
        1 for e in varied_intakes(1, 200)
        if e.data.city == "bari" and "disability" in e.data.vulnerabilities  # type: ignore[attr-defined]
    )
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
