"""Issue 19 item 7, its last part: "Key rotation is an event signed by the old key". A small
record published by the real relay (real NATS, real SQLite; PostgreSQL where marked), then
`lgnet audit rotate-key` with the platform stopped, more events published and signed, and
`lgnet audit verify` following the rotation from the pinned first key; then an intruder's ways
around it, each named by position."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from domain.audit.model import AuditKeyRotation
from events.audit import AuditKeyRotatedV1
from events.audit_keys import raw_base64, rotation_statement
from infra.audit.checkpoints import (
    PRIVATE_KEY_FILE_NAME,
    PUBLIC_KEY_FILE_NAME,
    RETIRED_PUBLIC_KEY_FILE_NAME,
    CheckpointKeyError,
    SigningKey,
    audit_dir,
    fingerprint_of,
    load_or_create_signing_key,
    open_checkpointer,
    public_key_pem,
)
from infra.audit.evidence import read_stream_state
from infra.audit.witness import deployment_id
from tests.builders import NOW
from tests.integration import test_audit_tamper as tamper
from tests.integration.test_audit_chain import record_history
from tests.integration.test_audit_tamper import (
    World,
    run_relay_until_published,
)

pytestmark = pytest.mark.nats


# The same small record as the tamper suite's (SQLite, and PostgreSQL where marked).
world = tamper.world
sqlite_world = tamper.sqlite_world


def pin(world: World) -> dict[str, str]:
    key = load_or_create_signing_key(audit_dir(world.settings))
    return {"LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT": key.fingerprint}


async def publish_more(world: World, intakes: int = 4) -> None:
    record_history(world.record, intakes=intakes)
    await run_relay_until_published(world)


def new_checkpoint_positions(world: World, after: int) -> list[int]:
    return [p for p in world.checkpoint_positions() if p > after]


async def test_a_record_with_a_rotation_verifies_from_the_pinned_first_key(
    world: World,
) -> None:
    directory = audit_dir(world.settings)
    env = pin(world)
    old = load_or_create_signing_key(directory)
    old_private = (directory / PRIVATE_KEY_FILE_NAME).read_bytes()
    code, output = await asyncio.to_thread(world.lgnet, "audit", "rotate-key", env=env)
    assert code == 0, output
    new = load_or_create_signing_key(directory)
    assert new.key_id != old.key_id and f"{old.key_id} -> {new.key_id}" in output
    # The files: the new pair in place, the old public key kept, the old private key gone.
    assert (directory / PUBLIC_KEY_FILE_NAME).read_text() == new.public_pem
    retired = directory / RETIRED_PUBLIC_KEY_FILE_NAME.format(number=1)
    assert retired.read_text() == old.public_pem
    assert (directory / PRIVATE_KEY_FILE_NAME).read_bytes() != old_private
    assert old_private not in b"".join(p.read_bytes() for p in directory.iterdir()
                                       if p.is_file())
    # The relay starts with the pin of the first key and signs with the new one; a pin naming
    # the new key is refused (the pin names the first key).
    pinned = world.settings.model_copy(update={
        "audit_public_key_fingerprint": env["LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT"]})
    assert open_checkpointer(pinned, world.record).key.key_id == new.key_id
    with pytest.raises(CheckpointKeyError, match="not the pinned"):
        open_checkpointer(world.settings.model_copy(update={
            "audit_public_key_fingerprint": new.fingerprint}), world.record)
    code, printed = world.lgnet("audit", "public-key", "--fingerprint")
    assert (code, printed.strip()) == (0, env["LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT"])
    code, printed = world.lgnet("audit", "public-key")
    assert (code, printed) == (0, new.public_pem)
    # Rotating again before the platform publishes the first rotation is refused.
    code, output = await asyncio.to_thread(world.lgnet, "audit", "rotate-key", env=env)
    assert code != 0 and "not published yet" in output
    await publish_more(world)
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", "--require-signed",
                                           env=env)
    assert code == 0, output
    assert f"1 key rotation(s) followed, each signed by the key in force: {old.key_id} -> " \
           f"{new.key_id}" in output
    # The stream, read as an auditor reads it, verifies the same way.
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", "--nats",
                                           world.nats_url, "--store", env=env)
    assert code == 0, output
    # A bundle spanning the rotation carries it and the first key, and verifies from it.
    bundle = world.settings.data_dir.parent / "bundle"
    code, output = await asyncio.to_thread(world.lgnet, "audit", "export", "--out", str(bundle))
    assert code == 0, output
    first_key = bundle / "first_public_key.pem"
    assert first_key.read_text() == old.public_pem
    assert len((bundle / "key_rotations.jsonl").read_text().splitlines()) == 1
    for given in ((), ("--public-key", str(first_key))):
        code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", "--bundle",
                                               str(bundle), *given)
        assert code == 0, output
    (bundle / "key_rotations.jsonl").write_text("")  # the rotation removed: old-key heads fail
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", "--bundle",
                                           str(bundle))
    assert code == 1 and "BAD SIGNATURE" in output, output
    # The event as published, field by field.
    messages, _ = await read_stream_state(world.nats_url, {}, "test-reader", 5.0)
    rotated = [m for m in messages if m.headers["ce-type"] == "it.lgnet.audit.key_rotated.v1"]
    assert len(rotated) == 1
    message = rotated[0]
    body = json.loads(message.body)
    assert set(body) == set(AuditKeyRotatedV1.model_fields)
    assert body["rotation_id"] == str(AuditKeyRotation.id_for(new.fingerprint))
    assert body["city"] == "network"
    assert body["old_key_id"] == old.key_id
    assert body["new_key_id"] == new.key_id
    assert body["new_key_fingerprint"] == new.fingerprint
    assert base64.b64decode(body["new_public_key"]) == new.public_key.public_bytes(
        Encoding.Raw, PublicFormat.Raw)
    assert body["deployment_id"] == deployment_id(world.settings)
    signed_at = datetime.fromisoformat(body["signed_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - signed_at).total_seconds()) < 120
    seqs = {m.headers["ce-lgnetposition"]: int(m.headers["ce-lgnetchainseq"]) for m in messages}
    rotation_seq = int(message.headers["ce-lgnetchainseq"])
    assert body["chain_seq"] < rotation_seq and body["chain_seq"] in seqs.values()
    old.public_key.verify(bytes.fromhex(body["signature"]), rotation_statement(
        chain_seq=body["chain_seq"], old_key_id=old.key_id,
        new_key_fingerprint=new.fingerprint, deployment_id=body["deployment_id"],
        signed_at=body["signed_at"]))
    assert message.headers["ce-subject"] == new.key_id
    assert message.headers["ce-source"] == "/lgnet/network"
    assert message.headers["ce-actorid"] == "lgnet-audit"
    # Checkpoints before the rotation name the old key, after it the new one.
    checkpoints = [(int(m.headers["ce-lgnetchainseq"]), json.loads(m.body)["key_id"])
                   for m in messages if m.headers["ce-type"].startswith(
                       "it.lgnet.audit.checkpoint_signed")]
    assert {k for s, k in checkpoints if s < rotation_seq} == {old.key_id}
    assert {k for s, k in checkpoints if s > rotation_seq} == {new.key_id}


async def test_checkpoints_after_the_rotation_signed_by_the_old_key_fail(
    sqlite_world: World,
) -> None:
    """The old key leaked (why one rotates): whoever holds it cannot sign the record's future."""
    world = sqlite_world
    directory = audit_dir(world.settings)
    env = pin(world)
    old_private = (directory / PRIVATE_KEY_FILE_NAME).read_bytes()
    old_public = (directory / PUBLIC_KEY_FILE_NAME).read_text()
    code, output = await asyncio.to_thread(world.lgnet, "audit", "rotate-key", env=env)
    assert code == 0, output
    (directory / PRIVATE_KEY_FILE_NAME).write_bytes(old_private)
    (directory / PUBLIC_KEY_FILE_NAME).write_text(old_public)
    before = world.checkpoint_positions()[-1]
    await publish_more(world)
    first_forged = new_checkpoint_positions(world, before)[0]
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", env=env)
    assert code == 1, output
    assert f"BAD SIGNATURE at position {first_forged}" in output
    assert "a retired key signed after its rotation" in output


async def test_a_key_pair_swapped_without_a_rotation_fails_at_its_first_checkpoint(
    world: World,
) -> None:
    directory = audit_dir(world.settings)
    env = pin(world)
    old = load_or_create_signing_key(directory)
    # The intruder keeps the first key where verify looks for it and installs their own pair.
    (directory / RETIRED_PUBLIC_KEY_FILE_NAME.format(number=1)).write_text(old.public_pem)
    (directory / PRIVATE_KEY_FILE_NAME).unlink()
    (directory / PUBLIC_KEY_FILE_NAME).unlink()
    key = load_or_create_signing_key(directory)
    assert key.key_id != old.key_id
    before = world.checkpoint_positions()[-1]
    await publish_more(world)
    first_foreign = new_checkpoint_positions(world, before)[0]
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", env=env)
    assert code == 1, output
    assert f"BAD SIGNATURE at position {first_foreign}" in output
    assert f"no key rotation signed by {old.key_id} introduces {key.key_id}" in output
    # Without the retired file the first key is the intruder's: the pin says so.
    (directory / RETIRED_PUBLIC_KEY_FILE_NAME.format(number=1)).unlink()
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", env=env)
    assert code == 1 and "it was replaced" in output


async def test_a_rotation_not_signed_by_the_key_in_force_fails(sqlite_world: World) -> None:
    world = sqlite_world
    directory = audit_dir(world.settings)
    env = pin(world)
    old = load_or_create_signing_key(directory)
    forger, new = SigningKey(Ed25519PrivateKey.generate()), SigningKey(
        Ed25519PrivateKey.generate())
    deployment, signed_at = deployment_id(world.settings), "2026-01-01T00:00:00Z"
    forged = forger.sign(rotation_statement(
        chain_seq=1, old_key_id=old.key_id, new_key_fingerprint=new.fingerprint,
        deployment_id=deployment, signed_at=signed_at))
    world.record.save(AuditKeyRotation.rotate(
        chain_seq=1, old_key_id=old.key_id, new_key_fingerprint=new.fingerprint,
        new_public_key=raw_base64(new.public_key), deployment_id=deployment,
        signed_at=signed_at, signature=forged, now=NOW))
    (directory / RETIRED_PUBLIC_KEY_FILE_NAME.format(number=1)).write_text(old.public_pem)
    (directory / PRIVATE_KEY_FILE_NAME).write_bytes(new.private_key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    (directory / PUBLIC_KEY_FILE_NAME).write_text(public_key_pem(new.public_key))
    await publish_more(world)
    rotation_position = next(n.id for n in world.record.recorder.select_notifications(1, 10**6)
                         if n.topic.endswith("AuditKeyRotation.Rotated"))
    code, output = await asyncio.to_thread(world.lgnet, "audit", "verify", env=env)
    assert code == 1, output
    assert f"BAD SIGNATURE at position {rotation_position}" in output
    assert f"not signed by the key in force, {old.key_id}" in output
    assert fingerprint_of(old.public_key) == env["LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT"]

