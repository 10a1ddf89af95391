"""Case notes and follow-ups: a dated note of each contact with the person (a meeting, a phone
call, a home visit, an accompaniment), its length, who wrote it and, optionally, when to follow
it up.

A note's text is free text, hence personal data: it lives only in the personal-data vault,
encrypted with the person's key (so erasure shreds it); the events carry its id, its kind, date,
length, author, follow-up date and the digest the vault gave the text. A note is never edited: a
correction is a new note that supersedes it, and both are kept. A follow-up stays open until a
later note says it is done (the note of the contact that followed it up), or a correction
supersedes the note that asked for it (the correction's own follow-up date is then the one that
counts). docs/workflows/notes.md tells the whole."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.programme import PROGRAMME_TIMEZONE, Actor, City, DomainError, programme_today
from domain.record import snapshotted_every

MAX_NOTE_LENGTH = 4_000
"""A note's text, in characters: a page of notes."""
MAX_DURATION_MINUTES = 720
"""A contact lasts at most 12 hours (an accompaniment can take a day, never more)."""

_NOTEBOOK_NAMESPACE = UUID("4b0f6a9e-7c53-4f0e-9d1a-2f8e1f3c5a71")


class ContactKind(StrEnum):
    MEETING = "meeting"
    PHONE_CALL = "phone_call"
    HOME_VISIT = "home_visit"
    ACCOMPANIMENT = "accompaniment"


class NoteError(DomainError):
    """Raised when a note breaks a rule of case work."""

    code = "note_error"


class InvalidNote(NoteError):
    """Raised when a note's text, date, time or length is not valid."""

    code = "invalid_note"


class FollowUpBeforeContact(NoteError):
    """Raised when the next follow-up is dated before the contact the note records."""

    code = "follow_up_before_contact"


class UnknownNote(NoteError):
    """Raised when a note to correct, or whose follow-up is done, is not one of the case's."""

    code = "unknown_note"


class NoteAlreadySuperseded(NoteError):
    """Raised when a note that a correction already superseded would be corrected again (the
    correction is what to correct)."""

    code = "note_already_superseded"


class FollowUpNotOpen(NoteError):
    """Raised when a note says it did a follow-up that is not open (none was asked, it is done
    already, or its note was superseded)."""

    code = "follow_up_not_open"


class NotesClosed(NoteError):
    """Raised when a note would be written on a case whose personal data is erased (no new text
    is kept on the person) or on a case of another city than the author's."""

    code = "notes_closed"


class CaseToNote(Protocol):
    """What a note needs of its case (the cases context's Case is one)."""

    @property
    def id(self) -> UUID: ...

    @property
    def case_code(self) -> str: ...

    @property
    def city(self) -> City: ...

    @property
    def intake_date(self) -> date: ...

    @property
    def personal_data_erased(self) -> bool: ...

    def require_open(self) -> None:
        """Refuse (the cases context's own error) when the case is closed."""


@dataclass(frozen=True)
class Contact:
    """What a note records of one contact, its text aside."""

    kind: ContactKind
    contacted_on: date
    duration_minutes: int
    contacted_at: datetime | None = None
    """The time of the contact, when it is worth saying; its date in Italy is `contacted_on`."""
    follow_up_on: date | None = None
    supersedes: UUID | None = None
    """The note this one corrects."""
    follow_ups_done: tuple[UUID, ...] = ()
    """The notes whose follow-up this contact was."""


@dataclass(frozen=True)
class NoteState:
    note_id: UUID
    contacted_on: date
    follow_up_on: date | None
    superseded_by: UUID | None = None
    followed_up_by: UUID | None = None

    @property
    def follow_up_open(self) -> bool:
        return (self.follow_up_on is not None and self.superseded_by is None
                and self.followed_up_by is None)


def check_note_text(text: str) -> str:
    """The text as kept: trimmed, not empty, at most MAX_NOTE_LENGTH characters."""
    kept = text.strip()
    if not kept or len(kept) > MAX_NOTE_LENGTH:
        raise InvalidNote(
            f"Write what happened at the contact, in up to {MAX_NOTE_LENGTH:,} characters.",
            field="text", max_length=MAX_NOTE_LENGTH,
        )
    return kept


@snapshotted_every(50)
class CaseNotes(Aggregate):
    """The notes of one case (its notebook): one per case, named after it."""

    class Started(Aggregate.Created):
        case_id: UUID
        case_code: str
        city: str

    def __init__(self, case_id: UUID, case_code: str, city: str) -> None:
        self.case_id = case_id
        self.case_code = case_code
        self.notes: dict[UUID, NoteState] = {}

    @staticmethod
    def id_for(case_id: UUID) -> UUID:
        return uuid5(_NOTEBOOK_NAMESPACE, f"case-notes/{case_id}")

    @classmethod
    def start(cls, case: CaseToNote, now: datetime) -> CaseNotes:
        return cls._create(cls.Started, id=cls.id_for(case.id), timestamp=now,
                           case_id=case.id, case_code=case.case_code, city=case.city.value)

    class NoteWritten(Aggregate.Event):
        case_id: UUID
        case_code: str
        city: str
        note_id: UUID
        kind: str
        contacted_on: date
        contacted_at: datetime | None
        duration_minutes: int
        author: str
        follow_up_on: date | None
        text_digest: str
        supersedes: UUID | None
        follow_ups_done: list[UUID]
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, CaseNotes)
            notes = aggregate.notes
            notes[self.note_id] = NoteState(self.note_id, self.contacted_on, self.follow_up_on)
            if self.supersedes is not None:
                notes[self.supersedes] = replace(notes[self.supersedes],
                                                 superseded_by=self.note_id)
            for done in self.follow_ups_done:
                notes[done] = replace(notes[done], followed_up_by=self.note_id)

    def write(
        self, case: CaseToNote, note_id: UUID, contact: Contact, text_digest: str, actor: Actor,
        now: datetime,
    ) -> None:
        """Record a note (its text already kept in the vault, `text_digest` its digest there).
        Every rule is checked before anything is recorded."""
        check_notable(case, actor)
        check_contact(case, contact, now)
        if note_id in self.notes:
            raise InvalidNote("This note is recorded already.", field="note")
        if contact.supersedes is not None:
            corrected = self.notes.get(contact.supersedes)
            if corrected is None:
                raise UnknownNote("The note to correct is not one of this case's notes.",
                                  field="supersedes")
            if corrected.superseded_by is not None:
                raise NoteAlreadySuperseded(
                    "This note was corrected already: correct its correction instead.",
                    field="supersedes")
        for done in contact.follow_ups_done:
            state = self.notes.get(done)
            if state is None:
                raise UnknownNote("A follow-up marked done is not one of this case's notes.",
                                  field="follow_ups_done")
            if not state.follow_up_open or done == contact.supersedes:
                raise FollowUpNotOpen(
                    "A follow-up marked done is not open: it is done already, or its note "
                    "was corrected.", field="follow_ups_done")
            if contact.contacted_on < state.contacted_on:
                raise FollowUpNotOpen(
                    "A follow-up is done by a contact on or after the note that asked for it.",
                    field="follow_ups_done")
        self.trigger_event(
            self.NoteWritten, timestamp=now, case_id=case.id, case_code=case.case_code,
            city=case.city.value, note_id=note_id, kind=contact.kind.value,
            contacted_on=contact.contacted_on, contacted_at=contact.contacted_at,
            duration_minutes=contact.duration_minutes, author=actor.id,
            follow_up_on=contact.follow_up_on, text_digest=text_digest,
            supersedes=contact.supersedes, follow_ups_done=list(dict.fromkeys(
                contact.follow_ups_done)),
            actor=actor.as_record(),
        )


def check_notable(case: CaseToNote, actor: Actor) -> None:
    """Refuse a note on an erased case, on a closed one (the cases context's error), or by
    someone who does not work for the case's city."""
    if actor.city != case.city:
        raise NotesClosed("Only the staff of the case's city write its notes.", field="case")
    if case.personal_data_erased:
        raise NotesClosed(
            "This person's personal data has been erased: no new note is kept on them.",
            field="case")
    case.require_open()


def check_contact(case: CaseToNote, contact: Contact, now: datetime) -> None:
    """A contact's facts: on or after the intake, not in the future, of a length in minutes
    from 1 to MAX_DURATION_MINUTES, with a follow-up not before it."""
    if contact.contacted_on > programme_today(now):
        raise InvalidNote("A contact cannot be noted before it happens.", field="contacted_on")
    if contact.contacted_on < case.intake_date:
        raise InvalidNote("A contact of the case is on or after its intake.",
                          field="contacted_on")
    if contact.contacted_at is not None:
        if contact.contacted_at.tzinfo is None:
            raise InvalidNote("The time of the contact needs its time zone.",
                              field="contacted_at")
        if contact.contacted_at.astimezone(PROGRAMME_TIMEZONE).date() != contact.contacted_on:
            raise InvalidNote("The time of the contact is on its date.", field="contacted_at")
        if contact.contacted_at > now:
            raise InvalidNote("A contact cannot be noted before it happens.",
                              field="contacted_at")
    if not 1 <= contact.duration_minutes <= MAX_DURATION_MINUTES:
        raise InvalidNote(
            f"A contact lasts from 1 to {MAX_DURATION_MINUTES} minutes.",
            field="duration_minutes", max_minutes=MAX_DURATION_MINUTES)
    if contact.follow_up_on is not None and contact.follow_up_on < contact.contacted_on:
        raise FollowUpBeforeContact(
            "The next follow-up cannot be dated before the contact the note records.",
            field="follow_up_on")
