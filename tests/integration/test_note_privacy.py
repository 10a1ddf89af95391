"""Notes are free text, hence personal data (issue 16 item 4, ARCHITECTURE firm point 5): with the
real parts (the SQLite event store, vault and read models of one data dir, a real nats-server,
the relay and the projector, the web app), a byte search after writing notes finds no note text
in any event store row, NATS message, read-model table, page of oversight or log line; the vault
holds it only encrypted; and after the person's erasure its ciphertext is nowhere either
(crypto-shredding, as tests/integration/test_erasure.py proves for identifiers)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.notes.model import CaseNotes, Contact, ContactKind
from domain.programme import City, Role
from events.notes import CaseNoteWrittenV1
from events.partner import partner_kind_for
from infra.bootstrap import build_platform
from infra.nats.server import EmbeddedNats
from infra.settings import Settings
from infra.store.vault import VAULT_FILE_NAME
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.integration.test_erasure import (
    files_holding,
    publish_and_project,
    signed_in,
    stream_messages,
    windows,
)
from tests.integration.test_personal_data import files_under
from web.app import create_app

pytestmark = pytest.mark.nats

TEXTS = ("Visita domiciliare: la signora Zebrowska-Quortlemaine ha la febbre, città Ñuñoa",
         "Accompagnata in Questura; il figlio Jaquorrell è a scuola")
LATER = NOW + timedelta(days=3)


def forms_of(text: str) -> list[bytes]:
    """A text as a file could hold it, whole or a distinctive fragment: UTF-8 and UTF-16, as
    written, lower and upper case."""
    forms = set()
    for value in (text, text[:24], text[-24:]):
        for variant in (value, value.lower(), value.upper()):
            forms |= {variant.encode("utf-8"), variant.encode("utf-16-le")}
    return sorted(forms)


def note_ciphertexts(data_dir: Path, case_id: UUID) -> list[bytes]:
    connection = sqlite3.connect(f"file:{data_dir / VAULT_FILE_NAME}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT ciphertext FROM vault_texts WHERE case_id = ?",
                                  (case_id.bytes,)).fetchall()
    finally:
        connection.close()
    return [bytes(row[0]) for row in rows]


def test_note_texts_are_nowhere_but_encrypted_in_the_vault_and_erasure_shreds_them(
    tmp_path: Path, nats_server: EmbeddedNats, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    data_dir = tmp_path / "data"
    platform = build_platform(Settings(data_dir=data_dir, nats_url=nats_server.url,
                                       database_url=None, read_your_writes_timeout=0.1))
    needles = [form for text in TEXTS for form in forms_of(text)]
    try:
        coordinator = a_coordinator(City.FIRENZE, id="firenze.coordinator")
        receipt = platform.cases.record_intake(uuid4(), an_intake(City.FIRENZE), a_person(),
                                               coordinator, NOW)
        other = platform.cases.record_intake(uuid4(), an_intake(City.FIRENZE),
                                             a_person(given_name="Yonas"), coordinator, NOW)
        first = uuid4()
        platform.notes.write_note(receipt.case_id, first, TEXTS[0], Contact(
            ContactKind.HOME_VISIT, date(2021, 3, 12), 50, follow_up_on=date(2021, 3, 19)),
            coordinator, LATER)
        position = platform.notes.write_note(receipt.case_id, uuid4(), TEXTS[1], Contact(
            ContactKind.ACCOMPANIMENT, date(2021, 3, 13), 180, follow_ups_done=(first,)),
            coordinator, LATER)
        platform.notes.write_note(other.case_id, uuid4(), "Telefonata breve", Contact(
            ContactKind.PHONE_CALL, date(2021, 3, 12), 5), coordinator, LATER)
        asyncio.run(publish_and_project(platform, nats_server.url, position + 1))

        # Every event store row, every message on the stream: ids and digests, no text.
        rows = platform.record.recorder.select_notifications(1, 10_000)
        assert any(row.topic.endswith("CaseNotes.NoteWritten") for row in rows)
        assert [n for n in needles for row in rows if n in row.state] == []
        messages = asyncio.run(stream_messages(nats_server.url))
        notes_on_the_wire = [m for m in messages
                             if (m.headers or {}).get("ce-type") == CaseNoteWrittenV1.ce_type()]
        assert len(notes_on_the_wire) == 3
        wire = b"".join(m.data + repr(sorted((m.headers or {}).items())).encode()
                        for m in messages)
        assert [n for n in needles if n in wire] == []
        body = CaseNoteWrittenV1.model_validate_json(notes_on_the_wire[0].data)
        assert body.note_id == first and body.author == "firenze.coordinator"
        # The digest is keyed with the person's key: a guessed text cannot be checked with it.
        assert body.text_digest != hashlib.sha256(TEXTS[0].encode()).hexdigest()
        assert partner_kind_for(CaseNoteWrittenV1.ce_type()) is None  # partners: never

        # The staff read the texts; oversight sees that the notes exist, not what they say.
        app = create_app(platform)
        staff = signed_in(app, platform, "firenze.operator", Role.CITY_OPERATOR, City.FIRENZE)
        ministry = signed_in(app, platform, "ministry", Role.MINISTRY)
        try:
            assert TEXTS[0] in staff.get(f"/api/v1/cases/{receipt.case_id}/notes").text
            oversight = (ministry.get(f"/cases/{receipt.case_id}").content
                         + ministry.get(f"/api/v1/cases/{receipt.case_id}/notes").content)
            assert [n for n in needles if n in oversight] == []
        finally:
            for client in (staff, ministry):
                client.__exit__(None, None, None)

        # Before erasure: encrypted in the vault, in clear nowhere on disk.
        ciphertexts = note_ciphertexts(data_dir, receipt.case_id)
        assert len(ciphertexts) == 2
        shreddable = [w for c in ciphertexts for w in windows(c)]
        assert files_holding(needles, files_under(data_dir)) == []

        erased = platform.cases.erase_personal_data(
            receipt.case_id, date(2021, 3, 13), "PG/2021/0000043", coordinator,
            LATER + timedelta(hours=1))
        asyncio.run(publish_and_project(platform, nats_server.url, erased))
        assert platform.notes.note_texts(receipt.case_id, [first]) == {first: None}
        assert note_ciphertexts(data_dir, receipt.case_id) == []
        assert len(note_ciphertexts(data_dir, other.case_id)) == 1  # another person's stays
        # The facts of the contacts stay, for the record; their follow-ups leave the queue.
        assert len(platform.notes_views.notes_of(receipt.case_id)) == 2
        assert platform.notes_views.work_items("firenze", LATER + timedelta(days=30)) == []
        assert CaseNotes.id_for(receipt.case_id) != receipt.case_id
    finally:
        platform.close()
    nats_server.stop()  # flushes JetStream's files, so every byte it keeps is on disk

    searched = files_under(data_dir, nats_server.store_dir)
    names = {path.name for path in searched}
    assert {"events.sqlite", VAULT_FILE_NAME, "readmodels.sqlite"} <= names
    assert files_holding(needles, searched) == []
    assert files_holding(shreddable, searched) == []
    assert [n for n in needles if n in caplog.text.encode()] == []
