"""The personal-data vault port. Identifiers never enter an event; they live behind this port,
encrypted with one key per person, so erasing the key erases the person (crypto-shredding)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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


class PersonalDataVault(Protocol):
    def store(self, case_id: UUID, data: PersonalData) -> None:
        """Encrypt and keep the person's identifiers under a new key of their own."""

    def read(self, case_id: UUID) -> PersonalData | None:
        """The person's identifiers, or None when unknown or erased."""

    def erase(self, case_id: UUID) -> bool:
        """Destroy the person's key (and ciphertext). True when something was erased."""
