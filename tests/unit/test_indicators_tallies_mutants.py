"""The raw figures the indicators are computed from (projections/indicators/tallies.py), read from
the read models on SQLite, as the mutation pass of issue 20 holds them (docs/testing.md,
"Projections pass, part 3"): rows written straight into the read-model tables (as the
projections would have left them) for two cities, then every tally of one city and of the
network compared with what the rows add up to, worked out in the comments.

Rules encoded (/work/shared/design/DOMAIN.md): referral "response times matter" (an answer at its
due time is in time, one second later is not); "a bed is never given twice" and shelters have "a
fixed number of beds" (a closed shelter's beds are not open beds); voided deliveries are no
services delivered; a person taken in by two cities is one person of the network
(projections/person_links); a case counts for the city that owns it now, a referral for the city
that requested it, a placement for the city of its shelter (projections/indicators/__init__.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from projections.indicators.tallies import (
    TRACKED_PROJECTIONS,
    BedChange,
    CityTallies,
    Placement,
    Tallies,
    position_in,
)
from projections.projection import ensure_created
from projections.registry import default_projections
from projections.storage.read_models import SqliteReadModels
from projections.storage.transaction import Transaction
from tests.read_models import read_models_with

D = Decimal


def uid(name: str) -> str:
    """A stable UUID text for a short name ("m1", "r2"): the drill-down queries parse ids."""
    return str(uuid5(NAMESPACE_URL, name))


def insert(tx: Transaction, table: str, **values: Any) -> None:
    """One row, the NOT NULL columns not given filled with a placeholder of their type."""
    for _cid, name, kind, not_null, default, _pk in tx.fetchall(f"PRAGMA table_info({table})"):
        if name not in values and not_null and default is None:
            values[name] = 0 if "INT" in kind.upper() else "-"
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    tx.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values()))


def case(tx: Transaction, case_id: str, city: str, status: str, intake_date: str,
         protection_status: str, sex: str, age_band: str, citizenship: str | None,
         vulnerabilities: str, outcome: str | None, person_id: str | None) -> None:
    insert(tx, "rm_cases", case_id=case_id, case_code=case_id.upper(), city=city, status=status,
           intake_date=intake_date, protection_status=protection_status, sex=sex,
           age_band=age_band, citizenship=citizenship, vulnerabilities=vulnerabilities,
           outcome=outcome)
    insert(tx, "rm_person_cases", case_id=case_id, case_code=case_id.upper(), city=city,
           person_id=person_id)


def referral(tx: Transaction, referral_id: str, city: str, kind: str, service: str | None,
             status: str, due_at: str, answered_at: str | None, seconds: int | None,
             requested_at: str) -> None:
    insert(tx, "rm_referrals", referral_id=uid(referral_id), case_id=uid("m1"), city=city,
           destination_kind=kind, service=service, status=status, due_at=due_at,
           answered_at=answered_at, response_seconds=seconds, requested_at=requested_at)


def placement(tx: Transaction, case_id: str, city: str, status: str, offered_on: str,
              moved_in_on: str | None, moved_out_on: str | None, days: int | None,
              outcome: str | None) -> None:
    insert(tx, "rm_placements", case_id=uid(case_id), offered_position=1, city=city,
           shelter_id=uid("S1"), status=status,
           offered_on=offered_on, moved_in_on=moved_in_on, moved_out_on=moved_out_on,
           days_to_move_in=days, outcome=outcome)


def activity(tx: Transaction, activity_id: str, city: str, sub_action: str, status: str,
             sessions: int, residents: int, *participants: tuple[str, str]) -> None:
    insert(tx, "rm_activities", activity_id=activity_id, city=city, sub_action=sub_action,
           status=status, sessions=sessions, residents=residents)
    for case_id, hours in participants:
        insert(tx, "rm_activity_participants", activity_id=activity_id, case_id=case_id,
               hours=hours)


def delivery(tx: Transaction, delivery_id: str, city: str, case_id: str, sub_action: str,
             kind: str, unit: str, quantity: str, voided_reason: str | None = None) -> None:
    insert(tx, "rm_deliveries", delivery_id=delivery_id, city=city, case_id=case_id,
           sub_action=sub_action, kind=kind, unit=unit, quantity=quantity,
           voided_reason=voided_reason)


DUE = "2021-01-10T12:00:00+00:00"


def write_scenario(tx: Transaction) -> None:
    # Every projection at position 30, but two behind: the slowest (17) is the figures'.
    for name in TRACKED_PROJECTIONS:
        insert(tx, "rm_tracking", projection=name, stream_seq=40, position=30)
    tx.execute("UPDATE rm_tracking SET position = 17 WHERE projection = ?",
               (TRACKED_PROJECTIONS[1],))
    tx.execute("UPDATE rm_tracking SET position = 25 WHERE projection = ?",
               (TRACKED_PROJECTIONS[-1],))
    # Cases; m1, m2 (Milan) and n1 (Naples) are about one confirmed person P1.
    case(tx, "m1", "milano", "open", "2021-01-05", "refugee", "female", "18-25", "AF",
         ",minor,", None, "P1")
    case(tx, "m2", "milano", "open", "2021-01-20", "refugee", "male", "18-25", None, "", None,
         "P1")
    case(tx, "m3", "milano", "closed", "2021-02-01", "subsidiary_protection", "male", "26-35",
         "AF", ",minor,", "autonomy", None)
    case(tx, "n1", "napoli", "closed", "2021-02-10", "refugee", "female", "18-25", "NG", "",
         "left", "P1")
    # Referrals: answered at the due time (in time), one second after it (late), unanswered.
    referral(tx, "r1", "milano", "city_service", "health", "accepted", DUE, DUE, 7200,
             "2021-01-08T09:00:00+00:00")
    referral(tx, "r2", "milano", "city_service", "health", "accepted", DUE,
             "2021-01-10T12:00:01+00:00", 90000, "2021-01-09T09:00:00+00:00")
    referral(tx, "r3", "milano", "partner", None, "requested", DUE, None, None,
             "2021-01-07T09:00:00+00:00")
    referral(tx, "r4", "milano", "transfer", None, "declined", DUE,
             "2021-01-09T12:00:00+00:00", 600, "2021-01-06T09:00:00+00:00")
    referral(tx, "r5", "napoli", "city_service", "legal_aid", "accepted", DUE,
             "2021-01-10T11:00:00+00:00", 3600, "2021-01-05T09:00:00+00:00")
    placement(tx, "m1", "milano", "housed", "2021-01-06", "2021-01-08", None, 3, None)
    placement(tx, "m2", "milano", "moved_out", "2021-01-07", "2021-01-09", "2021-02-01", 4,
              "autonomous_housing")
    placement(tx, "n1", "napoli", "offered", "2021-02-11", None, None, None, None)
    # Open shelters: S1 3 beds, S3 2, S5 none left; S2 is closed.
    insert(tx, "rm_shelters", shelter_id="S1", city="milano", bed_numbers="1,2,3")
    insert(tx, "rm_shelters", shelter_id="S2", city="milano", bed_numbers="1,2",
           closed_on="2021-01-31")
    insert(tx, "rm_shelters", shelter_id="S3", city="milano", bed_numbers="4,5")
    insert(tx, "rm_shelters", shelter_id="S5", city="milano", bed_numbers="")
    insert(tx, "rm_shelters", shelter_id="S4", city="napoli", bed_numbers="1")
    insert(tx, "rm_shelter_bed_counts", shelter_id="S1", position=5, city="milano",
           effective_on="2021-01-01", beds=3)
    insert(tx, "rm_shelter_bed_counts", shelter_id="S3", position=9, city="milano",
           effective_on="2021-01-15", beds=2)
    insert(tx, "rm_shelter_bed_counts", shelter_id="S4", position=7, city="napoli",
           effective_on="2021-01-02", beds=1)
    activity(tx, "A1", "milano", "2", "completed", 3, 10, ("m1", "2.5"), ("m2", "2.5"))
    activity(tx, "A2", "milano", "2", "completed", 2, 5, ("m1", "1.25"))
    activity(tx, "A3", "milano", "3", "planned", 1, 0, ("m3", "0"))
    activity(tx, "A4", "napoli", "6", "cancelled", 0, 0, ("n1", "3"))
    delivery(tx, "D1", "milano", "m1", "3", "meal", "meals", "2")
    delivery(tx, "D2", "milano", "m1", "3", "meal", "meals", "2")
    delivery(tx, "D3", "milano", "m2", "3", "meal", "meals", "1.5")
    delivery(tx, "D4", "milano", "m9", "4", "cash", "eur", "100.00", voided_reason="error")
    delivery(tx, "D5", "milano", "m3", "4", "cash", "eur", "50.00")
    delivery(tx, "D6", "napoli", "n1", "3", "meal", "meals", "1")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqliteReadModels]:
    with read_models_with(tmp_path, *default_projections()) as read_models:
        with read_models.transaction() as tx:
            write_scenario(tx)
        yield read_models


def milano_expected() -> CityTallies:
    return CityTallies(
        cases={
            "status": Counter({"open": 2, "closed": 1}),
            "protection_status": Counter({"refugee": 2, "subsidiary_protection": 1}),
            "sex": Counter({"female": 1, "male": 2}),
            "age_band": Counter({"18-25": 2, "26-35": 1}),
            # Only the closed case has an outcome: no key for the open ones.
            "outcome": Counter({"autonomy": 1}),
            "vulnerabilities": Counter({",minor,": 2, "": 1}),
            # No citizenship is the key "none".
            "citizenship": Counter({"AF": 2, "none": 1}),
            "month": Counter({"2021-01": 2, "2021-02": 1}),
        },
        # P1 (m1 and m2) and m3 (no confirmed person: a person of its own).
        people=2,
        # health: r1 in time, r2 late; partner unanswered; transfer answered before its due.
        referrals=[("health", "accepted", 2, 1), ("partner", "requested", 1, 0),
                   ("transfer", "declined", 1, 1)],
        response_seconds=[600, 7200, 90000],
        placements=[
            Placement("housed", "2021-01-06", "2021-01-08", None, 3, None),
            Placement("moved_out", "2021-01-07", "2021-01-09", "2021-02-01", 4,
                      "autonomous_housing"),
        ],
        # S1 3 + S3 2 + S5 0; the closed S2 not.
        open_beds=5,
        bed_changes=[BedChange("2021-01-01", 5, "S1", 3), BedChange("2021-01-15", 9, "S3", 2)],
        # Sub-action 2: A1 and A2, sessions 3 + 2, residents 10 + 5.
        activities=[("2", "completed", 2, 5, 15), ("3", "planned", 1, 1, 0)],
        # Sub-action 2: m1 (twice) and m2; overall m1, m2, m3.
        participants=Counter({"2": 2, "3": 1}),
        participants_overall=3,
        # 2.5 + 2.5 + 1.25; the "0" of A3 added to 0.00.
        hours={"2": D("6.25"), "3": D("0.00")},
        # The voided D4 (m9's only delivery) nowhere.
        delivered={("3", "meal", "meals"): (3, D("5.5")), ("4", "cash", "eur"): (1, D("50.00"))},
        served=Counter({("3", "meal"): 2, ("4", "cash"): 1}),
        served_overall=3,
    )


def napoli_expected() -> CityTallies:
    return CityTallies(
        cases={
            "status": Counter({"closed": 1}),
            "protection_status": Counter({"refugee": 1}),
            "sex": Counter({"female": 1}),
            "age_band": Counter({"18-25": 1}),
            "outcome": Counter({"left": 1}),
            "vulnerabilities": Counter({"": 1}),
            "citizenship": Counter({"NG": 1}),
            "month": Counter({"2021-02": 1}),
        },
        people=1,
        referrals=[("legal_aid", "accepted", 1, 1)],
        response_seconds=[3600],
        placements=[Placement("offered", "2021-02-11", None, None, None, None)],
        open_beds=1,
        bed_changes=[BedChange("2021-01-02", 7, "S4", 1)],
        activities=[("6", "cancelled", 1, 0, 0)],
        participants=Counter({"6": 1}),
        participants_overall=1,
        # Summed from 0.00: two decimals.
        hours={"6": D("3.00")},
        delivered={("3", "meal", "meals"): (1, D("1"))},
        served=Counter({("3", "meal"): 1}),
        served_overall=1,
    )


def comparable(tallies: CityTallies) -> dict[str, Any]:
    """The tallies with their lists sorted (the database returns groups in no set order) and
    every value with its exact type and decimal places."""
    return {
        "cases": {dimension: sorted(counts.items())
                  for dimension, counts in tallies.cases.items() if counts},
        "people": tallies.people,
        "referrals": sorted(tallies.referrals),
        "response_seconds": sorted(tallies.response_seconds),
        "placements": sorted(tallies.placements, key=repr),
        "open_beds": tallies.open_beds,
        "bed_changes": sorted(tallies.bed_changes),
        "activities": sorted(tallies.activities),
        "participants": sorted(tallies.participants.items()),
        "participants_overall": tallies.participants_overall,
        "hours": sorted((key, str(value)) for key, value in tallies.hours.items()),
        "delivered": sorted((key, (count, str(quantity)))
                            for key, (count, quantity) in tallies.delivered.items()),
        "served": sorted(tallies.served.items()),
        "served_overall": tallies.served_overall,
    }


def test_the_position_is_the_slowest_projection_s(database: SqliteReadModels) -> None:
    with database.reading() as tx:
        assert position_in(tx) == 17


def test_the_network_tallies_by_city(database: SqliteReadModels) -> None:
    with database.reading() as tx:
        tallies = Tallies.read(tx, None)

    assert tallies.position == 17
    assert sorted(tallies.cities) == ["milano", "napoli"]
    assert comparable(tallies.cities["milano"]) == comparable(milano_expected())
    assert comparable(tallies.cities["napoli"]) == comparable(napoli_expected())
    # P1 (in both cities) once, and m3: two people in the network, not 2 + 1.
    assert tallies.people == 2
    assert [comparable(t) for t in tallies.network()] == [
        comparable(tallies.cities["milano"]), comparable(tallies.cities["napoli"])]


def test_one_city_tallies_read_only_its_rows(database: SqliteReadModels) -> None:
    with database.reading() as tx:
        tallies = Tallies.read(tx, "napoli")

    assert tallies.position == 17
    assert list(tallies.cities) == ["napoli"]
    assert comparable(tallies.of("napoli")) == comparable(napoli_expected())
    assert tallies.people == 1


def test_one_city_tallies_of_milan(database: SqliteReadModels) -> None:
    with database.reading() as tx:
        tallies = Tallies.read(tx, "milano")

    assert list(tallies.cities) == ["milano"]
    assert comparable(tallies.of("milano")) == comparable(milano_expected())
    assert tallies.people == 2


def test_a_city_with_nothing_recorded_has_empty_tallies(database: SqliteReadModels) -> None:
    with database.reading() as tx:
        tallies = Tallies.read(tx, "bari")

    assert tallies.cities == {}
    assert tallies.people == 0
    assert comparable(tallies.of("bari")) == comparable(CityTallies())
    assert tallies.network() == []


def test_the_tallies_of_a_city_read_are_that_city_s(database: SqliteReadModels) -> None:
    with database.reading() as tx:
        tallies = Tallies.read(tx, None)

    assert tallies.of("milano") is tallies.cities["milano"]


def test_no_tracking_reads_position_zero(tmp_path: Path) -> None:
    db = SqliteReadModels(tmp_path / "empty.sqlite")
    try:
        for projection in default_projections():
            ensure_created(db, projection)
        with db.reading() as tx:
            tallies = Tallies.read(tx, None)
        assert (tallies.position, tallies.cities, tallies.people) == (0, {}, 0)
    finally:
        db.close()
