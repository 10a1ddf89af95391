"""The indicators as the pages read them (projections/indicators/__init__.py, IndicatorQueries)
on SQLite, as the mutation pass of issue 20 holds them (docs/testing.md, "Projections pass, part
3"): one city's and the network's indicators over the rows of the tallies' scenario
(tests/unit/test_indicators_tallies_mutants.py) plus a budget, the ministry's dashboard (every
founding city, a row each), the figures kept until the read models move past their position,
and the drill-down lists behind a figure.

Rules encoded (/work/shared/design/DOMAIN.md, "Who uses it"): the ministry sees "the whole
network at a glance, city by city, sub-action by sub-action, with drill-down": a row for each of
the 19 municipalities of "The programme", and behind each figure the list it counts; the budget
is the city's allocation per sub-action and its claims ("Expenditure")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from events.contracts import FOUNDING_CITIES
from projections.case_list import CaseListProjection
from projections.housing import PlacementRow
from projections.indicators import IndicatorQueries
from projections.indicators.figures import CityRow
from projections.referrals import ReferralRow
from projections.registry import default_projections
from projections.storage.read_models import SqliteReadModels, note_changes
from tests.read_models import read_models_with
from tests.unit.test_indicators_tallies_mutants import insert, uid, write_scenario

D = Decimal


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqliteReadModels]:
    with read_models_with(tmp_path, *default_projections()) as read_models:
        with read_models.transaction() as tx:
            write_scenario(tx)
            insert(tx, "rm_finance_allocations", city="milano", sub_action="4", allocated="1000.00")
            insert(tx, "rm_finance_allocations", city="napoli", sub_action="3", allocated="500.00")
            insert(tx, "rm_finance_claims", claim_id=uid("claim 1"), city="milano", sub_action="4",
                   category="services", amount="200.00", spent_on="2021-01-15",
                   document_reference="PG/1", status="approved",
                   recorded_at="2021-01-20T10:00:00+00:00", recorded_by="milano.coordinator")
        yield read_models


def test_one_city_indicators_with_its_budget(database: SqliteReadModels) -> None:
    indicators = IndicatorQueries(database).indicators("milano")

    assert (indicators.city, indicators.position) == ("milano", 17)
    # Milan's three cases, about two people (P1 twice, and m3).
    assert (indicators.cases.taken_in, indicators.cases.people) == (3, 2)
    assert indicators.referrals.requested == 4
    assert (indicators.housing.beds, indicators.housing.housed_now) == (5, 1)
    assert indicators.expenditure.total.allocated == D("1000.00")
    assert indicators.expenditure.total.approved == D("200.00")
    # From 2019-07 to 2021-01 (19 months), the approved claim of January 2021 in the last.
    assert len(indicators.expenditure.claimed_per_month) == 19
    assert indicators.expenditure.claimed_per_month[-1] == (date(2021, 1, 1), D("200.00"))
    assert indicators.expenditure.claimed_per_month[-2] == (date(2020, 12, 1), D("0.00"))


def test_one_city_people_are_that_city_s_not_the_network_s(database: SqliteReadModels) -> None:
    naples = IndicatorQueries(database).indicators("napoli")

    # Naples' one case, about P1: one person (the network's two are P1 and m3).
    assert (naples.cases.taken_in, naples.cases.people) == (1, 1)
    assert naples.expenditure.total.allocated == D("500.00")


def test_the_network_indicators_with_the_network_budget(database: SqliteReadModels) -> None:
    indicators = IndicatorQueries(database).indicators(None)

    assert (indicators.city, indicators.position) == (None, 17)
    # Four cases; P1 taken in by both cities is one person of the network, with m3: two.
    assert (indicators.cases.taken_in, indicators.cases.people) == (4, 2)
    assert indicators.referrals.requested == 5
    assert indicators.housing.beds == 6
    assert indicators.expenditure.total.allocated == D("1500.00")
    assert [line.allocated for line in indicators.expenditure.lines] == [
        D("0.00"), D("0.00"), D("500.00"), D("1000.00"), D("0.00"), D("0.00")]


def test_the_dashboard_has_a_row_for_every_founding_city(database: SqliteReadModels) -> None:
    dashboard = IndicatorQueries(database).network_dashboard()

    assert dashboard.position == 17
    assert [row.city for row in dashboard.cities] == sorted(FOUNDING_CITIES)
    rows = {row.city: row for row in dashboard.cities}
    assert rows["milano"] == CityRow(
        city="milano", taken_in=3, open=2, vulnerable=2, referrals=4,
        # 600, 7200, 90000 s: the median 7200 s = 2.0 h.
        median_response_hours=D("2.0"),
        # One housed of five open beds.
        housed_now=1, beds=5, occupancy_rate=D("0.20"),
        activities=3, participants=3, hours=D("6.25"),
        allocated=D("1000.00"), claimed=D("200.00"), approved=D("200.00"))
    assert (rows["napoli"].taken_in, rows["napoli"].open, rows["napoli"].allocated) == (
        1, 0, D("500.00"))
    assert rows["bari"] == CityRow("bari", 0, 0, 0, 0, None, 0, 0, None, 0, 0, D("0.00"),
                                   D("0.00"), D("0.00"), D("0.00"))
    assert (dashboard.network.city, dashboard.network.position) == (None, 17)
    assert (dashboard.network.cases.taken_in, dashboard.network.cases.people) == (4, 2)
    assert dashboard.network.expenditure.total.allocated == D("1500.00")
    assert dashboard.network.housing.beds == 6


def test_figures_are_kept_until_the_read_models_move_on(database: SqliteReadModels) -> None:
    queries = IndicatorQueries(database)
    assert queries.position() == 17
    milano = queries.indicators("milano")
    network = queries.indicators(None)
    dashboard = queries.network_dashboard()

    # Read again at the same position: the same objects, each city's kept beside the others'.
    assert queries.indicators("napoli").city == "napoli"
    assert queries.indicators("milano") is milano
    assert queries.indicators(None) is network
    assert queries.network_dashboard() is dashboard

    with database.transaction() as tx:
        insert(tx, "rm_cases", case_id=uid("m4"), city="milano", status="open",
               intake_date="2021-03-01", vulnerabilities="")
        tx.execute("UPDATE rm_tracking SET position = 40")
        note_changes(tx, {CaseListProjection.name: 40})  # as apply_batch_to_all notes it
    assert queries.position() == 40

    # Past the position: read again, with the new case.
    again = queries.indicators("milano")
    assert again is not milano
    assert (again.position, again.cases.taken_in) == (40, 4)
    assert queries.indicators("milano") is again
    moved = queries.network_dashboard()
    assert moved is not dashboard
    assert (moved.position, moved.network.cases.taken_in) == (40, 5)
    assert queries.network_dashboard() is moved

    # A position further on whose event left the case list as it was (rm_changes says so): the
    # cases as kept, though a row was written behind the projections' back; once the case
    # list has changed, read again.
    with database.transaction() as tx:
        insert(tx, "rm_cases", case_id=uid("m5"), city="milano", status="open",
               intake_date="2021-03-02", vulnerabilities="")
        tx.execute("UPDATE rm_tracking SET position = 41")
    assert queries.indicators("milano").cases.taken_in == 4
    assert queries.network_dashboard().network.cases.taken_in == 5
    with database.transaction() as tx:
        note_changes(tx, {CaseListProjection.name: 41})
        tx.execute("UPDATE rm_tracking SET position = 42")
    assert queries.indicators("milano").cases.taken_in == 5
    assert queries.network_dashboard().network.cases.taken_in == 6


def test_the_benches_say_which_read_models_an_event_changed(database: SqliteReadModels) -> None:
    queries = IndicatorQueries(database)
    queries.moved_on("deliveries")  # nothing read yet: nothing to forget
    milano = queries.indicators("milano")
    with database.transaction() as tx:
        insert(tx, "rm_cases", case_id=uid("m4"), city="milano", status="open",
               intake_date="2021-03-01", vulnerabilities="")
    queries.moved_on("deliveries", "finance")  # the tallies read nothing of the finance
    assert queries.indicators("milano") == milano  # the cases as kept
    queries.moved_on("deliveries", CaseListProjection.name)
    assert queries.indicators("milano").cases.taken_in == milano.cases.taken_in + 1


def test_the_referrals_behind_a_figure(database: SqliteReadModels) -> None:
    queries = IndicatorQueries(database)

    def ids(rows: list[ReferralRow]) -> list[str]:
        return [str(row.referral_id) for row in rows]

    r1, r2, r3, r4 = (uid(f"r{n}") for n in range(1, 5))
    # The latest request first: r2 (01-09), r1 (01-08), r3 (01-07), r4 (01-06).
    assert ids(queries.referrals("milano")) == [r2, r1, r3, r4]
    assert ids(queries.referrals("milano", destination="partner")) == [r3]
    assert ids(queries.referrals("milano", destination="transfer")) == [r4]
    assert ids(queries.referrals("milano", destination="health")) == [r2, r1]
    assert ids(queries.referrals("milano", destination="legal_aid")) == []
    assert ids(queries.referrals("milano", status="declined")) == [r4]
    assert ids(queries.referrals("milano", destination="health", status="accepted")) == [r2, r1]
    assert ids(queries.referrals("milano", destination="health", status="requested")) == []
    assert ids(queries.referrals("milano", destination="partner", status="accepted")) == []
    assert ids(queries.referrals("milano", destination="transfer", status="declined")) == [r4]
    assert ids(queries.referrals("napoli", destination="legal_aid")) == [uid("r5")]


def test_the_placements_behind_a_figure(database: SqliteReadModels) -> None:
    queries = IndicatorQueries(database)

    def cases(rows: list[PlacementRow]) -> list[str]:
        return [str(row.case_id) for row in rows]

    # The latest offer first: m2's (01-07), m1's (01-06).
    assert cases(queries.placements("milano")) == [uid("m2"), uid("m1")]
    assert cases(queries.placements("milano", outcome="autonomous_housing")) == [uid("m2")]
    assert cases(queries.placements("milano", outcome="left")) == []
    assert cases(queries.placements("milano", moved_in=True)) == [uid("m2"), uid("m1")]
    assert cases(queries.placements("milano", moved_in=False)) == []
    assert cases(queries.placements("napoli", moved_in=False)) == [uid("n1")]
