"""What a part of the platform that holds no vault key gets instead of the vault and the blind
index: the relay and the projector (`lgnet relay`, `lgnet projector`) never read a person's
data, so in the compose stack they are not given the master key (docs/operations.md, "Keys").
Any use is a programming error and says so."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NoReturn
from uuid import UUID

from domain.identity.keys import IdentityKey
from domain.identity.model import IndexedCase
from domain.vault import ClaimFileAccess, IdentifierAccess, PersonalData
from infra.store.vault import VaultError


def _refused() -> NoReturn:
    raise VaultError("This part of the platform holds no vault key (relay and projector are "
                     "started without one): run it as `lgnet web` or `lgnet run`")


class KeylessVault:
    """A PersonalDataVault that holds nothing and refuses everything."""

    def store(self, case_id: UUID, data: PersonalData) -> None:
        _refused()

    def confirm(self, case_id: UUID) -> None:
        _refused()

    def pending(self, stored_before: datetime) -> list[UUID]:
        _refused()

    def read(self, case_id: UUID) -> PersonalData | None:
        _refused()

    def erase(self, case_id: UUID) -> bool:
        _refused()

    def store_text(self, case_id: UUID, text_id: UUID, text: str) -> str:
        _refused()

    def read_text(self, case_id: UUID, text_id: UUID) -> str | None:
        _refused()

    def discard_text(self, case_id: UUID, text_id: UUID) -> None:
        _refused()

    def store_file(self, case_id: UUID, file_id: UUID, content: bytes) -> None:
        _refused()

    def read_file(self, case_id: UUID, file_id: UUID) -> bytes | None:
        _refused()

    def discard_file(self, case_id: UUID, file_id: UUID) -> None:
        _refused()

    def store_claim_file(self, claim_id: UUID, file_id: UUID, content: bytes) -> None:
        _refused()

    def read_claim_file(self, claim_id: UUID, file_id: UUID) -> bytes | None:
        _refused()

    def discard_claim_file(self, claim_id: UUID, file_id: UUID) -> None:
        _refused()

    def record_access(self, access: IdentifierAccess) -> None:
        _refused()

    def record_claim_file_access(self, access: ClaimFileAccess) -> None:
        _refused()

    def claim_file_accesses(self, limit: int = 200, offset: int = 0) -> list[ClaimFileAccess]:
        _refused()

    def accesses(self, limit: int = 200, offset: int = 0) -> list[IdentifierAccess]:
        _refused()

    def close(self) -> None:
        pass


class KeylessPersonIndex:
    """A PersonIndex without the blind-index key, refusing everything."""

    def add(self, case_id: UUID, keys: Sequence[IdentityKey]) -> None:
        _refused()

    def find(self, keys: Sequence[IdentityKey]) -> list[IndexedCase]:
        _refused()

    def remove(self, case_id: UUID) -> int:
        _refused()

    def close(self) -> None:
        pass
