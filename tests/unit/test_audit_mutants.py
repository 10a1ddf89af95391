"""Signed checkpoints and key rotations of the audit chain (domain/audit/model.py, issue 20):
what each records field by field, its id (one per chain position, one per new key), a version 1
checkpoint read with the tree head's fields None, and each malformed value refused, at its edge
and one past (a bug of the platform's, a ValueError naming the field and the value).

DOMAIN.md, "Who uses it": auditors verify that nothing in the record was altered; the signed
checkpoints are what they verify against, so each is itself a fact of the record."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

import pytest

from domain.audit.model import (
    AUDIT_SYSTEM_ACTOR,
    NETWORK_SCOPE,
    AuditCheckpoint,
    AuditKeyRotation,
)
from domain.programme import Actor, ActorKind, Role
from tests.builders import NOW, recorded

SIGNED: dict[str, Any] = {
    "chain_seq": 1, "chain_hash": "ab" * 32, "position": 1, "key_id": "0123456789abcdef",
    "signature": "cd" * 64, "root_hash": "ef" * 32, "deployment_id": "lgnet-prod_1.eu",
    "signed_at": "2021-03-10T09:30:00Z"}
ROTATED: dict[str, Any] = {
    "chain_seq": 0, "old_key_id": "0123456789abcdef", "new_key_fingerprint": "9f" * 32,
    "new_public_key": "A" * 43 + "=", "deployment_id": "lgnet", "signed_at": "2021-03-10T09:30:00Z",
    "signature": "cd" * 64}


def test_a_checkpoint_records_what_was_signed_by_the_audit_system() -> None:
    checkpoint = AuditCheckpoint.sign(**SIGNED, now=NOW)
    assert checkpoint.id == AuditCheckpoint.id_for(1) == uuid5(
        UUID("0d7f1f0e-8a43-4f6b-9c1e-5a3c2b1d4e6f"), "audit-checkpoint/1")
    assert AuditCheckpoint.id_for(2) != checkpoint.id
    assert recorded(checkpoint) == [("Signed", {
        "timestamp": NOW, **SIGNED, "actor": {"kind": "system", "id": "lgnet-audit",
                                              "role": "system", "city": None}})]
    assert (checkpoint.chain_seq, checkpoint.chain_hash, checkpoint.position,
            checkpoint.key_id, checkpoint.signature, checkpoint.root_hash,
            checkpoint.deployment_id, checkpoint.signed_at) == (
        1, "ab" * 32, 1, "0123456789abcdef", "cd" * 64, "ef" * 32, "lgnet-prod_1.eu",
        "2021-03-10T09:30:00Z")
    assert checkpoint.signed_by == AUDIT_SYSTEM_ACTOR.as_record()
    assert AuditCheckpoint.Signed.city == NETWORK_SCOPE == "network"
    relay = Actor(ActorKind.SYSTEM, "lgnet-relay", Role.SYSTEM)
    assert AuditCheckpoint.sign(**SIGNED, now=NOW, actor=relay).signed_by == relay.as_record()


def test_a_version_1_checkpoint_reads_with_the_tree_head_s_fields_none() -> None:
    state: dict[str, Any] = {"chain_seq": 3, "chain_hash": "ab" * 32}
    AuditCheckpoint.Signed.upcast_v1_v2(state)
    assert state == {"chain_seq": 3, "chain_hash": "ab" * 32, "root_hash": None,
                     "deployment_id": None, "signed_at": None}


@pytest.mark.parametrize(("field", "value"), [
    ("chain_hash", "ab" * 31 + "a"), ("chain_hash", "ab" * 32 + "a"), ("chain_hash", "AB" * 32),
    ("key_id", "0123456789abcde"), ("key_id", "0123456789abcdef0"),
    ("signature", "cd" * 63 + "c"), ("signature", "cd" * 64 + "c"),
    ("root_hash", "ef" * 31 + "e"), ("root_hash", "ef" * 32 + "\n"),
    ("signed_at", "2021-03-10T09:30:00"), ("signed_at", "2021-03-10 09:30:00Z"),
    ("signed_at", "x2021-03-10T09:30:00Z"),
    ("deployment_id", ""), ("deployment_id", "x" * 65), ("deployment_id", "lgnet prod"),
    # A trailing newline (a value read from a file) is malformed too: `$` alone lets it by.
    ("deployment_id", "lgnet\n"), ("key_id", "0123456789abcdef\n"),
    ("signed_at", "2021-03-10T09:30:00Z\n"),
])
def test_a_malformed_checkpoint_value_is_refused_naming_it(field: str, value: str) -> None:
    with pytest.raises(ValueError) as refused:
        AuditCheckpoint.sign(**{**SIGNED, field: value}, now=NOW)
    assert refused.value.args == (f"The checkpoint's {field} is malformed: {value!r}",)


def test_a_checkpoint_covers_at_least_the_first_event_at_its_first_position() -> None:
    assert AuditCheckpoint.sign(**{**SIGNED, "deployment_id": "x" * 64}, now=NOW).position == 1
    for field in ("chain_seq", "position"):
        with pytest.raises(ValueError) as refused:
            AuditCheckpoint.sign(**{**SIGNED, field: 0}, now=NOW)
        assert refused.value.args == (
            "A checkpoint covers at least the first event of the chain.",)


def test_a_key_rotation_records_the_new_key_and_its_id_from_the_fingerprint() -> None:
    rotation = AuditKeyRotation.rotate(**ROTATED, now=NOW)
    assert rotation.id == AuditKeyRotation.id_for("9f" * 32) == uuid5(
        UUID("6b1c4a2e-3f57-4d0b-8e29-7a5d1c9f0b34"), "audit-key-rotation/" + "9f" * 32)
    assert recorded(rotation) == [("Rotated", {
        "timestamp": NOW, **ROTATED, "new_key_id": "9f" * 8,
        "actor": AUDIT_SYSTEM_ACTOR.as_record()})]
    assert (rotation.chain_seq, rotation.old_key_id, rotation.new_key_id,
            rotation.new_key_fingerprint, rotation.new_public_key, rotation.deployment_id,
            rotation.signed_at, rotation.signature, rotation.rotated_by) == (
        0, "0123456789abcdef", "9f" * 8, "9f" * 32, "A" * 43 + "=", "lgnet",
        "2021-03-10T09:30:00Z", "cd" * 64, AUDIT_SYSTEM_ACTOR.as_record())
    assert AuditKeyRotation.Rotated.city == "network"
    relay = Actor(ActorKind.SYSTEM, "lgnet-relay", Role.SYSTEM)
    assert AuditKeyRotation.rotate(**ROTATED, now=NOW, actor=relay).rotated_by == (
        relay.as_record())
    assert AuditKeyRotation.rotate(**{**ROTATED, "chain_seq": 5}, now=NOW).chain_seq == 5


@pytest.mark.parametrize(("field", "value"), [
    ("old_key_id", "0123456789abcde"), ("old_key_id", "0123456789ABCDEF"),
    ("new_key_fingerprint", "9f" * 31), ("new_key_fingerprint", "9f" * 32 + "0"),
    ("new_public_key", "A" * 42 + "="), ("new_public_key", "A" * 44),
    ("new_public_key", "A" * 43 + "=="),
    ("deployment_id", ""), ("deployment_id", "lgnet/prod"),
    ("signed_at", "2021-03-10T09:30Z"), ("signature", "cd" * 63),
    ("new_public_key", "A" * 43 + "=\n"), ("deployment_id", "lgnet\n"),
])
def test_a_malformed_rotation_value_is_refused_naming_it(field: str, value: str) -> None:
    with pytest.raises(ValueError) as refused:
        AuditKeyRotation.rotate(**{**ROTATED, field: value}, now=NOW)
    assert refused.value.args == (f"The key rotation's {field} is malformed: {value!r}",)


def test_a_rotation_follows_chain_seq_0_or_later() -> None:
    with pytest.raises(ValueError) as refused:
        AuditKeyRotation.rotate(**{**ROTATED, "chain_seq": -1}, now=NOW)
    assert refused.value.args == ("A rotation follows chain seq 0 or later.",)
