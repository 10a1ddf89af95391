"""Case notes as JSON: a case's notes (their text only for the staff of the case's city; the
ministry and auditors see that notes exist, their kind, date, length, author and follow-up,
never their text) and the command that writes a note or a correction. Partner systems have no
access to notes."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from domain.access import Permission, may
from domain.programme import City
from web.areas.notes.requests import (
    CaseToWriteNotesOn,
    CaseWithNotes,
    NoteReceipt,
    NoteRequest,
    write_note,
)
from web.kit.dependencies import Services
from web.kit.principal import ActingPrincipal, SignedIn
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["notes"])


class NoteOut(BaseModel):
    note_id: UUID
    kind: str = Field(description="meeting, phone_call, home_visit or accompaniment")
    contacted_on: date
    contacted_at: datetime | None
    duration_minutes: int
    author: str
    follow_up_on: date | None
    follow_up_open: bool
    supersedes: UUID | None
    superseded_by: UUID | None
    followed_up_by: UUID | None
    text: str | None = Field(
        description="Only for the staff of the case's city; null once the person's data is "
        "erased")


class CaseNotesOut(BaseModel):
    case_id: UUID
    case_code: str
    texts_shown: bool = Field(description="Whether the texts are given to this reader")
    notes: list[NoteOut] = Field(description="The latest contact first")


@router.get("/cases/{case_id}/notes", response_model=CaseNotesOut, name="api_case_notes",
            summary="A case's notes and follow-ups")
def case_notes(case: CaseWithNotes, services: Services, principal: SignedIn) -> CaseNotesOut:
    rows = services.notes_views.notes_of(case.case_id)
    shown = may(principal, Permission.READ_NOTE_TEXTS, City(case.city), at=services.now())
    texts = services.notes.note_texts(case.case_id, [r.note_id for r in rows]) if (
        shown and case.personal_data_erased_on is None) else {}
    return CaseNotesOut(
        case_id=case.case_id, case_code=case.case_code, texts_shown=shown,
        notes=[NoteOut(
            note_id=r.note_id, kind=r.kind, contacted_on=r.contacted_on,
            contacted_at=r.contacted_at, duration_minutes=r.duration_minutes, author=r.author,
            follow_up_on=r.follow_up_on, follow_up_open=r.follow_up_open,
            supersedes=r.supersedes, superseded_by=r.superseded_by,
            followed_up_by=r.followed_up_by, text=texts.get(r.note_id),
        ) for r in rows],
    )


@router.post("/cases/{case_id}/notes", status_code=status.HTTP_201_CREATED,
             response_model=NoteReceipt, name="api_write_case_note",
             summary="Write a note of a contact (or a correction: `supersedes`)")
async def write_case_note(case: CaseToWriteNotesOn, body: NoteRequest, services: Services,
                          actor: ActingPrincipal) -> NoteReceipt:
    return await write_note(services, case, body, actor)
