"""Case notes at their edges, on the aggregate alone (issue 20): every refusal's class, `code`,
message and parameters where the rule is broken, each limit at the limit and one past it, each
date on its earliest day and the day before, today and tomorrow in Italy, and every event field by
field with the notebook's state after it. A mutation run (docs/testing.md, "Other domain
modules") showed the messages, the time-of-contact rules and the follow-ups' states were never
checked.

DOMAIN.md, "Data protection": free text is personal data, so a note's words are only in the
vault; the event carries their digest."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid5

from domain.cases.model import Case
from domain.cases.rules import CaseOutcome
from domain.notes.model import (
    _NOTEBOOK_NAMESPACE,
    MAX_DURATION_MINUTES,
    MAX_NOTE_LENGTH,
    CaseNotes,
    Contact,
    ContactKind,
    NoteError,
    NoteState,
    check_note_text,
)
from domain.programme import Actor, ActorKind, City, Role
from tests.builders import NOW, a_coordinator, a_reason, recorded, refusal
from tests.unit.test_activity_rules import a_case

AUTHOR = a_coordinator(id="firenze.operatore")
AT = datetime(2021, 4, 9, 10, 0, tzinfo=UTC)  # noon in Italy, 9 April 2021
FIRST, SECOND, THIRD = UUID(int=1), UUID(int=2), UUID(int=3)
DIGEST = "d" * 64


def contact(**overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "kind": ContactKind.MEETING,
        "contacted_on": date(2021, 4, 1),
        "duration_minutes": 30,
    }
    return Contact(**{**values, **overrides})


def a_notebook() -> tuple[CaseNotes, Case]:
    case = a_case()
    notebook = CaseNotes.start(case, NOW)
    notebook.collect_events()
    return notebook, case


def test_the_limits_are_those_of_the_rules() -> None:
    assert (MAX_NOTE_LENGTH, MAX_DURATION_MINUTES) == (4000, 720)
    assert _NOTEBOOK_NAMESPACE == UUID("4b0f6a9e-7c53-4f0e-9d1a-2f8e1f3c5a71")
    assert CaseNotes.id_for(UUID(int=7)) == uuid5(_NOTEBOOK_NAMESPACE, f"case-notes/{UUID(int=7)}")
    assert NoteError.code == "note_error"


def test_a_text_is_kept_trimmed_at_4000_characters_and_refused_one_past_or_empty() -> None:
    assert check_note_text("  " + "n" * 4000 + "\n") == "n" * 4000
    for text in ("n" * 4001, " \n "):
        assert refusal(lambda text=text: check_note_text(text)) == (  # type: ignore[misc]
            "invalid_note",
            "Write what happened at the contact, in up to 4,000 characters.",
            {"field": "text", "max_length": 4000},
        )


def test_a_notebook_is_started_for_its_case() -> None:
    case = a_case(number=5)
    notebook = CaseNotes.start(case, NOW)
    assert notebook.id == CaseNotes.id_for(case.id)
    assert recorded(notebook) == [
        (
            "Started",
            {"timestamp": NOW, "case_id": case.id, "case_code": "FI-2021-00005", "city": "firenze"},
        )
    ]
    assert (notebook.case_id, notebook.case_code, notebook.notes) == (case.id, "FI-2021-00005", {})


def test_a_note_records_its_contact_field_by_field() -> None:
    notebook, case = a_notebook()
    at = datetime(2021, 3, 31, 22, 30, tzinfo=UTC)  # 00:30 on 1 April in Italy

    notebook.write(
        case,
        FIRST,
        contact(contacted_at=at, follow_up_on=date(2021, 4, 1), kind=ContactKind.ACCOMPANIMENT),
        DIGEST,
        AUTHOR,
        AT,
    )

    assert recorded(notebook) == [
        (
            "NoteWritten",
            {
                "timestamp": AT,
                "case_id": case.id,
                "case_code": "FI-2021-00001",
                "city": "firenze",
                "note_id": FIRST,
                "kind": "accompaniment",
                "contacted_on": date(2021, 4, 1),
                "contacted_at": at,
                "duration_minutes": 30,
                "author": "firenze.operatore",
                "follow_up_on": date(2021, 4, 1),
                "text_digest": DIGEST,
                "supersedes": None,
                "follow_ups_done": [],
                "actor": AUTHOR.as_record(),
            },
        )
    ]
    assert notebook.notes == {FIRST: NoteState(FIRST, date(2021, 4, 1), date(2021, 4, 1))}
    assert notebook.notes[FIRST].follow_up_open


def test_a_note_is_written_only_by_the_case_s_city_on_a_person_not_erased() -> None:
    notebook, case = a_notebook()
    elsewhere = (
        "notes_closed",
        "Only the staff of the case's city write its notes.",
        {"field": "case"},
    )
    assert (
        refusal(
            lambda: notebook.write(case, FIRST, contact(), DIGEST, a_coordinator(City.MILANO), AT)
        )
        == elsewhere
    )
    ministry = Actor(ActorKind.USER, "ministero", Role.MINISTRY)
    assert (
        refusal(lambda: notebook.write(case, FIRST, contact(), DIGEST, ministry, AT)) == elsewhere
    )
    case.erase_personal_data(date(2021, 3, 10), "PG-1", AUTHOR, NOW)
    assert refusal(lambda: notebook.write(case, FIRST, contact(), DIGEST, AUTHOR, AT)) == (
        "notes_closed",
        "This person's personal data has been erased: no new note is kept on them.",
        {"field": "case"},
    )
    assert notebook.collect_events() == []


def test_no_note_on_a_closed_case() -> None:
    notebook, case = a_notebook()
    case.close(CaseOutcome.AUTONOMY, date(2021, 3, 10), a_reason(), AUTHOR, NOW)
    assert refusal(lambda: notebook.write(case, FIRST, contact(), DIGEST, AUTHOR, AT))[0] == (
        "case_closed"
    )


def test_a_contact_is_dated_from_the_intake_to_today_in_italy() -> None:
    notebook, case = a_notebook()
    late = datetime(2021, 4, 9, 22, 30, tzinfo=UTC)  # already the 10th in Italy
    assert refusal(
        lambda: notebook.write(
            case, FIRST, contact(contacted_on=date(2021, 4, 10)), DIGEST, AUTHOR, AT
        )
    ) == ("invalid_note", "A contact cannot be noted before it happens.", {"field": "contacted_on"})
    assert refusal(
        lambda: notebook.write(
            case, FIRST, contact(contacted_on=date(2021, 3, 9)), DIGEST, AUTHOR, AT
        )
    ) == (
        "invalid_note",
        "A contact of the case is on or after its intake.",
        {"field": "contacted_on"},
    )
    notebook.write(case, FIRST, contact(contacted_on=date(2021, 3, 10)), DIGEST, AUTHOR, AT)
    notebook.write(case, SECOND, contact(contacted_on=date(2021, 4, 10)), DIGEST, AUTHOR, late)
    assert [n.contacted_on for n in notebook.notes.values()] == [
        date(2021, 3, 10),
        date(2021, 4, 10),
    ]


def test_a_time_of_contact_has_its_zone_falls_on_its_date_in_italy_and_is_past() -> None:
    notebook, case = a_notebook()

    def at(moment: datetime, day: date = date(2021, 4, 1)) -> tuple[str, str, dict[str, Any]]:
        return refusal(
            lambda: notebook.write(
                case, FIRST, contact(contacted_on=day, contacted_at=moment), DIGEST, AUTHOR, AT
            )
        )

    assert at(datetime(2021, 4, 1, 10, 0)) == (
        "invalid_note",
        "The time of the contact needs its time zone.",
        {"field": "contacted_at"},
    )
    # 23:30 UTC on 1 April is 2 April in Italy.
    assert at(datetime(2021, 4, 1, 23, 30, tzinfo=UTC)) == (
        "invalid_note",
        "The time of the contact is on its date.",
        {"field": "contacted_at"},
    )
    assert at(datetime(2021, 4, 9, 10, 1, tzinfo=UTC), date(2021, 4, 9)) == (
        "invalid_note",
        "A contact cannot be noted before it happens.",
        {"field": "contacted_at"},
    )
    notebook.write(
        case, FIRST, contact(contacted_on=date(2021, 4, 9), contacted_at=AT), DIGEST, AUTHOR, AT
    )
    assert FIRST in notebook.notes


def test_a_contact_lasts_from_1_to_720_minutes_said_with_the_limit() -> None:
    notebook, case = a_notebook()
    for minutes in (0, 721):
        assert refusal(
            lambda minutes=minutes: notebook.write(  # type: ignore[misc]
                case, FIRST, contact(duration_minutes=minutes), DIGEST, AUTHOR, AT
            )
        ) == (
            "invalid_note",
            "A contact lasts from 1 to 720 minutes.",
            {"field": "duration_minutes", "max_minutes": 720},
        )
    notebook.write(case, FIRST, contact(duration_minutes=1), DIGEST, AUTHOR, AT)
    notebook.write(case, SECOND, contact(duration_minutes=720), DIGEST, AUTHOR, AT)
    assert [e.duration_minutes for e in notebook.collect_events()] == [1, 720]  # type: ignore[attr-defined]


def test_the_next_follow_up_is_on_or_after_the_contact() -> None:
    notebook, case = a_notebook()
    assert refusal(
        lambda: notebook.write(
            case, FIRST, contact(follow_up_on=date(2021, 3, 31)), DIGEST, AUTHOR, AT
        )
    ) == (
        "follow_up_before_contact",
        "The next follow-up cannot be dated before the contact the note records.",
        {"field": "follow_up_on"},
    )


def test_a_note_is_recorded_once() -> None:
    notebook, case = a_notebook()
    notebook.write(case, FIRST, contact(), DIGEST, AUTHOR, AT)
    assert refusal(lambda: notebook.write(case, FIRST, contact(), DIGEST, AUTHOR, AT)) == (
        "invalid_note",
        "This note is recorded already.",
        {"field": "note"},
    )


def test_a_correction_supersedes_its_note_once_and_its_follow_up_is_the_one_open() -> None:
    notebook, case = a_notebook()
    notebook.write(case, FIRST, contact(follow_up_on=date(2021, 4, 5)), DIGEST, AUTHOR, AT)
    assert refusal(
        lambda: notebook.write(case, SECOND, contact(supersedes=THIRD), DIGEST, AUTHOR, AT)
    ) == (
        "unknown_note",
        "The note to correct is not one of this case's notes.",
        {"field": "supersedes"},
    )
    notebook.collect_events()

    notebook.write(
        case, SECOND, contact(supersedes=FIRST, follow_up_on=date(2021, 4, 6)), DIGEST, AUTHOR, AT
    )

    ((_, written),) = recorded(notebook)
    assert (written["supersedes"], written["follow_ups_done"]) == (FIRST, [])
    assert notebook.notes[FIRST] == NoteState(
        FIRST, date(2021, 4, 1), date(2021, 4, 5), superseded_by=SECOND
    )
    assert not notebook.notes[FIRST].follow_up_open
    assert notebook.notes[SECOND].follow_up_open
    assert refusal(
        lambda: notebook.write(case, THIRD, contact(supersedes=FIRST), DIGEST, AUTHOR, AT)
    ) == (
        "note_already_superseded",
        "This note was corrected already: correct its correction instead.",
        {"field": "supersedes"},
    )


NOT_OPEN = (
    "follow_up_not_open",
    "A follow-up marked done is not open: it is done already, or its note was corrected.",
    {"field": "follow_ups_done"},
)


def test_a_later_note_does_an_open_follow_up_once() -> None:
    notebook, case = a_notebook()
    notebook.write(case, FIRST, contact(follow_up_on=date(2021, 4, 5)), DIGEST, AUTHOR, AT)
    assert refusal(
        lambda: notebook.write(case, SECOND, contact(follow_ups_done=(THIRD,)), DIGEST, AUTHOR, AT)
    ) == (
        "unknown_note",
        "A follow-up marked done is not one of this case's notes.",
        {"field": "follow_ups_done"},
    )
    assert refusal(
        lambda: notebook.write(
            case,
            SECOND,
            contact(contacted_on=date(2021, 3, 31), follow_ups_done=(FIRST,)),
            DIGEST,
            AUTHOR,
            AT,
        )
    ) == (
        "follow_up_not_open",
        "A follow-up is done by a contact on or after the note that asked for it.",
        {"field": "follow_ups_done"},
    )
    notebook.collect_events()

    notebook.write(case, SECOND, contact(follow_ups_done=(FIRST, FIRST)), DIGEST, AUTHOR, AT)

    ((_, written),) = recorded(notebook)
    assert written["follow_ups_done"] == [FIRST]
    assert notebook.notes[FIRST] == NoteState(
        FIRST, date(2021, 4, 1), date(2021, 4, 5), followed_up_by=SECOND
    )
    assert not notebook.notes[FIRST].follow_up_open
    assert (
        refusal(
            lambda: notebook.write(
                case, THIRD, contact(follow_ups_done=(FIRST,)), DIGEST, AUTHOR, AT
            )
        )
        == NOT_OPEN
    )


def test_a_note_with_no_follow_up_or_one_being_corrected_has_none_open() -> None:
    notebook, case = a_notebook()
    notebook.write(case, FIRST, contact(), DIGEST, AUTHOR, AT)
    assert not notebook.notes[FIRST].follow_up_open
    assert (
        refusal(
            lambda: notebook.write(
                case, SECOND, contact(follow_ups_done=(FIRST,)), DIGEST, AUTHOR, AT
            )
        )
        == NOT_OPEN
    )
    notebook.write(case, SECOND, contact(follow_up_on=date(2021, 4, 5)), DIGEST, AUTHOR, AT)
    assert (
        refusal(
            lambda: notebook.write(
                case,
                THIRD,
                contact(supersedes=SECOND, follow_ups_done=(SECOND,)),
                DIGEST,
                AUTHOR,
                AT,
            )
        )
        == NOT_OPEN
    )
