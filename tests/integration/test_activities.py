"""Community activities end to end: the application services over a real event store, the relay
to a real nats-server, and the read models fed from what NATS delivers. Every activity event is
a valid CloudEvent (checked with the `cloudevents` SDK and the contract's JSON Schema); a refused
command writes nothing to the notification log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jsonschema
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat

from domain.activities.model import (
    ActivityKind,
    ActivityPlan,
    CivicEngagementReserved,
    InvalidSession,
    NotACaseOfTheCity,
)
from domain.activities.service import ActivityService
from domain.cases.rules import CorrectableField
from domain.cases.service import CaseService
from domain.programme import City, ProtectionStatus, SubAction
from domain.record import ProgrammeRecord
from events.catalogue import json_schemas
from events.cloudevents import from_message
from infra.nats.server import EmbeddedNats
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import open_vault
from projections.activities import ActivityRegisterProjection, ActivityRegisterQueries
from projections.case_list import CaseListProjection, CaseListQueries
from projections.projection import Delivered, apply_batch, reset
from projections.storage.read_models import PostgresReadModels, ReadModelDatabase, SqliteReadModels
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.conftest import data_of, headers_of, relayed

MILANO = City.MILANO
COORDINATOR = a_coordinator(MILANO)


@dataclass
class Programme:
    record: ProgrammeRecord
    cases: CaseService
    activities: ActivityService

    def take_in(self, status: ProtectionStatus, city: City = MILANO) -> UUID:
        case_id = uuid4()
        self.cases.record_intake(case_id, an_intake(city, protection_status=status),
                                 a_person(), a_coordinator(city), NOW)
        return case_id

    def plan(self, **overrides: Any) -> UUID:
        activity_id = uuid4()
        plan = ActivityPlan(
            city=MILANO, sub_action=SubAction.CIVIC_ENGAGEMENT,
            kind=ActivityKind.CIVIC_ENGAGEMENT_INITIATIVE, title="Orti condivisi",
            neighbourhood="Quarto Oggiaro", starts_on=date(2021, 3, 1),
            ends_on=date(2021, 6, 30), organiser="Ufficio Cittadinanza Attiva",
        )
        self.activities.plan_activity(activity_id, replace(plan, **overrides), COORDINATOR, NOW)
        return activity_id

    def written(self) -> int | None:
        return self.record.recorder.max_notification_id()


@pytest.fixture
def programme(tmp_path: Path) -> Iterator[Programme]:
    settings = Settings(data_dir=tmp_path)
    record = open_record(settings)
    cases = CaseService(record, open_vault(settings))
    yield Programme(record, cases, ActivityService(record, cases))
    record.close()


def test_civic_engagement_enrolment_is_refused_for_a_refugee_and_accepted_for_an_asylum_seeker(
    programme: Programme,
) -> None:
    refugee = programme.take_in(ProtectionStatus.REFUGEE)
    seeker = programme.take_in(ProtectionStatus.ASYLUM_SEEKER)
    activity_id = programme.plan()
    before = programme.written()

    with pytest.raises(CivicEngagementReserved) as refused:
        programme.activities.enrol(activity_id, refugee, COORDINATOR, NOW)
    assert "art. 8 of law 46/2017" in refused.value.message
    assert programme.written() == before

    position = programme.activities.enrol(activity_id, seeker, COORDINATOR, NOW)
    assert before is not None and position == before + 1
    assert set(programme.activities.get(activity_id).participants) == {seeker}

    # A correction of the status is what counts from then on, either way.
    programme.cases.correct_intake(refugee, {CorrectableField.PROTECTION_STATUS: "asylum_seeker"},
                                   "Wrong status at intake", COORDINATOR, NOW)
    programme.activities.enrol(activity_id, refugee, COORDINATOR, NOW)
    assert len(programme.activities.get(activity_id).participants) == 2


def test_refusals_write_nothing(programme: Programme) -> None:
    enrolled = programme.take_in(ProtectionStatus.ASYLUM_SEEKER)
    florence = programme.take_in(ProtectionStatus.ASYLUM_SEEKER, City.FIRENZE)
    activity_id = programme.plan()
    programme.activities.enrol(activity_id, enrolled, COORDINATOR, NOW)
    before = programme.written()

    for unknown in (florence, uuid4()):
        with pytest.raises(NotACaseOfTheCity):
            programme.activities.enrol(activity_id, unknown, COORDINATOR, NOW)
    with pytest.raises(InvalidSession):
        programme.activities.record_session(activity_id, date(2021, 3, 5), Decimal("1.5"),
                                            frozenset({enrolled, florence}), 0, COORDINATOR, NOW)
    assert programme.written() == before


CE_TYPES = {
    "planned": "it.lgnet.activity.planned.v1",
    "participant_enrolled": "it.lgnet.activity.participant_enrolled.v1",
    "session_held": "it.lgnet.activity.session_held.v1",
    "completed": "it.lgnet.activity.completed.v1",
    "cancelled": "it.lgnet.activity.cancelled.v1",
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def read_models(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadModelDatabase]:
    """Empty read models of the register and the case list, in SQLite or PostgreSQL."""
    database: ReadModelDatabase
    if request.param == "sqlite":
        database = SqliteReadModels(tmp_path / "readmodels.sqlite")
    else:
        database = PostgresReadModels(request.getfixturevalue("postgres_database"))
    for projection in (ActivityRegisterProjection(), CaseListProjection()):
        reset(database, projection)
    yield database
    database.close()


@pytest.mark.nats
async def test_every_activity_event_reaches_nats_as_a_valid_cloudevent_and_feeds_the_register(
    programme: Programme, nats_server: EmbeddedNats, read_models: ReadModelDatabase
) -> None:
    seeker = programme.take_in(ProtectionStatus.ASYLUM_SEEKER)
    other = programme.take_in(ProtectionStatus.ASYLUM_SEEKER)
    civic = programme.plan()
    programme.activities.enrol(civic, seeker, COORDINATOR, NOW)
    programme.activities.enrol(civic, other, COORDINATOR, NOW)
    programme.activities.record_session(civic, date(2021, 3, 8), Decimal("1.5"),
                                        frozenset({seeker, other}), 12, COORDINATOR, NOW)
    programme.activities.record_session(civic, date(2021, 3, 9), Decimal("0.25"),
                                        frozenset({seeker}), 0, COORDINATOR, NOW)
    programme.activities.complete(civic, COORDINATOR, NOW + timedelta(hours=1))
    training = programme.plan(sub_action=SubAction.ADMINISTRATION_EMPOWERMENT,
                              kind=ActivityKind.STAFF_TRAINING, title="Formazione anagrafe")
    programme.activities.cancel(training, "Trainer unavailable", COORDINATOR, NOW)

    messages = await relayed(programme.record, nats_server.url)

    schemas = json_schemas()
    activity_messages = [m for m in messages if ".activity." in m.subject]
    assert [m.subject.rsplit(".", 1)[1] for m in activity_messages] == [
        "planned", "participant_enrolled", "participant_enrolled", "session_held",
        "session_held", "completed", "planned", "cancelled",
    ]
    bodies = []
    for message in activity_messages:
        event_name = message.subject.rsplit(".", 1)[1]
        assert message.subject == f"lgnet.milano.activity.{event_name}"
        event = from_http(HTTPMessage(headers=headers_of(message), body=message.data),
                          JSONFormat())
        data = data_of(event)
        assert event.get_specversion() == "1.0"
        assert event.get_type() == CE_TYPES[event_name]
        assert event.get_source() == "/lgnet/cities/milano"
        assert event.get_subject() == data["activity_id"]  # an activity is no case's
        assert event.get_id().startswith(f"{data['activity_id']}.")
        assert event.get_extension("actorrole") == "city_coordinator"
        assert event.get_extension("actorcity") == "milano"
        jsonschema.Draft202012Validator(schemas[CE_TYPES[event_name]]).validate(data)
        assert data["city"] == "milano"
        bodies.append(data)
    first_session = bodies[3]
    assert first_session["hours"] == "1.50"  # a decimal travels as a string, never a float
    assert first_session["case_ids"] == [str(seeker), str(other)]
    assert first_session["residents"] == 12
    assert bodies[1]["case_id"] == str(seeker)
    assert bodies[5]["sessions"] == 2
    assert bodies[7]["reason"] == "Trainer unavailable"
    assert "given_name" not in str(bodies) and "Tesfaye" not in str(bodies)

    # The register and the case timelines are built from what NATS delivered.
    delivered = [
        Delivered(message.metadata.sequence.stream,
                  from_message(dict(message.headers or {}), message.data))
        for message in messages
    ]
    for projection in (ActivityRegisterProjection(), CaseListProjection()):
        apply_batch(read_models, projection, delivered)
        apply_batch(read_models, projection, delivered)  # a redelivery changes nothing
    register = ActivityRegisterQueries(read_models).register("milano")
    timeline = CaseListQueries(read_models).history(other)

    by_title = {a.title: a for a in register.activities}
    assert by_title["Orti condivisi"].status == "completed"
    assert (by_title["Orti condivisi"].sessions, by_title["Orti condivisi"].hours) == (
        2, Decimal("1.75"))
    assert by_title["Formazione anagrafe"].status == "cancelled"
    overall = register.totals[-1]
    assert (overall.activities, overall.beneficiaries, overall.residents) == (2, 2, 12)
    assert overall.participant_hours == Decimal("3.25")  # 1.75 + 1.50
    assert [entry.type for entry in timeline] == [
        "it.lgnet.case.intake_recorded.v2", CE_TYPES["participant_enrolled"],
        CE_TYPES["session_held"],
    ]
