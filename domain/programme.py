"""What every context of the programme shares: the network it runs in (its cities, the roles
people hold, who acted), its sub-actions and who may join them, the people it serves (their
protection status and what they consented to), its period and what "today" means, and the base
of every domain error. The vocabulary comes from the project card and the law it cites (see
docs/domain.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

PROGRAMME_START = date(2019, 7, 1)
# The period is also the expenditure-eligibility window (docs/workflows/finance.md).
PROGRAMME_END = date(2021, 12, 31)
# "Today" is the date in Italy, where every intake happens, not the UTC date.
PROGRAMME_TIMEZONE = ZoneInfo("Europe/Rome")


def programme_today(now: datetime) -> date:
    """The date in Italy at `now`: what "today" means for every rule of the programme."""
    return now.astimezone(PROGRAMME_TIMEZONE).date()


class City(StrEnum):
    """The 19 partner municipalities. The value is the stable slug used in subjects and URLs."""

    AGRIGENTO = "agrigento"
    BARI = "bari"
    BOLOGNA = "bologna"
    BOLZANO = "bolzano"
    CASERTA = "caserta"
    CATANIA = "catania"
    FIRENZE = "firenze"
    GENOVA = "genova"
    LATINA = "latina"
    MILANO = "milano"
    NAPOLI = "napoli"
    PALERMO = "palermo"
    PERUGIA = "perugia"
    POTENZA = "potenza"
    ROMA = "roma"
    SASSARI = "sassari"
    TARANTO = "taranto"
    TORINO = "torino"
    TRIESTE = "trieste"

    @property
    def display_name(self) -> str:
        return self.value.capitalize()

    @property
    def code_prefix(self) -> str:
        """The province code (targa) that prefixes the city's pseudonymous case codes."""
        return _PROVINCE_CODES[self]


_PROVINCE_CODES = {
    City.AGRIGENTO: "AG",
    City.BARI: "BA",
    City.BOLOGNA: "BO",
    City.BOLZANO: "BZ",
    City.CASERTA: "CE",
    City.CATANIA: "CT",
    City.FIRENZE: "FI",
    City.GENOVA: "GE",
    City.LATINA: "LT",
    City.MILANO: "MI",
    City.NAPOLI: "NA",
    City.PALERMO: "PA",
    City.PERUGIA: "PG",
    City.POTENZA: "PZ",
    City.ROMA: "RM",
    City.SASSARI: "SS",
    City.TARANTO: "TA",
    City.TORINO: "TO",
    City.TRIESTE: "TS",
}


class Role(StrEnum):
    MINISTRY = "ministry"
    CITY_COORDINATOR = "city_coordinator"
    CITY_OPERATOR = "city_operator"
    AUDITOR = "auditor"
    PARTNER = "partner"
    SYSTEM = "system"


class ActorKind(StrEnum):
    USER = "user"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a person signed in with a role (in a city, for city staff) or a
    system process. Every event records one, flattened into primitives (see `as_record`)."""

    kind: ActorKind
    id: str
    role: Role
    city: City | None = None

    def as_record(self) -> dict[str, str | None]:
        return {
            "kind": self.kind.value,
            "id": self.id,
            "role": self.role.value,
            "city": self.city.value if self.city else None,
        }

    @classmethod
    def from_record(cls, record: dict[str, str | None]) -> Actor:
        city = record.get("city")
        return cls(
            kind=ActorKind(str(record["kind"])),
            id=str(record["id"]),
            role=Role(str(record["role"])),
            city=City(city) if city else None,
        )


class DomainError(Exception):
    """Base of every rule the domain refuses to break. `code` names the rule for translation;
    `params` fill the translated message."""

    code: str = "domain_error"

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class ProtectionStatus(StrEnum):
    REFUGEE = "refugee"
    SUBSIDIARY_PROTECTION = "subsidiary_protection"
    SPECIAL_PROTECTION = "special_protection"  # special / humanitarian protection
    ASYLUM_SEEKER = "asylum_seeker"
    OTHER = "other"

    @property
    def is_international_protection(self) -> bool:
        return self in (ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY_PROTECTION)


class ConsentScope(StrEnum):
    CASE_MANAGEMENT = "case_management"
    REFERRAL_TO_PARTNERS = "referral_to_partners"
    STATISTICS = "statistics"


class SubAction(StrEnum):
    """The six sub-actions. The card: "due Sub-Azioni trasversali (Sub-Azione 1 ... e Sub-Azione
    6 ...) e quattro distinte Sub-Azioni centrali": 1 (management and coordination) and 6
    (communication and dissemination) are cross-cutting; 2, 3, 4 and 5 are central. A separate
    notion: the people taken in (final recipients) are enrolled only in 2, 3 and 4
    (`enrols_final_recipients`), since 5, though central, trains municipal staff."""

    COORDINATION = "1"
    CIVIC_ENGAGEMENT = "2"
    EMERGENCY_TAKE_IN = "3"
    FAST_TRACK_HOUSING = "4"
    ADMINISTRATION_EMPOWERMENT = "5"
    COMMUNICATION = "6"

    def is_open_to(self, protection_status: ProtectionStatus) -> bool:
        """Sub-Action 2 (civic engagement) is open only to asylum seekers (art. 8 of law
        46/2017, amending d.lgs. 142/2015); the others to anyone the programme serves. Intake
        eligibility and enrolment in an activity both ask here."""
        return self is not SubAction.CIVIC_ENGAGEMENT or (
            protection_status is ProtectionStatus.ASYLUM_SEEKER
        )

    @property
    def is_cross_cutting(self) -> bool:
        """Sub-Actions 1 and 6 only (the card's "due Sub-Azioni trasversali")."""
        return self in CROSS_CUTTING_SUB_ACTIONS

    @property
    def enrols_final_recipients(self) -> bool:
        """Whether people taken in are enrolled in it: 2, 3 and 4. Not 1 and 6 (cross-cutting),
        nor 5 (central, but its participants are municipal staff)."""
        return self in PERSON_SUB_ACTIONS


CROSS_CUTTING_SUB_ACTIONS = (SubAction.COORDINATION, SubAction.COMMUNICATION)
CENTRAL_SUB_ACTIONS = (
    SubAction.CIVIC_ENGAGEMENT,
    SubAction.EMERGENCY_TAKE_IN,
    SubAction.FAST_TRACK_HOUSING,
    SubAction.ADMINISTRATION_EMPOWERMENT,
)
# The sub-actions that enrol final recipients (people taken in): eligibility is per these.
PERSON_SUB_ACTIONS = (
    SubAction.CIVIC_ENGAGEMENT,
    SubAction.EMERGENCY_TAKE_IN,
    SubAction.FAST_TRACK_HOUSING,
)
