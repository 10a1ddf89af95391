"""Fast-track housing as the web receives it, for pages and API alike: the request models (their
shape only: the programme's rules are the domain's, which refuses before writing anything), the
shelter named in a path, and how a command is carried out and waited for.

A shelter of a city the principal may not see is answered 404, exactly like an unknown one; to
whoever may see the city's cases but not the city (a partner), 403 as for a case of theirs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from domain.access import Permission, Principal, may, require
from domain.housing.model import MoveOutOutcome, ShelterClosureReason, ShelterKind
from domain.housing.priority import in_waitlist_order
from domain.programme import City, Priority
from projections.case_list import CaseRow
from projections.housing import ShelterRow, WaitlistEntry
from projections.indicators.arithmetic import durations
from projections.indicators.figures import DAYS, Durations
from web.kit.dependencies import Services
from web.kit.errors import UnknownShelter
from web.kit.inputs import Day
from web.kit.principal import SignedIn, case_where, city_where
from web.services import WebServices

_FORM = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ShelterRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"name": "Casa Aurora", "kind": "temporary_shelter",
                      "address_area": "Rifredi", "beds": 12}]
    })

    name: str = Field(description="What the city calls the shelter, at most 120 characters")
    kind: ShelterKind
    address_area: str = Field(description=(
        "The neighbourhood or area, at most 120 characters; never a street address (a "
        "protected setting's address is not to be written down anywhere)"))
    beds: int = Field(description="How many beds, 1 to 500; numbered from 1")


class BedChange(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"count": 2}]})

    count: int = Field(description="How many beds to add or remove (1 to 200)")


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"reason": "The person found a room with relatives."}]
    })

    reason: str = Field(description="Why, in at most 500 characters (never personal data)")


class ShelterClosure(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"reason": "agreement_ended"}]
    })

    reason: ShelterClosureReason = Field(
        description="Why the shelter closes: a code of the list, never free text")


class MoveInRequest(BaseModel):
    model_config = _FORM

    moved_in_on: Day = Field(description="Between the day the bed was offered and today")


class MoveOutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"outcome": "autonomous_housing", "moved_out_on": "2021-06-30",
                      "note": ""}]
    })

    outcome: MoveOutOutcome
    moved_out_on: Day = Field(description="Between the move-in date and today")
    note: str = Field(default="", description="At most 500 characters; needed for `other`")


def shelter_where(permission: Permission) -> Callable[..., ShelterRow]:
    """A dependency: the shelter in the path, once the principal is known to hold `permission`
    in its city."""

    def permitted_shelter(
        shelter_id: Annotated[
            str, Path(description="The shelter's id", json_schema_extra={"format": "uuid"})
        ],
        principal: SignedIn,
        services: Services,
    ) -> ShelterRow:
        try:
            row = services.housing_views.shelter(UUID(shelter_id))
        except ValueError:
            raise UnknownShelter(shelter_id) from None
        if row is None or not _sees_city(principal, City(row.city)):
            raise UnknownShelter(shelter_id)
        require(principal, permission, City(row.city))
        return row

    return permitted_shelter


def _sees_city(principal: Principal, city: City) -> bool:
    return may(principal, Permission.VIEW_CITY, city) or may(principal, Permission.VIEW_CASE, city)


ViewableShelter = Annotated[ShelterRow, Depends(shelter_where(Permission.VIEW_CITY))]
ManagedShelter = Annotated[ShelterRow, Depends(shelter_where(Permission.MANAGE_FACILITIES))]
CityToManage = Annotated[City, Depends(city_where(Permission.MANAGE_FACILITIES))]
# A case's housing is the city's business: its staff, the ministry and the auditors; not the
# partners, whose agreements cover intake events only.
CaseToHouseView = Annotated[CaseRow, Depends(case_where(Permission.VIEW_CITY))]
CaseToHouse = Annotated[CaseRow, Depends(case_where(Permission.RECORD_CASE_WORK))]


# --- the waitlist in the card's priority order -------------------------------------------------


@dataclass(frozen=True)
class WaitlistPlace:
    """A case's place on its city's waitlist, with its priority factor by factor."""

    rank: int
    entry: WaitlistEntry
    priority: Priority


def ranked_waitlist(services: WebServices, city: str, now: datetime) -> list[WaitlistPlace]:
    """The city's waitlist, first to be offered a bed first: the domain's order
    (domain.housing.priority: protection, vulnerability, waiting time) with the Ministry's
    weights in force (as of the viewed moment, on as-of pages)."""
    weights = services.programme_terms.terms_in_force().priority_weights
    ranked = in_waitlist_order(services.housing_views.waitlist(city, now), weights, now)
    return [WaitlistPlace(rank, entry, priority)
            for rank, (entry, priority) in enumerate(ranked, start=1)]


def move_in_days(days: Sequence[int]) -> Durations:
    """Days from intake to move-in as every page and the dashboards say them: the median and
    the 90th percentile (issue 14 item 14: one statistic, never a mean beside a median)."""
    return durations(days, DAYS, 1)
