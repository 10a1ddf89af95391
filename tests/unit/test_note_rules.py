"""Case notes and follow-ups (issue 16, item 4), with the real record and vault: what a note
records, field by field; its text only in the vault, encrypted (never in an event); the limits
(length of the contact, of the text) at the limit and one past; a follow-up not before the
contact; corrections that supersede, never edit; follow-ups done by a later contact; no note on
an erased or closed case nor by another city's staff. A refused note records nothing and keeps
no text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.cases.model import CaseClosed
from domain.cases.rules import CaseOutcome
from domain.cases.service import CaseService
from domain.notes.model import (
    MAX_DURATION_MINUTES,
    MAX_NOTE_LENGTH,
    CaseNotes,
    Contact,
    ContactKind,
    FollowUpBeforeContact,
    FollowUpNotOpen,
    InvalidNote,
    NoteAlreadySuperseded,
    NotesClosed,
    UnknownNote,
)
from domain.notes.service import NoteService
from domain.programme import PROGRAMME_TIMEZONE, City, DomainError
from domain.record import ProgrammeRecord
from infra.store.vault import SqliteVault
from tests.builders import INTAKE_DATE, NOW, a_coordinator, a_person, an_intake

LATER = NOW + timedelta(days=30)  # 2021-04-09
TEXT = "Colloquio con Amina: ha portato il certificato del dottor Quortlemaine."


@dataclass
class Notes:
    service: NoteService
    cases: CaseService
    vault_file: Path

    def case(self, city: City = City.FIRENZE) -> UUID:
        return self.cases.record_intake(uuid4(), an_intake(city), a_person(),
                                        a_coordinator(city), NOW).case_id

    def write(self, case_id: UUID, text: str = TEXT, note_id: UUID | None = None,
              now: datetime = LATER, city: City = City.FIRENZE, **contact: Any) -> UUID:
        note_id = note_id or uuid4()
        self.service.write_note(case_id, note_id, text, a_contact(**contact),
                                a_coordinator(city, id="firenze.operatore"), now)
        return note_id

    def events(self, case_id: UUID) -> list[Any]:
        return list(self.service.record.events.get(CaseNotes.id_for(case_id)))


def a_contact(**overrides: Any) -> Contact:
    values: dict[str, Any] = {"kind": ContactKind.HOME_VISIT, "contacted_on": date(2021, 4, 8),
                              "duration_minutes": 45}
    return Contact(**{**values, **overrides})


@pytest.fixture
def notes(tmp_path: Path) -> Iterator[Notes]:
    vault = SqliteVault(tmp_path / "vault.sqlite", bytes(range(32)))
    record = ProgrammeRecord()
    cases = CaseService(record, vault)
    yield Notes(NoteService(record, vault, cases), cases, tmp_path / "vault.sqlite")
    vault.close()


def refused_with(refused: pytest.ExceptionInfo[DomainError]) -> tuple[str, object]:
    return refused.value.code, refused.value.params.get("field")


def test_a_note_records_its_contact_field_by_field_and_its_text_only_in_the_vault(
    notes: Notes,
) -> None:
    """Free text is personal data (ARCHITECTURE firm point 5, issue 16 item 4): the event carries
    the note's id, kind, date, length, author, follow-up date and the text's digest."""
    case_id = notes.case()
    note_id = uuid4()
    at = datetime(2021, 4, 8, 15, 30, tzinfo=PROGRAMME_TIMEZONE)
    notes.write(case_id, f"  {TEXT}\n", note_id, contacted_at=at,
                follow_up_on=date(2021, 4, 15))

    started, written = notes.events(case_id)
    assert isinstance(started, CaseNotes.Started)
    assert (started.case_id, started.case_code, started.city) == (
        case_id, "FI-2021-00001", "firenze")
    assert isinstance(written, CaseNotes.NoteWritten)
    assert written.case_id == case_id
    assert written.case_code == "FI-2021-00001"
    assert written.city == "firenze"
    assert written.note_id == note_id
    assert written.kind == "home_visit"
    assert written.contacted_on == date(2021, 4, 8)
    assert written.contacted_at == at
    assert written.duration_minutes == 45
    assert written.author == "firenze.operatore"
    assert written.follow_up_on == date(2021, 4, 15)
    assert re.fullmatch(r"[0-9a-f]{64}", written.text_digest)
    assert written.supersedes is None
    assert written.follow_ups_done == []
    assert written.actor == {"kind": "user", "id": "firenze.operatore",
                             "role": "city_coordinator", "city": "firenze"}
    assert written.timestamp == LATER
    assert all("Quortlemaine" not in repr(vars(event)) for event in (started, written))
    assert b"Quortlemaine" not in notes.vault_file.read_bytes()  # encrypted there
    assert notes.service.note_texts(case_id, [note_id]) == {note_id: TEXT}  # trimmed


@pytest.mark.parametrize(("minutes", "accepted"), [
    (1, True), (MAX_DURATION_MINUTES, True), (0, False), (MAX_DURATION_MINUTES + 1, False),
])
def test_a_contact_lasts_from_1_to_720_minutes(notes: Notes, minutes: int,
                                                accepted: bool) -> None:
    case_id = notes.case()
    note_id = uuid4()
    if accepted:
        notes.write(case_id, note_id=note_id, duration_minutes=minutes)
        assert notes.events(case_id)[-1].duration_minutes == minutes
        return
    with pytest.raises(InvalidNote) as refused:
        notes.write(case_id, note_id=note_id, duration_minutes=minutes)
    assert refused_with(refused) == ("invalid_note", "duration_minutes")
    assert notes.events(case_id) == []
    assert notes.service.note_texts(case_id, [note_id]) == {note_id: None}


@pytest.mark.parametrize(("length", "accepted"), [
    (MAX_NOTE_LENGTH, True), (MAX_NOTE_LENGTH + 1, False), (0, False),
])
def test_a_note_s_text_has_up_to_4000_characters(notes: Notes, length: int,
                                                  accepted: bool) -> None:
    case_id = notes.case()
    note_id = uuid4()
    if accepted:
        notes.write(case_id, "x" * length, note_id)
        assert notes.service.note_texts(case_id, [note_id]) == {note_id: "x" * length}
        return
    with pytest.raises(InvalidNote) as refused:
        notes.write(case_id, "x" * length + "   ", note_id)
    assert refused_with(refused) == ("invalid_note", "text")
    assert notes.events(case_id) == []
    assert notes.service.note_texts(case_id, [note_id]) == {note_id: None}


def test_the_next_follow_up_is_not_before_the_contact(notes: Notes) -> None:
    """Issue 16, "How it is checked": "a follow-up date not before the note". The same day is
    allowed (a call back in the afternoon); the day before is refused, and nothing is kept."""
    case_id = notes.case()
    notes.write(case_id, follow_up_on=date(2021, 4, 8))
    note_id = uuid4()
    with pytest.raises(FollowUpBeforeContact) as refused:
        notes.write(case_id, note_id=note_id, follow_up_on=date(2021, 4, 7))
    assert refused_with(refused) == ("follow_up_before_contact", "follow_up_on")
    assert len(notes.events(case_id)) == 2
    assert notes.service.note_texts(case_id, [note_id]) == {note_id: None}


@pytest.mark.parametrize(("contact", "field"), [
    ({"contacted_on": date(2021, 4, 10)}, "contacted_on"),  # tomorrow, in Italy
    ({"contacted_on": INTAKE_DATE - timedelta(days=1)}, "contacted_on"),
    ({"contacted_at": datetime(2021, 4, 7, 10, 0, tzinfo=PROGRAMME_TIMEZONE)}, "contacted_at"),
    ({"contacted_at": datetime(2021, 4, 8, 10, 0)}, "contacted_at"),  # no time zone
    ({"contacted_on": date(2021, 4, 9),
      "contacted_at": datetime(2021, 4, 9, 23, 0, tzinfo=PROGRAMME_TIMEZONE)}, "contacted_at"),
])
def test_a_contact_is_dated_between_the_intake_and_now(
    notes: Notes, contact: dict[str, Any], field: str,
) -> None:
    case_id = notes.case()
    with pytest.raises(InvalidNote) as refused:
        notes.write(case_id, **contact)
    assert refused_with(refused) == ("invalid_note", field)
    assert notes.events(case_id) == []


def test_a_correction_supersedes_the_note_both_kept_once_only(notes: Notes) -> None:
    case_id = notes.case()
    first = notes.write(case_id, "Prima versione", follow_up_on=date(2021, 4, 20))
    correction = notes.write(case_id, "Versione corretta", supersedes=first,
                             kind=ContactKind.PHONE_CALL, follow_up_on=date(2021, 4, 22))
    written = notes.events(case_id)[-1]
    assert (written.note_id, written.supersedes, written.kind, written.follow_up_on) == (
        correction, first, "phone_call", date(2021, 4, 22))
    assert notes.service.note_texts(case_id, [first, correction]) == {
        first: "Prima versione", correction: "Versione corretta"}
    notebook = notes.service.notebook(case_id)
    assert notebook is not None
    assert notebook.notes[first].superseded_by == correction
    assert not notebook.notes[first].follow_up_open  # the correction's follow-up counts
    assert notebook.notes[correction].follow_up_open

    with pytest.raises(NoteAlreadySuperseded) as refused:
        notes.write(case_id, "Ancora", supersedes=first)
    assert refused_with(refused) == ("note_already_superseded", "supersedes")
    with pytest.raises(UnknownNote):
        notes.write(case_id, "Di chi?", supersedes=uuid4())
    assert len(notes.events(case_id)) == 3


def test_a_later_note_marks_a_follow_up_done_and_only_an_open_one(notes: Notes) -> None:
    case_id = notes.case()
    asked = notes.write(case_id, contacted_on=date(2021, 4, 1), follow_up_on=date(2021, 4, 8))
    without = notes.write(case_id, contacted_on=date(2021, 4, 1))
    done = notes.write(case_id, contacted_on=date(2021, 4, 8), follow_ups_done=(asked,))
    assert notes.events(case_id)[-1].follow_ups_done == [asked]
    notebook = notes.service.notebook(case_id)
    assert notebook is not None
    assert notebook.notes[asked].followed_up_by == done
    assert not notebook.notes[asked].follow_up_open

    for not_open in (asked, without):
        with pytest.raises(FollowUpNotOpen) as refused:
            notes.write(case_id, follow_ups_done=(not_open,))
        assert refused_with(refused) == ("follow_up_not_open", "follow_ups_done")
    with pytest.raises(UnknownNote):
        notes.write(case_id, follow_ups_done=(uuid4(),))
    later = notes.write(case_id, contacted_on=date(2021, 4, 5), follow_up_on=date(2021, 4, 9))
    with pytest.raises(FollowUpNotOpen):  # a contact before the note cannot follow it up
        notes.write(case_id, contacted_on=date(2021, 4, 4), follow_ups_done=(later,))
    assert len(notes.events(case_id)) == 5


def test_no_note_on_an_erased_or_closed_case_nor_by_another_city(notes: Notes) -> None:
    erased = notes.case()
    notes.cases.erase_personal_data(erased, date(2021, 4, 1), "PG/2021/1", a_coordinator(), LATER)
    with pytest.raises(NotesClosed) as refused:
        notes.write(erased)
    assert refused_with(refused) == ("notes_closed", "case")

    closed = notes.case()
    notes.cases.close(closed, CaseOutcome.AUTONOMY, date(2021, 4, 1), "Autonoma",
                      a_coordinator(), LATER)
    with pytest.raises(CaseClosed):
        notes.write(closed)

    open_case = notes.case()
    with pytest.raises(NotesClosed):
        notes.write(open_case, city=City.MILANO)
    for case_id in (erased, closed, open_case):
        assert notes.events(case_id) == []


def test_erasure_shreds_the_notes_texts(notes: Notes) -> None:
    """GDPR art. 17: the person's key encrypts their notes too; erasing it erases them."""
    case_id = notes.case()
    note_id = notes.write(case_id)
    notes.cases.erase_personal_data(case_id, date(2021, 4, 9), "PG/2021/2", a_coordinator(),
                                    LATER + timedelta(hours=1))
    assert notes.service.note_texts(case_id, [note_id]) == {note_id: None}
    assert notes.events(case_id)[-1].note_id == note_id  # the fact of the contact stays
