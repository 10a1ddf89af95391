"""The indicators for the donor read from PostgreSQL read models (a real server,
`postgres_database`) are those read from SQLite: the scenario of
tests/web/test_donor_indicators.py, whose figures are checked by hand there, projected into both.
The person index's LEFT JOIN, the came-of-age lookup and the decimal hours read alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.bootstrap import Platform
from projections.donor_indicators import DonorIndicatorQueries
from projections.storage.read_models import PostgresReadModels
from tests.integration.test_indicators_postgres import projected_into_postgres
from tests.web.test_donor_indicators import the_scenario

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with the_scenario(tmp_path_factory.mktemp("donor")) as platform:
        yield platform


@pytest.fixture(scope="module")
def on_postgres(
    on_sqlite: Platform, postgres_database: str
) -> Iterator[PostgresReadModels]:
    with projected_into_postgres(on_sqlite, postgres_database) as database:
        yield database


def test_postgresql_gives_the_donor_indicators_sqlite_gives(
    on_sqlite: Platform, on_postgres: PostgresReadModels
) -> None:
    postgres = DonorIndicatorQueries(on_postgres)
    sqlite = DonorIndicatorQueries(on_sqlite.read_models)
    for city in ("milano", "firenze", None):
        assert postgres.report(city) == sqlite.report(city), city
    network = postgres.report(None)
    # The hand-computed figures of tests/web/test_donor_indicators.py.
    assert (network.reached, network.vulnerable, network.minors, network.women) == (4, 3, 2, 1)
    assert (len(network.housed), str(network.days_to_housing.median),
            str(network.days_to_housing.p90)) == (3, "3.0", "8.6")
    assert (len(network.civic_engagement), network.staff_trained,
            network.communication_reach) == (2, 26, 200)
