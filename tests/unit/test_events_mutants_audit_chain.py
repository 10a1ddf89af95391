"""The audit chain (events/audit_chain.py) pinned where the mutation pass of issue 20 found it
loose: the canonical form and hash by known vectors, and every problem a verification reports
with its kind, position, chain number and text (an auditor reads the text)."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events.audit import AuditCheckpointSignedV2, AuditKeyRotatedV1
from events.audit_chain import (
    CHECKPOINT_TYPE,
    GENESIS_HASH,
    KEY_ROTATION_TYPE,
    BundleLine,
    ChainedMessage,
    Checkpoint,
    Problem,
    ProblemKind,
    bundle_key_schedule,
    canonical_content,
    canonical_json,
    canonical_template,
    chain,
    chain_from,
    chain_headers,
    key_id_of,
    key_not_in_force,
    link_hash,
    load_public_key,
    parse_bundle_lines,
    verify_bundle,
    verify_chain,
    verify_checkpoints,
    verify_with_checkpoints,
)
from events.audit_keys import KeyRotation, KeySchedule, key_fingerprint, raw_base64
from events.audit_keys import rotation_statement as key_rotation_statement
from events.audit_tree import SignedHead, head_statement, roots_at
from tests.unit.test_audit_chain import bundle_lines, headers_for, published

# A fixed key, so that key ids and signatures are known vectors (Ed25519 is deterministic).
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KEY_ID = "56475aa75463474c"
OTHER_ID = key_id_of(OTHER.public_key())


def problem_of(report: Any) -> tuple[ProblemKind, int | None, int | None, str]:
    problem = report.problem if not isinstance(report, Problem) else report
    assert problem is not None
    return problem.kind, problem.position, problem.chain_seq, problem.detail


def rechained(messages: list[ChainedMessage], *, start: int = 0) -> list[ChainedMessage]:
    """The messages' chain headers recomputed from `start` on (as a forger would)."""
    out = list(messages[:start])
    previous = out[-1].chain_hash if out else GENESIS_HASH
    for message in messages[start:]:
        headers = {
            k: v
            for k, v in message.headers.items()
            if k not in ("ce-lgnetchainseq", "ce-lgnethash")
        }
        seq = message.chain_seq
        assert seq is not None and previous is not None
        previous = chain(headers, message.body, seq, previous)
        out.append(ChainedMessage(headers | chain_headers(seq, previous), message.body))
    return out


# --- the canonical form and the hash, by known vectors ----------------------------------------


def test_the_genesis_hash_is_32_zero_bytes_and_the_chain_headers_are_named() -> None:
    assert GENESIS_HASH == "0" * 64
    assert chain_headers(7, "ab" * 32) == {"ce-lgnetchainseq": "7", "ce-lgnethash": "ab" * 32}


def test_a_known_message_hashes_to_a_known_vector() -> None:
    headers = {
        "ce-id": "a.1",
        "ce-type": "t",
        "ce-lgnetposition": "3",
        "Nats-Msg-Id": "x",
        "ce-lgnetchainseq": "1",
        "ce-lgnethash": "ff" * 32,
        "ce-": "empty",
    }
    body = '{"ville":"città","n":1}'.encode()
    canonical = canonical_content(headers, body, 1)
    assert (
        canonical
        == (
            '{"":"empty","data":{"n":1,"ville":"città"},"id":"a.1","lgnetchainseq":1,'
            '"lgnetposition":"3","type":"t"}'
        ).encode()
    )
    first = chain(headers, body, 1, GENESIS_HASH)
    assert first == "6b3806f8bd32dd948ed4e9c898a4e288acfac5d2e99a8159e294e5d881c5099e"
    assert (
        link_hash(GENESIS_HASH, canonical)
        == first
        == hashlib.sha256(bytes(32) + canonical).hexdigest()
    )
    second = chain(headers, body, 2, first)
    assert second == "fc3d2801db0811984f71a6ed785c0e280924a5419a168bd60ce85976825c0990"
    template = canonical_template(headers, json.loads(body))
    assert template.content(12) == canonical.replace(b'"lgnetchainseq":1', b'"lgnetchainseq":12')
    assert chain_from(template, 2, first) == second


def test_a_message_carrying_the_sentinel_or_a_nan_cannot_be_chained() -> None:
    # The sentinel as a header value is another member: harmless.
    assert (
        b'"id":"\\u0000lgnet'
        in canonical_template({"ce-id": "\x00lgnet-chain-seq\x00"}, b"{}").before
    )
    with pytest.raises(ValueError, match=r"^a message cannot carry the chain-number sentinel$"):
        canonical_template({"ce-a": "x"}, {"lgnetchainseq": "\x00lgnet-chain-seq\x00"})
    with pytest.raises(ValueError):
        canonical_template({}, b'{"x": NaN}')


def test_canonical_json_falls_back_to_the_standard_library_with_its_own_settings() -> None:
    assert canonical_json({"b": 2**70, "a": "é"}) == '{"a":"é","b":1180591620717411303424}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"a": float("nan"), "huge": 2**70})


# --- problems and how they read ---------------------------------------------------------------


def test_a_problem_says_where_it_is() -> None:
    assert (
        Problem(ProblemKind.MISSING, 5, 3, "gone").describe()
        == "MISSING at position 5, chain seq 3: gone"
    )
    assert (
        Problem(ProblemKind.BAD_SIGNATURE, None, 3, "x").describe()
        == "BAD SIGNATURE at chain seq 3: x"
    )
    assert Problem(ProblemKind.MALFORMED, 4, None, "y").describe() == "MALFORMED at position 4: y"
    assert (
        Problem(ProblemKind.ALTERED, None, None, "z").describe() == "ALTERED at an unknown place: z"
    )
    assert [kind.value for kind in ProblemKind] == [
        "altered",
        "missing",
        "inserted",
        "reordered",
        "bad signature",
        "checkpoint mismatch",
        "malformed",
        "truncated",
        "witness mismatch",
    ]


def test_a_message_s_chain_headers_are_read_only_when_well_formed() -> None:
    message = ChainedMessage(
        {"ce-lgnetposition": "12", "ce-lgnetchainseq": "3", "ce-lgnethash": "ab" * 32}, b"{}"
    )
    assert (message.position, message.chain_seq, message.chain_hash) == (12, 3, "ab" * 32)
    odd = ChainedMessage(
        {"ce-lgnetposition": "-1", "ce-lgnetchainseq": "x", "ce-lgnethash": "AB" * 32}, b"{}"
    )
    assert (odd.position, odd.chain_seq, odd.chain_hash) == (None, None, None)
    assert ChainedMessage({"ce-lgnethash": "ab" * 31}, b"").chain_hash is None
    assert ChainedMessage({"ce-lgnethash": "ab" * 33}, b"").chain_hash is None
    assert ChainedMessage({}, b"").chain_hash is None


# --- verify_chain: each problem ---------------------------------------------------------------


def test_an_untouched_chain_reports_its_hashes_positions_and_head() -> None:
    messages = published([2, 3, 7])
    report = verify_chain(messages)
    assert report.ok and report.verified == 3
    assert report.head_hash == messages[2].chain_hash
    assert report.hashes == {m.chain_seq: m.chain_hash for m in messages}
    assert report.positions == {1: 2, 2: 3, 3: 7}
    assert (report.checkpoints, report.rotations, report.keys) == ([], [], None)
    assert verify_chain([]).head_hash == GENESIS_HASH and verify_chain([]).verified == 0


def test_a_message_without_chain_headers_was_never_in_the_chain() -> None:
    messages = published([1, 2])
    stripped = ChainedMessage(headers_for(2), messages[1].body)
    assert problem_of(verify_chain([messages[0], stripped])) == (
        ProblemKind.INSERTED,
        2,
        None,
        "the event carries no (valid) chain headers: the chain never held it",
    )
    no_hash = ChainedMessage(
        {k: v for k, v in messages[1].headers.items() if k != "ce-lgnethash"}, messages[1].body
    )
    assert problem_of(verify_chain([messages[0], no_hash]))[0] is ProblemKind.INSERTED


def test_missing_events_are_named_one_or_a_range_with_their_position() -> None:
    messages = published([1, 2, 5, 9])
    assert problem_of(verify_chain([messages[0], messages[2], messages[3]])) == (
        ProblemKind.MISSING,
        None,
        2,
        "chain event(s) 2 are missing (before position 5)",
    )
    assert problem_of(verify_chain([messages[0], messages[3]])) == (
        ProblemKind.MISSING,
        None,
        2,
        "chain event(s) 2 to 3 are missing (before position 9)",
    )
    known = verify_chain([messages[0], messages[3]], position_of_seq=lambda seq: {2: 2}.get(seq))
    assert problem_of(known) == (ProblemKind.MISSING, 2, 2, "chain event(s) 2 to 3 are missing")
    unknown = verify_chain([messages[0], messages[3]], position_of_seq=lambda seq: None)
    assert problem_of(unknown)[1:] == (
        None,
        2,
        "chain event(s) 2 to 3 are missing (before position 9)",
    )
    assert verify_chain([messages[0], messages[3]]).verified == 1


def test_events_out_of_order_are_reordered_and_a_repeat_is_inserted() -> None:
    one, two, three = published([1, 2, 5])
    assert problem_of(verify_chain([one, three, two])) == (
        ProblemKind.REORDERED,
        5,
        3,
        "chain event 3 comes where 2 should",
    )
    assert problem_of(verify_chain([one, two, one, three])) == (
        ProblemKind.REORDERED,
        1,
        1,
        "chain event 1 appears again where 3 should come",
    )
    assert problem_of(verify_chain([one, two, one])) == (
        ProblemKind.INSERTED,
        1,
        1,
        "chain event 1 appears again where 3 should come",
    )
    assert problem_of(verify_chain([two, one, three]))[:3] == (ProblemKind.REORDERED, 2, 2)


def test_an_earlier_number_is_reordered_when_the_expected_one_comes_later() -> None:
    one, two, three, four = published([1, 2, 5, 6])
    # 2 again where 3 should come, and 3 follows later: a reordering, not an insertion.
    assert problem_of(verify_chain([one, two, two, four, three]))[:3] == (
        ProblemKind.REORDERED,
        2,
        2,
    )
    assert problem_of(verify_chain([one, two, two, four]))[:3] == (ProblemKind.INSERTED, 2, 2)


def test_an_altered_event_names_both_hashes_and_a_forged_one_before_the_real_one() -> None:
    one, two, three = published([1, 2, 5])
    altered = ChainedMessage(two.headers, b'{"household_size": 3}')
    recorded = two.chain_hash or ""
    computed = chain(two.headers, altered.body, 2, one.chain_hash or "")
    assert problem_of(verify_chain([one, altered, three])) == (
        ProblemKind.ALTERED,
        2,
        2,
        "its hash does not follow from its content and the previous hash "
        f"(computed {computed[:16]}..., recorded {recorded[:16]}...)",
    )
    assert problem_of(verify_chain([one, altered, two, three])) == (
        ProblemKind.INSERTED,
        2,
        2,
        "an event claiming chain number 2 precedes the real one",
    )
    # The next message has the same number but does not follow either: altered.
    assert problem_of(verify_chain([one, altered, altered, three]))[0] is ProblemKind.ALTERED
    # The next message follows but has another number: altered.
    assert problem_of(verify_chain([one, altered, three]))[0] is ProblemKind.ALTERED
    # The last message altered: nothing follows it.
    assert problem_of(verify_chain([one, two, ChainedMessage(three.headers, b"{}")]))[:3] == (
        ProblemKind.ALTERED,
        5,
        3,
    )
    unreadable = ChainedMessage(two.headers, b"{not json")
    kind, position, seq, detail = problem_of(verify_chain([one, unreadable, unreadable]))
    assert (kind, position, seq) == (ProblemKind.ALTERED, 2, 2)
    assert detail.startswith("the body is unreadable (") and detail.endswith(")")


def test_the_reader_s_template_and_hash_are_used_only_from_the_right_previous_hash() -> None:
    one, two = published([1, 2])
    template = canonical_template(dict(two.headers), two.body)
    with_template = ChainedMessage(two.headers, b"not read", template=template)
    assert verify_chain([one, with_template]).ok
    wrong_template = ChainedMessage(
        two.headers, two.body, template=canonical_template(dict(one.headers), one.body)
    )
    assert problem_of(verify_chain([one, wrong_template]))[0] is ProblemKind.ALTERED
    previous, claimed = one.chain_hash or "", two.chain_hash or ""
    trusted = ChainedMessage(two.headers, b"not read", follows=(previous, claimed))
    assert verify_chain([one, trusted]).ok
    lied_to = ChainedMessage(two.headers, b'{"a": 1}', follows=("11" * 32, claimed))
    assert problem_of(verify_chain([one, lied_to]))[0] is ProblemKind.ALTERED


def test_a_position_not_after_the_previous_one_is_reordered() -> None:
    same = rechained(published([4, 4]))
    assert problem_of(verify_chain(same)) == (
        ProblemKind.REORDERED,
        4,
        2,
        "its position does not come after 4",
    )
    assert verify_chain(rechained(published([4, 5]))).ok
    first = published([1])[0]
    headers = {k: v for k, v in first.headers.items() if k != "ce-lgnetposition"}
    unplaced = rechained([ChainedMessage(headers | chain_headers(1, "00" * 32), first.body)])
    assert problem_of(verify_chain(unplaced)) == (
        ProblemKind.REORDERED,
        None,
        1,
        "its position does not come after 0",
    )


def checkpoint_v2(
    messages: list[ChainedMessage],
    signed: int,
    seq: int,
    position: int,
    *,
    key: Ed25519PrivateKey = KEY,
    root: str | None = None,
    key_id: str | None = None,
) -> ChainedMessage:
    """A version-2 checkpoint of chain event `signed`, itself chain event `seq`."""
    target = messages[signed - 1]
    assert target.chain_hash is not None and target.position is not None
    hashes = [m.chain_hash or "" for m in messages[:signed]]
    root_hash = root or roots_at(hashes, [signed])[signed]
    statement = head_statement(
        tree_size=signed,
        root_hash=root_hash,
        chain_hash=target.chain_hash,
        position=target.position,
        key_id=key_id or key_id_of(key.public_key()),
        deployment_id="lgnet-test",
        signed_at="2021-03-10T09:30:00Z",
    )
    body = (
        AuditCheckpointSignedV2(
            checkpoint_id=UUID(int=seq),
            chain_seq=signed,
            chain_hash=target.chain_hash,
            position=target.position,
            key_id=key_id or key_id_of(key.public_key()),
            signature=key.sign(statement).hex(),
            root_hash=root_hash,
            deployment_id="lgnet-test",
            signed_at="2021-03-10T09:30:00Z",
        )
        .model_dump_json()
        .encode()
    )
    headers = headers_for(position, ce_type=CHECKPOINT_TYPE)
    previous = messages[seq - 2].chain_hash if seq > 1 else GENESIS_HASH
    assert previous is not None
    return ChainedMessage(headers | chain_headers(seq, chain(headers, body, seq, previous)), body)


def test_a_malformed_checkpoint_or_rotation_is_reported_at_its_place() -> None:
    one, two = published([1, 2])
    for ce_type, detail in (
        (CHECKPOINT_TYPE, "a checkpoint whose data is not a valid checkpoint"),
        (KEY_ROTATION_TYPE, "a key rotation whose data is not a valid rotation"),
    ):
        headers = headers_for(3, ce_type=ce_type)
        body = b'{"chain_seq": 0}'
        bad = ChainedMessage(
            headers | chain_headers(3, chain(headers, body, 3, two.chain_hash or "")), body
        )
        report = verify_chain([one, two, bad])
        assert problem_of(report) == (ProblemKind.MALFORMED, 3, 3, detail)
        assert report.verified == 2


def test_checkpoints_met_are_kept_with_their_own_place() -> None:
    messages = published([1, 2, 5])
    checkpoint = checkpoint_v2(messages, 2, 4, 8)
    report = verify_with_checkpoints([*messages, checkpoint], KEY.public_key())
    assert report.ok and report.verified == 4 and report.keys is not None
    [met] = report.checkpoints
    assert (met.event_seq, met.event_position) == (4, 8)
    assert (
        met.statement.chain_seq,
        met.statement.chain_hash,
        met.statement.position,
        met.statement.key_id,
        met.statement.deployment_id,
        met.statement.signed_at,
    ) == (2, messages[1].chain_hash, 2, KEY_ID, "lgnet-test", "2021-03-10T09:30:00Z")
    unchecked = verify_with_checkpoints([*messages, checkpoint], None)
    assert problem_of(unchecked) == (
        ProblemKind.BAD_SIGNATURE,
        8,
        4,
        "no public key given to check it with",
    )
    assert verify_with_checkpoints(messages, None).ok


# --- checkpoints ------------------------------------------------------------------------------


def a_checkpoint(
    messages: list[ChainedMessage], signed: int, *, key: Ed25519PrivateKey = KEY, **changes: Any
) -> Checkpoint:
    body = json.loads(checkpoint_v2(messages, signed, len(messages) + 1, 50, key=key).body)
    head = SignedHead(
        body["chain_seq"],
        body["chain_hash"],
        body["position"],
        body["key_id"],
        body["signature"],
        body["root_hash"],
        body["deployment_id"],
        body["signed_at"],
    )
    values: dict[str, Any] = {
        "chain_seq": head.chain_seq,
        "chain_hash": head.chain_hash,
        "position": head.position,
        "key_id": head.key_id,
        "signature": head.signature,
        "root_hash": head.root_hash,
        "deployment_id": head.deployment_id,
        "signed_at": head.signed_at,
    } | changes
    if changes and "signature" not in changes:
        unsigned = SignedHead(**values)
        values["signature"] = key.sign(unsigned.statement()).hex()
    return Checkpoint(SignedHead(**values), event_seq=9, event_position=90)


def test_each_checkpoint_problem_is_reported_with_the_checkpoint_s_own_place() -> None:
    messages = published([1, 2, 5, 9])
    report = verify_chain(messages)
    hashes, positions = report.hashes, report.positions

    def check(checkpoint: Checkpoint, **options: Any) -> Any:
        return verify_checkpoints([checkpoint], KEY.public_key(), hashes, positions, **options)

    assert check(a_checkpoint(messages, 3)) is None
    other_key = a_checkpoint(messages, 3, key=OTHER, key_id=OTHER_ID)
    assert problem_of(check(other_key)) == (
        ProblemKind.BAD_SIGNATURE,
        90,
        9,
        f"the head of chain seq 3 names key {OTHER_ID}, not {KEY_ID}, the key in force there, "
        f"and no key rotation signed by {KEY_ID} introduces {OTHER_ID}",
    )
    forged = a_checkpoint(messages, 3, signature="ab" * 64)
    assert problem_of(check(forged)) == (
        ProblemKind.BAD_SIGNATURE,
        90,
        9,
        "the signature of the checkpoint of chain seq 3 does not verify with the platform's "
        "public key",
    )
    wrong_hash = a_checkpoint(messages, 3, chain_hash="cd" * 32)
    assert problem_of(check(wrong_hash)) == (
        ProblemKind.CHECKPOINT_MISMATCH,
        90,
        9,
        f"it signs hash {'cd' * 8}... at chain seq 3 (position 5), but the chain has "
        f"{(hashes[3])[:16]}... there",
    )
    wrong_position = a_checkpoint(messages, 3, position=6)
    assert problem_of(check(wrong_position))[0] is ProblemKind.CHECKPOINT_MISMATCH
    beyond = a_checkpoint(messages, 3, chain_seq=7)
    assert problem_of(check(beyond)) == (
        ProblemKind.CHECKPOINT_MISMATCH,
        90,
        9,
        f"it signs hash {hashes[3][:16]}... at chain seq 7 (position 5), but the chain has "
        "no such event",
    )
    assert check(beyond, require_chain=False) is None
    wrong_root = a_checkpoint(messages, 3, root_hash="ef" * 32)
    root = roots_at([hashes[1], hashes[2], hashes[3]], [3])[3]
    assert problem_of(check(wrong_root)) == (
        ProblemKind.CHECKPOINT_MISMATCH,
        90,
        9,
        f"it signs tree root {'ef' * 8}... for chain events 1 to 3, but their tree's root is "
        f"{root[:16]}...",
    )
    # The roots are those of each head's own size, several heads at once.
    both = [a_checkpoint(messages, 2), a_checkpoint(messages, 4)]
    assert verify_checkpoints(both, KEY.public_key(), hashes, positions) is None
    # A partial chain: a root is checked only over the hashes held from 1 on.
    partial = {1: hashes[1], 3: hashes[3]}
    assert (
        verify_checkpoints([a_checkpoint(messages, 3)], KEY.public_key(), partial, positions)
        is None
    )


def test_a_key_not_in_force_is_told_apart_from_an_unknown_key() -> None:
    schedule = KeySchedule(KEY.public_key())
    assert key_not_in_force(OTHER_ID, KEY_ID, 3, schedule) == (
        f"the head of chain seq 3 names key {OTHER_ID}, not {KEY_ID}, the key in force there, "
        f"and no key rotation signed by {KEY_ID} introduces {OTHER_ID}"
    )
    assert key_not_in_force(KEY_ID, OTHER_ID, 3, schedule) == (
        f"the head of chain seq 3 names key {KEY_ID}, not {OTHER_ID}, the key in force there: "
        "a retired key signed after its rotation, or a key before its own"
    )


def test_the_platform_key_is_read_from_pem_and_named_by_its_fingerprint() -> None:
    public = KEY.public_key()
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    assert key_id_of(load_public_key(pem.decode())) == KEY_ID
    assert key_id_of(load_public_key(pem)) == KEY_ID
    assert key_fingerprint(public).startswith(KEY_ID)
    from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

    ec_pem = (
        generate_private_key(SECP256R1())
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match=r"^The public key is not an Ed25519 key$"):
        load_public_key(ec_pem)


# --- key rotations met in the chain ------------------------------------------------------------


def rotation_message(
    messages: list[ChainedMessage],
    seq: int,
    position: int,
    *,
    signer: Ed25519PrivateKey = KEY,
    old_key_id: str = KEY_ID,
    signed_up_to: int = 1,
) -> ChainedMessage:
    fingerprint = key_fingerprint(OTHER.public_key())
    statement = key_rotation_statement(
        chain_seq=signed_up_to,
        old_key_id=old_key_id,
        new_key_fingerprint=fingerprint,
        deployment_id="lgnet-test",
        signed_at="2021-03-10T09:30:00Z",
    )
    body = (
        AuditKeyRotatedV1(
            rotation_id=UUID(int=seq),
            chain_seq=signed_up_to,
            old_key_id=old_key_id,
            new_key_id=fingerprint[:16],
            new_key_fingerprint=fingerprint,
            new_public_key=raw_base64(OTHER.public_key()),
            deployment_id="lgnet-test",
            signed_at="2021-03-10T09:30:00Z",
            signature=signer.sign(statement).hex(),
        )
        .model_dump_json()
        .encode()
    )
    headers = headers_for(position, ce_type=KEY_ROTATION_TYPE)
    previous = messages[seq - 2].chain_hash or ""
    return ChainedMessage(headers | chain_headers(seq, chain(headers, body, seq, previous)), body)


def test_a_rotation_in_the_chain_puts_the_new_key_in_force_from_its_event() -> None:
    messages = published([1, 2])
    rotated = [*messages, rotation_message(messages, 3, 3)]
    later = checkpoint_v2(rotated, 3, 4, 4, key=OTHER)
    report = verify_with_checkpoints([*rotated, later], KEY.public_key())
    assert report.ok, report.problem
    assert [r.event_seq for r in report.rotations] == [3]
    assert report.keys is not None and report.keys.rotations == 1
    # The old key signing after its rotation.
    stale = checkpoint_v2(rotated, 3, 4, 4, key=KEY)
    assert problem_of(verify_with_checkpoints([*rotated, stale], KEY.public_key())) == (
        ProblemKind.BAD_SIGNATURE,
        4,
        4,
        f"the head of chain seq 3 names key {KEY_ID}, not {OTHER_ID}, the key in force there: "
        "a retired key signed after its rotation, or a key before its own",
    )
    forged = [*messages, rotation_message(messages, 3, 3, signer=OTHER)]
    report = verify_with_checkpoints(forged, KEY.public_key())
    assert problem_of(report) == (
        ProblemKind.BAD_SIGNATURE,
        3,
        3,
        f"the key rotation to key {OTHER_ID} is not signed by the key in force, {KEY_ID}",
    )
    assert report.keys is None


# --- bundles ---------------------------------------------------------------------------------


def a_line(**changes: Any) -> dict[str, Any]:
    [message] = published([4])
    line = bundle_lines([message])[0].as_json()
    return line | changes


def test_a_bundle_line_round_trips_and_each_malformation_is_named() -> None:
    line = a_line()
    assert set(line) == {"chain_seq", "hash", "previous_hash", "headers", "data"}
    parsed = BundleLine.from_json(line)
    assert parsed.as_json() == line and parsed.position == 4
    assert (parsed.chain_seq, parsed.previous_hash) == (1, GENESIS_HASH)
    for value, message in (
        ([], "a line is not a JSON object"),
        (a_line(headers=[]), "headers must map names to strings"),
        (a_line(headers={"ce-id": 1}), "headers must map names to strings"),
        (a_line(headers={1: "x"}), "headers must map names to strings"),
        (a_line(chain_seq=0), "chain_seq must be a positive integer"),
        (a_line(chain_seq=True), "chain_seq must be a positive integer"),
        (a_line(chain_seq="1"), "chain_seq must be a positive integer"),
        (a_line(hash="AB" * 32), "hash must be 64 lower-case hex digits"),
        (a_line(hash=7), "hash must be 64 lower-case hex digits"),
        (a_line(previous_hash="ab"), "previous_hash must be 64 lower-case hex digits"),
    ):
        with pytest.raises(ValueError) as raised:
            BundleLine.from_json(value)
        assert str(raised.value) == message
    assert BundleLine.from_json(a_line(chain_seq=1)).chain_seq == 1
    with pytest.raises(KeyError):
        BundleLine.from_json({k: v for k, v in line.items() if k != "data"})


def test_bundle_lines_are_parsed_until_the_first_unreadable_one() -> None:
    good = json.dumps(a_line())
    parsed, problem = parse_bundle_lines([good, "", "  ", good])
    assert len(parsed) == 2 and problem is None
    parsed, problem = parse_bundle_lines([good, "\n", "{", good])
    assert len(parsed) == 1
    assert problem is not None
    assert (problem.kind, problem.position, problem.chain_seq) == (
        ProblemKind.MALFORMED,
        None,
        None,
    )
    assert problem.detail.startswith("line 3 cannot be read (")
    _, missing = parse_bundle_lines(['{"headers": {}}'])
    assert missing is not None and missing.detail == "line 1 cannot be read ('chain_seq')"
    _, typed = parse_bundle_lines(["[]"])
    assert (
        typed is not None and typed.detail == "line 1 cannot be read (a line is not a JSON object)"
    )


def test_a_bundle_reports_each_line_problem_with_its_place() -> None:
    messages = published([1, 2, 5, 9])
    lines = bundle_lines(messages)
    report = verify_bundle(lines, [], KEY.public_key())
    assert report.ok and report.verified == 4 and report.head_hash == lines[3].chain_hash
    assert report.positions == {1: 1, 2: 2, 3: 5, 4: 9}
    assert report.hashes == {line.chain_seq: line.chain_hash for line in lines}
    assert problem_of(verify_bundle([lines[0], lines[2], lines[1]], [], KEY.public_key())) == (
        ProblemKind.REORDERED,
        2,
        2,
        "chain event 2 comes after 3",
    )
    assert problem_of(verify_bundle([lines[1], lines[1]], [], KEY.public_key())) == (
        ProblemKind.REORDERED,
        2,
        2,
        "chain event 2 comes after 2",
    )
    # Consecutive lines must link; lines with a gap between them need not. A forger's line:
    # its own hash right from a previous hash that is not the preceding line's.
    forged_headers = {
        k: v
        for k, v in messages[1].headers.items()
        if k not in ("ce-lgnetchainseq", "ce-lgnethash")
    }
    second = BundleLine(
        2, chain(forged_headers, messages[1].body, 2, "11" * 32), "11" * 32, {}, None
    )
    forged = BundleLine(
        2,
        second.chain_hash,
        "11" * 32,
        forged_headers | chain_headers(2, second.chain_hash),
        json.loads(messages[1].body),
    )
    assert problem_of(verify_bundle([lines[0], forged], [], KEY.public_key())) == (
        ProblemKind.ALTERED,
        2,
        2,
        "its recorded previous hash is not the preceding event's hash",
    )
    third = BundleLine(3, lines[2].chain_hash, "11" * 32, lines[2].headers, lines[2].data)
    assert (
        problem_of(verify_bundle([lines[0], third], [], KEY.public_key()))[0] is ProblemKind.ALTERED
    )  # its own hash no longer follows
    assert verify_bundle([lines[0], lines[2]], [], KEY.public_key()).ok


def test_a_bundle_line_whose_headers_or_hash_disagree_is_altered() -> None:
    [line] = bundle_lines(published([4]))
    renumbered = BundleLine(2, line.chain_hash, line.previous_hash, line.headers, line.data)
    assert problem_of(verify_bundle([renumbered], [], KEY.public_key())) == (
        ProblemKind.ALTERED,
        4,
        2,
        "its chain headers differ from the line's chain_seq and hash",
    )
    rehashed = BundleLine(1, "ab" * 32, line.previous_hash, line.headers, line.data)
    assert problem_of(verify_bundle([rehashed], [], KEY.public_key()))[:3] == (
        ProblemKind.ALTERED,
        4,
        1,
    )
    changed = BundleLine(1, line.chain_hash, line.previous_hash, line.headers, {"x": 1})
    assert problem_of(verify_bundle([changed], [], KEY.public_key())) == (
        ProblemKind.ALTERED,
        4,
        1,
        "its hash does not follow from its content and its previous hash",
    )
    sentinel = BundleLine(
        1,
        line.chain_hash,
        line.previous_hash,
        line.headers,
        {"lgnetchainseq": "\x00lgnet-chain-seq\x00"},
    )
    assert problem_of(verify_bundle([sentinel], [], KEY.public_key())) == (
        ProblemKind.MALFORMED,
        4,
        1,
        "a message cannot carry the chain-number sentinel",
    )


def test_a_bundle_s_checkpoints_are_checked_as_lines_then_as_signatures() -> None:
    messages = published([1, 2, 5])
    checkpoint = checkpoint_v2(messages, 3, 4, 8)
    lines = bundle_lines([*messages, checkpoint])
    report = verify_bundle(lines[:3], [lines[3]], KEY.public_key())
    assert report.ok, report.problem
    [met] = report.checkpoints
    assert (met.event_seq, met.event_position, met.statement.chain_seq) == (4, 8, 3)
    not_a_checkpoint = lines[2]
    assert problem_of(verify_bundle(lines[:2], [not_a_checkpoint], KEY.public_key())) == (
        ProblemKind.MALFORMED,
        5,
        3,
        "a line of checkpoints.jsonl is not a checkpoint",
    )
    # The checkpoint's event held twice, differently.
    other = bundle_lines([*messages[:2], checkpoint_v2(messages, 2, 3, 8)])[2]
    assert problem_of(verify_bundle(lines[:3], [other], KEY.public_key())) == (
        ProblemKind.ALTERED,
        8,
        3,
        "the checkpoint's event differs from the same event in events.jsonl",
    )
    broken = BundleLine(4, lines[3].chain_hash, "11" * 32, lines[3].headers, lines[3].data)
    assert problem_of(verify_bundle(lines[:3], [broken], KEY.public_key()))[:3] == (
        ProblemKind.ALTERED,
        8,
        4,
    )
    impostor = verify_bundle(lines[:3], [lines[3]], OTHER.public_key())
    assert problem_of(impostor)[0] is ProblemKind.BAD_SIGNATURE
    assert len(impostor.checkpoints) == 1


def test_a_bundle_s_key_rotations_are_followed_and_each_bad_one_named() -> None:
    messages = published([1, 2])
    rotation = bundle_lines([*messages, rotation_message(messages, 3, 3)])[2]
    schedule, problem = bundle_key_schedule(KEY.public_key(), [rotation])
    assert problem is None and schedule.rotations == 1
    assert key_id_of(schedule.key_for(3)) == OTHER_ID and key_id_of(schedule.key_for(2)) == KEY_ID
    plain = bundle_lines(messages)[1]
    _, problem = bundle_key_schedule(KEY.public_key(), [plain])
    assert problem_of(problem) == (
        ProblemKind.MALFORMED,
        2,
        2,
        "a line of key_rotations.jsonl is not a key rotation",
    )
    forged = bundle_lines([*messages, rotation_message(messages, 3, 3, signer=OTHER)])[2]
    schedule, problem = bundle_key_schedule(KEY.public_key(), [forged])
    assert problem_of(problem) == (
        ProblemKind.BAD_SIGNATURE,
        3,
        3,
        f"the key rotation to key {OTHER_ID} is not signed by the key in force, {KEY_ID}",
    )
    assert schedule.rotations == 0
    broken = BundleLine(3, rotation.chain_hash, "11" * 32, rotation.headers, rotation.data)
    schedule, problem = bundle_key_schedule(KEY.public_key(), [broken])
    assert problem_of(problem)[:3] == (ProblemKind.ALTERED, 3, 3)
    assert schedule.rotations == 0  # a rotation on a broken line is not followed
    unplaced_headers = {k: v for k, v in rotation.headers.items() if k != "ce-lgnetposition"}
    seq_hash = chain(
        unplaced_headers, json.dumps(rotation.data).encode(), 3, rotation.previous_hash
    )
    unplaced = BundleLine(
        3,
        seq_hash,
        rotation.previous_hash,
        unplaced_headers | chain_headers(3, seq_hash),
        rotation.data,
    )
    assert unplaced.position is None
    schedule, problem = bundle_key_schedule(KEY.public_key(), [unplaced])
    assert problem is None and schedule.rotations == 1


def test_the_rotation_kept_names_its_own_event() -> None:
    messages = published([1, 2])
    rotated = rotation_message(messages, 3, 7)
    report = verify_chain([*messages, rotated])
    [rotation] = report.rotations
    assert isinstance(rotation, KeyRotation)
    assert (rotation.event_seq, rotation.event_position, rotation.body.old_key_id) == (3, 7, KEY_ID)


def test_a_bundle_line_with_a_nan_is_malformed_not_read_as_null() -> None:
    """The fast canonical writer writes NaN as null: read as NaN, a line whose null was changed
    to NaN would still verify. Bundle lines are JSON, which has no NaN."""
    [line] = bundle_lines(published([4]))
    assert canonical_json({"a": float("nan")}) == canonical_json({"a": None})
    text = json.dumps(line.as_json() | {"data": {"a": None}})
    assert parse_bundle_lines([text])[1] is None
    for constant in ("NaN", "Infinity", "-Infinity"):
        _, problem = parse_bundle_lines([text.replace('"a": null', f'"a": {constant}')])
        assert problem is not None
        assert problem.detail == f"line 1 cannot be read ({constant} is not JSON)"


def test_an_altered_event_followed_by_an_unreadable_one_is_altered_not_inserted() -> None:
    one, two, three = published([1, 2, 5])
    altered = ChainedMessage(two.headers, b'{"household_size": 3}')
    unreadable = ChainedMessage(two.headers, b"{not json")
    assert problem_of(verify_chain([one, altered, unreadable, three]))[:3] == (
        ProblemKind.ALTERED,
        2,
        2,
    )


def retyped(line: BundleLine, ce_type: str, data: Any) -> BundleLine:
    """`line` with another type and data, its hash recomputed from its previous hash (a
    forger's line: it passes the line checks)."""
    headers = {
        k: v for k, v in line.headers.items() if k not in ("ce-lgnetchainseq", "ce-lgnethash")
    } | {"ce-type": ce_type}
    seq_hash = chain(headers, json.dumps(data).encode(), line.chain_seq, line.previous_hash)
    return BundleLine(
        line.chain_seq,
        seq_hash,
        line.previous_hash,
        headers | chain_headers(line.chain_seq, seq_hash),
        data,
    )


def test_a_rotation_line_must_have_both_the_type_and_the_data_of_a_rotation() -> None:
    messages = published([1, 2])
    rotation = bundle_lines([*messages, rotation_message(messages, 3, 3)])[2]
    for line in (
        retyped(rotation, "it.lgnet.case.closed.v1", rotation.data),
        retyped(rotation, KEY_ROTATION_TYPE, {"chain_seq": 1}),
    ):
        schedule, problem = bundle_key_schedule(KEY.public_key(), [line])
        assert problem_of(problem) == (
            ProblemKind.MALFORMED,
            3,
            3,
            "a line of key_rotations.jsonl is not a key rotation",
        )
        assert schedule.rotations == 0


def test_verifying_with_checkpoints_names_a_missing_event_s_position_the_reader_knows() -> None:
    messages = published([1, 2, 5])
    report = verify_with_checkpoints(
        [messages[0], messages[2]], KEY.public_key(), position_of_seq=lambda seq: {2: 2}.get(seq)
    )
    assert problem_of(report) == (ProblemKind.MISSING, 2, 2, "chain event(s) 2 are missing")


# --- left by the whole-tree mutation run of 7 December 2026 ----------------------------------


def test_a_number_before_the_first_is_judged_by_what_follows_like_any_earlier_one() -> None:
    """A message numbered 0 in front of the chain: event 1 comes later (not last), so a
    reordering, as for any number earlier than the expected one; without event 1 after it, an
    insertion."""
    one, two, three = published([1, 2, 5])
    zero = ChainedMessage(dict(one.headers) | {"ce-lgnetchainseq": "0"}, one.body)
    assert problem_of(verify_chain([zero, one, two, three])) == (
        ProblemKind.REORDERED,
        1,
        0,
        "chain event 0 appears again where 1 should come",
    )
    assert problem_of(verify_chain([zero, two, three]))[:3] == (ProblemKind.INSERTED, 1, 0)


def test_a_partial_bundle_s_checkpoint_of_an_event_it_lacks_does_not_end_the_checks() -> None:
    messages = published([1, 2, 5, 9])
    report = verify_chain(messages)
    not_held = a_checkpoint(messages, 3, chain_seq=7)
    wrong_hash = a_checkpoint(messages, 3, chain_hash="cd" * 32)
    assert problem_of(verify_checkpoints(
        [not_held, wrong_hash], KEY.public_key(), report.hashes, report.positions,
        require_chain=False,
    ))[:3] == (ProblemKind.CHECKPOINT_MISMATCH, 90, 9)


def test_a_checkpoint_line_must_have_both_the_type_and_the_data_of_a_checkpoint() -> None:
    messages = published([1, 2, 5])
    checkpoint = bundle_lines([*messages, checkpoint_v2(messages, 3, 4, 8)])[3]
    events = bundle_lines(messages)
    assert verify_bundle(events, [retyped(checkpoint, CHECKPOINT_TYPE, checkpoint.data)],
                         KEY.public_key()).ok
    for line in (
        retyped(checkpoint, "it.lgnet.case.closed.v1", checkpoint.data),
        retyped(checkpoint, CHECKPOINT_TYPE, {"chain_seq": 1}),
    ):
        assert problem_of(verify_bundle(events, [line], KEY.public_key())) == (
            ProblemKind.MALFORMED,
            8,
            4,
            "a line of checkpoints.jsonl is not a checkpoint",
        )
