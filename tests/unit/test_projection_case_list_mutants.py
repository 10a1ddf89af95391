"""The case list (projections/case_list.py) on SQLite, as the mutation pass of issue 20 holds it
(docs/testing.md, "Projections pass, part 2"): each case's row field by field after every event
that changes it (and `last_position`), the case's timeline entry by entry, the handovers, the
list's filters each at their edges (an intake month's first and last day and one day past;
`minor` against `unaccompanied_minor`), its order and pages, the work items at their due moment
and one microsecond before, redeliveries changing nothing, and a reset emptying the model.

Rules encoded (/work/shared/design/DOMAIN.md, case management and personal data): a residence
permit about to expire is due for renewal 60 days before the end of its expiry day in Italy; an
unaccompanied minor without a guardian is due from the intake (l. 47/2017); a consent naming
organisations is not a consent to the purpose as a whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from events.cloudevents import Actor, Envelope, event_id, source_for
from events.contracts import (
    CaseAgeBandChangedV1,
    CaseCameOfAgeV1,
    CaseClosedV2,
    CaseConsentGivenV2,
    CaseConsentWithdrawnV2,
    CaseGuardianAppointedV1,
    CaseIntakeCorrectedV3,
    CaseIntakeRecordedV2,
    CasePersonalDataErasedV2,
    CaseReopenedV2,
    CaseStatusChangedV1,
    CaseTransferredV1,
    CaseVulnerabilityAssessedV1,
    Eligibility,
    EventContract,
    FieldChange,
)
from projections.case_list import (
    GUARDIAN_MISSING_ITEM,
    PERMIT_EXPIRING,
    CaseFilters,
    CaseListProjection,
    CaseListQueries,
    CasePage,
    CaseRow,
    Handover,
    HistoryEntry,
    _delimited,
    _eligible_json,
    _iso,
    cases_named,
)
from projections.projection import Delivered, WorkItem, apply_batch, ensure_created, reset
from projections.storage.read_models import SqliteReadModels

T0 = datetime(2021, 3, 10, 9, 30, tzinfo=UTC)
COORDINATOR = Actor(kind="user", id="coordinator-7", role="city_coordinator", city="firenze")
SYSTEM = Actor(kind="system", id="scheduler", role="system", city=None)
ITALY = ZoneInfo("Europe/Rome")
ELIGIBLE_2 = Eligibility(sub_action="2", eligible=True, reason="asylum_seeker")
NOT_ELIGIBLE_3 = Eligibility(sub_action="3", eligible=False, reason="not_vulnerable")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SqliteReadModels]:
    db = SqliteReadModels(tmp_path / "readmodels.sqlite")
    ensure_created(db, CaseListProjection())
    yield db
    db.close()


def code(number: int, city: str = "firenze") -> str:
    return f"{city[:2].upper()}-2021-{number:05d}"


def an_intake(number: int = 1, city: str = "firenze", **overrides: Any) -> CaseIntakeRecordedV2:
    fields: dict[str, Any] = {
        "case_id": UUID(int=number), "case_code": code(number, city), "city": city,
        "intake_date": date(2021, 3, 10), "protection_status": "appellant",
        "permit_expires_on": date(2021, 9, 1), "reception_situation": "leaving_reception",
        "left_reception_on": None, "planned_exit_on": date(2021, 4, 30),
        "reception_centre_kind": "siproimi", "sex": "male", "age_band": "25-34",
        "citizenship": "NG", "has_identity_document": True, "household_size": 2,
        "vulnerabilities": ["torture_or_serious_violence", "disability"],
        "information_notice_given_on": date(2021, 3, 10), "information_notice_language": "en",
        "legal_bases": [{"purpose": "case_management", "legal_basis": "public_task"}],
        "consents": [{"purpose": "statistics", "given_on": date(2021, 3, 10)},
                     {"purpose": "photographs", "given_on": date(2021, 3, 10)}],
        "priority_group": "other_outside_reception",
        "eligibility": [ELIGIBLE_2, NOT_ELIGIBLE_3],
    }
    return CaseIntakeRecordedV2(**fields | overrides)


def a_plain_intake(number: int, city: str = "firenze", **overrides: Any) -> CaseIntakeRecordedV2:
    """An intake with none of the optional facts: no permit expiry, exit, vulnerabilities,
    citizenship or consents."""
    plain: dict[str, Any] = {
        "permit_expires_on": None, "reception_situation": "left_reception",
        "left_reception_on": date(2021, 1, 15), "planned_exit_on": None,
        "reception_centre_kind": None, "citizenship": None, "vulnerabilities": [],
        "consents": [], "eligibility": [],
    }
    return an_intake(number, city, **plain | overrides)


def envelope_of(data: EventContract, position: int, time: datetime = T0,
                actor: Actor = COORDINATOR) -> Envelope:
    case_id = str(getattr(data, "case_id", "none"))
    return Envelope(id=event_id(case_id, position), source=source_for(str(data.city)),  # type: ignore[attr-defined]
                    type=data.ce_type(), subject=str(getattr(data, "case_code", "x")),
                    time=time, position=position, actor=actor, data=data)


def project(database: SqliteReadModels, *events: EventContract, first: int = 1,
            time: datetime = T0) -> list[Delivered]:
    batch = [Delivered(n, envelope_of(e, n, time)) for n, e in enumerate(events, start=first)]
    apply_batch(database, CaseListProjection(), batch)
    return batch


def case_of(database: SqliteReadModels, number: int = 1) -> CaseRow:
    row = CaseListQueries(database).get_case(UUID(int=number))
    assert row is not None
    return row


def stored(database: SqliteReadModels, column: str, number: int = 1) -> Any:
    with database.reading() as tx:
        row = tx.fetchone(f"SELECT {column} FROM rm_cases WHERE case_id = ?",
                          (str(UUID(int=number)),))
    assert row is not None
    return row[0]


def the_intake_row(**changes: Any) -> CaseRow:
    row = CaseRow(
        case_id=UUID(int=1), case_code="FI-2021-00001", city="firenze", status="open",
        intake_date=date(2021, 3, 10), protection_status="appellant",
        reception_situation="leaving_reception", sex="male", age_band="25-34",
        citizenship="NG", household_size=2,
        vulnerabilities=("torture_or_serious_violence", "disability"),
        priority_group="other_outside_reception",
        eligibility=({"sub_action": "2", "eligible": True, "reason": "asylum_seeker"},
                     {"sub_action": "3", "eligible": False, "reason": "not_vulnerable"}),
        opened_at=T0, last_position=1, personal_data_erased_on=None, closed_on=None,
        outcome=None, permit_expires_on=date(2021, 9, 1), reception_centre_kind="siproimi",
        planned_exit_on=date(2021, 4, 30), consents=("photographs", "statistics"),
        guardian_appointed_on=None,
    )
    return CaseRow(**row.__dict__ | changes)


# The case's row ---------------------------------------------------------------------------------


def test_an_intake_makes_the_row_field_by_field(database: SqliteReadModels) -> None:
    project(database, an_intake(1))

    assert case_of(database) == the_intake_row()
    # Delimited with a comma at each end, so that a LIKE '%,minor,%' matches the code exactly;
    # consents in name order.
    assert stored(database, "vulnerabilities") == ",torture_or_serious_violence,disability,"
    assert stored(database, "consents") == ",photographs,statistics,"
    assert json.loads(stored(database, "eligibility")) == [
        {"sub_action": "2", "eligible": True, "reason": "asylum_seeker"},
        {"sub_action": "3", "eligible": False, "reason": "not_vulnerable"}]
    assert stored(database, "opened_at") == T0.isoformat()


def test_an_intake_without_the_optional_facts(database: SqliteReadModels) -> None:
    project(database, a_plain_intake(1))

    assert case_of(database) == the_intake_row(
        reception_situation="left_reception", citizenship=None, vulnerabilities=(),
        eligibility=(), permit_expires_on=None, reception_centre_kind=None,
        planned_exit_on=None, consents=())
    for column in ("vulnerabilities", "consents"):
        assert stored(database, column) == ""
    for column in ("permit_expires_on", "planned_exit_on", "personal_data_erased_on",
                   "closed_on", "outcome", "guardian_appointed_on", "citizenship"):
        assert stored(database, column) is None
    assert stored(database, "eligibility") == "[]"


def test_the_same_intake_again_keeps_the_first_row(database: SqliteReadModels) -> None:
    with database.transaction() as tx:
        CaseListProjection().apply(tx, envelope_of(an_intake(1), 1))
        CaseListProjection().apply(tx, envelope_of(an_intake(1, sex="female"), 2))

    assert case_of(database) == the_intake_row()


def test_a_redelivered_batch_changes_nothing(database: SqliteReadModels) -> None:
    closing = CaseClosedV2(case_id=UUID(int=1), case_code=code(1), city="firenze",
                           closed_on=date(2021, 5, 2), outcome="autonomy", reason_id=None,
                           reason_digest=None)
    batch = project(database, an_intake(1), closing)
    before = (case_of(database), CaseListQueries(database).history(UUID(int=1)))

    apply_batch(database, CaseListProjection(), batch)
    apply_batch(database, CaseListProjection(), batch[1:])

    assert (case_of(database), CaseListQueries(database).history(UUID(int=1))) == before
    assert before[0].status == "closed"
    assert len(before[1]) == 2


def test_closing_and_reopening(database: SqliteReadModels) -> None:
    project(database, an_intake(1))
    project(database, CaseClosedV2(case_id=UUID(int=1), case_code=code(1), city="firenze",
                                   closed_on=date(2021, 5, 2), outcome="lost_contact",
                                   reason_id=None, reason_digest=None), first=2)
    assert case_of(database) == the_intake_row(status="closed", closed_on=date(2021, 5, 2),
                                               outcome="lost_contact", last_position=2)

    project(database, CaseReopenedV2(case_id=UUID(int=1), case_code=code(1), city="firenze",
                                     reopened_on=date(2021, 6, 1), reason_id=None,
                                     reason_digest=None), first=3)
    assert case_of(database) == the_intake_row(last_position=3)
    assert stored(database, "closed_on") is None and stored(database, "outcome") is None


def test_an_erasure_dates_the_row(database: SqliteReadModels) -> None:
    project(database, an_intake(1), CasePersonalDataErasedV2(
        case_id=UUID(int=1), case_code=code(1), city="firenze", requested_on=date(2021, 4, 2),
        request_reference="PG/2021/0012345", legal_basis="art17_1a"))

    assert case_of(database) == the_intake_row(personal_data_erased_on=date(2021, 4, 2),
                                               last_position=2)


def test_a_correction_sets_each_corrected_column(database: SqliteReadModels) -> None:
    changes = [
        FieldChange(field="protection_status", before="appellant", after="refugee", corrects="a"),
        FieldChange(field="permit_expires_on", before="2021-09-01", after="2026-09-01",
                    corrects="a"),
        FieldChange(field="sex", before="male", after="female", corrects="a"),
        FieldChange(field="citizenship", before="NG", after=None, corrects="a"),
        FieldChange(field="household_size", before=2, after=4, corrects="a"),
        FieldChange(field="vulnerabilities", before=["disability"], after=["elderly", "minor"],
                    corrects="a"),
    ]
    project(database, an_intake(1), CaseIntakeCorrectedV3(
        case_id=UUID(int=1), case_code=code(1), city="firenze", changes=changes,
        reason_id=UUID(int=77), reason_digest="0" * 64, priority_group="international_protection",
        eligibility=[NOT_ELIGIBLE_3]))

    assert case_of(database) == the_intake_row(
        protection_status="refugee", permit_expires_on=date(2026, 9, 1), sex="female",
        citizenship=None, household_size=4, vulnerabilities=("elderly", "minor"),
        priority_group="international_protection",
        eligibility=({"sub_action": "3", "eligible": False, "reason": "not_vulnerable"},),
        last_position=2)
    assert stored(database, "vulnerabilities") == ",elderly,minor,"


def test_a_correction_of_one_field_leaves_the_others(database: SqliteReadModels) -> None:
    project(database, an_intake(1), CaseIntakeCorrectedV3(
        case_id=UUID(int=1), case_code=code(1), city="firenze",
        changes=[FieldChange(field="vulnerabilities", before=["disability"], after=[],
                             corrects="a")],
        reason_id=UUID(int=77), reason_digest="0" * 64, priority_group="other_outside_reception",
        eligibility=[ELIGIBLE_2, NOT_ELIGIBLE_3]))

    assert case_of(database) == the_intake_row(vulnerabilities=(), last_position=2)
    assert stored(database, "vulnerabilities") == ""


def test_a_status_decision(database: SqliteReadModels) -> None:
    project(database, an_intake(1), CaseStatusChangedV1(
        case_id=UUID(int=1), case_code=code(1), city="firenze", decided_on=date(2021, 6, 1),
        protection_status="refugee", permit_expires_on=date(2026, 6, 1),
        priority_group="international_protection", eligibility=[ELIGIBLE_2]))

    assert case_of(database) == the_intake_row(
        protection_status="refugee", permit_expires_on=date(2026, 6, 1),
        priority_group="international_protection",
        eligibility=({"sub_action": "2", "eligible": True, "reason": "asylum_seeker"},),
        last_position=2)

    project(database, CaseStatusChangedV1(
        case_id=UUID(int=1), case_code=code(1), city="firenze", decided_on=date(2021, 7, 1),
        protection_status="no_valid_permit", permit_expires_on=None,
        priority_group="international_protection", eligibility=[]), first=3)
    assert case_of(database).permit_expires_on is None
    assert case_of(database).eligibility == ()
    assert case_of(database).last_position == 3


def consent(number: int, purpose: str, *, given: bool = True,
            organisations: tuple[UUID, ...] = ()) -> EventContract:
    if given:
        return CaseConsentGivenV2(case_id=UUID(int=number), case_code=code(number),
                                  city="firenze", purpose=purpose,  # type: ignore[arg-type]
                                  given_on=date(2021, 4, 1), organisation_ids=list(organisations))
    return CaseConsentWithdrawnV2(case_id=UUID(int=number), case_code=code(number),
                                  city="firenze", purpose=purpose,  # type: ignore[arg-type]
                                  withdrawn_on=date(2021, 4, 1),
                                  organisation_ids=list(organisations))


def test_consents_given_and_withdrawn(database: SqliteReadModels) -> None:
    project(database, a_plain_intake(1), consent(1, "statistics"))
    assert stored(database, "consents") == ",statistics,"
    assert case_of(database).consents == ("statistics",)
    assert case_of(database).last_position == 2

    project(database, consent(1, "photographs"), first=3)
    assert stored(database, "consents") == ",statistics,photographs,"
    assert case_of(database).consents == ("statistics", "photographs")

    project(database, consent(1, "statistics", given=False), first=4)
    assert stored(database, "consents") == ",photographs,"
    assert case_of(database).last_position == 4

    project(database, consent(1, "photographs", given=False), first=5)
    assert stored(database, "consents") == ""
    assert case_of(database).consents == ()
    assert case_of(database).last_position == 5


def test_a_consent_naming_organisations_changes_no_purpose(database: SqliteReadModels) -> None:
    caritas = UUID(int=900)
    project(database, a_plain_intake(1),
            consent(1, "referral_to_named_partner", organisations=(caritas,)),
            consent(1, "statistics"),
            consent(1, "statistics", given=False, organisations=(caritas,)))

    assert case_of(database).consents == ("statistics",)
    assert case_of(database).last_position == 3
    # ... but each is on the case's timeline.
    assert [e.position for e in CaseListQueries(database).history(UUID(int=1))] == [1, 2, 3, 4]


def test_an_age_band_change(database: SqliteReadModels) -> None:
    project(database, an_intake(1), CaseAgeBandChangedV1(
        case_id=UUID(int=1), case_code=code(1), city="firenze", from_month="2021-05",
        age_band="35-64", previous_age_band="25-34", reason="birthday"))

    assert case_of(database) == the_intake_row(age_band="35-64", last_position=2)


def test_coming_of_age_and_an_assessment_set_vulnerabilities_and_eligibility(
    database: SqliteReadModels,
) -> None:
    project(database, an_intake(1, vulnerabilities=["unaccompanied_minor"]), CaseCameOfAgeV1(
        case_id=UUID(int=1), case_code=code(1), city="firenze", from_month="2021-05",
        vulnerabilities=["disability"], eligibility=[ELIGIBLE_2]))
    eligible = ({"sub_action": "2", "eligible": True, "reason": "asylum_seeker"},)
    assert case_of(database) == the_intake_row(vulnerabilities=("disability",),
                                               eligibility=eligible, last_position=2)

    project(database, CaseVulnerabilityAssessedV1(
        case_id=UUID(int=1), case_code=code(1), city="firenze", vulnerability="elderly",
        assessed_on=date(2021, 6, 1), assessed_by="health_service",
        vulnerabilities=["disability", "elderly"], eligibility=[NOT_ELIGIBLE_3]), first=3)
    assert case_of(database) == the_intake_row(
        vulnerabilities=("disability", "elderly"),
        eligibility=({"sub_action": "3", "eligible": False, "reason": "not_vulnerable"},),
        last_position=3)
    assert stored(database, "vulnerabilities") == ",disability,elderly,"


def a_guardian(number: int, on: date = date(2021, 3, 20)) -> CaseGuardianAppointedV1:
    return CaseGuardianAppointedV1(case_id=UUID(int=number), case_code=code(number),
                                   city="firenze", appointed_on=on)


def test_a_guardian_appointed(database: SqliteReadModels) -> None:
    project(database, an_intake(1, vulnerabilities=["unaccompanied_minor"]))
    assert case_of(database).needs_guardian
    assert case_of(database).is_vulnerable

    project(database, a_guardian(1), first=2)

    row = case_of(database)
    assert row == the_intake_row(vulnerabilities=("unaccompanied_minor",),
                                 guardian_appointed_on=date(2021, 3, 20), last_position=2)
    assert not row.needs_guardian


def test_the_guardian_flag_and_vulnerability_of_a_row() -> None:
    assert not the_intake_row(vulnerabilities=("minor",)).needs_guardian
    assert not the_intake_row(vulnerabilities=()).is_vulnerable
    assert the_intake_row(vulnerabilities=("minor",)).is_vulnerable
    assert the_intake_row(vulnerabilities=("unaccompanied_minor",)).needs_guardian


def a_transfer(number: int, from_city: str, to_city: str,
               on: date = date(2021, 4, 1)) -> CaseTransferredV1:
    return CaseTransferredV1(case_id=UUID(int=number), case_code=code(number), city=to_city,
                             from_city=from_city, referral_id=UUID(int=10_000 + number),
                             transferred_on=on)


def test_a_transfer_moves_the_row_and_records_a_handover(database: SqliteReadModels) -> None:
    project(database, an_intake(1), a_transfer(1, "firenze", "milano"))

    assert case_of(database) == the_intake_row(city="milano", last_position=2)
    queries = CaseListQueries(database)
    assert queries.handover(UUID(int=1), "firenze") == Handover(
        case_id=UUID(int=1), case_code="FI-2021-00001", from_city="firenze", to_city="milano",
        transferred_on=date(2021, 4, 1), until_position=2)
    assert queries.handover(UUID(int=1), "milano") is None
    assert queries.handover(UUID(int=2), "firenze") is None
    assert queries.list_cases("firenze").total == 0
    assert queries.list_cases("milano").rows == (case_of(database),)


def test_the_latest_handover_away_from_a_city(database: SqliteReadModels) -> None:
    project(database, an_intake(1), a_transfer(1, "firenze", "milano"),
            a_transfer(1, "milano", "firenze", date(2021, 5, 1)),
            a_transfer(1, "firenze", "roma", date(2021, 6, 1)))

    handover = CaseListQueries(database).handover(UUID(int=1), "firenze")
    assert handover == Handover(UUID(int=1), "FI-2021-00001", "firenze", "roma",
                                date(2021, 6, 1), 4)


def test_a_replayed_transfer_does_not_fail_on_the_handover_key(
    database: SqliteReadModels,
) -> None:
    transfer = envelope_of(a_transfer(1, "firenze", "milano"), 2)
    with database.transaction() as tx:
        CaseListProjection().apply(tx, envelope_of(an_intake(1), 1))
        CaseListProjection().apply(tx, transfer)
        CaseListProjection().apply(tx, transfer)

    with database.reading() as tx:
        assert tx.fetchall("SELECT case_id, case_code, from_city, to_city, transferred_on,"
                           " until_position FROM rm_case_handovers") == [
            (str(UUID(int=1)), "FI-2021-00001", "firenze", "milano", "2021-04-01", 2)]


def test_an_event_for_a_case_never_seen_changes_no_row(database: SqliteReadModels) -> None:
    project(database, an_intake(1), a_guardian(2), a_transfer(3, "firenze", "roma"))

    assert case_of(database) == the_intake_row()
    assert CaseListQueries(database).get_case(UUID(int=2)) is None


def test_an_event_of_another_kind_changes_no_row(database: SqliteReadModels) -> None:
    other = SimpleNamespace(case_id=UUID(int=1), model_dump_json=lambda: '{"x": 1}')
    with database.transaction() as tx:
        CaseListProjection().apply(tx, envelope_of(an_intake(1), 1))
        CaseListProjection().apply(tx, Envelope(
            id="other", source="lgnet/firenze", type="lgnet.other.v1", subject="x", time=T0,
            position=2, actor=SYSTEM, data=other))  # type: ignore[arg-type]

    assert case_of(database) == the_intake_row()
    assert [e.type for e in CaseListQueries(database).history(UUID(int=1))] == [
        "it.lgnet.case.intake_recorded.v2", "lgnet.other.v1"]


# The timeline -----------------------------------------------------------------------------------


def test_the_timeline_entry_by_entry_and_up_to_a_position(database: SqliteReadModels) -> None:
    later = T0 + timedelta(days=3)
    project(database, an_intake(1), an_intake(2))
    batch = [Delivered(3, envelope_of(a_guardian(1), 3, later, SYSTEM)),
             Delivered(4, envelope_of(a_transfer(1, "firenze", "bari"), 4, later))]
    apply_batch(database, CaseListProjection(), batch)
    queries = CaseListQueries(database)

    history = queries.history(UUID(int=1))
    assert [e.position for e in history] == [1, 3, 4]
    assert history[0] == HistoryEntry(
        position=1, time=T0, type="it.lgnet.case.intake_recorded.v2", actor_kind="user",
        actor_id="coordinator-7", actor_role="city_coordinator", actor_city="firenze",
        data=json.loads(an_intake(1).model_dump_json()))
    assert history[1] == HistoryEntry(
        position=3, time=later, type="it.lgnet.case.guardian_appointed.v1", actor_kind="system",
        actor_id="scheduler", actor_role="system", actor_city=None,
        data={"case_id": str(UUID(int=1)), "case_code": "FI-2021-00001", "city": "firenze",
              "appointed_on": "2021-03-20"})
    assert [e.position for e in queries.history(UUID(int=1), until_position=3)] == [1, 3]
    assert [e.position for e in queries.history(UUID(int=1), until_position=2)] == [1]
    assert [e.position for e in queries.history(UUID(int=1), until_position=0)] == []
    assert [e.position for e in queries.history(UUID(int=2))] == [2]
    assert queries.history(UUID(int=3)) == []


def test_an_event_naming_several_cases_is_on_each_timeline(database: SqliteReadModels) -> None:
    attendance = SimpleNamespace(case_ids=[UUID(int=2), UUID(int=1)],
                                 model_dump_json=lambda: '{"session": 1}')
    with database.transaction() as tx:
        CaseListProjection().apply(tx, Envelope(
            id="a", source="lgnet/firenze", type="lgnet.activity.attended.v1", subject="x",
            time=T0, position=5, actor=COORDINATOR, data=attendance))  # type: ignore[arg-type]

    for number in (1, 2):
        assert [(e.position, e.data) for e in CaseListQueries(database).history(UUID(int=number))
                ] == [(5, {"session": 1})]


def test_the_cases_an_event_names() -> None:
    assert cases_named(SimpleNamespace(case_id=UUID(int=1))) == (str(UUID(int=1)),)
    assert cases_named(SimpleNamespace(case_ids=[UUID(int=2), UUID(int=3)])) == (
        str(UUID(int=2)), str(UUID(int=3)))
    assert cases_named(SimpleNamespace(case_id=None, case_ids=None)) == ()
    assert cases_named(SimpleNamespace()) == ()


def test_the_small_helpers() -> None:
    assert _iso(date(2021, 3, 1)) == "2021-03-01"
    assert _iso(None) is None
    assert _delimited(["a", "b"]) == ",a,b,"
    assert _delimited(["a"]) == ",a,"
    assert _delimited([]) == ""
    assert _eligible_json("4") == '{"sub_action": "4", "eligible": true'


# The list ---------------------------------------------------------------------------------------


def codes(page: CasePage) -> list[str]:
    return [row.case_code for row in page.rows]


def test_the_list_is_latest_intake_first_then_by_code_descending(
    database: SqliteReadModels,
) -> None:
    project(database, a_plain_intake(1, intake_date=date(2021, 3, 1)),
            a_plain_intake(2, intake_date=date(2021, 3, 5)),
            a_plain_intake(3, intake_date=date(2021, 3, 1)),
            a_plain_intake(4, "milano", intake_date=date(2021, 3, 9)))

    page = CaseListQueries(database).list_cases("firenze")
    assert codes(page) == ["FI-2021-00002", "FI-2021-00003", "FI-2021-00001"]
    assert (page.total, page.page, page.page_size, page.pages) == (3, 1, 25, 1)


def test_pages(database: SqliteReadModels) -> None:
    project(database, *(a_plain_intake(n, intake_date=date(2021, 3, n)) for n in range(1, 6)))
    queries = CaseListQueries(database)

    first = queries.list_cases("firenze", page=1, page_size=2)
    assert codes(first) == ["FI-2021-00005", "FI-2021-00004"]
    assert (first.total, first.page, first.page_size, first.pages) == (5, 1, 2, 3)
    assert codes(queries.list_cases("firenze", page=2, page_size=2)) == [
        "FI-2021-00003", "FI-2021-00002"]
    last = queries.list_cases("firenze", page=3, page_size=2)
    assert codes(last) == ["FI-2021-00001"]
    assert last.total == 5 and last.page == 3
    assert codes(queries.list_cases("firenze", page=4, page_size=2)) == []
    # A page before the first is the first.
    zero = queries.list_cases("firenze", page=0, page_size=2)
    assert codes(zero) == ["FI-2021-00005", "FI-2021-00004"] and zero.page == 1
    assert queries.list_cases("firenze", page=-3, page_size=2).page == 1
    assert queries.list_cases("firenze", page_size=5).pages == 1
    assert queries.list_cases("firenze", page_size=4).pages == 2


def test_pages_of_an_empty_list() -> None:
    assert CasePage((), 0, 1, 25).pages == 1
    assert CasePage((), 25, 1, 25).pages == 1
    assert CasePage((), 26, 1, 25).pages == 2
    assert CasePage((), 50, 1, 25).pages == 2
    assert CasePage((), 51, 1, 25).pages == 3


def test_each_filter(database: SqliteReadModels) -> None:
    project(
        database,
        a_plain_intake(1, protection_status="refugee", sex="female", age_band="18-34",
                       citizenship="ER", vulnerabilities=["minor"]),
        a_plain_intake(2, protection_status="appellant", sex="male", age_band="35-64",
                       vulnerabilities=["unaccompanied_minor"]),
        a_plain_intake(3, protection_status="appellant", sex="female", age_band="35-64",
                       citizenship="NG"),
        CaseClosedV2(case_id=UUID(int=3), case_code=code(3), city="firenze",
                     closed_on=date(2021, 5, 2), outcome="autonomy", reason_id=None,
                     reason_digest=None),
    )
    queries = CaseListQueries(database)

    def listed(**filters: Any) -> list[str]:
        return sorted(codes(queries.list_cases("firenze", CaseFilters(**filters))))

    one, two, three = "FI-2021-00001", "FI-2021-00002", "FI-2021-00003"
    assert listed() == [one, two, three]
    assert listed(status="open") == [one, two]
    assert listed(status="closed") == [three]
    assert listed(protection_status="appellant") == [two, three]
    assert listed(sex="female") == [one, three]
    assert listed(age_band="35-64") == [two, three]
    assert listed(outcome="autonomy") == [three]
    assert listed(citizenship="none") == [two]
    assert listed(citizenship="NG") == [three]
    assert listed(vulnerability="any") == [one, two]
    assert listed(vulnerability="none") == [three]
    assert listed(vulnerability="minor") == [one]
    assert listed(vulnerability="unaccompanied_minor") == [two]
    assert listed(guardian="missing") == [two]
    assert listed(guardian="other") == [one, two, three]
    assert listed(sex="female", protection_status="appellant", status="closed") == [three]
    assert listed(sex="female", status="open", citizenship="NG") == []
    assert queries.list_cases("firenze", CaseFilters(sex="male")).total == 1


def test_the_guardian_filter_leaves_out_a_minor_with_a_guardian(
    database: SqliteReadModels,
) -> None:
    project(database, a_plain_intake(1, vulnerabilities=["unaccompanied_minor"]),
            a_plain_intake(2, vulnerabilities=["unaccompanied_minor"]), a_guardian(1))

    assert codes(CaseListQueries(database).list_cases(
        "firenze", CaseFilters(guardian="missing"))) == ["FI-2021-00002"]


def test_the_intake_month_from_its_first_day_to_its_last(database: SqliteReadModels) -> None:
    project(database, *(a_plain_intake(n, intake_date=day) for n, day in enumerate(
        [date(2021, 2, 28), date(2021, 3, 1), date(2021, 3, 31), date(2021, 4, 1)], start=1)))

    page = CaseListQueries(database).list_cases("firenze", CaseFilters(intake_month="2021-03"))
    assert codes(page) == ["FI-2021-00003", "FI-2021-00002"]
    assert page.total == 2


def test_eligible_for_a_sub_action_means_eligible_there(database: SqliteReadModels) -> None:
    project(database,
            a_plain_intake(1, eligibility=[ELIGIBLE_2, NOT_ELIGIBLE_3]),
            a_plain_intake(2, eligibility=[Eligibility(sub_action="3", eligible=True,
                                                       reason="vulnerable")]),
            a_plain_intake(3))
    queries = CaseListQueries(database)

    assert codes(queries.list_cases("firenze", CaseFilters(eligible_for="2"))) == [
        "FI-2021-00001"]
    assert codes(queries.list_cases("firenze", CaseFilters(eligible_for="3"))) == [
        "FI-2021-00002"]
    assert codes(queries.list_cases("firenze", CaseFilters(eligible_for="4"))) == []


def test_only_the_cases_asked_for(database: SqliteReadModels) -> None:
    project(database, *(a_plain_intake(n, intake_date=date(2021, 3, n)) for n in (1, 2, 3)))
    queries = CaseListQueries(database)

    mine = queries.list_cases("firenze", case_ids=frozenset({UUID(int=1), UUID(int=3)}))
    assert codes(mine) == ["FI-2021-00003", "FI-2021-00001"]
    assert mine.total == 2
    assert codes(queries.list_cases("firenze", case_ids=frozenset({UUID(int=2)}))) == [
        "FI-2021-00002"]
    none = queries.list_cases("firenze", case_ids=frozenset())
    assert codes(none) == [] and none.total == 0
    assert queries.list_cases("firenze", case_ids=None).total == 3


def test_get_case_and_cases_by_id_across_chunks(database: SqliteReadModels) -> None:
    known = (1, 499, 500, 501, 650)
    project(database, *(a_plain_intake(n) for n in known))
    queries = CaseListQueries(database)

    found = queries.cases(UUID(int=n) for n in range(1, 700))
    assert sorted(found) == [UUID(int=n) for n in known]
    assert all(found[UUID(int=n)].case_code == code(n) for n in known)
    assert queries.cases([]) == {}
    assert queries.cases([UUID(int=2)]) == {}
    assert queries.cases([UUID(int=650), UUID(int=650)]) == {UUID(int=650): case_of(database, 650)}
    assert queries.get_case(UUID(int=2)) is None


# The work queue ---------------------------------------------------------------------------------


def test_a_permit_is_due_sixty_days_before_the_end_of_its_expiry_day(
    database: SqliteReadModels,
) -> None:
    """DOMAIN.md: a permit about to expire is due for renewal 60 days before it expires."""
    project(database, a_plain_intake(1, permit_expires_on=date(2021, 9, 1)))
    due = datetime(2021, 9, 2, tzinfo=ITALY) - timedelta(microseconds=1) - timedelta(days=60)
    queries = CaseListQueries(database)

    item = WorkItem(PERMIT_EXPIRING, "firenze", due, UUID(int=1), "FI-2021-00001", UUID(int=1))
    assert queries.work_items("firenze", due) == [item]
    assert queries.work_items("firenze", due + timedelta(days=300)) == [item]
    assert queries.work_items("firenze", due - timedelta(microseconds=1)) == []
    assert queries.work_items("milano", due) == []
    assert due.utcoffset() == timedelta(hours=2)  # summer time: the end of the day in Italy


def test_an_unaccompanied_minor_without_a_guardian_is_due_from_the_intake(
    database: SqliteReadModels,
) -> None:
    """DOMAIN.md (l. 47/2017): a guardian is asked for at once."""
    project(database, a_plain_intake(1, vulnerabilities=["unaccompanied_minor"]),
            a_plain_intake(2, vulnerabilities=["minor"]),
            a_plain_intake(3, vulnerabilities=["unaccompanied_minor"]),
            a_guardian(3))
    queries = CaseListQueries(database)

    item = WorkItem(GUARDIAN_MISSING_ITEM, "firenze", T0, UUID(int=1), "FI-2021-00001",
                    UUID(int=1))
    assert queries.work_items("firenze", T0) == [item]
    assert queries.work_items("firenze", T0 - timedelta(microseconds=1)) == []


def test_both_items_of_one_case_and_none_once_closed(database: SqliteReadModels) -> None:
    project(database, a_plain_intake(1, vulnerabilities=["unaccompanied_minor"],
                                     permit_expires_on=date(2021, 1, 31)))
    queries = CaseListQueries(database)
    permit_due = datetime(2021, 2, 1, tzinfo=ITALY) - timedelta(microseconds=1, days=60)

    assert queries.work_items("firenze", T0) == [
        WorkItem(PERMIT_EXPIRING, "firenze", permit_due, UUID(int=1), "FI-2021-00001",
                 UUID(int=1)),
        WorkItem(GUARDIAN_MISSING_ITEM, "firenze", T0, UUID(int=1), "FI-2021-00001",
                 UUID(int=1)),
    ]
    project(database, CaseClosedV2(case_id=UUID(int=1), case_code=code(1), city="firenze",
                                   closed_on=date(2021, 5, 2), outcome="autonomy",
                                   reason_id=None, reason_digest=None), first=2)
    assert queries.work_items("firenze", T0) == []


# The model's lifecycle --------------------------------------------------------------------------


def test_a_reset_empties_every_table(database: SqliteReadModels) -> None:
    project(database, an_intake(1), a_transfer(1, "firenze", "roma"))

    reset(database, CaseListProjection())

    with database.reading() as tx:
        for table in ("rm_cases", "rm_case_history", "rm_case_handovers"):
            assert tx.fetchall(f"SELECT * FROM {table}") == []
    project(database, an_intake(2))
    assert CaseListQueries(database).list_cases("firenze").total == 1


def test_the_whole_timeline_whatever_the_positions(database: SqliteReadModels) -> None:
    """Stream sequences grow without bound: the timeline with no handover has no upper limit
    (positions up to 2**62)."""
    project(database, an_intake(1), first=10**12)
    project(database, a_guardian(1), first=2**62)

    assert [e.position for e in CaseListQueries(database).history(UUID(int=1))] == [
        10**12, 2**62]


def test_the_vulnerability_patterns_match_as_postgresql_reads_like(
    database: SqliteReadModels,
) -> None:
    """PostgreSQL's LIKE tells letter case apart (SQLite's, by default, does not): with
    SQLite told to do the same, the patterns still find the unaccompanied minor."""
    with database.transaction() as tx:
        tx.execute("PRAGMA case_sensitive_like = ON")
    project(database, a_plain_intake(1, vulnerabilities=["unaccompanied_minor"]),
            a_plain_intake(2, eligibility=[ELIGIBLE_2]))
    queries = CaseListQueries(database)

    assert codes(queries.list_cases("firenze", CaseFilters(guardian="missing"))) == [
        "FI-2021-00001"]
    assert codes(queries.list_cases("firenze", CaseFilters(eligible_for="2"))) == [
        "FI-2021-00002"]
    assert codes(queries.list_cases(
        "firenze", CaseFilters(vulnerability="unaccompanied_minor"))) == ["FI-2021-00001"]
    assert [item.kind for item in queries.work_items("firenze", T0)] == [GUARDIAN_MISSING_ITEM]


def test_cases_by_id_past_the_second_chunk(database: SqliteReadModels) -> None:
    """Ids are read 500 to a query: a case in the third chunk (ids sorted) is found too."""
    project(database, a_plain_intake(1), a_plain_intake(1150))

    found = CaseListQueries(database).cases(UUID(int=n) for n in range(1, 1201))
    assert sorted(found) == [UUID(int=1), UUID(int=1150)]
