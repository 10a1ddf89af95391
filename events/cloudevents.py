"""CloudEvents 1.0 in NATS binary mode: attributes as ``ce-*`` headers, the contract as body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from events.catalogue import contract_for
from events.contracts import EventContract
from events.upcasting import latest

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
# Extension attributes (lowercase alphanumerics, as the spec requires).
POSITION = "ce-lgnetposition"
ACTOR_KIND = "ce-actorkind"
ACTOR_ID = "ce-actorid"
ACTOR_ROLE = "ce-actorrole"
ACTOR_CITY = "ce-actorcity"
# The audit chain (events/audit_chain.py): the event's sequence number in the chain and its hash.
CHAIN_SEQ = "ce-lgnetchainseq"
CHAIN_HASH = "ce-lgnethash"
# The "city" of events about the whole network (audit checkpoints): subject lgnet.network.<...>.
NETWORK = "network"


@dataclass(frozen=True)
class Actor:
    kind: str
    id: str
    role: str
    city: str | None


@dataclass(frozen=True)
class Envelope:
    """One published event as a consumer sees it."""

    id: str
    source: str
    type: str
    subject: str
    time: datetime
    position: int
    actor: Actor
    data: EventContract

    @cached_property
    def utc_time(self) -> str:
        """`utc_text(time)`, made once an envelope though several read models ask (formatting
        it in each was ~8% of a rebuild's applying)."""
        return utc_text(self.time)


def utc_text(moment: datetime) -> str:
    """A moment in UTC as fixed-width text, to the microsecond ("2021-01-02T03:04:05.000006+00:00"),
    so that comparing texts compares instants: as read models store moments."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def source_for(city: str) -> str:
    if city == NETWORK:
        return "/lgnet/network"
    return f"/lgnet/cities/{city}"


def event_id(originator_id: str, originator_version: int) -> str:
    """Stable across republishing: the aggregate and its version, never the store position."""
    return f"{originator_id}.{originator_version}"


def to_headers(envelope: Envelope) -> dict[str, str]:
    headers = {
        "ce-specversion": SPEC_VERSION,
        "ce-id": envelope.id,
        "ce-source": envelope.source,
        "ce-type": envelope.type,
        "ce-subject": envelope.subject,
        "ce-time": envelope.time.isoformat(),
        "ce-datacontenttype": CONTENT_TYPE,
        POSITION: str(envelope.position),
        ACTOR_KIND: envelope.actor.kind,
        ACTOR_ID: envelope.actor.id,
        ACTOR_ROLE: envelope.actor.role,
    }
    if envelope.actor.city:
        headers[ACTOR_CITY] = envelope.actor.city
    return headers


def from_message(headers: dict[str, str], body: bytes) -> Envelope:
    """Parse and validate a message; raises KeyError/ValueError on a malformed one. `data` is
    the body read as the newest version of its contract (events/upcasting.py: the streams keep
    old versions forever); `type` stays the message's own ce-type."""
    contract = contract_for(headers["ce-type"])
    return Envelope(
        id=headers["ce-id"],
        source=headers["ce-source"],
        type=headers["ce-type"],
        subject=headers["ce-subject"],
        time=datetime.fromisoformat(headers["ce-time"]),
        position=int(headers[POSITION]),
        actor=Actor(
            kind=headers[ACTOR_KIND],
            id=headers[ACTOR_ID],
            role=headers[ACTOR_ROLE],
            city=headers.get(ACTOR_CITY),
        ),
        data=latest(contract.model_validate_json(body)),
    )
