"""Signed checkpoints of the audit chain, and the key they are signed with.

The Ed25519 key pair lives in `<data_dir>/audit/`: the private key (PKCS#8 PEM, readable by its
owner only, created on first use) and the public key (SubjectPublicKeyInfo PEM), which auditors
fetch from `GET /audit/public-key` or `lgnet audit public-key`. A checkpoint signs the statement
of events.audit_chain.checkpoint_statement and is recorded as a domain event
(domain.audit.model.AuditCheckpoint), so it is published and chained like any other event.

Every relay signing checkpoints must use the same key: with several relays (PostgreSQL
deployments), give them the same `audit/` directory contents."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from eventsourcing.persistence import IntegrityError

from domain.audit.model import AuditCheckpoint, AuditKeyRotation
from domain.record import ProgrammeRecord, position_of
from events.audit_chain import key_id_of, load_public_key
from events.audit_keys import raw_base64, rotation_statement
from events.audit_tree import Frontier, SignedHead, head_statement
from infra.audit.chain_store import AuditChainStore, ChainLink
from infra.audit.witness import append_head, deployment_id, witness_file
from infra.private_files import refuse_key_readable_by_others
from infra.publishing.messages import PUBLIC_TOPICS
from infra.settings import Settings

log = logging.getLogger(__name__)

AUDIT_DIR_NAME = "audit"
PRIVATE_KEY_FILE_NAME = "checkpoint-signing-key.pem"
PUBLIC_KEY_FILE_NAME = "checkpoint-public-key.pem"
# A key retired by `lgnet audit rotate-key` keeps its public half for verifiers: retired-1 is the
# first key (the one LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT pins), retired-2 the second...
RETIRED_PUBLIC_KEY_FILE_NAME = "checkpoint-public-key.retired-{number}.pem"


class CheckpointKeyError(RuntimeError):
    """Raised when the checkpoint key files are unreadable or do not match."""


def audit_dir(settings: Settings) -> Path:
    return settings.data_dir / AUDIT_DIR_NAME


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    @property
    def public_pem(self) -> str:
        return public_key_pem(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.public_key)

    def sign(self, statement: bytes) -> str:
        return self.private_key.sign(statement).hex()


def fingerprint_of(public_key: Ed25519PublicKey) -> str:
    """The key's pinned form (LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT): the SHA-256 of the raw
    32-byte public key, 64 hex digits (the key id is its first 16)."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def load_or_create_signing_key(directory: Path) -> SigningKey:
    """The key pair in `directory`, created on first use. Creation is atomic (written to a
    private temporary file, then linked into place), so two processes starting together end up
    with the same key; the public key file is written from the private key when missing, and a
    private key that does not match the public key there is refused."""
    private_path = directory / PRIVATE_KEY_FILE_NAME
    if not private_path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        temporary = directory / f".{PRIVATE_KEY_FILE_NAME}.{secrets.token_hex(8)}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(temporary, private_path)
                log.info("Created the audit checkpoint key %s: back it up, keep it private",
                         private_path)
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            temporary.unlink(missing_ok=True)
    key = _read_private_key(private_path)
    public_path = directory / PUBLIC_KEY_FILE_NAME
    if public_path.exists() and public_path.read_text() != key.public_pem:
        # Auditors pinned the public key: a private key that no longer matches it (replaced,
        # or restored from elsewhere) is an error, never a reason to rewrite what they pinned.
        raise CheckpointKeyError(
            f"The audit checkpoint key {private_path} does not match the public key "
            f"{public_path} auditors know: put the matching private key back. A new key pair "
            "comes only from a key rotation recorded as a signed event (docs/audit.md).")
    if not public_path.exists():
        temporary = directory / f".{PUBLIC_KEY_FILE_NAME}.{secrets.token_hex(8)}.tmp"
        temporary.write_text(key.public_pem)
        os.chmod(temporary, 0o600)  # public, but in the private data dir (docs/operations.md)
        os.replace(temporary, public_path)
    return key


def _read_private_key(path: Path) -> SigningKey:
    refuse_key_readable_by_others(path)
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as error:
        raise CheckpointKeyError(f"{path} is not a PEM private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointKeyError(f"{path} is not an Ed25519 key")
    return SigningKey(key)


def read_public_key(directory: Path) -> Ed25519PublicKey | None:
    """The platform's public key from `directory`, or None when no key was ever made there.
    Read without touching the private key: what a verification with the platform stopped
    uses."""
    path = directory / PUBLIC_KEY_FILE_NAME
    if not path.exists():
        return None
    try:
        return load_public_key(path.read_bytes())
    except ValueError as error:
        raise CheckpointKeyError(f"{path}: {error}") from None


def retired_public_keys(directory: Path) -> list[Path]:
    """The retired keys' files, oldest first."""
    found, number = [], 1
    while (directory / RETIRED_PUBLIC_KEY_FILE_NAME.format(number=number)).exists():
        found.append(directory / RETIRED_PUBLIC_KEY_FILE_NAME.format(number=number))
        number += 1
    return found


def read_first_public_key(directory: Path) -> Ed25519PublicKey | None:
    """The platform's first key (the pinned one, where verification starts): the first retired
    key after a rotation, the current one before any."""
    retired = retired_public_keys(directory)
    if not retired:
        return read_public_key(directory)
    try:
        return load_public_key(retired[0].read_bytes())
    except ValueError as error:
        raise CheckpointKeyError(f"{retired[0]}: {error}") from None


@dataclass(frozen=True)
class Rotation:
    old_key_id: str
    new_key: SigningKey
    position: int
    chain_seq: int
    retired_file: Path


def rotate_key(settings: Settings, record: ProgrammeRecord,
               clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Rotation:
    """`lgnet audit rotate-key`, with the platform stopped: the old key signs the chain's head
    (if not signed yet), then the rotation statement; the rotation is recorded as an event; the
    old public key is kept as the next retired file, the new pair replaces the old one, and the
    old private key's file is overwritten before it is replaced."""
    checkpointer = open_checkpointer(settings, record)
    old = checkpointer.key
    head = checkpointer.chain_store.head()
    waiting = record.recorder.select_notifications(
        (head.position if head else 0) + 1, 1, topics=PUBLIC_TOPICS)
    if waiting:
        # Its chain seq would precede the rotation's, yet the relay would sign it with the new
        # key: publish first (start the platform, stop it cleanly), then rotate.
        raise CheckpointKeyError(
            f"Event {waiting[0].id} is not published yet: start the platform so that it "
            "publishes everything, stop it, then rotate the key")
    if head is not None:
        checkpointer.sign(head)
    new = SigningKey(Ed25519PrivateKey.generate())
    now = clock()
    signed_at = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    chain_seq = head.chain_seq if head is not None else 0
    deployment = checkpointer.deployment
    statement = rotation_statement(chain_seq=chain_seq, old_key_id=old.key_id,
                                   new_key_fingerprint=new.fingerprint,
                                   deployment_id=deployment, signed_at=signed_at)
    directory = audit_dir(settings)
    # The new private key on disk first (a private temporary file), so a recorded rotation
    # always has its key.
    pending = directory / f".{PRIVATE_KEY_FILE_NAME}.{secrets.token_hex(8)}.new"
    descriptor = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(new.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                                 NoEncryption()))
        file.flush()
        os.fsync(file.fileno())
    try:
        rotation = AuditKeyRotation.rotate(
            chain_seq=chain_seq, old_key_id=old.key_id, new_key_fingerprint=new.fingerprint,
            new_public_key=raw_base64(new.public_key), deployment_id=deployment,
            signed_at=signed_at, signature=old.sign(statement), now=now)
        position = position_of(record.save(rotation))
    except BaseException:
        pending.unlink(missing_ok=True)
        raise
    retired = directory / RETIRED_PUBLIC_KEY_FILE_NAME.format(
        number=len(retired_public_keys(directory)) + 1)
    retired.write_text(old.public_pem)
    os.chmod(retired, 0o600)
    private_path = directory / PRIVATE_KEY_FILE_NAME
    size = private_path.stat().st_size
    with private_path.open("r+b") as file:  # the old private key destroyed, as far as a file can
        file.write(secrets.token_bytes(size))
        file.flush()
        os.fsync(file.fileno())
    os.replace(pending, private_path)
    public = directory / f".{PUBLIC_KEY_FILE_NAME}.{secrets.token_hex(8)}.tmp"
    public.write_text(new.public_pem)
    os.chmod(public, 0o600)
    os.replace(public, directory / PUBLIC_KEY_FILE_NAME)
    log.info("Rotated the audit checkpoint key %s -> %s (event %s)", old.key_id, new.key_id,
             position)
    return Rotation(old.key_id, new, position, chain_seq, retired)


class Checkpointer:
    """Signs the chain's tree head at given links and records each checkpoint in the programme
    record, and in the witness file. One checkpoint per chain seq (its aggregate id is derived
    from it), so signing twice is harmless. `seconds`: the relay also signs its head when the
    oldest unsigned event is that old (see Relay)."""

    def __init__(
        self,
        record: ProgrammeRecord,
        key: SigningKey,
        interval: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        seconds: float = 60.0,
        deployment: str = "lgnet",
        witness: Path | None = None,
    ) -> None:
        if interval < 1:
            raise ValueError("The checkpoint interval is at least 1")
        self.record = record
        self.key = key
        self.interval = interval
        self.clock = clock
        self.seconds = seconds
        self.deployment = deployment
        self.witness = witness
        self.chain_store = AuditChainStore(record)
        self.last_signed = time.monotonic()
        self._frontier: Frontier | None = None

    def is_due(self, link: ChainLink) -> bool:
        return link.chain_seq % self.interval == 0

    def last_due(self, head: ChainLink) -> int:
        """The chain seq of the latest interval checkpoint at or before `head` (0: none)."""
        return head.chain_seq - head.chain_seq % self.interval

    def _root_at(self, link: ChainLink) -> str:
        """The tree root of chain events 1 to link's: the frontier kept from the last
        signature is extended with the links recorded since (read from the start otherwise)."""
        frontier = self._frontier
        if frontier is None or frontier.size > link.chain_seq:
            frontier = Frontier()
        links = self.chain_store.links(frontier.size + 1, link.chain_seq)
        if [x.chain_seq for x in links] != list(range(frontier.size + 1, link.chain_seq + 1)) \
                or (links and links[-1] != link):
            raise CheckpointKeyError(f"The chain table does not hold links 1 to {link.chain_seq}"
                                     " as given: refusing to sign a tree it cannot compute")
        for found in links:
            frontier.add(found.chain_hash)
        self._frontier = frontier
        return frontier.root()

    def exists(self, chain_seq: int) -> bool:
        return AuditCheckpoint.id_for(chain_seq) in self.record.repository

    def sign(self, link: ChainLink) -> int | None:
        """Record a checkpoint of the chain at `link`; its log position, or None when that
        link was already signed."""
        if self.exists(link.chain_seq):
            return None
        root = self._root_at(link)
        now = self.clock()
        signed_at = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        statement = head_statement(
            tree_size=link.chain_seq, root_hash=root, chain_hash=link.chain_hash,
            position=link.position, key_id=self.key.key_id, deployment_id=self.deployment,
            signed_at=signed_at,
        )
        head = SignedHead(link.chain_seq, link.chain_hash, link.position, self.key.key_id,
                          self.key.sign(statement), root, self.deployment, signed_at)
        checkpoint = AuditCheckpoint.sign(
            chain_seq=link.chain_seq,
            chain_hash=link.chain_hash,
            position=link.position,
            key_id=self.key.key_id,
            signature=head.signature,
            now=now,
            root_hash=root,
            deployment_id=self.deployment,
            signed_at=signed_at,
        )
        try:
            position = position_of(self.record.save(checkpoint))
        except IntegrityError:
            return None  # signed at the same moment by another relay
        self.last_signed = time.monotonic()
        if self.witness is not None:
            append_head(self.witness, head)
        log.info("Signed audit checkpoint at chain seq %s (position %s)", link.chain_seq,
                 link.position)
        return position


def open_checkpointer(settings: Settings, record: ProgrammeRecord) -> Checkpointer:
    key = load_or_create_signing_key(audit_dir(settings))
    first = read_first_public_key(audit_dir(settings))
    first_fingerprint = fingerprint_of(first) if first is not None else key.fingerprint
    pinned = settings.audit_public_key_fingerprint
    if pinned is None:
        log.warning("The audit checkpoint key's fingerprint is %s: pin it in the settings "
                    "(LGNET_AUDIT_PUBLIC_KEY_FINGERPRINT) and give it to the auditors",
                    first_fingerprint)
    elif pinned.lower() != first_fingerprint:
        # The pin names the first key; after rotations the current key is the last rotation's.
        raise CheckpointKeyError(
            f"The first checkpoint key in {audit_dir(settings)} has fingerprint "
            f"{first_fingerprint}, not the pinned {pinned}: refusing to sign with another key")
    return Checkpointer(record, key, settings.checkpoint_interval,
                        seconds=settings.checkpoint_seconds,
                        deployment=deployment_id(settings), witness=witness_file(settings))
