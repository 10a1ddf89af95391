"""The case service's sweep of unfinished intakes (`CaseService.settle_unfinished_intakes`),
without killing a process: the state a killed intake leaves (the person stored in the vault,
pending, with or without the case in the record) made directly. The crash itself is shown by
tests/integration/test_vault_crash.py, which `make mutate` leaves out (it starts processes); this
is the sweep's test there (docs/testing.md, "Mutation testing: run time")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.cases.service import CaseService, UnfinishedIntakes
from domain.record import ProgrammeRecord
from infra.store.vault import SqliteVault
from tests.builders import NOW, a_coordinator, a_person, an_intake

GRACE = timedelta(minutes=10)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CaseService]:
    vault = SqliteVault(tmp_path / "vault.sqlite", bytes(range(32)))
    yield CaseService(ProgrammeRecord(), vault)
    vault.close()


def saved_but_left_pending(service: CaseService) -> UUID:
    """A case in the record whose person the vault still holds as pending: killed after the
    save, before the confirmation."""
    case_id = service.record_intake(uuid4(), an_intake(), a_person(), a_coordinator(), NOW,
                                    new_id=uuid4).case_id
    service.vault.store(case_id, a_person())
    return case_id


def stored_but_never_saved(service: CaseService) -> UUID:
    """A person in the vault whose case never reached the record: killed before the save."""
    case_id = uuid4()
    service.vault.store(case_id, a_person(given_name="Other"))
    return case_id


def test_a_saved_case_s_person_is_kept_and_a_never_saved_one_is_shredded(
    service: CaseService,
) -> None:
    kept = saved_but_left_pending(service)
    shredded = stored_but_never_saved(service)
    after_the_grace = datetime.now(UTC) + GRACE + timedelta(seconds=1)

    settled = service.settle_unfinished_intakes(after_the_grace, GRACE)

    assert settled == UnfinishedIntakes(kept=1, shredded=1)
    assert service.vault.read(kept) == a_person()
    assert service.vault.read(shredded) is None
    assert service.vault.pending(after_the_grace + GRACE) == []


def test_within_the_grace_period_nothing_is_decided(service: CaseService) -> None:
    """An intake stored less than `grace` ago may still be under way: neither kept nor
    shredded, still pending."""
    kept = saved_but_left_pending(service)
    shredded = stored_but_never_saved(service)
    stored_by = datetime.now(UTC)

    assert service.settle_unfinished_intakes(stored_by, GRACE) == UnfinishedIntakes(0, 0)
    assert sorted(service.vault.pending(stored_by + timedelta(seconds=1))) == sorted(
        [kept, shredded])
    assert service.vault.read(shredded) == a_person(given_name="Other")


def test_several_of_each_are_counted(service: CaseService) -> None:
    for _ in range(2):
        saved_but_left_pending(service)
    for _ in range(3):
        stored_but_never_saved(service)

    settled = service.settle_unfinished_intakes(
        datetime.now(UTC) + GRACE + timedelta(seconds=1), GRACE)

    assert (settled.kept, settled.shredded) == (2, 3)
