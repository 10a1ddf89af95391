"""Event contracts of case notes (see docs/events.md and docs/workflows/notes.md).

A note's text is personal data: it is never in an event. It is kept in the vault, encrypted with
the person's key (erasure shreds it); the event carries the note's id, which is the text's id in
the vault, and the digest the vault gave the text (an HMAC under the person's key: it proves
which text was written without letting anyone test guesses, and dies with the erasure). The
author is a member of staff (a username), not the person served. Partners never receive notes
(events/partner.py lists no note event)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from events.contracts import CASE_CODE_PATTERN, City, EventContract

# A staff username, as the accounts allow them (infra.store.accounts.users): a code, not free text.
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
ContactKind = Literal["meeting", "phone_call", "home_visit", "accompaniment"]


class CaseNoteWrittenV1(EventContract):
    """A member of the city's staff wrote a note of a contact with the person: its kind, date
    (and time, when given), length and author; optionally the date of the next follow-up. A
    correction is a new note naming the note it supersedes (both are kept); a note may say which
    open follow-ups its contact did (they are done from then on)."""

    aggregate: ClassVar[str] = "case_note"
    event: ClassVar[str] = "written"
    version: ClassVar[int] = 1

    notebook_id: UUID = Field(description="The case's notebook (one per case)")
    case_id: UUID
    case_code: str = Field(pattern=CASE_CODE_PATTERN)
    city: City
    note_id: UUID = Field(description="The note, and its text's id in the vault")
    kind: ContactKind
    contacted_on: date
    contacted_at: AwareDatetime | None = Field(
        default=None, description="The time of the contact, when given; on `contacted_on`")
    duration_minutes: int = Field(ge=1, le=720)
    author: str = Field(pattern=USERNAME_PATTERN,
                        description="The staff member's username (never the person served)")
    follow_up_on: date | None = Field(
        default=None, description="The next follow-up, not before `contacted_on`")
    text_digest: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="The vault's digest of the text (HMAC-SHA256 under the person's key)")
    supersedes: UUID | None = Field(default=None, description="The note this one corrects")
    follow_ups_done: list[UUID] = Field(
        default_factory=list, description="The notes whose follow-up this contact was")


NOTE_CONTRACTS: tuple[type[EventContract], ...] = (CaseNoteWrittenV1,)
