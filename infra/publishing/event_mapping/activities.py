"""The activities context's public events. An activity is no case's: its CloudEvents subject is
the activity id (the aggregate's id, as text)."""

from __future__ import annotations

from domain.activities.model import Activity
from events.activities import (
    ActivityCancelledV1,
    ActivityCompletedV1,
    ActivityParticipantEnrolledV1,
    ActivityPlannedV1,
    ActivitySessionHeldV1,
    ActivityStaffTrainedCountedV1,
)
from infra.publishing.event_mapping import PublicEvent

_BY_ACTIVITY = {"id_field": "activity_id", "subject_attribute": "originator_id"}

ACTIVITY_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(Activity.Planned, ActivityPlannedV1, **_BY_ACTIVITY),
    PublicEvent(Activity.ParticipantEnrolled, ActivityParticipantEnrolledV1, **_BY_ACTIVITY),
    PublicEvent(Activity.SessionHeld, ActivitySessionHeldV1, **_BY_ACTIVITY),
    PublicEvent(Activity.Completed, ActivityCompletedV1, **_BY_ACTIVITY),
    PublicEvent(Activity.Cancelled, ActivityCancelledV1, **_BY_ACTIVITY),
    PublicEvent(Activity.StaffTrainedCounted, ActivityStaffTrainedCountedV1, **_BY_ACTIVITY),
)
