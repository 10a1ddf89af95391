"""The filters and paging of a city's case list, shared by its page and its API. Besides the
list's own filters, the indicators' drill-down links narrow it by the same keys the figures are
counted under: sex, age band, citizenship, closure outcome, intake month, eligibility."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from domain.cases.rules import AgeBand, CaseOutcome, Sex, Vulnerability
from domain.programme import ProtectionStatus, SubAction
from projections.case_list import CITIZENSHIP_NONE, CaseFilters
from web.kit.i18n import is_country_code

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# Far beyond any city's list, and small enough for the database's 64-bit OFFSET.
MAX_PAGE = 1_000_000
# The error type of a month not written YYYY-MM (web.kit.errors explains it).
MONTH_FORMAT = "month_format"
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
# The filters a drill-down link sets that the filter form has no field for: shown as removable
# chips (and kept through the form as hidden fields).
CHIP_FILTERS = ("intake_month", "eligible_for", "outcome")
FILTER_NAMES = ("status", "vulnerability", "protection_status", "sex", "age_band",
                "citizenship", "guardian", *CHIP_FILTERS)


def _a_country_code(value: str) -> str:
    code = value.strip().upper()
    if code == CITIZENSHIP_NONE.upper():
        return CITIZENSHIP_NONE
    if not is_country_code(code):
        raise PydanticCustomError("country_code", "not an ISO 3166-1 alpha-2 country code")
    return code


def _a_month(value: str) -> str:
    if not _MONTH.fullmatch(value.strip()):
        raise PydanticCustomError(MONTH_FORMAT, "not a month written YYYY-MM")
    return value.strip()


class CaseListQuery(BaseModel):
    status: Literal["open", "closed"] | None = Field(
        default=None, description="Only cases in this status"
    )
    vulnerability: Literal["any", "none"] | Vulnerability | None = Field(
        default=None,
        description="'any': vulnerable cases; 'none': the others; a category: cases in it",
    )
    protection_status: ProtectionStatus | None = None
    sex: Sex | None = None
    age_band: AgeBand | None = Field(
        default=None, description="The age band now (it follows the calendar, by the month): "
        "Eurostat's classes, or the bands before them for a case whose data is erased")
    citizenship: Annotated[str, AfterValidator(_a_country_code)] | None = Field(
        default=None,
        description="An ISO 3166-1 alpha-2 country code, such as ER; \"none\": people without "
        "citizenship",
    )
    outcome: CaseOutcome | None = Field(
        default=None, description="Only cases closed with this outcome"
    )
    intake_month: Annotated[str, AfterValidator(_a_month)] | None = Field(
        default=None, description="Only cases taken in during this month (YYYY-MM)",
        examples=["2021-03"],
    )
    eligible_for: SubAction | None = Field(
        default=None,
        description="Only cases eligible for this sub-action (\"1\" to \"6\"; people are "
                    "enrolled in 2, 3 and 4 only, so 1, 5 and 6 list nobody)",
    )
    guardian: Literal["missing"] | None = Field(
        default=None, description="\"missing\": unaccompanied minors with no guardian "
        "recorded (l. 47/2017), the work queue's flag")
    holder: Literal["mine"] | None = Field(
        default=None, description="\"mine\": only the cases the signed-in operator holds "
        "(assignment: docs/workflows/casework.md)")
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @field_validator(*FILTER_NAMES, "holder", mode="before")
    @classmethod
    def _empty_means_all(cls, value: Any) -> Any:
        # A filter form's "all" option submits an empty value.
        return None if value == "" else value

    def filters(self) -> CaseFilters:
        return CaseFilters(
            status=self.status,
            vulnerability=self.vulnerability,
            protection_status=self.protection_status,
            sex=self.sex,
            age_band=self.age_band,
            citizenship=self.citizenship,
            outcome=self.outcome,
            intake_month=self.intake_month,
            eligible_for=self.eligible_for,
            guardian=self.guardian,
        )
