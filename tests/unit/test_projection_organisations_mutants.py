"""The partner organisations read model (projections/organisations.py) on SQLite, as the mutation
pass of issue 20 holds it (docs/testing.md, "Projections pass, part 3: organisations and SQLite
storage"): each row field by field after registration and retirement, a registration delivered
again changing nothing, the city's list in name order (then id), with and without the retired
ones, other cities left out, and the names of a set of ids.

Rule encoded (docs/workflows/referrals.md, "Partner organisations"; /work/shared/design/DOMAIN.md
has no section of its own on them): a retired organisation stays on the list and on what named
it; the same association in two cities is registered by each."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from events.cloudevents import Actor, Envelope
from events.contracts import EventContract
from events.finance import BudgetAllocationSetV1
from events.organisations import OrganisationRegisteredV1, OrganisationRetiredV1
from projections.organisations import (
    OrganisationProjection,
    OrganisationQueries,
    OrganisationRow,
)
from projections.storage.read_models import SqliteReadModels
from tests.read_models import Feed, an_envelope, feed_fixture, read_models_fixture

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
STAFF = Actor(kind="user", id="firenze.coord", role="city_coordinator", city="firenze")
CARITAS, ARCI, ZETA = UUID(int=7), UUID(int=3), UUID(int=5)


def envelope_of(data: EventContract, position: int) -> Envelope:
    return an_envelope(data, position, time=T0, actor=STAFF)


def registered(organisation_id: UUID, name: str, city: str = "firenze", kind: str = "ngo",
               on: date = date(2024, 2, 29)) -> OrganisationRegisteredV1:
    return OrganisationRegisteredV1(organisation_id=organisation_id, city=city, name=name,
                                    kind=kind, registered_on=on)  # type: ignore[arg-type]


def retired(organisation_id: UUID, on: date, city: str = "firenze") -> OrganisationRetiredV1:
    return OrganisationRetiredV1(organisation_id=organisation_id, city=city,
                                 retired_on=on)


database = read_models_fixture(OrganisationProjection)


feed = feed_fixture(OrganisationProjection, envelope_of)


def stored(database: SqliteReadModels) -> list[tuple[object, ...]]:
    with database.reading() as tx:
        return tx.fetchall(
            "SELECT organisation_id, city, name, kind, registered_on, retired_on"
            " FROM rm_organisations ORDER BY organisation_id")


def test_a_registered_organisation_reads_back_field_by_field_not_retired(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(registered(CARITAS, "Caritas Firenze", kind="religious_body", on=date(2024, 2, 29)))

    row = OrganisationQueries(database).organisation(CARITAS)

    assert row == OrganisationRow(organisation_id=CARITAS, city="firenze", name="Caritas Firenze",
                                  kind="religious_body", registered_on=date(2024, 2, 29),
                                  retired_on=None)
    assert row.is_retired is False
    assert stored(database) == [(str(CARITAS), "firenze", "Caritas Firenze", "religious_body",
                                 "2024-02-29", None)]
    assert OrganisationQueries(database).organisation(ARCI) is None


def test_a_retired_organisation_keeps_its_row_with_the_retirement_day(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(registered(CARITAS, "Caritas Firenze"), registered(ARCI, "Arci"))
    feed(retired(CARITAS, date(2024, 12, 31)))

    queries = OrganisationQueries(database)
    row = queries.organisation(CARITAS)
    assert row == OrganisationRow(CARITAS, "firenze", "Caritas Firenze", "ngo",
                                  date(2024, 2, 29), date(2024, 12, 31))
    assert row.is_retired is True
    # Only the organisation named is retired.
    assert queries.organisation(ARCI) == OrganisationRow(ARCI, "firenze", "Arci", "ngo",
                                                         date(2024, 2, 29), None)
    assert stored(database) == [
        (str(ARCI), "firenze", "Arci", "ngo", "2024-02-29", None),
        (str(CARITAS), "firenze", "Caritas Firenze", "ngo", "2024-02-29", "2024-12-31"),
    ]


def test_a_registration_delivered_again_changes_nothing(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(registered(CARITAS, "Caritas Firenze", on=date(2024, 1, 2)))
    feed(registered(CARITAS, "Another name", kind="other", on=date(2024, 5, 6)))

    assert stored(database) == [(str(CARITAS), "firenze", "Caritas Firenze", "ngo",
                                 "2024-01-02", None)]


def test_apply_writes_one_event_and_other_events_are_ignored(database: SqliteReadModels) -> None:
    projection = OrganisationProjection()
    other = BudgetAllocationSetV1(budget_id=UUID(int=500), city="firenze", sub_action="4",
                                  amount="10.00", reason="Scheda progetto")
    with database.transaction() as tx:
        projection.apply(tx, envelope_of(registered(ZETA, "Zeta"), 1))
        projection.apply_all(tx, [envelope_of(other, 2)])

    assert [row[:3] for row in stored(database)] == [(str(ZETA), "firenze", "Zeta")]


def test_the_city_list_is_by_name_then_id_with_the_retired_ones_unless_left_out(
    database: SqliteReadModels, feed: Feed
) -> None:
    same_name = UUID(int=1)
    feed(registered(CARITAS, "Caritas"), registered(ARCI, "Zeta Aps"),
         registered(ZETA, "Caritas"), registered(same_name, "Caritas"),
         registered(UUID(int=9), "Arci Roma", city="roma"))
    feed(retired(ARCI, date(2024, 6, 1)), retired(ZETA, date(2024, 6, 2)))
    queries = OrganisationQueries(database)

    everything = queries.city_organisations("firenze")
    assert [(row.organisation_id, row.name, row.retired_on) for row in everything] == [
        (same_name, "Caritas", None), (ZETA, "Caritas", date(2024, 6, 2)),
        (CARITAS, "Caritas", None), (ARCI, "Zeta Aps", date(2024, 6, 1))]
    assert queries.city_organisations("firenze", include_retired=True) == everything
    current = queries.city_organisations("firenze", include_retired=False)
    assert [row.organisation_id for row in current] == [same_name, CARITAS]
    assert queries.city_organisations("roma") == [
        OrganisationRow(UUID(int=9), "roma", "Arci Roma", "ngo", date(2024, 2, 29), None)]
    assert queries.city_organisations("bari") == []


def test_the_names_of_the_ids_asked_for_that_the_model_knows(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(registered(CARITAS, "Caritas"), registered(ARCI, "Arci", city="roma"),
         registered(ZETA, "Zeta"))
    feed(retired(ZETA, date(2024, 6, 2)))
    queries = OrganisationQueries(database)

    assert queries.names([]) == {}
    assert queries.names([CARITAS]) == {CARITAS: "Caritas"}
    assert queries.names([ZETA, CARITAS, ARCI, CARITAS, UUID(int=99)]) == {
        CARITAS: "Caritas", ARCI: "Arci", ZETA: "Zeta"}
    assert queries.names(iter([UUID(int=99)])) == {}


def test_dropping_the_tables_removes_the_model_and_creating_them_again_empties_it(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(registered(CARITAS, "Caritas"))
    projection = OrganisationProjection()
    with database.transaction() as tx:
        projection.drop_tables(tx)
        assert tx.fetchall(
            "SELECT name FROM sqlite_master WHERE name LIKE 'rm_organisations%'") == []
        projection.create_tables(tx)
        projection.create_tables(tx)  # IF NOT EXISTS: a second call changes nothing
        assert sorted(tx.fetchall(
            "SELECT type, name FROM sqlite_master WHERE name LIKE 'rm_organisations%'"
        )) == [("index", "rm_organisations_city"), ("table", "rm_organisations")]

    assert stored(database) == []
    assert projection.name == "organisations"
