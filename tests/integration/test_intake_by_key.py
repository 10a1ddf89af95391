"""An intake sent again with the same idempotency key never makes a second case, even when the
process died between the save and the answer (issue 17, item 2: "a client that retries creates a
second case"). The case is saved with a note of the command's key (IntakeByKey), in the same
transaction; the retry finds it. On SQLite and PostgreSQL, the kill a real process's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from domain.cases.model import CaseRegister, IntakeByKey
from domain.cases.service import INTAKE_SAVED, INTAKE_VAULT_WRITTEN, CaseService
from domain.record import ProgrammeRecord
from infra.ages import case_ids
from infra.faults import KILLED_STATUS
from infra.settings import Settings
from infra.vault_sweep import sweep_pending
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.integration.intake_stores import STORES, case_service, settings_for

REPOSITORY = Path(__file__).resolve().parents[2]
KEY = "3f2a9c-digest-of-sender-key-and-city"
GRACE = timedelta(minutes=10)
_INTAKE_WITH_KEY = textwrap.dedent("""
    import sys
    from uuid import UUID
    from infra.bootstrap import build_platform
    from infra.settings import Settings
    from tests.builders import NOW, a_coordinator, a_person, an_intake
    platform = build_platform(Settings())
    platform.cases.record_intake(UUID(sys.argv[1]), an_intake(), a_person(), a_coordinator(),
                                 NOW, command_key=sys.argv[2])
""")


@pytest.fixture(params=STORES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return settings_for(request, tmp_path)


@pytest.fixture
def cases(settings: Settings) -> Iterator[CaseService]:
    with case_service(settings) as service:
        yield service


def intake_killed_at(settings: Settings, point: str, case_id: UUID) -> None:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("LGNET_")
    } | {"LGNET_DATA_DIR": str(settings.data_dir), "LGNET_FAULT_CRASH_AT": point}
    if settings.database_url is not None:
        environment["LGNET_DATABASE_URL"] = settings.database_url
    finished = subprocess.run(
        [sys.executable, "-c", _INTAKE_WITH_KEY, str(case_id), KEY], cwd=REPOSITORY,
        env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == KILLED_STATUS, finished.stderr


def test_an_intake_with_a_key_saves_a_note_naming_its_case_and_nothing_else(
    cases: CaseService,
) -> None:
    receipt = cases.record_intake(UUID(int=1), an_intake(), a_person(), a_coordinator(), NOW,
                                  command_key=KEY)

    events = list(cases.record.events.get(IntakeByKey.id_for(KEY)))
    assert [type(event) for event in events] == [IntakeByKey.Recorded]
    (recorded,) = events
    assert isinstance(recorded, IntakeByKey.Recorded)
    assert recorded.originator_id == IntakeByKey.id_for(KEY)
    assert recorded.originator_version == 1
    assert recorded.timestamp == NOW
    assert recorded.case_id == UUID(int=1)
    # The note's id is the key's, the key itself is nowhere in it.
    assert KEY not in repr(vars(recorded))
    found = cases.intake_by_key(KEY)
    assert found is not None
    assert (found.case_id, found.case_code) == (receipt.case_id, receipt.case_code)
    assert found.position >= receipt.position
    assert cases.intake_by_key("another key") is None
    assert cases.intake_by_key(None) is None


def test_the_same_key_again_returns_the_first_case_and_writes_nothing(
    cases: CaseService,
) -> None:
    first = cases.record_intake(UUID(int=1), an_intake(), a_person(), a_coordinator(), NOW,
                                command_key=KEY)
    end = cases.record.recorder.max_notification_id()

    again = cases.record_intake(UUID(int=2), an_intake(), a_person(), a_coordinator(), NOW,
                                command_key=KEY)

    assert (again.case_id, again.case_code) == (first.case_id, first.case_code)
    assert cases.record.recorder.max_notification_id() == end
    assert list(case_ids(cases.record)) == [UUID(int=1)]
    assert cases.vault.read(UUID(int=2)) is None
    # Without a key, or with another, an intake is a new case.
    other = cases.record_intake(UUID(int=3), an_intake(), a_person(), a_coordinator(), NOW,
                                command_key="another key")
    plain = cases.record_intake(UUID(int=4), an_intake(), a_person(), a_coordinator(), NOW)
    assert {other.case_id, plain.case_id} == {UUID(int=3), UUID(int=4)}
    assert len(list(case_ids(cases.record))) == 3


@pytest.mark.process
def test_an_intake_killed_after_its_save_is_found_by_its_retry_and_kept_by_the_sweep(
    settings: Settings, cases: CaseService,
) -> None:
    intake_killed_at(settings, INTAKE_SAVED, UUID(int=1))

    # The retry (another request, so another case id drawn) finds the case the kill left.
    again = cases.record_intake(UUID(int=2), an_intake(), a_person(), a_coordinator(), NOW,
                                command_key=KEY)

    assert again.case_id == UUID(int=1)
    assert again.case_code == cases.get(UUID(int=1)).case_code
    assert list(case_ids(cases.record)) == [UUID(int=1)]
    assert cases.vault.read(UUID(int=2)) is None
    settled = sweep_pending(cases, datetime.now(UTC) + GRACE + timedelta(seconds=1), GRACE)
    assert (settled.kept, settled.shredded) == (1, 0)
    assert cases.vault.read(UUID(int=1)) == a_person()


@pytest.mark.process
def test_an_intake_killed_before_its_save_is_carried_out_by_its_retry(
    settings: Settings, cases: CaseService,
) -> None:
    intake_killed_at(settings, INTAKE_VAULT_WRITTEN, UUID(int=1))

    again = cases.record_intake(UUID(int=2), an_intake(), a_person(), a_coordinator(), NOW,
                                command_key=KEY)

    assert again.case_id == UUID(int=2)
    assert list(case_ids(cases.record)) == [UUID(int=2)]
    settled = sweep_pending(cases, datetime.now(UTC) + GRACE + timedelta(seconds=1), GRACE)
    assert (settled.kept, settled.shredded) == (0, 1)  # the killed attempt's person only
    assert cases.vault.read(UUID(int=1)) is None
    assert cases.vault.read(UUID(int=2)) == a_person()


def test_the_note_is_never_snapshotted_and_the_case_register_still_is() -> None:
    # One event each: a note has nothing to snapshot; a register issues a number per case.
    assert IntakeByKey not in ProgrammeRecord.snapshotting_intervals
    assert ProgrammeRecord.snapshotting_intervals[CaseRegister] == 100
