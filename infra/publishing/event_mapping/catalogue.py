"""Every public domain event, by the event store's topic."""

from __future__ import annotations

from infra.publishing.event_mapping import PublicEvent
from infra.publishing.event_mapping.activities import ACTIVITY_EVENTS
from infra.publishing.event_mapping.assignment import ASSIGNMENT_EVENTS
from infra.publishing.event_mapping.audit import AUDIT_EVENTS
from infra.publishing.event_mapping.cases import CASE_EVENTS
from infra.publishing.event_mapping.deliveries import DELIVERY_EVENTS
from infra.publishing.event_mapping.documents import DOCUMENT_EVENTS
from infra.publishing.event_mapping.finance import FINANCE_EVENTS
from infra.publishing.event_mapping.households import HOUSEHOLD_EVENTS
from infra.publishing.event_mapping.housing import HOUSING_EVENTS
from infra.publishing.event_mapping.identity import IDENTITY_EVENTS
from infra.publishing.event_mapping.notes import NOTE_EVENTS
from infra.publishing.event_mapping.organisations import ORGANISATION_EVENTS
from infra.publishing.event_mapping.plans import PLAN_EVENTS
from infra.publishing.event_mapping.programme import PROGRAMME_EVENTS
from infra.publishing.event_mapping.referrals import REFERRAL_EVENTS

PUBLIC_EVENTS: dict[str, PublicEvent] = {
    public.topic: public
    for public in (*CASE_EVENTS, *REFERRAL_EVENTS, *HOUSING_EVENTS, *ACTIVITY_EVENTS,
                   *AUDIT_EVENTS, *FINANCE_EVENTS, *PROGRAMME_EVENTS, *PLAN_EVENTS,
                   *DOCUMENT_EVENTS, *HOUSEHOLD_EVENTS, *NOTE_EVENTS,
                   *ASSIGNMENT_EVENTS,
                   *DELIVERY_EVENTS,
                   *IDENTITY_EVENTS,
                   *ORGANISATION_EVENTS)
}
