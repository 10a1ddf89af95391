"""Closing a case, reopening it, correcting its facts, recording a status decision and a consent
given or withdrawn, as JSON (the request bodies and the commands are
web.areas.cases.requests.lifecycle, shared with the case page's forms). Closing, status decisions
and consents are for the case's city staff (operators and coordinators); reopening and
corrections for its coordinators. A refusal is 422 with the problems, and writes nothing."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from domain.cases.rules import CaseOutcome
from projections.case_list import CaseRow
from web.areas.cases.requests.lifecycle import (
    ClosureRequest,
    ConsentRequest,
    ConsentWithdrawalRequest,
    CorrectionRequest,
    ReopeningRequest,
    StatusChangeRequest,
    change_status,
    close,
    correct,
    give_consent,
    reopen,
    withdraw_consent,
)
from web.kit.dependencies import Services
from web.kit.principal import CaseToCorrect, CaseToWorkOn, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, tags=["case lifecycle"])


class LifecycleRecorded(BaseModel):
    """What was recorded, and the case as it now is."""

    case_id: UUID
    case_code: str
    position: int = Field(description="The event's position in the event log")
    status: str = Field(description="open or closed")
    closed_on: date | None
    outcome: CaseOutcome | None


def _recorded(services: WebServices, case: CaseRow, position: int) -> LifecycleRecorded:
    # The record itself: the read model may still lag behind when the wait timed out.
    state = services.cases.get(case.case_id)
    closure = state.closure
    return LifecycleRecorded(
        case_id=case.case_id, case_code=case.case_code, position=position,
        status="closed" if closure else "open",
        closed_on=closure.closed_on if closure else None,
        outcome=closure.outcome if closure else None,
    )


@router.post(
    "/cases/{case_id}/closure", response_model=LifecycleRecorded, name="api_close_case",
    summary="Close a case with its outcome",
)
async def close_case(
    case: CaseToWorkOn, closure: ClosureRequest, services: Services, principal: SignedIn
) -> LifecycleRecorded:
    """Refused (422, nothing written) when the case is already closed, without a reason, or
    dated before the intake or in the future."""
    position = await close(services, case, closure, principal.actor)
    return await run_in_threadpool(_recorded, services, case, position)


@router.post(
    "/cases/{case_id}/reopening", response_model=LifecycleRecorded, name="api_reopen_case",
    summary="Reopen a closed case",
)
async def reopen_case(
    case: CaseToCorrect, reopening: ReopeningRequest, services: Services, principal: SignedIn
) -> LifecycleRecorded:
    """For the city's coordinators. Refused (422, nothing written) when the case is open,
    without a reason, or dated before the closure or in the future."""
    position = await reopen(services, case, reopening, principal.actor)
    return await run_in_threadpool(_recorded, services, case, position)


@router.post(
    "/cases/{case_id}/corrections", response_model=LifecycleRecorded, name="api_correct_case",
    summary="Correct facts recorded at intake",
)
async def correct_case(
    case: CaseToCorrect, correction: CorrectionRequest, services: Services,
    principal: SignedIn,
) -> LifecycleRecorded:
    """For the city's coordinators; allowed on a closed case too (the record must be right).
    Each change names the event whose value it replaces; eligibility and priority group are
    worked out again. Refused (422, nothing written) when nothing changes, without a reason,
    or when a value is invalid (an adult recorded as a minor, say)."""
    position = await correct(services, case, correction, principal.actor)
    return await run_in_threadpool(_recorded, services, case, position)


@router.post(
    "/cases/{case_id}/status", response_model=LifecycleRecorded, name="api_change_case_status",
    summary="Record a decision on the person's protection status",
)
async def change_case_status(
    case: CaseToWorkOn, decision: StatusChangeRequest, services: Services, principal: SignedIn
) -> LifecycleRecorded:
    """A new status from the decision's date (not a correction: the status before stays true
    up to then); eligibility and priority group are worked out again. Refused (422, nothing
    written) on a closed case, when it changes nothing, when dated before the status it
    follows or in the future, or when the status cannot be granted on that date."""
    position = await change_status(services, case, decision, principal.actor)
    return await run_in_threadpool(_recorded, services, case, position)


@router.post(
    "/cases/{case_id}/consents", response_model=LifecycleRecorded, name="api_give_case_consent",
    summary="Record a consent the person gave, to one purpose resting on consent",
)
async def give_case_consent(
    case: CaseToWorkOn, consent: ConsentRequest, services: Services, principal: SignedIn
) -> LifecycleRecorded:
    """Refused (422, nothing written) for a purpose that does not rest on consent, a consent
    already given, or a date before the intake (or the last withdrawal) or in the future."""
    position = await give_consent(services, case, consent, principal.actor)
    return await run_in_threadpool(_recorded, services, case, position)


@router.post(
    "/cases/{case_id}/consent-withdrawals", response_model=LifecycleRecorded,
    name="api_withdraw_case_consent",
    summary="Record that the person withdrew a consent (GDPR art. 7(3))",
)
async def withdraw_case_consent(
    case: CaseToWorkOn, withdrawal: ConsentWithdrawalRequest, services: Services,
    principal: SignedIn,
) -> LifecycleRecorded:
    """Allowed on a closed case too. Refused (422, nothing written) when the consent is not
    given, or dated before it was given or in the future."""
    position = await withdraw_consent(services, case, withdrawal, principal.actor)
    return await run_in_threadpool(_recorded, services, case, position)
