"""The audit chain's Merkle tree (RFC 9162 section 2.1) and signed heads (issue 19), and the
canonical JSON's one rule about numbers: contracts carry no float."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.audit import AuditCheckpointSignedV1, AuditCheckpointSignedV2
from events.audit_chain import key_id_of
from events.audit_tree import (
    CHECKPOINT_CONTEXT,
    EMPTY_ROOT,
    SignedHead,
    consistency_proof,
    head_statement,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    roots_at,
    verify_consistency,
    verify_inclusion,
)
from events.catalogue import json_schemas
from events.upcasting import latest


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 9162's MTH written as the RFC says it, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def chain_hashes(count: int) -> list[str]:
    return [hashlib.sha256(str(n).encode()).hexdigest() for n in range(1, count + 1)]


def test_a_leaf_and_a_node_are_domain_separated() -> None:
    chain_hash = "ab" * 32
    assert leaf_hash(chain_hash) == hashlib.sha256(b"\x00" + bytes.fromhex(chain_hash)).digest()
    assert node_hash(b"l", b"r") == hashlib.sha256(b"\x01lr").digest()
    assert merkle_root([]).hex() == EMPTY_ROOT == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33])
def test_roots_inclusion_and_consistency_proofs_follow_rfc_9162(size: int) -> None:
    hashes = chain_hashes(size)
    leaves = [leaf_hash(h) for h in hashes]
    root = merkle_root(leaves)
    assert root == reference_root(leaves)
    assert roots_at(hashes, range(size + 1)) == {
        n: reference_root(leaves[:n]).hex() for n in range(size + 1)}
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert verify_inclusion(index, size, leaves[index], proof, root)
        assert not verify_inclusion(index, size, leaf_hash("cd" * 32), proof, root)
    for old in range(1, size + 1):
        old_root = reference_root(leaves[:old])
        proof = consistency_proof(leaves, old)
        assert verify_consistency(old, size, old_root, root, proof)
        if old < size:
            # A rewritten older tree (one leaf changed) is not extended by the newer one.
            forged = reference_root([leaf_hash("ef" * 32), *leaves[1:old]])
            assert not verify_consistency(old, size, forged, root, proof)


def test_a_proof_for_a_leaf_outside_the_tree_is_refused() -> None:
    leaves = [leaf_hash(h) for h in chain_hashes(4)]
    with pytest.raises(ValueError, match="leaf 4"):
        inclusion_proof(leaves, 4)
    with pytest.raises(ValueError, match="size 5"):
        consistency_proof(leaves, 5)


def a_head(key: Ed25519PrivateKey, **changes: Any) -> SignedHead:
    values: dict[str, Any] = {
        "tree_size": 9, "root_hash": "12" * 32, "chain_hash": "34" * 32, "position": 15,
        "key_id": key_id_of(key.public_key()), "deployment_id": "lgnet-firenze",
        "signed_at": "2026-12-06T11:00:00Z"}
    signature = key.sign(head_statement(**values)).hex()
    values |= changes
    return SignedHead(values["tree_size"], values["chain_hash"], values["position"],
                      values["key_id"], signature, values["root_hash"],
                      values["deployment_id"], values["signed_at"])


def test_a_signed_head_binds_context_deployment_and_time() -> None:
    key = Ed25519PrivateKey.generate()
    statement = head_statement(tree_size=9, root_hash="12" * 32, chain_hash="34" * 32,
                               position=15, key_id="0123456789abcdef",
                               deployment_id="lgnet-firenze", signed_at="2026-12-06T11:00:00Z")
    assert statement.startswith(b'{"chain_hash":"' + b"34" * 32 + b'","context":"'
                                + CHECKPOINT_CONTEXT.encode() + b'","deployment_id"')
    assert a_head(key).verifies(key.public_key())
    for change in ({"deployment_id": "lgnet-roma"}, {"signed_at": "2026-12-06T11:00:01Z"},
                   {"tree_size": 10}, {"root_hash": "13" * 32}):
        assert not a_head(key, **change).verifies(key.public_key())
    assert not a_head(key).verifies(Ed25519PrivateKey.generate().public_key())
    head = a_head(key)
    assert SignedHead.from_json(head.as_json()) == head
    with pytest.raises(ValueError, match="context"):
        SignedHead.from_json(head.as_json() | {"context": "another-signature-v1"})


def test_a_version_1_checkpoint_reads_as_a_head_without_a_root() -> None:
    v1 = AuditCheckpointSignedV1(
        checkpoint_id=UUID("0d7f1f0e-8a43-4f6b-9c1e-5a3c2b1d4e6f"), chain_seq=4,
        chain_hash="ab" * 32, position=6, key_id="0123456789abcdef", signature="cd" * 64)
    v2 = latest(v1)
    assert isinstance(v2, AuditCheckpointSignedV2)
    assert (v2.chain_seq, v2.root_hash, v2.deployment_id, v2.signed_at) == (4, None, None, None)


def _numbers(schema: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(schema, dict):
        any_of = schema.get("anyOf")
        if isinstance(any_of, list) and any(s.get("type") == "number" for s in any_of):
            # Allowed only as a decimal written as a string (readers accept a number).
            if not any(s.get("type") == "string" for s in any_of) or \
                    "JSON string" not in schema.get("description", ""):
                found.append(path)
            return found
        if schema.get("type") == "number" or "number" in (schema.get("type") or []):
            found.append(path)
        for key, value in schema.items():
            found += _numbers(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found += _numbers(value, f"{path}/{index}")
    return found


def test_no_contract_carries_a_float_so_the_canonical_json_is_unambiguous() -> None:
    """docs/audit.md, "Canonical JSON and numbers": Python's json and orjson write some floats
    differently (1e-05): contracts carry none, decimals travel as strings."""
    schemas = json_schemas()
    assert len(schemas) > 50
    assert [f"{kind}{path}" for kind, schema in schemas.items()
            for path in _numbers(schema)] == []
