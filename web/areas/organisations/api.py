"""Partner organisations as JSON: a city's registered organisations (its staff, the ministry
and the auditors read them), and registering and retiring one (the city's coordinators). Every
refusal (4xx) leaves nothing written."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from projections.organisations import OrganisationRow
from web.areas.organisations.requests import (
    CityToManage,
    CityToRead,
    ManagedOrganisation,
    OrganisationRegistration,
    register,
    retire,
)
from web.kit.commands import carry_out
from web.kit.dependencies import Services
from web.kit.principal import ActingPrincipal
from web.kit.request_limits import AccessBeforeBody

router = APIRouter(route_class=AccessBeforeBody, tags=["organisations"])


class OrganisationOut(BaseModel):
    organisation_id: UUID
    city: str = Field(description="The city that registered it and refers people to it")
    name: str
    kind: str
    registered_on: date
    retired_on: date | None = Field(
        description="Since when it takes no new referral or consent; null while active")

    @classmethod
    def of(cls, row: OrganisationRow) -> OrganisationOut:
        return cls(organisation_id=row.organisation_id, city=row.city, name=row.name,
                   kind=row.kind, registered_on=row.registered_on, retired_on=row.retired_on)


class OrganisationRecorded(BaseModel):
    organisation: OrganisationOut
    position: int = Field(description="The event log position of the write")


@router.get("/cities/{city}/organisations", response_model=list[OrganisationOut],
            name="api_city_organisations",
            summary="The partner organisations a city registered, by name")
def city_organisations(city: CityToRead, services: Services) -> list[OrganisationOut]:
    return [OrganisationOut.of(row)
            for row in services.organisation_views.city_organisations(city.value)]


@router.post("/cities/{city}/organisations", response_model=OrganisationRecorded,
             status_code=201, name="api_register_organisation",
             summary="Register a partner organisation of the city (its coordinators)")
async def register_organisation(
    city: CityToManage, registration: OrganisationRegistration, services: Services,
    actor: ActingPrincipal,
) -> OrganisationRecorded:
    """Refused (422, nothing written) for a blank or too long name, or a name the city
    registered already."""
    found: list[UUID] = []

    def command() -> int:
        organisation_id, position = register(services, city, registration, actor)
        found.append(organisation_id)
        return position

    position = await carry_out(services, command)
    return await run_in_threadpool(_recorded, services, found[0], position)


@router.post("/organisations/{organisation_id}/retirement", response_model=OrganisationRecorded,
             name="api_retire_organisation",
             summary="Retire a partner organisation (its city's coordinators)")
async def retire_organisation(
    organisation: ManagedOrganisation, services: Services, actor: ActingPrincipal,
) -> OrganisationRecorded:
    """It takes no new referral or consent from then on; what named it stays. Refused (422,
    nothing written) when it is retired already."""
    position = await carry_out(services, lambda: retire(services, organisation, actor))
    return await run_in_threadpool(_recorded, services, organisation.organisation_id, position)


def _recorded(services: Services, organisation_id: UUID, position: int) -> OrganisationRecorded:
    row = services.organisation_views.organisation(organisation_id)
    assert row is not None, "the read model waited for the position"
    return OrganisationRecorded(organisation=OrganisationOut.of(row), position=position)



