"""Event contracts of the audit trail (see docs/audit.md).

A checkpoint is the platform's signed statement about the audit chain's head. It belongs to the
whole network, not to a city: its NATS subject is `lgnet.network.audit.checkpoint_signed` and its
CloudEvents source `/lgnet/network`; its CloudEvents subject is the chain position it signs."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.contracts import EventContract

HEX_SHA256_PATTERN = r"^[0-9a-f]{64}$"


class AuditCheckpointSignedV1(EventContract):
    """The platform signed the audit chain at event `chain_seq` (log position `position`),
    whose hash is `chain_hash`, with the Ed25519 key `key_id`. Check the signature with the
    platform's public key (GET /audit/public-key) as docs/audit.md describes."""

    aggregate: ClassVar[str] = "audit"
    event: ClassVar[str] = "checkpoint_signed"
    version: ClassVar[int] = 1

    checkpoint_id: UUID
    city: Literal["network"] = Field(
        default="network", description="Not a city: checkpoints cover the whole network"
    )
    chain_seq: int = Field(ge=1, description="The audit-chain sequence number signed")
    chain_hash: str = Field(pattern=HEX_SHA256_PATTERN,
                            description="ce-lgnethash of that event: SHA-256, lower-case hex")
    position: int = Field(ge=1, description="That event's event-store position")
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$",
                        description="First 16 hex digits of the SHA-256 of the raw public key")
    signature: str = Field(pattern=r"^[0-9a-f]{128}$",
                           description="Ed25519 signature of the checkpoint statement, hex")


class AuditCheckpointSignedV2(EventContract):
    """The platform signed the audit chain's head (issue 19): the Merkle tree of the chain's
    first `chain_seq` events has root `root_hash`, event `chain_seq` is at log position
    `position` with hash `chain_hash`; signed with the Ed25519 key `key_id` for deployment
    `deployment_id` at `signed_at`. The signature is over the statement of docs/audit.md
    ("Signed checkpoints", context `lgnet-checkpoint-v1`). A v1 message reads as v2 by
    `from_v1`, with null root, deployment and signing time (its signature is over the v1
    statement)."""

    aggregate: ClassVar[str] = "audit"
    event: ClassVar[str] = "checkpoint_signed"
    version: ClassVar[int] = 2

    checkpoint_id: UUID
    city: Literal["network"] = Field(
        default="network", description="Not a city: checkpoints cover the whole network"
    )
    chain_seq: int = Field(ge=1, description="The tree size: the chain events signed, 1 to this")
    chain_hash: str = Field(pattern=HEX_SHA256_PATTERN,
                            description="ce-lgnethash of event chain_seq: SHA-256, lower-case hex")
    position: int = Field(ge=1, description="That event's event-store position")
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$",
                        description="First 16 hex digits of the SHA-256 of the raw public key")
    signature: str = Field(pattern=r"^[0-9a-f]{128}$",
                           description="Ed25519 signature of the checkpoint statement, hex")
    root_hash: str | None = Field(pattern=HEX_SHA256_PATTERN, description="The Merkle tree "
                                  "root of chain events 1 to chain_seq (RFC 9162), hex; null "
                                  "in a v1 checkpoint")
    deployment_id: str | None = Field(max_length=64, pattern=r"^[0-9A-Za-z._-]+$",
                                      description="The deployment that signed; null in v1")
    signed_at: str | None = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
                                  description="When it was signed (ISO 8601 UTC, seconds, as "
                                  "signed); null in v1")

    @classmethod
    def from_v1(cls, v1: AuditCheckpointSignedV1) -> AuditCheckpointSignedV2:
        return cls(**v1.model_dump(), root_hash=None, deployment_id=None, signed_at=None)


KEY_ROTATION_CONTEXT = "lgnet-key-rotation-v1"


class AuditKeyRotatedV1(EventContract):
    """The platform replaced its checkpoint key (`lgnet audit rotate-key`): from this event on,
    checkpoints are signed by the Ed25519 key `new_public_key` (raw 32 bytes, base64; its
    fingerprint `new_key_fingerprint`, its id `new_key_id`). `signature` is the old key's
    (`old_key_id`) Ed25519 signature of the rotation statement of docs/audit.md ("Key
    rotation", context `lgnet-key-rotation-v1`), made after the old key signed the chain up to
    `chain_seq`. A new key that appears without such an event is an error of verification."""

    aggregate: ClassVar[str] = "audit"
    event: ClassVar[str] = "key_rotated"
    version: ClassVar[int] = 1

    rotation_id: UUID
    city: Literal["network"] = Field(
        default="network", description="Not a city: the key signs the whole network's record"
    )
    chain_seq: int = Field(ge=0, description="The tree size the old key signed last (0: none)")
    old_key_id: str = Field(pattern=r"^[0-9a-f]{16}$",
                            description="The id of the key retired, which signs this statement")
    new_key_id: str = Field(pattern=r"^[0-9a-f]{16}$",
                            description="The id of the new key: first 16 hex digits of its "
                            "fingerprint")
    new_key_fingerprint: str = Field(pattern=HEX_SHA256_PATTERN,
                                     description="SHA-256 of the new raw 32-byte public key, hex")
    new_public_key: str = Field(pattern=r"^[A-Za-z0-9+/]{43}=$",
                                description="The new raw 32-byte Ed25519 public key, base64")
    deployment_id: str = Field(max_length=64, pattern=r"^[0-9A-Za-z._-]+$",
                               description="The deployment whose key is rotated")
    signed_at: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
                           description="When the old key signed the rotation (ISO 8601 UTC)")
    signature: str = Field(pattern=r"^[0-9a-f]{128}$",
                           description="The old key's Ed25519 signature of the rotation "
                           "statement, hex")


AUDIT_CONTRACTS: tuple[type[EventContract], ...] = (AuditCheckpointSignedV1,
                                                    AuditCheckpointSignedV2,
                                                    AuditKeyRotatedV1)
