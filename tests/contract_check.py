"""A pytest plugin: every event message published in the suite must follow its contract.

Every JetStream publish (nats-py's `publish` and `publish_async`, which the relay, the partner
feed and the tests' own publishers all go through) to a subject under `lgnet.` or `partner.` is
checked against the AsyncAPI document (events/asyncapi.py), the contract partners rely on:
- its subject is the address of a channel, and its `ce-type` one of that channel's messages
  (so a partner copy is checked against the partner schema its `ce-dataschema` names);
- its headers validate against that message's headers schema;
- its body is JSON valid against that message's payload schema (the contract's JSON Schema).

A message the server refused (a permission test's forged publish) never reached anyone: only
messages the stream acknowledged are reported. The test that published an invalid message fails
in its teardown, naming the message and what is wrong with it; a test that publishes invalid
messages on purpose says so with `@pytest.mark.publishes_off_contract`. Validators are built once
per message kind (jsonschema_rs: compiled, so the check costs microseconds per message).
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import pytest
from nats.js.client import JetStreamContext

from events.asyncapi import asyncapi_document
from events.contracts import CITY_SLUG_PATTERN

CHECKED_ROOTS = ("lgnet.", "partner.")


@dataclass(frozen=True)
class _MessageContract:
    headers: Any  # a compiled validator
    payload: Any


@dataclass(frozen=True)
class _ChannelContract:
    address: re.Pattern[str]
    messages: dict[str, _MessageContract]  # by ce-type


class ContractCheck:
    """Validates messages against the AsyncAPI document; keeps the problems of those published
    until the running test's teardown takes them."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.channels: list[_ChannelContract] = []
        messages = document["components"]["messages"]
        for channel in document["channels"].values():
            by_type = {}
            for reference in channel["messages"].values():
                message = messages[reference["$ref"].rsplit("/", 1)[-1]]
                ce_type = message["headers"]["properties"]["ce-type"]["const"]
                by_type[ce_type] = _MessageContract(
                    headers=_validator(message["headers"]),
                    payload=_validator(message["payload"]),
                )
            self.channels.append(_ChannelContract(_address_pattern(channel, document), by_type))
        self.problems: list[str] = []

    def problems_with(self, subject: str, headers: dict[str, str] | None, body: bytes) -> list[str]:
        """What is wrong with one message (nothing: an empty list)."""
        if not subject.startswith(CHECKED_ROOTS):
            return []
        headers = headers or {}
        matched = None
        for channel in self.channels:
            matched = channel.address.fullmatch(subject)
            if matched:
                break
        if matched is None:
            return [f"{subject}: no channel of the AsyncAPI document has this subject"]
        ce_type = headers.get("ce-type")
        contract = channel.messages.get(str(ce_type))
        if contract is None:
            return [f"{subject}: ce-type {ce_type!r} is not a message of this channel "
                    f"({', '.join(sorted(channel.messages))})"]
        found = [f"{subject} ({ce_type}): header {_where(error)}{error.message}"
                 for error in contract.headers.iter_errors(dict(headers))]
        try:
            data = json.loads(body)
        except ValueError as error:
            return [*found, f"{subject} ({ce_type}): body is not JSON: {error}"]
        found += [f"{subject} ({ce_type}): body {_where(error)}{error.message}"
                  for error in contract.payload.iter_errors(data)]
        # What the document cannot say: the subject's city is the event's, in source and body.
        city = matched.groupdict().get("city")
        if city is not None:
            if headers.get("ce-source") != f"/lgnet/cities/{city}":
                found.append(f"{subject} ({ce_type}): ce-source {headers.get('ce-source')!r} "
                             f"is not the subject's city")
            if isinstance(data, dict) and data.get("city", city) != city:
                found.append(f"{subject} ({ce_type}): body city {data.get('city')!r} is not "
                             "the subject's city")
        return found

    def take_problems(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems

    def published(self, problems: list[str]) -> None:
        self.problems.extend(problems)


def _validator(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def _where(error: Any) -> str:
    path = "/".join(str(part) for part in error.instance_path)
    return f"{path}: " if path else ""


def _address_pattern(channel: dict[str, Any], document: dict[str, Any]) -> re.Pattern[str]:
    """The channel's address as a regular expression: each parameter stands for its values."""
    pattern = re.escape(channel["address"])
    for name, reference in channel.get("parameters", {}).items():
        parameter = document["components"]["parameters"][reference["$ref"].rsplit("/", 1)[-1]]
        if "enum" in parameter:
            values = "|".join(re.escape(value) for value in parameter["enum"])
        else:  # the city: a slug, since the ministry admits new cities (no enumeration)
            values = CITY_SLUG_PATTERN.removeprefix("^").removesuffix("$")
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>{values})")
    return re.compile(pattern)


@functools.cache
def contract_check() -> ContractCheck:
    return ContractCheck(asyncapi_document())


# --- wrapping nats-py --------------------------------------------------------------------------


def _install() -> None:
    """Wrap JetStreamContext's publishing methods once, for the whole session."""
    if getattr(JetStreamContext.publish, "_contract_checked", False):
        return
    original_publish = JetStreamContext.publish
    original_publish_async = JetStreamContext.publish_async

    async def publish(self: JetStreamContext, subject: str, payload: bytes = b"",
                      *args: Any, **kwargs: Any) -> Any:
        problems = _check(subject, payload, args, kwargs, headers_position=2)
        ack = await original_publish(self, subject, payload, *args, **kwargs)
        contract_check().published(problems)  # reached only when the stream acknowledged it
        return ack

    async def publish_async(self: JetStreamContext, subject: str, payload: bytes = b"",
                            *args: Any, **kwargs: Any) -> Any:
        problems = _check(subject, payload, args, kwargs, headers_position=2)
        future = await original_publish_async(self, subject, payload, *args, **kwargs)
        if problems:
            def on_ack(done: asyncio.Future[Any]) -> None:
                if not done.cancelled() and done.exception() is None:
                    contract_check().published(problems)

            future.add_done_callback(on_ack)
        return future

    publish._contract_checked = True  # type: ignore[attr-defined]
    JetStreamContext.publish = publish  # type: ignore[method-assign]
    JetStreamContext.publish_async = publish_async  # type: ignore[method-assign]


def _check(subject: str, payload: bytes, args: tuple[Any, ...], kwargs: dict[str, Any],
           *, headers_position: int) -> list[str]:
    # Both methods take (subject, payload, timeout|wait_stall, stream, headers, ...).
    headers = kwargs.get("headers")
    if headers is None and len(args) > headers_position:
        headers = args[headers_position]
    return contract_check().problems_with(subject, headers, payload)


OFF_CONTRACT_MARKER = "publishes_off_contract"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{OFF_CONTRACT_MARKER}: the test publishes invalid event messages on purpose (a "
        "consumer's handling of a malformed message): tests/contract_check.py lets them be",
    )
    _install()


@pytest.fixture(autouse=True)
def _published_events_follow_their_contracts(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails the test (in its teardown) if it published an event message off its contract."""
    yield
    problems = contract_check().take_problems()
    if problems and request.node.get_closest_marker(OFF_CONTRACT_MARKER) is None:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        pytest.fail(
            f"{len(problems)} published message(s) do not follow the AsyncAPI document "
            f"(events/asyncapi.py):\n  {shown}{more}",
            pytrace=False,
        )
