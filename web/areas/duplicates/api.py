"""Possible same persons through the API: a case's matches (codes and cities only), and a
coordinator's decision on one."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from domain.access import AccessDenied
from domain.programme import Role
from projections.person_links import PersonMatchRow
from web.areas.duplicates.requests import confirm, rule_out
from web.kit.dependencies import Services
from web.kit.person_matches import matches_shown
from web.kit.principal import SignedIn, ViewableCase
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["duplicates"])


class PersonMatchOut(BaseModel):
    match_id: UUID
    case_id: UUID = Field(description="The case the match was noted on (the newer one)")
    case_code: str
    city: str
    other_case_id: UUID = Field(description="The case taken in before")
    other_case_code: str
    other_city: str
    matched_on: list[str]
    status: str = Field(description="possible, confirmed or ruled_out")
    noted_at: datetime
    person_id: UUID | None = Field(description="Once confirmed: the pseudonymous person id")
    may_decide: bool = Field(description="Whether you may confirm it or rule it out")

    @classmethod
    def of(cls, match: PersonMatchRow, may_decide: bool) -> PersonMatchOut:
        return cls(match_id=match.match_id, case_id=match.case_id, case_code=match.case_code,
                   city=match.city, other_case_id=match.other_case_id,
                   other_case_code=match.other_case_code, other_city=match.other_city,
                   matched_on=list(match.matched_on), status=match.status,
                   noted_at=match.noted_at, person_id=match.person_id, may_decide=may_decide)


@router.get("/cases/{case_id}/person-matches", response_model=list[PersonMatchOut],
            name="api_case_person_matches", summary="A case's possible same persons")
async def case_person_matches(
    case: ViewableCase, services: Services, principal: SignedIn,
) -> list[PersonMatchOut]:
    """Refused to partner systems: a match links a case to another city's case and says on what
    the two persons agree, which no partner agreement covers (nor does the partner feed)."""
    if principal.role is Role.PARTNER:
        raise AccessDenied("Partners do not read possible same persons")
    shown = await run_in_threadpool(matches_shown, services, principal, case.case_id)
    return [PersonMatchOut.of(match, may_decide) for match, may_decide in shown]


@router.post("/person-matches/{match_id}/confirmation", response_model=PersonMatchOut,
             name="api_confirm_same_person", summary="Confirm: the same person")
async def confirm_same_person(
    match_id: UUID, services: Services, principal: SignedIn,
) -> PersonMatchOut:
    """Both cases get one pseudonymous person id (the one either already has, else a new random
    one). Refused (422) when already decided, or when the cases are two people already."""
    return PersonMatchOut.of(await confirm(services, principal, match_id), False)


@router.post("/person-matches/{match_id}/ruling-out", response_model=PersonMatchOut,
             name="api_rule_out_same_person", summary="Rule out: not the same person")
async def rule_out_same_person(
    match_id: UUID, services: Services, principal: SignedIn,
) -> PersonMatchOut:
    return PersonMatchOut.of(await rule_out(services, principal, match_id), False)
