"""What the documents context needs of the cases and the budget (domain.documents.service's
CaseFactsSource and ClaimsSource), read from their own services: the contexts stay independent
of one another, and this is where the composition root joins them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.cases.service import CaseService
from domain.documents.service import CaseFacts
from domain.finance.service import FinanceService
from domain.programme import City


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

    def has_claim(self, city: City, claim_id: UUID) -> bool:
        budget = self.finance.budget(city)
        return budget is not None and claim_id in budget.claims
