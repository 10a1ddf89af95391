"""Key rotation of the audit chain's checkpoint key (docs/audit.md, "Key rotation").

Pure functions with no platform import, like events/audit_chain.py. A rotation is an event of the
chain (AuditKeyRotatedV1) stating the new public key, signed by the key in force before it. A
verifier starts from the first key (the pinned one) and follows the rotations in chain order: a
signed head of tree size s must be signed by the key in force at s, i.e. the key introduced by
the last rotation whose own event is at chain seq <= s (the first key before any)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events.audit import KEY_ROTATION_CONTEXT, AuditKeyRotatedV1


def raw_fingerprint(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex (the key id is its first 16 digits)."""
    return raw_fingerprint(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def raw_base64(public_key: Ed25519PublicKey) -> str:
    return base64.b64encode(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def rotation_statement(*, chain_seq: int, old_key_id: str, new_key_fingerprint: str,
                       deployment_id: str, signed_at: str) -> bytes:
    """The bytes the old key signs: the canonical JSON of docs/audit.md."""
    return json.dumps({
        "chain_seq": chain_seq,
        "context": KEY_ROTATION_CONTEXT,
        "deployment_id": deployment_id,
        "new_key_fingerprint": new_key_fingerprint,
        "old_key_id": old_key_id,
        "signed_at": signed_at,
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class KeyRotation:
    """A rotation event as published, with where its own event sits in the chain."""

    body: AuditKeyRotatedV1
    event_seq: int
    event_position: int | None

    def statement(self) -> bytes:
        return rotation_statement(
            chain_seq=self.body.chain_seq, old_key_id=self.body.old_key_id,
            new_key_fingerprint=self.body.new_key_fingerprint,
            deployment_id=self.body.deployment_id, signed_at=self.body.signed_at)

    def new_key(self) -> Ed25519PublicKey | None:
        """The new key, when it is the one the fingerprint and id name."""
        raw = base64.b64decode(self.body.new_public_key)
        if len(raw) != 32 or raw_fingerprint(raw) != self.body.new_key_fingerprint or \
                not self.body.new_key_fingerprint.startswith(self.body.new_key_id):
            return None
        return Ed25519PublicKey.from_public_bytes(raw)


class KeySchedule:
    """Which key is in force at each tree size: the first key, then each rotation's new key
    from the rotation event's chain seq on."""

    def __init__(self, first: Ed25519PublicKey) -> None:
        self._keys: list[tuple[int, Ed25519PublicKey]] = [(0, first)]

    @property
    def first(self) -> Ed25519PublicKey:
        return self._keys[0][1]

    @property
    def rotations(self) -> int:
        return len(self._keys) - 1

    def key_for(self, tree_size: int) -> Ed25519PublicKey:
        found = self._keys[0][1]
        for since, key in self._keys:
            if since <= tree_size:
                found = key
        return found

    def key_ids(self) -> list[str]:
        return [key_fingerprint(key)[:16] for _, key in self._keys]

    def follow(self, rotation: KeyRotation) -> str | None:
        """Put the rotation's new key in force from its event on; why not, when it does not
        verify (None: it does)."""
        in_force = self.key_for(rotation.event_seq)
        in_force_id = key_fingerprint(in_force)[:16]
        body = rotation.body
        if body.old_key_id != in_force_id:
            return (f"the key rotation names key {body.old_key_id} as the one retired, but the "
                    f"key in force is {in_force_id}")
        try:
            in_force.verify(bytes.fromhex(body.signature), rotation.statement())
        except (InvalidSignature, ValueError):
            return (f"the key rotation to key {body.new_key_id} is not signed by the key in "
                    f"force, {in_force_id}")
        if body.chain_seq >= rotation.event_seq:
            return (f"the key rotation claims the old key signed up to chain seq "
                    f"{body.chain_seq}, not before the rotation itself")
        new_key = rotation.new_key()
        if new_key is None:
            return "the key rotation's new public key is not the one its fingerprint names"
        self._keys.append((rotation.event_seq, new_key))
        return None
