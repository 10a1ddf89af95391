"""Case notes: each case's notes (what the events say of them: kind, date, length, author,
follow-up, correction; never a text, which only the vault holds) and the follow-ups still open,
which the work queue shows when they fall due (`work_items`, kind "follow_up_due").

A follow-up is open from the note that asks for it until a later note says its contact did it,
or a correction supersedes the note. It leaves the queue while its case is closed or once the
person's data is erased (no note can be written on them any more), and follows its case to the
city it is transferred to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from events.cloudevents import Envelope
from events.contracts import (
    CaseClosedV2,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    CaseReopenedV2,
    CaseTransferredV1,
)
from events.notes import CaseNoteWrittenV1
from projections.projection import WorkItem
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

FOLLOW_UP_DUE = "follow_up_due"
"""The work item of a follow-up due today or overdue."""
# A date-only deadline is the end of that day in Italy (projections.projection.WorkItem).
_ITALY = ZoneInfo("Europe/Rome")


@dataclass(frozen=True)
class NoteRow:
    note_id: UUID
    case_id: UUID
    case_code: str
    city: str
    kind: str
    contacted_on: date
    contacted_at: datetime | None
    duration_minutes: int
    author: str
    follow_up_on: date | None
    supersedes: UUID | None
    superseded_by: UUID | None
    followed_up_by: UUID | None
    written_at: datetime

    @property
    def follow_up_open(self) -> bool:
        return (self.follow_up_on is not None and self.superseded_by is None
                and self.followed_up_by is None)


_COLUMNS = (
    "note_id, case_id, case_code, city, kind, contacted_on, contacted_at, duration_minutes,"
    " author, follow_up_on, supersedes, superseded_by, followed_up_by, written_at"
)


class CaseNotesProjection:
    name = "case_notes"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_case_notes ("
            " note_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, case_code TEXT NOT NULL,"
            " city TEXT NOT NULL, kind TEXT NOT NULL, contacted_on TEXT NOT NULL,"
            " contacted_at TEXT, duration_minutes INTEGER NOT NULL, author TEXT NOT NULL,"
            " follow_up_on TEXT, supersedes TEXT, superseded_by TEXT, followed_up_by TEXT,"
            " written_at TEXT NOT NULL, position BIGINT NOT NULL,"
            " case_closed INTEGER NOT NULL, case_erased INTEGER NOT NULL)"
        )
        tx.execute("CREATE INDEX IF NOT EXISTS rm_case_notes_case"
                   " ON rm_case_notes (case_id, contacted_on)")
        tx.execute("CREATE INDEX IF NOT EXISTS rm_case_notes_follow_ups"
                   " ON rm_case_notes (city, follow_up_on)")

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_case_notes")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            data, position = envelope.data, envelope.position
            match data:
                case CaseNoteWrittenV1():
                    self._written(tx, data, envelope.time, position)
                case CaseClosedV2():
                    tx.execute("UPDATE rm_case_notes SET case_closed = 1 WHERE case_id = ?",
                               (str(data.case_id),))
                case CaseReopenedV2():
                    tx.execute("UPDATE rm_case_notes SET case_closed = 0 WHERE case_id = ?",
                               (str(data.case_id),))
                case CasePersonalDataErasedV1() | CasePersonalDataErasedV2():
                    tx.execute("UPDATE rm_case_notes SET case_erased = 1 WHERE case_id = ?",
                               (str(data.case_id),))
                case CaseTransferredV1():
                    tx.execute("UPDATE rm_case_notes SET city = ? WHERE case_id = ?",
                               (data.city, str(data.case_id)))
                case _:
                    pass

    def _written(self, tx: Transaction, data: CaseNoteWrittenV1, time_: datetime,
                 position: int) -> None:
        tx.execute(
            f"INSERT INTO rm_case_notes ({_COLUMNS}, position, case_closed, case_erased)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, 0, 0)"
            " ON CONFLICT (note_id) DO NOTHING",
            (str(data.note_id), str(data.case_id), data.case_code, data.city, data.kind,
             data.contacted_on.isoformat(),
             data.contacted_at.isoformat() if data.contacted_at else None,
             data.duration_minutes, data.author,
             data.follow_up_on.isoformat() if data.follow_up_on else None,
             str(data.supersedes) if data.supersedes else None, time_.isoformat(), position),
        )
        if data.supersedes is not None:
            tx.execute("UPDATE rm_case_notes SET superseded_by = ? WHERE note_id = ?",
                       (str(data.note_id), str(data.supersedes)))
        for done in data.follow_ups_done:
            tx.execute("UPDATE rm_case_notes SET followed_up_by = ? WHERE note_id = ?",
                       (str(data.note_id), str(done)))


class CaseNotesQueries:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database

    def notes_of(self, case_id: UUID) -> list[NoteRow]:
        """The case's notes, the latest contact first (corrections and superseded notes
        alike: both are kept)."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {_COLUMNS} FROM rm_case_notes WHERE case_id = ?"
                " ORDER BY contacted_on DESC, COALESCE(contacted_at, '') DESC, position DESC",
                (str(case_id),),
            )
        return [_row(row) for row in rows]

    def next_follow_up(self, case_id: UUID) -> date | None:
        """The earliest open follow-up of the case, if any."""
        dates = [n.follow_up_on for n in self.notes_of(case_id)
                 if n.follow_up_open and n.follow_up_on is not None]
        return min(dates, default=None)

    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        """The city's open follow-ups that fall due by the day `until` is in (in Italy): due
        today or overdue when `until` is now. Each is due at the end of its day in Italy. Not
        those of closed cases, nor of people whose data is erased."""
        last_day = until.astimezone(_ITALY).date()
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT note_id, case_id, case_code, follow_up_on FROM rm_case_notes"
                " WHERE city = ? AND follow_up_on IS NOT NULL AND follow_up_on <= ?"
                " AND superseded_by IS NULL AND followed_up_by IS NULL"
                " AND case_closed = 0 AND case_erased = 0"
                " ORDER BY follow_up_on, case_code",
                (city, last_day.isoformat()),
            )
        return [
            WorkItem(kind=FOLLOW_UP_DUE, city=city, due=_end_of(date.fromisoformat(due)),
                     case_id=UUID(case_id), case_code=case_code, subject_id=UUID(note_id))
            for note_id, case_id, case_code, due in rows
        ]


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=_ITALY)


def _row(row: tuple[object, ...]) -> NoteRow:
    (note_id, case_id, case_code, city, kind, contacted_on, contacted_at, minutes, author,
     follow_up_on, supersedes, superseded_by, followed_up_by, written_at) = row
    return NoteRow(
        note_id=UUID(str(note_id)), case_id=UUID(str(case_id)), case_code=str(case_code),
        city=str(city), kind=str(kind), contacted_on=date.fromisoformat(str(contacted_on)),
        contacted_at=datetime.fromisoformat(str(contacted_at)) if contacted_at else None,
        duration_minutes=int(str(minutes)), author=str(author),
        follow_up_on=date.fromisoformat(str(follow_up_on)) if follow_up_on else None,
        supersedes=UUID(str(supersedes)) if supersedes else None,
        superseded_by=UUID(str(superseded_by)) if superseded_by else None,
        followed_up_by=UUID(str(followed_up_by)) if followed_up_by else None,
        written_at=datetime.fromisoformat(str(written_at)),
    )
