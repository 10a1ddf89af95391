"""From domain events to their published contracts: one table per context.

A public domain event's attributes carry the contract's field names, so the mapping is a table
rather than code: each `PublicEvent` names the domain event class, its contract, the contract
field that takes the aggregate's id, and the attributes that give the event's city (its NATS
subject and CloudEvents source) and its CloudEvents subject (the case code for everything that
happens to a case). Domain events not listed here (case-number registers, bed bookkeeping,
snapshots) are internal and never published."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events.contracts import EventContract


@dataclass(frozen=True)
class PublicEvent:
    domain_event: type[Any]
    contract: type[EventContract]
    id_field: str
    city_attribute: str = "city"
    subject_attribute: str = "case_code"

    @property
    def topic(self) -> str:
        """The event store's name for the domain event's class."""
        return f"{self.domain_event.__module__}:{self.domain_event.__qualname__}"

    def contract_of(self, domain_event: Any) -> EventContract:
        """The contract, validated, from the domain event's attributes of the same names."""
        values = {
            name: getattr(domain_event, name)
            for name in self.contract.model_fields
            if name != self.id_field
        }
        values[self.id_field] = domain_event.originator_id
        return self.contract.model_validate(values)

    def city_of(self, domain_event: Any) -> str:
        city: str = getattr(domain_event, self.city_attribute)
        return city

    def subject_of(self, domain_event: Any) -> str:
        return str(getattr(domain_event, self.subject_attribute))
