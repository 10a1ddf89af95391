"""The cases context's public events."""

from __future__ import annotations

from domain.cases.model import Case
from events.contracts import (
    CaseClosedV1,
    CaseIntakeCorrectedV1,
    CaseIntakeRecordedV1,
    CasePersonalDataErasedV2,
    CaseReopenedV1,
    CaseTransferredV1,
)
from infra.publishing.event_mapping import PublicEvent

CASE_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(Case.IntakeRecorded, CaseIntakeRecordedV1, id_field="case_id"),
    PublicEvent(Case.PersonalDataErased, CasePersonalDataErasedV2, id_field="case_id"),
    PublicEvent(Case.Closed, CaseClosedV1, id_field="case_id"),
    PublicEvent(Case.Reopened, CaseReopenedV1, id_field="case_id"),
    PublicEvent(Case.IntakeCorrected, CaseIntakeCorrectedV1, id_field="case_id"),
    PublicEvent(Case.Transferred, CaseTransferredV1, id_field="case_id"),
)
