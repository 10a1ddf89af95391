"""Issue 19: tamper evidence that holds against an intruder with database and file access. Each
test starts from a clean small record published by the real relay (stopped cleanly, so its head
is signed and witnessed in the store, stream LGNET_AUDIT and the witness file), tampers with the
tables or files directly, and runs `lgnet audit verify`, asserting the exit code and the place
named. On SQLite and, where marked, on PostgreSQL."""

from __future__ import annotations

import ast
import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from domain.audit.model import AUDIT_SYSTEM_ACTOR, AuditCheckpoint
from domain.record import ProgrammeRecord
from events.audit_chain import GENESIS_HASH, canonical_content, key_id_of, link_hash
from events.audit_tree import checkpoint_statement
from infra.audit.chain_store import CHAIN_TABLE, AuditChainStore
from infra.audit.checkpoints import (
    PUBLIC_KEY_FILE_NAME,
    audit_dir,
    fingerprint_of,
    load_or_create_signing_key,
    open_checkpointer,
    public_key_pem,
    read_public_key,
)
from infra.audit.evidence import read_stream_state, stored_events
from infra.audit.witness import read_audit_stream, read_heads_file, witness_file
from infra.cli.audit import EXIT_CANNOT_CHECK, EXIT_KEY_UNCONFIRMED, EXIT_UNSIGNED
from infra.cli.main import app
from infra.nats import streams
from infra.nats.server import EmbeddedNats
from infra.nats.streams import AUDIT_STREAM_NAME, STREAM_NAME
from infra.pipeline import outbox_reader
from infra.pipeline.relay import Relay
from infra.publishing.messages import PUBLIC_TOPICS
from infra.settings import Settings
from infra.store.eventstore import EVENTS_FILE_NAME, open_record
from tests.builders import NOW
from tests.integration.test_audit_chain import record_history
from tests.integration.test_intake_versioning import as_the_old_relay_published
from tests.v1_store import store_v1

pytestmark = pytest.mark.nats

INTERVAL = 10


@dataclass
class World:
    settings: Settings
    record: ProgrammeRecord
    nats_url: str

    def env(self) -> dict[str, str]:
        env = {"LGNET_DATA_DIR": str(self.settings.data_dir), "LGNET_NATS_URL": self.nats_url}
        if self.settings.database_url:
            env["LGNET_DATABASE_URL"] = self.settings.database_url
        return env

    def lgnet(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args), env=self.env() | (env or {}))
        return result.exit_code, result.output

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        events = getattr(self.record.recorder, "events_table_name", "stored_events")
        if self.settings.database_url is None:
            statement = statement.format(events="stored_events", chain=CHAIN_TABLE,
                                         id="rowid")
            with sqlite3.connect(self.settings.data_dir / EVENTS_FILE_NAME) as connection:
                return connection.execute(statement, params).fetchall()
        statement = statement.format(events=events, chain=CHAIN_TABLE,
                                     id="notification_id").replace("?", "%s")
        with psycopg.connect(self.settings.database_url, autocommit=True) as connection:
            cursor = connection.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def public_positions(self) -> list[int]:
        return [n.id for n in self.record.recorder.select_notifications(
            1, 10**6, topics=PUBLIC_TOPICS)]

    def checkpoint_positions(self) -> list[int]:
        return [n.id for n in self.record.recorder.select_notifications(1, 10**6)
                if n.topic.endswith("AuditCheckpoint.Signed")]


async def run_relay_until_published(world: World, *, stop_cleanly: bool = True) -> None:
    """The relay as `lgnet run` runs it, until every public event is in the chain table; then
    stopped (a clean stop signs the head)."""
    relay = Relay(world.record, world.nats_url,
                  checkpoints=open_checkpointer(world.settings, world.record))
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    store = AuditChainStore(world.record)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        head = store.head()
        if head is not None and head.position == world.public_positions()[-1]:
            break
        await asyncio.sleep(0.05)
    if stop_cleanly:
        stop.set()
        await task
    else:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def make_world(settings: Settings, nats_url: str) -> World:
    record = open_record(settings)
    world = World(settings, record, nats_url)
    record_history(record, intakes=40)
    await run_relay_until_published(world)
    return world


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def world(request: pytest.FixtureRequest, tmp_path: Path,
                nats_server: EmbeddedNats) -> AsyncIterator[World]:
    database_url = (request.getfixturevalue("own_postgres_database")
                    if request.param == "postgres" else None)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url,
                        checkpoint_interval=INTERVAL, nats_url=nats_server.url)
    world = await make_world(settings, nats_server.url)
    yield world
    world.record.close()


@pytest.fixture
async def sqlite_world(tmp_path: Path, nats_server: EmbeddedNats) -> AsyncIterator[World]:
    settings = Settings(data_dir=tmp_path / "data", checkpoint_interval=INTERVAL,
                        nats_url=nats_server.url)
    world = await make_world(settings, nats_server.url)
    yield world
    world.record.close()


def change_an_intake_and_recompute_the_chain(world: World, which: int) -> int:
    """The tamper no key is needed for: the `which`-th intake's citizenship changed in the store
    and every chain hash recomputed after it. Returns the intake's position."""
    store = AuditChainStore(world.record)
    intake = [n.id for n in world.record.recorder.select_notifications(1, 10**6)
              if n.topic.endswith("Case.IntakeRecorded")][which]
    (state,) = world.sql("SELECT state FROM {events} WHERE {id} = ?", (intake,))[0]
    world.sql("UPDATE {events} SET state = ? WHERE {id} = ?",
              (bytes(state).replace(b'"ER"', b'"FR"'), intake))
    events = {e.position: e for e in stored_events(world.record, store)}
    previous = GENESIS_HASH
    for link in store.links():
        message = events[link.position].message
        assert message is not None
        previous = link_hash(previous, canonical_content(message.headers, message.body,
                                                         link.chain_seq))
        world.sql("UPDATE {chain} SET chain_hash = ? WHERE chain_seq = ?",
                  (previous, link.chain_seq))
    return intake


async def test_a_clean_stop_signs_the_head_and_every_witness_holds_it(world: World) -> None:
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", "--require-signed")
    assert code == 0, output
    assert "not yet covered" not in output
    last_public = world.public_positions()[-1]
    # The last public event is the checkpoint signed at the stop, over everything before it.
    assert world.checkpoint_positions()[-1] == last_public
    file_heads = read_heads_file(witness_file(world.settings))
    connection = await nats.connect(world.nats_url)
    try:
        stream_heads = await read_audit_stream(connection.jetstream())
    finally:
        await connection.close()
    assert [h.chain_seq for h in stream_heads] == [h.chain_seq for h in file_heads]
    assert file_heads[-1].chain_seq == len(world.public_positions()) - 1
    assert file_heads[-1].root_hash is not None
    assert file_heads[-1].deployment_id and file_heads[-1].signed_at


async def test_deleting_the_tail_with_its_checkpoints_is_truncation(world: World) -> None:
    cut = world.public_positions()[-12]
    world.sql("DELETE FROM {events} WHERE {id} >= ?", (cut,))
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify")
    assert code == 1, output
    assert "TRUNCATED" in output and "events were removed from the end" in output
    # The first chain event gone: every public event is a chain event, in log order.
    assert f"chain seq {len(world.public_positions()) + 1}:" in output


async def test_deleting_the_first_events_is_named_at_the_first_position(world: World) -> None:
    """Truncation at the start: the chain table still records where chain event 1 was."""
    first, fourth = world.public_positions()[0], world.public_positions()[3]
    world.sql("DELETE FROM {events} WHERE {id} < ?", (fourth,))
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify")
    assert code == 1, output
    assert f"MISSING at position {first}, chain seq 1: chain event(s) 1 to 3 are missing" \
        in output


async def test_the_store_rewritten_with_the_stream_intact_names_the_first_difference(
    world: World,
) -> None:
    """An event changed in the store and the chain recomputed after it (no key needed): the
    store against the stream names the first chain event where they differ."""
    intake = change_an_intake_and_recompute_the_chain(world, -3)
    seq = world.public_positions().index(intake) + 1
    code, output = await asyncio.to_thread(
        world.lgnet, "audit", "verify", "--nats", world.nats_url, "--store")
    assert code == 1, output
    assert f"NATS {world.nats_url}: OK" in output
    assert (f"event store vs stream: FAILED: WITNESS MISMATCH at position {intake}, chain seq "
            f"{seq}: the event store and the stream differ first here") in output


async def test_deleting_the_tail_and_its_chain_rows_is_caught_by_the_witnesses(
    world: World,
) -> None:
    cut = world.public_positions()[-12]
    world.sql("DELETE FROM {events} WHERE {id} >= ?", (cut,))
    world.sql("DELETE FROM {chain} WHERE position >= ?", (cut,))
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify")
    assert code == 1, output
    assert "TRUNCATED" in output
    assert "witnessed by" in output


async def test_verify_called_inside_an_event_loop_still_consults_the_audit_stream(
    world: World,
) -> None:
    """Called from async code (here the test's own loop, no thread in between), verify cannot
    use asyncio.run: it reads stream LGNET_AUDIT on a loop of its own instead of skipping it.
    With the witness file gone, only the stream can show the tail was cut."""
    cut = world.public_positions()[-12]
    world.sql("DELETE FROM {events} WHERE {id} >= ?", (cut,))
    world.sql("DELETE FROM {chain} WHERE position >= ?", (cut,))
    witness_file(world.settings).unlink()
    code, output = world.lgnet("audit", "verify")
    assert "not consulted" not in output
    assert code == 1, output
    assert "TRUNCATED" in output and f"witnessed by stream {AUDIT_STREAM_NAME}" in output


async def test_deleting_every_chain_row_is_missing_not_pending(world: World) -> None:
    world.sql("DELETE FROM {chain}")
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify")
    assert code == 1, output
    assert f"MISSING at position {world.public_positions()[0]}" in output
    assert "not published yet" not in output


async def test_a_deleted_chain_row_in_the_middle_is_named(world: World) -> None:
    position = world.public_positions()[7]
    world.sql("DELETE FROM {chain} WHERE position = ?", (position,))
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify")
    assert code == 1, output
    assert f"MISSING at position {position}" in output
    assert "no entry in lgnet_audit_chain" in output


async def test_an_event_changed_and_the_chain_recomputed_fails(world: World) -> None:
    """No key needed to recompute the chain: the signed head at the stop (in the store, the
    stream and the witness file) no longer matches."""
    change_an_intake_and_recompute_the_chain(world, -1)
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify")
    assert code == 1, output
    assert "CHECKPOINT MISMATCH" in output or "WITNESS MISMATCH" in output


async def test_a_missing_event_store_is_an_error_and_nothing_is_created(
    tmp_path: Path, nats_server: EmbeddedNats,
) -> None:
    missing = tmp_path / "nowhere"
    result = CliRunner().invoke(app, ["audit", "verify"], env={
        "LGNET_DATA_DIR": str(missing), "LGNET_NATS_URL": nats_server.url})
    assert result.exit_code == EXIT_CANNOT_CHECK
    assert f"no event store at {missing / EVENTS_FILE_NAME}" in result.output
    assert not missing.exists()


async def test_verify_writes_nothing_into_the_store(sqlite_world: World) -> None:
    world = sqlite_world
    events_file = world.settings.data_dir / EVENTS_FILE_NAME
    world.record.close()
    before = events_file.read_bytes()
    events_file.chmod(0o444)
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify")
    assert code == 0, output
    assert events_file.read_bytes() == before


async def test_a_replaced_key_pair_is_caught_by_the_pin(world: World) -> None:
    code, fingerprint = world.lgnet("audit", "public-key", "--fingerprint")
    original = read_public_key(audit_dir(world.settings))
    assert original is not None
    assert code == 0 and fingerprint.strip() == fingerprint_of(original)
    assert fingerprint_of(original).startswith(key_id_of(original))
    pin = {"LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT": fingerprint.strip()}
    assert world.lgnet("audit", "verify", env=pin)[0] == 0
    # Unpinned: a loud warning, and --strict refuses.
    code, output = world.lgnet("audit", "verify")
    assert code == 0 and "WARNING" in output
    assert world.lgnet("audit", "verify", "--strict")[0] == EXIT_KEY_UNCONFIRMED
    (audit_dir(world.settings) / PUBLIC_KEY_FILE_NAME).write_text(
        public_key_pem(Ed25519PrivateKey.generate().public_key()))
    code, output = world.lgnet("audit", "verify", env=pin)
    assert code == 1 and "it was replaced" in output


async def test_the_store_shortened_with_the_stream_intact_is_reported(world: World) -> None:
    cut = world.public_positions()[-12]
    world.sql("DELETE FROM {events} WHERE {id} >= ?", (cut,))
    world.sql("DELETE FROM {chain} WHERE position >= ?", (cut,))
    witness_file(world.settings).unlink()
    code, output = await asyncio.to_thread(
        world.lgnet, "audit", "verify", "--nats", world.nats_url, "--store")
    assert code == 1, output
    assert "the stream holds chain events up to" in output


async def test_an_unsigned_tail_is_named_and_fails_with_require_signed(world: World) -> None:
    before = len(world.public_positions())
    record_history(world.record, intakes=4)
    relay = Relay(world.record, world.nats_url)  # no checkpointer: nothing signed
    while await relay.publish_pending():
        pass
    total = len(world.public_positions())
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify")
    assert code == 0, output
    assert f"events {before + 1}–{total} (positions" in output
    assert "are not yet covered by a signature" in output
    code, _ = await asyncio.to_thread(world.lgnet, "audit", "verify", "--require-signed")
    assert code == EXIT_UNSIGNED


async def test_a_damaged_stream_file_keeping_only_the_first_messages_is_diagnosed(
    world: World, nats_server: EmbeddedNats,
) -> None:
    """Row 6 of issue 19, for real: with the server stopped, the stream's message block is cut
    short and its index removed, as a damaged disk or an intruder on the files would leave it;
    restarted, the server rebuilds the stream from what the block still holds and serves only
    the first messages, without an error. Verify reads the stream to its new end (no timeout)
    and names the witnessed head it falls short of; with --store, which copy is longer."""
    connection = await nats.connect(world.nats_url)
    try:
        published = (await connection.jetstream().stream_info(STREAM_NAME)).state.last_seq
    finally:
        await connection.close()
    signed = read_heads_file(witness_file(world.settings))[-1].chain_seq
    assert published == signed + 1  # the clean stop's checkpoint, over everything before it
    nats_server.stop()
    messages = nats_server.store_dir / "jetstream" / "$G" / "streams" / STREAM_NAME / "msgs"
    blocks = sorted(messages.glob("*.blk"), key=lambda path: int(path.stem))
    last_block = blocks[-1]
    with last_block.open("r+b") as file:  # mid-message: the server drops the torn record
        file.truncate(last_block.stat().st_size // 3)
    for index in [*messages.glob("*.idx"), messages / "index.db"]:
        index.unlink(missing_ok=True)
    nats_server.start()
    connection = await nats.connect(world.nats_url)
    try:
        state = (await connection.jetstream().stream_info(STREAM_NAME)).state
    finally:
        await connection.close()
    kept = state.last_seq
    assert state.first_seq == 1 and state.messages == kept and 0 < kept < published

    started = time.monotonic()
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", "--nats",
                                           world.nats_url)
    assert time.monotonic() - started < 10  # read to its end, not waited on
    assert code == 1, output
    assert f"stream LGNET ends at chain seq {kept:,} but a head witnessed by" in output
    assert f"covers chain seq {signed:,}" in output
    assert f"FAILED after {kept} verified events: TRUNCATED at position" in output

    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", "--nats",
                                           world.nats_url, "--store")
    assert code == 1, output
    assert f"event store: OK, {published} events verified" in output
    assert (f"the event store holds chain events up to {published:,}, the stream only up to "
            f"{kept:,}") in output


async def test_the_relay_signs_within_seconds_while_events_flow(sqlite_world: World) -> None:
    world = sqlite_world
    settings = world.settings.model_copy(update={"checkpoint_seconds": 0.3,
                                                 "checkpoint_interval": 1000})
    checkpoints_before = len(world.checkpoint_positions())
    record_history(world.record, intakes=4)
    relay = Relay(world.record, world.nats_url,
                  checkpoints=open_checkpointer(settings, world.record))
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        deadline = time.monotonic() + 5
        while len(world.checkpoint_positions()) == checkpoints_before:
            assert time.monotonic() < deadline, "no checkpoint signed by time"
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    heads = read_heads_file(witness_file(world.settings))
    assert heads[-1].chain_seq == len(world.public_positions()) - 1


def read_key(world: World) -> Any:
    return read_public_key(audit_dir(world.settings))


def test_heads_file_lines_are_json_heads(tmp_path: Path) -> None:
    path = tmp_path / "heads.jsonl"
    path.write_text(json.dumps({"tree_size": 1}) + "\n")
    with pytest.raises(ValueError, match="line 1"):
        read_heads_file(path)


# --- proofs, checked by the independent verifier of docs/audit.md ------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def doc_verifier() -> str:
    text = DOCS.read_text(encoding="utf-8")
    block = text.split("<!-- lgnet-verifier -->\n```python\n", 1)[1].split("```", 1)[0]
    imported = set()
    for node in ast.walk(ast.parse(block)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported == {"hashlib", "json", "sys", "cryptography"}
    assert len(block.splitlines()) <= 35
    return block


def run_verifier(tmp_path: Path, kind: str, document: dict[str, Any]) -> tuple[int, str]:
    script = tmp_path / "verify_lgnet.py"
    script.write_text(doc_verifier())
    proof = tmp_path / "proof.json"
    proof.write_text(json.dumps(document))
    done = subprocess.run(
        [sys.executable, "-I", str(script), str(tmp_path / "key.pem"), kind, str(proof)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout + done.stderr


async def test_inclusion_and_consistency_proofs_hold_for_the_independent_verifier(
    sqlite_world: World, tmp_path: Path,
) -> None:
    world = sqlite_world
    (tmp_path / "key.pem").write_text(world.lgnet("audit", "public-key")[1])
    intake = [n.id for n in world.record.recorder.select_notifications(1, 10**6)
              if n.topic.endswith("Case.IntakeRecorded")][3]
    code, output = world.lgnet("audit", "prove", "--event", str(intake))
    assert code == 0, output
    proof = json.loads(output)
    assert proof["event"]["headers"]["ce-lgnetposition"] == str(intake)
    assert run_verifier(tmp_path, "inclusion", proof) == (0, "OK\n")
    # The event changed (its hash recomputed from the change): the proof no longer holds.
    forged = json.loads(output)
    forged["event"]["data"]["city"] = "roma" if forged["event"]["data"]["city"] != "roma" \
        else "milano"
    assert run_verifier(tmp_path, "inclusion", forged)[0] == 1
    # A head whose root was changed is not the platform's signature.
    forged = json.loads(output)
    forged["head"]["root_hash"] = "00" * 32
    assert run_verifier(tmp_path, "inclusion", forged)[0] == 1

    sizes = [h.chain_seq for h in read_heads_file(witness_file(world.settings))]
    for old, new in ((sizes[0], sizes[-1]), (sizes[1], sizes[2]), (sizes[-1], sizes[-1])):
        code, output = world.lgnet("audit", "consistency", str(old), str(new))
        assert code == 0, output
        assert run_verifier(tmp_path, "consistency", json.loads(output)) == (0, "OK\n")
    code, output = world.lgnet("audit", "consistency", str(sizes[0]), str(sizes[-1]))
    document = json.loads(output)
    document["proof"][0] = "11" * 32
    assert run_verifier(tmp_path, "consistency", document)[0] == 1


async def test_heads_prints_the_signed_heads_and_trust_checks_against_them(
    sqlite_world: World, tmp_path: Path,
) -> None:
    world = sqlite_world
    kept = tmp_path / "heads.jsonl"
    code, output = world.lgnet("audit", "heads", "--out", str(kept))
    assert code == 0
    assert [json.loads(line)["tree_size"] for line in output.splitlines()] == \
        [h.chain_seq for h in read_heads_file(kept)]
    # The intruder removes the tail, its chain rows and the witness file: the kept heads
    # still say how long the record must be.
    cut = world.public_positions()[-12]
    world.sql("DELETE FROM {events} WHERE {id} >= ?", (cut,))
    world.sql("DELETE FROM {chain} WHERE position >= ?", (cut,))
    witness_file(world.settings).unlink()
    code, output = world.lgnet("audit", "verify", "--trust", str(kept),
                               env={"LGNET_NATS_URL": "nats://127.0.0.1:9"})
    assert code == 1, output
    assert f"the trusted heads {kept}" in output and "TRUNCATED" in output


async def test_checkpoints_signed_before_the_tree_still_verify(
    tmp_path: Path, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A history whose first checkpoint is version 1 (signed over the statement without a
    tree, published as checkpoint_signed.v1), continued by today's relay."""
    settings = Settings(data_dir=tmp_path / "data", checkpoint_interval=INTERVAL,
                        nats_url=nats_server.url)
    record = open_record(settings)
    world = World(settings, record, nats_server.url)
    try:
        record_history(record, intakes=9)
        with monkeypatch.context() as old_code:
            # The relay reads what it publishes through the outbox reader (in this process
            # for a small backlog): the old relay's code goes there.
            old_code.setattr(outbox_reader, "to_message", as_the_old_relay_published)
            relay = Relay(record, nats_server.url)
            while await relay.publish_pending():
                pass
            key = load_or_create_signing_key(audit_dir(settings))
            link = AuditChainStore(record).links(10, 10)[0]
            store_v1(record, AuditCheckpoint.id_for(10), 1, AuditCheckpoint.Signed, {
                "timestamp": NOW, "originator_topic": get_topic(AuditCheckpoint),
                "chain_seq": 10, "chain_hash": link.chain_hash, "position": link.position,
                "key_id": key.key_id,
                "signature": key.sign(checkpoint_statement(10, link.chain_hash, link.position,
                                                           key.key_id)),
                "actor": AUDIT_SYSTEM_ACTOR.as_record()})
            while await relay.publish_pending():
                pass
        record_history(record, intakes=4)
        await run_relay_until_published(world)
        messages, _ = await read_stream_state(nats_server.url, {}, "test-reader", 5.0)
        types = [m.headers["ce-type"] for m in messages
                 if m.headers["ce-type"].startswith("it.lgnet.audit.")]
        assert types[0] == "it.lgnet.audit.checkpoint_signed.v1"
        assert set(types[1:]) == {"it.lgnet.audit.checkpoint_signed.v2"}
        code, output = await asyncio.to_thread(world.lgnet, "audit", "verify",
                                               "--require-signed")
        assert code == 0, output
        assert f"{len(types)} checkpoints verified" in output
        code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", "--nats",
                                               nats_server.url, "--store")
        assert code == 0, output
        # A forged v1 statement is still caught.
        world.sql("UPDATE {chain} SET chain_hash = ? WHERE chain_seq = 10", ("00" * 32,))
        code, output = await asyncio.to_thread(world.lgnet, "audit", "verify")
        assert code == 1
    finally:
        record.close()


# --- evidence bundles: self-describing, bound to a signed head ----------------------------------


def export(world: World, out: Path, *options: str) -> list[str]:
    code, output = world.lgnet("audit", "export", "--out", str(out), *options)
    assert code == 0, output
    assert world.lgnet("audit", "verify", "--bundle", str(out))[0] == 0
    return (out / "events.jsonl").read_text().splitlines()


def rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


@pytest.mark.parametrize("partial", [False, True], ids=["whole", "one-city"])
async def test_a_bundle_missing_a_line_or_its_tail_or_a_file_fails(
    sqlite_world: World, tmp_path: Path, partial: bool,
) -> None:
    world = sqlite_world
    out = tmp_path / "bundle"
    options = ("--city", "firenze") if partial else ()
    lines = await asyncio.to_thread(export, world, out, *options)
    seqs = [json.loads(line)["chain_seq"] for line in lines]

    rewrite(out / "events.jsonl", lines[:3] + lines[4:])  # a line deleted
    code, output = world.lgnet("audit", "verify", "--bundle", str(out))
    assert code == 1 and "MISSING at position" in output and f"chain seq {seqs[3]}" in output

    rewrite(out / "events.jsonl", lines[:-2])  # the tail cut
    code, output = world.lgnet("audit", "verify", "--bundle", str(out))
    assert code == 1 and f"TRUNCATED at chain seq {seqs[-2]}" in output

    rewrite(out / "events.jsonl", lines)
    (out / "checkpoints.jsonl").write_text("")  # the checkpoints emptied
    code, output = world.lgnet("audit", "verify", "--bundle", str(out))
    assert code == 1 and "checkpoints.jsonl is not the file the manifest signs" in output

    for name in ("events.jsonl", "checkpoints.jsonl", "manifest.json", "proofs.jsonl"):
        (out / name).write_text("")  # every file emptied
    code, output = world.lgnet("audit", "verify", "--bundle", str(out))
    assert code == 1 and "nothing binds the bundle to a signed head" in output


async def test_a_partial_bundle_with_a_line_changed_and_rehashed_fails(
    sqlite_world: World, tmp_path: Path,
) -> None:
    """The cryptography review's forgery: one event's data changed and its hash recomputed
    from its own previous hash, without the key. Its inclusion proof in the signed head fails."""
    world = sqlite_world
    out = tmp_path / "bundle"
    lines = await asyncio.to_thread(export, world, out, "--city", "roma")
    forged = json.loads(lines[2])
    forged["data"]["citizenship"] = "FR" if forged["data"].get("citizenship") != "FR" else "ER"
    new_hash = link_hash(forged["previous_hash"], canonical_content(
        forged["headers"], forged["data"], forged["chain_seq"]))
    forged |= {"hash": new_hash, "headers": forged["headers"] | {"ce-lgnethash": new_hash}}
    rewrite(out / "events.jsonl", [*lines[:2], json.dumps(forged), *lines[3:]])
    code, output = world.lgnet("audit", "verify", "--bundle", str(out))
    assert code == 1, output
    assert (f"ALTERED at position {forged['headers']['ce-lgnetposition']}, chain seq "
            f"{forged['chain_seq']}: the event is not in the signed head") in output
    # The manifest rewritten to match is not the platform's signature any more.
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["events_sha256"] = "00" * 32
    (out / "manifest.json").write_text(json.dumps(manifest))
    code, output = world.lgnet("audit", "verify", "--bundle", str(out))
    assert code == 1 and "the manifest's signature does not verify" in output


async def test_the_last_stream_message_deleted_is_diagnosed_not_waited_for(
    tmp_path: Path, nats_server: EmbeddedNats, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Deletes are refused now (test_audit_chain); a stream made before, where the last message
    was deleted, is read to its end at once and the hole named."""
    monkeypatch.setattr(streams, "DENY_REMOVAL", False)
    settings = Settings(data_dir=tmp_path / "data", checkpoint_interval=INTERVAL,
                        nats_url=nats_server.url)
    world = await make_world(settings, nats_server.url)
    try:
        connection = await nats.connect(nats_server.url)
        try:
            js = connection.jetstream()
            last = (await js.stream_info(STREAM_NAME)).state.last_seq
            await js.delete_msg(STREAM_NAME, last)
        finally:
            await connection.close()
        started = time.monotonic()
        code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", "--nats",
                                               nats_server.url)
        assert time.monotonic() - started < 5
        assert code == 1, output
        assert f"message {last} missing from the stream" in output
        assert "TimeoutError" not in output
    finally:
        world.record.close()


@pytest.mark.postgres
def test_a_database_without_an_event_store_is_an_error_and_stays_empty(
    own_postgres_database: str, tmp_path: Path,
) -> None:
    result = CliRunner().invoke(app, ["audit", "verify"], env={
        "LGNET_DATA_DIR": str(tmp_path / "data"), "LGNET_DATABASE_URL": own_postgres_database,
        "LGNET_NATS_URL": "nats://127.0.0.1:9"})
    assert result.exit_code == EXIT_CANNOT_CHECK, result.output
    assert "no event store in the database" in result.output
    with psycopg.connect(own_postgres_database) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)
