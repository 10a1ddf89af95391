"""Application service of the grant's budget and claims (domain.finance.grant and .claims): the
ministry adopts the budget and approves transfers; a co-beneficiary drafts and submits claims;
the ministry checks them and pays the co-beneficiaries. Each command returns the log position of
what it saved. Who may call which command is checked by the caller against domain.access
(SET_ALLOCATIONS for the budget and the payments, RECORD_EXPENDITURE for a city's claims,
RECORD_PARTNER_EXPENDITURE for the lead and national partners', APPROVE_EXPENDITURE for checks).

The documents are another context: the composition root passes in an `EvidenceSource` that says
which claim a document was attached to and of what kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.finance.claims import (
    ClaimEvidence,
    Disallowance,
    DisallowanceReason,
    ExpenditureClaim,
)
from domain.finance.grant import (
    GRANT_BUDGET_ID,
    GrantBudget,
    GrantTerms,
    LineKey,
    NoBudgetAdopted,
    PaymentKind,
    TransferReason,
)
from domain.finance.model import BudgetBusy, ClaimNotFound, InvalidClaim
from domain.programme import Actor, CardTermsSource, TermsSource
from domain.record import ProgrammeRecord, save_decided

_SAVE_ATTEMPTS = 8


class EvidenceSource(Protocol):
    def attached(self, document_id: UUID) -> tuple[UUID, str] | None:
        """The claim a document was attached to and its kind; None for no claim document."""
        ...


class GrantService:
    def __init__(self, record: ProgrammeRecord, evidence: EvidenceSource,
                 terms: TermsSource | None = None, grant: GrantTerms | None = None) -> None:
        self.record = record
        self.evidence = evidence
        self.terms = terms or CardTermsSource()
        self.grant = grant or GrantTerms()

    # --- the budget -----------------------------------------------------------------------------

    def adopt_budget(self, lines: Mapping[LineKey, Decimal], act_reference: str,
                     adopted_on: date, actor: Actor, now: datetime) -> int:
        terms = self.terms.terms_in_force()

        def decide() -> list[Aggregate]:
            budget = self.budget() or GrantBudget.open(now)
            budget.adopt(lines, act_reference, adopted_on, self.grant, terms, actor, now)
            return [budget]

        return self._saved(decide)

    def transfer(self, source: LineKey, target: LineKey, amount: Decimal,
                 reason: TransferReason, act_reference: str, approved_on: date, actor: Actor,
                 now: datetime) -> int:
        def decide() -> list[Aggregate]:
            budget = self.budget()
            if budget is None:
                raise NoBudgetAdopted("No budget has been adopted yet.", field="amount")
            budget.transfer(source, target, amount, reason, act_reference, approved_on, actor,
                            now)
            return [budget]

        return self._saved(decide)

    def pay(self, co_beneficiary: str, amount: Decimal, value_date: date, kind: PaymentKind,
            reference: str, actor: Actor, now: datetime) -> int:
        """Record the ministry's payment to a co-beneficiary (GrantBudget.pay's rules)."""
        terms = self.terms.terms_in_force()

        def decide() -> list[Aggregate]:
            budget = self.budget()
            if budget is None:
                raise NoBudgetAdopted("No budget has been adopted yet.", field="amount")
            budget.pay(co_beneficiary, amount, value_date, kind, reference, self.grant, terms,
                       actor, now)
            return [budget]

        return self._saved(decide)

    def budget(self) -> GrantBudget | None:
        try:
            budget: object = self.record.repository.get(GRANT_BUDGET_ID)
        except AggregateNotFoundError:
            return None
        assert isinstance(budget, GrantBudget)
        return budget

    # --- claims ---------------------------------------------------------------------------------

    def draft_claim(self, claim_id: UUID, evidence: ClaimEvidence, actor: Actor,
                    now: datetime, corrects: UUID | None = None) -> int:
        """Draft a claim; with `corrects`, as the corrected answer to that rejected claim of the
        same co-beneficiary, which records the link (both saved together, or neither)."""
        terms = self.terms.terms_in_force()

        def decide() -> list[Aggregate]:
            if self.claim(claim_id) is not None:
                raise InvalidClaim("A claim with this id is already recorded.", field="claim_id")
            claim = ExpenditureClaim.draft(claim_id, evidence, terms, actor, now, corrects)
            if corrects is None:
                return [claim]
            original = self.existing_claim(corrects)
            original.mark_corrected(claim_id, claim.co_beneficiary, actor, now)
            return [original, claim]

        return self._saved(decide)

    def submit_claim(self, claim_id: UUID, documents: Iterable[UUID], actor: Actor,
                     now: datetime) -> int:
        """Submit for checking, with those of `documents` that were attached to this claim."""
        attached: dict[UUID, str] = {}
        for document_id in documents:
            found = self.evidence.attached(document_id)
            if found is not None and found[0] == claim_id:
                attached[document_id] = found[1]

        def decide() -> list[Aggregate]:
            claim = self.existing_claim(claim_id)
            claim.submit(attached, actor, now)
            return [claim]

        return self._saved(decide)

    def admit_claim(self, claim_id: UUID, disallowed: Sequence[Disallowance], actor: Actor,
                    now: datetime) -> int:
        def decide() -> list[Aggregate]:
            claim = self.existing_claim(claim_id)
            claim.admit(disallowed, self.grant, actor, now)
            return [claim]

        return self._saved(decide)

    def confirm_admission(self, claim_id: UUID, actor: Actor, now: datetime) -> int:
        def decide() -> list[Aggregate]:
            claim = self.existing_claim(claim_id)
            claim.confirm_admission(actor, now)
            return [claim]

        return self._saved(decide)

    def reject_claim(self, claim_id: UUID, reason: DisallowanceReason, actor: Actor,
                     now: datetime) -> int:
        def decide() -> list[Aggregate]:
            claim = self.existing_claim(claim_id)
            claim.reject(reason, actor, now)
            return [claim]

        return self._saved(decide)

    def claim(self, claim_id: UUID) -> ExpenditureClaim | None:
        try:
            claim: object = self.record.repository.get(claim_id)
        except AggregateNotFoundError:
            return None
        return claim if isinstance(claim, ExpenditureClaim) else None

    def existing_claim(self, claim_id: UUID) -> ExpenditureClaim:
        claim = self.claim(claim_id)
        if claim is None:
            raise ClaimNotFound("There is no claim with this id.", field="claim_id")
        return claim

    def _saved(self, decide: Callable[[], list[Aggregate]]) -> int:
        return save_decided(self.record, decide, _SAVE_ATTEMPTS, lambda: BudgetBusy(
            "The budget kept changing: try again.", field="amount"))
