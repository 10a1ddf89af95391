"""The words of case notes: kinds of contact, the note event's name, and the refusals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.notes.model import ContactKind
from events.notes import CaseNoteWrittenV1
from web.kit.i18n import N_

CONTACT_KINDS: Mapping[str, str] = {
    ContactKind.MEETING: N_("Meeting"),
    ContactKind.PHONE_CALL: N_("Phone call"),
    ContactKind.HOME_VISIT: N_("Home visit"),
    ContactKind.ACCOMPANIMENT: N_("Accompaniment"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    ContactKind: CONTACT_KINDS,
}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {
    CaseNoteWrittenV1.ce_type(): N_("Note of a contact written"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("invalid_note", None): N_("The note's details are not valid."),
    ("invalid_note", "text"): N_(
        "Write what happened at the contact, in up to %(max_length)s characters."),
    ("invalid_note", "duration_minutes"): N_(
        "Give how long the contact lasted: from 1 to %(max_minutes)s minutes."),
    ("invalid_note", "contacted_on"): N_(
        "The contact is dated from the case's intake up to today."),
    ("invalid_note", "contacted_at"): N_(
        "The time of the contact cannot be later than now."),
    ("follow_up_before_contact", None): N_(
        "The next follow-up cannot be dated before the contact the note records."),
    ("unknown_note", None): N_("The note named is not one of this case's notes."),
    ("note_already_superseded", None): N_(
        "This note was corrected already: correct its correction instead."),
    ("follow_up_not_open", None): N_(
        "A follow-up ticked as done is not open any more (done already, or its note was "
        "corrected), or the contact is dated before the note that asked for it."),
    ("notes_closed", None): N_(
        "No note can be written on this case: its personal data has been erased, or it is "
        "not a case of your city."),
}
