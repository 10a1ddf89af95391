"""Assigning a case to a member of its city's staff: the request body (the case page's form and
the API) and the command. For the case's city coordinators; the domain refuses (DomainError)
someone who is not an operator or coordinator of the case's city before anything is written."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.access import Permission, Principal, may
from domain.programme import Actor, City
from projections.case_list import CaseRow
from web.areas.cases.requests.filters import CaseListQuery
from web.kit.commands import carry_out
from web.kit.forms import FormState
from web.services import WebServices

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"
# The case page's form, by the name the case page knows it by (shown again when refused).
ASSIGNMENT_FORM = "assignment"


class AssignmentRequest(BaseModel):
    """Who is to hold the case: the username of an operator or coordinator of its city."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"assignee": "firenze.operatore"}]
    })

    assignee: str = Field(pattern=USERNAME_PATTERN, max_length=64,
                          description="A username of the case's city staff")


async def assign(services: WebServices, case: CaseRow, request: AssignmentRequest,
                 actor: Actor) -> int:
    return await carry_out(services, lambda: services.assignments.assign(
        case.case_id, request.assignee, actor, services.now()))


class HoldingView(BaseModel):
    """Who held the case for which city from when; `holder` None: nobody; `assigned_by` None:
    by default (the intake's recorder) or a transfer."""

    city: str
    holder: str | None
    since: datetime
    assigned_by: str | None


class AssignmentView(BaseModel):
    case_id: UUID
    case_code: str
    holder: str | None = Field(description="Who holds the case now (None: nobody)")
    since: datetime | None
    history: list[HoldingView]


def assignment_of(services: WebServices, case: CaseRow) -> AssignmentView:
    row = services.assignment_views.holder(case.case_id)
    return AssignmentView(
        case_id=case.case_id, case_code=case.case_code,
        holder=row.holder if row else None, since=row.since if row else None,
        history=[HoldingView(city=h.city, holder=h.holder, since=h.since,
                             assigned_by=h.assigned_by)
                 for h in services.assignment_views.history(case.case_id)],
    )


def assignment_section(services: WebServices, principal: Principal, case: CaseRow,
                       shown_again: FormState | None) -> dict[str, object]:
    """What the case page's assignment section (cases/_assignment.html) shows: the holder, the
    history, and for the city's coordinators on an open case the form to reassign it."""
    city = City(case.city)
    view = assignment_of(services, case)
    may_assign = case.status == "open" and may(principal, Permission.ASSIGN_CASES, city)
    staff = [(member.username, member.display_name)
             for member in services.accounts.city_staff(city)]
    return {
        "view": view,
        "names": dict(staff),
        "staff": staff if may_assign else [],
        "may_assign": may_assign,
        "form": shown_again or FormState(values={"assignee": view.holder or ""}),
    }


def held_cases_only(services: WebServices, principal: Principal, city: City,
                    query: CaseListQuery) -> frozenset[UUID] | None:
    """"My cases": with the query's `holder=mine`, the cases of `city` the principal holds (none
    for anyone who holds no case: the ministry, an auditor, a partner); else None (any case)."""
    if query.holder != "mine":
        return None
    return frozenset(services.assignment_views.held_by(city.value, principal.id))
