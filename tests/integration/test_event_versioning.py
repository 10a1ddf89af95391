"""The versioning policy (docs/events.md) on its real example: `case.personal_data_erased` v2
added the erasure's legal ground (GDPR art. 17(1)). An erasure stored by version 1 of the domain
event still loads (eventsourcing upcasts it), is published as v2, and a partner, whose contract
stays v1, reads its copy as before. A v1 message already in a stream reads as v2 too."""

from __future__ import annotations

import json
from datetime import date
from uuid import uuid4

import jsonschema
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.cases.model import Case, ReceptionHistory
from domain.cases.rules import ErasureLegalBasis, ReceptionCentreKind, ReceptionSituation
from domain.programme import City, ProtectionStatus
from domain.record import ProgrammeRecord
from events.cloudevents import from_message, to_headers
from events.contracts import CasePersonalDataErasedV1, CasePersonalDataErasedV2
from events.partner import (
    DATASCHEMA,
    PartnerCasePersonalDataErasedV1,
    partner_json_schemas,
    partner_message,
    read_partner_message,
)
from infra.nats.auth import DEMO_PARTNER
from infra.nats.credentials import platform_nats_url
from infra.nats.streams import PARTNER_STREAM_NAME, read_stream
from tests.builders import BORN_IN_A_PARTNER_V1_BAND, NOW, a_coordinator, an_intake
from tests.conftest import headers_of
from tests.integration import test_partner_access as access
from tests.integration.test_partner_access import (
    Connect,
    SecuredNats,
    a_feed,
    as_partner,
    publish_to_lgnet,
)
from tests.unit.test_projections import an_envelope, an_intake_recorded

V1_TYPE = "it.lgnet.case.personal_data_erased.v1"
V2_TYPE = "it.lgnet.case.personal_data_erased.v2"

# The secured server, its clients and an event store, as the partner access tests have them.
secured, connect, record = access.secured, access.connect, access.record


def store_a_version_1_erasure(record: ProgrammeRecord, case: Case, reference: str) -> None:
    """Write what version 1 of Case.PersonalDataErased stored, as it stored it: its state with
    neither a class_version (1 is implied) nor a legal_basis."""
    state = {
        "timestamp": NOW,
        "case_code": case.case_code,
        "city": case.city.value,
        "requested_on": date(2021, 3, 10),
        "request_reference": reference,
        "actor": a_coordinator(City.FIRENZE).as_record(),
    }
    record.recorder.insert_events([StoredEvent(
        originator_id=case.id,
        originator_version=case.version + 1,
        topic=get_topic(Case.PersonalDataErased),
        state=record.mapper.transcoder.encode(state),
    )])


@pytest.mark.nats
async def test_an_erasure_stored_by_v1_loads_is_published_as_v2_and_a_v1_partner_reads_it(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    coordinator = a_coordinator(City.FIRENZE)
    old = Case.take_in(uuid4(), "FI-2021-09990", an_intake(City.FIRENZE), coordinator, NOW)
    new = Case.take_in(uuid4(), "FI-2021-09991", an_intake(City.FIRENZE), coordinator, NOW)
    record.save(old, new)
    store_a_version_1_erasure(record, old, "PG/2020/0000001")
    new.erase_personal_data(date(2021, 3, 10), "PG/2021/0000002", coordinator, NOW,
                            ErasureLegalBasis.CONSENT_WITHDRAWN)
    record.save(new)

    # The event stored by v1 loads: the aggregate and the event read as v2.
    loaded: object = record.repository.get(old.id)
    assert isinstance(loaded, Case) and loaded.personal_data_erased
    assert loaded.erasure is not None and loaded.erasure.request_reference == "PG/2020/0000001"
    stored = next(n for n in record.recorder.select_notifications(1, 100)
                  if n.originator_id == old.id and n.originator_version == old.version + 1)
    assert b"class_version" not in stored.state
    erased = record.mapper.to_domain_event(stored)
    assert isinstance(erased, Case.PersonalDataErased) and erased.legal_basis == "not_recorded"

    # The relay publishes both as v2 (checked against the v2 schema as every published message).
    assert await publish_to_lgnet(record, secured) == 4
    platform = await connect(platform_nats_url(secured.settings))
    erasures = [m for m in await read_stream(platform.connection.jetstream())
                if m.subject == "lgnet.firenze.case.personal_data_erased"]
    assert [headers_of(m)["ce-type"] for m in erasures] == [V2_TYPE, V2_TYPE]
    assert [json.loads(m.data)["legal_basis"] for m in erasures] == ["not_recorded", "art17_1b"]

    # A partner still on v1 receives v1 copies of both: the ground is not its business.
    assert await a_feed(secured).publish_pending() == 4
    partner = await as_partner(connect, secured)
    consumer = await partner.js.pull_subscribe_bind(
        DEMO_PARTNER.consumer_name, stream=PARTNER_STREAM_NAME
    )
    copies = [m for m in await consumer.fetch(10, timeout=2)
              if m.subject == "partner.firenze.case.personal_data_erased"]
    assert [headers_of(m)["ce-type"] for m in copies] == [V1_TYPE, V1_TYPE]
    v1_schema = partner_json_schemas()[V1_TYPE]
    for copy, case in zip(copies, (old, new), strict=True):
        assert headers_of(copy)[DATASCHEMA] == v1_schema["$id"]
        jsonschema.validate(json.loads(copy.data), v1_schema)
        event = read_partner_message(headers_of(copy), copy.data)
        assert isinstance(event, PartnerCasePersonalDataErasedV1)
        assert (event.case_id, event.requested_on) == (case.id, date(2021, 3, 10))
        assert b"legal_basis" not in copy.data and b"PG/" not in copy.data
    assert partner.permission_errors() == []


def test_a_v1_message_in_the_stream_reads_as_v2_and_still_has_a_v1_partner_copy() -> None:
    recorded = an_intake_recorded(5)
    intake = an_envelope(recorded, position=5)
    v1 = CasePersonalDataErasedV1(
        case_id=recorded.case_id, case_code=recorded.case_code, city="firenze",
        requested_on=date(2021, 3, 10), request_reference="PG/2020/0000001",
    )
    headers = to_headers(intake) | {"ce-type": V1_TYPE, "ce-id": f"{v1.case_id}.2"}
    body = v1.model_dump_json().encode()

    read = from_message(headers, body)
    assert read.type == V1_TYPE  # the message's own type...
    assert read.data == CasePersonalDataErasedV2(  # ...read as the newest version
        **v1.model_dump(), legal_basis="not_recorded")

    copy = partner_message(headers, body)
    assert copy is not None and copy.headers["ce-type"] == V1_TYPE
    assert copy.subject == "partner.firenze.case.personal_data_erased"
    assert json.loads(copy.body) == {"case_id": str(v1.case_id), "case_code": v1.case_code,
                                     "city": "firenze", "requested_on": "2021-03-10"}


@pytest.mark.nats
async def test_partners_get_intake_v1_copies_where_v1_can_say_it_and_v2_where_it_cannot(
    record: ProgrammeRecord, secured: SecuredNats, connect: Connect
) -> None:
    """Issue 12: partners keep reading intake v1 during the deprecation window; an intake v1
    cannot express truthfully (a person hosted in reception) reaches them as v2 instead."""
    coordinator = a_coordinator(City.FIRENZE)
    out = Case.take_in(uuid4(), "FI-2021-09980", an_intake(
        City.FIRENZE, birth_date=BORN_IN_A_PARTNER_V1_BAND), coordinator, NOW)
    hosted = Case.take_in(uuid4(), "FI-2021-09981", an_intake(
        City.FIRENZE, protection_status=ProtectionStatus.ASYLUM_SEEKER,
        reception=ReceptionHistory(ReceptionSituation.IN_RECEPTION,
                                   centre_kind=ReceptionCentreKind.CAS)), coordinator, NOW)
    record.save(out, hosted)
    assert await publish_to_lgnet(record, secured) == 2
    assert await a_feed(secured).publish_pending() == 2

    partner = await as_partner(connect, secured)
    consumer = await partner.js.pull_subscribe_bind(
        DEMO_PARTNER.consumer_name, stream=PARTNER_STREAM_NAME
    )
    copies = await consumer.fetch(10, timeout=2)
    assert [headers_of(m)["ce-type"] for m in copies] == [
        "it.lgnet.case.intake_recorded.v1", "it.lgnet.case.intake_recorded.v2"]
    for copy in copies:
        headers = headers_of(copy)
        jsonschema.validate(json.loads(copy.data), partner_json_schemas()[headers["ce-type"]])
        read_partner_message(headers, copy.data)
        assert b"vulnerab" not in copy.data and b"legal_bases" not in copy.data
    assert json.loads(copies[1].data)["reception_situation"] == "in_reception"
    assert partner.permission_errors() == []
