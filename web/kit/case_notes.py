"""The notes section of a case, as the case page (web.areas.cases) and the notes area's own page
(web.areas.notes) both show it: the notes, the latest contact first, each with its text for the
staff of the case's city (read from the vault; never for the ministry or auditors, who see that
notes exist, their kind, date, length, author and follow-up), the open follow-ups, and the form
to write a note (or a correction) for whoever may write one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.access import Permission, Principal, may
from domain.notes.model import MAX_DURATION_MINUTES, MAX_NOTE_LENGTH, ContactKind
from domain.programme import PROGRAMME_TIMEZONE, City
from projections.case_list import CASE_STATUS_OPEN, CaseRow
from projections.notes import NoteRow
from web.kit.forms import FormState
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.vocabulary.notes import CONTACT_KINDS
from web.services import WebServices

NOTE_FORM_ID = "note-form"


@dataclass(frozen=True)
class NoteView:
    row: NoteRow
    kind: str
    """The kind of contact, in words."""
    text: str | None
    """None for who may not read it, and once the person's data is erased."""
    superseded_on: date | None
    """The date of the correction that superseded the note, if one did."""


@dataclass(frozen=True)
class NotesSection:
    case_id: UUID
    notes: tuple[NoteView, ...]
    open_follow_ups: tuple[NoteView, ...]
    may_read_texts: bool
    may_write: bool
    erased: bool
    form: FormState
    kinds: list[tuple[str, str]]
    today: date
    """Today in Italy: a follow-up before it is overdue."""
    max_text: int = MAX_NOTE_LENGTH
    max_minutes: int = MAX_DURATION_MINUTES


def notes_section(
    services: WebServices, principal: Principal, translator: Translator, case: CaseRow,
    form: FormState | None = None,
) -> NotesSection | None:
    """The section, or None for whoever may not see a case's notes at all (partners)."""
    city = City(case.city)
    now = services.now()
    if not may(principal, Permission.VIEW_CASE_NOTES, city, at=now):
        return None
    erased = case.personal_data_erased_on is not None
    may_read = may(principal, Permission.READ_NOTE_TEXTS, city, at=now)
    rows = services.notes_views.notes_of(case.case_id)
    texts = services.notes.note_texts(case.case_id, [r.note_id for r in rows]) if (
        may_read and not erased) else {}
    labels = Labels(translator)
    by_id = {row.note_id: row for row in rows}
    views = tuple(
        NoteView(row, labels.label(CONTACT_KINDS, row.kind), texts.get(row.note_id),
                 by_id[row.superseded_by].contacted_on if row.superseded_by in by_id else None)
        for row in rows)
    today = now.astimezone(PROGRAMME_TIMEZONE).date()
    return NotesSection(
        case_id=case.case_id,
        notes=views,
        open_follow_ups=tuple(sorted((v for v in views if v.row.follow_up_open),
                                     key=lambda v: v.row.follow_up_on or date.max)),
        may_read_texts=may_read and not erased,
        may_write=(may_read and not erased and case.status == CASE_STATUS_OPEN
                   and may(principal, Permission.RECORD_CASE_WORK, city, at=now)),
        erased=erased,
        form=form or FormState(values={"contacted_on": today.isoformat(),
                                       "kind": ContactKind.MEETING.value}),
        kinds=labels.choices(CONTACT_KINDS, ContactKind),
        today=today,
    )
