"""A case's age, guardian and vulnerabilities as its timeline tells them (the read model's history
of published events, so the page shows them as of any moment a replay is asked for): whether the
person is a minor and since which month an adult, the guardian of an unaccompanied minor
(appointed, when; or missing), and each vulnerability recorded, declared or assessed (when, by
which kind of service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.cases.rules import AgeBand, Vulnerability
from projections.case_list import CaseRow, HistoryEntry

_GUARDIAN = "it.lgnet.case.guardian_appointed."
_ASSESSED = "it.lgnet.case.vulnerability_assessed."
_CAME_OF_AGE = "it.lgnet.case.came_of_age."
_DESCRIBED = "it.lgnet.case.other_vulnerability_described."


@dataclass(frozen=True)
class VulnerabilityState:
    code: str
    assessed_on: date | None = None
    assessed_by: str | None = None
    """The kind of service of the latest assessment; None: declared only."""


@dataclass(frozen=True)
class MinorsAndVulnerabilities:
    is_minor: bool
    adult_from: str | None
    """YYYY-MM: the month from which a minor taken in counts as an adult."""
    unaccompanied: bool
    guardian_appointed_on: date | None
    vulnerabilities: tuple[VulnerabilityState, ...]
    other_described: bool

    @property
    def needs_guardian(self) -> bool:
        return self.unaccompanied and self.guardian_appointed_on is None


def minors_and_vulnerabilities_of(
    case: CaseRow, history: list[HistoryEntry]
) -> MinorsAndVulnerabilities:
    """What the case page shows of the person's age, guardian and vulnerabilities."""
    guardian: date | None = None
    adult_from: str | None = None
    described = False
    assessed: dict[str, tuple[date, str]] = {}
    for entry in history:
        data = entry.data
        if entry.type.startswith(_GUARDIAN):
            guardian = date.fromisoformat(data["appointed_on"])
        elif entry.type.startswith(_ASSESSED):
            assessed[data["vulnerability"]] = (
                date.fromisoformat(data["assessed_on"]), data["assessed_by"])
        elif entry.type.startswith(_CAME_OF_AGE):
            adult_from = data["from_month"]
        elif entry.type.startswith(_DESCRIBED):
            described = True
    return MinorsAndVulnerabilities(
        is_minor=AgeBand(case.age_band).is_minor,
        adult_from=adult_from,
        unaccompanied=Vulnerability.UNACCOMPANIED_MINOR.value in case.vulnerabilities,
        guardian_appointed_on=guardian,
        vulnerabilities=tuple(
            VulnerabilityState(code, *assessed.get(code, (None, None)))
            for code in case.vulnerabilities),
        other_described=described,
    )
