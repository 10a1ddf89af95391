"""What the documents context needs of the cases and the budget (domain.documents.service's
CaseFactsSource and ClaimsSource), read from their own services: the contexts stay independent
of one another, and this is where the composition root joins them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.cases.service import CaseService
from domain.documents.model import ClaimDocument
from domain.documents.service import CaseFacts
from domain.finance.grant import is_national_partner
from domain.finance.grant_service import GrantService
from domain.finance.service import FinanceService
from domain.programme import City
from domain.record import ProgrammeRecord


@dataclass(frozen=True)
class CaseFactsFromCases:
    cases: CaseService

    def case_facts(self, case_id: UUID) -> CaseFacts:
        case = self.cases.get(case_id)  # CaseNotFound (a LookupError) when there is none
        return CaseFacts(
            case_code=case.case_code, city=case.city, is_open=not case.is_closed,
            personal_data_erased=case.personal_data_erased,
            assessed={vulnerability.value: assessments[-1].assessed_on
                      for vulnerability, assessments in case.assessments.items() if assessments},
        )


@dataclass(frozen=True)
class ClaimsFromFinance:
    finance: FinanceService
    grants: GrantService | None = None

    def has_claim(self, city: City | None, claim_id: UUID) -> bool:
        grant_claim = self.grants.claim(claim_id) if self.grants else None
        if city is None:
            # A national partner's claim (the lead partner's included): the grant's model only.
            return grant_claim is not None and is_national_partner(grant_claim.co_beneficiary)
        budget = self.finance.budget(city)
        if budget is not None and claim_id in budget.claims:
            return True
        # A claim of the grant's model (issue 13), of this city.
        return grant_claim is not None and grant_claim.co_beneficiary == city.value


@dataclass(frozen=True)
class EvidenceFromDocuments:
    """Which claim a document was attached to, and its kind, from the document itself (the
    record, not a read model: a claim is submitted right after its files are attached)."""

    record: ProgrammeRecord

    def attached(self, document_id: UUID) -> tuple[UUID, str] | None:
        try:
            document: object = self.record.repository.get(document_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(document, ClaimDocument):
            return None
        return document.claim_id, document.kind.value
