"""A partner checks that its feed is complete and authentic (issue 19): the partner copies carry
their own hash chain per subject and signed heads (events/partner_chain.py), and a partner
client written from the docs alone (examples/partner_feed_check.py, plain hashlib and
cryptography) verifies what it received and detects a removed or altered message."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from nats.aio.msg import Msg

from domain.record import ProgrammeRecord
from events.partner_chain import GENESIS, PARTNER_CHAIN_PREVIOUS, PARTNER_CHAIN_SEQ
from infra.audit.checkpoints import audit_dir, load_or_create_signing_key
from infra.nats.auth import DEMO_PARTNER
from infra.nats.credentials import partner_feed_nats_url
from infra.nats.partner_consumers import replay_partner_consumer
from infra.nats.streams import PARTNER_STREAM_NAME
from tests.conftest import headers_of
from tests.integration import test_partner_access as access
from tests.integration.test_partner_access import Connect, SecuredNats, add_events, as_partner

secured, connect, record = access.secured, access.connect, access.record

pytestmark = pytest.mark.nats

CHECKER_FILE = Path(__file__).resolve().parents[2] / "examples" / "partner_feed_check.py"
Received = tuple[str, dict[str, str], bytes]


@functools.cache
def checker_module() -> ModuleType:
    """The example verifier, loaded from its file as a partner would run it."""
    spec = importlib.util.spec_from_file_location("partner_feed_check", CHECKER_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def received_by_partner(secured: SecuredNats, connect: Connect) -> list[Received]:
    partner = await as_partner(connect, secured)
    consumer = await partner.js.pull_subscribe_bind(DEMO_PARTNER.consumer_name,
                                                   stream=PARTNER_STREAM_NAME)
    messages: list[Msg] = await consumer.fetch(200, timeout=2)
    for message in messages:
        await message.ack()
    await partner.connection.close()
    return [(m.subject, headers_of(m), m.data) for m in messages]


def check_all(received: list[Received], public_pem: bytes) -> object:
    module = checker_module()
    checker = module.FeedChecker(public_pem)
    for subject, headers, body in received:
        checker.check(subject, headers, body)
    return checker


async def test_a_partner_verifies_its_whole_feed(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    codes = await add_events(record, secured, 12)  # two runs of the feed
    codes += await add_events(record, secured, 9)
    received = await received_by_partner(secured, connect)
    public_pem = load_or_create_signing_key(audit_dir(secured.settings)).public_pem.encode()

    checker = check_all(received, public_pem)

    assert [headers["ce-subject"] for _s, headers, _b in received] == codes
    chain = [(int(h[PARTNER_CHAIN_SEQ]), h[PARTNER_CHAIN_PREVIOUS]) for _s, h, _b in received]
    assert [seq for seq, _previous in chain] == list(range(1, len(codes) + 1))
    assert chain[0][1] == GENESIS
    # The last copy of each run carries a signed head: nothing received is unsigned.
    signed = [int(h[PARTNER_CHAIN_SEQ]) for _s, h, _b in received if "ce-lgnetpartnersig" in h]
    # The feed may split a run where it caught up with the record (a head more, never fewer).
    assert {4, 7} <= set(signed) and signed[-1] == 7 == len(received)
    assert checker.unsigned() == {}  # type: ignore[attr-defined]


async def test_a_partner_detects_a_message_removed_from_its_feed(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    await add_events(record, secured, 12)  # Firenze's are partner sequences 1, 4, 7, 10
    feed_user = await connect(partner_feed_nats_url(secured.settings))
    js = feed_user.connection.jetstream()
    # An intruder with the feed's credentials deletes Firenze's second intake.
    assert await js.delete_msg(PARTNER_STREAM_NAME, 4)
    await replay_partner_consumer(js, DEMO_PARTNER)
    received = await received_by_partner(secured, connect)
    public_pem = load_or_create_signing_key(audit_dir(secured.settings)).public_pem.encode()

    with pytest.raises(checker_module().FeedBroken, match=(
        r"^partner\.firenze\.case\.intake_recorded: #3 after #1: #2\.\.#2 missing$"
    )):
        check_all(received, public_pem)


async def test_a_partner_detects_an_altered_message_even_with_its_links_redone(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    await add_events(record, secured, 12)
    received = await received_by_partner(secured, connect)
    module = checker_module()
    public_pem = load_or_create_signing_key(audit_dir(secured.settings)).public_pem.encode()
    subject, headers, body = received[1]
    altered = body.replace(b'"firenze"', b'"firenze" ', 1)
    assert altered != body

    # Altered alone: the next message no longer follows it.
    with pytest.raises(module.FeedBroken, match=r"#3: does not follow #2"):
        check_all([received[0], (subject, headers, altered), *received[2:]], public_pem)
    # Its links redone after it (no key is needed for those): the signed head fails.
    forged = [received[0], (subject, headers, altered)]
    for next_subject, next_headers, next_body in received[2:]:
        previous_subject, previous_headers, previous_body = forged[-1]
        relinked = {**next_headers, PARTNER_CHAIN_PREVIOUS: module.message_hash(
            previous_subject, previous_headers, previous_body)}
        forged.append((next_subject, relinked, next_body))
    with pytest.raises(module.FeedBroken, match=r"#4: the signed head does not verify"):
        check_all(forged, public_pem)
    # Another key (a forger's) never verifies the platform's heads.
    other = load_or_create_signing_key(audit_dir(secured.settings).with_name("other"))
    with pytest.raises(module.FeedBroken, match="the signed head does not verify"):
        check_all(received, other.public_pem.encode())
