"""What every context of the programme shares: the network it runs in (its cities, the roles
people hold, who acted), its sub-actions and who may join them, the people it serves (their
protection status), its period and what "today" means, and the base of every domain error. The
vocabulary comes from the project card and the law it cites (see docs/domain.md)."""

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
    """A person's protection status or residence permit (docs/domain.md, "Protection status").
    A status is held from a dated decision until the next one (`Case.StatusChanged`); most come
    with a permit whose expiry is recorded beside them."""

    REFUGEE = "refugee"
    """Refugee status (d.lgs. 251/2007)."""
    SUBSIDIARY_PROTECTION = "subsidiary_protection"
    """Subsidiary protection (d.lgs. 251/2007)."""
    ASYLUM_SEEKER = "asylum_seeker"
    """Applicant for international protection at first instance (d.lgs. 25/2008)."""
    APPELLANT = "appellant"
    """Applicant appealing a refusal, awaiting the court's decision (ricorrente)."""
    HUMANITARIAN_PROTECTION = "humanitarian_protection"
    """Art. 5 c.6 TUI: permits issued before 5 Oct 2018, valid until they expire (abolished by
    d.l. 113/2018)."""
    SPECIAL_CASES = "special_cases"
    """"Casi speciali": the transitional permits of d.l. 113/2018 art. 1 c.9."""
    SPECIAL_PROTECTION = "special_protection"
    """Special protection (art. 32 c.3 d.lgs. 25/2008 as amended by d.l. 113/2018, widened by
    d.l. 130/2020). Version 1 of the intake used this code for "special or humanitarian"."""
    PERMIT_ART_18 = "permit_art_18"
    """Art. 18 TUI: victims of trafficking or serious exploitation."""
    PERMIT_ART_18_BIS = "permit_art_18_bis"
    """Art. 18-bis TUI: victims of domestic violence."""
    PERMIT_ART_19_C2_D_BIS = "permit_art_19_c2_d_bis"
    """Art. 19 c.2 d-bis TUI: medical treatment."""
    PERMIT_ART_20_BIS = "permit_art_20_bis"
    """Art. 20-bis TUI: disaster in the country of origin."""
    PERMIT_ART_22_C12_QUATER = "permit_art_22_c12_quater"
    """Art. 22 c.12-quater TUI: victims of labour exploitation."""
    PERMIT_ART_42_BIS = "permit_art_42_bis"
    """Art. 42-bis TUI: acts of civil valour."""
    STATELESS = "stateless"
    """Recognised stateless person (1954 New York Convention): no citizenship."""
    NO_VALID_PERMIT = "no_valid_permit"
    """No valid permit: refused, or expired and not renewed."""
    OTHER_RESIDENCE_PERMIT = "other_residence_permit"
    """Any other residence permit (work, family, study, ...). Version 1's "other"."""

    @property
    def is_international_protection(self) -> bool:
        return self in (ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY_PROTECTION)

    @property
    def is_applicant(self) -> bool:
        """An applicant for international protection, at first instance or appealing."""
        return self in (ProtectionStatus.ASYLUM_SEEKER, ProtectionStatus.APPELLANT)

    @property
    def has_permit(self) -> bool:
        """Whether the status comes with a residence permit (whose expiry may be recorded)."""
        return self is not ProtectionStatus.NO_VALID_PERMIT


class SubAction(StrEnum):
    """The six sub-actions. 1, 5 and 6 are cross-cutting: no person is enrolled in them."""

    COORDINATION = "1"
    CIVIC_ENGAGEMENT = "2"
    EMERGENCY_TAKE_IN = "3"
    FAST_TRACK_HOUSING = "4"
    ADMINISTRATION_EMPOWERMENT = "5"
    COMMUNICATION = "6"

    def is_open_to(self, protection_status: ProtectionStatus) -> bool:
        """Sub-Action 2 (civic engagement) is open only to applicants for international
        protection, at first instance or appealing (art. 8 of law 46/2017, amending d.lgs.
        142/2015); the others to anyone the programme serves. Intake eligibility and enrolment
        in an activity both ask here."""
        return self is not SubAction.CIVIC_ENGAGEMENT or protection_status.is_applicant


PERSON_SUB_ACTIONS = (
    SubAction.CIVIC_ENGAGEMENT,
    SubAction.EMERGENCY_TAKE_IN,
    SubAction.FAST_TRACK_HOUSING,
)
