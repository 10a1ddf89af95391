"""Signed checkpoints of the audit chain: each one is a fact of the record, so it is itself
published, chained and kept like every other event.

The platform (infra) computes the chain and signs its head; this aggregate only records what was
signed. Signing, keys and clocks stay outside the domain: the caller passes the signature, the
checkpoint's id and `now`."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.programme import Actor, ActorKind, Role

# Checkpoints are about the whole network's record, not one city's.
NETWORK_SCOPE = "network"
AUDIT_SYSTEM_ACTOR = Actor(kind=ActorKind.SYSTEM, id="lgnet-audit", role=Role.SYSTEM)
_HEX_HASH = re.compile(r"^[0-9a-f]{64}$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{128}$")
_SIGNED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_DEPLOYMENT = re.compile(r"^[0-9A-Za-z._-]{1,64}$")
# Each value is checked with `fullmatch`: `match` with `$` lets a trailing newline by.
_CHECKPOINT_NAMESPACE = UUID("0d7f1f0e-8a43-4f6b-9c1e-5a3c2b1d4e6f")


class AuditCheckpoint(Aggregate):
    """One signed statement: "the audit chain's event `chain_seq`, at log position `position`,
    has hash `chain_hash`", signed with the key `key_id`."""

    class Signed(Aggregate.Created):
        """Version 2 (issue 19): a signed tree head, with the Merkle root, the deployment and
        the signing time. A version 1 checkpoint reads with those None."""

        class_version = 2

        # Not a field: a checkpoint is about the whole network's record, so where an event
        # names its city (its subject, lgnet.<city>...), this one names the network.
        city = NETWORK_SCOPE

        chain_seq: int
        chain_hash: str
        position: int
        key_id: str
        signature: str
        actor: dict[str, str | None]
        root_hash: str | None
        deployment_id: str | None
        signed_at: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state |= {"root_hash": None, "deployment_id": None, "signed_at": None}

    def __init__(
        self,
        chain_seq: int,
        chain_hash: str,
        position: int,
        key_id: str,
        signature: str,
        actor: dict[str, str | None],
        root_hash: str | None,
        deployment_id: str | None,
        signed_at: str | None,
    ) -> None:
        self.chain_seq = chain_seq
        self.chain_hash = chain_hash
        self.position = position
        self.key_id = key_id
        self.signature = signature
        self.signed_by = actor
        self.root_hash = root_hash
        self.deployment_id = deployment_id
        self.signed_at = signed_at

    @staticmethod
    def id_for(chain_seq: int) -> UUID:
        """One checkpoint per chain position: signing the same head twice (two relays, a
        restart, an on-demand checkpoint at an interval's end) records it once."""
        return uuid5(_CHECKPOINT_NAMESPACE, f"audit-checkpoint/{chain_seq}")

    @classmethod
    def sign(
        cls,
        *,
        chain_seq: int,
        chain_hash: str,
        position: int,
        key_id: str,
        signature: str,
        now: datetime,
        root_hash: str,
        deployment_id: str,
        signed_at: str,
        actor: Actor = AUDIT_SYSTEM_ACTOR,
    ) -> AuditCheckpoint:
        # Only the platform signs checkpoints, from values it computed: a malformed one is a bug
        # (ValueError), never a user's mistake to explain (so no DomainError).
        if chain_seq < 1 or position < 1:
            raise ValueError("A checkpoint covers at least the first event of the chain.")
        for name, value, pattern in (
            ("chain_hash", chain_hash, _HEX_HASH),
            ("key_id", key_id, _KEY_ID),
            ("signature", signature, _SIGNATURE),
            ("root_hash", root_hash, _HEX_HASH),
            ("signed_at", signed_at, _SIGNED_AT),
            ("deployment_id", deployment_id, _DEPLOYMENT),
        ):
            if not pattern.fullmatch(value):
                raise ValueError(f"The checkpoint's {name} is malformed: {value!r}")
        return cls._create(
            cls.Signed,
            id=cls.id_for(chain_seq),
            timestamp=now,
            chain_seq=chain_seq,
            chain_hash=chain_hash,
            position=position,
            key_id=key_id,
            signature=signature,
            actor=actor.as_record(),
            root_hash=root_hash,
            deployment_id=deployment_id,
            signed_at=signed_at,
        )


_ROTATION_NAMESPACE = UUID("6b1c4a2e-3f57-4d0b-8e29-7a5d1c9f0b34")
_RAW_KEY_BASE64 = re.compile(r"^[A-Za-z0-9+/]{43}=$")


class AuditKeyRotation(Aggregate):
    """The checkpoint key replaced: "from here on, checkpoints are signed by the key
    `new_public_key`", signed by the key in force before (`old_key_id`). Like a checkpoint, the
    caller (infra) makes the keys and the signature and passes `now`."""

    class Rotated(Aggregate.Created):
        city = NETWORK_SCOPE  # not a field: the whole network's record (see AuditCheckpoint)

        chain_seq: int
        old_key_id: str
        new_key_id: str
        new_key_fingerprint: str
        new_public_key: str
        deployment_id: str
        signed_at: str
        signature: str
        actor: dict[str, str | None]

    def __init__(
        self,
        chain_seq: int,
        old_key_id: str,
        new_key_id: str,
        new_key_fingerprint: str,
        new_public_key: str,
        deployment_id: str,
        signed_at: str,
        signature: str,
        actor: dict[str, str | None],
    ) -> None:
        self.chain_seq = chain_seq
        self.old_key_id = old_key_id
        self.new_key_id = new_key_id
        self.new_key_fingerprint = new_key_fingerprint
        self.new_public_key = new_public_key
        self.deployment_id = deployment_id
        self.signed_at = signed_at
        self.signature = signature
        self.rotated_by = actor

    @staticmethod
    def id_for(new_key_fingerprint: str) -> UUID:
        """One rotation per new key: a key is introduced once."""
        return uuid5(_ROTATION_NAMESPACE, f"audit-key-rotation/{new_key_fingerprint}")

    @classmethod
    def rotate(
        cls,
        *,
        chain_seq: int,
        old_key_id: str,
        new_key_fingerprint: str,
        new_public_key: str,
        deployment_id: str,
        signed_at: str,
        signature: str,
        now: datetime,
        actor: Actor = AUDIT_SYSTEM_ACTOR,
    ) -> AuditKeyRotation:
        # Made by the platform from values it computed: a malformed one is a bug (ValueError).
        if chain_seq < 0:
            raise ValueError("A rotation follows chain seq 0 or later.")
        for name, value, pattern in (
            ("old_key_id", old_key_id, _KEY_ID),
            ("new_key_fingerprint", new_key_fingerprint, _HEX_HASH),
            ("new_public_key", new_public_key, _RAW_KEY_BASE64),
            ("deployment_id", deployment_id, _DEPLOYMENT),
            ("signed_at", signed_at, _SIGNED_AT),
            ("signature", signature, _SIGNATURE),
        ):
            if not pattern.fullmatch(value):
                raise ValueError(f"The key rotation's {name} is malformed: {value!r}")
        return cls._create(
            cls.Rotated,
            id=cls.id_for(new_key_fingerprint),
            timestamp=now,
            chain_seq=chain_seq,
            old_key_id=old_key_id,
            new_key_id=new_key_fingerprint[:16],
            new_key_fingerprint=new_key_fingerprint,
            new_public_key=new_public_key,
            deployment_id=deployment_id,
            signed_at=signed_at,
            signature=signature,
            actor=actor.as_record(),
        )
