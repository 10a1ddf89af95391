"""The audit trail's public events: signed checkpoints of the audit chain."""

from __future__ import annotations

from domain.audit.model import AuditCheckpoint
from events.audit import AuditCheckpointSignedV2
from infra.publishing.event_mapping import PublicEvent

AUDIT_EVENTS: tuple[PublicEvent, ...] = (
    # Its city is "network" (events.cloudevents.NETWORK); its CloudEvents subject is the chain
    # seq signed.
    PublicEvent(AuditCheckpoint.Signed, AuditCheckpointSignedV2, id_field="checkpoint_id",
                subject_attribute="chain_seq"),
)
