"""The AsyncAPI document (events/asyncapi.py) pinned where the mutation pass of issue 20 found it
loose: what a reader of the document is told (servers, headers, channels, messages), text
included, since the document is the partners' reference."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import pytest

from events import asyncapi
from events.asyncapi import (
    _address_city,
    _description,
    _document,
    _header_schemas,
    _headers_schema,
    _inline,
    _summary,
    asyncapi_document,
    channel_key,
    internal_headers,
    message_key,
    partner_headers,
)
from events.audit import AuditCheckpointSignedV2
from events.contracts import (
    CaseClosedV1,
    CaseClosedV2,
    CaseIntakeRecordedV1,
    CaseIntakeRecordedV2,
    EventContract,
)
from events.partner import PartnerCaseIntakeRecordedV1, PartnerCaseIntakeRecordedV2, PartnerKind
from tests.unit.test_events_mutants_partner import _NowhereV1

HEADER_SCHEMAS: dict[str, dict[str, Any]] = {
    "ce-specversion": {"const": "1.0", "description": "CloudEvents version"},
    "ce-id": {
        "type": "string",
        "pattern": "^\\S+\\.[0-9]+$",
        "description": "<aggregate id>.<aggregate version>: unique, the same if "
        "republished, the same on the internal message and its partner "
        "copy",
    },
    "ce-source": {
        "type": "string",
        "pattern": "^/lgnet/cities/[a-z]+(-[a-z]+)*$",
        "description": "/lgnet/cities/<city>",
    },
    "ce-type": {"type": "string", "description": "it.lgnet.<aggregate>.<event>.v<N>"},
    "ce-subject": {
        "type": "string",
        "minLength": 1,
        "description": "What the event is about: the pseudonymous case code for case "
        "events (e.g. FI-2021-00042)",
    },
    "ce-time": {
        "type": "string",
        "format": "date-time",
        "description": "When it happened (ISO 8601, with its offset)",
    },
    "ce-datacontenttype": {"const": "application/json", "description": "The body is JSON"},
    "ce-lgnetposition": {
        "type": "string",
        "pattern": "^[1-9][0-9]*$",
        "description": "The event's position in the event store's notification "
        "log: increasing, with gaps",
    },
    "ce-actorkind": {
        "enum": ["user", "system"],
        "description": "Who acted: a person or the platform",
    },
    "ce-actorid": {
        "type": "string",
        "minLength": 1,
        "description": "Which user (or system process) acted. Internal only",
    },
    "ce-actorrole": {
        "type": "string",
        "pattern": "^[a-z_]+$",
        "description": "The actor's role (city_coordinator, city_operator, ministry, ...)",
    },
    "ce-actorcity": {
        "type": "string",
        "pattern": "^[a-z]+(-[a-z]+)*$",
        "description": "The actor's city; absent for network-wide roles",
    },
    "ce-lgnetchainseq": {
        "type": "string",
        "pattern": "^[1-9][0-9]*$",
        "description": "The event's number in the audit hash chain (docs/audit.md). Internal only",
    },
    "ce-lgnethash": {
        "type": "string",
        "pattern": "^[0-9a-f]{64}$",
        "description": "The audit chain's SHA-256 up to and including this event "
        "(docs/audit.md). Internal only",
    },
    "ce-dataschema": {
        "type": "string",
        "description": "The partner schema the body follows (its $id). Partner copies only",
    },
    "Nats-Msg-Id": {
        "type": "string",
        "pattern": "^lgnet:[1-9][0-9]*$",
        "description": "lgnet:<position>: JetStream drops a republished copy",
    },
    "ce-lgnetpartnerseq": {
        "type": "string",
        "pattern": "^[1-9][0-9]*$",
        "description": "The copy's number in its subject's partner chain "
        "(docs/partners.md, 'Is my feed complete and "
        "authentic?'). Partner copies only (absent on copies "
        "made before partner chains)",
    },
    "ce-lgnetpartnerprev": {
        "type": "string",
        "pattern": "^[0-9a-f]{64}$",
        "description": "The hash of the previous copy of the subject's "
        "partner chain (64 zeros for the first). Partner "
        "copies only",
    },
    "ce-lgnetpartnersig": {
        "type": "string",
        "pattern": "^[0-9a-f]{128}$",
        "description": "A signed head: the Ed25519 signature (hex) of the "
        "partner chain up to this copy, by the audit "
        "checkpoint key. On some partner copies",
    },
    "ce-lgnetpartnerkey": {
        "type": "string",
        "minLength": 1,
        "description": "The id of the key that made the signed head. With the signature",
    },
    "Nats-Expected-Last-Msg-Id": {
        "type": "string",
        "pattern": "^lgnet:[1-9][0-9]*$",
        "description": "Set by the publishers of earlier versions, on the messages they "
        "stored: the stream refused the message unless its last one had this id",
    },
    "Nats-Expected-Last-Sequence": {
        "type": "string",
        "pattern": "^[0-9]+$",
        "description": "Set by the publisher: the stream refuses the message unless its "
        "last sequence is this one (no gap, no reordering)",
    },
}
INTERNAL_REQUIRED = [
    "ce-specversion",
    "ce-id",
    "ce-source",
    "ce-type",
    "ce-subject",
    "ce-time",
    "ce-datacontenttype",
    "ce-lgnetposition",
    "ce-actorkind",
    "ce-actorid",
    "ce-actorrole",
    "Nats-Msg-Id",
]
INTERNAL_OPTIONAL = [
    "ce-actorcity",
    "ce-lgnetchainseq",
    "ce-lgnethash",
    "Nats-Expected-Last-Msg-Id",
    "Nats-Expected-Last-Sequence",
]
PARTNER_REQUIRED = [
    "ce-specversion",
    "ce-id",
    "ce-source",
    "ce-type",
    "ce-subject",
    "ce-time",
    "ce-datacontenttype",
    "ce-lgnetposition",
    "ce-actorkind",
    "ce-actorrole",
    "ce-dataschema",
    "Nats-Msg-Id",
]
PARTNER_OPTIONAL = [
    "ce-actorcity",
    "Nats-Expected-Last-Msg-Id",
    "Nats-Expected-Last-Sequence",
    "ce-lgnetpartnerseq",
    "ce-lgnetpartnerprev",
    "ce-lgnetpartnersig",
    "ce-lgnetpartnerkey",
]
NATS_USER = [{"$ref": "#/components/securitySchemes/natsUser"}]


@pytest.fixture(autouse=True)
def _built_afresh() -> Iterator[None]:
    """Each test builds the document itself rather than reading the process's cached one (so
    that a change to how it is built shows here, whichever test built it first), and leaves no
    document behind (one built from a registry of its own would be every later test's)."""
    _document.cache_clear()
    yield
    _document.cache_clear()


@pytest.fixture
def document() -> dict[str, Any]:
    return asyncapi_document()


def test_the_header_table_is_the_documented_one() -> None:
    assert _header_schemas() == HEADER_SCHEMAS


def test_which_headers_each_side_carries_and_which_are_required() -> None:
    assert [name for name, required in internal_headers() if required] == INTERNAL_REQUIRED
    assert [name for name, required in internal_headers() if not required] == INTERNAL_OPTIONAL
    assert [name for name, required in partner_headers() if required] == PARTNER_REQUIRED
    assert [name for name, required in partner_headers() if not required] == PARTNER_OPTIONAL
    assert [name for name, _ in internal_headers()][:11] == [
        "ce-specversion",
        "ce-id",
        "ce-source",
        "ce-type",
        "ce-subject",
        "ce-time",
        "ce-datacontenttype",
        "ce-lgnetposition",
        "ce-actorkind",
        "ce-actorid",
        "ce-actorrole",
    ]


def test_the_document_s_head_servers_and_components(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["defaultContentType"] == "application/json"
    body = {key: document[key] for key in ("channels", "operations", "components")}
    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    assert document["info"] == {
        "title": "LGNetEA events",
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
    }
    assert document["servers"] == {
        "lgnet": {
            "host": "nats.lgnet.example:4222",
            "protocol": "nats",
            "title": "Platform account (LGNET)",
            "description": "Stream LGNET, subjects lgnet.>: every event with its "
            "special-category data. Users: the platform and the read-only observer.",
            "security": NATS_USER,
        },
        "partners": {
            "host": "nats.lgnet.example:4222",
            "protocol": "nats",
            "title": "Partner account (PARTNERS)",
            "description": "Stream LGNET_PARTNER, subjects partner.>: minimised copies. "
            "Each partner user sees its agreement's cities and kinds only.",
            "security": NATS_USER,
        },
    }
    components = document["components"]
    assert set(components) == {"messages", "parameters", "securitySchemes"}
    assert components["parameters"] == {
        "city": {
            "description": "The city the event belongs to (for a transferred case: its new city), "
            "by its slug (lowercase words joined by '-'; AsyncAPI 3 parameters take "
            "no pattern). The partner cities are the programme's data: "
            "`programme.established` and `programme.city_joined`.",
            "examples": ["firenze", "milano"],
        }
    }
    assert components["securitySchemes"] == {
        "natsUser": {
            "type": "userPassword",
            "description": "A NATS user and password. Partners are given theirs with their "
            "agreement (docs/partners.md) and must set the inbox prefix _INBOX_<user>.",
        }
    }


def test_each_call_gets_its_own_copy_with_its_hosts() -> None:
    mine = asyncapi_document(internal_host="a:1")
    assert mine["servers"]["lgnet"]["host"] == mine["servers"]["partners"]["host"] == "a:1"
    both = asyncapi_document(internal_host="a:1", partner_host="b:2")
    assert (both["servers"]["lgnet"]["host"], both["servers"]["partners"]["host"]) == ("a:1", "b:2")
    mine["channels"].clear()
    assert asyncapi_document()["channels"]
    assert asyncapi_document()["servers"]["lgnet"]["host"] == "nats.lgnet.example:4222"


def test_an_internal_channel_its_operation_and_its_messages(document: dict[str, Any]) -> None:
    key = channel_key("case", "closed", partner=False)
    assert key == "lgnet.case.closed"
    refs = {
        name: {"$ref": f"#/components/messages/{name}"}
        for name in ("it.lgnet.case.closed.v1", "it.lgnet.case.closed.v2")
    }
    assert document["channels"][key] == {
        "address": "lgnet.{city}.case.closed",
        "description": "Every case.closed event, all its versions, as recorded "
        "(special-category data included). Platform and observer only.",
        "messages": refs,
        "servers": [{"$ref": "#/servers/lgnet"}],
        "parameters": {"city": {"$ref": "#/components/parameters/city"}},
    }
    assert document["operations"]["receive.lgnet.case.closed"] == {
        "action": "receive",
        "channel": {"$ref": "#/channels/lgnet.case.closed"},
        "summary": "Receive lgnet.{city}.case.closed",
        "messages": [{"$ref": f"#/channels/lgnet.case.closed/messages/{name}"} for name in refs],
    }
    old = document["components"]["messages"]["it.lgnet.case.closed.v1"]
    assert {k: v for k, v in old.items() if k not in ("headers", "payload")} == {
        "name": "it.lgnet.case.closed.v1",
        "title": "case.closed v1",
        "summary": "A city closed a case, with the outcome and why.",
        "description": "A city closed a case, with the outcome and why. Nothing is deleted: "
        "the case can be reopened, and every figure keeps it.",
        "contentType": "application/json",
        "x-lgnet-version": 1,
        "x-lgnet-kind": "case.closed",
        "x-lgnet-superseded-by": "it.lgnet.case.closed.v2",
    }
    assert old["payload"]["$id"] == "urn:lgnet:schema:it.lgnet.case.closed.v1"
    assert old["payload"]["properties"] == {**CaseClosedV1.model_json_schema()["properties"]}
    newest = document["components"]["messages"]["it.lgnet.case.closed.v2"]
    assert "x-lgnet-superseded-by" not in newest and newest["x-lgnet-version"] == 2
    headers = old["headers"]
    assert headers["description"] == (
        "CloudEvents 1.0 attributes (binary mode) and JetStream headers."
    )
    assert headers["type"] == "object" and headers["additionalProperties"] is False
    assert headers["required"] == INTERNAL_REQUIRED
    assert list(headers["properties"]) == [
        *INTERNAL_REQUIRED[:11],
        "ce-actorcity",
        "ce-lgnetchainseq",
        "ce-lgnethash",
        "Nats-Msg-Id",
        "Nats-Expected-Last-Msg-Id",
        "Nats-Expected-Last-Sequence",
    ]
    expected = {name: HEADER_SCHEMAS[name] for name in headers["properties"]}
    expected["ce-type"] = {**HEADER_SCHEMAS["ce-type"], "const": "it.lgnet.case.closed.v1"}
    assert headers["properties"] == expected
    assert CaseClosedV2.ce_type() in document["components"]["messages"]


def test_a_network_channel_has_a_fixed_address_and_source(document: dict[str, Any]) -> None:
    channel = document["channels"]["lgnet.audit.checkpoint_signed"]
    assert channel["address"] == "lgnet.network.audit.checkpoint_signed"
    assert "parameters" not in channel
    message = document["components"]["messages"][AuditCheckpointSignedV2.ce_type()]
    assert message["headers"]["properties"]["ce-source"] == {
        "const": "/lgnet/network",
        "description": "The network as a whole",
    }
    assert message["x-lgnet-kind"] == "audit.checkpoint_signed"


def test_a_partner_channel_and_message(document: dict[str, Any]) -> None:
    key = channel_key("case", "intake_recorded", partner=True)
    assert key == "partners.case.intake_recorded"
    names = [message_key(f"it.lgnet.case.intake_recorded.v{n}", partner=True) for n in (1, 2)]
    assert names == [
        "partner.it.lgnet.case.intake_recorded.v1",
        "partner.it.lgnet.case.intake_recorded.v2",
    ]
    assert message_key("it.lgnet.case.closed.v1", partner=False) == "it.lgnet.case.closed.v1"
    assert document["channels"][key] == {
        "address": "partner.{city}.case.intake_recorded",
        "description": "For partners: minimised copies of case.intake_recorded events, for the "
        "cities and kinds of each partner's agreement.",
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "servers": [{"$ref": "#/servers/partners"}],
        "parameters": {"city": {"$ref": "#/components/parameters/city"}},
    }
    message = document["components"]["messages"][names[1]]
    schema = "urn:lgnet:schema:partner:it.lgnet.case.intake_recorded.v2"
    assert {k: v for k, v in message.items() if k not in ("headers", "payload")} == {
        "name": names[1],
        "title": "case.intake_recorded v2 (partner copy)",
        "summary": _summary(PartnerCaseIntakeRecordedV2),
        "description": _description(PartnerCaseIntakeRecordedV2),
        "contentType": "application/json",
        "x-lgnet-version": 2,
        "x-lgnet-kind": "case.intake_recorded",
    }
    assert message["payload"]["$id"] == schema
    headers = message["headers"]
    assert headers["description"] == (
        "CloudEvents 1.0 attributes (binary mode) and JetStream headers of a partner copy."
    )
    assert headers["required"] == PARTNER_REQUIRED and headers["additionalProperties"] is False
    expected = {name: HEADER_SCHEMAS[name] for name, _ in partner_headers()}
    expected["ce-type"] = {**HEADER_SCHEMAS["ce-type"], "const": "it.lgnet.case.intake_recorded.v2"}
    expected["ce-dataschema"] = {**HEADER_SCHEMAS["ce-dataschema"], "const": schema}
    assert headers["properties"] == expected
    assert "ce-actorid" not in headers["properties"]


def test_a_summary_is_the_first_sentence_of_the_unwrapped_docstring() -> None:
    class NoteV1(EventContract):
        """First sentence. Second
        sentence.

        Another   paragraph,
        wrapped."""

        aggregate: ClassVar[str] = "note"
        event: ClassVar[str] = "made"
        version: ClassVar[int] = 1

    assert _description(NoteV1) == "First sentence. Second sentence.\n\nAnother paragraph, wrapped."
    assert _summary(NoteV1) == "First sentence."

    class BareV1(EventContract):
        aggregate: ClassVar[str] = "bare"
        event: ClassVar[str] = "made"
        version: ClassVar[int] = 1

    BareV1.__doc__ = None
    assert _description(BareV1) == "" and _summary(BareV1) == "."


class _Fixed(EventContract):
    aggregate: ClassVar[str] = "thing"
    event: ClassVar[str] = "made"
    version: ClassVar[int] = 1

    city: Literal["roma"] = "roma"


class _Two(EventContract):
    aggregate: ClassVar[str] = "thing"
    event: ClassVar[str] = "made"
    version: ClassVar[int] = 1

    city: Literal["roma", "bari"]


class _Free(EventContract):
    aggregate: ClassVar[str] = "thing"
    event: ClassVar[str] = "made"
    version: ClassVar[int] = 1

    city: str


def test_the_city_in_an_address_is_the_parameter_the_network_or_one_fixed_value() -> None:
    assert _address_city(CaseClosedV1) == "{city}"
    assert _address_city(AuditCheckpointSignedV2) == "network"  # a const "network"
    assert _address_city(_Fixed) == "roma"
    assert _address_city(_Free) == "network"  # no pattern, const or enum: the network's
    with pytest.raises(ValueError) as refused:
        _address_city(_Two)
    assert str(refused.value) == (
        "_Two: its city is one of ['roma', 'bari'], neither a programme city nor one fixed "
        "value: give it a subject of its own"
    )


def test_references_are_inlined_with_their_siblings_at_any_depth() -> None:
    definitions: dict[str, Any] = {
        "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
        "B": {"type": "integer"},
    }
    node = {"x": [{"$ref": "#/$defs/A", "description": "kept"}, 3], "y": {"$ref": "elsewhere"}}
    assert _inline(node, definitions) == {
        "x": [
            {"type": "object", "properties": {"b": {"type": "integer"}}, "description": "kept"},
            3,
        ],
        "y": {"$ref": "elsewhere"},
    }
    assert definitions["A"]["properties"]["b"] == {"$ref": "#/$defs/B"}  # not changed
    assert _inline({"$ref": 7}, {}) == {"$ref": 7}


# --- left by the whole-tree mutation run of 7 December 2026 ----------------------------------


def test_a_one_sentence_summary_keeps_its_last_letter_and_only_one_full_stop() -> None:
    class OneV1(EventContract):
        """Sent to the city of case MI-X.

        More. Text."""

        aggregate: ClassVar[str] = "one"
        event: ClassVar[str] = "made"
        version: ClassVar[int] = 1

    assert _summary(OneV1) == "Sent to the city of case MI-X."


def test_a_contract_without_a_city_is_the_network_s_and_a_fixed_city_describes_its_source(
) -> None:
    assert _address_city(_NowhereV1) == "network"  # no city field at all
    assert _headers_schema(_Fixed, internal_headers(), partner=False)["properties"][
        "ce-source"]["description"] == "roma"
    assert _headers_schema(AuditCheckpointSignedV2, internal_headers(), partner=False)[
        "properties"]["ce-source"]["description"] == "The network as a whole"


def test_two_partner_kinds_of_one_internal_event_share_its_channel_with_every_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Today's registry has one partner kind per internal version, the last listing every
    partner version its subject carries; with another shape (here each kind copying its own
    version only), a channel made afresh for the second kind would lose the first one's
    message (the survivors of the mutation run, docs/mutation-survivors/domain-and-events.md,
    `_channels` 49 and 50)."""
    registry = {kind.ce_type: kind for kind in (
        PartnerKind(internal=CaseIntakeRecordedV1, partner=PartnerCaseIntakeRecordedV1),
        PartnerKind(internal=CaseIntakeRecordedV2, partner=PartnerCaseIntakeRecordedV2),
    )}
    monkeypatch.setattr(asyncapi, "PARTNER_KINDS", registry)

    document = asyncapi_document()

    names = [message_key(f"it.lgnet.case.intake_recorded.v{n}", partner=True) for n in (1, 2)]
    channel = document["channels"][channel_key("case", "intake_recorded", partner=True)]
    assert channel["messages"] == {name: {"$ref": f"#/components/messages/{name}"}
                                   for name in names}
    assert [key for key in document["channels"] if key.startswith("partners.")] == [
        "partners.case.intake_recorded"]
