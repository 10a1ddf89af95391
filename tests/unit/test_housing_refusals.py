"""Every refusal of a shelter or a housing path, as a person or a client sees it (issue 20): the
error's class, `code`, message and parameters, where the rule is broken; and the household
offer's published event field by field. A mutation run (docs/testing.md) showed the messages
and these fields were never checked."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from domain.housing.model import (
    MAX_AREA,
    MAX_BED_CHANGE,
    MAX_BEDS,
    MAX_NAME,
    MAX_NOTE,
    MAX_REASON,
    AlreadyInHousing,
    BedsOccupied,
    HousingError,
    HousingPath,
    HousingStage,
    InvalidBedChange,
    InvalidClosureReason,
    InvalidHousingDate,
    InvalidHousingReason,
    InvalidShelter,
    MoveOutOutcome,
    NoBedOffered,
    NoFreeBed,
    NotEnoughFreeBeds,
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
from domain.programme import (
    CARD_TERMS,
    PROGRAMME_END,
    City,
    Membership,
    NotAPartnerCity,
    OutsideProgrammePeriod,
)
from tests.builders import INTAKE_DATE, NOW, recorded, refusal
from tests.unit.test_housing_rules import ACTOR, KEPT, a_shelter, a_waitlisted_path, offered

TODAY = NOW.date()


def test_the_limits_are_those_of_the_card() -> None:
    assert (MAX_BEDS, MAX_BED_CHANGE, MAX_NAME, MAX_AREA, MAX_REASON, MAX_NOTE) == (
        500, 200, 120, 120, 500, 500)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": " "}, "name", "Give the shelter's name, in up to 120 characters."),
    ({"name": "n" * 121}, "name", "Give the shelter's name, in up to 120 characters."),
    ({"address_area": " "}, "address_area", "Give the shelter's area, in up to 120 characters."),
    ({"address_area": "a" * 121}, "address_area",
     "Give the shelter's area, in up to 120 characters."),
    ({"address_area": "Viale Morgagni"}, "address_area",
     "Give the neighbourhood or area, never a street address."),
    ({"beds": 0}, "beds", "A shelter has between 1 and 500 beds."),
    ({"beds": 501}, "beds", "A shelter has between 1 and 500 beds."),
    ({"beds": False}, "beds", "A shelter has between 1 and 500 beds."),
])
def test_a_shelter_is_refused_with_the_field_and_the_message(
    overrides: dict[str, Any], field: str, message: str
) -> None:
    assert refusal(lambda: a_shelter(**overrides)) == ("invalid_shelter", message,
                                                       {"field": field})


def test_a_name_and_an_area_are_kept_stripped_at_their_limit() -> None:
    shelter = a_shelter(name=" " + "n" * 120 + " ", address_area=" " + "a" * 120 + " ",
                        kind=ShelterKind.PROTECTED_SETTING)
    assert (shelter.name, shelter.address_area, shelter.kind) == (
        "n" * 120, "a" * 120, ShelterKind.PROTECTED_SETTING)
    assert shelter.city == City.FIRENZE and isinstance(shelter.city, City)
    assert (shelter.beds, shelter.occupied, shelter.closed_on, shelter.holders) == (
        2, 0, None, {})
    assert not shelter.is_closed


@pytest.mark.parametrize("area", [
    "via Roma", "VIALE dei Mille", "v.le Europa", "Piazza Dalmazia", "p.za Beccaria",
    "piazzale Michelangelo", "corso Italia", "c.so Buenos Aires", "largo Augusto",
    "vicolo Stretto", "strada Nuova", "lungomare Caracciolo", "lungotevere Flaminio",
    "lungarno Vespucci", "salita San Nicola", "contrada Bosco", "street One", "road Two",
    "avenue Three", "Rifredi, 12", "Rifredi, 12 b", "Rifredi n. 4", "Rifredi n4", "Rifredi 3/a",
])
def test_an_area_that_points_at_a_door_is_refused(area: str) -> None:
    assert refusal(lambda: a_shelter(address_area=area))[2] == {"field": "address_area"}


@pytest.mark.parametrize("area", [
    "Rifredi", "Municipio 8", "Viareggio centro", "Piazzetta", "Novoli, zona 3 nord",
    "Borgo n", "Quartiere 4 / Campo di Marte", "Largomare",
])
def test_an_area_that_points_at_no_door_is_kept(area: str) -> None:
    assert a_shelter(address_area=area).address_area == area


def test_bed_changes_are_refused_with_the_field_and_the_message() -> None:
    shelter = a_shelter(beds=2)
    outside = ("invalid_bed_change", "Add or remove between 1 and 200 beds.", {"field": "count"})
    for change in (shelter.add_beds, shelter.remove_beds):
        for count in (0, -1, MAX_BED_CHANGE + 1, True):
            assert refusal(lambda: change(count, ACTOR, NOW)) == outside  # noqa: B023
    assert refusal(lambda: shelter.remove_beds(2, ACTOR, NOW)) == (
        "invalid_bed_change", "A shelter keeps at least one bed: close it instead.",
        {"field": "count"})
    offered(a_waitlisted_path(), shelter)
    assert refusal(lambda: shelter.remove_beds(2, ACTOR, NOW)) == (
        "beds_occupied", "Only free beds can be removed.", {"field": "count", "free": 1})
    assert shelter.beds == 2


def test_beds_are_added_to_exactly_500_and_refused_one_past_with_the_message() -> None:
    shelter = a_shelter(beds=301)
    shelter.add_beds(199, ACTOR, NOW)
    assert shelter.beds == MAX_BEDS
    assert shelter.bed_numbers[-1] == 500
    full = a_shelter(beds=302)
    assert refusal(lambda: full.add_beds(199, ACTOR, NOW)) == (
        "invalid_bed_change", "A shelter has at most 500 beds.", {"field": "count"})
    assert full.beds == 302


def test_removing_every_free_bed_but_one_is_allowed_and_one_more_is_not() -> None:
    shelter = a_shelter(beds=3)
    shelter.remove_beds(2, ACTOR, NOW)
    assert shelter.bed_numbers == [1]
    busy = a_shelter(beds=3)
    offered(a_waitlisted_path(), busy)
    busy.remove_beds(2, ACTOR, NOW)  # exactly the free ones
    assert busy.bed_numbers == [1]
    assert busy.free_beds == []


def test_a_closed_or_busy_shelter_is_refused_with_the_message() -> None:
    shelter = a_shelter(beds=1)
    path = a_waitlisted_path()
    offered(path, shelter)
    assert refusal(lambda: shelter.close(ShelterClosureReason.MERGED, ACTOR, NOW)) == (
        "shelter_not_empty", "The shelter still has beds offered or occupied.",
        {"field": "shelter_id", "occupied": 1})
    assert refusal(lambda: shelter.assign_bed(uuid4(), NOW)) == (
        "no_free_bed", "There is no free bed in this shelter.", {"field": "shelter_id"})
    assert refusal(lambda: shelter.release_bed(1, uuid4(), NOW)) == (
        "no_bed_offered", "This bed is not held for this case.", {"field": "bed"})
    assert refusal(lambda: shelter.release_bed(2, path.id, NOW)) == (
        "no_bed_offered", "This bed is not held for this case.", {"field": "bed"})
    shelter.release_bed(1, path.id, NOW)
    assert shelter.holder_of(1) is None
    # A closure's reason is a code of the list (docs/events.md: no free text in events):
    # a text, a blank, a code of another list are refused, and nothing is recorded.
    shelter.collect_events()
    for reason in ("Sold", " ", "", "AGREEMENT_ENDED", "agreement_ended ", "autonomous_housing"):
        assert refusal(lambda: shelter.close(reason, ACTOR, NOW)) == (  # type: ignore[arg-type]  # noqa: B023
            "invalid_closure_reason",
            "Choose why the shelter closes, from the list of reasons.", {"field": "reason"})
    assert not shelter.is_closed and shelter.collect_events() == []
    shelter.close(ShelterClosureReason.AGREEMENT_ENDED, ACTOR, NOW)
    assert shelter.closed_on == TODAY
    closed = ("shelter_closed", "The shelter is closed.", {"field": "shelter_id"})
    for command in (lambda: shelter.add_beds(1, ACTOR, NOW),
                    lambda: shelter.remove_beds(1, ACTOR, NOW),
                    lambda: shelter.assign_bed(uuid4(), NOW),
                    lambda: shelter.assign_beds([uuid4()], uuid4(), ACTOR, NOW),
                    lambda: shelter.close(ShelterClosureReason.OTHER, ACTOR, NOW)):
        assert refusal(command) == closed


def test_a_household_is_offered_beds_together_and_the_offer_is_published() -> None:
    shelter = a_shelter(beds=4)
    offered(a_waitlisted_path(), shelter)  # bed 1
    shelter.collect_events()
    household_id = uuid4()
    paths = [uuid4(), uuid4()]
    later = NOW + timedelta(days=1)
    assert shelter.assign_beds(paths, household_id, ACTOR, later) == [2, 3]
    assert recorded(shelter) == [
        ("BedAssigned", {"timestamp": later, "bed": 2, "housing_path_id": paths[0]}),
        ("BedAssigned", {"timestamp": later, "bed": 3, "housing_path_id": paths[1]}),
        ("HouseholdBedsOffered", {
            "timestamp": later, "city": "firenze", "household_id": household_id,
            "bed_numbers": [2, 3], "offered_on": later.date(), "actor": ACTOR.as_record()}),
    ]
    assert (shelter.holder_of(2), shelter.holder_of(3), shelter.free_beds) == (
        paths[0], paths[1], [4])
    assert shelter.assign_beds([uuid4()], uuid4(), ACTOR, NOW) == [4]  # exactly enough
    assert refusal(lambda: shelter.assign_beds([uuid4()], uuid4(), ACTOR, NOW)) == (
        "not_enough_free_beds",
        "The shelter has fewer free beds than the household has members.",
        {"field": "shelter_id", "needed": 1, "free": 0})


def test_a_household_needing_one_bed_more_than_is_free_gets_none() -> None:
    shelter = a_shelter(beds=3)
    assert refusal(lambda: shelter.assign_beds([uuid4() for _ in range(4)], uuid4(), ACTOR,
                                               NOW))[2] == {
        "field": "shelter_id", "needed": 4, "free": 3}
    assert shelter.free_beds == [1, 2, 3]


def test_assigning_a_bed_records_it_for_the_path() -> None:
    shelter = a_shelter(beds=2)
    shelter.collect_events()
    path_id = uuid4()
    assert shelter.assign_bed(path_id, NOW) == 1
    assert recorded(shelter) == [
        ("BedAssigned", {"timestamp": NOW, "bed": 1, "housing_path_id": path_id})]
    shelter.release_bed(1, path_id, NOW)
    assert recorded(shelter) == [
        ("BedReleased", {"timestamp": NOW, "bed": 1, "housing_path_id": path_id})]
    assert shelter.free_beds == [1, 2]


def test_a_path_starts_with_nothing_and_its_id_follows_from_the_case() -> None:
    case_id = uuid4()
    path = HousingPath.start(case_id, "FI-2021-00007", City.FIRENZE, NOW)
    assert path.id == HousingPath.id_for(case_id)
    assert recorded(path) == [("Started", {
        "timestamp": NOW, "case_id": case_id, "case_code": "FI-2021-00007",
        "city": "firenze"})]
    assert (path.stage, path.episode, path.waitlisted_at, path.intake_date, path.shelter_id,
            path.bed, path.offered_on, path.moved_in_on) == (
        HousingStage.NONE, 0, None, None, None, None, None, None)
    assert path.city == City.FIRENZE and isinstance(path.city, City)


def test_a_path_s_refusals_name_the_stage_the_field_and_the_message() -> None:
    shelter = a_shelter(beds=2)
    path = a_waitlisted_path()
    assert refusal(lambda: path.waitlist(City.FIRENZE, False, "international_protection",
                                         INTAKE_DATE, ACTOR, NOW)) == (
        "already_in_housing", "The case is already on the waitlist, offered a bed or housed.",
        {"field": "case", "stage": "waitlisted"})
    no_bed = ("no_bed_offered", "No bed is offered to the case.",
              {"field": "case", "stage": "waitlisted"})
    assert refusal(lambda: path.move_in(TODAY, ACTOR, NOW)) == no_bed
    assert refusal(lambda: path.decline(KEPT, ACTOR, NOW)) == no_bed
    assert refusal(lambda: path.move_out(MoveOutOutcome.OTHER, TODAY, KEPT, ACTOR, NOW)) == (
        "not_housed", "The case has not moved in anywhere.",
        {"field": "case", "stage": "waitlisted"})
    offered(path, shelter)
    assert refusal(lambda: path.offer(shelter, 2, ACTOR, NOW)) == (
        "not_on_waitlist", "The case is not waiting on the waitlist.",
        {"field": "case", "stage": "offered"})
    assert refusal(lambda: path.leave_waitlist(KEPT, ACTOR, NOW)) == (
        "not_on_waitlist",
        "A bed is offered to the case: record the move-in or the declined offer first.",
        {"field": "case", "stage": "offered"})
    assert refusal(lambda: path.waitlist(City.FIRENZE, False, "international_protection",
                                         INTAKE_DATE, ACTOR, NOW))[2] == {
        "field": "case", "stage": "offered"}
    assert refusal(lambda: path.move_in(TODAY - timedelta(days=1), ACTOR, NOW)) == (
        "invalid_housing_date",
        "The move-in date must fall between the day the bed was offered and today.",
        {"field": "moved_in_on"})
    path.move_in(TODAY, ACTOR, NOW)
    assert refusal(lambda: path.move_out(MoveOutOutcome.OTHER, TODAY, None, ACTOR, NOW)) == (
        "invalid_housing_reason", "Say what the outcome was, in the note.", {"field": "note"})
    assert refusal(lambda: path.move_out(
        MoveOutOutcome.OTHER, TODAY + timedelta(days=1), KEPT, ACTOR, NOW)) == (
        "invalid_housing_date", "The move-out date must fall between the move-in date and today.",
        {"field": "moved_out_on"})
    housed = {"field": "case", "stage": "housed"}
    assert refusal(lambda: path.decline(KEPT, ACTOR, NOW))[2] == housed
    assert refusal(lambda: path.leave_waitlist(KEPT, ACTOR, NOW))[1:] == (
        "The case is not waiting on the waitlist.", housed)
    assert refusal(lambda: path.waitlist(City.FIRENZE, False, "international_protection",
                                         INTAKE_DATE, ACTOR, NOW))[2] == housed


def test_move_notes_and_reasons_are_refused_with_the_message() -> None:
    assert refusal(lambda: checked_move_out_note(MoveOutOutcome.OTHER, "n" * 501)) == (
        "invalid_housing_reason", "The note is at most 500 characters.", {"field": "note"})
    assert refusal(lambda: checked_move_out_note(MoveOutOutcome.OTHER, None)) == (
        "invalid_housing_reason", "Say what the outcome was, in the note.", {"field": "note"})
    assert refusal(lambda: checked_reason("")) == (
        "invalid_housing_reason", "Give the reason, in up to 500 characters.",
        {"field": "reason"})
    assert checked_move_out_note(MoveOutOutcome.FAMILY_REUNIFICATION, " ok ") == "ok"
    assert checked_move_out_note(MoveOutOutcome.FAMILY_REUNIFICATION, None) is None


def test_a_move_out_without_a_note_records_none_and_frees_the_path() -> None:
    shelter = a_shelter(beds=1)
    path = a_waitlisted_path()
    offered(path, shelter)
    path.move_in(TODAY, ACTOR, NOW)
    path.collect_events()
    later = NOW + timedelta(days=3)
    moved_out_on = TODAY + timedelta(days=1)
    assert path.move_out(MoveOutOutcome.LEFT_WITHOUT_NOTICE, moved_out_on, None, ACTOR,
                         later) == (shelter.id, 1)
    assert recorded(path) == [("MovedOut", {
        "timestamp": later, "case_id": path.case_id, "case_code": "FI-2021-00001",
        "city": "firenze", "shelter_id": shelter.id, "bed": 1, "moved_out_on": moved_out_on,
        "outcome": "left_without_notice", "note_id": None, "note_digest": None,
        "actor": ACTOR.as_record(), "legacy_texts": None})]
    assert (path.stage, path.shelter_id, path.bed) == (HousingStage.MOVED_OUT, None, None)


def test_a_move_in_is_dated_from_the_offer_to_today_both_included() -> None:
    shelter = a_shelter(beds=2)
    path = a_waitlisted_path()
    offered(path, shelter)
    later = NOW + timedelta(days=4)
    path.move_in(TODAY + timedelta(days=4), ACTOR, later)  # today, the last day allowed
    assert (path.stage, path.moved_in_on) == (HousingStage.HOUSED, TODAY + timedelta(days=4))
    other = a_waitlisted_path()
    offered(other, shelter)
    other.move_in(TODAY, ACTOR, later)  # the day of the offer, the first day allowed
    other.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, TODAY, None, ACTOR, later)
    assert other.stage is HousingStage.MOVED_OUT


def test_a_declined_offer_puts_the_path_back_on_the_waitlist_with_nothing_held() -> None:
    shelter = a_shelter(beds=2)
    path = a_waitlisted_path()
    offered(path, shelter)
    assert (path.shelter_id, path.bed, path.offered_on) == (shelter.id, 1, TODAY)
    path.decline(KEPT, ACTOR, NOW)
    assert (path.stage, path.shelter_id, path.bed, path.offered_on) == (
        HousingStage.WAITLISTED, None, None, None)
    path.leave_waitlist(KEPT, ACTOR, NOW)
    assert path.stage is HousingStage.LEFT_WAITLIST
    path.waitlist(City.FIRENZE, True, "other", date(2021, 3, 1), ACTOR, NOW)
    assert (path.stage, path.episode, path.intake_date) == (
        HousingStage.WAITLISTED, 2, date(2021, 3, 1))


def test_a_new_episode_forgets_the_last_bed() -> None:
    shelter = a_shelter(beds=1)
    path = a_waitlisted_path()
    offered(path, shelter)
    path.move_in(TODAY, ACTOR, NOW)
    path.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, TODAY, None, ACTOR, NOW)
    path.waitlist(City.FIRENZE, False, "international_protection", INTAKE_DATE, ACTOR, NOW)
    assert (path.shelter_id, path.bed, path.moved_in_on, path.waitlisted_at) == (
        None, None, None, NOW)


WITHOUT_FIRENZE = replace(CARD_TERMS, memberships={
    **CARD_TERMS.memberships, City.FIRENZE: (Membership(date(2019, 7, 1), date(2021, 3, 1)),)})
AFTER_THE_END = datetime(2022, 1, 3, 9, 0, tzinfo=NOW.tzinfo)


def test_waitlisting_and_offering_need_a_partner_city_and_the_programme_s_period() -> None:
    path = HousingPath.start(uuid4(), "FI-2021-00001", City.FIRENZE, NOW)
    code, _, params = refusal(lambda: path.waitlist(
        City.FIRENZE, False, "international_protection", INTAKE_DATE, ACTOR, NOW,
        WITHOUT_FIRENZE))
    assert (code, params["field"]) == ("not_a_partner_city", "case")
    code, _, params = refusal(lambda: path.waitlist(
        City.FIRENZE, False, "international_protection", INTAKE_DATE, ACTOR, AFTER_THE_END))
    assert (code, params["field"]) == ("outside_programme_period", None)
    last_day = datetime.combine(PROGRAMME_END, NOW.timetz())
    path.waitlist(City.FIRENZE, False, "international_protection", INTAKE_DATE, ACTOR, last_day)
    shelter = a_shelter(beds=1)
    with pytest.raises(NotAPartnerCity) as not_partner:
        path.offer(shelter, 1, ACTOR, NOW, WITHOUT_FIRENZE)
    assert not_partner.value.params["field"] == "shelter_id"
    with pytest.raises(OutsideProgrammePeriod) as outside:
        path.offer(shelter, 1, ACTOR, AFTER_THE_END)
    assert outside.value.params["field"] is None
    path.offer(shelter, 1, ACTOR, last_day)
    assert path.offered_on == PROGRAMME_END


def test_a_move_in_after_the_programme_s_end_is_refused_on_its_date() -> None:
    shelter = a_shelter(beds=1)
    path = HousingPath.start(uuid4(), "FI-2021-00001", City.FIRENZE, NOW)
    last_day = datetime.combine(PROGRAMME_END, NOW.timetz())
    path.waitlist(City.FIRENZE, False, "international_protection", INTAKE_DATE, ACTOR, last_day)
    path.offer(shelter, shelter.assign_bed(path.id, last_day), ACTOR, last_day)
    with pytest.raises(OutsideProgrammePeriod) as outside:
        path.move_in(PROGRAMME_END + timedelta(days=1), ACTOR, AFTER_THE_END)
    assert outside.value.params["field"] == "moved_in_on"
    path.move_in(PROGRAMME_END, ACTOR, AFTER_THE_END)
    assert path.moved_in_on == PROGRAMME_END


def test_every_housing_error_has_its_own_code() -> None:
    errors: list[type[HousingError]] = [
        InvalidShelter, InvalidBedChange, BedsOccupied, ShelterNotEmpty, ShelterClosed,
        NoFreeBed, NotEnoughFreeBeds, AlreadyInHousing, NotOnWaitlist, NoBedOffered, NotHoused,
        InvalidHousingDate, InvalidHousingReason, InvalidClosureReason]
    assert [error.code for error in errors] == [
        "invalid_shelter", "invalid_bed_change", "beds_occupied", "shelter_not_empty",
        "shelter_closed", "no_free_bed", "not_enough_free_beds", "already_in_housing",
        "not_on_waitlist", "no_bed_offered", "not_housed", "invalid_housing_date",
        "invalid_housing_reason", "invalid_closure_reason"]


def test_a_shelter_s_state_comes_back_from_its_events() -> None:
    shelter = a_shelter(beds=3)
    path = a_waitlisted_path()
    offered(path, shelter)
    shelter.remove_beds(1, ACTOR, NOW)
    shelter.add_beds(2, ACTOR, NOW)
    events = shelter.collect_events()
    copy: Any = None
    for event in events:
        copy = event.mutate(copy)
    assert isinstance(copy, Shelter)
    assert (copy.bed_numbers, copy.holders, copy.city, copy.kind) == (
        [1, 2, 3, 4], {"1": path.id}, City.FIRENZE, ShelterKind.TEMPORARY_SHELTER)


@pytest.mark.parametrize(("event", "reference"), [
    (HousingPath.OfferDeclined, "reason"), (HousingPath.MovedOut, "note"),
    (HousingPath.LeftWaitlist, "reason"),
])
def test_a_version_1_event_without_its_text_reads_with_none(event: Any, reference: str) -> None:
    state: dict[str, Any] = {"bed": 1}
    event.upcast_v1_v2(state)
    assert state == {"bed": 1, "legacy_texts": None, f"{reference}_id": None,
                     f"{reference}_digest": None}


def test_a_move_out_of_a_path_offered_a_bed_but_not_moved_in_is_refused() -> None:
    path = a_waitlisted_path()
    offered(path, a_shelter(beds=1))
    assert refusal(lambda: path.move_out(MoveOutOutcome.AUTONOMOUS_HOUSING, TODAY, None, ACTOR,
                                         NOW)) == (
        "not_housed", "The case has not moved in anywhere.", {"field": "case", "stage": "offered"})
    assert path.stage is HousingStage.OFFERED
