"""No person left in the vault without their case (issue 17, item 1): an intake process killed
between the vault and the record, on SQLite and on PostgreSQL, through the fault-injection hook
(infra/faults.py), leaves a pending person that no duplicate check finds and that the sweep
shreds; killed after the record, the sweep keeps the person with their case."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from domain.cases.service import INTAKE_SAVED, INTAKE_VAULT_WRITTEN, CaseService, UnfinishedIntakes
from domain.identity.keys import identity_keys
from domain.identity.model import PersonIndex
from infra.faults import KILLED_STATUS
from infra.settings import Settings
from infra.store.person_index import open_person_index
from infra.store.vault import VAULT_FILE_NAME
from infra.vault_sweep import sweep_pending
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.integration.intake_stores import STORES, case_service, settings_for

REPOSITORY = Path(__file__).resolve().parents[2]
GRACE = timedelta(minutes=10)
# The intake as `lgnet run`'s web process makes it: the platform built from the settings (the
# environment), the fault point among them.
_INTAKE = textwrap.dedent("""
    from uuid import uuid4
    from infra.bootstrap import build_platform
    from infra.settings import Settings
    from tests.builders import NOW, a_coordinator, a_person, an_intake
    platform = build_platform(Settings())
    case_id = uuid4()
    print(case_id, flush=True)
    platform.cases.record_intake(case_id, an_intake(), a_person(), a_coordinator(), NOW)
""")


@pytest.fixture(params=STORES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return settings_for(request, tmp_path)


def intake_killed_at(settings: Settings, point: str) -> UUID:
    """Run an intake in a process of its own that dies at `point`; the case id it was given."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("LGNET_")
    } | {"LGNET_DATA_DIR": str(settings.data_dir), "LGNET_FAULT_CRASH_AT": point}
    if settings.database_url is not None:
        environment["LGNET_DATABASE_URL"] = settings.database_url
    finished = subprocess.run(
        [sys.executable, "-c", _INTAKE], cwd=REPOSITORY, env=environment, capture_output=True,
        text=True, timeout=120, check=False)
    assert finished.returncode == KILLED_STATUS, finished.stderr
    return UUID(finished.stdout.split()[0])


def people_rows(settings: Settings) -> int:
    """The persons' rows in the vault's tables, erased or not, pending or not."""
    if settings.database_url is None:
        with sqlite3.connect(settings.data_dir / VAULT_FILE_NAME) as connection:
            return int(connection.execute("SELECT count(*) FROM vault_people").fetchone()[0])
    with psycopg.connect(settings.database_url) as connection:
        row = connection.execute("SELECT count(*) FROM vault_people").fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture
def cases(settings: Settings) -> Iterator[CaseService]:
    with case_service(settings) as service:
        yield service


@pytest.fixture
def index(settings: Settings) -> Iterator[PersonIndex]:
    opened = open_person_index(settings)
    yield opened
    opened.close()


@pytest.mark.process
def test_a_person_stored_by_an_intake_killed_before_its_case_is_saved_is_shredded_by_the_sweep(
    settings: Settings, cases: CaseService, index: PersonIndex,
    caplog: pytest.LogCaptureFixture,
) -> None:
    case_id = intake_killed_at(settings, INTAKE_VAULT_WRITTEN)
    vault = cases.vault
    # What the kill left: the person, pending, that the duplicate check does not show.
    assert people_rows(settings) == 1
    assert vault.pending(datetime.now(UTC) + timedelta(seconds=1)) == [case_id]
    assert index.find(identity_keys(a_person())) == []
    # Within the grace period the sweep leaves it: it could be an intake still under way.
    assert sweep_pending(cases, datetime.now(UTC), GRACE) == UnfinishedIntakes(0, 0)
    assert people_rows(settings) == 1

    with caplog.at_level(logging.WARNING, logger="lgnet.vault"):
        settled = sweep_pending(cases, datetime.now(UTC) + GRACE + timedelta(seconds=1), GRACE)
    assert (settled.kept, settled.shredded) == (0, 1)
    assert people_rows(settings) == 0
    assert vault.read(case_id) is None
    assert vault.pending(datetime.now(UTC) + GRACE * 2) == []
    # The log line counts; it names no case.
    assert [r.getMessage() for r in caplog.records] == [
        "Vault sweep: 1 unfinished intakes shredded (their case was never saved), "
        "0 confirmed (their case was saved)"]
    assert str(case_id) not in caplog.text


@pytest.mark.process
def test_a_person_whose_case_was_saved_before_the_kill_is_kept_by_the_sweep(
    settings: Settings, cases: CaseService, index: PersonIndex,
) -> None:
    case_id = intake_killed_at(settings, INTAKE_SAVED)
    vault = cases.vault
    assert cases.get(case_id).case_code == "FI-2021-00001"
    # Saved but not confirmed: pending, so not matched yet.
    assert index.find(identity_keys(a_person())) == []

    settled = sweep_pending(cases, datetime.now(UTC) + GRACE + timedelta(seconds=1), GRACE)
    assert (settled.kept, settled.shredded) == (1, 0)
    assert vault.read(case_id) == a_person()
    assert [found.case_id for found in index.find(identity_keys(a_person()))] == [case_id]
    assert vault.pending(datetime.now(UTC) + GRACE * 2) == []


def test_an_intake_that_completes_leaves_nothing_pending(cases: CaseService) -> None:
    receipt = cases.record_intake(
        UUID(int=7), an_intake(), a_person(), a_coordinator(), NOW)
    assert cases.vault.pending(datetime.now(UTC) + timedelta(days=1)) == []
    assert cases.vault.read(receipt.case_id) == a_person()
