"""The NATS permission fuzz test (issue 18, "Also"): for each user of the configuration `lgnet
run` generates (the platform, the observer, the partner feed and two partners), against a real
nats-server, try every `$JS.API.*` verb on every stream and consumer name, publish on every
subject family, and subscribe to `>` and to each family; what the server lets through must be
exactly what the table under "NATS permissions" in docs/operations.md says.

A refused publish or subscription is reported by the server asynchronously (`-ERR 'Permissions
Violation ...'`) and nothing else happens, so each user's attempts are sent at once, without
replies, and the refusals collected. The server holds no stream: nothing an allowed attempt
does can matter."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from infra.nats.auth import (
    DEMO_PARTNER,
    OBSERVER_USER,
    PARTNER_FEED_USER,
    PLATFORM_INBOX_PREFIX,
    PLATFORM_USER,
    PartnerAccess,
    save_partners,
    subject_covers,
)
from infra.nats.credentials import PARTNERS_FILE_NAME, embedded_credentials, embedded_nats_server
from infra.nats.server import EmbeddedNats, free_port
from infra.settings import Settings

pytestmark = pytest.mark.nats

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
MILANO = PartnerAccess(name="milano-services", cities=("milano", "roma"), kinds=("case.*",))
PARTNERS = (DEMO_PARTNER, MILANO)
USERS = (PLATFORM_USER, OBSERVER_USER, PARTNER_FEED_USER, DEMO_PARTNER.name, MILANO.name)

STREAMS = ("LGNET", "LGNET_PARTNER", "OTHER")
CONSUMERS = ("lgnet-projector", "lgnet-partner-feed", "observer", "demo-firenze",
             "milano-services", "demo-firenze_2", "stranger")
FILTERS = ("lgnet.>", "partner.firenze.>", "partner.milano.case.*", "partner.roma.case.*")
STREAM_VERBS = ("STREAM.CREATE", "STREAM.UPDATE", "STREAM.INFO", "STREAM.DELETE", "STREAM.PURGE",
                "STREAM.SNAPSHOT", "STREAM.RESTORE", "STREAM.MSG.DELETE", "STREAM.MSG.GET",
                "STREAM.LEADER.STEPDOWN", "STREAM.PEER.REMOVE", "DIRECT.GET", "CONSUMER.CREATE",
                "CONSUMER.NAMES", "CONSUMER.LIST")
CONSUMER_VERBS = ("CONSUMER.CREATE", "CONSUMER.DURABLE.CREATE", "CONSUMER.INFO",
                  "CONSUMER.DELETE", "CONSUMER.MSG.NEXT", "CONSUMER.LEADER.STEPDOWN",
                  "CONSUMER.PAUSE", "CONSUMER.UNPIN", "CONSUMER.RESET")
FAMILIES = (
    "lgnet.firenze.case.intake_recorded", "lgnet.milano.placement.moved_in",
    "partner.firenze.case.intake_recorded", "partner.firenze.placement.moved_in",
    "partner.milano.case.intake_recorded", "partner.roma.case.closed",
    "partner.roma.placement.moved_in", "partner.bologna.case.intake_recorded",
    "_INBOX.x", f"{PLATFORM_INBOX_PREFIX}.lgnet-projector.x", "_INBOX_observer.x",
    "_INBOX_demo-firenze.x", "_INBOX_milano-services.x", "$SYS.REQ.SERVER.PING",
    "$JS.EVENT.ADVISORY.CONSUMER.CREATED.LGNET.x", "$KV.bucket.key", "anything.else",
)


def js_api_subjects() -> list[str]:
    subjects = ["$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST",
                "$JS.API.META.LEADER.STEPDOWN", "$JS.API.SERVER.REMOVE",
                "$JS.API.ACCOUNT.PURGE.PARTNERS"]
    for stream in STREAMS:
        subjects += [f"$JS.API.{verb}.{stream}" for verb in STREAM_VERBS]
        subjects.append(f"$JS.API.DIRECT.GET.{stream}.lgnet.firenze.case.intake_recorded")
        for consumer in CONSUMERS:
            subjects += [f"$JS.API.{verb}.{stream}.{consumer}" for verb in CONSUMER_VERBS]
            subjects += [f"$JS.API.CONSUMER.CREATE.{stream}.{consumer}.{f}" for f in FILTERS]
            subjects += [f"$JS.ACK.{stream}.{consumer}.1.2.3.1700000000000000000.0",
                         f"$JS.FC.{stream}.{consumer}.x"]
    return subjects


PUBLISHED = (*js_api_subjects(), *FAMILIES)
SUBSCRIBED = (">", *FAMILIES)


def documented_table() -> dict[str, tuple[list[str], list[str]]]:
    """The table under the heading "NATS permissions": user -> (publish, subscribe) patterns,
    the partner row (`<name>`) expanded for each partner of this test."""
    text = OPERATIONS.read_text()
    section = text.split("## NATS permissions", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    table: dict[str, tuple[list[str], list[str]]] = {}
    for row in rows:
        user_cell, publish_cell, subscribe_cell = (c.strip() for c in row.strip("|").split("|")[:3])
        user = re.findall(r"`([^`]+)`", user_cell)[0]
        publish = re.findall(r"`([^`]+)`", publish_cell)
        subscribe = re.findall(r"`([^`]+)`", subscribe_cell)
        if user != "<name>":
            table[user] = (publish, subscribe)
            continue
        for partner in PARTNERS:
            def expand(patterns: list[str], partner: PartnerAccess = partner) -> list[str]:
                out: list[str] = []
                for pattern in patterns:
                    if pattern == "<agreement subjects>":
                        out += partner.subjects()
                    else:
                        out.append(pattern.replace("<name>", partner.name))
                return out
            table[partner.name] = (expand(publish), expand(subscribe))
    return table


def allowed(patterns: list[str], subjects: tuple[str, ...]) -> set[str]:
    return {s for s in subjects if any(subject_covers(p, s) for p in patterns)}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Settings, EmbeddedNats]]:
    settings = Settings(data_dir=tmp_path / "data", nats_port=free_port())
    save_partners(settings.data_dir / PARTNERS_FILE_NAME, list(PARTNERS))
    running = embedded_nats_server(settings).start()
    try:
        yield settings, running
    finally:
        running.stop()


async def refusals(url: str, user: str) -> tuple[set[str], set[str]]:
    """Every publish and subscription of the universe, as `user`; the subjects refused."""
    errors: list[str] = []

    async def record(error: Exception) -> None:
        errors.append(str(error))

    connection = await nats.connect(url, error_cb=record, allow_reconnect=False,
                                    inbox_prefix=f"_INBOX_{user}")
    try:
        for subject in SUBSCRIBED:
            await connection.subscribe(subject)
        for subject in PUBLISHED:
            await connection.publish(subject, b"")
        await connection.flush()
        expected_quiet = 0
        async with asyncio.timeout(5):
            # The server reports refusals after the flush's pong at times: wait until it is quiet.
            while expected_quiet < 5:
                before = len(errors)
                await asyncio.sleep(0.05)
                expected_quiet = expected_quiet + 1 if len(errors) == before else 0
    finally:
        await connection.close()
    by_lower = {s.lower(): s for s in (*PUBLISHED, *SUBSCRIBED)}
    refused_publish: set[str] = set()
    refused_subscribe: set[str] = set()
    for error in errors:
        found = re.match(r'nats: permissions violation for (publish|subscription) to "(.*)"',
                         error.lower())
        assert found, error
        (refused_publish if found[1] == "publish" else refused_subscribe).add(by_lower[found[2]])
    return refused_publish, refused_subscribe


async def test_every_user_may_do_exactly_what_the_operations_table_says(
    server: tuple[Settings, EmbeddedNats],
) -> None:
    settings, _running = server
    passwords = embedded_credentials(settings)
    assert len({s.lower() for s in (*PUBLISHED, *SUBSCRIBED)}) == len(set(PUBLISHED) | set(
        SUBSCRIBED))  # case-insensitively distinct: nats-py lower-cases the errors
    table = documented_table()
    assert set(table) == set(USERS)
    for user in USERS:
        url = f"nats://{user}:{passwords[user]}@127.0.0.1:{settings.nats_port}"
        refused_publish, refused_subscribe = await refusals(url, user)
        publish, subscribe = table[user]
        assert set(PUBLISHED) - refused_publish == allowed(publish, PUBLISHED), user
        assert set(SUBSCRIBED) - refused_subscribe == allowed(subscribe, SUBSCRIBED), user
    # What the table grants the observer and a partner, in particular (issue 18 items 1, 2).
    observer_publish = allowed(table[OBSERVER_USER][0], PUBLISHED)
    assert "$JS.API.CONSUMER.INFO.LGNET.observer" in observer_publish
    assert not {s for s in observer_publish if ".INFO.LGNET.lgnet-" in s or ".LIST." in s}
    partner_publish = allowed(table[DEMO_PARTNER.name][0], PUBLISHED)
    assert not {s for s in partner_publish if "CREATE" in s or "DELETE" in s}
