"""The filters and paging of a city's case list, shared by its page and its API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from domain.cases.rules import ProtectionStatus, Vulnerability
from projections.case_list import CaseFilters

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# Far beyond any city's list, and small enough for the database's 64-bit OFFSET.
MAX_PAGE = 1_000_000


class CaseListQuery(BaseModel):
    status: Literal["open", "closed"] | None = Field(
        default=None, description="Only cases in this status"
    )
    vulnerability: Literal["any", "none"] | Vulnerability | None = Field(
        default=None,
        description="'any': vulnerable cases; 'none': the others; a category: cases in it",
    )
    protection_status: ProtectionStatus | None = None
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("status", "vulnerability", "protection_status", mode="before")
    @classmethod
    def _empty_means_all(cls, value: Any) -> Any:
        # A filter form's "all" option submits an empty value.
        return None if value == "" else value

    def filters(self) -> CaseFilters:
        return CaseFilters(
            status=self.status,
            vulnerability=self.vulnerability,
            protection_status=self.protection_status,
        )
