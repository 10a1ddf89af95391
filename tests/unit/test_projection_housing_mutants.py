"""The housing read models (projections/housing.py) on SQLite, as the mutation pass of issue 20
holds them (docs/testing.md, "Projections pass, part 3: housing"): each shelter's row, its bed
counts over time, each case's housing path and each placement, field by field after every event
that changes them (and `last_position`), every query's filters and order, the work items at
their due moment and one microsecond before, redeliveries changing nothing, and a reset
emptying the model.

Rules encoded (/work/shared/design/DOMAIN.md, fast-track housing): a bed offered awaits the
person's answer until the end of the day after the offer, in Italy; a case waiting on the
waitlist calls for attention after 30 days; a closed case waits for nothing until reopened; a
transferred case waits in its new city; days to move-in count from the intake; the programme's
days are Rome's."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from events.cloudevents import Actor, Envelope
from events.contracts import (
    CaseIntakeCorrectedV3,
    CaseStatusChangedV1,
    CaseTransferredV1,
    EventContract,
    FieldChange,
    PriorityGroup,
)
from events.housing import (
    MoveOutOutcome,
    PlacementBedOfferedV1,
    PlacementLeftWaitlistV2,
    PlacementMovedInV1,
    PlacementMovedOutV2,
    PlacementOfferDeclinedV2,
    PlacementWaitlistedV1,
    ShelterBedsAddedV1,
    ShelterBedsRemovedV1,
    ShelterClosedV2,
    ShelterKind,
    ShelterRegisteredV1,
)
from projections.housing import (
    BED_OFFER_AWAITING_ANSWER,
    WAITING_LONGEST,
    CityHousing,
    HousingPathRow,
    HousingProjection,
    HousingQueries,
    PlacementRow,
    ShelterRow,
    WaitlistEntry,
    _date,
    _numbers,
    _numbers_text,
    _programme_day,
    _text_id,
    _utc,
    end_of_programme_day,
)
from projections.projection import Delivered, WorkItem, apply_batch, ensure_created, reset
from projections.storage.read_models import SqliteReadModels
from tests import case_events
from tests.case_events import code
from tests.read_models import an_envelope, apply_in_one_batch, read_models_fixture

ITALY = ZoneInfo("Europe/Rome")
T0 = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)
COORDINATOR = Actor(kind="user", id="coordinator-7", role="city_coordinator", city="firenze")
SHELTER = UUID(int=1000)
OTHER_SHELTER = UUID(int=1001)
INTAKE = date(2021, 3, 1)
NOTE = UUID(int=501)
REASON = UUID(int=502)


database = read_models_fixture(HousingProjection)


def path_id(number: int) -> UUID:
    return UUID(int=10_000 + number)


# Events ----------------------------------------------------------------------------------------


def registered(shelter: UUID = SHELTER, city: str = "firenze", name: str = "Casa Aurora",
               beds: int = 3, kind: ShelterKind = "temporary_shelter",
               area: str = "Novoli") -> ShelterRegisteredV1:
    return ShelterRegisteredV1(shelter_id=shelter, city=city, name=name, kind=kind,
                               address_area=area, beds=beds)


def beds_added(numbers: list[int], beds: int, shelter: UUID = SHELTER) -> ShelterBedsAddedV1:
    return ShelterBedsAddedV1(shelter_id=shelter, city="firenze", added=len(numbers),
                              bed_numbers=numbers, beds=beds)


def beds_removed(numbers: list[int], beds: int,
                 shelter: UUID = SHELTER) -> ShelterBedsRemovedV1:
    return ShelterBedsRemovedV1(shelter_id=shelter, city="firenze", removed=len(numbers),
                                bed_numbers=numbers, beds=beds)


def closed(on: date = date(2021, 6, 30), shelter: UUID = SHELTER) -> ShelterClosedV2:
    return ShelterClosedV2(shelter_id=shelter, city="firenze", closed_on=on,
                           reason="agreement_ended")


def waitlisted(number: int, city: str = "firenze", at: datetime = T0, vulnerable: bool = True,
               group: PriorityGroup = "international_protection",
               intake: date = INTAKE) -> PlacementWaitlistedV1:
    return PlacementWaitlistedV1(
        housing_path_id=path_id(number), case_id=UUID(int=number), case_code=code(number, city),
        city=city, waitlisted_at=at, vulnerable=vulnerable, priority_group=group,
        intake_date=intake)


def offered(number: int, shelter: UUID = SHELTER, bed: int = 2, on: date = date(2021, 3, 20),
            city: str = "firenze", name: str = "Casa Aurora",
            area: str = "Novoli") -> PlacementBedOfferedV1:
    return PlacementBedOfferedV1(
        housing_path_id=path_id(number), case_id=UUID(int=number), case_code=code(number, city),
        city=city, shelter_id=shelter, shelter_name=name, address_area=area, bed=bed,
        offered_on=on)


def declined(number: int, shelter: UUID = SHELTER, bed: int = 2,
             reason: UUID | None = REASON) -> PlacementOfferDeclinedV2:
    return PlacementOfferDeclinedV2(
        housing_path_id=path_id(number), case_id=UUID(int=number), case_code=code(number),
        city="firenze", shelter_id=shelter, bed=bed, reason_id=reason,
        reason_digest=None if reason is None else "a" * 64)


def moved_in(number: int, shelter: UUID = SHELTER, bed: int = 2, on: date = date(2021, 3, 21),
             intake: date = INTAKE) -> PlacementMovedInV1:
    return PlacementMovedInV1(
        housing_path_id=path_id(number), case_id=UUID(int=number), case_code=code(number),
        city="firenze", shelter_id=shelter, bed=bed, moved_in_on=on, intake_date=intake)


def moved_out(number: int, shelter: UUID = SHELTER, bed: int = 2, on: date = date(2021, 5, 4),
              outcome: MoveOutOutcome = "autonomous_housing",
              note: UUID | None = NOTE) -> PlacementMovedOutV2:
    return PlacementMovedOutV2(
        housing_path_id=path_id(number), case_id=UUID(int=number), case_code=code(number),
        city="firenze", shelter_id=shelter, bed=bed, moved_out_on=on, outcome=outcome,
        note_id=note, note_digest=None if note is None else "b" * 64)


def left_waitlist(number: int) -> PlacementLeftWaitlistV2:
    return PlacementLeftWaitlistV2(
        housing_path_id=path_id(number), case_id=UUID(int=number), case_code=code(number),
        city="firenze", reason_id=REASON, reason_digest="c" * 64)


def corrected(number: int, changes: list[FieldChange],
              group: PriorityGroup = "other_outside_reception") -> CaseIntakeCorrectedV3:
    return CaseIntakeCorrectedV3(
        case_id=UUID(int=number), case_code=code(number), city="firenze", changes=changes,
        reason_id=None, reason_digest=None, priority_group=group, eligibility=[])


def envelope_of(data: EventContract, position: int, at: datetime = T0) -> Envelope:
    return an_envelope(data, position, time=at, actor=COORDINATOR)


def project(database: SqliteReadModels, *events: EventContract, first: int = 1,
            at: datetime = T0) -> list[Delivered]:
    return apply_in_one_batch(database, HousingProjection(), events, first=first, time=at,
                              actor=COORDINATOR)


def queries(database: SqliteReadModels) -> HousingQueries:
    return HousingQueries(database)


def stored(database: SqliteReadModels, table: str, columns: str, key: str,
           value: object) -> tuple[Any, ...]:
    with database.reading() as tx:
        row = tx.fetchone(f"SELECT {columns} FROM {table} WHERE {key} = ?", (str(value),))
    assert row is not None
    return row


def bed_counts(database: SqliteReadModels) -> list[tuple[Any, ...]]:
    with database.reading() as tx:
        return tx.fetchall("SELECT shelter_id, position, city, effective_on, beds"
                           " FROM rm_shelter_bed_counts ORDER BY shelter_id, position")


def path_of(database: SqliteReadModels, number: int = 1) -> HousingPathRow:
    row = queries(database).housing_path(UUID(int=number))
    assert row is not None
    return row


def the_path(number: int = 1, **changes: Any) -> HousingPathRow:
    fields: dict[str, Any] = {
        "case_id": UUID(int=number), "housing_path_id": path_id(number),
        "case_code": code(number), "city": "firenze", "stage": "waitlisted",
        "vulnerable": True, "priority_group": "international_protection",
        "intake_date": INTAKE, "waitlisted_at": T0, "episodes": 1, "shelter_id": None,
        "shelter_name": None, "address_area": None, "bed": None, "offered_on": None,
        "moved_in_on": None, "case_closed": False,
    }
    return HousingPathRow(**fields | changes)


def the_placement(number: int = 1, **changes: Any) -> PlacementRow:
    fields: dict[str, Any] = {
        "case_id": UUID(int=number), "case_code": code(number), "city": "firenze",
        "shelter_id": SHELTER, "shelter_name": "Casa Aurora", "bed": 2,
        "offered_on": date(2021, 3, 20), "status": "offered", "intake_date": INTAKE,
        "moved_in_on": None, "days_to_move_in": None, "moved_out_on": None, "outcome": None,
        "note_id": None, "reason_id": None,
    }
    return PlacementRow(**fields | changes)


def the_shelter(**changes: Any) -> ShelterRow:
    fields: dict[str, Any] = {
        "shelter_id": SHELTER, "city": "firenze", "name": "Casa Aurora",
        "kind": "temporary_shelter", "address_area": "Novoli", "bed_numbers": (1, 2, 3),
        "occupied": 0, "registered_at": T0, "closed_on": None, "closed_reason": None,
        "days_to_move_in": (),
    }
    return ShelterRow(**fields | changes)


def shelter_of(database: SqliteReadModels, shelter: UUID = SHELTER) -> ShelterRow:
    row = queries(database).shelter(shelter)
    assert row is not None
    return row


def path_position(database: SqliteReadModels, number: int = 1) -> int:
    return int(stored(database, "rm_housing_paths", "last_position", "case_id",
                      UUID(int=number))[0])


def shelter_position(database: SqliteReadModels, shelter: UUID = SHELTER) -> int:
    return int(stored(database, "rm_shelters", "last_position", "shelter_id", shelter)[0])


# Shelters --------------------------------------------------------------------------------------


def test_a_registered_shelter_field_by_field(database: SqliteReadModels) -> None:
    """Registered at 00:30 in Rome on 11 March (23:30 UTC on the 10th): its beds count from the
    11th, the programme's day; the instant is stored in UTC."""
    at = datetime(2021, 3, 11, 0, 30, tzinfo=ITALY)
    project(database, registered(), first=7, at=at)

    assert shelter_of(database) == the_shelter(registered_at=at)
    assert stored(database, "rm_shelters", "bed_numbers, occupied, registered_at, closed_on,"
                  " closed_reason, last_position", "shelter_id", SHELTER) == (
        "1,2,3", 0, "2021-03-10T23:30:00+00:00", None, None, 7)
    assert bed_counts(database) == [(str(SHELTER), 7, "firenze", "2021-03-11", 3)]
    row = shelter_of(database)
    assert (row.beds, row.free, row.is_closed) == (3, 3, False)


def test_a_shelter_registered_with_one_bed(database: SqliteReadModels) -> None:
    project(database, registered(beds=1))

    assert shelter_of(database).bed_numbers == (1,)
    assert bed_counts(database) == [(str(SHELTER), 1, "firenze", "2021-03-10", 1)]


def test_beds_added_and_removed(database: SqliteReadModels) -> None:
    project(database, registered())
    project(database, beds_added([5, 4, 3], beds=5), first=2,
            at=datetime(2021, 4, 30, 22, 30, tzinfo=UTC))  # 1 May in Rome
    assert shelter_of(database).bed_numbers == (1, 2, 3, 4, 5)
    assert shelter_position(database) == 2

    project(database, beds_removed([1, 4], beds=3), first=3,
            at=datetime(2021, 5, 2, 8, 0, tzinfo=UTC))

    assert shelter_of(database) == the_shelter(bed_numbers=(2, 3, 5))
    assert stored(database, "rm_shelters", "bed_numbers, last_position", "shelter_id",
                  SHELTER) == ("2,3,5", 3)
    assert bed_counts(database) == [
        (str(SHELTER), 1, "firenze", "2021-03-10", 3),
        (str(SHELTER), 2, "firenze", "2021-05-01", 5),
        (str(SHELTER), 3, "firenze", "2021-05-02", 3),
    ]


def test_beds_of_a_shelter_never_registered_change_nothing(
        database: SqliteReadModels) -> None:
    project(database, registered(shelter=OTHER_SHELTER))
    project(database, beds_added([4], beds=4), beds_removed([1], beds=2), first=2)

    assert queries(database).shelter(SHELTER) is None
    assert bed_counts(database) == [(str(OTHER_SHELTER), 1, "firenze", "2021-03-10", 3)]
    assert shelter_of(database, OTHER_SHELTER).bed_numbers == (1, 2, 3)


def test_a_closed_shelter(database: SqliteReadModels) -> None:
    project(database, registered(), closed(date(2021, 6, 30)))

    row = shelter_of(database)
    assert row == the_shelter(closed_on=date(2021, 6, 30), closed_reason="agreement_ended")
    assert (row.beds, row.free, row.is_closed) == (3, 0, True)
    assert stored(database, "rm_shelters", "closed_on, closed_reason, last_position",
                  "shelter_id", SHELTER) == ("2021-06-30", "agreement_ended", 2)
    assert bed_counts(database) == [
        (str(SHELTER), 1, "firenze", "2021-03-10", 3),
        (str(SHELTER), 2, "firenze", "2021-06-30", 0),
    ]


def test_free_beds_of_a_row() -> None:
    assert the_shelter(occupied=1).free == 2
    assert the_shelter(occupied=3).free == 0
    assert the_shelter(closed_on=date(2021, 6, 30)).free == 0
    assert the_shelter(bed_numbers=(1, 4)).beds == 2


def test_a_city_s_housing_open_shelters_first_by_name(database: SqliteReadModels) -> None:
    """Open shelters by name (then id), closed ones after; totals over the open ones only."""
    a, b, c1, c2 = (UUID(int=2000 + n) for n in range(4))
    project(database,
            registered(a, name="Casa A", beds=4), registered(c2, name="Casa C", beds=2),
            registered(b, name="Casa B", beds=3), registered(c1, name="Casa C", beds=1),
            registered(UUID(int=3000), city="roma", name="Casa 0"),
            closed(shelter=a),
            waitlisted(1), offered(1, shelter=b, bed=1), moved_in(1, shelter=b, bed=1,
                                                                  on=date(2021, 3, 11)),
            waitlisted(2), offered(2, shelter=b, bed=2),
            waitlisted(3), offered(3, shelter=c2, bed=1), moved_in(3, shelter=c2, bed=1,
                                                                   on=date(2021, 3, 31)))

    housing = queries(database).city_housing("firenze")

    assert housing.city == "firenze"
    assert [s.shelter_id for s in housing.shelters] == [b, c1, c2, a]
    assert [s.shelter_id for s in housing.open_shelters] == [b, c1, c2]
    assert housing.days_to_move_in == (10, 30)
    assert housing.housed_so_far == 2
    assert (housing.beds, housing.occupied, housing.free) == (3 + 1 + 2, 2 + 0 + 1, 1 + 1 + 1)
    assert housing.shelters[0].days_to_move_in == (10,)
    assert housing.shelters[2].days_to_move_in == (30,)
    assert housing.shelters[1].days_to_move_in == ()
    assert housing.shelters[3].is_closed
    assert [s.shelter_id for s in queries(database).open_shelters_with_free_beds("firenze")] \
        == [b, c1, c2]
    assert queries(database).city_housing("milano") == CityHousing("milano", (), ())


def test_open_shelters_with_free_beds_leave_out_the_full_ones(
        database: SqliteReadModels) -> None:
    full, one_free = UUID(int=2000), UUID(int=2001)
    project(database, registered(full, name="Piena", beds=1),
            registered(one_free, name="Quasi", beds=2),
            waitlisted(1), offered(1, shelter=full, bed=1),
            waitlisted(2), offered(2, shelter=one_free, bed=1))

    free = queries(database).open_shelters_with_free_beds("firenze")

    assert [(s.shelter_id, s.free) for s in free] == [(one_free, 1)]


def test_a_shelter_s_days_to_move_in_are_its_own(database: SqliteReadModels) -> None:
    project(database, registered(), registered(OTHER_SHELTER, name="Altra"),
            waitlisted(1), offered(1), moved_in(1, on=date(2021, 3, 3)),
            waitlisted(2), offered(2, shelter=OTHER_SHELTER),
            moved_in(2, shelter=OTHER_SHELTER, on=date(2021, 3, 9)),
            waitlisted(3), offered(3, bed=3), moved_in(3, bed=3, on=date(2021, 3, 6)))

    assert shelter_of(database).days_to_move_in == (2, 5)
    assert shelter_of(database, OTHER_SHELTER).days_to_move_in == (8,)
    assert queries(database).shelter(UUID(int=9)) is None


# Housing paths and placements ------------------------------------------------------------------


def test_a_waitlisted_case_field_by_field(database: SqliteReadModels) -> None:
    at = datetime(2021, 3, 10, 10, 30, tzinfo=ITALY)
    project(database, waitlisted(1, at=at, vulnerable=False, group="other_outside_reception"),
            first=4)

    assert path_of(database) == the_path(vulnerable=False, priority_group="other_outside_reception",
                                         waitlisted_at=at)
    assert stored(database, "rm_housing_paths", "vulnerable, waitlisted_at, episodes,"
                  " case_closed, last_position", "case_id", UUID(int=1)) == (
        0, "2021-03-10T09:30:00+00:00", 1, 0, 4)
    assert queries(database).housing_path(UUID(int=2)) is None


def test_an_offer_field_by_field(database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1))
    project(database, offered(1, bed=3, name="Casa Aurora", area="Rifredi"), first=3)

    assert path_of(database) == the_path(stage="offered", shelter_id=SHELTER,
                                         shelter_name="Casa Aurora", address_area="Rifredi",
                                         bed=3, offered_on=date(2021, 3, 20))
    assert path_position(database) == 3
    assert queries(database).case_placements(UUID(int=1)) == [the_placement(bed=3)]
    assert stored(database, "rm_placements", "offered_position", "case_id", UUID(int=1)) == (3,)
    assert shelter_of(database).occupied == 1
    assert shelter_position(database) == 3


def test_an_offer_to_a_case_in_another_city(database: SqliteReadModels) -> None:
    """The offer's city is the path's from then on (the case may have moved)."""
    project(database, registered(), waitlisted(1), offered(1, city="prato"))

    assert path_of(database).city == "prato"
    assert queries(database).case_placements(UUID(int=1))[0].city == "prato"


def test_an_offer_without_a_waitlisted_path_has_no_intake_date(
        database: SqliteReadModels) -> None:
    project(database, registered(), offered(1))

    assert queries(database).case_placements(UUID(int=1)) == [
        the_placement(intake_date=None)]
    assert queries(database).housing_path(UUID(int=1)) is None


def test_a_declined_offer(database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), offered(1), declined(1))

    assert path_of(database) == the_path()
    assert path_position(database) == 4
    assert queries(database).case_placements(UUID(int=1)) == [
        the_placement(status="declined", reason_id=REASON)]
    assert shelter_of(database).occupied == 0
    assert shelter_position(database) == 4


def test_a_declined_offer_without_a_reason(database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), offered(1), declined(1, reason=None))

    assert queries(database).case_placements(UUID(int=1)) == [
        the_placement(status="declined")]


def test_a_move_in(database: SqliteReadModels) -> None:
    """Days to move-in count from the intake the move-in gives."""
    project(database, registered(), waitlisted(1), offered(1),
            moved_in(1, on=date(2021, 3, 21), intake=date(2021, 2, 27)))

    assert path_of(database) == the_path(stage="housed", shelter_id=SHELTER,
                                         shelter_name="Casa Aurora", address_area="Novoli",
                                         bed=2, offered_on=date(2021, 3, 20),
                                         moved_in_on=date(2021, 3, 21))
    assert path_position(database) == 4
    assert queries(database).case_placements(UUID(int=1)) == [the_placement(
        status="housed", moved_in_on=date(2021, 3, 21), intake_date=date(2021, 2, 27),
        days_to_move_in=22)]
    assert shelter_of(database).occupied == 1
    assert shelter_of(database).days_to_move_in == (22,)


def test_a_move_in_on_the_day_of_the_intake(database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), offered(1),
            moved_in(1, on=INTAKE, intake=INTAKE))

    assert queries(database).case_placements(UUID(int=1))[0].days_to_move_in == 0
    assert shelter_of(database).days_to_move_in == (0,)
    assert queries(database).city_housing("firenze").days_to_move_in == (0,)


def test_a_move_out(database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), offered(1), moved_in(1),
            moved_out(1, on=date(2021, 5, 4), outcome="family_reunification"))

    assert path_of(database) == the_path(stage="moved_out", moved_in_on=date(2021, 3, 21))
    assert path_position(database) == 5
    assert queries(database).case_placements(UUID(int=1)) == [the_placement(
        status="moved_out", moved_in_on=date(2021, 3, 21), days_to_move_in=20,
        moved_out_on=date(2021, 5, 4), outcome="family_reunification", note_id=NOTE)]
    assert shelter_of(database).occupied == 0
    assert shelter_position(database) == 5


def test_a_move_out_without_a_note(database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), offered(1), moved_in(1),
            moved_out(1, note=None))

    assert queries(database).case_placements(UUID(int=1))[0].note_id is None


def test_leaving_the_waitlist(database: SqliteReadModels) -> None:
    project(database, waitlisted(1), left_waitlist(1), first=5)

    assert path_of(database) == the_path(stage="left_waitlist")
    assert path_position(database) == 6


def test_waitlisted_again_after_a_stay(database: SqliteReadModels) -> None:
    """A second episode: the path is waitlisted anew (facts of the new waitlisting), the bed
    it had cleared; the first stay stays in the placements; only the current placement follows
    a decline."""
    again = datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
    project(database, registered(), waitlisted(1), offered(1), moved_in(1), moved_out(1))
    project(database, waitlisted(1, at=again, vulnerable=False, group="other_outside_reception",
                                 intake=date(2021, 5, 30)), first=6)

    assert path_of(database) == the_path(
        waitlisted_at=again, vulnerable=False, priority_group="other_outside_reception",
        intake_date=date(2021, 5, 30), episodes=2)
    assert path_position(database) == 6

    project(database, offered(1, bed=3, on=date(2021, 6, 2)), declined(1, bed=3), first=7)

    assert path_of(database).episodes == 2
    assert queries(database).case_placements(UUID(int=1)) == [
        the_placement(bed=3, offered_on=date(2021, 6, 2), status="declined",
                      intake_date=date(2021, 5, 30), reason_id=REASON),
        the_placement(status="moved_out", moved_in_on=date(2021, 3, 21), days_to_move_in=20,
                      moved_out_on=date(2021, 5, 4), outcome="autonomous_housing",
                      note_id=NOTE),
    ]
    project(database, waitlisted(1, at=again), first=9)
    assert path_of(database).episodes == 3


def test_a_stay_after_a_declined_offer_leaves_the_declined_one(
        database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), offered(1, bed=1), declined(1, bed=1),
            offered(1, bed=3, on=date(2021, 3, 25)), moved_in(1, bed=3, on=date(2021, 3, 26)))

    assert queries(database).case_placements(UUID(int=1)) == [
        the_placement(bed=3, offered_on=date(2021, 3, 25), status="housed",
                      moved_in_on=date(2021, 3, 26), days_to_move_in=25),
        the_placement(bed=1, status="declined", reason_id=REASON),
    ]
    assert shelter_of(database).occupied == 1


# Case events -----------------------------------------------------------------------------------


def test_a_correction_of_the_vulnerabilities_to_none(database: SqliteReadModels) -> None:
    project(database, waitlisted(1, vulnerable=True), corrected(1, [FieldChange(
        field="vulnerabilities", before=["disability"], after=[], corrects="a")]), first=3)

    assert path_of(database) == the_path(vulnerable=False,
                                         priority_group="other_outside_reception")
    assert path_position(database) == 3  # a case event moves no housing position


def test_a_correction_to_some_vulnerabilities(database: SqliteReadModels) -> None:
    project(database, waitlisted(1, vulnerable=False), corrected(1, [FieldChange(
        field="vulnerabilities", before=[], after=["disability"], corrects="a")],
        group="international_protection"))

    assert path_of(database) == the_path(vulnerable=True)
    assert stored(database, "rm_housing_paths", "vulnerable", "case_id", UUID(int=1)) == (1,)


def test_a_correction_of_other_facts_keeps_the_vulnerability(
        database: SqliteReadModels) -> None:
    project(database, waitlisted(1, vulnerable=True), corrected(1, [FieldChange(
        field="sex", before="male", after="female", corrects="a")]))

    assert path_of(database) == the_path(vulnerable=True,
                                         priority_group="other_outside_reception")


def test_a_status_decision_changes_the_priority_group(database: SqliteReadModels) -> None:
    project(database, waitlisted(1, group="other_outside_reception"), CaseStatusChangedV1(
        case_id=UUID(int=1), case_code=code(1), city="firenze", decided_on=date(2021, 4, 1),
        protection_status="refugee", permit_expires_on=None,
        priority_group="international_protection", eligibility=[]))

    assert path_of(database) == the_path(priority_group="international_protection")
    assert path_position(database) == 1


def test_a_closed_case_waits_for_nothing_until_reopened(database: SqliteReadModels) -> None:
    project(database, waitlisted(1), waitlisted(2), case_events.closed(1))

    assert path_of(database) == the_path(case_closed=True)
    assert stored(database, "rm_housing_paths", "case_closed, last_position", "case_id",
                  UUID(int=1)) == (1, 1)
    assert [e.case_id for e in queries(database).waitlist("firenze", T0)] == [UUID(int=2)]
    assert [i.case_id for i in queries(database).work_items("firenze", T0 + timedelta(days=60))
            ] == [UUID(int=2)]

    project(database, case_events.reopened(1), first=4)

    assert path_of(database) == the_path()
    assert stored(database, "rm_housing_paths", "case_closed", "case_id", UUID(int=1)) == (0,)
    assert [e.case_id for e in queries(database).waitlist("firenze", T0)] == [
        UUID(int=1), UUID(int=2)]


def test_a_closed_case_s_offer_is_no_work_item(database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), offered(1), case_events.closed(1))

    assert queries(database).work_items("firenze", datetime(2022, 1, 1, tzinfo=UTC)) == []


def test_a_transferred_case_waits_in_its_new_city(database: SqliteReadModels) -> None:
    project(database, waitlisted(1), CaseTransferredV1(
        case_id=UUID(int=1), case_code=code(1), city="roma", from_city="firenze",
        referral_id=UUID(int=77), transferred_on=date(2021, 4, 1)))

    assert path_of(database) == the_path(city="roma")
    assert path_position(database) == 1
    assert queries(database).waitlist("firenze", T0) == []
    assert [e.case_id for e in queries(database).waitlist("roma", T0)] == [UUID(int=1)]


def test_case_events_of_a_case_never_waitlisted_change_nothing(
        database: SqliteReadModels) -> None:
    project(database, waitlisted(2), case_events.closed(1), corrected(1, [FieldChange(
        field="vulnerabilities", before=[], after=["disability"], corrects="a")]))

    assert queries(database).housing_path(UUID(int=1)) is None
    assert path_of(database, 2) == the_path(2)


# The waitlist and the work queue ---------------------------------------------------------------


def test_the_waitlist_longest_waiting_first_then_by_case_code(
        database: SqliteReadModels) -> None:
    early = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)
    # The same instant written in Rome's zone: stored in UTC, it sorts as the instant it is.
    project(database, waitlisted(3, at=T0), waitlisted(2, at=T0.astimezone(ITALY)),
            waitlisted(1, at=early + timedelta(days=9, hours=1)),
            waitlisted(4, at=early, vulnerable=False, group="other_outside_reception",
                       intake=date(2021, 2, 2)),
            waitlisted(5, city="roma", at=early), waitlisted(6), left_waitlist(6),
            registered(), waitlisted(7), offered(7))

    now = early + timedelta(days=9)
    waitlist = queries(database).waitlist("firenze", now)

    assert [e.case_code for e in waitlist] == [code(4), code(2), code(3), code(1)]
    assert waitlist[0] == WaitlistEntry(
        case_id=UUID(int=4), case_code=code(4), vulnerable=False,
        priority_group="other_outside_reception", intake_date=date(2021, 2, 2),
        waitlisted_at=early, days_waiting=9)
    assert waitlist[1] == WaitlistEntry(
        case_id=UUID(int=2), case_code=code(2), vulnerable=True,
        priority_group="international_protection", intake_date=INTAKE, waitlisted_at=T0,
        days_waiting=0)
    assert waitlist[3].days_waiting == 0  # waitlisted after `now`: not negative


def test_days_waiting_at_the_day_and_a_microsecond_before(database: SqliteReadModels) -> None:
    project(database, waitlisted(1, at=T0))

    assert queries(database).waitlist("firenze", T0 + timedelta(days=3))[0].days_waiting == 3
    assert queries(database).waitlist(
        "firenze", T0 + timedelta(days=3, microseconds=-1))[0].days_waiting == 2
    assert queries(database).waitlist("firenze", T0 + timedelta(days=1))[0].days_waiting == 1


def test_the_end_of_a_programme_day() -> None:
    assert end_of_programme_day(date(2021, 3, 21)) == datetime(
        2021, 3, 21, 23, 59, 59, 999999, tzinfo=ITALY)
    assert end_of_programme_day(date(2021, 7, 1)) == datetime(
        2021, 7, 1, 21, 59, 59, 999999, tzinfo=UTC)


def test_a_bed_offer_is_due_at_the_end_of_the_next_day_in_italy(
        database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), offered(1, on=date(2021, 7, 10)))
    due = datetime(2021, 7, 11, 21, 59, 59, 999999, tzinfo=UTC)  # the 11th's end in Rome

    assert queries(database).work_items("firenze", due) == [WorkItem(
        kind=BED_OFFER_AWAITING_ANSWER, city="firenze", due=due, case_id=UUID(int=1),
        case_code=code(1), subject_id=SHELTER)]
    assert queries(database).work_items("firenze", due - timedelta(microseconds=1)) == []
    assert queries(database).work_items("roma", due) == []


def test_a_case_on_the_waitlist_calls_for_attention_after_30_days(
        database: SqliteReadModels) -> None:
    project(database, waitlisted(1, at=T0), waitlisted(2, at=T0 + timedelta(hours=1)),
            waitlisted(3, city="roma"))
    due = T0 + timedelta(days=30)

    assert queries(database).work_items("firenze", due) == [WorkItem(
        kind=WAITING_LONGEST, city="firenze", due=due, case_id=UUID(int=1),
        case_code=code(1), subject_id=path_id(1))]
    assert queries(database).work_items("firenze", due - timedelta(microseconds=1)) == []


def test_work_items_offers_first_then_the_waiting(database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), waitlisted(2), offered(2),
            waitlisted(3), offered(3), moved_in(3))

    items = queries(database).work_items("firenze", datetime(2022, 1, 1, tzinfo=UTC))

    assert [(i.kind, i.case_id) for i in items] == [
        (BED_OFFER_AWAITING_ANSWER, UUID(int=2)), (WAITING_LONGEST, UUID(int=1))]


# Placements ------------------------------------------------------------------------------------


def a_shelter_s_history(database: SqliteReadModels) -> None:
    """Case 1 declined bed 1, case 2 moved out of bed 1, case 3 lives in bed 2, case 4 is
    offered bed 3, case 6 declined bed 1 after that; case 5 is offered bed 2 of the other
    shelter."""
    project(database, registered(), registered(OTHER_SHELTER, name="Altra"),
            *(waitlisted(n) for n in range(1, 7)),
            offered(1, bed=1, on=date(2021, 3, 11)), declined(1, bed=1),
            offered(2, bed=1, on=date(2021, 3, 12)), moved_in(2, bed=1, on=date(2021, 3, 12)),
            offered(3, bed=2, on=date(2021, 3, 12)), moved_in(3, bed=2, on=date(2021, 3, 13)),
            moved_out(2, bed=1, on=date(2021, 4, 1), outcome="other"),
            offered(4, bed=3, on=date(2021, 4, 2)),
            offered(6, bed=1, on=date(2021, 4, 3)), declined(6, bed=1),
            offered(5, shelter=OTHER_SHELTER, bed=2, on=date(2021, 4, 3), name="Altra"))


def test_a_shelter_s_placements_current_ones_by_bed_then_the_latest(
        database: SqliteReadModels) -> None:
    a_shelter_s_history(database)

    placements = queries(database).placements(SHELTER)

    assert [(p.case_id.int, p.status) for p in placements] == [
        (3, "housed"), (4, "offered"), (6, "declined"), (2, "moved_out"), (1, "declined")]
    assert placements[0] == the_placement(
        3, bed=2, offered_on=date(2021, 3, 12), status="housed",
        moved_in_on=date(2021, 3, 13), days_to_move_in=12)
    assert [(p.case_id.int, p.bed) for p in queries(database).placements(
        SHELTER, current_only=True)] == [(3, 2), (4, 3)]
    assert [p.case_id.int for p in queries(database).placements(OTHER_SHELTER)] == [5]
    assert queries(database).placements(UUID(int=9)) == []
    assert shelter_of(database).occupied == 2


def test_a_city_s_placements_the_latest_offer_first(database: SqliteReadModels) -> None:
    a_shelter_s_history(database)
    project(database, registered(UUID(int=3000), city="roma"), waitlisted(9, city="roma"),
            offered(9, shelter=UUID(int=3000), city="roma"), first=100)
    city = queries(database)

    assert [p.case_id.int for p in city.city_placements("firenze")] == [5, 6, 4, 3, 2, 1]
    assert [p.case_id.int for p in city.city_placements("firenze", outcome="other")] == [2]
    assert city.city_placements("firenze", outcome="autonomous_housing") == []
    assert [p.case_id.int for p in city.city_placements("firenze", moved_in=True)] == [3, 2]
    assert [p.case_id.int for p in city.city_placements("firenze", moved_in=False)] == [
        5, 6, 4, 1]
    assert [p.case_id.int for p in city.city_placements(
        "firenze", outcome="other", moved_in=True)] == [2]
    assert city.city_placements("firenze", outcome="other", moved_in=False) == []
    assert city.city_placements("roma") == [the_placement(
        9, case_code=code(9, "roma"), city="roma", shelter_id=UUID(int=3000))]


def test_a_city_s_placements_of_one_day_the_latest_offered_first(
        database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), waitlisted(2), waitlisted(3),
            offered(2, bed=1), offered(1, bed=2), offered(3, bed=3, on=date(2021, 3, 19)))

    assert [p.case_id.int for p in queries(database).city_placements("firenze")] == [1, 2, 3]


def test_a_case_s_placements_the_latest_first(database: SqliteReadModels) -> None:
    a_shelter_s_history(database)
    project(database, offered(1, bed=2, on=date(2021, 3, 1)), first=100)

    assert [(p.bed, p.status) for p in queries(database).case_placements(UUID(int=1))] == [
        (2, "offered"), (1, "declined")]
    assert queries(database).case_placements(UUID(int=9)) == []


# Delivery and lifecycle ------------------------------------------------------------------------


def every_row(database: SqliteReadModels) -> list[list[tuple[Any, ...]]]:
    with database.reading() as tx:
        return [tx.fetchall(f"SELECT * FROM {table} ORDER BY 1, 2") for table in (
            "rm_shelters", "rm_housing_paths", "rm_placements", "rm_shelter_bed_counts")]


def test_a_redelivered_batch_changes_nothing(database: SqliteReadModels) -> None:
    batch = project(database, registered(), waitlisted(1), offered(1), moved_in(1))
    before = every_row(database)

    apply_batch(database, HousingProjection(), batch)
    apply_batch(database, HousingProjection(), batch[2:])

    assert every_row(database) == before
    assert shelter_of(database).occupied == 1
    assert path_of(database).episodes == 1


def test_apply_is_apply_all_of_one(database: SqliteReadModels) -> None:
    with database.transaction() as tx:
        HousingProjection().apply(tx, envelope_of(registered(), 1))
        HousingProjection().apply(tx, envelope_of(beds_added([4], beds=4), 2))

    assert shelter_of(database).bed_numbers == (1, 2, 3, 4)


def test_a_reset_empties_every_table(database: SqliteReadModels) -> None:
    project(database, registered(), waitlisted(1), offered(1))

    reset(database, HousingProjection())

    assert every_row(database) == [[], [], [], []]
    project(database, registered(OTHER_SHELTER))
    assert shelter_of(database, OTHER_SHELTER).occupied == 0


def test_the_tables_are_created_once(database: SqliteReadModels) -> None:
    project(database, registered())

    ensure_created(database, HousingProjection())

    assert shelter_of(database) == the_shelter()


# The helpers -----------------------------------------------------------------------------------


def test_instants_are_stored_in_utc_whatever_the_machine_s_time_zone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Rome")
    time.tzset()
    try:
        assert _utc(datetime(2021, 1, 5, 9, 0, tzinfo=UTC)) == "2021-01-05T09:00:00+00:00"
        assert _utc(datetime(2021, 1, 5, 10, 0, tzinfo=ITALY)) == "2021-01-05T09:00:00+00:00"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_programme_day_is_rome_s() -> None:
    assert _programme_day(datetime(2021, 5, 31, 22, 30, tzinfo=UTC)) == date(2021, 6, 1)
    assert _programme_day(datetime(2021, 5, 31, 21, 59, tzinfo=UTC)) == date(2021, 5, 31)


def test_bed_numbers_as_text_and_back() -> None:
    assert _numbers_text([1, 12, 3]) == "1,12,3"
    assert _numbers_text([]) == ""
    assert _numbers("1,12,3") == [1, 12, 3]
    assert _numbers("") == []


def test_the_small_conversions() -> None:
    assert _date(None) is None
    assert _date("2021-03-01") == date(2021, 3, 1)
    assert _text_id(None) is None
    assert _text_id(NOTE) == str(NOTE)
