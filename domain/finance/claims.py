"""An expenditure claim as an EU grant's checks see it (issue 13; DOMAIN.md, "Finance as an EU
grant is run"): a cost of one co-beneficiary, for one sub-action and cost heading, with its
evidence (supplier, document number and date, gross and eligible amounts, VAT treatment, payment
date, CUP and CIG, the invoice and the proof of payment attached through the documents context).

Its life: drafted, submitted for checking (only with an invoice and a proof of payment attached),
then admitted fully, admitted partly (each disallowed part with its reason, from a list) or
rejected. An admission above the configured threshold waits for a second ministry user to
confirm it. Four eyes: the checker is neither who drafted nor who submitted the claim, and the
confirmer is none of them. A rejected claim may be answered by a corrected claim that names it;
the rejected one then records that it was corrected (both saved together).

Each claim is its own aggregate: no rule spans two claims except the correction, decided on the
two together. Whether a claim fits its heading's budget is the checker's judgement (the reason
`over_heading_budget`), not a refusal at drafting: the budget can be amended afterwards.

What is published of a claim is ids, codes, amounts and dates: the supplier's name and the
document number stay in the stored event (a supplier may be a sole trader, a person)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.finance.grant import (
    CostHeading,
    GrantTerms,
    UnknownCoBeneficiary,
    co_beneficiaries,
    grant_euros,
    is_national_partner,
)
from domain.finance.model import ZERO, FinanceError, InvalidAmount, OutsideEligibility
from domain.programme import Actor, City, SubAction, TermsInForce, programme_today

MAX_SUPPLIER = 120
MAX_DOCUMENT_NUMBER = 40
# CUP: 15 letters and digits (codice unico di progetto); CIG: 10 (codice identificativo gara).
_CUP = re.compile(r"[A-Z0-9]{15}", re.ASCII)
_CIG = re.compile(r"[A-Z0-9]{10}", re.ASCII)


class VatTreatment(StrEnum):
    """How the invoice's VAT counts: an eligible cost only when the co-beneficiary cannot
    recover it."""

    NOT_RECOVERABLE = "not_recoverable"
    """VAT paid and not recoverable: part of the eligible cost."""
    RECOVERABLE = "recoverable"
    """VAT the co-beneficiary recovers: not an eligible cost."""
    EXEMPT = "exempt"
    """No VAT on the document (exempt, out of scope, a payslip)."""


class ClaimState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    ADMITTED = "admitted"
    REJECTED = "rejected"


class DisallowanceReason(StrEnum):
    """Why (part of) a cost is not admitted: a list, so that the reason can be published and
    counted (free text could name a person)."""

    OUTSIDE_PERIOD = "outside_period"
    NOT_PERTINENT = "not_pertinent"
    NO_PROOF = "no_proof"
    OVER_HEADING_BUDGET = "over_heading_budget"
    DUPLICATE = "duplicate"
    OTHER = "other"


@dataclass(frozen=True)
class Disallowance:
    amount: Decimal
    reason: DisallowanceReason


class InvalidClaimEvidence(FinanceError):
    """Raised when a claim's supplier, document, dates, VAT treatment, CUP or CIG are missing or
    malformed, or its eligible amount exceeds its gross amount."""

    code = "invalid_claim_evidence"


class EvidenceMissing(FinanceError):
    """Raised when a claim is submitted without an invoice and a proof of payment attached."""

    code = "evidence_missing"


class ClaimNotInState(FinanceError):
    """Raised when a command does not fit the claim's state (submit a submitted claim, check a
    draft, confirm what needs no confirmation, correct a claim not rejected)."""

    code = "claim_not_in_state"


class FourEyes(FinanceError):
    """Raised when whoever drafted or submitted a claim would check it, or whoever checked it
    would confirm the admission."""

    code = "four_eyes"


class InvalidAdmission(FinanceError):
    """Raised when the admitted and disallowed parts do not add up to the eligible amount, or a
    partial admission gives no disallowed part."""

    code = "invalid_admission"


@dataclass(frozen=True)
class ClaimEvidence:
    """What a co-beneficiary gives to claim a cost."""

    co_beneficiary: str
    sub_action: SubAction
    heading: CostHeading
    supplier: str
    document_number: str
    document_date: date
    gross_amount: Decimal
    eligible_amount: Decimal
    vat_treatment: VatTreatment
    payment_date: date
    cup: str
    cig: str | None = None


def check_evidence(evidence: ClaimEvidence, terms: TermsInForce, now: datetime) -> ClaimEvidence:
    """The evidence, normalised, or the refusal. The cost is incurred (the document dated) and
    paid within the eligibility window, not in the future, by a co-beneficiary of the action
    (a city a partner on the document's date)."""
    if evidence.co_beneficiary not in co_beneficiaries(terms):
        raise UnknownCoBeneficiary(
            f"{evidence.co_beneficiary} is not a co-beneficiary of the action.",
            field="co_beneficiary", co_beneficiary=evidence.co_beneficiary)
    supplier = evidence.supplier.strip()
    if not supplier or len(supplier) > MAX_SUPPLIER:
        raise InvalidClaimEvidence("Give the supplier's name, in up to 120 characters.",
                                   field="supplier")
    number = evidence.document_number.strip()
    if not number or len(number) > MAX_DOCUMENT_NUMBER:
        raise InvalidClaimEvidence("Give the document's number, in up to 40 characters.",
                                   field="document_number")
    cup = evidence.cup.strip().upper()
    if not _CUP.fullmatch(cup):
        raise InvalidClaimEvidence("The CUP is 15 letters and digits.", field="cup")
    cig = (evidence.cig or "").strip().upper() or None
    if cig is not None and not _CIG.fullmatch(cig):
        raise InvalidClaimEvidence("The CIG is 10 letters and digits.", field="cig")
    gross = grant_euros(evidence.gross_amount, "gross_amount")
    eligible = grant_euros(evidence.eligible_amount, "eligible_amount")
    if eligible > gross:
        raise InvalidAmount("The eligible amount cannot exceed the gross amount.",
                            field="eligible_amount")
    period, today = terms.period, programme_today(now)
    for name, day in (("document_date", evidence.document_date),
                      ("payment_date", evidence.payment_date)):
        if day not in period or day > today:
            raise OutsideEligibility(
                f"The cost must be dated within the eligibility window ({period.starts_on} to "
                f"{period.ends_on}), and not in the future.",
                field=name, starts_on=period.starts_on, ends_on=period.ends_on)
    if not is_national_partner(evidence.co_beneficiary):
        terms.require_partner(City(evidence.co_beneficiary), evidence.document_date,
                              field="document_date")
    return ClaimEvidence(
        co_beneficiary=evidence.co_beneficiary, sub_action=SubAction(evidence.sub_action),
        heading=CostHeading(evidence.heading), supplier=supplier, document_number=number,
        document_date=evidence.document_date, gross_amount=gross, eligible_amount=eligible,
        vat_treatment=VatTreatment(evidence.vat_treatment), payment_date=evidence.payment_date,
        cup=cup, cig=cig)


def subject_city(co_beneficiary: str) -> str:
    """Where a claim's events are published: its city's subjects, or the network's for a
    national partner (lgnet.network.claim.*)."""
    return "network" if is_national_partner(co_beneficiary) else co_beneficiary


class ExpenditureClaim(Aggregate):
    """One cost a co-beneficiary claims, from its drafting to the ministry's decision."""

    class Drafted(Aggregate.Created):
        co_beneficiary: str
        city: str
        sub_action: str
        heading: str
        supplier: str
        document_number: str
        document_date: date
        gross_amount: Decimal
        eligible_amount: Decimal
        vat_treatment: str
        payment_date: date
        cup: str
        cig: str | None
        corrects: UUID | None
        actor: dict[str, str | None]

    def __init__(self, co_beneficiary: str, city: str, sub_action: str, heading: str, supplier: str,
                 document_number: str, document_date: date, gross_amount: Decimal,
                 eligible_amount: Decimal, vat_treatment: str, payment_date: date, cup: str,
                 cig: str | None, corrects: UUID | None, actor: dict[str, str | None]) -> None:
        self.evidence = ClaimEvidence(
            co_beneficiary, SubAction(sub_action), CostHeading(heading), supplier,
            document_number, document_date, gross_amount, eligible_amount,
            VatTreatment(vat_treatment), payment_date, cup, cig)
        self.corrects = corrects
        self.corrected_by: UUID | None = None
        self.drafted_by = str(actor["id"])
        self.submitted_by: str | None = None
        self.checked_by: str | None = None
        self.state = ClaimState.DRAFT
        self.admitted_amount = ZERO
        self.disallowed: tuple[Disallowance, ...] = ()
        self.evidence_documents: tuple[UUID, ...] = ()

    @property
    def co_beneficiary(self) -> str:
        return self.evidence.co_beneficiary

    @classmethod
    def draft(cls, claim_id: UUID, evidence: ClaimEvidence, terms: TermsInForce,
              actor: Actor, now: datetime, corrects: UUID | None = None) -> ExpenditureClaim:
        checked = check_evidence(evidence, terms, now)
        return cls._create(
            cls.Drafted, id=claim_id, timestamp=now, co_beneficiary=checked.co_beneficiary,
            city=subject_city(checked.co_beneficiary),
            sub_action=checked.sub_action.value, heading=checked.heading.value,
            supplier=checked.supplier, document_number=checked.document_number,
            document_date=checked.document_date, gross_amount=checked.gross_amount,
            eligible_amount=checked.eligible_amount,
            vat_treatment=checked.vat_treatment.value, payment_date=checked.payment_date,
            cup=checked.cup, cig=checked.cig, corrects=corrects, actor=actor.as_record())

    class Submitted(Aggregate.Event):
        co_beneficiary: str
        city: str
        eligible_amount: Decimal
        documents: list[UUID]
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ExpenditureClaim)
            aggregate.state = ClaimState.SUBMITTED
            aggregate.submitted_by = str(self.actor["id"])
            aggregate.evidence_documents = tuple(self.documents)

    def submit(self, documents: Mapping[UUID, str], actor: Actor, now: datetime) -> None:
        """Submit the claim for checking, with the documents attached to it (id -> kind): an
        invoice and a proof of payment at least."""
        self._require(ClaimState.DRAFT)
        kinds = set(documents.values())
        if "invoice" not in kinds or "proof_of_payment" not in kinds:
            raise EvidenceMissing(
                "Attach the invoice and the proof of payment before submitting the claim.",
                field="documents")
        self.trigger_event(self.Submitted, timestamp=now, co_beneficiary=self.co_beneficiary,
                           city=subject_city(self.co_beneficiary),
                           eligible_amount=self.evidence.eligible_amount,
                           documents=sorted(documents), actor=actor.as_record())

    class Checked(Aggregate.Event):
        """The ministry's check: `admitted_amount` admitted, each disallowed part with its
        reason (none for a full admission); `confirmation_needed` when a second ministry user
        must confirm it."""

        co_beneficiary: str
        city: str
        eligible_amount: Decimal
        admitted_amount: Decimal
        disallowed: list[dict[str, str]]
        confirmation_needed: bool
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ExpenditureClaim)
            aggregate.admitted_amount = self.admitted_amount
            aggregate.disallowed = tuple(
                Disallowance(Decimal(part["amount"]), DisallowanceReason(part["reason"]))
                for part in self.disallowed)
            aggregate.checked_by = str(self.actor["id"])
            aggregate.state = (ClaimState.AWAITING_CONFIRMATION if self.confirmation_needed
                               else ClaimState.ADMITTED)

    def admit(self, disallowed: Sequence[Disallowance], grant: GrantTerms, actor: Actor,
              now: datetime) -> None:
        """Admit the claim: fully with no disallowed part, partly with each part that is not
        admitted and why. The parts never exceed the eligible amount; what is left is admitted."""
        self._require(ClaimState.SUBMITTED)
        self._four_eyes(actor)
        eligible = self.evidence.eligible_amount
        parts = [Disallowance(grant_euros(part.amount, "disallowed_amount"),
                              DisallowanceReason(part.reason)) for part in disallowed]
        disallowed_total = sum((part.amount for part in parts), ZERO)
        if disallowed_total >= eligible:
            raise InvalidAdmission(
                "The disallowed parts leave nothing to admit: reject the claim instead.",
                field="disallowed_amount")
        admitted = eligible - disallowed_total
        self.trigger_event(
            self.Checked, timestamp=now, co_beneficiary=self.co_beneficiary,
                           city=subject_city(self.co_beneficiary),
            eligible_amount=eligible, admitted_amount=admitted,
            disallowed=[{"amount": format(part.amount, "f"), "reason": part.reason.value}
                        for part in parts],
            confirmation_needed=admitted > grant.confirmation_threshold,
            actor=actor.as_record())

    class AdmissionConfirmed(Aggregate.Event):
        co_beneficiary: str
        city: str
        admitted_amount: Decimal
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ExpenditureClaim)
            aggregate.state = ClaimState.ADMITTED

    def confirm_admission(self, actor: Actor, now: datetime) -> None:
        self._require(ClaimState.AWAITING_CONFIRMATION)
        if actor.id in {self.checked_by, self.submitted_by, self.drafted_by}:
            raise FourEyes("A second ministry user, not the checker, confirms the admission.",
                           field="claim_id")
        self.trigger_event(self.AdmissionConfirmed, timestamp=now,
                           co_beneficiary=self.co_beneficiary,
                           city=subject_city(self.co_beneficiary),
                           admitted_amount=self.admitted_amount, actor=actor.as_record())

    class Rejected(Aggregate.Event):
        co_beneficiary: str
        city: str
        eligible_amount: Decimal
        reason: str
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ExpenditureClaim)
            aggregate.state = ClaimState.REJECTED
            aggregate.checked_by = str(self.actor["id"])
            aggregate.disallowed = (Disallowance(aggregate.evidence.eligible_amount,
                                                 DisallowanceReason(self.reason)),)

    def reject(self, reason: DisallowanceReason, actor: Actor, now: datetime) -> None:
        self._require(ClaimState.SUBMITTED)
        self._four_eyes(actor)
        self.trigger_event(self.Rejected, timestamp=now, co_beneficiary=self.co_beneficiary,
                           city=subject_city(self.co_beneficiary),
                           eligible_amount=self.evidence.eligible_amount,
                           reason=DisallowanceReason(reason).value, actor=actor.as_record())

    class Corrected(Aggregate.Event):
        """A corrected claim answered this rejected one."""

        co_beneficiary: str
        city: str
        corrected_by: UUID
        actor: dict[str, str | None]

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, ExpenditureClaim)
            aggregate.corrected_by = self.corrected_by

    def mark_corrected(self, corrected_by: UUID, co_beneficiary: str, actor: Actor,
                       now: datetime) -> None:
        """Link the corrected resubmission `corrected_by` to this rejected claim (once)."""
        if self.state is not ClaimState.REJECTED or self.corrected_by is not None:
            raise ClaimNotInState(
                "Only a rejected claim, not corrected yet, is answered by a corrected one.",
                field="corrects")
        if co_beneficiary != self.co_beneficiary:
            raise ClaimNotInState("A claim is corrected by its own co-beneficiary.",
                                  field="corrects")
        self.trigger_event(self.Corrected, timestamp=now, co_beneficiary=self.co_beneficiary,
                           city=subject_city(self.co_beneficiary),
                           corrected_by=corrected_by, actor=actor.as_record())

    def _require(self, state: ClaimState) -> None:
        if self.state is not state:
            raise ClaimNotInState(
                f"The claim is {self.state.value}: this cannot be done now.",
                field="claim_id", state=self.state.value)

    def _four_eyes(self, actor: Actor) -> None:
        if actor.id in {self.drafted_by, self.submitted_by}:
            raise FourEyes("Whoever drafted or submitted a claim cannot check it.",
                           field="claim_id")
