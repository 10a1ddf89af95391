"""No personal identifier leaves the vault: after intakes of a person with an unmistakable name and
document, not one byte of the event store, the vault, the read models or the JetStream store
holds them in clear, while the vault still gives them back to whoever may read them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest

from domain.cases.service import CaseService
from domain.programme import City
from events.cloudevents import from_message
from infra.nats.server import EmbeddedNats
from infra.settings import Settings
from infra.store.eventstore import open_record
from infra.store.vault import open_vault
from projections.case_list import CaseListProjection
from projections.network_overview import NetworkOverviewProjection
from projections.projection import Delivered, apply_batch, ensure_created
from projections.storage.read_models import open_read_models
from tests.builders import NOW, a_coordinator, a_person, an_intake
from tests.conftest import headers_of, relayed

pytestmark = pytest.mark.nats

GIVEN_NAME = "Zyxwabena"
FAMILY_NAME = "Quortlemaine"
DOCUMENT = "QX7730419Z"
PHONE = "+39 347 918 2736"
EMAIL = "zyxwabena.quortlemaine@example.org"
BIRTH_DATE = date(1987, 11, 23)


def identifier_forms() -> list[bytes]:
    """Each identifier as it could sit in a file: as typed, lower and upper case, in UTF-8 and
    UTF-16 (SQLite can store text in either), and the birth date as ISO and as written in Italy."""
    values = [GIVEN_NAME, FAMILY_NAME, DOCUMENT, PHONE, PHONE.replace(" ", ""), EMAIL,
              BIRTH_DATE.isoformat(), BIRTH_DATE.strftime("%d/%m/%Y")]
    forms = set()
    for value in values:
        for variant in (value, value.lower(), value.upper()):
            forms |= {variant.encode("utf-8"), variant.encode("utf-16-le")}
    return sorted(forms)


def files_under(*directories: Path) -> list[Path]:
    return [path for directory in directories for path in directory.rglob("*") if path.is_file()]


async def test_identifiers_are_nowhere_but_in_the_vault(
    tmp_path: Path, nats_server: EmbeddedNats
) -> None:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir)
    record = open_record(settings)
    vault = open_vault(settings)
    cases = CaseService(record, vault)
    person = a_person(given_name=GIVEN_NAME, family_name=FAMILY_NAME, document_number=DOCUMENT,
                      phone=PHONE, email=EMAIL, birth_date=BIRTH_DATE)
    case_ids = [uuid4() for _ in range(4)]
    for index, case_id in enumerate(case_ids):
        city = [City.TORINO, City.NAPOLI][index % 2]
        cases.record_intake(case_id, an_intake(city, birth_date=BIRTH_DATE), person,
                            a_coordinator(city), NOW)
    # The read models, built from the stream as the projector builds them.
    messages = await relayed(record, nats_server.url)
    assert len(messages) == len(case_ids)
    read_models = open_read_models(None, data_dir / "readmodels.sqlite")
    batch = [
        Delivered(message.metadata.sequence.stream, from_message(headers_of(message), message.data))
        for message in messages
    ]
    for projection in (CaseListProjection(), NetworkOverviewProjection()):
        ensure_created(read_models, projection)
        apply_batch(read_models, projection, batch)
    read_models.close()

    # Whoever may read them still can.
    assert all(vault.read(case_id) == person for case_id in case_ids)

    record.close()
    vault.close()
    nats_server.stop()  # flushes JetStream's files, so every byte it keeps is on disk

    searched = files_under(data_dir, nats_server.store_dir)
    names = {path.name for path in searched}
    assert {"events.sqlite", "vault.sqlite", "readmodels.sqlite"} <= names
    assert any(path.suffix == ".blk" for path in searched), "no JetStream message file found"
    leaks = [
        (path.relative_to(tmp_path), form)
        for path in searched
        for form in identifier_forms()
        if form in path.read_bytes()
    ]
    assert leaks == []
