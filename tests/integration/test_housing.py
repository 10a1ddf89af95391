"""Fast-track housing on the real record (SQLite) and a real nats-server: a placement from the
waitlist to move-out, told by the read models; refusals that write nothing; every housing event
published as a valid CloudEvent; and a shelter that housed thousands loading from a snapshot."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from uuid import UUID, uuid4

import jsonschema
import psycopg
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat

from domain.cases.model import CaseClosed
from domain.cases.rules import CaseOutcome, Vulnerability
from domain.cases.service import CaseNotFound, CaseService
from domain.housing.model import (
    InvalidHousingReason,
    MoveOutOutcome,
    NoFreeBed,
    NotHoused,
    NotOnWaitlist,
    Shelter,
    ShelterClosureReason,
    ShelterKind,
    ShelterOfAnotherCity,
)
from domain.housing.priority import in_waitlist_order
from domain.housing.service import HousingService
from domain.programme import CARD_PRIORITY_WEIGHTS, City, ProtectionStatus
from domain.record import ProgrammeRecord
from events.catalogue import json_schemas
from events.housing import HOUSING_CONTRACTS
from infra.nats.server import EmbeddedNats
from infra.publishing.messages import PUBLIC_TOPICS, to_message
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import KEY_BYTES, SqliteVault
from projections.housing import HousingProjection, HousingQueries, WaitlistEntry
from projections.projection import Delivered, apply_batch, ensure_created
from projections.storage.read_models import PostgresReadModels, ReadModelDatabase, SqliteReadModels
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.conftest import data_of, headers_of, relayed

MILAN = a_coordinator(City.MILANO)
FLORENCE = a_coordinator(City.FIRENZE)


@dataclass
class Housing:
    record: ProgrammeRecord
    cases: CaseService
    service: HousingService
    read_models: ReadModelDatabase
    projection: HousingProjection
    views: HousingQueries

    def take_in(self, city: City = City.MILANO, **facts: Any) -> UUID:
        case_id = uuid4()
        self.cases.record_intake(case_id, an_intake(city, **facts), a_person(),
                                 a_coordinator(city), NOW)
        return case_id

    def shelter(self, beds: int, city: City = City.MILANO, name: str = "Casa Aurora") -> UUID:
        shelter_id = uuid4()
        self.service.register_shelter(shelter_id, city, name, ShelterKind.TEMPORARY_SHELTER,
                                      "Niguarda", beds, a_coordinator(city), NOW)
        return shelter_id

    def project(self) -> None:
        """Apply what the relay would publish, as the projector would."""
        applied = self.read_models.tracking(self.projection.name).stream_seq
        notifications = self.record.recorder.select_notifications(
            applied + 1, 10_000, topics=PUBLIC_TOPICS)
        if notifications:
            apply_batch(self.read_models, self.projection, [
                Delivered(n.id, to_message(n, self.record.mapper).envelope)
                for n in notifications])

    def written(self) -> int | None:
        return self.record.recorder.max_notification_id()


def housing_over(tmp_path: Path, read_models: ReadModelDatabase) -> Housing:
    record = open_record(Settings(data_dir=tmp_path))
    cases = CaseService(record, SqliteVault(tmp_path / "vault.sqlite",
                                            secrets.token_bytes(KEY_BYTES)))
    projection = HousingProjection()
    ensure_created(read_models, projection)
    return Housing(record, cases, HousingService(record, cases), read_models, projection,
                   HousingQueries(read_models))


@pytest.fixture
def housing(tmp_path: Path) -> Iterator[Housing]:
    made = housing_over(tmp_path, SqliteReadModels(tmp_path / "readmodels.sqlite"))
    yield made
    made.read_models.close()
    made.cases.vault.close()
    made.record.close()


@pytest.fixture
def housing_on_postgres(postgres_database: str, tmp_path: Path) -> Iterator[Housing]:
    """Read models in a PostgreSQL database of this test's own (the event store on SQLite)."""
    url = urlparse(postgres_database)
    name = f"{url.path.lstrip('/')}_housing_views"
    admin: dict[str, Any] = {"host": url.hostname, "port": url.port, "user": url.username,
                             "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    read_models = PostgresReadModels(url._replace(path=f"/{name}").geturl())
    made = housing_over(tmp_path, read_models)
    try:
        yield made
    finally:
        read_models.close()
        made.cases.vault.close()
        made.record.close()
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_placement_from_waitlist_to_move_out(housing: Housing) -> None:
    a_placement_from_waitlist_to_move_out(housing)


@pytest.mark.postgres
def test_placement_from_waitlist_to_move_out_with_postgresql_read_models(
    housing_on_postgres: Housing,
) -> None:
    a_placement_from_waitlist_to_move_out(housing_on_postgres)


def a_placement_from_waitlist_to_move_out(housing: Housing) -> None:
    """Two people wait for the one bed of a Milan shelter; the vulnerable one is first in the
    card's order (neither holds international protection; vulnerability outweighs waiting an
    hour longer), is offered it, declines (keeping her place), takes it a week later, and
    leaves for an apartment of her own; the bed is then free for the next."""
    shelter_id = housing.shelter(beds=1)
    refugee = housing.take_in(protection_status=ProtectionStatus.SPECIAL_PROTECTION)
    mother = housing.take_in(protection_status=ProtectionStatus.ASYLUM_SEEKER,
                             vulnerabilities=frozenset({Vulnerability.SINGLE_PARENT_WITH_MINORS}))
    housing.service.add_to_waitlist(refugee, MILAN, NOW)
    housing.service.add_to_waitlist(mother, MILAN, NOW + timedelta(hours=1))
    housing.project()

    first_in_line = in_line(housing, NOW + timedelta(days=3))
    assert [entry.case_id for entry in first_in_line] == [mother, refugee]
    assert [entry.days_waiting for entry in first_in_line] == [2, 3]

    housing.service.offer_bed(mother, shelter_id, MILAN, NOW + timedelta(days=3))
    with pytest.raises(NoFreeBed):
        housing.service.offer_bed(refugee, shelter_id, MILAN, NOW + timedelta(days=3))
    housing.service.decline_offer(mother, "The children's school is far", MILAN,
                                  NOW + timedelta(days=4))
    housing.project()
    assert [e.case_id for e in in_line(housing, NOW)] == [mother, refugee]
    assert housing.views.city_housing("milano").free == 1

    offered_at = NOW + timedelta(days=7)
    housing.service.offer_bed(mother, shelter_id, MILAN, offered_at)
    housing.service.move_in(mother, offered_at.date(), MILAN, offered_at)
    housing.project()
    city = housing.views.city_housing("milano")
    assert (city.beds, city.occupied, city.free) == (1, 1, 0)
    assert city.days_to_move_in == ((offered_at.date() - date(2021, 3, 10)).days,) == (7,)
    assert city.housed_so_far == 1
    assert [shelter.days_to_move_in for shelter in city.shelters] == [(7,)]
    (current,) = housing.views.placements(shelter_id, current_only=True)
    assert (current.case_id, current.bed, current.status) == (mother, 1, "housed")
    assert [e.case_id for e in in_line(housing, NOW)] == [refugee]

    left = NOW + timedelta(days=60)
    housing.service.move_out(mother, MoveOutOutcome.AUTONOMOUS_HOUSING, left.date(), "", MILAN,
                             left)
    housing.service.offer_bed(refugee, shelter_id, MILAN, left)
    housing.project()

    path = housing.views.housing_path(mother)
    assert path is not None and path.stage == "moved_out" and path.shelter_id is None
    history = housing.views.placements(shelter_id)
    assert [(p.case_id, p.status) for p in history] == [
        (refugee, "offered"), (mother, "moved_out"), (mother, "declined")]
    assert history[1].outcome == "autonomous_housing"
    shelter = housing.service.get_shelter(shelter_id)
    assert shelter.holder_of(1) is not None and shelter.occupied == 1
    assert housing.views.shelter(shelter_id) is not None
    assert housing.views.shelter(shelter_id).occupied == 1  # type: ignore[union-attr]


def in_line(housing: Housing, now: datetime) -> list[WaitlistEntry]:
    """Milan's waitlist in the card's priority order, with the card's weights."""
    return [entry for entry, _priority in in_waitlist_order(
        housing.views.waitlist("milano", now), CARD_PRIORITY_WEIGHTS, now)]


def test_refusals_write_nothing(housing: Housing) -> None:
    milan_shelter = housing.shelter(beds=2)
    florence_case = housing.take_in(City.FIRENZE)
    housing.service.add_to_waitlist(florence_case, FLORENCE, NOW)
    closed_case = housing.take_in()
    housing.service.add_to_waitlist(closed_case, MILAN, NOW)
    housing.cases.close(closed_case, CaseOutcome.OTHER, NOW.date(), "Moved away", MILAN, NOW)
    never_waitlisted = housing.take_in()
    before = housing.written()

    refusals: list[tuple[type[Exception], Any]] = [
        (ShelterOfAnotherCity,
         lambda: housing.service.offer_bed(florence_case, milan_shelter, FLORENCE, NOW)),
        (CaseClosed, lambda: housing.service.offer_bed(closed_case, milan_shelter, MILAN, NOW)),
        (NotOnWaitlist,
         lambda: housing.service.offer_bed(never_waitlisted, milan_shelter, MILAN, NOW)),
        (NotOnWaitlist, lambda: housing.service.leave_waitlist(never_waitlisted, "x", MILAN, NOW)),
        (CaseNotFound, lambda: housing.service.add_to_waitlist(uuid4(), MILAN, NOW)),
    ]
    for error, command in refusals:
        with pytest.raises(error):
            command()

    assert housing.written() == before


@pytest.mark.nats
async def test_every_housing_event_reaches_nats_as_a_valid_cloudevent(
    housing: Housing, nats_server: EmbeddedNats
) -> None:
    shelter_id = housing.shelter(beds=3)
    case_id = housing.take_in()
    service = housing.service
    service.add_beds(shelter_id, 2, MILAN, NOW)
    service.remove_beds(shelter_id, 1, MILAN, NOW)
    service.add_to_waitlist(case_id, MILAN, NOW)
    service.offer_bed(case_id, shelter_id, MILAN, NOW)
    service.decline_offer(case_id, "Too far", MILAN, NOW)
    service.offer_bed(case_id, shelter_id, MILAN, NOW)
    service.move_in(case_id, NOW.date(), MILAN, NOW)
    service.move_out(case_id, MoveOutOutcome.OTHER, NOW.date(), "Hospital stay", MILAN, NOW)
    service.add_to_waitlist(case_id, MILAN, NOW)
    service.leave_waitlist(case_id, "Found a room", MILAN, NOW)
    service.close_shelter(shelter_id, ShelterClosureReason.FUNDING_ENDED, MILAN, NOW)
    case_code = housing.cases.get(case_id).case_code

    messages = await relayed(housing.record, nats_server.url)

    schemas = json_schemas()
    housing_messages = [m for m in messages if m.subject.split(".")[2] in ("shelter", "placement")]
    seen_types = [headers_of(m)["ce-type"] for m in housing_messages]
    superseded = {"it.lgnet.placement.offer_declined.v1", "it.lgnet.placement.moved_out.v1",
                  "it.lgnet.placement.left_waitlist.v1",  # issue 16: their texts left events
                  "it.lgnet.shelter.closed.v1"}  # its reason is a code of a list now
    assert set(seen_types) == {contract.ce_type() for contract in HOUSING_CONTRACTS} - superseded
    assert len(housing_messages) == 12  # the bed bookkeeping and the path's start stay inside
    for message in housing_messages:
        event = from_http(HTTPMessage(headers=headers_of(message), body=message.data),
                          JSONFormat())
        ce_type = event.get_type()
        aggregate, name = ce_type.split(".")[2:4]
        assert message.subject == f"lgnet.milano.{aggregate}.{name}"
        assert event.get_specversion() == "1.0"
        assert event.get_source() == "/lgnet/cities/milano"
        assert event.get_time() == NOW
        assert event.get_extension("actorrole") == "city_coordinator"
        data = data_of(event)
        jsonschema.Draft202012Validator(schemas[ce_type]).validate(data)
        if aggregate == "placement":
            assert event.get_subject() == case_code
            assert data["case_id"] == str(case_id) and data["case_code"] == case_code
        else:
            assert event.get_subject() == str(shelter_id)
            assert data["shelter_id"] == str(shelter_id)
        assert "Amina" not in message.data.decode()  # no personal identifier travels
        for text in (b"Too far", b"Hospital stay", b"Found a room"):  # nor free text
            assert text not in message.data
        if ce_type == "it.lgnet.shelter.closed.v2":  # the closure says why by a code only
            assert data == {"shelter_id": str(shelter_id), "city": "milano",
                            "closed_on": NOW.date().isoformat(), "reason": "funding_ended"}


def test_a_shelter_that_housed_thousands_loads_from_a_snapshot_and_a_few_events(
    housing: Housing,
) -> None:
    shelter_id = housing.shelter(beds=40)
    shelter = housing.service.get_shelter(shelter_id)
    for person in range(5_000):
        path_id = uuid4()
        bed = shelter.assign_bed(path_id, NOW)
        shelter.release_bed(bed, path_id, NOW)
        if person % 100 == 99:
            housing.record.save(shelter)
    for _ in range(7):  # seven beds held now, and the last snapshot some events back
        shelter.assign_bed(uuid4(), NOW)
    housing.record.save(shelter)
    interval = ProgrammeRecord.snapshotting_intervals[Shelter]

    assert housing.record.snapshots is not None
    (snapshot,) = housing.record.snapshots.get(shelter_id, desc=True, limit=1)
    replayed = list(housing.record.events.get(shelter_id, gt=snapshot.originator_version))
    loaded = housing.service.get_shelter(shelter_id)

    assert loaded.version == 1 + 10_000 + 7
    assert len(replayed) < interval <= 20
    assert loaded.occupied == 7 and loaded.free_beds == list(range(8, 41))
    assert loaded.city == City.MILANO and loaded.kind == ShelterKind.TEMPORARY_SHELTER


def test_placement_texts_are_kept_in_the_vault_and_discarded_when_refused(
    housing: Housing,
) -> None:
    """Issue 16: the move-out note is in the vault, read back for the page; a refused command
    keeps no text; an erased person gets none."""
    service, case_id = housing.service, housing.take_in()
    shelter_id = housing.shelter(beds=1)
    coordinator = a_coordinator(City.MILANO)
    vault = housing.cases.vault
    text_ids = iter([UUID(int=1), UUID(int=2), UUID(int=3)])
    with pytest.raises(NotHoused):  # refused: the text it kept is discarded
        service.move_out(case_id, MoveOutOutcome.OTHER, NOW.date(), "Back home", coordinator,
                         NOW, new_id=lambda: next(text_ids))
    assert vault.read_text(case_id, UUID(int=1)) is None
    service.add_to_waitlist(case_id, coordinator, NOW)
    service.offer_bed(case_id, shelter_id, coordinator, NOW)
    service.move_in(case_id, NOW.date(), coordinator, NOW)
    service.move_out(case_id, MoveOutOutcome.OTHER, NOW.date(), "  Back home  ", coordinator,
                     NOW, new_id=lambda: next(text_ids))
    housing.project()
    (placement,) = housing.views.case_placements(case_id)
    assert placement.note_id == UUID(int=2)
    assert service.placement_text(case_id, UUID(int=2)) == "Back home"

    erased = housing.take_in()
    housing.cases.erase_personal_data(erased, NOW.date(), "PG/2", coordinator, NOW)
    service.add_to_waitlist(erased, coordinator, NOW)
    before = housing.written()
    with pytest.raises(InvalidHousingReason) as refused:
        service.leave_waitlist(erased, "Found a room", coordinator, NOW)
    assert refused.value.params["field"] == "reason"
    assert housing.written() == before
