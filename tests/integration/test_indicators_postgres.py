"""The indicators and their drill-down lists read from PostgreSQL read models (a real server,
`postgres_database`) are those read from SQLite: the scenario of tests/web/test_indicators.py,
whose figures are checked by hand there, projected into both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from infra.bootstrap import Platform
from infra.pipeline.replay import replay_until
from projections.case_list import CaseFilters, CaseListQueries
from projections.indicators import IndicatorQueries
from projections.projection import reset
from projections.registry import default_projections
from projections.storage.read_models import PostgresReadModels
from tests.web.test_indicators import the_scenario

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with the_scenario(tmp_path_factory.mktemp("indicators")) as platform:
        yield platform


@pytest.fixture(scope="module")
def on_postgres(
    on_sqlite: Platform, postgres_database: str
) -> Iterator[PostgresReadModels]:
    with projected_into_postgres(on_sqlite, postgres_database) as database:
        yield database


@contextmanager
def projected_into_postgres(platform: Platform,
                            postgres_database: str) -> Iterator[PostgresReadModels]:
    """Every read model of `platform`'s record, projected afresh into `postgres_database`."""
    database = PostgresReadModels(postgres_database)
    projections = default_projections()
    # The database lives for the whole test run: start from empty read models.
    for projection in projections:
        reset(database, projection)
    everything = datetime.max.replace(tzinfo=UTC)
    replay_until(platform.record, everything, database, projections)  # type: ignore[arg-type]
    try:
        yield database
    finally:
        database.close()


def test_postgresql_gives_the_indicators_sqlite_gives(
    on_sqlite: Platform, on_postgres: PostgresReadModels
) -> None:
    postgres, sqlite = IndicatorQueries(on_postgres), on_sqlite.indicators
    assert postgres.position() == sqlite.position() > 0
    for city in ("milano", "napoli", "roma", None):
        assert postgres.indicators(city) == sqlite.indicators(city), city
    assert postgres.network_dashboard() == sqlite.network_dashboard()


def test_postgresql_gives_the_drill_down_lists_sqlite_gives(
    on_sqlite: Platform, on_postgres: PostgresReadModels
) -> None:
    postgres, sqlite = IndicatorQueries(on_postgres), on_sqlite.indicators
    for filters in ({}, {"destination": "legal_aid"}, {"destination": "partner"},
                    {"status": "accepted"}):
        assert postgres.referrals("milano", **filters) == sqlite.referrals("milano", **filters)
    assert len(postgres.referrals("milano")) == 4
    for outcome, moved_in in ((None, None), ("autonomous_housing", None), (None, False)):
        assert (postgres.placements("milano", outcome, moved_in)
                == sqlite.placements("milano", outcome, moved_in))
    # The case list's drill-down filters: a month as a range of ISO texts, eligibility as a
    # LIKE over the stored JSON (whose "_" and the pattern's "%" PostgreSQL reads as SQLite).
    cases_on_postgres, cases_on_sqlite = CaseListQueries(on_postgres), on_sqlite.case_list
    for case_filters in (CaseFilters(intake_month="2021-01"), CaseFilters(eligible_for="2"),
                         CaseFilters(intake_month="2021-02", eligible_for="4", sex="male")):
        listed = cases_on_postgres.list_cases("milano", case_filters)
        assert listed == cases_on_sqlite.list_cases("milano", case_filters)
        assert listed.total > 0, case_filters
