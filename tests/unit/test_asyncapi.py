"""The AsyncAPI document (events/asyncapi.py) and the check that every message published in the
suite follows it (tests/contract_check.py)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import nats
import nats.js.errors
import pytest
import yaml

from events.asyncapi import asyncapi_document
from events.catalogue import CONTRACTS
from events.cloudevents import CHAIN_HASH, CHAIN_SEQ, NETWORK, to_headers
from events.partner import DATASCHEMA, PARTNER_KINDS, partner_message
from infra.nats.server import EmbeddedNats
from infra.nats.streams import MSG_ID, ensure_stream
from tests.contract_check import ContractCheck, contract_check
from tests.unit.test_projections import an_envelope, an_intake_recorded

ROOT = Path(__file__).resolve().parents[2]
# The official JSON Schema of AsyncAPI 3.0.0 ships in the npm package @asyncapi/specs (no PyPI
# package carries it): used when installed in node_modules, or found at LGNET_ASYNCAPI_SCHEMA.
OFFICIAL_SCHEMA = Path(os.environ.get("LGNET_ASYNCAPI_SCHEMA") or (
    ROOT / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0.json"))
# AsyncAPI 3.0.0: keys of channels, operations and components match this.
KEY = re.compile(r"^[\w\d.\-_]+$")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document()


def resolve(document: dict[str, Any], reference: str) -> Any:
    assert reference.startswith("#/"), reference
    node: Any = document
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if isinstance(node, dict) and set(node) == {"$ref"}:
        return resolve(document, node["$ref"])
    return node


def references_in(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in references_in(value)]
    if isinstance(node, list):
        return [r for item in node for r in references_in(item)]
    return []


def an_intake_message(**overrides: Any) -> tuple[str, dict[str, str], bytes]:
    """An internal intake message as the relay writes it (chain headers included)."""
    envelope = an_envelope(an_intake_recorded(7, "firenze", **overrides), position=7)
    headers = {**to_headers(envelope), MSG_ID: "lgnet:7", CHAIN_SEQ: "7",
               CHAIN_HASH: "ab" * 32}
    return "lgnet.firenze.case.intake_recorded", headers, envelope.data.model_dump_json().encode()


# --- the document -----------------------------------------------------------------------------


def test_the_document_is_asyncapi_3_with_one_receive_operation_per_channel(
    document: dict[str, Any],
) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert {server["protocol"] for server in document["servers"].values()} == {"nats"}
    assert document["defaultContentType"] == "application/json"
    assert set(document["operations"]) == {f"receive.{key}" for key in document["channels"]}
    for key, operation in document["operations"].items():
        assert operation["action"] == "receive"
        channel = resolve(document, operation["channel"]["$ref"])
        assert [resolve(document, m["$ref"]) for m in operation["messages"]] == [
            resolve(document, m["$ref"]) for m in channel["messages"].values()
        ], key
    for section in ("channels", "operations"):
        assert all(KEY.match(key) for key in document[section]), section
    for section, entries in document["components"].items():
        assert all(KEY.match(key) for key in entries), section
    for reference in references_in(document):
        resolve(document, reference)  # raises KeyError when it points nowhere
    # The cities are the programme's data (the ministry admits new ones): no enumeration a
    # partner's generated code would have to be regenerated for.
    assert "enum" not in document["components"]["parameters"]["city"]


def test_every_contract_and_partner_kind_is_a_message_of_its_subjects_channel(
    document: dict[str, Any],
) -> None:
    by_address = {channel["address"]: channel for channel in document["channels"].values()}
    for ce_type, contract in CONTRACTS.items():
        # Events of the whole network (audit checkpoints, the programme's terms) have it in
        # place of a city.
        city = NETWORK if contract.aggregate in ("audit", "programme") or (
            "city" in contract.model_fields
            and contract.model_fields["city"].default == NETWORK) else "{city}"
        channel = by_address[contract.subject(city)]
        message = resolve(document, channel["messages"][ce_type]["$ref"])
        assert message["name"] == ce_type
        assert message["headers"]["properties"]["ce-type"]["const"] == ce_type
        assert set(message["payload"]["properties"]) == set(contract.model_fields)
        assert message["payload"]["additionalProperties"] is False
    for kind in PARTNER_KINDS.values():
        channel = by_address[f"partner.{{city}}.{kind.name}"]
        message = resolve(document, channel["messages"][f"partner.{kind.partner_ce_type}"]["$ref"])
        assert message["payload"]["$id"] == kind.dataschema
        assert message["headers"]["properties"][DATASCHEMA]["const"] == kind.dataschema
        assert set(message["payload"]["properties"]) == set(kind.partner.model_fields)


def test_headers_are_closed_objects_internal_ones_with_the_chain_partner_ones_minimised(
    document: dict[str, Any],
) -> None:
    for name, message in document["components"]["messages"].items():
        headers = message["headers"]
        assert headers["type"] == "object" and headers["additionalProperties"] is False
        assert {"ce-id", "ce-type", "ce-source", "ce-time", "Nats-Msg-Id"} <= set(
            headers["required"])
        if name.startswith("partner."):
            assert "ce-actorid" not in headers["properties"]
            assert CHAIN_HASH not in headers["properties"]
            assert DATASCHEMA in headers["required"]
        else:
            assert {CHAIN_SEQ, CHAIN_HASH, "ce-actorid"} <= set(headers["properties"])
            assert DATASCHEMA not in headers["properties"]


def test_payloads_hold_no_reference_the_document_could_misread(document: dict[str, Any]) -> None:
    for message in document["components"]["messages"].values():
        assert "$defs" not in message["payload"]
        assert references_in(message["payload"]) == []


@pytest.mark.skipif(not OFFICIAL_SCHEMA.exists(), reason="the official AsyncAPI 3.0.0 JSON "
                    "Schema is not installed (npm package @asyncapi/specs)")
def test_the_document_validates_against_the_official_asyncapi_3_schema(
    document: dict[str, Any],
) -> None:
    official = json.loads(OFFICIAL_SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(official)(official)
    assert [error.message for error in validator.iter_errors(document)] == []
    broken = asyncapi_document()
    next(iter(broken["operations"].values()))["action"] = "subscribe"  # AsyncAPI 2 wording
    assert list(validator.iter_errors(broken)) != []


# --- the check of published messages ----------------------------------------------------------


def test_the_check_accepts_the_relays_messages_and_their_partner_copies() -> None:
    check = ContractCheck(asyncapi_document())
    subject, headers, body = an_intake_message(vulnerabilities=["trafficking_victim"])
    copy = partner_message(headers, body)
    assert copy is not None

    assert check.problems_with(subject, headers, body) == []
    assert check.problems_with(copy.subject, {**copy.headers, MSG_ID: "lgnet:7"}, copy.body) == []
    assert check.problems_with("unrelated.subject", {}, b"not json") == []


def test_the_check_names_what_is_wrong_with_a_message() -> None:
    check = ContractCheck(asyncapi_document())
    subject, headers, body = an_intake_message()
    data = json.loads(body)
    copy = partner_message(headers, body)
    assert copy is not None
    partner_headers = {**copy.headers, MSG_ID: "lgnet:7"}

    def problems(subject: str, headers: dict[str, str], data: Any) -> str:
        return "\n".join(check.problems_with(subject, headers, json.dumps(data).encode()))

    assert "household_size" in problems(subject, headers, {**data, "household_size": 0})
    assert '"vulnerabilities" is a required property' in problems(
        subject, headers, {k: v for k, v in data.items() if k != "vulnerabilities"})
    assert "intake_date" in problems(subject, headers, {**data, "intake_date": "2021-02-30"})
    # A partner copy that leaks special-category data, or an internal header.
    assert "vulnerabilities" in problems(copy.subject, partner_headers,
                                         {**json.loads(copy.body), "vulnerabilities": []})
    assert "ce-actorid" in problems(copy.subject, {**partner_headers, "ce-actorid": "u1"},
                                    json.loads(copy.body))
    assert "ce-dataschema" in problems(
        copy.subject, {k: v for k, v in partner_headers.items() if k != DATASCHEMA},
        json.loads(copy.body))
    # Headers, subject and type must agree with the document.
    assert "ce-lgnethash" in problems(subject, {**headers, CHAIN_HASH: "not-hex"}, data)
    assert "no channel" in problems("lgnet.firenze.case.intake_recoded", headers, data)
    assert "no channel" in problems("lgnet.Atlantis.case.intake_recorded", headers, data)
    # Any city slug has a channel (the ministry admits new cities); its messages must agree.
    assert "is not the subject's city" in problems(
        "lgnet.atlantis.case.intake_recorded", headers, data)
    wrong_city = problems("lgnet.milano.case.intake_recorded", headers, data)
    assert "ce-source '/lgnet/cities/firenze' is not the subject's city" in wrong_city
    assert "body city 'firenze' is not the subject's city" in wrong_city
    assert "not a message of this channel" in problems(
        "lgnet.firenze.case.closed", headers, data)
    assert "not JSON" in "\n".join(check.problems_with(subject, headers, b"{"))


@pytest.mark.nats
async def test_an_invalid_message_published_to_nats_is_reported_and_a_refused_one_is_not(
    nats_server: EmbeddedNats,
) -> None:
    subject, headers, body = an_intake_message()
    connection = await nats.connect(nats_server.url)
    try:
        js = connection.jetstream()
        await ensure_stream(js)
        await js.publish(subject, body, headers=headers)
        bad = json.dumps({**json.loads(body), "household_size": 0}).encode()
        await js.publish(subject, bad, headers={**headers, MSG_ID: "lgnet:8"})
        # The stream refuses this one (it does not follow lgnet:1): it reached nobody.
        with pytest.raises(nats.js.errors.APIError):
            await js.publish(subject, bad, headers={
                **headers, MSG_ID: "lgnet:9", "Nats-Expected-Last-Msg-Id": "lgnet:1"})
        ack = await js.publish_async(subject, bad, headers={**headers, MSG_ID: "lgnet:10"})
        await ack
    finally:
        await connection.close()

    reported = contract_check().take_problems()  # taken: this test's teardown passes
    assert len(reported) == 2
    assert all("body household_size: 0 is less than the minimum of 1" in problem
               for problem in reported), reported


# A test publishing a message whose vulnerability is not one; {marker} may mark it.
PUBLISHING_TEST = """
import asyncio, json
import nats, pytest
from infra.nats.server import EmbeddedNats, free_port
from infra.nats.streams import ensure_stream
from tests.unit.test_asyncapi import an_intake_message

{marker}
def test_publishing(tmp_path):
    server = EmbeddedNats(store_dir=tmp_path / "js", port=free_port()).start()
    async def publish():
        connection = await nats.connect(server.url)
        js = connection.jetstream()
        await ensure_stream(js)
        subject, headers, body = an_intake_message()
        data = {{**json.loads(body), "vulnerabilities": ["not_a_vulnerability"]}}
        await js.publish(subject, json.dumps(data).encode(), headers=headers)
        await connection.close()
    try:
        asyncio.run(publish())
    finally:
        server.stop()
"""


def run_inner(pytester: pytest.Pytester, marker: str = "") -> pytest.RunResult:
    pytester.makepyfile(test_publishes=PUBLISHING_TEST.format(marker=marker))
    return pytester.runpytest_inprocess(
        "-p", "tests.contract_check", "-p", "no:cacheprovider",
        "-o", "asyncio_default_fixture_loop_scope=function",
    )


@pytest.mark.process
@pytest.mark.nats
def test_a_test_that_publishes_an_invalid_message_fails(pytester: pytest.Pytester) -> None:
    result = run_inner(pytester)

    result.assert_outcomes(passed=1, errors=1)  # the test body passed; its teardown did not
    result.stdout.fnmatch_lines([
        "*1 published message(s) do not follow the AsyncAPI document*",
        "*lgnet.firenze.case.intake_recorded (it.lgnet.case.intake_recorded.v2): body "
        "vulnerabilities/0*not_a_vulnerability*",
    ])


@pytest.mark.process
@pytest.mark.nats
def test_a_test_may_say_it_publishes_invalid_messages_on_purpose(
    pytester: pytest.Pytester,
) -> None:
    run_inner(pytester, "@pytest.mark.publishes_off_contract").assert_outcomes(passed=1)


@pytest.mark.parametrize("output_format", ["json", "yaml"])
def test_lgnet_events_asyncapi_prints_the_document(
    output_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from infra.cli.main import app

    monkeypatch.setenv("LGNET_NATS_PUBLIC_HOST", "nats.comune.example.it:4222")
    result = CliRunner().invoke(app, ["events", "asyncapi", "--format", output_format])

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout) if output_format == "json" else yaml.safe_load(
        result.stdout)
    assert printed == asyncapi_document(internal_host="nats.comune.example.it:4222")
    assert {s["host"] for s in printed["servers"].values()} == {"nats.comune.example.it:4222"}


def test_the_servers_hosts_come_from_the_settings() -> None:
    """Issue 19: the host was a placeholder (nats.lgnet.example:4222)."""
    from infra.nats.credentials import public_nats_hosts
    from infra.settings import Settings

    assert public_nats_hosts(Settings(nats_port=4444)) == ("127.0.0.1:4444", "127.0.0.1:4444")
    cluster = Settings(nats_url="nats://lgnet-platform:pw@nats-1:4222,nats://nats-2:4222",
                       partner_nats_url="nats://feed:pw@partners.example.org:4223")
    assert public_nats_hosts(cluster) == ("nats-1:4222", "partners.example.org:4223")
    published = Settings(nats_url="nats://nats-1:4222", nats_public_host="nats.example.it:4222")
    assert public_nats_hosts(published) == ("nats.example.it:4222", "nats.example.it:4222")
    with pytest.raises(ValueError, match="nats_public_host"):
        Settings(nats_public_host="nats://nats.example.it:4222")
    document = asyncapi_document(internal_host="a:1", partner_host="b:2")
    assert (document["servers"]["lgnet"]["host"], document["servers"]["partners"]["host"]) == (
        "a:1", "b:2")


def test_partner_and_internal_messages_have_distinct_names(document: dict[str, Any]) -> None:
    """Issue 19: they shared the name (the ce-type), so a code generator keyed by name took the
    internal schema for the partner message or the reverse."""
    messages = document["components"]["messages"]
    names = [message["name"] for message in messages.values()]
    assert len(names) == len(set(names))
    for key, message in messages.items():
        assert message["name"] == key
    for kind in PARTNER_KINDS.values():
        partner = messages[f"partner.{kind.partner_ce_type}"]
        assert partner["name"] == f"partner.{kind.partner_ce_type}"
        assert partner["headers"]["properties"]["ce-type"]["const"] == kind.partner_ce_type


def test_every_json_schema_declares_its_draft() -> None:
    """Issue 19: the JSON Schemas declared no `$schema`; pydantic writes draft 2020-12 ($defs)."""
    import jsonschema

    from events.catalogue import json_schemas
    from events.partner import partner_json_schemas

    for schema in (*json_schemas().values(), *partner_json_schemas().values()):
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator
        jsonschema.Draft202012Validator.check_schema(schema)
