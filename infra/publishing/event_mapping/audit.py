"""The audit trail's public events: signed checkpoints of the audit chain."""

from __future__ import annotations

from domain.audit.model import AuditCheckpoint, AuditKeyRotation
from events.audit import AuditCheckpointSignedV2, AuditKeyRotatedV1
from infra.publishing.event_mapping import PublicEvent

AUDIT_EVENTS: tuple[PublicEvent, ...] = (
    # Its city is "network" (events.cloudevents.NETWORK); its CloudEvents subject is the chain
    # seq signed.
    PublicEvent(AuditCheckpoint.Signed, AuditCheckpointSignedV2, id_field="checkpoint_id",
                subject_attribute="chain_seq"),
    # Its CloudEvents subject is the new key's id.
    PublicEvent(AuditKeyRotation.Rotated, AuditKeyRotatedV1, id_field="rotation_id",
                subject_attribute="new_key_id"),
)
