"""The cases context's public events."""

from __future__ import annotations

from domain.cases.model import Case
from events.contracts import (
    CaseAgeBandChangedV1,
    CaseCameOfAgeV1,
    CaseClosedV2,
    CaseConsentGivenV2,
    CaseConsentWithdrawnV2,
    CaseGuardianAppointedV1,
    CaseIntakeCorrectedV3,
    CaseIntakeRecordedV2,
    CaseOtherVulnerabilityDescribedV1,
    CasePersonalDataErasedV2,
    CaseReopenedV2,
    CaseStatusChangedV1,
    CaseTransferredV1,
    CaseVulnerabilityAssessedV1,
)
from infra.publishing.event_mapping import PublicEvent

CASE_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(Case.IntakeRecorded, CaseIntakeRecordedV2, id_field="case_id"),
    PublicEvent(Case.PersonalDataErased, CasePersonalDataErasedV2, id_field="case_id"),
    PublicEvent(Case.Closed, CaseClosedV2, id_field="case_id"),
    PublicEvent(Case.Reopened, CaseReopenedV2, id_field="case_id"),
    PublicEvent(Case.IntakeCorrected, CaseIntakeCorrectedV3, id_field="case_id"),
    PublicEvent(Case.Transferred, CaseTransferredV1, id_field="case_id"),
    PublicEvent(Case.StatusChanged, CaseStatusChangedV1, id_field="case_id"),
    PublicEvent(Case.ConsentGiven, CaseConsentGivenV2, id_field="case_id"),
    PublicEvent(Case.ConsentWithdrawn, CaseConsentWithdrawnV2, id_field="case_id"),
    PublicEvent(Case.AgeBandChanged, CaseAgeBandChangedV1, id_field="case_id"),
    PublicEvent(Case.CameOfAge, CaseCameOfAgeV1, id_field="case_id"),
    PublicEvent(Case.GuardianAppointed, CaseGuardianAppointedV1, id_field="case_id"),
    PublicEvent(Case.VulnerabilityAssessed, CaseVulnerabilityAssessedV1, id_field="case_id"),
    PublicEvent(Case.OtherVulnerabilityDescribed, CaseOtherVulnerabilityDescribedV1,
                id_field="case_id"),
)
