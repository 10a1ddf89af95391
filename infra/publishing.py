"""From the event store to the bus: each public domain event becomes a NATS message carrying a
CloudEvent (binary mode). This is the one place where domain events meet their contracts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification

from domain.cases.model import Case
from events.cloudevents import Actor, Envelope, event_id, source_for, to_headers
from events.contracts import CaseIntakeRecordedV1, EventContract


def _topic(cls: type[Any]) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


# Internal bookkeeping (case registers, snapshots) is not published: only these topics are.
PUBLIC_TOPICS: tuple[str, ...] = (_topic(Case.IntakeRecorded),)


@dataclass(frozen=True)
class OutgoingMessage:
    subject: str
    headers: dict[str, str]
    body: bytes
    envelope: Envelope


def contract_of(domain_event: Any) -> tuple[EventContract, str, str]:
    """The contract for a public domain event, with the city it belongs to and its CE subject."""
    match domain_event:
        case Case.IntakeRecorded():
            contract = CaseIntakeRecordedV1(
                case_id=domain_event.originator_id,
                case_code=domain_event.case_code,
                city=domain_event.city,
                intake_date=domain_event.intake_date,
                protection_status=domain_event.protection_status,
                reception_situation=domain_event.reception_situation,
                left_reception_on=domain_event.left_reception_on,
                reception_centre_kind=domain_event.reception_centre_kind,
                sex=domain_event.sex,
                age_band=domain_event.age_band,
                nationality=domain_event.nationality,
                household_size=domain_event.household_size,
                vulnerabilities=domain_event.vulnerabilities,
                consent_given_on=domain_event.consent_given_on,
                consent_scopes=domain_event.consent_scopes,
                priority_group=domain_event.priority_group,
                eligibility=domain_event.eligibility,
            )
            return contract, domain_event.city, domain_event.case_code
    raise TypeError(f"No public contract for {type(domain_event).__qualname__}")


def to_message(notification: Notification, mapper: Mapper[UUID]) -> OutgoingMessage:
    domain_event = mapper.to_domain_event(notification)
    contract, city, subject = contract_of(domain_event)
    actor = domain_event.actor
    envelope = Envelope(
        id=event_id(str(notification.originator_id), notification.originator_version),
        source=source_for(city),
        type=contract.ce_type(),
        subject=subject,
        time=domain_event.timestamp,
        position=notification.id,
        actor=Actor(kind=actor["kind"], id=actor["id"], role=actor["role"], city=actor["city"]),
        data=contract,
    )
    return OutgoingMessage(
        subject=contract.subject(city),
        headers=to_headers(envelope),
        body=contract.model_dump_json().encode(),
        envelope=envelope,
    )
