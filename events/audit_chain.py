"""The audit chain: tamper evidence over the whole published sequence of events.

Pure functions, with no platform import, so that the platform, auditors and partners compute and
check the same thing from a message's headers and body wherever they come from (the event store,
the NATS stream, an evidence bundle). docs/audit.md describes the same rules for reimplementing.

- Each published event gets a chain sequence number n = 1, 2, 3... in publication order, and a
  hash: hash_n = SHA-256(hash_{n-1} || canonical_n), hash_0 = 32 zero bytes.
- canonical_n is the UTF-8 JSON (keys sorted, no whitespace, non-ASCII kept) of an object with
  every `ce-*` header of the message but the two chain headers, named without `ce-`, plus
  "lgnetchainseq": n and "data": the JSON body, parsed.
- The message carries n in `ce-lgnetchainseq` and hex(hash_n) in `ce-lgnethash`.
- A checkpoint (events.audit.AuditCheckpointSignedV2) is the Ed25519 signature of a tree head
  (events/audit_tree.py); one of version 1 signed {"chainseq": n, "hash": hex(hash_n),
  "key_id": ..., "position": p} in the same canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson
import pydantic_core
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from pydantic import ValidationError

from events.audit import AuditCheckpointSignedV1, AuditCheckpointSignedV2, AuditKeyRotatedV1
from events.audit_keys import KeyRotation, KeySchedule
from events.audit_tree import SignedHead, roots_at
from events.audit_tree import checkpoint_statement as checkpoint_statement
from events.cloudevents import CHAIN_HASH, CHAIN_SEQ, POSITION

CE_PREFIX = "ce-"
CHAIN_HEADERS = frozenset({CHAIN_SEQ, CHAIN_HASH})
GENESIS_HASH = "00" * 32
CHECKPOINT_TYPE = AuditCheckpointSignedV2.ce_type()
CHECKPOINT_TYPES = frozenset({AuditCheckpointSignedV1.ce_type(), CHECKPOINT_TYPE})
KEY_ROTATION_TYPE = AuditKeyRotatedV1.ce_type()
_SEQ_KEY = "lgnetchainseq"


def canonical_json(value: Any) -> bytes:
    """The one JSON form that is hashed and signed: the standard library's `json.dumps(value,
    sort_keys=True, separators=(",", ":"), ensure_ascii=False)`, UTF-8 (docs/audit.md). orjson
    writes the same bytes for what messages hold (checked by tests/unit/test_audit_chain.py)
    about ten times faster, and the relay writes it for every event; what orjson refuses (an
    integer beyond 64 bits, a non-string key) falls back to the standard library."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()


@dataclass(frozen=True, slots=True)
class CanonicalTemplate:
    """canonical_n of one message for any n: `before`, the decimal n, `after`. Made once, off
    the publishing loop (the JSON work is most of the chain's cost); the hash is cheap."""

    before: bytes
    after: bytes

    def content(self, chain_seq: int) -> bytes:
        return self.before + str(chain_seq).encode() + self.after


# Stands for the chain number while the canonical JSON is written in one go; it cannot come out
# of a CloudEvent (a NUL character in a header value or in a contract field).
_SEQ_SENTINEL = "\x00lgnet-chain-seq\x00"
_SEQ_MEMBER = (json.dumps(_SEQ_KEY) + ":" + json.dumps(_SEQ_SENTINEL)).encode()
_SEQ_PREFIX = (json.dumps(_SEQ_KEY) + ":").encode()


def canonical_template(headers: Mapping[str, str], body: bytes | Any) -> CanonicalTemplate:
    """The canonical content of a message, but for its chain number. `body` is the message body
    (bytes) or the data already parsed (as an evidence bundle holds it)."""
    content: dict[str, Any] = {
        name[len(CE_PREFIX):]: value
        for name, value in headers.items()
        if name.startswith(CE_PREFIX) and name not in CHAIN_HEADERS
    }
    # pydantic-core's parser gives the same values as json.loads, three times faster. NaN and
    # infinities are refused, as the canonical form has no way to write them.
    content["data"] = (pydantic_core.from_json(body, allow_inf_nan=False)
                       if isinstance(body, bytes | bytearray) else body)
    # The whole object in one json.dumps (4x faster than member by member, measured: the relay
    # computes this for every event), with a sentinel for the chain number, cut around it.
    content[_SEQ_KEY] = _SEQ_SENTINEL
    before, found, after = canonical_json(content).partition(_SEQ_MEMBER)
    if not found or _SEQ_MEMBER in after:
        raise ValueError("a message cannot carry the chain-number sentinel")
    return CanonicalTemplate(before + _SEQ_PREFIX, after)


def canonical_content(headers: Mapping[str, str], body: bytes | Any, chain_seq: int) -> bytes:
    """canonical_n of a message (see canonical_template for `body`)."""
    return canonical_template(headers, body).content(chain_seq)


def link_hash(previous_hash: str, canonical: bytes) -> str:
    """hex(SHA-256(hash_{n-1} || canonical_n)), from hex(hash_{n-1})."""
    return hashlib.sha256(bytes.fromhex(previous_hash) + canonical).hexdigest()


def chain(headers: Mapping[str, str], body: bytes, chain_seq: int, previous_hash: str) -> str:
    """hex(hash_n) of a message given the chain's previous hash."""
    return link_hash(previous_hash, canonical_content(headers, body, chain_seq))


def chain_from(template: CanonicalTemplate, chain_seq: int, previous_hash: str) -> str:
    return link_hash(previous_hash, template.content(chain_seq))


def chain_headers(chain_seq: int, chain_hash: str) -> dict[str, str]:
    return {CHAIN_SEQ: str(chain_seq), CHAIN_HASH: chain_hash}


# --- checking a sequence of messages -----------------------------------------------------------


class ProblemKind(StrEnum):
    ALTERED = "altered"  # content or hash changed: the hash does not follow
    MISSING = "missing"  # a chain number absent
    INSERTED = "inserted"  # an event the chain does not hold (no chain headers, or a repeat)
    REORDERED = "reordered"  # an event out of its place in the chain
    BAD_SIGNATURE = "bad signature"  # a checkpoint not signed by the platform's key
    CHECKPOINT_MISMATCH = "checkpoint mismatch"  # a signed hash the chain does not have
    MALFORMED = "malformed"  # unreadable headers, body or bundle line
    TRUNCATED = "truncated"  # shorter than a signed head, or than another copy of the chain
    WITNESS_MISMATCH = "witness mismatch"  # differs from a witnessed head or the other copy


@dataclass(frozen=True)
class Problem:
    """The first thing that does not verify. `position` is the event-store position of the
    event concerned (None when not known: an event missing from a stream names no position);
    `chain_seq` its chain number, where known."""

    kind: ProblemKind
    position: int | None
    chain_seq: int | None
    detail: str

    def describe(self) -> str:
        where = []
        if self.position is not None:
            where.append(f"position {self.position}")
        if self.chain_seq is not None:
            where.append(f"chain seq {self.chain_seq}")
        return f"{self.kind.value.upper()} at {', '.join(where) or 'an unknown place'}: " \
               f"{self.detail}"


@dataclass(frozen=True)
class ChainedMessage:
    """One event as read back: its headers (chain headers included, if it has them) and body
    (bytes, or the parsed data). `position` is the event-store position it claims. `template`:
    canonical_template(headers, body), when the reader already computed it from these same
    headers and body (the event store's reader does, to tell which version was published), so
    that verification does not write the same JSON twice."""

    headers: Mapping[str, str]
    body: bytes | Any
    template: CanonicalTemplate | None = field(default=None, compare=False)
    # (previous hash, hash): the reader already found that the template chains from that
    # previous hash to that hash, the one the message claims (the event store's reader does).
    follows: tuple[str, str] | None = field(default=None, compare=False)

    @property
    def position(self) -> int | None:
        return _int_or_none(self.headers.get(POSITION))

    @property
    def chain_seq(self) -> int | None:
        return _int_or_none(self.headers.get(CHAIN_SEQ))

    @property
    def chain_hash(self) -> str | None:
        value = self.headers.get(CHAIN_HASH)
        return value if value is not None and _is_hex_hash(value) else None


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as published (the contract's fields), with where its own event sits."""

    statement: SignedHead
    event_seq: int | None
    event_position: int | None


@dataclass
class ChainReport:
    """What a verification found: the first problem (None: everything verified), how far the
    chain verified, and the checkpoints met on the way."""

    problem: Problem | None = None
    verified: int = 0
    head_hash: str = GENESIS_HASH
    hashes: dict[int, str] = field(default_factory=dict)  # chain seq -> hash, verified ones
    positions: dict[int, int] = field(default_factory=dict)  # chain seq -> position
    checkpoints: list[Checkpoint] = field(default_factory=list)
    rotations: list[KeyRotation] = field(default_factory=list)  # key rotations met, in order
    keys: KeySchedule | None = None  # the keys followed from the first (when one was given)

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(
    messages: Sequence[ChainedMessage],
    *,
    position_of_seq: Callable[[int], int | None] | None = None,
) -> ChainReport:
    """Check that `messages`, in the order read, are the chain 1, 2, 3... with every hash
    following from its predecessor's and its own content. Stops at the first problem.
    `position_of_seq`, when the reader knows it (the event store's own record of the chain),
    names the position of a missing event."""
    report = ChainReport()
    previous_hash = GENESIS_HASH
    last_position = 0
    expected = 1
    for index, message in enumerate(messages):
        seq, claimed, position = message.chain_seq, message.chain_hash, message.position
        if seq is None or claimed is None:
            report.problem = Problem(
                ProblemKind.INSERTED, position, None,
                "the event carries no (valid) chain headers: the chain never held it",
            )
            return report
        if seq > expected:
            if any(later.chain_seq == expected for later in messages[index + 1:]):
                report.problem = Problem(
                    ProblemKind.REORDERED, position, seq,
                    f"chain event {seq} comes where {expected} should",
                )
            else:
                missing = f"{expected}" if seq == expected + 1 else f"{expected} to {seq - 1}"
                known = position_of_seq(expected) if position_of_seq else None
                report.problem = Problem(
                    ProblemKind.MISSING, known, expected,
                    f"chain event(s) {missing} are missing"
                    + (f" (before position {position})" if known is None else ""),
                )
            return report
        if seq < expected:
            later_expected = any(later.chain_seq == expected for later in messages[index + 1:])
            report.problem = Problem(
                ProblemKind.REORDERED if later_expected else ProblemKind.INSERTED,
                position, seq,
                f"chain event {seq} appears again where {expected} should come",
            )
            return report
        try:
            if message.follows is not None and message.follows[0] == previous_hash:
                computed = message.follows[1]  # hashed from these bytes by the reader
            elif message.template is not None:
                computed = chain_from(message.template, seq, previous_hash)
            else:
                computed = chain(message.headers, message.body, seq, previous_hash)
        except (ValueError, TypeError) as error:  # an unreadable body
            report.problem = Problem(
                ProblemKind.ALTERED, position, seq, f"the body is unreadable ({error})"
            )
            return report
        if computed != claimed:
            following = messages[index + 1] if index + 1 < len(messages) else None
            if (following is not None and following.chain_seq == seq
                    and _follows(following, previous_hash)):
                report.problem = Problem(
                    ProblemKind.INSERTED, position, seq,
                    f"an event claiming chain number {seq} precedes the real one",
                )
            else:
                report.problem = Problem(
                    ProblemKind.ALTERED, position, seq,
                    "its hash does not follow from its content and the previous hash "
                    f"(computed {computed[:16]}..., recorded {claimed[:16]}...)",
                )
            return report
        if position is None or position <= last_position:
            report.problem = Problem(
                ProblemKind.REORDERED, position, seq,
                f"its position does not come after {last_position}",
            )
            return report
        if message.headers.get("ce-type") in CHECKPOINT_TYPES:
            checkpoint = _checkpoint_of(message, seq, position)
            if checkpoint is None:
                report.problem = Problem(ProblemKind.MALFORMED, position, seq,
                                         "a checkpoint whose data is not a valid checkpoint")
                return report
            report.checkpoints.append(checkpoint)
        elif message.headers.get("ce-type") == KEY_ROTATION_TYPE:
            rotation = _rotation_of(message, seq, position)
            if rotation is None:
                report.problem = Problem(ProblemKind.MALFORMED, position, seq,
                                         "a key rotation whose data is not a valid rotation")
                return report
            report.rotations.append(rotation)
        report.hashes[seq] = claimed
        report.positions[seq] = position
        report.verified = seq
        report.head_hash = claimed
        previous_hash, last_position, expected = claimed, position, seq + 1
    return report


def _follows(message: ChainedMessage, previous_hash: str) -> bool:
    seq = message.chain_seq
    try:
        return seq is not None and chain(
            message.headers, message.body, seq, previous_hash
        ) == message.chain_hash
    except (ValueError, TypeError):
        return False


def _checkpoint_of(message: ChainedMessage, seq: int | None, position: int | None) \
        -> Checkpoint | None:
    v1 = message.headers.get("ce-type") == AuditCheckpointSignedV1.ce_type()
    contract: type[AuditCheckpointSignedV1 | AuditCheckpointSignedV2] = (
        AuditCheckpointSignedV1 if v1 else AuditCheckpointSignedV2)
    try:
        body = message.body
        if isinstance(body, bytes | bytearray):
            parsed = contract.model_validate_json(body)
        else:
            parsed = contract.model_validate(body)
    except ValidationError:
        return None
    return Checkpoint(statement=head_of(parsed), event_seq=seq, event_position=position)


def _rotation_of(message: ChainedMessage, seq: int, position: int) -> KeyRotation | None:
    try:
        body = message.body
        parsed = (AuditKeyRotatedV1.model_validate_json(body)
                  if isinstance(body, bytes | bytearray)
                  else AuditKeyRotatedV1.model_validate(body))
    except ValidationError:
        return None
    return KeyRotation(parsed, seq, position)


def head_of(body: AuditCheckpointSignedV1 | AuditCheckpointSignedV2) -> SignedHead:
    """The signed head a checkpoint event's body states."""
    if isinstance(body, AuditCheckpointSignedV1):
        return SignedHead(body.chain_seq, body.chain_hash, body.position, body.key_id,
                          body.signature)
    return SignedHead(body.chain_seq, body.chain_hash, body.position, body.key_id,
                      body.signature, body.root_hash, body.deployment_id, body.signed_at)


def _int_or_none(value: str | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value)


_HEX_HASH = re.compile("[0-9a-f]{64}")


def _is_hex_hash(value: str) -> bool:
    return _HEX_HASH.fullmatch(value) is not None


# --- signed checkpoints ----------------------------------------------------------------------


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """The platform's checkpoint key from its PEM text; ValueError if it is not an Ed25519 key."""
    key = load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("The public key is not an Ed25519 key")
    return key


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw 32-byte public key."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def verify_checkpoints(
    checkpoints: Iterable[Checkpoint],
    public_key: Ed25519PublicKey | KeySchedule,
    hashes: Mapping[int, str],
    positions: Mapping[int, int],
    *,
    require_chain: bool = True,
) -> Problem | None:
    """The first checkpoint that is not the platform's signature of the chain as verified.
    `require_chain` False (a partial bundle) skips the comparison for a chain number the caller
    does not hold. With a KeySchedule, each head is checked with the key in force at its tree
    size (events/audit_keys.py)."""
    schedule = public_key if isinstance(public_key, KeySchedule) else KeySchedule(public_key)
    checkpoints = list(checkpoints)
    rooted = sorted({c.statement.chain_seq for c in checkpoints
                     if c.statement.root_hash is not None and c.statement.chain_seq in hashes})
    roots = roots_at(_prefix(hashes, rooted[-1]), rooted) if rooted else {}
    for checkpoint in checkpoints:
        statement = checkpoint.statement
        where = (checkpoint.event_position, checkpoint.event_seq)
        in_force = schedule.key_for(statement.chain_seq)
        key_id = key_id_of(in_force)
        if statement.key_id != key_id:
            return Problem(ProblemKind.BAD_SIGNATURE, *where, key_not_in_force(
                statement.key_id, key_id, statement.chain_seq, schedule))
        if not statement.verifies(in_force):
            return Problem(ProblemKind.BAD_SIGNATURE, *where,
                           f"the signature of the checkpoint of chain seq {statement.chain_seq} "
                           "does not verify with the platform's public key")
        signed = hashes.get(statement.chain_seq)
        if signed is None and not require_chain:
            continue
        if signed != statement.chain_hash or positions.get(statement.chain_seq) != \
                statement.position:
            return Problem(
                ProblemKind.CHECKPOINT_MISMATCH, *where,
                f"it signs hash {statement.chain_hash[:16]}... at chain seq "
                f"{statement.chain_seq} (position {statement.position}), but the chain has "
                + (f"{signed[:16]}... there" if signed else "no such event"),
            )
        root = roots.get(statement.chain_seq)
        if root is not None and root != statement.root_hash:
            return Problem(
                ProblemKind.CHECKPOINT_MISMATCH, *where,
                f"it signs tree root {str(statement.root_hash)[:16]}... for chain events 1 to "
                f"{statement.chain_seq}, but their tree's root is {root[:16]}...",
            )
    return None


def key_not_in_force(named: str, in_force: str, tree_size: int, schedule: KeySchedule) -> str:
    if named in schedule.key_ids():
        return (f"the head of chain seq {tree_size} names key {named}, not {in_force}, the key "
                "in force there: a retired key signed after its rotation, or a key before its "
                "own")
    return (f"the head of chain seq {tree_size} names key {named}, not {in_force}, the key in "
            f"force there, and no key rotation signed by {in_force} introduces {named}")


def _prefix(hashes: Mapping[int, str], size: int) -> Iterable[str]:
    """Chain hashes 1 to size; stops at the first one missing (a partial bundle)."""
    for seq in range(1, size + 1):
        found = hashes.get(seq)
        if found is None:
            return
        yield found


def verify_with_checkpoints(
    messages: Sequence[ChainedMessage],
    public_key: Ed25519PublicKey | None,
    *,
    position_of_seq: Callable[[int], int | None] | None = None,
) -> ChainReport:
    """verify_chain, then every checkpoint met in the verified part; the problem reported is the
    earliest in the chain. Without a public key, any checkpoint met is a problem (it cannot be
    checked)."""
    report = verify_chain(messages, position_of_seq=position_of_seq)
    if public_key is None:
        if report.checkpoints:
            first = report.checkpoints[0]
            report.problem = Problem(ProblemKind.BAD_SIGNATURE, first.event_position,
                                     first.event_seq, "no public key given to check it with")
        return report
    schedule = KeySchedule(public_key)
    for rotation in report.rotations:
        why = schedule.follow(rotation)
        if why is not None:
            report.problem = Problem(ProblemKind.BAD_SIGNATURE, rotation.event_position,
                                     rotation.event_seq, why)
            return report
    report.keys = schedule
    problem = verify_checkpoints(report.checkpoints, schedule, report.hashes, report.positions)
    if problem is not None:
        report.problem = problem  # checkpoints are met in the verified prefix: earlier
    return report


# --- evidence bundles ------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleLine:
    """One line of a bundle's events.jsonl (or checkpoints.jsonl): one event's headers and data,
    its chain number and hash, and the hash before it."""

    chain_seq: int
    chain_hash: str
    previous_hash: str
    headers: dict[str, str]
    data: Any

    def as_json(self) -> dict[str, Any]:
        return {
            "chain_seq": self.chain_seq,
            "hash": self.chain_hash,
            "previous_hash": self.previous_hash,
            "headers": self.headers,
            "data": self.data,
        }

    @classmethod
    def from_json(cls, value: Any) -> BundleLine:
        """Raises ValueError (KeyError, TypeError included) on a malformed line."""
        if not isinstance(value, dict):
            raise ValueError("a line is not a JSON object")
        headers = value["headers"]
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ValueError("headers must map names to strings")
        seq, chain_hash, previous = value["chain_seq"], value["hash"], value["previous_hash"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ValueError("chain_seq must be a positive integer")
        for name, text in (("hash", chain_hash), ("previous_hash", previous)):
            if not isinstance(text, str) or not _is_hex_hash(text):
                raise ValueError(f"{name} must be 64 lower-case hex digits")
        return cls(seq, chain_hash, previous, headers, value["data"])

    @property
    def position(self) -> int | None:
        return _int_or_none(self.headers.get(POSITION))


def _no_constant(name: str) -> Any:
    """NaN and the infinities are not JSON: the standard library reads them, but the canonical
    form cannot write them (the fast writer would write null, so a null changed to NaN would
    still verify)."""
    raise ValueError(f"{name} is not JSON")


def parse_bundle_lines(lines: Iterable[str]) -> tuple[list[BundleLine], Problem | None]:
    parsed: list[BundleLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            parsed.append(BundleLine.from_json(json.loads(line, parse_constant=_no_constant)))
        except (ValueError, KeyError, TypeError) as error:
            return parsed, Problem(ProblemKind.MALFORMED, None, None,
                                   f"line {number} cannot be read ({error})")
    return parsed, None


def verify_bundle(
    events: Sequence[BundleLine],
    checkpoints: Sequence[BundleLine],
    public_key: Ed25519PublicKey | KeySchedule,
) -> ChainReport:
    """Each event's hash from its own content and its recorded previous hash; the recorded
    previous hash against the preceding line's hash wherever two lines are consecutive in the
    chain; lines in increasing chain order; each checkpoint's own hash, its signature, and the
    hash it signs wherever the bundle holds that event."""
    report = ChainReport()
    previous: BundleLine | None = None
    for line in events:
        problem = _check_line(line)
        if problem is None and previous is not None:
            if line.chain_seq <= previous.chain_seq:
                problem = Problem(ProblemKind.REORDERED, line.position, line.chain_seq,
                                  f"chain event {line.chain_seq} comes after "
                                  f"{previous.chain_seq}")
            elif line.chain_seq == previous.chain_seq + 1 and \
                    line.previous_hash != previous.chain_hash:
                problem = Problem(ProblemKind.ALTERED, line.position, line.chain_seq,
                                  "its recorded previous hash is not the preceding event's hash")
        if problem is not None:
            report.problem = problem
            return report
        report.hashes[line.chain_seq] = line.chain_hash
        if line.position is not None:
            report.positions[line.chain_seq] = line.position
        report.verified += 1
        report.head_hash = line.chain_hash
        previous = line
    statements: list[Checkpoint] = []
    for line in checkpoints:
        problem = _check_line(line)
        message = ChainedMessage(line.headers, line.data)
        checkpoint = _checkpoint_of(message, line.chain_seq, line.position)
        if problem is None and (line.headers.get("ce-type") not in CHECKPOINT_TYPES
                                or checkpoint is None):
            problem = Problem(ProblemKind.MALFORMED, line.position, line.chain_seq,
                              "a line of checkpoints.jsonl is not a checkpoint")
        if problem is not None:
            report.problem = problem
            return report
        assert checkpoint is not None
        statements.append(checkpoint)
        known = report.hashes.get(line.chain_seq)
        if known is not None and known != line.chain_hash:
            report.problem = Problem(ProblemKind.ALTERED, line.position, line.chain_seq,
                                     "the checkpoint's event differs from the same event in "
                                     "events.jsonl")
            return report
    report.checkpoints = statements
    report.problem = verify_checkpoints(statements, public_key, report.hashes, report.positions,
                                        require_chain=False)
    return report


def bundle_key_schedule(first: Ed25519PublicKey, rotations: Sequence[BundleLine]) \
        -> tuple[KeySchedule, Problem | None]:
    """The keys of a bundle's checkpoints: the first key, followed through the bundle's key
    rotation events (each checked like an event line, then signed by the key in force)."""
    schedule = KeySchedule(first)
    for line in rotations:
        problem = _check_line(line)
        rotation = _rotation_of(ChainedMessage(line.headers, line.data), line.chain_seq,
                                line.position or 0)
        if problem is None and (line.headers.get("ce-type") != KEY_ROTATION_TYPE
                                or rotation is None):
            problem = Problem(ProblemKind.MALFORMED, line.position, line.chain_seq,
                              "a line of key_rotations.jsonl is not a key rotation")
        if problem is None and rotation is not None:
            why = schedule.follow(rotation)
            if why is not None:
                problem = Problem(ProblemKind.BAD_SIGNATURE, line.position, line.chain_seq, why)
        if problem is not None:
            return schedule, problem
    return schedule, None


def _check_line(line: BundleLine) -> Problem | None:
    message = ChainedMessage(line.headers, line.data)
    if message.chain_seq != line.chain_seq or message.chain_hash != line.chain_hash:
        return Problem(ProblemKind.ALTERED, line.position, line.chain_seq,
                       "its chain headers differ from the line's chain_seq and hash")
    try:
        computed = link_hash(line.previous_hash,
                             canonical_content(line.headers, line.data, line.chain_seq))
    except (ValueError, TypeError) as error:
        return Problem(ProblemKind.MALFORMED, line.position, line.chain_seq, str(error))
    if computed != line.chain_hash:
        return Problem(ProblemKind.ALTERED, line.position, line.chain_seq,
                       "its hash does not follow from its content and its previous hash")
    return None
