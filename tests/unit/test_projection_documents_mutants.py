"""The documents read model (projections/documents.py) on SQLite, as the mutation pass of issue 20
holds it (docs/testing.md, "Projections pass, part 3"): each document's row field by field (a
case's and a claim's), the cases' rows after every event that changes them (closing, reopening,
erasure in both versions, a transfer), the orders, the work items at the edge of the warning
window (in Italy's calendar) and at their due moment, the latest document of a kind, redeliveries
changing nothing, a reset emptying the model.

Rules encoded (/work/shared/design/DOMAIN.md): "Data protection": documents are personal
identifiers, needed by the city that serves the person and by nobody else, so the read model
holds what a file is (kind, type, size, SHA-256, expiry), never its content nor its name, and an
erased person's documents leave the work queue; "Legal notes": a protection status comes with
its permit's expiry, which a renewed permit replaces; "Closure": a closed case can be reopened."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from events.cloudevents import Actor
from events.contracts import EventContract
from events.documents import DocumentCaseFileAttachedV1, DocumentClaimFileAttachedV1
from projections.documents import (
    DOCUMENT_EXPIRING,
    DocumentQueries,
    DocumentRow,
    DocumentsProjection,
)
from projections.projection import WorkItem, reset
from projections.storage.read_models import SqliteReadModels
from tests.case_events import case, closed, code, erased_v1, erased_v2, reopened, transferred
from tests.read_models import an_envelope, apply_in_one_batch, read_models_fixture

T0 = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)
ITALY = ZoneInfo("Europe/Rome")
STAFF = Actor(kind="user", id="firenze.op", role="city_operator", city="firenze")
CLAIM = UUID(int=500)


database = read_models_fixture(DocumentsProjection)


def doc(number: int) -> UUID:
    return UUID(int=1000 + number)


def attached(number: int, case_number: int = 1, kind: str = "residence_permit",
             expires_on: date | None = None, city: str = "firenze", **overrides: Any
             ) -> DocumentCaseFileAttachedV1:
    values: dict[str, Any] = {
        "document_id": doc(number), "case_id": case(case_number),
        "case_code": code(case_number, city), "city": city, "kind": kind,
        "media_type": "application/pdf", "size": 1234, "sha256": "ab" * 32,
        "expires_on": expires_on}
    return DocumentCaseFileAttachedV1(**values | overrides)


def invoice(number: int) -> DocumentClaimFileAttachedV1:
    return DocumentClaimFileAttachedV1(
        document_id=doc(number), claim_id=CLAIM, city="firenze", kind="invoice",
        media_type="image/png", size=77, sha256="cd" * 32)


def project(database: SqliteReadModels, *events: EventContract, first: int = 1,
            when: datetime = T0) -> None:
    apply_in_one_batch(database, DocumentsProjection(), events, first=first, time=when,
                       actor=STAFF)


def cases_table(database: SqliteReadModels) -> list[tuple[Any, ...]]:
    with database.reading() as tx:
        return tx.fetchall("SELECT case_id, city, is_open, erased FROM rm_document_cases"
                           " ORDER BY case_id")


def positions(database: SqliteReadModels) -> list[tuple[Any, ...]]:
    with database.reading() as tx:
        return tx.fetchall("SELECT document_id, city, last_position FROM rm_documents"
                           " ORDER BY document_id")


def test_a_case_document_row_field_by_field(database: SqliteReadModels) -> None:
    project(database, attached(1, expires_on=date(2021, 9, 1)), first=4)
    project(database, attached(2, kind="medical_certificate", vulnerability="disability",
                               assessed_on=date(2021, 3, 1), media_type="image/jpeg",
                               size=9, sha256="0f" * 32), first=5, when=T0 + timedelta(hours=1))
    queries = DocumentQueries(database)
    first = DocumentRow(
        document_id=doc(1), owner="case", owner_id=case(1), case_code="FI-2021-00001",
        city="firenze", kind="residence_permit", media_type="application/pdf", size=1234,
        sha256="ab" * 32, expires_on=date(2021, 9, 1), vulnerability=None, assessed_on=None,
        attached_at=T0, attached_by="firenze.op")
    second = DocumentRow(
        document_id=doc(2), owner="case", owner_id=case(1), case_code="FI-2021-00001",
        city="firenze", kind="medical_certificate", media_type="image/jpeg", size=9,
        sha256="0f" * 32, expires_on=None, vulnerability="disability",
        assessed_on=date(2021, 3, 1), attached_at=T0 + timedelta(hours=1),
        attached_by="firenze.op")
    assert queries.document(doc(1)) == first
    assert queries.document(doc(2)) == second
    assert queries.document(doc(3)) is None
    assert queries.of_owner(case(1)) == [second, first]  # the newest first
    assert queries.of_owner(case(2)) == []
    assert cases_table(database) == [(str(case(1)), "firenze", 1, 0)]
    assert positions(database) == [(str(doc(1)), "firenze", 4), (str(doc(2)), "firenze", 5)]


def test_a_claim_document_row_field_by_field(database: SqliteReadModels) -> None:
    project(database, invoice(1))
    expected = DocumentRow(
        document_id=doc(1), owner="claim", owner_id=CLAIM, case_code=None, city="firenze",
        kind="invoice", media_type="image/png", size=77, sha256="cd" * 32, expires_on=None,
        vulnerability=None, assessed_on=None, attached_at=T0, attached_by="firenze.op")
    assert DocumentQueries(database).of_owner(CLAIM) == [expected]
    assert cases_table(database) == []  # a claim is no case


def test_the_model_holds_what_a_file_is_never_its_content_nor_its_name(
    database: SqliteReadModels,
) -> None:
    # DOMAIN.md, "Data protection": no content, no file name, only references and a digest.
    with database.reading() as tx:
        columns = [r[1] for r in tx.fetchall("PRAGMA table_info(rm_documents)")]
    assert columns == ["document_id", "owner", "owner_id", "case_code", "city", "kind",
                       "media_type", "size", "sha256", "expires_on", "vulnerability",
                       "assessed_on", "attached_at", "attached_by", "last_position"]


def test_documents_attached_at_one_moment_by_id(database: SqliteReadModels) -> None:
    project(database, attached(3), attached(1), attached(2))
    assert [d.document_id for d in DocumentQueries(database).of_owner(case(1))] == [
        doc(1), doc(2), doc(3)]


def test_the_cases_rows_follow_closing_reopening_erasure_and_transfers(
    database: SqliteReadModels,
) -> None:
    project(database, attached(1, 1), attached(2, 2), attached(3, 3), attached(4, 4),
            invoice(5))
    project(database, closed(1), first=6)
    project(database, erased_v2(2), first=7)
    project(database, erased_v1(3), first=8)
    project(database, closed(4), reopened(4), transferred(4), first=9)
    assert cases_table(database) == [
        (str(case(1)), "firenze", 0, 0), (str(case(2)), "firenze", 1, 1),
        (str(case(3)), "firenze", 1, 1), (str(case(4)), "milano", 1, 0)]
    assert positions(database) == [
        (str(doc(1)), "firenze", 1), (str(doc(2)), "firenze", 2), (str(doc(3)), "firenze", 3),
        (str(doc(4)), "milano", 11), (str(doc(5)), "firenze", 5)]
    assert DocumentQueries(database).document(doc(4)).city == "milano"  # type: ignore[union-attr]
    # A case with no document: no row, nothing fails.
    project(database, closed(9), transferred(9), first=12)
    assert len(cases_table(database)) == 4
    # A second document of a case keeps the case's row as it is.
    project(database, attached(6, 1, city="firenze"), first=14)
    assert cases_table(database)[0] == (str(case(1)), "firenze", 0, 0)
    # Re-delivered: nothing changes.
    project(database, reopened(1), attached(1, 1, size=1), first=6)
    assert cases_table(database)[0] == (str(case(1)), "firenze", 0, 0)
    assert DocumentQueries(database).document(doc(1)).size == 1234  # type: ignore[union-attr]


def test_a_document_attached_again_changes_nothing(database: SqliteReadModels) -> None:
    project(database, attached(1, expires_on=date(2021, 9, 1)))
    project(database, attached(1, expires_on=date(2022, 9, 1), kind="other"), first=2,
            when=T0 + timedelta(days=1))
    row = DocumentQueries(database).document(doc(1))
    assert row is not None and (row.kind, row.expires_on, row.attached_at) == (
        "residence_permit", date(2021, 9, 1), T0)
    assert positions(database) == [(str(doc(1)), "firenze", 1)]


def end_of_day_in_italy(day: date) -> datetime:
    return datetime.combine(day, time.max, ITALY)


def test_a_document_is_due_from_the_warning_days_before_its_expiry_in_italy(
    database: SqliteReadModels,
) -> None:
    project(database, attached(1, expires_on=date(2021, 7, 31)))
    queries = DocumentQueries(database)  # the default: 30 days
    item = WorkItem(kind=DOCUMENT_EXPIRING, city="firenze",
                    due=end_of_day_in_italy(date(2021, 7, 31)), case_id=case(1),
                    case_code="FI-2021-00001", subject_id=doc(1))
    # 1 July in Italy begins at 22:00 UTC on 30 June (summer time): 30 days before 31 July.
    first = datetime(2021, 6, 30, 22, 0, tzinfo=UTC)
    assert queries.work_items("firenze", first) == [item]
    assert queries.work_items("firenze", first - timedelta(microseconds=1)) == []
    assert queries.work_items("firenze", datetime(2022, 1, 1, tzinfo=UTC)) == [item]  # overdue
    assert item.due == datetime(2021, 7, 31, 21, 59, 59, 999999, tzinfo=UTC)
    short = DocumentQueries(database, warning_days=2)
    assert short.work_items("firenze", datetime(2021, 7, 28, 22, 0, tzinfo=UTC)) == [item]
    assert short.work_items("firenze", datetime(2021, 7, 28, 21, 59, tzinfo=UTC)) == []


def test_only_the_latest_expiry_of_a_kind_counts(database: SqliteReadModels) -> None:
    project(database, attached(1, expires_on=date(2021, 4, 1)),
            attached(2, kind="identity_document", expires_on=date(2021, 4, 2)),
            attached(3, kind="other"))
    queries = DocumentQueries(database)
    assert [(i.subject_id, i.due) for i in queries.work_items("firenze", T0)] == [
        (doc(1), end_of_day_in_italy(date(2021, 4, 1))),
        (doc(2), end_of_day_in_italy(date(2021, 4, 2)))]
    # The same expiry attached again later: the later document is the line's subject.
    project(database, attached(4, expires_on=date(2021, 4, 1)), first=4,
            when=T0 + timedelta(hours=1))
    assert [i.subject_id for i in queries.work_items("firenze", T0)] == [doc(4), doc(2)]
    # Renewed: a later expiry beyond the window ends the permit's line.
    project(database, attached(5, expires_on=date(2022, 4, 1)), first=5)
    assert [i.subject_id for i in queries.work_items("firenze", T0)] == [doc(2)]
    # An earlier expiry attached after it does not bring it back.
    project(database, attached(6, expires_on=date(2021, 3, 20)), first=6)
    assert [i.subject_id for i in queries.work_items("firenze", T0)] == [doc(2)]


def test_work_items_by_due_then_case_code_for_the_citys_open_cases_only(
    database: SqliteReadModels,
) -> None:
    day = date(2021, 4, 1)
    project(database, attached(1, 3, expires_on=day), attached(2, 2, expires_on=day),
            attached(3, 1, expires_on=date(2021, 4, 2)), attached(4, 4, expires_on=day),
            attached(5, 5, expires_on=day), attached(6, 6, expires_on=day),
            attached(7, 7, expires_on=day, city="milano"), invoice(8))
    project(database, closed(4), transferred(5), erased_v2(6), first=9)
    queries = DocumentQueries(database)
    assert [(i.case_id, i.case_code, i.subject_id) for i in queries.work_items("firenze", T0)
            ] == [(case(2), "FI-2021-00002", doc(2)), (case(3), "FI-2021-00003", doc(1)),
                  (case(1), "FI-2021-00001", doc(3))]
    assert [(i.city, i.case_id, i.subject_id) for i in queries.work_items("milano", T0)] == [
        ("milano", case(5), doc(5)), ("milano", case(7), doc(7))]
    project(database, reopened(4), first=12)
    assert [i.case_id for i in queries.work_items("firenze", T0)] == [
        case(2), case(3), case(4), case(1)]


def test_a_reset_empties_the_model(database: SqliteReadModels) -> None:
    project(database, attached(1, expires_on=date(2021, 4, 1)))
    reset(database, DocumentsProjection())
    assert DocumentQueries(database).document(doc(1)) is None
    assert cases_table(database) == []


def test_one_event_applied_alone_is_applied(database: SqliteReadModels) -> None:
    with database.transaction() as tx:
        DocumentsProjection().apply(tx, an_envelope(attached(1), 1, time=T0, actor=STAFF))
    with database.transaction() as tx:
        DocumentsProjection().apply(tx, an_envelope(closed(1), 2, time=T0, actor=STAFF))
    assert cases_table(database) == [(str(case(1)), "firenze", 0, 0)]
    assert [d.document_id for d in DocumentQueries(database).of_owner(case(1))] == [doc(1)]


def test_work_items_due_together_by_case_code_not_by_case_id(
    database: SqliteReadModels,
) -> None:
    day = date(2021, 4, 1)
    project(database, attached(1, 2, expires_on=day, case_code="FI-2021-00009"),
            attached(2, 8, expires_on=day, case_code="FI-2021-00001"))
    assert [(i.case_id, i.case_code) for i in DocumentQueries(database).work_items(
        "firenze", T0)] == [(case(8), "FI-2021-00001"), (case(2), "FI-2021-00009")]
