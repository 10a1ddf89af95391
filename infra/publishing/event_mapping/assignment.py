"""Case assignment's public events. The assignment aggregate's own id is internal: the event is
about the case (`case_id`), whose code is the CloudEvents subject. Its opening (the default
holder from the intake, which the intake event already says) is internal and not listed."""

from __future__ import annotations

from typing import Any

from domain.assignment.model import CaseAssignment
from events.assignment import CaseAssignedV1
from events.contracts import EventContract
from infra.publishing.event_mapping import PublicEvent


class _AboutTheCase(PublicEvent):
    """The contract's `case_id` is the event's own attribute, not the aggregate's id."""

    def contract_of(self, domain_event: Any) -> EventContract:
        return self.contract.model_validate(
            {name: getattr(domain_event, name) for name in self.contract.model_fields})


ASSIGNMENT_EVENTS: tuple[PublicEvent, ...] = (
    _AboutTheCase(CaseAssignment.Assigned, CaseAssignedV1, id_field="case_id"),
)
