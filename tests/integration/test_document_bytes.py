"""Documents' bytes with the real parts (issue 16, "How it is checked"): a case's file and a
claim's file, attached through the documents service of a platform built by the composition
root, published by the real relay to a real nats-server and projected by the real projector. The
files' content is in no event store row, NATS message or read model, nor in clear in the vault;
after the person's erasure the case file's ciphertext is gone from the vault too (the claim's
file, no person's, stays)."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.access import Principal
from domain.documents.model import CaseDocumentDraft, ClaimDocumentDraft, DocumentKind
from domain.finance.model import ClaimDraft, ExpenseCategory
from domain.programme import Actor, ActorKind, City, Role, SubAction
from domain.vault import AccessReason
from infra.bootstrap import build_platform
from infra.nats.server import EmbeddedNats
from infra.settings import Settings
from infra.store.vault import VAULT_FILE_NAME
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.integration.test_erasure import files_holding, publish_and_project, windows
from tests.integration.test_personal_data import files_under

pytestmark = pytest.mark.nats

COORDINATOR = Principal("firenze.coordinator", Role.CITY_COORDINATOR, City.FIRENZE)
MINISTRY = Principal("ministry", Role.MINISTRY)


def a_file(secret: bytes) -> bytes:
    return b"%PDF-1.4\n% " + secret.hex().encode() + b"\n" + secret + b"\n%%EOF\n"


def vault_file_ciphertext(data_dir: Path, file_id: UUID) -> bytes:
    connection = sqlite3.connect(f"file:{data_dir / VAULT_FILE_NAME}?mode=ro", uri=True)
    try:
        (ciphertext,) = connection.execute(
            "SELECT ciphertext FROM vault_files WHERE file_id = ?", (file_id.bytes,)).fetchone()
    finally:
        connection.close()
    return bytes(ciphertext)


def test_a_file_s_bytes_are_in_no_event_message_or_read_model_and_erasure_shreds_it(
    tmp_path: Path, nats_server: EmbeddedNats,
) -> None:
    data_dir = tmp_path / "data"
    platform = build_platform(Settings(data_dir=data_dir, nats_url=nats_server.url,
                                       database_url=None, read_your_writes_timeout=0.1))
    case_secret, claim_secret = secrets.token_bytes(48), secrets.token_bytes(48)
    case_file, claim_file = a_file(case_secret), a_file(claim_secret)
    now = NOW + timedelta(days=1)
    try:
        case_id = uuid4()
        platform.cases.record_intake(case_id, an_intake(), a_person(), a_coordinator(), NOW)
        case_document = uuid4()
        platform.documents.attach_to_case(
            case_document, case_id, CaseDocumentDraft(DocumentKind.RESIDENCE_PERMIT,
                                                      date(2021, 4, 1)),
            case_file, COORDINATOR, now)
        ministry = Actor(ActorKind.USER, "ministry", Role.MINISTRY)
        platform.finance.set_allocation(City.FIRENZE, SubAction.FAST_TRACK_HOUSING,
                                        Decimal("1000.00"), "Riparto", ministry, now)
        claim_id = uuid4()
        platform.finance.record_claim(claim_id, ClaimDraft(
            City.FIRENZE, SubAction.FAST_TRACK_HOUSING, ExpenseCategory.HOUSING_COSTS,
            Decimal("10.00"), date(2021, 3, 1), "PG/2021/0042"), a_coordinator(), now)
        claim_document = uuid4()
        position = platform.documents.attach_to_claim(
            claim_document, City.FIRENZE, claim_id, ClaimDocumentDraft(DocumentKind.INVOICE),
            claim_file, COORDINATOR, now)
        asyncio.run(publish_and_project(platform, nats_server.url, position))

        read = platform.documents.read_case_file(
            case_id, case_document, AccessReason.IDENTITY_CHECK, COORDINATOR, now)
        assert read is not None and read.content == case_file
        claim_read = platform.documents.read_claim_file(
            City.FIRENZE, claim_id, claim_document, MINISTRY, now)
        assert claim_read is not None and claim_read.content == claim_file
        assert [row.kind for row in platform.document_views.of_owner(case_id)] == [
            "residence_permit"]
        shreddable = windows(vault_file_ciphertext(data_dir, case_document))

        platform.cases.erase_personal_data(case_id, date(2021, 3, 11), "PG/2021/7", replace(
            a_coordinator(), id="firenze.coordinator"), now)

        assert platform.vault.read_file(case_id, case_document) is None
        assert platform.vault.read_claim_file(claim_id, claim_document) == claim_file
    finally:
        platform.close()
    nats_server.stop()  # flushes JetStream's files, so every byte it keeps is on disk

    searched = files_under(data_dir, nats_server.store_dir)
    names = {path.name for path in searched}
    assert {"events.sqlite", VAULT_FILE_NAME, "readmodels.sqlite"} <= names
    assert any(path.suffix == ".blk" for path in searched), "no JetStream message file found"
    # The content, whole or in pieces, is nowhere in clear: not in the event store, not on NATS,
    # not in the read models, not in the vault (where it is only ever encrypted).
    assert files_holding(windows(case_secret) + windows(claim_secret), searched) == []
    # Crypto-shredding: what opened to the case's file is gone from the vault.
    assert files_holding(shreddable, searched) == []
