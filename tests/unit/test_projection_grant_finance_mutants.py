"""The grant's read models (projections/grant_finance.py, issue 13) on SQLite, as the mutation
pass of issue 20 holds them (docs/testing.md, "Projections pass"): the budget, the transfers,
the payments and each claim read back field by field, **as of** a moment at the moment and one
microsecond before it, events redelivered or arriving late changing nothing, and the orders.

Rule encoded (/work/shared/design/DOMAIN.md, "Finance as an EU grant is run"): the statements are
read as of any moment, by the time each event was recorded; a rejected claim admits nothing."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from events.cloudevents import Actor, Envelope
from events.finance import (
    BudgetGrantAdoptedV1,
    BudgetPaymentMadeV1,
    BudgetTransferApprovedV1,
    ClaimAdmissionConfirmedV1,
    ClaimCheckedV1,
    ClaimCorrectedV1,
    ClaimDisallowedPart,
    ClaimDraftedV1,
    ClaimRejectedV1,
    ClaimSubmittedV1,
    GrantBudgetLine,
)
from projections.finance import ClaimRow, FinanceProjection, FinanceQueries
from projections.grant_finance import (
    Disallowed,
    GrantBudgetView,
    GrantClaimRow,
    GrantLine,
    GrantPayment,
    GrantQueries,
    instant,
)
from projections.storage.read_models import SqliteReadModels
from tests.read_models import Feed
from tests.unit.test_projection_finance_mutants import (
    BUDGET,
    CITY_STAFF,
    MINISTRY,
    T0,
    database,
    envelope_of,
    feed,
)

__all__ = ["database", "feed"]  # the fixtures (the finance read model, fed), as this module's too
CUP = "J11B21000050006"
HOUR = timedelta(hours=1)
TICK = timedelta(microseconds=1)


def line(who: str, sub_action: str, heading: str, amount: str) -> GrantBudgetLine:
    return GrantBudgetLine(co_beneficiary=who, sub_action=sub_action,  # type: ignore[arg-type]
                           heading=heading, amount=amount)  # type: ignore[arg-type]


def adopted(*lines: GrantBudgetLine) -> BudgetGrantAdoptedV1:
    return BudgetGrantAdoptedV1(budget_id=BUDGET, lines=list(lines), total_cost="1.00",
                                act_reference="DM/2021/1", adopted_on=date(2021, 1, 4))


def transfer(amount: str, who: str = "firenze", source: tuple[str, str] = ("4", "staff"),
             target: tuple[str, str] = ("2", "travel")) -> BudgetTransferApprovedV1:
    return BudgetTransferApprovedV1(
        budget_id=BUDGET, co_beneficiary=who, from_sub_action=source[0],  # type: ignore[arg-type]
        from_heading=source[1], to_sub_action=target[0], to_heading=target[1],  # type: ignore[arg-type]
        amount=amount, reason="savings", act_reference="DM/2021/7",
        approved_on=date(2021, 6, 1))


def payment(amount: str, who: str = "firenze", reference: str = "OP/1") -> BudgetPaymentMadeV1:
    return BudgetPaymentMadeV1(budget_id=BUDGET, co_beneficiary=who, kind="interim",
                               amount=amount, value_date=date(2021, 7, 2), reference=reference)


def drafted(number: int, who: str = "firenze", **overrides: Any) -> ClaimDraftedV1:
    fields: dict[str, Any] = {
        "claim_id": UUID(int=number), "city": who if who in ("firenze", "milano") else "network",
        "co_beneficiary": who, "sub_action": "4", "heading": "services",
        "document_date": date(2021, 5, 3), "payment_date": date(2021, 5, 20),
        "gross_amount": "122.00", "eligible_amount": "100.00",
        "vat_treatment": "not_recoverable", "cup": CUP, "cig": "Z1A2B3C4D5", "corrects": None,
    }
    fields.update(overrides)
    return ClaimDraftedV1(**fields)


def submitted(claim: ClaimDraftedV1) -> ClaimSubmittedV1:
    return ClaimSubmittedV1(claim_id=claim.claim_id, city=claim.city,
                            co_beneficiary=claim.co_beneficiary,
                            eligible_amount=claim.eligible_amount,
                            documents=[UUID(int=900), UUID(int=901)])


def checked(claim: ClaimDraftedV1, admitted: str, *parts: tuple[str, str],
            confirmation_needed: bool = False) -> ClaimCheckedV1:
    return ClaimCheckedV1(
        claim_id=claim.claim_id, city=claim.city, co_beneficiary=claim.co_beneficiary,
        eligible_amount=claim.eligible_amount, admitted_amount=admitted,
        disallowed=[ClaimDisallowedPart(amount=a, reason=r) for a, r in parts],  # type: ignore[arg-type]
        confirmation_needed=confirmation_needed)


def confirmed(claim: ClaimDraftedV1, admitted: str) -> ClaimAdmissionConfirmedV1:
    return ClaimAdmissionConfirmedV1(claim_id=claim.claim_id, city=claim.city,
                                     co_beneficiary=claim.co_beneficiary, admitted_amount=admitted)


def rejected(claim: ClaimDraftedV1) -> ClaimRejectedV1:
    return ClaimRejectedV1(claim_id=claim.claim_id, city=claim.city,
                           co_beneficiary=claim.co_beneficiary,
                           eligible_amount=claim.eligible_amount, reason="no_proof")


def corrected(claim: ClaimDraftedV1, by: ClaimDraftedV1) -> ClaimCorrectedV1:
    return ClaimCorrectedV1(claim_id=claim.claim_id, city=claim.city,
                            co_beneficiary=claim.co_beneficiary, corrected_by=by.claim_id)


def at(hours: int, actor: Actor = CITY_STAFF) -> dict[str, Any]:
    return {"time": T0 + hours * HOUR, "actor": actor}


class TimedFeed:
    """Each event at its own store position and recorded time (hours after T0)."""

    def __init__(self, batches: Feed) -> None:
        self.feed = batches

    def __call__(self, *timed: tuple[int, Any] | tuple[int, Any, Actor]) -> None:
        envelopes: list[Envelope] = []
        for entry in timed:
            hours, data = entry[0], entry[1]
            actor = entry[2] if len(entry) > 2 else CITY_STAFF
            envelopes.append(envelope_of(data, self.feed.sequence + len(envelopes) + 1,
                                         time=T0 + hours * HOUR, actor=actor))
        self.feed(*envelopes)


def D(text: str) -> Decimal:
    return Decimal(text)


def test_the_budget_as_of_a_moment_is_the_latest_adoption_by_then(
    database: SqliteReadModels, feed: Feed
) -> None:
    timed = TimedFeed(feed)
    timed((1, adopted(line("milano", "4", "staff", "10.00"), line("firenze", "4", "staff",
                                                                    "100.00"))),
          (3, adopted(line("firenze", "4", "staff", "70.00"))))
    queries = GrantQueries(database)

    assert queries.budget(as_of=T0 + HOUR - TICK) == GrantBudgetView((), 0)
    assert queries.budget(as_of=T0 + HOUR) == GrantBudgetView((
        GrantLine("firenze", "4", "staff", D("100.00")),
        GrantLine("milano", "4", "staff", D("10.00"))), 1)
    assert queries.budget(as_of=T0 + 3 * HOUR - TICK).position == 1
    assert queries.budget() == GrantBudgetView((GrantLine("firenze", "4", "staff",
                                                          D("70.00")),), 2)
    assert queries.position() == 2
    assert queries.position(as_of=T0 + HOUR) == 1
    assert queries.position(as_of=T0) == 0


def test_transfers_after_the_adoption_move_money_between_lines_as_of_when_recorded(
    database: SqliteReadModels, feed: Feed
) -> None:
    timed = TimedFeed(feed)
    timed((1, adopted(line("firenze", "4", "staff", "100.00"),
                      line("firenze", "2", "travel", "5.00"))),
          (2, transfer("30.00")),
          (4, transfer("1.50", source=("2", "travel"), target=("6", "equipment"))))
    queries = GrantQueries(database)

    assert queries.budget(as_of=T0 + 2 * HOUR) == GrantBudgetView((
        GrantLine("firenze", "2", "travel", D("35.00")),
        GrantLine("firenze", "4", "staff", D("70.00"))), 2)
    assert queries.budget(as_of=T0 + 2 * HOUR - TICK).position == 1
    assert queries.budget() == GrantBudgetView((
        GrantLine("firenze", "2", "travel", D("33.50")),
        GrantLine("firenze", "4", "staff", D("70.00")),
        GrantLine("firenze", "6", "equipment", D("1.50"))), 3)
    assert queries.position() == 3
    assert queries.position(as_of=T0 + 2 * HOUR) == 2
    with database.reading() as tx:
        assert tx.fetchall("SELECT * FROM rm_grant_transfers WHERE position = 2") == [(
            2, instant(T0 + 2 * HOUR), "firenze", "4", "staff", "2", "travel", "30.00",
            "savings", "DM/2021/7", "2021-06-01")]


def test_a_transfer_before_a_new_adoption_no_longer_counts(
    database: SqliteReadModels, feed: Feed
) -> None:
    timed = TimedFeed(feed)
    timed((1, adopted(line("firenze", "4", "staff", "100.00"))), (2, transfer("30.00")),
          (3, adopted(line("firenze", "4", "staff", "90.00"))))

    assert GrantQueries(database).budget() == GrantBudgetView(
        (GrantLine("firenze", "4", "staff", D("90.00")),), 3)


def test_payments_read_back_latest_first_by_co_beneficiary_and_as_of(
    database: SqliteReadModels, feed: Feed
) -> None:
    timed = TimedFeed(feed)
    timed((1, payment("10.00")), (2, payment("20.00", who="anci", reference="OP/2")),
          (3, payment("30.00", reference="OP/3")))
    queries = GrantQueries(database)

    assert queries.payments() == (
        GrantPayment(3, T0 + 3 * HOUR, "firenze", "interim", D("30.00"), date(2021, 7, 2),
                     "OP/3"),
        GrantPayment(2, T0 + 2 * HOUR, "anci", "interim", D("20.00"), date(2021, 7, 2),
                     "OP/2"),
        GrantPayment(1, T0 + HOUR, "firenze", "interim", D("10.00"), date(2021, 7, 2),
                     "OP/1"),
    )
    assert [p.position for p in queries.payments("firenze")] == [3, 1]
    assert [p.position for p in queries.payments(as_of=T0 + 2 * HOUR)] == [2, 1]
    assert [p.position for p in queries.payments(as_of=T0 + 2 * HOUR - TICK)] == [1]
    assert [p.position for p in queries.payments("anci", as_of=T0 + 2 * HOUR - TICK)] == []
    assert queries.position() == 3
    assert queries.position(as_of=T0 + 3 * HOUR - TICK) == 2


def test_a_drafted_claim_reads_back_field_by_field(
    database: SqliteReadModels, feed: Feed
) -> None:
    claim = drafted(1)
    TimedFeed(feed)((2, claim))

    assert GrantQueries(database).claim(claim.claim_id) == GrantClaimRow(
        claim_id=UUID(int=1), co_beneficiary="firenze", city="firenze", sub_action="4",
        heading="services", document_date=date(2021, 5, 3), payment_date=date(2021, 5, 20),
        gross_amount=D("122.00"), eligible_amount=D("100.00"), vat_treatment="not_recoverable",
        cup=CUP, cig="Z1A2B3C4D5", corrects=None, corrected_by=None, drafted_at=T0 + 2 * HOUR,
        drafted_by="firenze.coord", submitted_at=None, state="draft",
        admitted_amount=D("0.00"), disallowed=())
    assert GrantQueries(database).claim(UUID(int=99)) is None
    with database.reading() as tx:
        assert tx.fetchall("SELECT last_position, rejection_reason FROM rm_grant_claims") == [
            (1, None)]


def test_a_claim_goes_through_its_states_each_read_as_of_its_moment(
    database: SqliteReadModels, feed: Feed
) -> None:
    claim = drafted(1)
    TimedFeed(feed)((1, claim), (2, submitted(claim)),
                    (3, checked(claim, "80.00", ("15.00", "no_proof"), ("5.00", "other"),
                                confirmation_needed=True), MINISTRY),
                    (4, confirmed(claim, "80.00"), MINISTRY))
    queries = GrantQueries(database)

    def state_at(hours: float) -> tuple[Any, ...]:
        (row,) = queries.claims(as_of=T0 + hours * HOUR)
        return row.state, row.admitted_amount, row.disallowed, row.awaits_check

    parts = (Disallowed(D("15.00"), "no_proof"), Disallowed(D("5.00"), "other"))
    assert queries.claims(as_of=T0 + HOUR - TICK) == ()
    assert state_at(1) == ("draft", D("0.00"), (), False)
    assert state_at(2) == ("submitted", D("0.00"), (), True)
    assert state_at(3) == ("awaiting_confirmation", D("80.00"), parts, True)
    assert state_at(4) == ("admitted", D("80.00"), parts, False)
    now = queries.claim(claim.claim_id)
    assert now is not None
    assert (now.submitted_at, now.state) == (T0 + 2 * HOUR, "admitted")
    assert queries.position() == 4
    assert queries.position(as_of=T0 + 3 * HOUR) == 3


def test_a_check_without_confirmation_admits_at_once(
    database: SqliteReadModels, feed: Feed
) -> None:
    claim = drafted(1)
    TimedFeed(feed)((1, claim), (2, submitted(claim)), (3, checked(claim, "100.00")))

    (row,) = GrantQueries(database).claims()

    assert (row.state, row.admitted_amount, row.disallowed) == ("admitted", D("100.00"), ())


def test_a_rejected_claim_admits_nothing_disallows_all_and_names_its_correction(
    database: SqliteReadModels, feed: Feed
) -> None:
    """DOMAIN.md, "Finance as an EU grant is run": a rejected claim is answered by a corrected
    one."""
    claim, correction = drafted(1), drafted(2, corrects=UUID(int=1), cig=None)
    TimedFeed(feed)((1, claim), (2, submitted(claim)), (3, rejected(claim), MINISTRY),
                    (4, correction), (4, corrected(claim, correction)))
    queries = GrantQueries(database)

    old, new = queries.claim(claim.claim_id), queries.claim(correction.claim_id)

    assert old is not None and new is not None
    assert (old.state, old.admitted_amount, old.disallowed, old.corrected_by) == (
        "rejected", D("0.00"), (Disallowed(D("100.00"), "no_proof"),), UUID(int=2))
    assert (new.corrects, new.cig, new.corrected_by, new.state) == (
        UUID(int=1), None, None, "draft")
    with database.reading() as tx:
        assert tx.fetchall("SELECT rejection_reason FROM rm_grant_claims WHERE claim_id = ?",
                           (str(UUID(int=1)),)) == [("no_proof",)]


def test_claims_are_listed_latest_first_then_by_id_and_filtered_by_co_beneficiary(
    database: SqliteReadModels, feed: Feed
) -> None:
    TimedFeed(feed)((1, drafted(3)), (1, drafted(2)), (2, drafted(1)),
                    (3, drafted(4, who="anci")))
    queries = GrantQueries(database)

    assert [c.claim_id.int for c in queries.claims()] == [4, 1, 2, 3]
    assert [c.claim_id.int for c in queries.claims("firenze")] == [1, 2, 3]
    assert [c.claim_id.int for c in queries.claims("firenze", as_of=T0 + HOUR)] == [2, 3]
    assert queries.claim(UUID(int=4)) is not None


def test_an_event_older_than_the_claims_last_change_does_not_undo_it(
    database: SqliteReadModels,
) -> None:
    claim = drafted(1)
    projection = FinanceProjection()
    with database.transaction() as tx:
        projection.apply(tx, envelope_of(claim, 1, **at(1)))
        projection.apply(tx, envelope_of(checked(claim, "100.00"), 5, **at(3, MINISTRY)))
        projection.apply(tx, envelope_of(submitted(claim), 4, **at(2)))
        # Redelivered: the same positions again change nothing.
        projection.apply(tx, envelope_of(claim, 1, **at(9)))
        projection.apply(tx, envelope_of(checked(claim, "1.00"), 5, **at(9, MINISTRY)))

    row = GrantQueries(database).claim(claim.claim_id)

    assert row is not None
    assert (row.state, row.admitted_amount, row.submitted_at, row.drafted_at) == (
        "admitted", D("100.00"), None, T0 + HOUR)
    with database.reading() as tx:
        assert tx.fetchall("SELECT last_position FROM rm_grant_claims") == [(5,)]
        assert tx.fetchall("SELECT position, state, admitted_amount FROM rm_grant_claim_states"
                           " ORDER BY position") == [
            (1, "draft", "0.00"), (4, "submitted", "0.00"), (5, "admitted", "100.00")]


def test_redelivered_budget_payment_and_rejection_events_change_nothing(
    database: SqliteReadModels,
) -> None:
    claim = drafted(1)
    projection = FinanceProjection()
    with database.transaction() as tx:
        for _ in range(2):
            projection.apply(tx, envelope_of(adopted(line("firenze", "4", "staff", "9.00")), 1))
            projection.apply(tx, envelope_of(transfer("1.00", source=("4", "staff")), 2))
            projection.apply(tx, envelope_of(payment("3.00"), 3))
            projection.apply(tx, envelope_of(claim, 4))
            projection.apply(tx, envelope_of(rejected(claim), 5))
            projection.apply(tx, envelope_of(checked(claim, "2.00", ("1.00", "other")), 6))
    queries = GrantQueries(database)

    assert queries.budget().lines == (GrantLine("firenze", "2", "travel", D("1.00")),
                                      GrantLine("firenze", "4", "staff", D("8.00")))
    assert len(queries.payments()) == 1
    row = queries.claim(claim.claim_id)
    assert row is not None
    assert row.disallowed == (Disallowed(D("100.00"), "no_proof"), Disallowed(D("1.00"),
                                                                              "other"))


def test_whether_claims_changed_after_a_moment_is_exclusive_of_the_moment(
    database: SqliteReadModels, feed: Feed
) -> None:
    claim = drafted(1)
    TimedFeed(feed)((1, claim), (3, submitted(claim)))
    queries = GrantQueries(database)

    assert queries.claims_changed_after(T0 + 3 * HOUR - TICK)
    assert not queries.claims_changed_after(T0 + 3 * HOUR)
    assert queries.claims_changed_after(T0)


def test_a_draft_alone_is_a_change_after_a_moment(database: SqliteReadModels) -> None:
    with database.transaction() as tx:
        # Only the claim row, without its first state: the second half of the check.
        FinanceProjection().apply(tx, envelope_of(drafted(1), 1, **at(2)))
        tx.execute("DELETE FROM rm_grant_claim_states")
    queries = GrantQueries(database)

    assert queries.claims_changed_after(T0 + HOUR)
    assert not queries.claims_changed_after(T0 + 2 * HOUR)
    # A claim with no state to read it in is not read (rather than failing the page).
    assert queries.claim(UUID(int=1)) is None


def test_instants_are_stored_in_utc_to_the_microsecond() -> None:
    rome_winter = timezone(timedelta(hours=1))
    assert instant(datetime(2021, 1, 5, 10, 0, tzinfo=rome_winter)) == (
        "2021-01-05T09:00:00.000000+00:00")
    assert instant(datetime(2021, 1, 5, 9, 0, 0, 7, tzinfo=UTC)) == (
        "2021-01-05T09:00:00.000007+00:00")


def test_a_citys_grant_claim_reads_as_a_claim_for_the_documents_a_partners_only_there(
    database: SqliteReadModels, feed: Feed
) -> None:
    city_claim, partner_claim = drafted(1), drafted(2, who="anci")
    TimedFeed(feed)((1, city_claim), (2, partner_claim))
    queries = FinanceQueries(database)

    expected = ClaimRow(
        claim_id=UUID(int=1), city="firenze", sub_action="4", category="services",
        amount=D("100.00"), spent_on=date(2021, 5, 3), document_reference=f"CUP {CUP}",
        status="draft", recorded_at=T0 + HOUR, recorded_by="firenze.coord", decided_at=None,
        decided_by=None, rejection_reason=None)
    assert queries.claim(UUID(int=1)) == expected
    assert queries.claim_for_documents(UUID(int=1)) == expected
    assert queries.claim(UUID(int=2)) is None
    partner = queries.claim_for_documents(UUID(int=2))
    assert partner is not None
    assert (partner.city, partner.claim_id) == ("network", UUID(int=2))
    assert queries.claim_for_documents(UUID(int=3)) is None


def test_the_claims_own_row_follows_its_state_and_admitted_amount(
    database: SqliteReadModels, feed: Feed
) -> None:
    claim = drafted(1)
    TimedFeed(feed)((1, claim))
    with database.reading() as tx:
        assert tx.fetchall("SELECT state, admitted_amount, last_position FROM rm_grant_claims"
                           ) == [("draft", "0.00", 1)]
    TimedFeed(feed)((2, submitted(claim)),
                    (3, checked(claim, "80.00", ("20.00", "other"), confirmation_needed=True)),
                    (4, confirmed(claim, "80.00")))

    with database.reading() as tx:
        assert tx.fetchall("SELECT state, admitted_amount, last_position FROM rm_grant_claims"
                           ) == [("admitted", "80.00", 4)]


def test_a_transfer_out_of_a_line_the_budget_lacks_leaves_it_negative(
    database: SqliteReadModels, feed: Feed
) -> None:
    TimedFeed(feed)((1, adopted(line("firenze", "2", "travel", "5.00"))),
                    (2, transfer("3.00", source=("4", "staff"))))

    assert GrantQueries(database).budget().lines == (
        GrantLine("firenze", "2", "travel", D("8.00")),
        GrantLine("firenze", "4", "staff", D("-3.00")))


def test_instants_are_in_utc_whatever_the_machines_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Rome")
    time.tzset()
    try:
        assert instant(datetime(2021, 1, 5, 9, 0, tzinfo=UTC)) == (
            "2021-01-05T09:00:00.000000+00:00")
    finally:
        monkeypatch.undo()
        time.tzset()
