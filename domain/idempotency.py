"""Idempotent commands: a command sent with a key of the sender's choosing is carried out once
per key; sent again, it gets the first answer back (web.kit.idempotency carries it out over
HTTP; infra.store.accounts.idempotency keeps the answers). Here: the port, and what it keeps."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True)
class KeptAnswer:
    """What is kept of a command's first answer: its status, the headers that say where it
    leads, and its body when that holds no personal data (else None)."""

    status: int
    headers: dict[str, str]
    body: str | None


class ClaimOutcome(StrEnum):
    NEW = "new"
    """The key is this request's now: carry the command out."""
    ANSWERED = "answered"
    """The command was carried out: its answer is the claim's."""
    IN_PROGRESS = "in_progress"
    """The first request with the key is still being carried out."""
    OTHER_REQUEST = "other_request"
    """The key was used for a different request."""


@dataclass(frozen=True)
class Claim:
    outcome: ClaimOutcome
    answer: KeptAnswer | None = None


class IdempotencyStore(Protocol):
    """Where the keys and answers are kept, each key under its sender (`owner`)."""

    def claim_idempotency_key(self, owner: str, key: str, fingerprint: str) -> Claim: ...

    def keep_answer(self, owner: str, key: str, answer: KeptAnswer) -> None: ...

    def release_idempotency_key(self, owner: str, key: str) -> None: ...


