"""The finance read model (projections/finance.py) on SQLite, as the mutation pass of issue 20
holds it (docs/testing.md, "Projections pass"): each claim row field by field after its events,
a redelivered claim changing nothing, the budget lines' sums (claimed = pending + approved,
remaining = allocated - claimed), the orders (sub-actions, claims latest first, the ministry's
queue oldest first) and the ministry's work items at the end of a quarter's reporting grace, at
the limit and one microsecond before it.

Rule encoded (/work/shared/design/DOMAIN.md, "Expenditure"): costs claimed by a city against its
allocation per sub-action, checked by the ministry: a rejected claim no longer uses the
allocation; a pending one does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from events.cloudevents import Actor, Envelope
from events.contracts import FOUNDING_CITIES, EventContract
from events.finance import (
    BudgetAllocationSetV1,
    BudgetClaimApprovedV1,
    BudgetClaimRecordedV1,
    BudgetClaimRejectedV1,
)
from projections.finance import (
    CLAIM_AWAITING_DECISION,
    REPORTING_LATE,
    BudgetLine,
    ClaimRow,
    FinanceProjection,
    FinanceQueries,
    _end_of_quarter,
    _quarter_of,
)
from projections.storage.read_models import SqliteReadModels
from tests.read_models import Feed, an_envelope, feed_fixture, read_models_fixture

BUDGET = UUID(int=500)
T0 = datetime(2021, 4, 1, 8, 0, tzinfo=UTC)
CITY_STAFF = Actor(kind="user", id="firenze.coord", role="city_coordinator", city="firenze")
MINISTRY = Actor(kind="user", id="ministry.officer", role="ministry", city=None)
ITALY = ZoneInfo("Europe/Rome")


def envelope_of(data: EventContract, position: int, time: datetime = T0,
                actor: Actor = CITY_STAFF) -> Envelope:
    """A published event as the projector receives it, at store position `position`."""
    return an_envelope(data, position, time=time, actor=actor)


def allocation(city: str, sub_action: str, amount: str) -> BudgetAllocationSetV1:
    return BudgetAllocationSetV1(budget_id=BUDGET, city=city, sub_action=sub_action,  # type: ignore[arg-type]
                                 amount=amount, reason="Scheda progetto")


def claim(number: int, city: str = "firenze", sub_action: str = "4", amount: str = "100.00",
          **overrides: Any) -> BudgetClaimRecordedV1:
    fields: dict[str, Any] = {
        "budget_id": BUDGET, "claim_id": UUID(int=number), "city": city,
        "sub_action": sub_action, "category": "housing_costs", "amount": amount,
        "spent_on": date(2021, 3, 1), "document_reference": f"PG/2021/{number:04d}",
    }
    fields.update(overrides)
    return BudgetClaimRecordedV1(**fields)


def approval(recorded: BudgetClaimRecordedV1) -> BudgetClaimApprovedV1:
    return BudgetClaimApprovedV1(budget_id=BUDGET, claim_id=recorded.claim_id,
                                 city=recorded.city, sub_action=recorded.sub_action,
                                 amount=recorded.amount)


def rejection(recorded: BudgetClaimRecordedV1, reason: str = "Doppione") -> BudgetClaimRejectedV1:
    return BudgetClaimRejectedV1(budget_id=BUDGET, claim_id=recorded.claim_id,
                                 city=recorded.city, sub_action=recorded.sub_action,
                                 amount=recorded.amount, reason=reason)


database = read_models_fixture(FinanceProjection)


feed = feed_fixture(FinanceProjection, envelope_of)


def test_a_recorded_claim_reads_back_field_by_field_as_pending(
    database: SqliteReadModels, feed: Feed
) -> None:
    recorded = claim(1, amount="1234.56", category="travel", spent_on=date(2021, 2, 28))
    feed(envelope_of(recorded, 1, time=T0, actor=CITY_STAFF))

    row = FinanceQueries(database).claim(recorded.claim_id)

    assert row == ClaimRow(
        claim_id=UUID(int=1), city="firenze", sub_action="4", category="travel",
        amount=Decimal("1234.56"), spent_on=date(2021, 2, 28), document_reference="PG/2021/0001",
        status="pending", recorded_at=T0, recorded_by="firenze.coord", decided_at=None,
        decided_by=None, rejection_reason=None)
    assert row.is_pending
    assert FinanceQueries(database).claim(UUID(int=2)) is None
    with database.reading() as tx:
        assert tx.fetchall("SELECT last_position FROM rm_finance_claims") == [(1,)]


def test_approval_and_rejection_record_who_decided_when_and_why(
    database: SqliteReadModels, feed: Feed
) -> None:
    approved, rejected = claim(1), claim(2)
    decided = T0 + timedelta(days=3)
    feed(approved, rejected)
    feed(envelope_of(approval(approved), 7, time=decided, actor=MINISTRY),
         envelope_of(rejection(rejected, "Documento illeggibile"), 8, time=decided,
                     actor=MINISTRY))
    queries = FinanceQueries(database)

    first, second = queries.claim(approved.claim_id), queries.claim(rejected.claim_id)

    assert first is not None and second is not None
    assert (first.status, first.decided_at, first.decided_by, first.rejection_reason) == (
        "approved", decided, "ministry.officer", None)
    assert not first.is_pending
    assert (second.status, second.decided_at, second.decided_by, second.rejection_reason) == (
        "rejected", decided, "ministry.officer", "Documento illeggibile")
    # Recording fields are kept by a decision.
    assert (second.recorded_at, second.recorded_by, second.amount) == (
        T0, "firenze.coord", Decimal("100.00"))
    with database.reading() as tx:
        assert tx.fetchall(
            "SELECT claim_id, last_position FROM rm_finance_claims ORDER BY claim_id") == [
            (str(UUID(int=1)), 7), (str(UUID(int=2)), 8)]


def test_a_claim_recorded_again_leaves_its_decision_and_figures_as_they_were(
    database: SqliteReadModels, feed: Feed
) -> None:
    recorded = claim(1, amount="50.00")
    feed(recorded, approval(recorded))
    # The same claim id arriving again (another event at a later position) changes nothing.
    feed(claim(1, amount="999.00"))

    row = FinanceQueries(database).claim(recorded.claim_id)

    assert row is not None
    assert (row.status, row.amount) == ("approved", Decimal("50.00"))


def test_the_latest_allocation_of_a_sub_action_replaces_the_earlier_one(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(allocation("firenze", "4", "1000.00"), allocation("firenze", "2", "30.00"))
    feed(allocation("firenze", "4", "750.50"))

    city = FinanceQueries(database).city("firenze")

    assert city.lines == (
        BudgetLine("2", Decimal("30.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"),
                   Decimal("0.00")),
        BudgetLine("4", Decimal("750.50"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"),
                   Decimal("0.00")),
    )
    with database.reading() as tx:
        assert tx.fetchall("SELECT sub_action, allocated, last_position FROM"
                           " rm_finance_allocations ORDER BY sub_action") == [
            ("2", "30.00", 2), ("4", "750.50", 3)]


def test_budget_lines_split_claims_by_status_and_remaining_is_allocated_less_claimed(
    database: SqliteReadModels, feed: Feed
) -> None:
    """DOMAIN.md, "Expenditure": pending and approved claims use the allocation, rejected do not."""
    pending, approved, rejected = claim(1, amount="10.00"), claim(2, amount="20.00"), claim(
        3, amount="40.00")
    other_line = claim(4, sub_action="2", amount="5.00")
    other_city = claim(5, city="milano", amount="80.00")
    feed(allocation("firenze", "4", "100.00"), pending, approved, rejected, other_line,
         other_city, approval(approved), rejection(rejected))

    city = FinanceQueries(database).city("firenze")

    housing = city.line("4")
    assert housing == BudgetLine("4", allocated=Decimal("100.00"), claimed=Decimal("30.00"),
                                 approved=Decimal("20.00"), pending=Decimal("10.00"),
                                 rejected=Decimal("40.00"))
    assert housing.remaining == Decimal("70.00")
    # A sub-action with a claim and no allocation has a line, with nothing allocated.
    assert city.line("2") == BudgetLine("2", Decimal("0.00"), Decimal("5.00"), Decimal("0.00"),
                                        Decimal("5.00"), Decimal("0.00"))
    assert city.line("2").remaining == Decimal("-5.00")
    assert [line.sub_action for line in city.lines] == ["2", "4"]
    # A sub-action with neither reads as zeros under its own name.
    assert city.line("6") == BudgetLine("6", *(Decimal("0.00"),) * 5)
    assert city.total == BudgetLine(None, Decimal("100.00"), Decimal("35.00"), Decimal("20.00"),
                                    Decimal("15.00"), Decimal("40.00"))
    assert city.total.remaining == Decimal("65.00")


def test_an_empty_city_totals_zero_in_two_decimals(database: SqliteReadModels) -> None:
    city = FinanceQueries(database).city("bari")

    assert (city.lines, city.claims) == ((), ())
    total = city.total
    assert total == BudgetLine(None, *(Decimal("0.00"),) * 5)
    assert [str(value) for value in (total.allocated, total.claimed, total.approved,
                                     total.pending, total.rejected)] == ["0.00"] * 5


def test_a_citys_claims_are_listed_latest_first_then_by_claim_id(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(envelope_of(claim(3), 1, time=T0), envelope_of(claim(2), 2, time=T0),
         envelope_of(claim(1), 3, time=T0 + timedelta(hours=1)),
         envelope_of(claim(4, city="milano"), 4, time=T0 + timedelta(hours=2)))

    claims = FinanceQueries(database).city("firenze").claims

    assert [row.claim_id for row in claims] == [UUID(int=1), UUID(int=2), UUID(int=3)]
    assert {row.city for row in claims} == {"firenze"}


def test_the_network_lists_every_city_sums_them_and_queues_pending_claims_oldest_first(
    database: SqliteReadModels, feed: Feed
) -> None:
    decided = claim(4, city="bari", amount="1.00")
    feed(allocation("firenze", "4", "100.00"), allocation("milano", "4", "200.00"),
         allocation("milano", "1", "7.00"),
         envelope_of(claim(1, city="milano", amount="30.00"), 4, time=T0 + timedelta(hours=2)),
         envelope_of(claim(2, amount="10.00"), 5, time=T0 + timedelta(hours=1)),
         envelope_of(claim(3, city="bari", sub_action="1", amount="3.00"), 6, time=T0),
         envelope_of(decided, 7, time=T0 - timedelta(hours=1)), approval(decided))

    network = FinanceQueries(database).network()

    assert [city.city for city in network.cities] == sorted(FOUNDING_CITIES)
    milano = next(city for city in network.cities if city.city == "milano")
    assert [line.sub_action for line in milano.lines] == ["1", "4"]
    assert [row.claim_id for row in milano.claims] == [UUID(int=1)]
    assert network.by_sub_action() == (
        BudgetLine("1", Decimal("7.00"), Decimal("3.00"), Decimal("0.00"), Decimal("3.00"),
                   Decimal("0.00")),
        *(BudgetLine(s, *(Decimal("0.00"),) * 5) for s in ("2", "3")),
        BudgetLine("4", Decimal("300.00"), Decimal("41.00"), Decimal("1.00"), Decimal("40.00"),
                   Decimal("0.00")),
        *(BudgetLine(s, *(Decimal("0.00"),) * 5) for s in ("5", "6")),
    )
    assert network.total == BudgetLine(None, Decimal("307.00"), Decimal("44.00"),
                                       Decimal("1.00"), Decimal("43.00"), Decimal("0.00"))
    assert [row.claim_id for row in network.pending_claims()] == [
        UUID(int=3), UUID(int=2), UUID(int=1)]


def test_pending_claims_are_the_ministrys_work_items_in_the_order_recorded(
    database: SqliteReadModels, feed: Feed
) -> None:
    later, earlier, decided = claim(1), claim(2), claim(3)
    feed(envelope_of(later, 1, time=T0 + timedelta(hours=1)),
         envelope_of(earlier, 2, time=T0),
         envelope_of(decided, 3, time=T0), approval(decided),
         envelope_of(claim(4, city="milano"), 5, time=T0))

    items = FinanceQueries(database).work_items("firenze", until=T0)

    assert [(i.kind, i.city, i.due, i.case_id, i.case_code, i.subject_id) for i in items] == [
        (CLAIM_AWAITING_DECISION, "firenze", T0, None, None, UUID(int=2)),
        (CLAIM_AWAITING_DECISION, "firenze", T0 + timedelta(hours=1), None, None, UUID(int=1)),
    ]


END_OF_Q1_2021 = datetime(2021, 3, 31, 23, 59, 59, 999999, tzinfo=ITALY)


@pytest.mark.parametrize(("day", "quarter"), [
    (date(2021, 1, 1), (2021, 1)), (date(2021, 3, 31), (2021, 1)), (date(2021, 4, 1), (2021, 2)),
    (date(2021, 9, 30), (2021, 3)), (date(2021, 10, 1), (2021, 4)),
    (date(2021, 12, 31), (2021, 4)),
])
def test_a_day_falls_in_its_quarter(day: date, quarter: tuple[int, int]) -> None:
    assert _quarter_of(day) == quarter


def test_a_quarter_ends_at_its_last_microsecond_in_italy() -> None:
    assert _end_of_quarter((2021, 1)) == END_OF_Q1_2021
    assert _end_of_quarter((2021, 2)) == datetime(2021, 6, 30, 23, 59, 59, 999999, tzinfo=ITALY)
    assert _end_of_quarter((2021, 3)) == datetime(2021, 9, 30, 23, 59, 59, 999999, tzinfo=ITALY)
    assert _end_of_quarter((2021, 4)) == datetime(2021, 12, 31, 23, 59, 59, 999999,
                                                  tzinfo=ITALY)
    assert _end_of_quarter((2021, 4)).utcoffset() == timedelta(hours=1)


def late_items(database: SqliteReadModels, city: str, until: datetime) -> list[tuple[Any, ...]]:
    return [(i.kind, i.city, i.due, i.case_id, i.case_code, i.subject_id)
            for i in FinanceQueries(database).work_items(city, until)
            if i.kind == REPORTING_LATE]


def test_a_city_with_an_allocation_is_late_thirty_days_after_a_quarter_it_did_not_report(
    database: SqliteReadModels, feed: Feed
) -> None:
    """DOMAIN.md, "Expenditure": the ministry checks each city's claims per quarter."""
    feed(allocation("firenze", "4", "100.00"),
         claim(1, city="milano", spent_on=date(2021, 3, 31)), )
    due = END_OF_Q1_2021 + timedelta(days=30)

    assert late_items(database, "firenze", due - timedelta(microseconds=1)) == []
    assert late_items(database, "firenze", due) == [
        (REPORTING_LATE, "firenze", due, None, None, None)]
    # Milano reported that quarter; Bari has no allocation.
    assert late_items(database, "milano", due + timedelta(days=400)) == []
    assert late_items(database, "bari", due + timedelta(days=400)) == []


def test_only_the_latest_late_quarter_is_an_item_and_a_reported_quarter_is_not_late(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(allocation("firenze", "4", "100.00"),
         claim(1, city="milano", spent_on=date(2021, 1, 10)),
         claim(2, city="milano", spent_on=date(2021, 5, 10)),
         claim(3, city="milano", spent_on=date(2021, 8, 10)),
         claim(4, city="firenze", spent_on=date(2021, 8, 11)))
    q1_due = END_OF_Q1_2021 + timedelta(days=30)
    q2_due = datetime(2021, 6, 30, 23, 59, 59, 999999, tzinfo=ITALY) + timedelta(days=30)

    assert late_items(database, "firenze", q1_due) == [
        (REPORTING_LATE, "firenze", q1_due, None, None, None)]
    # Q3 was reported by Firenze: the latest late quarter is Q2.
    assert late_items(database, "firenze", q2_due + timedelta(days=200)) == [
        (REPORTING_LATE, "firenze", q2_due, None, None, None)]


def test_no_claim_anywhere_means_nobody_is_late(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(allocation("firenze", "4", "100.00"))

    assert FinanceQueries(database).work_items("firenze", T0 + timedelta(days=4000)) == []


def test_a_reset_empties_every_finance_table_the_grants_included(
    database: SqliteReadModels, feed: Feed
) -> None:
    from projections.grant_finance import GRANT_TABLES
    from projections.projection import reset
    from tests.unit.test_projection_grant_finance_mutants import drafted, payment

    feed(allocation("firenze", "4", "100.00"), claim(1), drafted(2), payment("1.00"))
    # The tracking row carries the projection's name: a rename would be a rebuild.
    assert FinanceProjection.name == "finance"

    reset(database, FinanceProjection())

    with database.reading() as tx:
        for table in ("rm_finance_allocations", "rm_finance_claims", *GRANT_TABLES):
            assert tx.fetchall(f"SELECT * FROM {table}") == [], table
        assert tx.fetchall("SELECT * FROM rm_tracking") == []


def test_a_line_with_only_an_allocation_shows_its_claims_as_zero_in_two_decimals(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(allocation("firenze", "4", "100.00"))

    city = FinanceQueries(database).city("firenze")

    assert city.city == "firenze"
    (line,) = city.lines
    # What the pages print: "0.00", never "0".
    assert [str(value) for value in (line.claimed, line.approved, line.pending,
                                     line.rejected)] == ["0.00"] * 4


def test_the_documents_pages_find_a_citys_claim_of_the_allocation_model(
    database: SqliteReadModels, feed: Feed
) -> None:
    recorded = claim(1)
    feed(envelope_of(recorded, 1))

    found = FinanceQueries(database).claim_for_documents(recorded.claim_id)

    assert found is not None
    assert (found.claim_id, found.city, found.document_reference) == (
        UUID(int=1), "firenze", "PG/2021/0001")
