"""Issue 15, dashboards at 10x scale: the grant's claims and the network's budget and expenditure
claims are read once and kept until their read model changes (projections.kept), on SQLite and
on PostgreSQL. Every change a claim or an allocation can go through must be seen at once, and
a moment before the newest change is not answered from what is kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest

from domain.finance.claims import DisallowanceReason
from domain.finance.model import ClaimDraft, ExpenseCategory
from domain.finance.service import FinanceService
from domain.programme import City
from domain.record import ProgrammeRecord
from infra.pipeline.replay import replay_until
from infra.settings import Settings
from infra.store.eventstore import open_record
from projections.grant_finance import ADMITTED, REJECTED, SUBMITTED, GrantQueries
from projections.indicators import IndicatorQueries
from projections.projection import reset
from projections.registry import default_projections
from projections.storage.read_models import (
    PostgresReadModels,
    ReadModelDatabase,
    SqliteReadModels,
)
from tests.builders import a_coordinator
from tests.integration.test_grant_finance import (
    BARI,
    CHECKER,
    FIRENZE,
    SA3,
    SA4,
    SCENARIO_BUDGET,
    SERVICES,
    STAFF,
    T0,
    claimed,
    evidence,
    grants_over,
)

EVERYTHING = datetime.max.replace(tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadModelDatabase]:
    if request.param == "sqlite":
        opened: ReadModelDatabase = SqliteReadModels(tmp_path / "readmodels.sqlite")
    else:
        opened = PostgresReadModels(request.getfixturevalue("postgres_database"))
    # A PostgreSQL database lives for the whole run: start from empty read models.
    for projection in default_projections():
        reset(opened, projection)
    yield opened
    opened.close()


@pytest.fixture
def record(tmp_path: Path) -> Iterator[ProgrammeRecord]:
    opened = open_record(Settings(data_dir=tmp_path / "data"))
    yield opened
    opened.close()


class Projected:
    """The record's events projected into the database, the new ones each time it is called."""

    def __init__(self, record: ProgrammeRecord, database: ReadModelDatabase) -> None:
        self.record, self.database, self.after = record, database, 0

    def __call__(self) -> None:
        self.after = replay_until(self.record, EVERYTHING, self.database,  # type: ignore[arg-type]
                                  default_projections(), after=self.after)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def test_the_claims_kept_are_read_again_as_soon_as_a_claim_changes(
    record: ProgrammeRecord, database: ReadModelDatabase
) -> None:
    project, grants = Projected(record, database), grants_over(record)
    grants.adopt_budget(SCENARIO_BUDGET, "PROT/2020/0001", date(2020, 1, 10), CHECKER, at(0))
    first = claimed(grants, record, FIRENZE, evidence(City.FIRENZE, SA4, STAFF, "4000.15"), at(1))
    project()
    # Two readers of the same read models, as two web processes have.
    views, other = GrantQueries(database), GrantQueries(database)
    every = views.claims()
    assert [(claim.claim_id, claim.state) for claim in every] == [(first, SUBMITTED)]
    assert views.claims() is every, "nothing changed: the claims kept"
    # A city's own claims, read alone and kept apart.
    own = views.claims("firenze")
    assert own == every and views.claims("firenze") is own
    assert views.claims("bari") == () and other.claims("firenze") == own

    # The ministry's check changes a claim's state.
    grants.admit_claim(first, [], CHECKER, at(2))
    project()
    assert [(claim.state, claim.admitted_amount) for claim in views.claims()] == [
        (ADMITTED, Decimal("4000.15"))]
    assert [claim.state for claim in other.claims("firenze")] == [ADMITTED]
    # As of a moment before the check: not what is kept, the claim as it was then.
    assert [claim.state for claim in views.claims(as_of=at(1))] == [SUBMITTED]
    assert [claim.state for claim in views.claims("firenze", as_of=at(1))] == [SUBMITTED]
    # As of the check's own moment: what is kept (recorded by then, the bound included).
    assert views.claims(as_of=at(2)) is views.claims()

    # A new claim, then its rejection, then its corrected resubmission (which also links the
    # rejected claim to it).
    rejected = claimed(grants, record, BARI, evidence(City.BARI, SA3, SERVICES, "2500.00"), at(3))
    project()
    assert [claim.claim_id for claim in other.claims("bari")] == [rejected]
    assert [claim.state for claim in views.claims("bari")] == [SUBMITTED]
    # Rejected at the very moment it was submitted: the newest moment recorded is unchanged,
    # the newest position is not.
    grants.reject_claim(rejected, DisallowanceReason.NO_PROOF, CHECKER, at(3))
    project()
    assert [claim.state for claim in views.claims("bari")] == [REJECTED]
    assert [part.amount for part in views.claims("bari")[0].disallowed] == [Decimal("2500.00")]
    corrected = claimed(grants, record, BARI, evidence(City.BARI, SA3, SERVICES, "2500.00"),
                        at(5), corrects=rejected)
    project()
    for queries in (views, other):
        by_id = {claim.claim_id: claim for claim in queries.claims("bari")}
        assert set(by_id) == {rejected, corrected}
        assert by_id[rejected].corrected_by == corrected
        assert by_id[corrected].corrects == rejected
    assert {claim.claim_id for claim in views.claims()} == {first, rejected, corrected}


def test_the_budget_and_expenditure_kept_are_read_again_as_soon_as_they_change(
    record: ProgrammeRecord, database: ReadModelDatabase
) -> None:
    project, finance = Projected(record, database), FinanceService(record)
    finance.set_allocation(City.MILANO, SA3, Decimal("1000.00"), "Initial allocation", CHECKER,
                           at(0))
    project()
    queries = IndicatorQueries(database)

    def spent() -> tuple[Decimal, Decimal, Decimal]:
        total = queries.indicators(None).expenditure.total
        dashboard = queries.network_dashboard().network.expenditure.total
        assert dashboard == total
        return total.allocated, total.claimed, total.approved

    assert spent() == (Decimal("1000.00"), Decimal("0.00"), Decimal("0.00"))
    milano = a_coordinator(City.MILANO)
    claim_id = uuid4()
    finance.record_claim(claim_id, ClaimDraft(City.MILANO, SA3, ExpenseCategory.SERVICES,
                                              Decimal("250.00"), date(2020, 3, 1), "FT 1/2020"),
                         milano, at(1))
    project()
    assert spent() == (Decimal("1000.00"), Decimal("250.00"), Decimal("0.00"))
    finance.approve_claim(City.MILANO, claim_id, CHECKER, at(2))
    project()
    assert spent() == (Decimal("1000.00"), Decimal("250.00"), Decimal("250.00"))
    finance.set_allocation(City.MILANO, SA3, Decimal("1500.00"), "More people taken in",
                           CHECKER, at(3))
    project()
    assert spent() == (Decimal("1500.00"), Decimal("250.00"), Decimal("250.00"))
    # A new position alone (as any event's): the same figures as a reading afresh.
    queries.moved_on()
    assert queries.indicators(None) == IndicatorQueries(database).indicators(None)
    assert queries.network_dashboard() == IndicatorQueries(database).network_dashboard()
