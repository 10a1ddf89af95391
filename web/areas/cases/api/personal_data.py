"""A person's identifiers, read for a stated reason (logged first), and their erasure (GDPR
art. 17). The same rules as the case page's forms: identifiers for the case's city staff and for
an auditor under a live grant (reason `audit_grant`), erasure for the city's coordinators;
partner systems never. Answers holding identifiers are marked `Cache-Control: no-store`."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from domain.cases.model import Erasure
from domain.vault import AccessReason, PersonalData
from web.areas.cases.requests.personal_data import (
    NO_STORE,
    ErasureRequest,
    IdentifiersRequest,
    erase,
    reveal,
)
from web.kit.dependencies import Services
from web.kit.principal import CaseWithIdentifiers, ErasableCase, SignedIn
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["personal data"])


class PersonalIdentifiers(BaseModel):
    given_name: str
    family_name: str
    birth_date: date
    document_number: str | None
    phone: str | None
    email: str | None
    tax_code: str | None = None

    @classmethod
    def of(cls, data: PersonalData) -> PersonalIdentifiers:
        return cls(
            given_name=data.given_name, family_name=data.family_name,
            birth_date=data.birth_date, document_number=data.document_number, phone=data.phone,
            email=data.email, tax_code=data.tax_code,
        )


class ErasureOut(BaseModel):
    requested_on: date = Field(description="The day the person asked for erasure")
    request_reference: str = Field(description="The request's protocol number")
    erased_at: datetime = Field(description="When the identifiers were destroyed")

    @classmethod
    def of(cls, erasure: Erasure) -> ErasureOut:
        return cls(requested_on=erasure.requested_on,
                   request_reference=erasure.request_reference, erased_at=erasure.erased_at)


class IdentifiersOut(BaseModel):
    case_id: UUID
    case_code: str
    identifiers: PersonalIdentifiers | None = Field(
        description="The person's identifiers; null once erased"
    )
    reason: AccessReason | None = Field(description="The reason the reading was logged with")
    erasure: ErasureOut | None = Field(description="The erasure, when the person was erased")


class ErasureRecorded(BaseModel):
    case_id: UUID
    case_code: str
    position: int = Field(description="The erasure event's position in the event log")
    erasure: ErasureOut


@router.post(
    "/cases/{case_id}/identifiers",
    response_model=IdentifiersOut,
    name="api_reveal_identifiers",
    summary="Read a person's identifiers, for a stated reason",
)
async def reveal_identifiers(
    case: CaseWithIdentifiers,
    wanted: IdentifiersRequest,
    services: Services,
    principal: SignedIn,
    response: Response,
) -> IdentifiersOut:
    """The reading is logged (who, when, which case, why) before the identifiers are returned.
    An auditor reads only under a live grant of the ministry for the case's city, and gives the
    reason `audit_grant`; city staff give any other reason."""
    shown = await reveal(services, case, wanted.reason, principal)
    response.headers.update(NO_STORE)
    return IdentifiersOut(
        case_id=case.case_id,
        case_code=case.case_code,
        identifiers=PersonalIdentifiers.of(shown.identifiers) if shown.identifiers else None,
        reason=shown.reason,
        erasure=ErasureOut.of(shown.erasure) if shown.erasure else None,
    )


@router.post(
    "/cases/{case_id}/erasure",
    response_model=ErasureRecorded,
    name="api_erase_personal_data",
    summary="Erase a person's identifiers at their request (GDPR art. 17)",
)
async def erase_personal_data(
    case: ErasableCase, erasure_request: ErasureRequest, services: Services, principal: SignedIn
) -> ErasureRecorded:
    """Destroys the person's key in the vault (crypto-shredding) and records the erasure; the
    case stays, under its pseudonymous code, in every list and figure. Refused (422, nothing
    written) when already erased, without a reference, or dated in the future."""
    position, erasure = await erase(services, case, erasure_request, principal.actor)
    assert erasure is not None
    return ErasureRecorded(case_id=case.case_id, case_code=case.case_code, position=position,
                           erasure=ErasureOut.of(erasure))
