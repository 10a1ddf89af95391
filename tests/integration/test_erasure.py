"""Erasure (GDPR art. 17) with the real parts: the SQLite event store, vault, read models and
accounts of one data dir (built by the composition root), a real nats-server, the real relay and
the real projector, and the web app over them.

The vault keeps identifiers only encrypted, so a person's name is nowhere in clear even before
erasure (tests/integration/test_personal_data.py proves that). What erasure adds, and what is
proved here, is crypto-shredding: before it the person's wrapped key and ciphertext sit in the
vault file and open, with the master key, to the name; after it those bytes are nowhere in the
data dir or the JetStream store, so the master key recovers nothing. Meanwhile the case stays,
under its pseudonymous code, in the case list and in every figure, and the PersonalDataErased
CloudEvent on the stream carries no identifier.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import nats
import pytest
from fastapi.testclient import TestClient
from nats.aio.msg import Msg

from domain.cases.model import Case
from domain.cases.rules import CorrectableField
from domain.cases.service import CaseService
from domain.housing.model import MoveOutOutcome, ShelterKind
from domain.identity.keys import identity_keys
from domain.programme import City, Role, programme_today
from domain.referrals.rules import CityService, Destination
from domain.vault import AccessReason, PersonalData
from events.contracts import CasePersonalDataErasedV2
from infra.bootstrap import Platform, build_platform
from infra.nats.server import EmbeddedNats
from infra.nats.streams import read_stream
from infra.pipeline.projector.runner import Projector
from infra.pipeline.relay import Relay
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.person_index import PostgresPersonIndex
from infra.store.vault import (
    VAULT_FILE_NAME,
    PostgresVault,
    VaultCipher,
    open_vault,
    read_master_key,
)
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.integration.test_personal_data import (
    BIRTH_DATE,
    DOCUMENT,
    EMAIL,
    FAMILY_NAME,
    GIVEN_NAME,
    PHONE,
    files_under,
    identifier_forms,
)
from tests.integration.test_postgres_core import MASTER_KEY as POSTGRES_MASTER_KEY
from web.app import create_app
from web.kit.authentication import CSRF_HEADER

pytestmark = pytest.mark.nats

PASSWORD = "a long enough test password"  # noqa: S105  (the test users')
# Free texts written about the person (issue 16 item 4): kept only in the vault, encrypted with
# the person's key, so they are in no event, message or read model, and erasure shreds them.
REFERRAL_NOTE = "Referral note 7Q3XK: cardiology on Tuesdays"
OUTCOME_NOTE = "Outcome 8RZ2M: seen by the cardiologist"
MOVE_OUT_NOTE = "Move-out note 4WJ9P: went to live with her sister"
CORRECTION_REASON = "Correction 5HT8D: her two children were not counted"
FREE_TEXTS = (REFERRAL_NOTE, OUTCOME_NOTE, MOVE_OUT_NOTE, CORRECTION_REASON)
REQUEST_REFERENCE = "PG/2021/0000042"
ERASED_ON = NOW + timedelta(days=2)
# A person erased is in none of these byte windows: a fragment of a key or ciphertext left in a
# page would be found even where the whole is not.
WINDOW = 16


def the_person() -> PersonalData:
    return a_person(given_name=GIVEN_NAME, family_name=FAMILY_NAME, document_number=DOCUMENT,
                    phone=PHONE, email=EMAIL, birth_date=BIRTH_DATE)


def text_forms() -> list[bytes]:
    """The free texts as they could sit in a file: UTF-8 and UTF-16 (SQLite may use either)."""
    return sorted({form for text in FREE_TEXTS
                   for form in (text.encode("utf-8"), text.encode("utf-16-le"))})


def vault_text_rows(data_dir: Path, case_id: UUID) -> int:
    connection = sqlite3.connect(f"file:{data_dir / VAULT_FILE_NAME}?mode=ro", uri=True)
    try:
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM vault_texts WHERE case_id = ?", (case_id.bytes,)).fetchone()
    finally:
        connection.close()
    return int(count)


def write_free_texts(platform: Platform, case_id: UUID) -> int:
    """A correction with its reason, a referral with a note and an outcome, and a stay ended
    with a move-out note, for the person; returns the last position."""
    coordinator = a_coordinator(City.FIRENZE)
    platform.cases.correct_intake(case_id, {CorrectableField.HOUSEHOLD_SIZE: 3},
                                  CORRECTION_REASON, coordinator, NOW)
    referral_id, shelter_id = uuid4(), uuid4()
    platform.referrals.request(referral_id, case_id, Destination.city_service(
        CityService.HEALTH), None, REFERRAL_NOTE, coordinator, NOW)
    platform.referrals.complete(referral_id, OUTCOME_NOTE, coordinator, NOW)
    housing = platform.housing
    housing.register_shelter(shelter_id, City.FIRENZE, "Casa Aurora",
                             ShelterKind.TEMPORARY_SHELTER, "Novoli", 2, coordinator, NOW)
    housing.add_to_waitlist(case_id, coordinator, NOW)
    housing.offer_bed(case_id, shelter_id, coordinator, NOW)
    housing.move_in(case_id, programme_today(NOW), coordinator, NOW)
    return housing.move_out(case_id, MoveOutOutcome.OTHER, programme_today(NOW), MOVE_OUT_NOTE,
                            coordinator, NOW)


def windows(secret: bytes) -> list[bytes]:
    return [secret[start:start + WINDOW] for start in range(0, len(secret) - WINDOW + 1, 4)]


def files_holding(needles: list[bytes], files: list[Path]) -> list[tuple[str, bytes]]:
    found = []
    for path in files:
        content = path.read_bytes()
        found += [(path.name, needle) for needle in needles if needle in content]
    return found


def vault_row(data_dir: Path, case_id: UUID) -> tuple[bytes, bytes] | None:
    """The person's wrapped key and ciphertext, read from the vault file as anyone could."""
    connection = sqlite3.connect(f"file:{data_dir / VAULT_FILE_NAME}?mode=ro", uri=True)
    try:
        row = connection.execute(
            "SELECT wrapped_key, ciphertext FROM vault_people WHERE case_id = ?", (case_id.bytes,)
        ).fetchone()
    finally:
        connection.close()
    return None if row is None else (bytes(row[0]), bytes(row[1]))


async def publish_and_project(platform: Platform, nats_url: str, position: int) -> None:
    """The relay publishes what the record holds; the projector runs until every read model has
    applied the event at `position`, then stops."""
    await Relay(platform.record, nats_url).publish_pending()
    stop = asyncio.Event()
    projector = asyncio.create_task(
        Projector(platform.read_models, platform.projections, nats_url).run(stop)
    )
    try:
        deadline = time.monotonic() + 20
        while await asyncio.to_thread(platform.projected_position) < position:
            if projector.done():
                projector.result()
                raise AssertionError("the projector stopped")
            assert time.monotonic() < deadline, f"position {position} not projected in 20 s"
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        async with asyncio.timeout(20):
            await projector


async def stream_messages(nats_url: str) -> list[Msg]:
    connection = await nats.connect(nats_url)
    try:
        return await read_stream(connection.jetstream())
    finally:
        await connection.close()


def signed_in(app: Any, platform: Platform, username: str, role: Role,
              city: City | None = None) -> TestClient:
    platform.accounts.add_user(username, role, PASSWORD, city=city)
    client = TestClient(app)
    client.__enter__()
    response = client.post("/sign-in", data={"username": username, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    page = client.get("/").text
    start = page.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    client.headers[CSRF_HEADER] = page[start:page.index('"', start)]
    return client


def every_answer(platform: Platform, case_id: UUID) -> dict[str, str]:
    """Every way the platform answers about cases and figures, in JSON and as pages, to the
    city's coordinator and to the ministry. (CSV/XLSX exports do not exist yet: when they do,
    they belong in this list.)"""
    app = create_app(platform)
    coordinator = signed_in(app, platform, "firenze.coordinator", Role.CITY_COORDINATOR,
                            City.FIRENZE)
    ministry = signed_in(app, platform, "ministry", Role.MINISTRY)
    auditor = signed_in(app, platform, "auditor", Role.AUDITOR)
    try:
        answers = {
            "case API": coordinator.get(f"/api/v1/cases/{case_id}"),
            "case list API": coordinator.get("/api/v1/cities/firenze/cases"),
            "network overview API": ministry.get("/api/v1/network/overview"),
            "case page": coordinator.get(f"/cases/{case_id}"),
            "case list page": coordinator.get("/cities/firenze/cases"),
            "city page": coordinator.get("/cities/firenze"),
            "ministry overview page": ministry.get("/ministry"),
            "identifiers API": coordinator.post(f"/api/v1/cases/{case_id}/identifiers",
                                                json={"reason": "contact_person"}),
            "identifiers page": coordinator.post(f"/cases/{case_id}/identifiers",
                                                 data={"reason": "contact_person"}),
            "access log API": auditor.get("/api/v1/audit/identifier-access"),
            "access log page": auditor.get("/audit/identifier-access"),
        }
    finally:
        for client in (coordinator, ministry, auditor):
            client.__exit__(None, None, None)
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.text[:300])
    return {name: response.text for name, response in answers.items()}


def test_after_erasure_the_name_is_nowhere_and_the_case_still_counts(
    tmp_path: Path, nats_server: EmbeddedNats
) -> None:
    data_dir = tmp_path / "data"
    platform = build_platform(Settings(data_dir=data_dir, nats_url=nats_server.url,
                                       database_url=None, read_your_writes_timeout=0.1))
    try:
        shreddable = erase_a_person_and_check_what_stays(platform, nats_server)
    finally:
        platform.close()
        platform.vault.close()
    nats_server.stop()  # flushes JetStream's files, so every byte it keeps is on disk

    searched = files_under(data_dir, nats_server.store_dir)
    names = {path.name for path in searched}
    assert {"events.sqlite", VAULT_FILE_NAME, "readmodels.sqlite", "accounts.sqlite"} <= names
    assert any(path.suffix == ".blk" for path in searched), "no JetStream message file found"
    # Every file there is, journals and WAL files included: the vault's rollback journal is
    # deleted at each commit, and would be searched here if one were left behind.
    leaks = [(path.relative_to(tmp_path), form) for path in searched
             for form in identifier_forms() + text_forms() if form in path.read_bytes()]
    assert leaks == []
    # Crypto-shredding: the bytes that opened to the name are nowhere, so the master key
    # (still in the data dir, as in development) recovers nothing.
    assert files_holding(shreddable, searched) == []


def erase_a_person_and_check_what_stays(
    platform: Platform, nats_server: EmbeddedNats
) -> list[bytes]:
    """Record intakes, one of them the person to erase; publish and project; erase them;
    publish and project again; check the stream, the read models and every answer. Returns the
    byte windows of the person's wrapped key and ciphertext, as they were before erasure."""
    data_dir = platform.settings.data_dir
    person = the_person()
    cases = [
        (City.FIRENZE, person),
        (City.FIRENZE, a_person()),
        (City.MILANO, a_person(given_name="Luca")),
        (City.ROMA, a_person(given_name="Sara", document_number="RM0000001")),
        (City.FIRENZE, a_person(given_name="Yonas", document_number="FI0000002")),
    ]
    receipts = [
        platform.cases.record_intake(uuid4(), an_intake(city, birth_date=data.birth_date), data,
                                     a_coordinator(city), NOW)
        for city, data in cases
    ]
    erased = receipts[0]
    platform.cases.reveal_identifiers(erased.case_id, AccessReason.CONTACT_PERSON,
                                      a_coordinator(City.FIRENZE), NOW)
    last = write_free_texts(platform, erased.case_id)
    asyncio.run(publish_and_project(platform, nats_server.url, last))
    overview_before = platform.network.overview()

    # The free texts are in the vault (3 rows, encrypted), and in clear in no event store row,
    # NATS message or read model: they are in no file at all.
    assert vault_text_rows(data_dir, erased.case_id) == 4
    (corrected,) = [e for e in platform.record.repository.event_store.get(erased.case_id)
                    if isinstance(e, Case.IntakeCorrected)]
    assert corrected.reason_id is not None
    assert platform.cases.case_text(erased.case_id, corrected.reason_id) == CORRECTION_REASON
    (referral,) = platform.referral_board.of_case(erased.case_id)
    assert {name: text.text for name, text in platform.referrals.texts(
        referral.referral_id).items()} == {"note": REFERRAL_NOTE, "outcome_note": OUTCOME_NOTE}
    (placement,) = platform.housing_views.case_placements(erased.case_id)
    assert placement.note_id is not None
    assert platform.housing.placement_text(erased.case_id, placement.note_id) == MOVE_OUT_NOTE
    written = files_under(data_dir, nats_server.store_dir)
    assert [(path.name, form) for path in written for form in text_forms()
            if form in path.read_bytes()] == []
    on_the_stream = b"".join(m.data for m in asyncio.run(stream_messages(nats_server.url)))
    assert [form for form in text_forms() if form in on_the_stream] == []

    # Before erasure: the person's key and ciphertext are in the vault file, and with the
    # master key they open to the name.
    wrapped_key, ciphertext = vault_row(data_dir, erased.case_id) or pytest.fail("not stored")
    master_key = read_master_key(platform.settings.vault_key_path)
    assert VaultCipher(master_key).open(erased.case_id, wrapped_key, ciphertext) == person
    shreddable = windows(wrapped_key) + windows(ciphertext)
    vault_file = [data_dir / VAULT_FILE_NAME]
    assert len(files_holding(shreddable, vault_file)) == len(shreddable)

    position = platform.cases.erase_personal_data(
        erased.case_id, date(2021, 3, 11), REQUEST_REFERENCE, a_coordinator(City.FIRENZE),
        ERASED_ON,
    )
    asyncio.run(publish_and_project(platform, nats_server.url, position))
    answers = every_answer(platform, erased.case_id)
    messages = asyncio.run(stream_messages(nats_server.url))

    # The case stays, under its code, in the list and in every figure.
    overview_after = platform.network.overview()
    assert overview_after == overview_before
    assert [(f.city, f.cases) for f in overview_after.cities if f.cases] == [
        ("firenze", 3), ("milano", 1), ("roma", 1)]
    listed = platform.case_list.list_cases("firenze")
    assert erased.case_code in [row.case_code for row in listed.rows] and listed.total == 3
    assert erased.case_code in answers["case list API"]
    assert erased.case_code in answers["case list page"]
    assert '"cases":3' in answers["network overview API"].replace(" ", "")
    assert "Dati personali cancellati il" in answers["case page"]
    assert '"identifiers":null' in answers["identifiers API"].replace(" ", "")
    assert REQUEST_REFERENCE in answers["identifiers API"]
    assert erased.case_code in answers["access log API"]  # the reading before, by code only

    # The erasure is on the stream as a CloudEvent, without any identifier.
    [erasure] = [m for m in messages
                 if (m.headers or {}).get("ce-type") == CasePersonalDataErasedV2.ce_type()]
    headers = erasure.headers or {}
    body = CasePersonalDataErasedV2.model_validate_json(erasure.data)
    assert (body.case_id, body.case_code, body.request_reference) == (
        erased.case_id, erased.case_code, REQUEST_REFERENCE)
    assert headers["ce-subject"] == erased.case_code
    assert erasure.subject == "lgnet.firenze.case.personal_data_erased"
    on_the_wire = erasure.data + repr(sorted(headers.items())).encode()
    assert [form for form in identifier_forms() if form in on_the_wire] == []
    texts_written = 9  # the correction; the referral's request, acceptance, completion; the
    # shelter, the stay
    assert len(messages) == len(cases) + texts_written + 1

    # The other people are untouched; the erased one is gone for good.
    assert platform.vault.read(erased.case_id) is None
    assert platform.vault.read(receipts[1].case_id) == cases[1][1]
    assert vault_row(data_dir, erased.case_id) is None
    # The free texts are shredded with the key: no row left, nothing to read.
    assert vault_text_rows(data_dir, erased.case_id) == 0
    assert platform.referrals.texts(referral.referral_id) == {}
    assert platform.housing.placement_text(erased.case_id, placement.note_id) is None
    assert platform.cases.case_text(erased.case_id, corrected.reason_id) is None

    leaks_in_answers = [(name, form) for name, text in answers.items()
                        for form in identifier_forms() + text_forms() if form in text.encode()]
    assert leaks_in_answers == []

    return shreddable


@pytest.mark.postgres
@pytest.mark.parametrize("concurrent", ["snapshot", "write"])
def test_on_postgresql_erasure_removes_the_key_from_the_vault_table_s_file(
    own_postgres_database: str, concurrent: str,
) -> None:
    """PostgreSQL keeps a deleted row in its table file until the space is reused: the vault
    rewrites its table (VACUUM FULL) after an erasure, so the wrapped key is gone from the
    current file too. (Backups and archived WAL keep it until they age out: docs/operations.md.)"""
    import psycopg

    settings = Settings(database_url=own_postgres_database)
    record = open_record(settings)
    # Every vault opened on one database must share its master key (the test run's one).
    vault = PostgresVault(own_postgres_database, POSTGRES_MASTER_KEY)
    cases = CaseService(record, vault)
    person = replace(the_person(), document_number=f"QX{uuid4().hex[:8].upper()}")
    receipt = cases.record_intake(uuid4(), an_intake(City.FIRENZE), person,
                                  a_coordinator(City.FIRENZE), NOW)

    def table_file() -> bytes:
        with psycopg.connect(own_postgres_database, autocommit=True) as connection:
            connection.execute("CHECKPOINT")  # what shared buffers hold, to the file
            row = connection.execute(
                "SELECT pg_read_binary_file(pg_relation_filepath('vault_people'))"
            ).fetchone()
        assert row is not None
        return bytes(row[0])

    with psycopg.connect(own_postgres_database) as connection:
        stored = connection.execute(
            "SELECT wrapped_key, ciphertext FROM vault_people WHERE case_id = %s",
            (receipt.case_id,),
        ).fetchone()
    assert stored is not None
    wrapped_key, ciphertext = bytes(stored[0]), bytes(stored[1])
    try:
        before = table_file()
    except psycopg.errors.InsufficientPrivilege:
        pytest.skip("reading the table's file needs a superuser")
    assert VaultCipher(POSTGRES_MASTER_KEY).open(receipt.case_id, wrapped_key, ciphertext) == (
        person)
    assert wrapped_key in before and ciphertext in before

    # A transaction of the same database that began before the erasure and ends while it
    # runs: VACUUM FULL would copy the deleted row into the new file for its sake, so the
    # erasure waits for it (seen under load in the suite). Either a snapshot (a report, a
    # backup, an autovacuum ANALYZE) or a write under way (another command's save): idle between
    # its statements, a READ COMMITTED writer shows an xid but no xmin in pg_stat_activity.
    # (It reads no vault table, or VACUUM FULL's lock would simply wait for it to end.)
    reader = psycopg.connect(own_postgres_database)
    if concurrent == "snapshot":
        reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        assert reader.execute("SELECT 1").fetchone() == (1,)
    else:
        with psycopg.connect(own_postgres_database, autocommit=True) as other:
            other.execute("CREATE TABLE IF NOT EXISTS erasure_probe (n int)")
            reader.execute("INSERT INTO erasure_probe VALUES (1)")
            assert other.execute(
                "SELECT backend_xid IS NOT NULL, backend_xmin IS NULL FROM pg_stat_activity "
                "WHERE pid = %s", (reader.info.backend_pid,)).fetchone() == (True, True)
    releases = threading.Timer(0.5, reader.commit)
    releases.start()
    cases.erase_personal_data(receipt.case_id, date(2021, 3, 11), REQUEST_REFERENCE,
                              a_coordinator(City.FIRENZE), ERASED_ON)
    releases.join()
    reader.close()

    after = table_file()
    assert vault.read(receipt.case_id) is None
    assert cases.get(receipt.case_id).erasure is not None
    assert [w for w in windows(wrapped_key) + windows(ciphertext) if w in after] == []
    record.close()
    vault.close()


# --- the duplicate check's blind index (issue 16 item 7) ---------------------------------------


def index_rows(data_dir: Path, case_id: UUID) -> list[bytes]:
    """The digests the blind index keeps for a case, read from the vault file as anyone could."""
    connection = sqlite3.connect(f"file:{data_dir / VAULT_FILE_NAME}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT digest FROM vault_person_index WHERE case_id = ?", (case_id.bytes,)
        ).fetchall()
    finally:
        connection.close()
    return [bytes(row[0]) for row in rows]


def test_erasure_removes_the_person_s_blind_index_entries(tmp_path: Path) -> None:
    platform = build_platform(Settings(data_dir=tmp_path, read_your_writes_timeout=0.1))
    try:
        person = replace(the_person(), tax_code="TSFMNL90E57Z315X")
        case_id = uuid4()
        platform.identity.take_in(
            case_id, City.FIRENZE, person, False,
            lambda notes: platform.cases.record_intake(
                case_id, an_intake(City.FIRENZE), person, a_coordinator(City.FIRENZE), NOW,
                saved_with_case=notes),
            a_coordinator(City.FIRENZE), NOW)
        digests = index_rows(tmp_path, case_id)
        assert len(digests) == 3  # names with birth date, document, tax code
        assert [m.case_id for m in platform.identity.possible_matches(person)] == [case_id]

        platform.cases.erase_personal_data(case_id, date(2021, 3, 11), REQUEST_REFERENCE,
                                           a_coordinator(City.FIRENZE), ERASED_ON)

        assert index_rows(tmp_path, case_id) == []
        vault_file = (tmp_path / VAULT_FILE_NAME).read_bytes()
        assert [d for d in digests if d in vault_file] == []  # secure_delete zeroed them
        assert platform.identity.possible_matches(person) == []
    finally:
        platform.close()


def test_a_row_of_an_erased_person_that_comes_back_is_never_read(tmp_path: Path) -> None:
    """Issue 18, item 14: a backup restored, or a WAL replayed, after an erasure puts the
    person's old rows back; the vault remembers the erasure and refuses them, and the next key
    rotation deletes them again."""
    settings = Settings(data_dir=tmp_path)
    vault = open_vault(settings)
    case_id, text_id, file_id = uuid4(), uuid4(), uuid4()
    vault.store(case_id, the_person())
    vault.store_text(case_id, text_id, REFERRAL_NOTE)
    vault.store_file(case_id, file_id, b"a scanned permit")
    path = tmp_path / VAULT_FILE_NAME
    tables = ("vault_people", "vault_texts", "vault_files", "vault_person_index")
    with sqlite3.connect(path) as connection:
        old_rows = {table: connection.execute(f"SELECT * FROM {table} WHERE case_id = ?",
                                              (case_id.bytes,)).fetchall() for table in tables}
    connection.close()
    assert all(old_rows.values())

    assert vault.erase(case_id)
    with sqlite3.connect(path) as connection:  # the backup's rows, back in the vault
        for table, rows in old_rows.items():
            marks = ", ".join("?" * len(rows[0]))
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    connection.close()

    assert vault.read(case_id) is None
    assert vault.read_text(case_id, text_id) is None
    assert vault.read_file(case_id, file_id) is None
    with pytest.raises(LookupError):
        vault.store_text(case_id, uuid4(), OUTCOME_NOTE)
    assert vault.rotate().erased_again == 1
    with sqlite3.connect(path) as connection:
        assert [connection.execute(f"SELECT count(*) FROM {table} WHERE case_id = ?",
                                   (case_id.bytes,)).fetchone()[0] for table in tables] == [
            0, 0, 0, 0]
    connection.close()
    vault.close()


@pytest.mark.postgres
def test_on_postgresql_erasure_removes_the_person_s_blind_index_entries(
    own_postgres_database: str,
) -> None:
    settings = Settings(database_url=own_postgres_database)
    record = open_record(settings)
    vault = PostgresVault(own_postgres_database, POSTGRES_MASTER_KEY)
    index = PostgresPersonIndex(own_postgres_database, bytes(range(32)))
    cases = CaseService(record, vault)
    person = the_person()
    receipt = cases.record_intake(uuid4(), an_intake(City.FIRENZE), person,
                                  a_coordinator(City.FIRENZE), NOW)
    index.add(receipt.case_id, identity_keys(person))
    assert [e.case_id for e in index.find(identity_keys(person))] == [receipt.case_id]

    cases.erase_personal_data(receipt.case_id, date(2021, 3, 11), REQUEST_REFERENCE,
                              a_coordinator(City.FIRENZE), ERASED_ON)

    assert index.find(identity_keys(person)) == []
    index.close()
    record.close()
    vault.close()
