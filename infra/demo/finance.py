"""Expenditure: the demo allocations (the budget, labelled demo values) recorded first, then each
city's claims over the period, within most of each allocation, checked by the ministry (a few
rejected, most of those resubmitted)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from functools import cache, partial
from pathlib import Path
from uuid import UUID

from domain.access import Principal
from domain.documents.model import ClaimDocumentDraft, DocumentKind
from domain.finance.claims import ClaimEvidence, Disallowance, DisallowanceReason, VatTreatment
from domain.finance.grant import CostHeading
from domain.finance.model import ClaimDraft, ExpenseCategory
from domain.programme import (
    FOUNDING_PROVINCE_CODES,
    PROGRAMME_END,
    PROGRAMME_START,
    City,
    SubAction,
)
from infra.demo.documents import demo_pdf
from infra.demo.people import MINISTRY, coordinator
from infra.demo.scheduler import Area
from infra.finance_allocations import (
    ALLOCATIONS_LOADER,
    PlannedAllocation,
    read_allocations,
    read_budget,
)

# The demo's allocations, recorded first: labelled demo values, not the programme's.
DEMO_ALLOCATIONS_FILE = Path(__file__).parent / "finance_allocations.demo.toml"
# The grant's budget the demo adopts first (issue 13): invented, labelled demo values.
DEMO_BUDGET_FILE = Path(__file__).parent / "finance_budget.demo.toml"


@dataclass(eq=False)
class _Claim:
    id: UUID
    city: City
    sub_action: SubAction
    category: ExpenseCategory
    amount: Decimal
    resubmission: bool = False


class FinanceDesk(Area):
    """The cities' expenditure claims, and the ministry's allocations and checks."""

    def set_allocations(self) -> None:
        """The demo allocations file's figures for the scale's cities, set by the ministry's
        loader at the start (as `lgnet finance load-allocations` does)."""
        allocations = read_allocations(DEMO_ALLOCATIONS_FILE)
        for allocation in allocations.allocations:
            if allocation.city in self.scale.cities:
                self.attempt("allocation",
                             partial(self.set_allocation, allocation, allocations.reason))

    def set_allocation(
        self, allocation: PlannedAllocation, reason: str, now: datetime
    ) -> None:
        self.services.finance.set_allocation(
            allocation.city, allocation.sub_action, allocation.amount, reason,
            ALLOCATIONS_LOADER, now)

    def plan_claims(self, city: City) -> None:
        """Each sub-action's claims over the period, adding up to most (never more) of its
        allocation: the demo allocations file is the budget."""
        rng = self.rng
        scale = self.scale
        share_of_programme = Decimal((scale.end - scale.start).days) / Decimal(
            (PROGRAMME_END - PROGRAMME_START).days)
        first = max(scale.start + timedelta(days=20), PROGRAMME_START + timedelta(days=60))
        if first > scale.end:
            first = scale.end
        span = (scale.end - first).days
        for sub_action, allocated in demo_allocations()[city].items():
            count = scale.share(scale.claims_per_sub_action)
            target = allocated * share_of_programme * Decimal(rng.randint(70, 95)) / 100
            weights = [rng.randint(50, 150) for _ in range(count)]
            total_weight = sum(weights)
            for weight in weights:
                amount = (target * weight / total_weight).quantize(
                    Decimal("0.01"), rounding=ROUND_DOWN)
                if amount <= 0:
                    continue
                category = rng.choice(_CATEGORIES[sub_action])
                claim = _Claim(self.new_id(), city, sub_action, category, amount)
                day = first + timedelta(days=rng.randint(0, span))
                self.at(self.working_time(day), partial(self.record_claim, claim))

    def record_claim(self, claim: _Claim) -> None:
        today = self.clock.date()
        spent_on = max(PROGRAMME_START, self.scale.start,
                       today - timedelta(days=self.rng.randint(5, 60)))
        number = self.report.accepted["claim"] + 1
        draft = ClaimDraft(
            city=claim.city, sub_action=claim.sub_action, category=claim.category,
            amount=claim.amount, spent_on=spent_on,
            document_reference=f"DEMO/{FOUNDING_PROVINCE_CODES[claim.city]}/{today.year}/{number:05d}",
        )
        if not self.attempt("claim", lambda now: self.services.finance.record_claim(
                claim.id, draft, coordinator(claim.city), now)):
            return
        if self.rng.random() < 0.93:
            self.at(self.working_time(today + timedelta(days=self.rng.randint(10, 45))),
                    lambda: self.check_claim(claim))

    def check_claim(self, claim: _Claim) -> None:
        finance = self.services.finance
        rng = self.rng
        if claim.resubmission or rng.random() < 0.9:
            self.attempt("claim_approved", lambda now: finance.approve_claim(
                claim.city, claim.id, MINISTRY, now))
            return
        reason = rng.choice(_CLAIM_REJECTIONS)
        if not self.attempt("claim_rejected", lambda now: finance.reject_claim(
                claim.city, claim.id, reason, MINISTRY, now)):
            return
        if rng.random() < 0.6:
            again = _Claim(self.new_id(), claim.city, claim.sub_action, claim.category,
                           claim.amount, resubmission=True)
            self.at(self.working_time(self.clock.date() + timedelta(days=rng.randint(5, 25))),
                    lambda: self.record_claim(again))


class GrantDesk(Area):
    """The grant's budget (the demo file's, adopted at the start) and each city's claims in the
    grant's model: drafted with their evidence, the invoice and the proof of payment attached,
    submitted, then checked by the ministry: most admitted fully, some partly, a few rejected
    and most of those corrected. Its own random source (seeded by the city), so that the rest
    of the demo draws what it drew before the grant's model existed."""

    def adopt_budget(self) -> None:
        grants = self.services.grants
        budget = read_budget(DEMO_BUDGET_FILE, grants.grant, grants.terms.terms_in_force())
        own = random.Random("grant-budget")
        self.attempt("grant_budget", lambda now: grants.adopt_budget(
            budget.lines, budget.act_reference, budget.adopted_on, ALLOCATIONS_LOADER, now),
            rng=own)

    def plan_claims(self, city: City) -> None:
        own = random.Random(f"grant-claims-{city.value}")
        first = max(self.scale.start + timedelta(days=30), PROGRAMME_START + timedelta(days=60))
        if first > self.scale.end:
            return
        span = (self.scale.end - first).days
        for sub_action, allocated in demo_allocations()[city].items():
            for _ in range(max(1, self.scale.share(self.scale.claims_per_sub_action) // 3)):
                heading = own.choice(_HEADINGS[sub_action])
                eligible = (allocated * Decimal(own.randint(5, 40)) / 1000).quantize(
                    Decimal("0.01"), rounding=ROUND_DOWN)
                day = first + timedelta(days=own.randint(0, span))
                claim = _GrantClaim(UUID(int=own.getrandbits(128), version=4), city, sub_action,
                                    heading, eligible, own)
                self.at(self.working_time(day, rng=own), partial(self.draft_claim, claim))

    def draft_claim(self, claim: _GrantClaim, corrects: UUID | None = None) -> None:
        own, today = claim.rng, self.clock.date()
        spent_on = max(PROGRAMME_START, self.scale.start,
                       today - timedelta(days=own.randint(5, 60)))
        recoverable = own.random() < 0.3
        evidence = ClaimEvidence(
            co_beneficiary=claim.city.value, sub_action=claim.sub_action, heading=claim.heading,
            supplier=f"Fornitore demo {own.randint(1, 40):02d} srl",
            document_number=f"DEMO-{today.year}-{own.randint(1, 99999):05d}",
            document_date=spent_on,
            gross_amount=(claim.eligible * Decimal("1.22")).quantize(Decimal("0.01"))
            if recoverable else claim.eligible,
            eligible_amount=claim.eligible,
            vat_treatment=VatTreatment.RECOVERABLE if recoverable else VatTreatment.EXEMPT,
            payment_date=min(today, spent_on + timedelta(days=own.randint(0, 30))),
            cup=f"J{FOUNDING_PROVINCE_CODES[claim.city]}H19000{own.randint(0, 99999):05d}"[:15]
            .ljust(15, "0"),
            cig=f"Z{own.randint(0, 999999999):09d}" if own.random() < 0.5 else None)
        staff = coordinator(claim.city)
        grants = self.services.grants
        if not self.attempt("grant_claim", lambda now: grants.draft_claim(
                claim.id, evidence, staff, now, corrects), rng=own):
            return
        principal = Principal(staff.id, staff.role, staff.city)
        reference = str(claim.id)[:8]
        attached = []
        for kind, title in ((DocumentKind.INVOICE, "Fattura"),
                            (DocumentKind.PROOF_OF_PAYMENT, "Quietanza di pagamento")):
            document_id = UUID(int=own.getrandbits(128), version=4)
            content = demo_pdf(title, f"Spesa rendicontata {reference} (demo)")
            if self.attempt("document", partial(
                    self._attach, claim, document_id, ClaimDocumentDraft(kind), content,
                    principal), rng=own):
                attached.append(document_id)
        if not self.attempt("grant_claim_submitted", lambda now: grants.submit_claim(
                claim.id, attached, staff, now), rng=own):
            return
        check_on = today + timedelta(days=own.randint(10, 45))
        self.at(self.working_time(check_on, rng=own), lambda: self.check_claim(claim))

    def _attach(self, claim: _GrantClaim, document_id: UUID, draft: ClaimDocumentDraft,
                content: bytes, principal: Principal, now: datetime) -> None:
        self.services.documents.attach_to_claim(document_id, claim.city, claim.id, draft,
                                                content, principal, now)

    def check_claim(self, claim: _GrantClaim) -> None:
        grants, own = self.services.grants, claim.rng
        draw = own.random()
        if claim.corrected or draw < 0.75:
            self.attempt("grant_claim_admitted", lambda now: grants.admit_claim(
                claim.id, [], MINISTRY, now), rng=own)
        elif draw < 0.9:
            part = (claim.eligible * Decimal(own.randint(5, 30)) / 100).quantize(
                Decimal("0.01"), rounding=ROUND_DOWN)
            reason = own.choice((DisallowanceReason.OUTSIDE_PERIOD,
                                 DisallowanceReason.NOT_PERTINENT, DisallowanceReason.NO_PROOF))
            self.attempt("grant_claim_partly_admitted", lambda now: grants.admit_claim(
                claim.id, [Disallowance(part, reason)], MINISTRY, now), rng=own)
        else:
            if not self.attempt("grant_claim_rejected", lambda now: grants.reject_claim(
                    claim.id, DisallowanceReason.NO_PROOF, MINISTRY, now), rng=own):
                return
            if own.random() < 0.7:
                again = _GrantClaim(UUID(int=own.getrandbits(128), version=4), claim.city,
                                    claim.sub_action, claim.heading, claim.eligible, own,
                                    corrected=True)
                day = self.clock.date() + timedelta(days=own.randint(5, 25))
                self.at(self.working_time(day, rng=own),
                        lambda: self.draft_claim(again, corrects=claim.id))


@dataclass(eq=False)
class _GrantClaim:
    id: UUID
    city: City
    sub_action: SubAction
    heading: CostHeading
    eligible: Decimal
    rng: random.Random
    corrected: bool = False


_HEADINGS = {
    SubAction.COORDINATION: (CostHeading.STAFF, CostHeading.TRAVEL),
    SubAction.CIVIC_ENGAGEMENT: (CostHeading.SERVICES, CostHeading.OTHER_DIRECT),
    SubAction.EMERGENCY_TAKE_IN: (CostHeading.STAFF, CostHeading.SERVICES),
    SubAction.FAST_TRACK_HOUSING: (CostHeading.SERVICES, CostHeading.EQUIPMENT),
    SubAction.ADMINISTRATION_EMPOWERMENT: (CostHeading.STAFF, CostHeading.TRAVEL),
    SubAction.COMMUNICATION: (CostHeading.SERVICES, CostHeading.OTHER_DIRECT),
}


@cache
def demo_allocations() -> dict[City, dict[SubAction, Decimal]]:
    allocations: dict[City, dict[SubAction, Decimal]] = {}
    for allocation in read_allocations(DEMO_ALLOCATIONS_FILE).allocations:
        allocations.setdefault(allocation.city, {})[allocation.sub_action] = allocation.amount
    return allocations

def focus_of(city: City) -> SubAction:
    """The sub-action a city chose as its main area: the one with its largest allocation."""
    by_sub_action = demo_allocations()[city]
    return max(by_sub_action, key=lambda sub_action: by_sub_action[sub_action])


_CATEGORIES = {
    SubAction.COORDINATION: (ExpenseCategory.STAFF, ExpenseCategory.TRAVEL),
    SubAction.CIVIC_ENGAGEMENT: (ExpenseCategory.SERVICES, ExpenseCategory.GOODS),
    SubAction.EMERGENCY_TAKE_IN: (ExpenseCategory.STAFF, ExpenseCategory.SERVICES),
    SubAction.FAST_TRACK_HOUSING: (ExpenseCategory.HOUSING_COSTS, ExpenseCategory.SERVICES),
    SubAction.ADMINISTRATION_EMPOWERMENT: (ExpenseCategory.STAFF, ExpenseCategory.TRAVEL,
                                           ExpenseCategory.SERVICES),
    SubAction.COMMUNICATION: (ExpenseCategory.SERVICES, ExpenseCategory.GOODS),
}

_CLAIM_REJECTIONS = (
    "Documentazione di spesa incompleta: manca la quietanza.",
    "Spesa non ammissibile per la sotto-azione indicata.",
    "Giustificativo illeggibile: ripresentare.",
)
