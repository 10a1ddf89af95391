"""The rules of shelters and housing paths, on the aggregates alone."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.housing.model import (
    AlreadyInHousing,
    BedsOccupied,
    HousingPath,
    HousingStage,
    InvalidBedChange,
    InvalidHousingDate,
    InvalidHousingReason,
    InvalidShelter,
    MoveOutOutcome,
    NoBedOffered,
    NoFreeBed,
    NotHoused,
    NotOnWaitlist,
    Shelter,
    ShelterClosed,
    ShelterClosureReason,
    ShelterKind,
    ShelterNotEmpty,
    checked_move_out_note,
    checked_reason,
)
from domain.programme import City
from domain.vault import TextReference
from tests.builders import INTAKE_DATE, NOW, a_coordinator

ACTOR = a_coordinator()
# A free text kept in the vault, as the service hands it to the path (issue 16).
KEPT = TextReference(uuid4(), "1" * 64)
TODAY = NOW.date()


def a_shelter(beds: int = 2, **overrides: object) -> Shelter:
    facts: dict[str, object] = {"city": City.FIRENZE, "name": "Casa Aurora",
                                "kind": ShelterKind.TEMPORARY_SHELTER,
                                "address_area": "Rifredi", "beds": beds}
    facts.update(overrides)
    return Shelter.register(uuid4(), actor=ACTOR, now=NOW, **facts)  # type: ignore[arg-type]


def a_waitlisted_path() -> HousingPath:
    path = HousingPath.start(uuid4(), "FI-2021-00001", City.FIRENZE, NOW)
    path.waitlist(City.FIRENZE, False, "international_protection", INTAKE_DATE, ACTOR, NOW)
    return path


def stage_of(path: HousingPath) -> HousingStage:
    """The path's stage now: mypy would keep `path.stage` narrowed across the commands."""
    return path.stage


def offered(path: HousingPath, shelter: Shelter) -> int:
    bed = shelter.assign_bed(path.id, NOW)
    path.offer(shelter, bed, ACTOR, NOW)
    return bed


def test_beds_are_numbered_from_one_and_the_lowest_free_bed_is_offered_first() -> None:
    shelter = a_shelter(beds=3)
    first, second = a_waitlisted_path(), a_waitlisted_path()

    assert shelter.bed_numbers == [1, 2, 3]
    assert offered(first, shelter) == 1
    assert offered(second, shelter) == 2
    assert shelter.free_beds == [3]
    assert shelter.holder_of(2) == second.id


def test_a_full_shelter_offers_no_bed() -> None:
    shelter = a_shelter(beds=1)
    offered(a_waitlisted_path(), shelter)

    with pytest.raises(NoFreeBed):
        shelter.assign_bed(uuid4(), NOW)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": "  "}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"address_area": ""}, "address_area"),
    ({"address_area": "Via Roma 12"}, "address_area"),
    ({"address_area": "Rifredi, 12"}, "address_area"),
    ({"address_area": "Piazza Dalmazia"}, "address_area"),
    ({"beds": 0}, "beds"),
    ({"beds": 501}, "beds"),
])
def test_a_shelter_needs_a_name_an_area_that_is_no_street_address_and_1_to_500_beds(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidShelter) as refused:
        a_shelter(**overrides)
    assert refused.value.params["field"] == field


def test_an_area_may_be_a_numbered_municipio() -> None:
    assert a_shelter(address_area="Municipio 8").address_area == "Municipio 8"


def test_only_free_beds_are_removed_the_highest_numbered_first() -> None:
    shelter = a_shelter(beds=4)
    offered(a_waitlisted_path(), shelter)  # bed 1
    offered(a_waitlisted_path(), shelter)  # bed 2

    with pytest.raises(BedsOccupied):
        shelter.remove_beds(3, ACTOR, NOW)
    shelter.remove_beds(1, ACTOR, NOW)

    assert shelter.bed_numbers == [1, 2, 3]
    assert shelter.occupied == 2


def test_added_beds_take_the_lowest_numbers_not_in_use() -> None:
    shelter = a_shelter(beds=3)
    shelter.remove_beds(2, ACTOR, NOW)
    shelter.add_beds(3, ACTOR, NOW)

    assert shelter.bed_numbers == [1, 2, 3, 4]
    with pytest.raises(InvalidBedChange):
        shelter.add_beds(0, ACTOR, NOW)
    with pytest.raises(InvalidBedChange):
        shelter.remove_beds(4, ACTOR, NOW)  # a shelter keeps a bed: closing is for that


def test_a_shelter_closes_only_when_empty_and_then_takes_nobody() -> None:
    shelter = a_shelter(beds=2)
    path = a_waitlisted_path()
    bed = offered(path, shelter)
    with pytest.raises(ShelterNotEmpty):
        shelter.close(ShelterClosureReason.FUNDING_ENDED, ACTOR, NOW)

    shelter.release_bed(bed, path.id, NOW)
    shelter.close(ShelterClosureReason.FUNDING_ENDED, ACTOR, NOW)

    assert shelter.is_closed
    for command in (lambda: shelter.assign_bed(uuid4(), NOW),
                    lambda: shelter.add_beds(1, ACTOR, NOW),
                    lambda: shelter.close(ShelterClosureReason.OTHER, ACTOR, NOW)):
        with pytest.raises(ShelterClosed):
            command()


def test_a_bed_is_released_only_for_the_path_that_holds_it() -> None:
    shelter = a_shelter(beds=2)
    bed = offered(a_waitlisted_path(), shelter)

    with pytest.raises(NoBedOffered):
        shelter.release_bed(bed, uuid4(), NOW)
    assert shelter.occupied == 1


def test_a_path_goes_from_waitlist_to_bed_to_move_out_and_may_start_again() -> None:
    shelter = a_shelter()
    path = a_waitlisted_path()
    offered(path, shelter)
    moved_in_on = TODAY
    later = NOW + timedelta(days=30)

    path.move_in(moved_in_on, ACTOR, NOW)
    assert stage_of(path) is HousingStage.HOUSED
    shelter_id, bed = path.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, later.date(), None,
                                    ACTOR, later)

    assert (shelter_id, bed) == (shelter.id, 1)
    assert stage_of(path) is HousingStage.MOVED_OUT
    path.waitlist(City.FIRENZE, True, "international_protection", INTAKE_DATE, ACTOR, later)
    assert path.stage is HousingStage.WAITLISTED and path.episode == 2


def test_declining_keeps_the_waiting_time() -> None:
    shelter = a_shelter()
    path = a_waitlisted_path()
    offered(path, shelter)

    path.decline(KEPT, ACTOR, NOW + timedelta(days=2))
    (declined,) = [e for e in path.collect_events()
                   if isinstance(e, HousingPath.OfferDeclined)]
    assert (declined.reason_id, declined.reason_digest, declined.legacy_texts) == (
        KEPT.text_id, KEPT.digest, None)

    assert path.stage is HousingStage.WAITLISTED
    assert path.waitlisted_at == NOW


def test_each_step_needs_the_stage_before_it() -> None:
    shelter = a_shelter()
    path = a_waitlisted_path()

    with pytest.raises(AlreadyInHousing):
        path.waitlist(City.FIRENZE, False, "international_protection", INTAKE_DATE, ACTOR, NOW)
    with pytest.raises(NoBedOffered):
        path.move_in(TODAY, ACTOR, NOW)
    with pytest.raises(NoBedOffered):
        path.decline(KEPT, ACTOR, NOW)
    with pytest.raises(NotHoused):
        path.move_out(MoveOutOutcome.OTHER, TODAY, KEPT, ACTOR, NOW)
    offered(path, shelter)
    with pytest.raises(NotOnWaitlist):
        path.offer(shelter, 2, ACTOR, NOW)
    with pytest.raises(NotOnWaitlist):
        path.leave_waitlist(KEPT, ACTOR, NOW)


def test_moves_are_dated_between_the_step_before_and_today() -> None:
    path = a_waitlisted_path()
    offered(path, a_shelter())

    with pytest.raises(InvalidHousingDate):
        path.move_in(TODAY - timedelta(days=1), ACTOR, NOW)  # before the offer
    with pytest.raises(InvalidHousingDate):
        path.move_in(TODAY + timedelta(days=1), ACTOR, NOW)  # in the future
    path.move_in(TODAY, ACTOR, NOW)
    with pytest.raises(InvalidHousingDate):
        path.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, date(2021, 1, 1), None, ACTOR, NOW)


def test_an_other_outcome_needs_its_note_and_reasons_are_required() -> None:
    path = a_waitlisted_path()
    offered(path, a_shelter())
    path.move_in(TODAY, ACTOR, NOW)

    with pytest.raises(InvalidHousingReason):
        checked_move_out_note(MoveOutOutcome.OTHER, "  ")
    with pytest.raises(InvalidHousingReason):
        path.move_out(MoveOutOutcome.OTHER, TODAY, None, ACTOR, NOW)
    with pytest.raises(InvalidHousingReason):
        checked_move_out_note(MoveOutOutcome.AUTONOMOUS_HOUSING, "x" * 501)
    assert checked_move_out_note(MoveOutOutcome.AUTONOMOUS_HOUSING, " ") is None
    assert checked_move_out_note(MoveOutOutcome.OTHER, "x" * 500) == "x" * 500
    with pytest.raises(InvalidHousingReason):
        checked_reason(" ")
    with pytest.raises(InvalidHousingReason):
        checked_reason("x" * 501)
    path.move_out(MoveOutOutcome.OTHER, TODAY, KEPT, ACTOR, NOW)
    moved_out = path.collect_events()[-1]
    assert isinstance(moved_out, HousingPath.MovedOut)
    assert (moved_out.note_id, moved_out.note_digest) == (KEPT.text_id, KEPT.digest)


def test_a_path_id_follows_from_the_case_so_a_case_has_one_path() -> None:
    case_id = uuid4()

    assert HousingPath.id_for(case_id) == HousingPath.id_for(case_id)
    assert HousingPath.id_for(case_id) != HousingPath.id_for(uuid4())
