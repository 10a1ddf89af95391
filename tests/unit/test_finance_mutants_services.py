"""The two finance services on an in-memory record, as the mutation pass of issue 20 holds them
(docs/testing.md, "Finance pass"): what each command saves and the position it returns, the
refusals the services raise themselves (code, field, message), the terms and grant they pass
on, and the retries after a lost race: a rival writer saves the same budget between a command's
decision and its save (a real IntegrityError from the real store), once, then every time.

Rules encoded (/work/shared/design/DOMAIN.md): "Expenditure: costs claimed by a city against its
allocation per sub-action, inside the eligibility window, checked by the ministry"; "Finance as
an EU grant is run": a rejected claim is answered by a corrected one; the checker is never the
submitter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.finance.claims import ClaimState, Disallowance, DisallowanceReason, ExpenditureClaim
from domain.finance.grant import (
    GRANT_BUDGET_ID,
    CostHeading,
    GrantTerms,
    LineKey,
    NoBudgetAdopted,
    PaymentKind,
    TransferReason,
)
from domain.finance.grant_service import GrantService
from domain.finance.model import (
    PROGRAMME_BUDGET_ID,
    BudgetBusy,
    ClaimNotFound,
    FinanceError,
    InvalidClaim,
    NoAllocation,
    OutsideEligibility,
    OverAllocation,
    city_budget_id,
)
from domain.finance.service import FinanceService
from domain.programme import (
    CARD_TERMS,
    City,
    Membership,
    NotAPartnerCity,
    SubAction,
    TermsInForce,
)
from domain.record import ProgrammeRecord
from infra.document_sources import EvidenceFromDocuments
from tests.builders import NOW, a_coordinator, stored
from tests.integration.test_grant_finance import attach_both
from tests.unit.test_finance_rules import HOUSING, MINISTRY, a_draft
from tests.unit.test_grant_rules import CHECKER, SECOND, SMALL, evidence

COORDINATOR = a_coordinator()
LATER = datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
BUSY = ("budget_busy", "The budget kept changing: try again.", {"field": "amount"})
LINES = {
    LineKey("ministry", SubAction.COORDINATION, CostHeading.STAFF): Decimal("600.00"),
    LineKey("firenze", HOUSING, CostHeading.SERVICES): Decimal("300.00"),
    LineKey("firenze", HOUSING, CostHeading.STAFF): Decimal("100.00"),
}
AMENDED = replace(CARD_TERMS, period=replace(CARD_TERMS.period, ends_on=date(2022, 6, 30)))


class RivalledRecord(ProgrammeRecord):
    """The real in-memory record, with a rival writer: before each of the next `rivals` saves,
    `rival` saves first (as another request would, between this one's load and its save)."""

    def __init__(self) -> None:
        super().__init__()
        self.rivals = 0
        self.rival: Callable[[], object] = lambda: None
        self.saves = 0
        self._rivalling = False

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        if self.rivals and not self._rivalling:
            self.rivals -= 1
            self._rivalling = True
            try:
                self.rival()
            finally:
                self._rivalling = False
        self.saves += 1
        return super().save(*objs, **kwargs)


class Amended:
    def terms_in_force(self) -> TermsInForce:
        return AMENDED


def said(error: FinanceError) -> tuple[str, str, dict[str, Any]]:
    return error.code, error.message, error.params


def last(record: ProgrammeRecord) -> int | None:
    return record.recorder.max_notification_id()


def refused(record: ProgrammeRecord, error: type[Exception], command: Callable[[], object]) -> Any:
    before = last(record)
    with pytest.raises(error) as raised:
        command()
    assert last(record) == before
    return raised.value


# --- a city's budget -----------------------------------------------------------------------------


@pytest.fixture
def record() -> RivalledRecord:
    return RivalledRecord()


def test_a_first_allocation_opens_both_budgets_and_returns_the_city_s_position(
    record: RivalledRecord,
) -> None:
    finance = FinanceService(record)
    assert (finance.budget(City.FIRENZE), finance.programme()) == (None, None)
    position = finance.set_allocation(
        City.FIRENZE, HOUSING, Decimal("5000"), "Riparto", MINISTRY, NOW
    )
    assert position == last(record) == 4  # the programme's two events, then the city's
    assert stored(record, city_budget_id(City.FIRENZE)) == [
        ("Opened", {"timestamp": NOW, "city": "firenze", "actor": MINISTRY.as_record()}),
        (
            "AllocationSet",
            {
                "timestamp": NOW,
                "city": "firenze",
                "sub_action": "4",
                "amount": Decimal("5000.00"),
                "reason": "Riparto",
                "actor": MINISTRY.as_record(),
            },
        ),
    ]
    assert [name for name, _ in stored(record, PROGRAMME_BUDGET_ID)] == [
        "Opened",
        "AllocationCounted",
    ]
    second = finance.set_allocation(City.ROMA, HOUSING, Decimal("1"), "Riparto", MINISTRY, NOW)
    assert second == last(record) == 7  # the programme's budget is not opened again
    budget, programme = finance.budget(City.FIRENZE), finance.programme()
    assert budget is not None and budget.allocated(HOUSING) == Decimal("5000.00")
    assert programme is not None and programme.allocated == Decimal("5001.00")


def test_a_city_never_admitted_has_no_budget_and_a_withdrawn_one_keeps_its_own(
    record: RivalledRecord,
) -> None:
    finance = FinanceService(record)
    error = refused(
        record,
        NotAPartnerCity,
        lambda: finance.set_allocation(
            City("lecce"), HOUSING, Decimal("1"), "Riparto", MINISTRY, NOW
        ),
    )
    assert (error.code, error.params) == (
        "not_a_partner_city",
        {"field": "city", "city": "lecce", "on": date(2021, 3, 10)},
    )
    withdrawn = replace(
        CARD_TERMS,
        memberships={
            **CARD_TERMS.memberships,
            City.BARI: (Membership(date(2019, 7, 1), date(2020, 1, 1)),),
        },
    )

    class Withdrawn:
        def terms_in_force(self) -> TermsInForce:
            return withdrawn

    FinanceService(record, Withdrawn()).set_allocation(
        City.BARI, HOUSING, Decimal("1"), "Riparto", MINISTRY, NOW
    )


def test_a_claim_is_saved_at_its_position_and_decided_by_the_ministry(
    record: RivalledRecord,
) -> None:
    finance = FinanceService(record)
    finance.set_allocation(City.FIRENZE, HOUSING, Decimal("5000"), "Riparto", MINISTRY, NOW)
    first, second = UUID(int=1), UUID(int=2)
    assert finance.record_claim(first, a_draft(), COORDINATOR, NOW) == last(record) == 5
    finance.record_claim(second, a_draft(), COORDINATOR, NOW)
    assert finance.approve_claim(City.FIRENZE, first, MINISTRY, LATER) == last(record) == 7
    assert (
        finance.reject_claim(City.FIRENZE, second, "Doppia", MINISTRY, LATER) == last(record) == 8
    )
    names = [name for name, _ in stored(record, city_budget_id(City.FIRENZE))]
    assert names[-4:] == ["ClaimRecorded", "ClaimRecorded", "ClaimApproved", "ClaimRejected"]
    assert stored(record, city_budget_id(City.FIRENZE))[-1][1]["reason"] == "Doppia"


def test_a_claim_of_a_city_without_budget_is_refused(record: RivalledRecord) -> None:
    finance = FinanceService(record)
    error = refused(
        record, NoAllocation, lambda: finance.record_claim(uuid4(), a_draft(), COORDINATOR, NOW)
    )
    assert said(error) == (
        "no_allocation",
        "The city has no allocation for this sub-action.",
        {"field": "sub_action"},
    )
    for command in (
        lambda: finance.approve_claim(City.FIRENZE, uuid4(), MINISTRY, NOW),
        lambda: finance.reject_claim(City.FIRENZE, uuid4(), "No", MINISTRY, NOW),
    ):
        error = refused(record, ClaimNotFound, command)
        assert said(error) == (
            "claim_not_found",
            "The city has no claim with this id.",
            {"field": "claim_id"},
        )


def test_a_claim_is_checked_against_the_terms_in_force(record: RivalledRecord) -> None:
    later = datetime(2022, 7, 1, tzinfo=UTC)
    amended = FinanceService(record, Amended())
    amended.set_allocation(City.FIRENZE, HOUSING, Decimal("5000"), "Riparto", MINISTRY, later)
    amended.record_claim(uuid4(), a_draft(spent_on=date(2022, 6, 30)), COORDINATOR, later)
    error = refused(
        record,
        OutsideEligibility,
        lambda: FinanceService(record).record_claim(
            uuid4(), a_draft(spent_on=date(2022, 6, 30)), COORDINATOR, later
        ),
    )
    assert error.params["ends_on"] == date(2021, 12, 31)


def test_a_claim_that_lost_its_race_decides_again_on_the_rival_s_budget(
    record: RivalledRecord,
) -> None:
    finance = FinanceService(record)
    finance.set_allocation(City.FIRENZE, HOUSING, Decimal("1500"), "Riparto", MINISTRY, NOW)
    record.rival = lambda: FinanceService(record).record_claim(
        uuid4(), a_draft(amount=Decimal("1000.00")), COORDINATOR, NOW
    )
    record.rivals = 1
    with pytest.raises(OverAllocation) as raised:  # the rival's claim was saved first
        finance.record_claim(uuid4(), a_draft(amount=Decimal("1000.00")), COORDINATOR, NOW)
    assert raised.value.params == {"field": "amount"}
    budget = finance.budget(City.FIRENZE)
    assert budget is not None and budget.claimed(HOUSING) == Decimal("1000.00")
    record.rival = lambda: FinanceService(record).record_claim(
        uuid4(), a_draft(amount=Decimal("100.00")), COORDINATOR, NOW
    )
    record.rivals = 1
    finance.record_claim(uuid4(), a_draft(amount=Decimal("400.00")), COORDINATOR, NOW)
    budget = finance.budget(City.FIRENZE)
    assert budget is not None and budget.claimed(HOUSING) == Decimal("1500.00")


def test_a_budget_busy_at_every_one_of_eight_attempts_is_refused(record: RivalledRecord) -> None:
    finance = FinanceService(record)
    finance.set_allocation(City.FIRENZE, HOUSING, Decimal("5000"), "Riparto", MINISTRY, NOW)
    record.rival = lambda: finance.set_allocation(
        City.FIRENZE, HOUSING, Decimal("5000"), "Rivale", MINISTRY, NOW
    )
    record.rivals, record.saves = 7, 0
    finance.record_claim(uuid4(), a_draft(), COORDINATOR, NOW)  # the eighth attempt saves
    assert record.rivals == 0 and record.saves == 7 + 8
    record.rivals, record.saves = 8, 0
    with pytest.raises(BudgetBusy) as raised:
        finance.record_claim(uuid4(), a_draft(), COORDINATOR, NOW)
    assert said(raised.value) == BUSY
    assert record.saves == 8 + 8


# --- the grant -----------------------------------------------------------------------------------


def grants(record: ProgrammeRecord, **kwargs: Any) -> GrantService:
    return GrantService(record, EvidenceFromDocuments(record), **kwargs)


def adopted(record: ProgrammeRecord, grant: GrantTerms = SMALL) -> GrantService:
    service = grants(record, grant=grant)
    service.adopt_budget(LINES, "P/1", date(2019, 7, 1), MINISTRY, NOW)
    return service


def test_the_budget_is_adopted_transferred_and_paid_at_its_positions(
    record: RivalledRecord,
) -> None:
    service = grants(record, grant=SMALL)
    assert service.budget() is None
    assert service.adopt_budget(LINES, "P/1", date(2019, 7, 1), MINISTRY, NOW) == last(record) == 2
    assert service.adopt_budget(LINES, "P/2", date(2019, 8, 1), MINISTRY, NOW) == 3
    assert (
        service.transfer(
            LineKey("firenze", HOUSING, CostHeading.SERVICES),
            LineKey("firenze", HOUSING, CostHeading.TRAVEL),
            Decimal("1.00"),
            TransferReason.SAVINGS,
            "P/3",
            date(2020, 1, 1),
            MINISTRY,
            NOW,
        )
        == 4
    )
    assert (
        service.pay(
            "firenze",
            Decimal("385.20"),
            date(2021, 3, 1),
            PaymentKind.INTERIM,
            "MP-1",
            MINISTRY,
            NOW,
        )
        == 5
    )
    assert [name for name, _ in stored(record, GRANT_BUDGET_ID)] == [
        "Opened",
        "Adopted",
        "Adopted",
        "TransferApproved",
        "PaymentMade",
    ]
    budget = service.budget()
    assert budget is not None and budget.paid == {"firenze": Decimal("385.20")}


def test_the_service_s_grant_terms_are_the_card_s_by_default(record: RivalledRecord) -> None:
    assert grants(record).grant == GrantTerms()
    assert grants(record).terms.terms_in_force() == CARD_TERMS


def test_no_transfer_nor_payment_before_an_adoption(record: RivalledRecord) -> None:
    service = grants(record)
    for command in (
        lambda: service.transfer(
            LineKey("firenze", HOUSING, CostHeading.SERVICES),
            LineKey("firenze", HOUSING, CostHeading.TRAVEL),
            Decimal("1.00"),
            TransferReason.SAVINGS,
            "P/3",
            date(2020, 1, 1),
            MINISTRY,
            NOW,
        ),
        lambda: service.pay(
            "firenze", Decimal("1.00"), date(2021, 3, 1), PaymentKind.INTERIM, "MP-1", MINISTRY, NOW
        ),
    ):
        error = refused(record, NoBudgetAdopted, command)
        assert said(error) == (
            "no_budget_adopted",
            "No budget has been adopted yet.",
            {"field": "amount"},
        )


def test_a_payment_is_checked_against_the_terms_in_force(record: RivalledRecord) -> None:
    """A city admitted by the ministry's amendment is a co-beneficiary the service pays."""
    lecce = replace(
        CARD_TERMS,
        memberships={**CARD_TERMS.memberships, City("lecce"): CARD_TERMS.memberships[City.BARI]},
    )

    class WithLecce:
        def terms_in_force(self) -> TermsInForce:
            return lecce

    service = grants(record, grant=SMALL, terms=WithLecce())
    service.adopt_budget(
        {**LINES, LineKey("lecce", HOUSING, CostHeading.STAFF): Decimal("0.00")},
        "P/1",
        date(2019, 7, 1),
        MINISTRY,
        NOW,
    )
    with pytest.raises(FinanceError) as raised:  # nothing financed in Lecce's budget
        service.pay(
            "lecce", Decimal("0.01"), date(2021, 3, 1), PaymentKind.INTERIM, "MP-1", MINISTRY, NOW
        )
    assert raised.value.code == "payment_refused"
    with pytest.raises(FinanceError) as raised:
        grants(record, grant=SMALL).pay(
            "lecce", Decimal("0.01"), date(2021, 3, 1), PaymentKind.INTERIM, "MP-1", MINISTRY, NOW
        )
    assert raised.value.code == "unknown_co_beneficiary"


def test_a_claim_goes_from_draft_to_confirmed_through_the_service(record: RivalledRecord) -> None:
    service = adopted(record, replace(SMALL, confirmation_threshold=Decimal("999.99")))
    claim_id = UUID(int=0xC1)
    assert service.claim(claim_id) is None and service.claim(GRANT_BUDGET_ID) is None
    assert service.draft_claim(claim_id, evidence(), COORDINATOR, NOW) == last(record)
    documents = attach_both(record, claim_id, City.FIRENZE, NOW)
    assert service.submit_claim(claim_id, documents, COORDINATOR, NOW) == last(record)
    assert service.admit_claim(claim_id, [], CHECKER, NOW) == last(record)
    claim = service.claim(claim_id)
    assert claim is not None and claim.state is ClaimState.AWAITING_CONFIRMATION
    assert service.confirm_admission(claim_id, SECOND, NOW) == last(record)
    assert service.existing_claim(claim_id).state is ClaimState.ADMITTED
    assert [name for name, _ in stored(record, claim_id)] == [
        "Drafted",
        "Submitted",
        "Checked",
        "AdmissionConfirmed",
    ]


def test_only_this_claim_s_documents_are_its_evidence(record: RivalledRecord) -> None:
    service = adopted(record)
    mine, other = UUID(int=0xC1), UUID(int=0xC2)
    service.draft_claim(mine, evidence(), COORDINATOR, NOW)
    service.draft_claim(other, evidence(), COORDINATOR, NOW)
    theirs = attach_both(record, other, City.FIRENZE, NOW)
    error = refused(
        record,
        FinanceError,
        lambda: service.submit_claim(mine, [*theirs, uuid4(), GRANT_BUDGET_ID], COORDINATOR, NOW),
    )
    assert error.code == "evidence_missing"
    own = attach_both(record, mine, City.FIRENZE, NOW)
    service.submit_claim(mine, [*theirs, *own, uuid4()], COORDINATOR, NOW)
    assert stored(record, mine)[-1][1]["documents"] == sorted(own)


def test_a_rejected_claim_is_answered_by_a_corrected_one_saved_with_it(
    record: RivalledRecord,
) -> None:
    service = adopted(record)
    rejected, corrected = UUID(int=0xC1), UUID(int=0xC2)
    service.draft_claim(rejected, evidence(), COORDINATOR, NOW)
    service.submit_claim(
        rejected, attach_both(record, rejected, City.FIRENZE, NOW), COORDINATOR, NOW
    )
    assert service.reject_claim(rejected, DisallowanceReason.NO_PROOF, CHECKER, NOW) == last(record)
    position = service.draft_claim(corrected, evidence(), COORDINATOR, LATER, rejected)
    assert position == last(record)
    assert stored(record, rejected)[-1] == (
        "Corrected",
        {
            "timestamp": LATER,
            "co_beneficiary": "firenze",
            "city": "firenze",
            "corrected_by": corrected,
            "actor": COORDINATOR.as_record(),
        },
    )
    assert stored(record, corrected)[0][1]["corrects"] == rejected
    assert record.events.get(corrected) is not None


def test_a_claim_id_is_drafted_once_and_only_an_existing_claim_is_corrected(
    record: RivalledRecord,
) -> None:
    service = adopted(record)
    service.draft_claim(UUID(int=0xC1), evidence(), COORDINATOR, NOW)
    error = refused(
        record,
        InvalidClaim,
        lambda: service.draft_claim(UUID(int=0xC1), evidence(), COORDINATOR, NOW),
    )
    assert said(error) == (
        "invalid_claim",
        "A claim with this id is already recorded.",
        {"field": "claim_id"},
    )
    error = refused(
        record,
        ClaimNotFound,
        lambda: service.draft_claim(UUID(int=0xC2), evidence(), COORDINATOR, NOW, UUID(int=0xDEAD)),
    )
    assert said(error) == (
        "claim_not_found",
        "There is no claim with this id.",
        {"field": "claim_id"},
    )
    assert service.claim(UUID(int=0xC2)) is None
    for command in (
        lambda: service.submit_claim(UUID(int=0xC3), [], COORDINATOR, NOW),
        lambda: service.admit_claim(UUID(int=0xC3), [], CHECKER, NOW),
        lambda: service.confirm_admission(UUID(int=0xC3), SECOND, NOW),
        lambda: service.reject_claim(UUID(int=0xC3), DisallowanceReason.OTHER, CHECKER, NOW),
    ):
        assert said(refused(record, ClaimNotFound, command))[2] == {"field": "claim_id"}


def test_a_partial_admission_is_saved_with_its_parts(record: RivalledRecord) -> None:
    service = adopted(record)
    claim_id = UUID(int=0xC1)
    service.draft_claim(claim_id, evidence(), COORDINATOR, NOW)
    service.submit_claim(
        claim_id, attach_both(record, claim_id, City.FIRENZE, NOW), COORDINATOR, NOW
    )
    parts: Sequence[Disallowance] = [Disallowance(Decimal("0.01"), DisallowanceReason.OTHER)]
    service.admit_claim(claim_id, parts, CHECKER, NOW)
    claim = service.existing_claim(claim_id)
    assert isinstance(claim, ExpenditureClaim) and claim.admitted_amount == Decimal("999.99")
    # The card's threshold (EUR 50,000.00) with SMALL's figures: no confirmation needed.
    assert claim.state is ClaimState.ADMITTED


def test_a_grant_command_that_loses_its_race_decides_again_or_is_busy(
    record: RivalledRecord,
) -> None:
    service = adopted(record)
    rival = grants(record, grant=SMALL)
    record.rival = lambda: rival.pay(
        "firenze",
        Decimal("385.00"),
        date(2021, 3, 1),
        PaymentKind.INTERIM,
        f"MP-R{record.rivals}",
        MINISTRY,
        NOW,
    )
    record.rivals = 1
    with pytest.raises(FinanceError) as raised:  # decided again: over the ceiling now
        service.pay(
            "firenze", Decimal("1.00"), date(2021, 3, 1), PaymentKind.INTERIM, "MP-1", MINISTRY, NOW
        )
    assert raised.value.code == "payment_refused"
    record.rival = lambda: rival.adopt_budget(LINES, "P/R", date(2019, 7, 1), MINISTRY, NOW)
    record.rivals, record.saves = 7, 0
    service.adopt_budget(LINES, "P/2", date(2019, 7, 1), MINISTRY, NOW)
    assert record.saves == 7 + 8
    record.rivals = 8
    with pytest.raises(BudgetBusy) as busy:
        service.adopt_budget(LINES, "P/3", date(2019, 7, 1), MINISTRY, NOW)
    assert said(busy.value) == BUSY


def at(minute: int) -> datetime:
    return datetime(2021, 3, 10, 10, minute, tzinfo=UTC)


def moments(record: ProgrammeRecord, aggregate_id: UUID) -> list[tuple[str, datetime, Any]]:
    """Each stored event of the aggregate: its name, its moment and who (None: no actor)."""
    return [
        (name, fields["timestamp"], (fields.get("actor") or {}).get("id"))
        for name, fields in stored(record, aggregate_id)
    ]


def test_every_finance_command_records_its_own_moment_and_actor(record: RivalledRecord) -> None:
    finance = FinanceService(record)
    finance.set_allocation(City.FIRENZE, HOUSING, Decimal("5000"), "Riparto", MINISTRY, at(1))
    finance.record_claim(UUID(int=1), a_draft(), COORDINATOR, at(2))
    finance.record_claim(UUID(int=2), a_draft(), COORDINATOR, at(3))
    finance.approve_claim(City.FIRENZE, UUID(int=1), SECOND, at(4))
    finance.reject_claim(City.FIRENZE, UUID(int=2), "Doppia", CHECKER, at(5))
    assert moments(record, city_budget_id(City.FIRENZE)) == [
        ("Opened", at(1), "ministry"),
        ("AllocationSet", at(1), "ministry"),
        ("ClaimRecorded", at(2), "coordinator-1"),
        ("ClaimRecorded", at(3), "coordinator-1"),
        ("ClaimApproved", at(4), "ministry-second"),
        ("ClaimRejected", at(5), "ministry-checker"),
    ]
    assert stored(record, PROGRAMME_BUDGET_ID) == [
        ("Opened", {"timestamp": at(1), "financed": Decimal("10291188.10")}),
        (
            "AllocationCounted",
            {
                "timestamp": at(1),
                "city": "firenze",
                "sub_action": "4",
                "amount": Decimal("5000.00"),
            },
        ),
    ]
    ((_, rejected),) = stored(record, city_budget_id(City.FIRENZE))[-1:]
    assert (rejected["claim_id"], rejected["reason"], rejected["amount"]) == (
        UUID(int=2),
        "Doppia",
        Decimal("1000.00"),
    )


def test_every_grant_command_records_its_own_moment_and_actor(record: RivalledRecord) -> None:
    service = grants(record, grant=replace(SMALL, confirmation_threshold=Decimal("999.98")))
    service.adopt_budget(LINES, "P/1", date(2019, 7, 1), CHECKER, at(1))
    service.transfer(
        LineKey("firenze", HOUSING, CostHeading.SERVICES),
        LineKey("firenze", HOUSING, CostHeading.TRAVEL),
        Decimal("1.00"),
        TransferReason.SAVINGS,
        "P/3",
        date(2020, 1, 1),
        SECOND,
        at(2),
    )
    service.pay(
        "firenze", Decimal("1.00"), date(2021, 3, 1), PaymentKind.BALANCE, "MP-1", MINISTRY, at(3)
    )
    assert moments(record, GRANT_BUDGET_ID) == [
        ("Opened", at(1), None),
        ("Adopted", at(1), "ministry-checker"),
        ("TransferApproved", at(2), "ministry-second"),
        ("PaymentMade", at(3), "ministry"),
    ]
    ((_, paid),) = stored(record, GRANT_BUDGET_ID)[-1:]
    assert (
        paid["co_beneficiary"],
        paid["amount"],
        paid["value_date"],
        paid["kind"],
        paid["reference"],
    ) == ("firenze", Decimal("1.00"), date(2021, 3, 1), "balance", "MP-1")
    ((_, moved),) = stored(record, GRANT_BUDGET_ID)[2:3]
    assert (moved["amount"], moved["reason"], moved["act_reference"], moved["approved_on"]) == (
        Decimal("1.00"),
        "savings",
        "P/3",
        date(2020, 1, 1),
    )
    ((_, adoption),) = stored(record, GRANT_BUDGET_ID)[1:2]
    assert (adoption["act_reference"], adoption["adopted_on"], len(adoption["lines"])) == (
        "P/1",
        date(2019, 7, 1),
        3,
    )

    admitted, rejected, corrected = UUID(int=0xA), UUID(int=0xB), UUID(int=0xC)
    submitter = a_coordinator(id="coordinator-2")
    service.draft_claim(admitted, evidence(), COORDINATOR, at(4))
    service.submit_claim(
        admitted, attach_both(record, admitted, City.FIRENZE, NOW), submitter, at(5)
    )
    service.admit_claim(
        admitted, [Disallowance(Decimal("0.01"), DisallowanceReason.OTHER)], CHECKER, at(6)
    )
    service.confirm_admission(admitted, SECOND, at(7))
    assert moments(record, admitted) == [
        ("Drafted", at(4), "coordinator-1"),
        ("Submitted", at(5), "coordinator-2"),
        ("Checked", at(6), "ministry-checker"),
        ("AdmissionConfirmed", at(7), "ministry-second"),
    ]
    ((_, checked),) = stored(record, admitted)[2:3]
    assert (checked["admitted_amount"], checked["disallowed"], checked["confirmation_needed"]) == (
        Decimal("999.99"),
        [{"amount": "0.01", "reason": "other"}],
        True,
    )
    service.draft_claim(rejected, evidence(), COORDINATOR, at(8))
    service.submit_claim(
        rejected, attach_both(record, rejected, City.FIRENZE, NOW), COORDINATOR, at(9)
    )
    service.reject_claim(rejected, DisallowanceReason.NOT_PERTINENT, SECOND, at(10))
    service.draft_claim(corrected, evidence(), submitter, at(11), rejected)
    assert moments(record, rejected)[2:] == [
        ("Rejected", at(10), "ministry-second"),
        ("Corrected", at(11), "coordinator-2"),
    ]
    assert stored(record, rejected)[2][1]["reason"] == "not_pertinent"
    assert moments(record, corrected) == [("Drafted", at(11), "coordinator-2")]
    assert stored(record, corrected)[0][1]["corrects"] == rejected
