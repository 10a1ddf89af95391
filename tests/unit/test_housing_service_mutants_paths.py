"""The housing service's placement commands (issue 20): a mutation run (docs/testing.md,
"Services pass, part 2") left `housing/service.py` at 74.8%. Here, without a server: the
position each command returns and every event it stores field by field (the case's path and
the shelter's bed bookkeeping), each refusal the service itself raises with its code, message
and field, the terms it is given rather than the card's, the free texts it keeps in the vault
under the person's key (and discards when nothing is saved), a household's offer, and a
decision lost to a rival decided again, up to the service's attempts and not one more. Over the
real in-memory record, the cases context's service and a SQLite vault.

DOMAIN.md, "Placement": a waitlist ordered by priority (vulnerability, waiting time); move-in,
move-out and the exit outcome; a bed is never given twice. "The six sub-actions", 4: only a
case eligible for fast-track housing is waitlisted. "Data protection": free text about a person
is kept under their key, so that their erasure shreds it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.cases.model import CaseClosed, ReceptionHistory
from domain.cases.rules import CaseOutcome, ReceptionCentreKind, ReceptionSituation, Vulnerability
from domain.cases.service import CaseNotFound, CaseService
from domain.housing.model import HousingPath, MoveOutOutcome, ShelterKind
from domain.housing.service import _SAVE_ATTEMPTS, HousingService, ShelterNotFound
from domain.programme import (
    CARD_TERMS,
    PROGRAMME_START,
    City,
    ProgrammePeriod,
    ProtectionStatus,
    TermsInForce,
)
from tests.builders import (
    INTAKE_DATE,
    NOW,
    a_coordinator,
    a_person,
    an_intake,
    last_position,
    refusal,
    stored,
    text_ids,
)
from tests.unit.test_plan_rules import cases, vault

__all__ = ["cases", "vault"]  # the fixtures, as fixtures of this module too
MILAN = a_coordinator(City.MILANO)
FLORENCE = a_coordinator(City.FIRENZE, id="firenze-coordinator")
LATER = NOW + timedelta(hours=3)


@pytest.fixture
def housing(cases: CaseService) -> HousingService:
    return HousingService(cases.record, cases, new_id=text_ids())


def a_case(cases: CaseService, city: City = City.MILANO, **facts: Any) -> UUID:
    return cases.record_intake(uuid4(), an_intake(city, **facts), a_person(), a_coordinator(city),
                               NOW).case_id


def a_shelter(housing: HousingService, beds: int = 2, city: City = City.MILANO) -> UUID:
    shelter_id = uuid4()
    housing.register_shelter(shelter_id, city, "Casa Aurora", ShelterKind.TEMPORARY_SHELTER,
                             "Niguarda", beds, a_coordinator(city), NOW)
    return shelter_id


def path_events(housing: HousingService, case_id: UUID) -> list[tuple[str, dict[str, Any]]]:
    return stored(housing.record, HousingPath.id_for(case_id))


def case_fields(case_id: UUID, code: str = "MI-2021-00001") -> dict[str, Any]:
    return {"case_id": case_id, "case_code": code, "city": "milano"}


# --- the waitlist ---------------------------------------------------------------------------


def test_a_case_waitlisted_starts_its_path_once_and_records_what_orders_the_waitlist(
    cases: CaseService, housing: HousingService,
) -> None:
    """DOMAIN.md, "Placement": the waitlist is ordered by vulnerability and waiting time, so
    the event carries both, and the intake date, and the priority group."""
    case_id = a_case(cases, protection_status=ProtectionStatus.ASYLUM_SEEKER,
                     vulnerabilities=frozenset({Vulnerability.SINGLE_PARENT_WITH_MINORS}))
    position = housing.add_to_waitlist(case_id, MILAN, LATER)
    assert position == last_position(housing.record)
    assert path_events(housing, case_id) == [
        ("Started", {"timestamp": LATER, **case_fields(case_id)}),
        ("Waitlisted", {"timestamp": LATER, **case_fields(case_id), "waitlisted_at": LATER,
                        "vulnerable": True, "priority_group": "other_outside_reception",
                        "intake_date": INTAKE_DATE, "actor": MILAN.as_record()})]
    # Off the waitlist and on it again: the same path, a second episode, no second start.
    housing.leave_waitlist(case_id, "Found a room", MILAN, LATER)
    again = LATER + timedelta(days=1)
    assert housing.add_to_waitlist(case_id, MILAN, again) == last_position(housing.record)
    names = [name for name, _ in path_events(housing, case_id)]
    assert names == ["Started", "Waitlisted", "LeftWaitlist", "Waitlisted"]
    path = housing.housing_path(case_id)
    assert path is not None and path.episode == 2 and path.waitlisted_at == again


def test_a_refugee_not_vulnerable_is_waitlisted_in_the_international_protection_group(
    cases: CaseService, housing: HousingService,
) -> None:
    case_id = a_case(cases)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    waitlisted = path_events(housing, case_id)[-1][1]
    assert (waitlisted["vulnerable"], waitlisted["priority_group"]) == (
        False, "international_protection")


def test_a_case_not_eligible_for_fast_track_housing_is_refused_the_waitlist(
    cases: CaseService, housing: HousingService,
) -> None:
    """DOMAIN.md, "The six sub-actions" and "Intake": a person still in reception is eligible
    for civic engagement but not for Sub-Action 4; eligibility for one sub-action is not
    eligibility for another."""
    in_reception = a_case(cases, protection_status=ProtectionStatus.ASYLUM_SEEKER,
                          reception=ReceptionHistory(
        ReceptionSituation.IN_RECEPTION, centre_kind=ReceptionCentreKind.CAS))
    assert any(e["eligible"] for e in cases.get(in_reception).eligibility)
    before = last_position(housing.record)
    assert refusal(lambda: housing.add_to_waitlist(in_reception, MILAN, NOW)) == (
        "not_eligible_for_housing", "The case is not eligible for fast-track housing.",
        {"field": "case"})
    assert last_position(housing.record) == before
    assert housing.housing_path(in_reception) is None


def test_an_unknown_or_closed_case_is_refused_the_waitlist(
    cases: CaseService, housing: HousingService,
) -> None:
    with pytest.raises(CaseNotFound):
        housing.add_to_waitlist(uuid4(), MILAN, NOW)
    closed = a_case(cases)
    cases.close(closed, CaseOutcome.OTHER, NOW.date(), "Moved away", MILAN, NOW)
    with pytest.raises(CaseClosed):
        housing.add_to_waitlist(closed, MILAN, LATER)


class EndsInMarch:
    """The terms in force after an amendment ended the programme on 31 March 2021."""

    def terms_in_force(self) -> TermsInForce:
        return replace(CARD_TERMS, period=ProgrammePeriod(PROGRAMME_START, date(2021, 3, 31)))


APRIL_FIRST = datetime(2021, 4, 1, 9, tzinfo=UTC)
MARCH_LAST = datetime(2021, 3, 31, 9, tzinfo=UTC)


def test_the_placement_commands_decide_under_the_terms_the_service_is_given(
    cases: CaseService,
) -> None:
    """DOMAIN.md, "Placement", within the programme's period: the amended period, not the
    card's, bounds the waitlist, the offers and the move-in."""
    housing = HousingService(cases.record, cases, EndsInMarch(), new_id=text_ids())
    card = HousingService(cases.record, cases, new_id=text_ids())
    case_id, shelter_id = a_case(cases), a_shelter(housing)
    outside = ("outside_programme_period",
               "The date must fall within the programme's period (2019-07-01 to 2021-03-31).")
    code, message, params = refusal(lambda: housing.add_to_waitlist(case_id, MILAN, APRIL_FIRST))
    assert (code, message, params["field"]) == (*outside, None)
    housing.add_to_waitlist(case_id, MILAN, MARCH_LAST)
    code, message, params = refusal(
        lambda: housing.offer_bed(case_id, shelter_id, MILAN, APRIL_FIRST))
    assert (code, message, params["field"]) == (*outside, None)
    housing.offer_bed(case_id, shelter_id, MILAN, MARCH_LAST)
    code, message, params = refusal(
        lambda: housing.move_in(case_id, APRIL_FIRST.date(), MILAN, APRIL_FIRST))
    assert (code, message, params["field"]) == (*outside, "moved_in_on")
    # The card's period runs to 31 December 2021: a service without a source records it.
    card.move_in(case_id, APRIL_FIRST.date(), MILAN, APRIL_FIRST)
    assert housing.housing_path(case_id).stage == "housed"  # type: ignore[union-attr]


# --- a bed offered --------------------------------------------------------------------------


def test_a_bed_offered_holds_the_lowest_free_bed_in_the_shelter_and_on_the_path(
    cases: CaseService, housing: HousingService,
) -> None:
    first, second = a_case(cases), a_case(cases)
    shelter_id = a_shelter(housing, beds=2)
    housing.add_to_waitlist(first, MILAN, NOW)
    housing.add_to_waitlist(second, MILAN, NOW)
    position = housing.offer_bed(second, shelter_id, MILAN, LATER)
    assert position == last_position(housing.record)
    assert path_events(housing, second)[-1] == ("BedOffered", {
        "timestamp": LATER, **case_fields(second, "MI-2021-00002"), "shelter_id": shelter_id,
        "shelter_name": "Casa Aurora", "address_area": "Niguarda", "bed": 1,
        "offered_on": NOW.date(), "actor": MILAN.as_record()})
    assert stored(housing.record, shelter_id)[-1] == ("BedAssigned", {
        "timestamp": LATER, "bed": 1, "housing_path_id": HousingPath.id_for(second)})
    housing.offer_bed(first, shelter_id, MILAN, LATER)
    assert path_events(housing, first)[-1][1]["bed"] == 2
    shelter = housing.get_shelter(shelter_id)
    assert shelter.free_beds == [] and shelter.holder_of(2) == HousingPath.id_for(first)


def test_an_offer_is_refused_for_another_city_s_shelter_a_case_not_waiting_and_unknowns(
    cases: CaseService, housing: HousingService,
) -> None:
    case_id, never_waitlisted = a_case(cases), a_case(cases)
    milan, florence = a_shelter(housing), a_shelter(housing, city=City.FIRENZE)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    before = last_position(housing.record)
    assert refusal(lambda: housing.offer_bed(case_id, florence, MILAN, NOW)) == (
        "shelter_of_another_city", "The shelter is in another city than the case.",
        {"field": "shelter_id"})
    assert refusal(lambda: housing.offer_bed(never_waitlisted, milan, MILAN, NOW)) == (
        "not_on_waitlist", "The case is not waiting on the waitlist.", {"field": "case"})
    unknown = uuid4()
    with pytest.raises(ShelterNotFound) as not_found:
        housing.offer_bed(case_id, unknown, MILAN, NOW)
    assert not_found.value.args == (unknown,)
    with pytest.raises(CaseNotFound):
        housing.offer_bed(uuid4(), milan, MILAN, NOW)
    assert last_position(housing.record) == before
    # A case offered a bed already is not waiting: told so before the other city's shelter.
    housing.offer_bed(case_id, milan, MILAN, NOW)
    assert refusal(lambda: housing.offer_bed(case_id, florence, MILAN, NOW)) == (
        "not_on_waitlist", "The case is not waiting on the waitlist.",
        {"field": "case", "stage": "offered"})


def test_a_closed_case_is_offered_no_bed_and_moves_in_nowhere(
    cases: CaseService, housing: HousingService,
) -> None:
    waiting, offered = a_case(cases), a_case(cases)
    shelter_id = a_shelter(housing)
    for case_id in (waiting, offered):
        housing.add_to_waitlist(case_id, MILAN, NOW)
    housing.offer_bed(offered, shelter_id, MILAN, NOW)
    for case_id in (waiting, offered):
        cases.close(case_id, CaseOutcome.OTHER, NOW.date(), "Moved away", MILAN, NOW)
    with pytest.raises(CaseClosed):
        housing.offer_bed(waiting, shelter_id, MILAN, LATER)
    with pytest.raises(CaseClosed):
        housing.move_in(offered, NOW.date(), MILAN, LATER)


def test_a_shelter_and_a_path_are_told_apart_by_their_ids(
    cases: CaseService, housing: HousingService,
) -> None:
    case_id, shelter_id = a_case(cases), a_shelter(housing)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    path_id = HousingPath.id_for(case_id)
    with pytest.raises(ShelterNotFound) as not_found:
        housing.get_shelter(path_id)
    assert not_found.value.args == (path_id,)
    assert housing.housing_path(uuid4()) is None
    path = housing.housing_path(case_id)
    assert path is not None and path.case_id == case_id
    assert housing.get_shelter(shelter_id).id == shelter_id


# --- declined, moved in, moved out, left ---------------------------------------------------


def test_a_declined_offer_keeps_its_reason_in_the_vault_and_frees_the_bed(
    cases: CaseService, housing: HousingService,
) -> None:
    case_id, shelter_id = a_case(cases), a_shelter(housing, beds=1)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    housing.offer_bed(case_id, shelter_id, MILAN, NOW)
    position = housing.decline_offer(case_id, "  The school is far  ", MILAN, LATER)
    assert position == last_position(housing.record)
    name, declined = path_events(housing, case_id)[-1]
    assert len(declined.pop("reason_digest")) == 64
    assert (name, declined) == ("OfferDeclined", {
        "timestamp": LATER, **case_fields(case_id), "shelter_id": shelter_id, "bed": 1,
        "reason_id": UUID(int=1), "actor": MILAN.as_record(), "legacy_texts": None})
    assert stored(housing.record, shelter_id)[-1] == ("BedReleased", {
        "timestamp": LATER, "bed": 1, "housing_path_id": HousingPath.id_for(case_id)})
    assert housing.get_shelter(shelter_id).free_beds == [1]
    assert housing.placement_text(case_id, UUID(int=1)) == "The school is far"
    assert cases.vault.read_text(case_id, UUID(int=1)) == "The school is far"
    assert housing.placement_text(case_id, UUID(int=2)) is None


def test_a_decline_without_an_offer_is_refused_and_its_text_discarded(
    cases: CaseService, housing: HousingService,
) -> None:
    never_waitlisted, waiting = a_case(cases), a_case(cases)
    housing.add_to_waitlist(waiting, MILAN, NOW)
    before = last_position(housing.record)
    assert refusal(lambda: housing.decline_offer(never_waitlisted, "r", MILAN, NOW)) == (
        "no_bed_offered", "No bed is offered to the case.", {"field": "case"})
    assert refusal(lambda: housing.decline_offer(waiting, "r", MILAN, NOW)) == (
        "no_bed_offered", "No bed is offered to the case.", {"field": "case",
                                                             "stage": "waitlisted"})
    assert last_position(housing.record) == before
    assert cases.vault.read_text(never_waitlisted, UUID(int=1)) is None
    assert cases.vault.read_text(waiting, UUID(int=2)) is None
    with pytest.raises(CaseNotFound):
        housing.decline_offer(uuid4(), "r", MILAN, NOW)
    code, _message, params = refusal(lambda: housing.decline_offer(waiting, " ", MILAN, NOW))
    assert (code, params["field"]) == ("invalid_housing_reason", "reason")


def test_an_erased_person_gets_no_new_text_and_the_refusal_names_the_field(
    cases: CaseService, housing: HousingService,
) -> None:
    """DOMAIN.md, "Data protection": once a person's key is erased nothing new is kept on
    them; a move-out without a note is still recorded (whoever leaves a bed must be seen to
    have left it)."""
    case_id, shelter_id = a_case(cases), a_shelter(housing)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    housing.offer_bed(case_id, shelter_id, MILAN, NOW)
    cases.vault.erase(case_id)
    erased = "This person's personal data has been erased: no new text is kept on them."
    assert refusal(lambda: housing.decline_offer(case_id, "far", MILAN, LATER)) == (
        "invalid_housing_reason", erased, {"field": "reason"})
    housing.move_in(case_id, NOW.date(), MILAN, LATER)
    assert refusal(lambda: housing.move_out(case_id, MoveOutOutcome.OTHER, NOW.date(), "home",
                                            MILAN, LATER)) == (
        "invalid_housing_reason", erased, {"field": "note"})
    housing.move_out(case_id, MoveOutOutcome.AUTONOMOUS_HOUSING, NOW.date(), None, MILAN, LATER)
    assert path_events(housing, case_id)[-1][1]["note_id"] is None


def test_a_move_in_and_a_move_out_record_the_bed_the_dates_and_the_outcome(
    cases: CaseService, housing: HousingService,
) -> None:
    """DOMAIN.md, "Placement": move-in, move-out and the exit outcome; the bed left is free for
    the next. A move-out is recorded on a closed case too."""
    case_id, shelter_id = a_case(cases), a_shelter(housing, beds=1)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    housing.offer_bed(case_id, shelter_id, MILAN, NOW)
    moved_in_at = NOW + timedelta(days=2)
    assert housing.move_in(case_id, date(2021, 3, 11), MILAN, moved_in_at) == last_position(
        housing.record)
    assert path_events(housing, case_id)[-1] == ("MovedIn", {
        "timestamp": moved_in_at, **case_fields(case_id), "shelter_id": shelter_id, "bed": 1,
        "moved_in_on": date(2021, 3, 11), "intake_date": INTAKE_DATE,
        "actor": MILAN.as_record()})
    cases.close(case_id, CaseOutcome.OTHER, moved_in_at.date(), "Moved away", MILAN, moved_in_at)
    left_at = NOW + timedelta(days=30)
    position = housing.move_out(case_id, MoveOutOutcome.OTHER, date(2021, 4, 8), " Back home ",
                                MILAN, left_at)
    assert position == last_position(housing.record)
    name, moved_out = path_events(housing, case_id)[-1]
    assert len(moved_out.pop("note_digest")) == 64
    assert (name, moved_out) == ("MovedOut", {
        "timestamp": left_at, **case_fields(case_id), "shelter_id": shelter_id, "bed": 1,
        "moved_out_on": date(2021, 4, 8), "outcome": "other", "note_id": UUID(int=1),
        "actor": MILAN.as_record(), "legacy_texts": None})
    assert housing.placement_text(case_id, UUID(int=1)) == "Back home"
    assert stored(housing.record, shelter_id)[-1] == ("BedReleased", {
        "timestamp": left_at, "bed": 1, "housing_path_id": HousingPath.id_for(case_id)})
    assert housing.get_shelter(shelter_id).free_beds == [1]


def test_a_move_in_or_out_of_a_case_with_no_bed_is_refused(
    cases: CaseService, housing: HousingService,
) -> None:
    never_waitlisted, waiting = a_case(cases), a_case(cases)
    housing.add_to_waitlist(waiting, MILAN, NOW)
    before = last_position(housing.record)
    assert refusal(lambda: housing.move_in(never_waitlisted, NOW.date(), MILAN, NOW)) == (
        "no_bed_offered", "No bed is offered to the case.", {"field": "case"})
    not_housed = ("not_housed", "The case has not moved in anywhere.")
    LEFT = MoveOutOutcome.LEFT_WITHOUT_NOTICE
    for note in (None, "a note"):
        assert refusal(partial(housing.move_out, never_waitlisted, LEFT, NOW.date(), note,
                               MILAN, NOW)) == (*not_housed, {"field": "case"})
        assert refusal(partial(
            housing.move_out, waiting, MoveOutOutcome.AUTONOMOUS_HOUSING, NOW.date(), note,
            MILAN, NOW)) == (
            *not_housed, {"field": "case", "stage": "waitlisted"})
    assert last_position(housing.record) == before
    for text_id in range(1, 3):
        assert cases.vault.read_text(never_waitlisted, UUID(int=text_id)) is None
        assert cases.vault.read_text(waiting, UUID(int=text_id)) is None
    # An unknown case is that, with or without a note, not a case never housed.
    for note in (None, "a note"):
        with pytest.raises(CaseNotFound):
            housing.move_out(uuid4(), LEFT, NOW.date(), note, MILAN, NOW)
    with pytest.raises(CaseNotFound):
        housing.move_in(uuid4(), NOW.date(), MILAN, NOW)


def test_leaving_the_waitlist_keeps_the_reason_and_is_refused_to_a_case_not_waiting(
    cases: CaseService, housing: HousingService,
) -> None:
    case_id, never_waitlisted = a_case(cases), a_case(cases)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    position = housing.leave_waitlist(case_id, " Found a room ", MILAN, LATER)
    assert position == last_position(housing.record)
    name, left = path_events(housing, case_id)[-1]
    assert len(left.pop("reason_digest")) == 64
    assert (name, left) == ("LeftWaitlist", {
        "timestamp": LATER, **case_fields(case_id), "reason_id": UUID(int=1),
        "actor": MILAN.as_record(), "legacy_texts": None})
    assert housing.placement_text(case_id, UUID(int=1)) == "Found a room"
    assert refusal(lambda: housing.leave_waitlist(never_waitlisted, "r", MILAN, NOW)) == (
        "not_on_waitlist", "The case is not waiting on the waitlist.", {"field": "case"})
    assert cases.vault.read_text(never_waitlisted, UUID(int=2)) is None
    with pytest.raises(CaseNotFound):
        housing.leave_waitlist(uuid4(), "r", MILAN, NOW)


def test_a_text_named_by_the_caller_uses_the_caller_s_ids(
    cases: CaseService, housing: HousingService,
) -> None:
    """The demo names the texts from its seed (`new_id`), every command the same way."""
    case_id, shelter_id = a_case(cases), a_shelter(housing)
    mine = iter(UUID(int=n) for n in range(41, 50))
    theirs: Callable[[], UUID] = partial(next, mine)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    housing.offer_bed(case_id, shelter_id, MILAN, NOW)
    housing.decline_offer(case_id, "far", MILAN, NOW, new_id=theirs)
    assert path_events(housing, case_id)[-1][1]["reason_id"] == UUID(int=41)
    housing.offer_bed(case_id, shelter_id, MILAN, NOW)
    housing.move_in(case_id, NOW.date(), MILAN, NOW)
    housing.move_out(case_id, MoveOutOutcome.OTHER, NOW.date(), "home", MILAN, NOW,
                     new_id=theirs)
    assert path_events(housing, case_id)[-1][1]["note_id"] == UUID(int=42)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    housing.leave_waitlist(case_id, "room", MILAN, NOW, new_id=theirs)
    assert path_events(housing, case_id)[-1][1]["reason_id"] == UUID(int=43)
    # Without one, the service's own: its first.
    housing.add_to_waitlist(case_id, MILAN, NOW)
    housing.leave_waitlist(case_id, "room", MILAN, NOW)
    assert path_events(housing, case_id)[-1][1]["reason_id"] == UUID(int=1)


# --- a household's offer --------------------------------------------------------------------


@dataclass(frozen=True)
class Members:
    city: City
    case_ids: tuple[UUID, ...]


class Households:
    def __init__(self) -> None:
        self.members: dict[UUID, Members] = {}

    def add(self, city: City, *case_ids: UUID) -> UUID:
        household_id = uuid4()
        self.members[household_id] = Members(city, case_ids)
        return household_id

    def members_of(self, household_id: UUID) -> Members:
        try:
            return self.members[household_id]
        except KeyError:
            raise LookupError(household_id) from None


@pytest.fixture
def households() -> Households:
    return Households()


@pytest.fixture
def family_housing(cases: CaseService, households: Households) -> HousingService:
    return HousingService(cases.record, cases, new_id=text_ids(), households=households)


def test_a_household_is_offered_a_bed_each_all_at_once(
    cases: CaseService, households: Households, family_housing: HousingService,
) -> None:
    """DOMAIN.md, "Placement": a household is housed together, each member in a bed of their
    own, never a bed given twice."""
    housing = family_housing
    mother, child = a_case(cases), a_case(cases)
    household_id = households.add(City.MILANO, mother, child)
    shelter_id = a_shelter(housing, beds=3)
    for case_id in (mother, child):
        housing.add_to_waitlist(case_id, MILAN, NOW)
    position = housing.offer_beds_to_household(household_id, shelter_id, MILAN, LATER)
    assert position == last_position(housing.record)
    assert stored(housing.record, shelter_id)[1:] == [
        ("BedAssigned", {"timestamp": LATER, "bed": 1,
                         "housing_path_id": HousingPath.id_for(mother)}),
        ("BedAssigned", {"timestamp": LATER, "bed": 2,
                         "housing_path_id": HousingPath.id_for(child)}),
        ("HouseholdBedsOffered", {"timestamp": LATER, "city": "milano",
                                  "household_id": household_id, "bed_numbers": [1, 2],
                                  "offered_on": NOW.date(), "actor": MILAN.as_record()})]
    for case_id, code, bed in ((mother, "MI-2021-00001", 1), (child, "MI-2021-00002", 2)):
        assert path_events(housing, case_id)[-1] == ("BedOffered", {
            "timestamp": LATER, **case_fields(case_id, code), "shelter_id": shelter_id,
            "shelter_name": "Casa Aurora", "address_area": "Niguarda", "bed": bed,
            "offered_on": NOW.date(), "actor": MILAN.as_record()})
    assert housing.get_shelter(shelter_id).free_beds == [3]


def test_a_household_offer_is_refused_whole_and_names_the_member_not_waiting(
    cases: CaseService, households: Households, family_housing: HousingService,
) -> None:
    housing = family_housing
    waiting, offered, never = a_case(cases), a_case(cases), a_case(cases)
    shelter_id, florence = a_shelter(housing, beds=5), a_shelter(housing, city=City.FIRENZE)
    for case_id in (waiting, offered):
        housing.add_to_waitlist(case_id, MILAN, NOW)
    housing.offer_bed(offered, shelter_id, MILAN, NOW)
    before = last_position(housing.record)
    not_waiting = ("household_member_not_waiting",
                   "A member of the household is not waiting on the waitlist.")
    assert refusal(partial(housing.offer_beds_to_household, households.add(
        City.MILANO, waiting, never), shelter_id, MILAN, LATER)) == (
        *not_waiting, {"field": "household", "case_code": "MI-2021-00003"})
    assert refusal(partial(housing.offer_beds_to_household, households.add(
        City.MILANO, waiting, offered), shelter_id, MILAN, LATER)) == (
        *not_waiting, {"field": "household", "case_code": "MI-2021-00002"})
    assert refusal(partial(housing.offer_beds_to_household, households.add(City.MILANO),
                           shelter_id, MILAN, LATER)) == (
        "empty_household", "The household has no members.", {"field": "household"})
    assert refusal(partial(housing.offer_beds_to_household, households.add(
        City.MILANO, waiting), florence, MILAN, LATER)) == (
        "shelter_of_another_city", "The shelter is in another city than the household.",
        {"field": "shelter_id"})
    unknown = uuid4()
    with pytest.raises(ShelterNotFound) as not_found:
        housing.offer_beds_to_household(households.add(City.MILANO, waiting), unknown, MILAN,
                                        LATER)
    assert not_found.value.args == (unknown,)
    with pytest.raises(CaseNotFound):
        housing.offer_beds_to_household(households.add(City.MILANO, waiting, uuid4()),
                                        shelter_id, MILAN, LATER)
    assert last_position(housing.record) == before
    assert housing.get_shelter(shelter_id).free_beds == [2, 3, 4, 5]


def test_a_household_with_a_closed_case_or_outside_the_terms_is_offered_nothing(
    cases: CaseService, households: Households,
) -> None:
    housing = HousingService(cases.record, cases, EndsInMarch(), households=households)
    first, second = a_case(cases), a_case(cases)
    shelter_id = a_shelter(housing, beds=4)
    for case_id in (first, second):
        housing.add_to_waitlist(case_id, MILAN, NOW)
    household_id = households.add(City.MILANO, first, second)
    code, _message, params = refusal(lambda: housing.offer_beds_to_household(
        household_id, shelter_id, MILAN, APRIL_FIRST))
    assert (code, params["field"]) == ("outside_programme_period", None)
    cases.close(second, CaseOutcome.OTHER, NOW.date(), "Moved away", MILAN, NOW)
    with pytest.raises(CaseClosed):
        housing.offer_beds_to_household(household_id, shelter_id, MILAN, MARCH_LAST)
    assert housing.get_shelter(shelter_id).free_beds == [1, 2, 3, 4]


def test_a_service_built_without_the_households_says_so(
    cases: CaseService, housing: HousingService,
) -> None:
    with pytest.raises(RuntimeError) as refused:
        housing.offer_beds_to_household(uuid4(), uuid4(), MILAN, NOW)
    assert refused.value.args == ("The housing service was built without the households",)


# --- a decision lost to a rival ------------------------------------------------------------


class Rivals(HousingService):
    """The service, while `rivals` colleagues each add a bed to the shelter just after it read
    it: each of its saves but the last loses a race."""

    rivals = 0

    def get_shelter(self, shelter_id: UUID) -> Any:
        shelter = super().get_shelter(shelter_id)
        if self.rivals:
            self.rivals -= 1
            HousingService(self.record, self.cases).add_beds(shelter_id, 1, MILAN, NOW)
        return shelter


def test_an_offer_lost_to_rivals_is_decided_again_up_to_the_service_s_attempts(
    cases: CaseService,
) -> None:
    racing = Rivals(cases.record, cases, new_id=text_ids())
    case_id, shelter_id = a_case(cases), a_shelter(racing, beds=1)
    racing.add_to_waitlist(case_id, MILAN, NOW)
    assert _SAVE_ATTEMPTS == 32
    racing.rivals = _SAVE_ATTEMPTS - 1  # the last attempt wins
    position = racing.offer_bed(case_id, shelter_id, MILAN, LATER)
    assert position == last_position(racing.record)
    assert racing.get_shelter(shelter_id).beds == _SAVE_ATTEMPTS
    racing.rivals = _SAVE_ATTEMPTS  # every attempt loses
    before = last_position(racing.record)
    assert refusal(lambda: racing.decline_offer(case_id, "far", MILAN, LATER)) == (
        "housing_busy", "Too many changes to this shelter or case at once: try again.",
        {"field": None})
    assert last_position(racing.record) == before + _SAVE_ATTEMPTS  # the rivals' saves only
    assert cases.vault.read_text(case_id, UUID(int=1)) is None  # the reason, discarded
    assert racing.housing_path(case_id).stage == "offered"  # type: ignore[union-attr]


def test_a_move_out_note_and_a_reason_at_the_limit_are_kept_and_one_past_refused_first(
    cases: CaseService, housing: HousingService,
) -> None:
    """The texts are checked before anything is looked up: a blank note to an outcome of
    `other` is refused as that, even for a case never housed."""
    never_waitlisted = a_case(cases)
    assert refusal(partial(housing.move_out, never_waitlisted, MoveOutOutcome.OTHER,
                           NOW.date(), "  ", MILAN, NOW)) == (
        "invalid_housing_reason", "Say what the outcome was, in the note.", {"field": "note"})
    assert refusal(partial(housing.move_out, never_waitlisted, MoveOutOutcome.OTHER,
                           NOW.date(), "x" * 501, MILAN, NOW)) == (
        "invalid_housing_reason", "The note is at most 500 characters.", {"field": "note"})
    for command in (housing.decline_offer, housing.leave_waitlist):
        assert refusal(partial(command, never_waitlisted, "x" * 501, MILAN, NOW)) == (
            "invalid_housing_reason", "Give the reason, in up to 500 characters.",
            {"field": "reason"})
    assert cases.vault.read_text(never_waitlisted, UUID(int=1)) is None  # none was kept
    case_id, shelter_id = a_case(cases), a_shelter(housing)
    housing.add_to_waitlist(case_id, MILAN, NOW)
    housing.offer_bed(case_id, shelter_id, MILAN, NOW)
    housing.decline_offer(case_id, "x" * 500, MILAN, NOW)
    assert housing.placement_text(case_id, UUID(int=1)) == "x" * 500
    housing.offer_bed(case_id, shelter_id, MILAN, NOW)
    housing.move_in(case_id, NOW.date(), MILAN, NOW)
    housing.move_out(case_id, MoveOutOutcome.OTHER, NOW.date(), "y" * 500, MILAN, NOW)
    assert housing.placement_text(case_id, UUID(int=2)) == "y" * 500


class ExtendedTo2022:
    """The terms in force after an amendment extended the period to 30 June 2022."""

    def terms_in_force(self) -> TermsInForce:
        return replace(CARD_TERMS, period=ProgrammePeriod(PROGRAMME_START, date(2022, 6, 30)))


def test_a_placement_after_the_card_s_end_is_offered_and_moved_in_under_an_extension(
    cases: CaseService, households: Households,
) -> None:
    """DOMAIN.md, "Placement", within the programme's period: once the ministry extends it,
    each step of a placement is checked against the extension, the offer itself too (not only
    the check before it), for a single case and for a household."""
    housing = HousingService(cases.record, cases, ExtendedTo2022(), households=households)
    in_2022 = datetime(2022, 1, 10, 9, tzinfo=UTC)
    single, mother, child = a_case(cases), a_case(cases), a_case(cases)
    shelter_id = a_shelter(housing, beds=3)
    for case_id in (single, mother, child):
        housing.add_to_waitlist(case_id, MILAN, in_2022)
    housing.offer_bed(single, shelter_id, MILAN, in_2022)
    housing.move_in(single, in_2022.date(), MILAN, in_2022)
    housing.offer_beds_to_household(households.add(City.MILANO, mother, child), shelter_id,
                                    MILAN, in_2022)
    assert [path_events(housing, case_id)[-1][0] for case_id in (single, mother, child)] == [
        "MovedIn", "BedOffered", "BedOffered"]
    assert path_events(housing, child)[-1][1]["offered_on"] == date(2022, 1, 10)


def test_a_shelter_registered_returns_its_position_and_its_event_at_its_own_moment(
    housing: HousingService,
) -> None:
    shelter_id = uuid4()
    position = housing.register_shelter(shelter_id, City.MILANO, " Casa Aurora ",
                                        ShelterKind.APARTMENT, "Niguarda", 3, MILAN, LATER)
    assert position == last_position(housing.record) == 1
    assert stored(housing.record, shelter_id) == [("Registered", {
        "timestamp": LATER, "city": "milano", "name": "Casa Aurora", "kind": "apartment",
        "address_area": "Niguarda", "beds": 3, "actor": MILAN.as_record()})]
