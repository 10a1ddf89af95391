"""Households as the web receives them, for pages and API alike: the request models (their shape
only: the rules are the domain's, which refuses before writing anything), the case and shelter
named in a path, and the commands.

A household is the business of its city's staff, who record it; the ministry and the auditors
read it (and its figures); partners have no access. A case or shelter of a city the principal
may not see is answered 404, exactly like an unknown one."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from domain.access import Permission
from domain.households.model import DepartureReason, Relationship
from domain.households.service import NoHouseholdWithMember, NotInAHousehold
from domain.programme import Actor, City
from projections.case_list import CaseRow
from projections.housing import ShelterRow
from web.kit.dependencies import Services
from web.kit.errors import UnknownShelter
from web.kit.inputs import Day
from web.kit.principal import case_where
from web.services import WebServices

_CASE_CODE = Field(max_length=20, description="The case code of a member of the household, "
                   "such as MI-2021-00042")


class HouseholdFormation(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"formed_on": "2021-03-15"}]})

    formed_on: Day = Field(description="Since when the household lives together; not in the "
                            "future. The case is its head from that day.")


class JoinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"household_of": "MI-2021-00042", "relationship": "child",
                      "joined_on": "2021-03-15"}]})

    household_of: str = _CASE_CODE
    relationship: Relationship = Field(description="The case's relationship to the head of "
                                       "household (not `head`: a household has one)")
    joined_on: Day = Field(description="Not in the future, nor before the household was formed")


class DepartureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"reason": "moved_away", "left_on": "2021-06-30"}]})

    reason: DepartureReason
    left_on: Day = Field(description="Not in the future, nor before the case joined")


class HeadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"previous_head_relationship": "spouse_partner",
                      "changed_on": "2021-06-30"}]})

    previous_head_relationship: Relationship = Field(
        description="How the former head is related to the case that becomes head")
    changed_on: Day


# A case's household: its city's staff, the ministry and the auditors read it; its staff record.
CaseHouseholdView = Annotated[CaseRow, Depends(case_where(Permission.VIEW_CITY))]
CaseHouseholdWork = Annotated[CaseRow, Depends(case_where(Permission.RECORD_CASE_WORK))]


def shelter_of_the_case_city(
    shelter_id: Annotated[
        str, Path(description="The shelter's id", json_schema_extra={"format": "uuid"})
    ],
    case: CaseHouseholdWork,
    services: Services,
) -> ShelterRow:
    """The shelter in the path, if it is one of the case's city (else unknown: 404)."""
    try:
        row = services.housing_views.shelter(UUID(shelter_id))
    except ValueError:
        raise UnknownShelter(shelter_id) from None
    if row is None or City(row.city) != City(case.city):
        raise UnknownShelter(shelter_id)
    return row


ShelterForHousehold = Annotated[ShelterRow, Depends(shelter_of_the_case_city)]


# --- the commands, shared by pages and API (blocking: run them in a thread) --------------------


def form_household(
    services: WebServices, case: CaseRow, request: HouseholdFormation, actor: Actor
) -> int:
    return services.households.form_household(
        services.new_id(), case.case_id, request.formed_on, actor, services.now())


def join_household(
    services: WebServices, case: CaseRow, request: JoinRequest, actor: Actor
) -> int:
    """The case joins the household of the city's case `household_of` (a member of it now)."""
    code = request.household_of.strip().upper()
    household = services.household_views.household_of_code(case.city, code)
    if household is None:
        raise NoHouseholdWithMember(
            "No case of the city with this code is a member of a household.",
            field="household_of")
    return services.households.join_household(
        household.household_id, case.case_id, request.relationship, request.joined_on, actor,
        services.now())


def leave_household(
    services: WebServices, case: CaseRow, request: DepartureRequest, actor: Actor
) -> int:
    return services.households.leave_household(
        case.case_id, request.reason, request.left_on, actor, services.now())


def make_head(services: WebServices, case: CaseRow, request: HeadRequest, actor: Actor) -> int:
    return services.households.make_head(
        case.case_id, request.previous_head_relationship, request.changed_on, actor,
        services.now())


def offer_beds(services: WebServices, case: CaseRow, shelter: ShelterRow, actor: Actor) -> int:
    """Beds of the shelter for every member of the case's household, all or none."""
    household_id = services.households.household_id_of(case.case_id)
    if household_id is None:
        raise NotInAHousehold("The case is not a member of any household.", field="case")
    return services.housing.offer_beds_to_household(
        household_id, shelter.shelter_id, actor, services.now())
