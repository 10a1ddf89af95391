"""The AsyncAPI 3.0.0 document of every event the platform publishes on NATS, written from the
catalogue (events/catalogue.py) and the partner kinds (events/partner.py): a new contract or
partner kind appears in it by itself.

What it describes:
- two servers, one per NATS account: `lgnet` (stream LGNET, internal subjects `lgnet.>`, the
  platform and the read-only observer) and `partners` (stream LGNET_PARTNER, `partner.>`);
- one channel per kind of event and account: `lgnet.{city}.<aggregate>.<event>` and
  `partner.{city}.<aggregate>.<event>`. The version is not in the subject, so a channel holds
  every version of its kind: one message per CloudEvents type (`ce-type`);
- one `receive` operation per channel: consumers receive, nobody but the platform publishes;
- per message, its payload (the contract's JSON Schema) and its headers (the CloudEvents
  attributes in binary mode, as a JSON Schema object).

Payloads are the contracts' JSON Schemas with their `$defs` inlined: a `#/$defs/...` reference
inside an AsyncAPI document would resolve against the document's root, not the schema's. The
schemas as partners fetch them, with their `$defs`, are `json_schemas()` and
`partner_json_schemas()`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from events.catalogue import CONTRACTS
from events.cloudevents import (
    ACTOR_CITY,
    ACTOR_ID,
    ACTOR_KIND,
    ACTOR_ROLE,
    CHAIN_HASH,
    CHAIN_SEQ,
    CONTENT_TYPE,
    NETWORK,
    POSITION,
    SPEC_VERSION,
    source_for,
)
from events.contracts import CITY_SLUG_PATTERN, EventContract
from events.partner import (
    DATASCHEMA,
    PARTNER_HEADERS,
    PARTNER_KINDS,
    PartnerKind,
    dataschema_of,
    partner_subject,
)
from events.partner_chain import (
    PARTNER_CHAIN_PREVIOUS,
    PARTNER_CHAIN_SEQ,
    PARTNER_HEAD_KEY,
    PARTNER_HEAD_SIGNATURE,
)
from events.upcasting import latest_version_of

ASYNCAPI_VERSION = "3.0.0"
INTERNAL_SERVER = "lgnet"
PARTNER_SERVER = "partners"
# When no host is given (a document built without settings): each deployment passes its own
# (infra.nats.credentials.public_nats_hosts, from the settings).
PLACEHOLDER_HOST = "nats.lgnet.example:4222"
CITY_PARAMETER = "city"

MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence"

# A city slug inside a larger pattern (CITY_SLUG_PATTERN without its anchors).
_CITY_PATTERN = CITY_SLUG_PATTERN.removeprefix("^").removesuffix("$")
_DIGITS = "^[1-9][0-9]*$"


def asyncapi_document(
    *, internal_host: str = PLACEHOLDER_HOST, partner_host: str | None = None
) -> dict[str, Any]:
    """The whole AsyncAPI 3.0.0 document, as a JSON-ready dict (the caller's own copy), its
    servers at the deployment's hosts (`host:port`; the partners' the internal one's unless
    given)."""
    document = copy.deepcopy(_document())
    document["servers"][INTERNAL_SERVER]["host"] = internal_host
    document["servers"][PARTNER_SERVER]["host"] = partner_host or internal_host
    return document


@functools.cache
def _document() -> dict[str, Any]:
    # The catalogue is fixed once imported: built once (it takes tens of milliseconds).
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for channel in _channels():
        channels[channel.key] = channel.as_channel()
        operations[f"receive.{channel.key}"] = channel.as_operation()
        for name, message in channel.messages.items():
            messages[name] = message
    body: dict[str, Any] = {
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "parameters": {CITY_PARAMETER: _city_parameter()},
            "securitySchemes": {
                "natsUser": {
                    "type": "userPassword",
                    "description": "A NATS user and password. Partners are given theirs with "
                    "their agreement (docs/partners.md) and must set the inbox prefix "
                    "_INBOX_<user>.",
                }
            },
        },
    }
    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "LGNetEA events",
            # The build metadata changes whenever a channel, message or schema does: a reader
            # caching the schemas knows from it when to fetch them again.
            "version": f"1.0.0+{fingerprint}",
            "description": (
                "Every fact the LGNetEA platform records is published on NATS JetStream as a "
                "CloudEvent in binary mode: the CloudEvents attributes are `ce-*` headers and "
                "the body is the JSON `data`. Internal subjects (`lgnet.>`, stream LGNET) carry "
                "special-category data and are read by the platform and the auditors' "
                "observer only; partner systems read minimised copies on `partner.>` (stream "
                "LGNET_PARTNER), each body following the schema named by `ce-dataschema`. The "
                "version of an event is in `ce-type`, never in the subject; see docs/events.md "
                "for the versioning policy and docs/partners.md for resuming and replaying."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            INTERNAL_SERVER: {
                "host": PLACEHOLDER_HOST,
                "protocol": "nats",
                "title": "Platform account (LGNET)",
                "description": "Stream LGNET, subjects lgnet.>: every event with its "
                "special-category data. Users: the platform and the read-only observer.",
                "security": [{"$ref": "#/components/securitySchemes/natsUser"}],
            },
            PARTNER_SERVER: {
                "host": PLACEHOLDER_HOST,
                "protocol": "nats",
                "title": "Partner account (PARTNERS)",
                "description": "Stream LGNET_PARTNER, subjects partner.>: minimised copies. "
                "Each partner user sees its agreement's cities and kinds only.",
                "security": [{"$ref": "#/components/securitySchemes/natsUser"}],
            },
        },
        **body,
    }


def message_key(ce_type: str, *, partner: bool) -> str:
    """The message's key under components/messages (and in its channel)."""
    return f"partner.{ce_type}" if partner else ce_type


def channel_key(aggregate: str, event: str, *, partner: bool) -> str:
    return f"{PARTNER_SERVER if partner else INTERNAL_SERVER}.{aggregate}.{event}"


# --- channels ---------------------------------------------------------------------------------


class _Channel:
    """One subject pattern, with every version of its kind of event."""

    def __init__(self, key: str, address: str, server: str, description: str) -> None:
        self.key = key
        self.address = address
        self.server = server
        self.description = description
        self.messages: dict[str, dict[str, Any]] = {}

    def as_channel(self) -> dict[str, Any]:
        channel: dict[str, Any] = {
            "address": self.address,
            "description": self.description,
            "messages": {
                name: {"$ref": f"#/components/messages/{name}"} for name in self.messages
            },
            "servers": [{"$ref": f"#/servers/{self.server}"}],
        }
        if "{" + CITY_PARAMETER + "}" in self.address:
            channel["parameters"] = {
                CITY_PARAMETER: {"$ref": f"#/components/parameters/{CITY_PARAMETER}"}
            }
        return channel

    def as_operation(self) -> dict[str, Any]:
        return {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{self.key}"},
            "summary": f"Receive {self.address}",
            "messages": [
                {"$ref": f"#/channels/{self.key}/messages/{name}"} for name in self.messages
            ],
        }


def _channels() -> list[_Channel]:
    channels: dict[str, _Channel] = {}
    for ce_type, contract in sorted(CONTRACTS.items()):
        key = channel_key(contract.aggregate, contract.event, partner=False)
        channel = channels.get(key)
        if channel is None:
            channel = channels[key] = _Channel(
                key,
                contract.subject(_address_city(contract)),
                INTERNAL_SERVER,
                f"Every {contract.aggregate}.{contract.event} event, all its versions, as "
                "recorded (special-category data included). Platform and observer only.",
            )
        channel.messages[message_key(ce_type, partner=False)] = _internal_message(contract)
    for kind in sorted(PARTNER_KINDS.values(), key=lambda kind: kind.partner_ce_type):
        aggregate, event = kind.internal.aggregate, kind.internal.event
        key = channel_key(aggregate, event, partner=True)
        channel = channels.get(key)
        if channel is None:
            channel = channels[key] = _Channel(
                key,
                partner_subject(_address_city(kind.partner), aggregate, event),
                PARTNER_SERVER,
                f"For partners: minimised copies of {aggregate}.{event} events, for the "
                "cities and kinds of each partner's agreement.",
            )
        # Two internal versions may be copied as one partner version: one message.
        for contract in kind.copied_as:
            channel.messages[message_key(contract.ce_type(), partner=True)] = (
                _partner_message(kind, contract))
    return list(channels.values())


def _address_city(contract: type[EventContract]) -> str:
    """What stands for the city in the contract's subject: the `{city}` parameter when the
    contract's city is one of the programme's cities; `network` for a contract without a city
    (an event about the whole network, such as an audit checkpoint); else its one fixed value."""
    city = contract.model_json_schema().get("properties", {}).get("city", {})
    if city.get("pattern") == CITY_SLUG_PATTERN:
        return "{" + CITY_PARAMETER + "}"
    values = _city_values(contract)
    if values is None:
        return NETWORK
    if len(values) == 1:
        return values[0]
    raise ValueError(
        f"{contract.__name__}: its city is one of {values}, neither a programme city nor one "
        "fixed value: give it a subject of its own"
    )


def _city_values(contract: type[EventContract]) -> list[str] | None:
    city = contract.model_json_schema().get("properties", {}).get("city")
    if city is None:
        return None
    if "const" in city:
        return [str(city["const"])]
    if "enum" in city:
        return [str(value) for value in city["enum"]]
    return None


def _city_parameter() -> dict[str, Any]:
    return {
        "description": "The city the event belongs to (for a transferred case: its new city), "
                       "by its slug (lowercase words joined by '-'; AsyncAPI 3 parameters take "
                       "no pattern). The partner cities are the programme's data: "
                       "`programme.established` and `programme.city_joined`.",
        "examples": ["firenze", "milano"],
    }


# --- messages ---------------------------------------------------------------------------------


def _internal_message(contract: type[EventContract]) -> dict[str, Any]:
    ce_type = contract.ce_type()
    newest = latest_version_of(contract)
    superseded = {} if newest is contract else {
        # Old versions stay documented: the stream keeps their messages forever.
        "x-lgnet-superseded-by": newest.ce_type(),
    }
    return {
        "name": ce_type,
        "title": f"{contract.aggregate}.{contract.event} v{contract.version}",
        "summary": _summary(contract),
        "description": _description(contract),
        "contentType": CONTENT_TYPE,
        "headers": _headers_schema(contract, internal_headers(), partner=False),
        "payload": _payload(contract, schema_id=f"urn:lgnet:schema:{ce_type}"),
        "x-lgnet-version": contract.version,
        "x-lgnet-kind": f"{contract.aggregate}.{contract.event}",
        **superseded,
    }


def _partner_message(kind: PartnerKind, contract: type[EventContract]) -> dict[str, Any]:
    return {
        # Not the internal message's name: a code generator keyed by name would otherwise take
        # one schema for the other (issue 19). The type is in the ce-type header's const.
        "name": message_key(contract.ce_type(), partner=True),
        "title": f"{kind.name} v{contract.version} (partner copy)",
        "summary": _summary(contract),
        "description": _description(contract),
        "contentType": CONTENT_TYPE,
        "headers": _headers_schema(contract, partner_headers(), partner=True,
                                   dataschema=dataschema_of(contract)),
        "payload": _payload(contract, schema_id=dataschema_of(contract)),
        "x-lgnet-version": contract.version,
        "x-lgnet-kind": kind.name,
    }


def _summary(contract: type[EventContract]) -> str:
    return _description(contract).split("\n\n")[0].split(". ")[0].rstrip(".") + "."


def _description(contract: type[EventContract]) -> str:
    doc = contract.__doc__ or ""
    # Docstrings are wrapped at 100 columns: unwrap each paragraph.
    paragraphs = [" ".join(part.split()) for part in doc.strip().split("\n\n")]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _payload(contract: type[EventContract], *, schema_id: str) -> dict[str, Any]:
    schema = contract.model_json_schema()
    definitions = schema.pop("$defs", {})
    return {"$id": schema_id, **_inline(schema, definitions)}


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with each `#/$defs/X` reference replaced by X (the contracts hold no
    recursive model, so this ends)."""
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            target = definitions[reference.removeprefix("#/$defs/")]
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            return _inline({**copy.deepcopy(target), **siblings}, definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    return node


# --- headers ----------------------------------------------------------------------------------


def _header_schemas() -> dict[str, dict[str, Any]]:
    """Every header a message may carry, with its schema and meaning (ce-type, ce-source and
    ce-dataschema are narrowed per message)."""
    return {
        "ce-specversion": {"const": SPEC_VERSION, "description": "CloudEvents version"},
        "ce-id": {
            "type": "string", "pattern": r"^\S+\.[0-9]+$",
            "description": "<aggregate id>.<aggregate version>: unique, the same if "
            "republished, the same on the internal message and its partner copy",
        },
        "ce-source": {
            "type": "string", "pattern": f"^/lgnet/cities/{_CITY_PATTERN}$",
            "description": "/lgnet/cities/<city>",
        },
        "ce-type": {
            "type": "string", "description": "it.lgnet.<aggregate>.<event>.v<N>",
        },
        "ce-subject": {
            "type": "string", "minLength": 1,
            "description": "What the event is about: the pseudonymous case code for case "
            "events (e.g. FI-2021-00042)",
        },
        "ce-time": {
            "type": "string", "format": "date-time",
            "description": "When it happened (ISO 8601, with its offset)",
        },
        "ce-datacontenttype": {"const": CONTENT_TYPE, "description": "The body is JSON"},
        POSITION: {
            "type": "string", "pattern": _DIGITS,
            "description": "The event's position in the event store's notification log: "
            "increasing, with gaps",
        },
        ACTOR_KIND: {
            "enum": ["user", "system"], "description": "Who acted: a person or the platform",
        },
        ACTOR_ID: {
            "type": "string", "minLength": 1,
            "description": "Which user (or system process) acted. Internal only",
        },
        ACTOR_ROLE: {
            "type": "string", "pattern": "^[a-z_]+$",
            "description": "The actor's role (city_coordinator, city_operator, ministry, ...)",
        },
        ACTOR_CITY: {
            "type": "string", "pattern": CITY_SLUG_PATTERN,
            "description": "The actor's city; absent for network-wide roles",
        },
        CHAIN_SEQ: {
            "type": "string", "pattern": _DIGITS,
            "description": "The event's number in the audit hash chain (docs/audit.md). "
            "Internal only",
        },
        CHAIN_HASH: {
            "type": "string", "pattern": "^[0-9a-f]{64}$",
            "description": "The audit chain's SHA-256 up to and including this event "
            "(docs/audit.md). Internal only",
        },
        DATASCHEMA: {
            "type": "string",
            "description": "The partner schema the body follows (its $id). Partner copies only",
        },
        MSG_ID: {
            "type": "string", "pattern": r"^lgnet:[1-9][0-9]*$",
            "description": "lgnet:<position>: JetStream drops a republished copy",
        },
        PARTNER_CHAIN_SEQ: {
            "type": "string", "pattern": _DIGITS,
            "description": "The copy's number in its subject's partner chain (docs/partners.md, "
            "'Is my feed complete and authentic?'). Partner copies only (absent on copies made "
            "before partner chains)",
        },
        PARTNER_CHAIN_PREVIOUS: {
            "type": "string", "pattern": "^[0-9a-f]{64}$",
            "description": "The hash of the previous copy of the subject's partner chain (64 "
            "zeros for the first). Partner copies only",
        },
        PARTNER_HEAD_SIGNATURE: {
            "type": "string", "pattern": "^[0-9a-f]{128}$",
            "description": "A signed head: the Ed25519 signature (hex) of the partner chain "
            "up to this copy, by the audit checkpoint key. On some partner copies",
        },
        PARTNER_HEAD_KEY: {
            "type": "string", "minLength": 1,
            "description": "The id of the key that made the signed head. With the signature",
        },
        EXPECTED_LAST_MSG_ID: {
            "type": "string", "pattern": r"^lgnet:[1-9][0-9]*$",
            "description": "Set by the publishers of earlier versions, on the messages they "
            "stored: the stream refused the message unless its last one had this id",
        },
        EXPECTED_LAST_SEQUENCE: {
            "type": "string", "pattern": "^[0-9]+$",
            "description": "Set by the publisher: the stream refuses the message unless its "
            "last sequence is this one (no gap, no reordering)",
        },
    }


def internal_headers() -> tuple[tuple[str, bool], ...]:
    """(header, required) of internal messages, in the order they are written."""
    return (
        ("ce-specversion", True), ("ce-id", True), ("ce-source", True), ("ce-type", True),
        ("ce-subject", True), ("ce-time", True), ("ce-datacontenttype", True),
        (POSITION, True), (ACTOR_KIND, True), (ACTOR_ID, True), (ACTOR_ROLE, True),
        (ACTOR_CITY, False), (CHAIN_SEQ, False), (CHAIN_HASH, False), (MSG_ID, True),
        (EXPECTED_LAST_MSG_ID, False), (EXPECTED_LAST_SEQUENCE, False),
    )


def partner_headers() -> tuple[tuple[str, bool], ...]:
    """(header, required) of partner copies: the feed's whitelist (events/partner.py), the
    dataschema and the stream's own headers."""
    optional = {ACTOR_CITY}
    return (
        *((name, name not in optional) for name in PARTNER_HEADERS),
        (DATASCHEMA, True), (MSG_ID, True),
        (EXPECTED_LAST_MSG_ID, False), (EXPECTED_LAST_SEQUENCE, False),
        (PARTNER_CHAIN_SEQ, False), (PARTNER_CHAIN_PREVIOUS, False),
        (PARTNER_HEAD_SIGNATURE, False), (PARTNER_HEAD_KEY, False),
    )


def _headers_schema(
    contract: type[EventContract],
    headers: Iterable[tuple[str, bool]],
    *,
    partner: bool,
    dataschema: str | None = None,
) -> dict[str, Any]:
    known = _header_schemas()
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, is_required in headers:
        properties[name] = dict(known[name])
        if is_required:
            required.append(name)
    properties["ce-type"] = {**properties["ce-type"], "const": contract.ce_type()}
    fixed_city = _address_city(contract)
    if not fixed_city.startswith("{"):
        properties["ce-source"] = {
            "const": source_for(fixed_city),
            "description": "The network as a whole" if fixed_city == NETWORK else fixed_city,
        }
    if dataschema is not None:
        properties[DATASCHEMA] = {**properties[DATASCHEMA], "const": dataschema}
    return {
        "type": "object",
        "description": (
            "CloudEvents 1.0 attributes (binary mode) and JetStream headers of a partner copy."
            if partner else
            "CloudEvents 1.0 attributes (binary mode) and JetStream headers."
        ),
        "properties": properties,
        "required": required,
        # Closed: a header not listed here is a leak (partner copies) or an undocumented change.
        "additionalProperties": False,
    }
