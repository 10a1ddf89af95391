"""The network the programme runs in: its cities, the roles people hold, and who acted."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
