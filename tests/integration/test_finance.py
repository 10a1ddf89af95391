"""Budget and expenditure through the application service and the real event store: every new
event reaches a real NATS server as a valid CloudEvent of its published schema, internal
bookkeeping never does, each refusal leaves the notification log as it was, and two claims
racing for the same allocation cannot both be saved."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import jsonschema
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.formats.json import JSONFormat
from eventsourcing.persistence import IntegrityError

from domain.finance.model import (
    FLORENCE_SHARE,
    PROGRAMME_FINANCED,
    AllocationBelowClaimed,
    ClaimDraft,
    ClaimNotPending,
    ExpenseCategory,
    FinanceError,
    InvalidAmount,
    NoAllocation,
    OutsideEligibility,
    OverAllocation,
    ProgrammeOverFinanced,
    city_budget_id,
)
from domain.finance.service import FinanceService
from domain.programme import FOUNDING_CITIES, Actor, ActorKind, City, Role, SubAction
from domain.record import ProgrammeRecord
from events.catalogue import json_schemas
from infra.demo.finance import DEMO_ALLOCATIONS_FILE
from infra.finance_allocations import AllocationFileError, load_allocations, read_allocations
from infra.nats.server import EmbeddedNats
from infra.publishing.messages import PUBLIC_TOPICS, to_message
from infra.settings import Settings
from infra.store.eventstore import open_record
from projections.finance import FinanceProjection, FinanceQueries
from projections.projection import Delivered, apply_batch, reset
from projections.storage.read_models import PostgresReadModels, SqliteReadModels
from tests.builders import NOW, a_coordinator
from tests.conftest import data_of, headers_of, relayed

MINISTRY = Actor(ActorKind.USER, "ministry", Role.MINISTRY)
HOUSING = SubAction.FAST_TRACK_HOUSING


@pytest.fixture
def record(tmp_path: Path) -> Iterator[ProgrammeRecord]:
    opened = open_record(Settings(data_dir=tmp_path))
    yield opened
    opened.close()


def a_draft(city: City = City.FIRENZE, amount: str = "1000.00", **overrides: object) -> ClaimDraft:
    values: dict[str, object] = {
        "city": city, "sub_action": HOUSING, "category": ExpenseCategory.HOUSING_COSTS,
        "amount": Decimal(amount), "spent_on": date(2021, 3, 1),
        "document_reference": "PG/2021/0042",
    }
    values.update(overrides)
    return ClaimDraft(**values)  # type: ignore[arg-type]


@pytest.mark.nats
async def test_every_budget_event_reaches_nats_as_a_valid_cloudevent(
    record: ProgrammeRecord, nats_server: EmbeddedNats
) -> None:
    finance = FinanceService(record)
    finance.set_allocation(City.FIRENZE, HOUSING, Decimal("346000.00"), "Scheda progetto",
                           MINISTRY, NOW)
    approved, rejected = uuid4(), uuid4()
    finance.record_claim(approved, a_draft(amount="1234.50"), a_coordinator(), NOW)
    finance.record_claim(rejected, a_draft(amount="0.10"), a_coordinator(), NOW)
    finance.approve_claim(City.FIRENZE, approved, MINISTRY, NOW)
    finance.reject_claim(City.FIRENZE, rejected, "Documento illeggibile", MINISTRY, NOW)
    messages = await relayed(record, nats_server.url)

    # The programme budget's bookkeeping and the budgets' openings are internal.
    assert [m.subject for m in messages] == [
        "lgnet.firenze.budget.allocation_set",
        "lgnet.firenze.budget.claim_recorded",
        "lgnet.firenze.budget.claim_recorded",
        "lgnet.firenze.budget.claim_approved",
        "lgnet.firenze.budget.claim_rejected",
    ]
    schemas = json_schemas()
    events = [from_http(HTTPMessage(headers=headers_of(m), body=m.data), JSONFormat())
              for m in messages]
    for event in events:
        assert event.get_specversion() == "1.0"
        assert event.get_source() == "/lgnet/cities/firenze"
        assert event.get_time() == NOW
        assert event.get_type().startswith("it.lgnet.budget.")
        jsonschema.Draft202012Validator(schemas[event.get_type()]).validate(event.get_data())
        assert data_of(event)["budget_id"] == str(city_budget_id(City.FIRENZE))
    allocation, first, second, approval, rejection = events
    assert allocation.get_type() == "it.lgnet.budget.allocation_set.v1"
    assert allocation.get_subject() == "firenze"
    assert data_of(allocation)["amount"] == "346000.00"
    assert allocation.get_extension("actorrole") == "ministry"
    assert first.get_type() == "it.lgnet.budget.claim_recorded.v1"
    assert first.get_subject() == str(approved)
    assert data_of(first)["amount"] == "1234.50"
    assert data_of(first)["spent_on"] == "2021-03-01"
    assert first.get_extension("actorrole") == "city_coordinator"
    assert data_of(second)["amount"] == "0.10"
    assert approval.get_type() == "it.lgnet.budget.claim_approved.v1"
    assert approval.get_subject() == str(approved)
    assert rejection.get_type() == "it.lgnet.budget.claim_rejected.v1"
    assert data_of(rejection)["reason"] == "Documento illeggibile"


def test_the_schema_refuses_an_amount_written_as_a_number_or_with_three_decimals() -> None:
    validator = jsonschema.Draft202012Validator(
        json_schemas()["it.lgnet.budget.allocation_set.v1"])
    body = {"budget_id": str(uuid4()), "city": "firenze", "sub_action": "4",
            "amount": "346000.00", "reason": "Scheda progetto"}
    validator.validate(body)
    for amount in (346000.0, "346000.001", "346000", "-1.00"):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate({**body, "amount": amount})


def test_each_refusal_leaves_the_record_as_it_was(record: ProgrammeRecord) -> None:
    finance = FinanceService(record)
    finance.set_allocation(City.MILANO, HOUSING, Decimal("1000.00"), "Riparto", MINISTRY, NOW)
    claim_id = uuid4()
    milan = a_coordinator(City.MILANO)
    finance.record_claim(claim_id, a_draft(City.MILANO, "900.00"), milan, NOW)
    finance.approve_claim(City.MILANO, claim_id, MINISTRY, NOW)
    refusals: list[tuple[type[FinanceError], object]] = [
        (OverAllocation, lambda: finance.record_claim(
            uuid4(), a_draft(City.MILANO, "100.01"), milan, NOW)),
        (OutsideEligibility, lambda: finance.record_claim(
            uuid4(), a_draft(City.MILANO, spent_on=date(2022, 1, 1)), milan, NOW)),
        (NoAllocation, lambda: finance.record_claim(
            uuid4(), a_draft(City.MILANO, sub_action=SubAction.COMMUNICATION), milan, NOW)),
        (NoAllocation, lambda: finance.record_claim(uuid4(), a_draft(City.BARI), milan, NOW)),
        (InvalidAmount, lambda: finance.record_claim(
            uuid4(), a_draft(City.MILANO, "1.001"), milan, NOW)),
        (ClaimNotPending, lambda: finance.reject_claim(
            City.MILANO, claim_id, "Ripensamento", MINISTRY, NOW)),
        (AllocationBelowClaimed, lambda: finance.set_allocation(
            City.MILANO, HOUSING, Decimal("899.99"), "Taglio", MINISTRY, NOW)),
        (ProgrammeOverFinanced, lambda: finance.set_allocation(
            City.ROMA, HOUSING, Decimal("10290188.11"), "Troppo", MINISTRY, NOW)),
    ]
    before = record.recorder.max_notification_id()
    for error, command in refusals:
        with pytest.raises(error):
            command()  # type: ignore[operator]
    assert record.recorder.max_notification_id() == before


def test_two_claims_decided_on_the_same_budget_cannot_both_be_saved(
    record: ProgrammeRecord,
) -> None:
    finance = FinanceService(record)
    finance.set_allocation(City.FIRENZE, HOUSING, Decimal("1000.00"), "Riparto", MINISTRY, NOW)
    first_view, second_view = finance.budget(City.FIRENZE), finance.budget(City.FIRENZE)
    assert first_view is not None and second_view is not None
    # Each fits the allocation on its own; together they would exceed it.
    first_view.record_claim(uuid4(), a_draft(amount="600.00"), a_coordinator(), NOW)
    second_view.record_claim(uuid4(), a_draft(amount="600.00"), a_coordinator(), NOW)
    record.save(first_view)

    with pytest.raises(IntegrityError):
        record.save(second_view)
    # Through the service, the loser decides again on what the winner left, and is refused.
    with pytest.raises(OverAllocation):
        finance.record_claim(uuid4(), a_draft(amount="600.00"), a_coordinator(), NOW)
    budget = finance.budget(City.FIRENZE)
    assert budget is not None and budget.claimed(HOUSING) == Decimal("600.00")


def test_claims_racing_in_threads_never_take_a_sub_action_over_its_allocation(
    record: ProgrammeRecord,
) -> None:
    finance = FinanceService(record)
    finance.set_allocation(City.FIRENZE, HOUSING, Decimal("1000.00"), "Riparto", MINISTRY, NOW)
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def claim() -> None:
        start.wait()
        try:
            finance.record_claim(uuid4(), a_draft(amount="300.00"), a_coordinator(), NOW)
            outcomes.append("saved")
        except OverAllocation:
            outcomes.append("refused")

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused"] * 3 + ["saved"] * 3
    budget = finance.budget(City.FIRENZE)
    assert budget is not None and budget.claimed(HOUSING) == Decimal("900.00")
    recorded = [n for n in record.recorder.select_notifications(1, 100, topics=PUBLIC_TOPICS)
                if n.topic.endswith("ClaimRecorded")]
    assert len(recorded) == 3
    assert all(isinstance(UUID(str(n.originator_id)), UUID) for n in recorded)


def test_the_demo_allocations_are_labelled_add_up_and_give_florence_its_share(
    record: ProgrammeRecord,
) -> None:
    demo = read_allocations(DEMO_ALLOCATIONS_FILE)
    assert "demo" in demo.reason.lower()
    assert {a.city for a in demo.allocations} == set(FOUNDING_CITIES)
    florence = sum((a.amount for a in demo.allocations if a.city == City.FIRENZE), Decimal(0))
    assert florence == FLORENCE_SHARE

    finance = FinanceService(record)
    assert load_allocations(finance, DEMO_ALLOCATIONS_FILE, NOW) == 19 * 6
    programme = finance.programme()
    assert programme is not None
    assert programme.allocated == sum((a.amount for a in demo.allocations), Decimal(0))
    assert programme.allocated <= PROGRAMME_FINANCED
    # Loaded again (a second demo load), the figures stay as they are.
    load_allocations(finance, DEMO_ALLOCATIONS_FILE, NOW)
    assert finance.programme().allocated == programme.allocated  # type: ignore[union-attr]
    budget = finance.budget(City.FIRENZE)
    assert budget is not None
    assert sum(budget.allocations.values(), Decimal(0)) == FLORENCE_SHARE
    assert {n.originator_id for n in record.recorder.select_notifications(
        1, 1000, topics=PUBLIC_TOPICS)} == {city_budget_id(city) for city in FOUNDING_CITIES}


def test_an_allocations_file_over_the_financed_total_is_refused_before_anything_is_written(
    record: ProgrammeRecord, tmp_path: Path
) -> None:
    too_much = tmp_path / "allocations.toml"
    too_much.write_text('reason = "Prova"\n[allocations.roma]\n"1" = "6000000.00"\n'
                        '[allocations.milano]\n"4" = "4291188.11"\n', encoding="utf-8")
    with pytest.raises(AllocationFileError):
        load_allocations(FinanceService(record), too_much, NOW)
    three_decimals = tmp_path / "three.toml"
    three_decimals.write_text('reason = "Prova"\n[allocations.roma]\n"1" = "1.001"\n',
                              encoding="utf-8")
    with pytest.raises(AllocationFileError):
        load_allocations(FinanceService(record), three_decimals, NOW)
    assert record.recorder.max_notification_id() is None


@pytest.mark.postgres
def test_the_finance_read_model_on_postgresql_matches_the_sqlite_one(
    record: ProgrammeRecord, postgres_database: str, tmp_path: Path
) -> None:
    finance = FinanceService(record)
    load_allocations(finance, DEMO_ALLOCATIONS_FILE, NOW)
    kept, dropped = uuid4(), uuid4()
    finance.record_claim(kept, a_draft(amount="1234.56"), a_coordinator(), NOW)
    finance.record_claim(dropped, a_draft(amount="0.01"), a_coordinator(), NOW)
    finance.record_claim(uuid4(), a_draft(City.MILANO, "99.99"),
                         a_coordinator(City.MILANO), NOW)
    finance.approve_claim(City.FIRENZE, kept, MINISTRY, NOW)
    finance.reject_claim(City.FIRENZE, dropped, "Doppione", MINISTRY, NOW)
    batch = [
        Delivered(stream_seq=n.id, envelope=to_message(n, record.mapper).envelope)
        for n in record.recorder.select_notifications(1, 1000, topics=PUBLIC_TOPICS)
    ]
    on_postgres = PostgresReadModels(postgres_database)
    on_sqlite = SqliteReadModels(tmp_path / "readmodels.sqlite")
    try:
        views = []
        for database in (on_postgres, on_sqlite):
            reset(database, FinanceProjection())
            apply_batch(database, FinanceProjection(), batch)
            apply_batch(database, FinanceProjection(), batch)  # redelivered: no change
            views.append(FinanceQueries(database).network())
        assert views[0] == views[1]
        firenze = next(city for city in views[0].cities if city.city == "firenze")
        assert firenze.total.allocated == FLORENCE_SHARE
        assert firenze.line("4").approved == Decimal("1234.56")
        assert firenze.line("4").rejected == Decimal("0.01")
        assert views[0].total.claimed == Decimal("1334.55")
    finally:
        on_postgres.close()
        on_sqlite.close()
