"""The words of the activities area: kinds and statuses of activities, their events, their
refusals, and hours as the language writes them."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from domain.activities.model import ActivityKind, ActivityStatus
from events.activities import (
    ActivityCancelledV1,
    ActivityCompletedV1,
    ActivityParticipantEnrolledV1,
    ActivityPlannedV1,
    ActivitySessionHeldV1,
    ActivityStaffTrainedCountedV1,
)
from web.kit.i18n import N_, Translator, number_as

ACTIVITY_KINDS: Mapping[str, str] = {
    ActivityKind.CIVIC_ENGAGEMENT_INITIATIVE: N_("Civic engagement initiative"),
    ActivityKind.COMMUNITY_BUILDING: N_("Community building"),
    ActivityKind.NEIGHBOURHOOD_MEDIATION: N_("Neighbourhood mediation"),
    ActivityKind.INFORMATION_EVENT: N_("Information and awareness event"),
    ActivityKind.STAFF_TRAINING: N_("Training of municipal staff"),
    ActivityKind.OTHER: N_("Other kind of activity"),
}

ACTIVITY_STATUSES: Mapping[str, str] = {
    ActivityStatus.PLANNED: N_("Planned or under way"),
    ActivityStatus.COMPLETED: N_("Activity completed"),
    ActivityStatus.CANCELLED: N_("Activity cancelled"),
}

# Each enum of the area with its labels (checked complete by tests/web/test_translations.py).
LABEL_TABLES: dict[type[StrEnum], Mapping[str, str]] = {
    ActivityKind: ACTIVITY_KINDS,
    ActivityStatus: ACTIVITY_STATUSES,
}
# CloudEvents type -> what the timeline calls the event.
EVENT_TYPES: Mapping[str, str] = {
    ActivityPlannedV1.ce_type(): N_("Activity planned"),
    ActivityParticipantEnrolledV1.ce_type(): N_("Enrolled in a community activity"),
    ActivitySessionHeldV1.ce_type(): N_("Attended a session of a community activity"),
    ActivityCompletedV1.ce_type(): N_("Activity completed"),
    ActivityCancelledV1.ce_type(): N_("Activity cancelled"),
    ActivityStaffTrainedCountedV1.ce_type(): N_("Municipal staff trained counted"),
}
# (domain error code, field or None) -> the message a coordinator reads.
DOMAIN_MESSAGES: dict[tuple[str, str | None], str] = {
    ("invalid_activity", None): N_("The activity's details are not valid."),
    ("invalid_activity", "sub_action"): N_(
        "Community activities belong to Sub-Action 2, 3, 5 or 6: choose one of them."
    ),
    ("invalid_activity", "title"): N_("Give the activity's title, in up to 120 characters."),
    ("invalid_activity", "neighbourhood"): N_(
        "Give the neighbourhood where the activity takes place, in up to 80 characters."
    ),
    ("invalid_activity", "organiser"): N_(
        "Give the organising organisation or office, in up to 120 characters."
    ),
    ("invalid_activity", "starts_on"): N_(
        "The activity must start within the programme, between 1 July 2019 and "
        "31 December 2021."
    ),
    ("invalid_activity", "ends_on"): N_(
        "The activity must end on or after its first day, and by the end of the programme "
        "(31 December 2021)."
    ),
    ("activity_ended", None): N_(
        "The activity is completed or cancelled: nothing more can be recorded on it."
    ),
    ("not_a_case_of_the_city", None): N_(
        "No case of the activity's city has this id or code: only the city's own cases can "
        "be enrolled."
    ),
    ("already_enrolled", None): N_("The case is already enrolled in this activity."),
    # The same words as the case page's eligibility, so the refusal and the page agree.
    ("civic_engagement_reserved", None): N_(
        "Sub-Action 2 is reserved for applicants for international protection (art. 8 of law "
        "46/2017, amending d.lgs. 142/2015), and the person is not an asylum seeker."
    ),
    ("not_eligible_for_sub_action", None): N_(
        "The person is hosted in a reception centre and not about to leave it: Sub-Actions 3 "
        "and 4 are for people who left the reception system or were never in it, and for "
        "people about to leave a centre (the project card)."
    ),
    ("no_enrolment_in_sub_action", None): N_(
        "Sub-Action 5 trains municipal staff and Sub-Action 6 is communication: no case is "
        "enrolled in their activities. Count the participants at each session instead."
    ),
    ("invalid_session", None): N_("The session's details are not valid."),
    ("invalid_session", "held_on"): N_(
        "The session must fall within the activity's dates, and not after today."
    ),
    ("invalid_session", "hours"): N_(
        "A session lasts more than 0 and at most 12 hours, with at most two decimals (1.5, "
        "2.25)."
    ),
    ("invalid_session", "residents"): N_(
        "Count the residents who took part: a whole number from 0 to 10,000."
    ),
    ("invalid_session", "attended"): N_(
        "Tick the enrolled participants who attended, or count the residents: a session "
        "needs at least one participant, and only enrolled ones can be ticked."
    ),
    ("no_session_held", None): N_(
        "No session has been recorded yet: record the sessions held before completing the "
        "activity, or cancel it."
    ),
    ("no_session_held", "staff_trained"): N_(
        "No session has been recorded yet: record the sessions held before counting the staff "
        "they trained."
    ),
    ("not_a_staff_training", None): N_(
        "Only a Sub-Action 5 activity trains municipal staff: count the staff trained on one "
        "of those."
    ),
    ("invalid_staff_count", None): N_(
        "Count the different people trained, from the attendance sheets: at least the largest "
        "session's count (%(least)s) and at most the sessions' counts summed (%(most)s)."
    ),
    ("invalid_cancellation", None): N_(
        "Say why the activity is cancelled, in up to 500 characters."
    ),
}


def hours_in_words(value: Decimal | str, translator: Translator) -> str:
    """Hours as the language writes a decimal number (1,5 in Italian)."""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return number_as(number, "#,##0.##", translator.language)
