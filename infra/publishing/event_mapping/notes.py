"""Case notes' public events. The notebook's creation (CaseNotes.Started) is internal: it only
names the case the notebook is for. The note's text is never here: only its id and digest."""

from __future__ import annotations

from domain.notes.model import CaseNotes
from events.notes import CaseNoteWrittenV1
from infra.publishing.event_mapping import PublicEvent

NOTE_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(CaseNotes.NoteWritten, CaseNoteWrittenV1, id_field="notebook_id"),
)
