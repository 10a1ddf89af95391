"""The partner feed's own hash chains and signed heads (issue 19): how a partner checks that the
feed it received is complete and authentic, without the internal audit chain (which covers
messages it never sees).

One chain per partner subject `partner.<city>.<aggregate>.<event>`: an agreement is a union of
cities and kinds, so every chain is wholly inside or wholly outside what a partner receives, and
it can check each of its chains end to end. Each partner copy carries, as CloudEvents extension
attributes (headers):
- `ce-lgnetpartnerseq`: its number in its subject's chain (1, 2, ...);
- `ce-lgnetpartnerprev`: the hash of the chain's previous message (64 zeros for the first);
and now and then (at least the last copy of each subject the feed publishes in one go, and every
100th) a signed head:
- `ce-lgnetpartnersig`: the Ed25519 signature (hex) of `head_statement(subject, seq, hash)` by
  the platform's audit checkpoint key (its public key: `/audit/public-key`,
  docs/audit.md), and `ce-lgnetpartnerkey`, that key's id.

A message's hash is the SHA-256 of the canonical JSON (sorted keys, no spaces, ASCII) of
`{"subject": ..., "headers": {every ce-* header but the two signature ones}, "body_sha256": ...}`.
A removed, inserted, reordered or altered message breaks the links after it; a rewritten chain
fails the next signature. docs/partners.md shows a verifier in plain Python
(examples/partner_feed_check.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

PARTNER_CHAIN_SEQ = "ce-lgnetpartnerseq"
PARTNER_CHAIN_PREVIOUS = "ce-lgnetpartnerprev"
PARTNER_HEAD_SIGNATURE = "ce-lgnetpartnersig"
PARTNER_HEAD_KEY = "ce-lgnetpartnerkey"
GENESIS = "0" * 64
HEAD_CONTEXT = b"lgnet-partner-head-v1"
# A signed head at least every this many messages of a chain.
SIGN_EVERY = 100
_NOT_HASHED = frozenset({PARTNER_HEAD_SIGNATURE, PARTNER_HEAD_KEY})


def partner_message_hash(subject: str, headers: Mapping[str, str], body: bytes) -> str:
    """The hash a partner copy is chained by (see the module's docstring)."""
    hashed = {
        "subject": subject,
        "headers": {
            name: value for name, value in headers.items()
            if name.startswith("ce-") and name not in _NOT_HASHED
        },
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def head_statement(subject: str, seq: int, message_hash: str) -> bytes:
    """What a signed head signs: the context, the chain (subject), its length and last hash."""
    return b"\n".join([HEAD_CONTEXT, subject.encode(), str(seq).encode(), message_hash.encode()])
