"""The AsyncAPI document served to partners' developers: the readable page and the raw one."""

from __future__ import annotations

import yaml

from events.asyncapi import asyncapi_document
from events.catalogue import CONTRACTS
from events.partner import PARTNER_KINDS
from tests.web.conftest import Clients


def test_the_raw_document_is_served_as_json_and_yaml_to_anyone(clients: Clients) -> None:
    anonymous = clients.anonymous()
    as_json = anonymous.get("/docs/events/asyncapi.json")
    as_yaml = anonymous.get("/docs/events/asyncapi.yaml")

    assert as_json.status_code == 200
    assert as_json.headers["content-type"].startswith("application/json")
    # The servers are the deployment's NATS (issue 19: not the placeholder host).
    hosts = {name: server["host"] for name, server in as_json.json()["servers"].items()}
    assert hosts == {"lgnet": "127.0.0.1:4333", "partners": "127.0.0.1:4333"}
    served = asyncapi_document(internal_host="127.0.0.1:4333")
    assert as_json.json() == served
    assert as_yaml.status_code == 200
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == served


def test_the_page_shows_every_channel_message_field_and_header_in_italian_or_english(
    clients: Clients,
) -> None:
    italian = clients.anonymous().get("/docs/events")
    english = clients.anonymous().get("/docs/events", params={"lang": "en"})

    assert italian.status_code == 200
    assert "Eventi su NATS" in italian.text
    assert "Subject per i partner" in italian.text
    assert "Events on NATS" in english.text
    assert "Partner subjects" in english.text
    addresses = {channel["address"] for channel in asyncapi_document()["channels"].values()}
    for address in addresses:
        assert f"<code>{address}</code>" in english.text
    for ce_type, contract in CONTRACTS.items():
        assert any(address.endswith(f".{contract.aggregate}.{contract.event}")
                   for address in addresses), ce_type
        assert f"<code>{ce_type}</code>" in english.text
        for field in contract.model_fields:
            assert f"<code>{field}</code>" in english.text, (ce_type, field)
    for kind in PARTNER_KINDS.values():
        assert f"<code>partner.{{city}}.{kind.name}</code>" in english.text
        assert f"<code>{kind.dataschema}</code>" in english.text
    for header in ("ce-type", "ce-dataschema", "ce-lgnethash", "ce-actorid", "Nats-Msg-Id"):
        assert f"<code>{header}</code>" in english.text
    assert 'href="/docs/events/asyncapi.json"' in english.text
    # An old version stays documented, marked as superseded.
    assert "Superseded by it.lgnet.case.personal_data_erased.v2" in english.text
    assert "Sostituita da it.lgnet.case.personal_data_erased.v2" in italian.text
    # The partner copy of an intake has no vulnerabilities: the page says what partners get.
    partner_section = english.text.split('id="partner-subjects"')[1].split(
        'id="internal-subjects"')[0]
    assert "<code>vulnerabilities</code>" not in partner_section
    assert "<code>ce-actorid</code>" not in partner_section
    assert "<code>vulnerabilities</code>" in english.text.split('id="internal-subjects"')[1]
