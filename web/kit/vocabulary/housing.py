"""The words of fast-track housing: shelters, beds, the waitlist and placements."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.housing.model import (
    HousingStage,
    MoveOutOutcome,
    ShelterClosureReason,
    ShelterKind,
)
from events.housing import (
    PlacementBedOfferedV1,
    PlacementLeftWaitlistV1,
    PlacementLeftWaitlistV2,
    PlacementMovedInV1,
    PlacementMovedOutV1,
    PlacementMovedOutV2,
    PlacementOfferDeclinedV1,
    PlacementOfferDeclinedV2,
    PlacementWaitlistedV1,
    ShelterBedsAddedV1,
    ShelterBedsRemovedV1,
    ShelterClosedV1,
    ShelterClosedV2,
    ShelterRegisteredV1,
)
from web.kit.i18n import N_

SHELTER_KINDS: Mapping[str, str] = {
    ShelterKind.TEMPORARY_SHELTER: N_("Temporary shelter"),
    ShelterKind.APARTMENT: N_("Apartment"),
    ShelterKind.PROTECTED_SETTING: N_("Protected setting"),
}
HOUSING_STAGES: Mapping[str, str] = {
    HousingStage.NONE: N_("Not in fast-track housing"),
    HousingStage.WAITLISTED: N_("On the waitlist"),
    HousingStage.OFFERED: N_("Bed offered"),
    HousingStage.HOUSED: N_("Housed"),
    HousingStage.MOVED_OUT: N_("Moved out"),
    HousingStage.LEFT_WAITLIST: N_("Left the waitlist"),
}
MOVE_OUT_OUTCOMES: Mapping[str, str] = {
    MoveOutOutcome.AUTONOMOUS_HOUSING: N_("Autonomous housing"),
    MoveOutOutcome.OTHER_RECEPTION_PROGRAMME: N_("Other reception programme"),
    MoveOutOutcome.FAMILY_REUNIFICATION: N_("Family reunification"),
    MoveOutOutcome.LEFT_WITHOUT_NOTICE: N_("Left without notice"),
    MoveOutOutcome.REMOVED_FOR_RULE_BREACH: N_("Removed for breaking the rules"),
    MoveOutOutcome.OTHER: N_("Other outcome"),
}
# Why a shelter closed: a code, never a text (the event travels on NATS).
SHELTER_CLOSURE_REASONS: Mapping[str, str] = {
    ShelterClosureReason.AGREEMENT_ENDED: N_("End of the agreement with the managing body"),
    ShelterClosureReason.PREMISES_UNFIT: N_("Premises unfit for use"),
    ShelterClosureReason.MERGED: N_("Merged into another shelter"),
    ShelterClosureReason.FUNDING_ENDED: N_("End of the funding"),
    ShelterClosureReason.OTHER: N_("Other reason"),
}
# A placement of a shelter as its page lists it: the path's stage, or "declined" for an offer
# that was turned down.
PLACEMENT_STATUSES: Mapping[str, str] = {
    **HOUSING_STAGES,
    "declined": N_("Offer declined"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    ShelterKind: SHELTER_KINDS,
    HousingStage: HOUSING_STAGES,
    MoveOutOutcome: MOVE_OUT_OUTCOMES,
    ShelterClosureReason: SHELTER_CLOSURE_REASONS,
}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {
    ShelterRegisteredV1.ce_type(): N_("Shelter registered"),
    ShelterBedsAddedV1.ce_type(): N_("Beds added"),
    ShelterBedsRemovedV1.ce_type(): N_("Beds removed"),
    ShelterClosedV1.ce_type(): N_("Shelter closed"),
    ShelterClosedV2.ce_type(): N_("Shelter closed"),
    PlacementWaitlistedV1.ce_type(): N_("Put on the housing waitlist"),
    PlacementBedOfferedV1.ce_type(): N_("Bed offered"),
    PlacementOfferDeclinedV1.ce_type(): N_("Bed offer declined"),
    PlacementOfferDeclinedV2.ce_type(): N_("Bed offer declined"),
    PlacementMovedInV1.ce_type(): N_("Moved in"),
    PlacementMovedOutV1.ce_type(): N_("Moved out"),
    PlacementMovedOutV2.ce_type(): N_("Moved out"),
    PlacementLeftWaitlistV1.ce_type(): N_("Left the housing waitlist"),
    PlacementLeftWaitlistV2.ce_type(): N_("Left the housing waitlist"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("housing_error", None): N_("This breaks a rule of fast-track housing."),
    ("invalid_shelter", "name"): N_("Give the shelter's name, in at most 120 characters."),
    ("invalid_shelter", "address_area"): N_(
        "Give the neighbourhood or area, in at most 120 characters, and never a street "
        "address: where a protected setting is must not be written down."
    ),
    ("invalid_shelter", "beds"): N_("A shelter has between 1 and 500 beds."),
    ("invalid_shelter", None): N_("The shelter's details are not valid."),
    ("invalid_bed_change", None): N_(
        "Add or remove between 1 and 200 beds; a shelter has at most 500 beds and keeps at "
        "least one (to take it out of use, close it)."
    ),
    ("beds_occupied", None): N_(
        "Only free beds can be removed, and this shelter has %(free)s: beds offered or "
        "occupied stay."
    ),
    ("shelter_not_empty", None): N_(
        "The shelter still has %(occupied)s beds offered or occupied: it can be closed once "
        "everyone has moved out and every offer is settled."
    ),
    ("shelter_closed", None): N_("The shelter is closed: it takes nobody and its beds stay as "
                                 "they are."),
    ("no_free_bed", None): N_(
        "No free bed: every bed of this shelter is offered or occupied. Choose another shelter, "
        "or wait for a bed to be freed."
    ),
    ("shelter_of_another_city", None): N_(
        "The shelter belongs to another city: a case is housed in its own city's shelters."
    ),
    ("not_eligible_for_housing", None): N_(
        "The case is not eligible for fast-track housing (Sub-Action 4)."
    ),
    ("already_in_housing", None): N_(
        "The case is already on the waitlist, offered a bed or housed."
    ),
    ("not_on_waitlist", None): N_(
        "The case is not waiting on the waitlist: put it on the waitlist first, or, if a bed is "
        "offered to it, record the move-in or the declined offer."
    ),
    ("no_bed_offered", None): N_("No bed is offered to the case."),
    ("not_housed", None): N_("The case has not moved in anywhere: there is no move-out to "
                             "record."),
    ("invalid_housing_date", "moved_in_on"): N_(
        "The move-in date must fall between the day the bed was offered and today."
    ),
    ("invalid_housing_date", "moved_out_on"): N_(
        "The move-out date must fall between the move-in date and today."
    ),
    ("invalid_housing_date", None): N_("The date is not possible for this step."),
    ("invalid_closure_reason", None): N_(
        "Choose why the shelter closes, from the list of reasons."
    ),
    ("invalid_housing_reason", "note"): N_(
        "The note is at most 500 characters, and is needed when the outcome is \"other\"."
    ),
    ("invalid_housing_reason", None): N_("Give the reason, in at most 500 characters."),
    ("housing_busy", None): N_(
        "Many changes to this shelter or case arrived at the same moment: nothing was recorded. "
        "Try again."
    ),
}
