"""The grant's rules on the aggregates alone (issue 13; DOMAIN.md, "Finance as an EU grant is
run"): the budget's totals, transfers within a co-beneficiary, a claim's evidence, submission only
with a proof of payment, full and partial admission and rejection, four eyes, the second
confirmation above the threshold, and corrected resubmissions. Then the money arithmetic, as
properties (hypothesis): the co-financing split sums to the total, admitted ≤ claimed, and a
statement balances to the cent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.finance.claims import (
    ClaimEvidence,
    ClaimNotInState,
    ClaimState,
    Disallowance,
    DisallowanceReason,
    EvidenceMissing,
    ExpenditureClaim,
    FourEyes,
    InvalidAdmission,
    InvalidClaimEvidence,
    VatTreatment,
)
from domain.finance.grant import (
    BudgetTotalsWrong,
    CostHeading,
    GrantBudget,
    GrantTerms,
    LineKey,
    NoBudgetAdopted,
    TransferReason,
    TransferRefused,
    UnknownCoBeneficiary,
    co_beneficiaries,
    co_financing_split,
    euros_text,
    indirect_costs,
)
from domain.finance.model import (
    FLORENCE_SHARE,
    PROGRAMME_FINANCED,
    PROGRAMME_TOTAL_COST,
    FinanceError,
    InvalidAmount,
    OutsideEligibility,
)
from domain.finance.statements import Figures, action_statement, co_beneficiary_statement
from domain.programme import (
    CARD_TERMS,
    Actor,
    ActorKind,
    City,
    Membership,
    NotAPartnerCity,
    Role,
    SubAction,
)
from tests.builders import NOW, a_coordinator

CHECKER = Actor(ActorKind.USER, "ministry-checker", Role.MINISTRY)
SECOND = Actor(ActorKind.USER, "ministry-second", Role.MINISTRY)
COORDINATOR = a_coordinator()
SA4, SA1 = SubAction.FAST_TRACK_HOUSING, SubAction.COORDINATION
SMALL = GrantTerms(total_cost=Decimal("1070.00"), card_shares={})


def small_budget() -> GrantBudget:
    budget = GrantBudget.open(NOW)
    budget.adopt({LineKey("ministry", SA1, CostHeading.STAFF): Decimal("600.00"),
                  LineKey("firenze", SA4, CostHeading.SERVICES): Decimal("300.00"),
                  LineKey("firenze", SA4, CostHeading.STAFF): Decimal("100.00")},
                 "PROT/2019/1", date(2019, 7, 1), SMALL, CARD_TERMS, CHECKER, NOW)
    return budget


def evidence(**overrides: Any) -> ClaimEvidence:
    return replace(ClaimEvidence(
        co_beneficiary="firenze", sub_action=SA4, heading=CostHeading.SERVICES,
        supplier="Cooperativa Il Ponte", document_number="FT 12/2021",
        document_date=date(2021, 1, 15), gross_amount=Decimal("1220.00"),
        eligible_amount=Decimal("1000.00"), vat_treatment=VatTreatment.RECOVERABLE,
        payment_date=date(2021, 2, 1), cup="J11H19000000001", cig="ZA12345678"), **overrides)


def drafted(**overrides: Any) -> ExpenditureClaim:
    return ExpenditureClaim.draft(uuid4(), evidence(**overrides), CARD_TERMS, COORDINATOR, NOW)


BOTH = {UUID(int=1): "invoice", UUID(int=2): "proof_of_payment"}


def submitted(**overrides: Any) -> ExpenditureClaim:
    claim = drafted(**overrides)
    claim.submit(BOTH, COORDINATOR, NOW)
    return claim


def refused(error: type[FinanceError], command: Any, aggregate: Any) -> FinanceError:
    before = len(aggregate.pending_events)
    with pytest.raises(error) as raised:
        command()
    assert len(aggregate.pending_events) == before  # nothing recorded
    return raised.value


# --- co-beneficiaries and the budget -----------------------------------------------------------


def test_the_co_beneficiaries_are_the_lead_partner_the_national_partners_and_the_cities() -> None:
    """DOMAIN.md "Finance as an EU grant is run": every partner is a co-beneficiary."""
    everyone = co_beneficiaries(CARD_TERMS)
    assert everyone[:4] == ("ministry", "cittalia", "anci", "anci_comunicare")
    assert everyone[4:] == tuple(city.value for city in CARD_TERMS.known_cities)
    assert len(everyone) == 4 + 19


def test_a_city_admitted_by_the_ministry_is_a_co_beneficiary_and_one_withdrawn_stays() -> None:
    terms = replace(CARD_TERMS, memberships={
        **CARD_TERMS.memberships,
        City("lecce"): (Membership(date(2020, 6, 1)),),
        City.BARI: (Membership(date(2019, 7, 1), date(2020, 12, 31)),)})
    assert "lecce" in co_beneficiaries(terms) and "bari" in co_beneficiaries(terms)


def test_the_card_s_figures_are_the_defaults_and_financed_is_truncated_at_90_percent() -> None:
    """DOMAIN.md: total EUR 11,434,653.45, financed EUR 10,291,188.10 (90.0%: 10,291,188.105
    written without its half cent), Florence EUR 346,000.00."""
    grant = GrantTerms()
    split = co_financing_split(grant.total_cost, grant.co_financing_rate)
    assert grant.total_cost == PROGRAMME_TOTAL_COST == Decimal("11434653.45")
    assert split.financed == PROGRAMME_FINANCED == Decimal("10291188.10")
    assert split.co_financing == Decimal("1143465.35")
    assert grant.card_shares == {"firenze": FLORENCE_SHARE}
    assert grant.indirect_rate == Decimal("0.07")


def test_indirect_costs_are_the_flat_rate_on_direct_costs_truncated_to_the_cent() -> None:
    assert indirect_costs(Decimal("323364.49"), Decimal("0.07")) == Decimal("22635.51")
    assert indirect_costs(Decimal("0.14"), Decimal("0.07")) == Decimal("0.00")
    assert indirect_costs(Decimal("0.15"), Decimal("0.07")) == Decimal("0.01")


def test_an_adopted_budget_adds_up_to_the_total_cost_indirect_costs_included() -> None:
    budget = small_budget()
    # ministry 600 + 42 indirect, firenze 400 + 28: 1070.00
    assert budget.figures.total(SMALL.indirect_rate) == Decimal("1070.00")
    event = budget.collect_events()[-1]
    assert isinstance(event, GrantBudget.Adopted)
    assert event.lines == [
        {"co_beneficiary": "firenze", "sub_action": "4", "heading": "services",
         "amount": "300.00"},
        {"co_beneficiary": "firenze", "sub_action": "4", "heading": "staff", "amount": "100.00"},
        {"co_beneficiary": "ministry", "sub_action": "1", "heading": "staff",
         "amount": "600.00"}]
    assert (event.total_cost, event.act_reference, event.adopted_on) == (
        Decimal("1070.00"), "PROT/2019/1", date(2019, 7, 1))


def test_a_budget_a_cent_off_the_total_cost_is_refused() -> None:
    budget = GrantBudget.open(NOW)
    lines = {LineKey("ministry", SA1, CostHeading.STAFF): Decimal("1000.01")}
    error = refused(BudgetTotalsWrong, lambda: budget.adopt(
        lines, "P/1", date(2019, 7, 1), SMALL, CARD_TERMS, CHECKER, NOW), budget)
    assert error.params["total"] == Decimal("1070.01")


def test_florence_s_total_must_be_the_card_s_share() -> None:
    """DOMAIN.md: Florence's share EUR 346,000.00."""
    grant = GrantTerms(total_cost=Decimal("346000.00"))
    exact = {LineKey("firenze", SA4, CostHeading.SERVICES): Decimal("323364.49")}
    budget = GrantBudget.open(NOW)
    budget.adopt(exact, "P/1", date(2019, 7, 1), grant, CARD_TERMS, CHECKER, NOW)
    moved = {LineKey("firenze", SA4, CostHeading.SERVICES): Decimal("323364.48"),
             LineKey("ministry", SA1, CostHeading.STAFF): Decimal("0.01")}
    # The total is still right (345,999.99 + 0.01), Florence's share a cent short.
    error = refused(BudgetTotalsWrong, lambda: budget.adopt(
        moved, "P/2", date(2019, 7, 1), grant, CARD_TERMS, CHECKER, NOW), budget)
    assert (error.params["total"], error.params["expected"]) == (
        Decimal("345999.99"), FLORENCE_SHARE)


def test_a_line_of_no_co_beneficiary_is_refused() -> None:
    budget = GrantBudget.open(NOW)
    refused(UnknownCoBeneficiary, lambda: budget.adopt(
        {LineKey("caritas", SA1, CostHeading.STAFF): Decimal("1000.00")}, "P/1",
        date(2019, 7, 1), SMALL, CARD_TERMS, CHECKER, NOW), budget)


def test_a_transfer_moves_money_between_headings_and_sub_actions_of_one_co_beneficiary() -> None:
    budget = small_budget()
    budget.transfer(LineKey("firenze", SA4, CostHeading.SERVICES),
                    LineKey("firenze", SubAction.COMMUNICATION, CostHeading.TRAVEL),
                    Decimal("300.00"), TransferReason.REPROGRAMMING, "PROT/2020/7",
                    date(2020, 5, 4), CHECKER, NOW)
    assert budget.lines[LineKey("firenze", SA4, CostHeading.SERVICES)] == Decimal("0.00")
    assert budget.lines[LineKey("firenze", SubAction.COMMUNICATION, CostHeading.TRAVEL)] == \
        Decimal("300.00")
    assert budget.figures.total(SMALL.indirect_rate) == Decimal("1070.00")
    event = budget.collect_events()[-1]
    assert isinstance(event, GrantBudget.TransferApproved)
    assert (event.co_beneficiary, event.from_sub_action, event.from_heading, event.to_sub_action,
            event.to_heading, event.amount, event.reason, event.act_reference,
            event.approved_on, event.actor["id"]) == (
        "firenze", "4", "services", "6", "travel", Decimal("300.00"), "reprogramming",
        "PROT/2020/7", date(2020, 5, 4), "ministry-checker")


def test_a_transfer_of_a_cent_more_than_the_line_or_to_another_co_beneficiary_is_refused() -> None:
    budget = small_budget()
    source = LineKey("firenze", SA4, CostHeading.SERVICES)

    def move(target: LineKey, amount: str) -> None:
        budget.transfer(source, target, Decimal(amount), TransferReason.SAVINGS, "P/9",
                        date(2020, 1, 1), CHECKER, NOW)

    refused(TransferRefused, lambda: move(LineKey("firenze", SA4, CostHeading.STAFF),
                                          "300.01"), budget)
    refused(TransferRefused, lambda: move(LineKey("ministry", SA1, CostHeading.STAFF),
                                          "1.00"), budget)
    refused(TransferRefused, lambda: move(source, "1.00"), budget)
    move(LineKey("firenze", SA4, CostHeading.STAFF), "300.00")  # the whole line: allowed


def test_no_transfer_before_a_budget_is_adopted() -> None:
    budget = GrantBudget.open(NOW)
    refused(NoBudgetAdopted, lambda: budget.transfer(
        LineKey("firenze", SA4, CostHeading.STAFF), LineKey("firenze", SA4, CostHeading.TRAVEL),
        Decimal("1.00"), TransferReason.OTHER, "P/1", date(2020, 1, 1), CHECKER, NOW), budget)


@pytest.mark.parametrize("text", ["١٢٣.٠٠", "１２３.００", "12.345", "-1.00", "1e3", "", "12,50"])
def test_amounts_in_files_are_ascii_digits_with_at_most_two_decimals(text: str) -> None:
    with pytest.raises(InvalidAmount):
        euros_text(text)


def test_an_amount_in_ascii_digits_is_read_to_the_cent() -> None:
    assert euros_text("1234.5") == Decimal("1234.50")
    assert euros_text("0", zero_allowed=True) == Decimal("0.00")


# --- a claim's evidence ------------------------------------------------------------------------


def test_a_drafted_claim_records_its_evidence_and_publishes_its_city() -> None:
    claim = drafted()
    event = claim.collect_events()[0]
    assert isinstance(event, ExpenditureClaim.Drafted)
    assert (event.co_beneficiary, event.city, event.sub_action, event.heading, event.supplier,
            event.document_number, event.document_date, event.gross_amount,
            event.eligible_amount, event.vat_treatment, event.payment_date, event.cup,
            event.cig, event.corrects, event.actor["id"]) == (
        "firenze", "firenze", "4", "services", "Cooperativa Il Ponte", "FT 12/2021",
        date(2021, 1, 15), Decimal("1220.00"), Decimal("1000.00"), "recoverable",
        date(2021, 2, 1), "J11H19000000001", "ZA12345678", None, "coordinator-1")
    assert claim.state is ClaimState.DRAFT


def test_a_national_partner_s_claim_is_published_on_the_network_s_subjects() -> None:
    claim = drafted(co_beneficiary="anci_comunicare", sub_action=SubAction.COMMUNICATION)
    event = claim.collect_events()[0]
    assert isinstance(event, ExpenditureClaim.Drafted)
    assert event.city == "network"


@pytest.mark.parametrize(("field", "value", "error"), [
    ("eligible_amount", Decimal("1220.01"), InvalidAmount),
    ("gross_amount", Decimal("12.345"), InvalidAmount),
    ("eligible_amount", Decimal("0"), InvalidAmount),
    ("cup", "J11H1900000000", InvalidClaimEvidence),  # 14 characters
    ("cup", "J11H19000000001X", InvalidClaimEvidence),  # 16
    ("cig", "ZA1234567", InvalidClaimEvidence),
    ("supplier", " ", InvalidClaimEvidence),
    ("supplier", "S" * 121, InvalidClaimEvidence),
    ("document_number", "", InvalidClaimEvidence),
    ("document_number", "N" * 41, InvalidClaimEvidence),
    ("document_date", date(2019, 6, 30), OutsideEligibility),
    ("payment_date", date(2022, 1, 1), OutsideEligibility),
    ("payment_date", NOW.date() + timedelta(days=1), OutsideEligibility),
    ("co_beneficiary", "caritas", UnknownCoBeneficiary),
])
def test_a_claim_with_wrong_evidence_is_refused(field: str, value: object,
                                                error: type[FinanceError]) -> None:
    with pytest.raises(error):
        drafted(**{field: value})


def test_the_limits_of_the_evidence_are_accepted_at_the_limit() -> None:
    claim = drafted(eligible_amount=Decimal("1220.00"), supplier="S" * 120,
                    document_number="N" * 40, document_date=date(2019, 7, 1), cig=None,
                    cup="j11h19000000001")
    assert claim.evidence.cup == "J11H19000000001" and claim.evidence.cig is None


def test_a_city_s_cost_dated_after_it_withdrew_is_refused() -> None:
    terms = replace(CARD_TERMS, memberships={
        **CARD_TERMS.memberships,
        City.FIRENZE: (Membership(date(2019, 7, 1), date(2020, 12, 31)),)})
    with pytest.raises(NotAPartnerCity):
        ExpenditureClaim.draft(uuid4(), evidence(), terms, COORDINATOR, NOW)


# --- submission and checks ---------------------------------------------------------------------


@pytest.mark.parametrize("documents", [{}, {UUID(int=1): "invoice"},
                                       {UUID(int=2): "proof_of_payment"}])
def test_a_claim_without_its_invoice_and_proof_of_payment_cannot_be_submitted(
        documents: dict[UUID, str]) -> None:
    claim = drafted()
    refused(EvidenceMissing, lambda: claim.submit(documents, COORDINATOR, NOW), claim)


def test_a_submitted_claim_records_its_documents() -> None:
    claim = submitted()
    event = claim.collect_events()[-1]
    assert isinstance(event, ExpenditureClaim.Submitted)
    assert event.documents == [UUID(int=1), UUID(int=2)]
    assert event.eligible_amount == Decimal("1000.00")
    assert claim.state is ClaimState.SUBMITTED


def test_the_submitter_cannot_check_their_own_claim() -> None:
    """DOMAIN.md: the checker is never the submitter."""
    claim = submitted()
    ministry_coordinator = Actor(ActorKind.USER, COORDINATOR.id, Role.MINISTRY)
    refused(FourEyes, lambda: claim.admit([], GrantTerms(), ministry_coordinator, NOW), claim)
    refused(FourEyes, lambda: claim.reject(DisallowanceReason.DUPLICATE, ministry_coordinator,
                                           NOW), claim)


def test_a_full_admission_admits_the_eligible_amount() -> None:
    claim = submitted()
    claim.admit([], GrantTerms(), CHECKER, NOW)
    event = claim.collect_events()[-1]
    assert isinstance(event, ExpenditureClaim.Checked)
    assert (event.admitted_amount, event.disallowed, event.confirmation_needed) == (
        Decimal("1000.00"), [], False)
    assert claim.state is ClaimState.ADMITTED


def test_a_partial_admission_admits_what_the_disallowed_parts_leave() -> None:
    claim = submitted()
    claim.admit([Disallowance(Decimal("150.00"), DisallowanceReason.OUTSIDE_PERIOD),
                 Disallowance(Decimal("49.99"), DisallowanceReason.NO_PROOF)],
                GrantTerms(), CHECKER, NOW)
    event = claim.collect_events()[-1]
    assert isinstance(event, ExpenditureClaim.Checked)
    assert event.admitted_amount == Decimal("800.01")
    assert event.disallowed == [{"amount": "150.00", "reason": "outside_period"},
                                {"amount": "49.99", "reason": "no_proof"}]


def test_disallowed_parts_that_leave_nothing_are_a_rejection_not_an_admission() -> None:
    claim = submitted()
    refused(InvalidAdmission, lambda: claim.admit(
        [Disallowance(Decimal("1000.00"), DisallowanceReason.DUPLICATE)], GrantTerms(),
        CHECKER, NOW), claim)
    claim.admit([Disallowance(Decimal("999.99"), DisallowanceReason.DUPLICATE)], GrantTerms(),
                CHECKER, NOW)
    assert claim.admitted_amount == Decimal("0.01")


def test_an_admission_above_the_threshold_waits_for_a_second_ministry_user() -> None:
    threshold = GrantTerms(confirmation_threshold=Decimal("999.99"))
    claim = submitted()
    claim.admit([], threshold, CHECKER, NOW)
    assert claim.state is ClaimState.AWAITING_CONFIRMATION
    refused(FourEyes, lambda: claim.confirm_admission(CHECKER, NOW), claim)
    refused(FourEyes, lambda: claim.confirm_admission(COORDINATOR, NOW), claim)
    claim.confirm_admission(SECOND, NOW)
    assert claim.state.value == "admitted"  # (mypy narrowed the state above)
    event = claim.collect_events()[-1]
    assert isinstance(event, ExpenditureClaim.AdmissionConfirmed)
    assert (event.admitted_amount, event.actor["id"]) == (Decimal("1000.00"), "ministry-second")


def test_an_admission_at_the_threshold_needs_no_confirmation() -> None:
    claim = submitted()
    claim.admit([], GrantTerms(confirmation_threshold=Decimal("1000.00")), CHECKER, NOW)
    assert claim.state is ClaimState.ADMITTED
    refused(ClaimNotInState, lambda: claim.confirm_admission(SECOND, NOW), claim)


def test_a_rejection_gives_its_reason_from_the_list_and_admits_nothing() -> None:
    claim = submitted()
    claim.reject(DisallowanceReason.NOT_PERTINENT, CHECKER, NOW)
    event = claim.collect_events()[-1]
    assert isinstance(event, ExpenditureClaim.Rejected)
    assert (event.reason, event.eligible_amount) == ("not_pertinent", Decimal("1000.00"))
    assert claim.state is ClaimState.REJECTED and claim.admitted_amount == Decimal("0.00")
    with pytest.raises(ValueError):
        submitted().reject("because I say so", CHECKER, NOW)  # type: ignore[arg-type]


def test_only_a_submitted_claim_is_checked_and_only_once() -> None:
    claim = drafted()
    refused(ClaimNotInState, lambda: claim.admit([], GrantTerms(), CHECKER, NOW), claim)
    claim.submit(BOTH, COORDINATOR, NOW)
    claim.admit([], GrantTerms(), CHECKER, NOW)
    refused(ClaimNotInState, lambda: claim.reject(DisallowanceReason.OTHER, CHECKER, NOW), claim)
    refused(ClaimNotInState, lambda: claim.submit(BOTH, COORDINATOR, NOW), claim)


def test_only_a_rejected_claim_is_corrected_once_and_by_its_own_co_beneficiary() -> None:
    claim = submitted()
    refused(ClaimNotInState, lambda: claim.mark_corrected(uuid4(), "firenze", COORDINATOR, NOW),
            claim)
    claim.reject(DisallowanceReason.NO_PROOF, CHECKER, NOW)
    refused(ClaimNotInState, lambda: claim.mark_corrected(uuid4(), "bari", COORDINATOR, NOW),
            claim)
    again = uuid4()
    claim.mark_corrected(again, "firenze", COORDINATOR, NOW)
    assert claim.corrected_by == again
    refused(ClaimNotInState, lambda: claim.mark_corrected(uuid4(), "firenze", COORDINATOR, NOW),
            claim)


# --- the money arithmetic, as properties -------------------------------------------------------

cents = st.integers(min_value=0, max_value=10**11).map(lambda n: Decimal(n) / 100)
rates = st.integers(min_value=1, max_value=10000).map(lambda n: Decimal(n) / 10000)


@given(total=cents, rate=rates)
def test_the_co_financing_split_always_sums_to_the_total(total: Decimal, rate: Decimal) -> None:
    split = co_financing_split(total, rate)
    assert split.financed + split.co_financing == total
    assert split.financed <= total * rate < split.financed + Decimal("0.01")
    assert split.financed == split.financed.quantize(Decimal("0.01"))


@given(eligible=st.integers(min_value=1, max_value=10**9).map(lambda n: Decimal(n) / 100),
       parts=st.lists(cents.filter(lambda amount: amount > 0), max_size=5))
def test_admitted_is_never_more_than_claimed_and_adds_up(eligible: Decimal,
                                                         parts: list[Decimal]) -> None:
    claim = submitted(gross_amount=max(eligible, Decimal("0.01")), eligible_amount=eligible)
    disallowed = [Disallowance(part, DisallowanceReason.OTHER) for part in parts]
    try:
        claim.admit(disallowed, GrantTerms(), CHECKER, NOW)
    except (InvalidAdmission, InvalidAmount):
        assert sum(parts, Decimal(0)) >= eligible or any(p > eligible * 10 for p in parts)
        return
    assert Decimal(0) < claim.admitted_amount <= eligible
    assert claim.admitted_amount + sum(parts, Decimal(0)) == eligible


line_keys = st.tuples(st.sampled_from([s.value for s in SubAction]),
                      st.sampled_from([h.value for h in CostHeading]))
figures = st.builds(
    Figures,
    budget=st.dictionaries(line_keys, cents, max_size=8),
    admitted=st.dictionaries(line_keys, cents, max_size=8),
    pending=st.dictionaries(line_keys, cents, max_size=4),
    disallowed=st.dictionaries(line_keys, cents, max_size=4),
    payments_received=cents)


@given(parts=st.lists(figures, min_size=1, max_size=4), indirect=rates, financing=rates)
def test_statements_always_balance_to_the_cent(parts: list[Figures], indirect: Decimal,
                                               financing: Decimal) -> None:
    grant = GrantTerms(indirect_rate=indirect, co_financing_rate=financing)
    moment = datetime(2021, 6, 30, tzinfo=UTC)
    statements = [co_beneficiary_statement(f"cb{n}", part, grant, moment, 1, date(2021, 12, 31))
                  for n, part in enumerate(parts)]
    action = action_statement(statements, grant, moment, 1, date(2021, 12, 31))
    for statement in (*statements, action):
        assert sum((line.budget for line in statement.lines), Decimal(0)) == \
            statement.direct_budget
        assert sum((line.admitted for line in statement.lines), Decimal(0)) == \
            statement.direct_admitted
        assert statement.total_admitted == statement.direct_admitted + \
            statement.indirect_admitted
        for split in (statement.budget_split, statement.admitted_split):
            assert split.financed + split.co_financing == split.total
        assert sum((line.admitted for line in statement.by_heading()), Decimal(0)) == \
            statement.direct_admitted
        assert sum((line.budget for line in statement.by_sub_action()), Decimal(0)) == \
            statement.direct_budget
        assert statement.payments_due + statement.payments_received == \
            statement.admitted_split.financed
    assert action.total_budget == sum((s.total_budget for s in statements), Decimal(0))
    assert action.total_admitted == sum((s.total_admitted for s in statements), Decimal(0))
    assert not action.final


def test_every_new_finance_error_has_its_own_code() -> None:
    errors = [UnknownCoBeneficiary, BudgetTotalsWrong, TransferRefused, NoBudgetAdopted,
              InvalidClaimEvidence, EvidenceMissing, ClaimNotInState, FourEyes,
              InvalidAdmission]
    assert len({error.code for error in errors}) == len(errors)
    assert all(issubclass(error, FinanceError) for error in errors)
