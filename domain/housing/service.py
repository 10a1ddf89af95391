"""Application service of the housing context (being built)."""

from __future__ import annotations

from domain.cases.service import CaseService
from domain.record import ProgrammeRecord


class HousingService:
    def __init__(self, record: ProgrammeRecord, cases: CaseService) -> None:
        self.record = record
        self.cases = cases
