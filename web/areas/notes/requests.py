"""What a note's form and the API take, who may use them, and the command they carry out, shared
by the pages and the API. A note's text is personal data: it goes to the vault (under the
person's key), never into an event, a log or a read model."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated
from uuid import UUID

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field

from domain.access import Permission
from domain.notes.model import MAX_DURATION_MINUTES, MAX_NOTE_LENGTH, Contact, ContactKind
from domain.programme import PROGRAMME_TIMEZONE, Actor
from projections.case_list import CaseRow
from web.kit.commands import carry_out
from web.kit.inputs import Day
from web.kit.principal import case_where
from web.services import WebServices

# The case in the path, where the principal may see its notes (their kind and date: the
# ministry and auditors too), or read and write their texts (the case's city staff).
CaseWithNotes = Annotated[CaseRow, Depends(case_where(Permission.VIEW_CASE_NOTES))]
CaseToWriteNotesOn = Annotated[CaseRow, Depends(case_where(Permission.READ_NOTE_TEXTS))]


class NoteRequest(BaseModel):
    """A note of one contact with the person, or a correction of a note (`supersedes`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"kind": "home_visit", "contacted_on": "2021-04-08",
                      "contacted_time": "15:30", "duration_minutes": 45,
                      "text": "Visita domiciliare: ...", "follow_up_on": "2021-04-15"}]
    })

    kind: ContactKind
    contacted_on: Day = Field(description="From the intake up to today")
    contacted_time: time | None = Field(
        default=None, description="The time of the contact, on Italian clocks (HH:MM)")
    duration_minutes: int = Field(ge=1, le=MAX_DURATION_MINUTES)
    text: str = Field(min_length=1, max_length=MAX_NOTE_LENGTH,
                      description="What happened: kept encrypted in the vault, never published")
    follow_up_on: Day | None = Field(default=None,
                                      description="The next follow-up, not before the contact")
    supersedes: UUID | None = Field(default=None, description="The note this one corrects")
    follow_ups_done: list[UUID] = Field(
        default_factory=list, description="The case's open follow-ups this contact did")

    def contact(self) -> Contact:
        at = None
        if self.contacted_time is not None:
            at = datetime.combine(self.contacted_on, self.contacted_time.replace(tzinfo=None),
                                  tzinfo=PROGRAMME_TIMEZONE)
        return Contact(
            kind=self.kind, contacted_on=self.contacted_on,
            duration_minutes=self.duration_minutes, contacted_at=at,
            follow_up_on=self.follow_up_on, supersedes=self.supersedes,
            follow_ups_done=tuple(self.follow_ups_done),
        )


class NoteReceipt(BaseModel):
    note_id: UUID
    position: int = Field(description="The event's position in the event log")


async def write_note(services: WebServices, case: CaseRow, request: NoteRequest,
                     actor: Actor) -> NoteReceipt:
    note_id = services.new_id()
    position = await carry_out(services, lambda: services.notes.write_note(
        case.case_id, note_id, request.text, request.contact(), actor, services.now()))
    return NoteReceipt(note_id=note_id, position=position)
