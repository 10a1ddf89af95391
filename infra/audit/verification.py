"""What `lgnet audit verify` concludes beyond the chain itself (issue 19): the record against
every signed head a witness holds, the unsigned tail, the store against the stream, and a
stream's holes. Each problem names the position concerned."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.record import ProgrammeRecord
from events.audit_chain import (
    ChainedMessage,
    ChainReport,
    Problem,
    ProblemKind,
    key_id_of,
    key_not_in_force,
    verify_with_checkpoints,
)
from events.audit_keys import KeySchedule
from events.audit_tree import roots_at
from infra.audit.chain_store import AuditChainStore
from infra.audit.evidence import (
    StoredEvent,
    StreamState,
    _chained,
    stored_events,
    unpublished_count,
)
from infra.audit.witness import Witnessed
from infra.publishing.messages import PUBLIC_TOPICS


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a whole record is verified. Verification keeps every
    event it reads (a few dozen container objects each) until the end, and each collection of
    the older generations rescans all of them: on the small demo that was over a quarter of
    the time (measured), and it grows with the record. Reference counting still frees all but
    cycles, which verification hardly makes; the collector runs again at the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class UnsignedRange:
    first_seq: int
    last_seq: int
    first_position: int | None
    last_position: int | None

    def describe(self) -> str:
        where = (f" (positions {self.first_position:,}–{self.last_position:,})"
                 if self.first_position and self.last_position else "")
        return (f"events {self.first_seq:,}–{self.last_seq:,}{where} are not yet covered by a "
                "signature")


@dataclass
class Conclusion:
    """A source's verification: its chain report, the problem found against the witnesses
    (None: none), the unsigned range, and notes."""

    report: ChainReport
    problem: Problem | None = None
    unsigned: UnsignedRange | None = None
    notes: list[str] = field(default_factory=list)
    pending: int = 0  # public events saved after the chain's end (not published yet)

    @property
    def first_problem(self) -> Problem | None:
        return self.report.problem or self.problem


def check_heads(
    report: ChainReport, heads: Sequence[Witnessed], public_key: Ed25519PublicKey | None,
    *, record_name: str,
) -> Problem | None:
    """Each head's signature (by the key in force at its tree size, following the record's key
    rotations from `public_key`, the first key), then the record against each: never shorter
    than a head, and the same hash, position and tree root at every signed size."""
    if not heads:
        return None
    schedule = report.keys or (KeySchedule(public_key) if public_key is not None else None)
    for witnessed in heads:
        head = witnessed.head
        if schedule is None:
            return Problem(ProblemKind.BAD_SIGNATURE, head.position, head.chain_seq,
                           f"{witnessed.witness} holds a signed head but no public key was "
                           "given to check it with")
        in_force = schedule.key_for(head.chain_seq)
        if head.key_id != key_id_of(in_force):
            return Problem(ProblemKind.BAD_SIGNATURE, head.position, head.chain_seq,
                           f"{witnessed.witness}: " + key_not_in_force(
                               head.key_id, key_id_of(in_force), head.chain_seq, schedule))
        if not head.verifies(in_force):
            return Problem(ProblemKind.BAD_SIGNATURE, head.position, head.chain_seq,
                           f"the head of {witnessed.witness} at chain seq {head.chain_seq} is "
                           f"not signed by the key {key_id_of(in_force)}")
    newest = max(heads, key=lambda w: w.head.chain_seq)
    if report.verified < newest.head.chain_seq:
        return Problem(
            ProblemKind.TRUNCATED, newest.head.position, report.verified + 1,
            f"{record_name} ends at chain seq {report.verified:,} but a head witnessed by "
            f"{newest.witness} covers chain seq {newest.head.chain_seq:,} (position "
            f"{newest.head.position:,}): events were removed from the end")
    # A head that is one of the record's own checkpoints (as the witnesses mostly hold) had its
    # tree root checked with the checkpoint: the tree is built again only for the others.
    checked = {(c.statement.chain_seq, c.statement.root_hash) for c in report.checkpoints} \
        if report.ok else set()
    sizes = sorted({w.head.chain_seq for w in heads if w.head.root_hash is not None
                    and (w.head.chain_seq, w.head.root_hash) not in checked})
    roots = roots_at((report.hashes[seq] for seq in range(1, sizes[-1] + 1)), sizes) \
        if sizes else {}
    for witnessed in sorted(heads, key=lambda w: w.head.chain_seq):
        head = witnessed.head
        if report.hashes.get(head.chain_seq) != head.chain_hash or \
                report.positions.get(head.chain_seq) != head.position:
            return Problem(
                ProblemKind.WITNESS_MISMATCH, report.positions.get(head.chain_seq),
                head.chain_seq,
                f"{record_name} differs from the head witnessed by {witnessed.witness} "
                f"(signed hash {head.chain_hash[:16]}... at position {head.position:,})")
        if head.root_hash is not None and (head.chain_seq, head.root_hash) not in checked \
                and roots.get(head.chain_seq) != head.root_hash:
            return Problem(
                ProblemKind.WITNESS_MISMATCH, head.position, head.chain_seq,
                f"the tree of chain events 1 to {head.chain_seq:,} is not the one signed in "
                f"the head witnessed by {witnessed.witness}")
    return None


def unsigned_range(report: ChainReport, heads: Sequence[Witnessed]) -> UnsignedRange | None:
    """The chain events after the last signed head, unless they are only the checkpoint
    events that publish the signatures themselves."""
    signed = max([w.head.chain_seq for w in heads]
                 + [c.statement.chain_seq for c in report.checkpoints] + [0])
    checkpoint_seqs = {c.event_seq for c in report.checkpoints}
    rest = [seq for seq in range(signed + 1, report.verified + 1) if seq not in checkpoint_seqs]
    if not rest:
        return None
    return UnsignedRange(rest[0], report.verified, report.positions.get(rest[0]),
                         report.positions.get(report.verified))


def store_gaps(
    record: ProgrammeRecord, store: AuditChainStore, events: Sequence[StoredEvent],
    report: ChainReport, heads: Sequence[Witnessed],
) -> Problem | None:
    """Missing chain rows and truncation of the event store (item 5 of issue 19)."""
    chain_head = store.head()
    for event in events:
        if event.link is None and chain_head is not None and event.position < chain_head.position:
            return Problem(ProblemKind.MISSING, event.position, None,
                           "the event has no entry in lgnet_audit_chain, yet later events have "
                           "one: chain rows were removed")
    newest = max((w.head for w in heads), key=lambda h: h.chain_seq, default=None)
    first_unchained = _first_public_after(record, chain_head.position if chain_head else 0)
    if newest is not None and first_unchained is not None and \
            first_unchained <= newest.position:
        return Problem(ProblemKind.MISSING, first_unchained, None,
                       f"events from position {first_unchained:,} on have no chain entry, though "
                       f"a signed head covers up to position {newest.position:,} (chain seq "
                       f"{newest.chain_seq:,}): chain rows were removed")
    if report.ok and chain_head is not None and chain_head.chain_seq > report.verified:
        return Problem(ProblemKind.TRUNCATED, chain_head.position, report.verified + 1,
                       f"lgnet_audit_chain records chain events up to {chain_head.chain_seq:,} "
                       f"(position {chain_head.position:,}), but the event store's events end "
                       f"at chain seq {report.verified:,}: events were removed from the end")
    return None


def _first_public_after(record: ProgrammeRecord, position: int) -> int | None:
    page = record.recorder.select_notifications(position + 1, 1, topics=PUBLIC_TOPICS)
    return page[0].id if page else None


def compare(store: ChainReport, stream: ChainReport) -> Problem | None:
    """The store's chain against the stream's: the same hash at every chain seq both hold, and
    the same length."""
    shorter = min(store.verified, stream.verified)
    for seq in range(1, shorter + 1):
        if store.hashes.get(seq) != stream.hashes.get(seq):
            return Problem(ProblemKind.WITNESS_MISMATCH, store.positions.get(seq), seq,
                           f"the event store and the stream differ first here (store "
                           f"{str(store.hashes.get(seq))[:16]}..., stream "
                           f"{str(stream.hashes.get(seq))[:16]}...)")
    if store.verified != stream.verified:
        longer, other = (("the stream", "the event store") if stream.verified > store.verified
                         else ("the event store", "the stream"))
        return Problem(ProblemKind.TRUNCATED, None, shorter + 1,
                       f"{longer} holds chain events up to {max(store.verified, stream.verified):,}"
                       f", {other} only up to {shorter:,}")
    return None


def stream_holes(state: StreamState) -> str | None:
    """A diagnosis of a stream missing messages (deleted, or lost from damaged files)."""
    delivered = set(state.delivered)
    missing = [seq for seq in range(max(state.first_seq, 1), state.last_seq + 1)
               if seq not in delivered]
    if state.first_seq > 1:
        missing = list(range(1, state.first_seq)) + missing
    if not missing:
        return None
    shown = ", ".join(f"{seq:,}" for seq in missing[:5]) + (" ..." if len(missing) > 5 else "")
    return (f"message{'s' if len(missing) > 1 else ''} {shown} missing from the stream "
            f"({len(missing)} of sequences 1 to {state.last_seq:,})")


def verify_store_record(
    record: ProgrammeRecord, store: AuditChainStore, public_key: Ed25519PublicKey | None,
    heads: Sequence[Witnessed],
) -> Conclusion:
    """The event store's chain, its checkpoints, and the witnessed heads."""
    events = list(stored_events(record, store))
    report = verify_with_checkpoints([_chained(event) for event in events], public_key,
                                     position_of_seq=store.position_of_seq)
    conclusion = Conclusion(report, pending=unpublished_count(record, store))
    gap = store_gaps(record, store, events, report, heads)
    if gap is not None and (report.problem is None or gap.kind is ProblemKind.MISSING):
        report.problem = None if gap.kind is ProblemKind.MISSING else report.problem
        conclusion.problem = gap
        return conclusion
    if report.ok:
        conclusion.problem = check_heads(report, heads, public_key, record_name="the event store")
        conclusion.unsigned = unsigned_range(report, heads)
    return conclusion


def verify_stream_record(
    messages: Sequence[ChainedMessage], state: StreamState,
    public_key: Ed25519PublicKey | None, heads: Sequence[Witnessed],
) -> Conclusion:
    """Stream LGNET's chain, its checkpoints, its holes, and the witnessed heads."""
    report = verify_with_checkpoints(messages, public_key)
    conclusion = Conclusion(report)
    holes = stream_holes(state)
    if holes is not None:
        conclusion.notes.append(f"stream LGNET: {holes}")
    if report.ok:
        in_stream = [Witnessed(c.statement, "the stream's checkpoints")
                     for c in report.checkpoints]
        all_heads = [*heads, *in_stream]
        conclusion.problem = check_heads(report, all_heads, public_key,
                                         record_name="stream LGNET")
        if conclusion.problem is None and holes is not None:
            conclusion.problem = Problem(ProblemKind.MISSING, None, None,
                                         f"stream LGNET: {holes}")
        conclusion.unsigned = unsigned_range(report, all_heads)
    return conclusion
