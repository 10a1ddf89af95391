"""The people of the demo, all invented: the persons taken in (names drawn from syllables, never
from a register) and the staff whose work the demo records, named as the demo users are."""

from __future__ import annotations

import random
from datetime import date, timedelta

from domain.cases.model import InformationNotice, IntakeFacts
from domain.cases.rules import Sex, Vulnerability
from domain.privacy import ProcessingPurpose
from domain.programme import Actor, ActorKind, City, ProtectionStatus, Role
from domain.vault import PersonalData
from infra.demo.legal import (
    notice_language,
    permit_expiry,
    reception_at_intake,
    status_at_intake,
)

# Countries of citizenship frequent among the people served in Italy in 2019-2021.
CITIZENSHIPS = (
    "NG", "GN", "CI", "ML", "GM", "SN", "BD", "PK", "AF", "ER", "SO", "SD", "TN", "EG", "MA", "IQ",
    "UA", "CM",
)

_SYLLABLES = ("ka", "mo", "ri", "sa", "na", "te", "lu", "bi", "do", "fa", "ye", "zu", "ol", "am")


def operator(city: City) -> Actor:
    """The city's (invented) operator: named as the demo users are, so their work is theirs."""
    return Actor(ActorKind.USER, f"{city.value}.operatore", Role.CITY_OPERATOR, city)

def coordinator(city: City) -> Actor:
    return Actor(ActorKind.USER, f"{city.value}.coordinatore", Role.CITY_COORDINATOR, city)


MINISTRY = Actor(ActorKind.USER, "ministero", Role.MINISTRY)


def demo_actor(city: City) -> Actor:
    """Who records the demo's intakes in `city`."""
    return operator(city)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def demo_intake(
    rng: random.Random, city: City, intake_date: date
) -> tuple[IntakeFacts, PersonalData]:
    """An invented person taken in by `city` on `intake_date`, and their identifiers: a legal
    situation plausible for the date (infra/demo/legal.py)."""
    status = status_at_intake(rng, intake_date)
    age_years = rng.choice([16, 17, 19, 22, 24, 27, 30, 33, 38, 45, 52, 67])
    birth_date = intake_date - timedelta(days=age_years * 365 + rng.randint(0, 300))
    reception = reception_at_intake(rng, status, intake_date)
    citizenship = (None if status is ProtectionStatus.STATELESS or rng.random() < 0.01
                   else rng.choice(CITIZENSHIPS))
    has_document = rng.random() < 0.92
    household_size = rng.choices([1, 2, 3, 4, 5], weights=[55, 15, 12, 10, 8])[0]
    sex = rng.choices([Sex.MALE, Sex.FEMALE, Sex.NOT_STATED], weights=[70, 29, 1])[0]
    vulnerabilities: set[Vulnerability] = set()
    if age_years < 18 and rng.random() < 0.6:
        vulnerabilities.add(Vulnerability.UNACCOMPANIED_MINOR)
    if age_years >= 65:
        vulnerabilities.add(Vulnerability.ELDERLY)
    adult_categories = [v for v in Vulnerability
                        if _may_apply(v, sex, age_years, household_size)]
    while rng.random() < 0.35:
        vulnerabilities.add(rng.choice(adult_categories))
    consents = set()
    if rng.random() < 0.7:
        consents.add(ProcessingPurpose.REFERRAL_TO_NAMED_PARTNER)
    if rng.random() < 0.3:
        consents.add(ProcessingPurpose.PHOTOGRAPHS)
    facts = IntakeFacts(
        city=city,
        intake_date=intake_date,
        protection_status=status,
        permit_expires_on=permit_expiry(rng, status, intake_date),
        reception=reception,
        sex=sex,
        birth_date=birth_date,
        citizenship=citizenship,
        has_identity_document=has_document,
        household_size=household_size,
        vulnerabilities=frozenset(vulnerabilities),
        information_notice=InformationNotice(intake_date, notice_language(rng, citizenship)),
        consents=frozenset(consents),
    )
    person = PersonalData(
        given_name=_name(rng),
        family_name=_name(rng),
        birth_date=birth_date,
        document_number=f"DEMO{rng.randint(100000, 999999)}" if has_document else None,
        phone=f"+39 3{rng.randint(10, 99)} {rng.randint(1000000, 9999999)}",
    )
    return facts, person


def _may_apply(vulnerability: Vulnerability, sex: Sex, age_years: int, household_size: int
               ) -> bool:
    """Whether a category drawn at random fits the person (age categories are set from the
    age, never drawn)."""
    match vulnerability:
        case Vulnerability.MINOR | Vulnerability.UNACCOMPANIED_MINOR | Vulnerability.ELDERLY:
            return False
        case Vulnerability.PREGNANCY:
            return sex is Sex.FEMALE and age_years < 50
        case Vulnerability.FEMALE_GENITAL_MUTILATION:
            return sex is Sex.FEMALE
        case Vulnerability.SINGLE_PARENT_WITH_MINORS:
            return household_size > 1
        case _:
            return True
