"""An unaccompanied minor's guardian, the assessments of vulnerabilities and what an "other"
vulnerability is, as JSON (issue 12 items 7-8; the request bodies and the commands are
web.areas.cases.requests.vulnerabilities, shared with the case page's forms). For the case's
city staff. A refusal is 422 with the problems, and writes nothing."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from domain.cases.rules import AssessingService, Vulnerability
from projections.case_list import CaseRow
from web.areas.cases.requests.vulnerabilities import (
    AssessmentRequest,
    GuardianRequest,
    OtherVulnerabilityRequest,
    appoint_guardian,
    assess_vulnerability,
    describe_other_vulnerability,
)
from web.kit.dependencies import Services
from web.kit.principal import CaseToWorkOn, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, tags=["guardian and vulnerabilities"])


class VulnerabilityState(BaseModel):
    vulnerability: Vulnerability
    assessed_on: date | None = Field(description="None while it is declared only")
    assessed_by: AssessingService | None


class CareRecorded(BaseModel):
    """What was recorded, and the guardian and vulnerabilities as they now are."""

    case_id: UUID
    case_code: str
    position: int = Field(description="The event's position in the event log")
    guardian_appointed_on: date | None = Field(description="When; never who (l. 47/2017)")
    needs_guardian: bool = Field(description="An unaccompanied minor without a guardian")
    vulnerabilities: list[VulnerabilityState]
    other_described: bool = Field(
        description="Whether an 'other' vulnerability has its description (in the vault)")


class OtherVulnerability(BaseModel):
    """The description of the person's "other" vulnerability: personal data, from the vault."""

    case_id: UUID
    description: str | None = Field(description="None when there is none, or it was erased")


def _recorded(services: WebServices, case: CaseRow, position: int) -> CareRecorded:
    # The record itself: the read model may still lag behind when the wait timed out.
    state = services.cases.get(case.case_id)
    vulnerabilities = []
    for vulnerability in state.vulnerabilities:
        assessment = state.assessment_of(vulnerability)
        vulnerabilities.append(VulnerabilityState(
            vulnerability=vulnerability,
            assessed_on=assessment.assessed_on if assessment else None,
            assessed_by=assessment.assessed_by if assessment else None))
    return CareRecorded(
        case_id=case.case_id, case_code=case.case_code, position=position,
        guardian_appointed_on=state.guardian_appointed_on, needs_guardian=state.needs_guardian,
        vulnerabilities=vulnerabilities, other_described=state.other_vulnerability is not None)


@router.post(
    "/cases/{case_id}/guardian", response_model=CareRecorded, name="api_appoint_case_guardian",
    summary="Record that a guardian was appointed for an unaccompanied minor (l. 47/2017)",
)
async def appoint_case_guardian(
    case: CaseToWorkOn, appointment: GuardianRequest, services: Services, principal: SignedIn
) -> CareRecorded:
    """When, never who. Refused (422, nothing written) for a person who is not an unaccompanied
    minor, a date in the future, or one not after the appointment it replaces."""
    position = await appoint_guardian(services, case, appointment, principal.actor)
    return await run_in_threadpool(_recorded, services, case, position)


@router.post(
    "/cases/{case_id}/assessments", response_model=CareRecorded,
    name="api_assess_case_vulnerability",
    summary="Record that a service assessed one vulnerability (art. 17 c.1 d.lgs. 142/2015)",
)
async def assess_case_vulnerability(
    case: CaseToWorkOn, assessment: AssessmentRequest, services: Services, principal: SignedIn
) -> CareRecorded:
    """A vulnerability not recorded before is recorded by it, from the assessment's date.
    Refused (422, nothing written) for minority (a fact of age, not assessed), an adult as an
    unaccompanied minor, an 'other' vulnerability not described yet, a date in the future, or
    the same assessment twice."""
    position = await assess_vulnerability(services, case, assessment, principal.actor)
    return await run_in_threadpool(_recorded, services, case, position)


@router.post(
    "/cases/{case_id}/other-vulnerability", response_model=CareRecorded,
    name="api_describe_case_vulnerability",
    summary="Say what the person's 'other' vulnerability is (kept in the vault only)",
)
async def describe_case_vulnerability(
    case: CaseToWorkOn, description: OtherVulnerabilityRequest, services: Services,
    principal: SignedIn,
) -> CareRecorded:
    """The text goes to the vault, encrypted with the person's key; the event carries its id
    and a digest. Refused (422, nothing kept) for a case without an 'other' vulnerability, an
    empty text or one longer than the limit, or a person whose data was erased."""
    position = await describe_other_vulnerability(services, case, description, principal.actor)
    return await run_in_threadpool(_recorded, services, case, position)


@router.get(
    "/cases/{case_id}/other-vulnerability", response_model=OtherVulnerability,
    name="api_read_case_vulnerability_description",
    summary="Read what the person's 'other' vulnerability is",
)
def read_case_vulnerability_description(
    case: CaseToWorkOn, services: Services
) -> OtherVulnerability:
    """For the case's city staff, who work with the person; nobody else."""
    return OtherVulnerability(
        case_id=case.case_id,
        description=services.cases.other_vulnerability_description(case.case_id))
