"""The words of households: relationships to the head, reasons for leaving, the events and the
refusals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.households.model import DepartureReason, Relationship
from events.households import (
    HouseholdFormedV1,
    HouseholdHeadChangedV1,
    HouseholdMemberJoinedV1,
    HouseholdMemberLeftV1,
    ShelterHouseholdBedsOfferedV1,
)
from web.kit.i18n import N_

RELATIONSHIPS: Mapping[str, str] = {
    Relationship.HEAD: N_("Head of household"),
    Relationship.SPOUSE_PARTNER: N_("Spouse or partner"),
    Relationship.CHILD: N_("Child"),
    Relationship.PARENT: N_("Parent"),
    Relationship.SIBLING: N_("Brother or sister"),
    Relationship.OTHER_RELATIVE: N_("Other relative"),
    Relationship.OTHER: N_("Other (not a relative)"),
}
DEPARTURE_REASONS: Mapping[str, str] = {
    DepartureReason.MOVED_AWAY: N_("Moved away"),
    DepartureReason.FORMED_OWN_HOUSEHOLD: N_("Formed a household of their own"),
    DepartureReason.CASE_TRANSFERRED: N_("Case transferred to another city"),
    DepartureReason.DECEASED: N_("Deceased"),
    DepartureReason.RECORDED_IN_ERROR: N_("Recorded in error"),
    DepartureReason.OTHER: N_("Other reason"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    Relationship: RELATIONSHIPS,
    DepartureReason: DEPARTURE_REASONS,
}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {
    HouseholdFormedV1.ce_type(): N_("Household formed"),
    HouseholdMemberJoinedV1.ce_type(): N_("Joined a household"),
    HouseholdMemberLeftV1.ce_type(): N_("Left the household"),
    HouseholdHeadChangedV1.ce_type(): N_("Became head of household"),
    ShelterHouseholdBedsOfferedV1.ce_type(): N_("Beds offered to a household"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("household_of_another_city", None): N_(
        "The case belongs to another city: a household brings together cases of one city."
    ),
    ("already_in_a_household", None): N_(
        "The case is already a member of a household: a person belongs to one household at a "
        "time. Record that they left it first."
    ),
    ("not_a_household_member", None): N_("The case is not a member of this household."),
    ("no_household_with_member", None): N_(
        "No case of the city with this code is a member of a household: give the case code of "
        "a member of the household to join (such as MI-2021-00042)."
    ),
    ("not_in_a_household", None): N_("The case is not a member of any household."),
    ("household_ended", None): N_(
        "Every member has left this household: start a new household instead."
    ),
    ("household_full", None): N_("A household has at most %(max_members)s members."),
    ("head_must_stay", None): N_(
        "The head of household leaves last: first make another member head of household."
    ),
    ("invalid_household_date", "joined_on"): N_(
        "The date of joining cannot be in the future, before the household was formed, or "
        "before the day the person left their previous household."
    ),
    ("invalid_household_date", "formed_on"): N_(
        "The household cannot be recorded as living together from a day in the future."
    ),
    ("invalid_household_date", "left_on"): N_(
        "The date of leaving cannot be in the future or before the day the person joined."
    ),
    ("invalid_household_date", "changed_on"): N_(
        "The date cannot be in the future or before the day the new head joined the household."
    ),
    ("invalid_household_date", None): N_("The date is not possible for this step."),
    ("invalid_relationship", None): N_(
        "A household has exactly one head: the other members are recorded with their "
        "relationship to the head."
    ),
    ("not_enough_free_beds", None): N_(
        "The household needs %(needed)s beds in one shelter and this shelter has %(free)s free: "
        "nothing was reserved. A household is housed together or not at all: choose a shelter "
        "with enough free beds."
    ),
    ("household_member_not_waiting", None): N_(
        "Case %(case_code)s of the household is not waiting on the housing waitlist: put every "
        "member on the waitlist (or record their pending offer) first. Nothing was reserved."
    ),
    ("empty_household", None): N_("The household has no members left."),
}
