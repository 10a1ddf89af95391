"""Event contracts of the partner organisations context (see docs/events.md and
docs/workflows/referrals.md, "Partner organisations").

An organisation belongs to the city that refers people to it and is published on that city's
subject; its CloudEvents subject is the organisation's id. An organisation's name is not
personal data (an NGO, an association, a public service): it travels in
`organisation.registered`, and only there. Referrals and consents name an organisation by its
id."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from events.contracts import City, EventContract

OrganisationKind = Literal[
    "ngo", "association", "social_cooperative", "public_service", "trade_union",
    "religious_body", "other",
]


class OrganisationRegisteredV1(EventContract):
    """A city registered an organisation it refers people to."""

    aggregate: ClassVar[str] = "organisation"
    event: ClassVar[str] = "registered"
    version: ClassVar[int] = 1

    organisation_id: UUID
    city: City = Field(description="The city that refers people to the organisation")
    name: str = Field(
        min_length=1, max_length=120,
        description="The organisation's name (an organisation's, not a person's)")
    kind: OrganisationKind
    registered_on: date


class OrganisationRetiredV1(EventContract):
    """A city retired an organisation: from `retired_on` it takes no new referral or consent;
    the referrals and consents that named it before stay as they were."""

    aggregate: ClassVar[str] = "organisation"
    event: ClassVar[str] = "retired"
    version: ClassVar[int] = 1

    organisation_id: UUID
    city: City
    retired_on: date


ORGANISATION_CONTRACTS: tuple[type[EventContract], ...] = (
    OrganisationRegisteredV1,
    OrganisationRetiredV1,
)
