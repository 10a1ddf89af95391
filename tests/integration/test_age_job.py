"""The age job (issue 12 item 7) with the real parts: a SQLite event store and vault in a data
dir, `lgnet cases age`, the relay and a real nats-server. Idempotent; erased people skipped and
only counted; nothing it publishes says more than the month of a birth (GDPR art. 5(1)(c))."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from typer.testing import CliRunner

from domain.cases.model import Case
from domain.cases.rules import Vulnerability
from domain.cases.service import CaseService
from domain.record import ProgrammeRecord
from domain.vault import PersonalDataVault
from infra.ages import AgeRun, follow_ages, run_age_job
from infra.cli.cases import cases_app
from infra.nats.server import EmbeddedNats
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import PostgresVault, open_vault
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.conftest import relayed
from tests.integration.test_postgres_core import MASTER_KEY, database_url  # noqa: F401

# 1 June 2021, early morning: the first run after May, when both minors below turned 18.
FIRST_OF_JUNE = datetime(2021, 6, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[ProgrammeRecord, PersonalDataVault, CaseService]]:
    settings = Settings(data_dir=tmp_path)
    record = open_record(settings)
    vault = open_vault(settings)
    try:
        yield record, vault, CaseService(record, vault)
    finally:
        vault.close()
        record.close()


def take_in(cases: CaseService, birth_date: date, **overrides: Any) -> UUID:
    receipt = cases.record_intake(
        uuid4(), an_intake(birth_date=birth_date, **overrides), a_person(birth_date=birth_date),
        a_coordinator(), NOW)
    return receipt.case_id


@pytest.mark.nats
async def test_the_job_records_each_coming_of_age_once_skips_the_erased_and_says_only_the_month(
    parts: tuple[ProgrammeRecord, PersonalDataVault, CaseService], nats_server: EmbeddedNats,
    caplog: pytest.LogCaptureFixture,
) -> None:
    record, _vault, cases = parts
    take_in(cases, date(2003, 5, 2), vulnerabilities=frozenset({Vulnerability.UNACCOMPANIED_MINOR}))
    take_in(cases, date(2003, 5, 30))
    take_in(cases, date(1990, 5, 17))
    erased = take_in(cases, date(2003, 5, 11))
    cases.erase_personal_data(erased, date(2021, 3, 10), "PG/2021/1", a_coordinator(), NOW)

    with caplog.at_level(logging.INFO, logger="lgnet.ages"):
        first = follow_ages(record, cases, FIRST_OF_JUNE)
    assert first == AgeRun(updated=2, up_to_date=1, erased=1)
    assert caplog.messages == [
        "Age job: 4 cases, 2 updated, 1 up to date, 1 skipped (personal data erased)"]
    assert follow_ages(record, cases, FIRST_OF_JUNE) == AgeRun(0, 3, 1)  # idempotent

    messages = [m for m in await relayed(record, nats_server.url)
                if m.subject.endswith((".came_of_age", ".age_band_changed"))]
    assert [m.subject for m in messages] == [
        "lgnet.firenze.case.came_of_age", "lgnet.firenze.case.age_band_changed"] * 2
    bodies = [json.loads(m.data) for m in messages]
    headers = [m.headers or {} for m in messages]
    assert {h["ce-time"] for h in headers} == {"2021-06-01T03:00:00+00:00"}
    assert {h["ce-actorkind"] for h in headers} == {"system"}
    for body in bodies:
        assert body["from_month"] == "2021-06"
        for name, value in body.items():
            # No date anywhere in the body: only the month.
            assert not (isinstance(value, str) and len(value) == 10 and value[4] == "-"
                        and value[7] == "-"), name
    # Born on the 2nd and on the 30th of May: the same bodies but for the case.
    anonymous = [{k: v for k, v in b.items() if k not in ("case_id", "case_code")}
                 for b in bodies]
    assert anonymous[0]["vulnerabilities"] == []
    assert anonymous[2:] == anonymous[:2]


def test_lgnet_cases_age_runs_the_job_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGNET_DATA_DIR", str(tmp_path))
    settings = Settings(data_dir=tmp_path)
    record, vault = open_record(settings), open_vault(settings)
    try:
        cases = CaseService(record, vault)
        receipt = cases.record_intake(uuid4(), an_intake(birth_date=date(2003, 5, 20)),
                                      a_person(birth_date=date(2003, 5, 20)), a_coordinator(), NOW)
    finally:
        vault.close()
        record.close()
    result = CliRunner().invoke(cases_app, ["age"])
    assert result.exit_code == 0, result.output
    assert "1 cases, 1 updated, 0 up to date, 0 skipped" in result.output
    record = open_record(settings)
    try:
        case: object = record.repository.get(receipt.case_id)
        assert isinstance(case, Case) and not case.is_minor
    finally:
        record.close()
    again = CliRunner().invoke(cases_app, ["age"])
    assert "1 cases, 0 updated, 1 up to date" in again.output


@pytest.mark.postgres
def test_the_postgres_vault_keeps_texts_under_the_persons_key_and_erasure_shreds_them(
    database_url: str,  # noqa: F811
) -> None:
    vault = PostgresVault(database_url, MASTER_KEY)
    try:
        case_id, text_id = uuid4(), uuid4()
        with pytest.raises(LookupError):
            vault.store_text(case_id, text_id, "no key yet")
        vault.store(case_id, a_person())
        digest = vault.store_text(case_id, text_id, "Sordità parziale")
        assert len(digest) == 64
        assert vault.read_text(case_id, text_id) == "Sordità parziale"
        with psycopg.connect(database_url) as connection:
            row = connection.execute(
                "SELECT ciphertext FROM vault_texts WHERE case_id = %s", (case_id,)).fetchone()
        assert row is not None
        assert "Sordità".encode() not in bytes(row[0])
        vault.discard_text(case_id, uuid4())  # unknown: nothing happens
        assert vault.erase(case_id) is True
        assert vault.read_text(case_id, text_id) is None
    finally:
        vault.close()


async def test_lgnet_run_runs_the_job_at_start_and_again_on_schedule(
    parts: tuple[ProgrammeRecord, PersonalDataVault, CaseService],
) -> None:
    """Inside `lgnet run` (infra.runtime.run_parts starts it): at start, then every day (here
    every 50 ms), until the platform stops."""
    record, _vault, cases = parts
    minor = take_in(cases, date(2003, 5, 20))
    moments = iter([datetime(2021, 5, 31, 3, tzinfo=UTC), FIRST_OF_JUNE])
    seen: list[datetime] = []

    def clock() -> datetime:
        seen.append(next(moments, FIRST_OF_JUNE))
        return seen[-1]

    stop = asyncio.Event()
    job = asyncio.create_task(
        run_age_job(record, cases, clock, stop, every=timedelta(seconds=0.05)))
    for _wait in range(100):
        await asyncio.sleep(0.02)
        if len(seen) >= 3:
            break
    stop.set()
    await asyncio.wait_for(job, 5)
    assert len(seen) >= 3
    case: object = cases.get(minor)
    assert isinstance(case, Case) and not case.is_minor and case.adult_from == "2021-06"
