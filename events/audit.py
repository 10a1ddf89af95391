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


AUDIT_CONTRACTS: tuple[type[EventContract], ...] = (AuditCheckpointSignedV1,)
