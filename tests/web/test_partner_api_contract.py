"""A partner reads over HTTP exactly what its NATS feed carries (issue 18 item 12): the same
partner copies (types and bodies) of the same cases, and nothing the feed leaves out.

The record is relayed to a real nats-server (stream LGNET), the partner feed copies what
partners receive to LGNET_PARTNER, and the partner's subjects are read back from there; the same
partner then reads the API. The penetration test's two leaks are in the scenario: a closure (its
status, from an event the partner never receives) and a case transferred into the partner's
city (whose intake the partner never got)."""

from __future__ import annotations

import json
from typing import Any

import nats
import nats.errors
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy

from infra.bootstrap import Platform
from infra.nats.server import EmbeddedNats
from infra.nats.streams import PARTNER_STREAM_NAME
from infra.pipeline.partner_feed.feed import PartnerFeed
from infra.pipeline.relay import Relay
from tests.web.conftest import Clients, record_intake

pytestmark = pytest.mark.nats

INTAKES_ONLY = ("case.intake_recorded",)
INTAKES_AND_WAITLIST = ("case.intake_recorded", "placement.waitlisted")


async def on_nats(nats_url: str, subjects: list[str]) -> list[dict[str, Any]]:
    """What a partner entitled to `subjects` finds in the partner stream: each copy's type and
    body, in the stream's order."""
    connection = await nats.connect(nats_url)
    found = []
    try:
        js = connection.jetstream()
        for subject in subjects:
            subscription = await js.subscribe(
                subject, stream=PARTNER_STREAM_NAME, ordered_consumer=True,
                config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
            while True:
                try:
                    message = await subscription.next_msg(timeout=1.0)
                except nats.errors.TimeoutError:
                    break
                assert message.headers is not None
                found.append({"type": message.headers["ce-type"],
                              "data": json.loads(message.data)})
            await subscription.unsubscribe()
    finally:
        await connection.close()
    return found


def over_http(partner: Any, city: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The partner's case list of `city`, and the history entries of every case in it."""
    listing = partner.get(f"/api/v1/cities/{city}/cases", params={"page_size": 100})
    assert listing.status_code == 200, listing.text
    items: list[dict[str, Any]] = listing.json()["items"]
    entries = []
    for item in items:
        case = partner.get(f"/api/v1/cases/{item['case_id']}")
        assert case.status_code == 200, case.text
        entries += [{"type": e["type"], "data": e["data"]} for e in case.json()["history"]]
    return items, entries


def subjects_of(cities: tuple[str, ...], kinds: tuple[str, ...]) -> list[str]:
    return [f"partner.{city}.{kind}" for city in cities for kind in kinds]


async def test_a_partner_reads_over_http_the_copies_its_nats_feed_carries_and_no_more(
    clients: Clients, platform: Platform, nats_server: EmbeddedNats
) -> None:
    florence = clients.coordinator("firenze")
    kept = record_intake(clients, "firenze", vulnerabilities=["trafficking_victim"])
    closed = record_intake(clients, "firenze", birth_date="1980-01-01")
    closure = florence.post(f"/api/v1/cases/{closed['case_id']}/closure", json={
        "outcome": "autonomy", "closed_on": "2021-03-12", "reason": "Contract test"})
    assert closure.status_code == 200, closure.text
    waitlisted = florence.post(f"/api/v1/cases/{kept['case_id']}/housing/waitlist")
    assert waitlisted.status_code == 200, waitlisted.text
    # Taken in by Milan, transferred to Florence: Florence's partner never got its intake.
    moved = record_intake(clients, "milano")
    transfer = clients.coordinator("milano").post(
        f"/api/v1/cases/{moved['case_id']}/referrals",
        json={"destination_kind": "transfer", "to_city": "firenze", "urgency": "immediate"})
    assert transfer.status_code == 201, transfer.text
    accepted = florence.post(
        f"/api/v1/referrals/{transfer.json()['referral_id']}/acceptance")
    assert accepted.status_code == 200, accepted.text
    record_intake(clients, "milano")  # another city's: on no subject of Florence's partner

    await Relay(platform.record, nats_server.url).publish_pending()
    await PartnerFeed(nats_server.url).publish_pending()

    for kinds in (INTAKES_ONLY, INTAKES_AND_WAITLIST):
        partner = clients.partner("firenze", kinds=kinds)
        nats_copies = await on_nats(nats_server.url, subjects_of(("firenze",), kinds))
        items, http_copies = over_http(partner, "firenze")

        assert sorted(map(json.dumps, http_copies)) == sorted(map(json.dumps, nats_copies)), kinds
        assert {item["case_id"] for item in items} == {
            c["data"]["case_id"] for c in nats_copies if ".case.intake_recorded." in c["type"]}
        assert {item["case_code"] for item in items} == {kept["case_code"], closed["case_code"]}
        assert all(item["status"] is None and item["vulnerabilities"] is None for item in items)
        assert partner.get(f"/api/v1/cases/{moved['case_id']}").status_code == 404
        assert "trafficking" not in json.dumps(items) + json.dumps(http_copies)
    # Florence's staff still see the transferred case and the closure.
    staff = {c["case_code"]: c for c in florence.get("/api/v1/cities/firenze/cases").json()[
        "items"]}
    assert moved["case_code"] in staff and staff[closed["case_code"]]["status"] == "closed"
