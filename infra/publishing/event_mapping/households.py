"""The households context's public events. A household is no case's: its CloudEvents subject is
the household's id. The shelter's event of a household offer has the shelter's id as subject,
like the shelter's other events. A case's membership (which household it is in now) is internal:
the household's events tell the same."""

from __future__ import annotations

from domain.households.model import Household
from domain.housing.model import Shelter
from events.households import (
    HouseholdFormedV1,
    HouseholdHeadChangedV1,
    HouseholdMemberJoinedV1,
    HouseholdMemberLeftV1,
    ShelterHouseholdBedsOfferedV1,
)
from infra.publishing.event_mapping import PublicEvent

_BY_HOUSEHOLD = {"id_field": "household_id", "subject_attribute": "originator_id"}

HOUSEHOLD_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(Household.Formed, HouseholdFormedV1, **_BY_HOUSEHOLD),
    PublicEvent(Household.MemberJoined, HouseholdMemberJoinedV1, **_BY_HOUSEHOLD),
    PublicEvent(Household.MemberLeft, HouseholdMemberLeftV1, **_BY_HOUSEHOLD),
    PublicEvent(Household.HeadChanged, HouseholdHeadChangedV1, **_BY_HOUSEHOLD),
    PublicEvent(Shelter.HouseholdBedsOffered, ShelterHouseholdBedsOfferedV1,
                id_field="shelter_id", subject_attribute="originator_id"),
)
