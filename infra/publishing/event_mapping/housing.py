"""The housing context's public events. A shelter's events have the shelter's id as their
CloudEvents subject; a placement's, the case code. The shelter's bed bookkeeping (BedAssigned,
BedReleased) and the housing path's start are internal: the placement events tell the same."""

from __future__ import annotations

from domain.housing.model import HousingPath, Shelter
from events.contracts import EventContract
from events.housing import (
    PlacementBedOfferedV1,
    PlacementLeftWaitlistV2,
    PlacementMovedInV1,
    PlacementMovedOutV2,
    PlacementOfferDeclinedV2,
    PlacementWaitlistedV1,
    ShelterBedsAddedV1,
    ShelterBedsRemovedV1,
    ShelterClosedV2,
    ShelterRegisteredV1,
)
from infra.publishing.event_mapping import PublicEvent


def _shelter_event(domain_event: type, contract: type[EventContract]) -> PublicEvent:
    return PublicEvent(domain_event, contract, id_field="shelter_id",
                       subject_attribute="originator_id")


def _placement_event(domain_event: type, contract: type[EventContract]) -> PublicEvent:
    return PublicEvent(domain_event, contract, id_field="housing_path_id")


HOUSING_EVENTS: tuple[PublicEvent, ...] = (
    _shelter_event(Shelter.Registered, ShelterRegisteredV1),
    _shelter_event(Shelter.BedsAdded, ShelterBedsAddedV1),
    _shelter_event(Shelter.BedsRemoved, ShelterBedsRemovedV1),
    _shelter_event(Shelter.Closed, ShelterClosedV2),
    _placement_event(HousingPath.Waitlisted, PlacementWaitlistedV1),
    _placement_event(HousingPath.BedOffered, PlacementBedOfferedV1),
    _placement_event(HousingPath.OfferDeclined, PlacementOfferDeclinedV2),
    _placement_event(HousingPath.MovedIn, PlacementMovedInV1),
    _placement_event(HousingPath.MovedOut, PlacementMovedOutV2),
    _placement_event(HousingPath.LeftWaitlist, PlacementLeftWaitlistV2),
)
