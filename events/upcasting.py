"""Reading old versions of events as the newest (the versioning policy: docs/events.md).

A breaking change to an event is a new contract class, vN+1, with its own CloudEvents type, on
the same subject. Streams LGNET and LGNET_PARTNER are kept forever, so messages of every version
stay in them: a reader parses a message by its `ce-type` (events.catalogue.contract_for) and then
brings it to the newest version here, step by step, so that its code knows one version only.
The same steps are done for stored domain events by the aggregates' `upcast_vN_vN+1` methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from events.audit import AuditCheckpointSignedV1, AuditCheckpointSignedV2
from events.contracts import (
    CaseClosedV1,
    CaseClosedV2,
    CaseConsentGivenV1,
    CaseConsentGivenV2,
    CaseConsentWithdrawnV1,
    CaseConsentWithdrawnV2,
    CaseIntakeCorrectedV1,
    CaseIntakeCorrectedV2,
    CaseIntakeCorrectedV3,
    CaseIntakeRecordedV1,
    CaseIntakeRecordedV2,
    CasePersonalDataErasedV1,
    CasePersonalDataErasedV2,
    CaseReopenedV1,
    CaseReopenedV2,
    EventContract,
)
from events.housing import (
    PlacementLeftWaitlistV1,
    PlacementLeftWaitlistV2,
    PlacementMovedOutV1,
    PlacementMovedOutV2,
    PlacementOfferDeclinedV1,
    PlacementOfferDeclinedV2,
    ShelterClosedV1,
    ShelterClosedV2,
)
from events.programme import ProgrammeCityJoinedV1, ProgrammeCityJoinedV2
from events.referrals import (
    ReferralCompletedV1,
    ReferralCompletedV2,
    ReferralDeclinedV1,
    ReferralDeclinedV2,
    ReferralRequestedV1,
    ReferralRequestedV2,
    ReferralRequestedV3,
    ReferralRequestedV4,
    ReferralWithdrawnV1,
    ReferralWithdrawnV2,
)

# One step per old version: its class, to the function giving the next version.
UPCASTERS: dict[type[EventContract], Callable[[Any], EventContract]] = {
    CasePersonalDataErasedV1: CasePersonalDataErasedV2.from_v1,
    CaseIntakeRecordedV1: CaseIntakeRecordedV2.from_v1,
    CaseIntakeCorrectedV1: CaseIntakeCorrectedV2.from_v1,
    CaseIntakeCorrectedV2: CaseIntakeCorrectedV3.from_v2,
    CaseClosedV1: CaseClosedV2.from_v1,
    CaseReopenedV1: CaseReopenedV2.from_v1,
    ReferralRequestedV1: ReferralRequestedV2.from_v1,
    ReferralRequestedV2: ReferralRequestedV3.from_v2,
    ReferralDeclinedV1: ReferralDeclinedV2.from_v1,
    ReferralCompletedV1: ReferralCompletedV2.from_v1,
    ReferralWithdrawnV1: ReferralWithdrawnV2.from_v1,
    PlacementOfferDeclinedV1: PlacementOfferDeclinedV2.from_v1,
    PlacementMovedOutV1: PlacementMovedOutV2.from_v1,
    PlacementLeftWaitlistV1: PlacementLeftWaitlistV2.from_v1,
    ShelterClosedV1: ShelterClosedV2.from_v1,
    ProgrammeCityJoinedV1: ProgrammeCityJoinedV2.from_v1,
    AuditCheckpointSignedV1: AuditCheckpointSignedV2.from_v1,
    ReferralRequestedV3: ReferralRequestedV4.from_v3,
    CaseConsentGivenV1: CaseConsentGivenV2.from_v1,
    CaseConsentWithdrawnV1: CaseConsentWithdrawnV2.from_v1,
}


def latest(contract: EventContract) -> EventContract:
    """The event as its newest version says it (itself when it is the newest)."""
    step = UPCASTERS.get(type(contract))
    while step is not None:
        contract = step(contract)
        step = UPCASTERS.get(type(contract))
    return contract


def latest_version_of(contract_class: type[EventContract]) -> type[EventContract]:
    """The class old events of `contract_class` are read as."""
    newest = contract_class
    while newest in UPCASTERS:
        newest = _return_type(UPCASTERS[newest])
    return newest


def _return_type(step: Callable[[Any], EventContract]) -> type[EventContract]:
    owner = getattr(step, "__self__", None)
    if not (isinstance(owner, type) and issubclass(owner, EventContract)):
        raise TypeError(f"{step!r}: an upcaster is a classmethod of the class it returns")
    return owner
