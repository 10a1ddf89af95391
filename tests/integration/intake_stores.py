"""The stores an intake writes to, for the tests of intakes on SQLite and on PostgreSQL: the
settings of either (the `settings` fixtures' parameter) and a CaseService over the real record
and vault they name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from domain.cases.service import CaseService
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import open_vault

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def settings_for(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """SQLite under `tmp_path`, or a PostgreSQL database of the test's own (the assertions may
    count every row in it), by the fixture's parameter."""
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "data")
    return Settings(
        data_dir=tmp_path / "data", database_url=request.getfixturevalue("own_postgres_database")
    )


@contextmanager
def case_service(settings: Settings, **options: Any) -> Iterator[CaseService]:
    """A CaseService on the record and the vault `settings` name, closed after."""
    record = open_record(settings)
    vault = open_vault(settings)
    try:
        yield CaseService(record, vault, **options)
    finally:
        vault.close()
        record.close()
