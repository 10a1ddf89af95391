"""Recording that a guardian was appointed for an unaccompanied minor (l. 47/2017), that a service
assessed one of the person's vulnerabilities (art. 17 c.1 d.lgs. 142/2015: "accertata"), and
what an "other" vulnerability is (free text: to the vault, under the person's key). For the
case's city staff; the domain refuses (DomainError) before anything is written. The request
bodies serve the case page's forms."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from domain.cases.model import MAX_VULNERABILITY_DESCRIPTION
from domain.cases.rules import AssessingService, Vulnerability
from domain.programme import Actor
from projections.case_list import CaseRow
from web.kit.commands import carry_out
from web.kit.inputs import Day
from web.services import WebServices


class GuardianRequest(BaseModel):
    """A guardian (tutore) was appointed for the unaccompanied minor: when. Never who."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"appointed_on": "2021-03-15"}]
    })

    appointed_on: Day = Field(description="Up to today; after the appointment it replaces")


class AssessmentRequest(BaseModel):
    """A service assessed (accertato) one vulnerability: when, and which kind of service."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"vulnerability": "torture_or_serious_violence",
                      "assessed_on": "2021-03-18", "assessed_by": "health_service"}]
    })

    vulnerability: Vulnerability
    assessed_on: Day = Field(description="Up to today")
    assessed_by: AssessingService


class OtherVulnerabilityRequest(BaseModel):
    """What the person's "other" vulnerability is. Personal data: kept only in the vault,
    encrypted with the person's key; events carry an id and a digest."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str = Field(
        description=f"Up to {MAX_VULNERABILITY_DESCRIPTION} characters")


async def appoint_guardian(services: WebServices, case: CaseRow, request: GuardianRequest,
                           actor: Actor) -> int:
    position = await carry_out(services, lambda: services.cases.appoint_guardian(
        case.case_id, request.appointed_on, actor, services.now()))
    return position


async def assess_vulnerability(services: WebServices, case: CaseRow,
                               request: AssessmentRequest, actor: Actor) -> int:
    position = await carry_out(services, lambda: services.cases.assess_vulnerability(
        case.case_id, request.vulnerability, request.assessed_on, request.assessed_by, actor,
        services.now()))
    return position


async def describe_other_vulnerability(services: WebServices, case: CaseRow,
                                       request: OtherVulnerabilityRequest, actor: Actor) -> int:
    position = await carry_out(services, lambda: services.cases.describe_other_vulnerability(
        case.case_id, services.new_id(), request.description, actor, services.now()))
    return position
