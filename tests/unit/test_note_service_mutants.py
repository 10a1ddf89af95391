"""The notes service's own answers (issue 20): the position a note returns, the notebook started
once, its refusals with their codes, messages and fields where the service raises them, and the
text kept in the vault discarded when the note is then refused or lost. With the real record (in
memory) and the real SQLite vault.

DOMAIN.md, "Data protection": erasure must work — no text is kept on a person erased, and a
command that is not recorded keeps no text."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.notes.model import CaseNotes, Contact, ContactKind
from domain.notes.service import NoteService
from domain.programme import DomainError
from infra.store.vault import SqliteVault
from tests.builders import a_coordinator, field_refusal, last_position
from tests.unit.test_note_rules import LATER, TEXT, Notes, a_contact, notes

__all__ = ["notes"]  # the fixture, as a fixture of this module too
OPERATOR = a_coordinator(id="firenze.operatore")


def test_a_note_returns_the_position_of_its_event_and_starts_the_notebook_once(
    notes: Notes,
) -> None:
    case_id = notes.case()
    assert notes.service.notebook(case_id) is None
    first, second = uuid4(), uuid4()
    at_first = notes.service.write_note(case_id, first, TEXT, a_contact(), OPERATOR, LATER)
    assert at_first == last_position(notes.service.record)
    at_second = notes.service.write_note(case_id, second, "Poi", a_contact(), OPERATOR, LATER)
    assert at_second == at_first + 1 == last_position(notes.service.record)
    started, *written = notes.events(case_id)
    assert isinstance(started, CaseNotes.Started) and started.timestamp == LATER
    assert [type(event).__name__ for event in written] == ["NoteWritten", "NoteWritten"]
    notebook = notes.service.notebook(case_id)
    assert notebook is not None and notebook.id == CaseNotes.id_for(case_id)
    assert list(notebook.notes) == [first, second]


def test_a_note_on_an_unknown_case_is_refused_and_keeps_nothing(notes: Notes) -> None:
    case_id, note_id = uuid4(), uuid4()
    with pytest.raises(DomainError) as refused:
        notes.service.write_note(case_id, note_id, TEXT, a_contact(), OPERATOR, LATER)
    assert field_refusal(refused) == ("notes_closed", "No case has this id.", "case")
    assert refused.value.__suppress_context__
    assert last_position(notes.service.record) == 0
    assert notes.service.note_texts(case_id, [note_id]) == {note_id: None}


class ErasedMeanwhile(SqliteVault):
    """The vault, once the person's key was shredded after the service checked the case."""

    def store_text(self, case_id: UUID, text_id: UUID, text: str) -> str:
        raise LookupError(case_id)


def test_a_person_erased_before_the_text_is_kept_is_refused_as_erased(notes: Notes) -> None:
    """DOMAIN.md, "Data protection": no new note is kept on a person erased."""
    case_id = notes.case()
    vault = ErasedMeanwhile(notes.vault_file, bytes(range(32)))
    service = NoteService(notes.service.record, vault, notes.cases)
    written = last_position(service.record)
    try:
        with pytest.raises(DomainError) as refused:
            service.write_note(case_id, uuid4(), TEXT, a_contact(), OPERATOR, LATER)
    finally:
        vault.close()
    assert field_refusal(refused) == (
        "notes_closed",
        "This person's personal data has been erased: no new note is kept on them.",
        "case",
    )
    assert refused.value.__suppress_context__
    assert last_position(service.record) == written


def test_a_note_refused_after_its_text_was_kept_leaves_no_text(notes: Notes) -> None:
    """The text goes to the vault before the notebook decides; a refusal there discards it."""
    case_id = notes.case()
    note_id = uuid4()
    with pytest.raises(DomainError) as refused:
        notes.service.write_note(
            case_id, note_id, TEXT, a_contact(supersedes=uuid4()), OPERATOR, LATER)
    assert refused.value.code == "unknown_note"
    assert notes.service.note_texts(case_id, [note_id]) == {note_id: None}
    assert notes.events(case_id) == []


def test_the_texts_are_read_per_note_none_for_one_never_kept(notes: Notes) -> None:
    case_id = notes.case()
    kept = notes.write(case_id, "  Primo colloquio  ")
    never = uuid4()
    assert notes.service.note_texts(case_id, [kept, never]) == {
        kept: "Primo colloquio", never: None}
    assert notes.service.note_texts(case_id, []) == {}


class RivalWrites(NoteService):
    """The service, while a colleague writes a note on the same case just after the service
    read the notebook: the service's save loses, and it decides again on the newer notebook."""

    raced = False

    def notebook(self, case_id: UUID) -> CaseNotes | None:
        found = super().notebook(case_id)
        if not self.raced:
            self.raced = True
            NoteService(self.record, self.vault, self.cases).write_note(
                case_id, RIVAL_NOTE, "Del collega", a_contact(), OPERATOR, LATER)
        return found


RIVAL_NOTE = UUID(int=0x417A1)


def test_a_note_lost_to_a_colleague_s_is_written_after_it(notes: Notes) -> None:
    case_id = notes.case()
    racing = RivalWrites(notes.service.record, notes.service.vault, notes.cases)
    mine = uuid4()
    position = racing.write_note(case_id, mine, TEXT, a_contact(
        kind=ContactKind.PHONE_CALL, contacted_on=date(2021, 4, 8)), OPERATOR, LATER)
    assert position == last_position(notes.service.record)
    started, theirs, written = notes.events(case_id)
    assert isinstance(started, CaseNotes.Started)
    assert (theirs.note_id, written.note_id, written.kind) == (RIVAL_NOTE, mine, "phone_call")
    assert notes.service.note_texts(case_id, [mine, RIVAL_NOTE]) == {
        mine: TEXT, RIVAL_NOTE: "Del collega"}


def test_a_contact_as_given_reaches_the_notebook(notes: Notes) -> None:
    case_id = notes.case()
    contact = Contact(ContactKind.ACCOMPANIMENT, date(2021, 4, 7), 30,
                      follow_up_on=date(2021, 4, 21))
    note_id = uuid4()
    notes.service.write_note(case_id, note_id, TEXT, contact, OPERATOR, LATER)
    written = notes.events(case_id)[-1]
    assert (written.note_id, written.kind, written.contacted_on, written.duration_minutes,
            written.follow_up_on, written.author, written.timestamp) == (
        note_id, "accompaniment", date(2021, 4, 7), 30, date(2021, 4, 21),
        "firenze.operatore", LATER)
