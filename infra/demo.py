"""A demo data set: plausible, invented intakes across the network, made through the same
application service a coordinator uses. Deterministic for a given seed. Every person is
fictitious: names are drawn from syllables, not from any register."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from domain.cases.model import Consent, IntakeFacts, ReceptionHistory
from domain.cases.rules import (
    ConsentScope,
    ProtectionStatus,
    ReceptionCentreKind,
    ReceptionSituation,
    Sex,
    Vulnerability,
)
from domain.cases.service import CaseService
from domain.finance.service import FinanceService
from domain.network import Actor, ActorKind, City, Role
from domain.vault import PersonalData
from infra.cli_finance import DEMO_ALLOCATIONS_FILE, load_allocations

DEMO_START = date(2019, 9, 1)
DEMO_END = date(2021, 12, 15)
# Countries of origin frequent among people outside reception in Italy in 2019-2021.
NATIONALITIES = (
    "NG",
    "GN",
    "CI",
    "ML",
    "GM",
    "SN",
    "BD",
    "PK",
    "AF",
    "ER",
    "SO",
    "SD",
    "TN",
    "EG",
    "MA",
    "IQ",
    "UA",
    "CM",
)
PROTECTION_WEIGHTS = {
    ProtectionStatus.REFUGEE: 25,
    ProtectionStatus.SUBSIDIARY_PROTECTION: 20,
    ProtectionStatus.SPECIAL_PROTECTION: 20,
    ProtectionStatus.ASYLUM_SEEKER: 30,
    ProtectionStatus.OTHER: 5,
}
_SYLLABLES = ("ka", "mo", "ri", "sa", "na", "te", "lu", "bi", "do", "fa", "ye", "zu", "ol", "am")


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def demo_actor(city: City) -> Actor:
    return Actor(ActorKind.SYSTEM, "demo-loader", Role.SYSTEM, city)


def demo_intake(
    rng: random.Random, city: City, intake_date: date
) -> tuple[IntakeFacts, PersonalData]:
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
    vulnerabilities: set[Vulnerability] = set()
    if age_years < 18 and rng.random() < 0.6:
        vulnerabilities.add(Vulnerability.UNACCOMPANIED_MINOR)
    adult_categories = [
        v
        for v in Vulnerability
        if v not in (Vulnerability.MINOR, Vulnerability.UNACCOMPANIED_MINOR)
    ]
    while rng.random() < 0.35:
        vulnerabilities.add(rng.choice(adult_categories))
    sex = rng.choices([Sex.MALE, Sex.FEMALE, Sex.OTHER], weights=[70, 29, 1])[0]
    if sex is not Sex.FEMALE:
        vulnerabilities -= {Vulnerability.PREGNANCY, Vulnerability.FEMALE_GENITAL_MUTILATION}
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
        household_size=rng.choices([1, 2, 3, 4, 5], weights=[55, 15, 12, 10, 8])[0],
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


def load_demo(
    cases: CaseService,
    *,
    intakes: int = 150,
    seed: int = 2019,
    cities: tuple[City, ...] = tuple(City),
    progress: Callable[[int], None] | None = None,
) -> int:
    """Record the demo allocations (labelled demo values), then `intakes` invented intakes in
    date order across `cities`; returns how many intakes."""
    load_allocations(FinanceService(cases.record), DEMO_ALLOCATIONS_FILE,
                     datetime.combine(DEMO_START, time(8), tzinfo=UTC))
    rng = random.Random(seed)
    span = (DEMO_END - DEMO_START).days
    days = sorted(rng.randint(0, span) for _ in range(intakes))
    for count, day in enumerate(days, start=1):
        city = rng.choice(cities)
        intake_date = DEMO_START + timedelta(days=day)
        facts, person = demo_intake(rng, city, intake_date)
        recorded_at = datetime.combine(
            intake_date, time(9 + rng.randint(0, 8), rng.randint(0, 59)), tzinfo=UTC
        )
        case_id = UUID(int=rng.getrandbits(128), version=4)
        cases.record_intake(case_id, facts, person, demo_actor(city), recorded_at)
        if progress:
            progress(count)
    return intakes
