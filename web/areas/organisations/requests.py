"""Partner organisations as the web receives them, for pages and API alike: the request model
(its shape only: the rules are the domain's, which refuses before writing anything), the
organisation named in a path, and the commands.

A city's coordinators register and retire the organisations the city refers people to; the
city's staff, the ministry and the auditors read the list (an organisation's name is not
personal data). An organisation of a city the principal may not see is answered 404, exactly
like an unknown one."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from domain.access import Permission, may, require
from domain.organisations.model import MAX_ORGANISATION_NAME, OrganisationKind
from domain.programme import Actor, City
from projections.organisations import OrganisationRow
from web.kit.dependencies import Services
from web.kit.errors import ResourceNotFound
from web.kit.i18n import N_, Translator
from web.kit.principal import SignedIn, city_where
from web.services import WebServices


class UnknownOrganisationInPath(ResourceNotFound):
    """Raised when no organisation the principal may see has the id in the path."""

    code = "unknown_organisation"

    def __init__(self, organisation_id: str) -> None:
        super().__init__(organisation_id)
        self.organisation_id = organisation_id

    def explain(self, translator: Translator) -> str:
        return translator.gettext(N_('There is no partner organisation "%(organisation_id)s".'),
                                  organisation_id=self.organisation_id)


class OrganisationRegistration(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"name": "Caritas Ambrosiana", "kind": "ngo"}]})

    name: str = Field(min_length=1, max_length=MAX_ORGANISATION_NAME, description=(
        "The organisation's name (an organisation's, not a person's: it is published in "
        "organisation.registered). Registered once per city, whatever its case or spacing"))
    kind: OrganisationKind


CityToRead = Annotated[City, Depends(city_where(Permission.VIEW_CITY))]
CityToManage = Annotated[City, Depends(city_where(Permission.MANAGE_PARTNER_ORGANISATIONS))]


def managed_organisation(
    organisation_id: Annotated[UUID, Path()], principal: SignedIn, services: Services
) -> OrganisationRow:
    """The organisation in the path, once the principal may manage its city's organisations;
    404 when unknown or of a city the principal may not see."""
    row = services.organisation_views.organisation(organisation_id)
    if row is None:
        raise UnknownOrganisationInPath(str(organisation_id))
    # Existence is told to whoever may see the city's cases (the referrals name it), as for a
    # case's other resources.
    if not may(principal, Permission.VIEW_CASE, City(row.city)):
        raise UnknownOrganisationInPath(str(organisation_id))
    require(principal, Permission.MANAGE_PARTNER_ORGANISATIONS, City(row.city))
    return row


ManagedOrganisation = Annotated[OrganisationRow, Depends(managed_organisation)]


def register(
    services: WebServices, city: City, wanted: OrganisationRegistration, actor: Actor
) -> tuple[UUID, int]:
    return services.organisations.register(city, wanted.name, wanted.kind, actor,
                                           services.now())


def retire(services: WebServices, organisation: OrganisationRow, actor: Actor) -> int:
    return services.organisations.retire(organisation.organisation_id, actor,
                                         services.now())
