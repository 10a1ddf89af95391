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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol
from uuid import UUID

from domain.programme import City, DomainError


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


# --- the organisations a consent or a referral names (issue 12, item 5) -----------------------


class PartnerOrganisation(Protocol):
    """A registered partner organisation as a consent or a referral names it (the organisations
    context's Organisation is one): whose it is, its name (an organisation's, not personal data),
    and whether it still takes new referrals and consents."""

    @property
    def id(self) -> UUID: ...

    @property
    def city(self) -> City: ...

    @property
    def name(self) -> str: ...

    @property
    def is_retired(self) -> bool: ...

    def require_active(self) -> None:
        """Refuse (the organisations context's own error) when it is retired."""


FindOrganisation = Callable[[UUID], PartnerOrganisation]
"""Where a context finds a registered organisation by id; raises a LookupError when none."""


class UnknownOrganisation(DomainError):
    """Raised when a consent or a referral names an organisation that is not registered."""

    code = "unknown_organisation"


class OrganisationOfAnotherCity(DomainError):
    """Raised when a consent or a referral of a city's case names an organisation registered
    by another city."""

    code = "organisation_of_another_city"


def organisations_to_name(
    organisation_ids: Iterable[UUID], city: City, find: FindOrganisation,
    field: str = "organisation_id",
) -> list[PartnerOrganisation]:
    """The registered organisations with these ids, each of `city` and not retired, in the
    order given (once each); refused otherwise, naming the organisation."""
    found: list[PartnerOrganisation] = []
    for organisation_id in dict.fromkeys(organisation_ids):
        try:
            organisation = find(organisation_id)
        except LookupError:
            raise UnknownOrganisation(
                f"No partner organisation is registered with the id {organisation_id}.",
                field=field, organisation_id=str(organisation_id),
            ) from None
        if organisation.city != city:
            raise OrganisationOfAnotherCity(
                f"{organisation.name} is registered by another city: a case is shared only "
                "with the organisations its own city registered.",
                field=field, organisation_name=organisation.name, city=organisation.city.value,
            )
        organisation.require_active()
        found.append(organisation)
    return found
