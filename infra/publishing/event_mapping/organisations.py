"""The partner organisations context's public events. An organisation is no case's: its
CloudEvents subject is the organisation's id, and it is published on its city's subject."""

from __future__ import annotations

from domain.organisations.model import Organisation
from events.organisations import OrganisationRegisteredV1, OrganisationRetiredV1
from infra.publishing.event_mapping import PublicEvent

_BY_ORGANISATION = {"id_field": "organisation_id", "subject_attribute": "originator_id"}

ORGANISATION_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(Organisation.Registered, OrganisationRegisteredV1, **_BY_ORGANISATION),
    PublicEvent(Organisation.Retired, OrganisationRetiredV1, **_BY_ORGANISATION),
)
