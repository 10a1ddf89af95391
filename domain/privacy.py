"""What the programme's processing of personal data rests on: the purposes it processes data for,
the legal basis of each (one configuration, `LEGAL_BASES`), and what the person is told.

A municipality's social services process the data of the people they take in to carry out a task
in the public interest, and special-category data (health, violence, trafficking) for reasons of
substantial public interest: GDPR art. 6(1)(e) and art. 9(2)(g) (and (h) for social care), with
art. 2-sexies of the Italian privacy code (d.lgs. 196/2003 as amended by d.lgs. 101/2018). That
is the default for every purpose. Consent is the basis only for what really rests on it, such as
sharing the case with a named NGO partner or taking photographs at events: asked per purpose,
and withdrawable (art. 7(3)). Consent from a person in need of assistance is not freely given
(art. 4(11), recital 43), so it never is the basis of case management. The information notice of
art. 13 is given at intake whatever the basis (docs/domain.md, "Legal basis")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class ProcessingPurpose(StrEnum):
    """Why the programme processes a person's data."""

    CASE_MANAGEMENT = "case_management"
    """Taking the person in, the city's own services, transfers to another Comune."""
    STATISTICS = "statistics"
    """The programme's indicators and its reporting to the Ministry and the EU."""
    REFERRAL_TO_NAMED_PARTNER = "referral_to_named_partner"
    """Sending the case to an external organisation (an NGO, a trade-union desk, ...)."""
    PHOTOGRAPHS = "photographs"
    """Photographs taken at the programme's events."""


class LegalBasis(StrEnum):
    """The legal bases of GDPR art. 6(1) (with their art. 9(2) counterpart for special-category
    data) the programme's processing rests on."""

    PUBLIC_TASK = "public_task"
    """Art. 6(1)(e), art. 9(2)(g) (and (h) for social care), art. 2-sexies d.lgs. 196/2003."""
    CONSENT = "consent"
    """Art. 6(1)(a) and art. 9(2)(a): given per purpose, withdrawable at any time (art. 7(3))."""
    VITAL_INTERESTS = "vital_interests"
    """Art. 6(1)(d) and art. 9(2)(c): to protect the life of the person or of someone else."""
    LEGAL_OBLIGATION = "legal_obligation"
    """Art. 6(1)(c): a duty the law places on the city (e.g. reporting to a juvenile court)."""


@dataclass(frozen=True)
class LegalBases:
    """Which legal basis each purpose rests on; a purpose not named rests on the public task."""

    by_purpose: Mapping[ProcessingPurpose, LegalBasis] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def of(self, purpose: ProcessingPurpose) -> LegalBasis:
        return self.by_purpose.get(purpose, LegalBasis.PUBLIC_TASK)

    @property
    def resting_on_consent(self) -> frozenset[ProcessingPurpose]:
        """The purposes the person is asked to consent to (and may withdraw from)."""
        return frozenset(p for p in ProcessingPurpose if self.of(p) is LegalBasis.CONSENT)

    def as_record(self) -> list[dict[str, str]]:
        """Every purpose with its basis, in a fixed order: what an intake records."""
        return [{"purpose": p.value, "legal_basis": self.of(p).value} for p in ProcessingPurpose]


LEGAL_BASES = LegalBases(MappingProxyType({
    ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER: LegalBasis.CONSENT,
    ProcessingPurpose.PHOTOGRAPHS: LegalBasis.CONSENT,
}))
"""The programme's configuration: the public task for everything but sharing with a named
partner and photographs, which rest on consent."""

OTHER_BASES_THAN_CONSENT = frozenset(LegalBasis) - {LegalBasis.CONSENT}
"""What a case may be shared on when the person has not consented (recorded with the referral)."""
