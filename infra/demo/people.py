"""The people of the demo, all invented: the persons taken in (names drawn from syllables, never
from a register) and the staff whose work the demo records, named as the demo users are."""

from __future__ import annotations

import random
from datetime import date, timedelta

from domain.cases.model import Consent, IntakeFacts, ReceptionHistory
from domain.cases.rules import ReceptionCentreKind, ReceptionSituation, Sex, Vulnerability
from domain.programme import Actor, ActorKind, City, ConsentScope, ProtectionStatus, Role
from domain.vault import PersonalData

# Countries of origin frequent among people outside reception in Italy in 2019-2021.
NATIONALITIES = (
    "NG", "GN", "CI", "ML", "GM", "SN", "BD", "PK", "AF", "ER", "SO", "SD", "TN", "EG", "MA", "IQ",
    "UA", "CM",
)

PROTECTION_WEIGHTS = {
    ProtectionStatus.REFUGEE: 25,
    ProtectionStatus.SUBSIDIARY_PROTECTION: 20,
    ProtectionStatus.SPECIAL_PROTECTION: 20,
    ProtectionStatus.ASYLUM_SEEKER: 30,
    ProtectionStatus.OTHER: 5,
}

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
    """An invented person taken in by `city` on `intake_date`, and their identifiers."""
    status = rng.choices(list(PROTECTION_WEIGHTS), weights=list(PROTECTION_WEIGHTS.values()))[0]
    age_years = rng.choice([16, 17, 19, 22, 24, 27, 30, 33, 38, 45, 52, 67])
    birth_date = intake_date - timedelta(days=age_years * 365 + rng.randint(0, 300))
    never = rng.random() < 0.3
    reception = (
        ReceptionHistory(ReceptionSituation.NEVER_IN_RECEPTION)
        if never
        else ReceptionHistory(
            ReceptionSituation.LEFT_RECEPTION,
            left_on=intake_date - timedelta(days=rng.randint(3, 400)),
            centre_kind=rng.choice(list(ReceptionCentreKind)),
        )
    )
    household_size = rng.choices([1, 2, 3, 4, 5], weights=[55, 15, 12, 10, 8])[0]
    sex = rng.choices([Sex.MALE, Sex.FEMALE, Sex.OTHER], weights=[70, 29, 1])[0]
    vulnerabilities: set[Vulnerability] = set()
    if age_years < 18 and rng.random() < 0.6:
        vulnerabilities.add(Vulnerability.UNACCOMPANIED_MINOR)
    if age_years >= 65:
        vulnerabilities.add(Vulnerability.ELDERLY)
    adult_categories = [v for v in Vulnerability
                        if _may_apply(v, sex, age_years, household_size)]
    while rng.random() < 0.35:
        vulnerabilities.add(rng.choice(adult_categories))
    scopes = {ConsentScope.CASE_MANAGEMENT, ConsentScope.STATISTICS}
    if rng.random() < 0.7:
        scopes.add(ConsentScope.REFERRAL_TO_PARTNERS)
    facts = IntakeFacts(
        city=city,
        intake_date=intake_date,
        protection_status=status,
        reception=reception,
        sex=sex,
        birth_date=birth_date,
        nationality=rng.choice(NATIONALITIES),
        household_size=household_size,
        vulnerabilities=frozenset(vulnerabilities),
        consent=Consent(given_on=intake_date, scopes=frozenset(scopes)),
    )
    person = PersonalData(
        given_name=_name(rng),
        family_name=_name(rng),
        birth_date=birth_date,
        document_number=f"DEMO{rng.randint(100000, 999999)}",
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
