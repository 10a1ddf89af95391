"""The referrals board (projections/referrals.py) on SQLite, as the mutation pass of issue 20
holds it (docs/testing.md, "Projections pass, part 3"): each referral's row field by field after
every event that changes it (and `last_position`), the times stored as fixed-width UTC text,
requests and answers in one batch, redeliveries changing nothing; the board's three deadline
groups at their edges (due at the moment and one microsecond later; due within 24 hours and one
microsecond more), its filters and orders, the last 20 answers and the transfers asked of the
city; a case's referrals, a city's by kind, service and status; the work items at their due
moment and one microsecond after; the response times; a reset emptying the model.

Rule encoded (/work/shared/design/DOMAIN.md, "The work the platform records", Referral): a
referral is accepted or declined (with a reason), then completed or withdrawn; "Response times
matter: the programme exists for rapid response": the time from request to answer is kept in
seconds, and an answer given at its deadline is in time, one microsecond later is not."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from events.cloudevents import Actor, Envelope, utc_text
from events.contracts import EventContract
from events.organisations import OrganisationRegisteredV1
from events.referrals import (
    DeclineReason,
    ReferralAcceptedV1,
    ReferralCompletedV2,
    ReferralDeclinedV2,
    ReferralRequestedV4,
    ReferralWithdrawnV2,
)
from projections.projection import WorkItem, apply_batch, reset
from projections.referrals import (
    DUE_SOON,
    ON_TIME,
    OVERDUE,
    REFERRAL_ANSWER_DUE,
    TRANSFER_AWAITING_ACCEPTANCE,
    BoardFilters,
    ReferralBoard,
    ReferralBoardProjection,
    ReferralBoardQueries,
    ReferralRow,
    ResponseTimes,
)
from projections.storage.read_models import SqliteReadModels
from tests.read_models import Feed, an_envelope, feed_fixture, read_models_fixture

ITALY = ZoneInfo("Europe/Rome")
# Requested at 10:30 in Italy (summer time): 08:30 UTC.
T0 = datetime(2021, 6, 1, 10, 30, tzinfo=ITALY)
DUE = datetime(2021, 6, 4, 10, 30, tzinfo=ITALY)
OPERATOR = Actor(kind="user", id="firenze.op", role="city_operator", city="firenze")
PARTNER_STAFF = Actor(kind="user", id="roma.coord", role="city_coordinator", city="roma")
CARITAS = UUID(int=900)


def code(number: int, city: str = "firenze") -> str:
    return f"{city[:2].upper()}-2021-{number:05d}"


def request(number: int, city: str = "firenze", **overrides: Any) -> ReferralRequestedV4:
    fields: dict[str, Any] = {
        "referral_id": UUID(int=number), "case_id": UUID(int=1000 + number),
        "case_code": code(number, city), "city": city, "destination_kind": "city_service",
        "service": "health", "organisation_id": None, "partner_name": None, "to_city": None,
        "urgency": "ordinary", "due_at": DUE, "note_id": None, "note_digest": None,
        "legal_basis": "public_task",
    }
    return ReferralRequestedV4(**fields | overrides)


def answer_fields(number: int, city: str = "firenze") -> dict[str, Any]:
    return {"referral_id": UUID(int=number), "case_id": UUID(int=1000 + number),
            "case_code": code(number, city), "city": city}


def accepted(number: int, city: str = "firenze") -> ReferralAcceptedV1:
    return ReferralAcceptedV1(**answer_fields(number, city), to_city=None)


def declined(number: int, reason: DeclineReason = "no_capacity") -> ReferralDeclinedV2:
    return ReferralDeclinedV2(**answer_fields(number), to_city=None, reason=reason,
                              note_id=None, note_digest=None)


def completed(number: int) -> ReferralCompletedV2:
    return ReferralCompletedV2(**answer_fields(number), outcome_note_id=None,
                               outcome_note_digest=None)


def withdrawn(number: int) -> ReferralWithdrawnV2:
    return ReferralWithdrawnV2(**answer_fields(number), reason_id=None, reason_digest=None)


def organisation(name: str = "Caritas Firenze", organisation_id: UUID = CARITAS
                 ) -> OrganisationRegisteredV1:
    return OrganisationRegisteredV1(organisation_id=organisation_id, city="firenze", name=name,
                                    kind="ngo", registered_on=date(2021, 5, 1))


database = read_models_fixture(ReferralBoardProjection)


def envelope_of(data: EventContract, position: int) -> Envelope:
    """Recorded at T0 (a feed given (event, time) records it then) by Firenze's operator."""
    return an_envelope(data, position, time=T0, actor=OPERATOR)


feed = feed_fixture(ReferralBoardProjection, envelope_of)


def row_of(database: SqliteReadModels, number: int) -> ReferralRow:
    row = ReferralBoardQueries(database).referral(UUID(int=number))
    assert row is not None
    return row


def stored(database: SqliteReadModels, column: str, number: int = 1) -> Any:
    with database.reading() as tx:
        row = tx.fetchone(f"SELECT {column} FROM rm_referrals WHERE referral_id = ?",
                          (str(UUID(int=number)),))
    assert row is not None
    return row[0]


def the_request_row(**changes: Any) -> ReferralRow:
    row = ReferralRow(
        referral_id=UUID(int=1), case_id=UUID(int=1001), case_code="FI-2021-00001",
        city="firenze", destination_kind="city_service", service="health", partner_name=None,
        to_city=None, urgency="ordinary", due_at=DUE, legal_basis="public_task",
        status="requested", requested_at=T0, requested_by_role="city_operator",
        answered_at=None, response_seconds=None, decline_reason=None, finished_at=None,
        last_position=1, organisation_id=None,
    )
    return ReferralRow(**row.__dict__ | changes)


def ids(rows: tuple[ReferralRow, ...] | list[ReferralRow]) -> list[int]:
    return [row.referral_id.int for row in rows]


# The referral's row ----------------------------------------------------------------------------


def test_a_request_makes_the_row_field_by_field(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(request(1))

    row = row_of(database, 1)
    assert row == the_request_row()
    assert row.is_pending
    assert not row.is_transfer
    assert row.answered_in_time is None
    assert row.requested_at.utcoffset() == timedelta(0)
    # Fixed-width UTC text, so that comparing texts compares instants.
    assert stored(database, "due_at") == "2021-06-04T08:30:00.000000+00:00"
    assert stored(database, "requested_at") == "2021-06-01T08:30:00.000000+00:00"
    for column in ("answered_at", "response_seconds", "decline_reason", "finished_at",
                   "organisation_id", "partner_name", "to_city"):
        assert stored(database, column) is None
    assert ReferralBoardQueries(database).referral(UUID(int=2)) is None


def test_instant_is_fixed_width_utc_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Rome")
    time.tzset()
    try:
        assert utc_text(datetime(2021, 1, 2, 3, 4, 5, 6, tzinfo=ITALY)) == (
            "2021-01-02T02:04:05.000006+00:00")
        assert utc_text(datetime(2021, 12, 31, 23, 59, 59, tzinfo=UTC)) == (
            "2021-12-31T23:59:59.000000+00:00")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_transfer_and_a_legacy_partner_read_back_as_requested(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(request(1, destination_kind="transfer", service=None, to_city="roma",
                 urgency="immediate", legal_basis="public_task"),
         request(2, destination_kind="partner", service=None, partner_name="Caritas",
                 legal_basis="not_recorded", urgency="within_72_hours"))

    transfer, partner = row_of(database, 1), row_of(database, 2)
    assert transfer == the_request_row(destination_kind="transfer", service=None,
                                       to_city="roma", urgency="immediate")
    assert transfer.is_transfer
    assert partner == the_request_row(
        referral_id=UUID(int=2), case_id=UUID(int=1002), case_code="FI-2021-00002",
        destination_kind="partner", service=None, partner_name="Caritas",
        legal_basis="not_recorded", urgency="within_72_hours", last_position=2)
    assert not partner.is_transfer


def test_a_registered_partner_is_named_from_its_registration(
    database: SqliteReadModels, feed: Feed
) -> None:
    partner: dict[str, Any] = {"destination_kind": "partner", "service": None,
                               "legal_basis": "consent"}
    feed(request(1, organisation_id=CARITAS, **partner))
    # Before its registration reaches the board, the partner has no name.
    assert row_of(database, 1).partner_name is None
    assert row_of(database, 1).organisation_id == CARITAS

    feed(organisation("Caritas Firenze"), request(2, organisation_id=UUID(int=901), **partner))
    # A second registration of the same id changes nothing (the first name stays).
    feed(organisation("Altro nome"))

    assert row_of(database, 1) == the_request_row(
        destination_kind="partner", service=None, legal_basis="consent",
        organisation_id=CARITAS, partner_name="Caritas Firenze")
    assert stored(database, "organisation_id") == str(CARITAS)
    assert stored(database, "partner_name") is None
    assert row_of(database, 2).partner_name is None
    with database.reading() as tx:
        assert tx.fetchall("SELECT partner_organisation_id, partner_organisation_name"
                           " FROM rm_referral_organisations") == [
            (str(CARITAS), "Caritas Firenze")]


def test_acceptance_records_the_answer_and_its_time_in_seconds(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(request(1))
    answered = T0 + timedelta(days=1, hours=2, minutes=3, seconds=4, microseconds=900_000)
    feed((accepted(1), answered))

    row = row_of(database, 1)
    assert row == the_request_row(status="accepted", answered_at=answered,
                                  response_seconds=93_784, last_position=2)
    assert not row.is_pending
    assert row.answered_in_time is True
    assert row.deadline(T0) is None
    assert stored(database, "answered_at") == "2021-06-02T10:33:04.900000+00:00"
    assert stored(database, "response_seconds") == 93_784


def test_an_answer_at_its_deadline_is_in_time_one_microsecond_later_is_not(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(request(1), request(2))
    feed((accepted(1), DUE), (declined(2), DUE + timedelta(microseconds=1)))

    assert row_of(database, 1).answered_in_time is True
    assert row_of(database, 2).answered_in_time is False
    assert row_of(database, 1).response_seconds == 3 * 24 * 3600
    assert row_of(database, 2).response_seconds == 3 * 24 * 3600


def test_a_decline_records_the_answer_and_its_reason(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(request(1))
    feed((declined(1, "not_eligible"), T0 + timedelta(seconds=59)))

    assert row_of(database, 1) == the_request_row(
        status="declined", answered_at=T0 + timedelta(seconds=59), response_seconds=59,
        decline_reason="not_eligible", last_position=2)


def test_completion_after_acceptance_keeps_the_answer(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(request(1))
    feed((accepted(1), T0 + timedelta(hours=1)))
    done = T0 + timedelta(days=10)
    feed((completed(1), done))

    assert row_of(database, 1) == the_request_row(
        status="completed", answered_at=T0 + timedelta(hours=1), response_seconds=3600,
        finished_at=done, last_position=3)
    assert stored(database, "finished_at") == "2021-06-11T08:30:00.000000+00:00"


def test_a_withdrawal_finishes_the_referral_unanswered(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(request(1), request(2))
    gone = T0 + timedelta(hours=5)
    feed((withdrawn(1), gone))

    assert row_of(database, 1) == the_request_row(status="withdrawn", finished_at=gone,
                                                  last_position=3)
    assert row_of(database, 1).deadline(DUE) is None
    assert row_of(database, 2) == the_request_row(
        referral_id=UUID(int=2), case_id=UUID(int=1002), case_code="FI-2021-00002",
        last_position=2)
    assert stored(database, "finished_at") == "2021-06-01T13:30:00.000000+00:00"


def test_an_answer_to_a_referral_never_seen_changes_nothing(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(request(1))
    feed(accepted(2), declined(3), completed(4), withdrawn(5))

    with database.reading() as tx:
        assert tx.fetchall("SELECT referral_id FROM rm_referrals") == [(str(UUID(int=1)),)]
    assert row_of(database, 1) == the_request_row()


def test_requests_and_answers_in_one_batch(database: SqliteReadModels, feed: Feed) -> None:
    """A run of requests is written before the answer that follows it, and the requests after
    the last answer are written too."""
    feed(request(1), request(2), (accepted(1), T0 + timedelta(seconds=10)), request(3),
         (declined(3), T0 + timedelta(seconds=20)), request(4), request(5))

    assert [(row_of(database, n).status, row_of(database, n).response_seconds,
             row_of(database, n).last_position) for n in range(1, 6)] == [
        ("accepted", 10, 3), ("requested", None, 2), ("declined", 20, 5),
        ("requested", None, 6), ("requested", None, 7)]


def test_one_event_applied_alone(database: SqliteReadModels, feed: Feed) -> None:
    projection = ReferralBoardProjection()
    with database.transaction() as tx:
        projection.apply(tx, envelope_of(request(1), 1))
        projection.apply(tx, an_envelope(accepted(1), 2, time=T0 + timedelta(seconds=30),
                                         actor=OPERATOR))

    assert row_of(database, 1) == the_request_row(
        status="accepted", answered_at=T0 + timedelta(seconds=30), response_seconds=30,
        last_position=2)


def test_a_redelivered_batch_and_a_repeated_request_change_nothing(
    database: SqliteReadModels, feed: Feed
) -> None:
    batch = feed(request(1), (accepted(1), T0 + timedelta(hours=2)), request(2))
    before = [row_of(database, 1), row_of(database, 2)]

    apply_batch(database, ReferralBoardProjection(), batch)
    apply_batch(database, ReferralBoardProjection(), batch[:1])
    # The same referral id requested again (a later message) keeps the first row.
    feed(request(2, urgency="immediate", service="legal_aid"))

    assert [row_of(database, 1), row_of(database, 2)] == before
    assert before[0].status == "accepted"


def test_a_reset_empties_the_tables(database: SqliteReadModels, feed: Feed) -> None:
    feed(organisation(), request(1, destination_kind="partner", service=None,
                                 organisation_id=CARITAS, legal_basis="consent"))

    reset(database, ReferralBoardProjection())

    with database.reading() as tx:
        for table in ("rm_referrals", "rm_referral_organisations"):
            assert tx.fetchall(f"SELECT * FROM {table}") == []
    feed(request(2))
    assert ids(ReferralBoardQueries(database).requested_in("firenze")) == [2]


# Deadlines and the board -----------------------------------------------------------------------


def test_the_deadline_at_its_edges() -> None:
    row = the_request_row()
    assert row.deadline(DUE) == OVERDUE
    assert row.deadline(DUE + timedelta(days=2)) == OVERDUE
    assert row.deadline(DUE - timedelta(microseconds=1)) == DUE_SOON
    assert row.deadline(DUE - timedelta(hours=24)) == DUE_SOON
    assert row.deadline(DUE - timedelta(hours=24, microseconds=1)) == ON_TIME
    assert the_request_row(status="declined").deadline(DUE) is None


def test_the_board_groups_pending_referrals_by_deadline_earliest_first(
    database: SqliteReadModels, feed: Feed
) -> None:
    now = DUE
    feed(request(1, due_at=now),  # overdue at the moment it is due
         request(2, due_at=now - timedelta(days=1)),
         request(3, due_at=now + timedelta(microseconds=1)),
         request(4, due_at=now + timedelta(hours=24)),
         request(5, due_at=now + timedelta(hours=24, microseconds=1)),
         request(6, due_at=now + timedelta(days=5)),
         # The same due moment: in case-code order.
         request(8, due_at=now + timedelta(hours=3)),
         request(7, due_at=now + timedelta(hours=3)),
         request(9, city="roma", due_at=now - timedelta(days=1)))

    board = ReferralBoardQueries(database).board("firenze", now)

    assert (board.city, board.now) == ("firenze", now)
    assert ids(board.overdue) == [2, 1]
    assert ids(board.due_soon) == [3, 7, 8, 4]
    assert ids(board.waiting) == [5, 6]
    assert ids(board.pending) == [2, 1, 3, 7, 8, 4, 5, 6]
    assert board.recently_answered == ()
    assert board.incoming_transfers == ()
    assert board.overdue[0] == the_request_row(
        referral_id=UUID(int=2), case_id=UUID(int=1002), case_code="FI-2021-00002",
        due_at=now - timedelta(days=1), last_position=2)


def test_the_board_filters_by_destination_kind_and_urgency(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(request(1),
         request(2, urgency="immediate"),
         request(3, destination_kind="partner", service=None, partner_name="Caritas",
                 legal_basis="consent"),
         request(4, destination_kind="partner", service=None, partner_name="Caritas",
                 legal_basis="consent", urgency="immediate"),
         request(5), request(6, urgency="immediate"), request(7, destination_kind="partner",
                                                              service=None, partner_name="X",
                                                              legal_basis="consent"))
    feed(accepted(5), accepted(6), accepted(7))
    queries = ReferralBoardQueries(database)

    def shown(filters: BoardFilters | None) -> tuple[list[int], list[int]]:
        board = queries.board("firenze", T0, filters)
        return ids(board.pending), sorted(ids(board.recently_answered))

    assert shown(None) == ([1, 2, 3, 4], [5, 6, 7])
    assert shown(BoardFilters()) == ([1, 2, 3, 4], [5, 6, 7])
    assert shown(BoardFilters(destination_kind="partner")) == ([3, 4], [7])
    assert shown(BoardFilters(urgency="immediate")) == ([2, 4], [6])
    assert shown(BoardFilters(destination_kind="partner", urgency="immediate")) == ([4], [])
    assert shown(BoardFilters(destination_kind="city_service", urgency="ordinary")) == (
        [1], [5])


def test_recently_answered_the_last_20_latest_first(
    database: SqliteReadModels, feed: Feed
) -> None:
    feed(*(request(n) for n in range(1, 24)), request(30, city="roma"))
    # 1..21 answered an hour apart; 22 answered first and then completed last; 23 waits.
    feed(*((accepted(n), T0 + timedelta(hours=n)) for n in range(1, 22)),
         (accepted(22), T0), (completed(22), T0 + timedelta(days=5)),
         (accepted(30, "roma"), T0 + timedelta(days=9)))

    board = ReferralBoardQueries(database).board("firenze", T0)

    assert ids(board.recently_answered) == [22, *range(21, 2, -1)]
    assert len(board.recently_answered) == 20
    assert ids(board.pending) == [23]
    assert board.recently_answered[0].finished_at == T0 + timedelta(days=5)


def test_incoming_transfers_are_those_asked_of_the_city_and_awaiting_it(
    database: SqliteReadModels, feed: Feed
) -> None:
    transfer: dict[str, Any] = {"destination_kind": "transfer", "service": None}
    feed(request(1, city="roma", to_city="firenze", due_at=DUE + timedelta(days=1), **transfer),
         request(3, city="milano", to_city="firenze", due_at=DUE, **transfer),
         request(2, city="napoli", to_city="firenze", due_at=DUE, **transfer),
         request(4, city="roma", to_city="firenze", **transfer),
         request(5, city="roma", to_city="milano", **transfer),
         request(6, to_city="roma", **transfer))
    feed(accepted(4, "roma"))

    board = ReferralBoardQueries(database).board("firenze", T0)

    assert ids(board.incoming_transfers) == [3, 2, 1]
    # The same due moment in case-code order: MI- before NA-.
    assert [r.case_code for r in board.incoming_transfers] == [
        "MI-2021-00003", "NA-2021-00002", "RO-2021-00001"]
    assert ids(board.pending) == [6]
    assert board.pending[0].is_transfer


# A case's, a city's ----------------------------------------------------------------------------


def test_a_cases_referrals_latest_first(database: SqliteReadModels, feed: Feed) -> None:
    case = UUID(int=77)
    feed((request(1, case_id=case), T0), (request(2, case_id=case), T0 + timedelta(days=2)),
         (request(3, case_id=case), T0 + timedelta(days=1)), request(4))

    queries = ReferralBoardQueries(database)
    assert ids(queries.of_case(case)) == [2, 3, 1]
    assert queries.of_case(case)[0].requested_at == T0 + timedelta(days=2)
    assert ids(queries.of_case(UUID(int=1004))) == [4]
    assert queries.of_case(UUID(int=5)) == []


def test_requested_in_a_city_by_kind_service_and_status(
    database: SqliteReadModels, feed: Feed
) -> None:
    later = T0 + timedelta(days=1)
    feed((request(1), T0), (request(2, service="legal_aid"), later),
         (request(3, destination_kind="partner", service=None, partner_name="Caritas",
                  legal_basis="consent"), later),
         (request(4, service="legal_aid"), T0), (request(5, city="roma"), later))
    feed(accepted(4))
    queries = ReferralBoardQueries(database)

    # The latest first; the same moment by referral id.
    assert ids(queries.requested_in("firenze")) == [2, 3, 1, 4]
    assert ids(queries.requested_in("firenze", destination_kind="city_service")) == [2, 1, 4]
    assert ids(queries.requested_in("firenze", service="legal_aid")) == [2, 4]
    assert ids(queries.requested_in("firenze", status="accepted")) == [4]
    assert ids(queries.requested_in("firenze", destination_kind="partner",
                                    status="requested")) == [3]
    assert ids(queries.requested_in("firenze", service="legal_aid", status="requested")) == [2]
    assert ids(queries.requested_in("roma")) == [5]


# Work items and response times -----------------------------------------------------------------


def test_work_items_due_by_the_moment_given(database: SqliteReadModels, feed: Feed) -> None:
    transfer: dict[str, Any] = {"destination_kind": "transfer", "service": None}
    feed(request(1, due_at=DUE),
         request(2, due_at=DUE + timedelta(microseconds=1)),
         request(3, destination_kind="partner", service=None, partner_name="Caritas",
                 legal_basis="consent", due_at=DUE - timedelta(days=1)),
         request(4, due_at=DUE - timedelta(days=2)),
         request(5, to_city="roma", due_at=DUE, **transfer),
         request(6, city="roma", to_city="firenze", due_at=DUE, **transfer),
         request(7, city="roma", to_city="firenze", due_at=DUE + timedelta(microseconds=1),
                 **transfer),
         request(8, city="roma", to_city="firenze", due_at=DUE, **transfer),
         request(9, city="roma", due_at=DUE))
    feed(accepted(4), declined(8))
    queries = ReferralBoardQueries(database)

    items = queries.work_items("firenze", DUE)

    assert sorted(items, key=lambda i: (i.kind, i.subject_id.int if i.subject_id else 0)) == [
        WorkItem(kind=REFERRAL_ANSWER_DUE, city="firenze", due=DUE, case_id=UUID(int=1001),
                 case_code="FI-2021-00001", subject_id=UUID(int=1)),
        WorkItem(kind=REFERRAL_ANSWER_DUE, city="firenze", due=DUE - timedelta(days=1),
                 case_id=UUID(int=1003), case_code="FI-2021-00003", subject_id=UUID(int=3)),
        WorkItem(kind=TRANSFER_AWAITING_ACCEPTANCE, city="firenze", due=DUE, case_id=None,
                 case_code="RO-2021-00006", subject_id=UUID(int=6)),
    ]
    assert [i.kind for i in items] == [REFERRAL_ANSWER_DUE, REFERRAL_ANSWER_DUE,
                                       TRANSFER_AWAITING_ACCEPTANCE]
    assert items[0].due.utcoffset() == timedelta(0)
    assert {i.subject_id.int for i in queries.work_items("firenze", DUE + timedelta(
        microseconds=1)) if i.subject_id} == {1, 2, 3, 6, 7}
    assert {i.subject_id.int for i in queries.work_items("firenze", DUE - timedelta(
        microseconds=1)) if i.subject_id} == {3}
    assert {(i.kind, i.subject_id.int) for i in queries.work_items("roma", DUE)
            if i.subject_id} == {(REFERRAL_ANSWER_DUE, 9), (TRANSFER_AWAITING_ACCEPTANCE, 5)}


def test_response_times_of_a_citys_answers(database: SqliteReadModels, feed: Feed) -> None:
    feed(*(request(n) for n in range(1, 6)), request(6, city="roma"))
    feed((accepted(1), T0 + timedelta(seconds=300)),
         (declined(2), DUE + timedelta(seconds=1)),  # late
         (accepted(3), T0 + timedelta(seconds=60)),
         (withdrawn(4), T0 + timedelta(seconds=5)),  # never answered
         (accepted(6, "roma"), T0 + timedelta(days=30)))
    queries = ReferralBoardQueries(database)

    assert queries.response_times("firenze") == ResponseTimes(
        city="firenze", answered=3, answered_in_time=2, longest_seconds=3 * 86_400 + 1,
        seconds=(60, 300, 3 * 86_400 + 1))
    assert queries.response_times("roma") == ResponseTimes(
        city="roma", answered=1, answered_in_time=0, longest_seconds=30 * 86_400,
        seconds=(30 * 86_400,))
    assert queries.response_times("milano") == ResponseTimes(
        city="milano", answered=0, answered_in_time=0, longest_seconds=None, seconds=())


def test_the_board_of_a_city_with_nothing(database: SqliteReadModels) -> None:
    board = ReferralBoardQueries(database).board("firenze", T0)
    assert board == ReferralBoard(city="firenze", now=T0, overdue=(), due_soon=(), waiting=(),
                                  recently_answered=(), incoming_transfers=())
