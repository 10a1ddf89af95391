"""What the case page's assignment form posts: a coordinator gives the case to one of the city's
operators or coordinators. A success waits for the read models and leads back to the case page
(303); a refusal comes back as the case page, 422, with the message next to the form and
nothing written."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from domain.access import Permission
from projections.case_list import CaseRow
from web.areas.cases.pages.case_page import refused_on_case_page
from web.areas.cases.requests.assignment import ASSIGNMENT_FORM, AssignmentRequest, assign
from web.kit.dependencies import CurrentTranslator, PageRenderer, Services
from web.kit.forms import FormRefused, PostedForm, see_other
from web.kit.principal import SignedIn, case_where
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, include_in_schema=False)

CaseToAssign = Annotated[CaseRow, Depends(case_where(Permission.ASSIGN_CASES))]


@router.post("/cases/{case_id}/assignment", name="assign_case")
async def assign_case(
    request: Request, case: CaseToAssign, pages: PageRenderer, services: Services,
    principal: SignedIn, translator: CurrentTranslator,
) -> Response:
    posted = await PostedForm.read(request, AssignmentRequest.model_fields)
    form = PostedForm({name: value.strip() if isinstance(value, str) else value
                       for name, value in posted.values.items()}, posted.fields)
    try:
        await form.submit(AssignmentRequest,
                          lambda wanted: assign(services, case, wanted, principal.actor),
                          translator)
    except FormRefused as refused:
        return await refused_on_case_page(request, pages, services, principal, translator, case,
                                          ASSIGNMENT_FORM, refused)
    return see_other(request, "case_page", case_id=str(case.case_id))
