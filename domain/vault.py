"""The personal-data vault port. Identifiers never enter an event; they live behind this port,
encrypted with one key per person, so erasing the key erases the person (crypto-shredding)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class PersonalData:
    given_name: str
    family_name: str
    birth_date: date
    document_number: str | None = None
    phone: str | None = None
    email: str | None = None
    tax_code: str | None = None
    """The Italian tax code (codice fiscale) or the CUI of the police's register, when known:
    kept here and, as a keyed hash, in the duplicate check's blind index."""


@dataclass(frozen=True)
class TextReference:
    """Free text kept in the vault, encrypted with the person's key: its id there, and the
    digest the vault gave it (keyed with the person's key, so it dies with the erasure). What an
    event carries in place of the text: free text never goes into an event (docs/events.md)."""

    text_id: UUID
    digest: str


@dataclass(frozen=True)
class CaseText:
    """A free text as a page shows it: the text, and whether it is a legacy text, written into
    an event before free text moved to the vault (kept in that event, not in the vault, so an
    erasure does not shred it; see docs/events.md, "No free text in events")."""

    text: str
    legacy: bool = False


class AccessReason(StrEnum):
    """Why identifiers were read. A list, not free text: a free text could itself carry
    personal data into the log."""

    CONTACT_PERSON = "contact_person"
    REFERRAL_TO_SERVICE = "referral_to_service"
    IDENTITY_CHECK = "identity_check"
    LEGAL_OBLIGATION = "legal_obligation"
    AUDIT_GRANT = "audit_grant"


@dataclass(frozen=True)
class IdentifierAccess:
    """One reading of a person's identifiers: who, when, which case, and why. Kept so that
    auditors can check every access (GDPR art. 5(2), accountability)."""

    at: datetime
    actor_id: str
    actor_role: str
    actor_city: str | None
    case_id: UUID
    case_code: str
    reason: AccessReason


@dataclass(frozen=True)
class ClaimFileAccess:
    """One download of an expenditure claim's file (an invoice, a proof of payment): who, when,
    which claim and file. Kept like the identifier readings, though no person's: the auditors
    check who read the accounts' evidence too. (A case's files are personal data: their
    downloads are IdentifierAccess entries of the case.)"""

    at: datetime
    actor_id: str
    actor_role: str
    actor_city: str | None
    claim_id: UUID
    file_id: UUID


class PersonalDataVault(Protocol):
    def store(self, case_id: UUID, data: PersonalData) -> None:
        """Encrypt and keep the person's identifiers under a new key of their own, and index
        them, as keyed hashes, in the duplicate check's blind index (domain.identity)."""

    def confirm(self, case_id: UUID) -> None:
        """The intake that stored the person is saved: they stop being pending. Until then (or
        if it never is) the duplicate check leaves them out, and the sweep decides
        (CaseService.settle_unfinished_intakes)."""

    def pending(self, stored_before: datetime) -> list[UUID]:
        """The cases whose person was stored before `stored_before` and is still pending: an
        intake that crashed between the vault and the record, or whose confirmation failed."""

    def read(self, case_id: UUID) -> PersonalData | None:
        """The person's identifiers, or None when unknown or erased."""

    def erase(self, case_id: UUID) -> bool:
        """Destroy the person's key (and ciphertext, every text kept on them and their entries in
        the blind index). True when something was erased."""

    def store_text(self, case_id: UUID, text_id: UUID, text: str) -> str:
        """Keep a free text about the person (free text is personal data: people write names
        and diagnoses in it), encrypted with the person's own key, so that their erasure shreds
        it too. Returns its digest, keyed with the person's key: what an event may carry. Raises
        LookupError when the person has no key (unknown, or erased)."""

    def read_text(self, case_id: UUID, text_id: UUID) -> str | None:
        """A text kept on the person, or None when unknown or erased."""

    def discard_text(self, case_id: UUID, text_id: UUID) -> None:
        """Remove one text (a command that kept it and then failed to record it)."""

    def store_file(self, case_id: UUID, file_id: UUID, content: bytes) -> None:
        """Keep a file about the person (a scanned permit, a certificate), encrypted with the
        person's own key, so that their erasure shreds it too. Raises LookupError when the
        person has no key (unknown, or erased)."""

    def read_file(self, case_id: UUID, file_id: UUID) -> bytes | None:
        """A file kept on the person, or None when unknown or erased."""

    def discard_file(self, case_id: UUID, file_id: UUID) -> None:
        """Remove one file (a command that kept it and then failed to record it)."""

    def store_claim_file(self, claim_id: UUID, file_id: UUID, content: bytes) -> None:
        """Keep a file of an expenditure claim (an invoice, a proof of payment) encrypted under
        a key of its own, wrapped by the master key: the city's accounts, no person's, so no
        person's erasure touches it."""

    def read_claim_file(self, claim_id: UUID, file_id: UUID) -> bytes | None:
        """A claim's file, or None when unknown."""

    def discard_claim_file(self, claim_id: UUID, file_id: UUID) -> None:
        """Remove one claim file (a command that kept it and then failed to record it)."""

    def record_access(self, access: IdentifierAccess) -> None:
        """Log one reading of identifiers; it must succeed before they are shown."""

    def record_claim_file_access(self, access: ClaimFileAccess) -> None:
        """Log one download of a claim's file; it must succeed before the file is served."""

    def claim_file_accesses(
        # A Protocol's stub is never run: only the implementations' defaults are read, so
        # mutmut's 200 -> 201 and 0 -> 1 here change nothing (docs/testing.md).
        self, limit: int = 200, offset: int = 0,  # pragma: no mutate
    ) -> list[ClaimFileAccess]:
        """The claim files' download log, most recent first."""

    def accesses(
        # A Protocol's stub is never run: only the implementations' defaults are read, so
        # mutmut's 200 -> 201 and 0 -> 1 here change nothing (docs/testing.md).
        self, limit: int = 200, offset: int = 0,  # pragma: no mutate
    ) -> list[IdentifierAccess]:
        """The access log, most recent first."""

    def close(self) -> None:
        """Release the vault's connections."""
