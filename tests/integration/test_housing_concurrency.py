"""Many coordinators race for a shelter's last free bed, each through a record of its own over
the same store (as separate processes would): exactly one gets it, every other is told there is
no free bed, and the store holds one assignment. Likewise two offers racing for one case: it is
never in two beds. On SQLite, and on PostgreSQL."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from uuid import UUID, uuid4

import psycopg
import pytest

from domain.cases.service import CaseService
from domain.households.service import HouseholdService
from domain.housing.model import (
    HousingPath,
    HousingStage,
    NoFreeBed,
    NotOnWaitlist,
    Shelter,
    ShelterKind,
)
from domain.housing.service import HousingService
from domain.programme import City
from domain.record import ProgrammeRecord
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import KEY_BYTES, SqliteVault
from tests import postgres_budget
from tests.builders import NOW, a_coordinator, a_person, an_intake

RIVALS = 16
VAULT_KEY = secrets.token_bytes(KEY_BYTES)
MILAN = a_coordinator(City.MILANO)


@dataclass
class Store:
    """How each racer opens its own record over the one store, and the vault beside it."""

    open: Callable[[], ProgrammeRecord]
    vault_path: Path


def services_over(record: ProgrammeRecord, store: Store) -> HousingService:
    # Each racer has its own vault handle too; no racer reads the vault.
    vault = SqliteVault(store.vault_path, VAULT_KEY)
    cases = CaseService(record, vault)
    return HousingService(record, cases, households=HouseholdService(record, cases))


def waitlisted_cases(service: HousingService, count: int) -> list[UUID]:
    assert isinstance(service.cases, CaseService)
    cases = []
    for _ in range(count):
        case_id = uuid4()
        service.cases.record_intake(case_id, an_intake(City.MILANO), a_person(), MILAN, NOW)
        service.add_to_waitlist(case_id, MILAN, NOW)
        cases.append(case_id)
    return cases


def a_shelter(service: HousingService, beds: int) -> UUID:
    shelter_id = uuid4()
    service.register_shelter(shelter_id, City.MILANO, "Casa Aurora",
                             ShelterKind.TEMPORARY_SHELTER, "Niguarda", beds, MILAN, NOW)
    return shelter_id


def race(store: Store, attempts: list[Callable[[HousingService], int]]) -> list[object]:
    """Run each attempt in a thread with a record of its own, all released at once; the result
    of each: a position, or the exception it raised."""
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)
    # Opened one after the other: opening creates missing tables, which PostgreSQL will not do
    # for two connections at once. The race is in the commands, not in the opening.
    records = [store.open() for _ in attempts]

    def racer(index: int) -> None:
        service = services_over(records[index], store)
        barrier.wait(timeout=30)
        try:
            results[index] = attempts[index](service)
        except Exception as error:  # the outcome under test, whatever it is
            results[index] = error

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for record in records:
        record.close()
    assert not any(thread.is_alive() for thread in threads)
    return results


def the_last_free_bed_goes_to_exactly_one(store: Store, rival_count: int = RIVALS) -> None:
    record = store.open()
    try:
        service = services_over(record, store)
        shelter_id = a_shelter(service, beds=2)
        first, *rivals = waitlisted_cases(service, rival_count + 1)
        service.offer_bed(first, shelter_id, MILAN, NOW)  # one bed left

        def offer(case_id: UUID) -> Callable[[HousingService], int]:
            return lambda racer: racer.offer_bed(case_id, shelter_id, MILAN, NOW)

        results = race(store, [offer(case_id) for case_id in rivals])

        winners = [case_id for case_id, result in zip(rivals, results, strict=True)
                   if isinstance(result, int)]
        losers = [result for result in results if not isinstance(result, int)]
        assert len(winners) == 1, results
        assert len(losers) == rival_count - 1
        assert all(isinstance(loser, NoFreeBed) for loser in losers), losers
        assert {str(loser) for loser in losers} == {"There is no free bed in this shelter."}

        stored = list(record.events.get(shelter_id))
        assignments = [e for e in stored if isinstance(e, Shelter.BedAssigned)]
        assert len(assignments) == 2
        assert len({e.bed for e in assignments}) == 2
        shelter = service.get_shelter(shelter_id)
        (winner,) = winners
        winner_path = service.housing_path(winner)
        assert winner_path is not None and winner_path.stage is HousingStage.OFFERED
        assert shelter.holder_of(2) == winner_path.id == HousingPath.id_for(winner)
        assert shelter.occupied == shelter.beds == 2
        for case_id in rivals:
            if case_id != winner:
                path = service.housing_path(case_id)
                assert path is not None and path.stage is HousingStage.WAITLISTED
    finally:
        record.close()


def a_case_is_never_in_two_beds(store: Store) -> None:
    record = store.open()
    try:
        service = services_over(record, store)
        shelters = [a_shelter(service, beds=3) for _ in range(4)]
        (case_id,) = waitlisted_cases(service, 1)

        def offer(shelter_id: UUID) -> Callable[[HousingService], int]:
            return lambda racer: racer.offer_bed(case_id, shelter_id, MILAN, NOW)

        results = race(store, [offer(shelter_id) for shelter_id in shelters])

        assert sum(isinstance(result, int) for result in results) == 1, results
        assert all(isinstance(r, NotOnWaitlist) for r in results if not isinstance(r, int))
        held = [s for s in shelters if service.get_shelter(s).occupied]
        assert len(held) == 1
        path = service.housing_path(case_id)
        assert path is not None and path.shelter_id == held[0]
    finally:
        record.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    settings = Settings(data_dir=tmp_path)
    return Store(lambda: open_record(settings), tmp_path / "vault.sqlite")


def test_many_offers_for_the_last_free_bed_on_sqlite_one_wins(sqlite_store: Store) -> None:
    the_last_free_bed_goes_to_exactly_one(sqlite_store)


def test_offers_of_two_shelters_to_one_case_on_sqlite_one_wins(sqlite_store: Store) -> None:
    a_case_is_never_in_two_beds(sqlite_store)


@pytest.fixture
def postgres_store(postgres_database: str, tmp_path: Path) -> Iterator[Store]:
    """A database of this module's own, so the race sees only its own events."""
    url = urlparse(postgres_database)
    name = f"{url.path.lstrip('/')}_housing"
    admin: dict[str, Any] = {"host": url.hostname, "port": url.port, "user": url.username,
                             "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(data_dir=tmp_path, database_url=url._replace(path=f"/{name}").geturl())
    try:
        yield Store(lambda: open_record(settings), tmp_path / "vault.sqlite")
    finally:
        with psycopg.connect(**admin) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_many_offers_for_the_last_free_bed_on_postgres_one_wins(postgres_store: Store) -> None:
    """Each racer's record holds up to three connections (a read inside a write takes a second,
    its pool lends a third under load): as many racers as this worker's share of the server's
    connections allows (tests/postgres_budget.py), keeping three for the setup's own record."""
    budget = postgres_budget.WORKER_BUDGET
    rival_count = RIVALS if budget is None else max(2, min(RIVALS, (budget.size - 3) // 3))
    the_last_free_bed_goes_to_exactly_one(postgres_store, rival_count)


@pytest.mark.postgres
def test_offers_of_two_shelters_to_one_case_on_postgres_one_wins(postgres_store: Store) -> None:
    a_case_is_never_in_two_beds(postgres_store)

