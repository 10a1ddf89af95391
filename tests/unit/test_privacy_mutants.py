"""What the processing rests on (domain/privacy.py, issue 20): the basis of each purpose, the
purposes asked for consent, what an intake records, and the organisations a consent or a
referral may name, each refusal with its code, message and parameters.

DOMAIN.md, "Intake": a city registers the person's consent to data processing; the programme
shares a case with a partner only on the basis the deployment configures (GDPR art. 6(1), art.
7(3)), and only with the organisations of the case's own city that still take referrals."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest

from domain.organisations.model import OrganisationRetired
from domain.privacy import (
    LEGAL_BASES,
    OTHER_BASES_THAN_CONSENT,
    LegalBases,
    LegalBasis,
    ProcessingPurpose,
    organisations_to_name,
)
from domain.programme import City, DomainError


def test_a_purpose_not_named_rests_on_the_public_task() -> None:
    assert LegalBases().by_purpose == {}
    assert {LegalBases().of(purpose) for purpose in ProcessingPurpose} == {
        LegalBasis.PUBLIC_TASK}
    assert LegalBases().resting_on_consent == frozenset()
    bases = LegalBases({ProcessingPurpose.STATISTICS: LegalBasis.LEGAL_OBLIGATION})
    assert bases.of(ProcessingPurpose.STATISTICS) is LegalBasis.LEGAL_OBLIGATION
    assert bases.of(ProcessingPurpose.PHOTOGRAPHS) is LegalBasis.PUBLIC_TASK


def test_the_programme_asks_consent_only_for_a_named_partner_and_photographs() -> None:
    assert LEGAL_BASES.resting_on_consent == frozenset({
        ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER, ProcessingPurpose.PHOTOGRAPHS})
    assert LEGAL_BASES.as_record() == [
        {"purpose": "case_management", "legal_basis": "public_task"},
        {"purpose": "statistics", "legal_basis": "public_task"},
        {"purpose": "referral_to_named_partner", "legal_basis": "consent"},
        {"purpose": "photographs", "legal_basis": "consent"}]
    assert LegalBasis.CONSENT not in OTHER_BASES_THAN_CONSENT
    assert len(OTHER_BASES_THAN_CONSENT) == len(LegalBasis) - 1


@dataclass
class Partner:
    id: UUID
    city: City
    name: str
    is_retired: bool = False

    def require_active(self) -> None:
        if self.is_retired:
            raise OrganisationRetired(f"{self.name} was retired.", field="organisation_id")


def test_the_organisations_named_are_found_once_each_in_the_order_given() -> None:
    caritas, arci = Partner(uuid4(), City.MILANO, "Caritas"), Partner(uuid4(), City.MILANO, "Arci")
    known = {caritas.id: caritas, arci.id: arci}
    asked: list[UUID] = []

    def find(organisation_id: UUID) -> Partner:
        asked.append(organisation_id)
        return known[organisation_id]

    found = organisations_to_name([arci.id, caritas.id, arci.id], City.MILANO, find)
    assert found == [arci, caritas]
    assert asked == [arci.id, caritas.id]
    assert organisations_to_name([], City.MILANO, find) == []


def test_an_unknown_organisation_is_refused_naming_its_id_and_the_field() -> None:
    unknown = uuid4()

    def find(organisation_id: UUID) -> Partner:
        raise LookupError(organisation_id)

    for field, arguments in (("organisation_id", {}), ("consents", {"field": "consents"})):
        with pytest.raises(DomainError) as refused:
            organisations_to_name([unknown], City.MILANO, find, **arguments)
        assert (refused.value.code, refused.value.message, refused.value.params) == (
            "unknown_organisation",
            f"No partner organisation is registered with the id {unknown}.",
            {"field": field, "organisation_id": str(unknown)})


def test_another_city_s_or_a_retired_organisation_is_refused() -> None:
    """DOMAIN.md, "Referral" and "Who uses it": a case is shared only with the organisations
    its own city registered, and a retired one takes no new referral or consent."""
    florence = Partner(uuid4(), City.FIRENZE, "Caritas Firenze")
    retired = Partner(uuid4(), City.MILANO, "Arci", is_retired=True)
    known = {florence.id: florence, retired.id: retired}
    with pytest.raises(DomainError) as refused:
        organisations_to_name([florence.id], City.MILANO, known.__getitem__, field="consents")
    assert (refused.value.code, refused.value.message, refused.value.params) == (
        "organisation_of_another_city",
        "Caritas Firenze is registered by another city: a case is shared only with the "
        "organisations its own city registered.",
        {"field": "consents", "organisation_name": "Caritas Firenze", "city": "firenze"})
    assert organisations_to_name([florence.id], City.FIRENZE, known.__getitem__) == [florence]
    with pytest.raises(OrganisationRetired):
        organisations_to_name([retired.id], City.MILANO, known.__getitem__)
