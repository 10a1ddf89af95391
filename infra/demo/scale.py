"""How much programme the demo invents: which cities, over which dates, with how many intakes each,
and how many activities and claims; the calendar's landmarks (the lockdown) and the places of a
city that shelters and activities are in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.programme import PROGRAMME_END, PROGRAMME_START, City

# Intakes over the whole programme at full scale: the big cities several hundred, the small
# ones about a hundred (invented figures, in proportion to the cities' sizes).
FULL_INTAKES: dict[City, int] = {
    City.ROMA: 620, City.MILANO: 560, City.NAPOLI: 480, City.TORINO: 440, City.PALERMO: 330,
    City.BOLOGNA: 300, City.FIRENZE: 300, City.GENOVA: 260, City.BARI: 240, City.CATANIA: 240,
    City.TARANTO: 130, City.TRIESTE: 130, City.CASERTA: 120, City.LATINA: 120,
    City.AGRIGENTO: 110, City.PERUGIA: 110, City.SASSARI: 100, City.BOLZANO: 100,
    City.POTENZA: 90,
}

# The first national lockdown: no community activity met, and few people were taken in.
LOCKDOWN = (date(2020, 3, 9), date(2020, 5, 18))

# Florence chose Sub-Action 4 (fast-track housing) as its main area: more shelters and beds.
HOUSING_FOCUS_CITY = City.FIRENZE


@dataclass(frozen=True)
class DemoScale:
    """How much programme to invent: which cities, over which dates, with how many intakes each,
    and how many community activities and expenditure claims per city and sub-action (over the
    whole programme: a shorter period gets its share, at least one)."""

    name: str
    intakes: tuple[tuple[City, int], ...]
    start: date = PROGRAMME_START
    end: date = PROGRAMME_END
    activities_per_sub_action: int = 4
    claims_per_sub_action: int = 10
    # Days between two sessions of an activity (Sub-Action 6's events are further apart).
    session_every_days: int = 7

    @property
    def cities(self) -> tuple[City, ...]:
        return tuple(city for city, _count in self.intakes)

    def share(self, count: int) -> int:
        """`count` (a whole programme's worth) for this scale's period, at least one."""
        full = (PROGRAMME_END - PROGRAMME_START).days
        return max(1, round(count * (self.end - self.start).days / full))


def _scaled_intakes(total: int) -> tuple[tuple[City, int], ...]:
    full_total = sum(FULL_INTAKES.values())
    return tuple((city, max(6, round(count * total / full_total)))
                 for city, count in sorted(FULL_INTAKES.items()))


SCALES: dict[str, DemoScale] = {
    # The first start of `make run`: every city and every kind of work, a few of each.
    "small": DemoScale("small", _scaled_intakes(260), activities_per_sub_action=1,
                       claims_per_sub_action=1, session_every_days=21),
    "full": DemoScale("full", tuple(sorted(FULL_INTAKES.items()))),
}


def simulated_days(scale: DemoScale) -> int:
    return (scale.end - scale.start).days + 1


# Parts of a city, as shelters and activities name where they are.
AREAS = (
    "Centro storico", "Zona nord", "Zona sud", "Zona est", "Zona ovest", "Quartiere stazione",
    "Periferia nord-est", "Periferia sud-ovest",
)
