"""Shelters and housing paths at their edges (issue 20): each limit at the limit and one past it,
the error's code and field where it is raised, and each command's event field by field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.housing.model import (
    MAX_BED_CHANGE,
    MAX_BEDS,
    BedsOccupied,
    HousingPath,
    InvalidBedChange,
    InvalidHousingDate,
    InvalidHousingReason,
    InvalidShelter,
    MoveOutOutcome,
    NoBedOffered,
    NoFreeBed,
    NotHoused,
    NotOnWaitlist,
    ShelterClosed,
    ShelterClosureReason,
    ShelterNotEmpty,
    checked_move_out_note,
    checked_reason,
)
from domain.programme import City
from tests.builders import INTAKE_DATE, NOW, recorded
from tests.unit.test_housing_rules import ACTOR, KEPT, a_shelter, a_waitlisted_path, offered

TODAY = NOW.date()
ACTOR_RECORD = ACTOR.as_record()


def test_a_shelter_may_have_500_beds_and_a_name_and_area_of_120_characters() -> None:
    shelter = a_shelter(beds=MAX_BEDS, name="n" * 120, address_area="a" * 120)
    assert (shelter.beds, shelter.name, shelter.address_area) == (500, "n" * 120, "a" * 120)
    assert shelter.bed_numbers == list(range(1, 501))
    assert a_shelter(beds=1).bed_numbers == [1]
    for field in ("name", "address_area"):
        too_long: dict[str, object] = {field: "x" * 121}
        with pytest.raises(InvalidShelter) as refused:
            a_shelter(**too_long)  # type: ignore[arg-type]
        assert (refused.value.code, refused.value.params["field"]) == ("invalid_shelter", field)
    with pytest.raises(InvalidShelter) as refused:
        a_shelter(beds=True)
    assert refused.value.params["field"] == "beds"


def test_registering_records_the_shelter_as_given() -> None:
    shelter = a_shelter(beds=3, name="  Casa Aurora ")
    ((name, fields),) = recorded(shelter)
    assert name == "Registered"
    assert fields == {"timestamp": NOW, "city": "firenze", "name": "Casa Aurora",
                      "kind": "temporary_shelter", "address_area": "Rifredi", "beds": 3,
                      "actor": ACTOR_RECORD}


def test_beds_are_added_up_to_500_and_not_one_more() -> None:
    shelter = a_shelter(beds=300)
    shelter.collect_events()
    shelter.add_beds(MAX_BED_CHANGE, ACTOR, NOW)
    assert recorded(shelter) == [("BedsAdded", {
        "timestamp": NOW, "city": "firenze", "added": 200, "bed_numbers": list(range(301, 501)),
        "beds": 500, "actor": ACTOR_RECORD})]
    with pytest.raises(InvalidBedChange) as refused:
        shelter.add_beds(1, ACTOR, NOW)
    assert (refused.value.code, refused.value.params["field"]) == ("invalid_bed_change", "count")
    assert shelter.beds == MAX_BEDS


def test_at_most_200_beds_are_added_or_removed_at_once() -> None:
    shelter = a_shelter(beds=250)
    for change in (shelter.add_beds, shelter.remove_beds):
        for count in (0, MAX_BED_CHANGE + 1, True):
            with pytest.raises(InvalidBedChange) as refused:
                change(count, ACTOR, NOW)
            assert refused.value.params["field"] == "count"
    shelter.remove_beds(MAX_BED_CHANGE, ACTOR, NOW)
    assert shelter.beds == 50


def test_removed_beds_are_counted_as_removed_and_the_shelter_keeps_what_is_left() -> None:
    shelter = a_shelter(beds=4)
    shelter.collect_events()
    shelter.remove_beds(3, ACTOR, NOW)
    assert recorded(shelter) == [("BedsRemoved", {
        "timestamp": NOW, "city": "firenze", "removed": 3, "bed_numbers": [2, 3, 4], "beds": 1,
        "actor": ACTOR_RECORD})]


def test_the_last_bed_is_not_removed_and_occupied_beds_are_not_removed() -> None:
    shelter = a_shelter(beds=2)
    with pytest.raises(InvalidBedChange) as refused:
        shelter.remove_beds(2, ACTOR, NOW)
    assert refused.value.params["field"] == "count"
    offered(a_waitlisted_path(), shelter)
    with pytest.raises(BedsOccupied) as occupied:
        shelter.remove_beds(2, ACTOR, NOW)
    assert occupied.value.code == "beds_occupied"
    assert occupied.value.params == {"field": "count", "free": 1}


def test_a_bed_added_takes_number_one_when_it_is_free() -> None:
    shelter = a_shelter(beds=3)
    first = a_waitlisted_path()
    offered(first, shelter)  # bed 1
    offered(a_waitlisted_path(), shelter)  # bed 2
    offered(a_waitlisted_path(), shelter)  # bed 3
    shelter.release_bed(1, first.id, NOW)
    shelter.remove_beds(1, ACTOR, NOW)  # bed 1, the only free one
    assert shelter.bed_numbers == [2, 3]
    shelter.collect_events()
    shelter.add_beds(2, ACTOR, NOW)
    (added,) = recorded(shelter)
    assert (added[1]["bed_numbers"], added[1]["beds"]) == ([1, 4], 4)


def test_the_lowest_free_number_is_reused_before_a_higher_one() -> None:
    shelter = a_shelter(beds=4)
    first, second = a_waitlisted_path(), a_waitlisted_path()
    offered(first, shelter)  # bed 1
    offered(second, shelter)  # bed 2
    shelter.release_bed(1, first.id, NOW)
    offered(a_waitlisted_path(), shelter)
    shelter.remove_beds(2, ACTOR, NOW)  # beds 3 and 4, the highest free
    assert shelter.free_beds == []
    shelter.release_bed(2, second.id, NOW)
    shelter.remove_beds(1, ACTOR, NOW)  # bed 2, the only free one
    shelter.collect_events()
    shelter.add_beds(2, ACTOR, NOW)
    (added,) = recorded(shelter)
    assert added[1]["bed_numbers"] == [2, 3]
    assert added[1]["beds"] == 3


def test_a_closed_shelter_takes_no_command() -> None:
    shelter = a_shelter(beds=1)
    shelter.collect_events()
    shelter.close(ShelterClosureReason.PREMISES_UNFIT, ACTOR, NOW)
    assert recorded(shelter) == [("Closed", {
        "timestamp": NOW, "city": "firenze", "closed_on": TODAY, "reason": "premises_unfit",
        "actor": ACTOR_RECORD, "legacy_texts": None})]
    for command in (lambda: shelter.add_beds(1, ACTOR, NOW),
                    lambda: shelter.remove_beds(1, ACTOR, NOW),
                    lambda: shelter.assign_bed(uuid4(), NOW),
                    lambda: shelter.close(ShelterClosureReason.OTHER, ACTOR, NOW)):
        with pytest.raises(ShelterClosed) as refused:
            command()
        assert (refused.value.code, refused.value.params["field"]) == (
            "shelter_closed", "shelter_id")


def test_a_shelter_with_a_bed_held_is_not_closed_and_says_how_many() -> None:
    shelter = a_shelter(beds=2)
    offered(a_waitlisted_path(), shelter)
    with pytest.raises(ShelterNotEmpty) as refused:
        shelter.close(ShelterClosureReason.MERGED, ACTOR, NOW)
    assert refused.value.params == {"field": "shelter_id", "occupied": 1}
    with pytest.raises(NoFreeBed) as full:
        a_full = a_shelter(beds=1)
        offered(a_waitlisted_path(), a_full)
        a_full.assign_bed(uuid4(), NOW)
    assert full.value.params["field"] == "shelter_id"


def test_a_reason_may_have_500_characters_and_not_501() -> None:
    assert checked_reason(" " + "r" * 500 + " ") == "r" * 500
    with pytest.raises(InvalidHousingReason) as refused:
        checked_reason("r" * 501)
    assert refused.value.params["field"] == "reason"
    assert checked_move_out_note(MoveOutOutcome.OTHER, "n" * 500) == "n" * 500
    with pytest.raises(InvalidHousingReason) as too_long:
        checked_move_out_note(MoveOutOutcome.AUTONOMOUS_HOUSING, "n" * 501)
    assert too_long.value.params["field"] == "note"
    with pytest.raises(InvalidHousingReason) as missing:
        checked_move_out_note(MoveOutOutcome.OTHER, "  ")
    assert missing.value.params["field"] == "note"
    assert checked_move_out_note(MoveOutOutcome.AUTONOMOUS_HOUSING, "  ") is None


def test_a_path_records_each_step_field_by_field() -> None:
    shelter = a_shelter(beds=2)
    path = HousingPath.start(uuid4(), "FI-2021-00001", City.FIRENZE, NOW)
    path.collect_events()
    case = {"case_id": path.case_id, "case_code": "FI-2021-00001", "city": "firenze"}
    path.waitlist(City.FIRENZE, True, "international_protection", INTAKE_DATE, ACTOR, NOW)
    assert recorded(path) == [("Waitlisted", {
        "timestamp": NOW, **case, "waitlisted_at": NOW, "vulnerable": True,
        "priority_group": "international_protection", "intake_date": INTAKE_DATE,
        "actor": ACTOR_RECORD})]
    bed = offered(path, shelter)
    assert recorded(path) == [("BedOffered", {
        "timestamp": NOW, **case, "shelter_id": shelter.id, "shelter_name": "Casa Aurora",
        "address_area": "Rifredi", "bed": bed, "offered_on": TODAY, "actor": ACTOR_RECORD})]
    path.move_in(TODAY, ACTOR, NOW)
    assert recorded(path) == [("MovedIn", {
        "timestamp": NOW, **case, "shelter_id": shelter.id, "bed": 1, "moved_in_on": TODAY,
        "intake_date": INTAKE_DATE, "actor": ACTOR_RECORD})]
    assert path.move_out(MoveOutOutcome.OTHER, TODAY, KEPT, ACTOR, NOW) == (shelter.id, 1)
    assert recorded(path) == [("MovedOut", {
        "timestamp": NOW, **case, "shelter_id": shelter.id, "bed": 1, "moved_out_on": TODAY,
        "outcome": "other", "note_id": KEPT.text_id, "note_digest": KEPT.digest,
        "actor": ACTOR_RECORD, "legacy_texts": None})]


def test_a_declined_offer_and_leaving_the_waitlist_record_their_reason_by_reference() -> None:
    shelter = a_shelter(beds=2)
    path = a_waitlisted_path()
    offered(path, shelter)
    path.collect_events()
    case = {"case_id": path.case_id, "case_code": "FI-2021-00001", "city": "firenze"}
    with pytest.raises(NotOnWaitlist) as refused:
        path.leave_waitlist(KEPT, ACTOR, NOW)
    assert refused.value.params == {"field": "case", "stage": "offered"}
    assert path.decline(KEPT, ACTOR, NOW) == (shelter.id, 1)
    assert recorded(path) == [("OfferDeclined", {
        "timestamp": NOW, **case, "shelter_id": shelter.id, "bed": 1,
        "reason_id": KEPT.text_id, "reason_digest": KEPT.digest, "actor": ACTOR_RECORD,
        "legacy_texts": None})]
    path.leave_waitlist(KEPT, ACTOR, NOW)
    assert recorded(path) == [("LeftWaitlist", {
        "timestamp": NOW, **case, "reason_id": KEPT.text_id, "reason_digest": KEPT.digest,
        "actor": ACTOR_RECORD, "legacy_texts": None})]


def test_move_dates_are_refused_a_day_outside_their_window_with_the_field() -> None:
    shelter = a_shelter(beds=1)
    path = a_waitlisted_path()
    with pytest.raises(NoBedOffered) as not_offered:
        path.move_in(TODAY, ACTOR, NOW)
    assert not_offered.value.params == {"field": "case", "stage": "waitlisted"}
    with pytest.raises(NotHoused) as not_housed:
        path.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, TODAY, None, ACTOR, NOW)
    assert not_housed.value.params == {"field": "case", "stage": "waitlisted"}
    offered(path, shelter)
    for day in (TODAY - timedelta(days=1), TODAY + timedelta(days=1)):
        with pytest.raises(InvalidHousingDate) as refused:
            path.move_in(day, ACTOR, NOW)
        assert refused.value.params["field"] == "moved_in_on"
    path.move_in(TODAY, ACTOR, NOW + timedelta(days=2))
    for day in (TODAY - timedelta(days=1), TODAY + timedelta(days=3)):
        with pytest.raises(InvalidHousingDate) as refused:
            path.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, day, None, ACTOR,
                          NOW + timedelta(days=2))
        assert refused.value.params["field"] == "moved_out_on"
    with pytest.raises(InvalidHousingReason) as no_note:
        path.move_out(MoveOutOutcome.OTHER, TODAY, None, ACTOR, NOW)
    assert no_note.value.params["field"] == "note"
    path.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, TODAY + timedelta(days=2), None, ACTOR,
                  NOW + timedelta(days=2))


@pytest.mark.parametrize(("event", "field", "reference"), [
    (HousingPath.OfferDeclined, "reason", "reason_id"),
    (HousingPath.MovedOut, "note", "note_id"),
    (HousingPath.LeftWaitlist, "reason", "reason_id"),
])
def test_a_version_1_text_is_read_as_legacy_and_an_empty_one_as_none(
    event: Any, field: str, reference: str
) -> None:
    """Issue 16: texts written into events before they went to the vault are kept as written,
    apart, and never published again."""
    state: dict[str, object] = {field: "Troppo lontano dal lavoro", "bed": 1}
    event.upcast_v1_v2(state)
    assert state == {"bed": 1, "legacy_texts": {field: "Troppo lontano dal lavoro"},
                     reference: None, reference.replace("_id", "_digest"): None}
    empty: dict[str, object] = {field: ""}
    event.upcast_v1_v2(empty)
    assert empty["legacy_texts"] is None and field not in empty
