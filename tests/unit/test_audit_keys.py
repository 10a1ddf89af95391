"""The key schedule a verifier follows through key rotations (events/audit_keys.py, docs/audit.md
"Key rotation"): pure, no platform."""

from __future__ import annotations

import base64
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.audit import AuditKeyRotatedV1
from events.audit_keys import (
    KeyRotation,
    KeySchedule,
    key_fingerprint,
    raw_base64,
    rotation_statement,
)

OLD, NEW = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
OLD_ID = key_fingerprint(OLD.public_key())[:16]


def rotation(*, event_seq: int = 20, chain_seq: int = 18, signer: Ed25519PrivateKey = OLD,
             old_key_id: str = OLD_ID, new_public_key: str | None = None) -> KeyRotation:
    fingerprint = key_fingerprint(NEW.public_key())
    statement = rotation_statement(chain_seq=chain_seq, old_key_id=old_key_id,
                                   new_key_fingerprint=fingerprint, deployment_id="lgnet-test",
                                   signed_at="2026-12-06T13:00:00Z")
    body = AuditKeyRotatedV1(
        rotation_id=uuid4(), new_key_id=fingerprint[:16],
        new_public_key=new_public_key or raw_base64(NEW.public_key()),
        signature=signer.sign(statement).hex(), chain_seq=chain_seq, old_key_id=old_key_id,
        new_key_fingerprint=fingerprint, deployment_id="lgnet-test",
        signed_at="2026-12-06T13:00:00Z")
    return KeyRotation(body, event_seq, 100 + event_seq)


def test_the_new_key_is_in_force_from_the_rotation_event_on() -> None:
    schedule = KeySchedule(OLD.public_key())
    assert schedule.follow(rotation()) is None
    assert schedule.key_for(19) == OLD.public_key()  # one before the rotation's event
    assert schedule.key_for(20) == NEW.public_key()  # the rotation's event itself
    assert schedule.key_ids() == [OLD_ID, key_fingerprint(NEW.public_key())[:16]]


def test_a_rotation_signed_by_another_key_is_refused() -> None:
    schedule = KeySchedule(OLD.public_key())
    why = schedule.follow(rotation(signer=Ed25519PrivateKey.generate()))
    assert why is not None and f"not signed by the key in force, {OLD_ID}" in why
    assert schedule.key_for(10**6) == OLD.public_key()


def test_a_rotation_naming_another_old_key_is_refused() -> None:
    why = KeySchedule(OLD.public_key()).follow(rotation(old_key_id="0" * 16))
    assert why is not None and "names key 0000000000000000 as the one retired" in why


def test_the_old_key_signed_before_the_rotation_at_the_limit() -> None:
    assert KeySchedule(OLD.public_key()).follow(rotation(chain_seq=19)) is None
    why = KeySchedule(OLD.public_key()).follow(rotation(chain_seq=20))
    assert why is not None and "not before the rotation itself" in why


def test_a_new_key_other_than_its_fingerprint_is_refused() -> None:
    other = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes_raw())
    why = KeySchedule(OLD.public_key()).follow(rotation(new_public_key=other.decode()))
    assert why is not None and "not the one its fingerprint names" in why
