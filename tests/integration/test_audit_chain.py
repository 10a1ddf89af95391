"""Tamper evidence end to end: a history published by the relay to a real nats-server and a real
SQLite event store, then verified with `lgnet audit verify` from the event store, from the NATS
stream and from evidence bundles, untouched and after each kind of tampering."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import uuid4

import jsonschema
import nats
import nats.js.errors
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js import JetStreamContext
from typer.testing import CliRunner

from domain.audit.model import AuditCheckpoint
from domain.cases.model import Case, CaseRegister
from domain.cases.rules import CaseOutcome
from domain.programme import CARD_TERMS, City
from domain.record import ProgrammeRecord
from events.audit import AuditCheckpointSignedV2
from events.audit_chain import (
    GENESIS_HASH,
    ChainedMessage,
    ProblemKind,
    canonical_content,
    link_hash,
)
from events.catalogue import json_schemas
from events.cloudevents import CHAIN_HASH, CHAIN_SEQ, from_message
from infra.audit.chain_store import CHAIN_TABLE, AuditChainStore, ChainLink
from infra.audit.checkpoints import (
    Checkpointer,
    SigningKey,
    audit_dir,
    load_or_create_signing_key,
    read_public_key,
)
from infra.audit.evidence import stored_events, verify_messages, verify_store
from infra.cli.main import app
from infra.nats import streams
from infra.nats.auth import OBSERVER_USER
from infra.nats.credentials import embedded_credentials, embedded_nats_server, platform_nats_url
from infra.nats.server import EmbeddedNats, free_port
from infra.nats.streams import AUDIT_STREAM_NAME, STREAM_NAME, ensure_stream, read_stream
from infra.pipeline.relay import Relay, RelayError
from infra.publishing.messages import PUBLIC_TOPICS, message_via_contract, to_message
from infra.settings import Settings
from infra.store.eventstore import EVENTS_FILE_NAME, open_record
from projections.projection import Delivered, apply_batch, ensure_created
from projections.registry import default_projections
from projections.storage.read_models import SqliteReadModels
from tests.builders import NOW, a_coordinator, a_reason, an_intake
from tests.conftest import headers_of

pytestmark = pytest.mark.nats

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT_INTERVAL = 4
CHECKPOINT_TYPE = AuditCheckpointSignedV2.ce_type()


@dataclass
class Platform:
    settings: Settings
    record: ProgrammeRecord
    nats_url: str

    @property
    def events_file(self) -> Path:
        return self.settings.data_dir / EVENTS_FILE_NAME

    def checkpointer(self, key: SigningKey | None = None) -> Checkpointer:
        key = key or load_or_create_signing_key(audit_dir(self.settings))
        return Checkpointer(self.record, key, CHECKPOINT_INTERVAL)

    async def publish(self, key: SigningKey | None = None) -> None:
        """Publish everything, the checkpoints signed on the way included."""
        relay = Relay(self.record, self.nats_url, checkpoints=self.checkpointer(key))
        while await relay.publish_pending():
            pass

    def public_positions(self) -> list[int]:
        return [n.id for n in self.record.recorder.select_notifications(
            1, 10**6, topics=PUBLIC_TOPICS)]

    def intake_positions(self) -> list[int]:
        return [n.id for n in self.record.recorder.select_notifications(1, 10**6)
                if n.topic.endswith("Case.IntakeRecorded")]


@pytest.fixture
def platform(tmp_path: Path, nats_server: EmbeddedNats) -> Iterator[Platform]:
    settings = Settings(data_dir=tmp_path / "data", checkpoint_interval=CHECKPOINT_INTERVAL)
    record = open_record(settings)
    yield Platform(settings, record, nats_server.url)
    record.close()


@pytest.fixture
async def js(nats_server: EmbeddedNats) -> AsyncIterator[JetStreamContext]:
    connection = await nats.connect(nats_server.url)
    yield connection.jetstream()
    await connection.close()


def record_history(record: ProgrammeRecord, intakes: int = 9) -> None:
    """Intakes in three cities (with a case register's internal events between them), one
    erasure and one closure."""
    cities = [City.MILANO, City.FIRENZE, City.ROMA]
    cases = []
    first_code = record.recorder.max_notification_id() or 0  # codes and years stay unique
    for index in range(intakes):
        city = cities[index % 3]
        if index % 3 == 0:
            # Internal, never published: positions and chain numbers part ways.
            record.save(CaseRegister.open(city, 1000 + first_code + index, NOW))
        code = f"{CARD_TERMS.province_code(city)}-2021-{first_code + index + 1:05d}"
        case = Case.take_in(uuid4(), code, an_intake(city),
                            a_coordinator(city), NOW)
        record.save(case)
        cases.append(case)
    cases[1].erase_personal_data(date(2021, 3, 10), "PROT-2021-7", a_coordinator(City.FIRENZE),
                                 NOW)
    cases[3].close(CaseOutcome.AUTONOMY, date(2021, 3, 10), a_reason(),
                   a_coordinator(City.MILANO), NOW)
    record.save(cases[1], cases[3])


def lgnet(platform: Platform, *args: str) -> tuple[int, str]:
    """`lgnet ...` with this platform's settings; its exit code and output."""
    result = CliRunner().invoke(
        app, list(args), env={"LGNET_DATA_DIR": str(platform.settings.data_dir),
                              "LGNET_CHECKPOINT_INTERVAL": str(CHECKPOINT_INTERVAL)},
    )
    return result.exit_code, result.output


async def algnet(platform: Platform, *args: str) -> tuple[int, str]:
    """lgnet from a worker thread: the NATS verification runs an event loop of its own."""
    return await asyncio.to_thread(lgnet, platform, *args)


def tamper(platform: Platform, statement: str, params: tuple[object, ...] = ()) -> None:
    with sqlite3.connect(platform.events_file) as connection:
        connection.execute(statement, params)


def stored_state(platform: Platform, position: int) -> bytes:
    with sqlite3.connect(platform.events_file) as connection:
        (state,) = connection.execute(
            "SELECT state FROM stored_events WHERE rowid = ?", (position,)).fetchone()
    return bytes(state)


@pytest.fixture
async def published(platform: Platform) -> Platform:
    record_history(platform.record)
    await platform.publish()
    return platform


# --- untouched --------------------------------------------------------------------------------


async def test_an_untouched_history_verifies_from_the_store_and_from_nats(
    published: Platform, js: JetStreamContext
) -> None:
    code, output = await algnet(published, "audit", "verify")
    assert code == 0, output
    assert "event store: OK, 14 events verified" in output  # 11 events, 3 checkpoints
    code, output = await algnet(published, "audit", "verify", "--nats", published.nats_url)
    assert code == 0, output
    assert "OK, 14 events verified" in output
    assert "3 checkpoints verified, the last at chain seq 12" in output

    messages = await read_stream(js)
    assert [int(headers_of(m)[CHAIN_SEQ]) for m in messages] == list(range(1, 15))
    # The hash rule, recomputed here from the stream's bytes.
    previous = GENESIS_HASH
    for seq, message in enumerate(messages, start=1):
        previous = link_hash(previous, canonical_content(headers_of(message), message.data, seq))
        assert headers_of(message)[CHAIN_HASH] == previous
    store = AuditChainStore(published.record)
    assert [(link.chain_seq, link.position, link.chain_hash) for link in store.links()] == [
        (int(headers_of(m)[CHAIN_SEQ]), int(headers_of(m)["ce-lgnetposition"]),
         headers_of(m)[CHAIN_HASH])
        for m in messages
    ]
    third = int(headers_of(messages[2])["ce-lgnetposition"])
    # What the auditors' event browser shows: an unpublished position has no hash.
    assert store.chain_hashes([third, 10**6]) == {
        third: (3, headers_of(messages[2])[CHAIN_HASH])}


async def test_a_checkpoint_is_a_network_event_every_consumer_can_read_and_ignore(
    published: Platform, js: JetStreamContext, tmp_path: Path
) -> None:
    messages = await read_stream(js)
    checkpoints = [m for m in messages if headers_of(m)["ce-type"] == CHECKPOINT_TYPE]
    assert [json.loads(m.data)["chain_seq"] for m in checkpoints] == [4, 8, 12]
    first = checkpoints[0]
    assert first.subject == "lgnet.network.audit.checkpoint_signed"
    event = from_http(HTTPMessage(headers=headers_of(first), body=first.data), JSONFormat())
    assert event.get_source() == "/lgnet/network"
    assert event.get_subject() == "4"
    assert event.get_extension("actorkind") == "system"
    jsonschema.Draft202012Validator(json_schemas()[CHECKPOINT_TYPE]).validate(event.get_data())
    # The projections take it in their stride: applied, and no read model changes.
    read_models = SqliteReadModels(tmp_path / "readmodels.sqlite")
    try:
        for projection in default_projections():
            ensure_created(read_models, projection)
            tracking = apply_batch(read_models, projection, [Delivered(
                stream_seq=first.metadata.sequence.stream,
                envelope=from_message(headers_of(first), first.data),
            )])
            assert tracking.stream_seq == first.metadata.sequence.stream
        with read_models.reading() as tx:
            assert tx.fetchone("SELECT COUNT(*) FROM rm_cases") == (0,)
    finally:
        read_models.close()


async def test_the_public_key_is_printed_for_auditors(published: Platform) -> None:
    code, output = lgnet(published, "audit", "public-key")
    assert code == 0
    assert output.startswith("-----BEGIN PUBLIC KEY-----")
    key_file = audit_dir(published.settings) / "checkpoint-signing-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600


# --- the event store tampered with --------------------------------------------------------------


async def test_one_altered_byte_of_a_stored_event_is_reported_at_its_position(
    published: Platform,
) -> None:
    position = published.intake_positions()[4]
    state = stored_state(published, position)
    assert state.count(b'"ER"') == 1
    tamper(published, "UPDATE stored_events SET state = ? WHERE rowid = ?",
           (state.replace(b'"ER"', b'"FR"'), position))
    code, output = lgnet(published, "audit", "verify")
    assert code == 1
    assert f"ALTERED at position {position}," in output


async def test_a_state_the_fast_mapping_reads_otherwise_is_not_called_altered(
    published: Platform,
) -> None:
    """The same instant written in another ISO form: the intake's fast layout copies the stored
    text into ce-time, the reference mapping (the relay's authority) writes the instant as the
    relay published it. Verify checks the reference before calling an event altered."""
    position = published.intake_positions()[4]
    state = stored_state(published, position)
    stored_time = b'"_data_":"2021-03-10T09:30:00+00:00"'
    assert state.count(stored_time) == 1
    tamper(published, "UPDATE stored_events SET state = ? WHERE rowid = ?",
           (state.replace(stored_time, b'"_data_":"2021-03-10T09:30:00.000000+00:00"'),
            position))
    (notification,) = published.record.recorder.select_notifications(position, 1)
    fast = to_message(notification, published.record.mapper)
    reference = message_via_contract(notification, published.record.mapper)
    assert fast.headers["ce-time"] == "2021-03-10T09:30:00.000000+00:00"
    assert reference.headers["ce-time"] == "2021-03-10T09:30:00+00:00"
    code, output = lgnet(published, "audit", "verify")
    assert code == 0, output
    assert "event store: OK" in output


async def test_a_deleted_stored_event_is_reported_missing_at_its_position(
    published: Platform,
) -> None:
    position = published.intake_positions()[2]
    tamper(published, "DELETE FROM stored_events WHERE rowid = ?", (position,))
    code, output = lgnet(published, "audit", "verify")
    assert code == 1
    assert f"MISSING at position {position}, chain seq 3" in output


async def test_two_swapped_stored_events_are_reported_at_the_first(published: Platform) -> None:
    first, second = published.intake_positions()[5:7]
    states = stored_state(published, first), stored_state(published, second)
    tamper(published, "UPDATE stored_events SET state = ? WHERE rowid = ?", (states[1], first))
    tamper(published, "UPDATE stored_events SET state = ? WHERE rowid = ?", (states[0], second))
    code, output = lgnet(published, "audit", "verify")
    assert code == 1
    assert f"ALTERED at position {first}," in output


async def test_recomputed_hashes_in_the_store_are_caught_by_the_signed_checkpoints(
    published: Platform,
) -> None:
    """An intruder who alters an event and rewrites the chain table to match cannot re-sign
    the checkpoints."""
    position = published.intake_positions()[0]
    state = stored_state(published, position)
    tamper(published, "UPDATE stored_events SET state = ? WHERE rowid = ?",
           (state.replace(b'"ER"', b'"FR"'), position))
    store = AuditChainStore(published.record)
    links = store.links()
    events = {e.position: e for e in stored_events(published.record, store)}
    previous = GENESIS_HASH
    for link in links:
        message = events[link.position].message
        assert message is not None
        previous = link_hash(previous, canonical_content(message.headers, message.body,
                                                         link.chain_seq))
        tamper(published, f"UPDATE {CHAIN_TABLE} SET chain_hash = ? WHERE chain_seq = ?",
               (previous, link.chain_seq))
    code, output = lgnet(published, "audit", "verify")
    assert code == 1
    assert "CHECKPOINT MISMATCH" in output


async def test_a_checkpoint_signed_with_another_key_fails(published: Platform) -> None:
    # The relay signs the next checkpoints with a key that is not the platform's published one.
    record_history(published.record, intakes=4)
    await published.publish(key=SigningKey(Ed25519PrivateKey.generate()))
    key_id = load_or_create_signing_key(audit_dir(published.settings)).key_id
    checkpoint_position = next(
        n.id for n in published.record.recorder.select_notifications(1, 10**6)
        if n.topic.endswith("AuditCheckpoint.Signed")
        and isinstance(signed := published.record.mapper.to_domain_event(n),
                       AuditCheckpoint.Signed)
        and signed.key_id != key_id
    )
    code, output = lgnet(published, "audit", "verify")
    assert code == 1
    assert f"BAD SIGNATURE at position {checkpoint_position}" in output
    assert f"not {key_id}" in output
    code, output = await algnet(published, "audit", "verify", "--nats", published.nats_url)
    assert code == 1 and f"BAD SIGNATURE at position {checkpoint_position}" in output


# --- the NATS stream tampered with ------------------------------------------------------------


async def test_the_stream_refuses_to_delete_a_message(
    published: Platform, js: JetStreamContext
) -> None:
    with pytest.raises(nats.js.errors.ServerError, match="message delete not permitted"):
        await js.delete_msg(STREAM_NAME, 5)
    with pytest.raises(nats.js.errors.ServerError):
        await js.purge_stream(STREAM_NAME)
    info = await js.stream_info(STREAM_NAME)
    assert (info.config.deny_delete, info.config.deny_purge) == (True, True)
    # Nor the witness of the signed heads (issue 19, item 2).
    with pytest.raises(nats.js.errors.ServerError, match="message delete not permitted"):
        await js.delete_msg(AUDIT_STREAM_NAME, 1)
    with pytest.raises(nats.js.errors.ServerError):
        await js.purge_stream(AUDIT_STREAM_NAME)
    audit = await js.stream_info(AUDIT_STREAM_NAME)
    assert audit.state.messages >= 1
    assert (audit.config.deny_delete, audit.config.deny_purge) == (True, True)


async def test_a_message_deleted_from_the_stream_is_detected(
    platform: Platform, js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream made before deletes were denied may hold holes: they are reported."""
    monkeypatch.setattr(streams, "DENY_REMOVAL", False)
    record_history(platform.record)
    await platform.publish()
    published = platform
    await js.delete_msg(STREAM_NAME, 5)
    code, output = await algnet(published, "audit", "verify", "--nats", published.nats_url)
    assert code == 1
    assert "MISSING at chain seq 5" in output
    # The event store still verifies: the two checks are independent.
    assert lgnet(published, "audit", "verify")[0] == 0


async def test_a_message_added_to_the_stream_is_detected(
    published: Platform, js: JetStreamContext
) -> None:
    copied = await js.get_msg(STREAM_NAME, 2)
    assert copied.subject is not None and copied.data is not None and copied.headers is not None
    headers = {name: value for name, value in (copied.headers or {}).items()
               if not name.startswith("Nats-Expected")} | {"Nats-Msg-Id": "lgnet:999999"}
    await js.publish(copied.subject, copied.data, headers=headers)
    code, output = await algnet(published, "audit", "verify", "--nats", published.nats_url)
    assert code == 1
    assert f"INSERTED at position {copied.headers['ce-lgnetposition']}" in output

    forged_body = copied.data.replace(b'"ER"', b'"FR"')
    messages = [ChainedMessage(dict(headers_of(m)), m.data) for m in await read_stream(js)][:-1]
    messages[1] = ChainedMessage(messages[1].headers, forged_body)
    report = verify_messages(messages, read_public_key(audit_dir(published.settings)))
    assert report.problem is not None and report.problem.kind is ProblemKind.ALTERED


# --- evidence bundles -------------------------------------------------------------------------


async def test_a_bundle_verifies_offline_and_fails_at_an_altered_line(
    published: Platform, tmp_path: Path
) -> None:
    everything = tmp_path / "all"
    code, output = lgnet(published, "audit", "export", "--out", str(everything))
    assert code == 0, output
    assert {p.name for p in everything.iterdir()} == {
        "events.jsonl", "checkpoints.jsonl", "public_key.pem", "README.md", "manifest.json",
        "proofs.jsonl"}
    assert lgnet(published, "audit", "verify", "--bundle", str(everything))[0] == 0

    firenze = tmp_path / "firenze"
    assert lgnet(published, "audit", "export", "--out", str(firenze), "--city", "firenze")[0] == 0
    lines = (firenze / "events.jsonl").read_text().splitlines()
    assert len(lines) == 4  # three intakes and an erasure
    assert all(json.loads(line)["headers"]["ce-source"] == "/lgnet/cities/firenze"
               for line in lines)
    code, output = lgnet(published, "audit", "verify", "--bundle", str(firenze))
    assert code == 0, output
    assert "checkpoints verified" in output

    altered = json.loads(lines[2])
    altered["data"]["citizenship"] = "FR"
    (firenze / "events.jsonl").write_text(
        "\n".join([lines[0], lines[1], json.dumps(altered), lines[3]]) + "\n")
    code, output = lgnet(published, "audit", "verify", "--bundle", str(firenze))
    assert code == 1
    assert f"ALTERED at position {altered['headers']['ce-lgnetposition']}," in output


async def test_a_bundle_with_a_forged_checkpoint_signature_fails(
    published: Platform, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    assert lgnet(published, "audit", "export", "--out", str(bundle), "--case",
                 "MI-2021-00004")[0] == 0
    (checkpoint,) = [json.loads(line)
                     for line in (bundle / "checkpoints.jsonl").read_text().splitlines()][:1]
    statement = dict(checkpoint["data"])
    statement["signature"] = "00" * 64
    forged_hash = link_hash(checkpoint["previous_hash"], canonical_content(
        checkpoint["headers"], statement, checkpoint["chain_seq"]))
    checkpoint |= {"data": statement, "hash": forged_hash,
                   "headers": checkpoint["headers"] | {CHAIN_HASH: forged_hash}}
    (bundle / "checkpoints.jsonl").write_text(json.dumps(checkpoint) + "\n")
    code, output = lgnet(published, "audit", "verify", "--bundle", str(bundle))
    assert code == 1
    assert f"BAD SIGNATURE at position {checkpoint['headers']['ce-lgnetposition']}" in output


# --- the chain survives crashes ---------------------------------------------------------------

RELAY_PROCESS = """
import asyncio, sys
from pathlib import Path
from infra.audit.checkpoints import open_checkpointer
from infra.store.eventstore import open_record
from infra.pipeline.relay import Relay
from infra.settings import Settings
settings = Settings(data_dir=Path(sys.argv[1]), checkpoint_interval=100)
record = open_record(settings)
relay = Relay(record, sys.argv[2], batch_size=50, checkpoints=open_checkpointer(settings, record))
asyncio.run(relay.run(asyncio.Event()))
"""


async def test_the_chain_survives_a_relay_killed_mid_run(
    platform: Platform, js: JetStreamContext
) -> None:
    for _ in range(60):
        record_history(platform.record, intakes=30)
    process = subprocess.Popen(
        [sys.executable, "-c", RELAY_PROCESS, str(platform.settings.data_dir), platform.nats_url],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        async with asyncio.timeout(60):
            while await _stream_count(js) < 400:
                await asyncio.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    published_before = (await js.stream_info(STREAM_NAME)).state.messages
    assert published_before < len(platform.public_positions())

    # A crash between the acks and the table write loses the table's tail: the stream has it.
    store = AuditChainStore(platform.record)
    tamper(platform, f"DELETE FROM {CHAIN_TABLE} WHERE chain_seq > ?", (published_before - 30,))
    await platform.publish()
    messages = await read_stream(js)
    assert len(messages) == len(platform.public_positions())
    assert len(store.links()) == len(messages)
    assert sum(headers_of(m)["ce-type"] == CHECKPOINT_TYPE for m in messages) >= 10
    code, output = await algnet(platform, "audit", "verify", "--store", "--nats",
                                platform.nats_url)
    assert code == 0, output
    assert output.count(": OK,") == 2


async def _stream_count(js: JetStreamContext) -> int:
    try:
        return (await js.stream_info(STREAM_NAME)).state.messages
    except nats.js.errors.NotFoundError:
        return 0  # the relay has not created it yet


async def test_a_stream_lost_and_republished_carries_the_same_chain(
    published: Platform, js: JetStreamContext
) -> None:
    before = [(headers_of(m)[CHAIN_SEQ], headers_of(m)[CHAIN_HASH])
              for m in await read_stream(js)]
    await js.delete_stream(STREAM_NAME)
    await published.publish()
    after = [(headers_of(m)[CHAIN_SEQ], headers_of(m)[CHAIN_HASH])
             for m in await read_stream(js)]
    assert after[:len(before)] == before
    assert (await algnet(published, "audit", "verify", "--store", "--nats",
                         published.nats_url))[0] == 0


async def test_an_auditor_with_the_read_only_observer_credentials_verifies_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded server as `lgnet run` starts it: the observer may read stream LGNET through
    an ordered consumer named as itself, and nothing else."""
    settings = Settings(data_dir=tmp_path / "data", nats_port=free_port(),
                        checkpoint_interval=CHECKPOINT_INTERVAL)
    server = embedded_nats_server(settings).start()
    record = open_record(settings)
    try:
        platform = Platform(settings, record, platform_nats_url(settings))
        record_history(record)
        await platform.publish()
        password = embedded_credentials(settings)[OBSERVER_USER]
        observer_url = f"nats://127.0.0.1:{settings.nats_port}"
        # Issue 18 item 19: the password from a file or the environment, never an argument.
        password_file = tmp_path / "observer-password"
        password_file.write_text(password + "\n")
        code, output = await algnet(platform, "audit", "verify", "--nats", observer_url,
                                    "--user", OBSERVER_USER, "--password-file",
                                    str(password_file))
        assert code == 0, output
        assert "OK, 14 events verified" in output
        monkeypatch.setenv("LGNET_AUDIT_NATS_PASSWORD", "wrong")
        code, output = await algnet(platform, "audit", "verify", "--nats", observer_url,
                                    "--user", OBSERVER_USER)
        assert code == 3 and "cannot read stream LGNET" in output
        code, output = await algnet(platform, "audit", "verify", "--nats", observer_url,
                                    "--user", OBSERVER_USER, "--password", password)
        assert code == 2 and "No such option" in output
        code, output = await algnet(
            platform, "audit", "verify", "--nats",
            f"nats://{OBSERVER_USER}:{password}@127.0.0.1:{settings.nats_port}")
        assert code == 1 and "LGNET_AUDIT_NATS_PASSWORD or --password-file" in output
        assert password not in output
    finally:
        record.close()
        server.stop()


@pytest.mark.postgres
async def test_the_chain_is_kept_and_verified_on_postgresql(
    own_postgres_database: str, tmp_path: Path, nats_server: EmbeddedNats
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=own_postgres_database,
                        checkpoint_interval=CHECKPOINT_INTERVAL)
    record = open_record(settings)
    try:
        platform = Platform(settings, record, nats_server.url)
        record_history(record)
        await platform.publish()
        store = AuditChainStore(record)
        links = store.links()
        assert [link.chain_seq for link in links] == list(range(1, 15))
        assert store.head() == links[-1]
        assert store.chain_hashes([links[4].position]) == {
            links[4].position: (5, links[4].chain_hash)}
        report = verify_store(record, store, read_public_key(audit_dir(settings)))
        assert report.ok and report.verified == 14 and len(report.checkpoints) == 3
        # Rows are only added: the same link again changes nothing, another hash is refused.
        assert store.record_links([links[0]]) == []
        forged = ChainLink(1, links[0].position, "00" * 32)
        assert store.record_links([forged]) == [forged]
        assert store.links(1, 1) == [links[0]]
    finally:
        record.close()


async def test_the_relay_refuses_to_continue_a_stream_published_without_the_chain(
    platform: Platform, js: JetStreamContext
) -> None:
    """An older relay's messages carry no chain: continuing after them would leave the start
    of the history unchained, so the relay stops and says what to do."""
    record_history(platform.record, intakes=4)
    (first,) = platform.record.recorder.select_notifications(1, 1, topics=PUBLIC_TOPICS)
    message = to_message(first, platform.record.mapper)
    await ensure_stream(js)
    await js.publish(message.subject, message.body,
                     headers=message.headers | {"Nats-Msg-Id": f"lgnet:{first.id}"})
    with pytest.raises(RelayError, match="no audit-chain headers"):
        await Relay(platform.record, platform.nats_url).publish_pending()
