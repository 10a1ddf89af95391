"""The audit chain's Merkle tree and its signed heads, the Certificate Transparency way.

Pure functions with no platform import, like events/audit_chain.py: the platform, auditors and
partners compute the same thing. docs/audit.md describes the same rules for reimplementing (and
gives a 30-line verifier).

- The tree's leaves are the chain's events in chain order; leaf n-1 (zero-based) is
  SHA-256(0x00 || hash_n), hash_n being the chain hash of event n (32 raw bytes). The tree is
  RFC 9162's (section 2.1): an interior node is SHA-256(0x01 || left || right), the root of n
  leaves splits them at the largest power of two below n, the empty tree's root is SHA-256("").
- A signed head (a checkpoint) is the Ed25519 signature of the canonical JSON of
  {"chain_hash", "context": "lgnet-checkpoint-v1", "deployment_id", "key_id", "position",
  "root_hash", "signed_at", "tree_size"}: the tree of the chain's first `tree_size` events has
  root `root_hash`; event `tree_size` is at `position` with chain hash `chain_hash`.
- Checkpoints signed before the tree existed (AuditCheckpointSignedV1) signed
  {"chainseq", "hash", "key_id", "position"}: they are still verified, as heads without a root.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CHECKPOINT_CONTEXT = "lgnet-checkpoint-v1"
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def leaf_hash(chain_hash: str) -> bytes:
    """The tree leaf of a chain event, from its hex chain hash."""
    return hashlib.sha256(b"\x00" + bytes.fromhex(chain_hash)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162's MTH of the leaf hashes, in one pass (a stack of perfect subtrees)."""
    if not leaves:
        return bytes.fromhex(EMPTY_ROOT)
    stack: list[bytes] = []
    for index, leaf in enumerate(leaves):
        node, count = leaf, index + 1
        while count % 2 == 0:
            node = node_hash(stack.pop(), node)
            count //= 2
        stack.append(node)
    root = stack.pop()
    while stack:
        root = node_hash(stack.pop(), root)
    return root


def _split(size: int) -> int:
    """The largest power of two smaller than size (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 9162's PATH(index, leaves): the audit path of leaf `index` (zero-based)."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(leaves[:k], index), merkle_root(leaves[k:])]
    return [*inclusion_proof(leaves[k:], index - k), merkle_root(leaves[:k])]


def inclusion_proofs(leaves: Sequence[bytes], indices: Iterable[int]) -> dict[int, list[bytes]]:
    """The audit paths of many leaves at once: the tree is built bottom-up once (a lone last
    node is carried up unchanged, which is RFC 9162's tree), then each path is read from it."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) if i + 1 < len(below) else below[i]
                       for i in range(0, len(below), 2)])
    proofs: dict[int, list[bytes]] = {}
    for index in indices:
        if not 0 <= index < len(leaves):
            raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
        path, at = [], index
        for level in levels[:-1]:
            sibling = at ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            at //= 2
        proofs[index] = path
    return proofs


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """RFC 9162's PROOF(old_size, leaves): that the tree of the first `old_size` leaves is a
    prefix of the tree of all of them."""
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"no consistency proof from size {old_size} to {len(leaves)}")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [merkle_root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), merkle_root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), merkle_root(leaves[:k])]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if old_size == new_size:
        return not proof and old_root == new_root
    if not 0 < old_size < new_size or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node
        path = [old_root, *path]
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and first == old_root and second == new_root


# --- signed heads ------------------------------------------------------------------------------


def _canonical(value: dict[str, str | int]) -> bytes:
    """events.audit_chain.canonical_json of a statement (strings and integers only)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checkpoint_statement(chain_seq: int, chain_hash: str, position: int, key_id: str) -> bytes:
    """The bytes a checkpoint of version 1 (before the tree) signed."""
    return _canonical(
        {"chainseq": chain_seq, "hash": chain_hash, "key_id": key_id, "position": position}
    )


class Frontier:
    """The tree's right edge (its perfect subtrees' roots): leaves are added one by one and the
    root of all the leaves so far is had at any time, without keeping the leaves."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []

    def add(self, chain_hash: str) -> None:
        node, count = leaf_hash(chain_hash), self.size + 1
        while count % 2 == 0:
            node = node_hash(self._stack.pop(), node)
            count //= 2
        self._stack.append(node)
        self.size += 1

    def root(self) -> str:
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root.hex()


def roots_at(chain_hashes: Iterable[str], sizes: Iterable[int]) -> dict[int, str]:
    """The tree roots (hex) of the first `size` leaves for each of `sizes`, in one pass over
    the chain hashes (in chain order)."""
    wanted = set(sizes)
    frontier = Frontier()
    roots = {0: EMPTY_ROOT} if 0 in wanted else {}
    for chain_hash in chain_hashes:
        frontier.add(chain_hash)
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root()
    return roots


def head_statement(*, tree_size: int, root_hash: str, chain_hash: str, position: int,
                   key_id: str, deployment_id: str, signed_at: str) -> bytes:
    """The bytes a checkpoint (a signed tree head) signs."""
    return _canonical({
        "chain_hash": chain_hash,
        "context": CHECKPOINT_CONTEXT,
        "deployment_id": deployment_id,
        "key_id": key_id,
        "position": position,
        "root_hash": root_hash,
        "signed_at": signed_at,
        "tree_size": tree_size,
    })


@dataclass(frozen=True)
class SignedHead:
    """A signed head of the audit chain: event `chain_seq` (the tree's size) is at `position`
    with chain hash `chain_hash`. A head signed before the tree existed has no root, deployment
    or signing time (it signed checkpoint_statement)."""

    chain_seq: int
    chain_hash: str
    position: int
    key_id: str
    signature: str
    root_hash: str | None = None
    deployment_id: str | None = None
    signed_at: str | None = None

    def statement(self) -> bytes:
        if self.root_hash is None:
            return checkpoint_statement(self.chain_seq, self.chain_hash, self.position,
                                        self.key_id)
        return head_statement(
            tree_size=self.chain_seq, root_hash=self.root_hash, chain_hash=self.chain_hash,
            position=self.position, key_id=self.key_id,
            deployment_id=self.deployment_id or "", signed_at=self.signed_at or "",
        )

    def verifies(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(bytes.fromhex(self.signature), self.statement())
        except (InvalidSignature, ValueError):
            return False
        return True

    def as_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {
            "tree_size": self.chain_seq, "chain_hash": self.chain_hash,
            "position": self.position, "key_id": self.key_id, "signature": self.signature,
        }
        if self.root_hash is not None:
            value |= {"context": CHECKPOINT_CONTEXT, "root_hash": self.root_hash,
                      "deployment_id": self.deployment_id, "signed_at": self.signed_at}
        return value

    @classmethod
    def from_json(cls, value: Any) -> SignedHead:
        """Raises ValueError (KeyError, TypeError included) on a malformed head."""
        if not isinstance(value, dict):
            raise ValueError("a head is not a JSON object")
        size = value.get("tree_size", value.get("chain_seq"))
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError("tree_size must be a positive integer")
        position = value["position"]
        if not isinstance(position, int) or position < 1:
            raise ValueError("position must be a positive integer")
        text = {name: value.get(name) for name in ("chain_hash", "key_id", "signature",
                                                   "root_hash", "deployment_id", "signed_at")}
        for name in ("chain_hash", "key_id", "signature"):
            if not isinstance(text[name], str):
                raise ValueError(f"{name} must be a string")
        root = text["root_hash"]
        if root is not None and value.get("context") != CHECKPOINT_CONTEXT:
            raise ValueError(f"the head's context is not {CHECKPOINT_CONTEXT}")
        return cls(size, str(text["chain_hash"]), position, str(text["key_id"]),
                   str(text["signature"]),
                   None if root is None else str(root),
                   None if text["deployment_id"] is None else str(text["deployment_id"]),
                   None if text["signed_at"] is None else str(text["signed_at"]))
