"""Reading the audit chain back for verification and export: from the event store (the events
recomputed from the notification log, with the hashes the relay recorded), from the NATS stream
(headers and bodies alone, as an auditor with read-only credentials reads them), and from or to
an evidence bundle. The checks themselves are events.audit_chain's."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import nats
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nats.errors import NoServersError
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from domain.record import ProgrammeRecord
from events.audit_bundle import (
    BundleReport,
    Manifest,
    file_digest,
    proofs_for,
    verify_manifested_bundle,
)
from events.audit_chain import (
    CHECKPOINT_TYPES,
    GENESIS_HASH,
    KEY_ROTATION_TYPE,
    BundleLine,
    CanonicalTemplate,
    ChainedMessage,
    ChainReport,
    Problem,
    ProblemKind,
    bundle_key_schedule,
    canonical_template,
    chain_from,
    chain_headers,
    key_id_of,
    load_public_key,
    parse_bundle_lines,
    verify_with_checkpoints,
)
from events.audit_tree import SignedHead, inclusion_proofs, leaf_hash
from events.cloudevents import POSITION
from infra.audit.chain_store import AuditChainStore, ChainLink
from infra.audit.checkpoints import SigningKey, public_key_pem
from infra.nats.credentials import url_without_credentials
from infra.nats.streams import STREAM_NAME, STREAM_SUBJECTS
from infra.publishing.messages import (
    PUBLIC_TOPICS,
    OutgoingMessage,
    message_as_first_published,
    message_via_contract,
    to_message,
)

_PAGE = 2000
EVENTS_FILE = "events.jsonl"
CHECKPOINTS_FILE = "checkpoints.jsonl"
MANIFEST_FILE = "manifest.json"
PROOFS_FILE = "proofs.jsonl"
PUBLIC_KEY_FILE = "public_key.pem"
# After key rotations: every rotation event up to the head, and the first key they start from.
KEY_ROTATIONS_FILE = "key_rotations.jsonl"
FIRST_PUBLIC_KEY_FILE = "first_public_key.pem"
README_FILE = "README.md"


@dataclass(frozen=True)
class StoredEvent:
    """A public event of the log recomputed as the relay would publish it (None: its stored
    state cannot be read), with the chain link the relay recorded for it (None: none), and the
    message's canonical content (computed once, to tell which version the chain recorded; the
    verification reuses it)."""

    position: int
    message: OutgoingMessage | None
    link: ChainLink | None
    template: CanonicalTemplate | None = None
    # The recorded hash of the chain event before it, when the template chained from it to the
    # event's recorded hash (the chain check then need not hash the same bytes again).
    follows: str | None = None


def stored_events(record: ProgrammeRecord, store: AuditChainStore) -> Iterator[StoredEvent]:
    """Every public event of the log up to the last one the chain records, in log order."""
    head = store.head()
    if head is None:
        return
    recorded: dict[int, str] = {0: GENESIS_HASH}  # chain seq -> hash, as the relay recorded it
    start = 1
    while start <= head.position:
        notifications = record.recorder.select_notifications(
            start, _PAGE, stop=head.position, topics=PUBLIC_TOPICS
        )
        if not notifications:
            return
        # One query for the page's links (by position range), not one per few hundred events.
        links = store.links_at_positions(notifications[0].id, notifications[-1].id)
        recorded |= dict(links.values())
        for notification in notifications:
            link = links.get(notification.id)
            previous = None if link is None else _previous_hash(link[0], recorded, store)
            message, template, follows = _rebuilt(notification, record.mapper, link, previous)
            yield StoredEvent(
                notification.id, message,
                ChainLink(link[0], notification.id, link[1]) if link else None, template,
                previous if follows else None,
            )
        last = max(recorded)  # all the next page may need: the link before it
        recorded = {last: recorded[last]}
        start = notifications[-1].id + 1


def _previous_hash(seq: int, recorded: dict[int, str], store: AuditChainStore) -> str:
    """The hash the relay recorded for chain event seq - 1 (the genesis hash before the first),
    from the links at hand or, for one whose event is not among the log's public events (a
    removed one), from the chain table."""
    previous = recorded.get(seq - 1)
    if previous is None:
        earlier = store.links(seq - 1, seq - 1)
        previous = earlier[0].chain_hash if earlier else GENESIS_HASH
    return previous


def _rebuilt(
    notification: Any, mapper: Any, link: tuple[int, str] | None, previous: str | None,
) -> tuple[OutgoingMessage | None, CanonicalTemplate | None, bool]:
    """An event's message and, when the chain holds it, its canonical content and whether that
    chains from `previous` to the recorded hash; (None, None, False) when its stored state cannot
    be read."""
    try:
        message = to_message(notification, mapper)
        if link is None or previous is None:
            return message, None, False
        return _as_chained(notification, mapper, message, link, previous)
    except Exception:  # a stored state altered beyond reading is itself the finding
        return None, None, False


def _as_chained(
    notification: Any, mapper: Any, message: OutgoingMessage, link: tuple[int, str],
    previous: str,
) -> tuple[OutgoingMessage, CanonicalTemplate, bool]:
    """The message the chain recorded for an event, with its canonical content: the newest
    version's, or, for an event the relay published before its kind got a new version
    (docs/events.md, "Versioning"), the older version's it was published as. Both follow from
    the stored content alone, so this admits no other message: an altered event matches neither
    and is reported altered."""
    seq, recorded_hash = link
    template = canonical_template(message.headers, message.body)
    if chain_from(template, seq, previous) == recorded_hash:
        return message, template, True
    # The reference mapping is the authority on what the relay published: a stored state the
    # faster paths read otherwise (which they should not) is not taken for an altered event.
    try:
        reference: OutgoingMessage | None = message_via_contract(notification, mapper)
    except Exception:  # unreadable to it too: altered, as reported below
        reference = None
    if reference is not None and \
            (reference.headers, reference.body) != (message.headers, message.body):
        reference_template = canonical_template(reference.headers, reference.body)
        if chain_from(reference_template, seq, previous) == recorded_hash:
            return reference, reference_template, True
    first = message_as_first_published(notification, mapper)
    if first is not None:
        first_template = canonical_template(first.headers, first.body)
        if chain_from(first_template, seq, previous) == recorded_hash:
            return first, first_template, True
    return message, template, False


def unpublished_count(record: ProgrammeRecord, store: AuditChainStore) -> int:
    """Public events saved after the chain's last link: not published yet, so not covered."""
    head = store.head()
    start = (head.position if head else 0) + 1
    count = 0
    while True:
        page = record.recorder.select_notifications(start, _PAGE, topics=PUBLIC_TOPICS)
        if not page:
            return count
        count += len(page)
        start = page[-1].id + 1


def _chained(event: StoredEvent) -> ChainedMessage:
    if event.message is None:
        headers = {POSITION: str(event.position)}
        body: bytes = b""  # unreadable: reported as altered at its position
    else:
        headers, body = dict(event.message.headers), event.message.body
    if event.link is not None:
        headers |= chain_headers(event.link.chain_seq, event.link.chain_hash)
    follows = None if event.follows is None or event.link is None \
        else (event.follows, event.link.chain_hash)
    return ChainedMessage(headers, body, event.template, follows)


def verify_store(
    record: ProgrammeRecord, store: AuditChainStore, public_key: Ed25519PublicKey | None
) -> ChainReport:
    """The chain recomputed from the event store against the hashes the relay recorded, and
    every checkpoint in it."""
    recorded = {link.chain_seq: link.position for link in store.links()}
    messages = [_chained(event) for event in stored_events(record, store)]
    return verify_with_checkpoints(messages, public_key, position_of_seq=recorded.get)


# --- NATS ----------------------------------------------------------------------------------------


async def read_stream_as(
    url: str,
    *,
    user: str | None = None,
    password: str | None = None,
    creds: Path | None = None,
    consumer_name: str = "observer",
    timeout: float = 5.0,
) -> list[ChainedMessage]:
    """Every message of stream LGNET, in stream order, through an ordered consumer named
    `consumer_name` (the observer user may create only the one named as itself), with the
    inbox prefix that user may subscribe to."""
    options = nats_options(user, password, creds, consumer_name)
    messages, _ = await read_stream_state(url, options, consumer_name, timeout)
    return messages


def nats_options(user: str | None, password: str | None, creds: Path | None,
                 consumer_name: str, connect_timeout: float = 5) -> dict[str, Any]:
    """nats.connect's options for an auditor: the user, and the inbox prefix it may use."""
    # One attempt per server: nats-py otherwise retries a refused first connection for two
    # minutes (60 attempts, 2 s apart) even without reconnecting.
    options: dict[str, Any] = {"connect_timeout": connect_timeout, "allow_reconnect": False,
                               "max_reconnect_attempts": 1, "reconnect_time_wait": 0.1,
                               "inbox_prefix": f"_INBOX_{consumer_name}",
                               "error_cb": _raised_instead}
    if user is not None:
        options |= {"user": user, "password": password or ""}
    if creds is not None:
        options["user_credentials"] = str(creds)
    return options


async def _raised_instead(_error: Exception) -> None:
    """nats-py logs every failed connection attempt with its traceback; verify reports the
    failure itself, in one line (unreachable)."""


def unreachable(url: str, error: Exception) -> str:
    """One line saying why a NATS server could not be read."""
    if isinstance(error, TimeoutError):  # before OSError, of which it is one
        return f"the NATS server at {url_without_credentials(url)} did not answer in time"
    if isinstance(error, NoServersError | OSError):
        return (f"no NATS server answers at {url_without_credentials(url)} (is the platform "
                "running, is the URL right?)")
    return f"{type(error).__name__}: {error}"


async def read_stream_state(
    url: str, options: dict[str, Any], consumer_name: str, timeout: float,
) -> tuple[list[ChainedMessage], StreamState]:
    """The messages of stream LGNET and the stream's state: reading stops when the server says
    nothing is pending, so a message missing at the end is reported, not waited for."""
    connection = await nats.connect(servers=[s.strip() for s in url.split(",")], **options)
    try:
        js = connection.jetstream()
        info = await js.stream_info(STREAM_NAME)
        first_seq, last_seq = info.state.first_seq, info.state.last_seq
        delivered: list[int] = []
        messages: list[ChainedMessage] = []
        if info.state.messages > 0:
            await _delete_consumer(js, consumer_name)  # one a failed earlier reading left
            subscription = await js.subscribe(
                STREAM_SUBJECTS[0], stream=STREAM_NAME, ordered_consumer=True,
                config=ConsumerConfig(name=consumer_name, deliver_policy=DeliverPolicy.ALL),
            )
            try:
                while True:
                    message = await subscription.next_msg(timeout=timeout)
                    messages.append(ChainedMessage(dict(message.headers or {}), message.data))
                    delivered.append(message.metadata.sequence.stream)
                    if message.metadata.num_pending == 0 or \
                            message.metadata.sequence.stream >= last_seq:
                        break
            finally:
                await subscription.unsubscribe()
                await _delete_consumer(js, consumer_name)
        return messages, StreamState(first_seq, last_seq, info.state.messages,
                                     tuple(delivered))
    finally:
        await connection.close()


async def _delete_consumer(js: JetStreamContext, name: str) -> None:
    """Delete the reader's consumer. The server keeps an ordered consumer a few seconds after
    its reader is gone, and a new one of the same name (the observer may use only its own) then
    got no message: a second verify within those seconds timed out."""
    try:
        await js.delete_consumer(STREAM_NAME, name)
    except NotFoundError:
        pass


@dataclass(frozen=True)
class StreamState:
    """What the server says of stream LGNET, and which sequences it delivered."""

    first_seq: int
    last_seq: int
    messages: int
    delivered: tuple[int, ...]


def verify_messages(
    messages: Sequence[ChainedMessage], public_key: Ed25519PublicKey | None
) -> ChainReport:
    return verify_with_checkpoints(messages, public_key)


# --- evidence bundles ------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which events a bundle holds (every one when nothing is set). Dates are the events'
    `ce-time` dates, both ends included."""

    city: str | None = None
    case_code: str | None = None
    since: date | None = None
    until: date | None = None

    def selects(self, message: OutgoingMessage) -> bool:
        if self.city is not None and message.subject.split(".")[1] != self.city:
            return False
        if self.case_code is not None and message.headers.get("ce-subject") != self.case_code:
            return False
        day = datetime.fromisoformat(message.headers["ce-time"]).date()
        if self.since is not None and day < self.since:
            return False
        return self.until is None or day <= self.until

    def as_json(self) -> dict[str, str | None]:
        return {"city": self.city, "case": self.case_code,
                "from": self.since.isoformat() if self.since else None,
                "to": self.until.isoformat() if self.until else None}


@dataclass(frozen=True)
class ExportSummary:
    events: int
    checkpoints: int


def export_bundle(
    record: ProgrammeRecord,
    store: AuditChainStore,
    key: SigningKey,
    head: SignedHead,
    selection: Selection,
    out: Path,
    readme: Callable[[Selection], str],
    first_key: Ed25519PublicKey | None = None,
) -> ExportSummary:
    """Write the bundle of the selected events into directory `out` (created; files in it are
    replaced), bound to the signed tree head `head` by a manifest the platform signs (and, for
    a partial bundle, each event's inclusion proof). Events are taken from the event store as
    recorded, not checked: a bundle of an altered store fails its verification, which is the
    evidence."""
    previous_hash = GENESIS_HASH
    selected: list[BundleLine] = []
    checkpoint_lines: list[tuple[int, BundleLine]] = []  # (chain seq signed, line)
    rotations: list[BundleLine] = []
    for event in stored_events(record, store):
        link = event.link
        if link is None or event.message is None:
            continue
        line = BundleLine(
            chain_seq=link.chain_seq,
            chain_hash=link.chain_hash,
            previous_hash=previous_hash,
            headers=dict(event.message.headers) | chain_headers(link.chain_seq,
                                                                link.chain_hash),
            data=json.loads(event.message.body),
        )
        previous_hash = link.chain_hash
        if event.message.headers.get("ce-type") in CHECKPOINT_TYPES:
            checkpoint_lines.append((int(line.data["chain_seq"]), line))
        elif event.message.headers.get("ce-type") == KEY_ROTATION_TYPE and \
                link.chain_seq <= head.chain_seq:
            rotations.append(line)
        if selection.selects(event.message):
            selected.append(line)
    covering = _covering(selected, checkpoint_lines)
    out.mkdir(parents=True, exist_ok=True)
    events_text = _write_lines(out / EVENTS_FILE, selected)
    checkpoints_text = _write_lines(out / CHECKPOINTS_FILE, covering)
    in_head = [line for line in selected if line.chain_seq <= head.chain_seq]
    proofs: list[dict[str, Any]] = []
    if [line.chain_seq for line in in_head] != list(range(1, head.chain_seq + 1)):
        leaves = [leaf_hash(link.chain_hash) for link in store.links(1, head.chain_seq)]
        proofs = proofs_for(in_head, head.chain_seq, inclusion_proofs(
            leaves, [line.chain_seq - 1 for line in in_head]))
    (out / PROOFS_FILE).write_text("".join(
        json.dumps(proof, separators=(",", ":")) + "\n" for proof in proofs))
    manifest = Manifest(
        head=head, selection=selection.as_json(),
        chain_seqs=[line.chain_seq for line in selected],
        events_sha256=file_digest(events_text), checkpoints_sha256=file_digest(checkpoints_text),
        key_id=key.key_id)
    manifest = replace(manifest, signature=key.sign(manifest.statement()))
    (out / MANIFEST_FILE).write_text(json.dumps(manifest.as_json(), indent=1) + "\n")
    (out / PUBLIC_KEY_FILE).write_text(key.public_pem)
    for name in (KEY_ROTATIONS_FILE, FIRST_PUBLIC_KEY_FILE):
        (out / name).unlink(missing_ok=True)
    if rotations and first_key is not None:
        _write_lines(out / KEY_ROTATIONS_FILE, rotations)
        (out / FIRST_PUBLIC_KEY_FILE).write_text(public_key_pem(first_key))
    (out / README_FILE).write_text(readme(selection))
    return ExportSummary(events=len(selected), checkpoints=len(covering))


def _covering(
    selected: Sequence[BundleLine], checkpoints: Sequence[tuple[int, BundleLine]]
) -> list[BundleLine]:
    """The checkpoints signed at or after the first selected event, up to the first one that
    covers the last selected event."""
    if not selected:
        return []
    first, last = selected[0].chain_seq, selected[-1].chain_seq
    covering: list[BundleLine] = []
    for signed_seq, line in checkpoints:
        if signed_seq < first:
            continue
        covering.append(line)
        if signed_seq >= last:
            break
    return covering


def _write_lines(path: Path, lines: Sequence[BundleLine]) -> str:
    text = "".join(json.dumps(line.as_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
                   for line in lines)
    path.write_text(text, encoding="utf-8")
    return text


def verify_bundle_dir(directory: Path, public_key: Ed25519PublicKey | None = None
                      ) -> BundleReport:
    """Verify the bundle in `directory` with its own public key (or the one given, which the
    auditor fetched from the platform: then the bundle's copy must be the same key), against
    the signed head its manifest names."""
    def failed(kind: ProblemKind, detail: str) -> BundleReport:
        return BundleReport(ChainReport(problem=Problem(kind, None, None, detail)))

    try:
        bundled_key = (directory / PUBLIC_KEY_FILE).read_bytes()
        events_text = (directory / EVENTS_FILE).read_text(encoding="utf-8")
        checkpoints_text = (directory / CHECKPOINTS_FILE).read_text(encoding="utf-8")
        manifest_text = (directory / MANIFEST_FILE).read_text(encoding="utf-8")
        proofs_text = (directory / PROOFS_FILE).read_text(encoding="utf-8")
    except OSError as error:
        return failed(ProblemKind.MALFORMED, f"the bundle is incomplete ({error})")
    try:
        key = load_public_key(bundled_key)
    except ValueError as error:
        return failed(ProblemKind.MALFORMED, f"{PUBLIC_KEY_FILE}: {error}")
    keys = None
    if (directory / KEY_ROTATIONS_FILE).exists():
        # Rotated keys: the checkpoints' keys follow from the first key (the one given, else
        # the bundle's copy) through the rotation events.
        try:
            first = public_key or load_public_key(
                (directory / FIRST_PUBLIC_KEY_FILE).read_bytes())
            rotations, problem = parse_bundle_lines(
                (directory / KEY_ROTATIONS_FILE).read_text(encoding="utf-8").splitlines())
        except (OSError, ValueError) as error:
            return failed(ProblemKind.MALFORMED, f"the bundle's key rotations: {error}")
        if problem is None:
            keys, problem = bundle_key_schedule(first, rotations)
        if problem is not None:
            return BundleReport(ChainReport(problem=problem))
    elif public_key is not None and key_id_of(public_key) != key_id_of(key):
        return failed(ProblemKind.BAD_SIGNATURE,
                      f"the bundle's public key ({key_id_of(key)}) is not the one given "
                      f"({key_id_of(public_key)})")
    try:
        manifest = Manifest.from_json(json.loads(manifest_text))
        proofs = {int(p["chain_seq"]): [bytes.fromhex(n) for n in p["proof"]]
                  for p in map(json.loads, proofs_text.splitlines()) if p}
    except (ValueError, KeyError, TypeError) as error:
        return failed(ProblemKind.MALFORMED,
                      f"{MANIFEST_FILE} or {PROOFS_FILE} cannot be read ({error}): nothing "
                      "binds the bundle to a signed head")
    events, problem = parse_bundle_lines(events_text.splitlines())
    if problem is None:
        checkpoints, problem = parse_bundle_lines(checkpoints_text.splitlines())
    if problem is not None:
        return BundleReport(ChainReport(problem=problem))
    return verify_manifested_bundle(events, events_text, checkpoints, checkpoints_text,
                                    manifest, proofs, key, keys)
