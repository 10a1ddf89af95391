"""The deliveries read model (projections/deliveries.py) on SQLite, as the mutation pass of issue 20
holds it (docs/testing.md, "Projections pass, part 3"): each delivery's row field by field after
its recording and its voiding, the orders (the latest day first, then the latest change), a
case's deliveries up to a limit, the register's filters, totals, people and cash, the totals of
a city and of the network, redeliveries changing nothing, a reset emptying the model.

Rules encoded (/work/shared/design/DOMAIN.md, "The work the platform records": each step is an
event, and a voided one stays in the history; "Finance as an EU grant is run": the figures go to
the EU, so quantities are decimals, never floats): a voided delivery counts in no total, a
person served twice is one person, equal deliveries each count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from events.cloudevents import Actor
from events.contracts import EventContract
from events.deliveries import DeliveryRecordedV1, DeliveryVoidedV1
from projections.deliveries import (
    DeliveryProjection,
    DeliveryQueries,
    DeliveryRegister,
    DeliveryRow,
    DeliveryTotal,
    totals_in,
)
from projections.projection import reset
from projections.storage.read_models import SqliteReadModels
from tests.case_events import case, code
from tests.read_models import an_envelope, apply_in_one_batch, read_models_fixture

T0 = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)
STAFF = Actor(kind="user", id="firenze.op", role="city_operator", city="firenze")
D = Decimal


database = read_models_fixture(DeliveryProjection)


def delivery(number: int) -> UUID:
    return UUID(int=2000 + number)


def recorded(number: int, case_number: int = 1, kind: Any = "meals", unit: Any = "meals",
             quantity: str = "2", sub_action: Any = "2", day: int = 1, city: str = "firenze",
             ) -> DeliveryRecordedV1:
    return DeliveryRecordedV1(
        delivery_id=delivery(number), city=city, case_id=case(case_number),
        case_code=code(case_number, city), sub_action=sub_action, kind=kind, unit=unit,
        quantity=D(quantity), delivered_on=date(2021, 4, day))


def cash(number: int, case_number: int = 1, amount: str = "150.00", **more: Any
         ) -> DeliveryRecordedV1:
    return recorded(number, case_number, kind="cash_support", unit="eur", quantity=amount,
                    sub_action="4", **more)


def voided(number: int, case_number: int = 1, reason: Any = "duplicate") -> DeliveryVoidedV1:
    return DeliveryVoidedV1(delivery_id=delivery(number), city="firenze",
                            case_id=case(case_number), case_code=code(case_number),
                            reason=reason)


def project(database: SqliteReadModels, *events: EventContract, first: int = 1,
            when: datetime = T0) -> None:
    apply_in_one_batch(database, DeliveryProjection(), events, first=first, time=when,
                       actor=STAFF)


def stored_positions(database: SqliteReadModels) -> list[tuple[Any, ...]]:
    with database.reading() as tx:
        return tx.fetchall("SELECT delivery_id, position FROM rm_deliveries ORDER BY delivery_id")


def test_a_delivery_row_field_by_field_recorded_then_voided(database: SqliteReadModels) -> None:
    project(database, recorded(1, quantity="3.50", unit="hours", kind="legal_consultation",
                               sub_action="3", day=5), first=4)
    queries = DeliveryQueries(database)
    row = DeliveryRow(
        delivery_id=delivery(1), city="firenze", case_id=case(1), case_code="FI-2021-00001",
        sub_action="3", kind="legal_consultation", unit="hours", quantity=D("3.50"),
        delivered_on=date(2021, 4, 5), recorded_at=T0, recorded_by="firenze.op",
        voided_reason=None)
    assert queries.delivery(delivery(1)) == row
    assert not row.is_voided
    assert str(row.quantity) == "3.50"
    assert stored_positions(database) == [(str(delivery(1)), 4)]

    project(database, voided(1, reason="not_provided"), first=5, when=T0 + timedelta(days=1))
    after = queries.delivery(delivery(1))
    assert after == DeliveryRow(**{**row.__dict__, "voided_reason": "not_provided"})
    assert after is not None and after.is_voided
    assert stored_positions(database) == [(str(delivery(1)), 5)]
    assert queries.delivery(delivery(9)) is None

    # Re-delivered, or recorded again: nothing changes.
    project(database, recorded(1, quantity="9"), voided(1, reason="duplicate"), first=4)
    project(database, recorded(1, quantity="9"), first=6)
    assert queries.delivery(delivery(1)) == after


def test_a_cases_deliveries_the_latest_day_first_then_the_latest_change(
    database: SqliteReadModels,
) -> None:
    project(database, recorded(1, day=2), recorded(2, day=3), recorded(3, day=2),
            recorded(4, 2, day=9))
    queries = DeliveryQueries(database)
    assert [d.delivery_id for d in queries.of_case(case(1))] == [
        delivery(2), delivery(3), delivery(1)]
    assert [d.delivery_id for d in queries.of_case(case(1), limit=2)] == [
        delivery(2), delivery(3)]
    assert [d.delivery_id for d in queries.of_case(case(1), limit=0)] == [
        delivery(2), delivery(3), delivery(1)]  # 0: no limit
    # Voiding is the latest change of the first one of that day.
    project(database, voided(1), first=5)
    assert [d.delivery_id for d in queries.of_case(case(1))] == [
        delivery(2), delivery(1), delivery(3)]
    assert queries.of_case(case(7)) == []


def test_the_register_of_a_city_with_its_totals(database: SqliteReadModels) -> None:
    project(database,
            recorded(1, 1, quantity="2", day=1), recorded(2, 1, quantity="2", day=2),
            recorded(3, 2, quantity="1", day=3), recorded(4, 3, quantity="5", day=4),
            cash(5, 1, "150.00", day=5), cash(6, 2, "20.50", day=6),
            recorded(7, 2, kind="clothing", unit="items", quantity="4", sub_action="3", day=7),
            recorded(8, 9, quantity="7", city="milano", day=8))
    project(database, voided(4, 3), first=9)
    register = DeliveryQueries(database).register("firenze")
    assert [d.delivery_id for d in register.deliveries] == [
        delivery(n) for n in (7, 6, 5, 4, 3, 2, 1)]
    assert register.deliveries[3].voided_reason == "duplicate"
    assert register == DeliveryRegister(
        city="firenze", deliveries=register.deliveries,
        totals=(
            DeliveryTotal("firenze", "2", "meals", "meals", 3, 2, D("5")),
            DeliveryTotal("firenze", "3", "clothing", "items", 1, 1, D("4")),
            DeliveryTotal("firenze", "4", "cash_support", "eur", 2, 2, D("170.50")),
        ),
        people=2, cash=D("170.50"))
    assert str(register.cash) == "170.50"


def test_equal_cash_payments_to_one_person_each_count(database: SqliteReadModels) -> None:
    # Two payments of the same amount to the same person are grouped by the database (one row,
    # COUNT 2): the register's cash paid must count both, as its totals do.
    project(database, cash(1, 1, "150.00", day=1), cash(2, 1, "150.00", day=2),
            recorded(3, 1, quantity="2", day=3), recorded(4, 1, quantity="2", day=4))
    register = DeliveryQueries(database).register("firenze")
    assert register.totals == (
        DeliveryTotal("firenze", "2", "meals", "meals", 2, 1, D("4")),
        DeliveryTotal("firenze", "4", "cash_support", "eur", 2, 1, D("300.00")))
    assert register.cash == D("300.00")
    assert register.people == 1


def test_the_registers_filters(database: SqliteReadModels) -> None:
    project(database, recorded(1, 1, day=1), cash(2, 1, "10.00", day=2),
            recorded(3, 2, kind="clothing", unit="items", quantity="1", sub_action="3", day=3),
            recorded(4, 3, kind="clothing", unit="items", quantity="1", sub_action="2", day=4))
    queries = DeliveryQueries(database)
    by_sub_action = queries.register("firenze", sub_action="2")
    assert [d.delivery_id for d in by_sub_action.deliveries] == [delivery(4), delivery(1)]
    assert [t.kind for t in by_sub_action.totals] == ["clothing", "meals"]
    assert (by_sub_action.people, str(by_sub_action.cash)) == (2, "0.00")
    by_kind = queries.register("firenze", kind="clothing")
    assert [d.delivery_id for d in by_kind.deliveries] == [delivery(4), delivery(3)]
    assert [(t.sub_action, t.people) for t in by_kind.totals] == [("2", 1), ("3", 1)]
    both = queries.register("firenze", sub_action="3", kind="clothing")
    assert [d.delivery_id for d in both.deliveries] == [delivery(3)]
    assert both.people == 1
    assert queries.register("firenze", sub_action="4", kind="clothing").totals == ()
    limited = queries.register("firenze", limit=1)
    assert [d.delivery_id for d in limited.deliveries] == [delivery(4)]
    assert limited.people == 3 and len(limited.totals) == 4  # totals of all of them
    empty = queries.register("roma")
    assert empty == DeliveryRegister("roma", (), (), 0, D("0.00"))
    assert str(empty.cash) == "0.00"


def test_the_register_shows_at_most_500_deliveries(database: SqliteReadModels) -> None:
    project(database, *[recorded(n, quantity="1", day=1 + n % 28) for n in range(501)])
    register = DeliveryQueries(database).register("firenze")
    assert len(register.deliveries) == 500
    assert register.totals[0].deliveries == 501


def test_the_totals_of_a_city_and_of_the_network(database: SqliteReadModels) -> None:
    # Case 1 served in both cities (transferred): one person in each city, two in the network.
    project(database, recorded(1, 1, quantity="1.25"), recorded(2, 1, quantity="2",
                                                                 city="milano"),
            recorded(3, 2, quantity="1", city="milano"),
            recorded(4, 2, kind="clothing", unit="items", quantity="3", city="milano"),
            recorded(5, 4, kind="clothing", unit="items", quantity="1", city="bari"),
            recorded(6, 1, quantity="8"))
    project(database, voided(6), first=7)
    queries = DeliveryQueries(database)
    assert queries.totals("milano") == (
        DeliveryTotal("milano", "2", "clothing", "items", 1, 1, D("3")),
        DeliveryTotal("milano", "2", "meals", "meals", 2, 2, D("3")))
    every = (
        DeliveryTotal("bari", "2", "clothing", "items", 1, 1, D("1")),
        DeliveryTotal("firenze", "2", "meals", "meals", 1, 1, D("1.25")),
        DeliveryTotal("milano", "2", "clothing", "items", 1, 1, D("3")),
        DeliveryTotal("milano", "2", "meals", "meals", 2, 2, D("3")))
    assert queries.totals() == every
    milano = queries.totals("milano")
    with database.reading() as tx:
        assert totals_in(tx, "milano") == milano
        assert totals_in(tx, None) == (
            DeliveryTotal(None, "2", "clothing", "items", 2, 2, D("4")),
            DeliveryTotal(None, "2", "meals", "meals", 3, 3, D("4.25")))
        assert totals_in(tx, "roma") == ()


def test_a_reset_empties_the_model(database: SqliteReadModels) -> None:
    project(database, recorded(1))
    reset(database, DeliveryProjection())
    assert DeliveryQueries(database).delivery(delivery(1)) is None
    assert DeliveryQueries(database).totals() == ()


def test_one_event_applied_alone_is_applied(database: SqliteReadModels) -> None:
    with database.transaction() as tx:
        DeliveryProjection().apply(tx, an_envelope(recorded(1), 1, time=T0, actor=STAFF))
    with database.transaction() as tx:
        DeliveryProjection().apply(tx, an_envelope(voided(1), 2, time=T0, actor=STAFF))
    row = DeliveryQueries(database).delivery(delivery(1))
    assert row is not None and row.voided_reason == "duplicate"


def test_totals_by_kind_whatever_their_units(database: SqliteReadModels) -> None:
    # "clothing" before "health_accompaniment", though "hours" sorts before "items".
    project(database, recorded(1, kind="health_accompaniment", unit="hours", quantity="1.5"),
            recorded(2, kind="clothing", unit="items", quantity="2"))
    assert [t.kind for t in DeliveryQueries(database).totals("firenze")] == [
        "clothing", "health_accompaniment"]
