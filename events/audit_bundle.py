"""Self-describing evidence bundles (issue 19): the manifest binds a bundle to a signed tree head.

Pure functions, like events/audit_chain.py. A bundle's `manifest.json` holds the signed head the
bundle claims to be covered by, the selection, the chain numbers of its events, the SHA-256 of
`events.jsonl` and `checkpoints.jsonl`, and the platform's signature over all of that (context
`lgnet-bundle-v1`). `proofs.jsonl` holds, for a partial bundle, each event's inclusion proof in
the head's tree; a complete bundle (events 1 to the head's size) proves itself by its root.
So a line deleted, the tail cut, a file emptied or a line changed and rehashed fails, naming the
chain number or position; events after the head are reported as covered by no signature.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events.audit_chain import (
    BundleLine,
    ChainReport,
    Problem,
    ProblemKind,
    canonical_json,
    key_id_of,
    verify_bundle,
)
from events.audit_keys import KeySchedule
from events.audit_tree import SignedHead, leaf_hash, roots_at, verify_inclusion

BUNDLE_CONTEXT = "lgnet-bundle-v1"


def file_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Manifest:
    head: SignedHead
    selection: dict[str, str | None]
    chain_seqs: list[int]
    events_sha256: str
    checkpoints_sha256: str
    key_id: str
    signature: str = ""

    def statement(self) -> bytes:
        return canonical_json({
            "context": BUNDLE_CONTEXT, "head": self.head.as_json(),
            "selection": self.selection, "chain_seqs": self.chain_seqs,
            "events_sha256": self.events_sha256, "checkpoints_sha256": self.checkpoints_sha256,
            "key_id": self.key_id,
        })

    def as_json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.statement())
        return value | {"signature": self.signature}

    @classmethod
    def from_json(cls, value: Any) -> Manifest:
        """Raises ValueError (KeyError, TypeError included) on a malformed manifest."""
        if not isinstance(value, dict) or value.get("context") != BUNDLE_CONTEXT:
            raise ValueError(f"not a {BUNDLE_CONTEXT} manifest")
        seqs = value["chain_seqs"]
        if not isinstance(seqs, list) or not all(isinstance(n, int) for n in seqs):
            raise ValueError("chain_seqs must be a list of integers")
        selection = value["selection"]
        if not isinstance(selection, dict):
            raise ValueError("selection must be an object")
        return cls(SignedHead.from_json(value["head"]), selection, seqs,
                   str(value["events_sha256"]), str(value["checkpoints_sha256"]),
                   str(value["key_id"]), str(value["signature"]))


def proofs_for(events: Sequence[BundleLine], tree_size: int,
               proofs: Mapping[int, list[bytes]]) -> list[dict[str, Any]]:
    """proofs.jsonl's lines: each event's inclusion proof (chain seq 1..tree_size only)."""
    return [{"chain_seq": line.chain_seq, "proof": [node.hex() for node in
                                                    proofs[line.chain_seq - 1]]}
            for line in events if line.chain_seq <= tree_size]


@dataclass
class BundleReport:
    report: ChainReport
    unsigned: tuple[int, int] | None = None  # chain seqs no signature covers


def verify_manifested_bundle(
    events: Sequence[BundleLine], events_text: str,
    checkpoints: Sequence[BundleLine], checkpoints_text: str,
    manifest: Manifest, proofs: Mapping[int, list[bytes]], key: Ed25519PublicKey,
    keys: KeySchedule | None = None,
) -> BundleReport:
    """`keys`: the keys followed through the bundle's key rotations from the first key, when
    it has rotations; `key` (the bundle's public key, which signs the manifest) must then be
    the key in force at the head."""
    def failed(problem: Problem) -> BundleReport:
        return BundleReport(ChainReport(problem=problem))

    head = manifest.head
    if keys is not None and key_id_of(keys.key_for(head.chain_seq)) != key_id_of(key):
        return failed(Problem(ProblemKind.BAD_SIGNATURE, head.position, head.chain_seq,
                              f"the bundle's key {key_id_of(key)} is not the key in force at "
                              f"its head, {key_id_of(keys.key_for(head.chain_seq))}"))
    if manifest.key_id != key_id_of(key):
        return failed(Problem(ProblemKind.BAD_SIGNATURE, None, None,
                              f"the manifest names key {manifest.key_id}, not {key_id_of(key)}"))
    try:
        key.verify(bytes.fromhex(manifest.signature), manifest.statement())
    except (InvalidSignature, ValueError):
        return failed(Problem(ProblemKind.BAD_SIGNATURE, None, None,
                              "the manifest's signature does not verify: it was changed"))
    if head.root_hash is None or not head.verifies(key):
        return failed(Problem(ProblemKind.BAD_SIGNATURE, head.position, head.chain_seq,
                              "the manifest's head is not a tree head signed by the key"))
    present = [line.chain_seq for line in events]
    listed = manifest.chain_seqs
    for index, seq in enumerate(listed):
        if index >= len(present):
            return failed(Problem(
                ProblemKind.TRUNCATED, None, seq,
                f"events.jsonl ends after {len(present)} of the {len(listed)} events the "
                f"manifest lists: its tail (from chain seq {seq}) was cut"))
        if present[index] != seq:
            kind = ProblemKind.MISSING if present[index] > seq else ProblemKind.INSERTED
            return failed(Problem(kind, events[index].position, seq,
                                  f"the manifest lists chain event {seq} here, events.jsonl "
                                  f"has {present[index]}"))
    if len(present) > len(listed):
        return failed(Problem(ProblemKind.INSERTED, events[len(listed)].position,
                              present[len(listed)], "an event the manifest does not list"))
    result = BundleReport(verify_bundle(events, checkpoints, keys or key))
    report = result.report
    if not report.ok:
        return result
    covered = [line for line in events if line.chain_seq <= head.chain_seq]
    if present[:head.chain_seq] == list(range(1, head.chain_seq + 1)):  # complete: the root
        root = roots_at((line.chain_hash for line in covered), [head.chain_seq])
        if root.get(head.chain_seq) != head.root_hash:
            report.problem = Problem(ProblemKind.CHECKPOINT_MISMATCH, head.position,
                                     head.chain_seq, "the events' tree is not the signed one")
            return result
    else:
        root_bytes = bytes.fromhex(head.root_hash)
        for line in covered:
            if not verify_inclusion(line.chain_seq - 1, head.chain_seq,
                                    leaf_hash(line.chain_hash),
                                    proofs.get(line.chain_seq, []), root_bytes):
                report.problem = Problem(
                    ProblemKind.ALTERED, line.position, line.chain_seq,
                    f"the event is not in the signed head of size {head.chain_seq} (its "
                    "inclusion proof fails): it was changed")
                return result
    for name, text, signed in (("events.jsonl", events_text, manifest.events_sha256),
                               ("checkpoints.jsonl", checkpoints_text,
                                manifest.checkpoints_sha256)):
        if file_digest(text) != signed:
            report.problem = Problem(ProblemKind.ALTERED, None, None,
                                     f"{name} is not the file the manifest signs")
            return result
    beyond = [seq for seq in present if seq > head.chain_seq]
    if beyond:
        result.unsigned = (beyond[0], beyond[-1])
    return result
