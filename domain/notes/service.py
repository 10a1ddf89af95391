"""Application service for case notes: the note's text to the vault (under the person's key),
then the note to the case's notebook; a refusal leaves neither. Who may write and read notes
(the staff of the case's city; the ministry and auditors see that notes exist, never their
text) is checked by the caller against domain.access."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.notes.model import (
    CaseNotes,
    CaseToNote,
    Contact,
    NotesClosed,
    check_contact,
    check_notable,
    check_note_text,
)
from domain.programme import Actor
from domain.record import ProgrammeRecord, save_decided
from domain.vault import PersonalDataVault

# Two staff writing on one case at once: the later save conflicts and is decided again.
_SAVE_ATTEMPTS = 5


class CasesToNote(Protocol):
    """Where the service finds the case (the cases context's CaseService)."""

    def get(self, case_id: UUID) -> CaseToNote:
        """The case with this id; raises a LookupError when there is none."""
        ...


class NoteService:
    def __init__(self, record: ProgrammeRecord, vault: PersonalDataVault,
                 cases: CasesToNote) -> None:
        self.record = record
        self.vault = vault
        self.cases = cases

    def write_note(
        self, case_id: UUID, note_id: UUID, text: str, contact: Contact, actor: Actor,
        now: datetime,
    ) -> int:
        """Write a note of a contact (a correction when `contact.supersedes` names a note);
        returns the event's position. The text goes to the vault first, under `note_id`; if the
        note is then refused, the text is discarded: nothing is kept."""
        text = check_note_text(text)
        case = self._case(case_id)
        check_notable(case, actor)  # before anything reaches the vault
        check_contact(case, contact, now)
        try:
            digest = self.vault.store_text(case_id, note_id, text)
        except LookupError:
            raise NotesClosed(
                "This person's personal data has been erased: no new note is kept on them.",
                field="case") from None

        def decide() -> list[CaseNotes]:
            current = self._case(case_id)  # afresh: a rival may have closed it meanwhile
            notebook = self.notebook(case_id) or CaseNotes.start(current, now)
            notebook.write(current, note_id, contact, digest, actor, now)
            return [notebook]

        try:
            return save_decided(self.record, decide, _SAVE_ATTEMPTS)
        except BaseException:
            self.vault.discard_text(case_id, note_id)
            raise

    def note_texts(self, case_id: UUID, note_ids: Iterable[UUID]) -> dict[UUID, str | None]:
        """The texts of the case's notes (None: erased). Whether the reader may see them is the
        access policy's call, made before this is called."""
        return {note_id: self.vault.read_text(case_id, note_id) for note_id in note_ids}

    def notebook(self, case_id: UUID) -> CaseNotes | None:
        try:
            notebook: object = self.record.repository.get(CaseNotes.id_for(case_id))
        except AggregateNotFoundError:
            return None
        assert isinstance(notebook, CaseNotes)
        return notebook

    def _case(self, case_id: UUID) -> CaseToNote:
        try:
            return self.cases.get(case_id)
        except LookupError:
            raise NotesClosed("No case has this id.", field="case") from None
