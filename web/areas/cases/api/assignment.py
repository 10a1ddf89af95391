"""Case assignment as JSON: who holds a case and who held it when (whoever may view the case),
and assigning it (the case's city coordinators). A refusal is 422 with the problems, and writes
nothing. "My cases" is the case list's `holder=mine` (GET /api/v1/cities/{city}/cases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from domain.access import AccessDenied, Permission
from domain.programme import Role
from projections.case_list import CaseRow
from web.areas.cases.requests.assignment import (
    AssignmentRequest,
    AssignmentView,
    assign,
    assignment_of,
)
from web.kit.dependencies import Services
from web.kit.principal import SignedIn, ViewableCase, case_where
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["case assignment"])

CaseToAssign = Annotated[CaseRow, Depends(case_where(Permission.ASSIGN_CASES))]


@router.get("/cases/{case_id}/assignment", response_model=AssignmentView,
            name="api_case_assignment", summary="Who holds a case, and who held it when")
def case_assignment(case: ViewableCase, services: Services, principal: SignedIn
                    ) -> AssignmentView:
    if principal.role is Role.PARTNER:  # case work is no partner's business
        raise AccessDenied("Partners do not read who works on a case")
    return assignment_of(services, case)


@router.post("/cases/{case_id}/assignment", response_model=AssignmentView,
             name="api_assign_case", summary="Assign a case to one of its city's staff")
async def assign_case(request: AssignmentRequest, case: CaseToAssign, services: Services,
                      principal: SignedIn) -> AssignmentView:
    await assign(services, case, request, principal.actor)
    return await run_in_threadpool(assignment_of, services, case)
