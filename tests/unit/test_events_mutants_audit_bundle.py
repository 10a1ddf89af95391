"""Signed tree heads (events/audit_tree.py) and self-describing evidence bundles
(events/audit_bundle.py) pinned where the mutation pass of issue 20 found them loose: the signed
statements by known vectors, each malformed head or manifest refused with its reason, and each
way a bundle can be cut, padded or changed reported with its kind, place and text."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.audit_bundle import (
    BUNDLE_CONTEXT,
    BundleReport,
    Manifest,
    file_digest,
    proofs_for,
    verify_manifested_bundle,
)
from events.audit_chain import BundleLine, ProblemKind, canonical_json, key_id_of
from events.audit_keys import KeySchedule
from events.audit_tree import (
    EMPTY_ROOT,
    Frontier,
    SignedHead,
    _canonical,
    checkpoint_statement,
    consistency_proof,
    head_statement,
    inclusion_proof,
    inclusion_proofs,
    leaf_hash,
    merkle_root,
    roots_at,
    verify_consistency,
    verify_inclusion,
)
from tests.unit.test_audit_chain import bundle_lines, published
from tests.unit.test_audit_tree import chain_hashes
from tests.unit.test_events_mutants_audit_chain import KEY, KEY_ID, OTHER, OTHER_ID, checkpoint_v2

# --- the tree and its signed heads -----------------------------------------------------------


def test_the_signed_statements_are_known_vectors() -> None:
    assert checkpoint_statement(4, "ab", 6, "k") == (
        b'{"chainseq":4,"hash":"ab","key_id":"k","position":6}'
    )
    assert head_statement(
        tree_size=9,
        root_hash="r",
        chain_hash="c",
        position=15,
        key_id="k",
        deployment_id="d",
        signed_at="t",
    ) == (
        b'{"chain_hash":"c","context":"lgnet-checkpoint-v1","deployment_id":"d","key_id":"k",'
        b'"position":15,"root_hash":"r","signed_at":"t","tree_size":9}'
    )
    assert (
        head_statement(
            tree_size=1,
            root_hash="é",
            chain_hash="c",
            position=1,
            key_id="k",
            deployment_id="d",
            signed_at="t",
        ).count("é".encode())
        == 1
    )


def test_a_known_tree_root_and_its_proofs() -> None:
    hashes = chain_hashes(3)
    leaves = [leaf_hash(h) for h in hashes]
    assert merkle_root(leaves).hex() == (
        "0073e5dfb5d3c6f71fb0dc1db2f096e02a2d6fd6d7a59d23c100b15a8488dac4"
    )
    # RFC 9162 by hand: MTH(l0, l1, l2) = SHA-256(0x01 || MTH(l0, l1) || l2).
    pair = hashlib.sha256(b"\x01" + leaves[0] + leaves[1]).digest()
    assert merkle_root(leaves) == hashlib.sha256(b"\x01" + pair + leaves[2]).digest()
    assert roots_at(hashes, [0, 2, 3, 5]) == {
        0: EMPTY_ROOT,
        2: merkle_root(leaves[:2]).hex(),
        3: merkle_root(leaves).hex(),
    }
    assert roots_at(hashes, [1]) == {1: leaves[0].hex()}


def test_frontier_roots_match_the_whole_tree_at_each_size() -> None:
    frontier = Frontier()
    assert (frontier.size, frontier.root()) == (0, EMPTY_ROOT)
    hashes = chain_hashes(9)
    for size, chain_hash in enumerate(hashes, start=1):
        frontier.add(chain_hash)
        assert frontier.size == size
        assert frontier.root() == merkle_root([leaf_hash(h) for h in hashes[:size]]).hex()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 6, 7, 8, 11])
def test_many_proofs_at_once_are_the_one_by_one_proofs(size: int) -> None:
    leaves = [leaf_hash(h) for h in chain_hashes(size)]
    assert inclusion_proofs(leaves, range(size)) == {
        index: inclusion_proof(leaves, index) for index in range(size)
    }
    with pytest.raises(ValueError, match=f"^leaf {size} is not in a tree of {size}$"):
        inclusion_proofs(leaves, [size])
    with pytest.raises(ValueError, match=f"^leaf -1 is not in a tree of {size}$"):
        inclusion_proofs(leaves, [-1])
    with pytest.raises(ValueError, match=f"^leaf -1 is not in a tree of {size}$"):
        inclusion_proof(leaves, -1)


def test_an_inclusion_proof_is_refused_out_of_range_or_with_a_node_too_many() -> None:
    leaves = [leaf_hash(h) for h in chain_hashes(5)]
    root = merkle_root(leaves)
    proof = inclusion_proof(leaves, 4)
    assert verify_inclusion(4, 5, leaves[4], proof, root)
    assert not verify_inclusion(5, 5, leaves[4], proof, root)
    assert not verify_inclusion(4, 4, leaves[4], proof, root)
    assert not verify_inclusion(4, 5, leaves[4], [*proof, root], root)
    assert not verify_inclusion(4, 5, leaves[4], proof[:-1], root)
    assert not verify_inclusion(0, 5, leaves[0], inclusion_proof(leaves, 1), root)
    assert verify_inclusion(0, 1, leaves[0], [], leaves[0])
    assert not verify_inclusion(0, 1, leaves[0], [leaves[1]], leaves[0])


def test_a_consistency_proof_is_refused_at_its_edges() -> None:
    leaves = [leaf_hash(h) for h in chain_hashes(6)]
    root = merkle_root(leaves)
    assert verify_consistency(6, 6, root, root, [])
    assert not verify_consistency(6, 6, root, root, [root])
    assert not verify_consistency(6, 6, root, leaves[0], [])
    proof = consistency_proof(leaves, 3)
    old = merkle_root(leaves[:3])
    assert verify_consistency(3, 6, old, root, proof)
    assert not verify_consistency(0, 6, old, root, proof)
    assert not verify_consistency(7, 6, old, root, proof)
    assert not verify_consistency(3, 6, old, root, [])
    assert not verify_consistency(3, 6, old, root, [*proof, root])
    assert not verify_consistency(3, 6, old, leaves[0], proof)
    four = consistency_proof(leaves, 4)
    assert verify_consistency(4, 6, merkle_root(leaves[:4]), root, four)
    assert not verify_consistency(4, 6, old, root, four)
    with pytest.raises(ValueError, match=r"^no consistency proof from size 0 to 6$"):
        consistency_proof(leaves, 0)
    assert consistency_proof(leaves, 6) == []


def head(**changes: Any) -> SignedHead:
    values: dict[str, Any] = {
        "chain_seq": 3,
        "chain_hash": "34" * 32,
        "position": 5,
        "key_id": KEY_ID,
        "signature": "",
        "root_hash": "12" * 32,
        "deployment_id": "lgnet-test",
        "signed_at": "2021-03-10T09:30:00Z",
    } | changes
    unsigned = SignedHead(**values)
    if "signature" in changes:
        return unsigned
    return SignedHead(**values | {"signature": KEY.sign(unsigned.statement()).hex()})


def test_a_head_s_json_is_its_statement_s_fields_and_reads_back() -> None:
    signed = head()
    assert signed.as_json() == {
        "tree_size": 3,
        "chain_hash": "34" * 32,
        "position": 5,
        "key_id": KEY_ID,
        "signature": signed.signature,
        "context": "lgnet-checkpoint-v1",
        "root_hash": "12" * 32,
        "deployment_id": "lgnet-test",
        "signed_at": "2021-03-10T09:30:00Z",
    }
    assert SignedHead.from_json(signed.as_json()) == signed
    old = head(root_hash=None, deployment_id=None, signed_at=None)
    assert old.as_json() == {
        "tree_size": 3,
        "chain_hash": "34" * 32,
        "position": 5,
        "key_id": KEY_ID,
        "signature": old.signature,
    }
    assert old.statement() == checkpoint_statement(3, "34" * 32, 5, KEY_ID)
    assert SignedHead.from_json(old.as_json()) == old
    as_v1 = {
        "chain_seq": 3,
        "chain_hash": "34" * 32,
        "position": 5,
        "key_id": KEY_ID,
        "signature": "ab",
    }
    assert SignedHead.from_json(as_v1) == SignedHead(3, "34" * 32, 5, KEY_ID, "ab")
    assert old.verifies(KEY.public_key()) and signed.verifies(KEY.public_key())
    assert not signed.verifies(OTHER.public_key())
    assert not head(signature="zz").verifies(KEY.public_key())
    # A head with a root but no deployment or time signs them as empty strings.
    bare = SignedHead(3, "34" * 32, 5, KEY_ID, "", "12" * 32)
    assert bare.statement() == head_statement(
        tree_size=3,
        root_hash="12" * 32,
        chain_hash="34" * 32,
        position=5,
        key_id=KEY_ID,
        deployment_id="",
        signed_at="",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tree_size": 0}, "tree_size must be a positive integer"),
        ({"tree_size": True}, "tree_size must be a positive integer"),
        ({"tree_size": "3"}, "tree_size must be a positive integer"),
        ({"position": 0}, "position must be a positive integer"),
        ({"position": "5"}, "position must be a positive integer"),
        ({"chain_hash": None}, "chain_hash must be a string"),
        ({"key_id": 7}, "key_id must be a string"),
        ({"signature": None}, "signature must be a string"),
        ({"context": "lgnet-checkpoint-v2"}, "the head's context is not lgnet-checkpoint-v1"),
    ],
)
def test_a_malformed_head_is_refused_with_its_reason(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as refused:
        SignedHead.from_json(head().as_json() | change)
    assert str(refused.value) == message


def test_a_head_that_is_not_an_object_or_lacks_a_size_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a head is not a JSON object$"):
        SignedHead.from_json([])
    value = head().as_json()
    del value["tree_size"]
    with pytest.raises(ValueError, match=r"^tree_size must be a positive integer$"):
        SignedHead.from_json(value)
    assert SignedHead.from_json(head().as_json() | {"position": 1}).position == 1
    assert SignedHead.from_json(head().as_json() | {"tree_size": 1}).chain_seq == 1


# --- manifested bundles ----------------------------------------------------------------------


def a_bundle(
    positions: list[int],
    size: int,
    *,
    key: Ed25519PrivateKey = KEY,
    chain_seqs: list[int] | None = None,
    **manifest_changes: Any,
) -> dict[str, Any]:
    """Events chained at `positions`, a head signed at tree size `size`, a signed manifest
    listing `chain_seqs` (all the events by default)."""
    lines = bundle_lines(published(positions))
    hashes = [line.chain_hash for line in lines]
    root = roots_at(hashes, [size])[size]
    signed = SignedHead(
        size,
        hashes[size - 1],
        positions[size - 1],
        key_id_of(key.public_key()),
        "",
        root,
        "lgnet-test",
        "2021-03-10T09:30:00Z",
    )
    signed = SignedHead(**{**signed.__dict__, "signature": key.sign(signed.statement()).hex()})
    events_text = "".join(json.dumps(line.as_json()) + "\n" for line in lines)
    leaves = [leaf_hash(h) for h in hashes[:size]]
    proofs = {seq: inclusion_proof(leaves, seq - 1) for seq in range(1, size + 1)}
    values: dict[str, Any] = {
        "head": signed,
        "selection": {"city": "milano", "since": None},
        "chain_seqs": chain_seqs or [line.chain_seq for line in lines],
        "events_sha256": file_digest(events_text),
        "checkpoints_sha256": file_digest(""),
        "key_id": key_id_of(key.public_key()),
    } | manifest_changes
    manifest = Manifest(**values)
    manifest = Manifest(**{**values, "signature": key.sign(manifest.statement()).hex()})
    return {
        "events": lines,
        "events_text": events_text,
        "checkpoints": [],
        "checkpoints_text": "",
        "manifest": manifest,
        "proofs": proofs,
        "key": key.public_key(),
    }


def verify(bundle: dict[str, Any], **changes: Any) -> BundleReport:
    return verify_manifested_bundle(**bundle | changes)


def problem(result: BundleReport) -> tuple[ProblemKind, int | None, int | None, str]:
    found = result.report.problem
    assert found is not None
    return found.kind, found.position, found.chain_seq, found.detail


def test_a_manifest_s_statement_json_and_reading_back() -> None:
    bundle = a_bundle([1, 2, 5], 3)
    manifest: Manifest = bundle["manifest"]
    value = manifest.as_json()
    assert value == {
        "context": "lgnet-bundle-v1",
        "head": manifest.head.as_json(),
        "selection": {"city": "milano", "since": None},
        "chain_seqs": [1, 2, 3],
        "events_sha256": file_digest(bundle["events_text"]),
        "checkpoints_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "key_id": KEY_ID,
        "signature": manifest.signature,
    }
    assert json.loads(manifest.statement()) == {k: v for k, v in value.items() if k != "signature"}
    assert BUNDLE_CONTEXT == "lgnet-bundle-v1"
    assert Manifest.from_json(value) == manifest
    assert file_digest("é") == "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"context": "lgnet-bundle-v2"}, "not a lgnet-bundle-v1 manifest"),
        ({"chain_seqs": "1,2"}, "chain_seqs must be a list of integers"),
        ({"chain_seqs": [1, "2"]}, "chain_seqs must be a list of integers"),
        ({"selection": []}, "selection must be an object"),
    ],
)
def test_a_malformed_manifest_is_refused_with_its_reason(
    change: dict[str, Any], message: str
) -> None:
    value = a_bundle([1, 2], 2)["manifest"].as_json() | change
    with pytest.raises(ValueError) as refused:
        Manifest.from_json(value)
    assert str(refused.value) == message
    with pytest.raises(ValueError, match=r"^not a lgnet-bundle-v1 manifest$"):
        Manifest.from_json([])


def test_proofs_are_written_for_the_events_the_head_covers_only() -> None:
    lines = bundle_lines(published([1, 2, 5]))
    proofs = {0: [b"\x01"], 1: [b"\x02", b"\x03"], 2: [b"\x04"]}
    assert proofs_for(lines, 2, proofs) == [
        {"chain_seq": 1, "proof": ["01"]},
        {"chain_seq": 2, "proof": ["02", "03"]},
    ]


def test_a_whole_bundle_verifies_and_names_the_events_no_head_signs() -> None:
    complete = a_bundle([1, 2, 5, 9], 4)
    result = verify(complete)
    assert result.report.ok and result.unsigned is None and result.report.verified == 4
    beyond = a_bundle([1, 2, 5, 9, 12], 3)
    result = verify(beyond)
    assert result.report.ok and result.unsigned == (4, 5)


def test_a_partial_bundle_proves_each_event_by_its_inclusion_proof() -> None:
    bundle = a_bundle([1, 2, 5, 9], 4, chain_seqs=[1, 3, 4])
    lines: list[BundleLine] = bundle["events"]
    partial = [lines[0], lines[2], lines[3]]
    text = "".join(json.dumps(line.as_json()) + "\n" for line in partial)
    manifest = Manifest(
        **{**bundle["manifest"].__dict__, "events_sha256": file_digest(text), "signature": ""}
    )
    manifest = Manifest(**{**manifest.__dict__, "signature": KEY.sign(manifest.statement()).hex()})
    good = {"events": partial, "events_text": text, "manifest": manifest}
    assert verify(bundle, **good).report.ok
    proofs = dict(bundle["proofs"])
    proofs[3] = proofs[2]
    assert problem(verify(bundle, **good, proofs=proofs)) == (
        ProblemKind.ALTERED,
        5,
        3,
        "the event is not in the signed head of size 4 (its inclusion proof fails): it was changed",
    )
    del proofs[3]
    assert problem(verify(bundle, **good, proofs=proofs))[:3] == (ProblemKind.ALTERED, 5, 3)


def test_a_bundle_signed_by_another_key_or_changed_after_signing_is_refused() -> None:
    bundle = a_bundle([1, 2, 5], 3)
    assert problem(verify(bundle, key=OTHER.public_key())) == (
        ProblemKind.BAD_SIGNATURE,
        None,
        None,
        f"the manifest names key {KEY_ID}, not {OTHER_ID}",
    )
    manifest: Manifest = bundle["manifest"]
    changed = Manifest(**{**manifest.__dict__, "chain_seqs": [1, 2]})
    assert problem(verify(bundle, manifest=changed)) == (
        ProblemKind.BAD_SIGNATURE,
        None,
        None,
        "the manifest's signature does not verify: it was changed",
    )
    unreadable = Manifest(**{**manifest.__dict__, "signature": "zz"})
    assert problem(verify(bundle, manifest=unreadable))[0] is ProblemKind.BAD_SIGNATURE
    # A manifest over a head without a root, or a head another key signed.
    for bad_head in (
        SignedHead(**{**manifest.head.__dict__, "root_hash": None}),
        SignedHead(**{**manifest.head.__dict__, "signature": "ab" * 64}),
    ):
        resigned = Manifest(**{**manifest.__dict__, "head": bad_head})
        resigned = Manifest(
            **{**resigned.__dict__, "signature": KEY.sign(resigned.statement()).hex()}
        )
        assert problem(verify(bundle, manifest=resigned)) == (
            ProblemKind.BAD_SIGNATURE,
            5,
            3,
            "the manifest's head is not a tree head signed by the key",
        )


def test_a_bundle_key_must_be_the_key_in_force_at_its_head() -> None:
    bundle = a_bundle([1, 2, 5], 3)
    assert verify(bundle, keys=KeySchedule(KEY.public_key())).report.ok
    assert problem(verify(bundle, keys=KeySchedule(OTHER.public_key()))) == (
        ProblemKind.BAD_SIGNATURE,
        5,
        3,
        f"the bundle's key {KEY_ID} is not the key in force at its head, {OTHER_ID}",
    )


def test_events_cut_missing_or_added_against_the_manifest_are_named() -> None:
    bundle = a_bundle([1, 2, 5, 9], 4)
    lines: list[BundleLine] = bundle["events"]
    assert problem(verify(bundle, events=lines[:2])) == (
        ProblemKind.TRUNCATED,
        None,
        3,
        "events.jsonl ends after 2 of the 4 events the manifest lists: its tail (from chain "
        "seq 3) was cut",
    )
    assert problem(verify(bundle, events=[lines[0], lines[2], lines[3]])) == (
        ProblemKind.MISSING,
        5,
        2,
        "the manifest lists chain event 2 here, events.jsonl has 3",
    )
    assert problem(verify(bundle, events=[lines[0], lines[0], lines[1], lines[2], lines[3]])) == (
        ProblemKind.INSERTED,
        1,
        2,
        "the manifest lists chain event 2 here, events.jsonl has 1",
    )
    short = a_bundle([1, 2, 5, 9], 4, chain_seqs=[1, 2, 3])
    assert problem(verify(short)) == (
        ProblemKind.INSERTED,
        9,
        4,
        "an event the manifest does not list",
    )
    assert problem(verify(bundle, events=[lines[0], lines[1], lines[3], lines[2]]))[:3] == (
        ProblemKind.MISSING,
        9,
        3,
    )


def test_an_event_changed_and_rehashed_or_a_file_not_the_signed_one_is_altered() -> None:
    bundle = a_bundle([1, 2, 5], 3)
    lines: list[BundleLine] = bundle["events"]
    changed = BundleLine(3, "ab" * 32, lines[2].previous_hash, lines[2].headers, lines[2].data)
    assert problem(verify(bundle, events=[*lines[:2], changed]))[0] is ProblemKind.ALTERED
    assert problem(verify(bundle, events_text=bundle["events_text"] + " ")) == (
        ProblemKind.ALTERED,
        None,
        None,
        "events.jsonl is not the file the manifest signs",
    )
    assert problem(verify(bundle, checkpoints_text="\n")) == (
        ProblemKind.ALTERED,
        None,
        None,
        "checkpoints.jsonl is not the file the manifest signs",
    )


def test_a_complete_bundle_whose_tree_is_not_the_signed_one_is_a_mismatch() -> None:
    bundle = a_bundle([1, 2, 5], 3)
    manifest: Manifest = bundle["manifest"]
    other_root = SignedHead(**{**manifest.head.__dict__, "root_hash": "ef" * 32, "signature": ""})
    other_root = SignedHead(
        **{**other_root.__dict__, "signature": KEY.sign(other_root.statement()).hex()}
    )
    resigned = Manifest(**{**manifest.__dict__, "head": other_root})
    resigned = Manifest(**{**resigned.__dict__, "signature": KEY.sign(resigned.statement()).hex()})
    assert problem(verify(bundle, manifest=resigned)) == (
        ProblemKind.CHECKPOINT_MISMATCH,
        5,
        3,
        "the events' tree is not the signed one",
    )


# --- left by the whole-tree mutation run of 7 December 2026 ----------------------------------


def test_every_consistency_proof_up_to_sixteen_leaves_verifies() -> None:
    """Sizes where the old tree's right edge meets the new one's at an even node (5 to 6, 9 to
    10, 13 to 14...): the only ones that take RFC 9162's inner loop, which the sizes tested
    above never do."""
    all_leaves = [leaf_hash(h) for h in chain_hashes(16)]
    for new in range(2, 17):
        leaves = all_leaves[:new]
        root = merkle_root(leaves)
        for old in range(1, new):
            proof = consistency_proof(leaves, old)
            assert verify_consistency(old, new, merkle_root(leaves[:old]), root, proof), (old, new)


def test_a_leaf_at_the_tree_size_is_outside_the_tree_whatever_its_proof() -> None:
    """Leaf indices are zero-based: index `size` is one past the last leaf. A forger's claim
    that leaf 0's hash is leaf 2 of a tree of 2 (or leaf 1 of a tree of 1) would otherwise
    check out."""
    leaves = [leaf_hash(h) for h in chain_hashes(2)]
    assert verify_inclusion(0, 2, leaves[0], [leaves[1]], merkle_root(leaves))
    assert not verify_inclusion(2, 2, leaves[0], [leaves[1]], merkle_root(leaves))
    assert verify_inclusion(0, 1, leaves[0], [], leaves[0])
    assert not verify_inclusion(1, 1, leaves[0], [], leaves[0])


def test_a_statement_is_written_in_the_canonical_form_whatever_its_key_order() -> None:
    value: dict[str, str | int] = {"tree_size": 2, "root_hash": "é", "context": "c"}
    assert _canonical(value) == canonical_json(value) == (
        '{"context":"c","root_hash":"é","tree_size":2}'.encode())


def test_a_manifested_bundle_checks_its_checkpoints_with_the_bundle_s_key() -> None:
    messages = published([1, 2, 5])
    checkpoint_line = bundle_lines([*messages, checkpoint_v2(messages, 3, 4, 8)])[3]
    text = json.dumps(checkpoint_line.as_json()) + "\n"
    bundle = a_bundle([1, 2, 5], 3, checkpoints_sha256=file_digest(text))
    result = verify(bundle, checkpoints=[checkpoint_line], checkpoints_text=text)
    assert result.report.ok, result.report.problem
    [met] = result.report.checkpoints
    assert (met.event_seq, met.event_position, met.statement.chain_seq) == (4, 8, 3)
    keyed = verify(bundle, checkpoints=[checkpoint_line], checkpoints_text=text,
                   keys=KeySchedule(KEY.public_key()))
    assert keyed.report.ok and len(keyed.report.checkpoints) == 1


def test_the_events_no_head_signs_are_named_first_to_last() -> None:
    result = verify(a_bundle([1, 2, 5, 9, 12, 15], 3))
    assert result.report.ok and result.unsigned == (4, 6)
