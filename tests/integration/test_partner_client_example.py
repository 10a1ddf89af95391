"""examples/partner_client.py, run as a partner would run it: a separate process with the demo
partner's credentials, against a real nats-server started with the configuration `lgnet run`
generates."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from pathlib import Path
from uuid import uuid4

import nats
import pytest

from domain.cases.model import Case
from domain.cases.rules import Vulnerability
from domain.cases.service import CaseService
from domain.housing.model import ShelterKind
from domain.housing.service import HousingService
from domain.programme import CARD_TERMS, City
from domain.record import ProgrammeRecord
from infra.audit.checkpoints import audit_dir, load_or_create_signing_key
from infra.nats.auth import DEMO_PARTNER
from infra.nats.credentials import partner_feed_nats_url
from infra.nats.streams import PARTNER_STREAM_NAME
from infra.settings import Settings
from infra.store.vault import open_vault
from tests.builders import BORN_IN_A_PARTNER_V1_BAND, NOW, a_coordinator, a_person, an_intake
from tests.integration import test_partner_access as access
from tests.integration.test_partner_access import (
    SecuredNats,
    a_feed,
    add_events,
    publish_to_lgnet,
)

pytestmark = pytest.mark.nats

CLIENT = Path(__file__).resolve().parents[2] / "examples" / "partner_client.py"

# The secured server and an event store, as the partner access tests have them.
secured, record = access.secured, access.record


async def run_client(secured: SecuredNats, *arguments: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(CLIENT), secured.url_for(DEMO_PARTNER.name), *arguments,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def lines_of(client: asyncio.subprocess.Process) -> list[str]:
    try:
        async with asyncio.timeout(30):
            stdout, stderr = await client.communicate()
    except TimeoutError:
        client.kill()  # only this test's own process
        await client.wait()
        raise
    assert client.returncode == 0, stderr.decode()
    return stdout.decode().splitlines()


def assert_minimised_intake_lines(lines: list[str], codes: list[str]) -> None:
    assert len(lines) == len(codes)
    for line, code in zip(lines, codes, strict=True):
        time, ce_type, subject, body = line.split(" ", 3)
        assert ce_type == "it.lgnet.case.intake_recorded.v1"
        assert subject == code
        assert time.startswith("2021-03-10T")
        event = json.loads(body)
        assert event["case_code"] == code and event["city"] == "firenze"
        assert "vulnerabilities" not in event  # the partner copy


async def test_the_example_client_prints_its_citys_events_live_and_resumes_where_it_stopped(
    record: ProgrammeRecord, secured: SecuredNats
) -> None:
    earlier = await add_events(record, secured, 6)  # Firenze: 2 of them
    client = await run_client(secured, "firenze", "case", "--limit", "3")
    await asyncio.sleep(1)  # it has printed the two waiting, and waits for a third
    live = await add_events(record, secured, 3)  # Firenze: 1
    assert_minimised_intake_lines(await lines_of(client), earlier + live)

    # Its durable consumer remembers: a second run starts after what the first acknowledged.
    later = await add_events(record, secured, 6)
    client = await run_client(secured, "firenze", "case", "--limit", "2")
    assert_minimised_intake_lines(await lines_of(client), later)


def record_placements(record: ProgrammeRecord, tmp_path: Path) -> list[tuple[str, str]]:
    """A Firenze protected setting; two Firenze cases waitlisted (one vulnerable), the first
    offered a bed and moved in, the second leaving the waitlist; a Milano case waitlisted.
    Returns Firenze's placement events as (kind, case code), in order."""
    vault = open_vault(Settings(data_dir=tmp_path / "vault"))
    housing = HousingService(record, CaseService(record, vault))
    coordinator = a_coordinator(City.FIRENZE)
    shelter_id = uuid4()
    housing.register_shelter(shelter_id, City.FIRENZE, "Casa Aurora", ShelterKind.PROTECTED_SETTING,
                             "Novoli", 4, coordinator, NOW)
    cases = []
    for index, (city, vulnerabilities) in enumerate([
        (City.FIRENZE, frozenset({Vulnerability.TRAFFICKING_VICTIM})),
        (City.FIRENZE, frozenset()),
        (City.MILANO, frozenset()),
    ]):
        code = f"{CARD_TERMS.province_code(city)}-2021-{90 + index:05d}"
        case = Case.take_in(uuid4(), code, an_intake(city, vulnerabilities=vulnerabilities,
                                                     birth_date=BORN_IN_A_PARTNER_V1_BAND),
                            a_coordinator(city), NOW)
        record.save(case)
        vault.store(case.id, a_person())  # the person's key: a reason is kept under it
        cases.append(case)
        housing.add_to_waitlist(case.id, a_coordinator(city), NOW)
    first, second, _milano = cases
    housing.offer_bed(first.id, shelter_id, coordinator, NOW)
    housing.move_in(first.id, date(2021, 3, 10), coordinator, NOW)
    housing.leave_waitlist(second.id, "Found a room with relatives", coordinator, NOW)
    return [("waitlisted", first.case_code), ("waitlisted", second.case_code),
            ("bed_offered", first.case_code), ("moved_in", first.case_code),
            ("left_waitlist", second.case_code)]


async def test_the_example_client_prints_a_citys_placements_minimised_by_default(
    record: ProgrammeRecord, secured: SecuredNats, tmp_path: Path
) -> None:
    expected = record_placements(record, tmp_path)
    await publish_to_lgnet(record, secured)
    await a_feed(secured).publish_pending()

    client = await run_client(secured, "firenze", "--limit", str(len(expected)))
    lines = await lines_of(client)

    printed = []
    for line in lines:
        _time, ce_type, subject, body = line.split(" ", 3)
        event = json.loads(body)
        printed.append((ce_type.split(".")[3], subject))
        assert event["city"] == "firenze" and event["case_code"] == subject
        # Nothing that tells of a vulnerability, of where the person sleeps, or free text.
        assert set(event).isdisjoint({"vulnerable", "shelter_id", "shelter_name",
                                      "address_area", "bed", "reason", "note"})
        assert "Novoli" not in line and "Rifredi" not in line and "relatives" not in line
    assert printed == expected


async def test_the_example_client_stops_with_a_clear_error_beyond_its_agreement(
    record: ProgrammeRecord, secured: SecuredNats
) -> None:
    """Issue 19: a partner command never hangs. Milano is not in demo-firenze's agreement."""
    await add_events(record, secured, 3)
    client = await run_client(secured, "milano", "case", "--limit", "1")
    async with asyncio.timeout(20):
        stdout, stderr = await client.communicate()
    assert client.returncode == 2
    assert stdout == b""
    assert stderr.decode().strip() == (
        "error: your agreement does not cover partner.milano.case.*: your consumer receives "
        "partner.firenze.>"
    )


async def test_the_example_client_explains_a_refused_connection(
    record: ProgrammeRecord, secured: SecuredNats
) -> None:
    await add_events(record, secured, 3)
    url = secured.url_for(DEMO_PARTNER.name).replace(f"//{DEMO_PARTNER.name}:", "//x:", 1)
    client = await asyncio.create_subprocess_exec(
        sys.executable, str(CLIENT), url, "firenze", "case",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(20):
        _stdout, stderr = await client.communicate()
    assert client.returncode == 2
    assert stderr.decode().startswith("error: cannot connect as x: ")
    assert "authorization violation" in stderr.decode().lower()


async def test_the_example_client_checks_the_feed_with_the_platforms_key(
    record: ProgrammeRecord, secured: SecuredNats, tmp_path: Path
) -> None:
    """Issue 19: a partner checks its feed is complete and authentic (--public-key)."""
    codes = await add_events(record, secured, 9)  # Firenze: partner sequences 1, 4, 7
    key_file = tmp_path / "platform.pem"
    key_file.write_text(load_or_create_signing_key(audit_dir(secured.settings)).public_pem)
    state = tmp_path / "chains.json"
    client = await run_client(secured, "firenze", "case", "--limit", "2",
                              "--public-key", str(key_file), "--chain-state", str(state))
    assert_minimised_intake_lines(await lines_of(client), codes[:2])

    # More copies; then an intruder removes the next Firenze one from the stream (#3, stream
    # sequence 7): the client stops at #4, saying so.
    await add_events(record, secured, 3)
    feed_user = await nats.connect(partner_feed_nats_url(secured.settings))
    try:
        await feed_user.jetstream().delete_msg(PARTNER_STREAM_NAME, 7)
    finally:
        await feed_user.close()
    client = await run_client(secured, "firenze", "case", "--limit", "2",
                              "--public-key", str(key_file), "--chain-state", str(state))
    async with asyncio.timeout(20):
        stdout, stderr = await client.communicate()
    assert client.returncode == 2 and stdout == b""
    assert stderr.decode().strip() == (
        "error: the feed does not verify: partner.firenze.case.intake_recorded: #4 after #2: "
        "#3..#3 missing"
    )
