"""An expenditure claim as the mutation pass of issue 20 holds it (docs/testing.md, "Finance
pass"): every refusal of its evidence and of each step of its life with code, field, parameters
and message; each limit at the limit and one past it; every event compared field by field.

Rules encoded (/work/shared/design/DOMAIN.md, "Finance as an EU grant is run"): a claim carries
its evidence (invoice, proof of payment, dates, CUP, CIG where there is one); checks admit a
claim fully, partly (with reasons per disallowed part) or not at all; the checker is never the
submitter. And ("The programme"): the expenditure-eligibility window is 2019-07-01 to
2021-12-31."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from domain.finance.claims import (
    MAX_DOCUMENT_NUMBER,
    MAX_SUPPLIER,
    ClaimNotInState,
    ClaimState,
    Disallowance,
    DisallowanceReason,
    EvidenceMissing,
    ExpenditureClaim,
    FourEyes,
    InvalidAdmission,
    VatTreatment,
    check_evidence,
    subject_city,
)
from domain.finance.grant import CostHeading, GrantTerms, UnknownCoBeneficiary
from domain.finance.model import FinanceError, InvalidAmount, OutsideEligibility
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
from tests.builders import NOW, recorded
from tests.unit.test_grant_rules import (
    BOTH,
    CHECKER,
    COORDINATOR,
    SECOND,
    drafted,
    evidence,
    refused,
    submitted,
)

CLAIM = UUID(int=0xC1A1)
LATER = datetime(2021, 6, 1, 8, 0, tzinfo=UTC)
SUBMITTER = Actor(ActorKind.USER, "submitter-1", Role.CITY_COORDINATOR, City.FIRENZE)
WINDOW = (
    "The cost must be dated within the eligibility window (2019-07-01 to 2021-12-31), "
    "and not in the future."
)
DRAFTED = {
    "co_beneficiary": "firenze",
    "city": "firenze",
    "sub_action": "4",
    "heading": "services",
    "supplier": "Cooperativa Il Ponte",
    "document_number": "FT 12/2021",
    "document_date": date(2021, 1, 15),
    "gross_amount": Decimal("1220.00"),
    "eligible_amount": Decimal("1000.00"),
    "vat_treatment": "recoverable",
    "payment_date": date(2021, 2, 1),
    "cup": "J11H19000000001",
    "cig": "ZA12345678",
    "corrects": None,
    "actor": COORDINATOR.as_record(),
}


def said(error: FinanceError) -> tuple[str, str, dict[str, Any]]:
    return error.code, error.message, error.params


def refusal(**overrides: Any) -> FinanceError:
    with pytest.raises(FinanceError) as raised:
        check_evidence(evidence(**overrides), CARD_TERMS, NOW)
    return raised.value


# --- the evidence --------------------------------------------------------------------------------


def test_a_drafted_claim_records_its_evidence_field_by_field() -> None:
    claim = ExpenditureClaim.draft(
        CLAIM,
        evidence(
            supplier="  Cooperativa Il Ponte ",
            document_number=" FT 12/2021 ",
            cup=" j11h19000000001 ",
            cig=" za12345678 ",
            gross_amount=Decimal("1220"),
            eligible_amount=Decimal("1000"),
        ),
        CARD_TERMS,
        COORDINATOR,
        LATER,
    )
    assert claim.id == CLAIM
    assert recorded(claim) == [("Drafted", {"timestamp": LATER, **DRAFTED})]
    assert claim.evidence == evidence()
    assert (
        claim.co_beneficiary,
        claim.corrects,
        claim.corrected_by,
        claim.drafted_by,
        claim.submitted_by,
        claim.checked_by,
        claim.state,
        claim.admitted_amount,
        claim.disallowed,
        claim.evidence_documents,
    ) == (
        "firenze",
        None,
        None,
        "coordinator-1",
        None,
        None,
        ClaimState.DRAFT,
        Decimal("0.00"),
        (),
        (),
    )


def test_a_corrected_claim_records_what_it_corrects_and_a_national_partner_the_network() -> None:
    claim = ExpenditureClaim.draft(
        CLAIM,
        evidence(co_beneficiary="cittalia", cig="  "),
        CARD_TERMS,
        COORDINATOR,
        NOW,
        corrects=UUID(int=7),
    )
    ((_, fields),) = recorded(claim)
    assert (fields["co_beneficiary"], fields["city"], fields["cig"], fields["corrects"]) == (
        "cittalia",
        "network",
        None,
        UUID(int=7),
    )
    assert claim.corrects == UUID(int=7)
    assert [subject_city(who) for who in ("ministry", "anci", "bari")] == [
        "network",
        "network",
        "bari",
    ]


def test_a_claim_of_no_co_beneficiary_is_refused_naming_it() -> None:
    assert said(refusal(co_beneficiary="caritas")) == (
        "unknown_co_beneficiary",
        "caritas is not a co-beneficiary of the action.",
        {"field": "co_beneficiary", "co_beneficiary": "caritas"},
    )
    assert isinstance(refusal(co_beneficiary="caritas"), UnknownCoBeneficiary)


@pytest.mark.parametrize("supplier", ["", "   ", "S" * (MAX_SUPPLIER + 1)])
def test_a_supplier_of_up_to_120_characters_is_required(supplier: str) -> None:
    assert said(refusal(supplier=supplier)) == (
        "invalid_claim_evidence",
        "Give the supplier's name, in up to 120 characters.",
        {"field": "supplier"},
    )


@pytest.mark.parametrize("number", ["", "  ", "N" * (MAX_DOCUMENT_NUMBER + 1)])
def test_a_document_number_of_up_to_40_characters_is_required(number: str) -> None:
    assert said(refusal(document_number=number)) == (
        "invalid_claim_evidence",
        "Give the document's number, in up to 40 characters.",
        {"field": "document_number"},
    )


def test_the_limits_of_supplier_and_document_number_are_accepted() -> None:
    checked = check_evidence(
        evidence(supplier=" " + "S" * 120 + " ", document_number=" " + "N" * 40 + " "),
        CARD_TERMS,
        NOW,
    )
    assert (checked.supplier, checked.document_number) == ("S" * 120, "N" * 40)
    assert (MAX_SUPPLIER, MAX_DOCUMENT_NUMBER) == (120, 40)


@pytest.mark.parametrize("cup", ["", "J11H1900000000", "J11H19000000001X", "J11H1900000000-"])
def test_a_cup_is_15_letters_and_digits(cup: str) -> None:
    assert said(refusal(cup=cup)) == (
        "invalid_claim_evidence",
        "The CUP is 15 letters and digits.",
        {"field": "cup"},
    )


@pytest.mark.parametrize("cig", ["ZA1234567", "ZA123456789", "ZA1234567-"])
def test_a_cig_where_given_is_10_letters_and_digits(cig: str) -> None:
    assert said(refusal(cig=cig)) == (
        "invalid_claim_evidence",
        "The CIG is 10 letters and digits.",
        {"field": "cig"},
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gross_amount", Decimal("0")),
        ("eligible_amount", Decimal("0")),
        ("gross_amount", Decimal("1.001")),
        ("eligible_amount", Decimal("-1")),
    ],
)
def test_both_amounts_are_checked_in_their_own_field(field: str, value: Decimal) -> None:
    error = refusal(**{field: value})
    assert (error.code, error.params) == ("invalid_amount", {"field": field})


def test_the_eligible_amount_may_be_the_gross_amount_and_not_a_cent_more() -> None:
    assert check_evidence(
        evidence(eligible_amount=Decimal("1220.00")), CARD_TERMS, NOW
    ).eligible_amount == Decimal("1220.00")
    error = refusal(eligible_amount=Decimal("1220.01"))
    assert isinstance(error, InvalidAmount)
    assert said(error) == (
        "invalid_amount",
        "The eligible amount cannot exceed the gross amount.",
        {"field": "eligible_amount"},
    )


@pytest.mark.parametrize(
    ("field", "day", "now"),
    [
        ("document_date", date(2019, 6, 30), NOW),
        ("document_date", date(2022, 1, 1), datetime(2022, 3, 1, tzinfo=UTC)),
        ("document_date", date(2021, 3, 11), NOW),
        ("payment_date", date(2019, 6, 30), NOW),
        ("payment_date", date(2022, 1, 1), datetime(2022, 3, 1, tzinfo=UTC)),
        ("payment_date", date(2021, 3, 11), NOW),
    ],
)
def test_both_dates_are_within_the_window_and_not_in_the_future(
    field: str, day: date, now: datetime
) -> None:
    with pytest.raises(OutsideEligibility) as raised:
        check_evidence(evidence(**{field: day}), CARD_TERMS, now)
    assert said(raised.value) == (
        "outside_eligibility",
        WINDOW,
        {"field": field, "starts_on": date(2019, 7, 1), "ends_on": date(2021, 12, 31)},
    )


def test_dates_of_today_in_italy_and_the_window_s_ends_are_eligible() -> None:
    checked = check_evidence(
        evidence(document_date=date(2019, 7, 1), payment_date=date(2021, 12, 31)),
        CARD_TERMS,
        datetime(2022, 1, 1, tzinfo=UTC),
    )
    assert (checked.document_date, checked.payment_date) == (date(2019, 7, 1), date(2021, 12, 31))
    late_evening = datetime(2021, 3, 10, 23, 30, tzinfo=UTC)  # the 11th in Italy
    check_evidence(
        evidence(document_date=date(2021, 3, 11), payment_date=date(2021, 3, 11)),
        CARD_TERMS,
        late_evening,
    )


def test_a_city_s_cost_is_refused_on_a_document_date_it_was_no_partner() -> None:
    withdrawn = replace(
        CARD_TERMS,
        memberships={
            **CARD_TERMS.memberships,
            City.FIRENZE: (Membership(date(2019, 7, 1), date(2021, 1, 15)),),
        },
    )
    check_evidence(evidence(document_date=date(2021, 1, 14)), withdrawn, NOW)
    with pytest.raises(NotAPartnerCity) as raised:
        check_evidence(evidence(), withdrawn, NOW)
    assert (raised.value.code, raised.value.params) == (
        "not_a_partner_city",
        {"field": "document_date", "city": "firenze", "on": date(2021, 1, 15)},
    )
    # A national partner is no city: its membership is never asked.
    check_evidence(evidence(co_beneficiary="anci"), withdrawn, NOW)


def test_the_evidence_is_given_back_normalised() -> None:
    checked = check_evidence(
        evidence(
            sub_action="4", heading="staff", vat_treatment="exempt", cup="j11h19000000001", cig=None
        ),
        CARD_TERMS,
        NOW,
    )
    assert checked == replace(
        evidence(),
        sub_action=SubAction.FAST_TRACK_HOUSING,
        heading=CostHeading.STAFF,
        vat_treatment=VatTreatment.EXEMPT,
        cig=None,
    )
    assert type(checked.sub_action) is SubAction and type(checked.heading) is CostHeading
    assert type(checked.vat_treatment) is VatTreatment


# --- submission ----------------------------------------------------------------------------------


def test_a_submission_records_the_documents_sorted_and_who_submitted() -> None:
    claim = drafted()
    claim.collect_events()
    documents = {UUID(int=9): "proof_of_payment", UUID(int=3): "invoice", UUID(int=5): "other"}
    claim.submit(documents, SUBMITTER, LATER)
    assert recorded(claim) == [
        (
            "Submitted",
            {
                "timestamp": LATER,
                "co_beneficiary": "firenze",
                "city": "firenze",
                "eligible_amount": Decimal("1000.00"),
                "documents": [UUID(int=3), UUID(int=5), UUID(int=9)],
                "actor": SUBMITTER.as_record(),
            },
        )
    ]
    assert (claim.state, claim.submitted_by, claim.evidence_documents) == (
        ClaimState.SUBMITTED,
        "submitter-1",
        (UUID(int=3), UUID(int=5), UUID(int=9)),
    )


@pytest.mark.parametrize(
    "documents",
    [
        {},
        {UUID(int=1): "invoice"},
        {UUID(int=2): "proof_of_payment"},
        {UUID(int=1): "other", UUID(int=2): "receipt"},
    ],
)
def test_a_submission_without_invoice_and_proof_of_payment_is_refused(
    documents: dict[UUID, str],
) -> None:
    claim = drafted()
    error = refused(EvidenceMissing, lambda: claim.submit(documents, COORDINATOR, NOW), claim)
    assert said(error) == (
        "evidence_missing",
        "Attach the invoice and the proof of payment before submitting the claim.",
        {"field": "documents"},
    )


def test_a_claim_submitted_already_is_not_submitted_again() -> None:
    claim = submitted()
    error = refused(ClaimNotInState, lambda: claim.submit(BOTH, COORDINATOR, NOW), claim)
    assert said(error) == (
        "claim_not_in_state",
        "The claim is submitted: this cannot be done now.",
        {"field": "claim_id", "state": "submitted"},
    )


# --- checks --------------------------------------------------------------------------------------


def submitted_by_another() -> ExpenditureClaim:
    claim = drafted()
    claim.submit(BOTH, SUBMITTER, NOW)
    claim.collect_events()
    return claim


def test_a_partial_admission_records_each_part_and_what_is_left() -> None:
    claim = submitted_by_another()
    claim.admit(
        [
            Disallowance(Decimal("150"), "outside_period"),  # type: ignore[arg-type]
            Disallowance(Decimal("49.99"), DisallowanceReason.NO_PROOF),
        ],
        GrantTerms(),
        CHECKER,
        LATER,
    )
    assert recorded(claim) == [
        (
            "Checked",
            {
                "timestamp": LATER,
                "co_beneficiary": "firenze",
                "city": "firenze",
                "eligible_amount": Decimal("1000.00"),
                "admitted_amount": Decimal("800.01"),
                "disallowed": [
                    {"amount": "150.00", "reason": "outside_period"},
                    {"amount": "49.99", "reason": "no_proof"},
                ],
                "confirmation_needed": False,
                "actor": CHECKER.as_record(),
            },
        )
    ]
    assert (claim.state, claim.admitted_amount, claim.checked_by, claim.disallowed) == (
        ClaimState.ADMITTED,
        Decimal("800.01"),
        "ministry-checker",
        (
            Disallowance(Decimal("150.00"), DisallowanceReason.OUTSIDE_PERIOD),
            Disallowance(Decimal("49.99"), DisallowanceReason.NO_PROOF),
        ),
    )


def test_a_disallowed_part_is_checked_as_euros_in_its_own_field() -> None:
    claim = submitted_by_another()
    error = refused(
        InvalidAmount,
        lambda: claim.admit(
            [Disallowance(Decimal("0"), DisallowanceReason.OTHER)], GrantTerms(), CHECKER, NOW
        ),
        claim,
    )
    assert error.params == {"field": "disallowed_amount"}
    with pytest.raises(ValueError):
        claim.admit(
            [Disallowance(Decimal("1"), "because")],  # type: ignore[arg-type]
            GrantTerms(),
            CHECKER,
            NOW,
        )


def test_parts_leaving_nothing_are_refused_and_a_cent_left_is_admitted() -> None:
    claim = submitted_by_another()
    error = refused(
        InvalidAdmission,
        lambda: claim.admit(
            [
                Disallowance(Decimal("600.00"), DisallowanceReason.DUPLICATE),
                Disallowance(Decimal("400.00"), DisallowanceReason.OTHER),
            ],
            GrantTerms(),
            CHECKER,
            NOW,
        ),
        claim,
    )
    assert said(error) == (
        "invalid_admission",
        "The disallowed parts leave nothing to admit: reject the claim instead.",
        {"field": "disallowed_amount"},
    )
    claim.admit(
        [
            Disallowance(Decimal("600.00"), DisallowanceReason.DUPLICATE),
            Disallowance(Decimal("399.99"), DisallowanceReason.OTHER),
        ],
        GrantTerms(),
        CHECKER,
        NOW,
    )
    assert claim.admitted_amount == Decimal("0.01")


def test_an_admission_a_cent_above_the_threshold_waits_and_at_it_does_not() -> None:
    waits = submitted_by_another()
    waits.admit([], GrantTerms(confirmation_threshold=Decimal("999.99")), CHECKER, NOW)
    ((_, fields),) = recorded(waits)
    assert fields["confirmation_needed"] is True
    assert waits.state is ClaimState.AWAITING_CONFIRMATION
    done = submitted_by_another()
    done.admit([], GrantTerms(confirmation_threshold=Decimal("1000.00")), CHECKER, NOW)
    ((_, fields),) = recorded(done)
    assert fields["confirmation_needed"] is False
    assert GrantTerms().confirmation_threshold == Decimal("50000.00")


@pytest.mark.parametrize("who", ["coordinator-1", "submitter-1"])
def test_neither_who_drafted_nor_who_submitted_checks(who: str) -> None:
    """DOMAIN.md: the checker is never the submitter (nor, four eyes, who drafted)."""
    claim = submitted_by_another()
    checker = Actor(ActorKind.USER, who, Role.MINISTRY)
    for command in (
        lambda: claim.admit([], GrantTerms(), checker, NOW),
        lambda: claim.reject(DisallowanceReason.OTHER, checker, NOW),
    ):
        error = refused(FourEyes, command, claim)
        assert said(error) == (
            "four_eyes",
            "Whoever drafted or submitted a claim cannot check it.",
            {"field": "claim_id"},
        )


def test_a_draft_is_neither_admitted_nor_rejected_nor_confirmed() -> None:
    claim = drafted()
    for command in (
        lambda: claim.admit([], GrantTerms(), CHECKER, NOW),
        lambda: claim.reject(DisallowanceReason.OTHER, CHECKER, NOW),
        lambda: claim.confirm_admission(SECOND, NOW),
    ):
        error = refused(ClaimNotInState, command, claim)
        assert said(error) == (
            "claim_not_in_state",
            "The claim is draft: this cannot be done now.",
            {"field": "claim_id", "state": "draft"},
        )


def test_a_confirmation_records_the_admitted_amount_and_the_second_user() -> None:
    claim = submitted_by_another()
    claim.admit(
        [Disallowance(Decimal("0.01"), DisallowanceReason.OTHER)],
        GrantTerms(confirmation_threshold=Decimal("1.00")),
        CHECKER,
        NOW,
    )
    claim.collect_events()
    claim.confirm_admission(SECOND, LATER)
    assert recorded(claim) == [
        (
            "AdmissionConfirmed",
            {
                "timestamp": LATER,
                "co_beneficiary": "firenze",
                "city": "firenze",
                "admitted_amount": Decimal("999.99"),
                "actor": SECOND.as_record(),
            },
        )
    ]
    assert claim.state is ClaimState.ADMITTED
    assert claim.checked_by == "ministry-checker"


@pytest.mark.parametrize("who", ["ministry-checker", "submitter-1", "coordinator-1"])
def test_neither_the_checker_nor_the_submitter_nor_the_drafter_confirms(who: str) -> None:
    claim = submitted_by_another()
    claim.admit([], GrantTerms(confirmation_threshold=Decimal("1.00")), CHECKER, NOW)
    error = refused(
        FourEyes,
        lambda: claim.confirm_admission(Actor(ActorKind.USER, who, Role.MINISTRY), NOW),
        claim,
    )
    assert said(error) == (
        "four_eyes",
        "A second ministry user, not the checker, confirms the admission.",
        {"field": "claim_id"},
    )


def test_a_rejection_records_its_reason_and_disallows_the_whole_eligible_amount() -> None:
    claim = submitted_by_another()
    claim.reject("duplicate", CHECKER, LATER)  # type: ignore[arg-type]
    assert recorded(claim) == [
        (
            "Rejected",
            {
                "timestamp": LATER,
                "co_beneficiary": "firenze",
                "city": "firenze",
                "eligible_amount": Decimal("1000.00"),
                "reason": "duplicate",
                "actor": CHECKER.as_record(),
            },
        )
    ]
    assert (claim.state, claim.checked_by, claim.disallowed, claim.admitted_amount) == (
        ClaimState.REJECTED,
        "ministry-checker",
        (Disallowance(Decimal("1000.00"), DisallowanceReason.DUPLICATE),),
        Decimal("0.00"),
    )


# --- corrections ---------------------------------------------------------------------------------


def rejected() -> ExpenditureClaim:
    claim = submitted_by_another()
    claim.reject(DisallowanceReason.NO_PROOF, CHECKER, NOW)
    claim.collect_events()
    return claim


def test_marking_a_rejected_claim_corrected_records_the_correction() -> None:
    claim = rejected()
    claim.mark_corrected(UUID(int=8), "firenze", COORDINATOR, LATER)
    assert recorded(claim) == [
        (
            "Corrected",
            {
                "timestamp": LATER,
                "co_beneficiary": "firenze",
                "city": "firenze",
                "corrected_by": UUID(int=8),
                "actor": COORDINATOR.as_record(),
            },
        )
    ]
    assert claim.corrected_by == UUID(int=8)


def test_a_claim_not_rejected_or_corrected_already_is_not_corrected() -> None:
    message = (
        "claim_not_in_state",
        "Only a rejected claim, not corrected yet, is answered by a corrected one.",
        {"field": "corrects"},
    )
    claim = submitted_by_another()
    assert (
        said(
            refused(
                ClaimNotInState,
                lambda: claim.mark_corrected(UUID(int=8), "firenze", COORDINATOR, NOW),
                claim,
            )
        )
        == message
    )
    claim = rejected()
    claim.mark_corrected(UUID(int=8), "firenze", COORDINATOR, NOW)
    assert (
        said(
            refused(
                ClaimNotInState,
                lambda: claim.mark_corrected(UUID(int=9), "firenze", COORDINATOR, NOW),
                claim,
            )
        )
        == message
    )


def test_a_claim_is_corrected_by_its_own_co_beneficiary_only() -> None:
    claim = rejected()
    error = refused(
        ClaimNotInState, lambda: claim.mark_corrected(UUID(int=8), "bari", COORDINATOR, NOW), claim
    )
    assert said(error) == (
        "claim_not_in_state",
        "A claim is corrected by its own co-beneficiary.",
        {"field": "corrects"},
    )
    assert claim.corrected_by is None
