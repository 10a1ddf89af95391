"""The network overview (projections/network_overview.py) on SQLite, as the mutation pass of
issue 20 holds it (docs/testing.md, "Projections pass, part 2"): every city's row field by field
after each event (cases, vulnerable cases, cases by protection status), the stored facts a later
move reads, the network's totals, the founding cities' zero rows and a later city's row, the
cities' order, a status every case left not shown, redeliveries changing nothing, and a reset
emptying the model.

Rule encoded (/work/shared/design/DOMAIN.md, case management): a case counts for the city that
holds it and under the protection status it holds now; a transfer or a correction moves it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import UUID

from events.contracts import (
    FOUNDING_CITIES,
    CaseStatusChangedV1,
    EventContract,
)
from projections.network_overview import (
    CityFigures,
    NetworkOverview,
    NetworkOverviewProjection,
    NetworkOverviewQueries,
)
from projections.projection import Delivered, apply_batch, reset
from projections.storage.read_models import SqliteReadModels
from tests.read_models import read_models_fixture
from tests.unit.test_network_overview_moves import a_correction, a_transfer, change
from tests.unit.test_projections import an_envelope, an_intake_recorded

database = read_models_fixture(NetworkOverviewProjection)


def a_status_change(number: int, city: str, status: str) -> CaseStatusChangedV1:
    return CaseStatusChangedV1(
        case_id=UUID(int=number), case_code=f"{city[:2].upper()}-2021-{number:05d}",
        city=city, decided_on=date(2021, 6, 1), protection_status=status,  # type: ignore[arg-type]
        permit_expires_on=None, priority_group="international_protection", eligibility=[],
    )


def delivered(events: list[EventContract], first: int = 1) -> list[Delivered]:
    return [Delivered(n, replace(an_envelope(event, n), type=event.ce_type()))
            for n, event in enumerate(events, start=first)]


def project(database: SqliteReadModels, batch: list[Delivered]) -> None:
    apply_batch(database, NetworkOverviewProjection(), batch)


def rows(database: SqliteReadModels) -> dict[str, list[tuple[object, ...]]]:
    """Every table of the model as stored, sorted."""
    with database.reading() as tx:
        return {
            "cities": sorted(tx.fetchall(
                "SELECT city, cases, vulnerable_cases FROM rm_network_cities")),
            "protection": sorted(tx.fetchall(
                "SELECT city, protection_status, cases FROM rm_network_protection")),
            "facts": sorted(tx.fetchall(
                "SELECT case_id, city, vulnerable, protection_status FROM rm_network_case_facts")),
        }


def city(database: SqliteReadModels, name: str) -> CityFigures:
    return next(c for c in NetworkOverviewQueries(database).overview().cities if c.city == name)


def case(number: int) -> str:
    return str(UUID(int=number))


def test_intakes_in_one_batch_are_added_up_per_city_and_status(database: SqliteReadModels) -> None:
    project(database, delivered([
        an_intake_recorded(1, "milano"),
        an_intake_recorded(2, "milano", vulnerabilities=["disability"]),
        an_intake_recorded(3, "milano", protection_status="asylum_seeker",
                           vulnerabilities=["elderly", "pregnancy"]),
        an_intake_recorded(4, "bari"),
    ]))

    assert rows(database) == {
        "cities": [("bari", 1, 0), ("milano", 3, 2)],
        "protection": [("bari", "refugee", 1), ("milano", "asylum_seeker", 1),
                       ("milano", "refugee", 2)],
        "facts": [(case(1), "milano", 0, "refugee"), (case(2), "milano", 1, "refugee"),
                  (case(3), "milano", 1, "asylum_seeker"), (case(4), "bari", 0, "refugee")],
    }
    milano = city(database, "milano")
    assert milano == CityFigures(city="milano", cases=3, vulnerable_cases=2,
                                 by_protection_status={"refugee": 2, "asylum_seeker": 1})


def test_intakes_across_batches_add_to_the_stored_counts(database: SqliteReadModels) -> None:
    events: list[EventContract] = [
        an_intake_recorded(1, "roma", vulnerabilities=["disability"]),
        an_intake_recorded(2, "roma", vulnerabilities=["elderly"]),
        an_intake_recorded(3, "roma"),
    ]
    batch = delivered(events)
    project(database, batch[:1])
    assert rows(database)["cities"] == [("roma", 1, 1)]
    project(database, batch[1:])

    assert rows(database)["cities"] == [("roma", 3, 2)]
    assert rows(database)["protection"] == [("roma", "refugee", 3)]
    assert city(database, "roma") == CityFigures("roma", 3, 2, {"refugee": 3})


def test_a_redelivered_batch_changes_nothing(database: SqliteReadModels) -> None:
    batch = delivered([an_intake_recorded(1, "torino", vulnerabilities=["disability"]),
                       an_intake_recorded(2, "torino"),
                       a_transfer(1, "torino", "genova")])
    project(database, batch)
    before = rows(database)

    project(database, batch)
    project(database, batch[1:])

    assert rows(database) == before
    assert before["cities"] == [("genova", 1, 1), ("torino", 1, 0)]


def test_the_same_intake_applied_twice_by_apply_all_keeps_the_first_facts(
    database: SqliteReadModels,
) -> None:
    """The facts table keeps the first row of a case (insert_new): what a move reads."""
    first = an_envelope(an_intake_recorded(1, "napoli", vulnerabilities=["disability"]), 1)
    again = an_envelope(an_intake_recorded(1, "bari", protection_status="asylum_seeker"), 2)
    with database.transaction() as tx:
        NetworkOverviewProjection().apply(tx, first)
        NetworkOverviewProjection().apply(tx, again)

    assert rows(database)["facts"] == [(case(1), "napoli", 1, "refugee")]


def test_a_transfer_moves_a_vulnerable_case_and_its_status(database: SqliteReadModels) -> None:
    project(database, delivered([
        an_intake_recorded(1, "milano", vulnerabilities=["disability"],
                           protection_status="subsidiary_protection"),
        an_intake_recorded(2, "milano", vulnerabilities=["elderly"]),
    ]))
    project(database, delivered([a_transfer(1, "milano", "firenze")], first=3))

    assert rows(database) == {
        "cities": [("firenze", 1, 1), ("milano", 1, 1)],
        "protection": [("firenze", "subsidiary_protection", 1),
                       ("milano", "refugee", 1), ("milano", "subsidiary_protection", 0)],
        "facts": [(case(1), "firenze", 1, "subsidiary_protection"),
                  (case(2), "milano", 1, "refugee")],
    }
    # The status the city's only such case left is not shown, though its row stays at zero.
    assert city(database, "milano").by_protection_status == {"refugee": 1}
    assert city(database, "firenze") == CityFigures(
        "firenze", 1, 1, {"subsidiary_protection": 1})


def test_intakes_before_and_after_a_move_in_one_batch_are_all_counted(
    database: SqliteReadModels,
) -> None:
    """The batch's intakes before the transfer are written first (the move reads them), and
    counting starts afresh after it."""
    project(database, delivered([
        an_intake_recorded(1, "palermo"),
        an_intake_recorded(2, "palermo", vulnerabilities=["disability"]),
        a_transfer(2, "palermo", "catania"),
        an_intake_recorded(3, "palermo"),
        an_intake_recorded(4, "catania", vulnerabilities=["elderly"]),
    ]))

    assert rows(database) == {
        "cities": [("catania", 2, 2), ("palermo", 2, 0)],
        "protection": [("catania", "refugee", 2), ("palermo", "refugee", 2)],
        "facts": [(case(1), "palermo", 0, "refugee"), (case(2), "catania", 1, "refugee"),
                  (case(3), "palermo", 0, "refugee"), (case(4), "catania", 1, "refugee")],
    }


def test_a_status_decision_moves_the_case_to_its_new_status(database: SqliteReadModels) -> None:
    project(database, delivered([
        an_intake_recorded(1, "bologna", protection_status="asylum_seeker",
                           vulnerabilities=["disability"]),
        an_intake_recorded(2, "bologna", protection_status="asylum_seeker"),
        a_status_change(1, "bologna", "refugee"),
    ]))

    assert rows(database) == {
        "cities": [("bologna", 2, 1)],
        "protection": [("bologna", "asylum_seeker", 1), ("bologna", "refugee", 1)],
        "facts": [(case(1), "bologna", 1, "refugee"), (case(2), "bologna", 0, "asylum_seeker")],
    }
    assert city(database, "bologna") == CityFigures(
        "bologna", 2, 1, {"asylum_seeker": 1, "refugee": 1})


def test_a_decision_to_the_status_held_changes_nothing(database: SqliteReadModels) -> None:
    project(database, delivered([an_intake_recorded(1, "bari"),
                                 a_status_change(1, "bari", "refugee")]))

    assert rows(database) == {
        "cities": [("bari", 1, 0)],
        "protection": [("bari", "refugee", 1)],
        "facts": [(case(1), "bari", 0, "refugee")],
    }


def test_a_correction_of_vulnerabilities_moves_only_the_vulnerable_count(
    database: SqliteReadModels,
) -> None:
    project(database, delivered([
        an_intake_recorded(1, "latina"),
        a_correction(1, "latina", change("vulnerabilities", [], ["pregnancy"], 1)),
    ]))
    assert rows(database)["cities"] == [("latina", 1, 1)]
    assert rows(database)["facts"] == [(case(1), "latina", 1, "refugee")]

    project(database, delivered([
        a_correction(1, "latina", change("vulnerabilities", ["pregnancy"], [], 1)),
    ], first=3))

    assert rows(database) == {
        "cities": [("latina", 1, 0)],
        "protection": [("latina", "refugee", 1)],
        "facts": [(case(1), "latina", 0, "refugee")],
    }


def test_a_correction_of_the_status_moves_the_status_count(database: SqliteReadModels) -> None:
    project(database, delivered([
        an_intake_recorded(1, "perugia", vulnerabilities=["elderly"]),
        a_correction(1, "perugia", change("protection_status", "refugee", "appellant", 1)),
    ]))

    assert rows(database) == {
        "cities": [("perugia", 1, 1)],
        "protection": [("perugia", "appellant", 1), ("perugia", "refugee", 0)],
        "facts": [(case(1), "perugia", 1, "appellant")],
    }


def test_a_move_of_a_case_never_seen_changes_nothing(database: SqliteReadModels) -> None:
    project(database, delivered([
        an_intake_recorded(1, "sassari"),
        a_transfer(7, "sassari", "taranto"),
        a_status_change(8, "sassari", "appellant"),
        a_correction(9, "sassari", change("vulnerabilities", [], ["disability"], 9)),
    ]))

    assert rows(database) == {
        "cities": [("sassari", 1, 0)],
        "protection": [("sassari", "refugee", 1)],
        "facts": [(case(1), "sassari", 0, "refugee")],
    }


def test_a_case_moved_twice_moves_from_where_the_first_move_put_it(
    database: SqliteReadModels,
) -> None:
    project(database, delivered([
        an_intake_recorded(1, "roma", vulnerabilities=["disability"]),
        a_transfer(1, "roma", "napoli"),
    ]))
    project(database, delivered([
        a_status_change(1, "napoli", "appellant"),
        a_transfer(1, "napoli", "trieste"),
    ], first=3))

    assert rows(database) == {
        "cities": [("napoli", 0, 0), ("roma", 0, 0), ("trieste", 1, 1)],
        "protection": [("napoli", "appellant", 0), ("napoli", "refugee", 0),
                       ("roma", "refugee", 0), ("trieste", "appellant", 1)],
        "facts": [(case(1), "trieste", 1, "appellant")],
    }
    assert city(database, "roma") == CityFigures("roma", 0, 0, {})


def test_every_founding_city_has_a_row_of_zeros_in_name_order(database: SqliteReadModels) -> None:
    overview = NetworkOverviewQueries(database).overview()

    assert overview == NetworkOverview(
        tuple(CityFigures(c, 0, 0, {}) for c in sorted(FOUNDING_CITIES)))
    assert overview.total_cases == 0
    assert overview.total_vulnerable_cases == 0
    assert overview.by_protection_status() == {}


def test_a_city_that_joins_later_appears_from_its_first_intake_in_order(
    database: SqliteReadModels,
) -> None:
    project(database, delivered([
        an_intake_recorded(1, "ancona", vulnerabilities=["disability"]),
        an_intake_recorded(2, "zzcity"),
        an_intake_recorded(3, "agrigento", protection_status="special_protection"),
    ]))

    overview = NetworkOverviewQueries(database).overview()
    names = [c.city for c in overview.cities]
    assert names == sorted([*FOUNDING_CITIES, "ancona", "zzcity"])
    assert names[0] == "agrigento" and names[1] == "ancona" and names[-1] == "zzcity"
    assert overview.cities[1] == CityFigures("ancona", 1, 1, {"refugee": 1})
    assert overview.cities[0] == CityFigures("agrigento", 1, 0, {"special_protection": 1})
    assert overview.cities[-1] == CityFigures("zzcity", 1, 0, {"refugee": 1})
    assert city(database, "bari") == CityFigures("bari", 0, 0, {})


def test_the_network_totals_add_up_every_city(database: SqliteReadModels) -> None:
    project(database, delivered([
        an_intake_recorded(1, "milano", vulnerabilities=["disability"]),
        an_intake_recorded(2, "milano", protection_status="asylum_seeker"),
        an_intake_recorded(3, "bari", vulnerabilities=["elderly"]),
        an_intake_recorded(4, "bari", protection_status="asylum_seeker"),
        an_intake_recorded(5, "firenze", protection_status="special_protection"),
    ]))

    overview = NetworkOverviewQueries(database).overview()
    assert overview.total_cases == 5
    assert overview.total_vulnerable_cases == 2
    assert overview.by_protection_status() == {
        "refugee": 2, "asylum_seeker": 2, "special_protection": 1}


def test_the_totals_of_figures_given_directly() -> None:
    overview = NetworkOverview((
        CityFigures("a", cases=3, vulnerable_cases=1, by_protection_status={"x": 2, "y": 1}),
        CityFigures("b", cases=4, vulnerable_cases=2, by_protection_status={"x": 4}),
    ))

    assert overview.total_cases == 7
    assert overview.total_vulnerable_cases == 3
    assert overview.by_protection_status() == {"x": 6, "y": 1}


def test_a_reset_empties_every_table(database: SqliteReadModels) -> None:
    project(database, delivered([an_intake_recorded(1, "genova"),
                                 a_transfer(1, "genova", "bolzano")]))

    reset(database, NetworkOverviewProjection())

    assert rows(database) == {"cities": [], "protection": [], "facts": []}
    assert NetworkOverviewQueries(database).overview().total_cases == 0
    project(database, delivered([an_intake_recorded(2, "genova")]))
    assert rows(database)["cities"] == [("genova", 1, 0)]
