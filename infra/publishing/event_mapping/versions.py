"""The contracts events were published as before their class got a new version.

The relay publishes every event in the newest version of its contract, upcasting what older
code stored (docs/events.md, "Versioning"). The audit chain, though, recorded the events
published before an upgrade as they were then: `lgnet audit verify` recomputes those from their
state as stored (not upcast) with the contract of their stored class version, listed here."""

from __future__ import annotations

from typing import Any

from domain.amendments.model import ProgrammeTerms
from domain.audit.model import AuditCheckpoint
from domain.cases.model import Case
from domain.housing.model import HousingPath, Shelter
from domain.referrals.model import Referral
from events.audit import AuditCheckpointSignedV1
from events.contracts import (
    CaseClosedV1,
    CaseConsentGivenV1,
    CaseConsentWithdrawnV1,
    CaseIntakeCorrectedV1,
    CaseIntakeCorrectedV2,
    CaseIntakeRecordedV1,
    CasePersonalDataErasedV1,
    CaseReopenedV1,
    EventContract,
)
from events.housing import (
    PlacementLeftWaitlistV1,
    PlacementMovedOutV1,
    PlacementOfferDeclinedV1,
    ShelterClosedV1,
)
from events.programme import ProgrammeCityJoinedV1
from events.referrals import (
    ReferralCompletedV1,
    ReferralDeclinedV1,
    ReferralRequestedV1,
    ReferralRequestedV2,
    ReferralRequestedV3,
    ReferralWithdrawnV1,
)


def _topic(cls: type[Any]) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


PUBLISHED_BEFORE: dict[str, dict[int, type[EventContract]]] = {
    _topic(Case.IntakeRecorded): {1: CaseIntakeRecordedV1},
    _topic(Case.IntakeCorrected): {1: CaseIntakeCorrectedV1, 2: CaseIntakeCorrectedV2},
    _topic(Case.Closed): {1: CaseClosedV1},
    _topic(Case.Reopened): {1: CaseReopenedV1},
    _topic(Case.PersonalDataErased): {1: CasePersonalDataErasedV1},
    _topic(Referral.Requested): {1: ReferralRequestedV1, 2: ReferralRequestedV2,
                                 3: ReferralRequestedV3},
    _topic(Referral.Declined): {1: ReferralDeclinedV1},
    _topic(Referral.Completed): {1: ReferralCompletedV1},
    _topic(Referral.Withdrawn): {1: ReferralWithdrawnV1},
    _topic(HousingPath.OfferDeclined): {1: PlacementOfferDeclinedV1},
    _topic(HousingPath.MovedOut): {1: PlacementMovedOutV1},
    _topic(HousingPath.LeftWaitlist): {1: PlacementLeftWaitlistV1},
    _topic(Shelter.Closed): {1: ShelterClosedV1},
    _topic(ProgrammeTerms.CityJoined): {1: ProgrammeCityJoinedV1},
    _topic(AuditCheckpoint.Signed): {1: AuditCheckpointSignedV1},
    _topic(Case.ConsentGiven): {1: CaseConsentGivenV1},
    _topic(Case.ConsentWithdrawn): {1: CaseConsentWithdrawnV1},
}
