"""The audit checkpoints' public key is served to anyone, signed in or not: auditors and
partners check signatures with it (docs/audit.md)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from events.audit_chain import checkpoint_statement, key_id_of
from infra.audit.checkpoints import audit_dir, load_or_create_signing_key
from infra.bootstrap import Platform
from tests.web.conftest import Clients


def test_anyone_fetches_the_key_that_verifies_the_checkpoints(
    clients: Clients, platform: Platform
) -> None:
    response = clients.anonymous().get("/audit/public-key")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    served = load_pem_public_key(response.content)
    assert isinstance(served, Ed25519PublicKey)
    # The pair the relay signs checkpoints with, in the data dir.
    signing_key = load_or_create_signing_key(audit_dir(platform.settings))
    assert key_id_of(served) == signing_key.key_id
    statement = checkpoint_statement(7, "ab" * 32, 12, signing_key.key_id)
    served.verify(bytes.fromhex(signing_key.sign(statement)), statement)
