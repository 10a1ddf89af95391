"""What the API answers. No personal identifier appears here: cases are known by their id and
pseudonymous case code; names, documents, contacts and birth dates stay in the vault.

Partner systems get a minimised view (`minimised=True`): no special-category data (the
vulnerabilities, and the eligibility that follows from them) and no staff identities."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from projections.case_list import CasePage, CaseRow, HistoryEntry


class Eligibility(BaseModel):
    sub_action: str = Field(description="2, 3 or 4: the sub-actions people are enrolled in")
    eligible: bool
    reason: str = Field(description="Why, as a code")


class CaseSummary(BaseModel):
    case_id: UUID
    case_code: str
    city: str
    status: str | None = Field(description="open or closed; null for partner systems, whose "
                               "feed carries no closures")
    closed_on: date | None = Field(
        default=None, description="While closed: the closing date (null for partner systems)")
    outcome: str | None = Field(
        default=None, description="While closed: how the case ended (null for partner systems)")
    intake_date: date
    protection_status: str = Field(description="The status held now (the latest decision's)")
    permit_expires_on: date | None = Field(
        default=None, description="The current status's permit expiry, where there is one")
    reception_situation: str
    reception_centre_kind: str | None = None
    planned_exit_on: date | None = None
    sex: str
    age_band: str
    citizenship: str | None = Field(description="ISO 3166 alpha-2; null: no citizenship")
    household_size: int
    vulnerabilities: list[str] | None = Field(
        description="Special-category data: null in the minimised view partner systems get"
    )
    priority_group: str
    guardian_appointed_on: date | None = Field(
        default=None, description="An unaccompanied minor's guardian: when appointed (never who; "
        "null in the minimised view)")
    needs_guardian: bool | None = Field(
        default=None, description="An unaccompanied minor without a guardian recorded (l. "
        "47/2017): the work queue's flag; null in the minimised view")

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
        "permit_expires_on": row.permit_expires_on,
        "reception_situation": row.reception_situation,
        "reception_centre_kind": row.reception_centre_kind,
        "planned_exit_on": row.planned_exit_on,
        "sex": row.sex,
        "age_band": row.age_band,
        "citizenship": row.citizenship,
        "household_size": row.household_size,
        "vulnerabilities": None if minimised else list(row.vulnerabilities),
        "priority_group": row.priority_group,
        # Says that the person is an unaccompanied minor: special-category, like vulnerabilities.
        "guardian_appointed_on": None if minimised else row.guardian_appointed_on,
        "needs_guardian": None if minimised else row.needs_guardian,
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
    type: str = Field(description="The CloudEvents type of the event (for a partner system, "
                      "of its partner copy)")
    actor: ActorOut
    data: dict[str, Any] | None = Field(
        default=None, description="For partner systems: the event's partner copy, exactly as "
        "their NATS feed carries it (docs/partners.md); null for everyone else")

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
