"""The case application service against a real SQLite event store and the real vault."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from domain.cases.model import (
    InvalidErasureRequest,
    PersonalDataAlreadyErased,
    ReceptionHistory,
    ReceptionNameOutOfPeriod,
)
from domain.cases.rules import ReceptionCentreKind, ReceptionSituation
from domain.cases.service import CaseService
from domain.programme import City
from domain.vault import AccessReason
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import open_vault
from tests.builders import NOW, a_coordinator, a_person, an_intake


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[CaseService]:
    settings = Settings(data_dir=tmp_path)
    record = open_record(settings)
    yield CaseService(record, open_vault(settings))
    record.close()


def test_intakes_in_two_cities_get_independent_gapless_codes(cases: CaseService) -> None:
    codes = [
        cases.record_intake(
            uuid4(), an_intake(city), a_person(), a_coordinator(city), NOW
        ).case_code
        for city in (City.FIRENZE, City.MILANO, City.FIRENZE)
    ]
    assert codes == ["FI-2021-00001", "MI-2021-00001", "FI-2021-00002"]


def test_concurrent_intakes_never_share_a_case_code(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    # Separate record instances (separate connections and caches), as separate web workers have.
    services = [CaseService(open_record(settings), open_vault(settings)) for _ in range(4)]

    def take_in(index: int) -> str:
        service = services[index % len(services)]
        return service.record_intake(
            uuid4(), an_intake(), a_person(), a_coordinator(), NOW
        ).case_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(take_in, range(40)))
    assert sorted(codes) == [f"FI-2021-{n:05d}" for n in range(1, 41)]


def test_a_refused_intake_writes_nothing(cases: CaseService) -> None:
    case_id = uuid4()
    with pytest.raises(ReceptionNameOutOfPeriod):  # SIPROIMI was SAI from 22 October 2020
        cases.record_intake(
            case_id,
            an_intake(reception=ReceptionHistory(ReceptionSituation.IN_RECEPTION,
                                                 centre_kind=ReceptionCentreKind.SIPROIMI)),
            a_person(),
            a_coordinator(),
            NOW,
        )
    assert cases.record.recorder.max_notification_id() is None
    assert cases.vault.read(case_id) is None


def test_the_case_keeps_no_identifier_but_the_vault_returns_them(cases: CaseService) -> None:
    person = a_person(given_name="Zyxwabena")
    receipt = cases.record_intake(uuid4(), an_intake(), person, a_coordinator(), NOW)
    case = cases.get(receipt.case_id)
    assert "Zyxwabena" not in repr(vars(case))
    assert cases.vault.read(receipt.case_id) == person


def test_reading_identifiers_is_logged_with_who_when_and_why(cases: CaseService) -> None:
    receipt = cases.record_intake(uuid4(), an_intake(), a_person(), a_coordinator(), NOW)
    later = NOW + timedelta(hours=2)
    person = cases.reveal_identifiers(
        receipt.case_id, AccessReason.CONTACT_PERSON, a_coordinator(), later
    )
    assert person == a_person()
    (access,) = cases.vault.accesses()
    assert (access.at, access.actor_id, access.case_code, access.reason) == (
        later,
        a_coordinator().id,
        receipt.case_code,
        AccessReason.CONTACT_PERSON,
    )


def test_erasure_shreds_the_identifiers_and_records_it_without_them(cases: CaseService) -> None:
    receipt = cases.record_intake(uuid4(), an_intake(), a_person(), a_coordinator(), NOW)
    position = cases.erase_personal_data(
        receipt.case_id, NOW.date(), "PG/2021/0042", a_coordinator(), NOW
    )
    assert position > receipt.position
    assert cases.vault.read(receipt.case_id) is None
    case = cases.get(receipt.case_id)
    assert case.personal_data_erased and case.case_code == receipt.case_code
    erased = cases.record.recorder.select_notifications(position, 1)[0]
    assert b"PG/2021/0042" in erased.state and b"Tesfaye" not in erased.state


def test_erasure_twice_or_without_reference_is_refused_and_writes_nothing(
    cases: CaseService,
) -> None:
    receipt = cases.record_intake(uuid4(), an_intake(), a_person(), a_coordinator(), NOW)
    with pytest.raises(InvalidErasureRequest):
        cases.erase_personal_data(receipt.case_id, NOW.date(), "  ", a_coordinator(), NOW)
    assert cases.vault.read(receipt.case_id) == a_person()
    cases.erase_personal_data(receipt.case_id, NOW.date(), "PG/1", a_coordinator(), NOW)
    end = cases.record.recorder.max_notification_id()
    with pytest.raises(PersonalDataAlreadyErased):
        cases.erase_personal_data(receipt.case_id, NOW.date(), "PG/2", a_coordinator(), NOW)
    assert cases.record.recorder.max_notification_id() == end
