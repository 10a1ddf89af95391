"""What the API answers. No personal identifier appears here: cases are known by their id and
pseudonymous case code; names, documents, contacts and birth dates stay in the vault.

Partner systems get a minimised view (`minimised=True`): no special-category data (the
vulnerabilities, and the eligibility that follows from them) and no staff identities."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.cases.rules import ProtectionStatus
from projections.case_list import CasePage, CaseRow, HistoryEntry
from projections.network_overview import CityFigures, NetworkOverview


class IntakeCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "case_id": "0b8e1c9e-4c0a-4f43-9a59-5c7d0e2a9f11",
        "case_code": "FI-2021-00001",
        "position": 42,
    }]})

    case_id: UUID
    case_code: str = Field(description="Pseudonymous: province code, year, number")
    position: int = Field(description="The intake's position in the event log")


class Eligibility(BaseModel):
    sub_action: str = Field(description="2, 3 or 4: the sub-actions people are enrolled in")
    eligible: bool
    reason: str = Field(description="Why, as a code")


class CaseSummary(BaseModel):
    case_id: UUID
    case_code: str
    city: str
    status: str = Field(description="open or closed")
    closed_on: date | None = Field(
        default=None, description="While closed: the closing date (null for partner systems)")
    outcome: str | None = Field(
        default=None, description="While closed: how the case ended (null for partner systems)")
    intake_date: date
    protection_status: str
    reception_situation: str
    sex: str
    age_band: str
    nationality: str
    household_size: int
    vulnerabilities: list[str] | None = Field(
        description="Special-category data: null in the minimised view partner systems get"
    )
    priority_group: str

    @classmethod
    def of(cls, row: CaseRow, *, minimised: bool) -> CaseSummary:
        return cls(**_summary_fields(row, minimised=minimised))


def _summary_fields(row: CaseRow, *, minimised: bool) -> dict[str, Any]:
    return {
        "case_id": row.case_id,
        "case_code": row.case_code,
        "city": row.city,
        "status": row.status,
        # From the closure event: not part of the minimised view.
        "closed_on": None if minimised else row.closed_on,
        "outcome": None if minimised else row.outcome,
        "intake_date": row.intake_date,
        "protection_status": row.protection_status,
        "reception_situation": row.reception_situation,
        "sex": row.sex,
        "age_band": row.age_band,
        "nationality": row.nationality,
        "household_size": row.household_size,
        "vulnerabilities": None if minimised else list(row.vulnerabilities),
        "priority_group": row.priority_group,
    }


class CaseList(BaseModel):
    items: list[CaseSummary]
    total: int
    page: int
    page_size: int
    pages: int

    @classmethod
    def of(cls, page: CasePage, *, minimised: bool) -> CaseList:
        return cls(
            items=[CaseSummary.of(row, minimised=minimised) for row in page.rows],
            total=page.total,
            page=page.page,
            page_size=page.page_size,
            pages=page.pages,
        )


class ActorOut(BaseModel):
    kind: str
    id: str | None = Field(description="The user or system; null in the minimised view")
    role: str
    city: str | None


class HistoryEntryOut(BaseModel):
    position: int
    time: datetime
    type: str = Field(description="The CloudEvents type of the event")
    actor: ActorOut

    @classmethod
    def of(cls, entry: HistoryEntry, *, minimised: bool) -> HistoryEntryOut:
        return cls(
            position=entry.position,
            time=entry.time,
            type=entry.type,
            actor=ActorOut(kind=entry.actor_kind, id=None if minimised else entry.actor_id,
                           role=entry.actor_role, city=entry.actor_city),
        )


class CaseDetail(CaseSummary):
    eligibility: list[Eligibility] | None = Field(
        description="Follows from the vulnerabilities: null in the minimised view"
    )
    history: list[HistoryEntryOut] = Field(
        description="The case's events; for a partner, those of the kinds its agreement covers"
    )

    @classmethod
    def of_case(
        cls, row: CaseRow, history: list[HistoryEntry], *, minimised: bool
    ) -> CaseDetail:
        return cls(
            **_summary_fields(row, minimised=minimised),
            eligibility=None if minimised else [Eligibility(**e) for e in row.eligibility],
            history=[HistoryEntryOut.of(entry, minimised=minimised) for entry in history],
        )


def _by_status(counts: dict[str, int]) -> dict[str, int]:
    """Every protection status, with zeros where there are no cases."""
    return {status.value: 0 for status in ProtectionStatus} | counts


class CityFiguresOut(BaseModel):
    city: str
    cases: int
    vulnerable_cases: int
    by_protection_status: dict[str, int]

    @classmethod
    def of(cls, figures: CityFigures) -> CityFiguresOut:
        return cls(
            city=figures.city,
            cases=figures.cases,
            vulnerable_cases=figures.vulnerable_cases,
            by_protection_status=_by_status(figures.by_protection_status),
        )


class NetworkTotals(BaseModel):
    cases: int
    vulnerable_cases: int
    by_protection_status: dict[str, int]


class NetworkOverviewOut(BaseModel):
    cities: list[CityFiguresOut] = Field(description="All 19 cities, with zeros where no case is")
    totals: NetworkTotals

    @classmethod
    def of(cls, overview: NetworkOverview) -> NetworkOverviewOut:
        return cls(
            cities=[CityFiguresOut.of(figures) for figures in overview.cities],
            totals=NetworkTotals(
                cases=overview.total_cases,
                vulnerable_cases=overview.total_vulnerable_cases,
                by_protection_status=_by_status(overview.by_protection_status()),
            ),
        )
