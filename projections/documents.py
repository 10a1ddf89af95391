"""The documents read model: the files attached to each case and claim (what kind, type, size,
SHA-256, expiry; never content nor a file name), and the work queue's expiring documents.

A document's expiry puts its case in the work queue (`work_items`, kind "document_expiring")
from `warning_days` before it, and overdue once it has passed, until a newer document of the
same kind (a renewed permit) expires later, the case is closed, or the person's data is erased.
So the read model follows, for the cases that have documents, whether they are open, whose city
they are (a transfer moves them) and whether the person was erased."""

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
from events.documents import DocumentCaseFileAttachedV1, DocumentClaimFileAttachedV1
from projections.projection import WorkItem
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction

DOCUMENT_EXPIRING = "document_expiring"
"""The work queue's kind code for a document about to expire, or expired."""
DEFAULT_WARNING_DAYS = 30
OWNER_CASE = "case"
OWNER_CLAIM = "claim"
_ITALY = ZoneInfo("Europe/Rome")


@dataclass(frozen=True)
class DocumentRow:
    document_id: UUID
    owner: str  # OWNER_CASE or OWNER_CLAIM
    owner_id: UUID  # the case or the claim
    case_code: str | None
    city: str
    kind: str
    media_type: str
    size: int
    sha256: str
    expires_on: date | None
    vulnerability: str | None
    assessed_on: date | None
    attached_at: datetime
    attached_by: str


class DocumentsProjection:
    name = "documents"

    def create_tables(self, tx: Transaction) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_documents ("
            " document_id TEXT PRIMARY KEY, owner TEXT NOT NULL, owner_id TEXT NOT NULL,"
            " case_code TEXT, city TEXT NOT NULL, kind TEXT NOT NULL,"
            " media_type TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL,"
            " expires_on TEXT, vulnerability TEXT, assessed_on TEXT,"
            " attached_at TEXT NOT NULL, attached_by TEXT NOT NULL,"
            " last_position BIGINT NOT NULL)"
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS rm_documents_owner ON rm_documents (owner_id, attached_at)"
        )
        # Only the cases that have documents: where they are and whether they still count.
        tx.execute(
            "CREATE TABLE IF NOT EXISTS rm_document_cases ("
            " case_id TEXT PRIMARY KEY, city TEXT NOT NULL, is_open INTEGER NOT NULL,"
            " erased INTEGER NOT NULL)"
        )

    def drop_tables(self, tx: Transaction) -> None:
        tx.execute("DROP TABLE IF EXISTS rm_documents")
        tx.execute("DROP TABLE IF EXISTS rm_document_cases")

    def apply(self, tx: Transaction, envelope: Envelope) -> None:
        self.apply_all(tx, (envelope,))

    def apply_all(self, tx: Transaction, envelopes: Sequence[Envelope]) -> None:
        # Documents are attached by people, one at a time; the case events that matter here
        # touch only cases that have documents (an UPDATE of no row otherwise).
        for envelope in envelopes:
            data, position = envelope.data, envelope.position
            match data:
                case DocumentCaseFileAttachedV1():
                    self._insert(tx, envelope, OWNER_CASE, data.case_id, data.case_code,
                                 data.kind, data.expires_on, data.vulnerability,
                                 data.assessed_on)
                    tx.execute(
                        "INSERT INTO rm_document_cases (case_id, city, is_open, erased)"
                        " VALUES (?, ?, 1, 0) ON CONFLICT (case_id) DO NOTHING",
                        (str(data.case_id), data.city))
                case DocumentClaimFileAttachedV1():
                    self._insert(tx, envelope, OWNER_CLAIM, data.claim_id, None, data.kind,
                                 None, None, None)
                case CaseClosedV2():
                    self._case(tx, data.case_id, "is_open = 0")
                case CaseReopenedV2():
                    self._case(tx, data.case_id, "is_open = 1")
                case CasePersonalDataErasedV1() | CasePersonalDataErasedV2():
                    self._case(tx, data.case_id, "erased = 1")
                case CaseTransferredV1():
                    tx.execute("UPDATE rm_document_cases SET city = ? WHERE case_id = ?",
                               (data.city, str(data.case_id)))
                    tx.execute("UPDATE rm_documents SET city = ?, last_position = ?"
                               " WHERE owner_id = ?", (data.city, position, str(data.case_id)))

    @staticmethod
    def _insert(
        tx: Transaction, envelope: Envelope, owner: str, owner_id: UUID, case_code: str | None,
        kind: str, expires_on: date | None, vulnerability: str | None, assessed_on: date | None,
    ) -> None:
        data = envelope.data
        assert isinstance(data, DocumentCaseFileAttachedV1 | DocumentClaimFileAttachedV1)
        tx.execute(
            "INSERT INTO rm_documents (document_id, owner, owner_id, case_code, city, kind,"
            " media_type, size, sha256, expires_on, vulnerability, assessed_on, attached_at,"
            " attached_by, last_position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (document_id) DO NOTHING",
            (str(data.document_id), owner, str(owner_id), case_code, data.city, kind,
             data.media_type, data.size, data.sha256,
             expires_on.isoformat() if expires_on else None, vulnerability,
             assessed_on.isoformat() if assessed_on else None, envelope.time.isoformat(),
             envelope.actor.id, envelope.position),
        )

    @staticmethod
    def _case(tx: Transaction, case_id: UUID, assignment: str) -> None:
        tx.execute(f"UPDATE rm_document_cases SET {assignment} WHERE case_id = ?",
                   (str(case_id),))


_COLUMNS = (
    "document_id, owner, owner_id, case_code, city, kind, media_type, size, sha256, expires_on,"
    " vulnerability, assessed_on, attached_at, attached_by"
)


class DocumentQueries:
    """The documents of a case or a claim, one document, and the work queue's expiring ones."""

    def __init__(
        self, database: ReadModelDatabase, warning_days: int = DEFAULT_WARNING_DAYS
    ) -> None:
        self.database = database
        self.warning_days = warning_days

    def of_owner(self, owner_id: UUID) -> list[DocumentRow]:
        """A case's or a claim's documents, the newest first."""
        with self.database.reading() as tx:
            rows = tx.fetchall(
                f"SELECT {_COLUMNS} FROM rm_documents WHERE owner_id = ?"
                " ORDER BY attached_at DESC, document_id", (str(owner_id),))
        return [_row_of(row) for row in rows]

    def document(self, document_id: UUID) -> DocumentRow | None:
        with self.database.reading() as tx:
            row = tx.fetchone(f"SELECT {_COLUMNS} FROM rm_documents WHERE document_id = ?",
                              (str(document_id),))
        return None if row is None else _row_of(row)

    def work_items(self, city: str, until: datetime) -> list[WorkItem]:
        """The city's open cases whose latest document of a kind with an expiry (the permit)
        expires within `warning_days` of `until`, or has expired: one line each, due at the
        end of its expiry day in Italy. A renewed permit (a later expiry) ends the line."""
        horizon = until.astimezone(_ITALY).date() + timedelta(days=self.warning_days)
        with self.database.reading() as tx:
            rows = tx.fetchall(
                "SELECT d.owner_id, d.case_code, d.kind, MAX(d.expires_on) FROM rm_documents d"
                " JOIN rm_document_cases c ON c.case_id = d.owner_id"
                " WHERE d.owner = ? AND d.city = ? AND d.expires_on IS NOT NULL"
                " AND c.is_open = 1 AND c.erased = 0"
                " GROUP BY d.owner_id, d.case_code, d.kind", (OWNER_CASE, city))
            latest: dict[tuple[str, str], UUID] = {}
            for owner_id, _code, kind, expires_on in rows:
                found = tx.fetchone(
                    "SELECT document_id FROM rm_documents WHERE owner_id = ? AND kind = ?"
                    " AND expires_on = ? ORDER BY attached_at DESC", (owner_id, kind, expires_on))
                assert found is not None
                latest[(str(owner_id), str(kind))] = UUID(str(found[0]))
        items = [
            WorkItem(
                kind=DOCUMENT_EXPIRING, city=city,
                due=datetime.combine(date.fromisoformat(str(expires_on)), time.max, _ITALY),
                case_id=UUID(str(owner_id)), case_code=str(code),
                subject_id=latest[(str(owner_id), str(kind))],
            )
            for owner_id, code, kind, expires_on in rows
            if date.fromisoformat(str(expires_on)) <= horizon
        ]
        return sorted(items, key=lambda item: (item.due, item.case_code or ""))


def _row_of(row: Sequence[object]) -> DocumentRow:
    (document_id, owner, owner_id, case_code, city, kind, media_type, size, sha256, expires_on,
     vulnerability, assessed_on, attached_at, attached_by) = row
    return DocumentRow(
        document_id=UUID(str(document_id)), owner=str(owner), owner_id=UUID(str(owner_id)),
        case_code=str(case_code) if case_code else None, city=str(city), kind=str(kind),
        media_type=str(media_type), size=int(str(size)), sha256=str(sha256),
        expires_on=date.fromisoformat(str(expires_on)) if expires_on else None,
        vulnerability=str(vulnerability) if vulnerability else None,
        assessed_on=date.fromisoformat(str(assessed_on)) if assessed_on else None,
        attached_at=datetime.fromisoformat(str(attached_at)), attached_by=str(attached_by),
    )
