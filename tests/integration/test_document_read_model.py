"""The documents read model on SQLite and on PostgreSQL (a real server): the work queue's
expiring documents follow the case (a transfer moves them to the new city, a closure ends them,
a reopening brings them back), and the latest expiry of a kind is the one that counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from events.cloudevents import Actor, Envelope
from events.contracts import CaseClosedV2, CaseReopenedV2, CaseTransferredV1, EventContract
from events.documents import DocumentCaseFileAttachedV1, DocumentClaimFileAttachedV1
from projections.documents import DOCUMENT_EXPIRING, DocumentQueries, DocumentsProjection
from projections.projection import ensure_created, reset
from projections.storage.read_models import (
    PostgresReadModels,
    ReadModelDatabase,
    SqliteReadModels,
)

NOW = datetime(2021, 10, 4, 8, 30, tzinfo=UTC)
CASE = UUID("00000000-0000-4000-8000-000000000001")
CODE = "FI-2021-00001"
STAFF = Actor("user", "firenze.operatore", "city_operator", "firenze")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadModelDatabase]:
    if request.param == "sqlite":
        opened: ReadModelDatabase = SqliteReadModels(tmp_path / "readmodels.sqlite")
    else:
        opened = PostgresReadModels(request.getfixturevalue("postgres_database"))
    reset(opened, DocumentsProjection())
    ensure_created(opened, DocumentsProjection())
    yield opened
    opened.close()


class Feed:
    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database
        self.position = 0

    def __call__(self, data: EventContract) -> None:
        self.position += 1
        envelope = Envelope(id=f"e{self.position}", source="/lgnet/cities/firenze",
                            type=data.ce_type(), subject=CODE, time=NOW, position=self.position,
                            actor=STAFF, data=data)
        with self.database.transaction() as tx:
            DocumentsProjection().apply(tx, envelope)


def a_permit(expires_on: date, **overrides: Any) -> DocumentCaseFileAttachedV1:
    values: dict[str, Any] = {
        "document_id": uuid4(), "case_id": CASE, "case_code": CODE, "city": "firenze",
        "kind": "residence_permit", "media_type": "application/pdf", "size": 100,
        "sha256": "0" * 64, "expires_on": expires_on}
    return DocumentCaseFileAttachedV1(**{**values, **overrides})


def test_expiring_documents_follow_the_case_where_it_goes(database: ReadModelDatabase) -> None:
    feed = Feed(database)
    queries = DocumentQueries(database, warning_days=30)
    old, renewed = a_permit(date(2021, 10, 20)), a_permit(date(2021, 11, 1))
    feed(old)
    feed(DocumentClaimFileAttachedV1(
        document_id=uuid4(), claim_id=uuid4(), city="firenze", kind="invoice",
        media_type="application/pdf", size=10, sha256="1" * 64))

    items = queries.work_items("firenze", NOW)
    assert [(i.kind, i.case_id, i.case_code, i.subject_id, i.due.date()) for i in items] == [
        (DOCUMENT_EXPIRING, CASE, CODE, old.document_id, date(2021, 10, 20))]

    feed(renewed)
    assert [i.subject_id for i in queries.work_items("firenze", NOW)] == [renewed.document_id]
    feed(CaseTransferredV1(case_id=CASE, case_code=CODE, city="milano", from_city="firenze",
                           referral_id=uuid4(), transferred_on=date(2021, 10, 4)))
    assert queries.work_items("firenze", NOW) == []
    assert [i.city for i in queries.work_items("milano", NOW)] == ["milano"]
    feed(CaseClosedV2(case_id=CASE, case_code=CODE, city="milano", closed_on=date(2021, 10, 4),
                      outcome="autonomy", reason_id=uuid4(), reason_digest="0" * 64))
    assert queries.work_items("milano", NOW) == []
    feed(CaseReopenedV2(case_id=CASE, case_code=CODE, city="milano",
                        reopened_on=date(2021, 10, 4), reason_id=uuid4(), reason_digest="0" * 64))
    assert len(queries.work_items("milano", NOW)) == 1
    assert queries.work_items("milano", datetime(2021, 9, 1, tzinfo=UTC)) == []
    assert [row.document_id for row in queries.of_owner(CASE)] != []
