"""The network overview follows a case that moves to another city, or whose protection status or
vulnerabilities are corrected: its counts leave where they were and go where they now belong, in
one batch or across batches."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from events.contracts import (
    CaseIntakeCorrectedV1,
    CaseTransferredV1,
    City,
    EventContract,
    FieldChangeV1,
)
from projections.network_overview import NetworkOverviewProjection, NetworkOverviewQueries
from projections.projection import Delivered, apply_batch
from projections.storage.read_models import SqliteReadModels
from tests.read_models import read_models_fixture
from tests.unit.test_projections import an_envelope, an_intake_recorded

database = read_models_fixture(NetworkOverviewProjection)


def a_transfer(number: int, from_city: City, to_city: City) -> CaseTransferredV1:
    return CaseTransferredV1(
        case_id=UUID(int=number), case_code=f"{from_city[:2].upper()}-2021-{number:05d}",
        city=to_city, from_city=from_city, referral_id=UUID(int=10_000 + number),
        transferred_on=date(2021, 4, 1),
    )


def a_correction(number: int, city: City, *changes: FieldChangeV1) -> CaseIntakeCorrectedV1:
    return CaseIntakeCorrectedV1(
        case_id=UUID(int=number), case_code=f"{city[:2].upper()}-2021-{number:05d}", city=city,
        changes=list(changes), reason="Wrong document read at intake",
        priority_group="other_outside_reception", eligibility=[],
    )


def change(field: Any, before: Any, after: Any, number: int) -> FieldChangeV1:
    return FieldChangeV1(field=field, before=before, after=after, corrects=f"{UUID(int=number)}.1")


def project(database: SqliteReadModels, events: list[EventContract], *, batch_size: int) -> None:
    delivered = [
        Delivered(n, replace(an_envelope(event, n), type=event.ce_type()))
        for n, event in enumerate(events, start=1)
    ]
    for start in range(0, len(delivered), batch_size):
        apply_batch(database, NetworkOverviewProjection(), delivered[start:start + batch_size])


def figures(database: SqliteReadModels) -> dict[str, tuple[int, int, dict[str, int]]]:
    overview = NetworkOverviewQueries(database).overview()
    return {c.city: (c.cases, c.vulnerable_cases, c.by_protection_status)
            for c in overview.cities if c.cases or c.by_protection_status}


@pytest.mark.parametrize("batch_size", [1, 2, 100])
def test_a_transferred_case_counts_for_its_new_city_only(
    database: SqliteReadModels, batch_size: int
) -> None:
    events: list[EventContract] = [
        an_intake_recorded(1, "milano", vulnerabilities=["disability"]),
        an_intake_recorded(2, "milano"),
        a_transfer(1, "milano", "firenze"),
    ]

    project(database, events, batch_size=batch_size)

    assert figures(database) == {
        "milano": (1, 0, {"refugee": 1}),
        "firenze": (1, 1, {"refugee": 1}),
    }


@pytest.mark.parametrize("batch_size", [1, 3, 100])
def test_a_correction_moves_the_case_between_statuses_and_vulnerability_counts(
    database: SqliteReadModels, batch_size: int
) -> None:
    events: list[EventContract] = [
        an_intake_recorded(1, "bari"),
        an_intake_recorded(2, "bari", vulnerabilities=["elderly"]),
        a_correction(1, "bari", change("protection_status", "refugee", "asylum_seeker", 1),
                     change("vulnerabilities", [], ["pregnancy"], 1)),
        a_correction(2, "bari", change("vulnerabilities", ["elderly"], [], 2)),
        a_correction(2, "bari", change("household_size", 1, 3, 2)),
    ]

    project(database, events, batch_size=batch_size)

    assert figures(database) == {"bari": (2, 1, {"refugee": 1, "asylum_seeker": 1})}


def test_the_network_totals_stay_the_sum_of_the_cities_after_moves(
    database: SqliteReadModels,
) -> None:
    events: list[EventContract] = [an_intake_recorded(n, "roma") for n in range(1, 6)]
    events += [a_transfer(n, "roma", "napoli") for n in (1, 2)]
    events += [a_transfer(1, "napoli", "torino")]

    project(database, events, batch_size=4)

    overview = NetworkOverviewQueries(database).overview()
    assert overview.total_cases == 5
    assert figures(database) == {
        "roma": (3, 0, {"refugee": 3}),
        "napoli": (1, 0, {"refugee": 1}),
        "torino": (1, 0, {"refugee": 1}),
    }
