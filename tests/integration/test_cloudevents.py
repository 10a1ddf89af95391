"""An intake recorded through the application service reaches NATS as a valid CloudEvent, read
back with the `cloudevents` SDK and checked against the contract's published JSON Schema. And the
relay's fast mapping writes exactly the bytes of the reference (pydantic) mapping."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import jsonschema
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat

from domain.cases.model import Case, ReceptionHistory
from domain.cases.rules import ReceptionCentreKind, ReceptionSituation, Sex, Vulnerability
from domain.cases.service import CaseService
from domain.privacy import LEGAL_BASES
from domain.programme import (
    CARD_TERMS,
    FOUNDING_CITIES,
    Actor,
    ActorKind,
    City,
    ProtectionStatus,
    Role,
)
from events.catalogue import json_schemas
from infra.nats.server import EmbeddedNats
from infra.publishing.messages import FAST_LAYOUTS, PUBLIC_TOPICS, message_via_contract, to_message
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import open_vault
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.conftest import data_of, headers_of, relayed

INTAKE_TYPE = "it.lgnet.case.intake_recorded.v2"


@pytest.mark.nats
async def test_an_intake_reaches_nats_as_a_valid_cloudevent(
    tmp_path: Path, nats_server: EmbeddedNats
) -> None:
    settings = Settings(data_dir=tmp_path)
    record = open_record(settings)
    cases = CaseService(record, open_vault(settings))
    case_id = uuid4()
    receipt = cases.record_intake(
        case_id,
        an_intake(City.PALERMO, vulnerabilities=frozenset({Vulnerability.PREGNANCY})),
        a_person(),
        a_coordinator(City.PALERMO),
        NOW,
    )
    (message,) = await relayed(record, nats_server.url)
    record.close()

    assert message.subject == "lgnet.palermo.case.intake_recorded"
    event = from_http(HTTPMessage(headers=headers_of(message), body=message.data), JSONFormat())
    assert event.get_specversion() == "1.0"
    assert event.get_id() == f"{case_id}.1"
    assert event.get_source() == "/lgnet/cities/palermo"
    assert event.get_type() == INTAKE_TYPE
    assert event.get_subject() == receipt.case_code
    assert event.get_time() == NOW
    assert event.get_datacontenttype() == "application/json"
    assert event.get_extension("lgnetposition") == str(receipt.position)
    assert event.get_extension("actorrole") == "city_coordinator"
    assert event.get_extension("actorcity") == "palermo"

    data = data_of(event)
    jsonschema.Draft202012Validator(json_schemas()[INTAKE_TYPE]).validate(data)
    assert data["case_id"] == str(case_id)
    assert data["case_code"] == receipt.case_code
    assert data["vulnerabilities"] == ["pregnancy"]


def test_the_schema_rejects_a_body_that_breaks_the_contract() -> None:
    """The schema check above can fail: a body with a personal field is refused."""
    validator = jsonschema.Draft202012Validator(json_schemas()[INTAKE_TYPE])
    body = {
        "case_id": str(uuid4()), "case_code": "FI-2021-00001", "city": "firenze",
        "intake_date": "2021-03-10", "protection_status": "refugee", "permit_expires_on": None,
        "reception_situation": "never_in_reception", "left_reception_on": None,
        "planned_exit_on": None, "reception_centre_kind": None, "sex": "female",
        "age_band": "25-34", "citizenship": "ER", "has_identity_document": True,
        "household_size": 1, "vulnerabilities": [],
        "information_notice_given_on": "2021-03-10", "information_notice_language": "ti",
        "legal_bases": [{"purpose": "case_management", "legal_basis": "public_task"}],
        "consents": [{"purpose": "photographs", "given_on": "2021-03-10"}],
        "priority_group": "international_protection", "eligibility": [],
    }
    validator.validate(body)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**body, "given_name": "Amina"})


def varied_intakes() -> list[Case]:
    """Intakes across every protection status, reception situation and centre, sex, city, age,
    citizenship (none too), consents and a spread of vulnerabilities, by a user with and
    without a city and by the system."""
    receptions = [
        ReceptionHistory(ReceptionSituation.NEVER_IN_RECEPTION),
        *(
            ReceptionHistory(ReceptionSituation.LEFT_RECEPTION, date(2020, 12, 1), kind)
            for kind in ReceptionCentreKind if kind.existed_on(date(2020, 12, 1))
        ),
        ReceptionHistory(ReceptionSituation.IN_RECEPTION, centre_kind=ReceptionCentreKind.CAS),
        ReceptionHistory(ReceptionSituation.LEAVING_RECEPTION,
                         centre_kind=ReceptionCentreKind.SAI, planned_exit_on=date(2021, 4, 1)),
    ]
    consent_sets = [frozenset(), frozenset(LEGAL_BASES.resting_on_consent)]
    actors = [
        a_coordinator(City.BARI),
        Actor(ActorKind.USER, "ministry-7", Role.MINISTRY),
        Actor(ActorKind.SYSTEM, "importer", Role.SYSTEM),
    ]
    vulnerability_sets = [
        frozenset(),
        frozenset({Vulnerability.TRAFFICKING_VICTIM}),
        frozenset({Vulnerability.SERIOUS_ILLNESS, Vulnerability.MENTAL_DISORDER,
                   Vulnerability.ELDERLY}),
    ]
    cases = []
    combinations = itertools.product(ProtectionStatus, receptions, Sex, vulnerability_sets)
    for index, (status, reception, sex, vulnerabilities) in enumerate(combinations):
        city = list(FOUNDING_CITIES)[index % len(FOUNDING_CITIES)]
        facts = an_intake(
            city,
            protection_status=status,
            reception=reception,
            sex=sex,
            vulnerabilities=vulnerabilities,
            birth_date=date(1950 + index % 60, 1 + index % 12, 1 + index % 28),
            household_size=1 + index % 30,
            citizenship=None if status is ProtectionStatus.STATELESS else [
                "ER", "AF", "NG", "UA", "SY", None][index % 6],
            permit_expires_on=None if not status.has_permit else date(2022, 1, 1 + index % 28),
            has_identity_document=index % 7 != 0,
            consents=consent_sets[index % 2],
        )
        at = datetime(2021, 3, 10, 8, index % 60, index % 60, index * 997 % 1_000_000, UTC)
        code = f"{CARD_TERMS.province_code(city)}-2021-{index + 1:05d}"
        cases.append(Case.take_in(uuid4(), code, facts, actors[index % len(actors)], at))
    return cases


def test_the_fast_mapping_writes_the_same_messages_as_the_contract(tmp_path: Path) -> None:
    assert set(FAST_LAYOUTS) <= set(PUBLIC_TOPICS)
    record = open_record(Settings(data_dir=tmp_path))
    try:
        cases = varied_intakes()
        record.save(*cases)
        notifications = record.recorder.select_notifications(1, 10_000, topics=PUBLIC_TOPICS)
        assert {notification.topic for notification in notifications} == set(FAST_LAYOUTS)
        assert len(notifications) == len(cases)
        for notification in notifications:
            fast = to_message(notification, record.mapper)
            reference = message_via_contract(notification, record.mapper)
            assert fast.subject == reference.subject
            assert list(fast.headers.items()) == list(reference.headers.items())  # order too
            assert fast.body == reference.body
            assert fast.envelope == reference.envelope
    finally:
        record.close()


def test_the_body_is_the_contract_in_json(tmp_path: Path) -> None:
    record = open_record(Settings(data_dir=tmp_path))
    try:
        (case,) = varied_intakes()[:1]
        record.save(case)
        (notification,) = record.recorder.select_notifications(1, 10, topics=PUBLIC_TOPICS)
        body = json.loads(to_message(notification, record.mapper).body)
        assert body["case_id"] == str(case.id)
        assert body["intake_date"] == "2021-03-10"
        assert "birth_date" not in body  # only its age band travels
    finally:
        record.close()


def test_every_public_event_of_a_demo_record_takes_a_faster_path_to_the_reference_message(
    tmp_path: Path,
) -> None:
    """`lgnet audit verify` rebuilds every event's message: the JSON path (every public topic
    without a fast layout or a mapping of its own) writes exactly the reference path's subject,
    headers in order, body and envelope, for every kind of work the demo generator records; and
    it is the path taken, but for events whose city is their class's constant."""
    from infra.publishing.event_mapping import PublicEvent
    from infra.publishing.event_mapping.catalogue import PUBLIC_EVENTS
    from infra.publishing.messages import _json_message
    from tests.integration.test_demo import generate

    report = generate(tmp_path, seed=7)
    assert not report.refused
    record = open_record(Settings(data_dir=tmp_path))
    try:
        notifications = record.recorder.select_notifications(1, 10**6, topics=PUBLIC_TOPICS)
        json_path: set[str] = set()
        not_json_path: set[str] = set()
        for notification in notifications:
            fast = to_message(notification, record.mapper)
            reference = message_via_contract(notification, record.mapper)
            assert fast.subject == reference.subject, notification.topic
            assert list(fast.headers.items()) == list(reference.headers.items()), \
                notification.topic
            assert fast.body == reference.body, notification.topic
            assert fast.envelope == reference.envelope, notification.topic
            public = PUBLIC_EVENTS[notification.topic]
            if notification.topic in FAST_LAYOUTS or type(public) is not PublicEvent:
                continue
            try:
                _json_message(notification, public)
                json_path.add(notification.topic)
            except KeyError:
                not_json_path.add(notification.topic)
    finally:
        record.close()
    assert len(notifications) > 400
    assert len(json_path) >= 35, sorted(json_path)  # 39 kinds of event in this demo
    # Their city is not in their state: the class's constant, which only the domain event has.
    assert not_json_path <= {"domain.audit.model:AuditCheckpoint.Signed",
                             "domain.finance.grant:GrantBudget.Adopted"}, not_json_path
