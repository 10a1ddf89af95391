"""What the case page's lifecycle forms post: closing the case, reopening it, correcting its facts,
recording a status decision, a consent given or withdrawn. Each success waits for the read model
and leads back to the case page (303); a refusal comes back as the case page, 422, with the
messages next to the form and nothing written. Plain form posts: each changes the status, the
facts and the timeline, so the whole page is what has to be shown again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from domain.access import Principal
from projections.case_list import CaseRow
from web.areas.cases.pages.case_page import (
    ASSESSMENT_FORM,
    CLOSURE_FORM,
    CONSENT_FORM,
    CORRECTION_FORM,
    DESCRIPTION_FORM,
    GUARDIAN_FORM,
    REOPENING_FORM,
    STATUS_FORM,
    WITHDRAWAL_FORM,
    refused_on_case_page,
)
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
from web.areas.cases.requests.vulnerabilities import (
    AssessmentRequest,
    GuardianRequest,
    OtherVulnerabilityRequest,
    appoint_guardian,
    assess_vulnerability,
    describe_other_vulnerability,
)
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.forms import FormRefused, PostedForm, see_other
from web.kit.i18n import Translator
from web.kit.principal import CaseToCorrect, CaseToWorkOn, SignedIn
from web.kit.request_limits import AccessBeforeBody
from web.kit.templating import Pages
from web.services import WebServices

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)


@router.post("/cases/{case_id}/closure", name="close_case")
async def close_case(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer(
        request, pages, services, principal, translator, case, CLOSURE_FORM, ClosureRequest,
        lambda wanted: close(services, case, wanted, principal.actor),
    )


@router.post("/cases/{case_id}/reopening", name="reopen_case")
async def reopen_case(
    request: Request, case: CaseToCorrect, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer(
        request, pages, services, principal, translator, case, REOPENING_FORM,
        ReopeningRequest, lambda wanted: reopen(services, case, wanted, principal.actor),
    )


@router.post("/cases/{case_id}/corrections", name="correct_case")
async def correct_case(
    request: Request, case: CaseToCorrect, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer(
        request, pages, services, principal, translator, case, CORRECTION_FORM,
        CorrectionRequest, lambda wanted: correct(services, case, wanted, principal.actor),
    )


@router.post("/cases/{case_id}/status", name="change_case_status")
async def change_case_status(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer(
        request, pages, services, principal, translator, case, STATUS_FORM, StatusChangeRequest,
        lambda wanted: change_status(services, case, wanted, principal.actor),
    )


@router.post("/cases/{case_id}/consents", name="give_case_consent")
async def give_case_consent(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer(
        request, pages, services, principal, translator, case, CONSENT_FORM, ConsentRequest,
        lambda wanted: give_consent(services, case, wanted, principal.actor),
    )


@router.post("/cases/{case_id}/consent-withdrawals", name="withdraw_case_consent")
async def withdraw_case_consent(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer(
        request, pages, services, principal, translator, case, WITHDRAWAL_FORM,
        ConsentWithdrawalRequest,
        lambda wanted: withdraw_consent(services, case, wanted, principal.actor),
    )


@router.post("/cases/{case_id}/guardian", name="appoint_case_guardian")
async def appoint_case_guardian(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer(
        request, pages, services, principal, translator, case, GUARDIAN_FORM, GuardianRequest,
        lambda wanted: appoint_guardian(services, case, wanted, principal.actor),
    )


@router.post("/cases/{case_id}/assessments", name="assess_case_vulnerability")
async def assess_case_vulnerability(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer(
        request, pages, services, principal, translator, case, ASSESSMENT_FORM,
        AssessmentRequest,
        lambda wanted: assess_vulnerability(services, case, wanted, principal.actor),
    )


@router.post("/cases/{case_id}/other-vulnerability", name="describe_case_vulnerability")
async def describe_case_vulnerability(
    request: Request, case: CaseToWorkOn, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    return await _answer(
        request, pages, services, principal, translator, case, DESCRIPTION_FORM,
        OtherVulnerabilityRequest,
        lambda wanted: describe_other_vulnerability(services, case, wanted, principal.actor),
    )


async def _answer(
    request: Request, pages: Pages, services: WebServices, principal: Principal,
    translator: Translator, case: CaseRow, form_name: str, model: type[BaseModel],
    record: Callable[[Any], Awaitable[int]],
) -> Response:
    """Parse the form into the API's request model and record it: back to the case page, or
    the page again with the form as refused. The correction form always lists every
    vulnerable category, ticked or not: none ticked means none recorded."""
    posted = await PostedForm.read(request, model.model_fields, lists=("vulnerabilities",))
    # Shown again as the record would keep it: trimmed.
    form = PostedForm({name: value.strip() if isinstance(value, str) else value
                       for name, value in posted.values.items()}, posted.fields)
    try:
        await form.submit(model, record, translator)
    except FormRefused as refused:
        return await refused_on_case_page(request, pages, services, principal, translator, case,
                                          form_name, refused)
    return see_other(request, "case_page", case_id=str(case.case_id))
