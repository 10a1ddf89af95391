"""The referrals context's public events. The referral's id goes to `referral_id`; the city is
the referring city, and the case code the CloudEvents subject. The per-case index of pending
referrals (domain.referrals.model.CaseReferrals) is internal and not listed."""

from __future__ import annotations

from domain.referrals.model import Referral
from events.referrals import (
    ReferralAcceptedV1,
    ReferralCompletedV2,
    ReferralDeclinedV2,
    ReferralRequestedV4,
    ReferralWithdrawnV2,
)
from infra.publishing.event_mapping import PublicEvent

REFERRAL_EVENTS: tuple[PublicEvent, ...] = (
    PublicEvent(Referral.Requested, ReferralRequestedV4, id_field="referral_id"),
    PublicEvent(Referral.Accepted, ReferralAcceptedV1, id_field="referral_id"),
    PublicEvent(Referral.Declined, ReferralDeclinedV2, id_field="referral_id"),
    PublicEvent(Referral.Completed, ReferralCompletedV2, id_field="referral_id"),
    PublicEvent(Referral.Withdrawn, ReferralWithdrawnV2, id_field="referral_id"),
)
