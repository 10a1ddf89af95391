"""The audit chain's rules (events/audit_chain.py), on messages made here: the canonical form
and hash rule as docs/audit.md states them, and what each kind of tampering is reported as."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.audit.model import AuditCheckpoint
from events.audit import AuditCheckpointSignedV1
from events.audit_chain import (
    GENESIS_HASH,
    BundleLine,
    ChainedMessage,
    ProblemKind,
    canonical_content,
    canonical_json,
    chain,
    chain_headers,
    checkpoint_statement,
    key_id_of,
    verify_bundle,
    verify_chain,
    verify_with_checkpoints,
)
from events.partner import partner_message

CHECKPOINT_TYPE = AuditCheckpointSignedV1.ce_type()


def headers_for(position: int, *, ce_type: str = "it.lgnet.case.closed.v1") -> dict[str, str]:
    return {
        "ce-specversion": "1.0",
        "ce-id": f"aggregate-{position}.1",
        "ce-source": "/lgnet/cities/milano",
        "ce-type": ce_type,
        "ce-subject": "MI-2021-00001",
        "ce-time": "2021-03-10T09:30:00+00:00",
        "ce-datacontenttype": "application/json",
        "ce-lgnetposition": str(position),
        "ce-actorkind": "user",
        "ce-actorid": "milano.coordinatore",
        "ce-actorrole": "city_coordinator",
        "ce-actorcity": "milano",
        "Nats-Msg-Id": f"lgnet:{position}",
    }


def published(positions: list[int]) -> list[ChainedMessage]:
    """Messages chained as the relay chains them."""
    messages, previous = [], GENESIS_HASH
    for seq, position in enumerate(positions, start=1):
        headers = headers_for(position)
        body = json.dumps({"reason": f"città {position}", "household_size": position}).encode()
        previous = chain(headers, body, seq, previous)
        messages.append(ChainedMessage(headers | chain_headers(seq, previous), body))
    return messages


def test_the_canonical_form_is_sorted_compact_utf8_json_of_the_ce_headers_and_data() -> None:
    headers = {"ce-type": "t", "ce-id": "i", "Nats-Msg-Id": "lgnet:4", "ce-lgnethash": "ab",
               "ce-lgnetchainseq": "9", "ce-lgnetposition": "4"}
    canonical = canonical_content(headers, b'{"b": 1, "a": "\\u00e8"}', 3)
    assert canonical == (
        '{"data":{"a":"è","b":1},"id":"i","lgnetchainseq":3,"lgnetposition":"4","type":"t"}'
    ).encode()


@pytest.mark.parametrize("value", [
    {"b": 1, "a": "è", "c": [True, None, {"z": "😀", "y": "\u2028\u00a0"}]},
    {"quotes": 'a"b\\c', "controls": "\x00\x01\x08\t\n\x0c\r\x1f\x7f", "html": "</p>"},
    {"negative": -12, "large": 2**63 - 1, "huge": 2**70, "empty": {}, "none": []},
    {"Z": 1, "a": 2, "É": 3, "é": 4, "10": 5, "9": 6},
])
def test_the_fast_canonical_json_is_the_standard_library_s(value: dict[str, Any]) -> None:
    # docs/audit.md describes the form as Python's json.dumps writes it: auditors reimplement
    # that, so the fast writer must give the same bytes (2**70 takes the fallback).
    assert canonical_json(value) == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_each_hash_covers_the_previous_one_and_the_content() -> None:
    first, second = published([3, 7])
    expected_first = hashlib.sha256(
        bytes(32) + canonical_content(first.headers, first.body, 1)
    ).hexdigest()
    assert first.chain_hash == expected_first
    assert second.chain_hash == hashlib.sha256(
        bytes.fromhex(expected_first) + canonical_content(second.headers, second.body, 2)
    ).hexdigest()


def test_an_untouched_chain_verifies() -> None:
    report = verify_chain(published([1, 2, 5, 9]))
    assert report.ok and report.verified == 4
    assert report.positions == {1: 1, 2: 2, 3: 5, 4: 9}


def test_an_altered_body_is_reported_at_its_position() -> None:
    messages = published([1, 2, 5, 9])
    messages[2] = ChainedMessage(messages[2].headers, messages[2].body.replace(b"5", b"6"))
    problem = verify_chain(messages).problem
    assert problem is not None
    assert (problem.kind, problem.position, problem.chain_seq) == (ProblemKind.ALTERED, 5, 3)


def test_an_altered_header_is_reported_at_its_position() -> None:
    messages = published([1, 2, 5, 9])
    messages[1] = ChainedMessage(dict(messages[1].headers) | {"ce-actorid": "someone.else"},
                                 messages[1].body)
    problem = verify_chain(messages).problem
    assert problem is not None and (problem.kind, problem.position) == (ProblemKind.ALTERED, 2)


def test_a_missing_event_is_reported_with_the_position_the_reader_knows() -> None:
    messages = published([1, 2, 5, 9])
    del messages[2]
    problem = verify_chain(messages).problem
    assert problem is not None
    assert (problem.kind, problem.chain_seq, problem.position) == (ProblemKind.MISSING, 3, None)
    assert "before position 9" in problem.detail
    located = verify_chain(messages, position_of_seq={3: 5}.get).problem
    assert located is not None and located.position == 5


def test_two_swapped_events_are_reported_at_the_first() -> None:
    messages = published([1, 2, 5, 9])
    messages[1], messages[2] = messages[2], messages[1]
    problem = verify_chain(messages).problem
    assert problem is not None
    assert (problem.kind, problem.position) == (ProblemKind.REORDERED, 5)


def test_an_inserted_copy_or_an_unchained_message_is_reported() -> None:
    messages = published([1, 2, 5])
    replayed = verify_chain([*messages, messages[0]]).problem
    assert replayed is not None and replayed.kind is ProblemKind.INSERTED
    foreign = ChainedMessage(headers_for(7), b"{}")
    unchained = verify_chain([*messages[:2], foreign, messages[2]]).problem
    assert unchained is not None
    assert (unchained.kind, unchained.position) == (ProblemKind.INSERTED, 7)
    forged = ChainedMessage(headers_for(4) | chain_headers(3, "0" * 64), b"{}")
    before_the_real_one = verify_chain([*messages[:2], forged, messages[2]]).problem
    assert before_the_real_one is not None
    assert (before_the_real_one.kind, before_the_real_one.position) == (ProblemKind.INSERTED, 4)


def test_partners_never_receive_the_chain_headers() -> None:
    body = json.dumps({
        "case_id": str(UUID(int=1)), "case_code": "MI-2021-00001", "city": "milano",
        "requested_on": "2021-03-10", "request_reference": "PROT-1",
    }).encode()
    headers = headers_for(4, ce_type="it.lgnet.case.personal_data_erased.v1")
    copy = partner_message(headers | chain_headers(1, chain(headers, body, 1, GENESIS_HASH)), body)
    assert copy is not None
    assert not any("chain" in name or "hash" in name for name in copy.headers)


# --- checkpoints ------------------------------------------------------------------------------


def checkpoint_message(
    key: Ed25519PrivateKey, signed: ChainedMessage, seq: int, previous: str, *,
    signing_key: Ed25519PrivateKey | None = None,
) -> ChainedMessage:
    key_id = key_id_of(key.public_key())
    assert signed.chain_seq is not None and signed.chain_hash is not None
    assert signed.position is not None
    signature = (signing_key or key).sign(
        checkpoint_statement(signed.chain_seq, signed.chain_hash, signed.position, key_id)
    ).hex()
    body = AuditCheckpointSignedV1(
        checkpoint_id=UUID(int=seq), chain_seq=signed.chain_seq, chain_hash=signed.chain_hash,
        position=signed.position, key_id=key_id, signature=signature,
    ).model_dump_json().encode()
    headers = headers_for(100 + seq, ce_type=CHECKPOINT_TYPE)
    return ChainedMessage(headers | chain_headers(seq, chain(headers, body, seq, previous)), body)


def test_checkpoints_verify_with_the_platform_key_only() -> None:
    key = Ed25519PrivateKey.generate()
    messages = published([1, 2, 5])
    good = checkpoint_message(key, messages[1], 4, messages[2].chain_hash or "")
    report = verify_with_checkpoints([*messages, good], key.public_key())
    assert report.ok and len(report.checkpoints) == 1

    impostor = checkpoint_message(key, messages[1], 4, messages[2].chain_hash or "",
                                  signing_key=Ed25519PrivateKey.generate())
    problem = verify_with_checkpoints([*messages, impostor], key.public_key()).problem
    assert problem is not None
    assert (problem.kind, problem.position, problem.chain_seq) == (
        ProblemKind.BAD_SIGNATURE, 104, 4)
    unchecked = verify_with_checkpoints([*messages, good], None).problem
    assert unchecked is not None and unchecked.kind is ProblemKind.BAD_SIGNATURE


def test_a_checkpoint_of_a_hash_the_chain_does_not_have_is_reported() -> None:
    key = Ed25519PrivateKey.generate()
    messages = published([1, 2, 5])
    wrong = ChainedMessage(dict(messages[1].headers) | {"ce-lgnethash": "ab" * 32}, b"{}")
    checkpoint = checkpoint_message(key, wrong, 4, messages[2].chain_hash or "")
    problem = verify_with_checkpoints([*messages, checkpoint], key.public_key()).problem
    assert problem is not None and problem.kind is ProblemKind.CHECKPOINT_MISMATCH


# --- bundles --------------------------------------------------------------------------------


def bundle_lines(messages: list[ChainedMessage]) -> list[BundleLine]:
    lines, previous = [], GENESIS_HASH
    for message in messages:
        assert message.chain_seq is not None and message.chain_hash is not None
        lines.append(BundleLine(message.chain_seq, message.chain_hash, previous,
                                dict(message.headers), json.loads(message.body)))
        previous = message.chain_hash
    return lines


def test_a_subset_bundle_verifies_event_by_event_and_fails_at_an_altered_line() -> None:
    key = Ed25519PrivateKey.generate()
    messages = published([1, 2, 5, 9, 12])
    checkpoint = checkpoint_message(key, messages[4], 6, messages[4].chain_hash or "")
    lines = bundle_lines([*messages, checkpoint])
    subset, checkpoints = [lines[0], lines[2], lines[3]], [lines[5]]
    assert verify_bundle(subset, checkpoints, key.public_key()).ok

    data = dict(subset[1].data) | {"household_size": 6}
    altered = BundleLine(subset[1].chain_seq, subset[1].chain_hash, subset[1].previous_hash,
                         subset[1].headers, data)
    problem = verify_bundle([subset[0], altered, subset[2]], checkpoints,
                            key.public_key()).problem
    assert problem is not None
    assert (problem.kind, problem.position) == (ProblemKind.ALTERED, 5)

    relinked = BundleLine(subset[2].chain_seq, subset[2].chain_hash, "11" * 32,
                          subset[2].headers, subset[2].data)
    broken = verify_bundle([subset[0], subset[1], relinked], checkpoints, key.public_key())
    assert broken.problem is not None and broken.problem.position == 9


@pytest.mark.parametrize("field", ["signature", "chain_hash"])
def test_a_bundle_checkpoint_that_does_not_verify_fails(field: str) -> None:
    key = Ed25519PrivateKey.generate()
    messages = published([1, 2])
    checkpoint = checkpoint_message(key, messages[1], 3, messages[1].chain_hash or "")
    lines = bundle_lines([*messages, checkpoint])
    statement = dict(lines[2].data)
    statement[field] = ("ab" * 64)[: len(statement[field])]
    headers = dict(lines[2].headers)
    forged_hash = chain(headers, json.dumps(statement).encode(), 3, lines[2].previous_hash)
    forged = BundleLine(3, forged_hash, lines[2].previous_hash,
                        headers | chain_headers(3, forged_hash), statement)
    problem = verify_bundle(lines[:2], [forged], key.public_key()).problem
    assert problem is not None
    assert problem.kind in (ProblemKind.BAD_SIGNATURE, ProblemKind.CHECKPOINT_MISMATCH)
    assert problem.chain_seq == 3


# --- the checkpoint aggregate -----------------------------------------------------------------


def a_checkpoint(chain_seq: int, signature: str = "cd" * 64) -> AuditCheckpoint:
    return AuditCheckpoint.sign(
        chain_seq=chain_seq, chain_hash="ab" * 32, position=12, key_id="0123456789abcdef",
        signature=signature, now=datetime(2021, 3, 10, 9, 30, tzinfo=UTC),
        root_hash="ef" * 32, deployment_id="lgnet-test", signed_at="2021-03-10T09:30:00Z",
    )


def test_a_checkpoint_is_recorded_once_per_chain_position() -> None:
    first = a_checkpoint(7)
    assert first.id == a_checkpoint(7).id != a_checkpoint(8).id
    assert (first.chain_seq, first.position, first.signed_by["kind"]) == (7, 12, "system")
    with pytest.raises(ValueError, match="signature"):
        a_checkpoint(7, signature="not hex")
