"""The minimised event contracts partners receive (events/partner.py), and the agreements and
permissions that give them access (infra/nats/auth.py), checked without a server."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

import jsonschema
import pydantic
import pytest
import yaml

from events.catalogue import CONTRACTS
from events.cloudevents import Actor, Envelope, event_id, source_for, to_headers
from events.contracts import (
    CaseIntakeRecordedV1,
    CasePersonalDataErasedV1,
    Eligibility,
    EventContract,
)
from events.partner import (
    DATASCHEMA,
    PARTNER_KINDS,
    NotAPartnerMessage,
    PartnerKind,
    partner_json_schemas,
    partner_message,
    read_partner_message,
)
from infra.nats.auth import (
    CLUSTER_CONFIG_FILE,
    CLUSTER_PARTNERS_FILE,
    DEMO_PARTNER,
    NatsAuthError,
    PartnerAccess,
    cluster_config,
    load_partners,
    observer_permissions,
    partner_permissions,
    password_variable,
    subject_covers,
)

ROOT = Path(__file__).resolve().parents[2]
# Attributes a partner copy must never carry, at any depth: special-category data, the
# eligibility reason, which says "vulnerable" for Sub-Action 3, and the erasure request's number.
FORBIDDEN_PROPERTIES = {"vulnerabilities", "reason", "request_reference"}


def a_vulnerable_intake() -> CaseIntakeRecordedV1:
    return CaseIntakeRecordedV1(
        case_id=UUID(int=42),
        case_code="FI-2021-00042",
        city="firenze",
        intake_date=date(2021, 3, 10),
        protection_status="asylum_seeker",
        reception_situation="left_reception",
        left_reception_on=date(2021, 1, 15),
        reception_centre_kind="cas",
        sex="female",
        age_band="25-34",
        nationality="ER",
        household_size=2,
        vulnerabilities=["trafficking_victim", "serious_illness"],
        consent_given_on=date(2021, 3, 10),
        consent_scopes=["case_management", "referral_to_partners"],
        priority_group="other_outside_reception",
        eligibility=[
            Eligibility(sub_action="2", eligible=True, reason="asylum_seeker"),
            Eligibility(sub_action="3", eligible=True, reason="vulnerable"),
            Eligibility(sub_action="4", eligible=True, reason="outside_reception"),
        ],
    )


def internal_message(event: EventContract) -> tuple[dict[str, str], bytes]:
    envelope = Envelope(
        id=event_id(str(UUID(int=42)), 1),
        source=source_for("firenze"),
        type=event.ce_type(),
        subject="FI-2021-00042",
        time=datetime(2021, 3, 10, 9, 30, tzinfo=UTC),
        position=1234,
        actor=Actor(kind="user", id="coordinator-7", role="city_coordinator", city="firenze"),
        data=event,
    )
    headers = to_headers(envelope)
    headers["Nats-Msg-Id"] = "lgnet:1234"
    headers["Nats-Expected-Last-Msg-Id"] = "lgnet:1200"
    return headers, event.model_dump_json().encode()


# --- the minimised contracts ------------------------------------------------------------------


def test_the_partner_copy_of_an_intake_keeps_what_partners_need_and_no_special_category() -> None:
    intake = a_vulnerable_intake()
    kind = PARTNER_KINDS[intake.ce_type()]
    copy = kind.partner_copy(intake).model_dump(mode="json")
    internal = intake.model_dump(mode="json")

    assert set(internal) - set(copy) == {"vulnerabilities", "consent_given_on"}
    assert copy["eligibility"] == [
        {"sub_action": "2", "eligible": True},
        {"sub_action": "3", "eligible": True},
        {"sub_action": "4", "eligible": True},
    ]
    for name in set(copy) - {"eligibility"}:
        assert copy[name] == internal[name], name
    text = json.dumps(copy)
    for word in ("vulnerab", "trafficking", "serious_illness"):
        assert word not in text


def test_the_partner_copy_of_an_erasure_leaves_out_the_request_reference() -> None:
    erasure = CasePersonalDataErasedV1(
        case_id=UUID(int=42), case_code="FI-2021-00042", city="firenze",
        requested_on=date(2021, 4, 2), request_reference="PG/2021/0012345",
    )
    copy = PARTNER_KINDS[erasure.ce_type()].partner_copy(erasure).model_dump(mode="json")
    assert copy == {"case_id": str(UUID(int=42)), "case_code": "FI-2021-00042",
                    "city": "firenze", "requested_on": "2021-04-02"}


def _property_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties", {}))
        for value in schema.values():
            names |= _property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            names |= _property_names(value)
    return names


def _objects(schema: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(schema, dict):
        if "properties" in schema:
            found.append(schema)
        for value in schema.values():
            found += _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _objects(value)
    return found


@pytest.mark.parametrize("ce_type", sorted(partner_json_schemas()))
def test_no_partner_schema_can_carry_a_special_category_attribute(ce_type: str) -> None:
    schema = partner_json_schemas()[ce_type]
    assert _property_names(schema) & FORBIDDEN_PROPERTIES == set()
    # Closed at every level: no attribute can ride along unlisted.
    assert all(obj.get("additionalProperties") is False for obj in _objects(schema))


@pytest.mark.parametrize("ce_type", sorted(PARTNER_KINDS))
def test_a_partner_kind_keeps_the_internal_type_and_names_its_schema(ce_type: str) -> None:
    kind = PARTNER_KINDS[ce_type]
    assert ce_type in CONTRACTS and CONTRACTS[ce_type] is kind.internal
    # The same type, or an older version of the same kind (docs/events.md, versioning).
    copied_as = kind.partner.ce_type()
    assert copied_as.rsplit(".", 1)[0] == ce_type.rsplit(".", 1)[0]
    assert kind.partner.version <= kind.internal.version and copied_as in CONTRACTS
    assert re.fullmatch(r"it\.lgnet\.[a-z_]+\.[a-z_]+\.v\d+", ce_type)
    assert kind.dataschema == f"urn:lgnet:schema:partner:{copied_as}"
    assert partner_json_schemas()[copied_as]["$id"] == kind.dataschema
    # The default minimising keeps the partner contract's fields: they must all be internal.
    # (A kind that says the event in an older version's terms has its own function, and the
    # partner version that can say everything, whose fields are internal ones.)
    kept_as_is = kind.partner if kind.in_partner_terms is None else kind.successor
    assert kept_as_is is not None
    assert set(kept_as_is.model_fields) <= set(kind.internal.model_fields)


def test_a_partner_kind_must_keep_the_internal_type() -> None:
    class SomethingElseV2(EventContract):
        aggregate: ClassVar[str] = "case"
        event: ClassVar[str] = "intake_recorded"
        version: ClassVar[int] = 2

    with pytest.raises(ValueError, match="must keep the CloudEvents type"):
        PartnerKind(internal=CaseIntakeRecordedV1, partner=SomethingElseV2)


def test_the_partner_message_has_its_subject_headers_and_minimised_body() -> None:
    headers, body = internal_message(a_vulnerable_intake())
    message = partner_message(headers, body)
    assert message is not None

    assert message.subject == "partner.firenze.case.intake_recorded"
    assert message.headers[DATASCHEMA] == (
        "urn:lgnet:schema:partner:it.lgnet.case.intake_recorded.v1"
    )
    for kept in ("ce-specversion", "ce-id", "ce-source", "ce-type", "ce-subject", "ce-time",
                 "ce-datacontenttype", "ce-lgnetposition", "ce-actorkind", "ce-actorrole",
                 "ce-actorcity"):
        assert message.headers[kept] == headers[kept], kept
    # Which staff member acted is not a partner's business; the bus's own headers are not theirs.
    assert "ce-actorid" not in message.headers
    assert not any(name.startswith("Nats-") for name in message.headers)
    data = json.loads(message.body)
    jsonschema.validate(data, partner_json_schemas()[headers["ce-type"]])
    assert "vulnerabilities" not in data
    assert read_partner_message(message.headers, message.body).model_dump(mode="json") == data


def test_events_partners_do_not_receive_have_no_partner_copy() -> None:
    headers, body = internal_message(a_vulnerable_intake())
    headers["ce-type"] = "it.lgnet.case.register_opened.v1"
    assert partner_message(headers, body) is None


def test_a_malformed_internal_event_is_not_passed_on_half_minimised() -> None:
    headers, body = internal_message(a_vulnerable_intake())
    broken = json.loads(body)
    del broken["city"]
    with pytest.raises(pydantic.ValidationError):
        partner_message(headers, json.dumps(broken).encode())


def test_a_partner_reading_an_internal_body_or_another_schema_is_refused() -> None:
    headers, body = internal_message(a_vulnerable_intake())
    message = partner_message(headers, body)
    assert message is not None
    with pytest.raises(pydantic.ValidationError):  # the internal body has more than allowed
        read_partner_message(message.headers, body)
    with pytest.raises(NotAPartnerMessage):
        read_partner_message(headers, message.body)  # no ce-dataschema: an internal message
    wrong = {**message.headers, DATASCHEMA: "urn:lgnet:schema:it.lgnet.case.intake_recorded.v1"}
    with pytest.raises(NotAPartnerMessage):
        read_partner_message(wrong, message.body)


# --- partner agreements and their permissions -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cities", "kinds"),
    [("Acme", ("firenze",), ("case.intake_recorded",)),  # upper case
     ("acme.x", ("firenze",), ("case.intake_recorded",)),  # a dot would split a subject token
     ("acme_x", ("firenze",), ("case.intake_recorded",)),  # '_' would share a variable name
     ("observer", ("firenze",), ("case.intake_recorded",)),  # an internal user
     # Not a city slug (whether a slug names a city of the network is checked where an
    # agreement is made: `lgnet nats partner-add` reads the programme's terms).
    ("acme", ("Firenze",), ("case.intake_recorded",)),
     ("acme", ("firenze",), ("case.vulnerabilities_assessed",)),  # not a partner kind
     ("acme", ("firenze",), (">",)),
     ("acme", ("firenze",), ("*.*",)),
     ("acme", ("firenze",), ("shelter.*",)),  # no partner kind of that aggregate (yet)
     ("acme", ("*",), ("case.intake_recorded",)),
     ("acme", (), ("case.intake_recorded",))],
)
def test_an_agreement_beyond_what_partners_may_have_is_refused(
    name: str, cities: tuple[str, ...], kinds: tuple[str, ...]
) -> None:
    with pytest.raises(NatsAuthError):
        PartnerAccess(name=name, cities=cities, kinds=kinds)


def test_a_partner_may_only_pull_ack_and_read_the_info_of_its_own_consumer() -> None:
    """Issue 18 item 2: partners create no consumer (a consumer they made could push to another
    partner's subjects); the platform makes theirs (infra/nats/partner_consumers.py)."""
    partner = PartnerAccess(name="acme", cities=("firenze",), kinds=("case.intake_recorded",))
    permissions = partner_permissions(partner)
    assert permissions["subscribe"]["allow"] == [
        "partner.firenze.case.intake_recorded", "_INBOX_acme.>"
    ]
    assert permissions["publish"]["allow"] == [
        "$JS.API.CONSUMER.INFO.LGNET_PARTNER.acme",
        "$JS.API.CONSUMER.MSG.NEXT.LGNET_PARTNER.acme",
        "$JS.ACK.LGNET_PARTNER.acme.>",
    ]


def test_wildcard_kinds_cover_an_aggregate_or_every_partner_kind_of_the_city() -> None:
    partner = PartnerAccess(name="acme", cities=("firenze", "milano"), kinds=("case.*",))
    assert partner.subjects() == ["partner.firenze.case.*", "partner.milano.case.*"]
    assert partner.consumer_filters() == partner.subjects()
    everything = PartnerAccess(name="acme", cities=("roma",), kinds=("*",))
    assert everything.subjects() == ["partner.roma.>"]
    assert everything.consumer_filters() == ["partner.roma.>"]


def test_a_consumers_filters_leave_out_the_subjects_another_covers() -> None:
    # A consumer's filters must not overlap (nats-server refuses them).
    partner = PartnerAccess(name="acme", cities=("firenze", "bologna"),
                            kinds=("case.intake_recorded", "case.*", "*"))
    assert partner.consumer_filters() == ["partner.firenze.>", "partner.bologna.>"]
    assert partner.consumer_name == "acme"
    assert subject_covers("partner.firenze.case.*", "partner.firenze.case.intake_recorded")
    assert not subject_covers("partner.firenze.case.intake_recorded", "partner.firenze.case.*")
    assert not subject_covers("partner.firenze.>", "partner.firenze")
    assert not subject_covers("partner.*.case.*", "partner.>")


def test_the_observer_reads_lgnet_and_publishes_no_event() -> None:
    permissions = observer_permissions()
    assert permissions["subscribe"]["allow"] == ["lgnet.>", "_INBOX_observer.>"]
    for subject in permissions["publish"]["allow"]:
        assert subject.startswith(("$JS.API.", "$JS.ACK.", "$JS.FC.")), subject
        assert ".LGNET_PARTNER" not in subject
        for word in ("DELETE.LGNET", "PURGE", "UPDATE", "STREAM.CREATE"):
            assert word not in subject or subject.endswith(".observer"), subject
    # No server-named consumer creation: its request body may name the projector's consumer.
    assert "$JS.API.CONSUMER.CREATE.LGNET" not in permissions["publish"]["allow"]
    # No other consumer's info or configuration (issue 18 item 1: they name delivery inboxes).
    assert "$JS.API.CONSUMER.INFO.LGNET.observer" in permissions["publish"]["allow"]
    assert not [s for s in permissions["publish"]["allow"] if s.endswith(".*") and ".INFO." in s]
    assert "$JS.API.CONSUMER.LIST.LGNET" not in permissions["publish"]["allow"]


def test_the_committed_cluster_configuration_is_rendered_from_the_committed_partner_list() -> None:
    assert CLUSTER_CONFIG_FILE.read_text() == cluster_config(load_partners(CLUSTER_PARTNERS_FILE))
    assert DEMO_PARTNER in load_partners(CLUSTER_PARTNERS_FILE)


def test_every_nats_service_of_compose_gets_every_password_its_configuration_reads() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    # Unquoted $NAME: an environment variable (quoted "$JS.API..." are subjects).
    variables = set(re.findall(r"^\s*\w+: \$([A-Z0-9_]+)$", CLUSTER_CONFIG_FILE.read_text(),
                               flags=re.MULTILINE))
    partners = load_partners(CLUSTER_PARTNERS_FILE)
    assert variables == {password_variable(user) for user in (
        "lgnet-platform", "observer", "lgnet-partner-feed", *(p.name for p in partners))}
    for name in ("nats-1", "nats-2", "nats-3"):
        service = compose["services"][name]
        assert variables <= set(service["environment"]), name
        # TLS wraps the permissions: lgnet-tls.conf includes lgnet.conf (cluster.conf).
        assert "/etc/nats/lgnet-tls.conf" in service["command"]
        assert any(str(volume).startswith("./infra/nats/cluster.conf:")
                   for volume in service["volumes"]), name
    for name in ("web", "relay", "projector", "partner-feed"):
        environment = compose["services"][name]["environment"]
        servers = environment["LGNET_NATS_URL"].split(",")
        assert all(s.startswith("tls://lgnet-platform:${LGNET_NATS_PLATFORM_PASSWORD}@")
                   for s in servers), name
    feed_servers = compose["services"]["partner-feed"]["environment"]["LGNET_PARTNER_NATS_URL"]
    assert all(s.startswith("tls://lgnet-partner-feed:${LGNET_NATS_FEED_PASSWORD}@")
               for s in feed_servers.split(","))
