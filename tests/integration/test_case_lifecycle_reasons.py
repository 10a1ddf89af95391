"""Issue 16 item 4: a closure's, reopening's and correction's reason is free text about the
person, kept in the vault under the person's key; the event carries its id and digest. A
refused command keeps no text; a person whose data is erased gets no new text, and their case
is still closed (its reason kept nowhere)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.cases.model import Case, CaseClosed, InvalidClosure, InvalidCorrection
from domain.cases.rules import CaseOutcome, CorrectableField
from domain.cases.service import CaseService
from domain.programme import City
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import open_vault
from tests.builders import NOW, a_coordinator, a_person, an_intake

LATER = NOW + timedelta(days=120)
CLOSED_ON = date(2021, 6, 30)


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[CaseService]:
    settings = Settings(data_dir=tmp_path)
    record, vault = open_record(settings), open_vault(settings)
    yield CaseService(record, vault)
    record.close()
    vault.close()


def take_in(cases: CaseService) -> UUID:
    case_id = uuid4()
    cases.record_intake(case_id, an_intake(City.FIRENZE), a_person(), a_coordinator(), NOW)
    return case_id


def ids(*numbers: int) -> Iterator[UUID]:
    return iter([UUID(int=n) for n in numbers])


def test_the_reasons_are_in_the_vault_and_the_events_carry_their_id_and_digest(
    cases: CaseService,
) -> None:
    case_id = take_in(cases)
    text_ids = ids(1, 2, 3)
    cases.close(case_id, CaseOutcome.AUTONOMY, CLOSED_ON, "  Rents a flat  ", a_coordinator(),
                LATER, new_id=lambda: next(text_ids))
    cases.reopen(case_id, date(2021, 7, 1), "Lost the flat", a_coordinator(), LATER,
                 new_id=lambda: next(text_ids))
    cases.correct_intake(case_id, {CorrectableField.HOUSEHOLD_SIZE: 3}, "Two children",
                         a_coordinator(), LATER, new_id=lambda: next(text_ids))

    events = list(cases.record.repository.event_store.get(case_id))[-3:]
    assert [type(e) for e in events] == [Case.Closed, Case.Reopened, Case.IntakeCorrected]
    assert [e.reason_id for e in events] == [  # type: ignore[attr-defined]
        UUID(int=1), UUID(int=2), UUID(int=3)]
    assert [cases.case_text(case_id, UUID(int=n)) for n in (1, 2, 3)] == [
        "Rents a flat", "Lost the flat", "Two children"]
    digests = [e.reason_digest for e in events]  # type: ignore[attr-defined]
    assert len(set(digests)) == 3 and all(len(d) == 64 for d in digests)
    assert [e.legacy_texts for e in events] == [None, None, None]  # type: ignore[attr-defined]


def test_a_refused_command_keeps_no_reason(cases: CaseService) -> None:
    case_id = take_in(cases)
    written = cases.record.recorder.max_notification_id()
    with pytest.raises(InvalidClosure):  # a date before the intake: refused after the vault
        cases.close(case_id, CaseOutcome.AUTONOMY, date(2021, 1, 1), "Early", a_coordinator(),
                    LATER, new_id=lambda: UUID(int=1))
    with pytest.raises(InvalidCorrection):  # changes nothing
        cases.correct_intake(case_id, {CorrectableField.HOUSEHOLD_SIZE: 1}, "Same",
                             a_coordinator(), LATER, new_id=lambda: UUID(int=2))
    with pytest.raises(InvalidClosure):  # a blank reason: refused before the vault
        cases.close(case_id, CaseOutcome.AUTONOMY, CLOSED_ON, "  ", a_coordinator(), LATER,
                    new_id=lambda: UUID(int=3))
    cases.close(case_id, CaseOutcome.AUTONOMY, CLOSED_ON, "Done", a_coordinator(), LATER,
                new_id=lambda: UUID(int=4))
    with pytest.raises(CaseClosed):  # closed already
        cases.close(case_id, CaseOutcome.AUTONOMY, CLOSED_ON, "Again", a_coordinator(), LATER,
                    new_id=lambda: UUID(int=5))
    assert [cases.case_text(case_id, UUID(int=n)) for n in (1, 2, 3, 4, 5)] == [
        None, None, None, "Done", None]
    assert cases.record.recorder.max_notification_id() == (written or 0) + 1


def test_an_erased_person_s_case_is_closed_without_keeping_a_reason(cases: CaseService) -> None:
    case_id = take_in(cases)
    cases.erase_personal_data(case_id, NOW.date(), "PG/2021/1", a_coordinator(), NOW)
    cases.close(case_id, CaseOutcome.LOST_CONTACT, CLOSED_ON, "No answer since May",
                a_coordinator(), LATER, new_id=lambda: UUID(int=1))
    assert cases.get(case_id).is_closed
    closed = list(cases.record.repository.event_store.get(case_id))[-1]
    assert isinstance(closed, Case.Closed)
    assert (closed.reason_id, closed.reason_digest, closed.legacy_texts) == (None, None, None)
    assert cases.case_text(case_id, UUID(int=1)) is None
