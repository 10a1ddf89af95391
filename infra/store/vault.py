"""The personal-data vault (domain.vault.PersonalDataVault) on SQLite or PostgreSQL, through the
storage kit (projections.storage).

Envelope encryption, one key per person:
- each person gets a random 256-bit data key; their PersonalData, as JSON, is encrypted with it
  (AES-256-GCM, random 96-bit nonce, the case id as associated data, so a ciphertext moved to
  another case's row does not decrypt);
- the data key is stored only wrapped by the vault master key (AES-256-GCM again, bound to the
  case id under a different label, so a wrapped key cannot pass for a ciphertext);
- the master key lives outside the database, in a file (mode 0600, created on first use) in
  the key directory, not the data dir (infra.settings);
- master keys have epochs: each wrapped key starts with the epoch of the master key that
  wrapped it (a 5-byte header, also bound in as associated data); `rotate` re-wraps every live
  key under a new epoch's master key, so that once backups older than the rotation have aged
  out, the old master key can be destroyed (`destroy_epoch`) and with it any way to open an
  erased person's row that a backup or WAL archive still holds (docs/operations.md, "Erasure
  and backups"). A wrapped key of 60 bytes with no header is an older version's: epoch 0;
- free texts about the person (the description of an "other" vulnerability, ...) are encrypted
  with the same data key, one row each, bound to the case and the text's id; their digest, which
  events carry, is an HMAC under a key derived from the data key, so it cannot be checked
  against guessed texts by anyone without the key, nor by anyone at all after erasure;
- files about the person (a scanned permit, a medical certificate: domain.documents) are
  encrypted with the same data key, one row each, bound to the case and the file's id;
- erasing a person deletes their wrapped key, ciphertext, texts and files: without the key, any
  copy of the ciphertext left in a backup is noise (crypto-shredding); the vault also remembers
  the erased case, so a row that comes back (restored from a backup) is never read again;
- an expenditure claim's files (invoices, proofs of payment) are no person's: each is encrypted
  under a random key of its own, kept wrapped by the master key beside it (bound to the claim and
  the file), so that no erasure reaches them and they stay as long as the accounts must.

A canary encrypted under the master key is stored with the vault, so opening it with the wrong
master key fails at once with WrongMasterKey rather than on the first read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.identity.keys import IdentityKey, identity_keys
from domain.vault import (
    AccessReason,
    ClaimFileAccess,
    IdentifierAccess,
    PersonalData,
)
from infra.private_files import refuse_key_readable_by_others
from infra.settings import Settings
from projections.storage.postgres import PostgresPool
from projections.storage.sqlite import SqliteGroupCommitted
from projections.storage.transaction import Transaction

log = logging.getLogger(__name__)

VAULT_FILE_NAME = "vault.sqlite"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96 bits, the GCM standard nonce
_PLAINTEXT_VERSION = 1
# How long an erasure waits for transactions that could still see the deleted rows (PostgreSQL).
ERASURE_SNAPSHOT_WAIT_SECONDS = 5.0
_CANARY = b"lgnet personal-data vault"
_CANARY_LABEL = b"lgnet-vault/canary"
_DATA_KEY_LABEL = b"lgnet-vault/data-key/"
_DATA_LABEL = b"lgnet-vault/personal-data/"
_TEXT_LABEL = b"lgnet-vault/text/"
_DIGEST_LABEL = b"lgnet-vault/text-digest/"
_FILE_LABEL = b"lgnet-vault/file/"
_CLAIM_FILE_KEY_LABEL = b"lgnet-vault/claim-file-key/"
_CLAIM_FILE_LABEL = b"lgnet-vault/claim-file/"
# The header of a wrapped key: this tag, then the master key's epoch (4 bytes, big-endian).
_EPOCH_TAG = b"E"
_EPOCH_HEADER_BYTES = 5
_LEGACY_WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + 16  # nonce, key, GCM tag: epoch 0, no header


class VaultError(RuntimeError):
    """Raised when the vault cannot be opened or read."""


class WrongMasterKey(VaultError):
    """Raised when the master key given is not the one this vault was created with."""


class MasterKeyFileError(VaultError):
    """Raised when the master key file is unreadable or not 32 bytes."""


class MasterKeyDestroyed(VaultError):
    """Raised when a row is wrapped by the master key of an epoch that was destroyed."""


# --- the master key ---------------------------------------------------------------------------


def load_or_create_master_key(path: Path) -> bytes:
    """The 32-byte master key in `path`, created (mode 0600) when the file does not exist yet.
    Creation is atomic: the key is written to a private temporary file and linked into place, so
    two processes starting together end up with the same key and nobody reads a half-written one.
    """
    try:
        return read_master_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(secrets.token_bytes(KEY_BYTES))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
            log.info("Created the vault master key %s: back it up apart from the database", path)
        except FileExistsError:
            pass  # another process created it first: use theirs
    finally:
        temporary.unlink(missing_ok=True)
    return read_master_key(path)


def read_master_key(path: Path) -> bytes:
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise MasterKeyFileError(
            f"The vault master key {path} holds {len(key)} bytes; a key is {KEY_BYTES} bytes"
        )
    refuse_key_readable_by_others(path)
    return key


class MasterKeys(Protocol):
    """The vault's master keys by epoch: the current one wraps, any one still kept unwraps."""

    def current(self) -> tuple[int, bytes]:
        """(epoch, key) of the newest master key."""
        ...

    def key(self, epoch: int) -> bytes:
        """The master key of `epoch`; raises MasterKeyDestroyed when it is no more."""
        ...

    def new_epoch(self) -> int:
        """Make the next epoch's master key, the current one from now on; its epoch."""
        ...

    def destroy(self, epoch: int) -> object:
        """Forget the master key of `epoch` for good."""
        ...


@dataclass
class FixedMasterKeys:
    """Master keys given in memory (tests, tools): by default one key, epoch 0."""

    keys: dict[int, bytes]

    def current(self) -> tuple[int, bytes]:
        epoch = max(self.keys)
        return epoch, self.keys[epoch]

    def key(self, epoch: int) -> bytes:
        try:
            return self.keys[epoch]
        except KeyError:
            raise MasterKeyDestroyed(
                f"The vault master key of epoch {epoch} is destroyed") from None

    def new_epoch(self) -> int:
        epoch = max(self.keys) + 1
        self.keys[epoch] = secrets.token_bytes(KEY_BYTES)
        return epoch

    def destroy(self, epoch: int) -> object:
        return self.keys.pop(epoch)


@dataclass
class MasterKeyFiles:
    """The master keys in files: epoch 0 in `path` (what LGNET_VAULT_KEY_FILE names), epoch n
    in `<name>.e<n>` beside it. The newest file present is the current epoch, looked up at each
    wrapping, so a rotation (`lgnet vault rotate`, another process) takes effect at once."""

    path: Path
    _cache: dict[int, bytes] = field(default_factory=dict)
    # The epochs found, with the key directory's modification time and the moment they were
    # looked for: a new key file changes the former (most wrappings cost one stat); the latter
    # bounds what a file made within the same clock tick could hide, to a second.
    _listed: tuple[int, float, list[int]] | None = None

    def path_of(self, epoch: int) -> Path:
        return self.path if epoch == 0 else self.path.with_name(f"{self.path.name}.e{epoch}")

    def epochs(self) -> list[int]:
        """The epochs whose key file is present, oldest first."""
        try:
            modified = self.path.parent.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        now = time.monotonic()
        if (self._listed is not None and self._listed[0] == modified
                and now - self._listed[1] < 1.0):
            return self._listed[2]
        found = [0] if self.path.exists() else []
        prefix = f"{self.path.name}.e"
        if self.path.parent.is_dir():
            found += sorted(int(p.name[len(prefix):]) for p in self.path.parent.iterdir()
                            if p.name.startswith(prefix) and p.name[len(prefix):].isdigit())
        self._listed = (modified, now, found)
        return found

    def current(self) -> tuple[int, bytes]:
        epochs = self.epochs()
        epoch = epochs[-1] if epochs else 0
        return epoch, self.key(epoch) if epochs else self._created(0)

    def key(self, epoch: int) -> bytes:
        if epoch not in self._cache:
            try:
                self._cache[epoch] = read_master_key(self.path_of(epoch))
            except FileNotFoundError:
                raise MasterKeyDestroyed(
                    f"The vault master key of epoch {epoch} ({self.path_of(epoch)}) is "
                    "destroyed or missing") from None
        return self._cache[epoch]

    def new_epoch(self) -> int:
        """Make the next epoch's master key (mode 0600) and return its epoch."""
        epochs = self.epochs()
        epoch = epochs[-1] + 1 if epochs else 0
        self._created(epoch)
        return epoch

    def destroy(self, epoch: int) -> Path:
        path = self.path_of(epoch)
        try:
            path.unlink()
        except FileNotFoundError:
            raise MasterKeyDestroyed(f"The master key of epoch {epoch} ({path}) is already "
                                     "destroyed") from None
        self._cache.pop(epoch, None)
        self._listed = None
        return path

    def _created(self, epoch: int) -> bytes:
        self._cache[epoch] = load_or_create_master_key(self.path_of(epoch))
        self._listed = None
        return self._cache[epoch]


def master_keys_of(master_key: bytes | MasterKeys) -> MasterKeys:
    if isinstance(master_key, bytes):
        if len(master_key) != KEY_BYTES:
            raise ValueError(f"The vault master key must be {KEY_BYTES} bytes")
        return FixedMasterKeys({0: master_key})
    return master_key


def epoch_of(wrapped_key: bytes) -> int:
    """The epoch of the master key that wrapped `wrapped_key` (0: an older version's)."""
    if len(wrapped_key) == _LEGACY_WRAPPED_BYTES:
        return 0
    if len(wrapped_key) > _EPOCH_HEADER_BYTES and wrapped_key[:1] == _EPOCH_TAG:
        return int.from_bytes(wrapped_key[1:_EPOCH_HEADER_BYTES], "big")
    raise VaultError("A wrapped key has an unknown format")


def canary_name(epoch: int) -> str:
    return "canary" if epoch == 0 else f"canary.e{epoch}"


# --- the cryptography, independent of where rows are kept --------------------------------------


class VaultCipher:
    """Seals and opens one person's record; knows nothing of storage."""

    def __init__(self, master_key: bytes | MasterKeys) -> None:
        self.keys = master_keys_of(master_key)

    def _wrap(self, key: bytes, binding: bytes) -> bytes:
        """`key` wrapped by the current master key, behind a header naming its epoch (bound in
        as associated data with `binding`, so the header cannot be changed unnoticed)."""
        epoch, master = self.keys.current()
        header = _EPOCH_TAG + epoch.to_bytes(_EPOCH_HEADER_BYTES - 1, "big")
        return header + _encrypt(AESGCM(master), key, header + binding)

    def _unwrap(self, wrapped_key: bytes, binding: bytes) -> bytes:
        """Raises InvalidTag when the master key of the header's epoch does not open it."""
        epoch = epoch_of(wrapped_key)
        master = AESGCM(self.keys.key(epoch))
        if len(wrapped_key) == _LEGACY_WRAPPED_BYTES:
            return _decrypt(master, wrapped_key, binding)
        header = wrapped_key[:_EPOCH_HEADER_BYTES]
        return _decrypt(master, wrapped_key[_EPOCH_HEADER_BYTES:], header + binding)

    def rewrap_data_key(self, case_id: UUID, wrapped_key: bytes) -> bytes:
        """The person's data key wrapped again, by the current master key."""
        binding = _DATA_KEY_LABEL + case_id.bytes
        return self._wrap(self.data_key(case_id, wrapped_key), binding)

    def rewrap_claim_file_key(self, claim_id: UUID, file_id: UUID, wrapped_key: bytes) -> bytes:
        binding = _CLAIM_FILE_KEY_LABEL + claim_id.bytes + file_id.bytes
        try:
            file_key = self._unwrap(wrapped_key, binding)
        except InvalidTag:
            raise WrongMasterKey(
                f"The vault master key does not open the key of a file of claim {claim_id}"
            ) from None
        return self._wrap(file_key, binding)

    def seal(self, case_id: UUID, data: PersonalData) -> tuple[bytes, bytes]:
        """(wrapped data key, ciphertext) for a new random key of the person's own."""
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        ciphertext = _encrypt(AESGCM(data_key), _serialise(data), _DATA_LABEL + case_id.bytes)
        wrapped_key = self._wrap(data_key, _DATA_KEY_LABEL + case_id.bytes)
        return wrapped_key, ciphertext

    def open(self, case_id: UUID, wrapped_key: bytes, ciphertext: bytes) -> PersonalData:
        data_key = self.data_key(case_id, wrapped_key)
        try:
            plaintext = _decrypt(AESGCM(data_key), ciphertext, _DATA_LABEL + case_id.bytes)
        except InvalidTag:
            raise VaultError(f"The personal data of case {case_id} is corrupt") from None
        return _deserialise(plaintext)

    def data_key(self, case_id: UUID, wrapped_key: bytes) -> bytes:
        try:
            return self._unwrap(wrapped_key, _DATA_KEY_LABEL + case_id.bytes)
        except InvalidTag:
            raise WrongMasterKey(
                f"The vault master key does not open the key of case {case_id}"
            ) from None

    def seal_text(
        self, case_id: UUID, wrapped_key: bytes, text_id: UUID, text: str
    ) -> tuple[bytes, str]:
        """(ciphertext, digest) of a text about the person, under the person's data key."""
        data_key = self.data_key(case_id, wrapped_key)
        plaintext = text.encode()
        label = _TEXT_LABEL + case_id.bytes + text_id.bytes
        digest_key = hmac.digest(data_key, _DIGEST_LABEL, "sha256")
        digest = hmac.new(digest_key, text_id.bytes + plaintext, hashlib.sha256).hexdigest()
        return _encrypt(AESGCM(data_key), plaintext, label), digest

    def open_text(
        self, case_id: UUID, wrapped_key: bytes, text_id: UUID, ciphertext: bytes
    ) -> str:
        data_key = self.data_key(case_id, wrapped_key)
        try:
            plaintext = _decrypt(AESGCM(data_key), ciphertext,
                                 _TEXT_LABEL + case_id.bytes + text_id.bytes)
        except InvalidTag:
            raise VaultError(f"A text of case {case_id} is corrupt") from None
        return plaintext.decode()

    def seal_file(self, case_id: UUID, wrapped_key: bytes, file_id: UUID, content: bytes) -> bytes:
        """A file about the person, under the person's data key."""
        data_key = self.data_key(case_id, wrapped_key)
        return _encrypt(AESGCM(data_key), content, _FILE_LABEL + case_id.bytes + file_id.bytes)

    def open_file(
        self, case_id: UUID, wrapped_key: bytes, file_id: UUID, ciphertext: bytes
    ) -> bytes:
        data_key = self.data_key(case_id, wrapped_key)
        try:
            return _decrypt(AESGCM(data_key), ciphertext,
                            _FILE_LABEL + case_id.bytes + file_id.bytes)
        except InvalidTag:
            raise VaultError(f"A file of case {case_id} is corrupt") from None

    def seal_claim_file(self, claim_id: UUID, file_id: UUID, content: bytes) -> tuple[bytes, bytes]:
        """(wrapped key, ciphertext) of a claim's file, under a new random key of its own."""
        bound = claim_id.bytes + file_id.bytes
        file_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        ciphertext = _encrypt(AESGCM(file_key), content, _CLAIM_FILE_LABEL + bound)
        return self._wrap(file_key, _CLAIM_FILE_KEY_LABEL + bound), ciphertext

    def open_claim_file(
        self, claim_id: UUID, file_id: UUID, wrapped_key: bytes, ciphertext: bytes
    ) -> bytes:
        bound = claim_id.bytes + file_id.bytes
        try:
            file_key = self._unwrap(wrapped_key, _CLAIM_FILE_KEY_LABEL + bound)
        except InvalidTag:
            raise WrongMasterKey(
                f"The vault master key does not open the key of a file of claim {claim_id}"
            ) from None
        try:
            return _decrypt(AESGCM(file_key), ciphertext, _CLAIM_FILE_LABEL + bound)
        except InvalidTag:
            raise VaultError(f"A file of claim {claim_id} is corrupt") from None

    def canary(self) -> tuple[str, bytes]:
        """(name, sealed canary) of the current epoch, as vault_meta keeps it."""
        epoch, master = self.keys.current()
        return canary_name(epoch), _encrypt(AESGCM(master), _CANARY, _canary_label(epoch))

    def check_canary(self, name: str, sealed_canary: bytes) -> None:
        epoch = 0 if name == "canary" else int(name.removeprefix("canary.e"))
        try:
            opened = _decrypt(AESGCM(self.keys.key(epoch)), sealed_canary, _canary_label(epoch))
        except InvalidTag:
            opened = None
        if opened != _CANARY:
            raise WrongMasterKey(
                f"The vault master key of epoch {epoch} is not the one this vault was created "
                "with (check LGNET_VAULT_KEY_FILE and LGNET_KEY_DIR)"
            )


def _canary_label(epoch: int) -> bytes:
    # Epoch 0's as older versions wrote it.
    return _CANARY_LABEL if epoch == 0 else _CANARY_LABEL + epoch.to_bytes(4, "big")


def _encrypt(aead: AESGCM, plaintext: bytes, associated_data: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext, associated_data)


def _decrypt(aead: AESGCM, sealed: bytes, associated_data: bytes) -> bytes:
    return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated_data)


def _serialise(data: PersonalData) -> bytes:
    fields = asdict(data)
    fields["birth_date"] = data.birth_date.isoformat()
    return json.dumps({"v": _PLAINTEXT_VERSION, **fields}, ensure_ascii=False).encode()


def _deserialise(plaintext: bytes) -> PersonalData:
    fields: dict[str, Any] = json.loads(plaintext)
    version = fields.pop("v")
    if version != _PLAINTEXT_VERSION:
        raise VaultError(f"Unknown personal-data format version {version}")
    fields["birth_date"] = date.fromisoformat(fields["birth_date"])
    return PersonalData(**fields)


# --- The identifier-access log (who read whose identifiers, when and why) ---------------------

# Kept beside the identifiers it is about, in the same protected store; it names the case by id
# and pseudonymous code only, so it survives an erasure without keeping anything erased.
_ACCESS_LOG_DDL = """CREATE TABLE IF NOT EXISTS vault_access_log (
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_city TEXT,
    case_id TEXT NOT NULL,
    case_code TEXT NOT NULL,
    reason TEXT NOT NULL
)"""
_ACCESS_LOG_INSERT = (
    "INSERT INTO vault_access_log (at, actor_id, actor_role, actor_city, case_id, case_code, "
    "reason) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_ACCESS_LOG_SELECT = (
    "SELECT at, actor_id, actor_role, actor_city, case_id, case_code, reason "
    "FROM vault_access_log ORDER BY at DESC LIMIT ? OFFSET ?"
)


# Downloads of claim files (no person's: see ClaimFileAccess), beside the identifier readings.
_CLAIM_FILE_LOG_DDL = """CREATE TABLE IF NOT EXISTS vault_claim_file_log (
    at TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_city TEXT,
    claim_id TEXT NOT NULL,
    file_id TEXT NOT NULL
)"""
_CLAIM_FILE_LOG_INSERT = (
    "INSERT INTO vault_claim_file_log (at, actor_id, actor_role, actor_city, claim_id, file_id) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_CLAIM_FILE_LOG_SELECT = (
    "SELECT at, actor_id, actor_role, actor_city, claim_id, file_id "
    "FROM vault_claim_file_log ORDER BY at DESC LIMIT ? OFFSET ?"
)


def _claim_file_access_row(access: ClaimFileAccess) -> tuple[str, ...]:
    return (access.at.isoformat(), access.actor_id, access.actor_role, access.actor_city or "",
            str(access.claim_id), str(access.file_id))


def _claim_file_access_of(row: Sequence[Any]) -> ClaimFileAccess:
    return ClaimFileAccess(
        at=datetime.fromisoformat(row[0]), actor_id=row[1], actor_role=row[2],
        actor_city=row[3] or None, claim_id=UUID(row[4]), file_id=UUID(row[5]),
    )


def _access_row(access: IdentifierAccess) -> tuple[str, ...]:
    return (
        access.at.isoformat(), access.actor_id, access.actor_role, access.actor_city or "",
        str(access.case_id), access.case_code, access.reason.value,
    )


def _access_of(row: Sequence[Any]) -> IdentifierAccess:
    return IdentifierAccess(
        at=datetime.fromisoformat(row[0]), actor_id=row[1], actor_role=row[2],
        actor_city=row[3] or None, case_id=UUID(row[4]), case_code=row[5],
        reason=AccessReason(row[6]),
    )


# --- The duplicate check's blind index (infra.store.person_index), kept with the vault ---------

# Keyed hashes (HMAC-SHA256 under the blind-index key) of a person's normalised identifiers, by
# case: never the identifiers. Erasing the person here removes their entries with them.
PERSON_INDEX_TABLE = "vault_person_index"
_PERSON_INDEX_DDL = (
    """CREATE TABLE IF NOT EXISTS vault_person_index (
        digest {blob} NOT NULL,
        kind TEXT NOT NULL,
        case_id {case_id} NOT NULL,
        PRIMARY KEY (digest, case_id)
    )""",
    "CREATE INDEX IF NOT EXISTS vault_person_index_case ON vault_person_index (case_id)",
    # Created by the index too: its matches leave out the persons still pending (below).
    "CREATE TABLE IF NOT EXISTS vault_pending (case_id {case_id} PRIMARY KEY, since TEXT NOT NULL)",
)
_PERSON_INDEX_LABEL = b"lgnet-person-index/v1/"
_PERSON_INDEX_INSERT = (
    "INSERT INTO vault_person_index (digest, kind, case_id) VALUES (?, ?, ?) "
    "ON CONFLICT (digest, case_id) DO NOTHING"
)


class BlindIndexKeys:
    """The keyed hash of an identity key (domain.identity.keys): what the blind index stores and
    looks up. HMAC-SHA256 under the blind-index key, which never enters the database."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"The blind-index key must be {KEY_BYTES} bytes")
        self._key = key

    def digest(self, key: IdentityKey) -> bytes:
        message = _PERSON_INDEX_LABEL + key.kind.value.encode() + b"\x1f" + key.value.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def rows(self, case_id: Any, data: PersonalData) -> list[tuple[bytes, str, Any]]:
        """The index rows of a person: (digest, kind, case id as the store keeps it)."""
        return sorted({(self.digest(key), key.kind.value, case_id)
                       for key in identity_keys(data)})


@dataclass(frozen=True)
class Reindexing:
    """What a rebuild of the blind index did (`lgnet identity reindex`), in counts only."""

    persons: int
    unkeyed: int
    entries: int
    added: int
    removed: int

    def log_line(self) -> str:
        return (f"Person index: {self.persons} persons in the vault ({self.unkeyed} with no "
                f"complete identifier to index), {self.entries} entries, {self.added} added, "
                f"{self.removed} removed")


def _reindex(
    tx: Transaction, cipher: VaultCipher, index: BlindIndexKeys | None,
    case_uuid: Callable[[Any], UUID], stored_case_id: Callable[[UUID], Any],
) -> Reindexing:
    """Make the index exactly the entries of the persons in the vault, under `index`'s key:
    entries of persons missing (erased) or under another key go, missing ones come. Run inside
    one transaction that holds the tables against writers; a second run changes nothing."""
    if index is None:
        raise VaultError("The vault was opened without the blind-index key")
    wanted: dict[tuple[bytes, Any], str] = {}
    persons = unkeyed = 0
    for row_case_id, wrapped_key, ciphertext in tx.fetchall(
            "SELECT case_id, wrapped_key, ciphertext FROM vault_people p "
            f"WHERE {_LIVE_PERSON}"):
        case_id = case_uuid(row_case_id)
        rows = index.rows(stored_case_id(case_id),
                          cipher.open(case_id, bytes(wrapped_key), bytes(ciphertext)))
        persons += 1
        unkeyed += not rows
        wanted.update({(digest, case): kind for digest, kind, case in rows})
    existing = {(bytes(digest), case_uuid(case)): case
                for digest, case in tx.fetchall("SELECT digest, case_id FROM vault_person_index")}
    wanted_keys = {(digest, case_uuid(case)) for digest, case in wanted}
    stale = sorted(key for key in existing if key not in wanted_keys)
    tx.executemany("DELETE FROM vault_person_index WHERE digest = ? AND case_id = ?",
                   [(digest, existing[(digest, case)]) for digest, case in stale])
    missing = sorted((digest, kind, case) for (digest, case), kind in wanted.items()
                     if (digest, case_uuid(case)) not in existing)
    tx.executemany(_PERSON_INDEX_INSERT, missing)
    return Reindexing(persons, unkeyed, len(wanted), len(missing), len(stale))


# --- Erased cases, master-key epochs: what both stores share ------------------------------------

# The cases erased: a row of theirs that comes back (a backup restored, a WAL replayed) is never
# read again, and the next rotation deletes it anew. Case ids are pseudonymous (they are in
# every event): keeping them keeps nothing erased.
_ERASED_DDL = "CREATE TABLE IF NOT EXISTS vault_erased (case_id {case_id} PRIMARY KEY)"
_ERASED_INSERT = "INSERT INTO vault_erased (case_id) VALUES (?) ON CONFLICT (case_id) DO NOTHING"
_LIVE = "NOT EXISTS (SELECT 1 FROM vault_erased e WHERE e.case_id = {table}.case_id)"
_LIVE_PERSON = _LIVE.format(table="p")

# A person stored for an intake whose events are not saved yet: `store` writes the row here in
# the same transaction as the person, the intake removes it once its case is saved (`confirm`).
# A crash between the two leaves the row, and the sweep (CaseService.settle_unfinished_intakes)
# then keeps the person if the case was saved, or shreds them if not. The duplicate check's
# index leaves pending persons out, so no page shows a person whose case may never exist.
_PENDING_INSERT = (
    "INSERT INTO vault_pending (case_id, since) VALUES (?, ?) "
    "ON CONFLICT (case_id) DO UPDATE SET since = EXCLUDED.since"
)
_PENDING_DELETE = "DELETE FROM vault_pending WHERE case_id = ?"
_PENDING_SELECT = "SELECT case_id FROM vault_pending WHERE since < ? ORDER BY since"


def _pending_since() -> str:
    # ISO 8601 in UTC, so that text order is time order in both stores.
    return datetime.now(UTC).isoformat()
_CANARY_INSERT = "INSERT INTO vault_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"


def _check_master_key(tx: Transaction, cipher: VaultCipher) -> None:
    """Store the current epoch's canary if the vault has none yet, then check it opens."""
    name, sealed = cipher.canary()
    tx.execute(_CANARY_INSERT, (name, sealed))
    row = tx.fetchone("SELECT value FROM vault_meta WHERE name = ?", (name,))
    assert row is not None
    cipher.check_canary(name, bytes(row[0]))


@dataclass(frozen=True)
class Rotation:
    """What `lgnet vault rotate` did, in counts only."""

    epoch: int
    persons: int
    claim_files: int
    erased_again: int

    def log_line(self) -> str:
        return (f"Vault master key epoch {self.epoch} is current: {self.persons} persons' keys "
                f"and {self.claim_files} claim files' keys re-wrapped under it"
                + (f"; {self.erased_again} rows of erased cases found again and deleted"
                   if self.erased_again else ""))


def _rotate(tx: Transaction, cipher: VaultCipher, case_uuid: Callable[[Any], UUID]) -> Rotation:
    """Re-wrap every live key under the current epoch (just made by the caller), in the
    caller's transaction; rows of erased cases are deleted again instead."""
    _check_master_key(tx, cipher)
    erased = {case_uuid(row[0]) for row in tx.fetchall("SELECT case_id FROM vault_erased")}
    persons = again = 0
    for stored_id, wrapped_key in tx.fetchall("SELECT case_id, wrapped_key FROM vault_people"):
        case_id = case_uuid(stored_id)
        if case_id in erased:
            for table in ("vault_texts", "vault_files", "vault_person_index", "vault_people"):
                tx.execute(f"DELETE FROM {table} WHERE case_id = ?", (stored_id,))
            again += 1
            continue
        tx.execute("UPDATE vault_people SET wrapped_key = ? WHERE case_id = ?",
                   (cipher.rewrap_data_key(case_id, bytes(wrapped_key)), stored_id))
        persons += 1
    claim_files = 0
    for claim_id, file_id, wrapped_key in tx.fetchall(
            "SELECT claim_id, file_id, wrapped_key FROM vault_claim_files"):
        rewrapped = cipher.rewrap_claim_file_key(case_uuid(claim_id), case_uuid(file_id),
                                                 bytes(wrapped_key))
        tx.execute("UPDATE vault_claim_files SET wrapped_key = ? WHERE claim_id = ? "
                   "AND file_id = ?", (rewrapped, claim_id, file_id))
        claim_files += 1
    return Rotation(cipher.keys.current()[0], persons, claim_files, again)


def _epochs_in_use(tx: Transaction) -> dict[int, int]:
    """How many wrapped keys each master-key epoch still opens."""
    counts: dict[int, int] = {}
    for (wrapped_key,) in [*tx.fetchall("SELECT wrapped_key FROM vault_people"),
                           *tx.fetchall("SELECT wrapped_key FROM vault_claim_files")]:
        epoch = epoch_of(bytes(wrapped_key))
        counts[epoch] = counts.get(epoch, 0) + 1
    return counts


def _destroy_epoch(tx: Transaction, cipher: VaultCipher, epoch: int) -> None:
    if epoch >= cipher.keys.current()[0]:
        raise VaultError(f"Epoch {epoch} is the current one: rotate (`lgnet vault rotate`) "
                         "before destroying its master key")
    still = _epochs_in_use(tx).get(epoch, 0)
    if still:
        raise VaultError(f"{still} keys are still wrapped under epoch {epoch}: run `lgnet vault "
                         "rotate` first")
    tx.execute("DELETE FROM vault_meta WHERE name = ?", (canary_name(epoch),))
    cipher.keys.destroy(epoch)


SQLITE_PERSON_INDEX_DDL = tuple(s.format(blob="BLOB", case_id="BLOB") for s in _PERSON_INDEX_DDL)
POSTGRES_PERSON_INDEX_DDL = tuple(
    s.format(blob="BYTEA", case_id="UUID") for s in _PERSON_INDEX_DDL)


# --- SQLite ------------------------------------------------------------------------------------

_SQLITE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS vault_meta (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS vault_people (
        case_id BLOB PRIMARY KEY,
        wrapped_key BLOB NOT NULL,
        ciphertext BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS vault_texts (
        case_id BLOB NOT NULL,
        text_id BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (case_id, text_id)
    )""",
    """CREATE TABLE IF NOT EXISTS vault_files (
        case_id BLOB NOT NULL,
        file_id BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (case_id, file_id)
    )""",
    """CREATE TABLE IF NOT EXISTS vault_claim_files (
        claim_id BLOB NOT NULL,
        file_id BLOB NOT NULL,
        wrapped_key BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        PRIMARY KEY (claim_id, file_id)
    )""",
    _ACCESS_LOG_DDL,
    _CLAIM_FILE_LOG_DDL,
    *SQLITE_PERSON_INDEX_DDL,
    _ERASED_DDL.format(case_id="BLOB"),
)
_SQLITE_PRAGMAS = ("PRAGMA secure_delete = ON", "PRAGMA journal_mode = DELETE")


class SqliteVault:
    """The vault in its own SQLite file. One connection, serialised by a lock: the web app calls
    it from a threadpool, and an intake's single small write does not need more. Writes that
    arrive together are committed together (SqliteGroupCommitted: one journal and one round of
    fsyncs for all of them), each still durable when it returns, and alone in what it writes.

    `secure_delete` makes SQLite overwrite deleted rows with zeros, so an erased person's wrapped
    key is gone from the file, not merely unlinked from the b-tree. The rollback journal (not WAL)
    is used for the same reason: a WAL file would keep old copies of the page until a checkpoint.
    """

    def __init__(self, path: Path, master_key: bytes | MasterKeys,
                 index_key: bytes | None = None) -> None:
        self.path = path
        self._cipher = VaultCipher(master_key)
        # With it, `store` indexes the person in the same transaction (no second fsync).
        self._index = BlindIndexKeys(index_key) if index_key is not None else None
        self._database = SqliteGroupCommitted(path, _SQLITE_PRAGMAS, timeout=10.0)
        try:
            with self._database.transaction() as tx:
                for statement in _SQLITE_SCHEMA:
                    tx.execute(statement)
                _check_master_key(tx, self._cipher)
        except BaseException:
            self._database.close()
            raise

    def store(self, case_id: UUID, data: PersonalData) -> None:
        wrapped_key, ciphertext = self._cipher.seal(case_id, data)
        with self._database.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO vault_people (case_id, wrapped_key, ciphertext) "
                "VALUES (?, ?, ?)",
                (case_id.bytes, wrapped_key, ciphertext),
            )
            tx.execute(_PENDING_INSERT, (case_id.bytes, _pending_since()))
            if self._index is not None:
                tx.executemany(_PERSON_INDEX_INSERT, self._index.rows(case_id.bytes, data))

    def confirm(self, case_id: UUID) -> None:
        with self._database.transaction() as tx:
            tx.execute(_PENDING_DELETE, (case_id.bytes,))

    def pending(self, stored_before: datetime) -> list[UUID]:
        with self._database.reading() as tx:
            rows = tx.fetchall(_PENDING_SELECT, (stored_before.astimezone(UTC).isoformat(),))
        return [UUID(bytes=bytes(row[0])) for row in rows]

    def reindex(self) -> Reindexing:
        """Rebuild the blind index from the persons in the vault, under this vault's index key
        (`lgnet identity reindex`): one write transaction, so no intake or erasure interleaves."""
        with self._database.transaction() as tx:
            return _reindex(tx, self._cipher, self._index,
                            lambda stored: UUID(bytes=bytes(stored)), lambda case: case.bytes)

    def rotate(self) -> Rotation:
        """A new master-key epoch, and every live key re-wrapped under it (`lgnet vault
        rotate`), in one write transaction."""
        self._cipher.keys.new_epoch()
        with self._database.transaction() as tx:
            return _rotate(tx, self._cipher, lambda stored: UUID(bytes=bytes(stored)))

    def epochs_in_use(self) -> dict[int, int]:
        with self._database.reading() as tx:
            return _epochs_in_use(tx)

    def destroy_epoch(self, epoch: int) -> None:
        """Destroy the master key of `epoch`, which no live row may still need."""
        with self._database.transaction() as tx:
            _destroy_epoch(tx, self._cipher, epoch)

    def read(self, case_id: UUID) -> PersonalData | None:
        with self._database.reading() as tx:
            row = tx.fetchone(
                f"SELECT wrapped_key, ciphertext FROM vault_people p WHERE case_id = ? "
                f"AND {_LIVE_PERSON}", (case_id.bytes,),
            )
        if row is None:
            return None
        return self._cipher.open(case_id, row[0], row[1])

    def erase(self, case_id: UUID) -> bool:
        with self._database.transaction() as tx:
            tx.execute(_ERASED_INSERT, (case_id.bytes,))
            tx.execute(_PENDING_DELETE, (case_id.bytes,))
            texts = tx.execute("DELETE FROM vault_texts WHERE case_id = ?", (case_id.bytes,))
            texts += tx.execute("DELETE FROM vault_files WHERE case_id = ?", (case_id.bytes,))
            texts += tx.execute(
                "DELETE FROM vault_person_index WHERE case_id = ?", (case_id.bytes,))
            return tx.execute(
                "DELETE FROM vault_people WHERE case_id = ?", (case_id.bytes,)) + texts > 0

    def store_text(self, case_id: UUID, text_id: UUID, text: str) -> str:
        with self._database.transaction() as tx:
            row = tx.fetchone(
                f"SELECT wrapped_key FROM vault_people p WHERE case_id = ? AND {_LIVE_PERSON}",
                (case_id.bytes,))
            if row is None:
                raise LookupError(f"No personal data kept for case {case_id}")
            ciphertext, digest = self._cipher.seal_text(case_id, row[0], text_id, text)
            tx.execute(
                "INSERT OR REPLACE INTO vault_texts (case_id, text_id, ciphertext) "
                "VALUES (?, ?, ?)",
                (case_id.bytes, text_id.bytes, ciphertext),
            )
        return digest

    def read_text(self, case_id: UUID, text_id: UUID) -> str | None:
        with self._database.reading() as tx:
            row = tx.fetchone(
                "SELECT p.wrapped_key, t.ciphertext FROM vault_texts t JOIN vault_people p "
                "ON p.case_id = t.case_id WHERE t.case_id = ? AND t.text_id = ? "
                f"AND {_LIVE_PERSON}",
                (case_id.bytes, text_id.bytes),
            )
        if row is None:
            return None
        return self._cipher.open_text(case_id, row[0], text_id, row[1])

    def discard_text(self, case_id: UUID, text_id: UUID) -> None:
        with self._database.transaction() as tx:
            tx.execute("DELETE FROM vault_texts WHERE case_id = ? AND text_id = ?",
                       (case_id.bytes, text_id.bytes))

    def store_file(self, case_id: UUID, file_id: UUID, content: bytes) -> None:
        with self._database.transaction() as tx:
            row = tx.fetchone(
                f"SELECT wrapped_key FROM vault_people p WHERE case_id = ? AND {_LIVE_PERSON}",
                (case_id.bytes,))
            if row is None:
                raise LookupError(f"No personal data kept for case {case_id}")
            ciphertext = self._cipher.seal_file(case_id, row[0], file_id, content)
            tx.execute(
                "INSERT OR REPLACE INTO vault_files (case_id, file_id, ciphertext) "
                "VALUES (?, ?, ?)",
                (case_id.bytes, file_id.bytes, ciphertext),
            )

    def read_file(self, case_id: UUID, file_id: UUID) -> bytes | None:
        with self._database.reading() as tx:
            row = tx.fetchone(
                "SELECT p.wrapped_key, f.ciphertext FROM vault_files f JOIN vault_people p "
                "ON p.case_id = f.case_id WHERE f.case_id = ? AND f.file_id = ? "
                f"AND {_LIVE_PERSON}",
                (case_id.bytes, file_id.bytes),
            )
        if row is None:
            return None
        return self._cipher.open_file(case_id, row[0], file_id, row[1])

    def discard_file(self, case_id: UUID, file_id: UUID) -> None:
        with self._database.transaction() as tx:
            tx.execute("DELETE FROM vault_files WHERE case_id = ? AND file_id = ?",
                       (case_id.bytes, file_id.bytes))

    def store_claim_file(self, claim_id: UUID, file_id: UUID, content: bytes) -> None:
        wrapped_key, ciphertext = self._cipher.seal_claim_file(claim_id, file_id, content)
        with self._database.transaction() as tx:
            tx.execute(
                "INSERT OR REPLACE INTO vault_claim_files (claim_id, file_id, wrapped_key, "
                "ciphertext) VALUES (?, ?, ?, ?)",
                (claim_id.bytes, file_id.bytes, wrapped_key, ciphertext),
            )

    def read_claim_file(self, claim_id: UUID, file_id: UUID) -> bytes | None:
        with self._database.reading() as tx:
            row = tx.fetchone(
                "SELECT wrapped_key, ciphertext FROM vault_claim_files "
                "WHERE claim_id = ? AND file_id = ?", (claim_id.bytes, file_id.bytes))
        if row is None:
            return None
        return self._cipher.open_claim_file(claim_id, file_id, row[0], row[1])

    def discard_claim_file(self, claim_id: UUID, file_id: UUID) -> None:
        with self._database.transaction() as tx:
            tx.execute("DELETE FROM vault_claim_files WHERE claim_id = ? AND file_id = ?",
                       (claim_id.bytes, file_id.bytes))

    def record_access(self, access: IdentifierAccess) -> None:
        with self._database.transaction() as tx:
            tx.execute(_ACCESS_LOG_INSERT, _access_row(access))

    def record_claim_file_access(self, access: ClaimFileAccess) -> None:
        with self._database.transaction() as tx:
            tx.execute(_CLAIM_FILE_LOG_INSERT, _claim_file_access_row(access))

    def claim_file_accesses(self, limit: int = 200, offset: int = 0) -> list[ClaimFileAccess]:
        with self._database.reading() as tx:
            rows = tx.fetchall(_CLAIM_FILE_LOG_SELECT, (limit, offset))
        return [_claim_file_access_of(row) for row in rows]

    def accesses(self, limit: int = 200, offset: int = 0) -> list[IdentifierAccess]:
        with self._database.reading() as tx:
            rows = tx.fetchall(_ACCESS_LOG_SELECT, (limit, offset))
        return [_access_of(row) for row in rows]

    def close(self) -> None:
        self._database.close()


# --- PostgreSQL --------------------------------------------------------------------------------

_POSTGRES_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS vault_meta (
        name TEXT PRIMARY KEY,
        value BYTEA NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS vault_people (
        case_id UUID PRIMARY KEY,
        wrapped_key BYTEA NOT NULL,
        ciphertext BYTEA NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS vault_texts (
        case_id UUID NOT NULL,
        text_id UUID NOT NULL,
        ciphertext BYTEA NOT NULL,
        PRIMARY KEY (case_id, text_id)
    )""",
    """CREATE TABLE IF NOT EXISTS vault_files (
        case_id UUID NOT NULL,
        file_id UUID NOT NULL,
        ciphertext BYTEA NOT NULL,
        PRIMARY KEY (case_id, file_id)
    )""",
    """CREATE TABLE IF NOT EXISTS vault_claim_files (
        claim_id UUID NOT NULL,
        file_id UUID NOT NULL,
        wrapped_key BYTEA NOT NULL,
        ciphertext BYTEA NOT NULL,
        PRIMARY KEY (claim_id, file_id)
    )""",
    _ACCESS_LOG_DDL,
    _CLAIM_FILE_LOG_DDL,
    *POSTGRES_PERSON_INDEX_DDL,
    _ERASED_DDL.format(case_id="UUID"),
)


def _postgres_uuid(stored: Any) -> UUID:
    return stored if isinstance(stored, UUID) else UUID(str(stored))


class PostgresVault:
    """The vault in its own tables of the platform's PostgreSQL database. A small connection pool
    makes it safe to call from many threads; each statement commits on its own (autocommit), as
    VACUUM must.

    PostgreSQL keeps a deleted row's bytes until VACUUM reuses the space, and in its WAL until
    recycled: what shreds an erased person there is that their key was only ever stored wrapped
    by a master key that never enters the database."""

    def __init__(self, database_url: str, master_key: bytes | MasterKeys, *,
                 max_connections: int = 4,
                 index_key: bytes | None = None) -> None:
        self._cipher = VaultCipher(master_key)
        self._index = BlindIndexKeys(index_key) if index_key is not None else None
        self._database = PostgresPool(
            database_url, max_size=max_connections, name="lgnet-vault", autocommit=True
        )
        try:
            with self._database.transaction() as tx:
                # Several processes may create the tables at once on a fresh database.
                tx.execute("SELECT pg_advisory_xact_lock(hashtext('lgnet-vault-schema'))")
                for statement in _POSTGRES_SCHEMA:
                    tx.execute(statement)
                _check_master_key(tx, self._cipher)
        except BaseException:
            self._database.close()
            raise

    def store(self, case_id: UUID, data: PersonalData) -> None:
        wrapped_key, ciphertext = self._cipher.seal(case_id, data)
        with self._database.transaction() as tx:
            tx.execute(
                "INSERT INTO vault_people (case_id, wrapped_key, ciphertext) VALUES (?, ?, ?) "
                "ON CONFLICT (case_id) DO UPDATE "
                "SET wrapped_key = EXCLUDED.wrapped_key, ciphertext = EXCLUDED.ciphertext",
                (case_id, wrapped_key, ciphertext),
            )
            tx.execute(_PENDING_INSERT, (case_id, _pending_since()))
            if self._index is not None:
                tx.executemany(_PERSON_INDEX_INSERT, self._index.rows(case_id, data))

    def confirm(self, case_id: UUID) -> None:
        with self._database.statements() as tx:
            tx.execute(_PENDING_DELETE, (case_id,))

    def pending(self, stored_before: datetime) -> list[UUID]:
        with self._database.statements() as tx:
            rows = tx.fetchall(_PENDING_SELECT, (stored_before.astimezone(UTC).isoformat(),))
        return [_postgres_uuid(row[0]) for row in rows]

    def reindex(self) -> Reindexing:
        """Rebuild the blind index from the persons in the vault, under this vault's index key
        (`lgnet identity reindex`), in one transaction that holds both tables against writers:
        an intake waits for it, and an erasure removes the person (then their entries) either
        before it reads them or after it commits (`erase` deletes in that order)."""
        with self._database.transaction() as tx:
            tx.execute("LOCK TABLE vault_people, vault_person_index IN SHARE ROW EXCLUSIVE MODE")
            return _reindex(tx, self._cipher, self._index, _postgres_uuid, lambda case: case)

    def rotate(self) -> Rotation:
        """A new master-key epoch, and every live key re-wrapped under it (`lgnet vault
        rotate`), in one transaction that holds the tables against writers."""
        self._cipher.keys.new_epoch()
        with self._database.transaction() as tx:
            tx.execute("LOCK TABLE vault_people, vault_claim_files, vault_texts, vault_files, "
                       "vault_person_index IN SHARE ROW EXCLUSIVE MODE")
            return _rotate(tx, self._cipher, _postgres_uuid)

    def epochs_in_use(self) -> dict[int, int]:
        with self._database.statements() as tx:
            return _epochs_in_use(tx)

    def destroy_epoch(self, epoch: int) -> None:
        """Destroy the master key of `epoch`, which no live row may still need."""
        with self._database.transaction() as tx:
            _destroy_epoch(tx, self._cipher, epoch)

    def read(self, case_id: UUID) -> PersonalData | None:
        with self._database.statements() as tx:
            row = tx.fetchone(
                f"SELECT wrapped_key, ciphertext FROM vault_people p WHERE case_id = ? "
                f"AND {_LIVE_PERSON}", (case_id,)
            )
        if row is None:
            return None
        return self._cipher.open(case_id, bytes(row[0]), bytes(row[1]))

    def erase(self, case_id: UUID) -> bool:
        with self._database.transaction() as tx:
            tx.execute(_ERASED_INSERT, (case_id,))
            tx.execute(_PENDING_DELETE, (case_id,))
            texts = tx.execute("DELETE FROM vault_texts WHERE case_id = ?", (case_id,))
            files = tx.execute("DELETE FROM vault_files WHERE case_id = ?", (case_id,))
            # The person before their index entries: a re-indexing (`reindex`) that still saw
            # the person commits before this delete, and its entries go with the next one.
            erased = tx.execute("DELETE FROM vault_people WHERE case_id = ?", (case_id,)) > 0
            indexed = tx.execute("DELETE FROM vault_person_index WHERE case_id = ?", (case_id,))
            deleted_by = tx.fetchone("SELECT pg_current_xact_id()::xid::text")
        assert deleted_by is not None
        # A deleted row's bytes stay in the table file until its space is reused; a full vacuum
        # rewrites the (small) table without them. Backups and archived WAL still hold the
        # wrapped key until they age out: see docs/operations.md.
        tables = [table for table, deleted in (("vault_people", erased), ("vault_texts", texts),
                                               ("vault_files", files),
                                               ("vault_person_index", indexed)) if deleted]
        if tables:
            self._wait_for_snapshots_older_than(str(deleted_by[0]))
            with self._database.statements() as tx:
                for table in tables:
                    tx.execute(f"VACUUM FULL {table}")
        return erased or texts + files + indexed > 0

    def _wait_for_snapshots_older_than(self, xid: str) -> None:
        """VACUUM FULL copies a deleted row into the new file while any transaction of this
        database that began before the delete could still see it (a report, a backup, an
        autovacuum ANALYZE, a command's save under way): seen as an erased key still in the
        table file under load. Wait for
        those to end, a few seconds at most; if one outlasts that, the row goes at the next
        erasure's vacuum and the master-key epochs (`lgnet vault rotate`) are what shred it."""
        deadline = time.monotonic() + ERASURE_SNAPSHOT_WAIT_SECONDS
        while True:
            with self._database.statements() as tx:
                # A snapshot taken before the delete (backend_xmin), or a transaction that
                # began writing before it (backend_xid): a READ COMMITTED transaction idle
                # between statements shows no xmin, yet its older xid holds the rows too.
                row = tx.fetchone(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND ("
                    "(backend_xmin IS NOT NULL AND age(backend_xmin) >= age(?::xid)) OR "
                    "(backend_xid IS NOT NULL AND age(backend_xid) >= age(?::xid)))",
                    (xid, xid))
            if row is None or row[0] == 0:
                return
            if time.monotonic() >= deadline:
                log.warning("erasure: %d older transaction(s) still open after %.0f s; the "
                               "erased rows leave the table file at a later vacuum", row[0],
                               ERASURE_SNAPSHOT_WAIT_SECONDS)
                return
            time.sleep(0.05)

    def store_text(self, case_id: UUID, text_id: UUID, text: str) -> str:
        with self._database.statements() as tx:
            row = tx.fetchone(
                f"SELECT wrapped_key FROM vault_people p WHERE case_id = ? AND {_LIVE_PERSON}",
                (case_id,))
            if row is None:
                raise LookupError(f"No personal data kept for case {case_id}")
            ciphertext, digest = self._cipher.seal_text(case_id, bytes(row[0]), text_id, text)
            tx.execute(
                "INSERT INTO vault_texts (case_id, text_id, ciphertext) VALUES (?, ?, ?) "
                "ON CONFLICT (case_id, text_id) DO UPDATE SET ciphertext = EXCLUDED.ciphertext",
                (case_id, text_id, ciphertext),
            )
        return digest

    def read_text(self, case_id: UUID, text_id: UUID) -> str | None:
        with self._database.statements() as tx:
            row = tx.fetchone(
                "SELECT p.wrapped_key, t.ciphertext FROM vault_texts t JOIN vault_people p "
                "ON p.case_id = t.case_id WHERE t.case_id = ? AND t.text_id = ? "
                f"AND {_LIVE_PERSON}",
                (case_id, text_id),
            )
        if row is None:
            return None
        return self._cipher.open_text(case_id, bytes(row[0]), text_id, bytes(row[1]))

    def discard_text(self, case_id: UUID, text_id: UUID) -> None:
        with self._database.statements() as tx:
            tx.execute("DELETE FROM vault_texts WHERE case_id = ? AND text_id = ?",
                       (case_id, text_id))

    def store_file(self, case_id: UUID, file_id: UUID, content: bytes) -> None:
        with self._database.statements() as tx:
            row = tx.fetchone(
                f"SELECT wrapped_key FROM vault_people p WHERE case_id = ? AND {_LIVE_PERSON}",
                (case_id,))
            if row is None:
                raise LookupError(f"No personal data kept for case {case_id}")
            ciphertext = self._cipher.seal_file(case_id, bytes(row[0]), file_id, content)
            tx.execute(
                "INSERT INTO vault_files (case_id, file_id, ciphertext) VALUES (?, ?, ?) "
                "ON CONFLICT (case_id, file_id) DO UPDATE SET ciphertext = EXCLUDED.ciphertext",
                (case_id, file_id, ciphertext),
            )

    def read_file(self, case_id: UUID, file_id: UUID) -> bytes | None:
        with self._database.statements() as tx:
            row = tx.fetchone(
                "SELECT p.wrapped_key, f.ciphertext FROM vault_files f JOIN vault_people p "
                "ON p.case_id = f.case_id WHERE f.case_id = ? AND f.file_id = ? "
                f"AND {_LIVE_PERSON}",
                (case_id, file_id),
            )
        if row is None:
            return None
        return self._cipher.open_file(case_id, bytes(row[0]), file_id, bytes(row[1]))

    def discard_file(self, case_id: UUID, file_id: UUID) -> None:
        with self._database.statements() as tx:
            tx.execute("DELETE FROM vault_files WHERE case_id = ? AND file_id = ?",
                       (case_id, file_id))

    def store_claim_file(self, claim_id: UUID, file_id: UUID, content: bytes) -> None:
        wrapped_key, ciphertext = self._cipher.seal_claim_file(claim_id, file_id, content)
        with self._database.statements() as tx:
            tx.execute(
                "INSERT INTO vault_claim_files (claim_id, file_id, wrapped_key, ciphertext) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (claim_id, file_id) DO UPDATE "
                "SET wrapped_key = EXCLUDED.wrapped_key, ciphertext = EXCLUDED.ciphertext",
                (claim_id, file_id, wrapped_key, ciphertext),
            )

    def read_claim_file(self, claim_id: UUID, file_id: UUID) -> bytes | None:
        with self._database.statements() as tx:
            row = tx.fetchone(
                "SELECT wrapped_key, ciphertext FROM vault_claim_files "
                "WHERE claim_id = ? AND file_id = ?", (claim_id, file_id))
        if row is None:
            return None
        return self._cipher.open_claim_file(claim_id, file_id, bytes(row[0]), bytes(row[1]))

    def discard_claim_file(self, claim_id: UUID, file_id: UUID) -> None:
        with self._database.statements() as tx:
            tx.execute("DELETE FROM vault_claim_files WHERE claim_id = ? AND file_id = ?",
                       (claim_id, file_id))

    def record_access(self, access: IdentifierAccess) -> None:
        with self._database.statements() as tx:
            tx.execute(_ACCESS_LOG_INSERT, _access_row(access))

    def record_claim_file_access(self, access: ClaimFileAccess) -> None:
        with self._database.statements() as tx:
            tx.execute(_CLAIM_FILE_LOG_INSERT, _claim_file_access_row(access))

    def claim_file_accesses(self, limit: int = 200, offset: int = 0) -> list[ClaimFileAccess]:
        with self._database.statements() as tx:
            rows = tx.fetchall(_CLAIM_FILE_LOG_SELECT, (limit, offset))
        return [_claim_file_access_of(row) for row in rows]

    def accesses(self, limit: int = 200, offset: int = 0) -> list[IdentifierAccess]:
        with self._database.statements() as tx:
            rows = tx.fetchall(_ACCESS_LOG_SELECT, (limit, offset))
        return [_access_of(row) for row in rows]

    def close(self) -> None:
        self._database.close()


def open_vault(
    settings: Settings, *, master_key: bytes | None = None, index_key: bytes | None = None,
) -> SqliteVault | PostgresVault:
    """The deployment's vault: in PostgreSQL when `database_url` is set, else `vault.sqlite` in
    the data dir. The master key comes from `settings.vault_key_path`, the duplicate check's
    blind-index key from `settings.blind_index_key_path` (each created there on first use),
    unless given: the vault indexes every person it stores (infra.store.person_index)."""
    keys: bytes | MasterKeys = (MasterKeyFiles(settings.vault_key_path) if master_key is None
                                else master_key)
    if index_key is None:
        index_key = load_or_create_master_key(settings.blind_index_key_path)
    if settings.database_url is not None:
        return PostgresVault(settings.database_url, keys, index_key=index_key)
    return SqliteVault(settings.data_dir / VAULT_FILE_NAME, keys, index_key)
