"""Application service of the partner organisations context: a city's coordinators register the
organisations the city refers people to and retire them; the other contexts (referrals, the
consents of a case) find an organisation by id through `get`. Each command checks who may do it
and returns the position of what it saved."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.access import USER_ROLES, AccessDenied, Permission, Principal, may
from domain.organisations.model import (
    Organisation,
    OrganisationAlreadyRegistered,
    OrganisationKind,
    organisation_id_for,
    tidy_name,
)
from domain.programme import Actor, City
from domain.record import ProgrammeRecord, save_decided

_SAVE_ATTEMPTS = 4


class OrganisationNotFound(LookupError):
    """Raised when no organisation has the given id."""


class OrganisationService:
    def __init__(self, record: ProgrammeRecord) -> None:
        self.record = record

    def register(
        self, city: City, name: str, kind: OrganisationKind, actor: Actor, now: datetime
    ) -> tuple[UUID, int]:
        """Register an organisation of `city` (its coordinators); refused when the city has one
        of that name already. Returns the organisation's id and the position saved."""
        _require(actor, city)
        tidy = tidy_name(name)
        organisation_id = organisation_id_for(city, tidy)

        def decide() -> list[Organisation]:
            try:
                existing = self.get(organisation_id)
            except OrganisationNotFound:
                return [Organisation.register(city, tidy, kind, actor, now)]
            raise OrganisationAlreadyRegistered(
                f"{existing.name} is registered already.", field="name",
                organisation_name=existing.name,
            )

        return organisation_id, save_decided(self.record, decide, _SAVE_ATTEMPTS)

    def retire(self, organisation_id: UUID, actor: Actor, now: datetime) -> int:
        """Retire an organisation (its city's coordinators): it takes no new referral or
        consent; what named it stays as it was."""
        _require(actor, self.get(organisation_id).city)

        def decide() -> list[Organisation]:
            organisation = self.get(organisation_id)
            organisation.retire(actor, now)
            return [organisation]

        return save_decided(self.record, decide, _SAVE_ATTEMPTS)

    def get(self, organisation_id: UUID) -> Organisation:
        try:
            organisation: object = self.record.repository.get(organisation_id)
        except AggregateNotFoundError:
            raise OrganisationNotFound(organisation_id) from None
        if not isinstance(organisation, Organisation):
            raise OrganisationNotFound(organisation_id)
        return organisation


def _require(actor: Actor, city: City) -> None:
    permission = Permission.MANAGE_PARTNER_ORGANISATIONS
    allowed = False
    if actor.role in USER_ROLES:
        try:
            allowed = may(Principal(actor.id, actor.role, actor.city), permission, city)
        except ValueError:
            allowed = False
    if not allowed:
        raise AccessDenied(
            f"A {actor.role.value} may not {permission.value} in {city.value}",
            permission=permission.value,
        )
