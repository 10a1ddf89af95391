"""Check that the partner feed you received is complete and authentic (docs/partners.md).

Plain Python (hashlib, json and the `cryptography` package), written from the docs alone: feed it
your messages in the order your consumer delivered them; it follows each subject's chain
(`ce-lgnetpartnerseq`, `ce-lgnetpartnerprev`) and checks each signed head
(`ce-lgnetpartnersig`) with the platform's public key (GET /audit/public-key).

    checker = FeedChecker(public_key_pem)
    for message in messages:
        checker.check(message.subject, message.headers, message.data)   # raises FeedBroken
    print(checker.unsigned())   # per subject: the chain numbers no signed head covers yet
"""

import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

SEQ, PREVIOUS = "ce-lgnetpartnerseq", "ce-lgnetpartnerprev"
SIGNATURE, KEY = "ce-lgnetpartnersig", "ce-lgnetpartnerkey"
GENESIS = "0" * 64


class FeedBroken(Exception):
    """A message is missing, out of place, altered, or a signed head does not verify."""


def message_hash(subject: str, headers: dict[str, str], body: bytes) -> str:
    hashed = {
        "subject": subject,
        "headers": {k: v for k, v in headers.items()
                    if k.startswith("ce-") and k not in (SIGNATURE, KEY)},
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class FeedChecker:
    def __init__(self, public_key_pem: bytes, state: dict[str, Any] | None = None) -> None:
        """`state`: what `state()` returned at the end of the previous run (keep it with what
        you stored): without it, a run cannot tell whether messages went missing before its
        first one."""
        key = load_pem_public_key(public_key_pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the platform's key is an Ed25519 public key")
        self.key = key
        state = state or {}
        # subject -> (seq, hash) of the last message; subject -> the last seq a head signed
        self.tips: dict[str, tuple[int, str]] = {
            subject: (int(seq), str(digest)) for subject, (seq, digest)
            in state.get("tips", {}).items()}
        self.signed: dict[str, int] = dict(state.get("signed", {}))

    def state(self) -> dict[str, Any]:
        return {"tips": {subject: list(tip) for subject, tip in self.tips.items()},
                "signed": self.signed}

    def check(self, subject: str, headers: dict[str, str], body: bytes) -> None:
        if SEQ not in headers:
            return  # copied before partner chains began: nothing to check
        seq, previous = int(headers[SEQ]), headers[PREVIOUS]
        tip = self.tips.get(subject)
        if tip is None and seq == 1 and previous != GENESIS:
            raise FeedBroken(f"{subject} #1: the first message must follow {GENESIS}")
        if tip is not None:
            if seq != tip[0] + 1:
                raise FeedBroken(f"{subject}: #{seq} after #{tip[0]}: "
                                 f"#{tip[0] + 1}..#{seq - 1} missing" if seq > tip[0] + 1
                                 else f"{subject}: #{seq} after #{tip[0]}: out of order")
            if previous != tip[1]:
                raise FeedBroken(f"{subject} #{seq}: does not follow #{tip[0]} "
                                 "(it, or the one before, was altered)")
        own = message_hash(subject, headers, body)
        if SIGNATURE in headers:
            statement = b"\n".join([b"lgnet-partner-head-v1", subject.encode(),
                                    str(seq).encode(), own.encode()])
            try:
                self.key.verify(bytes.fromhex(headers[SIGNATURE]), statement)
            except (InvalidSignature, ValueError):
                raise FeedBroken(f"{subject} #{seq}: the signed head does not verify") from None
            self.signed[subject] = seq
        self.tips[subject] = (seq, own)

    def unsigned(self) -> dict[str, str]:
        """Per subject, the messages received that no signed head covers yet."""
        return {subject: f"#{self.signed.get(subject, 0) + 1}..#{seq}"
                for subject, (seq, _) in self.tips.items() if seq > self.signed.get(subject, 0)}
