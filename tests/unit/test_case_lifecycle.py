"""The case's lifecycle on the aggregate alone: closing with an outcome, reopening, correcting
intake facts (each change naming the event it corrects), and transfers to another city."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.cases.model import (
    Case,
    CaseClosed,
    CaseNotClosed,
    InvalidClosure,
    InvalidCorrection,
    InvalidTransfer,
    checked_reason,
    event_id_of,
)
from domain.cases.rules import CaseOutcome, CorrectableField, PriorityGroup, Sex, Vulnerability
from domain.programme import City, ProtectionStatus
from events.cloudevents import Actor, Envelope, event_id, source_for
from events.contracts import (
    CaseClosedV1,
    CaseIntakeCorrectedV1,
    CaseReopenedV1,
    CaseTransferredV1,
    FieldChangeV1,
)
from events.contracts import Eligibility as ContractEligibility
from events.upcasting import latest
from projections.case_list import CaseFilters, CaseListProjection, CaseListQueries, Handover
from projections.projection import Delivered, apply_batch, ensure_created
from projections.storage.read_models import SqliteReadModels
from tests.builders import A_REASON, NOW, a_coordinator, a_reason, an_intake
from tests.unit.test_projections import EVENT_TIME, an_envelope, an_intake_recorded

LATER = NOW + timedelta(days=120)  # 2021-07-08
CLOSED_ON = date(2021, 6, 30)


def a_case(**overrides: Any) -> Case:
    return Case.take_in(uuid4(), "FI-2021-00001", an_intake(**overrides), a_coordinator(), NOW)


def closed_case() -> Case:
    case = a_case()
    case.close(CaseOutcome.AUTONOMY, CLOSED_ON, a_reason(), a_coordinator(), LATER)
    return case


def last_event(case: Case) -> Any:
    return case.pending_events[-1]


# -- closing and reopening -----------------------------------------------------------------------


def test_closing_records_outcome_date_reason_and_actor() -> None:
    case = closed_case()

    event = last_event(case)
    assert isinstance(event, Case.Closed)
    assert (event.outcome, event.closed_on) == ("autonomy", CLOSED_ON)
    # The reason is free text: in the vault, the event only its id and digest (issue 16).
    assert (event.reason_id, event.reason_digest) == (A_REASON.text_id, A_REASON.digest)
    assert event.legacy_texts is None
    assert case.closure is not None and case.closure.reason == A_REASON
    assert event.actor == a_coordinator().as_record()
    assert event.timestamp == LATER
    assert case.is_closed and case.closure is not None
    assert case.closure.outcome is CaseOutcome.AUTONOMY


@pytest.mark.parametrize("closed_on", [date(2021, 3, 9), (LATER + timedelta(days=1)).date()])
def test_the_closing_date_falls_between_the_intake_and_today(closed_on: date) -> None:
    case = a_case()
    with pytest.raises(InvalidClosure) as refused:
        case.close(CaseOutcome.OTHER, closed_on, a_reason(), a_coordinator(), LATER)
    assert refused.value.params["field"] == "closed_on"
    assert not case.is_closed and len(case.pending_events) == 1


def test_the_intake_date_and_today_are_both_valid_closing_dates() -> None:
    on_intake = a_case()
    on_intake.close(CaseOutcome.OTHER, date(2021, 3, 10), a_reason(), a_coordinator(), NOW)
    # 23:30 UTC on 7 July is already 8 July in Italy.
    late_evening = datetime(2021, 7, 7, 23, 30, tzinfo=UTC)
    today_in_italy = a_case()
    today_in_italy.close(CaseOutcome.OTHER, date(2021, 7, 8), a_reason(), a_coordinator(),
                         late_evening)
    assert on_intake.is_closed and today_in_italy.is_closed


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reason_is_needed_of_at_most_500_characters(reason: str) -> None:
    with pytest.raises(InvalidClosure) as refused:
        checked_reason(reason)
    assert refused.value.params["field"] == "reason"
    with pytest.raises(InvalidCorrection):
        checked_reason(reason, InvalidCorrection)
    assert checked_reason("x" * 500) == "x" * 500


def test_the_reason_is_kept_without_surrounding_blanks() -> None:
    assert checked_reason("  Died in hospital \n") == "Died in hospital"


def test_a_closure_of_an_erased_person_s_case_keeps_no_reason() -> None:
    case = a_case()
    case.close(CaseOutcome.DECEASED, CLOSED_ON, None, a_coordinator(), LATER)
    event = last_event(case)
    assert (event.reason_id, event.reason_digest, event.legacy_texts) == (None, None, None)


def test_a_closed_case_refuses_new_work_and_a_second_closure() -> None:
    case = closed_case()
    with pytest.raises(CaseClosed):
        case.require_open()
    with pytest.raises(CaseClosed):
        case.close(CaseOutcome.OTHER, CLOSED_ON, a_reason(), a_coordinator(), LATER)
    with pytest.raises(CaseClosed):
        case.transfer_to(City.MILANO, uuid4(), CLOSED_ON, a_coordinator(), LATER)


def test_an_open_case_allows_work() -> None:
    a_case().require_open()  # raises nothing


def test_reopening_a_closed_case_opens_it_again_with_its_reason() -> None:
    case = closed_case()
    case.reopen(date(2021, 7, 1), a_reason(), a_coordinator(), LATER)

    event = last_event(case)
    assert isinstance(event, Case.Reopened)
    assert (event.reopened_on, event.reason_id, event.reason_digest) == (
        date(2021, 7, 1), A_REASON.text_id, A_REASON.digest)
    assert not case.is_closed
    case.require_open()
    case.close(CaseOutcome.LOST_CONTACT, date(2021, 7, 8), a_reason(), a_coordinator(), LATER)
    assert case.closure is not None and case.closure.outcome is CaseOutcome.LOST_CONTACT


def test_an_open_case_cannot_be_reopened() -> None:
    with pytest.raises(CaseNotClosed):
        a_case().reopen(date(2021, 7, 1), a_reason(), a_coordinator(), LATER)


@pytest.mark.parametrize("reopened_on", [date(2021, 6, 29), date(2021, 7, 9)])
def test_the_reopening_date_falls_between_the_closure_and_today(reopened_on: date) -> None:
    case = closed_case()
    with pytest.raises(InvalidClosure) as refused:
        case.reopen(reopened_on, a_reason(), a_coordinator(), LATER)
    assert refused.value.params["field"] == "reopened_on"
    assert case.is_closed


def test_after_a_reopening_the_next_closure_cannot_predate_it() -> None:
    case = closed_case()
    case.reopen(date(2021, 7, 1), a_reason(), a_coordinator(), LATER)
    with pytest.raises(InvalidClosure) as refused:
        case.close(CaseOutcome.OTHER, CLOSED_ON, a_reason(), a_coordinator(), LATER)
    assert refused.value.params["field"] == "closed_on"
    case.close(CaseOutcome.OTHER, date(2021, 7, 1), a_reason(), a_coordinator(), LATER)


def test_closure_and_reopening_survive_a_replay_of_the_events() -> None:
    case = closed_case()
    case.reopen(date(2021, 7, 1), a_reason(), a_coordinator(), LATER)
    copy: Case | None = None
    for event in case.collect_events():
        copy = event.mutate(copy)
    assert copy is not None and not copy.is_closed and copy.version == 3


# -- corrections ---------------------------------------------------------------------------------


def test_a_correction_records_before_after_and_the_intake_it_corrects() -> None:
    case = a_case()
    case.correct_intake({CorrectableField.HOUSEHOLD_SIZE: 3, CorrectableField.SEX: "male"},
                        a_reason(), a_coordinator(), LATER)

    event = last_event(case)
    assert isinstance(event, Case.IntakeCorrected)
    assert (event.reason_id, event.reason_digest) == (A_REASON.text_id, A_REASON.digest)
    # In the order of CorrectableField, whatever order they were given in.
    assert event.changes == [
        {"field": "sex", "before": "female", "after": "male",
         "corrects": event_id_of(case.id, 1)},
        {"field": "household_size", "before": 1, "after": 3,
         "corrects": event_id_of(case.id, 1)},
    ]
    assert (case.sex, case.household_size) == (Sex.MALE, 3)


def test_a_second_correction_of_a_fact_names_the_first_correction() -> None:
    case = a_case()
    case.correct_intake({CorrectableField.HOUSEHOLD_SIZE: 3}, a_reason(), a_coordinator(), LATER)
    case.correct_intake({CorrectableField.CITIZENSHIP: "SO"}, a_reason(), a_coordinator(), LATER)
    case.correct_intake({CorrectableField.HOUSEHOLD_SIZE: 4, CorrectableField.CITIZENSHIP: "ET"},
                        a_reason(), a_coordinator(), LATER)

    changes = {c["field"]: c for c in last_event(case).changes}
    assert changes["household_size"]["corrects"] == f"{case.id}.2"
    assert changes["household_size"]["before"] == 3
    assert changes["citizenship"]["corrects"] == f"{case.id}.3"
    assert changes["citizenship"]["before"] == "SO"


def test_only_facts_that_change_are_recorded() -> None:
    case = a_case()
    case.correct_intake({CorrectableField.PROTECTION_STATUS: "refugee",
                         CorrectableField.HOUSEHOLD_SIZE: 2}, a_reason(), a_coordinator(), LATER)
    assert [c["field"] for c in last_event(case).changes] == ["household_size"]


def test_a_correction_that_changes_nothing_is_refused() -> None:
    case = a_case(vulnerabilities=frozenset({Vulnerability.DISABILITY}))
    for nothing_new in ({}, {CorrectableField.SEX: "female"},
                        {CorrectableField.VULNERABILITIES: ["disability"]}):
        with pytest.raises(InvalidCorrection) as refused:
            case.correct_intake(nothing_new, a_reason(), a_coordinator(), LATER)
        assert refused.value.params["field"] == "changes"
    assert case.version == 1 and len(case.pending_events) == 1


@pytest.mark.parametrize(
    "field, value",
    [
        (CorrectableField.PROTECTION_STATUS, "apolide"),
        (CorrectableField.PERMIT_EXPIRES_ON, "31/12/2024"),
        (CorrectableField.SEX, "unknown"),
        (CorrectableField.CITIZENSHIP, "er"),
        (CorrectableField.CITIZENSHIP, "ERI"),
        (CorrectableField.CITIZENSHIP, "ÉR"),  # alphabetic and upper case, but not [A-Z]
        (CorrectableField.CITIZENSHIP, 12),
        (CorrectableField.HOUSEHOLD_SIZE, 0),
        (CorrectableField.HOUSEHOLD_SIZE, 31),
        (CorrectableField.HOUSEHOLD_SIZE, "3"),
        (CorrectableField.HOUSEHOLD_SIZE, True),
        (CorrectableField.VULNERABILITIES, ["homeless"]),
        (CorrectableField.VULNERABILITIES, "disability"),
    ],
)
def test_a_correction_sets_only_values_an_intake_could_have(
    field: CorrectableField, value: object
) -> None:
    with pytest.raises(InvalidCorrection) as refused:
        a_case().correct_intake({field: value}, a_reason(), a_coordinator(), LATER)
    assert refused.value.params["field"] == field.value


def test_an_adult_cannot_be_corrected_into_a_minor() -> None:
    for minor in (Vulnerability.MINOR, Vulnerability.UNACCOMPANIED_MINOR):
        with pytest.raises(InvalidCorrection) as refused:
            a_case().correct_intake({CorrectableField.VULNERABILITIES: [minor.value]}, a_reason(),
                                    a_coordinator(), LATER)
        assert refused.value.params["field"] == "vulnerabilities"


def test_a_minor_stays_recorded_as_a_minor() -> None:
    minor = a_case(birth_date=date(2008, 1, 1))
    assert Vulnerability.MINOR in minor.vulnerabilities
    minor.correct_intake({CorrectableField.VULNERABILITIES: ["unaccompanied_minor"]},
                         a_reason(), a_coordinator(), LATER)
    assert last_event(minor).changes[0]["after"] == ["minor", "unaccompanied_minor"]
    with pytest.raises(InvalidCorrection) as refused:
        # Dropping "minor" alone changes nothing: the age puts it back.
        minor.correct_intake({CorrectableField.VULNERABILITIES: ["unaccompanied_minor"]},
                             a_reason(), a_coordinator(), LATER)
    assert refused.value.params["field"] == "changes"


def test_correcting_the_protection_status_works_out_eligibility_again() -> None:
    case = a_case()
    assert case.priority_group == PriorityGroup.INTERNATIONAL_PROTECTION
    case.correct_intake({CorrectableField.PROTECTION_STATUS: "asylum_seeker"},
                        a_reason(), a_coordinator(), LATER)

    eligibility = {e["sub_action"]: (e["eligible"], e["reason"]) for e in case.eligibility}
    assert case.protection_status is ProtectionStatus.ASYLUM_SEEKER
    assert eligibility["2"] == (True, "asylum_seeker")
    assert eligibility["4"] == (True, "outside_reception")
    assert case.priority_group == PriorityGroup.OTHER_OUTSIDE_RECEPTION
    assert last_event(case).priority_group == "other_outside_reception"


def test_correcting_the_vulnerabilities_works_out_emergency_take_in_again() -> None:
    case = a_case()
    case.correct_intake({CorrectableField.VULNERABILITIES: ["pregnancy", "disability"]},
                        a_reason(), a_coordinator(), LATER)
    eligibility = {e["sub_action"]: e["reason"] for e in case.eligibility}
    assert eligibility["3"] == "vulnerable"
    assert case.vulnerabilities == [Vulnerability.DISABILITY, Vulnerability.PREGNANCY]


def test_a_closed_case_can_still_be_corrected() -> None:
    case = closed_case()
    case.correct_intake({CorrectableField.SEX: "male"}, a_reason(), a_coordinator(), LATER)
    assert case.sex is Sex.MALE and case.is_closed


def test_the_id_a_correction_names_is_the_cloudevents_id_of_the_event() -> None:
    case = a_case()
    assert event_id_of(case.id, 7) == event_id(str(case.id), 7)


# -- transfers -----------------------------------------------------------------------------------


def test_a_transfer_moves_the_case_to_the_new_city_and_remembers_the_old() -> None:
    case = a_case()
    referral_id = uuid4()
    case.transfer_to(City.MILANO, referral_id, date(2021, 5, 1),
                     a_coordinator(City.MILANO), LATER)

    event = last_event(case)
    assert isinstance(event, Case.Transferred)
    assert (event.city, event.from_city, event.referral_id) == ("milano", "firenze", referral_id)
    assert case.city == City.MILANO
    assert case.former_cities == [City.FIRENZE]


def test_a_case_cannot_be_transferred_to_its_own_city() -> None:
    with pytest.raises(InvalidTransfer) as refused:
        a_case().transfer_to(City.FIRENZE, uuid4(), date(2021, 5, 1), a_coordinator(), LATER)
    assert refused.value.params["field"] == "to_city"


@pytest.mark.parametrize("transferred_on", [date(2021, 3, 9), date(2021, 7, 9)])
def test_the_transfer_date_falls_between_the_intake_and_today(transferred_on: date) -> None:
    with pytest.raises(InvalidTransfer) as refused:
        a_case().transfer_to(City.MILANO, uuid4(), transferred_on, a_coordinator(), LATER)
    assert refused.value.params["field"] == "transferred_on"


def test_the_new_city_cannot_close_or_pass_on_the_case_before_it_got_it() -> None:
    case = a_case()
    case.transfer_to(City.MILANO, uuid4(), date(2021, 5, 1), a_coordinator(City.MILANO), LATER)
    with pytest.raises(InvalidClosure):
        case.close(CaseOutcome.OTHER, date(2021, 4, 30), a_reason(), a_coordinator(), LATER)
    with pytest.raises(InvalidTransfer) as refused:
        case.transfer_to(City.ROMA, uuid4(), date(2021, 4, 30), a_coordinator(), LATER)
    assert refused.value.params["field"] == "transferred_on"
    case.transfer_to(City.ROMA, uuid4(), date(2021, 5, 1), a_coordinator(City.ROMA), LATER)
    assert case.former_cities == [City.FIRENZE, City.MILANO]


def test_after_a_transfer_events_name_the_new_city() -> None:
    case = a_case()
    case.transfer_to(City.MILANO, uuid4(), date(2021, 5, 1), a_coordinator(City.MILANO), LATER)
    case.close(CaseOutcome.AUTONOMY, CLOSED_ON, a_reason(), a_coordinator(City.MILANO), LATER)
    assert last_event(case).city == "milano"


# -- the case list read model --------------------------------------------------------------------
# Events as the relay publishes them, applied to the case list (SQLite) as the projector does.


def an_event(data: Any, position: int, version: int) -> Envelope:
    """A lifecycle event (any contract with case_id, case_code and city) as published."""
    return Envelope(
        id=event_id(str(data.case_id), version), source=source_for(data.city),
        type=data.ce_type(), subject=data.case_code, time=EVENT_TIME, position=position,
        actor=Actor(kind="user", id="coordinator-1", role="city_coordinator", city=data.city),
        data=latest(data),  # as a reader parses it (events.upcasting)
    )


CASE = UUID(int=1)
CODE = "FI-2021-00001"


def a_lifecycle() -> list[Envelope]:
    """A Florence case closed, reopened, corrected twice, transferred to Milan, closed there
    (positions with gaps, as other cases' events come between)."""
    return [
        an_envelope(an_intake_recorded(1), position=1),
        an_event(CaseClosedV1(case_id=CASE, case_code=CODE, city="firenze",
                              closed_on=date(2021, 6, 30), outcome="autonomy",
                              reason="Works"), 3, 2),
        an_event(CaseReopenedV1(case_id=CASE, case_code=CODE, city="firenze",
                                reopened_on=date(2021, 7, 1), reason="Lost the job"), 4, 3),
        an_event(CaseIntakeCorrectedV1(
            case_id=CASE, case_code=CODE, city="firenze",
            changes=[FieldChangeV1(field="protection_status", before="refugee",
                                 after="asylum_seeker", corrects=f"{CASE}.1"),
                     FieldChangeV1(field="vulnerabilities", before=[],
                                 after=["disability", "pregnancy"], corrects=f"{CASE}.1")],
            reason="Permit", priority_group="other_outside_reception",
            eligibility=[ContractEligibility(sub_action="2", eligible=True,
                                             reason="asylum_seeker")]), 6, 4),
        an_event(CaseIntakeCorrectedV1(
            case_id=CASE, case_code=CODE, city="firenze",
            changes=[FieldChangeV1(field="household_size", before=1, after=3,
                                 corrects=f"{CASE}.1")],
            reason="Children", priority_group="other_outside_reception",
            eligibility=[ContractEligibility(sub_action="2", eligible=True,
                                             reason="asylum_seeker")]), 7, 5),
        an_event(CaseTransferredV1(case_id=CASE, case_code=CODE, city="milano",
                                   from_city="firenze", referral_id=UUID(int=99),
                                   transferred_on=date(2021, 7, 5)), 9, 6),
        an_event(CaseClosedV1(case_id=CASE, case_code=CODE, city="milano",
                           closed_on=date(2021, 7, 8), outcome="moved_away",
                           reason="Left Italy"), 10, 7),
    ]


@pytest.fixture
def read_models(tmp_path: Path) -> Iterator[SqliteReadModels]:
    database = SqliteReadModels(tmp_path / "readmodels.sqlite")
    ensure_created(database, CaseListProjection())
    yield database
    database.close()


def project(database: SqliteReadModels, envelopes: list[Envelope]) -> None:
    """Apply the envelopes as stream messages 1, 2, ..."""
    batch = [Delivered(n, e) for n, e in enumerate(envelopes, start=1)]
    apply_batch(database, CaseListProjection(), batch)


def test_a_closure_sets_status_date_and_outcome_and_a_reopening_clears_them(
    read_models: SqliteReadModels,
) -> None:
    queries = CaseListQueries(read_models)
    events = a_lifecycle()
    project(read_models, events[:2])
    closed = queries.get_case(CASE)
    assert closed is not None
    assert (closed.status, closed.closed_on, closed.outcome, closed.last_position) == (
        "closed", date(2021, 6, 30), "autonomy", 3)
    assert [r.case_code for r in queries.list_cases("firenze", CaseFilters(status="closed")).rows
            ] == [CODE]

    project(read_models, events[:3])
    reopened = queries.get_case(CASE)
    assert reopened is not None
    assert (reopened.status, reopened.closed_on, reopened.outcome) == ("open", None, None)
    assert queries.list_cases("firenze", CaseFilters(status="closed")).rows == ()


def test_corrections_update_the_row_and_the_filters_follow(
    read_models: SqliteReadModels,
) -> None:
    queries = CaseListQueries(read_models)
    project(read_models, a_lifecycle()[:5])

    row = queries.get_case(CASE)
    assert row is not None
    assert (row.protection_status, row.vulnerabilities, row.household_size) == (
        "asylum_seeker", ("disability", "pregnancy"), 3)
    assert row.priority_group == "other_outside_reception"
    assert row.eligibility == ({"sub_action": "2", "eligible": True, "reason": "asylum_seeker"},)

    def listed(**filters: str) -> list[str]:
        return [r.case_code for r in queries.list_cases("firenze", CaseFilters(**filters)).rows]

    assert listed(vulnerability="pregnancy") == [CODE]
    assert listed(vulnerability="none") == []
    assert listed(protection_status="asylum_seeker") == [CODE]
    assert listed(protection_status="refugee") == []


def test_a_transfer_moves_the_case_and_keeps_the_old_city_s_handover(
    read_models: SqliteReadModels,
) -> None:
    queries = CaseListQueries(read_models)
    project(read_models, a_lifecycle())

    row = queries.get_case(CASE)
    assert row is not None and row.city == "milano" and row.outcome == "moved_away"
    assert queries.list_cases("firenze").rows == ()
    assert [r.case_code for r in queries.list_cases("milano").rows] == [CODE]
    handover = queries.handover(CASE, "firenze")
    assert handover == Handover(CASE, CODE, "firenze", "milano", date(2021, 7, 5), 9)
    assert queries.handover(CASE, "milano") is None
    assert queries.handover(UUID(int=2), "firenze") is None

    everything = [entry.position for entry in queries.history(CASE)]
    until_transfer = queries.history(CASE, until_position=handover.until_position)
    assert everything == [1, 3, 4, 6, 7, 9, 10]
    assert [entry.position for entry in until_transfer] == [1, 3, 4, 6, 7, 9]
    assert until_transfer[-1].type == "it.lgnet.case.transferred.v1"
    assert until_transfer[-1].data["from_city"] == "firenze"


def test_replaying_the_same_events_changes_nothing(tmp_path: Path) -> None:
    once, twice = (SqliteReadModels(tmp_path / f"{name}.sqlite") for name in ("once", "twice"))
    projection = CaseListProjection()
    try:
        for database in (once, twice):
            ensure_created(database, projection)
        project(once, a_lifecycle())
        project(twice, a_lifecycle())
        project(twice, a_lifecycle())  # a redelivery from the start: tracking skips it
        with twice.transaction() as tx:  # and applied again regardless of tracking
            projection.apply_all(tx, a_lifecycle())
        assert rows_of(once) == rows_of(twice)
        assert len(rows_of(once)["rm_case_handovers"]) == 1
    finally:
        once.close()
        twice.close()


def rows_of(database: SqliteReadModels) -> dict[str, list[tuple[Any, ...]]]:
    with database.reading() as tx:
        return {table: sorted(tx.fetchall(f"SELECT * FROM {table}"))
                for table in ("rm_cases", "rm_case_history", "rm_case_handovers")}
