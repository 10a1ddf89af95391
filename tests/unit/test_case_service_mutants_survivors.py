"""Survivors of the whole-tree mutation run of 7 December 2026 in domain.cases.service
(docs/mutation-survivors/domain-and-events.md): an intake whose batch could not be saved as one
and is saved alone (its description, its companions, what is saved with it, its note and its
register, each as given), a command sent again (nothing written, the vault untouched), and
intakes of one city in different years arriving together (each numbered by its own year's
register)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import MutableAggregateProtocol
from eventsourcing.persistence import IntegrityError

from domain.cases.model import Case, CaseRegister, IntakeByKey, ReceptionHistory
from domain.cases.rules import ReceptionSituation, Vulnerability
from domain.cases.service import _SAVE_ATTEMPTS, CaseService, IntakeReceipt
from domain.programme import Actor, DomainErrors
from domain.record import ConcurrentChanges, ProgrammeRecord
from domain.vault import TextReference
from infra.store.vault import SqliteVault
from tests.builders import NOW, a_coordinator, a_person, an_intake

ACTOR = a_coordinator()
WAIT_LIMIT_SECONDS = 10.0


class Companion:
    """An intake companion (AssignmentAtIntake's place) that notes what it is asked with and
    adds one aggregate of its own (a note keyed by the case, so it can be found)."""

    def __init__(self) -> None:
        self.calls: list[tuple[UUID, Actor, datetime, str | None]] = []

    def __call__(
        self, case: Case, actor: Actor, now: datetime, assignee: str | None,
    ) -> Sequence[MutableAggregateProtocol[UUID]]:
        self.calls.append((case.id, actor, now, assignee))
        return (IntakeByKey.record(f"companion of {case.id}", case.id, now),)


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[SqliteVault]:
    vault = SqliteVault(tmp_path / "vault.sqlite", bytes(range(32)))
    yield vault
    vault.close()


def stored(service: CaseService, originator_id: UUID) -> list[Any]:
    return list(service.record.events.get(originator_id))


def test_an_intake_whose_batch_fails_is_saved_alone_with_all_it_was_given(
    vault: SqliteVault, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The batch's save conflicts (another process numbered a case first): the intake then goes
    alone, and what it saves is what it was given: the description of its other vulnerability
    (by reference, with the actor and time), its companions (asked with the actor, time and
    assignee), what is saved with the case, the note of its command and its register."""
    companion = Companion()
    service = CaseService(ProgrammeRecord(), vault, intake_companion=companion)
    save = service.record.save
    saves: list[int] = []

    def a_rival_first(*aggregates: Any, **options: Any) -> Any:
        saves.append(len(aggregates))
        if len(saves) == 1:
            raise IntegrityError("another process numbered a case first")
        return save(*aggregates, **options)

    monkeypatch.setattr(service.record, "save", a_rival_first)
    case_id, text_id = uuid4(), uuid4()
    match_note = f"a possible match of {case_id}"

    receipt = service.record_intake(
        case_id, an_intake(vulnerabilities=frozenset({Vulnerability.OTHER})), a_person(),
        ACTOR, NOW, other_vulnerability_description="Needs a hearing aid",
        new_id=lambda: text_id, assignee="operator-7", command_key="the command",
        saved_with_case=lambda code: (IntakeByKey.record(match_note, case_id, NOW),),
    )

    assert len(saves) == 2  # the batch's, refused; then the intake alone
    assert (receipt.case_id, receipt.case_code) == (case_id, "FI-2021-00001")
    assert receipt.position == service.record.recorder.max_notification_id()
    # Asked before any write, in the batch, then alone: each time as the intake was given.
    assert companion.calls == [(case_id, ACTOR, NOW, "operator-7")] * 3
    described = stored(service, case_id)[-1]
    assert type(described).__name__ == "OtherVulnerabilityDescribed"
    assert (described.timestamp, described.description_id, described.actor) == (
        NOW, text_id, ACTOR.as_record())
    assert service.get(case_id).other_vulnerability == TextReference(
        text_id, described.description_digest)
    assert service.other_vulnerability_description(case_id) == "Needs a hearing aid"
    # The companion's aggregate, what is saved with the case and the command's note: saved.
    for key in (f"companion of {case_id}", match_note, "the command"):
        [note] = stored(service, IntakeByKey.id_for(key))
        assert (note.timestamp, note.case_id) == (NOW, case_id)
    [opened, issued] = stored(service, CaseRegister.id_for(an_intake().city, 2021))
    assert (opened.timestamp, issued.timestamp, issued.number) == (NOW, NOW, 1)
    assert vault.read(case_id) == a_person()


def test_a_command_sent_again_writes_nothing_and_leaves_the_vault_alone(
    vault: SqliteVault, monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = CaseService(ProgrammeRecord(), vault)
    first = service.record_intake(uuid4(), an_intake(), a_person(), ACTOR, NOW,
                                  command_key="the command")
    end = service.record.recorder.max_notification_id()
    assert end is not None
    stores: list[UUID] = []
    store = vault.store

    def noted_store(case_id: UUID, *args: Any, **kwargs: Any) -> Any:
        stores.append(case_id)
        return store(case_id, *args, **kwargs)

    monkeypatch.setattr(vault, "store", noted_store)
    again = service.record_intake(uuid4(), an_intake(), a_person(given_name="Other"), ACTOR,
                                  NOW, command_key="the command")
    assert again == IntakeReceipt(first.case_id, first.case_code, end)
    assert stores == []
    assert service.record.recorder.max_notification_id() == end


def test_intakes_of_one_city_in_different_years_are_each_numbered_by_their_year(
    vault: SqliteVault,
) -> None:
    """An intake of 2021 is being saved (held in its batch); intakes of 2020 and 2019 of the
    same city arrive meanwhile. Each year has its register: they are not batched behind the
    2021 one, and each is the first of its year."""
    held = threading.Event()
    others_done: list[UUID] = []
    service: CaseService

    def holding_companion(
        case: Case, actor: Actor, now: datetime, assignee: str | None,
    ) -> Sequence[MutableAggregateProtocol[UUID]]:
        if case.intake_date.year == 2021 and not held.is_set() and calls.count(case.id) == 1:
            held.set()
            waiting = service._intake_batches._waiting
            deadline = time.monotonic() + WAIT_LIMIT_SECONDS
            # Until the two others are saved, or wait behind this one.
            while (len(others_done) + sum(map(len, list(waiting.values()))) < 2
                   and time.monotonic() < deadline):
                time.sleep(0.01)
        calls.append(case.id)
        return ()

    calls: list[UUID] = []
    service = CaseService(ProgrammeRecord(), vault, intake_companion=holding_companion)
    never = ReceptionHistory(situation=ReceptionSituation.NEVER_IN_RECEPTION)
    years = {2021: uuid4(), 2020: uuid4(), 2019: uuid4()}
    outcomes: dict[UUID, IntakeReceipt | Exception] = {}

    def take_in(year: int) -> None:
        case_id = years[year]
        intake_date = date(2021, 3, 10) if year == 2021 else date(year, 9, 1)
        try:
            outcomes[case_id] = service.record_intake(
                case_id, an_intake(intake_date=intake_date, reception=never), a_person(),
                ACTOR, NOW)
        except Exception as error:  # the outcome is what the test checks
            outcomes[case_id] = error
        if year != 2021:
            others_done.append(case_id)

    threads = {year: threading.Thread(target=take_in, args=(year,)) for year in years}
    threads[2021].start()
    assert held.wait(WAIT_LIMIT_SECONDS)
    threads[2020].start()
    threads[2019].start()
    for thread in threads.values():
        thread.join(60)
    codes = {year: getattr(outcomes[case_id], "case_code", outcomes[case_id])
             for year, case_id in years.items()}
    assert codes == {2021: "FI-2021-00001", 2020: "FI-2020-00001", 2019: "FI-2019-00001"}
    assert {year: service.get(case_id).case_code for year, case_id in years.items()} == codes


@pytest.mark.parametrize(("vulnerabilities", "description"), [
    (frozenset({Vulnerability.OTHER}), None),  # the other vulnerability not described
    (frozenset(), "Needs a hearing aid"),  # a description of none
])
def test_a_wrong_description_is_refused_with_the_intake_s_other_problems(
    vault: SqliteVault, vulnerabilities: frozenset[Vulnerability], description: str | None,
) -> None:
    """Every problem at once (the form shows them all): the description's with the others."""
    service = CaseService(ProgrammeRecord(), vault)
    with pytest.raises(DomainErrors) as refused:
        service.record_intake(
            uuid4(), an_intake(has_identity_document=False, vulnerabilities=vulnerabilities),
            a_person(), ACTOR, NOW, other_vulnerability_description=description,
            new_id=uuid4)
    assert [(problem.code, problem.params) for problem in refused.value.problems] == [
        ("invalid_intake", {"field": "document_number"}),
        ("invalid_vulnerability_description", {"field": "other_vulnerability_description"}),
    ]
    assert all(problem.message for problem in refused.value.problems)
    assert service.record.recorder.max_notification_id() is None


def test_an_intake_saved_is_answered_even_when_its_person_s_confirmation_fails(
    vault: SqliteVault, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sweep confirms a person left pending whose case is saved: the answer says saved."""
    service = CaseService(ProgrammeRecord(), vault)

    def unreachable(_case_id: UUID) -> None:
        raise OSError("the vault's disk is gone")

    monkeypatch.setattr(vault, "confirm", unreachable)
    case_id = uuid4()
    receipt = service.record_intake(case_id, an_intake(), a_person(), ACTOR, NOW)
    assert (receipt.case_id, receipt.case_code) == (case_id, "FI-2021-00001")
    assert service.get(case_id).case_code == "FI-2021-00001"


@pytest.mark.parametrize("rivals", [_SAVE_ATTEMPTS, _SAVE_ATTEMPTS + 1])
def test_an_intake_that_loses_every_race_for_its_register_is_refused_and_leaves_nothing(
    vault: SqliteVault, monkeypatch: pytest.MonkeyPatch, rivals: int,
) -> None:
    """Saved alone after its batch conflicted, an intake tries _SAVE_ATTEMPTS times: a rival
    numbering a case first each time but the last, it is saved; every time, it is refused with
    ConcurrentChanges (a 422 the person can act on: try again; it was a 500 before), nothing is
    saved and the person is erased."""
    service = CaseService(ProgrammeRecord(), vault)
    save = service.record.save
    saves: list[int] = []

    def rivals_first(*aggregates: Any, **options: Any) -> Any:
        saves.append(len(aggregates))
        if len(saves) <= rivals:
            raise IntegrityError("another process numbered a case first")
        return save(*aggregates, **options)

    monkeypatch.setattr(service.record, "save", rivals_first)
    case_id = uuid4()
    assert _SAVE_ATTEMPTS == 32
    if rivals == _SAVE_ATTEMPTS:  # the batch's save and 31 alone lost; the 32nd alone wins
        receipt = service.record_intake(case_id, an_intake(), a_person(), ACTOR, NOW)
        assert (receipt.case_id, receipt.case_code) == (case_id, "FI-2021-00001")
        assert len(saves) == 1 + _SAVE_ATTEMPTS
        assert vault.read(case_id) == a_person()
        return
    with pytest.raises(ConcurrentChanges) as refused:
        service.record_intake(case_id, an_intake(), a_person(), ACTOR, NOW)
    assert (refused.value.code, refused.value.params, str(refused.value)) == (
        "concurrent_changes", {"field": None},
        "Others were taking people in for the same city at the same moment: nothing was "
        "saved. Try again.")
    assert len(saves) == 1 + _SAVE_ATTEMPTS
    assert service.record.recorder.max_notification_id() is None
    assert vault.read(case_id) is None
