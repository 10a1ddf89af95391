"""The case notes read model (projections/notes.py) on SQLite, as the mutation pass of issue 20
holds it (docs/testing.md, "Projections pass, part 3"): each note's row field by field (with and
without the optional facts), a correction and a follow-up done changing the notes they name, the
order of a case's notes, the next follow-up, the work items on their day in Italy and the day
before, following the case (closing, reopening, erasure in both versions, a transfer),
redeliveries changing nothing, a reset emptying the model.

Rules encoded (/work/shared/design/DOMAIN.md): "Data protection": notes are special-category data,
so the read model holds what the events say of a note (kind, date, length, author, follow-up),
never its text nor its digest; an erased person's follow-ups leave the work queue; "Closure": a
case ends and can be reopened, never silently edited (a correction keeps the note it corrects)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from events.cloudevents import Actor
from events.contracts import EventContract
from events.notes import CaseNoteWrittenV1
from projections.notes import (
    FOLLOW_UP_DUE,
    CaseNotesProjection,
    CaseNotesQueries,
    NoteRow,
)
from projections.projection import WorkItem, reset
from projections.storage.read_models import SqliteReadModels
from tests.case_events import case, closed, code, erased_v1, erased_v2, reopened, transferred
from tests.read_models import an_envelope, apply_in_one_batch, read_models_fixture

T0 = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)
ITALY = ZoneInfo("Europe/Rome")
STAFF = Actor(kind="user", id="firenze.op", role="city_operator", city="firenze")


database = read_models_fixture(CaseNotesProjection)


def nid(number: int) -> UUID:
    return UUID(int=3000 + number)


def note(number: int, case_number: int = 1, city: str = "firenze", **overrides: Any
         ) -> CaseNoteWrittenV1:
    values: dict[str, Any] = {
        "notebook_id": UUID(int=4000 + case_number), "case_id": case(case_number),
        "case_code": code(case_number), "city": city, "note_id": nid(number),
        "kind": "meeting", "contacted_on": date(2021, 3, 9), "contacted_at": None,
        "duration_minutes": 45, "author": "firenze.op", "follow_up_on": None,
        "text_digest": "e3" * 32, "supersedes": None, "follow_ups_done": []}
    return CaseNoteWrittenV1(**values | overrides)


def project(database: SqliteReadModels, *events: EventContract, first: int = 1,
            when: datetime = T0) -> None:
    apply_in_one_batch(database, CaseNotesProjection(), events, first=first, time=when,
                       actor=STAFF)


def flags(database: SqliteReadModels) -> list[tuple[Any, ...]]:
    with database.reading() as tx:
        return tx.fetchall("SELECT note_id, city, position, case_closed, case_erased"
                           " FROM rm_case_notes ORDER BY note_id")


def a_row(number: int, **overrides: Any) -> NoteRow:
    values: dict[str, Any] = {
        "note_id": nid(number), "case_id": case(1), "case_code": "FI-2021-00001",
        "city": "firenze", "kind": "meeting", "contacted_on": date(2021, 3, 9),
        "contacted_at": None, "duration_minutes": 45, "author": "firenze.op",
        "follow_up_on": None, "supersedes": None, "superseded_by": None,
        "followed_up_by": None, "written_at": T0}
    return NoteRow(**values | overrides)


def test_a_notes_row_field_by_field(database: SqliteReadModels) -> None:
    contacted_at = datetime(2021, 3, 9, 15, 0, tzinfo=UTC)
    project(database, note(1), first=6)
    project(database, note(2, kind="home_visit", contacted_at=contacted_at,
                          duration_minutes=720, author="firenze.coord",
                          follow_up_on=date(2021, 3, 20)), first=7, when=T0 + timedelta(1))
    queries = CaseNotesQueries(database)
    plain = a_row(1)
    full = a_row(2, kind="home_visit", contacted_at=contacted_at, duration_minutes=720,
                 author="firenze.coord", follow_up_on=date(2021, 3, 20),
                 written_at=T0 + timedelta(1))
    assert queries.notes_of(case(1)) == [full, plain]
    assert not plain.follow_up_open and full.follow_up_open
    assert flags(database) == [(str(nid(1)), "firenze", 6, 0, 0),
                               (str(nid(2)), "firenze", 7, 0, 0)]
    assert queries.notes_of(case(2)) == []
    # Re-delivered, or written again: nothing changes.
    project(database, note(1, kind="phone_call"), first=6)
    project(database, note(1, kind="phone_call"), first=8)
    assert queries.notes_of(case(1)) == [full, plain]


def test_the_model_holds_no_text_nor_digest(database: SqliteReadModels) -> None:
    # DOMAIN.md, "Data protection": the text is special-category data, only the vault has it.
    with database.reading() as tx:
        columns = [r[1] for r in tx.fetchall("PRAGMA table_info(rm_case_notes)")]
    assert columns == ["note_id", "case_id", "case_code", "city", "kind", "contacted_on",
                       "contacted_at", "duration_minutes", "author", "follow_up_on",
                       "supersedes", "superseded_by", "followed_up_by", "written_at",
                       "position", "case_closed", "case_erased"]


def test_a_correction_and_a_follow_up_done_mark_the_notes_they_name(
    database: SqliteReadModels,
) -> None:
    project(database, note(1, follow_up_on=date(2021, 3, 20)),
            note(2, follow_up_on=date(2021, 3, 21)), note(3, follow_up_on=date(2021, 3, 22)))
    project(database, note(4, contacted_on=date(2021, 3, 10), supersedes=nid(1),
                           follow_ups_done=[nid(2), nid(3)]), first=4)
    queries = CaseNotesQueries(database)
    rows = {row.note_id: row for row in queries.notes_of(case(1))}
    assert rows[nid(4)] == a_row(4, contacted_on=date(2021, 3, 10), supersedes=nid(1))
    assert rows[nid(1)] == a_row(1, follow_up_on=date(2021, 3, 20), superseded_by=nid(4))
    assert rows[nid(2)] == a_row(2, follow_up_on=date(2021, 3, 21), followed_up_by=nid(4))
    assert rows[nid(3)] == a_row(3, follow_up_on=date(2021, 3, 22), followed_up_by=nid(4))
    assert not any(r.follow_up_open for r in rows.values())
    assert queries.next_follow_up(case(1)) is None


def test_a_cases_notes_the_latest_contact_first(database: SqliteReadModels) -> None:
    day = date(2021, 3, 9)
    project(database, note(1, contacted_on=date(2021, 3, 8)),
            note(2, contacted_on=day, contacted_at=datetime(2021, 3, 9, 8, tzinfo=UTC)),
            note(3, contacted_on=day),
            note(4, contacted_on=day, contacted_at=datetime(2021, 3, 9, 7, tzinfo=UTC)),
            note(5, contacted_on=day), note(6, contacted_on=date(2021, 3, 10)),
            note(7, 2, contacted_on=date(2021, 3, 11)))
    assert [n.note_id for n in CaseNotesQueries(database).notes_of(case(1))] == [
        nid(6), nid(2), nid(4), nid(5), nid(3), nid(1)]


def test_the_next_follow_up_is_the_earliest_open_one(database: SqliteReadModels) -> None:
    queries = CaseNotesQueries(database)
    project(database, note(1))
    assert queries.next_follow_up(case(1)) is None
    project(database, note(2, follow_up_on=date(2021, 3, 25)),
            note(3, follow_up_on=date(2021, 3, 20)), note(4, follow_up_on=date(2021, 3, 15)),
            first=2)
    assert queries.next_follow_up(case(1)) == date(2021, 3, 15)
    project(database, note(5, follow_ups_done=[nid(4)]), first=5)
    assert queries.next_follow_up(case(1)) == date(2021, 3, 20)
    project(database, note(6, supersedes=nid(3)), first=6)
    assert queries.next_follow_up(case(1)) == date(2021, 3, 25)


def test_a_follow_up_is_due_on_its_day_in_italy_and_not_the_day_before(
    database: SqliteReadModels,
) -> None:
    project(database, note(1, follow_up_on=date(2021, 7, 20)))
    queries = CaseNotesQueries(database)
    item = WorkItem(kind=FOLLOW_UP_DUE, city="firenze",
                    due=datetime(2021, 7, 21, 0, 0, tzinfo=ITALY), case_id=case(1),
                    case_code="FI-2021-00001", subject_id=nid(1))
    # 20 July in Italy begins at 22:00 UTC on 19 July (summer time).
    assert queries.work_items("firenze", datetime(2021, 7, 19, 22, 0, tzinfo=UTC)) == [item]
    assert queries.work_items("firenze", datetime(2021, 7, 19, 21, 59, 59, 999999,
                                                  tzinfo=UTC)) == []
    assert queries.work_items("firenze", datetime(2022, 1, 1, tzinfo=UTC)) == [item]
    assert item.due == datetime(2021, 7, 20, 22, 0, tzinfo=UTC)
    assert queries.work_items("milano", datetime(2022, 1, 1, tzinfo=UTC)) == []


def test_work_items_by_day_then_case_code_for_the_citys_open_follow_ups_only(
    database: SqliteReadModels,
) -> None:
    day = date(2021, 3, 15)
    project(database, note(1, 3, follow_up_on=day), note(2, 2, follow_up_on=day),
            note(3, 1, follow_up_on=date(2021, 3, 16)), note(4, 4, follow_up_on=day),
            note(5, 5, follow_up_on=day), note(6, 6, follow_up_on=day),
            note(7, 7, follow_up_on=day), note(8, 8, follow_up_on=day), note(9, 1),
            note(10, 9, follow_up_on=day), note(11, 10, follow_up_on=day, city="milano"))
    project(database, closed(4), transferred(5), erased_v2(6), erased_v1(7),
            note(12, 8, follow_ups_done=[nid(8)]), note(13, 9, supersedes=nid(10)), first=12)
    queries = CaseNotesQueries(database)
    until = datetime(2021, 3, 20, tzinfo=UTC)
    assert [(i.case_id, i.case_code, i.subject_id, i.due)
            for i in queries.work_items("firenze", until)] == [
        (case(2), "FI-2021-00002", nid(2), datetime(2021, 3, 16, tzinfo=ITALY)),
        (case(3), "FI-2021-00003", nid(1), datetime(2021, 3, 16, tzinfo=ITALY)),
        (case(1), "FI-2021-00001", nid(3), datetime(2021, 3, 17, tzinfo=ITALY))]
    assert [(i.city, i.case_id) for i in queries.work_items("milano", until)] == [
        ("milano", case(5)), ("milano", case(10))]
    assert flags(database)[3:7] == [
        (str(nid(4)), "firenze", 4, 1, 0), (str(nid(5)), "milano", 5, 0, 0),
        (str(nid(6)), "firenze", 6, 0, 1), (str(nid(7)), "firenze", 7, 0, 1)]
    project(database, reopened(4), first=18)
    assert [i.case_id for i in queries.work_items("firenze", until)] == [
        case(2), case(3), case(4), case(1)]
    # A reopening changes no erasure; a closing, reopening or transfer of a case with no note
    # changes nothing.
    project(database, reopened(6), closed(99), transferred(99), first=19)
    assert flags(database)[5] == (str(nid(6)), "firenze", 6, 0, 1)
    assert len(flags(database)) == 13


def test_a_reset_empties_the_model(database: SqliteReadModels) -> None:
    project(database, note(1))
    reset(database, CaseNotesProjection())
    assert CaseNotesQueries(database).notes_of(case(1)) == []


def test_one_event_applied_alone_is_applied(database: SqliteReadModels) -> None:
    with database.transaction() as tx:
        CaseNotesProjection().apply(tx, an_envelope(note(1, follow_up_on=date(2021, 3, 20)), 1,
                                                    time=T0, actor=STAFF))
    with database.transaction() as tx:
        CaseNotesProjection().apply(tx, an_envelope(closed(1), 2, time=T0, actor=STAFF))
    assert flags(database) == [(str(nid(1)), "firenze", 1, 1, 0)]
