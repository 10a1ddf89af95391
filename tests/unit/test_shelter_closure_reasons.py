"""A shelter's closure says why by a code of a fixed list, never by free text: free text is
personal data and never travels on NATS (ARCHITECTURE.md rule 5, "Free text is personal data
too"; docs/events.md, "No free text in events"). The domain's `ShelterClosureReason`, the
stored event's version 2, the contract `shelter.closed.v2`, and a history written before:
a v1 closure (its reason a text) loads, is published again without its text (the reason null),
is read from the stream the same way, and is recomputed as first published for the audit chain."""

from __future__ import annotations

import typing
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from pydantic import ValidationError

from domain.housing.model import (
    InvalidClosureReason,
    Shelter,
    ShelterClosureReason,
    ShelterKind,
    checked_closure_reason,
)
from domain.housing.service import HousingService
from domain.programme import City
from domain.record import ProgrammeRecord
from events.cloudevents import from_message
from events.housing import HOUSING_CONTRACTS, ShelterClosedV1, ShelterClosedV2
from events.upcasting import UPCASTERS, latest, latest_version_of
from infra.publishing.messages import PUBLIC_TOPICS, message_as_first_published, to_message
from projections.housing import HousingProjection, HousingQueries
from projections.projection import Delivered, apply_batch, ensure_created
from projections.storage.read_models import SqliteReadModels
from tests.builders import NOW, a_coordinator, recorded

ACTOR = a_coordinator()
TODAY = NOW.date()
LEGACY = "Old closure S1: the landlord sold the building"
CODES = ("agreement_ended", "premises_unfit", "merged", "funding_ended", "other")


def an_empty_shelter() -> Shelter:
    shelter = Shelter.register(uuid4(), City.FIRENZE, "Casa Aurora", ShelterKind.APARTMENT,
                               "Rifredi", 2, ACTOR, NOW)
    shelter.collect_events()
    return shelter


# --- the domain ---------------------------------------------------------------------------------


def test_the_list_of_reasons_is_short_and_fixed() -> None:
    assert [reason.value for reason in ShelterClosureReason] == list(CODES)


@pytest.mark.parametrize("reason", list(ShelterClosureReason))
def test_a_closure_records_its_reason_code_field_by_field(reason: ShelterClosureReason) -> None:
    shelter = an_empty_shelter()
    later = NOW + timedelta(hours=5)
    shelter.close(reason, ACTOR, later)
    assert recorded(shelter) == [("Closed", {
        "timestamp": later, "city": "firenze", "closed_on": later.date(),
        "reason": reason.value, "actor": ACTOR.as_record(), "legacy_texts": None})]
    assert shelter.is_closed and shelter.closed_on == later.date()
    assert Shelter.Closed.class_version == 2


def test_a_reason_s_code_as_text_is_its_member() -> None:
    """A form or an API posts the code: read as the list's member."""
    assert checked_closure_reason("merged") is ShelterClosureReason.MERGED
    assert checked_closure_reason(ShelterClosureReason.OTHER) is ShelterClosureReason.OTHER


@pytest.mark.parametrize("reason", [
    "The landlord sold the building", "", " ", "Merged", "merged ", "MERGED", "altro",
    "autonomous_housing",  # a code of another list
])
def test_a_reason_not_on_the_list_is_refused_with_its_field_and_nothing_changes(
    reason: str,
) -> None:
    shelter = an_empty_shelter()
    with pytest.raises(InvalidClosureReason) as refused:
        shelter.close(reason, ACTOR, NOW)  # type: ignore[arg-type]
    assert (refused.value.code, str(refused.value), refused.value.params) == (
        "invalid_closure_reason", "Choose why the shelter closes, from the list of reasons.",
        {"field": "reason"})
    assert not shelter.is_closed and shelter.collect_events() == []
    shelter.close(ShelterClosureReason.OTHER, ACTOR, NOW)  # still open: a good reason closes
    assert shelter.is_closed


def test_the_service_refuses_a_text_and_saves_nothing() -> None:
    housing = HousingService(ProgrammeRecord(), None)  # type: ignore[arg-type]
    shelter_id = uuid4()
    housing.register_shelter(shelter_id, City.FIRENZE, "Casa Aurora", ShelterKind.APARTMENT,
                             "Rifredi", 2, ACTOR, NOW)
    before = housing.record.recorder.max_notification_id()
    with pytest.raises(InvalidClosureReason):
        housing.close_shelter(shelter_id, "Lease ended", ACTOR, NOW)  # type: ignore[arg-type]
    assert housing.record.recorder.max_notification_id() == before
    assert not housing.get_shelter(shelter_id).is_closed


def test_a_v1_closure_s_text_becomes_a_legacy_text_and_its_code_is_not_guessed() -> None:
    state: dict[str, object] = {"city": "firenze", "closed_on": TODAY, "reason": LEGACY}
    Shelter.Closed.upcast_v1_v2(state)
    assert state == {"city": "firenze", "closed_on": TODAY, "reason": None,
                     "legacy_texts": {"reason": LEGACY}}


# --- the contract -------------------------------------------------------------------------------


def test_the_contract_s_reasons_are_the_domain_s() -> None:
    codes, none = typing.get_args(ShelterClosedV2.model_fields["reason"].annotation)
    assert set(typing.get_args(codes)) == set(CODES) and none is type(None)
    assert ShelterClosedV2.ce_type() == "it.lgnet.shelter.closed.v2"
    assert ShelterClosedV2.subject("firenze") == "lgnet.firenze.shelter.closed"
    assert ShelterClosedV1 in HOUSING_CONTRACTS and ShelterClosedV2 in HOUSING_CONTRACTS
    assert UPCASTERS[ShelterClosedV1] == ShelterClosedV2.from_v1
    assert latest_version_of(ShelterClosedV1) is ShelterClosedV2


def test_the_contract_refuses_a_text_for_a_reason() -> None:
    fields: dict[str, Any] = {"shelter_id": uuid4(), "city": "firenze", "closed_on": TODAY}
    for code in CODES:
        assert ShelterClosedV2(**fields, reason=code).reason == code  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ShelterClosedV2(**fields, reason="The landlord sold it")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ShelterClosedV2(**fields)  # null is said, not left out


def test_a_v1_message_reads_as_v2_field_by_field_without_its_text() -> None:
    shelter_id = uuid4()
    v1 = ShelterClosedV1(shelter_id=shelter_id, city="firenze", closed_on=date(2021, 3, 10),
                         reason=LEGACY)
    v2 = latest(v1)
    assert type(v2) is ShelterClosedV2
    assert v2.model_dump() == {"shelter_id": shelter_id, "city": "firenze",
                               "closed_on": date(2021, 3, 10), "reason": None}
    assert LEGACY not in v2.model_dump_json()


# --- a history written before: stored as v1, published, read, verified -------------------------


def a_record_with_a_v1_closure() -> tuple[ProgrammeRecord, UUID]:
    """A shelter registered and closed by the code before the change (the reason a text)."""
    record = ProgrammeRecord()
    shelter = Shelter.register(uuid4(), City.FIRENZE, "Casa Aurora", ShelterKind.APARTMENT,
                               "Rifredi", 2, ACTOR, NOW)
    record.save(shelter)
    record.recorder.insert_events([StoredEvent(
        originator_id=shelter.id, originator_version=2, topic=get_topic(Shelter.Closed),
        state=record.mapper.transcoder.encode({
            "timestamp": NOW + timedelta(hours=1), "city": "firenze", "closed_on": TODAY,
            "reason": LEGACY, "actor": ACTOR.as_record()}))])
    return record, shelter.id


def test_a_stored_v1_closure_loads_with_its_text_apart_and_is_published_as_v2_without_it(
) -> None:
    record, shelter_id = a_record_with_a_v1_closure()
    shelter: object = record.repository.get(shelter_id)
    assert isinstance(shelter, Shelter) and shelter.closed_on == TODAY
    closed = list(record.repository.event_store.get(shelter_id))[-1]
    assert isinstance(closed, Shelter.Closed)
    assert (closed.reason, closed.legacy_texts) == (None, {"reason": LEGACY})

    notification = record.recorder.select_notifications(1, 10)[-1]
    message = to_message(notification, record.mapper)
    assert LEGACY.encode() not in message.body
    assert message.headers["ce-type"] == "it.lgnet.shelter.closed.v2"
    assert message.headers["ce-subject"] == str(shelter_id)
    published = from_message(message.headers, message.body).data
    # The same as the stream's v1 message read now: the two upcasts agree.
    first = message_as_first_published(notification, record.mapper)
    assert first is not None and LEGACY.encode() in first.body  # what the chain recorded then
    assert first.headers["ce-type"] == "it.lgnet.shelter.closed.v1"
    assert first.headers["ce-subject"] == str(shelter_id)
    assert first.subject == message.subject == "lgnet.firenze.shelter.closed"
    assert latest(from_message(first.headers, first.body).data) == published
    assert published == ShelterClosedV2(shelter_id=shelter_id, city="firenze", closed_on=TODAY,
                                         reason=None)


def test_a_closure_stored_now_is_published_as_it_was_recorded() -> None:
    record = ProgrammeRecord()
    shelter = Shelter.register(uuid4(), City.FIRENZE, "Casa Aurora", ShelterKind.APARTMENT,
                               "Rifredi", 2, ACTOR, NOW)
    shelter.close(ShelterClosureReason.PREMISES_UNFIT, ACTOR, NOW)
    record.save(shelter)
    notification = record.recorder.select_notifications(1, 10)[-1]
    assert message_as_first_published(notification, record.mapper) is None  # the newest
    message = to_message(notification, record.mapper)
    assert from_message(message.headers, message.body).data == ShelterClosedV2(
        shelter_id=shelter.id, city="firenze", closed_on=TODAY, reason="premises_unfit")


# --- the read model -----------------------------------------------------------------------------


def test_the_housing_read_model_keeps_the_code_and_nothing_for_a_v1_text(tmp_path: Path) -> None:
    record, legacy_id = a_record_with_a_v1_closure()
    coded = Shelter.register(uuid4(), City.FIRENZE, "Casa Borea", ShelterKind.APARTMENT,
                             "Novoli", 3, ACTOR, NOW)
    coded.close(ShelterClosureReason.MERGED, ACTOR, NOW + timedelta(days=1))
    record.save(coded)
    read_models = SqliteReadModels(tmp_path / "readmodels.sqlite")
    try:
        projection = HousingProjection()
        ensure_created(read_models, projection)
        apply_batch(read_models, projection, [
            Delivered(n.id, to_message(n, record.mapper).envelope)
            for n in record.recorder.select_notifications(1, 100, topics=PUBLIC_TOPICS)])
        views = HousingQueries(read_models)
        merged, legacy = views.shelter(coded.id), views.shelter(legacy_id)
        assert merged is not None and legacy is not None
        assert (merged.closed_on, merged.closed_reason) == (TODAY + timedelta(days=1), "merged")
        assert (legacy.closed_on, legacy.closed_reason) == (TODAY, None)
        assert merged.free == legacy.free == 0
        with read_models.reading() as tx:
            assert sorted(tx.fetchall("SELECT closed_reason FROM rm_shelters"),
                          key=str) == [("merged",), (None,)]
    finally:
        read_models.close()
