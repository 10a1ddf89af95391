"""The web app built from real parts: the event store (SQLite), the case service, the read models
and both projections. Only the bus is left out: `wait_for_position` brings the read models up to
date from the notification log directly, mapping each event as the relay would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from domain.cases.service import CaseService
from domain.record import ProgrammeRecord
from domain.vault import PersonalData, PersonalDataVault
from infra.publishing import PUBLIC_TOPICS, to_message
from projections.case_list import CaseListProjection, CaseListQueries
from projections.network_overview import NetworkOverviewProjection, NetworkOverviewQueries
from projections.projection import Delivered, Projection, apply_batch, ensure_created
from projections.storage import SqliteReadModels
from web.app import create_app

_NOTIFICATIONS_PER_BATCH = 500


class InMemoryVault:
    """TODO(lead): replace with infra.vault (the encrypted vault) once it is in. The tests use
    only the PersonalDataVault port (store, read, erase), so the swap is this fixture alone."""

    def __init__(self) -> None:
        self._people: dict[UUID, PersonalData] = {}

    def store(self, case_id: UUID, data: PersonalData) -> None:
        self._people[case_id] = data

    def read(self, case_id: UUID) -> PersonalData | None:
        return self._people.get(case_id)

    def erase(self, case_id: UUID) -> bool:
        return self._people.pop(case_id, None) is not None


@dataclass
class WebTestPlatform:
    """Implements web.services.WebServices over the real record and read models."""

    record: ProgrammeRecord
    vault: PersonalDataVault
    read_models: SqliteReadModels
    projections: list[Projection]
    cases: CaseService
    case_list: CaseListQueries
    network: NetworkOverviewQueries
    read_your_writes_timeout: float = 1.0
    # False makes the read models lag forever: what a page shows while the projector is behind.
    projections_follow: bool = True
    # Every id handed out for a new case, so a test can look the person up in the vault.
    issued_ids: list[UUID] = field(default_factory=list)
    _catching_up: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def new_id(self) -> UUID:
        self.issued_ids.append(uuid4())
        return self.issued_ids[-1]

    async def wait_for_position(self, position: int, timeout: float) -> bool:
        if self.projections_follow:
            self.catch_up()
        return self.projected_position() >= position

    def projected_position(self) -> int:
        return min(self.read_models.tracking(p.name).position for p in self.projections)

    def catch_up(self) -> None:
        """Apply every public event not yet applied, in notification order, as the projector
        would apply what the relay published (the notification id stands for the stream seq)."""
        with self._catching_up:
            applied = min(self.read_models.tracking(p.name).stream_seq for p in self.projections)
            while True:
                notifications = self.record.recorder.select_notifications(
                    applied + 1, _NOTIFICATIONS_PER_BATCH, topics=PUBLIC_TOPICS
                )
                if not notifications:
                    return
                batch = [
                    Delivered(stream_seq=n.id, envelope=to_message(n, self.record.mapper).envelope)
                    for n in notifications
                ]
                for projection in self.projections:
                    apply_batch(self.read_models, projection, batch)
                applied = notifications[-1].id

    def last_written_position(self) -> int | None:
        """The notification log's end: unchanged means nothing was written."""
        return self.record.recorder.max_notification_id()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[WebTestPlatform]:
    record = ProgrammeRecord(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
             "SQLITE_DBNAME": str(tmp_path / "events.sqlite")}
    )
    vault = InMemoryVault()
    read_models = SqliteReadModels(tmp_path / "readmodels.sqlite")
    projections: list[Projection] = [CaseListProjection(), NetworkOverviewProjection()]
    for projection in projections:
        ensure_created(read_models, projection)
    yield WebTestPlatform(
        record=record,
        vault=vault,
        read_models=read_models,
        projections=projections,
        cases=CaseService(record, vault),
        case_list=CaseListQueries(read_models),
        network=NetworkOverviewQueries(read_models),
    )
    read_models.close()
    record.close()


@pytest.fixture
def app(platform: WebTestPlatform) -> FastAPI:
    return create_app(platform)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def an_intake_form(**overrides: Any) -> dict[str, Any]:
    """What a coordinator submits for a valid intake (a refugee who left a CAS)."""
    form: dict[str, Any] = {
        "given_name": "Amanuel",
        "family_name": "Tesfaye",
        "birth_date": "1994-05-02",
        "document_number": "PS1234567",
        "phone": "+39 333 1234567",
        "email": "",
        "intake_date": "2021-03-10",
        "protection_status": "refugee",
        "reception_situation": "left_reception",
        "left_reception_on": "2021-01-20",
        "reception_centre_kind": "cas",
        "sex": "female",
        "nationality": "ER",
        "household_size": "1",
        "vulnerabilities": [],
        "consent_given_on": "2021-03-10",
        "consent_scopes": ["case_management"],
    }
    form.update(overrides)
    return form


def an_intake_payload(**overrides: Any) -> dict[str, Any]:
    """The same intake as the API's JSON body."""
    payload = an_intake_form(email=None, household_size=1)
    payload.update(overrides)
    return payload


def record_intake(client: TestClient, city: str = "firenze", **overrides: Any) -> dict[str, Any]:
    """Take a person in through the API; returns the answer's body."""
    response = client.post(f"/api/v1/cities/{city}/intakes", json=an_intake_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
