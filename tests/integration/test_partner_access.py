"""Data-minimised NATS for partners, against a real nats-server started with the configuration
`lgnet run` generates (infra/nats/auth.py): what a partner user, the observer and the partner
feed can and cannot do, and what a partner receives."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

import jsonschema
import nats
import nats.errors
import nats.js.errors
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, ConsumerInfo, RawStreamMsg

from domain.cases.model import Case, CaseRegister
from domain.cases.rules import Vulnerability
from domain.programme import CARD_TERMS, City, ProtectionStatus
from domain.record import ProgrammeRecord
from events.partner import (
    DATASCHEMA,
    partner_json_schemas,
    partner_kind_for,
    read_partner_message,
)
from infra.audit.checkpoints import audit_dir, load_or_create_signing_key
from infra.bootstrap import build_platform
from infra.nats import streams
from infra.nats.auth import (
    CLUSTER_CONFIG_FILE,
    DEMO_PARTNER,
    OBSERVER_USER,
    PARTNER_FEED_USER,
    PLATFORM_USER,
    PartnerAccess,
    load_partners,
    password_variable,
    save_partners,
)
from infra.nats.credentials import (
    PARTNERS_FILE_NAME,
    embedded_credentials,
    embedded_nats_if_needed,
    embedded_nats_server,
    partner_feed_nats_url,
    platform_nats_url,
    platform_partners,
    reload_embedded_server,
)
from infra.nats.server import EmbeddedNats, find_nats_server, free_port, port_is_taken
from infra.nats.streams import PARTNER_STREAM_NAME, STREAM_NAME, read_stream
from infra.pipeline.partner_feed.feed import PartnerFeed
from infra.pipeline.relay import Relay
from infra.publishing.messages import PUBLIC_TOPICS
from infra.runtime import run_parts
from infra.settings import Settings
from infra.store.eventstore import open_record
from tests.builders import BORN_IN_A_PARTNER_V1_BAND, NOW, a_coordinator, an_intake
from tests.conftest import headers_of

pytestmark = pytest.mark.nats

# A partner of two cities, every case kind (case.*): a consumer for each city.
MILANO_PARTNER = PartnerAccess(
    name="milano-services", cities=("milano", "roma"), kinds=("case.*",)
)
CITIES = [City.FIRENZE, City.MILANO, City.ROMA]
# Each category's code, as it would stand in a list ("other" alone is also a word of other codes,
# such as the priority group "other_outside_reception").
VULNERABILITY_WORDS = [f'"{v.value}"' for v in Vulnerability] + ["vulnerab"]
DENIED_WAIT = 0.5  # how long a request the server silently drops is waited for


# --- the secured server -------------------------------------------------------------------------


@dataclass
class SecuredNats:
    settings: Settings
    server: EmbeddedNats
    passwords: dict[str, str]

    def url_for(self, user: str) -> str:
        return f"nats://{user}:{self.passwords[user]}@127.0.0.1:{self.settings.nats_port}"


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[SecuredNats]:
    """The embedded server as `lgnet run` starts it, with the demo partner and Milano's."""
    settings = Settings(data_dir=tmp_path / "data", nats_port=free_port())
    save_partners(settings.data_dir / PARTNERS_FILE_NAME, [DEMO_PARTNER, MILANO_PARTNER])
    server = embedded_nats_server(settings).start()
    try:
        yield SecuredNats(settings, server, embedded_credentials(settings))
    finally:
        server.stop()


@dataclass
class Client:
    """A connection and the asynchronous errors the server reported to it."""

    connection: NatsClient
    errors: list[str] = field(default_factory=list)

    @property
    def js(self) -> JetStreamContext:
        return self.connection.jetstream(timeout=DENIED_WAIT)

    def permission_errors(self) -> list[str]:
        return [error for error in self.errors if "permissions violation" in error.lower()]


class Connect(Protocol):
    """The `connect` fixture: a client of the server at `url`, closed when the test ends."""

    async def __call__(self, url: str, *, inbox_prefix: str = "_INBOX") -> Client: ...


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    clients: list[Client] = []

    async def connect_as(url: str, *, inbox_prefix: str = "_INBOX") -> Client:
        client = Client(connection=None)  # type: ignore[arg-type]

        async def record(error: Exception) -> None:
            client.errors.append(str(error))

        client.connection = await nats.connect(
            url, error_cb=record, inbox_prefix=inbox_prefix, allow_reconnect=False
        )
        clients.append(client)
        return client

    yield connect_as
    for client in clients:
        if not client.connection.is_closed:
            await client.connection.close()


async def as_partner(
    connect: Connect, secured: SecuredNats, partner: PartnerAccess = DEMO_PARTNER
) -> Client:
    return await connect(secured.url_for(partner.name), inbox_prefix=partner.inbox_prefix)


# --- events -----------------------------------------------------------------------------------


@pytest.fixture
def record(tmp_path: Path) -> Iterator[ProgrammeRecord]:
    record = open_record(Settings(data_dir=tmp_path / "events"))
    yield record
    record.close()


def save_vulnerable_intakes(record: ProgrammeRecord, count: int) -> dict[City, list[str]]:
    """`count` intakes across Firenze, Milano and Roma, every one with special-category
    vulnerabilities; returns the case codes per city, in order. Each save also records a case
    register event, which is not public: the stream's positions have gaps."""
    first = (record.recorder.max_notification_id() or 0) + 1
    codes: dict[City, list[str]] = {city: [] for city in CITIES}
    cases = []
    for index in range(count):
        city = CITIES[index % len(CITIES)]
        facts = an_intake(
            city,
            protection_status=ProtectionStatus.ASYLUM_SEEKER,
            birth_date=BORN_IN_A_PARTNER_V1_BAND,
            vulnerabilities=frozenset({Vulnerability.TRAFFICKING_VICTIM,
                                       Vulnerability.SERIOUS_ILLNESS}),
        )
        code = f"{CARD_TERMS.province_code(city)}-2021-{(first + index) % 100_000:05d}"
        codes[city].append(code)
        cases.append(Case.take_in(uuid4(), code, facts, a_coordinator(city), NOW))
        if len(cases) == 250 or index == count - 1:
            record.save(CaseRegister.open(city, 1900 + first + index, NOW), *cases)
            cases = []
    return codes


def public_positions(record: ProgrammeRecord) -> list[int]:
    return [n.id for n in record.recorder.select_notifications(1, 10**9, topics=PUBLIC_TOPICS)]


async def publish_to_lgnet(record: ProgrammeRecord, secured: SecuredNats) -> int:
    return await Relay(record, platform_nats_url(secured.settings)).publish_pending()


def a_feed(secured: SecuredNats, **options: Any) -> PartnerFeed:
    """The feed as `lgnet run` runs it: it also makes the partners' consumers and signs the
    partner chains' heads with the audit checkpoint key."""
    return PartnerFeed(
        platform_nats_url(secured.settings),
        partner_nats_url=partner_feed_nats_url(secured.settings),
        partners=platform_partners(secured.settings),
        signer=load_or_create_signing_key(audit_dir(secured.settings)),
        **options,
    )


async def partner_stream_messages(
    secured: SecuredNats, connect: Connect
) -> list[RawStreamMsg]:
    feed_user = await connect(partner_feed_nats_url(secured.settings))
    js = feed_user.connection.jetstream()
    last = (await js.stream_info(PARTNER_STREAM_NAME)).state.last_seq
    return [await js.get_msg(PARTNER_STREAM_NAME, seq) for seq in range(1, last + 1)]


async def fill_partner_stream(
    record: ProgrammeRecord, secured: SecuredNats, count: int
) -> dict[City, list[str]]:
    codes = save_vulnerable_intakes(record, count)
    assert await publish_to_lgnet(record, secured) == count
    assert await a_feed(secured).publish_pending() == count
    return codes


async def add_events(record: ProgrammeRecord, secured: SecuredNats, count: int) -> list[str]:
    """`count` intakes over Firenze, Milano and Roma, relayed and copied to the partner stream;
    returns Firenze's case codes, in order."""
    return (await fill_partner_stream(record, secured, count))[City.FIRENZE]


# --- what a partner receives ------------------------------------------------------------------


async def test_a_partner_reads_its_citys_events_minimised_from_its_filtered_consumer(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    codes = await fill_partner_stream(record, secured, 30)
    partner = await as_partner(connect, secured)

    # As docs/partners.md shows: bind to the durable pull consumer the platform made for it,
    # named as the user.
    subscription = await partner.js.pull_subscribe_bind(
        DEMO_PARTNER.consumer_name, stream=PARTNER_STREAM_NAME
    )
    received = await subscription.fetch(100, timeout=1)
    for message in received:
        await message.ack()
    await partner.connection.flush()

    assert [headers_of(m)["ce-subject"] for m in received] == codes[City.FIRENZE]
    schema = partner_json_schemas()["it.lgnet.case.intake_recorded.v1"]
    for message in received:
        body = json.loads(message.data)
        jsonschema.validate(body, schema)
        read_partner_message(headers_of(message), message.data)
        assert headers_of(message)["ce-type"] == "it.lgnet.case.intake_recorded.v1"
        assert headers_of(message)[DATASCHEMA] == schema["$id"]
        assert "vulnerabilities" not in body
        assert all(set(e) == {"sub_action", "eligible"} for e in body["eligibility"])
        assert "ce-actorid" not in headers_of(message)
        for word in VULNERABILITY_WORDS:
            assert word not in message.data.decode(), word
    info = await partner.js.consumer_info(PARTNER_STREAM_NAME, DEMO_PARTNER.consumer_name)
    assert info.ack_floor.stream_seq == received[-1].metadata.sequence.stream
    assert partner.permission_errors() == []


async def test_a_partner_resumes_on_its_consumer_and_sees_new_events_live(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    codes = await fill_partner_stream(record, secured, 9)
    partner = await as_partner(connect, secured)
    subscription = await partner.js.pull_subscribe_bind(
        DEMO_PARTNER.consumer_name, stream=PARTNER_STREAM_NAME
    )
    first = await subscription.fetch(1, timeout=1)
    await first[0].ack_sync()
    live: list[Msg] = []

    async def watch(message: Msg) -> None:
        live.append(message)

    await partner.connection.subscribe("partner.firenze.case.intake_recorded", cb=watch)
    await partner.connection.flush()
    later = save_vulnerable_intakes(record, 3)
    await publish_to_lgnet(record, secured)
    await a_feed(secured).publish_pending()
    rest = await subscription.fetch(10, timeout=1)
    async with asyncio.timeout(5):
        while len(live) < 1:
            await asyncio.sleep(0.02)

    # What it acknowledged is not delivered again; the rest follows in order, new ones too.
    assert [headers_of(m)["ce-subject"] for m in first + rest] == (
        codes[City.FIRENZE] + later[City.FIRENZE]
    )
    assert [headers_of(m)["ce-subject"] for m in live] == later[City.FIRENZE]
    assert partner.permission_errors() == []


async def test_a_partner_learns_of_an_erasure_after_the_intake_on_the_same_consumer(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    """Recipients of a case must hear of its erasure (GDPR art. 19): a partner with every kind
    gets it, in order after the intake, through its one consumer."""
    coordinator = a_coordinator(City.FIRENZE)
    case = Case.take_in(uuid4(), "FI-2021-09999", an_intake(
        City.FIRENZE, birth_date=BORN_IN_A_PARTNER_V1_BAND), coordinator, NOW)
    record.save(case)
    case.erase_personal_data(date(2021, 3, 10), "PG/2021/0012345", coordinator, NOW)
    record.save(case)
    assert await publish_to_lgnet(record, secured) == 2
    assert await a_feed(secured).publish_pending() == 2

    partner = await as_partner(connect, secured)  # demo-firenze: every partner kind
    subscription = await partner.js.pull_subscribe_bind(
        DEMO_PARTNER.consumer_name, stream=PARTNER_STREAM_NAME
    )
    intake, erasure = await subscription.fetch(2, timeout=1)
    assert headers_of(intake)["ce-type"] == "it.lgnet.case.intake_recorded.v1"
    assert headers_of(erasure)["ce-type"] == "it.lgnet.case.personal_data_erased.v1"
    assert erasure.subject == "partner.firenze.case.personal_data_erased"
    assert json.loads(erasure.data) == {
        "case_id": str(case.id), "case_code": "FI-2021-09999", "city": "firenze",
        "requested_on": "2021-03-10",
    }
    read_partner_message(headers_of(erasure), erasure.data)


# --- what a partner cannot do -----------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    ["lgnet.>", "lgnet.firenze.case.intake_recorded", "partner.milano.>", "partner.>",
     "partner.*.case.intake_recorded", "_INBOX.>", "_INBOX_milano-services.>"],
)
async def test_a_partner_cannot_subscribe_to_internal_or_other_subjects(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect, subject: str
) -> None:
    partner = await as_partner(connect, secured)
    received: list[Msg] = []

    async def take(message: Msg) -> None:
        received.append(message)

    await partner.connection.subscribe(subject, cb=take)
    await partner.connection.flush()
    await fill_partner_stream(record, secured, 6)
    await asyncio.sleep(0.2)

    # (nats-py reports the server's error in lower case.)
    assert partner.permission_errors() == [
        f'nats: permissions violation for subscription to "{subject.lower()}"'
    ]
    assert received == []


async def refused(client: Client, request: Awaitable[object]) -> str:
    """Run a JetStream request the server must drop for lack of permission; return the
    subject it names in the permissions error (in lower case, as nats-py reports it)."""
    before = len(client.permission_errors())
    with pytest.raises(nats.errors.TimeoutError):
        await request
    await client.connection.flush()
    errors = client.permission_errors()[before:]
    assert len(errors) == 1, client.errors
    return errors[0].split('"')[1]


async def test_a_partner_cannot_create_change_or_delete_any_consumer(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    """Issue 18 item 2: a consumer a partner made could push onto another partner's subjects
    (ngo-milano received partner.firenze.* by aiming one at a Firenze client's subject). The
    platform makes each partner's pull consumer; the partner may not make, change or delete one,
    in any form, under any name, not even its own with its own filter."""
    await fill_partner_stream(record, secured, 3)
    partner = await as_partner(connect, secured)
    js, me = partner.js, DEMO_PARTNER.consumer_name

    def create(
        config: ConsumerConfig, stream: str = PARTNER_STREAM_NAME
    ) -> Awaitable[ConsumerInfo]:
        return js.add_consumer(stream, config)

    own_filter = "partner.firenze.>"
    # Its own consumer, re-made as a push consumer aimed at another partner's inbox.
    assert await refused(partner, create(ConsumerConfig(
        name=me, durable_name=me, filter_subject=own_filter,
        deliver_subject="_INBOX_milano-services.x",
    ))) == f"$JS.API.CONSUMER.CREATE.{PARTNER_STREAM_NAME}.{me}.{own_filter}".lower()
    # Unfiltered, legacy durable, server-named.
    assert await refused(partner, create(ConsumerConfig(name=me, durable_name=me))) == (
        f"$JS.API.CONSUMER.CREATE.{PARTNER_STREAM_NAME}.{me}".lower()
    )
    legacy = await refused(partner, create(ConsumerConfig(
        durable_name=me, filter_subject=own_filter
    )))
    assert legacy.startswith("$js.api.consumer.durable.create.")
    assert await refused(partner, create(ConsumerConfig(filter_subject=own_filter))) == (
        f"$JS.API.CONSUMER.CREATE.{PARTNER_STREAM_NAME}".lower()
    )
    # Another name, or the internal stream.
    await refused(partner, create(ConsumerConfig(name="demo-firenze_2",
                                                 durable_name="demo-firenze_2")))
    await refused(partner, create(
        ConsumerConfig(name=me, durable_name=me, filter_subject="lgnet.firenze.case.>"),
        stream=STREAM_NAME,
    ))
    # Nor delete its consumer, nor read the stream's info.
    await refused(partner, js.delete_consumer(PARTNER_STREAM_NAME, me))
    await refused(partner, js.stream_info(PARTNER_STREAM_NAME))
    # Its consumer is as the platform made it: pull, filtered on the agreement.
    info = await js.consumer_info(PARTNER_STREAM_NAME, me)
    assert info.config.deliver_subject is None
    assert info.config.filter_subject == own_filter
    assert info.num_pending == 1  # Firenze's one intake of the three


async def test_a_partner_cannot_read_messages_directly_or_publish(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    await fill_partner_stream(record, secured, 3)
    partner = await as_partner(connect, secured)
    assert await refused(partner, partner.js.get_msg(PARTNER_STREAM_NAME, 2)) == (
        f"$JS.API.STREAM.MSG.GET.{PARTNER_STREAM_NAME}".lower()
    )
    assert await refused(partner, partner.js.get_msg(PARTNER_STREAM_NAME, 2, direct=True)) == (
        f"$JS.API.DIRECT.GET.{PARTNER_STREAM_NAME}".lower()
    )
    assert await refused(partner, partner.js.get_msg(STREAM_NAME, 1)) == (
        f"$JS.API.STREAM.MSG.GET.{STREAM_NAME}".lower()
    )
    assert await refused(partner, partner.js.publish(
        "partner.firenze.case.intake_recorded", b"{}"
    )) == "partner.firenze.case.intake_recorded"
    # Another partner's consumer: neither its info, nor its messages, nor deleting it.
    milano = await as_partner(connect, secured, MILANO_PARTNER)
    both = await milano.js.pull_subscribe_bind("milano-services", stream=PARTNER_STREAM_NAME)
    assert [m.subject for m in await both.fetch(5, timeout=1)] == [
        "partner.milano.case.intake_recorded", "partner.roma.case.intake_recorded"
    ]
    assert milano.permission_errors() == []
    await refused(partner, partner.js.consumer_info(PARTNER_STREAM_NAME, "milano-services"))
    await refused(partner, partner.js.delete_consumer(PARTNER_STREAM_NAME, "milano-services"))
    await refused(partner, partner.connection.request(
        f"$JS.API.CONSUMER.MSG.NEXT.{PARTNER_STREAM_NAME}.milano-services", b"1",
        timeout=DENIED_WAIT,
    ))


async def test_a_partner_consumer_cannot_deliver_into_the_platform_account(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    """A consumer delivers to the subject its creator names, unchecked by permissions: the
    partner account keeps such deliveries away from every internal subscriber, even from a
    consumer made in the partners' account by its unrestricted feed user."""
    await fill_partner_stream(record, secured, 3)
    platform = await connect(platform_nats_url(secured.settings))
    spoofed: list[Msg] = []

    async def take(message: Msg) -> None:
        spoofed.append(message)

    await platform.connection.subscribe("lgnet.firenze.case.intake_recorded", cb=take)
    await platform.connection.flush()
    feed_user = await connect(partner_feed_nats_url(secured.settings))
    await feed_user.connection.jetstream().add_consumer(PARTNER_STREAM_NAME, ConsumerConfig(
        name="aimed", durable_name="aimed", filter_subject="partner.firenze.case.intake_recorded",
        deliver_subject="lgnet.firenze.case.intake_recorded", ack_policy=AckPolicy.NONE,
    ))
    await asyncio.sleep(0.5)
    assert spoofed == []
    internal = await platform.connection.jetstream().stream_info(STREAM_NAME)
    assert internal.state.messages == 3


# --- the observer -----------------------------------------------------------------------------


async def test_the_observer_reads_every_internal_event_but_publishes_nothing(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    observer = await connect(secured.url_for(OBSERVER_USER), inbox_prefix="_INBOX_observer")
    live: list[Msg] = []

    async def take(message: Msg) -> None:
        live.append(message)

    await observer.connection.subscribe("lgnet.>", cb=take)
    await observer.connection.flush()
    save_vulnerable_intakes(record, 4)
    await publish_to_lgnet(record, secured)
    async with asyncio.timeout(5):
        while len(live) < 4:
            await asyncio.sleep(0.02)
    # The internal events, special-category data included: auditors see what happened.
    assert all("vulnerabilities" in json.loads(m.data) for m in live)
    # History through JetStream: an ordered consumer, named as the user (docs/partners.md).
    history: list[Msg] = []

    async def replay(message: Msg) -> None:
        history.append(message)

    await observer.js.subscribe(
        "lgnet.>", stream=STREAM_NAME, cb=replay, ordered_consumer=True,
        config=ConsumerConfig(name=OBSERVER_USER),
    )
    async with asyncio.timeout(5):
        while len(history) < 4:
            await asyncio.sleep(0.02)
    assert [headers_of(m)["Nats-Msg-Id"] for m in history] == [
        headers_of(m)["Nats-Msg-Id"] for m in live]
    assert observer.permission_errors() == []

    assert await refused(observer, observer.js.publish(
        "lgnet.firenze.case.intake_recorded", b"{}", headers={"Nats-Msg-Id": "lgnet:999"}
    )) == "lgnet.firenze.case.intake_recorded"
    await refused(observer, observer.js.delete_stream(STREAM_NAME))
    await refused(observer, observer.js.purge_stream(STREAM_NAME))
    # Its subscribe permission stops at lgnet.>: the partners' subjects are another account.
    await observer.connection.subscribe("partner.>", cb=take)
    # The server may report a denied subscription after answering the flush's ping: wait.
    async with asyncio.timeout(2):
        while ('nats: permissions violation for subscription to "partner.>"'
               not in observer.permission_errors()):
            await asyncio.sleep(0.02)
    platform_js = (await connect(platform_nats_url(secured.settings))).connection.jetstream()
    assert (await platform_js.stream_info(STREAM_NAME)).state.messages == 4


async def test_the_observer_cannot_take_over_a_platform_consumer(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    save_vulnerable_intakes(record, 2)
    await publish_to_lgnet(record, secured)
    platform = await connect(platform_nats_url(secured.settings))
    projector_like = ConsumerConfig(
        durable_name="lgnet-projection-case_list", deliver_subject="_INBOX.projector",
        ack_policy=AckPolicy.EXPLICIT, filter_subject="lgnet.>",
    )
    await platform.connection.jetstream().add_consumer(STREAM_NAME, projector_like)
    observer = await connect(secured.url_for(OBSERVER_USER), inbox_prefix="_INBOX_observer")

    stolen = ConsumerConfig(
        name="lgnet-projection-case_list", durable_name="lgnet-projection-case_list",
        deliver_subject="_INBOX_observer.stolen", ack_policy=AckPolicy.EXPLICIT,
        filter_subject="lgnet.>",
    )
    # By its name, in the filtered, unfiltered and legacy forms.
    await refused(observer, observer.js.add_consumer(STREAM_NAME, stolen))
    await refused(observer, observer.js.add_consumer(STREAM_NAME, stolen.evolve(
        filter_subject=None)))
    await refused(observer, observer.js.add_consumer(STREAM_NAME, stolen.evolve(name=None)))
    # As a "server-named" consumer whose body names it: the server would hand it over.
    hijack = {"stream_name": STREAM_NAME, "config": stolen.evolve(durable_name=None).as_dict()}
    assert await refused(observer, observer.connection.request(
        f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}", json.dumps(hijack).encode(),
        timeout=DENIED_WAIT,
    )) == f"$JS.API.CONSUMER.CREATE.{STREAM_NAME}".lower()
    info = await platform.connection.jetstream().consumer_info(
        STREAM_NAME, "lgnet-projection-case_list"
    )
    assert info.config.deliver_subject == "_INBOX.projector"


# --- the partner feed -------------------------------------------------------------------------


async def partner_visible_positions(secured: SecuredNats, connect: Connect) -> list[int]:
    """The positions of LGNET's events of a partner kind, in LGNET's order: what the partner
    stream must mirror."""
    platform = await connect(platform_nats_url(secured.settings))
    internal = await read_stream(platform.connection.jetstream())
    return [int(headers_of(m)["ce-lgnetposition"]) for m in internal
            if partner_kind_for(headers_of(m)["ce-type"]) is not None]


async def assert_partner_stream_mirrors_lgnet(
    secured: SecuredNats, connect: Connect, record: ProgrammeRecord
) -> None:
    messages = await partner_stream_messages(secured, connect)
    expected = await partner_visible_positions(secured, connect)
    assert len(expected) == len(public_positions(record)), "a partner kind went unpublished"
    assert [int(headers_of(m)["ce-lgnetposition"]) for m in messages] == expected
    assert [headers_of(m)["Nats-Msg-Id"] for m in messages] == [f"lgnet:{p}" for p in expected]
    assert [m.seq for m in messages] == list(range(1, len(expected) + 1))


async def test_the_feed_copies_each_event_once_in_order_and_resumes_after_a_stop(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    total = 3000
    save_vulnerable_intakes(record, total)
    await publish_to_lgnet(record, secured)
    feed_user = await connect(partner_feed_nats_url(secured.settings))
    js = feed_user.connection.jetstream()

    async def copied() -> int:
        try:
            return (await js.stream_info(PARTNER_STREAM_NAME)).state.messages
        except nats.js.errors.NotFoundError:
            return 0

    running = asyncio.create_task(a_feed(secured, batch_size=200).run(asyncio.Event()))
    async with asyncio.timeout(20):
        while await copied() < 500:
            await asyncio.sleep(0.01)
    running.cancel()  # mid-run, batches in flight
    with pytest.raises(asyncio.CancelledError):
        await running
    await asyncio.sleep(0.2)  # what was in flight when it stopped lands, or not, by now
    before = await copied()
    assert before < total, "the feed finished before it could be stopped"

    assert await a_feed(secured).publish_pending() == total - before
    await assert_partner_stream_mirrors_lgnet(secured, connect, record)
    assert await a_feed(secured).publish_pending() == 0

    # Running: it follows new events, then stops cleanly when asked.
    stop = asyncio.Event()
    following = asyncio.create_task(a_feed(secured).run(stop))
    save_vulnerable_intakes(record, 7)
    await publish_to_lgnet(record, secured)
    async with asyncio.timeout(10):
        while await copied() < total + 7:
            await asyncio.sleep(0.02)
    stop.set()
    async with asyncio.timeout(10):
        await following
    await assert_partner_stream_mirrors_lgnet(secured, connect, record)


async def test_a_running_feed_outlives_a_nats_crash(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    save_vulnerable_intakes(record, 2000)
    await publish_to_lgnet(record, secured)
    stop = asyncio.Event()
    running = asyncio.create_task(a_feed(secured, batch_size=100).run(stop))

    async def copied() -> int:
        client = await connect(partner_feed_nats_url(secured.settings))
        try:
            return (await client.connection.jetstream().stream_info(
                PARTNER_STREAM_NAME)).state.messages
        except nats.js.errors.NotFoundError:
            return 0
        finally:
            await client.connection.close()

    async with asyncio.timeout(20):
        while (before_the_crash := await copied()) < 300:
            await asyncio.sleep(0.01)
    secured.server.kill()
    assert before_the_crash < 2000, "the feed finished before the crash"
    secured.server.start()  # same port, same store, same configuration
    save_vulnerable_intakes(record, 5)
    await publish_to_lgnet(record, secured)
    async with asyncio.timeout(30):
        while await copied() < 2005:
            await asyncio.sleep(0.05)
    stop.set()
    async with asyncio.timeout(10):
        await running
    await assert_partner_stream_mirrors_lgnet(secured, connect, record)


async def test_two_feeds_at_once_still_copy_each_event_once(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    save_vulnerable_intakes(record, 600)
    await publish_to_lgnet(record, secured)
    first = a_feed(secured, batch_size=100, durable="feed-a")
    second = a_feed(secured, batch_size=250, durable="feed-b")
    stored = await asyncio.gather(first.publish_pending(), second.publish_pending())
    assert sum(stored) == 600
    await assert_partner_stream_mirrors_lgnet(secured, connect, record)


async def test_the_feed_steps_over_messages_deleted_from_lgnet(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Deleted messages leave holes in LGNET's sequences: neither the resume search nor the
    consumer must stall on them or take them for lost deliveries."""
    monkeypatch.setattr(streams, "DENY_REMOVAL", False)  # a stream from before issue 19
    save_vulnerable_intakes(record, 40)
    await publish_to_lgnet(record, secured)
    platform_js = (await connect(platform_nats_url(secured.settings))).connection.jetstream()
    deleted = [10, 11, 12, 25]
    for seq in deleted:
        await platform_js.delete_msg(STREAM_NAME, seq)
    assert await a_feed(secured, batch_size=7).publish_pending() == 36
    save_vulnerable_intakes(record, 5)
    await publish_to_lgnet(record, secured)
    await platform_js.delete_msg(STREAM_NAME, 41)
    assert await a_feed(secured).publish_pending() == 4

    copies = await partner_stream_messages(secured, connect)
    assert [int(headers_of(m)["ce-lgnetposition"]) for m in copies] == (
        await partner_visible_positions(secured, connect)
    )
    assert len(copies) == len(public_positions(record)) - 5


async def test_run_parts_feeds_the_partners_with_the_platform(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", nats_port=free_port())
    with embedded_nats_if_needed(settings):
        platform = build_platform(settings)
        try:
            save_vulnerable_intakes(platform.record, 5)
            running = asyncio.create_task(run_parts(platform, web=False, partner_feed=True))
            connection = await nats.connect(partner_feed_nats_url(settings))
            js = connection.jetstream()
            try:
                async with asyncio.timeout(15):
                    while True:
                        with contextlib.suppress(nats.js.errors.NotFoundError):
                            if (await js.stream_info(PARTNER_STREAM_NAME)).state.messages == 5:
                                break
                        await asyncio.sleep(0.05)
            finally:
                await connection.close()
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
        finally:
            platform.close()


# --- the embedded server and its configuration ------------------------------------------------


async def test_lgnet_run_starts_a_server_that_refuses_anonymous_clients(
    tmp_path: Path, connect: Connect
) -> None:
    settings = Settings(data_dir=tmp_path / "data", nats_port=free_port())
    with embedded_nats_if_needed(settings) as server:
        assert server is not None
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(f"nats://127.0.0.1:{settings.nats_port}", allow_reconnect=False)
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(f"nats://{PLATFORM_USER}:guessed@127.0.0.1:{settings.nats_port}",
                               allow_reconnect=False)
        platform = await connect(platform_nats_url(settings))
        assert (await platform.connection.jetstream().account_info()) is not None
        passwords = embedded_credentials(settings)
    assert not port_is_taken(settings.nats_port)
    assert {PLATFORM_USER, OBSERVER_USER, PARTNER_FEED_USER, DEMO_PARTNER.name} <= set(passwords)
    # The next start reuses the same passwords.
    with embedded_nats_if_needed(settings):
        assert embedded_credentials(settings) == passwords
        await connect(platform_nats_url(settings))
    for name in ("nats-credentials.json", "nats-server.conf"):
        assert (settings.data_dir / name).stat().st_mode & 0o077 == 0, name


async def test_a_partner_added_while_running_can_connect_at_once(
    secured: SecuredNats, connect: Connect
) -> None:
    newcomer = PartnerAccess(name="roma-housing", cities=("roma",), kinds=("case.*",))
    path = secured.settings.data_dir / PARTNERS_FILE_NAME
    save_partners(path, [*load_partners(path), newcomer])
    password = embedded_credentials(secured.settings)[newcomer.name]
    assert reload_embedded_server(secured.settings)
    url = f"nats://{newcomer.name}:{password}@127.0.0.1:{secured.settings.nats_port}"
    async with asyncio.timeout(10):
        while True:
            try:
                client = await connect(url, inbox_prefix=newcomer.inbox_prefix)
                await client.connection.subscribe("partner.roma.case.*")
                # A connection made while the reload is under way can be closed by it ("Problem
                # registering with account PARTNERS"; the client, not reconnecting, would then
                # wait for its flush until the timeout): such a one is made again.
                await client.connection.flush(timeout=1)
                break
            except (nats.errors.Error, OSError):
                await asyncio.sleep(0.05)  # the reload is asynchronous
    await asyncio.sleep(0.2)  # a denied subscription may be reported after the flush
    assert client.permission_errors() == []


def test_the_compose_cluster_configuration_is_valid_for_nats_server() -> None:
    partners = load_partners(CLUSTER_CONFIG_FILE.with_name("partners.toml"))
    users = [PLATFORM_USER, OBSERVER_USER, PARTNER_FEED_USER, *(p.name for p in partners)]
    environment = {**os.environ, **{password_variable(user): "a-password" for user in users}}
    checked = subprocess.run(
        [find_nats_server(), "-t", "-c", str(CLUSTER_CONFIG_FILE)],
        capture_output=True, text=True, env=environment, check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_lgnet_nats_partner_add_makes_the_partners_consumer_at_once(
    secured: SecuredNats,
) -> None:
    """The running feed makes a new partner's consumer at its next session; `partner-add` makes
    it at once, so the partner can read as soon as it has its password."""
    from typer.testing import CliRunner

    from infra.cli.main import app

    environment = {"LGNET_DATA_DIR": str(secured.settings.data_dir),
                   "LGNET_NATS_PORT": str(secured.settings.nats_port)}
    added = CliRunner().invoke(app, ["nats", "partner-add", "roma-housing", "--city", "roma",
                                     "--kinds", "case.*"], env=environment)
    assert added.exit_code == 0, added.output
    assert "pull consumer roma-housing (made by the platform; filters partner.roma.case.*)" in (
        added.output)

    async def read_as_newcomer() -> ConsumerInfo:
        password = embedded_credentials(secured.settings)["roma-housing"]
        url = f"nats://roma-housing:{password}@127.0.0.1:{secured.settings.nats_port}"
        async with asyncio.timeout(5):
            while True:
                try:
                    client = await nats.connect(url, inbox_prefix="_INBOX_roma-housing",
                                                allow_reconnect=False)
                    break
                except (nats.errors.Error, OSError):
                    await asyncio.sleep(0.05)  # the reload is asynchronous
        try:
            info: ConsumerInfo = await client.jetstream().consumer_info(
                PARTNER_STREAM_NAME, "roma-housing")
            return info
        finally:
            await client.close()

    info = asyncio.run(read_as_newcomer())
    assert info.config.filter_subject == "partner.roma.case.*"
    assert info.config.deliver_subject is None
