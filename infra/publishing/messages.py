"""From the event store to the bus: each public domain event becomes a NATS message carrying a
CloudEvent (binary mode). This is the one place where domain events meet their contracts.

Two ways to the same bytes:
- the reference path: decode the domain event with the application's mapper, build its pydantic
  contract (validating it), serialise that (`message_via_contract`);
- the fast path the relay runs on: read the stored event's JSON state directly and lay out the
  contract's fields in the contract's order, serialised by pydantic-core's own JSON writer. It
  skips decoding into Python objects and validating, which would otherwise be most of the
  relay's time (docs/benchmarks.md). tests/integration/test_cloudevents.py proves both paths
  give identical subjects, headers and bodies for every public topic with a fast layout, over
  all the enum values.
- every other public topic takes the JSON path: the contract's values taken from the stored
  JSON state (dates, decimals and UUIDs as the JSON strings the contract reads), validated by the
  contract from that JSON, and the message then written by the reference path's own code
  (`_message`). It skips the standard library's JSON decoder with its per-object hook and the
  domain event object, which were most of the reference path's time (`lgnet audit verify`
  rebuilds every event's message); the contract still validates every body.
  tests/integration/test_cloudevents.py proves it gives the reference path's messages for
  every public event of a demo record.
A stored state in a form these paths do not expect (an older class version to upcast, a
compressor or cipher configured, a float, a value the contract refuses, anything they cannot
read) takes the reference path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from operator import itemgetter
from typing import Any
from uuid import UUID

import orjson
import pydantic_core
from eventsourcing.persistence import JSONTranscoder, Mapper, Notification

from domain.cases.model import Case
from events.cloudevents import (
    ACTOR_CITY,
    ACTOR_ID,
    ACTOR_KIND,
    ACTOR_ROLE,
    CONTENT_TYPE,
    POSITION,
    SPEC_VERSION,
    Actor,
    Envelope,
    event_id,
    from_message,
    source_for,
    to_headers,
)
from events.contracts import CaseIntakeRecordedV2, EventContract
from infra.publishing.event_mapping import PublicEvent
from infra.publishing.event_mapping.catalogue import PUBLIC_EVENTS
from infra.publishing.event_mapping.versions import PUBLISHED_BEFORE


def _topic(cls: type[Any]) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


# Internal bookkeeping (case registers, bed bookkeeping, snapshots) is not published: only the
# topics of infra.publishing.event_mapping are.
PUBLIC_TOPICS: tuple[str, ...] = tuple(PUBLIC_EVENTS)


@dataclass(slots=True)
class OutgoingMessage:
    subject: str
    headers: dict[str, str]
    body: bytes
    _envelope: Envelope | None = field(default=None, repr=False, compare=False)

    @property
    def envelope(self) -> Envelope:
        """The CloudEvent as a consumer will parse it (validated against the contract)."""
        if self._envelope is None:
            self._envelope = from_message(self.headers, self.body)
        return self._envelope


# --- the reference path -----------------------------------------------------------------------


def contract_of(domain_event: Any) -> tuple[EventContract, str, str]:
    """The contract for a public domain event, with the city it belongs to and its CE subject."""
    public = PUBLIC_EVENTS.get(_topic(type(domain_event)))
    if public is None:
        raise TypeError(f"No public contract for {type(domain_event).__qualname__}")
    return (
        public.contract_of(domain_event),
        public.city_of(domain_event),
        public.subject_of(domain_event),
    )


def message_via_contract(notification: Notification, mapper: Mapper[UUID]) -> OutgoingMessage:
    """The message built by decoding the domain event and validating its contract."""
    domain_event: Any = mapper.to_domain_event(notification)
    contract, city, subject = contract_of(domain_event)
    return _message(notification, contract, city, subject, domain_event.actor,
                    domain_event.timestamp)


def message_as_first_published(
    notification: Notification, mapper: Mapper[UUID]
) -> OutgoingMessage | None:
    """The message an event stored by an older class version was published as before its
    class changed (the older contract, from the state as stored, not upcast); None when the
    event is stored by the current version or its kind never changed. What the audit chain
    recorded for the events the relay published before an upgrade."""
    public = PUBLIC_EVENTS.get(notification.topic)
    contracts = PUBLISHED_BEFORE.get(notification.topic)
    if public is None or contracts is None:
        return None
    stored = notification.state
    if mapper.cipher:
        stored = mapper.cipher.decrypt(stored)
    if mapper.compressor:
        stored = mapper.compressor.decompress(stored)
    state: dict[str, Any] = mapper.transcoder.decode(stored)
    former = contracts.get(state.pop("class_version", 1))
    if former is None:
        return None
    # A field the class declares as a constant (a checkpoint's city, "network") is not in the
    # stored state: the contract's default, or the class's value, stands for it.
    values = {name: state[name] for name in former.model_fields
              if name != public.id_field and name in state}
    contract = former.model_validate(values | {public.id_field: notification.originator_id})
    city = state.get(public.city_attribute,
                     getattr(public.domain_event, public.city_attribute, None))
    # The aggregate's id (a shelter's events' subject) is the notification's, not the state's.
    subject = (notification.originator_id if public.subject_attribute == "originator_id"
               else state[public.subject_attribute])
    return _message(notification, contract, str(city), str(subject), state["actor"],
                    state["timestamp"])


def _message(
    notification: Notification, contract: EventContract, city: str, subject: str,
    actor: dict[str, Any], time: datetime,
) -> OutgoingMessage:
    envelope = Envelope(
        id=event_id(str(notification.originator_id), notification.originator_version),
        source=source_for(city),
        type=contract.ce_type(),
        subject=subject,
        time=time,
        position=notification.id,
        actor=Actor(kind=actor["kind"], id=actor["id"], role=actor["role"], city=actor["city"]),
        data=contract,
    )
    return OutgoingMessage(
        subject=contract.subject(city),
        headers=to_headers(envelope),
        body=contract.model_dump_json().encode(),
        _envelope=envelope,
    )


# --- the fast path ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FastLayout:
    """How a contract's body is laid out from a stored event's JSON state: the contract's fields
    in order, each the event attribute of the same name, except the one taken from the aggregate
    id. Dates are stored by the transcoder as {"_type_": "date_iso", "_data_": "YYYY-MM-DD"}:
    the ISO string is exactly what pydantic writes for a date. `nested_date_fields` names the
    dates inside lists of objects (`("consents", "given_on")`). Only states stored by the domain
    event's `class_version` are laid out: an older one must be upcast by the mapper first."""

    contract: type[EventContract]
    id_field: str
    date_fields: tuple[str, ...]
    city_field: str
    subject_field: str
    class_version: int = 1
    nested_date_fields: tuple[tuple[str, str], ...] = ()

    @cached_property
    def field_order(self) -> tuple[str, ...]:
        return tuple(self.contract.model_fields)

    @cached_property
    def fields_in_order(self) -> itemgetter[Any]:
        return itemgetter(*self.field_order)

    @cached_property
    def ce_type(self) -> str:
        return self.contract.ce_type()


FAST_LAYOUTS: dict[str, FastLayout] = {
    _topic(Case.IntakeRecorded): FastLayout(
        contract=CaseIntakeRecordedV2,
        id_field="case_id",
        date_fields=("intake_date", "permit_expires_on", "left_reception_on", "planned_exit_on",
                     "information_notice_given_on"),
        city_field="city",
        subject_field="case_code",
        class_version=Case.IntakeRecorded.class_version,
        nested_date_fields=(("consents", "given_on"),),
    ),
}


class _NotFast(Exception):
    """The stored state is not in the form the fast path expects: take the reference path."""


def _fast_message(notification: Notification, layout: FastLayout) -> OutgoingMessage:
    # pydantic-core's parser: the same dicts as json.loads, in half the time.
    state: dict[str, Any] = pydantic_core.from_json(notification.state)
    if state.pop("class_version", 1) != layout.class_version:
        raise _NotFast  # an upcast is due (or a newer class): only the mapper knows how
    timestamp = state["timestamp"]
    if timestamp["_type_"] != "datetime_iso":
        raise _NotFast
    originator_id = str(notification.originator_id)
    # The parsed state is ours to rewrite into the body's values.
    state[layout.id_field] = originator_id
    for name in layout.date_fields:
        stored = state[name]
        if stored is not None:
            if stored["_type_"] != "date_iso":
                raise _NotFast
            state[name] = stored["_data_"]
    for name, inner in layout.nested_date_fields:
        for item in state[name]:
            stored = item[inner]
            if stored["_type_"] != "date_iso":
                raise _NotFast
            item[inner] = stored["_data_"]
    values = layout.fields_in_order(state)
    body = pydantic_core.to_json(dict(zip(layout.field_order, values, strict=True)))

    city = state[layout.city_field]
    actor = state["actor"]
    # The same headers, in the same order, as events.cloudevents.to_headers writes.
    headers = {
        "ce-specversion": SPEC_VERSION,
        "ce-id": event_id(originator_id, notification.originator_version),
        "ce-source": source_for(city),
        "ce-type": layout.ce_type,
        "ce-subject": state[layout.subject_field],
        # datetime.isoformat() as stored: what to_headers writes after decoding it.
        "ce-time": timestamp["_data_"],
        "ce-datacontenttype": CONTENT_TYPE,
        POSITION: str(notification.id),
        ACTOR_KIND: actor["kind"],
        ACTOR_ID: actor["id"],
        ACTOR_ROLE: actor["role"],
    }
    if actor["city"]:
        headers[ACTOR_CITY] = actor["city"]
    return OutgoingMessage(subject=layout.contract.subject(city), headers=headers, body=body)


# --- the JSON path ------------------------------------------------------------------------------

_PLAIN = frozenset({str, int, bool, type(None)})
_UUID_HEX = re.compile("[0-9a-f]{32}")


def _uuid_text(hex_digits: str) -> str:
    """str(UUID(hex=...)) for the 32 lowercase hex digits the transcoder writes."""
    if _UUID_HEX.fullmatch(hex_digits) is None:
        raise _NotFast
    h = hex_digits
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# The transcoder's forms (eventsourcing's and domain.record's) the JSON path reads, each as the
# JSON string a contract validates from (any other form, a frozenset say: the reference path).
_JSON_TEXT: dict[str, Callable[[str], str]] = {
    "date_iso": str, "datetime_iso": str, "decimal_str": str, "uuid_hex": _uuid_text}


def _as_json(value: Any) -> Any:
    """A stored JSON value with the transcoder's {"_type_", "_data_"} forms written as the JSON
    a contract reads them from; _NotFast for a float (the json module and pydantic-core need not
    read every float to the same value) or a form not in _JSON_TEXT."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            data = value["_data_"]
            if type(data) is not str:
                raise _NotFast
            return _JSON_TEXT[value["_type_"]](data)  # KeyError: not one of these forms
        if "_type_" in value:
            raise _NotFast
        return {key: _as_json(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _PLAIN else _as_json(item) for item in value]
    raise _NotFast


def _json_message(notification: Notification, public: PublicEvent) -> OutgoingMessage:
    """`message_via_contract`'s message, with the contract validated from the stored state's
    JSON rather than from the decoded domain event, and its headers written as `to_headers`
    writes them (the envelope is parsed back from the message when asked for)."""
    state: dict[str, Any] = orjson.loads(notification.state)
    if state.pop("class_version", 1) != getattr(public.domain_event, "class_version", 1):
        raise _NotFast  # an upcast is due (or a newer class): only the mapper knows how
    originator_id = str(notification.originator_id)
    id_field = public.id_field
    values = {}
    for name in public.contract.model_fields:
        if name == id_field:
            values[name] = originator_id
        else:
            value = state[name]
            values[name] = value if type(value) in _PLAIN else _as_json(value)
    contract = public.contract.model_validate_json(orjson.dumps(values))
    subject = originator_id if public.subject_attribute == "originator_id" \
        else state[public.subject_attribute]
    if type(subject) is dict:
        subject = _as_json(subject)
    city = state[public.city_attribute]
    timestamp = state["timestamp"]
    actor = state["actor"]
    if type(subject) not in (str, int) or type(city) is not str or type(actor) is not dict \
            or timestamp["_type_"] != "datetime_iso":
        raise _NotFast
    return OutgoingMessage(
        subject=contract.subject(city),
        headers=_headers(notification, originator_id, city, contract.ce_type(), str(subject),
                         datetime.fromisoformat(timestamp["_data_"]).isoformat(), actor),
        body=contract.model_dump_json().encode(),
    )


def _headers(
    notification: Notification, originator_id: str, city: str, ce_type: str, subject: str,
    time: str, actor: dict[str, Any],
) -> dict[str, str]:
    """The same headers, in the same order, as events.cloudevents.to_headers writes."""
    headers = {
        "ce-specversion": SPEC_VERSION,
        "ce-id": event_id(originator_id, notification.originator_version),
        "ce-source": source_for(city),
        "ce-type": ce_type,
        "ce-subject": subject,
        "ce-time": time,
        "ce-datacontenttype": CONTENT_TYPE,
        POSITION: str(notification.id),
        ACTOR_KIND: actor["kind"],
        ACTOR_ID: actor["id"],
        ACTOR_ROLE: actor["role"],
    }
    if actor["city"]:
        headers[ACTOR_CITY] = actor["city"]
    return headers


def to_message(notification: Notification, mapper: Mapper[UUID]) -> OutgoingMessage:
    """The NATS message for a public event: identical to `message_via_contract`, faster."""
    if mapper.cipher or mapper.compressor or not isinstance(mapper.transcoder, JSONTranscoder):
        return message_via_contract(notification, mapper)
    layout = FAST_LAYOUTS.get(notification.topic)
    public = PUBLIC_EVENTS.get(notification.topic)
    try:
        if layout is not None:
            return _fast_message(notification, layout)
        # A mapping of its own (a subclass of PublicEvent) is read by the reference path only.
        if public is not None and type(public) is PublicEvent:
            return _json_message(notification, public)
    except Exception:  # what these paths cannot read, the reference path reads or refuses
        return message_via_contract(notification, mapper)
    return message_via_contract(notification, mapper)
